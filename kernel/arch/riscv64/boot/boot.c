/*
 * From the boot hart's entry (head.S, MMU on with the early tables) to
 * kernel_main: read the device tree the loader passed in a1 (genarch/fdt.c)
 * into boot_fdt, bring up the console it names, and describe memory in
 * boot_memory: RAM from the memory nodes, /memreserve/ and /reserved-memory
 * as reserved (OpenSBI's own range among them), the device tree itself
 * reserved, the kernel image, the initrd (/chosen linux,initrd-start/-end) as
 * a module, bootargs as the command line.
 *
 * The device tree must lie where the early direct map reaches (physical
 * [0, 4 GiB): QEMU puts it below 3 GiB); anything wrong with it is a boot
 * error naming the offset and the node, printed through the SBI console when
 * the tree gave no UART.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "config.h"
#include "core/boot.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "lib/string.h"

/* The image's bounds, by their kernel-window addresses (_kernel_phys_start and
 * _kernel_phys_end are absolute symbols out of -mcmodel=medany's reach). */
extern const char _text_start[], _data_end[];

struct fdt_info boot_fdt;
unsigned long boot_hartid;
paddr_t boot_fdt_paddr;
uint32_t boot_fdt_size;

#define EARLY_DM_END GIB(4)

static char boot_err[160];

static const char *read_fdt(paddr_t pa)
{
    if (!pa || pa >= EARLY_DM_END - FDT_HEADER_LEN || (pa & 7))
        return "device tree address in a1 null, misaligned or above 4 GiB";
    const void *p = phys_to_virt(pa);
    uint32_t total = fdt_total_size(p, EARLY_DM_END - pa);
    if (!total)
        return "no device tree at a1 (bad magic, version or size)";
    struct fdt_report rep;
    enum fdt_err e = fdt_parse(p, MIN((uint64_t)total, EARLY_DM_END - pa), &boot_fdt, &rep);
    if (e != FDT_OK) {
        ksnprintf(boot_err, sizeof(boot_err), "device tree: %s at offset %u (node '%s')",
                  fdt_strerror(e), rep.offset, rep.node);
        return boot_err;
    }
    if (boot_fdt.intc.kind != FDT_INTC_PLIC)
        return "device tree: no PLIC (riscv,plic0 or sifive,plic-1.0.0)";
    if (!boot_fdt.timer.frequency)
        return "device tree: no timebase-frequency under /cpus";
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
    paddr_t ks = virt_to_phys(_text_start);
    paddr_t ke = ALIGN_UP(virt_to_phys(_data_end), PAGE_SIZE);
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

void riscv_entry(unsigned long hartid, paddr_t dtb)
{
    boot_hartid = hartid;
    const char *err = read_fdt(dtb);
    arch_console_init();
    if (!err)
        err = fill_bootmem(&boot_memory);
    kernel_main(err);
}
