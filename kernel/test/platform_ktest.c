/*
 * Self-tests of the platform description (the `platform` structure) against
 * the machine the test boots on. An ACPI machine (x86-64's QEMU PC,
 * genarch/platform.c) is checked against what QEMU's PC is; a device-tree
 * machine (aarch64's and riscv64's QEMU virt, each port's platform.c from
 * boot_fdt) against its boot: the memory size, the CPU count and the
 * interrupt controller the command line names (ktest.mem, ktest.cpus,
 * ktest.intc, from the QEMU command line the check runs), the devices the
 * kernel drives at the addresses the tree gave, the reserved ranges and the
 * initrd in the boot memory map, the PCI host bridge answering at its ECAM.
 * Which kind the architecture is: ktest_arch.h (KTEST_PLATFORM_ACPI or
 * KTEST_PLATFORM_FDT).
 */
#include "arch.h"
#include "core/boot.h"
#include "genarch/platform.h"
#include "ktest.h"
#include "ktest_arch.h"

#if KTEST_PLATFORM_ACPI
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
#endif /* KTEST_PLATFORM_ACPI */

#if KTEST_PLATFORM_FDT
#include "config.h"
#include "genarch/fdt.h"
#include "lib/string.h"

static bool overlaps(paddr_t a, paddr_t asize, paddr_t b, paddr_t bsize)
{
    return a < b + bsize && b < a + asize;
}

/* Whether [base, base+size) lies inside one memory range of the tree. */
static bool in_tree_memory(const struct fdt_info *f, paddr_t base, paddr_t size)
{
    for (unsigned i = 0; i < f->nmem; i++)
        if (f->mem[i].base <= base && base + size <= f->mem[i].base + f->mem[i].size)
            return true;
    return false;
}

/* RAM: the tree's memory ranges add up to the -m the machine was started with
 * (ktest.mem=N MiB), every RAM range of the boot memory map lies inside them,
 * and the kernel image too. */
KTEST(platform, device_tree_memory_is_the_machines)
{
    const struct fdt_info *f = &boot_fdt;
    uint64_t mib;
    KT_ASSERT(ktest_cmdline_u64("ktest.mem", 0, &mib), "bad ktest.mem");
    KT_ASSERT(f->nmem >= 1 && f->mem_dropped == 0, "%u memory ranges, %u dropped", f->nmem,
              f->mem_dropped);
    uint64_t total = 0;
    for (unsigned i = 0; i < f->nmem; i++)
        total += f->mem[i].size;
    if (mib)
        KT_ASSERT(total == MIB(mib), "the tree has %llu KiB of memory on a %llu MiB machine",
                  (unsigned long long)(total >> 10), (unsigned long long)mib);
    for (unsigned i = 0; i < boot_memory.n; i++) {
        const struct bootmem_region *r = &boot_memory.r[i];
        if (bootmem_is_ram(r->type))
            KT_ASSERT(in_tree_memory(f, r->base, r->size),
                      "RAM [%#llx, +%#llx) (type %u) is outside the tree's memory",
                      (unsigned long long)r->base, (unsigned long long)r->size, r->type);
    }
    extern const char _text_start[];
    KT_ASSERT(in_tree_memory(f, virt_to_phys(_text_start), PAGE_SIZE),
              "the kernel image is outside the tree's memory");
}

/* Reserved ranges (/memreserve/, /reserved-memory: riscv64's OpenSBI) and the
 * tree's own bytes never became free RAM; the initrd (/chosen
 * linux,initrd-start/-end, QEMU's -initrd) is the boot module. */
