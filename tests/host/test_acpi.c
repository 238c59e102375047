/*
 * The ACPI reader (kernel/genarch/acpi.c) over hand-built tables in a fake physical
 * memory: a QEMU-like set (RSDT, one I/O APIC, overrides 0->2 and 5/9/10/11
 * level active-high), XSDT against RSDT, a bad checksum and a bad signature at
 * every level, lengths that lie (short, long, past the memory, not whole
 * entries), broken MADT entries, too many I/O APICs, no MADT, the BIOS-area
 * scan, the RSDP the boot protocols pass (kernel/arch/x86_64/boot/bootinfo.c),
 * and random corruption of a valid set.
 *
 * The fake map() hands out a fresh exact-size copy per call and frees the
 * previous one, so ASan catches a parser that reads past what it asked for or
 * keeps a pointer across calls (genarch/acpi.h's one-mapping-at-a-time contract).
 * Every failure must leave the caller's platform_info untouched.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch/boot.h"
#include "arch/bootinfo.h"
#include "genarch/acpi.h"

/* Fake physical memory: the first MiB (BDA, EBDA, BIOS area) and 64 KiB of
 * "reserved" memory high up where firmware puts its tables. */
#define LOW_SIZE  0x100000u
#define HIGH_BASE 0x7fe0000u
#define HIGH_SIZE 0x10000u
static uint8_t low[LOW_SIZE], high[HIGH_SIZE];
static void *last_copy;
static unsigned map_calls;

static uint8_t *at(paddr_t pa)
{
    if (pa < LOW_SIZE)
        return low + pa;
    cr_assert(pa >= HIGH_BASE && pa < HIGH_BASE + HIGH_SIZE, "test writes outside fake memory");
    return high + (pa - HIGH_BASE);
}

static const void *fake_map(paddr_t pa, size_t len, void *ctx)
{
    (void)ctx;
    map_calls++;
    free(last_copy);
    last_copy = NULL;
    const uint8_t *src = NULL;
    if (pa < LOW_SIZE && len <= LOW_SIZE - pa)
        src = low + pa;
    else if (pa >= HIGH_BASE && pa - HIGH_BASE < HIGH_SIZE && len <= HIGH_SIZE - (pa - HIGH_BASE))
        src = high + (pa - HIGH_BASE);
    if (!src)
        return NULL;
    last_copy = malloc(len ? len : 1);
    memcpy(last_copy, src, len);
    return last_copy;
}

static void fini(void)
{
    free(last_copy);
    last_copy = NULL;
}

static void put8(paddr_t pa, uint8_t v)
{
    *at(pa) = v;
}

static void put16(paddr_t pa, uint16_t v)
{
    memcpy(at(pa), &v, 2);
}

static void put32(paddr_t pa, uint32_t v)
{
    memcpy(at(pa), &v, 4);
}

static void put64(paddr_t pa, uint64_t v)
{
    memcpy(at(pa), &v, 8);
}

static uint32_t get32(paddr_t pa)
{
    uint32_t v;
    memcpy(&v, at(pa), 4);
    return v;
}

/* Sets byte `ck` of [pa, pa+len) so the range sums to zero. */
static void fix_sum(paddr_t pa, size_t len, size_t ck)
{
    uint8_t s = 0;
    put8(pa + ck, 0);
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + *at(pa + i));
    put8(pa + ck, (uint8_t)-s);
}

static void fix_table(paddr_t pa)
{
    fix_sum(pa, get32(pa + 4), 9);
}

/* A table header with signature sig and length len (checksum fixed later). */
static void sdt_header(paddr_t pa, const char *sig, uint32_t len)
{
    memcpy(at(pa), sig, 4);
    put32(pa + 4, len);
    put8(pa + 8, 1);
    memcpy(at(pa + 10), "WEFTQM", 6);
    memcpy(at(pa + 16), "TESTTABL", 8);
}

/* Table addresses of the standard set. */
#define RSDP_PA  0xf5a10u
#define RSDT_PA  (HIGH_BASE + 0x100)
#define XSDT_PA  (HIGH_BASE + 0x200)
#define FACP_PA  (HIGH_BASE + 0x300)
#define MADT_PA  (HIGH_BASE + 0x1000)
#define MADT2_PA (HIGH_BASE + 0x2000)

