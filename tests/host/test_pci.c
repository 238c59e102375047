/*
 * The PCI library (user/lib/weft/pci.c) against a fake configuration space:
 * each fake function holds 256 bytes and, per BAR, the mask of bits its
 * hardware implements (a write keeps only those bits and the read-only type
 * bits, as real BARs do). Enumeration (multi-function, bridges, loops of
 * bridges), BAR sizing of I/O, 32- and 64-bit BARs with the registers restored,
 * the capability walk, and hostile data: masks with holes, bases not aligned,
 * 64-bit BARs in the last slot, capability pointers that loop or leave the
 * space, random configuration bytes. Every walk must end; the fake counts
 * accesses to prove it. Then the PCI bus server's bookkeeping (user/pcibus/bus.c):
 * claims by vendor, device, class and index, one client at a time, the checks
 * of ConfigRead and SetCommand, shared lines, and the device untyped split
 * down to a BAR (against a model: no two devices ever share memory).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "wf/pci.h"

#define MAXF 16

struct fake_fn {
    uint8_t bus, dev, fn;
    uint8_t cfg[256];
    uint32_t bar_mask[6]; /* implemented bits (type bits excluded) */
    uint32_t bar_ro[6];   /* read-only type bits */
};

struct fake_bus {
    struct fake_fn f[MAXF];
    unsigned n;
    unsigned accesses;
    bool fail; /* every access fails */
};

static struct fake_bus bus;

static void setup(void)
{
    memset(&bus, 0, sizeof(bus));
}

TestSuite(pci, .init = setup);

static struct fake_fn *find(uint8_t b, uint8_t d, uint8_t f)
{
    for (unsigned i = 0; i < bus.n; i++)
        if (bus.f[i].bus == b && bus.f[i].dev == d && bus.f[i].fn == f)
            return &bus.f[i];
    return NULL;
}

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}

static int fread32(void *ctx, uint8_t b, uint8_t d, uint8_t f, uint16_t off, uint32_t *val)
{
    struct fake_bus *fb = ctx;
    fb->accesses++;
    cr_assert(off <= 0xfc && (off & 3) == 0, "unaligned or out-of-range access %#x", off);
    if (fb->fail)
        return -1;
    struct fake_fn *fn = find(b, d, f);
    *val = fn ? get32(&fn->cfg[off]) : 0xffffffffu;
    return 0;
}

static int fwrite32(void *ctx, uint8_t b, uint8_t d, uint8_t f, uint16_t off, uint32_t val)
{
    struct fake_bus *fb = ctx;
    fb->accesses++;
    cr_assert(off <= 0xfc && (off & 3) == 0, "unaligned or out-of-range access %#x", off);
    if (fb->fail)
        return -1;
    struct fake_fn *fn = find(b, d, f);
    if (!fn)
        return 0;
    if (off >= PCI_BAR0 && off < PCI_BAR0 + 24 && (fn->cfg[PCI_HEADER_TYPE] & 0x7f) == 0) {
        unsigned i = (off - PCI_BAR0) / 4;
        put32(&fn->cfg[off], (val & fn->bar_mask[i]) | fn->bar_ro[i]);
        return 0;
    }
    if (off == 0)
        return 0; /* IDs are read-only */
    put32(&fn->cfg[off], val);
    return 0;
}

static const struct pci_access acc = {&bus, fread32, fwrite32};

static struct fake_fn *add(uint8_t b, uint8_t d, uint8_t f, uint16_t vendor, uint16_t device,
                           uint8_t cls, uint8_t sub)
{
    cr_assert(bus.n < MAXF);
    struct fake_fn *fn = &bus.f[bus.n++];
    memset(fn, 0, sizeof(*fn));
    fn->bus = b;
    fn->dev = d;
    fn->fn = f;
    put32(&fn->cfg[0], vendor | (uint32_t)device << 16);
    put32(&fn->cfg[PCI_CLASS_REV], (uint32_t)cls << 24 | (uint32_t)sub << 16 | 0x01);
    return fn;
}

/* BAR i: initial value (with type bits) and implemented-bits mask; the upper
 * half of a 64-bit BAR has no type bits. */
static void bar(struct fake_fn *fn, unsigned i, uint32_t value, uint32_t mask)
{
    put32(&fn->cfg[PCI_BAR0 + 4 * i], value);
    fn->bar_mask[i] = mask;
    bool hi = i > 0 && (fn->bar_ro[i - 1] & 7) == 4;
    fn->bar_ro[i] = hi ? 0 : value & ((value & 1) ? 3 : 0xf);
}

