/*
 * Self-tests of the riscv64 boot: the device tree as read in the guest, the
 * final address space (W^X and the empty user half, by walking the kernel's
 * root as the hart does), the MMIO window, the timer and the counter, and a
 * PLIC device line delivered as IRQHandler caps use it.
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/irqchip.h"
#include "arch/riscv.h"
#include "config.h"
#include "core/boot.h"
#include "genarch/fdt.h"
#include "ktest.h"
#include "obj/irq.h"
#include "weft/objects.h"

extern const char _text_start[], _rodata_start[], _data_start[], early_root[], early_l2_win[];
static uint64_t writable_word;

/* The leaf PTE translating va in the kernel's root (as the hart walks it,
 * Sv48 or Sv39), or 0 when none does. */
static uint64_t kernel_leaf(uintptr_t va)
{
    const uint64_t *t = phys_to_virt(riscv_kernel_root());
    for (int level = (int)riscv_pt_root_level; level >= 0; level--) {
        uint64_t e = t[(va >> (12 + 9 * level)) & 511];
        if (!(e & PTE_V))
            return 0;
        if (e & PTE_RWX)
            return e;
        t = phys_to_virt((e & PTE_PPN_MASK) << 2);
    }
    return 0;
}

KTEST(riscv64, device_tree_describes_machine)
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
    /* OpenSBI's own range is reserved, and below the image. */
    bool sbi_reserved = false;
    for (unsigned i = 0; i < f->nresv; i++)
        sbi_reserved |= f->resv[i].base <= f->mem[0].base &&
                        f->resv[i].base + f->resv[i].size > f->mem[0].base &&
                        f->resv[i].base + f->resv[i].size <= KERNEL_PHYS;
    KT_ASSERT(sbi_reserved, "the firmware's range at the base of RAM is not reserved");
    KT_ASSERT_EQ(f->uart.kind, FDT_UART_NS16550);
    KT_ASSERT(f->uart.is_stdout);
    KT_ASSERT_EQ(f->intc.kind, FDT_INTC_PLIC);
    KT_ASSERT(f->intc.ndev > 0);
    KT_ASSERT_EQ(f->timer.frequency, 10000000u); /* QEMU virt's timebase */
    KT_ASSERT(f->ncpus >= 1);
    /* The boot hart is one of the tree's (with several, OpenSBI's lottery
     * chooses which boots). */
    bool boot_listed = false;
    for (unsigned i = 0; i < f->ncpus && i < FDT_MAX_CPUS; i++)
        boot_listed |= f->cpu_id[i] == boot_hartid;
    KT_ASSERT(boot_listed, "boot hart %lu is not in the tree", boot_hartid);
}

/* Sv48, the mode every QEMU 7.2 hart has, unless the command line says
 * no4lvl (make check-guest-riscv64-sv39): then Sv39, three levels and a user
 * half of 256 GiB (decision 177). */
KTEST(riscv64, runs_in_s_mode_on_sv48_or_sv39)
{
    char arg[8];
    bool sv39 = bootmem_cmdline_get(&boot_memory, "no4lvl", arg, sizeof(arg)) != NULL;
    KT_ASSERT_EQ(csr_read(satp) & ~((1ull << 60) - 1), sv39 ? SATP_MODE_SV39 : SATP_MODE_SV48);
    KT_ASSERT_EQ(riscv_satp_mode, sv39 ? SATP_MODE_SV39 : SATP_MODE_SV48);
    KT_ASSERT_EQ(riscv_pt_root_level, sv39 ? 2u : 3u);
    KT_ASSERT_EQ(USER_TOP, sv39 ? USER_TOP_SV39 : USER_TOP_SV48);
    /* The early root a starting hart takes is this mode's. */
    KT_ASSERT_EQ(riscv_early_root(), virt_to_phys(sv39 ? early_l2_win : early_root));
    /* The probe's test on a mode no hart has (12-15 are reserved): the write
     * changes nothing and the hart goes on with its tables, as one without
     * Sv48 does when the boot probes it. */
    uint64_t cur = csr_read(satp);
    KT_ASSERT(!riscv_satp_try((cur & ((1ull << 60) - 1)) | 12ull << 60), "mode 12 kept");
    KT_ASSERT_EQ(csr_read(satp), cur);
    KT_ASSERT(riscv_satp_try(cur), "the mode in use not kept");
    KT_ASSERT_EQ(csr_read(sscratch), 0);
    KT_ASSERT_EQ(csr_read(sstatus) & (SSTATUS_SUM | SSTATUS_MXR), 0);
    /* FP: Off for the kernel unless a context took the registers (the lazy
     * switch, fpu.c) */
    KT_ASSERT(((csr_read(sstatus) & SSTATUS_FS) != 0) == riscv_fpu_open,
              "sstatus.FS %#llx, riscv_fpu_open %d",
              (unsigned long long)(csr_read(sstatus) & SSTATUS_FS), riscv_fpu_open);
}