static void rsdp(paddr_t pa, uint8_t rev, uint32_t rsdt, uint64_t xsdt)
{
    memcpy(at(pa), "RSD PTR ", 8);
    memcpy(at(pa + 9), "BOCHS ", 6);
    put8(pa + 15, rev);
    put32(pa + 16, rsdt);
    if (rev >= 2) {
        put32(pa + 20, ACPI_RSDP_V2_LEN);
        put64(pa + 24, xsdt);
        fix_sum(pa, ACPI_RSDP_V2_LEN, 32);
    }
    fix_sum(pa, ACPI_RSDP_V1_LEN, 8);
    if (rev >= 2)
        fix_sum(pa, ACPI_RSDP_V2_LEN, 32); /* the first checksum byte is inside it */
}

/* A root table (RSDT: 4-byte entries, XSDT: 8-byte) listing n tables. */
static void root(paddr_t pa, bool x, const paddr_t *tabs, unsigned n)
{
    unsigned es = x ? 8 : 4;
    sdt_header(pa, x ? "XSDT" : "RSDT", ACPI_SDT_HDR_LEN + n * es);
    for (unsigned i = 0; i < n; i++) {
        if (x)
            put64(pa + ACPI_SDT_HDR_LEN + i * 8, tabs[i]);
        else
            put32(pa + ACPI_SDT_HDR_LEN + i * 4, (uint32_t)tabs[i]);
    }
    fix_table(pa);
}

/* MADT under construction: entries appended at madt_end. */
static paddr_t madt_pa, madt_end;

static void madt_begin(paddr_t pa, uint32_t lapic, uint32_t flags)
{
    madt_pa = pa;
    sdt_header(pa, "APIC", 44);
    put32(pa + 36, lapic);
    put32(pa + 40, flags);
    madt_end = pa + 44;
}

static void madt_raw(const uint8_t *e, unsigned n)
{
    memcpy(at(madt_end), e, n);
    madt_end += n;
}

static void madt_lapic(uint8_t uid, uint8_t apic, uint32_t flags)
{
    uint8_t e[8] = {0, 8, uid, apic};
    memcpy(e + 4, &flags, 4);
    madt_raw(e, 8);
}

static void madt_ioapic(uint8_t id, uint32_t addr, uint32_t gsi)
{
    uint8_t e[12] = {1, 12, id, 0};
    memcpy(e + 4, &addr, 4);
    memcpy(e + 8, &gsi, 4);
    madt_raw(e, 12);
}

static void madt_override(uint8_t bus, uint8_t src, uint32_t gsi, uint16_t flags)
{
    uint8_t e[10] = {2, 10, bus, src};
    memcpy(e + 4, &gsi, 4);
    memcpy(e + 8, &flags, 2);
    madt_raw(e, 10);
}

static void madt_end_table(void)
{
    put32(madt_pa + 4, (uint32_t)(madt_end - madt_pa));
    fix_table(madt_pa);
}

/* QEMU -machine pc under SeaBIOS: RSDP v0 -> RSDT -> {FACP, APIC}. */
static void qemu_madt(paddr_t pa, uint32_t ioapic_addr)
{
    madt_begin(pa, 0xfee00000u, 1);
    madt_lapic(0, 0, 1);
    madt_ioapic(0, ioapic_addr, 0);
    madt_override(0, 0, 2, 0);
    madt_override(0, 5, 5, 0xd);
    madt_override(0, 9, 9, 0xd);
    madt_override(0, 10, 10, 0xd);
    madt_override(0, 11, 11, 0xd);
    uint8_t nmi[6] = {4, 6, 0xff, 0, 0, 1}; /* local APIC NMI: skipped */
    madt_raw(nmi, 6);
    madt_end_table();
}

static void qemu_set(void)
{
    memset(low, 0, sizeof(low));
    memset(high, 0, sizeof(high));
    sdt_header(FACP_PA, "FACP", 116);
    fix_table(FACP_PA);
    qemu_madt(MADT_PA, 0xfec00000u);
    paddr_t tabs[] = {FACP_PA, MADT_PA};
    root(RSDT_PA, false, tabs, 2);
    rsdp(RSDP_PA, 0, RSDT_PA, 0);
}

/* A platform_info full of a pattern no parse produces. */
static struct platform_info sentinel(void)
{
    struct platform_info p;
    memset(&p, 0xa5, sizeof(p));
    return p;
}

