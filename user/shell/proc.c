/*
 * The shell's children: spawn starts a program of the initramfs as a process
 * of its own (wf_process_create) in a child pool with a memory limit, gives it
 * an endpoint in its slot 16 and a copy of the shell's console cap; send and
 * sendcap Call that endpoint (the probe, user/probe/, answers every message
 * after printing it); kill destroys a child; ps and mem describe them; bench
 * times Call round trips to a probe with the time stamp counter.
 *
 * Children run at the shell's own priority in the background. Each has its own
 * control endpoint (its exit and fault endpoint); before every prompt the shell
 * polls them (NBRecv) and reports and destroys the children that exited or
 * faulted.
 */
#include <stdio.h>
#include <string.h>

#include "../probe/probe.h"
#include "lib/cpio.h"
#include "shell.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

#define MAX_CHILDREN 8
#define DEFAULT_MEM  (1ull << 20)
#define SEND_TRIES   1000 /* yields while waiting for a child to receive */

struct child {
    bool used;
    struct wf_process p;
    wf_cptr_t ep;   /* the shell's cap to the child's endpoint (original) */
    wf_cptr_t pool; /* the child's pool, everything of it comes from there */
    wf_word_t mem;  /* its limit */
};

static struct child children[MAX_CHILDREN]; /* child n is children[n - 1] */

static struct child *child_of(char **argv, int i)
{
    uint64_t n;
    if (!arg_number(argv, i, &n))
        return NULL;
    if (n < 1 || n > MAX_CHILDREN || !children[n - 1].used) {
        printf("%s: no child %llu (ps lists them)\n", argv[0], (unsigned long long)n);
        return NULL;
    }
    return &children[n - 1];
}

static bool any_child(void)
{
    for (unsigned i = 0; i < MAX_CHILDREN; i++)
        if (children[i].used)
            return true;
    return false;
}

static void destroy(struct child *c)
{
    wf_process_destroy(&sh.env, &c->p);
    if (c->ep) {
        wf_cnode_revoke(SELF, c->ep, DEPTH);
        wf_cnode_delete(SELF, c->ep, DEPTH);
    }
    if (c->pool) {
        wf_cnode_revoke(SELF, c->pool, DEPTH);
        wf_cnode_delete(SELF, c->pool, DEPTH);
    }
    memset(c, 0, sizeof(*c));
    /* The shell's slots are taken in order; once no child holds any, they are
     * all free again. */
    if (!any_child())
        sh.env.next_slot = sh.own_first;
}

bool kill_child(uint64_t n)
{
    if (n < 1 || n > MAX_CHILDREN || !children[n - 1].used)
        return false;
    struct child *c = &children[n - 1];
    printf("[%llu] %s killed\n", (unsigned long long)n, c->p.name);
    destroy(c);
    return true;
}

/* Prints how a child ended (ev from its control endpoint). */
static void print_end(unsigned n, const struct child *c, const struct wf_event *ev)
{
    if (ev->label == WF_EXIT_LABEL) {
        printf("[%u] %s exited with status %llu\n", n, c->p.name, (unsigned long long)ev->w[0]);
        return;
    }
    static const char *const kinds[] = {"no fault", "unknown syscall", "exception", "VM fault"};
    const char *kind = ev->label < 4 ? kinds[ev->label] : "fault";
    printf("[%u] %s faulted: %s (detail 0x%llx 0x%llx) at pc 0x%llx\n", n, c->p.name, kind,
           (unsigned long long)ev->w[WF_FAULT_WORD_DETAIL0],
           (unsigned long long)ev->w[WF_FAULT_WORD_DETAIL1],
           (unsigned long long)ev->w[WF_FAULT_WORD_PC]);
}

