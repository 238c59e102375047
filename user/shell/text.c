/*
 * The shell's pure text logic: see text.h. Host-tested (tests/host/test_shell.c).
 */
#include "text.h"

#include <stdio.h>
#include <string.h>

#include "weft/errors.h"
#include "weft/objects.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int sh_split(char *line, char **argv, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p && is_blank(*p))
            p++;
        if (!*p)
            return n;
        if (n == max)
            return -1;
        argv[n++] = p;
        while (*p && !is_blank(*p))
            p++;
        if (*p)
            *p++ = 0;
    }
}

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses the digits of s in base (10 or 16) up to end (exclusive). */
static bool parse_digits(const char *s, const char *end, unsigned base, uint64_t *out)
{
    if (s == end)
        return false;
    uint64_t v = 0;
    for (; s < end; s++) {
        int d = digit_value(*s);
        if (d < 0 || (unsigned)d >= base)
            return false;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return false;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool parse_number(const char *s, const char *end, uint64_t *out)
{
    if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return parse_digits(s + 2, end, 16, out);
    return parse_digits(s, end, 10, out);
}

bool sh_number(const char *s, uint64_t *out)
{
    return s && parse_number(s, s + strlen(s), out);
}

bool sh_size(const char *s, uint64_t *out)
{
    if (!s)
        return false;
    size_t len = strlen(s);
    unsigned shift = 0;
    if (len > 1) {
        switch (s[len - 1]) {
        case 'K':
        case 'k':
            shift = 10;
            break;
        case 'M':
        case 'm':
            shift = 20;
            break;
        case 'G':
        case 'g':
            shift = 30;
            break;
        default:
            break;
        }
    }
    /* "0x10" ends in a hex digit, never in a suffix letter that is one: only
     * K, M, G (none a hex digit) are taken as a suffix. */
    uint64_t v;
    if (!parse_number(s, s + len - (shift ? 1 : 0), &v))
        return false;
    if (shift && v > (UINT64_MAX >> shift))
        return false;
    *out = v << shift;
    return true;
}

static const struct {
    const char *name;
    uint64_t type;
} type_names[] = {
    {"untyped", WF_OBJ_UNTYPED},
    {"cnode", WF_OBJ_CNODE},
    {"tcb", WF_OBJ_TCB},
    {"endpoint", WF_OBJ_ENDPOINT},
    {"notification", WF_OBJ_NOTIFICATION},
    {"reply", WF_OBJ_REPLY},
    {"pool", WF_OBJ_POOL},
    {"vmo", WF_OBJ_VMO},
    {"vspace", WF_OBJ_VSPACE},
    {"irq-control", WF_OBJ_IRQ_CONTROL},
    {"irq-handler", WF_OBJ_IRQ_HANDLER},
    {"ioport", WF_OBJ_IOPORT},
    {"dying", WF_OBJ_DYING},
    {"ep", WF_OBJ_ENDPOINT},
    {"ntfn", WF_OBJ_NOTIFICATION},
};

bool sh_type(const char *s, uint64_t *out)
{
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (type_names[i].type != WF_OBJ_DYING && strcmp(s, type_names[i].name) == 0) {
            *out = type_names[i].type;
            return true;
        }
    }
    uint64_t v;
    if (!sh_number(s, &v) || v == 0 || v > 31)
        return false;
    *out = v;
    return true;
}

const char *sh_type_name(uint64_t type, char *buf, size_t size)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (type_names[i].type == type)
            return type_names[i].name;
    snprintf(buf, size, "type %llu", (unsigned long long)type);
    return buf;
}

static const char rights_letters[4] = {'r', 'w', 'g', 'R'};

bool sh_rights(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    if (strcmp(s, "all") == 0) {
        *out = WF_RIGHTS_ALL;
        return true;
    }
    if (strcmp(s, "none") == 0) {
        *out = 0;
        return true;
    }
    if (s[0] >= '0' && s[0] <= '9') {
        uint64_t v;
        if (!sh_number(s, &v) || (v & ~(uint64_t)WF_RIGHTS_ALL))
            return false;
        *out = v;
        return true;
    }
    uint64_t r = 0;
    for (; *s; s++) {
        unsigned i = 0;
        while (i < 4 && rights_letters[i] != *s)
            i++;
        if (i == 4 || (r & (1ull << i)))
            return false;
        r |= 1ull << i;
    }
    *out = r;
    return true;
}

