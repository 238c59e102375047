/*
 * Self-tests of the platform description (core/platform.c) on QEMU's PC.
 */
#include "arch.h"
#include "core/boot.h"
#include "genarch/platform.h"
#include "ktest.h"
#include "genarch/acpi.h"

/* How the last platform_init went (core/platform.c). */
extern enum acpi_err platform_err;
extern const char *platform_rsdp_source;

static const void *fw_map(paddr_t pa, size_t len, void *ctx)
{
    (void)ctx;
    return arch_fw_map(pa, len);
}

/* QEMU's -machine pc (i440FX/PIIX) as SeaBIOS and OVMF describe it; every
 * self-test boot (PVH at each memory size, GRUB under BIOS and UEFI) runs this. */
KTEST(platform, qemu_pc_madt)
{
    KT_ASSERT(platform_err == ACPI_OK && platform.acpi, "ACPI tables not parsed (RSDP from %s): %s",
              platform_rsdp_source, acpi_strerror(platform_err));
    KT_ASSERT_EQ(platform.ioapic_count, 1u);
    KT_ASSERT_EQ(platform.ioapic[0].paddr, 0xfec00000ull);
    KT_ASSERT_EQ(platform.ioapic[0].gsi_base, 0u);
    KT_ASSERT_EQ(platform.lapic_paddr, 0xfee00000ull);
    KT_ASSERT(platform.pcat_compat, "PCAT_COMPAT flag not set");
    KT_ASSERT(platform.cpu_count >= 1, "MADT lists no enabled CPU");
    /* ISA IRQ 0 (the PIT) arrives on GSI 2, edge-triggered (ISA default or stated). */
    KT_ASSERT_EQ(platform.isa[0].gsi, 2u);
    KT_ASSERT(PLATFORM_INTI_TRIGGER(platform.isa[0].flags) != 3, "IRQ0 level-triggered");
    /* Everything else on ISA keeps its number. */
    for (unsigned i = 1; i < PLATFORM_ISA_IRQS; i++)
        KT_ASSERT(platform.isa[i].gsi == i, "ISA IRQ %u on GSI %u", i, platform.isa[i].gsi);
}

/* The firmware window reads what the direct map shows for the same RAM. */
KTEST(platform, fw_window_reads_ram)
{
    extern const char _text_start[];
    paddr_t pa = virt_to_phys(_text_start);
    const uint8_t *w = arch_fw_map(pa + 100, 64);
    KT_ASSERT(w != NULL, "arch_fw_map refused kernel text");
    const uint8_t *d = phys_to_virt(pa + 100);
    for (unsigned i = 0; i < 64; i++)
        KT_ASSERT(w[i] == d[i], "byte %u differs", i);
    KT_ASSERT(arch_fw_map(pa, MIB(2) + 1) == NULL, "a range beyond the window was mapped");
    KT_ASSERT(arch_fw_map(~0ull - 10, 100) == NULL, "a wrapping range was mapped");
    arch_fw_unmap();
}

/* The BIOS-area scan (the fallback when the boot protocol names no RSDP) finds
 * the RSDP that QEMU's PVH loader found by its own scan, at the same address. */
KTEST(platform, rsdp_scan_matches_pvh)
{
    if (!boot_memory.acpi_rsdp_paddr)
        return; /* Multiboot2: GRUB gave a copy; under UEFI the BIOS areas are empty */
    struct acpi_rsdp r;
    paddr_t where = 0;
    enum acpi_err e = acpi_rsdp_scan(fw_map, NULL, &r, &where);
    arch_fw_unmap();
    KT_ASSERT(e == ACPI_OK, "scan: %s", acpi_strerror(e));
    KT_ASSERT_EQ(where, boot_memory.acpi_rsdp_paddr);
}
