/*
 * Random invocations against the real kernel, from a confined process.
 *
 * The fuzzer is a child process with a CNode and a VSpace of its own, made
 * from the suite's own ELF (utest) (so its code is this file's) and started at fuzz_child
 * instead of its entry, at TEST_CHILD_PRIO, below the runner. Its CNode
 * holds nothing of the runner's: the caps spawn gives a child (its TCB, VSpace
 * and exit endpoint) are deleted before it starts, and what it gets is made for
 * it alone: an Untyped retyped from an Untyped of the test (FU), a pool and a
 * child pool made from a pool of the test (FP), VMOs (one mapped), a VSpace,
 * CNodes, TCBs, endpoints (one badged), a notification, a Reply and an IOPort
 * cap over the POST port 0x80, plus its own CNode cap.
 *
 * Children are made one after the other, each making FUZZ_EPOCH of the fuzz.n
 * (default FUZZ_DEFAULT_N) random system calls, so that a child whose random
 * deletions have emptied its CNode is replaced by a freshly equipped one. The
 * calls come from a fixed seed (fuzz.seed, plus a step per child): Calls with labels from the generated ABI (every
 * method, and labels that name none), random CPtrs (mostly slots of its CNode,
 * sometimes any word), random message lengths, info bits and words (slots,
 * depths, object types, sizes, page-aligned addresses, rights, guards, raw
 * words), up to three extra caps, and random receive slots; and the other
 * non-blocking calls (NBSend with cap transfer, NBRecv with a Reply cap,
 * Signal, Poll, Yield). It never blocks: before each call it asks
 * DEBUG_CAP_IDENTIFY what the CPtr names and does not Call an endpoint.
 * When done it records its error histogram in memory and executes ud2; the
 * fault reaches the test on the child's fault endpoint, and the test reads the
 * histogram out of the child's VSpace (VSpace_Read) and prints it as TAP
 * comments. No panic and no hang (the harness's timeout) is the first check.
 *
 * After each child the test destroys it and revokes FP and FU: FP must report
 * zero usage and no object, FU all of its memory free, and the test's pool must
 * be back at the usage it had before the child was made.
 *
 * make fuzz-guest N=10000000 runs it longer (the command line's fuzz.n; see
 * docs/fuzzing.md).
 */
#include <stdio.h>
#include <string.h>

#include "tarch.h"
#include "tutil.h"
#include "weft/invocations.h"

#define FUZZ_DEFAULT_N    200000u
#define FUZZ_DEFAULT_SEED 0x5745465446555a5aull
#define FUZZ_EPOCH        5000u                 /* calls per child: a fresh set of caps each time */
#define FUZZ_DONE         0x454e4f44205a5546ull /* "FUZ DONE" */

/* The child's CNode (radix WF_CHILD_CNODE_RADIX): what it is given. */
enum {
    C_UT = 16,  /* Untyped 2^18, from FU */
    C_POOL,     /* pool (original) with a 2 MiB quota, from FP */
    C_VMO,      /* 64 KiB VMO, mapped at FUZZ_VA in C_VS */
    C_VMO2,     /* 8 KiB VMO */
    C_VS,       /* VSpace */
    C_CNODE,    /* CNode, radix 3 */
    C_TCB,      /* TCB from the pool */
    C_EP,       /* endpoint */
    C_EP_BADGE, /* C_EP minted with a badge */
    C_NTFN,     /* notification */
    C_REPLY,    /* Reply */
    C_SUBPOOL,  /* child pool of C_POOL, 256 KiB */
    C_TCB2,     /* TCB from FU */
    C_EP2,      /* endpoint from FU */
    C_PORT,     /* IOPort [0x80, 0x80] */
    C_POOLCOPY, /* a copy of FP's cap (reports, cannot create) */
    C_END,
};
#define FUZZ_VA 0x10000000ull

/* What the child leaves for the test to read. */
struct fuzz_out {
    wf_word_t done; /* FUZZ_DONE once every call was made */
    wf_word_t n;
    wf_word_t err[WF_ERR_COUNT + 1]; /* per error code; the last: anything else */
    wf_word_t sys[6];                /* calls made: Call, NBSend, NBRecv, Signal, Poll, Yield */
};
static struct fuzz_out fuzz_out;

static const char *const sys_names[6] = {"Call", "NBSend", "NBRecv", "Signal", "Poll", "Yield"};

