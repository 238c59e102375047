/*
 * PCI configuration space, read through a caller's accessor (wf/pci.h).
 *
 * The design is MINIX 3's and HelenOS's: the bus walk is a library, the
 * driver owns the access. A driver passes pci_io_read32/write32 (pci_io.c,
 * mechanism #1 over an IOPort cap); the host test passes a fake bus.
 *
 * Configuration data is untrusted input like a disk block: a device (or a
 * hostile emulator) may report BAR masks with holes, bases not aligned to
 * their size, capability lists that loop or point outside the 256 bytes.
 * Every walk is bounded by a constant (32 devices x 8 functions per bus, 256
 * buses each visited once, PCI_CAP_MAX capabilities), and every offset is
 * checked before it is used, so bad data gives an error and never a hang.
 *
 * Sources: PCI Local Bus Specification 3.0, section 6.1 (header), 6.2.5
 * (BARs and their sizing), 6.7 (capability list); PCI-to-PCI Bridge
 * Architecture 1.2, section 3.2 (type 1 header).
 */
#include "wf/pci.h"

#include <string.h>

enum pci_status pci_read(const struct pci_access *a, uint8_t bus, uint8_t dev, uint8_t fn,
                         uint16_t off, unsigned n, uint32_t *val)
{
    if ((n != 1 && n != 2 && n != 4) || off >= PCI_CONFIG_SIZE || (off & (n - 1)) != 0 ||
        dev >= 32 || fn >= 8)
        return PCI_ERR_RANGE;
    uint32_t w;
    if (a->read32(a->ctx, bus, dev, fn, off & ~3u, &w) != 0)
        return PCI_ERR_IO;
    w >>= (off & 3u) * 8;
    *val = n == 4 ? w : w & ((1u << (n * 8)) - 1);
    return PCI_OK;
}

enum pci_status pci_write(const struct pci_access *a, uint8_t bus, uint8_t dev, uint8_t fn,
                          uint16_t off, unsigned n, uint32_t val)
{
    if ((n != 1 && n != 2 && n != 4) || off >= PCI_CONFIG_SIZE || (off & (n - 1)) != 0 ||
        dev >= 32 || fn >= 8)
        return PCI_ERR_RANGE;
    uint32_t w = val;
    if (n != 4) {
        if (a->read32(a->ctx, bus, dev, fn, off & ~3u, &w) != 0)
            return PCI_ERR_IO;
        unsigned shift = (off & 3u) * 8;
        uint32_t mask = ((1u << (n * 8)) - 1) << shift;
        w = (w & ~mask) | ((val << shift) & mask);
    }
    return a->write32(a->ctx, bus, dev, fn, off & ~3u, w) == 0 ? PCI_OK : PCI_ERR_IO;
}

static enum pci_status rd(const struct pci_access *a, const struct pci_func *f, uint16_t off,
                          unsigned n, uint32_t *v)
{
    return pci_read(a, f->bus, f->dev, f->fn, off, n, v);
}

static enum pci_status wr(const struct pci_access *a, const struct pci_func *f, uint16_t off,
                          unsigned n, uint32_t v)
{
    return pci_write(a, f->bus, f->dev, f->fn, off, n, v);
}

enum pci_status pci_read_function(const struct pci_access *a, uint8_t bus, uint8_t dev, uint8_t fn,
                                  struct pci_func *f)
{
    memset(f, 0, sizeof(*f));
    f->bus = bus;
    f->dev = dev;
    f->fn = fn;
    uint32_t id, cls, hdr, irq, st;
    enum pci_status s = pci_read(a, bus, dev, fn, PCI_VENDOR_ID, 4, &id);
    if (s != PCI_OK)
        return s;
    if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
        return PCI_ERR_ABSENT;
    if ((s = rd(a, f, PCI_CLASS_REV, 4, &cls)) != PCI_OK ||
        (s = rd(a, f, PCI_HEADER_TYPE, 1, &hdr)) != PCI_OK ||
        (s = rd(a, f, PCI_INTERRUPT, 2, &irq)) != PCI_OK ||
        (s = rd(a, f, PCI_STATUS, 2, &st)) != PCI_OK)
        return s;
    f->vendor = id & 0xffff;
    f->device = id >> 16;
    f->revision = cls & 0xff;
    f->prog_if = (cls >> 8) & 0xff;
    f->subclass = (cls >> 16) & 0xff;
    f->class_code = cls >> 24;
    f->header_type = hdr & 0x7f;
    f->irq_line = irq & 0xff;
    f->irq_pin = irq >> 8;
    f->status = (uint16_t)st;
    return PCI_OK;
}

