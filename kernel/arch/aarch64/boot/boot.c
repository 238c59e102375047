/*
 * From the boot CPU's entry (head.S, MMU on with the early tables) to
 * kernel_main: read the device tree the loader passed in x0 (genarch/fdt.c)
 * into boot_fdt, bring up the console it names, and describe memory in
 * boot_memory: RAM from the memory nodes, /memreserve/ and /reserved-memory
 * as reserved, the device tree itself reserved, the kernel image, the initrd
 * (/chosen linux,initrd-start/-end) as a module, bootargs as the command line.
 *
 * The device tree must lie where the early direct map reaches (physical
 * [1 GiB, 4 GiB): QEMU virt puts it in the first 128 MiB of RAM); anything
 * wrong with it is a boot error naming the offset and the node.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "config.h"
#include "core/boot.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "lib/string.h"

extern const char _kernel_phys_start[], _kernel_phys_end[];

struct fdt_info boot_fdt;
unsigned boot_entry_el;
paddr_t boot_fdt_paddr;
uint32_t boot_fdt_size;

#define EARLY_DM_START GIB(1)
#define EARLY_DM_END   GIB(4)

static char boot_err[160];

static const char *read_fdt(paddr_t pa)
{
    if (pa < EARLY_DM_START || pa >= EARLY_DM_END - FDT_HEADER_LEN || (pa & 7))
        return "device tree address in x0 misaligned or outside [1 GiB, 4 GiB)";
    const void *p = phys_to_virt(pa);
    uint32_t total = fdt_total_size(p, EARLY_DM_END - pa);
    if (!total)
        return "no device tree at x0 (bad magic, version or size)";
    struct fdt_report rep;
    enum fdt_err e = fdt_parse(p, MIN((uint64_t)total, EARLY_DM_END - pa), &boot_fdt, &rep);
    if (e != FDT_OK) {
        ksnprintf(boot_err, sizeof(boot_err), "device tree: %s at offset %u (node '%s')",
                  fdt_strerror(e), rep.offset, rep.node);
        return boot_err;
    }
    boot_fdt_paddr = pa;
    boot_fdt_size = total;
    return NULL;
}

static const char *fill_bootmem(struct bootmem *bm)
{
    const struct fdt_info *f = &boot_fdt;
    bootmem_init(bm);
    bm->protocol = "dtb";
    for (unsigned i = 0; i < f->nmem; i++)
        bootmem_add_firmware(bm, f->mem[i].base, f->mem[i].size, BOOTMEM_USABLE);
    for (unsigned i = 0; i < f->nresv; i++)
        bootmem_add_firmware(bm, f->resv[i].base, f->resv[i].size, BOOTMEM_RESERVED);
    bootmem_add_firmware(bm, boot_fdt_paddr, boot_fdt_size, BOOTMEM_RESERVED);
    paddr_t ks = (paddr_t)(uintptr_t)_kernel_phys_start;
    paddr_t ke = ALIGN_UP((paddr_t)(uintptr_t)_kernel_phys_end, PAGE_SIZE);
    bootmem_set(bm, ks, ke - ks, BOOTMEM_KERNEL);
    if (f->initrd_end > f->initrd_start)
        bootmem_add_module(bm, f->initrd_start, f->initrd_end - f->initrd_start, "initrd");
    strlcpy(bm->cmdline, f->bootargs, sizeof(bm->cmdline));
    if (f->mem_dropped || f->resv_dropped)
        return "device tree: more memory or reserved ranges than the reader keeps";
    if (bm->overflow)
        return "boot memory: more regions than BOOTMEM_MAX_REGIONS";
    return NULL;
}

void aarch64_entry(paddr_t dtb, unsigned el)
{
    boot_entry_el = el;
    const char *err = read_fdt(dtb);
    arch_console_init();
    if (!err)
        err = fill_bootmem(&boot_memory);
    kernel_main(err);
}
