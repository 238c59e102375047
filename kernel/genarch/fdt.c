/*
 * Flattened device tree reader (see genarch/fdt.h).
 *
 * Source: the Devicetree Specification, release v0.4, chapter 5 (the blob: a
 * header of big-endian 32-bit words, a memory reservation block of 64-bit
 * address/size pairs ended by a zero pair, a structure block of 32-bit tokens
 * FDT_BEGIN_NODE/FDT_END_NODE/FDT_PROP/FDT_NOP/FDT_END with names and values
 * padded to 4 bytes, and a strings block of NUL-terminated property names),
 * chapter 2.3 (#address-cells, #size-cells: 2 and 1 by default, reg, ranges:
 * absent means children are not memory-mapped, empty means identity), chapter
 * 3 (/memory device_type "memory", /reserved-memory, /chosen bootargs and
 * stdout-path (a path, or an alias of /aliases), /cpus with device_type "cpu", status), and the bindings QEMU's
 * virt machines use: arm,gic (interrupts = <type number flags>, SPI n = INTID
 * 32+n, PPI n = INTID 16+n), arm,armv8-timer (four interrupts), arm,pl011,
 * ns16550a, pci-host-ecam-generic (reg = ECAM, bus-range, ranges with a 3-cell
 * PCI address whose first cell's bits 24-25 say the space and bit 30
 * prefetchable; interrupt-map and interrupt-map-mask after the IEEE 1275 PCI
 * binding: entries of the 3-cell unit address and 1-cell pin, the parent's
 * phandle, its #address-cells (0 when it has none) of unit address and its
 * #interrupt-cells of specifier, decoded once the walk has seen every
 * interrupt controller), arm,psci (method), linux,initrd-start/-end, and for the
 * UART interrupts-extended (a phandle before the specifier) as well as
 * interrupts.
 *
 * Strictness: the header and every block must lie inside totalsize, aligned as
 * the specification says; every token, name, property and property-name
 * offset must lie inside its block; nodes must balance with a single root
 * followed by FDT_END; a property after a subnode of the same node is refused
 * (the specification puts properties first, and this reader relies on it: a
 * node's properties are complete when its first child begins). A reg, ranges
 * or interrupts value that is not whole entries, or an address wider than 64
 * bits, is an error. What the kernel does not need (unknown nodes and
 * properties, disabled devices) is skipped. A device whose address no parent
 * ranges translate is counted and ignored.
 */
#include "genarch/fdt.h"

#include "lib/string.h"

enum {
    TOK_BEGIN_NODE = 1,
    TOK_END_NODE = 2,
    TOK_PROP = 3,
    TOK_NOP = 4,
    TOK_END = 9,
};

/* Header word offsets. */
enum {
    H_MAGIC = 0,
    H_TOTALSIZE = 4,
    H_OFF_STRUCT = 8,
    H_OFF_STRINGS = 12,
    H_OFF_RSVMAP = 16,
    H_VERSION = 20,
    H_LAST_COMP = 24,
    H_BOOT_CPUID = 28,
    H_SIZE_STRINGS = 32,
    H_SIZE_STRUCT = 36,
};

#define MAX_CELLS   4
#define MAX_UARTS   4
#define MAX_ALIASES 32
/* Internal to the address helpers: no entry, or no translation to the CPU. */
#define NOT_MAPPED     ((enum fdt_err) - 1)
#define NO_PHANDLE     0xffffffffu
#define GIC_SPI        0
#define GIC_PPI        1
#define TIMER_IRQS     4
#define IRQ_SPEC_CELLS 3

struct prop {
    const uint8_t *v;
    uint32_t len;
    bool present;
};

/* One level of the walk: a node, its properties and what its children inherit. */
struct node {
    const char *name;
    uint32_t offset;                 /* of its FDT_BEGIN_NODE token */
    size_t path_len;                 /* length of the path before this node's name */
    bool props_done;                 /* a subnode has begun: no more properties */
    bool disabled;                   /* status is neither "okay" nor "ok" */
    unsigned addr_cells, size_cells; /* for its children */
    uint32_t iparent;                /* interrupt-parent, inherited */
    struct prop compatible, device_type, reg, status, interrupts, iparent_p, phandle, cells_a,
        cells_s, ranges, bus_range, clock_freq, reg_shift, timebase, ndev, intc, intc_cells, method,
        bootargs, stdout_path, initrd_start, initrd_end, size, irq_ext, imap, imap_mask;
};

struct uart_cand {
    enum fdt_uart_kind kind;
    uint64_t base, size;
    uint32_t clock;
    unsigned reg_shift;
    uint32_t iparent;
    uint32_t irq[IRQ_SPEC_CELLS];
    unsigned irq_cells_seen; /* cells of the interrupts value, at most 3 kept */
    char path[FDT_PATH_MAX];
};

struct intc_rec {
    uint32_t phandle;
    unsigned cells;
    unsigned
        addr_cells; /* its #address-cells, 0 without (an interrupt-map's parent unit address) */
    bool gic;
};

/* A property of /aliases: a name and the path it stands for (pointers into
 * the blob, used only before fdt_parse returns). */
struct alias {
    const char *name;
    struct prop path;
};

