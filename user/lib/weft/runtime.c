/*
 * The Weft user runtime: start, exit, console, per-thread records (see
 * wf/runtime.h), and wf_call(), the invocation primitive under every stub of
 * weft/invoke.h.
 *
 * Console output has three routes (wf_console_write). The root task prints with
 * the kernel's CONSOLE_WRITE. A program started with a start info prints
 * through the console server (console.Write on WF_CHILD_CONSOLE), reconnecting
 * through the name server once when the server's cap is gone (wf/client.h);
 * whether it has a console at all is found out by its first write: with no
 * cap in WF_CHILD_CONSOLE and none to be had from a name server, it keeps the
 * kernel's route from then on (where a debug build falls back to DEBUG_PUTC).
 * A program may instead name a sink of its own (the console server itself,
 * which must not call itself).
 *
 * wf_call builds one Call: message info (label, extra caps, length), words 0-3
 * in registers, words 4.. in the IPC buffer's msg[4..], extra caps' CPtrs in
 * caps_or_badges[]. The reply comes back the same way: words 0-3 in registers,
 * the rest in msg[4..]. Everything that can be refused before the system call
 * (too many words or caps, no IPC buffer where one is needed) is refused with
 * WF_ERR_INVALID_ARGUMENT without entering the kernel.
 */
#include "wf/runtime.h"
#include "wf/client.h"
#include "wf/proto/console.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"
#include "weft/bootinfo.h"
#include "weft/invoke.h"

/* The 2^47 layout until the start code sets this program's (wf/layout.h). */
struct wf_layout wf_layout = WF_LAYOUT_INIT(WF_LAYOUT_TOP_MAX, WF_LAYOUT_TOP_MAX);

int wf_layout_set(wf_word_t user_top)
{
    if (user_top < WF_LAYOUT_TOP_MIN)
        return -1;
    wf_layout = wf_layout_for(user_top);
    return 0;
}

static struct wf_thread_local main_thread;
static uintptr_t stacks_base, stacks_size;

/* The console route (see above): KERNEL for the root task and for programs
 * found to have no console server; PROBE until a started program's first
 * write; SERVER once a write went through the console server. */
static enum { CONSOLE_KERNEL, CONSOLE_PROBE, CONSOLE_SERVER } console_route;
static void (*console_sink)(const char *s, size_t len);

void wf_exit(int status)
{
    struct wf_thread_local *self = wf_thread_self();
    if (self->exit_ep) {
        struct wf_msgregs m = {.info = wf_msginfo(WF_EXIT_LABEL, 0, 1),
                               .w = {(wf_word_t)(unsigned)status}};
        wf_sys_send(self->exit_ep, &m);
        /* Until the parent destroys it; a parent that resumes it finds it here. */
        for (;;)
            wf_tcb_suspend(self->self_tcb);
    }
    wf_debug_halt((wf_word_t)(unsigned)status);
}

const struct wf_startinfo *wf_start_info(uintptr_t arg, uint64_t magic)
{
    if (magic != WF_STARTINFO_MAGIC) {
        const struct wf_bootinfo *bi = (const struct wf_bootinfo *)arg;
        if (bi && bi->magic == WF_BOOTINFO_MAGIC)
            wf_layout_set(bi->user_top);
        return NULL;
    }
    const struct wf_startinfo *si = (const struct wf_startinfo *)arg;
    wf_layout_set(si->user_top);
    struct wf_thread_local *self = wf_thread_self();
    self->ipc_buffer = (struct wf_ipc_buffer *)(uintptr_t)si->ipc_buffer;
    self->exit_ep = si->exit_ep;
    self->self_tcb = si->self_tcb;
    console_route = CONSOLE_PROBE;
    return si;
}

/* CONSOLE_WRITE, 32 bytes a call. */
static void kernel_write(const char *s, size_t len)
{
    while (len) {
        size_t n = len < 8 * WF_MSG_REG_WORDS ? len : 8 * WF_MSG_REG_WORDS;
        struct wf_msgregs m = {0};
        for (size_t i = 0; i < n; i++)
            m.w[i / 8] |= (wf_word_t)(unsigned char)s[i] << (8 * (i % 8));
        wf_word_t e = wf_syscall(WF_SYS_CONSOLE_WRITE, n, 0, &m);
#ifdef WEFT_DEBUG
        /* Not the root task's CSpace: a debug build still has DEBUG_PUTC. */
        for (size_t i = 0; e != WF_ERR_OK && i < n; i++)
            wf_debug_putc(s[i]);
#else
        (void)e; /* a release build's console is the root task's only */
#endif
        s += n;
        len -= n;
    }
}

