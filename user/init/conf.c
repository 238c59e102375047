/*
 * The boot configuration parser (conf.h; grammar in docs/userspace.md, "init and
 * the boot configuration"; decision 109).
 *
 * One pass over the lines builds the entries; names in sees= and give= may name
 * programs declared further down, so a second pass (resolve) turns them into
 * program indexes once every line is read. A line is a sequence of words split at
 * blanks: its kind, then (for server and run) the program's name, then options
 * KEY=VALUE or a bare KEY. Every check that can fail runs before the entry is
 * added, so a refused line leaves nothing behind; a refused reference in a
 * resolved list is dropped on its own. Numbers are decimal or 0x hex, sizes take
 * a K, M or G suffix (powers of 1024), and every value is range-checked before it
 * is stored, so that no later step sees a value outside its field.
 *
 * The module uses only memcpy, memset, strlen and snprintf, which init's small
 * libc and the host's C library both have.
 */
#include "conf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_WORDS   24u
#define MAX_WORD    255u
#define LIST_SEP    ','
#define RUN_MEM     (16ull << 20)
#define RUN_UNTYPED (1ull << 20)

struct word {
    const char *p;
    size_t n;
};

static void report(struct boot_conf *c, unsigned line, const char *fmt, ...)
{
    c->errors++;
    if (c->nerr >= CONF_MAX_ERRORS)
        return;
    struct conf_error *e = &c->err[c->nerr++];
    e->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

static bool word_is(struct word w, const char *s)
{
    return w.n == strlen(s) && !memcmp(w.p, s, w.n);
}

/* A name: 1..CONF_NAME_MAX of [a-z0-9_.-], starting with a letter or digit. */
static bool valid_name(const char *p, size_t n)
{
    if (n == 0 || n > CONF_NAME_MAX || p[0] == '-' || p[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
              ch == '.'))
            return false;
    }
    return true;
}

/* A number (decimal, or hex after 0x) that fills p[0..n) exactly, at most max. */
static bool parse_num(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    if (n > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
        n -= 2;
    }
    if (n == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (base == 16 && ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a' + 10);
        else if (base == 16 && ch >= 'A' && ch <= 'F')
            d = (unsigned)(ch - 'A' + 10);
        else
            return false;
        if (d > max || v > (max - d) / base)
            return false;
        v = v * base + d;
    }
    *out = v;
    return true;
}

/* A size: a number with an optional K, M or G suffix, at most max bytes. */
static bool parse_size(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    unsigned shift = 0;
    if (n > 1) {
        char s = p[n - 1];
        shift = s == 'K' || s == 'k'   ? 10
                : s == 'M' || s == 'm' ? 20
                : s == 'G' || s == 'g' ? 30
                                       : 0;
        if (shift)
            n--;
    }
    uint64_t v;
    if (!parse_num(p, n, max >> shift, &v))
        return false;
    *out = v << shift;
    return true;
}

/* Splits p[0..n) at the first sep into a and b; false without one. */
static bool split(const char *p, size_t n, char sep, struct word *a, struct word *b)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == sep) {
            *a = (struct word){p, i};
            *b = (struct word){p + i + 1, n - i - 1};
            return true;
        }
    }
    return false;
}

/* PORT:VALUE, or "firmware": the Power cap (decision 184). */
static bool parse_port_value(struct word v, struct conf_power *pw)
{
    struct word a, b;
    uint64_t port, value;
    if (word_is(v, "firmware")) {
        *pw = (struct conf_power){.set = true, .firmware = true};
        return true;
    }
    if (!split(v.p, v.n, ':', &a, &b) || !parse_num(a.p, a.n, 0xffff, &port) ||
        !parse_num(b.p, b.n, 0xffff, &value))
        return false;
    *pw = (struct conf_power){.set = true, .port = (unsigned)port, .value = (unsigned)value};
    return true;
}

