/*
 * Device untyped from the bootinfo (kernel/core/roottask.c, docs/memory.md):
 * the list names device memory after the RAM, none of it meets RAM or the
 * interrupt controllers the kernel keeps (local APIC, I/O APIC), Describe agrees,
 * Retype makes only smaller device untyped of it, and a device VMO over the HPET
 * (QEMU pc: 0xfed00000, in no boot memory region) reaches the real registers:
 * the General Capabilities and ID register reads as an HPET and the main counter
 * runs once enabled (IA-PC HPET specification 1.0a, section 2.3: capabilities at
 * 0x000, configuration at 0x010, main counter at 0x0f0).
 *
 * Children of the device untyped live in scratch slots, which the runner empties
 * after each test; the VMO comes from the arena's pool, whose revocation unmaps it.
 */
#include "tutil.h"

#define BI test_bootinfo
#define PG 4096ull

#define LAPIC_PAGE  0xfee00000ull
#define IOAPIC_PAGE 0xfec00000ull
#define HPET_PAGE   0xfed00000ull

#define HPET_GCAP_ID       0x000
#define HPET_GEN_CONF      0x010
#define HPET_MAIN_COUNTER  0x0f0
#define HPET_ENABLE_CNF    1ull
#define HPET_MAX_PERIOD_FS 0x05f5e100ull /* 100 ns: the specification's bound */

static wf_word_t ut_end(const struct wf_bootinfo_untyped *u)
{
    return u->paddr + ((wf_word_t)1 << u->size_bits);
}

/* Index in the bootinfo list of the device untyped holding pa, or -1. */
static int device_holding(wf_word_t pa)
{
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        if (u->device && u->paddr <= pa && pa < ut_end(u))
            return (int)i;
    }
    return -1;
}

TEST(device, bootinfo_lists_device_untyped)
{
    unsigned dev = 0;
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        if (!u->device) {
            TEST_ASSERT(dev == 0, "RAM untyped %u after device untyped", i);
            continue;
        }
        dev++;
        TEST_ASSERT(u->size_bits >= 12, "device untyped %u smaller than a page", i);
        for (unsigned j = 0; j < BI->untyped_count; j++) {
            const struct wf_bootinfo_untyped *r = &BI->untyped[j];
            TEST_ASSERT(r->device || ut_end(u) <= r->paddr || ut_end(r) <= u->paddr,
                        "device untyped %u [%#llx, %#llx) meets RAM untyped %u", i,
                        (unsigned long long)u->paddr, (unsigned long long)ut_end(u), j);
        }
    }
    TEST_ASSERT(dev > 0, "no device untyped");
    TEST_ASSERT_EQ(BI->untyped_device_count, dev);
    TEST_ASSERT(device_holding(LAPIC_PAGE) < 0, "the local APIC page is in a device untyped");
    TEST_ASSERT(device_holding(IOAPIC_PAGE) < 0, "the I/O APIC page is in a device untyped");
    /* What lies around them, and the HPET, is device memory the root task gets. */
    TEST_ASSERT(device_holding(HPET_PAGE) >= 0, "no device untyped holds the HPET");
    TEST_ASSERT(device_holding(IOAPIC_PAGE + PG) >= 0, "the page after the I/O APIC is missing");
    TEST_ASSERT(device_holding(LAPIC_PAGE - PG) >= 0, "the page before the local APIC is missing");
    /* RAM is not: the kernel image (2 MiB) and low memory are in no device untyped. */
    TEST_ASSERT(device_holding(0x200000) < 0 && device_holding(0) < 0 &&
                    device_holding(0xb8000) < 0,
                "RAM or legacy memory listed as device");
}

TEST(device, describe_says_device)
{
    unsigned seen = 0;
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        if (!u->device)
            continue;
        wf_word_t paddr = 1, bits = 1, device = 0, free_bytes = 0;
        TEST_ASSERT_ERR(
            wf_untyped_describe(BI->untyped_first + i, &paddr, &bits, &device, &free_bytes),
            WF_ERR_OK);
        TEST_ASSERT_EQ(device, 1);
        TEST_ASSERT_EQ(paddr, u->paddr);
        TEST_ASSERT_EQ(bits, u->size_bits);
        seen++;
    }
    TEST_ASSERT(seen > 0);
}