KTEST(platform, device_tree_reserved_ranges_and_initrd_are_kept)
{
    const struct fdt_info *f = &boot_fdt;
    KT_ASSERT(f->resv_dropped == 0, "%u reserved ranges dropped", f->resv_dropped);
    for (unsigned k = 0; k <= f->nresv; k++) {
        paddr_t base = k < f->nresv ? f->resv[k].base : boot_fdt_paddr;
        paddr_t size = k < f->nresv ? f->resv[k].size : boot_fdt_size;
        KT_ASSERT(size != 0, "reserved range %u is empty", k);
        for (unsigned i = 0; i < boot_memory.n; i++) {
            const struct bootmem_region *r = &boot_memory.r[i];
            bool free = r->type == BOOTMEM_USABLE || r->type == BOOTMEM_EARLY;
            KT_ASSERT(!free || !overlaps(r->base, r->size, base, size),
                      "reserved [%#llx, +%#llx) meets free RAM [%#llx, +%#llx)",
                      (unsigned long long)base, (unsigned long long)size,
                      (unsigned long long)r->base, (unsigned long long)r->size);
        }
    }
    bool initrd = f->initrd_end > f->initrd_start;
    KT_ASSERT_EQ(boot_memory.nmod, initrd ? 1u : 0u);
    if (initrd) {
        KT_ASSERT_EQ(boot_memory.mod[0].base, f->initrd_start);
        KT_ASSERT_EQ(boot_memory.mod[0].size, f->initrd_end - f->initrd_start);
    }
    /* The kernel's command line is the tree's bootargs (QEMU's -append). */
    KT_ASSERT(!strcmp(boot_memory.cmdline, f->bootargs), "command line \"%s\", bootargs \"%s\"",
              boot_memory.cmdline, f->bootargs);
}

/* CPUs: as many as -smp (ktest.cpus=N, 1 without), the boot CPU among them,
 * the count the platform structure gives the rest of the kernel. */
KTEST(platform, device_tree_cpus_are_the_machines)
{
    const struct fdt_info *f = &boot_fdt;
    uint64_t cpus;
    KT_ASSERT(ktest_cmdline_u64("ktest.cpus", 1, &cpus), "bad ktest.cpus");
    KT_ASSERT_EQ(f->ncpus, cpus);
    KT_ASSERT_EQ(platform.cpu_count, f->ncpus);
    KT_ASSERT(!platform.acpi && platform.ioapic_count == 0, "PC interrupt hardware on a tree");
    bool boot_cpu = false;
    for (unsigned i = 0; i < f->ncpus && i < FDT_MAX_CPUS; i++)
        boot_cpu |= f->cpu_id[i] == (uint64_t)KTEST_BOOT_CPU_ID();
    KT_ASSERT(boot_cpu, "the boot CPU (%#llx) is not among the tree's CPUs",
              (unsigned long long)KTEST_BOOT_CPU_ID());
}

static const char *intc_name(enum fdt_intc_kind k)
{
    switch (k) {
    case FDT_INTC_GICV2:
        return "gicv2";
    case FDT_INTC_GICV3:
        return "gicv3";
    case FDT_INTC_PLIC:
        return "plic";
    default:
        return "none";
    }
}

/* The tree's UART is one: a PL011's peripheral ID 0 reads 0x11 (PL011 TRM,
 * section 3.3.14); a 16550's line status, the console idle, says the
 * transmitter is empty (THRE and TEMT). */
static bool uart_answers(const struct fdt_info *f)
{
    static volatile uint8_t *u;
    if (!u)
        u = (volatile uint8_t *)arch_mmio_map(f->uart.base, PAGE_SIZE);
    if (f->uart.kind == FDT_UART_PL011)
        return *(volatile uint32_t *)(u + 0xfe0) == 0x11;
    return (u[5u << f->uart.reg_shift] & 0x60) == 0x60;
}

/* The devices the kernel drives are where the tree put them: the interrupt
 * controller the command line names (ktest.intc=gicv2, gicv3 or plic, from the
 * QEMU machine the check boots), the console UART (the tree's stdout,
 * QEMU's -serial), the timer; the kernel mapped the controller at the tree's
 * address, and the UART answers at its own. */