/* power poweroff=PORT:VALUE|firmware reboot=PORT:VALUE|firmware */
static void parse_power(struct boot_conf *c, unsigned line, const struct word *w, unsigned nw)
{
    struct conf_power off = c->poweroff, rb = c->reboot;
    bool seen_off = false, seen_rb = false;
    for (unsigned i = 1; i < nw; i++) {
        struct word k, v;
        if (!split(w[i].p, w[i].n, '=', &k, &v) ||
            (!word_is(k, "poweroff") && !word_is(k, "reboot"))) {
            report(c, line, "power: unknown option '%.*s' (poweroff=, reboot=)", (int)w[i].n,
                   w[i].p);
            return;
        }
        bool is_off = word_is(k, "poweroff");
        if (is_off ? seen_off : seen_rb) {
            report(c, line, "power: %.*s given twice", (int)k.n, k.p);
            return;
        }
        if (!parse_port_value(v, is_off ? &off : &rb)) {
            report(c, line,
                   "power: %.*s wants PORT:VALUE (each 0 to 0xffff) or firmware, not '%.*s'",
                   (int)k.n, k.p, (int)v.n, v.p);
            return;
        }
        *(is_off ? &seen_off : &seen_rb) = true;
    }
    if (!seen_off && !seen_rb) {
        report(c, line, "power: nothing given (poweroff=, reboot=)");
        return;
    }
    if ((seen_off && c->poweroff.set) || (seen_rb && c->reboot.set)) {
        report(c, line, "power: already configured by an earlier line");
        return;
    }
    c->poweroff = off;
    c->reboot = rb;
}

/* Copies a sees=/give= list into the entry's raw reference buffer. */
static bool keep_list(struct boot_conf *c, unsigned line, unsigned idx, unsigned which,
                      struct word v)
{
    if (v.n >= sizeof(c->refs[idx][which])) {
        report(c, line, "%s: list longer than %zu bytes", which ? "give" : "sees",
               sizeof(c->refs[idx][which]) - 1);
        return false;
    }
    memcpy(c->refs[idx][which], v.p, v.n);
    c->refs[idx][which][v.n] = 0;
    return true;
}

static unsigned conf_service_n(const char *p, size_t n)
{
    char name[CONF_NAME_MAX + 1];
    if (n > CONF_NAME_MAX)
        return 0;
    memcpy(name, p, n);
    name[n] = 0;
    return conf_service(name);
}