/* The virtio-blk function QEMU's pc machine shows with disable-legacy=on. */
static struct fake_fn *virtio_blk(uint8_t d)
{
    struct fake_fn *fn = add(0, d, 0, 0x1af4, 0x1042, 0x01, 0x00);
    fn->cfg[PCI_INTERRUPT] = 11;
    fn->cfg[PCI_INTERRUPT + 1] = 1;
    fn->cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
    fn->cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    bar(fn, 1, 0xfebf1000, 0xfffff000); /* MSI-X table, 4 KiB */
    bar(fn, 4, 0xfe00000c, 0xffffc000); /* 64-bit prefetchable, 16 KiB */
    bar(fn, 5, 0x00000000, 0xffffffff); /* its upper half */
    fn->cfg[PCI_CAP_PTR] = 0x98;
    /* MSI-X at 0x98 -> vendor caps 0x84 -> 0x70 -> 0x60 -> 0x50 -> 0x40 -> end */
    const uint8_t chain[][2] = {{0x98, 0x84}, {0x84, 0x70}, {0x70, 0x60},
                                {0x60, 0x50}, {0x50, 0x40}, {0x40, 0x00}};
    for (unsigned i = 0; i < 6; i++) {
        uint8_t at = chain[i][0];
        fn->cfg[at] = i == 0 ? 0x11 : PCI_CAP_ID_VENDOR;
        fn->cfg[at + 1] = chain[i][1];
        fn->cfg[at + 2] = 16;         /* cap_len */
        fn->cfg[at + 3] = (uint8_t)i; /* cfg_type */
        fn->cfg[at + 4] = 4;          /* bar */
    }
    return fn;
}

Test(pci, empty_bus)
{
    struct pci_func out[4];
    size_t n = 99;
    cr_assert_eq(pci_enumerate(&acc, out, 4, &n), PCI_OK);
    cr_assert_eq(n, 0);
    cr_assert_leq(bus.accesses, 32 * 8);
}

Test(pci, identity_and_interrupt)
{
    add(0, 0, 0, 0x8086, 0x1237, 0x06, 0x00);
    virtio_blk(3);
    struct pci_func out[4];
    size_t n;
    cr_assert_eq(pci_enumerate(&acc, out, 4, &n), PCI_OK);
    cr_assert_eq(n, 2);
    cr_assert_eq(out[0].vendor, 0x8086);
    cr_assert_eq(out[0].device, 0x1237);
    cr_assert_eq(out[0].class_code, 0x06);
    cr_assert_eq(out[1].dev, 3);
    cr_assert_eq(out[1].vendor, 0x1af4);
    cr_assert_eq(out[1].device, 0x1042);
    cr_assert_eq(out[1].class_code, 0x01);
    cr_assert_eq(out[1].revision, 0x01);
    cr_assert_eq(out[1].irq_line, 11);
    cr_assert_eq(out[1].irq_pin, 1);
    cr_assert(out[1].status & PCI_STATUS_CAP_LIST);
}

Test(pci, size_bars_and_restore)
{
    struct fake_fn *fn = virtio_blk(3);
    struct fake_fn *io = add(0, 4, 0, 0x10ec, 0x8139, 0x02, 0x00);
    bar(io, 0, 0xc001, 0xffffff00 & 0xfffc); /* I/O, 256 ports at 0xc000 */
    bar(io, 1, 0xfebf2000, 0xffffff00);      /* 256 bytes of memory */
    io->cfg[PCI_COMMAND] = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
    uint8_t before[2][256];
    memcpy(before[0], fn->cfg, 256);
    memcpy(before[1], io->cfg, 256);

    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 3, 0, &f), PCI_OK);
    cr_assert_eq(pci_size_bars(&acc, &f), PCI_OK);
    cr_assert_eq(f.bar[0].kind, PCI_BAR_NONE);
    cr_assert_eq(f.bar[1].kind, PCI_BAR_MEM32);
    cr_assert_eq(f.bar[1].base, 0xfebf1000);
    cr_assert_eq(f.bar[1].size, 0x1000);
    cr_assert_eq(f.bar[4].kind, PCI_BAR_MEM64);
    cr_assert(f.bar[4].prefetch);
    cr_assert_eq(f.bar[4].base, 0xfe000000);
    cr_assert_eq(f.bar[4].size, 0x4000);
    cr_assert_eq(f.bar[5].kind, PCI_BAR_NONE);
    cr_assert_arr_eq(fn->cfg, before[0], 256, "registers not restored");

    cr_assert_eq(pci_read_function(&acc, 0, 4, 0, &f), PCI_OK);
    cr_assert_eq(pci_size_bars(&acc, &f), PCI_OK);
    cr_assert_eq(f.bar[0].kind, PCI_BAR_IO);
    cr_assert_eq(f.bar[0].base, 0xc000);
    cr_assert_eq(f.bar[0].size, 0x100);
    cr_assert_eq(f.bar[1].kind, PCI_BAR_MEM32);
    cr_assert_eq(f.bar[1].size, 0x100);
    cr_assert_arr_eq(io->cfg, before[1], 256, "registers not restored");
}