struct walk {
    const uint8_t *b;
    uint32_t total;
    uint32_t soff, send;    /* structure block [soff, send) */
    uint32_t stroff, strsz; /* strings block */
    struct fdt_info info;
    struct fdt_report *rep;
    struct node st[FDT_MAX_DEPTH];
    int depth;
    char path[FDT_PATH_MAX];
    struct uart_cand uart[MAX_UARTS];
    unsigned nuart;
    struct intc_rec intc[FDT_MAX_INTC];
    unsigned nintc;
    uint32_t timer_iparent;
    uint32_t timer_irq[TIMER_IRQS * IRQ_SPEC_CELLS];
    unsigned timer_cells;
    bool timer_freq_set;
    uint32_t cpus_timebase;
    struct alias alias[MAX_ALIASES];
    unsigned nalias;
    struct prop pci_imap, pci_imap_mask; /* the PCI host's, decoded by finish_tree */
    char pci_path[FDT_PATH_MAX];
};

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* n cells at p as one number: false if n > 4 or the value needs more than 64 bits. */
static bool cells_value(const uint8_t *p, unsigned n, uint64_t *v)
{
    if (n > MAX_CELLS)
        return false;
    uint64_t r = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i + 2 < n && be32(p + 4 * i) != 0)
            return false;
        r = r << 32 | be32(p + 4 * i);
    }
    *v = r;
    return true;
}

/* A property value as one 32-bit number (exactly 4 bytes). */
static bool prop_u32(const struct prop *p, uint32_t *v)
{
    if (!p->present || p->len != 4)
        return false;
    *v = be32(p->v);
    return true;
}

/* Does the string list (compatible) contain s? */
static bool strlist_has(const struct prop *p, const char *s)
{
    if (!p->present)
        return false;
    size_t slen = strlen(s);
    uint32_t i = 0;
    while (i < p->len) {
        size_t n = strnlen((const char *)p->v + i, p->len - i);
        if (n == slen && memcmp(p->v + i, s, n) == 0)
            return true;
        i += (uint32_t)n + 1;
    }
    return false;
}

/* Is the property a string equal to s (NUL-terminated within its length)? */
static bool prop_is(const struct prop *p, const char *s)
{
    size_t slen = strlen(s);
    return p->present && p->len == slen + 1 && memcmp(p->v, s, slen + 1) == 0;
}

/* Copies a string property into d (size n): returns whether it was cut short. */
static bool prop_copy(const struct prop *p, char *d, size_t n, char stop)
{
    size_t len = strnlen((const char *)p->v, p->len);
    if (stop) {
        const void *c = memchr(p->v, stop, len);
        if (c)
            len = (size_t)((const uint8_t *)c - p->v);
    }
    bool cut = len >= n;
    if (cut)
        len = n - 1;
    memcpy(d, p->v, len);
    d[len] = 0;
    return cut;
}

/* The node name without its unit address equals s. */
static bool name_is(const struct node *n, const char *s)
{
    size_t len = strlen(s);
    return strncmp(n->name, s, len) == 0 && (n->name[len] == 0 || n->name[len] == '@');
}

static enum fdt_err fail(struct walk *w, enum fdt_err e, uint32_t offset)
{
    w->rep->offset = offset;
    strlcpy(w->rep->node, w->path, sizeof(w->rep->node));
    return e;
}

/* Translates addr, an address in the space of the children of st[d-1] (so the
 * reg of a node at depth d), up to the root through each ancestor's ranges.
 * Returns FDT_OK with *out, FDT_ERR_REG for a malformed ranges, and
 * NOT_MAPPED when a level has no ranges or no entry covering addr. */
static enum fdt_err translate(struct walk *w, int d, uint64_t addr, uint64_t *out)
{
    for (int l = d - 1; l >= 1; l--) {
        const struct node *n = &w->st[l];
        if (!n->ranges.present)
            return NOT_MAPPED;
        if (n->ranges.len == 0)
            continue;
        unsigned ca = n->addr_cells, pa = w->st[l - 1].addr_cells, sc = n->size_cells;
        uint32_t esz = 4 * (ca + pa + sc);
        if (esz == 0 || n->ranges.len % esz)
            return FDT_ERR_REG;
        bool found = false;
        for (uint32_t i = 0; i < n->ranges.len; i += esz) {
            const uint8_t *e = n->ranges.v + i;
            uint64_t c, p, s;
            if (!cells_value(e, ca, &c) || !cells_value(e + 4 * ca, pa, &p) ||
                !cells_value(e + 4 * (ca + pa), sc, &s))
                return FDT_ERR_REG;
            if (addr >= c && addr - c < s) {
                addr = p + (addr - c);
                found = true;
                break;
            }
        }
        if (!found)
            return NOT_MAPPED;
    }
    *out = addr;
    return FDT_OK;
}

/* Entry i of the reg of the node at depth d, translated to a CPU address.
 * Returns FDT_OK, FDT_ERR_REG (malformed), or NOT_MAPPED (no entry i,
 * or not translatable). */
