/*
 * The kernel's final address space (riscv64, Sv48 or Sv39): tables built from
 * the boot memory description, replacing head.S's early tables.
 *
 * The mode (decision 177): head.S turned Sv39 on (every hart that pages has
 * it); here satp is written with Sv48 and head.S's Sv48 root and read back. A
 * hart without Sv48 keeps its Sv39 (a write of an unsupported mode has no
 * effect), and so does every hart when the command line says "no4lvl" (as
 * Linux's option: the way to run Sv39 on QEMU 7.2, whose harts all have
 * Sv48). Under Sv39 the tables have three levels (riscv_pt_root_level 2) and
 * the user half ends at 256 GiB (riscv_user_top); the kernel's half is the
 * same in both modes (arch/memlayout.h).
 *
 *   - the direct map of every RAM region (bootmem_is_ram) at DIRECT_MAP_BASE,
 *     read-write and never executable, with the largest leaves alignment
 *     allows (1 GiB, 2 MiB, else 4 KiB pages); the kernel image's alias there
 *     takes the image's permissions, non-executable (no writable alias of
 *     code);
 *   - the image at KERNEL_VMA + KERNEL_PHYS in 4 KiB pages: text read-only and
 *     executable, rodata read-only, data and bss read-write, the last two
 *     never executable (W^X);
 *   - the MMIO window, filled by arch_mmio_map with read-write pages (the
 *     console UART's page shared with the root task's device untyped).
 *
 * Every kernel leaf is global (PTE_G: it survives ASID switches) and
 * supervisor-only; sstatus.SUM stays clear, so the kernel cannot use a user
 * mapping either. The user half (root entries 0-255) is empty: nothing of the
 * identity map survives. The upper half's root entries are all made here
 * (Sv48: the one, 511, everything is under; Sv39: the direct map's gigapages,
 * the MMIO window's entry, made by probe_svnapot, and the kernel window's),
 * so a user root's copy of them (arch_pt_init_root) never goes stale.
 *
 * Table pages come from one bootmem_alloc_early block taken before anything
 * is mapped (below 4 GiB, where the early direct map reaches it): what the
 * kernel's tables do not use is the reserve for later arch_mmio_map calls.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "config.h"
#include "core/bootmem.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "panic.h"

#define POOL_PAGES 32
#define MAX_MMIO   16
#define ENTRIES    512
#define KERN_RW    (PTE_KERNEL | PTE_R | PTE_W)
#define KERN_RO    (PTE_KERNEL | PTE_R)
#define KERN_RX    (PTE_KERNEL | PTE_R | PTE_X)

extern const char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
    _data_end[];
extern volatile void *riscv_test_dev;

uint64_t riscv_satp_mode = SATP_MODE_SV48;
unsigned riscv_pt_root_level = 3;
uint64_t riscv_user_top = USER_TOP_SV48;
bool riscv_svnapot;

extern const char early_root[], early_l2_win[];

paddr_t riscv_early_root(void)
{
    return virt_to_phys(riscv_pt_root_level == 3 ? early_root : early_l2_win);
}

/* Loads the word at a0 into a0; where the load faults, trap.c leaves 0 in
 * a0 and skips it. */
uint64_t napot_probe(const volatile uint64_t *p);
__asm__(".pushsection .text\n"
        ".globl napot_probe, napot_probe_insn\n"
        "napot_probe:\n"
        ".option push\n.option norvc\n"
        "napot_probe_insn:\n"
        "ld a0, 0(a0)\n"
        ".option pop\n"
        "ret\n"
        ".popsection");

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

static paddr_t table_pa(const uint64_t *t)
{
    return pool_pa + (paddr_t)((const char *)t - (const char *)pool);
}

paddr_t riscv_kernel_root(void)
{
    return table_pa(root);
}

static uint64_t *next_level(uint64_t *t, unsigned idx)
{
    if (!(t[idx] & PTE_V)) {
        uint64_t *n = new_table();
        t[idx] = (table_pa(n) >> 2) | PTE_V;
        return n;
    }
    if (t[idx] & PTE_RWX)
        panic("arch_mmu_init: remapping inside a leaf at index %u", idx);
    return phys_to_virt((t[idx] & PTE_PPN_MASK) << 2);
}

/* The table at `level` (2, 1 or 0) that translates va, made where missing
 * (under Sv39 level 2 is the root). */
static uint64_t *table_at(vaddr_t va, unsigned level)
{
    uint64_t *t = root;
    for (unsigned l = riscv_pt_root_level; l > level; l--)
        t = next_level(t, (va >> (12 + 9 * l)) & 511);
    return t;
}

/* Maps [va, va+size) to pa with attrs, in the largest leaves alignment allows. */
static void map_range(vaddr_t va, paddr_t pa, uint64_t size, uint64_t attrs)
{
    while (size) {
        unsigned level = 2;
        while (level && (((va | pa) & ((PAGE_SIZE << (9 * level)) - 1)) ||
                         size < (PAGE_SIZE << (9 * level))))
            level--;
        uint64_t leaf = PAGE_SIZE << (9 * level);
        table_at(va, level)[(va >> (12 + 9 * level)) & 511] = (pa >> 2) | attrs;
        va += leaf, pa += leaf, size -= leaf;
    }
}