void sh_rights_str(uint64_t rights, char buf[5])
{
    for (unsigned i = 0; i < 4; i++)
        buf[i] = (rights & (1ull << i)) ? rights_letters[i] : '-';
    buf[4] = 0;
}

const char *sh_thread_state_name(uint64_t state)
{
    switch (state) {
    case WF_THREAD_STATE_INACTIVE:
        return "inactive";
    case WF_THREAD_STATE_RUNNABLE:
        return "runnable";
    case WF_THREAD_STATE_BLOCKED_SEND:
        return "blocked-send";
    case WF_THREAD_STATE_BLOCKED_RECV:
        return "blocked-recv";
    case WF_THREAD_STATE_BLOCKED_CALL:
        return "blocked-call";
    case WF_THREAD_STATE_BLOCKED_NOTIFICATION:
        return "blocked-notification";
    default:
        return "unknown";
    }
}

const char *sh_lookup_fault_text(uint64_t fault)
{
    switch (fault) {
    case WF_LOOKUP_FAULT_NONE:
        return "no fault";
    case WF_LOOKUP_FAULT_NOT_CNODE:
        return "not a CNode";
    case WF_LOOKUP_FAULT_GUARD_MISMATCH:
        return "guard mismatch";
    case WF_LOOKUP_FAULT_DEPTH_MISMATCH:
        return "depth mismatch";
    case WF_LOOKUP_FAULT_EMPTY_SLOT:
        return "empty slot";
    default:
        return NULL;
    }
}

/* "the invoked cap", "the reply cap" or "cap argument N". */
static const char *cap_index_text(uint64_t index, char *buf, size_t size)
{
    if (index == WF_CAP_INVOKED)
        return "the invoked cap";
    if (index == WF_CAP_REPLY_ARG)
        return "the reply cap";
    snprintf(buf, size, "cap argument %llu", (unsigned long long)index);
    return buf;
}

int sh_format_error(char *buf, size_t size, uint64_t err, const uint64_t d[4], enum sh_err_ctx ctx)
{
    const char *name = wf_error_name(err);
    char tmp[40];
    typedef unsigned long long ull;
    if (!d) {
        if (err >= WF_ERR_COUNT)
            return snprintf(buf, size, "error %llu", (ull)err);
        return snprintf(buf, size, "%s", name);
    }
    switch (err) {
    case WF_ERR_INVALID_ARGUMENT:
        return snprintf(buf, size, "%s: argument %llu", name, (ull)d[0]);
    case WF_ERR_INVALID_CAPABILITY:
        return snprintf(buf, size, "%s: %s", name, cap_index_text(d[0], tmp, sizeof(tmp)));
    case WF_ERR_RANGE_ERROR:
        return snprintf(buf, size, "%s: argument %llu outside %llu..%llu", name, (ull)d[0],
                        (ull)d[1], (ull)d[2]);
    case WF_ERR_FAILED_LOOKUP: {
        const char *why = sh_lookup_fault_text(d[1]);
        char whybuf[32];
        if (!why) {
            snprintf(whybuf, sizeof(whybuf), "lookup fault %llu", (ull)d[1]);
            why = whybuf;
        }
        const char *root =
            d[0] == WF_CAP_INVOKED ? "the invoked CNode" : cap_index_text(d[0], tmp, sizeof(tmp));
        return snprintf(buf, size, "%s at level %llu: %s (from %s, %llu bits unresolved)", name,
                        (ull)d[2], why, root, (ull)d[3]);
    }
    case WF_ERR_TRUNCATED_MESSAGE:
        return snprintf(buf, size, "%s: the method needs %llu words and %llu caps", name, (ull)d[0],
                        (ull)d[1]);
    case WF_ERR_DELETE_FIRST:
        if (ctx == SH_CTX_RETYPE)
            return snprintf(buf, size, "%s: slot %llu is not empty", name, (ull)d[0]);
        return snprintf(buf, size, "%s: the destination slot is not empty", name);
    case WF_ERR_REVOKE_FIRST:
        return snprintf(buf, size, "%s: the cap has children", name);
    case WF_ERR_NOT_ENOUGH_MEMORY:
        return snprintf(buf, size, "%s: %llu bytes free", name, (ull)d[0]);
    default:
        if (err >= WF_ERR_COUNT)
            return snprintf(buf, size, "error %llu", (ull)err);
        return snprintf(buf, size, "%s", name);
    }
}