static enum fdt_err reg_entry(struct walk *w, int d, unsigned i, struct fdt_range *r, bool xlate)
{
    const struct node *n = &w->st[d], *p = &w->st[d - 1];
    unsigned ac = p->addr_cells, sc = p->size_cells;
    uint32_t esz = 4 * (ac + sc);
    if (!n->reg.present)
        return NOT_MAPPED;
    if (esz == 0 || n->reg.len % esz)
        return FDT_ERR_REG;
    if ((uint64_t)i * esz >= n->reg.len)
        return NOT_MAPPED;
    const uint8_t *e = n->reg.v + i * esz;
    uint64_t a, s;
    if (!cells_value(e, ac, &a) || !cells_value(e + 4 * ac, sc, &s))
        return FDT_ERR_REG;
    if (xlate) {
        enum fdt_err t = translate(w, d, a, &a);
        if (t != FDT_OK)
            return t;
    }
    r->base = a;
    r->size = s;
    return FDT_OK;
}

static void add_resv(struct fdt_info *in, uint64_t base, uint64_t size)
{
    if (in->nresv < FDT_MAX_RESV)
        in->resv[in->nresv++] = (struct fdt_range){base, size};
    else
        in->resv_dropped++;
}

/* Every reg entry of a memory or reserved-memory node. */
static enum fdt_err reg_all(struct walk *w, int d, bool memory)
{
    for (unsigned i = 0;; i++) {
        struct fdt_range r;
        enum fdt_err e = reg_entry(w, d, i, &r, true);
        if (e == NOT_MAPPED)
            return FDT_OK;
        if (e != FDT_OK)
            return e;
        if (r.size == 0)
            continue;
        if (r.base + r.size < r.base)
            return FDT_ERR_REG;
        if (!memory) {
            add_resv(&w->info, r.base, r.size);
        } else if (w->info.nmem < FDT_MAX_MEM) {
            w->info.mem[w->info.nmem++] = r;
        } else {
            w->info.mem_dropped++;
        }
    }
}

/* The first reg entry of a device: false (and counted) when it has none or it
 * cannot be translated; malformed values are errors. */
static enum fdt_err device_reg(struct walk *w, int d, unsigned i, struct fdt_range *r, bool *ok)
{
    enum fdt_err e = reg_entry(w, d, i, r, true);
    *ok = e == FDT_OK;
    if (e == NOT_MAPPED) {
        w->rep->untranslatable++;
        return FDT_OK;
    }
    return e;
}

static enum fdt_err do_intc(struct walk *w, int d)
{
    const struct node *n = &w->st[d];
    enum fdt_intc_kind kind = FDT_INTC_NONE;
    if (strlist_has(&n->compatible, "arm,gic-v3"))
        kind = FDT_INTC_GICV3;
    else if (strlist_has(&n->compatible, "arm,cortex-a15-gic") ||
             strlist_has(&n->compatible, "arm,gic-400") ||
             strlist_has(&n->compatible, "arm,cortex-a9-gic") ||
             strlist_has(&n->compatible, "arm,cortex-a7-gic"))
        kind = FDT_INTC_GICV2;
    else if (strlist_has(&n->compatible, "riscv,plic0") ||
             strlist_has(&n->compatible, "sifive,plic-1.0.0"))
        kind = FDT_INTC_PLIC;

    uint32_t cells = 0, ph = NO_PHANDLE;
    if (n->intc.present) {
        if (n->intc_cells.present && !prop_u32(&n->intc_cells, &cells))
            return FDT_ERR_REG;
        if (cells > IRQ_SPEC_CELLS)
            return FDT_ERR_CELLS;
        if (prop_u32(&n->phandle, &ph) && w->nintc < FDT_MAX_INTC)
            w->intc[w->nintc++] =
                (struct intc_rec){ph, cells, n->cells_a.present ? n->addr_cells : 0,
                                  kind == FDT_INTC_GICV2 || kind == FDT_INTC_GICV3};
    }
    if (kind == FDT_INTC_NONE || w->info.intc.kind != FDT_INTC_NONE || n->disabled)
        return FDT_OK;
    struct fdt_range r0, r1 = {0, 0};
    bool ok0, ok1 = true;
    enum fdt_err e = device_reg(w, d, 0, &r0, &ok0);
    if (e == FDT_OK && ok0 && kind != FDT_INTC_PLIC)
        e = device_reg(w, d, 1, &r1, &ok1);
    if (e != FDT_OK || !ok0 || !ok1)
        return e;
    w->info.intc.kind = kind;
    w->info.intc.dist_base = r0.base;
    w->info.intc.dist_size = r0.size;
    w->info.intc.cpu_base = r1.base;
    w->info.intc.cpu_size = r1.size;
    w->info.intc.interrupt_cells = cells;
    uint32_t ndev = 0;
    if (prop_u32(&n->ndev, &ndev))
        w->info.intc.ndev = ndev;
    return FDT_OK;
}

