/*
 * The boot memory description (see core/bootmem.h).
 *
 * The list is kept sorted, non-overlapping and merged after every change, so a
 * reader (the direct-map builder, the PMM hand-off, the boot log) never has to
 * reason about overlaps. Firmware maps are not that tidy: e820 entries may
 * overlap and arrive in any order. bootmem_add_firmware resolves overlaps by a
 * fixed precedence (bad > reserved > ACPI NVS > ACPI reclaim > usable), so the
 * result does not depend on the order of entries, and a page that is even partly
 * non-usable is never handed out as RAM.
 */
#include "core/bootmem.h"
#include "config.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"

void bootmem_init(struct bootmem *bm)
{
    memset(bm, 0, sizeof(*bm));
}

static paddr_t range_end(paddr_t base, paddr_t size)
{
    paddr_t end = base + size;
    return end < base ? ~(paddr_t)0 : end; /* clamp on overflow */
}

bool bootmem_set(struct bootmem *bm, paddr_t base, paddr_t size, enum bootmem_type type)
{
    if (size == 0)
        return true;
    paddr_t end = range_end(base, size);
    struct bootmem_region out[BOOTMEM_MAX_REGIONS + 2];
    unsigned n = 0;
    bool placed = false;
    for (unsigned i = 0; i <= bm->n; i++) {
        const struct bootmem_region *r = i < bm->n ? &bm->r[i] : NULL;
        if (!placed && (!r || r->base >= base)) {
            out[n++] = (struct bootmem_region){base, end - base, type};
            placed = true;
        }
        if (!r)
            break;
        paddr_t rend = r->base + r->size;
        if (rend <= base || r->base >= end) {
            out[n++] = *r;
        } else {
            if (r->base < base)
                out[n++] = (struct bootmem_region){r->base, base - r->base, r->type};
            if (rend > end) {
                if (!placed) {
                    out[n++] = (struct bootmem_region){base, end - base, type};
                    placed = true;
                }
                out[n++] = (struct bootmem_region){end, rend - end, r->type};
            }
        }
    }
    /* out is in address order (the new region goes in before the first region
     * at or after base, or between the halves of the one it splits) and holds at
     * most bm->n + 2 entries. Merge neighbours of equal type. */
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        if (m && out[m - 1].type == out[i].type && out[m - 1].base + out[m - 1].size == out[i].base)
            out[m - 1].size += out[i].size;
        else
            out[m++] = out[i];
    }
    if (m > BOOTMEM_MAX_REGIONS) {
        bm->overflow = true;
        return false;
    }
    memcpy(bm->r, out, m * sizeof(out[0]));
    bm->n = m;
    return true;
}

static int firmware_rank(enum bootmem_type t)
{
    switch (t) {
    case BOOTMEM_USABLE:
        return 1;
    case BOOTMEM_ACPI_RECLAIM:
        return 2;
    case BOOTMEM_ACPI_NVS:
        return 3;
    case BOOTMEM_RESERVED:
        return 4;
    case BOOTMEM_BAD:
        return 5;
    default:
        return 6; /* kernel, module, early: set by the kernel, never overridden */
    }
}

bool bootmem_add_firmware(struct bootmem *bm, paddr_t base, paddr_t size, enum bootmem_type t)
{
    paddr_t end = range_end(base, size);
    if (t == BOOTMEM_USABLE) {
        base = ALIGN_UP(base, PAGE_SIZE);
        end = ALIGN_DOWN(end, PAGE_SIZE);
    } else {
        base = ALIGN_DOWN(base, PAGE_SIZE);
        end = end > ~(paddr_t)0 - PAGE_SIZE ? ~(paddr_t)0 : ALIGN_UP(end, PAGE_SIZE);
    }
    if (base == 0 && end == 0)
        return true;
    /* Walk [base, end) segment by segment; claim only what ranks lower. */
    paddr_t at = base;
    while (at < end) {
        paddr_t seg_end = end;
        bool claim = true;
        for (unsigned i = 0; i < bm->n; i++) {
            const struct bootmem_region *r = &bm->r[i];
            paddr_t rend = r->base + r->size;
            if (rend <= at)
                continue;
            if (r->base > at) {
                seg_end = MIN(seg_end, r->base); /* a hole before region i */
            } else {
                seg_end = MIN(seg_end, rend);
                claim = firmware_rank(r->type) < firmware_rank(t);
            }
            break;
        }
        if (claim && !bootmem_set(bm, at, seg_end - at, t))
            return false;
        at = seg_end;
    }
    return true;
}