/* Runs rsdp read + MADT parse; checks the output is untouched on failure. */
static enum acpi_err parse(struct platform_info *out, struct acpi_report *rep)
{
    struct acpi_rsdp r;
    struct platform_info before = *out;
    memset(rep, 0, sizeof(*rep));
    enum acpi_err e = acpi_rsdp_read(RSDP_PA, fake_map, NULL, &r);
    if (e == ACPI_OK)
        e = acpi_madt_parse(&r, fake_map, NULL, out, rep);
    if (e != ACPI_OK)
        cr_assert(memcmp(&before, out, sizeof(before)) == 0, "failed parse changed the output");
    fini();
    return e;
}

Test(acpi, qemu_like)
{
    qemu_set();
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert(p.acpi && p.pcat_compat);
    cr_assert_eq(p.lapic_paddr, 0xfee00000u);
    cr_assert_eq(p.cpu_count, 1);
    cr_assert_eq(p.ioapic_count, 1);
    cr_assert_eq(p.ioapic[0].paddr, 0xfec00000u);
    cr_assert_eq(p.ioapic[0].gsi_base, 0);
    cr_assert_eq(p.ioapic[0].id, 0);
    cr_assert_eq(p.isa[0].gsi, 2);
    cr_assert_eq(p.isa[0].flags, 0);
    for (unsigned i = 1; i < PLATFORM_ISA_IRQS; i++) {
        cr_assert_eq(p.isa[i].gsi, i);
        bool level = i == 5 || i == 9 || i == 10 || i == 11;
        cr_assert_eq(PLATFORM_INTI_TRIGGER(p.isa[i].flags), level ? 3u : 0u, "IRQ %u", i);
        cr_assert_eq(PLATFORM_INTI_POLARITY(p.isa[i].flags), level ? 1u : 0u, "IRQ %u", i);
    }
    cr_assert_eq(rep.overrides, 5);
    cr_assert_eq(rep.overrides_bad, 0);
    cr_assert_eq(rep.ioapics_dropped, 0);
    cr_assert(!rep.xsdt && !rep.lapic_override);
    cr_assert_str_eq(rep.table, "APIC");
    cr_assert_eq(rep.where, MADT_PA);
}

Test(acpi, rsdp_fields)
{
    qemu_set();
    struct acpi_rsdp r;
    cr_assert_eq(acpi_rsdp_check(at(RSDP_PA), ACPI_RSDP_V1_LEN, &r), ACPI_OK);
    cr_assert_eq(r.revision, 0);
    cr_assert_str_eq(r.oem, "BOCHS ");
    cr_assert_eq(r.rsdt, RSDT_PA);
    cr_assert_eq(r.xsdt, 0);
    /* Revision 0 ignores what follows the 20 bytes, however wrong. */
    memset(at(RSDP_PA + 20), 0xff, 16);
    cr_assert_eq(acpi_rsdp_check(at(RSDP_PA), 36, &r), ACPI_OK);
    cr_assert_eq(r.xsdt, 0);
}

/* RSDP v2 naming two root tables whose MADTs differ: the XSDT's wins. */
static void two_roots(void)
{
    qemu_set();
    qemu_madt(MADT2_PA, 0xfec10000u);
    paddr_t x[] = {FACP_PA, MADT2_PA};
    root(XSDT_PA, true, x, 2);
    rsdp(RSDP_PA, 2, RSDT_PA, XSDT_PA);
}

Test(acpi, xsdt_preferred)
{
    two_roots();
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert(rep.xsdt);
    cr_assert_eq(p.ioapic[0].paddr, 0xfec10000u);
}

Test(acpi, rsdt_when_xsdt_address_is_zero)
{
    two_roots();
    rsdp(RSDP_PA, 2, RSDT_PA, 0);
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert(!rep.xsdt);
    cr_assert_eq(p.ioapic[0].paddr, 0xfec00000u);
}

Test(acpi, xsdt_entries_above_4g_are_64_bit)
{
    two_roots();
    /* An entry with high bits set is unreadable here: it must be skipped, not
     * truncated to 32 bits (which would find the table at MADT2_PA). */
    paddr_t x[] = {(1ull << 32) | MADT2_PA, MADT2_PA};
    root(XSDT_PA, true, x, 2);
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert_eq(rep.where, MADT2_PA);
    x[1] = FACP_PA;
    root(XSDT_PA, true, x, 2);
    cr_assert_eq(parse(&p, &rep), ACPI_ERR_NOT_FOUND);
}