/* Every method label of the generated ABI. */
static const wf_word_t labels[] = {
    WF_LABEL_UNTYPED_RETYPE,
    WF_LABEL_UNTYPED_DESCRIBE,
    WF_LABEL_CNODE_COPY,
    WF_LABEL_CNODE_MINT,
    WF_LABEL_CNODE_MOVE,
    WF_LABEL_CNODE_MUTATE,
    WF_LABEL_CNODE_SWAP,
    WF_LABEL_CNODE_DELETE,
    WF_LABEL_CNODE_REVOKE,
    WF_LABEL_CNODE_DESCRIBE,
    WF_LABEL_TCB_SET_CSPACE,
    WF_LABEL_TCB_SET_FAULT_ENDPOINT,
    WF_LABEL_TCB_BIND_NOTIFICATION,
    WF_LABEL_TCB_UNBIND_NOTIFICATION,
    WF_LABEL_TCB_CONFIGURE,
    WF_LABEL_TCB_SET_VSPACE,
    WF_LABEL_TCB_SET_PRIORITY,
    WF_LABEL_TCB_SET_MCP,
    WF_LABEL_TCB_READ_REGISTERS,
    WF_LABEL_TCB_WRITE_REGISTERS,
    WF_LABEL_TCB_RESUME,
    WF_LABEL_TCB_SUSPEND,
    WF_LABEL_TCB_SET_ABI,
    WF_LABEL_TCB_DESCRIBE,
    WF_LABEL_POOL_CREATE,
    WF_LABEL_POOL_CREATE_CONTIG,
    WF_LABEL_POOL_INFO,
    WF_LABEL_POOL_CREATE_DEVICE,
    WF_LABEL_VMO_READ,
    WF_LABEL_VMO_WRITE,
    WF_LABEL_VMO_RESIZE,
    WF_LABEL_VMO_CLONE,
    WF_LABEL_VMO_DESCRIBE,
    WF_LABEL_VMO_PRESENT,
    WF_LABEL_VSPACE_MAP,
    WF_LABEL_VSPACE_UNMAP,
    WF_LABEL_VSPACE_PROTECT,
    WF_LABEL_VSPACE_LOOKUP,
    WF_LABEL_VSPACE_READ,
    WF_LABEL_VSPACE_WRITE,
    WF_LABEL_VSPACE_MAPPING,
    WF_LABEL_IRQCONTROL_GET,
    WF_LABEL_IRQHANDLER_SET_NOTIFICATION,
    WF_LABEL_IRQHANDLER_CLEAR_NOTIFICATION,
    WF_LABEL_IRQHANDLER_ACK,
    WF_LABEL_IRQHANDLER_DESCRIBE,
    WF_LABEL_IOPORT_IN,
    WF_LABEL_IOPORT_OUT,
    WF_LABEL_IOPORT_ISSUE,
    WF_LABEL_IOPORT_DESCRIBE,
};
#define NLABELS (sizeof(labels) / sizeof(labels[0]))

/* --- the child ------------------------------------------------------------------ */

static uint64_t rng_state;

/* splitmix64: a fixed sequence for a seed. */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The label ranges of abi/weft.def (stable): the methods of each object type. */
static bool label_fits(wf_word_t label, wf_word_t type)
{
    switch (type) {
    case WF_OBJ_UNTYPED:
        return label < 0x10;
    case WF_OBJ_CNODE:
        return label >= 0x10 && label < 0x20;
    case WF_OBJ_TCB:
        return label >= 0x20 && label < 0x40;
    case WF_OBJ_POOL:
        return label >= 0x40 && label < 0x48;
    case WF_OBJ_VMO:
        return label >= 0x48 && label < 0x50;
    case WF_OBJ_VSPACE:
        return label >= 0x50 && label < 0x60;
    case WF_OBJ_IOPORT:
        return label >= 0x90 && label < 0x98;
    default:
        return true;
    }
}

/* A label: mostly a method of the invoked cap's type, else any method, a label
 * of no method, or any label the info word holds. */
static wf_word_t rnd_label(wf_word_t type)
{
    uint64_t r = rnd();
    switch (r % 16) {
    case 0:
        return (r >> 8) % (WF_LABEL_MAX + 17);
    case 1:
        return (r >> 8) & 0xfffffffffffffull;
    case 2:
    case 3:
        return labels[(r >> 8) % NLABELS];
    default:
        for (unsigned tries = 0; tries < 32; tries++) {
            wf_word_t l = labels[rnd() % NLABELS];
            if (label_fits(l, type))
                return l;
        }
        return labels[(r >> 8) % NLABELS];
    }
}