static enum fdt_err do_uart(struct walk *w, int d, enum fdt_uart_kind kind)
{
    const struct node *n = &w->st[d];
    w->rep->uarts++;
    if (n->disabled || w->nuart == MAX_UARTS)
        return FDT_OK;
    struct fdt_range r;
    bool ok;
    enum fdt_err e = device_reg(w, d, 0, &r, &ok);
    if (e != FDT_OK || !ok)
        return e;
    struct uart_cand *u = &w->uart[w->nuart++];
    memset(u, 0, sizeof(*u));
    u->kind = kind;
    u->base = r.base;
    u->size = r.size;
    prop_u32(&n->clock_freq, &u->clock);
    uint32_t shift = 0;
    if (prop_u32(&n->reg_shift, &shift) && shift < 8)
        u->reg_shift = shift;
    u->iparent = n->iparent;
    /* interrupts (from interrupt-parent), else interrupts-extended (a phandle
     * before each specifier): the first specifier. */
    const struct prop *ip = n->interrupts.present ? &n->interrupts : &n->irq_ext;
    if (ip->present) {
        if (ip->len % 4 || (ip == &n->irq_ext && ip->len < 8))
            return FDT_ERR_REG;
        const uint8_t *v = ip->v;
        unsigned cells = ip->len / 4;
        if (ip == &n->irq_ext) {
            u->iparent = be32(v);
            v += 4;
            cells--;
        }
        u->irq_cells_seen = cells;
        for (unsigned i = 0; i < IRQ_SPEC_CELLS && i < cells; i++)
            u->irq[i] = be32(v + 4 * i);
    }
    strlcpy(u->path, w->path, sizeof(u->path));
    return FDT_OK;
}

static enum fdt_err do_pci(struct walk *w, int d)
{
    const struct node *n = &w->st[d];
    if (n->disabled || w->info.pci.present)
        return FDT_OK;
    struct fdt_range r;
    bool ok;
    enum fdt_err e = device_reg(w, d, 0, &r, &ok);
    if (e != FDT_OK || !ok)
        return e;
    w->info.pci.present = true;
    w->info.pci.ecam_base = r.base;
    w->info.pci.ecam_size = r.size;
    w->info.pci.bus_first = 0;
    w->info.pci.bus_last = 255;
    w->pci_imap = n->imap;
    w->pci_imap_mask = n->imap_mask;
    strlcpy(w->pci_path, w->path, sizeof(w->pci_path));
    if (n->bus_range.present) {
        if (n->bus_range.len != 8)
            return FDT_ERR_REG;
        w->info.pci.bus_first = be32(n->bus_range.v);
        w->info.pci.bus_last = be32(n->bus_range.v + 4);
        if (w->info.pci.bus_first > w->info.pci.bus_last || w->info.pci.bus_last > 255)
            return FDT_ERR_REG;
    }
    if (!n->ranges.present)
        return FDT_OK;
    unsigned pa = w->st[d - 1].addr_cells, sc = n->size_cells;
    if (n->addr_cells != 3)
        return FDT_ERR_REG;
    uint32_t esz = 4 * (3 + pa + sc);
    if (n->ranges.len % esz)
        return FDT_ERR_REG;
    for (uint32_t i = 0; i < n->ranges.len; i += esz) {
        const uint8_t *v = n->ranges.v + i;
        struct fdt_pci_window win;
        uint32_t hi = be32(v);
        win.space = (enum fdt_pci_space)((hi >> 24) & 3);
        win.prefetchable = (hi >> 30) & 1;
        win.pci_addr = be64(v + 4);
        if (!cells_value(v + 12, pa, &win.cpu_addr) || !cells_value(v + 12 + 4 * pa, sc, &win.size))
            return FDT_ERR_REG;
        uint64_t cpu;
        if (translate(w, d, win.cpu_addr, &cpu) != FDT_OK) {
            w->rep->untranslatable++;
            continue;
        }
        win.cpu_addr = cpu;
        if (w->info.pci.nwin < FDT_MAX_PCI_WIN)
            w->info.pci.win[w->info.pci.nwin++] = win;
        else
            w->info.pci.win_dropped++;
    }
    return FDT_OK;
}

static enum fdt_err do_chosen(struct walk *w, const struct node *n)
{
    struct fdt_info *in = &w->info;
    if (n->bootargs.present)
        in->bootargs_truncated = prop_copy(&n->bootargs, in->bootargs, sizeof(in->bootargs), 0);
    if (n->stdout_path.present)
        prop_copy(&n->stdout_path, in->stdout_path, sizeof(in->stdout_path), ':');
    const struct prop *ps[2] = {&n->initrd_start, &n->initrd_end};
    uint64_t v[2] = {0, 0};
    for (int i = 0; i < 2; i++) {
        if (!ps[i]->present)
            continue;
        if (ps[i]->len == 4)
            v[i] = be32(ps[i]->v);
        else if (ps[i]->len == 8)
            v[i] = be64(ps[i]->v);
        else
            return FDT_ERR_REG;
    }
    if (v[1] < v[0])
        return FDT_ERR_REG;
    in->initrd_start = v[0];
    in->initrd_end = v[1];
    return FDT_OK;
}

static enum fdt_err do_cpu(struct walk *w, int d)
{
    const struct node *n = &w->st[d];
    const struct node *p = &w->st[d - 1];
    uint32_t tb;
    if (prop_u32(&n->timebase, &tb) && !w->cpus_timebase)
        w->cpus_timebase = tb;
    if (!prop_is(&n->device_type, "cpu") || n->disabled)
        return FDT_OK;
    if (!n->reg.present || p->addr_cells == 0 || n->reg.len < 4 * p->addr_cells ||
        n->reg.len % (4 * (p->addr_cells + p->size_cells)))
        return FDT_ERR_REG;
    uint64_t id;
    if (!cells_value(n->reg.v, p->addr_cells, &id))
        return FDT_ERR_REG;
    if (w->info.ncpus < FDT_MAX_CPUS)
        w->info.cpu_id[w->info.ncpus] = id;
    w->info.ncpus++;
    return FDT_OK;
}

