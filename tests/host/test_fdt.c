/*
 * The device-tree reader (kernel/genarch/fdt.c): QEMU's virt trees for aarch64
 * (GICv2, PL011, the generic timer, PCI ECAM above 4 GiB) and riscv64 (PLIC,
 * ns16550a under /soc, timebase-frequency), a made-up board (tests/dt/gicv3-board.dts:
 * /memreserve/, /reserved-memory, 32-bit cells, translation through a bus's
 * ranges, stdout-path choosing a UART, initrd, a disabled CPU, GICv3), malformed
 * trees compiled by dtc, blobs corrupted field by field, blobs built by hand
 * (what dtc will not write: a property after a subnode, two roots, an
 * unterminated name, a version 16 header), and random corruption.
 *
 * Blobs are read from build/dt/ (tests/host/fdt.mk compiles them) into buffers
 * of exactly their size, so ASan catches a read past the blob. Every failure
 * must leave the caller's fdt_info untouched.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "genarch/fdt.h"

static uint8_t *load(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), "build/dt/%s.dtb", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (run from the repository root)", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static struct fdt_info info;
static struct fdt_report rep;

/* Parses b and checks that a failure left info untouched. */
static enum fdt_err parse(const uint8_t *b, size_t len)
{
    static struct fdt_info before;
    memset(&info, 0xa5, sizeof(info));
    before = info;
    enum fdt_err e = fdt_parse(b, len, &info, &rep);
    if (e != FDT_OK)
        cr_assert(memcmp(&info, &before, sizeof(info)) == 0, "failed parse wrote its output");
    cr_assert_not_null(fdt_strerror(e));
    return e;
}