/* A CPtr: mostly a slot of the child's CNode that was given a cap (CPtr = slot
 * index at depth 64), else any slot near them, any word, or a slot with bits
 * past the guard. */
static wf_cptr_t rnd_cptr(void)
{
    uint64_t r = rnd();
    switch (r % 32) {
    case 0:
        return rnd();
    case 1:
        return (r >> 8) % 256;
    case 2:
        return ((r >> 8) % C_END) | (rnd() << 8);
    case 3:
    case 4:
    case 5:
    case 6:
        return (r >> 8) % (C_END + 8);
    case 7:
    case 8:
        return WF_CHILD_CNODE;
    default:
        return C_UT + (r >> 8) % (C_END - C_UT);
    }
}

/* A message word: numbers that mean something to some method, or noise. */
static wf_word_t rnd_word(void)
{
    uint64_t r = rnd(), v = r >> 8;
    switch (r % 16) {
    case 0:
        return v % (C_END + 8); /* a slot, a small count, an object type */
    case 1:
        return C_END + v % 8; /* an empty slot */
    case 2:
        return 64; /* a full-depth slot path */
    case 3:
        return v % 65; /* a depth */
    case 4:
        return 1ull << (v % 64);
    case 5:
        return (v % 64) * 0x1000;
    case 6:
        return FUZZ_VA + (v % 64) * 0x1000;
    case 7:
        return v % 8; /* rights */
    case 8:
        return WF_GUARD(v % 4, (v >> 2) % 64);
    case 9:
        return (v % 2) ? WF_RIGHTS_ALL : WF_CHILD_CNODE_RADIX;
    case 10:
        return ~0ull - (v % 0x2000);
    case 11:
        return v % 24; /* object types and small radixes */
    case 12:
        return 0x7ffffffff000ull - (v % 16) * 0x1000;
    default:
        return rnd();
    }
}

static void fuzz_one(struct wf_ipc_buffer *b)
{
    wf_cptr_t target = rnd_cptr();
    wf_word_t type = wf_debug_cap_identify(target);
    unsigned nwords = (unsigned)(rnd() % 8), ncaps = (unsigned)(rnd() % 4);
    if (rnd() % 8 == 0)
        nwords = (unsigned)(rnd() % 128);
    struct wf_msgregs m = {.info = wf_msginfo(rnd_label(type), ncaps, nwords & 0x7f)};
    if (rnd() % 16 == 0)
        m.info |= (rnd() % 8) << WF_MSGINFO_UNWRAP_SHIFT;
    for (unsigned i = 0; i < WF_MSG_REG_WORDS; i++)
        m.w[i] = rnd_word();
    for (unsigned i = WF_MSG_REG_WORDS; i < nwords && i < WF_MSG_MAX_WORDS; i++)
        b->msg[i] = rnd_word();
    for (unsigned i = 0; i < WF_MSG_MAX_XCAPS; i++)
        b->caps_or_badges[i] = rnd_cptr();
    b->receive_cnode = rnd() % 4 ? WF_CHILD_CNODE : rnd_cptr();
    b->receive_index = rnd() % 4 ? C_END + rnd() % 8 : rnd_word();
    b->receive_depth = rnd() % 4 ? 64 : rnd_word();

    unsigned which;
    uint64_t r = rnd() % 16;
    if (type == WF_OBJ_ENDPOINT)
        which = r < 8 ? 1 : 2; /* a Call would wait for a receiver */
    else if (type == WF_OBJ_NOTIFICATION)
        which = r < 8 ? 3 : 4;
    else
        which = r < 13 ? 0 : 1 + (unsigned)(r % 5);
    wf_word_t e;
    switch (which) {
    case 0:
        e = wf_sys_call(target, &m);
        break;
    case 1:
        e = wf_sys_nbsend(target, &m);
        break;
    case 2:
        e = wf_sys_nbrecv(target, rnd() % 2 ? C_REPLY : rnd_cptr(), &m);
        break;
    case 3:
        e = wf_sys_signal(target);
        break;
    case 4:
        e = wf_sys_poll(target, NULL);
        break;
    default:
        e = wf_sys_yield();
        break;
    }
    fuzz_out.sys[which]++;
    fuzz_out.err[e < WF_ERR_COUNT ? e : WF_ERR_COUNT]++;
}

