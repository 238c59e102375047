/*
 * ACPI RSDP, root table and MADT reader (see genarch/acpi.h).
 *
 * Source: ACPI 6.5 specification, sections 5.2.5 (RSDP: where to find it, its
 * 20-byte ACPI 1.0 part with its own checksum, and the 36-byte ACPI 2.0 form
 * with a length, the XSDT address and an extended checksum over the whole),
 * 5.2.6 (the 36-byte system description table header: signature, length,
 * revision, checksum over `length` bytes), 5.2.7/5.2.8 (RSDT with 32-bit and
 * XSDT with 64-bit entries; the XSDT is preferred when both exist) and 5.2.12
 * (MADT: a 44-byte fixed part with the 32-bit local APIC address and flags,
 * then entries of {type, length}: 0 processor local APIC, 1 I/O APIC,
 * 2 interrupt source override, 5 local APIC address override, 9 processor
 * local x2APIC).
 *
 * Strictness, where readers differ: a table we use must pass its signature,
 * length and checksum checks, and any lie about a length ends the parse with an
 * error (the caller keeps its defaults) instead of a best guess; a root table
 * whose length is not a whole number of entries is refused. Entries of the root
 * table that cannot be read are skipped: they are not ours to judge. A MADT
 * entry type we do not know is skipped by its length; a known one shorter than
 * its layout is an error. Overrides for buses other than ISA (0) or for source
 * IRQs >= 16 are counted and ignored. I/O APICs beyond PLATFORM_MAX_IOAPICS are
 * counted and ignored: the ones kept are the first in table order.
 *
 * Every multi-byte field is read with memcpy (tables are not aligned) and is
 * little-endian, as on every ACPI machine.
 */
#include "genarch/acpi.h"

#include "lib/string.h"

enum {
    MADT_LAPIC = 0,
    MADT_IOAPIC = 1,
    MADT_OVERRIDE = 2,
    MADT_LAPIC_ADDR = 5,
    MADT_X2APIC = 9,
};

#define MADT_FIXED_LEN   44 /* header, local APIC address, flags */
#define MADT_PCAT_COMPAT 1u
#define LAPIC_ENABLED    1u

static uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void set_table(struct acpi_report *rep, const char *sig, paddr_t pa)
{
    memcpy(rep->table, sig, 4);
    rep->table[4] = 0;
    rep->where = pa;
}

enum acpi_err acpi_rsdp_check(const void *p, size_t avail, struct acpi_rsdp *out)
{
    const uint8_t *b = p;
    if (avail < ACPI_RSDP_V1_LEN)
        return ACPI_ERR_LENGTH;
    if (memcmp(b, "RSD PTR ", 8) != 0)
        return ACPI_ERR_SIGNATURE;
    if (sum8(b, ACPI_RSDP_V1_LEN) != 0)
        return ACPI_ERR_CHECKSUM;
    struct acpi_rsdp r = {.revision = b[15], .rsdt = rd32(b + 16)};
    memcpy(r.oem, b + 9, 6);
    r.oem[6] = 0;
    if (r.revision >= 2) {
        if (avail < ACPI_RSDP_V2_LEN)
            return ACPI_ERR_LENGTH;
        uint32_t len = rd32(b + 20);
        if (len < ACPI_RSDP_V2_LEN || len > avail)
            return ACPI_ERR_LENGTH;
        if (sum8(b, len) != 0)
            return ACPI_ERR_XCHECKSUM;
        r.xsdt = rd64(b + 24);
    }
    *out = r;
    return ACPI_OK;
}

enum acpi_err acpi_rsdp_read(paddr_t pa, acpi_map_fn map, void *ctx, struct acpi_rsdp *out)
{
    const uint8_t *b = map(pa, ACPI_RSDP_V1_LEN, ctx);
    if (!b)
        return ACPI_ERR_UNREADABLE;
    size_t len = ACPI_RSDP_V1_LEN;
    if (b[15] >= 2) {
        if (!(b = map(pa, ACPI_RSDP_V2_LEN, ctx)))
            return ACPI_ERR_UNREADABLE;
        uint32_t l = rd32(b + 20);
        if (l < ACPI_RSDP_V2_LEN || l > ACPI_RSDP_MAX_LEN)
            return ACPI_ERR_LENGTH;
        len = l;
        if (!(b = map(pa, len, ctx)))
            return ACPI_ERR_UNREADABLE;
    }
    return acpi_rsdp_check(b, len, out);
}