TEST(device, retype_makes_only_device_untyped)
{
    int i = device_holding(HPET_PAGE);
    TEST_ASSERT(i >= 0, "no device untyped holds the HPET");
    wf_cptr_t ut = BI->untyped_first + (unsigned)i;
    wf_word_t base = BI->untyped[i].paddr, bits = BI->untyped[i].size_bits;
    TEST_ASSERT(bits >= 13, "the HPET's device untyped is a single page");
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_CNODE, 4, WF_ROOT_CNODE, 0, 0, test_slot(0), 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_TCB, 0, WF_ROOT_CNODE, 0, 0, test_slot(0), 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_ENDPOINT, 0, WF_ROOT_CNODE, 0, 0, test_slot(0), 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(0)), 0);
    /* Two halves, both device, in order. */
    TEST_ASSERT_ERR(
        wf_untyped_retype(ut, WF_OBJ_UNTYPED, bits - 1, WF_ROOT_CNODE, 0, 0, test_slot(0), 2),
        WF_ERR_OK);
    for (unsigned h = 0; h < 2; h++) {
        wf_word_t paddr, cbits, device, free_bytes;
        TEST_ASSERT_ERR(wf_untyped_describe(test_slot(h), &paddr, &cbits, &device, &free_bytes),
                        WF_ERR_OK);
        TEST_ASSERT_EQ(device, 1);
        TEST_ASSERT_EQ(cbits, bits - 1);
        TEST_ASSERT_EQ(paddr, base + h * ((wf_word_t)1 << (bits - 1)));
        TEST_ASSERT_EQ(free_bytes, (wf_word_t)1 << (bits - 1));
    }
    /* The parent is full; a child refuses what its parent refuses. */
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_UNTYPED, 12, WF_ROOT_CNODE, 0, 0, test_slot(2), 1),
                    WF_ERR_NOT_ENOUGH_MEMORY);
    TEST_ASSERT_ERR(
        wf_untyped_retype(test_slot(0), WF_OBJ_CNODE, 4, WF_ROOT_CNODE, 0, 0, test_slot(2), 1),
        WF_ERR_INVALID_ARGUMENT);
    /* A device untyped cannot become a pool's RAM either way round: RAM is refused
     * by Pool_CreateDevice. */
    TEST_ENV(e);
    TEST_ASSERT_ERR(wf_pool_create_device(e->pool, e->untyped, WF_ROOT_CNODE, test_slot(2), 64),
                    WF_ERR_ILLEGAL_OPERATION);
}

/* Splits the device untyped in slot *ut (of 2^*bits bytes at *base) into halves
 * until the one holding pa is a page; scratch slots from *next. */
static enum wf_error split_to_page(wf_cptr_t *ut, wf_word_t *base, wf_word_t *bits, wf_word_t pa,
                                   unsigned *next)
{
    while (*bits > 12) {
        wf_word_t half = (wf_word_t)1 << (*bits - 1);
        enum wf_error err = wf_untyped_retype(*ut, WF_OBJ_UNTYPED, *bits - 1, WF_ROOT_CNODE, 0, 0,
                                              test_slot(*next), 2);
        if (err != WF_ERR_OK)
            return err;
        unsigned pick = pa >= *base + half;
        *ut = test_slot(*next + pick);
        *base += pick * half;
        *bits -= 1;
        *next += 2;
    }
    return WF_ERR_OK;
}

TEST(device, hpet_through_a_device_vmo)
{
    TEST_ENV(e);
    int i = device_holding(HPET_PAGE);
    TEST_ASSERT(i >= 0, "no device untyped holds the HPET");
    wf_cptr_t ut = BI->untyped_first + (unsigned)i;
    wf_word_t base = BI->untyped[i].paddr, bits = BI->untyped[i].size_bits;
    unsigned next = 0;
    TEST_ASSERT_ERR(split_to_page(&ut, &base, &bits, HPET_PAGE, &next), WF_ERR_OK);
    TEST_ASSERT_EQ(base, HPET_PAGE);
    wf_word_t paddr, device;
    TEST_ASSERT_ERR(wf_untyped_describe(ut, &paddr, 0, &device, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(paddr, HPET_PAGE);
    TEST_ASSERT_EQ(device, 1);

    wf_cptr_t vmo = test_slot(next);
    TEST_ASSERT_ERR(wf_pool_create_device(e->pool, ut, WF_ROOT_CNODE, vmo, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vmo, TEST_VA, 0, PG, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    volatile uint64_t *hpet = (volatile uint64_t *)TEST_VA;

    uint64_t cap = hpet[HPET_GCAP_ID / 8];
    unsigned rev = cap & 0xff, vendor = (cap >> 16) & 0xffff;
    uint64_t period = cap >> 32;
    TEST_ASSERT(rev != 0, "HPET revision 0 (capabilities %#llx)", (unsigned long long)cap);
    TEST_ASSERT(vendor != 0 && vendor != 0xffff, "HPET vendor %#x", vendor);
    TEST_ASSERT(period != 0 && period <= HPET_MAX_PERIOD_FS, "HPET period %llu fs",
                (unsigned long long)period);

    hpet[HPET_GEN_CONF / 8] |= HPET_ENABLE_CNF;
    TEST_ASSERT(hpet[HPET_GEN_CONF / 8] & HPET_ENABLE_CNF, "HPET did not enable");
    uint64_t c0 = hpet[HPET_MAIN_COUNTER / 8], c1 = c0;
    for (unsigned spin = 0; spin < 1000000 && c1 == c0; spin++)
        c1 = hpet[HPET_MAIN_COUNTER / 8];
    hpet[HPET_GEN_CONF / 8] &= ~HPET_ENABLE_CNF;
    TEST_ASSERT(c1 > c0, "HPET main counter did not advance (%#llx)", (unsigned long long)c0);
}