/* One option KEY=VALUE or KEY of a server or run entry, into p. */
static bool parse_option(struct boot_conf *c, unsigned line, struct conf_prog *p, unsigned idx,
                         struct word o, unsigned *seen)
{
    static const char *const keys[] = {"mem",     "prio",      "sees",       "give",
                                       "untyped", "initramfs", "ioport",     "irq",
                                       "cnode",   "devmem",    "irqcontrol", "as"};
    struct word k = o, v = {o.p + o.n, 0};
    bool has_value = split(o.p, o.n, '=', &k, &v);
    unsigned key = 0;
    while (key < sizeof(keys) / sizeof(keys[0]) && !word_is(k, keys[key]))
        key++;
    if (key == sizeof(keys) / sizeof(keys[0])) {
        report(c, line, "%s: unknown option '%.*s'", p->name, (int)k.n, k.p);
        return false;
    }
    if (*seen & (1u << key)) {
        report(c, line, "%s: option %s given twice", p->name, keys[key]);
        return false;
    }
    *seen |= 1u << key;
    bool bare = key == 5 || key == 9 || key == 10; /* initramfs, devmem, irqcontrol */
    if (bare == has_value && key != 9) {           /* devmem: bare, or devmem=ADDRESS */
        report(c, line, bare ? "%s: option %s takes no value" : "%s: option %s needs a value",
               p->name, keys[key]);
        return false;
    }
    if ((key == 7 && (*seen & (1u << 10))) || (key == 10 && (*seen & (1u << 7)))) {
        report(c, line, "%s: irq= and irqcontrol both want slot IRQ", p->name);
        return false;
    }
    uint64_t n;
    struct word a, b;
    switch (key) {
    case 0: /* mem */
        if (!parse_size(v.p, v.n, CONF_MEM_MAX, &n) || n < 4096 || n % 4096) {
            report(c, line, "%s: mem=%.*s: want a multiple of 4K from 4K to 64G", p->name, (int)v.n,
                   v.p);
            return false;
        }
        p->mem = n;
        return true;
    case 1: /* prio */
        if (!parse_num(v.p, v.n, CONF_PRIO_MAX, &n) || n < CONF_PRIO_MIN) {
            report(c, line, "%s: prio=%.*s: want %u to %u", p->name, (int)v.n, v.p, CONF_PRIO_MIN,
                   CONF_PRIO_MAX);
            return false;
        }
        p->prio = (unsigned)n;
        return true;
    case 2: /* sees */
    case 3: /* give */
        return keep_list(c, line, idx, key - 2, v);
    case 4: /* untyped */
        if (!parse_size(v.p, v.n, CONF_UT_MAX, &n) || n < CONF_UT_MIN || (n & (n - 1))) {
            report(c, line, "%s: untyped=%.*s: want a power of two from 4K to 4G", p->name,
                   (int)v.n, v.p);
            return false;
        }
        p->untyped = n;
        return true;
    case 5: /* initramfs */
        p->initramfs = true;
        return true;
    case 6: { /* ioport=FIRST-LAST or ioport=PORT */
        uint64_t lo, hi;
        bool ok = split(v.p, v.n, '-', &a, &b)
                      ? parse_num(a.p, a.n, 0xffff, &lo) && parse_num(b.p, b.n, 0xffff, &hi)
                      : parse_num(v.p, v.n, 0xffff, &lo) && (hi = lo, true);
        if (!ok || lo > hi) {
            report(c, line, "%s: ioport=%.*s: want FIRST-LAST, ports 0 to 0xffff, FIRST <= LAST",
                   p->name, (int)v.n, v.p);
            return false;
        }
        p->has_ioport = true;
        p->io_first = (unsigned)lo;
        p->io_last = (unsigned)hi;
        return true;
    }
    case 7: /* irq */
        if (!parse_num(v.p, v.n, 255, &n)) {
            report(c, line, "%s: irq=%.*s: want a line from 0 to 255", p->name, (int)v.n, v.p);
            return false;
        }
        p->irq = (int)n;
        return true;
    case 8: /* cnode */
        if (!parse_num(v.p, v.n, CONF_CNODE_MAX, &n) || n < CONF_CNODE_MIN) {
            report(c, line, "%s: cnode=%.*s: want a radix from %u to %u", p->name, (int)v.n, v.p,
                   CONF_CNODE_MIN, CONF_CNODE_MAX);
            return false;
        }
        p->cnode = (unsigned)n;
        return true;
    case 9: /* devmem or devmem=ADDRESS */
        if (has_value && !parse_num(v.p, v.n, CONF_DEVMEM_ADDR_MAX, &p->devmem_at)) {
            report(c, line, "%s: devmem=%.*s: want a physical address below 2^48", p->name,
                   (int)v.n, v.p);
            return false;
        }
        p->devmem = true;
        p->devmem_one = has_value;
        return true;
    case 10: /* irqcontrol */
        p->irqcontrol = true;
        return true;
    default: /* as */
        if (!valid_name(v.p, v.n) || word_is(v, "init") || conf_service_n(v.p, v.n)) {
            report(c, line,
                   "%s: as=%.*s: want a name (1 to %u of a-z 0-9 _ . -), not init, name, "
                   "log or console",
                   p->name, (int)(v.n > 40 ? 40 : v.n), v.p, CONF_NAME_MAX);
            return false;
        }
        memcpy(p->as, v.p, v.n);
        p->as[v.n] = 0;
        return true;
    }
}

static void prog_defaults(struct conf_prog *p, enum conf_kind kind, struct word name, unsigned line)
{
    memset(p, 0, sizeof(*p));
    memcpy(p->name, name.p, name.n);
    p->kind = kind;
    p->line = line;
    p->mem = CONF_DEFAULT_MEM;
    p->prio = CONF_DEFAULT_PRIO;
    p->cnode = CONF_DEFAULT_CNODE;
    p->irq = -1;
}