Test(pci, a_64bit_bar_above_4g)
{
    struct fake_fn *fn = add(0, 1, 0, 0x1b36, 0x0010, 0x01, 0x08);
    bar(fn, 0, 0x0000000c, 0x00000000); /* 8 GiB prefetchable at 8 GiB */
    bar(fn, 1, 0x00000002, 0xfffffffe);
    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 1, 0, &f), PCI_OK);
    cr_assert_eq(pci_size_bars(&acc, &f), PCI_OK);
    cr_assert_eq(f.bar[0].kind, PCI_BAR_MEM64);
    cr_assert_eq(f.bar[0].base, 0x200000000ull);
    cr_assert_eq(f.bar[0].size, 0x200000000ull);
}

Test(pci, multi_function_and_ghosts)
{
    struct fake_fn *mf = add(0, 1, 0, 0x8086, 0x7000, 0x06, 0x01);
    mf->cfg[PCI_HEADER_TYPE] = 0x80;
    add(0, 1, 1, 0x8086, 0x7010, 0x01, 0x01);
    add(0, 1, 3, 0x8086, 0x7113, 0x06, 0x80); /* fn 2 absent: keep looking */
    add(0, 2, 0, 0x1234, 0x1111, 0x03, 0x00); /* single function ... */
    add(0, 2, 1, 0x1234, 0x1111, 0x03, 0x00); /* ... so this ghost is not listed */
    add(0, 5, 1, 0x1234, 0x2222, 0x03, 0x00); /* no function 0: no device */
    struct pci_func out[8];
    size_t n;
    cr_assert_eq(pci_enumerate(&acc, out, 8, &n), PCI_OK);
    cr_assert_eq(n, 4);
    cr_assert_eq(out[0].fn, 0);
    cr_assert_eq(out[1].fn, 1);
    cr_assert_eq(out[2].fn, 3);
    cr_assert_eq(out[3].dev, 2);
    cr_assert_eq(out[3].fn, 0);
}

Test(pci, bridges_each_bus_once)
{
    add(0, 0, 0, 0x8086, 0x29c0, 0x06, 0x00);
    struct fake_fn *br = add(0, 2, 0, 0x1b36, 0x0001, 0x06, 0x04);
    br->cfg[PCI_HEADER_TYPE] = 1;
    br->cfg[PCI_SECONDARY_BUS] = 1;
    add(1, 0, 0, 0x1af4, 0x1042, 0x01, 0x00);
    /* Hostile: bus 1 holds bridges back to bus 0, to itself, and to bus 1 again. */
    const uint8_t targets[] = {0, 1, 2};
    for (unsigned i = 0; i < 3; i++) {
        struct fake_fn *b = add(1, (uint8_t)(1 + i), 0, 0x1b36, 0x0001, 0x06, 0x04);
        b->cfg[PCI_HEADER_TYPE] = 1;
        b->cfg[PCI_SECONDARY_BUS] = targets[i];
    }
    struct fake_fn *b2 = add(0, 3, 0, 0x1b36, 0x0001, 0x06, 0x04); /* also to bus 1 */
    b2->cfg[PCI_HEADER_TYPE] = 1;
    b2->cfg[PCI_SECONDARY_BUS] = 1;
    struct pci_func out[16];
    size_t n;
    cr_assert_eq(pci_enumerate(&acc, out, 16, &n), PCI_OK);
    cr_assert_eq(n, 7); /* bus 0: 3; bus 1: 4; bus 2: none */
    unsigned on1 = 0;
    for (size_t i = 0; i < n; i++)
        on1 += out[i].bus == 1;
    cr_assert_eq(on1, 4);
    cr_assert_leq(bus.accesses, 3 * 32 * 8 * 8, "walk did not stay bounded");
}

Test(pci, full)
{
    for (uint8_t d = 0; d < 5; d++)
        add(0, d, 0, 0x1234, d, 0xff, 0);
    struct pci_func out[3];
    size_t n;
    cr_assert_eq(pci_enumerate(&acc, out, 3, &n), PCI_ERR_FULL);
    cr_assert_eq(n, 3);
    cr_assert_eq(out[2].device, 2);
}

