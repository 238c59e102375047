/*
 * Device untyped from the bootinfo (kernel/core/roottask.c, docs/memory.md):
 * the list names device memory after the RAM, none of it meets RAM or the
 * interrupt controllers the kernel keeps (x86-64: local APIC, I/O APIC;
 * aarch64: the GIC), Describe agrees, Retype makes only smaller device untyped
 * of it, and a device VMO over a real device in no boot memory region reaches
 * its registers (tarch.h names the machine's addresses):
 *  - x86-64, QEMU pc's HPET at 0xfed00000: the General Capabilities and ID
 *    register reads as an HPET and the main counter runs once enabled (IA-PC
 *    HPET specification 1.0a, section 2.3: capabilities at 0x000,
 *    configuration at 0x010, main counter at 0x0f0);
 *  - aarch64, QEMU virt's PL031 real-time clock at 0x09010000: its
 *    identification registers read as a PL031, a value loaded is what the
 *    data register then counts from, and it counts (PL031 TRM, section 3.3:
 *    data at 0x000, load at 0x008, PeriphID0-3 and PCellID0-3 at 0xfe0-0xffc).
 *
 * Children of the device untyped live in scratch slots, which the runner empties
 * after each test; the VMO comes from the arena's pool, whose revocation unmaps it.
 */
#include "tarch.h"
#include "tutil.h"

#define BI test_bootinfo
#define PG 4096ull

static const wf_word_t kept_pages[] = TARCH_DEV_KEPT;
static const wf_word_t around_pages[] = TARCH_DEV_AROUND;
static const wf_word_t ram_pages[] = TARCH_DEV_RAM;

#define HPET_GCAP_ID       0x000
#define HPET_GEN_CONF      0x010
#define HPET_MAIN_COUNTER  0x0f0
#define HPET_ENABLE_CNF    1ull
#define HPET_MAX_PERIOD_FS 0x05f5e100ull /* 100 ns: the specification's bound */

#define PL031_DR 0x000
#define PL031_LR 0x008

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
    for (unsigned k = 0; k < sizeof(kept_pages) / sizeof(kept_pages[0]); k++)
        TEST_ASSERT(device_holding(kept_pages[k]) < 0,
                    "the kernel's page %#llx is in a device untyped",
                    (unsigned long long)kept_pages[k]);
    /* What lies around them, and the test's device, is device memory the root task gets. */
    TEST_ASSERT(device_holding(TARCH_DEV_PAGE) >= 0, "no device untyped holds " TARCH_DEV_NAME);
    for (unsigned k = 0; k < sizeof(around_pages) / sizeof(around_pages[0]); k++)
        TEST_ASSERT(device_holding(around_pages[k]) >= 0, "the device page %#llx is missing",
                    (unsigned long long)around_pages[k]);
    /* RAM is not: the kernel image and low memory are in no device untyped. */
    for (unsigned k = 0; k < sizeof(ram_pages) / sizeof(ram_pages[0]); k++)
        TEST_ASSERT(device_holding(ram_pages[k]) < 0,
                    "RAM or legacy memory at %#llx listed as device",
                    (unsigned long long)ram_pages[k]);
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
    int i = device_holding(TARCH_DEV_SPLIT);
    TEST_ASSERT(i >= 0, "no device untyped holds " TARCH_DEV_SPLIT_NAME);
    wf_cptr_t ut = BI->untyped_first + (unsigned)i;
    wf_word_t base = BI->untyped[i].paddr, bits = BI->untyped[i].size_bits;
    TEST_ASSERT(bits >= 13, "the device untyped of " TARCH_DEV_SPLIT_NAME " is a single page");
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

/* The test's device page through a device VMO (tutil.h), or NULL. */
static volatile uint64_t *map_device_page(void)
{
    unsigned next = 0;
    return (volatile uint64_t *)test_map_device_page(TARCH_DEV_PAGE, TEST_VA, &next);
}

#if defined(__x86_64__)