/* server NAME OPTION... / run NAME OPTION... */
static void parse_prog(struct boot_conf *c, unsigned line, enum conf_kind kind,
                       const struct word *w, unsigned nw)
{
    const char *kw = kind == CONF_SERVER ? "server" : "run";
    if (nw < 2) {
        report(c, line, "%s: program name missing", kw);
        return;
    }
    if (!valid_name(w[1].p, w[1].n)) {
        report(c, line, "%s: bad program name '%.*s' (1 to %u of a-z 0-9 _ . -)", kw,
               (int)(w[1].n > 40 ? 40 : w[1].n), w[1].p, CONF_NAME_MAX);
        return;
    }
    if (word_is(w[1], "init")) {
        report(c, line, "%s: 'init' is init's own name", kw);
        return;
    }
    if (conf_find(c, w[1].p, w[1].n) >= 0) {
        report(c, line, "%s: program %.*s declared twice (first on line %u)", kw, (int)w[1].n,
               w[1].p, c->prog[conf_find(c, w[1].p, w[1].n)].line);
        return;
    }
    if (c->nprogs == CONF_MAX_PROGS) {
        report(c, line, "%s: more than %u programs", kw, CONF_MAX_PROGS);
        return;
    }
    unsigned idx = c->nprogs;
    struct conf_prog p;
    prog_defaults(&p, kind, w[1], line);
    c->refs[idx][0][0] = c->refs[idx][1][0] = 0;
    unsigned seen = 0;
    for (unsigned i = 2; i < nw; i++)
        if (!parse_option(c, line, &p, idx, w[i], &seen))
            return;
    if (!p.as[0])
        memcpy(p.as, p.name, sizeof(p.as));
    for (unsigned k = 0; k < c->nprogs; k++) {
        if (!strcmp(c->prog[k].as, p.as) || !strcmp(c->prog[k].name, p.as) ||
            !strcmp(c->prog[k].as, p.name)) {
            report(c, line, "%s: the name %s is taken by %s (line %u)", p.name, p.as,
                   c->prog[k].name, c->prog[k].line);
            return;
        }
    }
    c->prog[idx] = p;
    c->nprogs++;
}

static void parse_line(struct boot_conf *c, unsigned line, const char *s, size_t n)
{
    struct word w[MAX_WORDS];
    unsigned nw = 0;
    for (size_t i = 0; i < n;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i == n || s[i] == '#')
            break;
        size_t start = i;
        while (i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '#')
            i++;
        if (nw == MAX_WORDS) {
            report(c, line, "more than %u words", MAX_WORDS);
            return;
        }
        if (i - start > MAX_WORD) {
            report(c, line, "word longer than %u bytes", MAX_WORD);
            return;
        }
        w[nw++] = (struct word){s + start, i - start};
    }
    if (nw == 0)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == 0 || (ch < 0x20 && ch != '\t') || ch >= 0x7f) {
            report(c, line, "control or non-ASCII byte 0x%02x at column %zu", ch, i + 1);
            return;
        }
    }
    if (word_is(w[0], "server"))
        parse_prog(c, line, CONF_SERVER, w, nw);
    else if (word_is(w[0], "run"))
        parse_prog(c, line, CONF_RUN, w, nw);
    else if (word_is(w[0], "power"))
        parse_power(c, line, w, nw);
    else
        report(c, line, "unknown kind '%.*s' (server, run or power)",
               (int)(w[0].n > 40 ? 40 : w[0].n), w[0].p);
}

unsigned conf_service(const char *name)
{
    if (!strcmp(name, "name"))
        return CONF_SVC_NAME;
    if (!strcmp(name, "log"))
        return CONF_SVC_LOG;
    if (!strcmp(name, "console"))
        return CONF_SVC_CONSOLE;
    if (!strcmp(name, "init"))
        return CONF_SVC_INIT;
    return 0;
}

/* Turns program idx's raw lists into sees and slots. */
static void resolve(struct boot_conf *c, unsigned idx)
{
    struct conf_prog *p = &c->prog[idx];
    p->sees = 0;
    p->slots = conf_find(c, "name", 4) >= 0 ? CONF_SVC_NAME : 0;
    for (unsigned which = 0; which < 2; which++) {
        const char *l = c->refs[idx][which];
        const char *kw = which ? "give" : "sees";
        size_t n = strlen(l);
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && l[j] != LIST_SEP)
                j++;
            char name[CONF_NAME_MAX + 1];
            if (j == i || j - i > CONF_NAME_MAX) {
                report(c, p->line, "%s: %s: empty or overlong name in the list", p->name, kw);
                i = j + 1;
                continue;
            }
            memcpy(name, l + i, j - i);
            name[j - i] = 0;
            unsigned svc = conf_service(name);
            int t = conf_find_service(c, name, j - i);
            if (which == 0 && t >= 0) {
                p->sees |= 1ull << t;
                p->slots |= svc;
            } else if (which == 0 && svc == CONF_SVC_INIT) {
                p->slots |= svc;
            } else if (which == 1 && svc && (t >= 0 || svc == CONF_SVC_INIT)) {
                p->slots |= svc;
            } else if (which == 1 && t >= 0) {
                report(c, p->line, "%s: give: %s has no well-known slot (name, log, console, init)",
                       p->name, name);
            } else {
                report(c, p->line, "%s: %s: no program named '%s'", p->name, kw, name);
            }
            i = j + 1;
        }
    }
}