/* A function with BAR 0 as given; sizing must fail with the registers restored. */
static void expect_bad_bar(uint32_t value, uint32_t mask, unsigned slot)
{
    setup();
    struct fake_fn *fn = add(0, 1, 0, 0x1234, 0x5678, 0xff, 0);
    fn->cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
    bar(fn, slot, value, mask);
    uint8_t before[256];
    memcpy(before, fn->cfg, 256);
    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 1, 0, &f), PCI_OK);
    cr_assert_eq(pci_size_bars(&acc, &f), PCI_ERR_BAD_BAR, "BAR %#x mask %#x accepted", value,
                 mask);
    /* A register holds only its implemented bits: what the restore can give back. */
    put32(&before[PCI_BAR0 + 4 * slot], (value & mask) | fn->bar_ro[slot]);
    cr_assert_arr_eq(fn->cfg, before, 256, "registers not restored (BAR %#x)", value);
    for (unsigned i = 0; i < PCI_BARS; i++)
        cr_assert_eq(f.bar[i].kind, PCI_BAR_NONE);
}

Test(pci, hostile_bars)
{
    expect_bad_bar(0xfebf0000, 0xfff0f000, 0); /* hole in the mask */
    expect_bad_bar(0xfebf1000, 0xffffe000, 0); /* base not aligned to 8 KiB */
    expect_bad_bar(0xfebf1000, 0x00000000, 0); /* a base but size 0 */
    expect_bad_bar(0x00000004, 0xfffff000, 5); /* 64-bit in the last slot */
    expect_bad_bar(0x00000006, 0xfffff000, 0); /* reserved type 3 */
    expect_bad_bar(0x00000002, 0xfffff000, 0); /* obsolete below-1-MiB type */
    expect_bad_bar(0x00000008, 0x00000000, 0); /* only the type bits: size 0 */
    expect_bad_bar(0x0000fff5, 0x0000fff0, 0); /* I/O base not aligned */
    expect_bad_bar(0x00000001, 0x00000000, 0); /* I/O of size 0 */
    expect_bad_bar(0x0000ff01, 0x0000ff0c, 0); /* I/O mask with a hole */
}

Test(pci, bar_size_zero_is_unimplemented)
{
    struct fake_fn *fn = add(0, 1, 0, 0x1234, 0x5678, 0xff, 0);
    bar(fn, 2, 0, 0);
    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 1, 0, &f), PCI_OK);
    cr_assert_eq(pci_size_bars(&acc, &f), PCI_OK);
    for (unsigned i = 0; i < PCI_BARS; i++)
        cr_assert_eq(f.bar[i].kind, PCI_BAR_NONE);
}

Test(pci, capability_walk)
{
    virtio_blk(3);
    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 3, 0, &f), PCI_OK);
    uint8_t pos = 0, id, seen[8];
    unsigned visited = 0, n = 0;
    enum pci_status s;
    while ((s = pci_cap_next(&acc, &f, &pos, &id, &visited)) == PCI_OK) {
        cr_assert_lt(n, 8);
        seen[n++] = pos;
        if (pos != 0x98) {
            cr_assert_eq(id, PCI_CAP_ID_VENDOR);
            uint8_t cap[16];
            cr_assert_eq(pci_read_bytes(&acc, &f, pos, cap, sizeof(cap)), PCI_OK);
            cr_assert_eq(cap[2], 16);
            cr_assert_eq(cap[4], 4);
        } else {
            cr_assert_eq(id, 0x11);
        }
    }
    cr_assert_eq(s, PCI_ERR_ABSENT);
    cr_assert_eq(n, 6);
    const uint8_t want[] = {0x98, 0x84, 0x70, 0x60, 0x50, 0x40};
    cr_assert_arr_eq(seen, want, 6);
}

/* The result of walking the list of the function at 0:1.0 to its end. */
static enum pci_status walk(unsigned *steps)
{
    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 1, 0, &f), PCI_OK);
    uint8_t pos = 0, id;
    unsigned visited = 0;
    enum pci_status s;
    *steps = 0;
    while ((s = pci_cap_next(&acc, &f, &pos, &id, &visited)) == PCI_OK)
        cr_assert_leq(++*steps, PCI_CAP_MAX);
    return s;
}

