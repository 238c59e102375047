/*
 * PCI on a machine without firmware (decision 147). The ECAM back end of the
 * PCI library (user/lib/weft/pci_ecam.c): the offset of every register
 * against the formula of the PCI Express specification, refusals outside the
 * window, the accessor over a fake window mapped a bus at a time, and the one
 * enumeration (pci.c) walking a bus through it. The bus server's host bridge
 * (user/pcibus/host.c): windows as QEMU's aarch64 virt describes them and
 * malformed ones, BAR placement against a model (aligned, inside a window, no
 * two overlapping), and INTx routes through QEMU's interrupt-map.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "wf/pci.h"

/* --- ECAM ----------------------------------------------------------------- */

Test(ecam, offsets_follow_the_formula)
{
    srand(7);
    for (unsigned i = 0; i < 20000; i++) {
        unsigned first = (unsigned)rand() % 8, last = first + (unsigned)rand() % 32;
        unsigned bus = first + (unsigned)rand() % (last - first + 1);
        unsigned dev = (unsigned)rand() % 32, fn = (unsigned)rand() % 8;
        unsigned off = ((unsigned)rand() % 1024) * 4;
        uint64_t size = (uint64_t)(last - first + 1) << 20, at = 0;
        cr_assert(pci_ecam_offset(size, first, last, bus, dev, fn, off, &at));
        cr_assert_eq(at, ((uint64_t)(bus - first) << 20) + (dev << 15) + (fn << 12) + off);
        cr_assert_lt(at + 4, size + 1);
    }
}

Test(ecam, refusals)
{
    uint64_t at = 0xabc;
    cr_assert(!pci_ecam_offset(256u << 20, 1, 255, 0, 0, 0, 0, &at)); /* below bus_first */
    cr_assert(!pci_ecam_offset(256u << 20, 0, 15, 16, 0, 0, 0, &at)); /* above bus_last */
    cr_assert(!pci_ecam_offset(256u << 20, 0, 255, 0, 32, 0, 0, &at));
    cr_assert(!pci_ecam_offset(256u << 20, 0, 255, 0, 0, 8, 0, &at));
    cr_assert(!pci_ecam_offset(256u << 20, 0, 255, 0, 0, 0, 0x1000, &at));
    cr_assert(!pci_ecam_offset(256u << 20, 0, 255, 0, 0, 0, 0x102, &at));
    cr_assert(!pci_ecam_offset(256u << 20, 5, 4, 5, 0, 0, 0, &at));   /* first > last */
    cr_assert(!pci_ecam_offset(256u << 20, 0, 256, 0, 0, 0, 0, &at)); /* last > 255 */
    /* a window smaller than its bus range: bus 2 of a 2 MiB window */
    cr_assert(!pci_ecam_offset(2u << 20, 0, 255, 2, 0, 0, 0, &at));
    cr_assert(!pci_ecam_offset(0, 0, 0, 0, 0, 0, 0, &at));
    cr_assert_eq(at, 0xabc, "a refusal wrote its result");
    cr_assert(pci_ecam_offset(2u << 20, 0, 255, 1, 31, 7, 0xffc, &at));
    cr_assert_eq(at, (2u << 20) - 4);
}

/* A fake ECAM window: one 1 MiB buffer a bus, handed out by map. */
static uint8_t *fake_bus[4];
static unsigned maps, map_fail_index = 99;

static volatile uint8_t *fake_map(void *ctx, unsigned index)
{
    (void)ctx;
    maps++;
    if (index == map_fail_index || index >= 4)
        return NULL;
    if (!fake_bus[index]) {
        fake_bus[index] = malloc(PCI_ECAM_BUS_BYTES);
        memset(fake_bus[index], 0xff, PCI_ECAM_BUS_BYTES); /* no function answers */
    }
    return fake_bus[index];
}

static void fake_reset(void)
{
    for (unsigned i = 0; i < 4; i++) {
        free(fake_bus[i]);
        fake_bus[i] = NULL;
    }
    maps = 0;
    map_fail_index = 99;
}

TestSuite(ecam_access, .init = fake_reset, .fini = fake_reset);

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

