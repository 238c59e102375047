/*
 * Finding and checking the initramfs (see core/initramfs.h).
 *
 * The module comes from the boot loader (QEMU's PVH -initrd, GRUB's module2),
 * which are trusted to give its true location but not its contents: the
 * archive and init's ELF are checked with the same parsers userspace uses
 * (kernel/lib/cpio.c, kernel/lib/elf.c), which trust no byte. The module's pages
 * are BOOTMEM_MODULE (never handed to the PMM) and RAM, so the direct map
 * covers them; the kernel reads the archive in place.
 */
#include "core/initramfs.h"
#include "arch/memlayout.h"
#include "kprintf.h"
#include "lib/string.h"

static char errbuf[160];

#define FAIL(...) (ksnprintf(errbuf, sizeof(errbuf), __VA_ARGS__), errbuf)

const char *initramfs_check(const void *buf, size_t size, const char *name, struct initramfs *out)
{
    size_t where = 0;
    enum cpio_err ce = cpio_validate(buf, size, &out->nfiles, &where);
    if (ce != CPIO_OK)
        return FAIL("initramfs (%zu bytes) is not a valid newc archive: %s at offset %zu", size,
                    cpio_strerror(ce), where);
    ce = cpio_find(buf, size, name, &out->init);
    if (ce != CPIO_OK)
        return FAIL("initramfs: \"%s\": %s", name, cpio_strerror(ce));
    if (!cpio_is_regular(&out->init))
        return FAIL("initramfs: \"%s\" is not a regular file (mode %o)", name, out->init.mode);
    int hdr = -1;
    enum elf_err ee = elf_plan(out->init.data, out->init.size, NULL, &out->plan, &hdr);
    if (ee != ELF_OK)
        return FAIL("initramfs: \"%s\" (%zu bytes) is not a valid executable: %s (program "
                    "header %d)",
                    name, out->init.size, elf_strerror(ee), hdr);
    return NULL;
}

const char *initramfs_find(const struct bootmem *bm, const char *name, struct initramfs *out)
{
    if (bm->nmod == 0)
        return FAIL("no boot module: the initramfs must be loaded as one (QEMU -initrd, "
                    "GRUB module2)");
    const struct bootmem_module *m = &bm->mod[0];
    for (unsigned i = 0; i < bm->nmod; i++) {
        if (!strcmp(bm->mod[i].name, INITRAMFS_MODULE_NAME)) {
            m = &bm->mod[i];
            break;
        }
    }
    /* Read it only if it is where the kernel maps modules: one module region. */
    bool mapped = false;
    for (unsigned i = 0; i < bm->n; i++) {
        const struct bootmem_region *r = &bm->r[i];
        if (r->base <= m->base && m->size <= r->base + r->size - m->base)
            mapped = r->type == BOOTMEM_MODULE;
    }
    if (!mapped)
        return FAIL("initramfs module [%#llx, +%#llx) is not in module memory (not mapped)",
                    (unsigned long long)m->base, (unsigned long long)m->size);
    out->paddr = m->base;
    out->size = (size_t)m->size;
    out->base = phys_to_virt(m->base);
    return initramfs_check(out->base, out->size, name, out);
}