/* The child's entry (its RIP is set here instead of _start): rdi is its start
 * info, the stack is as at a function's entry. Never returns: ud2 ends it. */
__attribute__((noreturn)) static void fuzz_child(uintptr_t si_addr)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)si_addr;
    struct wf_ipc_buffer *b = (struct wf_ipc_buffer *)(uintptr_t)si->ipc_buffer;
    wf_thread_self()->ipc_buffer = b;
    rng_state = si->arg[1];
    for (wf_word_t i = 0; i < si->arg[0]; i++)
        fuzz_one(b);
    fuzz_out.n = si->arg[0];
    fuzz_out.done = FUZZ_DONE;
    __builtin_trap();
}

/* --- the test --------------------------------------------------------------------- */

/* The number after "key=" in the command line, or def. */
static wf_word_t cmdline_number(const char *key, wf_word_t def)
{
    size_t klen = strlen(key);
    for (const char *p = test_bootinfo->cmdline; *p; p++) {
        if ((p == test_bootinfo->cmdline || p[-1] == ' ') && !strncmp(p, key, klen) &&
            p[klen] == '=') {
            wf_word_t v = 0;
            const char *d = p + klen + 1;
            bool hex = d[0] == '0' && d[1] == 'x';
            for (d += hex ? 2 : 0;; d++) {
                unsigned k;
                if (*d >= '0' && *d <= '9')
                    k = (unsigned)(*d - '0');
                else if (hex && *d >= 'a' && *d <= 'f')
                    k = (unsigned)(*d - 'a' + 10);
                else
                    break;
                v = v * (hex ? 16 : 10) + k;
            }
            return v;
        }
    }
    return def;
}

static uint64_t pool_usage(wf_cptr_t pool, wf_word_t *objects)
{
    wf_word_t u = ~0ull, l, o = ~0ull, f;
    if (wf_pool_info(pool, &u, &l, &o, &f) != WF_ERR_OK)
        return ~0ull;
    if (objects)
        *objects = o;
    return u;
}

/* Moves the cap in the test's slot from into slot to of the child's CNode. */
static enum wf_error give(struct wf_spawn_env *e, struct wf_process *p, wf_cptr_t from,
                          wf_word_t to)
{
    return wf_cnode_move(p->cnode, to, WF_CHILD_CNODE_RADIX, e->cnode, from, 64);
}

/* The child's caps (FU, FP made by the caller): every object of enum C_*. */
static enum wf_error equip(struct wf_spawn_env *e, struct wf_process *p, wf_cptr_t fu, wf_cptr_t fp)
{
    const wf_cptr_t cn = p->cnode, r = WF_CHILD_CNODE_RADIX;
    wf_cptr_t gp = wf_env_slot(e), s[5];
    for (unsigned i = 0; i < 5; i++)
        s[i] = wf_env_slot(e);
    enum wf_error err = WF_ERR_OK;
#define STEP(x)                                                                                    \
    do {                                                                                           \
        if (err == WF_ERR_OK)                                                                      \
            err = (x);                                                                             \
    } while (0)
    STEP(wf_untyped_retype(fu, WF_OBJ_UNTYPED, 18, cn, 0, 0, C_UT, 1));
    STEP(wf_untyped_retype(fu, WF_OBJ_TCB, 0, cn, 0, 0, C_TCB2, 1));
    STEP(wf_untyped_retype(fu, WF_OBJ_ENDPOINT, 0, cn, 0, 0, C_EP2, 1));
    STEP(wf_pool_create(fp, WF_OBJ_POOL, 2u << 20, e->cnode, gp, 64));
    STEP(wf_pool_create(gp, WF_OBJ_VMO, 1u << 16, e->cnode, s[0], 64));
    STEP(wf_pool_create(gp, WF_OBJ_VSPACE, 0, e->cnode, s[1], 64));
    STEP(wf_vspace_map(s[1], s[0], FUZZ_VA, 0, 1u << 16, WF_VM_READ | WF_VM_WRITE));
    STEP(wf_pool_create(gp, WF_OBJ_VMO, 2 * 4096, cn, C_VMO2, r));
    STEP(wf_pool_create(gp, WF_OBJ_CNODE, 3, cn, C_CNODE, r));
    STEP(wf_pool_create(gp, WF_OBJ_TCB, 0, cn, C_TCB, r));
    STEP(wf_pool_create(gp, WF_OBJ_ENDPOINT, 0, cn, C_EP, r));
    STEP(wf_cnode_mint(cn, C_EP_BADGE, r, cn, C_EP, r, WF_RIGHTS_ALL, 0x42));
    STEP(wf_pool_create(gp, WF_OBJ_NOTIFICATION, 0, cn, C_NTFN, r));
    STEP(wf_pool_create(gp, WF_OBJ_REPLY, 0, cn, C_REPLY, r));
    STEP(wf_pool_create(gp, WF_OBJ_POOL, 256u << 10, cn, C_SUBPOOL, r));
    STEP(wf_ioport_issue(WF_ROOT_IOPORT, 0x80, 0x80, cn, C_PORT, r));
    STEP(wf_cnode_copy(cn, C_POOLCOPY, r, e->cnode, fp, 64, WF_RIGHTS_ALL));
    STEP(give(e, p, s[0], C_VMO));
    STEP(give(e, p, s[1], C_VS));
    STEP(give(e, p, gp, C_POOL));
    /* Nothing of the runner's: not even the child's own TCB, VSpace, exit endpoint. */
    STEP(wf_cnode_delete(cn, WF_CHILD_TCB, r));
    STEP(wf_cnode_delete(cn, WF_CHILD_VSPACE, r));
    STEP(wf_cnode_delete(cn, WF_CHILD_EXIT_EP, r));
#undef STEP
    return err;
}

