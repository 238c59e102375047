/*
 * x86_64 C entry: called by boot.S in long mode on the boot page tables
 * (first 4 GiB identity- and direct-mapped, kernel at KERNEL_VMA). Reads the
 * loader's information into boot_memory, marks what the kernel occupies, and
 * hands over to the generic kernel_main.
 */
#include "arch.h"
#include "arch/x86.h"
#include "arch/boot.h"
#include "arch/bootinfo.h"
#include "arch/smp.h"
#include "config.h"
#include "core/boot.h"
#include "kprintf.h"

extern const char _kernel_phys_start[], _kernel_phys_end[];

/* Loader memory is readable through the boot direct map of the first 4 GiB. */
static const void *boot_phys(paddr_t pa, size_t len)
{
    if (pa >= GIB(4) || len > GIB(4) - pa)
        return NULL;
    return phys_to_virt(pa);
}

/* Four free pages of conventional memory for the trampoline (arch/smp.h), the
 * highest ones below 0x9f000 that are usable RAM and hold no boot module; the
 * pages below 0x1000 (the real-mode vectors) are never taken. */
static void find_trampoline(void)
{
    for (unsigned i = boot_memory.n; i-- > 0;) {
        const struct bootmem_region *r = &boot_memory.r[i];
        if (r->type != BOOTMEM_USABLE)
            continue;
        paddr_t lo = ALIGN_UP(r->base, PAGE_SIZE) < 0x1000 ? 0x1000 : ALIGN_UP(r->base, PAGE_SIZE);
        paddr_t hi = ALIGN_DOWN(r->base + r->size, PAGE_SIZE);
        if (hi > 0x9f000)
            hi = 0x9f000;
        for (paddr_t pa = hi; pa >= lo + SMP_TRAMPOLINE_SIZE; pa -= PAGE_SIZE) {
            paddr_t b = pa - SMP_TRAMPOLINE_SIZE;
            bool clash = false;
            for (unsigned m = 0; m < boot_memory.nmod; m++)
                if (boot_memory.mod[m].base < pa &&
                    boot_memory.mod[m].base + boot_memory.mod[m].size > b)
                    clash = true;
            if (!clash) {
                smp_trampoline_pa = b;
                return;
            }
        }
    }
}

void kmain(uint32_t kind, uint32_t info, uint32_t magic);
void kmain(uint32_t kind, uint32_t info, uint32_t magic)
{
    arch_console_init();
    bootmem_init(&boot_memory);
    const char *err;
    if (kind == BOOT_KIND_PVH)
        err = bootinfo_parse_pvh(&boot_memory, info, boot_phys);
    else
        err = bootinfo_parse_mb2(&boot_memory, magic, info, boot_phys);
    if (!err) {
        find_trampoline();
        /* The first MiB holds firmware tables and the trampoline where other
         * CPUs start (smp.c): keep it out of the allocator. */
        bootmem_set(&boot_memory, 0, MIB(1), BOOTMEM_RESERVED);
        /* Boot modules there stay modules (RAM the direct map covers): GRUB under
         * UEFI loads the initramfs below 1 MiB. */
        for (unsigned i = 0; i < boot_memory.nmod; i++) {
            const struct bootmem_module *m = &boot_memory.mod[i];
            paddr_t b = ALIGN_DOWN(m->base, PAGE_SIZE);
            bootmem_set(&boot_memory, b, ALIGN_UP(m->base + m->size, PAGE_SIZE) - b,
                        BOOTMEM_MODULE);
        }
        paddr_t ks = (paddr_t)(uintptr_t)_kernel_phys_start;
        paddr_t ke = (paddr_t)(uintptr_t)_kernel_phys_end;
        bootmem_set(&boot_memory, ks, ALIGN_UP(ke, PAGE_SIZE) - ks, BOOTMEM_KERNEL);
        if (boot_memory.overflow)
            err = "boot memory description overflowed marking the kernel image";
    }
    kernel_main(err);
}
