/*
 * The capability tests' world (see test_cap_world.h).
 */
#include "test_cap_world.h"

#ifndef WORLD_NO_CRITERION
#include <criterion/criterion.h>
#else
/* Built into a libFuzzer target (tests/fuzz/fuzz_invoke.c): a failed check
 * aborts, which the fuzzer reports as a crash with the input. */
#include <stdio.h>
#define cr_assert(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)
#define cr_assert_eq(a, b, ...) cr_assert((a) == (b))
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cap/cspace.h"
#include "cap/invoke.h"
#include "obj/untyped.h"
#include "sched/sched.h"

struct world W;
extern uintptr_t host_phys_base;

static struct slot root_slots[1u << WORLD_ROOT_RADIX];

void world_init(unsigned mem_bits, bool dirty)
{
    memset(&W, 0, sizeof(W));
    memset(root_slots, 0, sizeof(root_slots));
    W.mem_bits = mem_bits;
    W.mem =
        mmap(NULL, 1ull << mem_bits, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(W.mem != MAP_FAILED);
    if (dirty)
        memset(W.mem, 0xa5, 1ull << mem_bits);
    host_phys_base = (uintptr_t)W.mem - WORLD_PHYS_BASE;
    W.root = root_slots;
    W.budget = PREEMPT_UNITS_DEFAULT;
    reaper_init(&W.reaper);
    sched_cpu_init();

    struct cap cn = cap_cnode_new(root_slots, WORLD_ROOT_RADIX, 0, 64 - WORLD_ROOT_RADIX);
    cdt_insert_root(&W.boot, cn);
    cdt_insert_derived(&W.boot, &root_slots[WORLD_ROOT_CNODE], cn);
    struct cap ut = dirty ? untyped_boot_cap(WORLD_PHYS_BASE, mem_bits, false)
                          : cap_untyped_new(WORLD_PHYS_BASE, mem_bits, false, 0);
    cdt_insert_root(&root_slots[WORLD_ROOT_UT], ut);
    W.cspace = cn;
}

void world_fini(void)
{
    munmap(W.mem, 1ull << W.mem_bits);
    W.mem = NULL;
}

paddr_t world_pa(const void *p)
{
    return (paddr_t)((uintptr_t)p - host_phys_base);
}

/*
 * The test double of kernel/ipc/syscall.c's Call path for kernel objects. A CPtr that
 * does not resolve is reported as WF_ERR_FAILED_LOOKUP with the lookup details
 * (root index WF_CAP_INVOKED for the invoked cap, i for extra cap i); the real
 * path turns an unresolvable invoked cap into a fault message instead.
 */
wf_word_t wf_call(wf_cptr_t cap, wf_word_t label, const wf_word_t *words, unsigned nwords,
                  const wf_cptr_t *caps, unsigned ncaps, wf_word_t *reply, unsigned nreply)
{
    W.restarts = 0;
    ncaps = cap_invoke_xcaps(label, ncaps < WF_MSG_MAX_CAPS ? ncaps : WF_MSG_MAX_CAPS);
    for (;;) {
        struct invocation inv = {0};
        struct slot *xs[WF_MSG_MAX_CAPS];
        enum wf_error e = WF_ERR_OK;
        struct lookup_ret lr = cspace_lookup_cap(W.cspace, cap);
        if (!lr.slot) {
            e = inv_fail_lookup(&inv, WF_CAP_INVOKED, &lr);
        }
        for (unsigned i = 0; e == WF_ERR_OK && i < ncaps && i < WF_MSG_MAX_CAPS; i++) {
            struct lookup_ret x = cspace_lookup_cap(W.cspace, caps[i]);
            if (!x.slot)
                e = inv_fail_lookup(&inv, i, &x);
            xs[i] = x.slot;
        }
        if (e == WF_ERR_OK) {
            inv.slot = lr.slot;
            inv.label = label;
            inv.args = words;
            inv.nargs = nwords;
            inv.caps = xs;
            inv.ncaps = ncaps < WF_MSG_MAX_CAPS ? ncaps : WF_MSG_MAX_CAPS;
            inv.reaper = &W.reaper;
            inv.cspace = W.cspace;
            preempt_begin(W.budget);
            e = cap_invoke(&inv);
        }
        if (e == WF_ERR_PREEMPTED) {
            cr_assert(++W.restarts < 10000000, "no progress");
            continue;
        }
        for (unsigned i = 0; i < nreply && i < inv.nreply; i++)
            reply[i] = inv.reply[i];
        return e;
    }
}

void world_retype(wf_cptr_t ut, uint64_t type, unsigned size_bits, unsigned slot, unsigned count)
{
    enum wf_error e = wf_untyped_retype(ut, type, size_bits, WORLD_ROOT_CNODE, 0, 0, slot, count);
    cr_assert_eq(e, WF_ERR_OK, "retype type %llu into %u: %s", (unsigned long long)type, slot,
                 wf_error_name(e));
}

unsigned world_count_caps(const struct slot *s, unsigned count)
{
    unsigned n = 0;
    for (unsigned i = 0; i < count; i++)
        n += !slot_is_empty(&s[i]);
    return n;
}
