/*
 * The boot memory description against a reference model: one type byte per
 * page over a small address space. Random firmware entries (unsorted,
 * overlapping, unaligned), module marks and early allocations are applied to
 * both; after every step the list must be sorted, non-overlapping, merged, and
 * describe exactly the model's pages.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/bootmem.h"

#define NPAGES 512
static unsigned char model[NPAGES]; /* 0: hole, else enum bootmem_type */

static int rank(int t)
{
    static const int r[] = {[0] = 0,
                            [BOOTMEM_USABLE] = 1,
                            [BOOTMEM_ACPI_RECLAIM] = 2,
                            [BOOTMEM_ACPI_NVS] = 3,
                            [BOOTMEM_RESERVED] = 4,
                            [BOOTMEM_BAD] = 5,
                            [BOOTMEM_KERNEL] = 6,
                            [BOOTMEM_MODULE] = 6,
                            [BOOTMEM_EARLY] = 6};
    return r[t];
}

static void check(const struct bootmem *bm)
{
    unsigned char seen[NPAGES] = {0};
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        cr_assert(r->size > 0);
        cr_assert(r->base % PAGE_SIZE == 0 && r->size % PAGE_SIZE == 0, "unaligned region");
        if (i) {
            const struct bootmem_region *p = &bm->r[i - 1];
            cr_assert(p->base + p->size <= r->base, "overlap or unsorted at %u", i);
            cr_assert(!(p->base + p->size == r->base && p->type == r->type), "unmerged at %u", i);
        }
        for (paddr_t a = r->base; a < r->base + r->size; a += PAGE_SIZE)
            seen[a / PAGE_SIZE] = (unsigned char)r->type;
    }
    for (int i = 0; i < NPAGES; i++)
        cr_assert_eq(seen[i], model[i], "page %d: list says %d, model %d", i, seen[i], model[i]);
}

Test(bootmem, random_firmware_maps)
{
    static struct bootmem bm;
    for (unsigned seed = 1; seed <= 300; seed++) {
        srand(seed);
        bootmem_init(&bm);
        memset(model, 0, sizeof(model));
        int steps = 1 + rand() % 40;
        for (int s = 0; s < steps; s++) {
            paddr_t base = (paddr_t)(rand() % (NPAGES * PAGE_SIZE));
            paddr_t size = (paddr_t)(rand() % (NPAGES * PAGE_SIZE / 4));
            if (base + size > NPAGES * PAGE_SIZE)
                size = NPAGES * PAGE_SIZE - base;
            int op = rand() % 10;
            if (op < 8) {
                static const int types[] = {
                    BOOTMEM_USABLE,       BOOTMEM_USABLE,   BOOTMEM_USABLE, BOOTMEM_RESERVED,
                    BOOTMEM_ACPI_RECLAIM, BOOTMEM_ACPI_NVS, BOOTMEM_BAD};
                int t = types[rand() % 7];
                cr_assert(bootmem_add_firmware(&bm, base, size, t));
                paddr_t b, e;
                if (t == BOOTMEM_USABLE) {
                    b = (base + PAGE_SIZE - 1) / PAGE_SIZE;
                    e = (base + size) / PAGE_SIZE;
                } else {
                    b = base / PAGE_SIZE;
                    e = (base + size + PAGE_SIZE - 1) / PAGE_SIZE;
                }
                for (paddr_t p = b; p < e; p++)
                    if (rank(model[p]) < rank(t))
                        model[p] = (unsigned char)t;
            } else if (op == 8) {
                cr_assert(bootmem_add_module(&bm, base, size ? size : 1, "m") ||
                          bm.nmod == BOOTMEM_MAX_MODULES);
                if (bm.overflow)
                    break;
                for (paddr_t p = base / PAGE_SIZE;
                     p < (base + (size ? size : 1) + PAGE_SIZE - 1) / PAGE_SIZE; p++)
                    model[p] = BOOTMEM_MODULE;
            } else {
                paddr_t sz = (paddr_t)(1 + rand() % 4) * PAGE_SIZE;
                paddr_t at = bootmem_alloc_early(&bm, sz, PAGE_SIZE, ~0ull);
                if (at) {
                    for (paddr_t p = at / PAGE_SIZE; p < (at + sz) / PAGE_SIZE; p++) {
                        cr_assert_eq(model[p], BOOTMEM_USABLE, "early alloc took non-usable page");
                        model[p] = BOOTMEM_EARLY;
                    }
                }
            }
            if (bm.overflow)
                break;
            check(&bm);
        }
    }
}

