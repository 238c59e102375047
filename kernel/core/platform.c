/*
 * PLACEHOLDER (contract commit): the PC defaults only. The ACPI MADT reader
 * replaces platform_init() in this session (core/platform.h).
 */
#include "core/platform.h"

#include "kprintf.h"

struct platform_info platform = {
    .pcat_compat = true,
    .lapic_paddr = 0xfee00000u,
    .ioapic_count = 1,
    .ioapic = {{.paddr = 0xfec00000u, .gsi_base = 0, .id = 0}},
    .isa = {{2, 0}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {6, 0}, {7, 0}, {8, 0}, {9, 0},
            {10, 0}, {11, 0}, {12, 0}, {13, 0}, {14, 0}, {15, 0}},
};

void platform_init(void)
{
    kprintf("platform: PC defaults (I/O APIC at %#lx)\n", (unsigned long)platform.ioapic[0].paddr);
}
