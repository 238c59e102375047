/*
 * The platform description from the firmware (see genarch/platform.h).
 *
 * The RSDP comes from the boot protocol when it says where it is: PVH passes
 * its physical address (QEMU's PVH loader finds it for us), Multiboot2 passes a
 * copy of its bytes (GRUB under BIOS and UEFI alike). Only when neither does
 * are the BIOS areas scanned, as the ACPI specification tells a PC OS to: under
 * UEFI there is nothing there to find.
 *
 * Tables may lie in reserved ranges the direct map leaves out, and the BIOS
 * areas below 1 MiB are never in it, so every firmware byte is read through
 * arch_fw_map's single sliding window (which genarch/acpi.c's one-mapping-at-a-time
 * contract allows). This runs before the PMM takes ACPI-reclaimable memory; all
 * that is kept afterwards is the copy in `platform`.
 *
 * Any failure leaves the PC defaults and says why in the one log line: a machine
 * with broken tables still boots, on the legacy routing every PC has.
 */
#include "genarch/platform.h"

#include "arch.h"
#include "core/boot.h"
#include "kprintf.h"
#include "genarch/acpi.h"

struct platform_info platform = {
    .pcat_compat = true,
    .lapic_paddr = 0xfee00000u,
    .ioapic_count = 1,
    .ioapic = {{.paddr = 0xfec00000u, .gsi_base = 0, .id = 0}},
    .isa = {{2, 0},
            {1, 0},
            {2, 0},
            {3, 0},
            {4, 0},
            {5, 0},
            {6, 0},
            {7, 0},
            {8, 0},
            {9, 0},
            {10, 0},
            {11, 0},
            {12, 0},
            {13, 0},
            {14, 0},
            {15, 0}},
    .cpu_count = 1,
};

/* How the last platform_init went, for the test image's self-test
 * (kernel/test/platform_ktest.c). */
enum acpi_err platform_err = ACPI_ERR_NOT_FOUND;
const char *platform_rsdp_source = "none";

static const void *fw_map(paddr_t pa, size_t len, void *ctx)
{
    (void)ctx;
    return arch_fw_map(pa, len);
}

/* Finds the RSDP the boot protocol names, else by the BIOS scan. */
static enum acpi_err find_rsdp(struct acpi_rsdp *rsdp, paddr_t *where)
{
    const struct bootmem *bm = &boot_memory;
    if (bm->acpi_rsdp_len) {
        platform_rsdp_source = "multiboot2 copy";
        *where = 0;
        return acpi_rsdp_check(bm->acpi_rsdp, bm->acpi_rsdp_len, rsdp);
    }
    if (bm->acpi_rsdp_paddr) {
        platform_rsdp_source = "pvh";
        *where = bm->acpi_rsdp_paddr;
        return acpi_rsdp_read(bm->acpi_rsdp_paddr, fw_map, NULL, rsdp);
    }
    platform_rsdp_source = "BIOS scan";
    return acpi_rsdp_scan(fw_map, NULL, rsdp, where);
}

void platform_init(void)
{
    struct acpi_rsdp rsdp = {0};
    struct acpi_report rep = {.table = "RSDP"};
    paddr_t where = 0;
    enum acpi_err e = find_rsdp(&rsdp, &where);
    rep.where = where;
    if (e == ACPI_OK)
        e = acpi_madt_parse(&rsdp, fw_map, NULL, &platform, &rep);
    arch_fw_unmap();
    platform_err = e;
    if (e != ACPI_OK) {
        kprintf("platform: ACPI %s at %#llx (RSDP from %s): %s; PC defaults (I/O APIC at "
                "%#llx)\n",
                rep.table, (unsigned long long)rep.where, platform_rsdp_source, acpi_strerror(e),
                (unsigned long long)platform.ioapic[0].paddr);
        return;
    }
    kprintf("platform: ACPI rev %u (%s, RSDP from %s), %s, MADT at %#llx: %u CPU%s, %u I/O "
            "APIC%s",
            rsdp.revision, rsdp.oem, platform_rsdp_source, rep.xsdt ? "XSDT" : "RSDT",
            (unsigned long long)rep.where, platform.cpu_count, platform.cpu_count == 1 ? "" : "s",
            platform.ioapic_count, platform.ioapic_count == 1 ? "" : "s");
    for (unsigned i = 0; i < platform.ioapic_count; i++)
        kprintf(" [id %u at %#llx, GSI %u]", platform.ioapic[i].id,
                (unsigned long long)platform.ioapic[i].paddr, platform.ioapic[i].gsi_base);
    kprintf("%s, %u ISA overrides (%u ignored), local APIC at %#llx%s, %s\n",
            rep.ioapics_dropped ? " (more ignored)" : "", rep.overrides, rep.overrides_bad,
            (unsigned long long)platform.lapic_paddr, rep.lapic_override ? " (overridden)" : "",
            platform.pcat_compat ? "8259 PICs" : "no 8259 PICs");
}
