/*
 * Self-tests of the physical memory manager on the real boot instance: exhaustion
 * and full return, no overlap with the kernel image, the modules or anything else
 * that is not usable RAM, alignment of every order, and a reservation's life.
 *
 * While a test holds memory it chains the extents it got through their own first
 * bytes (the memory is the test's), so no other storage is needed.
 */
#include "arch.h"
#include "core/bootmem.h"
#include "ktest.h"
#include "mm/pmm.h"

extern const char _kernel_phys_start[], _kernel_phys_end[];

#define U(x) ((unsigned long long)(x))

/* Header written at the start of an extent the test holds. */
struct held {
    paddr_t next;
    unsigned order;
};

static void hold(paddr_t *head, paddr_t pa, unsigned order)
{
    struct held *h = phys_to_virt(pa);
    h->next = *head;
    h->order = order;
    *head = pa;
}

static void release_all(paddr_t head)
{
    while (head) {
        struct held *h = phys_to_virt(head);
        paddr_t next = h->next;
        pmm_free(&boot_pmm, head, h->order);
        head = next;
    }
}

/* NULL when [pa, pa + size) lies inside one usable region and clear of the kernel
 * image and every module; else what it overlaps. */
static const char *overlap(const struct bootmem *bm, paddr_t pa, paddr_t size)
{
    paddr_t ks = (paddr_t)(uintptr_t)_kernel_phys_start;
    paddr_t ke = (paddr_t)(uintptr_t)_kernel_phys_end;
    if (pa < ke && ks < pa + size)
        return "the kernel image";
    for (unsigned i = 0; i < bm->nmod; i++)
        if (pa < bm->mod[i].base + bm->mod[i].size && bm->mod[i].base < pa + size)
            return "a module";
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        if (pa < r->base + r->size && r->base < pa + size)
            return r->type == BOOTMEM_USABLE && r->base <= pa && pa + size <= r->base + r->size
                       ? NULL
                       : bootmem_type_name(r->type);
    }
    return "no region";
}

KTEST(pmm, boot_instance_holds_the_usable_ram)
{
    const struct mm_boot_info *info = &mm_boot_info;
    KT_ASSERT(info->bm, "mm_boot_init has not run");
    KT_ASSERT_EQ(info->usable_bytes, bootmem_total(info->bm, BOOTMEM_USABLE));
    KT_ASSERT_EQ(info->free_bytes + info->unused_bytes, info->usable_bytes);
    KT_ASSERT(info->free_bytes >= info->usable_bytes / 2, "free %llu of %llu usable",
              U(info->free_bytes), U(info->usable_bytes));
    /* no per-page array: bookkeeping is a fixed structure plus one node per extent */
    KT_ASSERT(pmm_metadata_bytes(&boot_pmm) <= KIB(16), "metadata %llu bytes",
              U(pmm_metadata_bytes(&boot_pmm)));
}

KTEST(pmm, exhaust_and_free_all_returns_to_the_boot_figure)
{
    const struct bootmem *bm = mm_boot_info.bm;
    KT_ASSERT(bm, "mm_boot_init has not run");
    uint64_t free0 = boot_pmm.free_bytes, counts[PMM_ORDERS];
    for (unsigned j = 0; j < PMM_ORDERS; j++)
        counts[j] = boot_pmm.free_count[j];
    paddr_t head = 0;
    uint64_t got = 0, extents = 0;
    const char *bad = NULL;
    paddr_t bad_pa = 0;
    for (unsigned k = PMM_ORDERS; k-- > 0;) {
        paddr_t pa;
        while ((pa = pmm_alloc(&boot_pmm, k)) != 0) {
            hold(&head, pa, k);
            got += pmm_order_bytes(k);
            extents++;
            if (!bad && (bad = overlap(bm, pa, pmm_order_bytes(k))) != NULL)
                bad_pa = pa;
            if (!bad && !IS_ALIGNED(pa, pmm_order_bytes(k))) {
                bad = "its alignment";
                bad_pa = pa;
            }
        }
    }
    uint64_t left = boot_pmm.free_bytes;
    release_all(head);
    KT_ASSERT(!bad, "extent at %llx violates %s", U(bad_pa), bad);
    KT_ASSERT_EQ(left, 0);
    KT_ASSERT_EQ(got, free0);
    KT_ASSERT(extents > 0);
    KT_ASSERT_EQ(boot_pmm.free_bytes, free0);
    KT_ASSERT_EQ(boot_pmm.free_bytes, mm_boot_info.free_bytes);
    for (unsigned j = 0; j < PMM_ORDERS; j++)
        KT_ASSERT(boot_pmm.free_count[j] == counts[j], "order %u: %llu extents, %llu before", j,
                  U(boot_pmm.free_count[j]), U(counts[j]));
}

KTEST(pmm, every_order_is_aligned)
{
    paddr_t head = 0;
    unsigned served = 0;
    for (unsigned k = 0; k < PMM_ORDERS; k++) {
        paddr_t pa = pmm_alloc(&boot_pmm, k);
        if (!pa)
            continue;
        bool aligned = IS_ALIGNED(pa, pmm_order_bytes(k));
        hold(&head, pa, k);
        served++;
        if (!aligned) {
            release_all(head);
            KT_ASSERT(aligned, "order %u at %llx", k, U(pa));
        }
    }
    release_all(head);
    /* 2 MiB and below are always there on a freshly booted machine (>= 16 MiB) */
    KT_ASSERT(served > PMM_RESV_MAX_ORDER, "only %u orders served", served);
}

KTEST(pmm, reservation_take_all_then_break)
{
    static struct pmm_resv r;
    uint64_t free0 = boot_pmm.free_bytes;
    KT_ASSERT(pmm_resv_reserve(&boot_pmm, &r, PMM_RESV_MAX_ORDER, NULL));
    KT_ASSERT(IS_ALIGNED(r.base, MIB(2)), "reservation at %llx", U(r.base));
    unsigned n = pmm_resv_clusters(&r);
    for (unsigned i = n; i-- > 0;)
        KT_ASSERT_EQ(pmm_resv_take(&boot_pmm, &r, i), r.base + ((paddr_t)i << CLUSTER_SHIFT));
    KT_ASSERT(pmm_resv_full(&r));
    pmm_free(&boot_pmm, r.base, 0); /* returns to the reservation */
    KT_ASSERT(!pmm_resv_full(&r));
    KT_ASSERT_EQ(boot_pmm.untaken_bytes, CLUSTER_SIZE);
    pmm_resv_break(&boot_pmm, &r);
    for (unsigned i = 1; i < n; i++)
        pmm_free(&boot_pmm, r.base + ((paddr_t)i << CLUSTER_SHIFT), 0);
    KT_ASSERT_EQ(boot_pmm.free_bytes, free0);
    KT_ASSERT_EQ(boot_pmm.untaken_bytes, 0);
}