static enum fdt_err parse_file(const char *name)
{
    size_t len;
    uint8_t *b = load(name, &len);
    enum fdt_err e = parse(b, len);
    free(b);
    return e;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

Test(fdt, qemu_aarch64_virt)
{
    cr_assert_eq(parse_file("qemu-aarch64-virt"), FDT_OK, "%s at %u in %s",
                 fdt_strerror(parse_file("qemu-aarch64-virt")), rep.offset, rep.node);
    cr_assert_eq(info.version, 17);
    cr_assert_eq(info.nmem, 1);
    cr_assert_eq(info.mem[0].base, 0x40000000);
    cr_assert_eq(info.mem[0].size, 0x10000000);
    cr_assert_eq(info.nresv, 0);
    cr_assert_eq(info.ncpus, 1);
    cr_assert_eq(info.cpu_id[0], 0);
    cr_assert_eq(info.psci, FDT_PSCI_HVC);
    cr_assert_eq(info.intc.kind, FDT_INTC_GICV2);
    cr_assert_eq(info.intc.dist_base, 0x8000000);
    cr_assert_eq(info.intc.dist_size, 0x10000);
    cr_assert_eq(info.intc.cpu_base, 0x8010000);
    cr_assert_eq(info.intc.cpu_size, 0x10000);
    cr_assert_eq(info.intc.interrupt_cells, 3);
    cr_assert(info.timer.present);
    uint32_t want[4] = {29, 30, 27, 26}; /* PPIs 13, 14, 11, 10 */
    for (int i = 0; i < 4; i++) {
        cr_assert(info.timer.irq[i].valid);
        cr_assert_eq(info.timer.irq[i].num, want[i]);
        cr_assert_eq(info.timer.irq[i].flags, 0x104);
    }
    cr_assert_eq(info.timer.frequency, 0);
    cr_assert_eq(info.uart.kind, FDT_UART_PL011);
    cr_assert_eq(info.uart.base, 0x9000000);
    cr_assert_eq(info.uart.size, 0x1000);
    cr_assert(info.uart.irq.valid);
    cr_assert_eq(info.uart.irq.num, 33); /* SPI 1 */
    cr_assert(info.uart.is_stdout);
    cr_assert_str_eq(info.stdout_path, "/pl011@9000000");
    cr_assert(info.pci.present);
    cr_assert_eq(info.pci.ecam_base, 0x4010000000);
    cr_assert_eq(info.pci.ecam_size, 0x10000000);
    cr_assert_eq(info.pci.bus_first, 0);
    cr_assert_eq(info.pci.bus_last, 255);
    cr_assert_eq(info.pci.nwin, 3);
    cr_assert_eq(info.pci.win[0].space, FDT_PCI_IO);
    cr_assert_eq(info.pci.win[0].cpu_addr, 0x3eff0000);
    cr_assert_eq(info.pci.win[0].size, 0x10000);
    cr_assert_eq(info.pci.win[1].space, FDT_PCI_MEM32);
    cr_assert_eq(info.pci.win[1].pci_addr, 0x10000000);
    cr_assert_eq(info.pci.win[1].size, 0x2eff0000);
    cr_assert_eq(info.pci.win[2].space, FDT_PCI_MEM64);
    cr_assert_eq(info.pci.win[2].cpu_addr, 0x8000000000);
    /* interrupt-map: slot s pin p (1-4) raises SPI 3 + (s + p - 1) % 4, INTID 35 + that
     * (QEMU's hw/arm/virt.c swizzle), entries of 10 cells (the GIC's #address-cells 2). */
    cr_assert(info.pci.intx_map);
    cr_assert_eq(info.pci.intx_mask_hi, 0x1800);
    cr_assert_eq(info.pci.intx_mask_pin, 7);
    cr_assert_eq(info.pci.nintx, 16);
    cr_assert_eq(info.pci.intx_dropped, 0);
    for (unsigned i = 0; i < 16; i++) {
        unsigned slot = i / 4, pin = i % 4 + 1;
        cr_assert_eq(info.pci.intx[i].addr_hi, slot << 11);
        cr_assert_eq(info.pci.intx[i].pin, pin);
        cr_assert(info.pci.intx[i].irq_valid);
        cr_assert_eq(info.pci.intx[i].irq_num, 32 + 3 + (slot + pin - 1) % 4, "entry %u", i);
    }
    cr_assert_str_eq(info.bootargs, "");
    cr_assert_eq(info.initrd_start, 0);
    cr_assert_eq(rep.uarts, 1);
}

Test(fdt, qemu_riscv64_virt)
{
    cr_assert_eq(parse_file("qemu-riscv64-virt"), FDT_OK);
    cr_assert_eq(info.nmem, 1);
    cr_assert_eq(info.mem[0].base, 0x80000000);
    cr_assert_eq(info.mem[0].size, 0x10000000);
    cr_assert_eq(info.ncpus, 1);
    cr_assert_eq(info.intc.kind, FDT_INTC_PLIC);
    cr_assert_eq(info.intc.dist_base, 0xc000000);
    cr_assert_eq(info.intc.dist_size, 0x600000);
    cr_assert_eq(info.intc.ndev, 0x60);
    cr_assert_eq(info.intc.interrupt_cells, 1);
    cr_assert_eq(info.uart.kind, FDT_UART_NS16550);
    cr_assert_eq(info.uart.base, 0x10000000);
    cr_assert_eq(info.uart.size, 0x100);
    cr_assert(info.uart.irq.valid);
    cr_assert_eq(info.uart.irq.num, 10);
    cr_assert(info.uart.is_stdout);
    cr_assert_eq(info.uart.clock, 0x384000);
    cr_assert(!info.timer.present);
    cr_assert_eq(info.timer.frequency, 10000000);
    cr_assert(info.pci.present);
    cr_assert_eq(info.pci.ecam_base, 0x30000000);
    /* The PLIC has no #address-cells: entries of 6 cells, sources 0x20 + (slot + pin - 1) % 4. */
    cr_assert_eq(info.pci.nintx, 16);
    for (unsigned i = 0; i < 16; i++) {
        unsigned slot = i / 4, pin = i % 4 + 1;
        cr_assert_eq(info.pci.intx[i].addr_hi, slot << 11);
        cr_assert_eq(info.pci.intx[i].pin, pin);
        cr_assert(info.pci.intx[i].irq_valid);
        cr_assert_eq(info.pci.intx[i].irq_num, 0x20 + (slot + pin - 1) % 4, "entry %u", i);
    }
    cr_assert_eq(info.psci, FDT_PSCI_NONE);
}

Test(fdt, board_reserved_cells_translation_chosen)
{
    cr_assert_eq(parse_file("gicv3-board"), FDT_OK, "%s at %s",
                 fdt_strerror(parse_file("gicv3-board")), rep.node);
    cr_assert_eq(info.nmem, 3);
    cr_assert_eq(info.mem[0].base, 0x80000000);
    cr_assert_eq(info.mem[0].size, 0x20000000);
    cr_assert_eq(info.mem[1].base, 0xc0000000);
    cr_assert_eq(info.mem[2].base, 0xf0000000);
    cr_assert_eq(info.mem[2].size, 0x08000000);
    cr_assert_eq(info.nresv, 3);
    cr_assert_eq(info.resv[0].base, 0x80000000);
    cr_assert_eq(info.resv[0].size, 0x10000);
    cr_assert_eq(info.resv[1].base, 0x80100000);
    cr_assert_eq(info.resv[2].base, 0x9f000000);
    cr_assert_eq(info.resv[2].size, 0x01000000);
    cr_assert_eq(info.resv_dynamic, 1);
    cr_assert_eq(info.ncpus, 3);
    cr_assert_eq(info.cpu_id[0], 0);
    cr_assert_eq(info.cpu_id[1], 1);
    cr_assert_eq(info.cpu_id[2], 0x100000101);
    cr_assert_eq(info.psci, FDT_PSCI_SMC);
    cr_assert_eq(info.intc.kind, FDT_INTC_GICV3);
    cr_assert_eq(info.intc.dist_base, 0x2f000000);
    cr_assert_eq(info.intc.cpu_base, 0x2f100000);
    cr_assert_eq(info.intc.cpu_size, 0x200000);
    cr_assert_eq(info.timer.frequency, 25000000);
    cr_assert_eq(info.timer.irq[2].num, 27);
    cr_assert_eq(info.timer.irq[2].flags, 0xf08);
    cr_assert_eq(info.uart.kind, FDT_UART_NS16550);
    cr_assert_eq(info.uart.base, 0x1c090100, "uart at %#llx", (unsigned long long)info.uart.base);
    cr_assert_eq(info.uart.reg_shift, 2);
    cr_assert_eq(info.uart.clock, 1843200);
    cr_assert_eq(info.uart.irq.num, 69);
    cr_assert(info.uart.is_stdout);
    cr_assert_str_eq(info.stdout_path, "/soc/serial@1100");
    cr_assert_eq(rep.uarts, 3);
    cr_assert_eq(rep.untranslatable, 1); /* serial@5000 lies outside the bus's ranges */
    cr_assert_str_eq(info.bootargs, "console=ttyS0 init=utest utest=fdt/");
    cr_assert(!info.bootargs_truncated);
    cr_assert_eq(info.initrd_start, 0x88000000);
    cr_assert_eq(info.initrd_end, 0x88200000);
    cr_assert(info.pci.present);
    cr_assert_eq(info.pci.ecam_base, 0x40000000);
    cr_assert_eq(info.pci.bus_last, 0x3f);
    cr_assert_eq(info.pci.nwin, 3);
    cr_assert_eq(info.pci.win[0].cpu_addr, 0x50000000);
    cr_assert_eq(info.pci.win[2].space, FDT_PCI_MEM64);
    cr_assert(info.pci.win[2].prefetchable);
    cr_assert_eq(info.pci.win[2].pci_addr, 0x100000000);
    cr_assert_eq(info.pci.win[2].cpu_addr, 0x70000000);
    cr_assert_eq(info.pci.win[2].size, 0x08000000);
}

Test(fdt, malformed_sources)
{
    cr_assert_eq(parse_file("bad-cells"), FDT_ERR_CELLS);
    cr_assert_str_eq(rep.node, "/");
    cr_assert_eq(parse_file("bad-reg"), FDT_ERR_REG);
    cr_assert_str_eq(rep.node, "/memory@40000000");
    cr_assert_neq(rep.offset, 0);
    cr_assert_eq(parse_file("no-memory"), FDT_ERR_NO_MEMORY);
    cr_assert_eq(parse_file("too-deep"), FDT_ERR_NESTING);
    cr_assert(strncmp(rep.node, "/n1/n2/n3", 9) == 0, "node %s", rep.node);
}

/* A PCI interrupt-map that is cut short, names no interrupt controller, or
 * comes with a mask of the wrong width: an error at the host's node, never a
 * read past the property. */
Test(fdt, malformed_pci_interrupt_map)
{
    static const char *const trees[] = {"bad-imap", "bad-imap-parent", "bad-imap-mask"};
    for (unsigned i = 0; i < 3; i++) {
        cr_assert_eq(parse_file(trees[i]), FDT_ERR_IMAP, "%s", trees[i]);
        cr_assert_str_eq(rep.node, "/pcie@10000000", "%s", trees[i]);
        cr_assert_neq(rep.offset, 0, "%s", trees[i]);
    }
}

/* The gicv3 board's host bridge has no interrupt-map: no entries, the mask all ones. */
Test(fdt, pci_without_interrupt_map)
{
    cr_assert_eq(parse_file("gicv3-board"), FDT_OK);
    cr_assert(info.pci.present);
    cr_assert(!info.pci.intx_map);
    cr_assert_eq(info.pci.nintx, 0);
    cr_assert_eq(info.pci.intx_mask_hi, 0xffffffffu);
}

/* The aarch64 blob with one header word replaced. */
static enum fdt_err with_header(unsigned off, uint32_t v)
{
    size_t len;
    uint8_t *b = load("qemu-aarch64-virt", &len);
    put32(b + off, v);
    enum fdt_err e = parse(b, len);
    free(b);
    return e;
}

Test(fdt, header_checks)
{
    size_t len;
    uint8_t *b = load("qemu-aarch64-virt", &len);
    cr_assert_eq(get32(b + 4), len);
    cr_assert_eq(parse(b, 20), FDT_ERR_TRUNCATED);
    cr_assert_eq(parse(b, len - 1), FDT_ERR_TRUNCATED);
    cr_assert_eq(fdt_total_size(b, 40), len);
    cr_assert_eq(fdt_total_size(b, 8), 0);
    free(b);
    cr_assert_eq(with_header(0, 0xd00dfeee), FDT_ERR_MAGIC);
    cr_assert_eq(with_header(20, 15), FDT_ERR_VERSION);
    cr_assert_eq(with_header(24, 18), FDT_ERR_VERSION);
    cr_assert_eq(with_header(4, 12), FDT_ERR_TRUNCATED);
    cr_assert_eq(with_header(8, 0x3a), FDT_ERR_LAYOUT);        /* struct block misaligned */
    cr_assert_eq(with_header(8, 0x7fffff00), FDT_ERR_LAYOUT);  /* struct block outside */
    cr_assert_eq(with_header(36, 0x7fffff00), FDT_ERR_LAYOUT); /* struct size */
    cr_assert_eq(with_header(32, 0x7fffff00), FDT_ERR_LAYOUT); /* strings size */
    cr_assert_eq(with_header(16, 0x2c), FDT_ERR_LAYOUT);       /* rsvmap misaligned */
    cr_assert_eq(with_header(16, 0x40), FDT_ERR_RSVMAP);       /* runs into the struct block */
    cr_assert_eq(with_header(12, 0x40), FDT_ERR_LAYOUT);       /* strings overlap struct */
}

Test(fdt, structure_corruption)
{
    size_t len;
    uint8_t *b = load("qemu-aarch64-virt", &len);
    uint32_t soff = get32(b + 8), ssize = get32(b + 36), stroff = get32(b + 12);
    cr_assert_eq(get32(b + soff), 1); /* FDT_BEGIN_NODE of the root */

    put32(b + soff, 7);
    cr_assert_eq(parse(b, len), FDT_ERR_TOKEN);
    cr_assert_eq(rep.offset, soff);
    put32(b + soff, 1);

    /* The root's first property: a length past the block, then a name offset past the
     * strings. */
    uint32_t p = soff + 8;
    cr_assert_eq(get32(b + p), 3);
    uint32_t plen = get32(b + p + 4), pname = get32(b + p + 8);
    put32(b + p + 4, ssize);
    cr_assert_eq(parse(b, len), FDT_ERR_PROP);
    put32(b + p + 4, plen);
    put32(b + p + 8, get32(b + 32));
    cr_assert_eq(parse(b, len), FDT_ERR_STRING);
    put32(b + p + 8, pname);
    cr_assert_eq(parse(b, len), FDT_OK);

    /* An unterminated last string in the strings block. */
    uint32_t strsz = get32(b + 32);
    uint8_t last = b[stroff + strsz - 1];
    b[stroff + strsz - 1] = 'x';
    enum fdt_err e = parse(b, len);
    cr_assert(e == FDT_ERR_STRING || e == FDT_OK, "%d", e); /* only if a property uses it */
    b[stroff + strsz - 1] = last;

    /* FDT_END replaced: the walk runs off the block. */
    cr_assert_eq(get32(b + soff + ssize - 4), 9);
    put32(b + soff + ssize - 4, 4);
    cr_assert_eq(parse(b, len), FDT_ERR_TOKEN);
    /* ... or the root's END_NODE removed. */
    put32(b + soff + ssize - 4, 9);
    put32(b + soff + ssize - 8, 4);
    cr_assert_eq(parse(b, len), FDT_ERR_NESTING);
    put32(b + soff + ssize - 8, 2);

    /* The struct block cut short at each word: always an error, never a read past it. */
    for (uint32_t cut = 4; cut < ssize; cut += 4) {
        put32(b + 36, cut);
        cr_assert_neq(parse(b, len), FDT_OK, "cut at %u", cut);
    }
    free(b);
}

/* A blob built by hand, token by token. */
struct builder {
    uint8_t s[2048];
    size_t sl;
    char str[256];
    size_t strl;
};

static void tok(struct builder *f, uint32_t t)
{
    put32(f->s + f->sl, t);
    f->sl += 4;
}

static void begin(struct builder *f, const char *name)
{
    tok(f, 1);
    size_t n = strlen(name) + 1;
    memcpy(f->s + f->sl, name, n);
    f->sl = (f->sl + n + 3) & ~(size_t)3;
}

static void prop(struct builder *f, const char *name, const void *v, uint32_t len)
{
    tok(f, 3);
    tok(f, len);
    tok(f, (uint32_t)f->strl);
    memcpy(f->str + f->strl, name, strlen(name) + 1);
    f->strl += strlen(name) + 1;
    memcpy(f->s + f->sl, v, len);
    f->sl = (f->sl + len + 3) & ~(size_t)3;
}

static void prop_cells(struct builder *f, const char *name, const uint32_t *c, unsigned n)
{
    uint8_t v[64];
    for (unsigned i = 0; i < n; i++)
        put32(v + 4 * i, c[i]);
    prop(f, name, v, 4 * n);
}

/* A root with one memory node, properties still open on the root. */
static void base_tree(struct builder *f)
{
    memset(f, 0, sizeof(*f));
    begin(f, "");
    uint32_t one = 1;
    prop_cells(f, "#address-cells", &one, 1);
    prop_cells(f, "#size-cells", &one, 1);
    begin(f, "memory@1000");
    prop(f, "device_type", "memory", 7);
    uint32_t reg[2] = {0x1000, 0x4000};
    prop_cells(f, "reg", reg, 2);
    tok(f, 2);
}

/* Writes header (version 16 or 17), empty rsvmap, struct and strings. */
static uint8_t *finish(struct builder *f, unsigned version, size_t *len)
{
    uint32_t hlen = version >= 17 ? 40 : 36;
    uint32_t rsv = (hlen + 7) & ~7u, soff = rsv + 16, stroff = soff + (uint32_t)f->sl;
    *len = stroff + f->strl;
    uint8_t *b = calloc(1, *len);
    put32(b, FDT_MAGIC);
    put32(b + 4, (uint32_t)*len);
    put32(b + 8, soff);
    put32(b + 12, stroff);
    put32(b + 16, rsv);
    put32(b + 20, version);
    put32(b + 24, 16);
    put32(b + 32, (uint32_t)f->strl);
    if (version >= 17)
        put32(b + 36, (uint32_t)f->sl);
    memcpy(b + soff, f->s, f->sl);
    memcpy(b + stroff, f->str, f->strl);
    return b;
}

static enum fdt_err build_parse(struct builder *f, unsigned version)
{
    size_t len;
    uint8_t *b = finish(f, version, &len);
    enum fdt_err e = parse(b, len);
    free(b);
    return e;
}

Test(fdt, hand_built)
{
    struct builder f;
    base_tree(&f);
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_OK);
    cr_assert_eq(info.mem[0].base, 0x1000);
    cr_assert_eq(build_parse(&f, 16), FDT_OK);
    cr_assert_eq(info.version, 16);