Test(ecam_access, registers_land_where_the_formula_says_and_each_bus_is_mapped_once)
{
    struct pci_ecam e = {.size = 4u << 20, .bus_first = 0, .bus_last = 3, .map = fake_map};
    cr_assert_eq(pci_ecam_write32(&e, 2, 5, 3, 0x10, 0x12345678), 0);
    uint32_t v = 0;
    memcpy(&v, fake_bus[2] + (5 << 15) + (3 << 12) + 0x10, 4);
    cr_assert_eq(v, 0x12345678);
    cr_assert_eq(pci_ecam_read32(&e, 2, 5, 3, 0x10, &v), 0);
    cr_assert_eq(v, 0x12345678);
    cr_assert_eq(maps, 1);
    cr_assert_eq(pci_ecam_read32(&e, 2, 0, 0, 0, &v), 0);
    cr_assert_eq(maps, 1, "bus 2 mapped twice");
    /* Outside the window: reads see nothing, writes fail, nothing is mapped. */
    cr_assert_eq(pci_ecam_read32(&e, 9, 0, 0, 0, &v), 0);
    cr_assert_eq(v, 0xffffffffu);
    cr_assert_neq(pci_ecam_write32(&e, 9, 0, 0, 0, 1), 0);
    cr_assert_neq(pci_ecam_read32(&e, 0, 0, 0, 0x1000, &v), 0);
    cr_assert_eq(maps, 1);
    /* A bus that cannot be mapped is an access error, not a crash. */
    map_fail_index = 1;
    cr_assert_neq(pci_ecam_read32(&e, 1, 0, 0, 0, &v), 0);
    cr_assert_neq(pci_ecam_write32(&e, 1, 0, 0, 0, 0), 0);
}