/* One child's run: calls system calls with rng seed, with caps made from the
 * untyped fu and the pool fp (both unused before and after); its histogram is
 * added to *sum. Every slot of e it takes is empty again when it returns (so
 * the caller can take them again). Returns false after recording a failure. */
static bool epoch(struct wf_spawn_env *e, const void *elf, size_t len, wf_cptr_t fu, wf_cptr_t fp,
                  wf_word_t calls, wf_word_t seed, struct fuzz_out *sum)
{
#define CHECK_ERR(x)                                                                               \
    do {                                                                                           \
        enum wf_error ce_ = (x);                                                                   \
        if (ce_ != WF_ERR_OK) {                                                                    \
            test_fail(__FILE__, __LINE__, "%s: %s", #x, wf_error_name(ce_));                       \
            return false;                                                                          \
        }                                                                                          \
    } while (0)
#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        unsigned long long ca_ = (a), cb_ = (b);                                                   \
        if (ca_ != cb_) {                                                                          \
            test_fail(__FILE__, __LINE__, "%s == %s: %#llx != %#llx", #a, #b, ca_, cb_);           \
            return false;                                                                          \
        }                                                                                          \
    } while (0)
    const uint64_t env_before = pool_usage(e->pool, NULL);
    CHECK_EQ(pool_usage(fp, NULL), 0);

    static struct wf_process p;
    CHECK_ERR(wf_process_create(e, &p, elf, len, "fuzz", TEST_CHILD_PRIO));
    CHECK_ERR(equip(e, &p, fu, fp));
    /* Enter at fuzz_child (the same address in the child: the same ELF). */
    /* The stack as a call leaves it (x86-64: a return address pushed; aarch64:
     * 16-byte aligned, the link register holds it); pc and sp written apart
     * (their order differs between architectures: decision 150). */
#ifdef __x86_64__
    const wf_word_t entry_sp = WF_CHILD_STACK_TOP - 8;
#else
    const wf_word_t entry_sp = WF_CHILD_STACK_TOP - 16;
#endif
    CHECK_ERR(wf_tcb_write_registers(p.main.tcb, WF_FAULT_WORD_PC, 1,
                                     (wf_word_t)(uintptr_t)fuzz_child, 0, 0, 0));
    CHECK_ERR(wf_tcb_write_registers(p.main.tcb, WF_FAULT_WORD_SP, 1, entry_sp, 0, 0, 0));
    const wf_word_t args[WF_STARTINFO_ARGS] = {calls, seed};
    CHECK_ERR(wf_process_start(e, &p, args));

    struct wf_event ev;
    CHECK_ERR(wf_thread_wait(&p.main, &ev));
    CHECK_EQ(ev.label, WF_FAULT_TYPE_USER_EXCEPTION);
    CHECK_EQ(ev.w[WF_FAULT_WORD_DETAIL0],
             TARCH_TRAP_KIND); /* the __builtin_trap at the end (ud2, brk) */
    static struct fuzz_out got;
    CHECK_ERR(wf_vspace_read(p.vspace, (wf_word_t)(uintptr_t)&fuzz_out, sizeof(got), e->vspace,
                             (wf_word_t)(uintptr_t)&got));
    CHECK_EQ(got.done, FUZZ_DONE);
    CHECK_EQ(got.n, calls);
    sum->n += got.n;
    for (unsigned i = 0; i <= WF_ERR_COUNT; i++)
        sum->err[i] += got.err[i];
    for (unsigned i = 0; i < 6; i++)
        sum->sys[i] += got.sys[i];

    /* Everything it had goes: usage returns exactly. */
    wf_process_destroy(e, &p);
    CHECK_ERR(wf_cnode_revoke(e->cnode, fp, 64));
    wf_word_t objects = ~0ull;
    CHECK_EQ(pool_usage(fp, &objects), 0);
    CHECK_EQ(objects, 0);
    CHECK_ERR(wf_cnode_revoke(e->cnode, fu, 64));
    wf_word_t pa, bits, dev, free_bytes = 0;
    CHECK_ERR(wf_untyped_describe(fu, &pa, &bits, &dev, &free_bytes));
    CHECK_EQ(free_bytes, 1ull << 20);
    CHECK_EQ(pool_usage(e->pool, NULL), env_before);
    return true;
#undef CHECK_ERR
#undef CHECK_EQ
}

TEST(fuzz, random_invocations_confined)
{
#ifndef WEFT_DEBUG
    /* The child identifies each target with a debug call before it invokes it. */
    WF_TEST_DEBUG_ONLY("DEBUG_CAP_IDENTIFY");
#endif
    TEST_ENV(e);
    const wf_word_t n = cmdline_number("fuzz.n", FUZZ_DEFAULT_N);
    const wf_word_t seed = cmdline_number("fuzz.seed", FUZZ_DEFAULT_SEED);
    const void *elf;
    size_t len;
    TEST_ASSERT(wf_initramfs_find(test_bootinfo, "utest", &elf, &len),
                "no utest (this program) in the initramfs");
    static struct fuzz_out sum;
    memset(&sum, 0, sizeof(sum));
    const uint64_t env_before = pool_usage(e->pool, NULL);
    wf_cptr_t fu, fp;
    TEST_ASSERT_ERR(wf_env_retype(e, WF_OBJ_UNTYPED, 20, &fu), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_env_create(e, WF_OBJ_POOL, 4u << 20, &fp), WF_ERR_OK);
    const wf_word_t first = e->next_slot;
    unsigned epochs = 0;
    for (wf_word_t done = 0; done < n; done += FUZZ_EPOCH, epochs++) {
        wf_word_t calls = n - done < FUZZ_EPOCH ? n - done : FUZZ_EPOCH;
        if (!epoch(e, elf, len, fu, fp, calls, seed + epochs * 0x9e3779b97f4a7c15ull, &sum))
            return;
        e->next_slot = first; /* every slot the epoch took is empty again */
    }

    printf("# fuzz: %llu system calls in %u children of %u, seed %#llx\n",
           (unsigned long long)sum.n, epochs, FUZZ_EPOCH, (unsigned long long)seed);
    for (unsigned i = 0; i < 6; i++)
        printf("# fuzz: %-7s %llu\n", sys_names[i], (unsigned long long)sum.sys[i]);
    wf_word_t total = 0;
    for (unsigned i = 0; i <= WF_ERR_COUNT; i++) {
        total += sum.err[i];
        if (sum.err[i])
            printf("# fuzz: %-18s %llu\n", i < WF_ERR_COUNT ? wf_error_name(i) : "(other)",
                   (unsigned long long)sum.err[i]);
    }
    TEST_ASSERT_EQ(total, n);
    TEST_ASSERT_EQ(sum.err[WF_ERR_COUNT], 0);        /* only errors of the ABI */
    TEST_ASSERT_EQ(sum.err[WF_ERR_PREEMPTED], 0);    /* never delivered */
    TEST_ASSERT(n < 1000 || sum.err[WF_ERR_OK] > 0); /* some calls did something */
    TEST_ASSERT_ERR(wf_cnode_delete(e->cnode, fp, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(pool_usage(e->pool, NULL), env_before);
}
