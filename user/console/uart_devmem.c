/*
 * A memory-mapped console UART's registers and line, for the drivers that
 * reach theirs through the device untyped init gives (boot.conf's `devmem`:
 * copies from PCIBUS_SLOT_DEVMEM on) and the line's IRQHandler at
 * WF_CHILD_IRQ: aarch64's PL011 (uart_pl011.c, decision 154) and riscv64's
 * NS16550 (uart_ns16550.c, decision 143). The kernel shares the page, and
 * writes its own output there, polled.
 */
#include "uart_devmem.h"
#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/startinfo.h"

#define PAGE 4096u

enum wf_error uart_devmem_map(wf_cptr_t slot, uint64_t phys, unsigned line, uint64_t va)
{
    wf_word_t irq;
    if (wf_irqhandler_describe(WF_CHILD_IRQ, &irq, 0, 0) != WF_ERR_OK || irq != line)
        return WF_ERR_INVALID_CAPABILITY;
    for (unsigned k = 0; k < PCIBUS_DEVMEM_MAX; k++) {
        wf_word_t pa, bits, device;
        if (wf_untyped_describe(PCIBUS_SLOT_DEVMEM + k, &pa, &bits, &device, 0) != WF_ERR_OK)
            break;
        if (!device || bits >= 64 || phys < pa || phys + PAGE > pa + (1ull << bits))
            continue;
        enum wf_error e;
        if ((e = wf_pool_create_device(WF_CHILD_POOL, PCIBUS_SLOT_DEVMEM + k, WF_CHILD_CNODE, slot,
                                       64)))
            return e;
        return wf_vspace_map(WF_CHILD_VSPACE, slot, va, phys - pa, PAGE, WF_VM_READ | WF_VM_WRITE);
    }
    return WF_ERR_INVALID_CAPABILITY;
}
