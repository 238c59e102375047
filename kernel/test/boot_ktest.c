/*
 * Self-tests of the generic boot: the memory description, the direct map, the
 * tick, the symbol table and the formatter as compiled for the kernel.
 */
#include "arch.h"
#include "config.h"
#include "core/boot.h"
#include "kprintf.h"
#include "ktest.h"
#include "lib/string.h"

extern const char _kernel_phys_start[], _kernel_phys_end[];

KTEST(boot, memory_map_sane)
{
    const struct bootmem *bm = &boot_memory;
    KT_ASSERT(bm->n > 0 && !bm->overflow, "n=%u overflow=%d", bm->n, bm->overflow);
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        KT_ASSERT(r->size > 0 && IS_ALIGNED(r->base | r->size, PAGE_SIZE),
                  "region %u [%llx +%llx) empty or unaligned", i, (unsigned long long)r->base,
                  (unsigned long long)r->size);
        if (i)
            KT_ASSERT(bm->r[i - 1].base + bm->r[i - 1].size <= r->base, "regions %u, %u overlap",
                      i - 1, i);
        if (r->type == BOOTMEM_USABLE)
            KT_ASSERT(r->base >= MIB(1), "usable RAM below 1 MiB at %llx",
                      (unsigned long long)r->base);
    }
    /* The kernel image is marked, exactly. */
    paddr_t ks = (paddr_t)(uintptr_t)_kernel_phys_start;
    paddr_t ke = ALIGN_UP((paddr_t)(uintptr_t)_kernel_phys_end, PAGE_SIZE);
    bool found = false;
    for (unsigned i = 0; i < bm->n; i++)
        if (bm->r[i].type == BOOTMEM_KERNEL)
            found = bm->r[i].base == ks && bm->r[i].base + bm->r[i].size == ke;
    KT_ASSERT(found, "kernel image [%llx, %llx) not marked", (unsigned long long)ks,
              (unsigned long long)ke);
    KT_ASSERT(bootmem_total(bm, BOOTMEM_USABLE) >= MIB(16), "only %llu KiB usable",
              (unsigned long long)(bootmem_total(bm, BOOTMEM_USABLE) >> 10));
}

/* ktest.mem=N: the machine was started with N MiB; the map must account for all
 * of it but what firmware keeps: ktest.memslack MiB (default 4; UEFI keeps more). */
KTEST(boot, memory_size_matches_machine)
{
    uint64_t mib, slack;
    KT_ASSERT(ktest_cmdline_u64("ktest.mem", 0, &mib), "bad ktest.mem");
    KT_ASSERT(ktest_cmdline_u64("ktest.memslack", 4, &slack), "bad ktest.memslack");
    if (mib == 0)
        return; /* not asked: nothing to compare against */
    paddr_t ram = 0;
    for (unsigned i = 0; i < boot_memory.n; i++)
        if (bootmem_is_ram(boot_memory.r[i].type))
            ram += boot_memory.r[i].size;
    /* Nothing may exceed the machine's size. */
    KT_ASSERT(ram <= MIB(mib), "map lists %llu KiB of RAM on a %llu MiB machine",
              (unsigned long long)(ram >> 10), (unsigned long long)mib);
    KT_ASSERT(ram + MIB(slack) >= MIB(mib),
              "map lists only %llu KiB of RAM on a %llu MiB machine (slack %llu MiB)",
              (unsigned long long)(ram >> 10), (unsigned long long)mib, (unsigned long long)slack);
    if (mib > 3072)
        KT_ASSERT(bootmem_ram_top(&boot_memory) > GIB(4), "no RAM above 4 GiB with %llu MiB",
                  (unsigned long long)mib);
}

/* Every RAM region is reachable through the direct map: touch its first and
 * last words (restoring them), including RAM above 4 GiB. */
KTEST(boot, direct_map_reaches_all_ram)
{
    unsigned touched = 0;
    for (unsigned i = 0; i < boot_memory.n; i++) {
        const struct bootmem_region *r = &boot_memory.r[i];
        if (r->type != BOOTMEM_USABLE)
            continue;
        paddr_t probes[2] = {r->base, r->base + r->size - 8};
        for (unsigned k = 0; k < 2; k++) {
            volatile uint64_t *p = phys_to_virt(probes[k]);
            uint64_t saved = *p;
            *p = 0x5765667454657374ull ^ probes[k];
            KT_ASSERT(*p == (0x5765667454657374ull ^ probes[k]), "readback at %llx",
                      (unsigned long long)probes[k]);
            *p = saved;
            touched++;
        }
    }
    KT_ASSERT(touched >= 2);
}

KTEST(timer, ticks_advance)
{
    /* Ten ticks must arrive; the harness's timeout fails a tick that never comes. */
    uint64_t start = arch_ticks();
    while (arch_ticks() < start + 10)
        cpu_wait_irq();
    KT_ASSERT(boot_timer_source != NULL);
}

KTEST(ksyms, resolves_kernel_functions)
{
    uintptr_t off;
    const char *name = ksym_lookup((uintptr_t)kernel_main, &off);
    KT_ASSERT(strcmp(name, "kernel_main") == 0 && off == 0, "got %s+0x%lx", name,
              (unsigned long)off);
    name = ksym_lookup((uintptr_t)tap_run + 3, &off);
    KT_ASSERT(strcmp(name, "tap_run") == 0 && off == 3, "got %s+0x%lx", name, (unsigned long)off);
    name = ksym_lookup(0x1000, &off);
    KT_ASSERT(strcmp(name, "?") == 0, "user address resolved to %s", name);
}

KTEST(kprintf, formats_in_kernel_build)
{
    char buf[96];
    int n = ksnprintf(buf, sizeof(buf), "%d|%5u|%-4x|%08llx|%p|%s|%c|%lu|%%", -42, 7u, 0xabu,
                      0xdeadbeefull, (void *)0xffffffff80000000ull, "weft", 'W', 123456789012ul);
    const char *want = "-42|    7|ab  |deadbeef|0xffffffff80000000|weft|W|123456789012|%";
    KT_ASSERT(strcmp(buf, want) == 0, "got '%s'", buf);
    KT_ASSERT_EQ(n, strlen(want));
}
