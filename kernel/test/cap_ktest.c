/*
 * Self-tests of the capability core inside the running kernel.
 *
 * The host tests (tests/host/test_cap_*.c) cover the logic against models; these
 * cover what only the real kernel has: objects retyped from real RAM (an extent of
 * the boot PMM) and reached through the direct map, kernel-half pointers packed
 * into caps, the untyped reset done by the kernel's own memset, nested destruction
 * with a tiny work budget, and revocation giving the memory back. Userspace will
 * drives the same through invocations (user/test/).
 */
#include "arch.h"
#include "cap/cdt.h"
#include "cap/invoke.h"
#include "cap/preempt.h"
#include "ktest.h"
#include "mm/pmm.h"
#include "obj/tcb.h"
#include "obj/untyped.h"

#define ROOT_RADIX 6
#define UT_BITS    20

/* A root CNode in the kernel image, as boot will make the root task's. */
static struct slot root[1u << ROOT_RADIX];
static struct slot root_original;
static struct reaper reaper;
static unsigned restarts;

/* Invokes the cap in root slot target with one extra cap (root slot xcap), as the
 * syscall path will: a small budget per attempt, re-executed until done. */
static enum wf_error invoke(unsigned target, wf_word_t label, const wf_word_t *w, unsigned n,
                            unsigned xcap)
{
    struct slot *xs[1] = {&root[xcap]};
    struct invocation inv = {.slot = &root[target],
                             .label = label,
                             .args = w,
                             .nargs = n,
                             .caps = xs,
                             .ncaps = 1,
                             .reaper = &reaper};
    enum wf_error e;
    for (;;) {
        preempt_begin(3);
        e = cap_invoke(&inv);
        if (e != WF_ERR_PREEMPTED)
            return e;
        restarts++;
    }
}

static enum wf_error retype(uint64_t type, uint64_t bits, unsigned slot)
{
    const wf_word_t w[6] = {type, bits, 0, 0, slot, 1};
    return invoke(2, WF_LABEL_UNTYPED_RETYPE, w, 6, 1);
}

static bool zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

KTEST(cap, retype_destroy_and_revoke_real_memory)
{
    unsigned order = UT_BITS - CLUSTER_SHIFT;
    paddr_t pa = pmm_alloc(&boot_pmm, order);
    KT_ASSERT(pa != 0, "no %u KiB extent free", 1u << (UT_BITS - 10));
    uint8_t *mem = phys_to_virt(pa);
    for (unsigned i = 0; i < (1u << UT_BITS); i += 64)
        mem[i] = 0xa5; /* whatever the memory held: Retype must zero it */

    reaper_init(&reaper);
    struct cap cn = cap_cnode_new(root, ROOT_RADIX, 0, 64 - ROOT_RADIX);
    cdt_insert_root(&root_original, cn);
    cdt_insert_derived(&root_original, &root[1], cn);
    cdt_insert_root(&root[2], untyped_boot_cap(pa, UT_BITS, false));

    KT_ASSERT_EQ(retype(WF_OBJ_CNODE, 4, 10), WF_ERR_OK);
    KT_ASSERT(restarts >= (1u << (UT_BITS - UNTYPED_RESET_CHUNK_BITS)) / 3 - 1,
              "the reset ran in %u attempts", restarts);
    KT_ASSERT(zero(mem, 1u << UT_BITS), "reset left memory unzeroed");
    KT_ASSERT_EQ(retype(WF_OBJ_TCB, 0, 11), WF_ERR_OK);
    KT_ASSERT_EQ(retype(WF_OBJ_ENDPOINT, 0, 12), WF_ERR_OK);
    struct slot *child = cap_cnode_slots(root[10].cap);
    KT_ASSERT((uintptr_t)child >= DIRECT_MAP_BASE && child == (struct slot *)mem,
              "CNode at %p, untyped at %p", (void *)child, (void *)mem);
    /* CNode at 0 (512 bytes), TCB aligned up to 2 KiB, endpoint after it. */
    KT_ASSERT_EQ(virt_to_phys(cap_object(root[12].cap)), pa + 2 * (1u << WF_TCB_BITS));

    /* A badged copy in the new CNode; the CNode as a TCB's CSpace. */
    const wf_word_t mint[6] = {1, 4, 12, 64, WF_RIGHT_WRITE, 0x2a};
    KT_ASSERT_EQ(invoke(10, WF_LABEL_CNODE_MINT, mint, 6, 1), WF_ERR_OK);
    KT_ASSERT_EQ(cap_badge(child[1].cap), 0x2a);
    const wf_word_t guard[1] = {0};
    KT_ASSERT_EQ(invoke(11, WF_LABEL_TCB_SET_CSPACE, guard, 1, 10), WF_ERR_OK);

    /* Deleting the TCB's last cap destroys it, then the CNode (its last cap was
     * in the TCB), then the badged endpoint cap inside. */
    const wf_word_t del10[2] = {10, 64}, del11[2] = {11, 64}, rev[2] = {2, 64};
    KT_ASSERT_EQ(invoke(1, WF_LABEL_CNODE_DELETE, del10, 2, 1), WF_ERR_OK);
    KT_ASSERT_EQ(invoke(1, WF_LABEL_CNODE_DELETE, del11, 2, 1), WF_ERR_OK);
    KT_ASSERT(slot_is_empty(&child[1]) && !cdt_has_children(&root[12]));
    KT_ASSERT(reaper_is_empty(&reaper));

    /* Revoking the untyped destroys the rest and the next Retype starts at 0. */
    KT_ASSERT_EQ(invoke(1, WF_LABEL_CNODE_REVOKE, rev, 2, 1), WF_ERR_OK);
    KT_ASSERT(slot_is_empty(&root[12]) && !cdt_has_children(&root[2]));
    KT_ASSERT_EQ(retype(WF_OBJ_ENDPOINT, 0, 12), WF_ERR_OK);
    KT_ASSERT_EQ(virt_to_phys(cap_object(root[12].cap)), pa);
    KT_ASSERT_EQ(invoke(1, WF_LABEL_CNODE_REVOKE, rev, 2, 1), WF_ERR_OK);

    cdt_remove(&root[2]);
    cdt_remove(&root[1]);
    cdt_remove(&root_original);
    pmm_free(&boot_pmm, pa, order);
}