/* A node's properties are complete: apply them. */
static enum fdt_err finish_props(struct walk *w, int d)
{
    struct node *n = &w->st[d];
    n->props_done = true;
    if (n->status.present && !prop_is(&n->status, "okay") && !prop_is(&n->status, "ok"))
        n->disabled = true;
    uint32_t v;
    if (n->cells_a.present) {
        if (!prop_u32(&n->cells_a, &v) || v > MAX_CELLS)
            return FDT_ERR_CELLS;
        n->addr_cells = v;
    }
    if (n->cells_s.present) {
        if (!prop_u32(&n->cells_s, &v) || v > MAX_CELLS)
            return FDT_ERR_CELLS;
        n->size_cells = v;
    }
    if (prop_u32(&n->iparent_p, &v))
        n->iparent = v;
    if (d == 0)
        return FDT_OK;

    const struct node *parent = &w->st[d - 1];
    enum fdt_err e = FDT_OK;
    if (n->intc.present || strlist_has(&n->compatible, "arm,gic-v3") ||
        strlist_has(&n->compatible, "arm,cortex-a15-gic"))
        e = do_intc(w, d);
    if (e != FDT_OK)
        return e;
    if (d == 1 && prop_is(&n->device_type, "memory") && !n->disabled)
        return reg_all(w, d, true);
    if (d == 2 && name_is(parent, "reserved-memory") && !n->disabled) {
        if (!n->reg.present) {
            if (n->size.present)
                w->info.resv_dynamic++;
            return FDT_OK;
        }
        return reg_all(w, d, false);
    }
    if (d == 1 && name_is(n, "chosen"))
        return do_chosen(w, n);
    if (d == 1 && name_is(n, "cpus"))
        return do_cpu(w, d);
    if (d == 2 && name_is(parent, "cpus"))
        return do_cpu(w, d);
    if (strlist_has(&n->compatible, "arm,psci") || strlist_has(&n->compatible, "arm,psci-0.2") ||
        strlist_has(&n->compatible, "arm,psci-1.0")) {
        if (prop_is(&n->method, "hvc"))
            w->info.psci = FDT_PSCI_HVC;
        else if (prop_is(&n->method, "smc"))
            w->info.psci = FDT_PSCI_SMC;
        return FDT_OK;
    }
    if ((strlist_has(&n->compatible, "arm,armv8-timer") ||
         strlist_has(&n->compatible, "arm,armv7-timer")) &&
        !w->info.timer.present) {
        w->info.timer.present = true;
        if (prop_u32(&n->clock_freq, &v)) {
            w->info.timer.frequency = v;
            w->timer_freq_set = true;
        }
        w->timer_iparent = n->iparent;
        if (n->interrupts.present) {
            if (n->interrupts.len % 4)
                return FDT_ERR_REG;
            w->timer_cells = MIN(n->interrupts.len / 4, (uint32_t)ARRAY_SIZE(w->timer_irq));
            for (unsigned i = 0; i < w->timer_cells; i++)
                w->timer_irq[i] = be32(n->interrupts.v + 4 * i);
        }
        return FDT_OK;
    }
    if (strlist_has(&n->compatible, "arm,pl011"))
        return do_uart(w, d, FDT_UART_PL011);
    if (strlist_has(&n->compatible, "ns16550a") || strlist_has(&n->compatible, "ns16550"))
        return do_uart(w, d, FDT_UART_NS16550);
    if (strlist_has(&n->compatible, "pci-host-ecam-generic"))
        return do_pci(w, d);
    return FDT_OK;
}

/* Records property name/value of the current node when it is one we read. */
static void record_prop(struct node *n, const char *name, const uint8_t *v, uint32_t len)
{
    static const struct {
        const char *name;
        size_t off;
    } known[] = {
        {"compatible", offsetof(struct node, compatible)},
        {"device_type", offsetof(struct node, device_type)},
        {"reg", offsetof(struct node, reg)},
        {"status", offsetof(struct node, status)},
        {"interrupts", offsetof(struct node, interrupts)},
        {"interrupt-parent", offsetof(struct node, iparent_p)},
        {"phandle", offsetof(struct node, phandle)},
        {"#address-cells", offsetof(struct node, cells_a)},
        {"#size-cells", offsetof(struct node, cells_s)},
        {"ranges", offsetof(struct node, ranges)},
        {"bus-range", offsetof(struct node, bus_range)},
        {"clock-frequency", offsetof(struct node, clock_freq)},
        {"reg-shift", offsetof(struct node, reg_shift)},
        {"timebase-frequency", offsetof(struct node, timebase)},
        {"riscv,ndev", offsetof(struct node, ndev)},
        {"interrupt-controller", offsetof(struct node, intc)},
        {"#interrupt-cells", offsetof(struct node, intc_cells)},
        {"method", offsetof(struct node, method)},
        {"bootargs", offsetof(struct node, bootargs)},
        {"stdout-path", offsetof(struct node, stdout_path)},
        {"linux,initrd-start", offsetof(struct node, initrd_start)},
        {"linux,initrd-end", offsetof(struct node, initrd_end)},
        {"size", offsetof(struct node, size)},
        {"interrupts-extended", offsetof(struct node, irq_ext)},
        {"interrupt-map", offsetof(struct node, imap)},
        {"interrupt-map-mask", offsetof(struct node, imap_mask)},
    };
    for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
        if (strcmp(name, known[i].name) == 0) {
            struct prop *p = (struct prop *)((char *)n + known[i].off);
            *p = (struct prop){v, len, true};
            return;
        }
    }
}