Test(pci, hostile_capabilities)
{
    unsigned steps;
    struct fake_fn *fn = add(0, 1, 0, 0x1234, 0x5678, 0xff, 0);
    /* No list: status bit clear, whatever the pointer says. */
    fn->cfg[PCI_CAP_PTR] = 0x40;
    cr_assert_eq(walk(&steps), PCI_ERR_ABSENT);
    cr_assert_eq(steps, 0);
    fn->cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
    /* A capability pointing at itself. */
    fn->cfg[0x40] = 0x09;
    fn->cfg[0x41] = 0x40;
    cr_assert_eq(walk(&steps), PCI_ERR_LOOP);
    /* A longer loop 0x40 -> 0x80 -> 0xc0 -> 0x40. */
    fn->cfg[0x41] = 0x80;
    fn->cfg[0x81] = 0xc0;
    fn->cfg[0xc1] = 0x40;
    cr_assert_eq(walk(&steps), PCI_ERR_LOOP);
    /* Into the header. */
    fn->cfg[0xc1] = 0x10;
    cr_assert_eq(walk(&steps), PCI_ERR_BAD_CAP);
    cr_assert_eq(steps, 3);
    /* Past the end: a header at 0xfe would leave the space (0xff & ~3 = 0xfc is the
     * last usable place). */
    fn->cfg[0xc1] = 0xfc;
    fn->cfg[0xfd] = 0x00;
    cr_assert_eq(walk(&steps), PCI_ERR_ABSENT);
    cr_assert_eq(steps, 4);
    fn->cfg[PCI_CAP_PTR] = 0x3c;
    cr_assert_eq(walk(&steps), PCI_ERR_BAD_CAP);
    /* A caller passing a bad position. */
    struct pci_func f;
    cr_assert_eq(pci_read_function(&acc, 0, 1, 0, &f), PCI_OK);
    uint8_t pos = 0x20, id;
    unsigned visited = 0;
    cr_assert_eq(pci_cap_next(&acc, &f, &pos, &id, &visited), PCI_ERR_BAD_CAP);
    pos = 0xff;
    cr_assert_eq(pci_cap_next(&acc, &f, &pos, &id, &visited), PCI_ERR_BAD_CAP);
    uint8_t buf[16];
    cr_assert_eq(pci_read_bytes(&acc, &f, 0xf8, buf, 16), PCI_ERR_RANGE);
    cr_assert_eq(pci_read_bytes(&acc, &f, 0x100, buf, 1), PCI_ERR_RANGE);
    cr_assert_eq(pci_read_bytes(&acc, &f, 0xfff0, buf, 0x20), PCI_ERR_RANGE);
    cr_assert_eq(pci_read_bytes(&acc, &f, 0xf0, buf, 16), PCI_OK);
}

Test(pci, access_errors)
{
    add(0, 1, 0, 0x1234, 0x5678, 0xff, 0);
    uint32_t v;
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0x100, 4, &v), PCI_ERR_RANGE);
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0x02, 4, &v), PCI_ERR_RANGE);
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0x01, 2, &v), PCI_ERR_RANGE);
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0x00, 3, &v), PCI_ERR_RANGE);
    cr_assert_eq(pci_read(&acc, 0, 32, 0, 0x00, 4, &v), PCI_ERR_RANGE);
    cr_assert_eq(pci_read(&acc, 0, 1, 8, 0x00, 4, &v), PCI_ERR_RANGE);
    cr_assert_eq(pci_write(&acc, 0, 1, 0, 0x101, 1, 0), PCI_ERR_RANGE);
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0x02, 2, &v), PCI_OK);
    cr_assert_eq(v, 0x5678);
    cr_assert_eq(pci_write(&acc, 0, 1, 0, 0x3d, 1, 0xab), PCI_OK);
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0x3c, 4, &v), PCI_OK);
    cr_assert_eq(v, 0xab00);
    bus.fail = true;
    struct pci_func out[2];
    size_t n;
    cr_assert_eq(pci_enumerate(&acc, out, 2, &n), PCI_ERR_IO);
    cr_assert_eq(pci_read(&acc, 0, 1, 0, 0, 4, &v), PCI_ERR_IO);
    cr_assert_str_eq(pci_status_name(PCI_ERR_LOOP), "capability list loops");
}

/* Random configuration bytes everywhere on bus 0 and bus 1: every call ends with
 * some status, within a fixed number of accesses (ASan/UBSan watch the rest). */
