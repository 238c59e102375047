/*
 * The kernel's address space on x86_64 (layout in arch/memlayout.h).
 *
 * arch_mmu_init replaces the boot tables with final ones:
 *  - the direct map: every RAM region of the boot memory description at
 *    DIRECT_MAP_BASE + phys, read-write and never executable, with the largest
 *    pages the alignment allows (1 GiB where the CPU has them, else 2 MiB);
 *    holes and device ranges are not mapped; the kernel image's own alias
 *    follows the image's permissions, so no writable alias of code exists;
 *  - the kernel image at KERNEL_VMA with 4 KiB pages: text read-execute,
 *    rodata read-only, data and bss read-write, all but text non-executable
 *    (W^X; CR0.WP makes it bind the kernel too);
 *  - an MMIO window for device registers, uncached; arch_mmio_map records each
 *    physical range it maps, so that boot can keep them out of the device
 *    untyped it hands to userspace;
 *  - at the top of the MMIO window, a 2 MiB firmware window (one page table,
 *    taken before the hand-off) through which boot reads firmware tables that
 *    the direct map does not cover (ACPI tables in reserved ranges, the BIOS
 *    areas below 1 MiB): one read-only, non-executable mapping at a time,
 *    replaced by the next arch_fw_map and cleared by arch_fw_unmap.
 * The lower half is left empty for user address spaces. Kernel mappings are
 * global. Page-table pages come from bootmem_alloc_early and are reached
 * through the direct map (the boot tables already direct-map the first 4 GiB).
 */
#include "arch.h"
#include "arch/mmu.h"
#include "config.h"
#include "core/bootmem.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"

extern const char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
    _data_end[];

#define FW_WINDOW_SIZE  MIB(2)
#define FW_WINDOW_BASE  (MMIO_BASE + MMIO_SIZE - FW_WINDOW_SIZE)
#define FW_WINDOW_PAGES (FW_WINDOW_SIZE / PAGE_SIZE)

/* Physical ranges arch_mmio_map has mapped: the kernel's own devices. */
#define MMIO_RECORDS 32
static struct {
    paddr_t base, end;
} mmio_rec[MMIO_RECORDS];
static unsigned mmio_nrec;

static paddr_t kernel_root;
static pte_t *fw_pt;       /* the firmware window's page table */
static unsigned fw_mapped; /* pages mapped there now, from its start */
static struct bootmem *pt_source;
static vaddr_t mmio_next = MMIO_BASE;
static uint64_t nx_bit;

static pte_t *table(paddr_t pa)
{
    return phys_to_virt(pa);
}

/* Page-table pages for boot-time device mappings made after the PMM owns the
 * free RAM (arch_mmio_map): taken from boot memory before the hand-off. */
#define PT_RESERVE 8
static paddr_t pt_reserve[PT_RESERVE];
static unsigned pt_reserve_left;
static bool pt_from_reserve;

static paddr_t alloc_table(void)
{
    paddr_t pa;
    if (pt_from_reserve) {
        if (!pt_reserve_left)
            panic("mmu: the %u reserved page-table pages for boot-time device mappings are "
                  "used up",
                  PT_RESERVE);
        pa = pt_reserve[--pt_reserve_left];
    } else {
        pa = bootmem_alloc_early(pt_source, PAGE_SIZE, PAGE_SIZE, GIB(4));
    }
    if (!pa)
        panic("mmu: out of memory for page tables");
    memset(table(pa), 0, PAGE_SIZE);
    return pa;
}

static uint64_t leaf_flags(unsigned perm)
{
    uint64_t f = PTE_P | PTE_G | PTE_A | PTE_D;
    if (perm & MAP_W)
        f |= PTE_W;
    if (!(perm & MAP_X))
        f |= nx_bit;
    if (perm & MAP_UC)
        f |= PTE_PCD | PTE_PWT;
    return f;
}

/* Physical address of the table that holds va's level-`level` entry, making the
 * tables above it as needed. */
static paddr_t table_for(vaddr_t va, unsigned level)
{
    paddr_t t = kernel_root;
    for (unsigned l = 3; l > level; l--) {
        pte_t *e = &table(t)[pt_index(va, l)];
        if (!pte_present(*e))
            *e = alloc_table() | PTE_P | PTE_W;
        else if (pte_large(*e))
            panic("mmu: %p already mapped by a large page", (void *)va);
        t = pte_addr(*e);
    }
    return t;
}