/* Decodes a specifier of `cells` cells from the interrupt parent iparent. */
static struct fdt_irq decode_irq(const struct walk *w, uint32_t iparent, const uint32_t *c,
                                 unsigned avail)
{
    struct fdt_irq r = {false, 0, 0};
    for (unsigned i = 0; i < w->nintc; i++) {
        const struct intc_rec *ic = &w->intc[i];
        if (ic->phandle != iparent || ic->cells == 0 || ic->cells > avail)
            continue;
        if (ic->gic && ic->cells >= 3) {
            if (c[0] == GIC_SPI && c[1] < 988)
                r = (struct fdt_irq){true, 32 + c[1], c[2]};
            else if (c[0] == GIC_PPI && c[1] < 16)
                r = (struct fdt_irq){true, 16 + c[1], c[2]};
        } else {
            r = (struct fdt_irq){true, c[0], ic->cells >= 2 ? c[1] : 0};
        }
        break;
    }
    return r;
}

/* The controller record of phandle ph, or NULL. */
static const struct intc_rec *intc_of(const struct walk *w, uint32_t ph)
{
    for (unsigned i = 0; i < w->nintc; i++)
        if (w->intc[i].phandle == ph)
            return &w->intc[i];
    return NULL;
}

/* Decodes the PCI host's interrupt-map (its children: 3 address cells, 1
 * interrupt cell) into info.pci.intx. An entry's length depends on its
 * parent, so a parent the walk did not record as an interrupt controller
 * ends the map: FDT_ERR_IMAP, as a map that is not whole entries or a mask
 * that is not 4 cells. */
static enum fdt_err decode_pci_imap(struct walk *w)
{
    struct fdt_info *in = &w->info;
    in->pci.intx_mask_hi = in->pci.intx_mask_pin = 0xffffffffu;
    if (!in->pci.present || !w->pci_imap.present)
        return FDT_OK;
    strlcpy(w->path, w->pci_path, sizeof(w->path));
    if (w->pci_imap_mask.present) {
        const struct prop *m = &w->pci_imap_mask;
        if (m->len != 16)
            return fail(w, FDT_ERR_IMAP, (uint32_t)(m->v - w->b));
        in->pci.intx_mask_hi = be32(m->v);
        in->pci.intx_mask_pin = be32(m->v + 12);
    }
    in->pci.intx_map = true;
    const uint8_t *v = w->pci_imap.v, *end = v + w->pci_imap.len;
    if (w->pci_imap.len % 4)
        return fail(w, FDT_ERR_IMAP, (uint32_t)(v - w->b));
    while (v < end) {
        /* child unit address (3) + pin (1) + phandle (1), then the parent's cells */
        if (end - v < 20)
            return fail(w, FDT_ERR_IMAP, (uint32_t)(v - w->b));
        const struct intc_rec *ic = intc_of(w, be32(v + 16));
        if (!ic)
            return fail(w, FDT_ERR_IMAP, (uint32_t)(v + 16 - w->b));
        uint32_t spec_at = 20 + 4 * ic->addr_cells, len = spec_at + 4 * ic->cells;
        if ((size_t)(end - v) < len || ic->cells == 0)
            return fail(w, FDT_ERR_IMAP, (uint32_t)(v - w->b));
        uint32_t spec[IRQ_SPEC_CELLS] = {0};
        for (unsigned i = 0; i < ic->cells && i < IRQ_SPEC_CELLS; i++)
            spec[i] = be32(v + spec_at + 4 * i);
        if (be32(v + 4) == 0 && be32(v + 8) == 0) {
            struct fdt_irq irq = decode_irq(w, ic->phandle, spec, ic->cells);
            if (in->pci.nintx < FDT_MAX_PCI_INTX)
                in->pci.intx[in->pci.nintx++] =
                    (struct fdt_pci_intx){be32(v), be32(v + 12), irq.valid, irq.num};
            else
                in->pci.intx_dropped++;
        }
        v += len;
    }
    return FDT_OK;
}