static void map_image(vaddr_t base, bool alias)
{
    const struct {
        const char *start, *end;
        uint64_t attrs;
    } parts[3] = {
        {_text_start, _text_end, alias ? KERN_RO : KERN_RX},
        {_rodata_start, _rodata_end, KERN_RO},
        {_data_start, _data_end, KERN_RW},
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
    map_range(va, base, len, KERN_RW);
    mmio_next += len;
    mmio_ranges[mmio_count].base = base;
    mmio_ranges[mmio_count++].end = base + len;
    __asm__ volatile("sfence.vma" ::: "memory");
    return (volatile void *)(uintptr_t)(va + (pa - base));
}

/* The console UART's page is shared, as on aarch64 (decisions 154, 143): the
 * kernel keeps writing its panic and debug output there, polled, and a user
 * console server may map it through a device VMO and take its interrupt
 * line. It is the one range the kernel maps that the root task's device
 * untyped still cover. */
static bool shared_with_user(unsigned i)
{
    return boot_fdt.uart.kind == FDT_UART_NS16550 &&
           mmio_ranges[i].base == ALIGN_DOWN(boot_fdt.uart.base, PAGE_SIZE);
}

bool arch_mmio_kernel_overlaps(paddr_t base, paddr_t end)
{
    for (unsigned i = 0; i < mmio_count; i++)
        if (base < mmio_ranges[i].end && mmio_ranges[i].base < end && !shared_with_user(i))
            return true;
    return false;
}

const void *arch_fw_map(paddr_t pa, size_t len)
{
    (void)pa, (void)len;
    return NULL; /* no firmware tables outside RAM on a device-tree machine */
}

void arch_fw_unmap(void) {}

/* Whether the hart translates a NAPOT group (Svnapot, QEMU's svnapot=on):
 * the 64 KiB of text around napot_probe mapped as one group at the top of
 * the MMIO window, read back through it, then unmapped. Without Svnapot the
 * N bit is reserved and the load faults. */
static bool probe_svnapot(void)
{
    vaddr_t va = MMIO_BASE + MMIO_SIZE - MIB(2);
    paddr_t code = virt_to_phys((const void *)(uintptr_t)napot_probe);
    paddr_t pa = ALIGN_DOWN(code, 0x10000);
    uint64_t *l0 = table_at(va, 0);
    uint64_t v = (pa >> 2) | (UL(0x8) << 10) | PTE_N | KERN_RO;
    for (unsigned k = 0; k < 16; k++)
        l0[k] = v;
    __asm__ volatile("sfence.vma" ::: "memory");
    const volatile uint64_t *p = (const volatile uint64_t *)(va + (code - pa));
    bool ok = napot_probe(p) == *(const volatile uint64_t *)phys_to_virt(code);
    for (unsigned k = 0; k < 16; k++)
        l0[k] = 0;
    __asm__ volatile("sfence.vma" ::: "memory");
    return ok;
}

bool riscv_satp_try(uint64_t v)
{
    __asm__ volatile("sfence.vma" ::: "memory");
    csr_write(satp, v);
    __asm__ volatile("sfence.vma" ::: "memory");
    return csr_read(satp) == v;
}

/* Whether the hart runs Sv48: satp written with it (and head.S's Sv48 root,
 * which maps what Sv39's early root maps) keeps it. */
static bool probe_sv48(const struct bootmem *bm)
{
    char arg[8];
    if (bootmem_cmdline_get(bm, "no4lvl", arg, sizeof(arg)))
        return false;
    return riscv_satp_try(SATP_MODE_SV48 | virt_to_phys(early_root) >> 12);
}

void arch_mmu_init(struct bootmem *bm)
{
    if (!probe_sv48(bm)) {
        riscv_satp_mode = SATP_MODE_SV39;
        riscv_pt_root_level = 2;
        riscv_user_top = USER_TOP_SV39;
    }
    pool_pa = bootmem_alloc_early(bm, POOL_PAGES * PAGE_SIZE, PAGE_SIZE, GIB(4));
    if (!pool_pa)
        panic("arch_mmu_init: no RAM for the page tables below 4 GiB");
    pool = phys_to_virt(pool_pa);
    root = new_table();
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        if (!bootmem_is_ram(r->type))
            continue;
        if (r->base + r->size > DIRECT_MAP_SIZE)
            panic("RAM at %#llx is beyond the direct map", (unsigned long long)r->base);
        if (r->type != BOOTMEM_KERNEL)
            map_range(DIRECT_MAP_BASE + r->base, r->base, r->size, KERN_RW);
    }
    map_image(DIRECT_MAP_BASE, true);
    map_image(KERNEL_VMA, false);
    /* The upper half's root entries are final now but the MMIO window's
     * (Sv48: it shares root entry 511 with the image; Sv39: its own, made by
     * the first arch_mmio_map below), and the direct map never grows. */

    /* The console and the test finisher move to the MMIO window: map them
     * now, switch to them after. */
    volatile void *uart = NULL;
    if (boot_fdt.uart.kind == FDT_UART_NS16550)
        uart = arch_mmio_map(boot_fdt.uart.base, PAGE_SIZE);
    volatile void *test = arch_mmio_map(0x100000, PAGE_SIZE);

    __asm__ volatile("sfence.vma" ::: "memory");
    csr_write(satp, riscv_satp_mode | (table_pa(root) >> 12));
    __asm__ volatile("sfence.vma" ::: "memory");
    if (uart)
        uart_set_base(uart);
    riscv_test_dev = test;
    riscv_svnapot = probe_svnapot();
    riscv_asid_init();
    kprintf("mmu: %s%s, kernel tables at %#llx (%u table pages), direct map of RAM, W^X "
            "image, user half empty (%llu GiB)\n",
            riscv_pt_root_level == 3 ? "Sv48" : "Sv39", riscv_svnapot ? " with Svnapot" : "",
            (unsigned long long)table_pa(root), pool_used,
            (unsigned long long)(riscv_user_top >> 30));
}