static paddr_t leaf_table(vaddr_t va)
{
    return table_for(va, 0);
}

/* Maps [va, va+size) to [pa, pa+size) with the largest pages alignment allows
 * (level 2 only if allow_1g). Ranges must be 4 KiB aligned and not yet mapped. */
static void map_range(vaddr_t va, paddr_t pa, uint64_t size, unsigned perm, bool allow_1g)
{
    uint64_t flags = leaf_flags(perm);
    while (size) {
        unsigned level = 0;
        if (allow_1g && IS_ALIGNED(va | pa, GIB(1)) && size >= GIB(1))
            level = 2;
        else if (IS_ALIGNED(va | pa, MIB(2)) && size >= MIB(2))
            level = 1;
        pte_t *leaf = &table(table_for(va, level))[pt_index(va, level)];
        if (pte_present(*leaf))
            panic("mmu: %p mapped twice", (void *)va);
        *leaf = pa | flags | (level ? PTE_PS : 0);
        uint64_t step = 1ull << (12 + 9 * level);
        va += step;
        pa += step;
        size -= step;
    }
}

paddr_t arch_kernel_root(void)
{
    return kernel_root;
}

pte_t mmu_lookup(vaddr_t va, unsigned *level)
{
    pte_t *t = table(read_cr3() & PTE_ADDR);
    for (unsigned l = 3;; l--) {
        pte_t e = t[pt_index(va, l)];
        if (!pte_present(e))
            return 0;
        if (l == 0 || pte_large(e)) {
            *level = l;
            return e;
        }
        t = table(pte_addr(e));
    }
}

struct image_part {
    const char *start, *end;
    unsigned perm;
};

static void map_image_alias(paddr_t base, paddr_t end, const struct image_part *parts,
                            unsigned nparts)
{
    /* The direct-map alias of the image: read-only for text and rodata. */
    for (unsigned i = 0; i < nparts; i++) {
        paddr_t s = virt_to_phys(parts[i].start), e = virt_to_phys(parts[i].end);
        map_range(DIRECT_MAP_BASE + s, s, e - s, parts[i].perm & MAP_W, false);
    }
    paddr_t first = virt_to_phys(parts[0].start), last = virt_to_phys(parts[nparts - 1].end);
    if (base < first) /* the boot section: data only */
        map_range(DIRECT_MAP_BASE + base, base, first - base, MAP_R, false);
    if (last < end)
        map_range(DIRECT_MAP_BASE + last, last, end - last, MAP_W, false);
}

void arch_mmu_init(struct bootmem *bm)
{
    pt_source = bm;
    nx_bit = cpu_features.nx ? PTE_NX : 0;
    pt_nx_bit = nx_bit;
    kernel_root = alloc_table();

    const struct image_part parts[] = {
        {_text_start, _text_end, MAP_R | MAP_X},
        {_rodata_start, _rodata_end, MAP_R},
        {_data_start, _data_end, MAP_W},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(parts); i++)
        map_range((vaddr_t)parts[i].start, virt_to_phys(parts[i].start),
                  (uint64_t)(parts[i].end - parts[i].start), parts[i].perm, false);

    /* Snapshot the RAM regions first: allocating tables changes the list. */
    static struct bootmem_region ram[BOOTMEM_MAX_REGIONS];
    unsigned n = 0;
    for (unsigned i = 0; i < bm->n; i++)
        if (bootmem_is_ram(bm->r[i].type) || bm->r[i].type == BOOTMEM_ACPI_NVS)
            ram[n++] = bm->r[i];
    /* Coalesce adjacent RAM so large pages span type boundaries (except the
     * kernel image, which is mapped with its own permissions). */
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        bool kern = ram[i].type == BOOTMEM_KERNEL;
        if (m && !kern && ram[m - 1].type != BOOTMEM_KERNEL &&
            ram[m - 1].base + ram[m - 1].size == ram[i].base)
            ram[m - 1].size += ram[i].size;
        else
            ram[m++] = ram[i];
    }
    for (unsigned i = 0; i < m; i++) {
        paddr_t base = ram[i].base, end = base + ram[i].size;
        if (end > DIRECT_MAP_SIZE)
            panic("mmu: RAM at %llx is beyond the 64 TiB direct map", (unsigned long long)base);
        if (ram[i].type == BOOTMEM_KERNEL)
            map_image_alias(base, end, parts, ARRAY_SIZE(parts));
        else
            map_range(DIRECT_MAP_BASE + base, base, end - base, MAP_W, cpu_features.pdpe1gb);
    }

    fw_pt = table(leaf_table(FW_WINDOW_BASE));

    for (pt_reserve_left = 0; pt_reserve_left < PT_RESERVE; pt_reserve_left++)
        pt_reserve[pt_reserve_left] = alloc_table();
    pt_from_reserve = true;

    write_cr3(kernel_root);
    uint64_t cr4 = read_cr4() | CR4_PGE;
    if (cpu_features.smep)
        cr4 |= CR4_SMEP;
    if (cpu_features.smap)
        cr4 |= CR4_SMAP;