TEST(device, hpet_through_a_device_vmo)
{
    volatile uint64_t *hpet = map_device_page();
    TEST_ASSERT(hpet != NULL, "no device VMO over the HPET's page");

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

#elif defined(__aarch64__)

TEST(device, pl031_through_a_device_vmo)
{
    volatile uint64_t *page = map_device_page();
    TEST_ASSERT(page != NULL, "no device VMO over the PL031's page");
    volatile uint32_t *rtc = (volatile uint32_t *)page;
    /* PeriphID0-3 (part 0x031, designer ARM; the revision nibble masked) and PCellID0-3. */
    static const uint8_t id[8] = {0x31, 0x10, 0x04, 0x00, 0x0d, 0xf0, 0x05, 0xb1};
    for (unsigned k = 0; k < 8; k++) {
        uint32_t v = rtc[(0xfe0 + 4 * k) / 4] & (k == 2 ? 0x0f : 0xff);
        TEST_ASSERT(v == id[k], "PL031 ID register %u reads %#x, not %#x", k, v, id[k]);
    }
    /* The data register counts seconds from what the load register is given. */
    rtc[PL031_LR / 4] = 1000;
    uint32_t d0 = rtc[PL031_DR / 4];
    TEST_ASSERT(d0 >= 1000 && d0 <= 1001, "loaded 1000, the data register reads %u", d0);
    uint64_t until = wf_clock_ns() + 3000000000ull;
    uint32_t d1 = d0;
    while (d1 == d0 && wf_clock_ns() < until)
        d1 = rtc[PL031_DR / 4];
    TEST_ASSERT(d1 == d0 + 1, "the PL031 did not count a second (%u then %u)", d0, d1);
}

#elif defined(__riscv)

/* The Goldfish RTC counts nanoseconds (reading TIME_LOW latches TIME_HIGH) on
 * QEMU's host clock: two readings 20 ms of wf_clock_ns apart differ by about
 * that much, and writing the time moves the count to it. */
#define GOLDFISH_TIME_LOW  (0x00 / 4)
#define GOLDFISH_TIME_HIGH (0x04 / 4)

static uint64_t goldfish_now(volatile uint32_t *rtc)
{
    uint64_t lo = rtc[GOLDFISH_TIME_LOW];
    return lo | (uint64_t)rtc[GOLDFISH_TIME_HIGH] << 32;
}

TEST(device, goldfish_rtc_through_a_device_vmo)
{
    volatile uint64_t *page = map_device_page();
    TEST_ASSERT(page != NULL, "no device VMO over the Goldfish RTC's page");
    volatile uint32_t *rtc = (volatile uint32_t *)page;
    uint64_t t0 = goldfish_now(rtc), c0 = wf_clock_ns();
    TEST_ASSERT(t0 > 1000000000ull * 60 * 60 * 24 * 365, "the RTC reads %llu ns since 1970",
                (unsigned long long)t0);
    while (wf_clock_ns() < c0 + 20000000ull)
        ;
    uint64_t t1 = goldfish_now(rtc), c1 = wf_clock_ns();
    TEST_ASSERT(t1 > t0, "the RTC did not count (%llu then %llu)", (unsigned long long)t0,
                (unsigned long long)t1);
    TEST_ASSERT(t1 - t0 >= (c1 - c0) / 4 && t1 - t0 <= (c1 - c0) * 4 + 100000000ull,
                "the RTC counted %llu ns while the kernel's clock counted %llu",
                (unsigned long long)(t1 - t0), (unsigned long long)(c1 - c0));
    /* Set to 2^40 ns: it reads from there on (high word first, then low). */
    rtc[GOLDFISH_TIME_HIGH] = 0x100;
    rtc[GOLDFISH_TIME_LOW] = 0;
    uint64_t t2 = goldfish_now(rtc);
    TEST_ASSERT(t2 >= (1ull << 40) && t2 < (1ull << 40) + 1000000000ull,
                "set to 2^40 ns, the RTC reads %#llx", (unsigned long long)t2);
}

#else
#error "device/: no device for this architecture's machine"
#endif