bool bootmem_add_module(struct bootmem *bm, paddr_t base, paddr_t size, const char *name)
{
    if (bm->nmod >= BOOTMEM_MAX_MODULES) {
        bm->overflow = true;
        return false;
    }
    struct bootmem_module *m = &bm->mod[bm->nmod++];
    m->base = base;
    m->size = size;
    strlcpy(m->name, name ? name : "", sizeof(m->name));
    paddr_t b = ALIGN_DOWN(base, PAGE_SIZE);
    return bootmem_set(bm, b, ALIGN_UP(range_end(base, size), PAGE_SIZE) - b, BOOTMEM_MODULE);
}

paddr_t bootmem_alloc_early(struct bootmem *bm, paddr_t size, paddr_t align, paddr_t limit)
{
    if (bm->sealed)
        panic("bootmem_alloc_early after the PMM took the usable RAM");
    if (size == 0 || !IS_ALIGNED(size, PAGE_SIZE) || !IS_POW2(align))
        return 0;
    for (unsigned i = bm->n; i-- > 0;) {
        const struct bootmem_region *r = &bm->r[i];
        if (r->type != BOOTMEM_USABLE || r->base >= limit)
            continue;
        paddr_t top = MIN(r->base + r->size, limit);
        if (top - r->base < size)
            continue;
        paddr_t at = ALIGN_DOWN(top - size, align);
        if (at < r->base || at == 0)
            continue;
        if (!bootmem_set(bm, at, size, BOOTMEM_EARLY))
            return 0;
        return at;
    }
    return 0;
}

void bootmem_seal(struct bootmem *bm)
{
    bm->sealed = true;
}

paddr_t bootmem_total(const struct bootmem *bm, enum bootmem_type type)
{
    paddr_t t = 0;
    for (unsigned i = 0; i < bm->n; i++)
        if (bm->r[i].type == type)
            t += bm->r[i].size;
    return t;
}

bool bootmem_is_ram(enum bootmem_type type)
{
    return type == BOOTMEM_USABLE || type == BOOTMEM_KERNEL || type == BOOTMEM_MODULE ||
           type == BOOTMEM_EARLY || type == BOOTMEM_ACPI_RECLAIM;
}

paddr_t bootmem_ram_top(const struct bootmem *bm)
{
    paddr_t top = 0;
    for (unsigned i = 0; i < bm->n; i++)
        if (bootmem_is_ram(bm->r[i].type))
            top = MAX(top, bm->r[i].base + bm->r[i].size);
    return top;
}

const char *bootmem_type_name(enum bootmem_type type)
{
    static const char *const names[] = {
        [BOOTMEM_USABLE] = "usable",     [BOOTMEM_RESERVED] = "reserved",
        [BOOTMEM_ACPI_RECLAIM] = "acpi", [BOOTMEM_ACPI_NVS] = "acpi-nvs",
        [BOOTMEM_BAD] = "bad",           [BOOTMEM_KERNEL] = "kernel",
        [BOOTMEM_MODULE] = "module",     [BOOTMEM_EARLY] = "early",
    };
    if ((unsigned)type < ARRAY_SIZE(names) && names[type])
        return names[type];
    return "?";
}

void bootmem_print(const struct bootmem *bm)
{
    kprintf("boot memory (%s, %u regions):\n", bm->protocol ? bm->protocol : "?", bm->n);
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        kprintf("  [%016llx-%016llx) %-8s %8llu KiB\n", (unsigned long long)r->base,
                (unsigned long long)(r->base + r->size), bootmem_type_name(r->type),
                (unsigned long long)(r->size >> 10));
    }
    for (unsigned i = 0; i < bm->nmod; i++)
        kprintf("  module %u: [%016llx-%016llx) %s\n", i, (unsigned long long)bm->mod[i].base,
                (unsigned long long)(bm->mod[i].base + bm->mod[i].size), bm->mod[i].name);
    kprintf("  usable %llu KiB, RAM top %llx\n",
            (unsigned long long)(bootmem_total(bm, BOOTMEM_USABLE) >> 10),
            (unsigned long long)bootmem_ram_top(bm));
}

const char *bootmem_cmdline_get(const struct bootmem *bm, const char *key, char *buf, size_t n)
{
    size_t klen = strlen(key);
    const char *p = bm->cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *tok = p;
        while (*p && *p != ' ')
            p++;
        size_t tlen = (size_t)(p - tok);
        if (tlen >= klen && strncmp(tok, key, klen) == 0 && (tlen == klen || tok[klen] == '=')) {
            const char *v = tlen == klen ? tok + tlen : tok + klen + 1;
            size_t vlen = (size_t)(p - v);
            if (n) {
                size_t k = MIN(vlen, n - 1);
                memcpy(buf, v, k);
                buf[k] = 0;
            }
            return buf;
        }
    }
    return NULL;
}