/* Writes all-ones to the BAR at off and returns what reads back in *mask,
 * restoring the original value *orig. */
static enum pci_status probe_bar(const struct pci_access *a, const struct pci_func *f, uint16_t off,
                                 uint32_t *orig, uint32_t *mask)
{
    enum pci_status s = rd(a, f, off, 4, orig);
    if (s != PCI_OK)
        return s;
    if ((s = wr(a, f, off, 4, 0xffffffffu)) != PCI_OK)
        return s;
    enum pci_status r = rd(a, f, off, 4, mask);
    s = wr(a, f, off, 4, *orig);
    return r != PCI_OK ? r : s;
}

/* Sizes BAR i (and i + 1 for a 64-bit one); decoding is off. */
static enum pci_status size_one(const struct pci_access *a, struct pci_func *f, unsigned i,
                                unsigned *used)
{
    struct pci_bar *b = &f->bar[i];
    uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
    uint32_t orig, mask;
    enum pci_status s = probe_bar(a, f, off, &orig, &mask);
    *used = 1;
    if (s != PCI_OK)
        return s;
    if (orig == 0 && mask == 0)
        return PCI_OK; /* unimplemented */
    if (orig & 1) {
        /* I/O BARs decode at most 16 bits; the upper bits may read back 0. */
        uint32_t base = orig & ~3u, m = (mask & ~3u) | 0xffff0000u, size = ~m + 1;
        if ((mask & 0xfffcu) == 0 || (size & (size - 1)) != 0 || (base & (size - 1)) != 0 ||
            (uint64_t)base + size > 0x10000)
            return PCI_ERR_BAD_BAR;
        b->kind = PCI_BAR_IO;
        b->base = base;
        b->size = size;
        return PCI_OK;
    }
    unsigned type = (orig >> 1) & 3;
    uint64_t base = orig & ~0xfull, m = (mask & ~0xfull) | 0xffffffff00000000ull;
    if (type == 2) {
        if (i + 1 >= PCI_BARS)
            return PCI_ERR_BAD_BAR;
        uint32_t orig_hi, mask_hi;
        *used = 2;
        if ((s = probe_bar(a, f, (uint16_t)(off + 4), &orig_hi, &mask_hi)) != PCI_OK)
            return s;
        base |= (uint64_t)orig_hi << 32;
        m = (m & 0xffffffffull) | (uint64_t)mask_hi << 32;
    } else if (type != 0) {
        return PCI_ERR_BAD_BAR; /* type 1 (below 1 MiB) is obsolete, 3 reserved */
    }
    uint64_t size = ~m + 1;
    /* The mask must be all-ones from some bit up (~m + 1 a power of two: ~m a
     * run of low ones), the BAR at least 16 bytes, its base aligned to it. */
    if (type == 0 && (mask & ~0xfu) == 0)
        return PCI_ERR_BAD_BAR;
    if (size == 0 || (size & (size - 1)) != 0 || size < 16 || (base & (size - 1)) != 0 ||
        base + size < base || (type == 0 && base + size > 0x100000000ull))
        return PCI_ERR_BAD_BAR;
    b->kind = type == 2 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
    b->prefetch = (orig >> 3) & 1;
    b->base = base;
    b->size = size;
    return PCI_OK;
}

enum pci_status pci_size_bars(const struct pci_access *a, struct pci_func *f)
{
    memset(f->bar, 0, sizeof(f->bar));
    if (f->header_type != 0)
        return PCI_OK;
    uint32_t cmd;
    enum pci_status s = rd(a, f, PCI_COMMAND, 2, &cmd);
    if (s != PCI_OK)
        return s;
    if ((s = wr(a, f, PCI_COMMAND, 2, cmd & ~(uint32_t)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY))) !=
        PCI_OK)
        return s;
    enum pci_status r = PCI_OK;
    for (unsigned i = 0; i < PCI_BARS && r == PCI_OK;) {
        unsigned used;
        r = size_one(a, f, i, &used);
        i += used;
    }
    s = wr(a, f, PCI_COMMAND, 2, cmd);
    if (r != PCI_OK)
        memset(f->bar, 0, sizeof(f->bar));
    return r != PCI_OK ? r : s;
}