/* Flips one byte (keeping the table's own checksum wrong) and expects err, with
 * the report naming table. */
static void expect_err(enum acpi_err want, const char *table)
{
    struct platform_info p = sentinel();
    struct acpi_report rep;
    enum acpi_err e = parse(&p, &rep);
    cr_assert_eq(e, want, "got %s, want %s", acpi_strerror(e), acpi_strerror(want));
    if (table)
        cr_assert_str_eq(rep.table, table);
}

static void expect_rsdp_err(enum acpi_err want)
{
    struct acpi_rsdp r;
    cr_assert_eq(acpi_rsdp_read(RSDP_PA, fake_map, NULL, &r), want);
    fini();
}

Test(acpi, bad_checksum_at_each_level)
{
    qemu_set();
    put8(RSDP_PA + 16, *at(RSDP_PA + 16) ^ 1); /* RSDT address, RSDP checksum */
    expect_rsdp_err(ACPI_ERR_CHECKSUM);

    two_roots();
    put8(RSDP_PA + 33, 1); /* reserved byte: only the extended checksum sees it */
    expect_rsdp_err(ACPI_ERR_XCHECKSUM);

    two_roots();
    put8(XSDT_PA + 20, 'x');
    expect_err(ACPI_ERR_CHECKSUM, "XSDT");

    qemu_set();
    put8(RSDT_PA + 20, 'x');
    expect_err(ACPI_ERR_CHECKSUM, "RSDT");

    qemu_set();
    put8(MADT_PA + 36, 0x01); /* local APIC address */
    expect_err(ACPI_ERR_CHECKSUM, "APIC");
}

Test(acpi, bad_signature_at_each_level)
{
    qemu_set();
    memcpy(at(RSDP_PA), "RSD PTX ", 8);
    expect_rsdp_err(ACPI_ERR_SIGNATURE);

    qemu_set();
    memcpy(at(RSDT_PA), "XSDT", 4);
    fix_table(RSDT_PA);
    expect_err(ACPI_ERR_SIGNATURE, "RSDT");

    two_roots();
    memcpy(at(XSDT_PA), "RSDT", 4);
    fix_table(XSDT_PA);
    expect_err(ACPI_ERR_SIGNATURE, "XSDT");

    /* A MADT under another name is not found. */
    qemu_set();
    memcpy(at(MADT_PA), "APIK", 4);
    fix_table(MADT_PA);
    expect_err(ACPI_ERR_NOT_FOUND, "RSDT");
}

Test(acpi, no_madt_keeps_defaults)
{
    qemu_set();
    paddr_t tabs[] = {FACP_PA};
    root(RSDT_PA, false, tabs, 1);
    expect_err(ACPI_ERR_NOT_FOUND, NULL);
    root(RSDT_PA, false, tabs, 0); /* an empty root table */
    expect_err(ACPI_ERR_NOT_FOUND, NULL);
    /* No root table at all. */
    rsdp(RSDP_PA, 0, 0, 0);
    expect_err(ACPI_ERR_NOT_FOUND, NULL);
}

Test(acpi, unreadable_tables)
{
    qemu_set();
    rsdp(RSDP_PA, 0, 0x40000000u, 0); /* the root table is nowhere */
    expect_err(ACPI_ERR_UNREADABLE, "RSDT");
    /* A root entry that cannot be read is skipped; the MADT after it is found. */
    qemu_set();
    paddr_t tabs[] = {0x50000000u, 0, MADT_PA};
    root(RSDT_PA, false, tabs, 3);
    expect_err(ACPI_OK, "APIC");
    struct acpi_rsdp r;
    cr_assert_eq(acpi_rsdp_read(0x40000000u, fake_map, NULL, &r), ACPI_ERR_UNREADABLE);
    cr_assert_eq(acpi_rsdp_read(LOW_SIZE - 10, fake_map, NULL, &r), ACPI_ERR_UNREADABLE);
    fini();
}