unsigned conf_parse(struct boot_conf *c, const char *text, size_t len)
{
    memset(c, 0, sizeof(*c));
    unsigned line = 0;
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        parse_line(c, ++line, text + i, n);
        i = j + 1;
    }
    for (unsigned i = 0; i < c->nprogs; i++)
        resolve(c, i);
    return c->errors;
}

int conf_find(const struct boot_conf *c, const char *name, size_t len)
{
    for (unsigned i = 0; i < c->nprogs; i++)
        if (strlen(c->prog[i].name) == len && !memcmp(c->prog[i].name, name, len))
            return (int)i;
    return -1;
}

int conf_find_service(const struct boot_conf *c, const char *name, size_t len)
{
    for (unsigned i = 0; i < c->nprogs; i++)
        if (strlen(c->prog[i].as) == len && !memcmp(c->prog[i].as, name, len))
            return (int)i;
    return -1;
}

unsigned conf_override_run(struct boot_conf *c, const char *list)
{
    unsigned before = c->errors;
    struct conf_prog runs[CONF_MAX_PROGS];
    char refs[CONF_MAX_PROGS][2][256];
    unsigned nruns = 0, n = 0;
    /* Keep the servers in order, the run entries aside as templates. */
    for (unsigned i = 0; i < c->nprogs; i++) {
        if (c->prog[i].kind == CONF_RUN) {
            runs[nruns] = c->prog[i];
            memcpy(refs[nruns++], c->refs[i], sizeof(refs[0]));
        } else {
            if (n != i) {
                c->prog[n] = c->prog[i];
                memcpy(c->refs[n], c->refs[i], sizeof(c->refs[0]));
            }
            n++;
        }
    }
    unsigned servers = n;
    c->nprogs = n;
    size_t len = strlen(list);
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && list[j] != LIST_SEP)
            j++;
        struct word name = {list + i, j - i};
        i = j + 1;
        if (!valid_name(name.p, name.n) || word_is(name, "init")) {
            report(c, 0, "init.run: bad program name '%.*s'", (int)(name.n > 40 ? 40 : name.n),
                   name.p);
            continue;
        }
        if (conf_find(c, name.p, name.n) >= 0) {
            report(c, 0, "init.run: %.*s named twice or already a server", (int)name.n, name.p);
            continue;
        }
        if (c->nprogs == CONF_MAX_PROGS) {
            report(c, 0, "init.run: more than %u programs", CONF_MAX_PROGS);
            break;
        }
        unsigned idx = c->nprogs++;
        unsigned t = 0;
        while (t < nruns && !word_is(name, runs[t].name))
            t++;
        if (t < nruns) {
            c->prog[idx] = runs[t];
            memcpy(c->refs[idx], refs[t], sizeof(refs[0]));
            continue;
        }
        prog_defaults(&c->prog[idx], CONF_RUN, name, 0);
        memcpy(c->prog[idx].as, c->prog[idx].name, sizeof(c->prog[idx].as));
        c->prog[idx].mem = RUN_MEM;
        c->prog[idx].untyped = RUN_UNTYPED;
        char *l = c->refs[idx][0];
        size_t off = 0;
        l[0] = 0;
        c->refs[idx][1][0] = 0;
        for (unsigned s = 0; s < servers; s++)
            off += (size_t)snprintf(l + off, sizeof(c->refs[0][0]) - off, "%s,", c->prog[s].as);
        snprintf(l + off, sizeof(c->refs[0][0]) - off, "init");
    }
    /* Indexes moved: resolve again, without repeating the file's reference errors. */
    unsigned errors = c->errors, nerr = c->nerr;
    for (unsigned i = 0; i < c->nprogs; i++)
        resolve(c, i);
    c->errors = errors;
    c->nerr = nerr;
    return c->errors - before;
}

uint64_t conf_visible(const struct boot_conf *c, unsigned i)
{
    uint64_t mask = 1;
    for (unsigned b = 0; b < c->nprogs; b++)
        if (c->prog[b].sees & (1ull << i))
            mask |= 1ull << (b + 1);
    return mask;
}