/* Polls c's control endpoint: true (and *ev) when it reported an exit or fault. */
static bool poll_end(const struct child *c, struct wf_event *ev)
{
    struct wf_msgregs m = {0};
    if (wf_sys_nbrecv(c->p.main.ctl, c->p.main.reply, &m) != WF_ERR_OK)
        return false;
    *ev = (struct wf_event){
        .label = wf_msginfo_label(m.info), .badge = m.badge, .len = wf_msginfo_length(m.info)};
    for (unsigned i = 0; i < WF_MSG_REG_WORDS; i++)
        ev->w[i] = m.w[i];
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (unsigned i = WF_MSG_REG_WORDS; i < ev->len && i < WF_FAULT_MSG_WORDS; i++)
        ev->w[i] = b->msg[i];
    return true;
}

void reap_children(void)
{
    for (unsigned i = 0; i < MAX_CHILDREN; i++) {
        struct wf_event ev;
        if (children[i].used && poll_end(&children[i], &ev)) {
            print_end(i + 1, &children[i], &ev);
            destroy(&children[i]);
        }
    }
}

/* Finds a regular file of the initramfs. */
static bool find_program(const char *name, const void **data, size_t *len)
{
    if (!sh.initramfs)
        return false;
    struct cpio_entry e;
    if (cpio_find(sh.initramfs, sh.initramfs_len, name, &e) != CPIO_OK || !cpio_is_regular(&e))
        return false;
    *data = e.data;
    *len = e.size;
    return true;
}

/* Starts a child; returns its number, or 0 (the error printed). */
static unsigned start_child(const char *prog, const wf_word_t args[WF_STARTINFO_ARGS],
                            wf_word_t mem)
{
    unsigned n = 0;
    while (n < MAX_CHILDREN && children[n].used)
        n++;
    if (n == MAX_CHILDREN) {
        printf("spawn: %u children already (kill one)\n", MAX_CHILDREN);
        return 0;
    }
    const void *elf;
    size_t len;
    if (!find_program(prog, &elf, &len)) {
        printf("spawn: no program '%s' in the initramfs\n", prog);
        return 0;
    }
    struct child *c = &children[n];
    memset(c, 0, sizeof(*c));
    c->used = true;
    c->mem = mem;
    const char *step = "pool";
    enum wf_error e = wf_env_create(&sh.env, WF_OBJ_POOL, mem, &c->pool);
    if (e == WF_ERR_OK) {
        /* Everything the child's process is made of is charged to its pool. */
        struct wf_spawn_env cenv = sh.env;
        cenv.pool = c->pool;
        step = "process";
        e = wf_process_create(&cenv, &c->p, elf, len, prog, sh.prio);
        sh.env.next_slot = cenv.next_slot;
        if (e == WF_ERR_OK) {
            step = "endpoint";
            e = wf_env_retype(&sh.env, WF_OBJ_ENDPOINT, 0, &c->ep);
        }
        if (e == WF_ERR_OK) {
            step = "caps";
            e = wf_process_give(&sh.env, &c->p, PROBE_SLOT_EP, c->ep, WF_RIGHT_READ, 0);
        }
        if (e == WF_ERR_OK) {
            wf_word_t type = 0;
            wf_cnode_describe(SELF, WF_CHILD_CONSOLE, DEPTH, &type, NULL, NULL, NULL);
            if (type)
                e = wf_process_give(&sh.env, &c->p, WF_CHILD_CONSOLE, WF_CHILD_CONSOLE,
                                    WF_RIGHTS_ALL, 0);
        }
        if (e == WF_ERR_OK) {
            step = "memory";
            wf_word_t used = 0;
            wf_pool_info(c->pool, &used, NULL, NULL, NULL);
            e = wf_process_give_pool(&cenv, &c->p, mem > used ? mem - used : 0, NULL);
        }
        if (e == WF_ERR_OK) {
            step = "start";
            e = wf_process_start(&cenv, &c->p, args);
        }
    }
    if (e != WF_ERR_OK) {
        printf("spawn: %s: %s failed: %s\n", prog, step, wf_error_name(e));
        destroy(c);
        return 0;
    }
    printf("[%u] %s started (memory limit %llu bytes)\n", n + 1, prog, (unsigned long long)mem);
    return n + 1;
}

