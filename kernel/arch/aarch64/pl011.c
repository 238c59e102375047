/*
 * The PL011 UART the device tree names (QEMU virt: 0x09000000): the boot
 * console. Polled transmit; the kernel enables none of its interrupts. Until
 * arch_mmu_init maps it in the MMIO window, it is reached through the early
 * tables' device window (KERNEL_VMA + its physical address, first GiB only).
 * Without a PL011 below 1 GiB there is no console before arch_mmu_init.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "genarch/fdt.h"
#include "kprintf.h"

#define UART_DR   0x00
#define UART_FR   0x18
#define UART_CR   0x30
#define FR_TXFF   (1u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE    (1u << 8)

static volatile void *uart;

void pl011_set_base(volatile void *base)
{
    uart = base;
}

void arch_console_init(void)
{
    if (boot_fdt.uart.kind != FDT_UART_PL011 || boot_fdt.uart.base + 0x1000 > GIB(1))
        return;
    uart = (volatile void *)(uintptr_t)(KERNEL_VMA + boot_fdt.uart.base);
    /* QEMU's PL011 starts enabled; a firmware may have left it off. */
    mmio_write32(uart, UART_CR, mmio_read32(uart, UART_CR) | CR_UARTEN | CR_TXE);
}

void arch_console_putc(char c)
{
    if (!uart)
        return;
    for (unsigned spin = 0; (mmio_read32(uart, UART_FR) & FR_TXFF) && spin < 100000; spin++)
        cpu_relax();
    mmio_write32(uart, UART_DR, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            arch_console_putc('\r');
        arch_console_putc(s[i]);
    }
}