/* After the walk: choose the UART, decode interrupts, fill the defaults. */
static void finish_tree(struct walk *w)
{
    struct fdt_info *in = &w->info;
    const struct uart_cand *u = w->nuart ? &w->uart[0] : NULL;
    bool is_stdout = false;
    /* stdout-path may name an alias ("serial0"): replace it by its path. */
    for (unsigned i = 0; i < w->nalias && in->stdout_path[0] && in->stdout_path[0] != '/'; i++)
        if (strcmp(w->alias[i].name, in->stdout_path) == 0)
            prop_copy(&w->alias[i].path, in->stdout_path, sizeof(in->stdout_path), ':');
    for (unsigned i = 0; i < w->nuart && in->stdout_path[0] == '/'; i++) {
        if (strcmp(w->uart[i].path, in->stdout_path) == 0) {
            u = &w->uart[i];
            is_stdout = true;
            break;
        }
    }
    if (u) {
        in->uart.kind = u->kind;
        in->uart.base = u->base;
        in->uart.size = u->size;
        in->uart.clock = u->clock;
        in->uart.reg_shift = u->reg_shift;
        in->uart.is_stdout = is_stdout;
        in->uart.irq = decode_irq(w, u->iparent, u->irq, u->irq_cells_seen);
    }
    if (in->timer.present) {
        unsigned cells = 3;
        for (unsigned i = 0; i < w->nintc; i++)
            if (w->intc[i].phandle == w->timer_iparent && w->intc[i].cells)
                cells = w->intc[i].cells;
        for (unsigned k = 0; k < TIMER_IRQS && (k + 1) * cells <= w->timer_cells; k++)
            in->timer.irq[k] = decode_irq(w, w->timer_iparent, w->timer_irq + k * cells, cells);
    }
    if (!w->timer_freq_set)
        in->timer.frequency = w->cpus_timebase;
}

static enum fdt_err walk_struct(struct walk *w)
{
    uint64_t off = w->soff;
    bool root_done = false;
    w->depth = -1;
    for (;;) {
        if (off + 4 > w->send)
            return fail(w, FDT_ERR_TOKEN, (uint32_t)off);
        uint32_t tok = be32(w->b + off);
        enum fdt_err e;
        switch (tok) {
        case TOK_BEGIN_NODE: {
            if (root_done)
                return fail(w, FDT_ERR_NESTING, (uint32_t)off);
            const char *name = (const char *)w->b + off + 4;
            size_t room = w->send - (off + 4);
            size_t nlen = strnlen(name, room);
            if (nlen == room)
                return fail(w, FDT_ERR_NAME, (uint32_t)off);
            if (w->depth >= 0 && !w->st[w->depth].props_done &&
                (e = finish_props(w, w->depth)) != FDT_OK)
                return fail(w, e, w->st[w->depth].offset);
            if (w->depth + 1 >= FDT_MAX_DEPTH)
                return fail(w, FDT_ERR_NESTING, (uint32_t)off);
            struct node *parent = w->depth >= 0 ? &w->st[w->depth] : NULL;
            struct node *n = &w->st[++w->depth];
            memset(n, 0, sizeof(*n));
            n->name = name;
            n->offset = (uint32_t)off;
            n->addr_cells = 2;
            n->size_cells = 1;
            n->iparent = parent ? parent->iparent : NO_PHANDLE;
            n->path_len = strlen(w->path);
            if (parent) {
                size_t pl = n->path_len;
                if (pl > 1 && pl + 1 < sizeof(w->path))
                    w->path[pl++] = '/';
                strlcpy(w->path + pl, name, sizeof(w->path) - pl);
            } else {
                strlcpy(w->path, "/", sizeof(w->path));
            }
            w->rep->nodes++;
            off = ALIGN_UP(off + 4 + nlen + 1, 4);
            break;
        }
        case TOK_END_NODE:
            if (w->depth < 0)
                return fail(w, FDT_ERR_NESTING, (uint32_t)off);
            if (!w->st[w->depth].props_done && (e = finish_props(w, w->depth)) != FDT_OK)
                return fail(w, e, w->st[w->depth].offset);
            w->path[w->st[w->depth].path_len] = 0;
            if (--w->depth < 0)
                root_done = true;
            off += 4;
            break;
        case TOK_PROP: {
            if (w->depth < 0)
                return fail(w, FDT_ERR_NESTING, (uint32_t)off);
            if (off + 12 > w->send)
                return fail(w, FDT_ERR_PROP, (uint32_t)off);
            uint32_t len = be32(w->b + off + 4), nameoff = be32(w->b + off + 8);
            if (off + 12 + (uint64_t)len > w->send || w->st[w->depth].props_done)
                return fail(w, FDT_ERR_PROP, (uint32_t)off);
            if (nameoff >= w->strsz || strnlen((const char *)w->b + w->stroff + nameoff,
                                               w->strsz - nameoff) == w->strsz - nameoff)
                return fail(w, FDT_ERR_STRING, (uint32_t)off);
            const char *pname = (const char *)w->b + w->stroff + nameoff;
            record_prop(&w->st[w->depth], pname, w->b + off + 12, len);
            if (w->depth == 1 && name_is(&w->st[1], "aliases") && w->nalias < MAX_ALIASES)
                w->alias[w->nalias++] = (struct alias){pname, {w->b + off + 12, len, true}};
            off = ALIGN_UP(off + 12 + len, 4);
            break;
        }
        case TOK_NOP:
            off += 4;
            break;
        case TOK_END:
            if (!root_done)
                return fail(w, FDT_ERR_NESTING, (uint32_t)off);
            return FDT_OK;
        default:
            return fail(w, FDT_ERR_TOKEN, (uint32_t)off);
        }
    }
}