Test(acpi, lying_lengths)
{
    struct acpi_rsdp r;
    qemu_set();
    cr_assert_eq(acpi_rsdp_check(at(RSDP_PA), 19, &r), ACPI_ERR_LENGTH);

    two_roots();
    cr_assert_eq(acpi_rsdp_check(at(RSDP_PA), 35, &r), ACPI_ERR_LENGTH);
    put32(RSDP_PA + 20, 35); /* a v2 RSDP shorter than v2 */
    fix_sum(RSDP_PA, ACPI_RSDP_V1_LEN, 8);
    expect_rsdp_err(ACPI_ERR_LENGTH);
    two_roots();
    put32(RSDP_PA + 20, 40); /* longer than the bytes the caller has */
    fix_sum(RSDP_PA, ACPI_RSDP_V1_LEN, 8);
    cr_assert_eq(acpi_rsdp_check(at(RSDP_PA), 36, &r), ACPI_ERR_LENGTH);
    put32(RSDP_PA + 20, ACPI_RSDP_MAX_LEN + 1);
    fix_sum(RSDP_PA, ACPI_RSDP_V1_LEN, 8);
    expect_rsdp_err(ACPI_ERR_LENGTH);

    /* Root table: shorter than a header, not whole entries, beyond the maximum,
     * past the end of readable memory. */
    qemu_set();
    put32(RSDT_PA + 4, 35);
    fix_table(RSDT_PA);
    expect_err(ACPI_ERR_LENGTH, "RSDT");
    qemu_set();
    put32(RSDT_PA + 4, 36 + 6);
    fix_table(RSDT_PA);
    expect_err(ACPI_ERR_LENGTH, "RSDT");
    two_roots();
    put32(XSDT_PA + 4, 36 + 12);
    fix_table(XSDT_PA);
    expect_err(ACPI_ERR_LENGTH, "XSDT");
    qemu_set();
    put32(RSDT_PA + 4, ACPI_TABLE_MAX + 4);
    expect_err(ACPI_ERR_LENGTH, "RSDT");
    qemu_set();
    put32(MADT_PA + 4, HIGH_SIZE); /* runs past the fake memory */
    expect_err(ACPI_ERR_UNREADABLE, "APIC");

    /* MADT: below its fixed part, and claiming less than its entries take. */
    qemu_set();
    sdt_header(MADT_PA, "APIC", 40);
    fix_table(MADT_PA);
    expect_err(ACPI_ERR_LENGTH, "APIC");
    qemu_set();
    put32(MADT_PA + 4, 44 + 8 + 5); /* cuts the I/O APIC entry */
    fix_table(MADT_PA);
    expect_err(ACPI_ERR_ENTRY, "APIC");
    /* Cut exactly between entries, it is a shorter, valid table. */
    qemu_set();
    put32(MADT_PA + 4, 44 + 8 + 12);
    fix_table(MADT_PA);
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert_eq(p.ioapic_count, 1);
    cr_assert_eq(p.isa[0].gsi, 0, "override beyond the length was applied");
}

/* A MADT whose only entry (after the local APIC) is the given bytes. */
static enum acpi_err one_entry(const uint8_t *e, unsigned n)
{
    qemu_set();
    madt_begin(MADT_PA, 0xfee00000u, 1);
    madt_lapic(0, 0, 1);
    madt_raw(e, n);
    madt_end_table();
    struct platform_info p = sentinel();
    struct acpi_report rep;
    return parse(&p, &rep);
}

