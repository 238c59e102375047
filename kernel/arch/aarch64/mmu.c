/*
 * The kernel's final address space (aarch64): TTBR1 tables built from the boot
 * memory description, replacing head.S's early tables.
 *
 *   - the direct map of every RAM region (bootmem_is_ram) at DIRECT_MAP_BASE,
 *     read-write and never executable, with the largest blocks alignment allows
 *     (1 GiB, 2 MiB, else 4 KiB pages); the kernel image's alias there takes
 *     the image's permissions, non-executable (no writable alias of code);
 *   - the image at KERNEL_VMA + KERNEL_PHYS in 4 KiB pages: text read-only and
 *     executable, rodata read-only, data and bss read-write, the last two never
 *     executable (W^X; SCTLR_EL1.WXN makes every writable page non-executable
 *     as well);
 *   - the MMIO window, filled by arch_mmio_map with Device-nGnRE pages.
 *
 * The lower half is switched off (TCR_EL1.EPD0) until a user address space is
 * loaded: nothing of the identity map survives and a stray low access faults.
 * Table pages come from one bootmem_alloc_early block taken before anything is
 * mapped (below 4 GiB, where the early direct map reaches it): what the
 * kernel's tables do not use is the reserve for later arch_mmio_map calls, so
 * nothing here takes memory once the PMM owns RAM.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "config.h"
#include "core/bootmem.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "panic.h"

#define POOL_PAGES  32
#define MAX_MMIO    16
#define ENTRIES     512
#define PTE_KERN_RW (PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_PXN | PTE_UXN)
#define PTE_KERN_RO (PTE_KERN_RW | PTE_AP_RO)
#define PTE_KERN_RX (PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_AP_RO | PTE_UXN)
#define PTE_DEVICE  (PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)

extern const char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
    _data_end[];

static uint64_t (*pool)[ENTRIES];
static paddr_t pool_pa;
static unsigned pool_used;
static uint64_t *root;
static vaddr_t mmio_next = MMIO_BASE;
static struct {
    paddr_t base, end;
} mmio_ranges[MAX_MMIO];
static unsigned mmio_count;

static uint64_t *new_table(void)
{
    if (pool_used == POOL_PAGES)
        panic("arch_mmu_init: page-table pool (%u pages) exhausted", POOL_PAGES);
    uint64_t *t = pool[pool_used++];
    for (unsigned i = 0; i < ENTRIES; i++)
        t[i] = 0;
    return t;
}

/* Table pages are in RAM, reached through the direct map (early and final). */
static paddr_t table_pa(const uint64_t *t)
{
    return pool_pa + (paddr_t)((const char *)t - (const char *)pool);
}

static uint64_t *next_level(uint64_t *t, unsigned idx)
{
    if (!(t[idx] & PTE_VALID)) {
        uint64_t *n = new_table();
        t[idx] = table_pa(n) | PTE_TABLE;
        return n;
    }
    if ((t[idx] & 3) != PTE_TABLE)
        panic("arch_mmu_init: remapping inside a block at index %u", idx);
    return phys_to_virt(t[idx] & PTE_ADDR);
}

/* Maps [va, va+size) to pa with attrs, in the largest blocks alignment allows. */
static void map_range(vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs)
{
    while (size) {
        uint64_t *l1 = next_level(root, (va >> 39) & 511);
        if (((va | pa) & (GIB(1) - 1)) == 0 && size >= GIB(1)) {
            l1[(va >> 30) & 511] = pa | attrs | PTE_BLOCK;
            va += GIB(1), pa += GIB(1), size -= GIB(1);
            continue;
        }
        uint64_t *l2 = next_level(l1, (va >> 30) & 511);
        if (((va | pa) & (MIB(2) - 1)) == 0 && size >= MIB(2)) {
            l2[(va >> 21) & 511] = pa | attrs | PTE_BLOCK;
            va += MIB(2), pa += MIB(2), size -= MIB(2);
            continue;
        }
        uint64_t *l3 = next_level(l2, (va >> 21) & 511);
        l3[(va >> 12) & 511] = pa | attrs | PTE_PAGE;
        va += PAGE_SIZE, pa += PAGE_SIZE, size -= PAGE_SIZE;
    }
}