static enum fdt_err check_header(const uint8_t *b, size_t avail, uint32_t *total)
{
    if (avail < FDT_HEADER_LEN - 4)
        return FDT_ERR_TRUNCATED;
    if (be32(b + H_MAGIC) != FDT_MAGIC)
        return FDT_ERR_MAGIC;
    uint32_t version = be32(b + H_VERSION);
    if (version < 16 || be32(b + H_LAST_COMP) > 17)
        return FDT_ERR_VERSION;
    uint32_t t = be32(b + H_TOTALSIZE);
    uint32_t hlen = version >= 17 ? FDT_HEADER_LEN : FDT_HEADER_LEN - 4;
    if (t < hlen || t > avail)
        return FDT_ERR_TRUNCATED;
    if (t > FDT_MAX_SIZE)
        return FDT_ERR_LAYOUT;
    *total = t;
    return FDT_OK;
}

uint32_t fdt_total_size(const void *p, size_t avail)
{
    uint32_t t = 0;
    if (avail < FDT_HEADER_LEN - 4)
        return 0;
    /* Only the header must be readable here: check it against an unlimited avail. */
    if (check_header(p, FDT_MAX_SIZE, &t) != FDT_OK)
        return 0;
    return t;
}

enum fdt_err fdt_parse(const void *blob, size_t avail, struct fdt_info *out, struct fdt_report *rep)
{
    static const struct walk zero;
    struct walk w = zero;
    w.b = blob;
    w.rep = rep;
    memset(rep, 0, sizeof(*rep));
    enum fdt_err e = check_header(w.b, avail, &w.total);
    if (e != FDT_OK)
        return e;
    uint32_t version = be32(w.b + H_VERSION);
    uint32_t hlen = version >= 17 ? FDT_HEADER_LEN : FDT_HEADER_LEN - 4;
    uint32_t rsv = be32(w.b + H_OFF_RSVMAP);
    w.soff = be32(w.b + H_OFF_STRUCT);
    w.stroff = be32(w.b + H_OFF_STRINGS);
    w.strsz = be32(w.b + H_SIZE_STRINGS);
    /* Version 16 has no size_dt_struct: the block runs to the strings block
     * when that follows it, else to the end of the blob. */
    uint64_t ssize = version >= 17       ? be32(w.b + H_SIZE_STRUCT)
                     : w.stroff > w.soff ? (uint64_t)w.stroff - w.soff
                                         : (uint64_t)w.total - w.soff;
    if (rsv < hlen || rsv % 8 || w.soff < hlen || w.soff % 4 || w.soff > w.total ||
        w.soff + ssize > w.total || w.stroff < hlen || (uint64_t)w.stroff + w.strsz > w.total ||
        (w.stroff < w.soff + ssize && w.soff < (uint64_t)w.stroff + w.strsz && w.strsz && ssize) ||
        rsv >= w.total)
        return fail(&w, FDT_ERR_LAYOUT, H_OFF_STRUCT);
    w.send = (uint32_t)(w.soff + ssize);
    w.info.version = version;
    w.info.boot_cpuid = be32(w.b + H_BOOT_CPUID);

    /* The memory reservation block: pairs up to the zero pair, inside the blob
     * and, when the structure block follows it, before that. */
    uint64_t rend = rsv < w.soff ? w.soff : w.total;
    for (uint64_t o = rsv;; o += 16) {
        if (o + 16 > rend)
            return fail(&w, FDT_ERR_RSVMAP, (uint32_t)o);
        uint64_t a = be64(w.b + o), s = be64(w.b + o + 8);
        if (a == 0 && s == 0)
            break;
        if (a + s < a)
            return fail(&w, FDT_ERR_RSVMAP, (uint32_t)o);
        if (s)
            add_resv(&w.info, a, s);
    }

    if ((e = walk_struct(&w)) != FDT_OK)
        return e;
    finish_tree(&w);
    if ((e = decode_pci_imap(&w)) != FDT_OK)
        return e;
    if (w.info.nmem == 0)
        return fail(&w, FDT_ERR_NO_MEMORY, 0);
    *out = w.info;
    return FDT_OK;
}

const char *fdt_strerror(enum fdt_err e)
{
    switch (e) {
    case FDT_OK:
        return "ok";
    case FDT_ERR_TRUNCATED:
        return "blob shorter than its header or totalsize";
    case FDT_ERR_MAGIC:
        return "bad magic (not a device tree)";
    case FDT_ERR_VERSION:
        return "unsupported version (need 16 or 17)";
    case FDT_ERR_LAYOUT:
        return "a block lies outside the blob, overlaps another or is misaligned";
    case FDT_ERR_RSVMAP:
        return "memory reservation block unterminated or wrapping";
    case FDT_ERR_TOKEN:
        return "bad or missing structure token";
    case FDT_ERR_NAME:
        return "node name runs past the structure block";
    case FDT_ERR_PROP:
        return "property runs past the structure block or follows a subnode";
    case FDT_ERR_STRING:
        return "property name outside the strings block";
    case FDT_ERR_NESTING:
        return "nodes unbalanced, not one root, or nested too deep";
    case FDT_ERR_CELLS:
        return "#address-cells, #size-cells or #interrupt-cells too large";
    case FDT_ERR_REG:
        return "reg, ranges, interrupts or bus-range not whole entries or too wide";
    case FDT_ERR_NO_MEMORY:
        return "no memory node";
    case FDT_ERR_IMAP:
        return "PCI interrupt-map not whole entries, its parent unknown, or its mask not 4 cells";
    }
    return "unknown error";
}