#if X86_PCID
    if (cpu_features.pcid) { /* CR3 holds PCID 0 (the kernel's root): PCIDE may be set */
        cr4 |= CR4_PCIDE;
        x86_pcid_hw = true;
        for (unsigned i = 0; i < X86_PCID_SLOTS; i++)
            x86_pcid_tag[i] = (i + 1) | CR3_NOFLUSH;
    }
    kprintf("mmu: X86_PCID build: PCID %s, INVPCID %s (decision 174)\n",
            cpu_features.pcid ? "on" : "absent, the table flushes on every load",
            cpu_features.invpcid ? "present (unused)" : "absent");
#endif
    write_cr4(cr4);
    write_cr0(read_cr0() | CR0_WP);
    kprintf("mmu: direct map of %u RAM ranges up to %llx, W^X kernel image, NX %s, SMEP %s, "
            "SMAP %s\n",
            m, (unsigned long long)bootmem_ram_top(bm), nx_bit ? "on" : "absent",
            cpu_features.smep ? "on" : "absent", cpu_features.smap ? "on" : "absent");
}

volatile void *arch_mmio_map(paddr_t pa, size_t size)
{
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t len = ALIGN_UP(pa + size, PAGE_SIZE) - base;
    if (mmio_next + len > FW_WINDOW_BASE)
        panic("mmu: MMIO window exhausted mapping %llx", (unsigned long long)pa);
    if (mmio_nrec == MMIO_RECORDS)
        panic("mmu: more than %u boot-time device mappings", MMIO_RECORDS);
    vaddr_t va = mmio_next;
    mmio_next += len;
    map_range(va, base, len, MAP_W | MAP_UC, false);
    mmio_rec[mmio_nrec].base = base;
    mmio_rec[mmio_nrec++].end = base + len;
    return (volatile void *)(uintptr_t)(va + (pa - base));
}

bool arch_mmio_kernel_overlaps(paddr_t base, paddr_t end)
{
    for (unsigned i = 0; i < mmio_nrec; i++)
        if (mmio_rec[i].base < end && base < mmio_rec[i].end)
            return true;
    return false;
}

void arch_fw_unmap(void)
{
    for (unsigned i = 0; i < fw_mapped; i++) {
        fw_pt[i] = 0;
        arch_tlb_flush_page(FW_WINDOW_BASE + i * PAGE_SIZE);
    }
    fw_mapped = 0;
}

const void *arch_fw_map(paddr_t pa, size_t len)
{
    if (len == 0)
        len = 1;
    if (pa + len < pa || pa + len > (1ull << arch_phys_addr_bits()))
        return NULL;
    paddr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
    uint64_t pages = (ALIGN_UP(pa + len, PAGE_SIZE) - base) / PAGE_SIZE;
    if (pages > FW_WINDOW_PAGES)
        return NULL;
    arch_fw_unmap();
    for (unsigned i = 0; i < pages; i++)
        fw_pt[i] = (base + i * PAGE_SIZE) | PTE_P | PTE_A | nx_bit;
    fw_mapped = (unsigned)pages;
    return (const void *)(uintptr_t)(FW_WINDOW_BASE + (pa - base));
}

unsigned arch_phys_addr_bits(void)
{
    static unsigned bits;
    if (!bits) {
        /* CPUID 0x80000008 EAX[7:0]; a CPU without the leaf has 36 (PAE). */
        bits = 36;
        if (cpuid(0x80000000u, 0).eax >= 0x80000008u) {
            unsigned b = cpuid(0x80000008u, 0).eax & 0xff;
            if (b >= 32 && b <= 52)
                bits = b;
        }
    }
    return bits;
}