Test(bootmem, order_of_entries_does_not_matter)
{
    static struct bootmem a, b;
    bootmem_init(&a);
    bootmem_init(&b);
    bootmem_add_firmware(&a, 0, 0x100000, BOOTMEM_USABLE);
    bootmem_add_firmware(&a, 0x9f000, 0x1000, BOOTMEM_RESERVED);
    bootmem_add_firmware(&b, 0x9f000, 0x1000, BOOTMEM_RESERVED);
    bootmem_add_firmware(&b, 0, 0x100000, BOOTMEM_USABLE);
    cr_assert_eq(a.n, b.n);
    for (unsigned i = 0; i < a.n; i++)
        cr_assert(a.r[i].base == b.r[i].base && a.r[i].size == b.r[i].size &&
                      a.r[i].type == b.r[i].type,
                  "region %u differs", i);
    cr_assert_eq(bootmem_total(&a, BOOTMEM_USABLE), 0x100000 - 0x1000);
}

Test(bootmem, overflow_is_reported)
{
    static struct bootmem bm;
    bootmem_init(&bm);
    bool ok = true;
    for (unsigned i = 0; i < BOOTMEM_MAX_REGIONS + 10 && ok; i++)
        ok = bootmem_add_firmware(&bm, (paddr_t)i * 0x2000, 0x1000, BOOTMEM_USABLE);
    cr_assert(!ok);
    cr_assert(bm.overflow);
    cr_assert_leq(bm.n, BOOTMEM_MAX_REGIONS);
}

Test(bootmem, early_alloc_respects_limit_and_alignment)
{
    static struct bootmem bm;
    bootmem_init(&bm);
    bootmem_add_firmware(&bm, 0x100000, 0x10000000, BOOTMEM_USABLE);
    paddr_t a = bootmem_alloc_early(&bm, 0x3000, 0x200000, 0x800000);
    cr_assert_eq(a, 0x600000);
    cr_assert_eq(bootmem_alloc_early(&bm, 0x1000, 0x1000, 0x100000), 0);
    cr_assert_eq(bootmem_alloc_early(&bm, 0x1800, 0x1000, ~0ull), 0, "unaligned size accepted");
    cr_assert_eq(bootmem_total(&bm, BOOTMEM_EARLY), 0x3000);
}

Test(bootmem, cmdline)
{
    static struct bootmem bm;
    bootmem_init(&bm);
    strcpy(bm.cmdline, "ktest  timer=pit ktest.mem=8192 quiet");
    char buf[32];
    cr_assert_str_eq(bootmem_cmdline_get(&bm, "ktest", buf, sizeof(buf)), "");
    cr_assert_str_eq(bootmem_cmdline_get(&bm, "timer", buf, sizeof(buf)), "pit");
    cr_assert_str_eq(bootmem_cmdline_get(&bm, "ktest.mem", buf, sizeof(buf)), "8192");
    cr_assert_null(bootmem_cmdline_get(&bm, "time", buf, sizeof(buf)));
    cr_assert_null(bootmem_cmdline_get(&bm, "loud", buf, sizeof(buf)));
    cr_assert_str_eq(bootmem_cmdline_get(&bm, "quiet", buf, sizeof(buf)), "");
}

Test(bootmem, early_alloc_after_seal_is_a_kernel_bug, .signal = SIGABRT)
{
    static struct bootmem bm;
    bootmem_init(&bm);
    bootmem_add_firmware(&bm, 0x100000, 0x100000, BOOTMEM_USABLE);
    bootmem_seal(&bm);
    bootmem_alloc_early(&bm, 0x1000, 0x1000, ~0ull);
}
