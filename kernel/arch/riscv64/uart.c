/*
 * The NS16550 UART the device tree names (QEMU virt: 0x10000000, reg-shift
 * 0): the boot console. Polled transmit; the kernel enables none of its
 * interrupts. Until arch_mmu_init maps it in the MMIO window, it is reached
 * through the early tables' kernel window (KERNEL_VMA + its physical
 * address, first 4 GiB). Without one (a tree the reader refused, or a board
 * without a 16550) the console is the SBI's legacy putchar, so that a boot
 * error is still printed.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "genarch/fdt.h"
#include "kprintf.h"

#define UART_THR 0
#define UART_IER 1
#define UART_LSR 5
#define LSR_THRE (1u << 5)

static volatile void *uart;
static unsigned shift;

void uart_set_base(volatile void *base)
{
    uart = base;
}

void arch_console_init(void)
{
    if (boot_fdt.uart.kind != FDT_UART_NS16550 || boot_fdt.uart.base + 0x1000 > GIB(4))
        return;
    shift = boot_fdt.uart.reg_shift;
    uart = (volatile void *)(uintptr_t)(KERNEL_VMA + boot_fdt.uart.base);
    mmio_write8(uart, UART_IER << shift, 0);
}

void arch_console_putc(char c)
{
    if (!uart) {
        sbi_call(SBI_LEGACY_PUTCHAR, 0, (uint8_t)c, 0, 0);
        return;
    }
    for (unsigned spin = 0; !(mmio_read8(uart, UART_LSR << shift) & LSR_THRE) && spin < 100000;
         spin++)
        cpu_relax();
    mmio_write8(uart, UART_THR << shift, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            arch_console_putc('\r');
        arch_console_putc(s[i]);
    }
}