/* Scans [base, base+len) on 16-byte boundaries for a valid RSDP. */
static bool scan_area(paddr_t base, size_t len, acpi_map_fn map, void *ctx, struct acpi_rsdp *out,
                      paddr_t *where)
{
    const uint8_t *b = map(base, len, ctx);
    if (!b)
        return false;
    for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= len; off += 16) {
        if (acpi_rsdp_check(b + off, len - off, out) == ACPI_OK) {
            *where = base + off;
            return true;
        }
    }
    return false;
}

enum acpi_err acpi_rsdp_scan(acpi_map_fn map, void *ctx, struct acpi_rsdp *out, paddr_t *where)
{
    const uint8_t *bda = map(ACPI_BDA_EBDA_SEGMENT, 2, ctx);
    paddr_t ebda = bda ? (paddr_t)rd16(bda) << 4 : 0;
    /* The EBDA lies below the 640 KiB line; anything else is not an EBDA. */
    if (ebda >= 0x400 && ebda + ACPI_EBDA_SCAN_LEN <= 0xa0000 &&
        scan_area(ebda, ACPI_EBDA_SCAN_LEN, map, ctx, out, where))
        return ACPI_OK;
    if (scan_area(ACPI_BIOS_AREA, ACPI_BIOS_AREA_LEN, map, ctx, out, where))
        return ACPI_OK;
    return ACPI_ERR_NOT_FOUND;
}

/* Maps the table at pa whole and checks its header: signature sig (if not
 * NULL), ACPI_SDT_HDR_LEN <= length <= ACPI_TABLE_MAX, checksum. Returns the
 * mapping (valid until the next map call) and its length in *len. */
static enum acpi_err map_table(paddr_t pa, const char *sig, acpi_map_fn map, void *ctx,
                               const uint8_t **tab, uint32_t *len)
{
    const uint8_t *h = map(pa, ACPI_SDT_HDR_LEN, ctx);
    if (!h)
        return ACPI_ERR_UNREADABLE;
    if (sig && memcmp(h, sig, 4) != 0)
        return ACPI_ERR_SIGNATURE;
    uint32_t l = rd32(h + 4);
    if (l < ACPI_SDT_HDR_LEN || l > ACPI_TABLE_MAX)
        return ACPI_ERR_LENGTH;
    const uint8_t *t = map(pa, l, ctx);
    if (!t)
        return ACPI_ERR_UNREADABLE;
    if (sum8(t, l) != 0)
        return ACPI_ERR_CHECKSUM;
    *tab = t;
    *len = l;
    return ACPI_OK;
}

enum acpi_err acpi_find_table(const struct acpi_rsdp *rsdp, const char *sig, acpi_map_fn map,
                              void *ctx, paddr_t *pa, uint32_t *len, struct acpi_report *rep)
{
    bool x = rsdp->revision >= 2 && rsdp->xsdt != 0;
    paddr_t root = x ? rsdp->xsdt : rsdp->rsdt;
    const char *rsig = x ? "XSDT" : "RSDT";
    size_t esize = x ? 8 : 4;
    rep->xsdt = x;
    set_table(rep, rsig, root);
    if (!root)
        return ACPI_ERR_NOT_FOUND;
    const uint8_t *t;
    uint32_t rlen;
    enum acpi_err e = map_table(root, rsig, map, ctx, &t, &rlen);
    if (e != ACPI_OK)
        return e;
    if ((rlen - ACPI_SDT_HDR_LEN) % esize != 0)
        return ACPI_ERR_LENGTH;
    size_t n = (rlen - ACPI_SDT_HDR_LEN) / esize;
    for (size_t i = 0; i < n; i++) {
        /* One mapping at a time: read the entry, then look at its table. */
        const uint8_t *ep = map(root + ACPI_SDT_HDR_LEN + i * esize, esize, ctx);
        if (!ep)
            return ACPI_ERR_UNREADABLE;
        paddr_t tpa = x ? rd64(ep) : rd32(ep);
        const uint8_t *h = tpa ? map(tpa, 4, ctx) : NULL;
        if (!h || memcmp(h, sig, 4) != 0)
            continue;
        set_table(rep, sig, tpa);
        e = map_table(tpa, sig, map, ctx, &t, len);
        if (e == ACPI_OK)
            *pa = tpa;
        return e;
    }
    return ACPI_ERR_NOT_FOUND;
}

/* The smallest length of each MADT entry type we read; 0 for types skipped. */
static uint8_t madt_entry_min(uint8_t type)
{
    switch (type) {
    case MADT_LAPIC:
        return 8;
    case MADT_IOAPIC:
        return 12;
    case MADT_OVERRIDE:
        return 10;
    case MADT_LAPIC_ADDR:
        return 12;
    case MADT_X2APIC:
        return 16;
    default:
        return 0;
    }
}