void cmd_spawn(int argc, char **argv)
{
    wf_word_t args[WF_STARTINFO_ARGS] = {0};
    unsigned nargs = 0;
    uint64_t mem = DEFAULT_MEM;
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], "mem=", 4) == 0) {
            if (!sh_size(argv[i] + 4, &mem) || mem == 0) {
                printf("spawn: bad size '%s' (a number with K, M or G)\n", argv[i] + 4);
                usage(argv[0]);
                return;
            }
            continue;
        }
        if (nargs == WF_STARTINFO_ARGS) {
            printf("spawn: at most %u arguments\n", WF_STARTINFO_ARGS);
            return;
        }
        if (!arg_number(argv, i, &args[nargs++]))
            return;
    }
    start_child(argv[1], args, mem);
}

/* Waits (yielding to the children, which run at the shell's priority) until
 * child c is waiting in a receive. */
static bool wait_receiving(unsigned n, struct child *c)
{
    for (unsigned i = 0; i < SEND_TRIES; i++) {
        wf_word_t state = 0;
        if (wf_tcb_describe(c->p.main.tcb, &state, NULL, NULL, NULL) != WF_ERR_OK)
            break;
        if (state == WF_THREAD_STATE_BLOCKED_RECV)
            return true;
        struct wf_event ev;
        if (poll_end(c, &ev)) {
            print_end(n, c, &ev);
            destroy(c);
            return false;
        }
        wf_sys_yield();
    }
    printf("child %u is not receiving (is it a probe?)\n", n);
    return false;
}

/* Calls child c with a probe message; prints the child's error if it answers one. */
static void call_child(struct child *c, wf_word_t label, wf_word_t word, wf_cptr_t cap)
{
    unsigned n = (unsigned)(c - children) + 1;
    if (!wait_receiving(n, c))
        return;
    struct wf_msgregs m = {.info = wf_msginfo(label, cap ? 1 : 0, 1), .w = {word}};
    if (cap)
        wf_ipc_buffer()->caps_or_badges[0] = cap;
    wf_word_t e = wf_sys_call(c->ep, &m);
    if (e == WF_ERR_OK)
        e = wf_msginfo_label(m.info);
    if (e != WF_ERR_OK)
        print_error("send", e, m.w, SH_CTX_ANY);
}

void cmd_send(int argc, char **argv)
{
    struct child *c = child_of(argv, 1);
    if (!c)
        return;
    uint64_t v;
    if (strcmp(argv[2], "check") == 0) {
        if (argc != 4) {
            usage(argv[0]);
            return;
        }
        if (arg_number(argv, 3, &v))
            call_child(c, PROBE_CHECK, v, 0);
        return;
    }
    if (argc != 3) {
        usage(argv[0]);
        return;
    }
    if (arg_number(argv, 2, &v))
        call_child(c, PROBE_VALUE, v, 0);
}

void cmd_sendcap(int argc, char **argv)
{
    (void)argc;
    struct child *c = child_of(argv, 1);
    uint64_t slot;
    if (!c || !arg_number(argv, 2, &slot))
        return;
    wf_word_t type = 0;
    wf_word_t e = wf_cnode_describe(SELF, slot, DEPTH, &type, NULL, NULL, NULL);
    if (e != WF_ERR_OK || !type) {
        printf("sendcap: slot %llu is %s\n", (unsigned long long)slot,
               e == WF_ERR_OK ? "empty" : "not a slot of the shell");
        return;
    }
    call_child(c, PROBE_CAP, 0, slot);
}

void cmd_ps(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("children of the shell:\n");
    bool any = false;
    for (unsigned i = 0; i < MAX_CHILDREN; i++) {
        struct child *c = &children[i];
        if (!c->used)
            continue;
        wf_word_t state = 0, prio = 0, used = 0;
        wf_tcb_describe(c->p.main.tcb, &state, &prio, NULL, NULL);
        wf_pool_info(c->pool, &used, NULL, NULL, NULL);
        printf("  [%u] %-12s %-20s prio %-3llu pool %llu of %llu bytes\n", i + 1, c->p.name,
               sh_thread_state_name(state), (unsigned long long)prio, (unsigned long long)used,
               (unsigned long long)c->mem);
        any = true;
    }
    if (!any)
        printf("  none\n");
    list_programs(false);
}