/* One console.Write of n <= TEXT_MAX bytes, reconnecting once; true when the
 * server took them. */
static bool server_write(const char *s, size_t n)
{
    wf_word_t e = wfp_console_write(WF_CHILD_CONSOLE, s, n, NULL);
    if (e == WF_ERR_OK)
        return true;
    if (!wf_reconnect_error(e) || wf_reconnect(WF_CHILD_CONSOLE, "console") != WF_ERR_OK)
        return false;
    return wfp_console_write(WF_CHILD_CONSOLE, s, n, NULL) == WF_ERR_OK;
}

void wf_console_write(const char *s, size_t len)
{
    if (console_sink) {
        console_sink(s, len);
        return;
    }
    while (len && console_route != CONSOLE_KERNEL) {
        size_t n = len < WFP_CONSOLE_TEXT_MAX ? len : WFP_CONSOLE_TEXT_MAX;
        if (server_write(s, n)) {
            console_route = CONSOLE_SERVER;
        } else if (console_route == CONSOLE_PROBE) {
            console_route = CONSOLE_KERNEL; /* no console server: the rest below */
            break;
        } else {
            kernel_write(s, n); /* the server is away: this chunk the old way */
        }
        s += n;
        len -= n;
    }
    kernel_write(s, len);
}

void wf_console_set_sink(void (*sink)(const char *s, size_t len))
{
    console_sink = sink;
}

struct wf_thread_local *wf_thread_local_for(uintptr_t sp)
{
    if (sp - stacks_base < stacks_size)
        return (struct wf_thread_local *)(sp & ~(uintptr_t)(WF_THREAD_STACK_SIZE - 1));
    return &main_thread;
}

struct wf_thread_local *wf_thread_self(void)
{
    return wf_thread_local_for((uintptr_t)__builtin_frame_address(0));
}

struct wf_ipc_buffer *wf_ipc_buffer(void)
{
    return wf_thread_self()->ipc_buffer;
}

void wf_set_ipc_buffer(struct wf_ipc_buffer *buf)
{
    wf_thread_self()->ipc_buffer = buf;
}

int wf_thread_stacks(void *base, size_t size)
{
    uintptr_t b = (uintptr_t)base;
    if ((b | size) & (WF_THREAD_STACK_SIZE - 1) || b + size < b)
        return -1;
    stacks_base = b;
    stacks_size = size;
    return 0;
}

uintptr_t wf_thread_prepare(void *stack, struct wf_ipc_buffer *buf, void *user)
{
    uintptr_t s = (uintptr_t)stack;
    if ((s & (WF_THREAD_STACK_SIZE - 1)) || s - stacks_base >= stacks_size)
        return 0;
    struct wf_thread_local *t = (struct wf_thread_local *)s;
    t->ipc_buffer = buf;
    t->user = user;
    t->exit_ep = t->self_tcb = 0;
    return s + WF_THREAD_STACK_SIZE - 8;
}

wf_word_t wf_call(wf_cptr_t cap, wf_word_t label, const wf_word_t *words, unsigned nwords,
                  const wf_cptr_t *caps, unsigned ncaps, wf_word_t *reply, unsigned nreply)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    if (nwords > WF_MSG_MAX_WORDS || ncaps > WF_MSG_MAX_XCAPS ||
        (!b && (nwords > WF_MSG_REG_WORDS || ncaps > 0 || nreply > WF_MSG_REG_WORDS)))
        return WF_ERR_INVALID_ARGUMENT;
    struct wf_msgregs m = {.info = wf_msginfo(label, ncaps, nwords)};
    for (unsigned i = 0; i < nwords; i++) {
        if (i < WF_MSG_REG_WORDS)
            m.w[i] = words[i];
        else
            b->msg[i] = words[i];
    }
    for (unsigned i = 0; i < ncaps; i++)
        b->caps_or_badges[i] = caps[i];

    wf_word_t err = wf_sys_call(cap, &m);
    wf_word_t result = err != WF_ERR_OK ? err : wf_msginfo_label(m.info);
    /* Reply words: the results, or an invocation error's details (the reply's
     * label is then the error). A failed system call carries none. */
    unsigned len = wf_msginfo_length(m.info);
    if (err != WF_ERR_OK && wf_msginfo_label(m.info) != err)
        len = 0;
    if (len > WF_MSG_MAX_WORDS)
        len = WF_MSG_MAX_WORDS;
    for (unsigned i = 0; i < nreply; i++) {
        if (i >= len)
            reply[i] = 0;
        else
            reply[i] = i < WF_MSG_REG_WORDS ? m.w[i] : b->msg[i];
    }
    return result;
}