KTEST(riscv64, image_is_w_xor_x)
{
    uint64_t text = kernel_leaf((uintptr_t)_text_start);
    KT_ASSERT((text & (PTE_R | PTE_X)) == (PTE_R | PTE_X) && !(text & (PTE_W | PTE_U)),
              "text %#llx", (unsigned long long)text);
    uint64_t ro = kernel_leaf((uintptr_t)_rodata_start);
    KT_ASSERT((ro & PTE_R) && !(ro & (PTE_W | PTE_X | PTE_U)), "rodata %#llx",
              (unsigned long long)ro);
    uint64_t rw = kernel_leaf((uintptr_t)&writable_word);
    KT_ASSERT((rw & (PTE_R | PTE_W)) == (PTE_R | PTE_W) && !(rw & (PTE_X | PTE_U)), "bss %#llx",
              (unsigned long long)rw);
    KT_ASSERT(text & rw & ro & PTE_G, "kernel leaves not global");
    /* The direct-map alias of the text is no writable or executable alias. */
    uint64_t alias = kernel_leaf((uintptr_t)phys_to_virt(virt_to_phys(_text_start)));
    KT_ASSERT((alias & PTE_R) && !(alias & (PTE_W | PTE_X)), "text alias %#llx",
              (unsigned long long)alias);
    /* The direct map is never executable. */
    KT_ASSERT(!(kernel_leaf((uintptr_t)phys_to_virt(boot_fdt.mem[0].base + MIB(64))) & PTE_X));
}

/* The user half holds nothing of the kernel's: the early identity map is
 * gone, and no root entry below 256 exists in the kernel's root but the
 * first, which the test image's thread world may use (world.c). */
KTEST(riscv64, user_half_empty)
{
    const uint64_t *root = phys_to_virt(riscv_kernel_root());
    for (unsigned i = 1; i < 256; i++)
        KT_ASSERT(!(root[i] & PTE_V), "root entry %u", i);
    KT_ASSERT_EQ(kernel_leaf(KERNEL_PHYS), 0);
    KT_ASSERT_EQ(kernel_leaf(0x1000), 0);
    KT_ASSERT_EQ(kernel_leaf(0x200000), 0);
}

KTEST(riscv64, mmio_window_holds_devices)
{
    /* The UART is mapped (the kernel's console) but shared with a user console
     * server (decision 143): the device untyped cover it. */
    KT_ASSERT(!arch_mmio_kernel_overlaps(boot_fdt.uart.base, boot_fdt.uart.base + 1));
    KT_ASSERT(arch_mmio_kernel_overlaps(boot_fdt.intc.dist_base, boot_fdt.intc.dist_base + 1));
    KT_ASSERT(!arch_mmio_kernel_overlaps(KERNEL_PHYS, KERNEL_PHYS + PAGE_SIZE));
    /* The early tables' window is gone: the UART's old alias is unmapped. */
    KT_ASSERT_EQ(kernel_leaf(KERNEL_VMA + boot_fdt.uart.base), 0);
}

KTEST(riscv64, clock_advances)
{
    /* From just after a tick, three more at 100 Hz: at least 20 ms of counter
     * time, however late QEMU delivers one of them, and not absurdly more. */
    uint64_t t = arch_ticks();
    while (arch_ticks() == t)
        cpu_wait_irq();
    uint64_t a = arch_clock_ns();
    t = arch_ticks();
    while (arch_ticks() < t + 3)
        cpu_wait_irq();
    uint64_t b = arch_clock_ns();
    KT_ASSERT(b - a >= 20000000ull && b - a < 10000000000ull, "%llu ns",
              (unsigned long long)(b - a));
}