/* The image's sections at base + their physical address, with their permissions. */
static void map_image(vaddr_t base, bool alias)
{
    const struct {
        const char *start, *end;
        uint64_t attrs;
    } parts[3] = {
        {_text_start, _text_end, alias ? PTE_KERN_RO : PTE_KERN_RX},
        {_rodata_start, _rodata_end, PTE_KERN_RO},
        {_data_start, _data_end, PTE_KERN_RW},
    };
    for (unsigned i = 0; i < 3; i++) {
        paddr_t s = virt_to_phys(parts[i].start), e = virt_to_phys(parts[i].end);
        map_range(base + s, s, ALIGN_UP(e, PAGE_SIZE) - s, parts[i].attrs);
    }
}

volatile void *arch_mmio_map(paddr_t pa, size_t size)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t len = ALIGN_UP(pa + size, PAGE_SIZE) - base;
    if (!root)
        panic("arch_mmio_map before arch_mmu_init");
    if (mmio_next + len > MMIO_BASE + MMIO_SIZE || mmio_count == MAX_MMIO)
        panic("arch_mmio_map: MMIO window exhausted mapping %#llx", (unsigned long long)pa);
    vaddr_t va = mmio_next;
    map_range(va, base, len, PTE_DEVICE);
    mmio_next += len;
    mmio_ranges[mmio_count].base = base;
    mmio_ranges[mmio_count++].end = base + len;
    dsb_ish();
    isb();
    return (volatile void *)(uintptr_t)(va + (pa - base));
}

/* The console UART's page is shared (decision 154): the kernel keeps writing
 * its panic and debug output there, polled, and a user console server may map
 * it through a device VMO and take its interrupt line. It is the one range the
 * kernel maps that the root task's device untyped still cover. */
static bool shared_with_user(unsigned i)
{
    return boot_fdt.uart.kind == FDT_UART_PL011 &&
           mmio_ranges[i].base == ALIGN_DOWN(boot_fdt.uart.base, PAGE_SIZE);
}

bool arch_mmio_kernel_overlaps(paddr_t base, paddr_t end)
{
    for (unsigned i = 0; i < mmio_count; i++)
        if (base < mmio_ranges[i].end && mmio_ranges[i].base < end && !shared_with_user(i))
            return true;
    return false;
}

void arch_mmu_init(struct bootmem *bm)
{
    pool_pa = bootmem_alloc_early(bm, POOL_PAGES * PAGE_SIZE, PAGE_SIZE, GIB(4));
    if (!pool_pa || pool_pa < GIB(1))
        panic("arch_mmu_init: no RAM for the page tables between 1 and 4 GiB");
    pool = phys_to_virt(pool_pa);
    root = new_table();
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        if (!bootmem_is_ram(r->type))
            continue;
        if (r->base + r->size > DIRECT_MAP_SIZE)
            panic("RAM at %#llx is beyond the direct map", (unsigned long long)r->base);
        if (r->type != BOOTMEM_KERNEL)
            map_range(DIRECT_MAP_BASE + r->base, r->base, r->size, PTE_KERN_RW);
    }
    map_image(DIRECT_MAP_BASE, true);
    map_image(KERNEL_VMA, false);

    /* The console moves to the MMIO window: map it now, switch to it after. */
    volatile void *uart = NULL;
    if (boot_fdt.uart.kind == FDT_UART_PL011)
        uart = arch_mmio_map(boot_fdt.uart.base, PAGE_SIZE);

    dsb_ish();
    write_sysreg(ttbr1_el1, table_pa(root));
    write_sysreg(tcr_el1, read_sysreg(tcr_el1) | TCR_EPD0);
    write_sysreg(ttbr0_el1, 0);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_WXN);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    aarch64_asid_init();
    if (uart)
        pl011_set_base(uart);
    kprintf("mmu: kernel tables at %#llx (%u table pages), direct map of RAM, W^X image, "
            "lower half off\n",
            (unsigned long long)table_pa(root), pool_used);
}