    /* A property of the root after its memory subnode. */
    base_tree(&f);
    prop(&f, "model", "late", 5);
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_PROP);
    cr_assert_str_eq(rep.node, "/");

    /* A second root. */
    base_tree(&f);
    tok(&f, 2);
    begin(&f, "");
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_NESTING);

    /* One END_NODE too many. */
    base_tree(&f);
    tok(&f, 2);
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_NESTING);

    /* A property outside any node. */
    base_tree(&f);
    tok(&f, 2);
    prop(&f, "x", "", 0);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_NESTING);

    /* A node name that runs to the end of the structure block. */
    base_tree(&f);
    tok(&f, 1);
    memset(f.s + f.sl, 'a', 8);
    f.sl += 8;
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_NAME);

    /* #size-cells that is not one cell. */
    memset(&f, 0, sizeof(f));
    begin(&f, "");
    prop(&f, "#size-cells", "ab", 2);
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_CELLS);

    /* A 3-cell address wider than 64 bits. */
    memset(&f, 0, sizeof(f));
    begin(&f, "");
    uint32_t three = 3, one = 1;
    prop_cells(&f, "#address-cells", &three, 1);
    prop_cells(&f, "#size-cells", &one, 1);
    begin(&f, "memory@0");
    prop(&f, "device_type", "memory", 7);
    uint32_t reg[4] = {1, 0, 0, 0x1000};
    prop_cells(&f, "reg", reg, 4);
    tok(&f, 2);
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_ERR_REG);
    /* ... but one whose top cell is 0 fits. */
    f.s[f.sl - 12 - 16 + 3] = 0;
    cr_assert_eq(build_parse(&f, 17), FDT_OK, "%s in %s", fdt_strerror(build_parse(&f, 17)),
                 rep.node);

    /* bootargs longer than the copy: cut and flagged. */
    base_tree(&f);
    begin(&f, "chosen");
    char big[FDT_BOOTARGS_MAX + 20];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    prop(&f, "bootargs", big, sizeof(big));
    tok(&f, 2);
    tok(&f, 2);
    tok(&f, 9);
    cr_assert_eq(build_parse(&f, 17), FDT_OK);
    cr_assert(info.bootargs_truncated);
    cr_assert_eq(strlen(info.bootargs), FDT_BOOTARGS_MAX - 1);
}