static void print_pool(const char *who, wf_cptr_t pool)
{
    wf_word_t used = 0, limit = 0, objects = 0, free = 0;
    enum wf_error e = wf_pool_info(pool, &used, &limit, &objects, &free);
    if (e != WF_ERR_OK) {
        printf("  %-16s no pool (%s)\n", who, wf_error_name(e));
        return;
    }
    printf("  %-16s used %llu of %llu bytes, %llu objects, %llu free\n", who,
           (unsigned long long)used, (unsigned long long)limit, (unsigned long long)objects,
           (unsigned long long)free);
}

void cmd_mem(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("pools:\n");
    print_pool("shell", WF_CHILD_POOL);
    for (unsigned i = 0; i < MAX_CHILDREN; i++) {
        if (children[i].used) {
            char who[48];
            snprintf(who, sizeof(who), "[%u] %s", i + 1, children[i].p.name);
            print_pool(who, children[i].pool);
        }
    }
    wf_word_t paddr, bits, device, free;
    if (wf_untyped_describe(WF_CHILD_UNTYPED, &paddr, &bits, &device, &free) == WF_ERR_OK)
        printf("untyped (slot %u): %llu of %llu bytes free\n", WF_CHILD_UNTYPED,
               (unsigned long long)free, (unsigned long long)(1ull << bits));
    list_programs(true);
#ifdef WEFT_DEBUG
    static const char *const names[WF_STAT_COUNT] = {
        "ipc fast path", "ipc slow path",   "vm faults",      "superpage promotions",
        "demotions",     "2M reservations", "irqs delivered",
    };
    printf("kernel counters (debug build):\n");
    for (unsigned i = 0; i < WF_STAT_COUNT; i++) {
        wf_word_t v = 0;
        if (wf_debug_stat(i, &v) == WF_ERR_OK)
            printf("  %-22s %llu\n", names[i], (unsigned long long)v);
    }
#else
    printf("kernel counters: not in a release build (DEBUG_STAT is a debug call)\n");
#endif
}

static inline uint64_t rdtsc(void)
{
    return wf_cycles();
}

void cmd_bench(int argc, char **argv)
{
    uint64_t rounds = 1000;
    if (argc == 2 && (!arg_number(argv, 1, &rounds) || rounds == 0)) {
        if (rounds == 0)
            usage(argv[0]);
        return;
    }
    const wf_word_t args[WF_STARTINFO_ARGS] = {0};
    unsigned n = start_child("probe", args, DEFAULT_MEM);
    if (!n)
        return;
    struct child *c = &children[n - 1];
    if (!wait_receiving(n, c))
        return;
    uint64_t best = UINT64_MAX, total = 0;
    for (uint64_t i = 0; i < rounds; i++) {
        struct wf_msgregs m = {.info = wf_msginfo(PROBE_PING, 0, 0)};
        uint64_t t0 = rdtsc();
        wf_word_t e = wf_sys_call(c->ep, &m);
        uint64_t dt = rdtsc() - t0;
        if (e != WF_ERR_OK) {
            print_error("bench", e, m.w, SH_CTX_ANY);
            break;
        }
        total += dt;
        if (dt < best)
            best = dt;
    }
    printf("bench: %llu Call/ReplyRecv round trips shell <-> probe (two address spaces):\n"
           "  mean %llu, best %llu time stamp counter ticks per round trip\n"
           "  (rdtsc: CPU cycles on hardware; under QEMU TCG without -icount, host time "
           "scaled, not guest instructions - make bench-ipc counts those)\n",
           (unsigned long long)rounds, (unsigned long long)(total / rounds),
           (unsigned long long)best);
    kill_child(n);
}
