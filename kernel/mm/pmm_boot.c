/*
 * The boot instance of the physical memory manager.
 *
 * At boot one instance, boot_pmm, takes every BOOTMEM_USABLE region of the boot
 * memory description. Those regions already exclude the kernel image, the boot
 * modules and the early page tables (the foundation marked them), so nothing the
 * kernel is running from can be handed out. Each region is trimmed inward to whole
 * clusters; what does not make a whole cluster (the edges of unaligned regions, and
 * regions smaller than a cluster, typically the low 640 KiB with large clusters) is
 * left unused and counted, so the boot log says what clustering cost at boot.
 */
#include "mm/pmm.h"
#include "core/bootmem.h"
#include "kprintf.h"

struct pmm boot_pmm;
struct mm_boot_info mm_boot_info;

void mm_boot_init(struct bootmem *bm)
{
    struct mm_boot_info *info = &mm_boot_info;
    pmm_init(&boot_pmm);
    *info = (struct mm_boot_info){.bm = bm};
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        if (bootmem_is_ram(r->type))
            info->ram_bytes += r->size;
        if (r->type != BOOTMEM_USABLE)
            continue;
        info->usable_bytes += r->size;
        if (pmm_add_range(&boot_pmm, r->base, r->size) == 0)
            info->unused_ranges++;
    }
    info->free_bytes = boot_pmm.free_bytes;
    info->unused_bytes = boot_pmm.unused_bytes;
    kprintf("pmm: %llu KiB clusters; RAM %llu KiB, usable %llu KiB, free %llu KiB in %llu "
            "extents\n",
            (unsigned long long)(CLUSTER_SIZE >> 10), (unsigned long long)(info->ram_bytes >> 10),
            (unsigned long long)(info->usable_bytes >> 10),
            (unsigned long long)(info->free_bytes >> 10),
            (unsigned long long)boot_pmm.free_extents);
    kprintf("pmm: metadata %llu bytes; unused %llu KiB (%u regions smaller than a cluster)\n",
            (unsigned long long)pmm_metadata_bytes(&boot_pmm),
            (unsigned long long)(info->unused_bytes >> 10), info->unused_ranges);
}