/* Records one processor entry: an enabled one is counted and, while there is
 * room, its APIC id kept in table order (the boot CPU's is among them); a
 * disabled one (no "enabled" flag: not present, or not to be started) is only
 * counted in the report. */
static void madt_cpu(struct platform_info *pi, struct acpi_report *rep, uint32_t apic_id,
                     bool enabled)
{
    if (!enabled) {
        rep->cpus_disabled++;
        return;
    }
    if (pi->cpu_count < PLATFORM_MAX_CPUS)
        pi->cpu_apic_id[pi->cpu_count] = apic_id;
    else
        rep->cpus_dropped++;
    pi->cpu_count++;
}

/* Applies one MADT entry (length already checked) to pi. */
static void madt_entry(const uint8_t *e, struct platform_info *pi, struct acpi_report *rep)
{
    switch (e[0]) {
    case MADT_LAPIC:
        madt_cpu(pi, rep, e[3], (rd32(e + 4) & LAPIC_ENABLED) != 0);
        break;
    case MADT_X2APIC:
        madt_cpu(pi, rep, rd32(e + 4), (rd32(e + 8) & LAPIC_ENABLED) != 0);
        break;
    case MADT_IOAPIC:
        if (pi->ioapic_count == PLATFORM_MAX_IOAPICS) {
            rep->ioapics_dropped++;
            break;
        }
        pi->ioapic[pi->ioapic_count++] = (struct platform_ioapic){
            .paddr = rd32(e + 4),
            .gsi_base = rd32(e + 8),
            .id = e[2],
        };
        break;
    case MADT_OVERRIDE:
        if (e[2] != 0 || e[3] >= PLATFORM_ISA_IRQS) {
            rep->overrides_bad++;
            break;
        }
        pi->isa[e[3]] = (struct platform_isa_route){.gsi = rd32(e + 4), .flags = rd16(e + 8)};
        rep->overrides++;
        break;
    case MADT_LAPIC_ADDR:
        pi->lapic_paddr = rd64(e + 4);
        rep->lapic_override = true;
        break;
    }
}

enum acpi_err acpi_madt_parse(const struct acpi_rsdp *rsdp, acpi_map_fn map, void *ctx,
                              struct platform_info *out, struct acpi_report *rep)
{
    paddr_t pa;
    uint32_t len;
    enum acpi_err e = acpi_find_table(rsdp, "APIC", map, ctx, &pa, &len, rep);
    if (e != ACPI_OK)
        return e;
    /* Map it again (find_table's mapping may be gone) and check it again: the
     * length we parse within is the one whose checksum we verify here. */
    const uint8_t *t;
    e = map_table(pa, "APIC", map, ctx, &t, &len);
    if (e != ACPI_OK)
        return e;
    if (len < MADT_FIXED_LEN)
        return ACPI_ERR_LENGTH;

    struct platform_info pi = {
        .acpi = true,
        .pcat_compat = (rd32(t + 40) & MADT_PCAT_COMPAT) != 0,
        .lapic_paddr = rd32(t + 36),
    };
    for (unsigned i = 0; i < PLATFORM_ISA_IRQS; i++)
        pi.isa[i] = (struct platform_isa_route){.gsi = i, .flags = 0};
    for (uint32_t off = MADT_FIXED_LEN; off < len;) {
        if (len - off < 2)
            return ACPI_ERR_ENTRY;
        uint8_t type = t[off], elen = t[off + 1];
        if (elen < 2 || elen > len - off || elen < madt_entry_min(type))
            return ACPI_ERR_ENTRY;
        madt_entry(t + off, &pi, rep);
        off += elen;
    }
    *out = pi;
    return ACPI_OK;
}

const char *acpi_strerror(enum acpi_err e)
{
    switch (e) {
    case ACPI_OK:
        return "ok";
    case ACPI_ERR_UNREADABLE:
        return "unreadable";
    case ACPI_ERR_NOT_FOUND:
        return "not found";
    case ACPI_ERR_SIGNATURE:
        return "bad signature";
    case ACPI_ERR_CHECKSUM:
        return "bad checksum";
    case ACPI_ERR_XCHECKSUM:
        return "bad extended checksum";
    case ACPI_ERR_LENGTH:
        return "bad length";
    case ACPI_ERR_ENTRY:
        return "bad MADT entry";
    }
    return "unknown error";
}