KTEST(platform, device_tree_devices_are_the_kernels)
{
    const struct fdt_info *f = &boot_fdt;
    char want[16];
    if (bootmem_cmdline_get(&boot_memory, "ktest.intc", want, sizeof(want)))
        KT_ASSERT(!strcmp(want, intc_name(f->intc.kind)), "interrupt controller %s, not %s",
                  intc_name(f->intc.kind), want);
    KT_ASSERT(f->intc.kind != FDT_INTC_NONE && f->intc.dist_size != 0, "no interrupt controller");
    KT_ASSERT(arch_mmio_kernel_overlaps(f->intc.dist_base, f->intc.dist_base + f->intc.dist_size),
              "the kernel does not drive the controller at %#llx",
              (unsigned long long)f->intc.dist_base);
    if (f->intc.cpu_size)
        KT_ASSERT(arch_mmio_kernel_overlaps(f->intc.cpu_base, f->intc.cpu_base + f->intc.cpu_size),
                  "the kernel does not drive the controller's CPU part at %#llx",
                  (unsigned long long)f->intc.cpu_base);
    KT_ASSERT(f->uart.kind != FDT_UART_NONE && f->uart.is_stdout && f->uart.irq.valid,
              "no console UART (kind %d, stdout %d)", f->uart.kind, f->uart.is_stdout);
    KT_ASSERT(uart_answers(f), "no %s at %#llx", f->uart.kind == FDT_UART_PL011 ? "PL011" : "16550",
              (unsigned long long)f->uart.base);
    uint64_t hz = KTEST_TIMER_HZ(f);
    KT_ASSERT(hz != 0, "the timer's frequency is unknown");
    KT_ASSERT(!f->timer.frequency || f->timer.frequency == hz,
              "the tree's timer runs at %u Hz, the CPU's at %llu", f->timer.frequency,
              (unsigned long long)hz);
}

/* The ECAM host bridge: what the root task gets (platform.pci) is the tree's,
 * and a function answers at the first bus's configuration space (QEMU's host
 * bridge: a vendor ID, not the all-ones of an absent function). */
KTEST(platform, device_tree_pci_host_bridge_answers)
{
    const struct fdt_info *f = &boot_fdt;
    const struct wf_bootinfo_pci *p = &platform.pci;
    KT_ASSERT(f->pci.present && f->pci.ecam_size, "QEMU virt has an ECAM host bridge");
    KT_ASSERT_EQ(p->ecam_base, f->pci.ecam_base);
    KT_ASSERT_EQ(p->ecam_size, f->pci.ecam_size);
    KT_ASSERT_EQ(p->bus_first, f->pci.bus_first);
    KT_ASSERT_EQ(p->bus_last, f->pci.bus_last);
    KT_ASSERT(f->pci.nwin >= 2 && p->nwindows == f->pci.nwin, "%u windows, %u given", f->pci.nwin,
              p->nwindows);
    for (unsigned i = 0; i < p->nwindows; i++) {
        KT_ASSERT_EQ(p->window[i].cpu_addr, f->pci.win[i].cpu_addr);
        KT_ASSERT_EQ(p->window[i].size, f->pci.win[i].size);
        KT_ASSERT_EQ(p->window[i].space, f->pci.win[i].space);
    }
    KT_ASSERT(f->pci.intx_map && p->nintx == f->pci.nintx && p->nintx > 0,
              "%u INTx routes in the tree, %u given", f->pci.nintx, p->nintx);
    KT_ASSERT((uint64_t)(f->pci.bus_last - f->pci.bus_first + 1) << 20 <= f->pci.ecam_size,
              "ECAM of %#llx bytes for buses %u-%u", (unsigned long long)f->pci.ecam_size,
              f->pci.bus_first, f->pci.bus_last);
    static volatile void *cfg;
    if (!cfg)
        cfg = arch_mmio_map(f->pci.ecam_base, PAGE_SIZE); /* bus_first, device 0, function 0 */
    uint32_t id = mmio_read32(cfg, 0);
    KT_ASSERT((id & 0xffff) != 0xffff && (id & 0xffff) != 0, "no host bridge at the ECAM: %#x", id);
}
#endif /* KTEST_PLATFORM_FDT */