enum pci_status pci_enumerate(const struct pci_access *a, struct pci_func *out, size_t max,
                              size_t *count)
{
    uint8_t queue[256];
    uint8_t seen[256 / 8] = {1}; /* bus 0 */
    unsigned head = 0, tail = 0;
    enum pci_status result = PCI_OK;
    queue[tail++] = 0;
    *count = 0;
    while (head < tail) {
        uint8_t bus = queue[head++];
        for (uint8_t dev = 0; dev < 32; dev++) {
            for (uint8_t fn = 0; fn < 8; fn++) {
                struct pci_func f;
                enum pci_status s = pci_read_function(a, bus, dev, fn, &f);
                if (s == PCI_ERR_ABSENT) {
                    if (fn == 0)
                        break;
                    continue;
                }
                if (s != PCI_OK)
                    return s;
                if (*count < max)
                    out[*count] = f;
                else
                    result = PCI_ERR_FULL;
                (*count)++;
                uint32_t hdr = 0, sec = 0;
                if (f.header_type == 1 &&
                    pci_read(a, bus, dev, fn, PCI_SECONDARY_BUS, 1, &sec) == PCI_OK && sec != 0 &&
                    !(seen[sec / 8] & (1u << (sec % 8)))) {
                    seen[sec / 8] |= (uint8_t)(1u << (sec % 8));
                    queue[tail++] = (uint8_t)sec;
                }
                if (fn == 0 &&
                    (pci_read(a, bus, dev, 0, PCI_HEADER_TYPE, 1, &hdr) != PCI_OK || !(hdr & 0x80)))
                    break;
            }
        }
    }
    if (*count > max)
        *count = max;
    return result;
}

enum pci_status pci_cap_next(const struct pci_access *a, const struct pci_func *f, uint8_t *pos,
                             uint8_t *id, unsigned *visited)
{
    uint32_t ptr;
    enum pci_status s;
    if (*pos == 0) {
        if (!(f->status & PCI_STATUS_CAP_LIST))
            return PCI_ERR_ABSENT;
        s = rd(a, f, PCI_CAP_PTR, 1, &ptr);
    } else {
        if (*pos < 0x40 || *pos > PCI_CONFIG_SIZE - 2)
            return PCI_ERR_BAD_CAP;
        s = rd(a, f, (uint16_t)(*pos + 1), 1, &ptr);
    }
    if (s != PCI_OK)
        return s;
    ptr &= ~3u; /* the bottom two bits are reserved */
    if (ptr == 0)
        return PCI_ERR_ABSENT;
    if (ptr < 0x40 || ptr > PCI_CONFIG_SIZE - 4)
        return PCI_ERR_BAD_CAP;
    if (++*visited > PCI_CAP_MAX)
        return PCI_ERR_LOOP;
    uint32_t v;
    if ((s = rd(a, f, (uint16_t)ptr, 1, &v)) != PCI_OK)
        return s;
    *pos = (uint8_t)ptr;
    *id = (uint8_t)v;
    return PCI_OK;
}

enum pci_status pci_read_bytes(const struct pci_access *a, const struct pci_func *f, uint16_t off,
                               void *buf, size_t len)
{
    if (off > PCI_CONFIG_SIZE || len > (size_t)(PCI_CONFIG_SIZE - off))
        return PCI_ERR_RANGE;
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) {
        uint32_t v;
        enum pci_status s = rd(a, f, (uint16_t)(off + i), 1, &v);
        if (s != PCI_OK)
            return s;
        p[i] = (uint8_t)v;
    }
    return PCI_OK;
}

const char *pci_status_name(enum pci_status s)
{
    switch (s) {
    case PCI_OK:
        return "ok";
    case PCI_ERR_ABSENT:
        return "absent";
    case PCI_ERR_IO:
        return "access failed";
    case PCI_ERR_RANGE:
        return "offset out of range";
    case PCI_ERR_BAD_BAR:
        return "malformed BAR";
    case PCI_ERR_BAD_CAP:
        return "malformed capability pointer";
    case PCI_ERR_LOOP:
        return "capability list loops";
    case PCI_ERR_FULL:
        return "too many functions";
    }
    return "unknown";
}