Test(pci, random_config_space)
{
    srand(1234);
    for (unsigned round = 0; round < 200; round++) {
        setup();
        for (unsigned i = 0; i < MAXF; i++) {
            struct fake_fn *fn =
                add((uint8_t)(i >= 12), (uint8_t)(rand() % 32), (uint8_t)(rand() % 8), 0, 0, 0, 0);
            for (unsigned b = 0; b < 256; b++)
                fn->cfg[b] = (uint8_t)rand();
            for (unsigned b = 0; b < 6; b++)
                fn->bar_mask[b] = (uint32_t)rand() << 1 ^ (uint32_t)rand();
        }
        struct pci_func out[MAXF];
        size_t n;
        bus.accesses = 0;
        (void)pci_enumerate(&acc, out, MAXF, &n);
        cr_assert_leq(bus.accesses, 256u * 32 * 8 * 8);
        for (size_t i = 0; i < n; i++) {
            bus.accesses = 0;
            (void)pci_size_bars(&acc, &out[i]);
            cr_assert_leq(bus.accesses, 4 + 6 * 6);
            uint8_t pos = 0, id;
            unsigned visited = 0, steps = 0;
            while (pci_cap_next(&acc, &out[i], &pos, &id, &visited) == PCI_OK)
                cr_assert_leq(++steps, PCI_CAP_MAX);
        }
    }
}

/* --- the bus server's bookkeeping (user/pcibus/bus.c) ------------------------- */

static struct bus pb;
static unsigned splits, split_fail_at;
static wf_word_t next_split_slot;

static bool fake_split(void *ctx, wf_word_t slot, unsigned bits, wf_word_t *lo, wf_word_t *hi)
{
    (void)ctx, (void)slot, (void)bits;
    if (++splits == split_fail_at)
        return false;
    *lo = next_split_slot++;
    *hi = next_split_slot++;
    return true;
}

static void pb_setup(void)
{
    memset(&pb, 0, sizeof(pb));
    splits = split_fail_at = 0;
    next_split_slot = 1000;
    static const struct {
        uint16_t vendor, device;
        uint8_t cls, sub, prog_if, line, pin;
    } d[] = {
        {0x8086, 0x1237, 0x06, 0x00, 0x00, 0, 0},  /* host bridge */
        {0x1af4, 0x1042, 0x01, 0x00, 0x00, 11, 1}, /* virtio-blk */
        {0x1af4, 0x1044, 0x00, 0xff, 0x00, 10, 1}, /* virtio-rng */
        {0x1af4, 0x1042, 0x01, 0x00, 0x00, 11, 1}, /* a second disk on the same line */
        {0x8086, 0x100e, 0x02, 0x00, 0x00, 10, 1}, /* e1000 on the rng's line */
    };
    for (unsigned i = 0; i < sizeof(d) / sizeof(d[0]); i++)
        pb.dev[pb.n++].f = (struct pci_func){.dev = (uint8_t)i,
                                             .vendor = d[i].vendor,
                                             .device = d[i].device,
                                             .class_code = d[i].cls,
                                             .subclass = d[i].sub,
                                             .prog_if = d[i].prog_if,
                                             .irq_line = d[i].line,
                                             .irq_pin = d[i].pin};
}

TestSuite(pcibus, .init = pb_setup);

Test(pcibus, claim_matches_vendor_device_class_and_nth)
{
    unsigned i = 99;
    bool again = true;
    cr_assert_eq(bus_claim(&pb, 1, 0x1af4, 0x1042, BUS_ANY, 0, &i, &again), WF_ERR_OK);
    cr_assert(i == 1 && !again);
    cr_assert_eq(bus_claim(&pb, 2, 0x1af4, 0x1042, BUS_ANY, 1, &i, &again), WF_ERR_OK);
    cr_assert_eq(i, 3);
    cr_assert_eq(bus_claim(&pb, 3, 0x1af4, 0x1042, BUS_ANY, 2, &i, &again), WF_ERR_FAILED_LOOKUP);
    cr_assert_eq(bus_claim(&pb, 3, BUS_ANY, BUS_ANY, 0x00ff, 0, &i, &again), WF_ERR_OK);
    cr_assert_eq(i, 2, "class 0x00 subclass 0xff: the rng");
    cr_assert_eq(bus_claim(&pb, 4, BUS_ANY, BUS_ANY, 0x020000, 0, &i, &again), WF_ERR_OK);
    cr_assert_eq(i, 4, "a 24-bit class with its programming interface");
    cr_assert_eq(bus_claim(&pb, 5, BUS_ANY, BUS_ANY, 0x020001, 0, &i, &again),
                 WF_ERR_FAILED_LOOKUP);
    cr_assert_eq(bus_claim(&pb, 5, 0x10ec, BUS_ANY, BUS_ANY, 0, &i, &again), WF_ERR_FAILED_LOOKUP);
    cr_assert_eq(bus_claim(&pb, 5, BUS_ANY, BUS_ANY, BUS_ANY, 0, &i, &again), WF_ERR_OK);
    cr_assert_eq(i, 0);
}

