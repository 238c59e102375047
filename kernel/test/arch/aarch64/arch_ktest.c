/*
 * Self-tests of the aarch64 boot: the device tree as read in the guest, the
 * exception level, the final address space (W^X by address translation
 * instructions, the lower half off, the MMIO window) and the counter.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "config.h"
#include "core/boot.h"
#include "genarch/fdt.h"
#include "ktest.h"
#include "arch/irqchip.h"
#include "obj/irq.h"
#include "weft/objects.h"

extern const char _text_start[], _rodata_start[], _data_start[];
static uint64_t writable_word;

/* PAR_EL1 after a stage 1 EL1 translation of p for a read or a write: bit 0
 * set means the access would fault. */
static uint64_t at_read(uintptr_t p)
{
    __asm__ volatile("at s1e1r, %0\n\tisb" : : "r"(p) : "memory");
    return read_sysreg(par_el1);
}

static uint64_t at_write(uintptr_t p)
{
    __asm__ volatile("at s1e1w, %0\n\tisb" : : "r"(p) : "memory");
    return read_sysreg(par_el1);
}

KTEST(aarch64, device_tree_describes_machine)
{
    const struct fdt_info *f = &boot_fdt;
    KT_ASSERT(boot_fdt_size >= FDT_HEADER_LEN, "size %u", boot_fdt_size);
    KT_ASSERT(f->nmem >= 1);
    bool image_in_ram = false;
    for (unsigned i = 0; i < f->nmem; i++)
        image_in_ram |=
            f->mem[i].base <= KERNEL_PHYS && KERNEL_PHYS - f->mem[i].base < f->mem[i].size;
    KT_ASSERT(image_in_ram, "the image at %#llx is in no memory node",
              (unsigned long long)KERNEL_PHYS);
    KT_ASSERT_EQ(f->uart.kind, FDT_UART_PL011);
    KT_ASSERT(f->uart.is_stdout);
    KT_ASSERT(f->intc.kind == FDT_INTC_GICV2 || f->intc.kind == FDT_INTC_GICV3, "intc kind %u",
              f->intc.kind);
    KT_ASSERT_EQ(irqchip_version(), f->intc.kind == FDT_INTC_GICV3 ? 3u : 2u);
    KT_ASSERT(f->timer.present && f->timer.irq[2].valid && f->timer.irq[2].num < 32,
              "virtual timer PPI %u", f->timer.irq[2].num);
    KT_ASSERT(f->ncpus >= 1);
    KT_ASSERT(f->psci != FDT_PSCI_NONE);
}

KTEST(aarch64, runs_at_el1)
{
    KT_ASSERT_EQ((read_sysreg(CurrentEL) >> 2) & 3, 1);
    KT_ASSERT(boot_entry_el == 1 || boot_entry_el == 2, "entered at EL%u", boot_entry_el);
}

KTEST(aarch64, image_is_w_xor_x)
{
    KT_ASSERT(read_sysreg(sctlr_el1) & SCTLR_WXN, "SCTLR_EL1.WXN off");
    KT_ASSERT(!(at_read((uintptr_t)_text_start) & 1), "text unreadable");
    KT_ASSERT(at_write((uintptr_t)_text_start) & 1, "text writable");
    KT_ASSERT(at_write((uintptr_t)_rodata_start) & 1, "rodata writable");
    KT_ASSERT(!(at_write((uintptr_t)&writable_word) & 1), "bss not writable");
    /* The direct-map alias of the text is no writable alias. */
    uintptr_t alias = (uintptr_t)phys_to_virt(virt_to_phys(_text_start));
    KT_ASSERT(!(at_read(alias) & 1), "text alias unmapped");
    KT_ASSERT(at_write(alias) & 1, "text alias writable");
}

/* The lower half holds nothing of the kernel's: walks off (TCR_EL1.EPD0) until
 * the first address space is made, then an empty table or a user one. */
KTEST(aarch64, lower_half_off)
{
    KT_ASSERT((read_sysreg(tcr_el1) & TCR_EPD0) || read_sysreg(ttbr0_el1),
              "lower half walked without a table");
    KT_ASSERT(at_read(KERNEL_PHYS) & 1, "identity map of the image survives");
    KT_ASSERT(at_read(0x1000) & 1, "low address mapped");
}