Test(ecam_access, one_enumeration_walks_the_ecam_window)
{
    struct pci_ecam e = {.size = 4u << 20, .bus_first = 0, .bus_last = 3, .map = fake_map};
    struct pci_access acc = {&e, pci_ecam_read32, pci_ecam_write32};
    fake_map(NULL, 0);
    /* 00:00.0 a host bridge, 00:02.0 virtio-blk with INTA, 00:03.0 virtio-rng. */
    uint8_t *b0 = fake_bus[0];
    put32(b0 + (0 << 15) + PCI_VENDOR_ID, 0x00081b36);
    put32(b0 + (0 << 15) + PCI_HEADER_TYPE - 2, 0x00000000);
    put32(b0 + (2 << 15) + PCI_VENDOR_ID, 0x10421af4);
    put32(b0 + (2 << 15) + PCI_CLASS_REV, 0x01000001);
    put32(b0 + (2 << 15) + PCI_HEADER_TYPE - 2, 0x00000000);
    put32(b0 + (2 << 15) + PCI_INTERRUPT, 0x00000100);
    put32(b0 + (3 << 15) + PCI_VENDOR_ID, 0x10441af4);
    put32(b0 + (3 << 15) + PCI_HEADER_TYPE - 2, 0x00000000);
    struct pci_func f[8];
    size_t n = 0;
    cr_assert_eq(pci_enumerate(&acc, f, 8, &n), PCI_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(f[1].dev, 2);
    cr_assert_eq(f[1].vendor, 0x1af4);
    cr_assert_eq(f[1].device, 0x1042);
    cr_assert_eq(f[1].class_code, 0x01);
    cr_assert_eq(f[1].irq_pin, 1);
    cr_assert_eq(f[2].device, 0x1044);
}

/* --- the host bridge (user/pcibus/host.c) --------------------------------- */

/* QEMU 7's aarch64 virt with highmem: ECAM 256 MiB, I/O 64 KiB at 0x3eff0000,
 * 32-bit memory [0x10000000, 0x3eff0000), 64-bit memory 512 GiB at 512 GiB;
 * the interrupt-map of hw/arm/virt.c (slot s pin p: SPI 3 + (s + p - 1) % 4). */
static struct wf_bootinfo_pci qemu_virt(void)
{
    struct wf_bootinfo_pci p = {
        .ecam_base = 0x4010000000,
        .ecam_size = 0x10000000,
        .bus_first = 0,
        .bus_last = 255,
        .nwindows = 3,
        .intx_mask_addr = 0x1800,
        .intx_mask_pin = 7,
        .window =
            {
                {0x3eff0000, 0, 0x10000, 1, 0, {0}},
                {0x10000000, 0x10000000, 0x2eff0000, 2, 0, {0}},
                {0x8000000000, 0x8000000000, 0x8000000000, 3, 0, {0}},
            },
    };
    for (unsigned s = 0; s < 4; s++)
        for (unsigned pin = 1; pin <= 4; pin++)
            p.intx[p.nintx++] = (struct wf_bootinfo_pci_intx){s << 11, pin, 3 + (s + pin - 1) % 4};
    return p;
}

Test(host, qemu_virt_windows)
{
    struct wf_bootinfo_pci p = qemu_virt();
    struct pci_host h;
    cr_assert_eq(host_init(&h, &p), HOST_OK);
    cr_assert_eq(h.nwin, 2, "the I/O window is left out");
    cr_assert(!h.win[0].mem64);
    cr_assert(h.win[1].mem64);
    uint64_t pci, cpu;
    cr_assert_eq(host_assign(&h, 0x4000, true, &pci, &cpu), HOST_OK);
    cr_assert_eq(pci, 0x10000000, "a 64-bit BAR goes low first");
    cr_assert_eq(cpu, 0x10000000);
    cr_assert_eq(host_assign(&h, 0x1000, false, &pci, &cpu), HOST_OK);
    cr_assert_eq(pci, 0x10004000);
    cr_assert_eq(host_assign(&h, 0x10000, false, &pci, &cpu), HOST_OK);
    cr_assert_eq(pci, 0x10010000, "aligned to its size");
    cr_assert(host_translate(&h, 0x10010000, 0x10000, &cpu));
    cr_assert_eq(cpu, 0x10010000);
    cr_assert(!host_translate(&h, 0x3eff0000, 0x1000, &cpu), "past the 32-bit window");
    cr_assert(!host_translate(&h, 0x3efff000, 0x2000, &cpu), "straddles the window's end");
}

Test(host, windows_at_other_cpu_addresses)
{
    struct wf_bootinfo_pci p = {
        .nwindows = 1, .bus_last = 255, .window = {{0x70000000, 0x40000000, 0x100000, 2, 0, {0}}}};
    struct pci_host h;
    cr_assert_eq(host_init(&h, &p), HOST_OK);
    uint64_t pci, cpu;
    cr_assert_eq(host_assign(&h, 0x1000, false, &pci, &cpu), HOST_OK);
    cr_assert_eq(pci, 0x40000000);
    cr_assert_eq(cpu, 0x70000000);
    cr_assert(host_translate(&h, 0x40080000, 0x1000, &cpu));
    cr_assert_eq(cpu, 0x70080000);
    /* A BAR placed before (a restarted server) is never placed over. */
    cr_assert_eq(host_assign(&h, 0x1000, false, &pci, &cpu), HOST_OK);
    cr_assert_eq(pci, 0x40081000);
}

Test(host, malformed_descriptions_are_errors)
{
    struct pci_host h;
    struct wf_bootinfo_pci p;
    static const struct wf_bootinfo_pci_window bad[] = {
        {0x10000000, 0x10000000, 0, 2, 0, {0}},                      /* empty */
        {0xfffffffffffff000, 0x10000000, 0x2000, 2, 0, {0}},         /* CPU address wraps */
        {0x10000000, 0xfffffffffffff000, 0x2000, 3, 0, {0}},         /* PCI address wraps */
        {0x10000000, 0x10000000, 0x1000, 0, 0, {0}},                 /* configuration space */
        {0x10000000, 0x10000000, 0x1000, 4, 0, {0}},                 /* no such space */
        {0x100000000, 0xfffff000, 0x2000, 2, 0, {0}},                /* 32-bit past 4 GiB */
        {0x8000000000, 0x8000000000, 0xffffffffffffffff, 3, 0, {0}}, /* wraps */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = qemu_virt();
        p.window[1] = bad[i];
        cr_assert_eq(host_init(&h, &p), HOST_ERR_WINDOW, "window %u", i);
    }
    p = qemu_virt();
    p.nwindows = WF_BOOTINFO_PCI_WINDOWS + 1;
    cr_assert_eq(host_init(&h, &p), HOST_ERR_COUNT);
    p = qemu_virt();
    p.nintx = WF_BOOTINFO_PCI_INTX + 1;
    cr_assert_eq(host_init(&h, &p), HOST_ERR_COUNT);
    p = qemu_virt();
    p.bus_first = 3, p.bus_last = 2;
    cr_assert_eq(host_init(&h, &p), HOST_ERR_COUNT);
    p.bus_first = 0, p.bus_last = 256;
    cr_assert_eq(host_init(&h, &p), HOST_ERR_COUNT);
    cr_assert_not_null(host_status_name(HOST_ERR_WINDOW));
}

Test(host, random_descriptions_never_crash)
{
    srand(11);
    for (unsigned i = 0; i < 20000; i++) {
        struct wf_bootinfo_pci p;
        uint8_t *b = (uint8_t *)&p;
        for (size_t k = 0; k < sizeof(p); k++)
            b[k] = (uint8_t)rand();
        p.nwindows %= 6;
        struct pci_host h;
        if (host_init(&h, &p) != HOST_OK)
            continue;
        for (unsigned w = 0; w < h.nwin; w++) {
            cr_assert_gt(h.win[w].size, 0);
            cr_assert_geq(h.win[w].cpu + h.win[w].size, h.win[w].cpu);
            cr_assert_geq(h.win[w].pci + h.win[w].size, h.win[w].pci);
        }
        uint64_t pci, cpu;
        for (unsigned k = 0; k < 8; k++) {
            uint64_t size = 1ull << (4 + rand() % 60);
            if (host_assign(&h, size, rand() & 1, &pci, &cpu) == HOST_OK)
                cr_assert_eq(pci & (size - 1), 0);
        }
    }
}

Test(host, sizes_refused)
{
    struct wf_bootinfo_pci p = qemu_virt();
    struct pci_host h;
    cr_assert_eq(host_init(&h, &p), HOST_OK);
    uint64_t pci, cpu;
    cr_assert_eq(host_assign(&h, 0, false, &pci, &cpu), HOST_ERR_SIZE);
    cr_assert_eq(host_assign(&h, 8, false, &pci, &cpu), HOST_ERR_SIZE);
    cr_assert_eq(host_assign(&h, 0x3000, false, &pci, &cpu), HOST_ERR_SIZE);
    cr_assert_eq(host_assign(&h, 1ull << 63, true, &pci, &cpu), HOST_ERR_FULL);
    /* 1 GiB fits no 32-bit window of 751 MiB: a 32-bit BAR is refused, a 64-bit one goes high. */
    cr_assert_eq(host_assign(&h, 1ull << 30, false, &pci, &cpu), HOST_ERR_FULL);
    cr_assert_eq(host_assign(&h, 1ull << 30, true, &pci, &cpu), HOST_OK);
    cr_assert_eq(pci, 0x8000000000);
}

/* Against a model: every placed BAR lies in a window of its kind, is aligned
 * to its size and overlaps no other; a refusal happens only when the BAR
 * cannot fit after the last one placed in each window it may use. */
Test(host, placement_model)
{
    srand(5);
    for (unsigned round = 0; round < 200; round++) {
        struct wf_bootinfo_pci p = qemu_virt();
        p.window[1].size = 0x100000u << (rand() % 4); /* 1 to 8 MiB: windows fill */
        p.window[2].size = 0x400000;
        struct pci_host h;
        cr_assert_eq(host_init(&h, &p), HOST_OK);
        struct {
            uint64_t pci, size;
        } placed[256];
        unsigned n = 0;
        for (unsigned k = 0; k < 256; k++) {
            uint64_t size = 1ull << (4 + rand() % 18), pci, cpu;
            bool mem64 = rand() & 1;
            enum host_status s = host_assign(&h, size, mem64, &pci, &cpu);
            if (s != HOST_OK) {
                cr_assert_eq(s, HOST_ERR_FULL);
                continue;
            }
            cr_assert_eq(pci & (size - 1), 0);
            bool low = pci >= 0x10000000 && pci + size <= 0x10000000 + p.window[1].size;
            bool high = pci >= 0x8000000000 && pci + size <= 0x8000000000 + 0x400000;
            cr_assert(low || (high && mem64), "BAR at %#llx outside its windows",
                      (unsigned long long)pci);
            cr_assert_eq(cpu, pci);
            for (unsigned j = 0; j < n; j++)
                cr_assert(pci + size <= placed[j].pci || placed[j].pci + placed[j].size <= pci,
                          "overlap");
            placed[n].pci = pci;
            placed[n++].size = size;
        }
    }
}

Test(host, intx_routes_of_qemu_virt)
{
    struct wf_bootinfo_pci p = qemu_virt();
    for (unsigned dev = 0; dev < 32; dev++)
        for (unsigned fn = 0; fn < 8; fn += 7)
            for (unsigned pin = 1; pin <= 4; pin++) {
                uint32_t line = 0;
                cr_assert(host_route(&p, 0, dev, fn, pin, &line));
                cr_assert_eq(line, 3 + (dev % 4 + pin - 1) % 4, "%u.%u pin %u", dev, fn, pin);
            }
    uint32_t line = 77;
    cr_assert(!host_route(&p, 0, 1, 0, 0, &line), "no pin");
    cr_assert(!host_route(&p, 0, 1, 0, 5, &line), "pin 5");
    cr_assert(!host_route(&p, 1, 1, 0, 1, &line), "behind a bridge");
    cr_assert(!host_route(&p, 0, 32, 0, 1, &line));
    cr_assert_eq(line, 77, "a refusal wrote its result");
    /* No entry matches: no route. */
    p.nintx = 4; /* slot 0 only */
    cr_assert(!host_route(&p, 0, 1, 0, 1, &line));
    /* A count past the array is bounded by it. */
    p = qemu_virt();
    p.nintx = 0xffffffff;
    cr_assert(host_route(&p, 0, 3, 0, 4, &line));
    p.nintx = 0;
    cr_assert(!host_route(&p, 0, 0, 0, 1, &line));
}