/* QEMU 7.2's virt offers Sstc, and OpenSBI 1.1 lets S-mode use it: the timer
 * is stimecmp, not an SBI call per tick (timer=pit, "legacy", forces SBI). */
KTEST(riscv64, timer_uses_sstc_where_offered)
{
    char arg[8];
    bool legacy = bootmem_cmdline_get(&boot_memory, "timer", arg, sizeof(arg)) && arg[0] == 'p';
    KT_ASSERT_EQ(riscv_has_sstc(), !legacy);
    if (riscv_has_sstc()) {
        uint64_t cmp;
        __asm__ volatile("csrr %0, 0x14d" : "=r"(cmp));
        KT_ASSERT(cmp != ~0ull && cmp > 0, "stimecmp %#llx", (unsigned long long)cmp);
    }
}

/* QEMU virt's goldfish RTC (google,goldfish-rtc at 0x101000, PLIC source 11):
 * its alarm raises a level interrupt until cleared. */
#define RTC_PA          0x101000ull
#define RTC_SOURCE      11
#define RTC_TIME_LOW    0x00
#define RTC_TIME_HIGH   0x04
#define RTC_ALARM_LOW   0x08
#define RTC_ALARM_HIGH  0x0c
#define RTC_IRQ_ENABLED 0x10
#define RTC_CLEAR_IRQ   0x1c

/* A PLIC line as IRQHandler caps use it (arch/irqchip.h, obj/irq.h): line n
 * is source n + 1; the console UART's line is free for a user console
 * server (decision 143), none beyond the last; active-low
 * triggers are refused; a set-up line stays masked while its device
 * interrupts, and once unmasked the interrupt is claimed, masked again and
 * delivered (recorded as pending: no notification is bound). */
KTEST(riscv64, plic_device_line_delivered)
{
    const unsigned line = RTC_SOURCE - 1;
    KT_ASSERT(arch_irq_lines() >= 64, "%u lines", arch_irq_lines());
    KT_ASSERT(arch_irq_line_free_for_user(boot_fdt.uart.irq.num - 1), "the UART's line");
    KT_ASSERT(!arch_irq_line_free_for_user(arch_irq_lines()));
    KT_ASSERT(arch_irq_line_free_for_user(line));
    KT_ASSERT_EQ(arch_irq_resolve_trigger(line, WF_IRQ_TRIGGER_DEFAULT), WF_IRQ_TRIGGER_LEVEL_HIGH);
    KT_ASSERT_EQ(arch_irq_resolve_trigger(line, WF_IRQ_TRIGGER_LEVEL_LOW), 0);

    volatile void *rtc = arch_mmio_map(RTC_PA, PAGE_SIZE);
    irq_line_issue(line, WF_IRQ_TRIGGER_LEVEL_HIGH);
    struct irq_line *l = irq_line(line);
    KT_ASSERT(arch_irq_is_masked(line));
    uint64_t now = mmio_read32(rtc, RTC_TIME_LOW);
    now |= (uint64_t)mmio_read32(rtc, RTC_TIME_HIGH) << 32;
    uint64_t when = now + 1000000; /* 1 ms */
    mmio_write32(rtc, RTC_IRQ_ENABLED, 1);
    mmio_write32(rtc, RTC_ALARM_HIGH, (uint32_t)(when >> 32));
    mmio_write32(rtc, RTC_ALARM_LOW, (uint32_t)when);
    uint64_t t = arch_ticks();
    while (arch_ticks() < t + 3)
        cpu_wait_irq();
    KT_ASSERT(!l->pending, "a masked line was delivered");
    l->masked = false;
    arch_irq_unmask(line);
    t = arch_ticks();
    while (!l->pending && arch_ticks() < t + 10)
        cpu_wait_irq();
    bool delivered = l->pending, masked = arch_irq_is_masked(line);
    mmio_write32(rtc, RTC_CLEAR_IRQ, 1);
    mmio_write32(rtc, RTC_IRQ_ENABLED, 0);
    irqhandler_finalize(line);
    KT_ASSERT(delivered, "the unmasked line was not delivered");
    KT_ASSERT(masked && l->masked, "delivered but not masked again");
    KT_ASSERT(!l->issued);
}