Test(acpi, broken_entries)
{
    const uint8_t zero_len[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    cr_assert_eq(one_entry(zero_len, sizeof(zero_len)), ACPI_ERR_ENTRY);
    const uint8_t one_len[] = {0x7f, 1, 0, 0};
    cr_assert_eq(one_entry(one_len, sizeof(one_len)), ACPI_ERR_ENTRY);
    const uint8_t lone_byte[] = {0};
    cr_assert_eq(one_entry(lone_byte, sizeof(lone_byte)), ACPI_ERR_ENTRY);
    const uint8_t past_end[] = {0x7f, 20, 0, 0, 0, 0};
    cr_assert_eq(one_entry(past_end, sizeof(past_end)), ACPI_ERR_ENTRY);
    const uint8_t short_ioapic[] = {1, 8, 0, 0, 0, 0, 0xc0, 0xfe};
    cr_assert_eq(one_entry(short_ioapic, sizeof(short_ioapic)), ACPI_ERR_ENTRY);
    const uint8_t short_override[] = {2, 8, 0, 0, 2, 0, 0, 0};
    cr_assert_eq(one_entry(short_override, sizeof(short_override)), ACPI_ERR_ENTRY);
    const uint8_t short_lapic[] = {0, 6, 0, 0, 1, 0};
    cr_assert_eq(one_entry(short_lapic, sizeof(short_lapic)), ACPI_ERR_ENTRY);
    /* Unknown types are skipped by their length; longer known ones are fine. */
    const uint8_t unknown[] = {0x7f, 6, 1, 2, 3, 4};
    cr_assert_eq(one_entry(unknown, sizeof(unknown)), ACPI_OK);
    const uint8_t long_ioapic[] = {1, 16, 3, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0, 9, 9, 9, 9};
    cr_assert_eq(one_entry(long_ioapic, sizeof(long_ioapic)), ACPI_OK);
}

Test(acpi, too_many_ioapics_keeps_the_first)
{
    qemu_set();
    madt_begin(MADT_PA, 0xfee00000u, 0);
    for (unsigned i = 0; i < PLATFORM_MAX_IOAPICS + 2; i++)
        madt_ioapic((uint8_t)(i + 1), 0xfec00000u + i * 0x1000, i * 24);
    madt_end_table();
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert_eq(p.ioapic_count, PLATFORM_MAX_IOAPICS);
    cr_assert_eq(rep.ioapics_dropped, 2);
    for (unsigned i = 0; i < PLATFORM_MAX_IOAPICS; i++) {
        cr_assert_eq(p.ioapic[i].id, i + 1);
        cr_assert_eq(p.ioapic[i].paddr, 0xfec00000u + i * 0x1000);
        cr_assert_eq(p.ioapic[i].gsi_base, i * 24);
    }
    cr_assert(!p.pcat_compat);
    cr_assert_eq(p.cpu_count, 0);
}

Test(acpi, cpus_overrides_and_lapic_address)
{
    qemu_set();
    madt_begin(MADT_PA, 0xfee00000u, 1);
    madt_lapic(0, 0, 1);
    madt_lapic(1, 1, 0); /* disabled */
    madt_lapic(2, 2, 1);
    uint8_t x2[16] = {9, 16, 0, 0, 0x00, 0x01, 0, 0, 1, 0, 0, 0}; /* x2APIC 256, enabled */
    madt_raw(x2, 16);
    madt_ioapic(0, 0xfec00000u, 0);
    madt_override(1, 3, 30, 0xf); /* not ISA: ignored */
    madt_override(0, 16, 16, 0);  /* not an ISA IRQ: ignored */
    madt_override(0, 4, 20, 0xf); /* level, active low */
    uint8_t addr[12] = {5, 12, 0, 0};
    uint64_t lapic64 = 0x1234567000ull;
    memcpy(addr + 4, &lapic64, 8);
    madt_raw(addr, 12);
    madt_end_table();
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert_eq(p.cpu_count, 3);
    cr_assert_eq(p.cpu_apic_id[0], 0);
    cr_assert_eq(p.cpu_apic_id[1], 2, "the disabled processor is skipped");
    cr_assert_eq(p.cpu_apic_id[2], 256, "x2APIC entries give 32-bit ids");
    cr_assert_eq(rep.cpus_disabled, 1);
    cr_assert_eq(rep.cpus_dropped, 0);
    cr_assert_eq(p.lapic_paddr, lapic64);
    cr_assert(rep.lapic_override);
    cr_assert_eq(rep.overrides, 1);
    cr_assert_eq(rep.overrides_bad, 2);
    cr_assert_eq(p.isa[4].gsi, 20);
    cr_assert_eq(PLATFORM_INTI_TRIGGER(p.isa[4].flags), 3);
    cr_assert_eq(PLATFORM_INTI_POLARITY(p.isa[4].flags), 3);
    cr_assert_eq(p.isa[3].gsi, 3);
    cr_assert_eq(p.isa[0].gsi, 0, "no override: identity");
}

Test(acpi, cpus_beyond_the_limit_are_counted_not_kept)
{
    qemu_set();
    madt_begin(MADT_PA, 0xfee00000u, 1);
    for (unsigned i = 0; i < PLATFORM_MAX_CPUS + 3; i++)
        madt_lapic((uint8_t)i, (uint8_t)(i + 1), 1);
    madt_end_table();
    struct platform_info p = sentinel();
    struct acpi_report rep;
    cr_assert_eq(parse(&p, &rep), ACPI_OK);
    cr_assert_eq(p.cpu_count, PLATFORM_MAX_CPUS + 3);
    cr_assert_eq(rep.cpus_dropped, 3);
    cr_assert_eq(p.cpu_apic_id[PLATFORM_MAX_CPUS - 1], PLATFORM_MAX_CPUS);
}

Test(acpi, scan_ebda_then_bios_area)
{
    struct acpi_rsdp r;
    paddr_t where = 0;
    memset(low, 0, sizeof(low));
    cr_assert_eq(acpi_rsdp_scan(fake_map, NULL, &r, &where), ACPI_ERR_NOT_FOUND);

    /* In the BIOS area, after a candidate with a bad checksum and one that is
     * not on a 16-byte boundary. */
    rsdp(0xe0100, 0, 0x1000, 0);
    put8(0xe0100 + 16, 0x77); /* break its checksum */
    rsdp(0xe0204, 0, 0x2000, 0);
    rsdp(0xf5a10, 0, 0x3000, 0);
    cr_assert_eq(acpi_rsdp_scan(fake_map, NULL, &r, &where), ACPI_OK);
    cr_assert_eq(where, 0xf5a10);
    cr_assert_eq(r.rsdt, 0x3000);

    /* The EBDA's first KiB comes first; beyond it is not looked at. */
    put16(ACPI_BDA_EBDA_SEGMENT, 0x9fc0);
    rsdp(0x9fc00 + 0x400, 0, 0x4000, 0);
    cr_assert_eq(acpi_rsdp_scan(fake_map, NULL, &r, &where), ACPI_OK);
    cr_assert_eq(where, 0xf5a10);
    rsdp(0x9fc00 + 0x3e0, 0, 0x5000, 0);
    cr_assert_eq(acpi_rsdp_scan(fake_map, NULL, &r, &where), ACPI_OK);
    cr_assert_eq(where, 0x9fc00 + 0x3e0);
    cr_assert_eq(r.rsdt, 0x5000);
    /* An EBDA segment pointing outside conventional memory is ignored. */
    put16(ACPI_BDA_EBDA_SEGMENT, 0xf000);
    cr_assert_eq(acpi_rsdp_scan(fake_map, NULL, &r, &where), ACPI_OK);
    cr_assert_eq(where, 0xf5a10);
    /* A v2 RSDP in the area is checked whole. */
    memset(at(0xf5a10), 0, 36);
    rsdp(0xf5a10, 2, 0x3000, 0x6000);
    put8(0xf5a10 + 33, 9);
    cr_assert_eq(acpi_rsdp_scan(fake_map, NULL, &r, &where), ACPI_ERR_NOT_FOUND);
    fini();
}

/* Random corruption of a valid set: every outcome is an error with the output
 * untouched (parse() checks) or a result within the structure's bounds. */
Test(acpi, random_corruption)
{
    srand(1234);
    for (int round = 0; round < 3000; round++) {
        if (round & 1)
            two_roots();
        else
            qemu_set();
        int flips = 1 + rand() % 4;
        for (int f = 0; f < flips; f++) {
            static const paddr_t areas[][2] = {
                {RSDP_PA, 36}, {RSDT_PA, 44}, {XSDT_PA, 52}, {MADT_PA, 110}, {MADT2_PA, 110}};
            const paddr_t *a = areas[rand() % 5];
            put8(a[0] + (paddr_t)(rand() % (int)a[1]), (uint8_t)rand());
        }
        /* Half the time, repair the checksums so the parser sees the damage. */
        if (rand() & 1) {
            for (paddr_t t = MADT_PA; t <= MADT2_PA; t += MADT2_PA - MADT_PA)
                if (get32(t + 4) <= 0x1000)
                    fix_table(t);
        }
        struct platform_info p = sentinel();
        struct acpi_report rep;
        if (parse(&p, &rep) == ACPI_OK) {
            cr_assert(p.acpi);
            cr_assert_leq(p.ioapic_count, PLATFORM_MAX_IOAPICS);
        }
    }
}

Test(acpi, strerror_names_every_error)
{
    for (int e = ACPI_OK; e <= ACPI_ERR_ENTRY; e++)
        cr_assert_str_neq(acpi_strerror((enum acpi_err)e), "unknown error");
}

/* --- The RSDP as the boot protocols pass it (bootinfo.c) -------------------- */

/* Multiboot2 information at 0x1000: a memory map and the given ACPI tags. */
static uint32_t mb2_off;

static void mb2_tag(uint32_t type, const void *body, uint32_t blen)
{
    put32(0x1000 + mb2_off, type);
    put32(0x1000 + mb2_off + 4, 8 + blen);
    if (blen)
        memcpy(at(0x1000 + mb2_off + 8), body, blen);
    mb2_off += (8 + blen + 7) & ~7u;
}

static void mb2_begin(void)
{
    memset(low, 0, sizeof(low));
    mb2_off = 8;
    uint8_t mmap[8 + 24] = {0};
    uint32_t esize = 24;
    memcpy(mmap, &esize, 4);
    uint64_t base = 0x100000, len = 0x800000;
    uint32_t type = 1;
    memcpy(mmap + 8, &base, 8);
    memcpy(mmap + 16, &len, 8);
    memcpy(mmap + 24, &type, 4);
    mb2_tag(6, mmap, sizeof(mmap));
}

static const void *mb2_phys(paddr_t pa, size_t len)
{
    return pa < LOW_SIZE && len <= LOW_SIZE - pa ? low + pa : NULL;
}

static void mb2_parse(struct bootmem *bm)
{
    mb2_tag(0, NULL, 0);
    put32(0x1000, mb2_off);
    bootmem_init(bm);
    const char *err = bootinfo_parse_mb2(bm, MB2_BOOTLOADER_MAGIC, 0x1000, mb2_phys);
    cr_assert_null(err, "%s", err);
}

Test(acpi_boot, multiboot2_copies)
{
    static struct bootmem bm;
    uint8_t v1[20], v2[36];
    qemu_set();
    memcpy(v1, at(RSDP_PA), 20);
    two_roots();
    memcpy(v2, at(RSDP_PA), 36);

    mb2_begin();
    mb2_parse(&bm);
    cr_assert_eq(bm.acpi_rsdp_len, 0);
    cr_assert_eq(bm.acpi_rsdp_paddr, 0);

    mb2_begin();
    mb2_tag(14, v1, 20);
    mb2_parse(&bm);
    cr_assert_eq(bm.acpi_rsdp_len, 20);
    cr_assert(memcmp(bm.acpi_rsdp, v1, 20) == 0);
    struct acpi_rsdp r;
    cr_assert_eq(acpi_rsdp_check(bm.acpi_rsdp, bm.acpi_rsdp_len, &r), ACPI_OK);
    cr_assert_eq(r.rsdt, RSDT_PA);

    /* The ACPI 2.0 copy wins, whichever tag comes first. */
    for (int order = 0; order < 2; order++) {
        mb2_begin();
        if (order)
            mb2_tag(14, v1, 20);
        mb2_tag(15, v2, 36);
        if (!order)
            mb2_tag(14, v1, 20);
        mb2_parse(&bm);
        cr_assert_eq(bm.acpi_rsdp_len, 36);
        cr_assert_eq(acpi_rsdp_check(bm.acpi_rsdp, bm.acpi_rsdp_len, &r), ACPI_OK);
        cr_assert_eq(r.xsdt, XSDT_PA);
    }
    /* An oversized tag keeps BOOTMEM_RSDP_MAX bytes. */
    uint8_t big[100];
    memset(big, 0x55, sizeof(big));
    memcpy(big, v2, 36);
    mb2_begin();
    mb2_tag(15, big, sizeof(big));
    mb2_parse(&bm);
    cr_assert_eq(bm.acpi_rsdp_len, BOOTMEM_RSDP_MAX);
    cr_assert_eq(acpi_rsdp_check(bm.acpi_rsdp, bm.acpi_rsdp_len, &r), ACPI_OK);
}

Test(acpi_boot, pvh_rsdp_paddr)
{
    static struct bootmem bm;
    memset(low, 0, sizeof(low));
    put32(0x1000, PVH_START_MAGIC);
    put32(0x1004, 1);
    put64(0x1020, RSDP_PA); /* rsdp_paddr */
    put64(0x1028, 0x2000);  /* memmap */
    put32(0x1030, 1);
    put64(0x2000, 0x100000);
    put64(0x2008, 0x800000);
    put32(0x2010, 1);
    bootmem_init(&bm);
    const char *err = bootinfo_parse_pvh(&bm, 0x1000, mb2_phys);
    cr_assert_null(err, "%s", err);
    cr_assert_eq(bm.acpi_rsdp_paddr, RSDP_PA);
    cr_assert_eq(bm.acpi_rsdp_len, 0);
}