Test(fdt, memreserve_wraps)
{
    struct builder f;
    base_tree(&f);
    tok(&f, 2);
    tok(&f, 9);
    size_t len;
    uint8_t *b = finish(&f, 17, &len);
    uint32_t rsv = get32(b + 16);
    /* Widen the rsvmap to two entries: one that wraps, then the terminator. */
    uint8_t *nb = calloc(1, len + 16);
    memcpy(nb, b, rsv);
    memset(nb + rsv, 0xff, 16);
    memcpy(nb + rsv + 16, b + rsv, len - rsv);
    put32(nb + 4, (uint32_t)len + 16);
    put32(nb + 8, get32(b + 8) + 16);
    put32(nb + 12, get32(b + 12) + 16);
    cr_assert_eq(parse(nb, len + 16), FDT_ERR_RSVMAP);
    put32(nb + rsv, 0);
    put32(nb + rsv + 4, 0x1000);
    put32(nb + rsv + 8, 0);
    put32(nb + rsv + 12, 0x2000);
    cr_assert_eq(parse(nb, len + 16), FDT_OK);
    cr_assert_eq(info.nresv, 1);
    cr_assert_eq(info.resv[0].base, 0x1000);
    cr_assert_eq(info.resv[0].size, 0x2000);
    free(b);
    free(nb);
}

Test(fdt, random_corruption)
{
    const char *names[] = {"qemu-aarch64-virt", "qemu-riscv64-virt", "gicv3-board"};
    srand(123);
    for (size_t t = 0; t < 3; t++) {
        size_t len;
        uint8_t *orig = load(names[t], &len);
        uint8_t *b = malloc(len);
        for (int i = 0; i < 700; i++) {
            memcpy(b, orig, len);
            int flips = 1 + rand() % 4;
            for (int k = 0; k < flips; k++)
                b[(size_t)rand() % len] ^= (uint8_t)(1 + rand() % 255);
            parse(b, len);
            parse(b, (size_t)rand() % len);
        }
        free(b);
        free(orig);
    }
}