Test(pcibus, one_client_at_a_time_and_the_same_badge_claims_again)
{
    unsigned i;
    bool again;
    cr_assert_eq(bus_claim(&pb, 1, 0x1af4, 0x1044, BUS_ANY, 0, &i, &again), WF_ERR_OK);
    cr_assert_eq(bus_claim(&pb, 2, 0x1af4, 0x1044, BUS_ANY, 0, &i, &again),
                 WF_ERR_ILLEGAL_OPERATION);
    cr_assert(pb.dev[2].claimed && pb.dev[2].badge == 1, "the refused claim changed nothing");
    cr_assert_eq(bus_claim(&pb, 1, 0x1af4, 0x1044, BUS_ANY, 0, &i, &again), WF_ERR_OK);
    cr_assert(again, "a restarted driver (same badge) gets it again");
    cr_assert_eq(bus_holder(&pb, 1, 2), WF_ERR_OK);
    cr_assert_eq(bus_holder(&pb, 2, 2), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(bus_holder(&pb, 1, 1), WF_ERR_ILLEGAL_OPERATION, "unclaimed");
    cr_assert_eq(bus_holder(&pb, 1, pb.n), WF_ERR_RANGE_ERROR);
    cr_assert_eq(bus_holder(&pb, 1, ~(wf_word_t)0), WF_ERR_RANGE_ERROR);
}

Test(pcibus, config_reads_and_command_bits)
{
    cr_assert_eq(bus_config_check(0, 4), WF_ERR_OK);
    cr_assert_eq(bus_config_check(0xfc, 4), WF_ERR_OK);
    cr_assert_eq(bus_config_check(0xfe, 2), WF_ERR_OK);
    cr_assert_eq(bus_config_check(0xff, 1), WF_ERR_OK);
    cr_assert_eq(bus_config_check(0x100, 1), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(bus_config_check(2, 4), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(bus_config_check(1, 2), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(bus_config_check(0, 3), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(bus_config_check(0, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(bus_config_check(~(wf_word_t)0, 1), WF_ERR_INVALID_ARGUMENT);
    uint16_t out = 0;
    cr_assert_eq(bus_command(0x0140, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, &out), WF_ERR_OK);
    cr_assert_eq(out, 0x0146, "SERR and parity bits kept");
    cr_assert_eq(bus_command(0x0547, PCI_COMMAND_MEMORY, &out), WF_ERR_OK);
    cr_assert_eq(out, 0x0142, "INTx disable, I/O and master cleared");
    out = 0x1234;
    cr_assert_eq(bus_command(0, 0x100, &out), WF_ERR_INVALID_ARGUMENT); /* SERR */
    cr_assert_eq(bus_command(0, 1ull << 16, &out), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(out, 0x1234);
}

Test(pcibus, shared_interrupt_lines)
{
    unsigned i;
    bool again;
    cr_assert(!bus_line_shared(&pb, 1));
    cr_assert_eq(bus_claim(&pb, 1, 0x1af4, 0x1042, BUS_ANY, 0, &i, &again), WF_ERR_OK);
    cr_assert(!bus_line_shared(&pb, 1), "its own claim does not count");
    cr_assert(bus_line_shared(&pb, 3), "device 3 is on device 1's line");
    cr_assert(!bus_line_shared(&pb, 2));
    cr_assert_eq(bus_claim(&pb, 2, 0x8086, 0x100e, BUS_ANY, 0, &i, &again), WF_ERR_OK);
    cr_assert(bus_line_shared(&pb, 2));
}

Test(pcibus, bar_bits)
{
    cr_assert_eq(bus_bar_bits(0), 12);
    cr_assert_eq(bus_bar_bits(16), 12);
    cr_assert_eq(bus_bar_bits(4096), 12);
    cr_assert_eq(bus_bar_bits(4097), 13);
    cr_assert_eq(bus_bar_bits(0x4000), 14);
    cr_assert_eq(bus_bar_bits(1ull << 40), 40);
}

Test(pcibus, carve_splits_down_to_the_bar_once)
{
    cr_assert(bus_add_untyped(&pb, 0xfe000000, 20, 16)); /* 1 MiB */
    cr_assert(bus_add_untyped(&pb, 0xc0000000, 28, 17));
    struct bus_node *n = bus_carve(&pb, 0xfe004000, 14, 1, fake_split, NULL);
    cr_assert_not_null(n);
    cr_assert(n->pa == 0xfe004000 && n->bits == 14 && n->owner == 1);
    cr_assert_eq(splits, 6, "20 down to 14 bits");
    cr_assert_eq(bus_carve(&pb, 0xfe004000, 14, 1, fake_split, NULL), n, "the same piece again");
    cr_assert_eq(splits, 6);
    cr_assert_null(bus_carve(&pb, 0xfe004000, 14, 2, fake_split, NULL), "another device's");
    cr_assert_null(bus_carve(&pb, 0xfe000000, 16, 2, fake_split, NULL), "holds device 1's piece");
    cr_assert_null(bus_carve(&pb, 0xfe005000, 12, 2, fake_split, NULL), "inside device 1's");
    struct bus_node *m = bus_carve(&pb, 0xfe008000, 14, 2, fake_split, NULL);
    cr_assert(m && m->pa == 0xfe008000 && m->bits == 14 && m->owner == 2);
    cr_assert_null(bus_carve(&pb, 0xd0000000, 14, 2, fake_split, NULL), "not device memory");
    cr_assert_null(bus_carve(&pb, 0xfe004100, 14, 2, fake_split, NULL), "not aligned");
    cr_assert_null(bus_carve(&pb, 0xfe000000, 21, 2, fake_split, NULL), "larger than given");
    cr_assert_null(bus_carve(&pb, 0xfe000000, 64, 2, fake_split, NULL));
    bus_drop_nodes(&pb, 1);
    n = bus_carve(&pb, 0xfe004000, 14, 3, fake_split, NULL);
    cr_assert(n && n->owner == 3, "device 1's piece is free again");
    /* The other untyped is untouched; a 4 KiB BAR in it. */
    n = bus_carve(&pb, 0xc0001000, 12, 4, fake_split, NULL);
    cr_assert(n && n->pa == 0xc0001000 && n->bits == 12);
}

Test(pcibus, a_failed_split_and_a_full_table_leave_the_tree_whole)
{
    cr_assert(bus_add_untyped(&pb, 0xfe000000, 20, 16));
    split_fail_at = 3;
    cr_assert_null(bus_carve(&pb, 0xfe004000, 14, 1, fake_split, NULL));
    for (unsigned i = 0; i < pb.nnodes; i++)
        cr_assert_eq(pb.node[i].owner, -1);
    split_fail_at = 0;
    struct bus_node *n = bus_carve(&pb, 0xfe004000, 14, 1, fake_split, NULL);
    cr_assert(n && n->pa == 0xfe004000 && n->bits == 14, "carving goes on where it stopped");
    while (pb.nnodes < BUS_MAX_NODES)
        cr_assert(bus_add_untyped(&pb, 0x100000000ull * pb.nnodes, 12, 0));
    cr_assert(!bus_add_untyped(&pb, 0, 12, 0));
    cr_assert_null(bus_carve(&pb, 0xfe080000, 14, 2, fake_split, NULL), "no room to split");
}

/* Random carves against a model: every piece handed out has exactly the range
 * asked for, and no two devices ever hold overlapping memory. */
Test(pcibus, random_carves_never_overlap)
{
    srand(99);
    for (unsigned round = 0; round < 50; round++) {
        pb_setup();
        cr_assert(bus_add_untyped(&pb, 0x80000000, 24, 16));
        for (unsigned k = 0; k < 200; k++) {
            unsigned bits = 12 + (unsigned)(rand() % 8);
            uint64_t pa = 0x80000000 + ((uint64_t)(rand() % 4096) << 12);
            pa &= ~(((uint64_t)1 << bits) - 1);
            int dev = rand() % 4;
            if (rand() % 10 == 0) {
                bus_drop_nodes(&pb, dev);
                continue;
            }
            struct bus_node *n = bus_carve(&pb, pa, bits, dev, fake_split, NULL);
            if (n)
                cr_assert(n->pa == pa && n->bits == bits && n->owner == dev);
            for (unsigned a = 0; a < pb.nnodes; a++)
                for (unsigned b = a + 1; b < pb.nnodes; b++) {
                    const struct bus_node *x = &pb.node[a], *y = &pb.node[b];
                    if (x->owner < 0 || y->owner < 0 || x->owner == y->owner)
                        continue;
                    uint64_t xe = x->pa + (1ull << x->bits), ye = y->pa + (1ull << y->bits);
                    cr_assert(xe <= y->pa || ye <= x->pa, "pieces of devices %d and %d overlap",
                              x->owner, y->owner);
                }
        }
    }
}