KTEST(aarch64, mmio_window_holds_devices)
{
    /* The UART is mapped (the kernel's console) but shared with a user console
     * server (decision 154): the device untyped cover it. */
    KT_ASSERT(!arch_mmio_kernel_overlaps(boot_fdt.uart.base, boot_fdt.uart.base + 1));
    KT_ASSERT(arch_mmio_kernel_overlaps(boot_fdt.intc.dist_base, boot_fdt.intc.dist_base + 1));
    KT_ASSERT(!arch_mmio_kernel_overlaps(KERNEL_PHYS, KERNEL_PHYS + PAGE_SIZE));
    /* The device window of the early tables is gone: the UART's old alias faults. */
    KT_ASSERT(at_read(KERNEL_VMA + boot_fdt.uart.base) & 1, "early device window survives");
}

KTEST(aarch64, clock_advances)
{
    /* From just after a tick, three more at 100 Hz: at least 20 ms of counter
     * time, however late QEMU delivers one of them, so at least 10 ms, and
     * not absurdly more. */
    uint64_t t = arch_ticks();
    while (arch_ticks() == t)
        cpu_wait_irq();
    uint64_t a = arch_clock_ns();
    t = arch_ticks();
    while (arch_ticks() < t + 3)
        cpu_wait_irq();
    uint64_t b = arch_clock_ns();
    KT_ASSERT(b - a >= 10000000ull && b - a < 10000000000ull, "%llu ns",
              (unsigned long long)(b - a));
}

/* A GIC device line as IRQHandler caps use it (arch/irqchip.h, obj/irq.h):
 * line n is SPI n; the console UART's line is free (decision 154); triggers the GIC
 * cannot do are refused; a set-up line stays masked while its interrupt is
 * pending, and once unmasked the interrupt is taken, masked again and
 * delivered (recorded as pending: no notification is bound). */
KTEST(aarch64, gic_device_line_delivered)
{
    const unsigned line = 60; /* INTID 92: no device on virt */
    KT_ASSERT(arch_irq_lines() >= 64, "%u lines", arch_irq_lines());
    KT_ASSERT(arch_irq_line_free_for_user(boot_fdt.uart.irq.num - 32), "the UART's line");
    KT_ASSERT(!arch_irq_line_free_for_user(arch_irq_lines()), "past the last line");
    KT_ASSERT(arch_irq_line_free_for_user(line));
    KT_ASSERT_EQ(arch_irq_resolve_trigger(line, WF_IRQ_TRIGGER_DEFAULT), WF_IRQ_TRIGGER_LEVEL_HIGH);
    KT_ASSERT_EQ(arch_irq_resolve_trigger(line, WF_IRQ_TRIGGER_EDGE_HIGH),
                 WF_IRQ_TRIGGER_EDGE_HIGH);
    KT_ASSERT_EQ(arch_irq_resolve_trigger(line, WF_IRQ_TRIGGER_LEVEL_LOW), 0);
    KT_ASSERT_EQ(arch_irq_resolve_trigger(line, WF_IRQ_TRIGGER_EDGE_LOW), 0);

    irq_line_issue(line, WF_IRQ_TRIGGER_EDGE_HIGH);
    struct irq_line *l = irq_line(line);
    KT_ASSERT(arch_irq_is_masked(line));
    gic_set_pending(32 + line);
    uint64_t t = arch_ticks();
    while (arch_ticks() < t + 2)
        cpu_wait_irq();
    KT_ASSERT(!l->pending, "a masked line was delivered");
    l->masked = false;
    arch_irq_unmask(line);
    t = arch_ticks();
    while (!l->pending && arch_ticks() < t + 10)
        cpu_wait_irq();
    bool delivered = l->pending, masked = arch_irq_is_masked(line);
    irqhandler_finalize(line);
    KT_ASSERT(delivered, "the unmasked line was not delivered");
    KT_ASSERT(masked && l->masked, "delivered but not masked again");
    KT_ASSERT(!l->issued);
}
