/*
 * What the firmware says about the machine beyond its memory: interrupt
 * controllers and how ISA interrupts are routed (ACPI MADT on x86-64). Filled
 * once at boot by platform_init(), after the direct map exists and before the
 * PMM takes the ACPI-reclaimable ranges; read-only afterwards.
 *
 * Without ACPI tables (or with tables that fail their checks) the fields hold
 * the PC defaults: one I/O APIC at 0xfec00000 with GSI base 0, no overrides
 * except ISA IRQ 0 on input 2, local APIC at 0xfee00000, 8259 PICs present.
 */
#ifndef WEFT_GENARCH_PLATFORM_H
#define WEFT_GENARCH_PLATFORM_H

#include "types.h"
#include "weft/bootinfo.h"

#define PLATFORM_MAX_IOAPICS 4
#define PLATFORM_ISA_IRQS    16
#define PLATFORM_MAX_CPUS    64 /* processors whose APIC ids are kept */

struct platform_ioapic {
    paddr_t paddr;     /* MMIO base (one 4 KiB page) */
    uint32_t gsi_base; /* first global system interrupt it serves */
    uint8_t id;
};

/* MPS INTI flags as the MADT writes them: polarity bits 0-1 (0 bus default,
 * 1 active high, 3 active low), trigger bits 2-3 (0 bus default, 1 edge, 3 level). */
#define PLATFORM_INTI_POLARITY(f) ((f)&3u)
#define PLATFORM_INTI_TRIGGER(f)  (((f) >> 2) & 3u)

struct platform_isa_route {
    uint32_t gsi;   /* the GSI the ISA IRQ arrives on (the IRQ number without override) */
    uint16_t flags; /* MPS INTI flags (0: ISA default, edge and active high) */
};

struct platform_info {
    bool acpi;             /* the MADT was found and parsed (else the defaults) */
    bool pcat_compat;      /* 8259 PICs present (MADT flag bit 0; true by default) */
    paddr_t lapic_paddr;   /* local APIC MMIO base */
    unsigned ioapic_count; /* 0 when the machine has none (then IRQs use the PICs) */
    struct platform_ioapic ioapic[PLATFORM_MAX_IOAPICS];
    struct platform_isa_route isa[PLATFORM_ISA_IRQS];
    unsigned cpu_count; /* enabled processors the MADT lists (local APIC and x2APIC
                           entries); 1 without ACPI */
    uint32_t cpu_apic_id[PLATFORM_MAX_CPUS]; /* the first PLATFORM_MAX_CPUS enabled
                                                 ones, in table order (none without ACPI) */
    struct wf_bootinfo_pci pci;              /* an ECAM host bridge, as the root task gets it (zero:
                                   none; decision 147) */
};

extern struct platform_info platform;

/* Finds and checks the ACPI tables (RSDP from the boot protocol, else the BIOS
 * areas) and fills `platform`; logs one line with what it found. Never fails:
 * bad or missing tables leave the defaults. */
void platform_init(void);

#endif /* WEFT_GENARCH_PLATFORM_H */
