/*
 * Self-tests of the initramfs on the real boot: the module QEMU (-initrd) or
 * GRUB (module2) loaded is found, lies in BOOTMEM_MODULE memory, is a valid
 * archive whose init and every other program have valid load plans; damaged
 * archives are reported with a message, never a panic.
 */
#include "core/boot.h"
#include "core/initramfs.h"
#include "kprintf.h"
#include "ktest.h"
#include "lib/string.h"

static struct initramfs ird;

static bool contains(const char *s, const char *part)
{
    size_t n = strlen(part);
    for (; s && *s; s++)
        if (!strncmp(s, part, n))
            return true;
    return false;
}

KTEST(initramfs, boot_module_found_and_valid)
{
    const char *err = initramfs_find(&boot_memory, INITRAMFS_INIT_NAME, &ird);
    KT_ASSERT(!err, "%s", err);
    KT_ASSERT(ird.nfiles >= 2, "%zu files", ird.nfiles);
    KT_ASSERT(ird.plan.nseg >= 2, "init has %u segments", ird.plan.nseg);
    KT_ASSERT(ird.plan.lo >= ELF_USER_MIN && ird.plan.hi <= ELF_USER_END);
    KT_ASSERT_EQ(ird.plan.wx, 0);
    /* The module's bytes are boot memory of type "module", never free RAM. */
    bool covered = false;
    for (unsigned i = 0; i < boot_memory.n; i++) {
        const struct bootmem_region *r = &boot_memory.r[i];
        if (r->base <= ird.paddr && ird.paddr + ird.size <= r->base + r->size)
            covered = r->type == BOOTMEM_MODULE;
    }
    KT_ASSERT(covered, "initramfs [%#llx, +%#zx) is not in a module region",
              (unsigned long long)ird.paddr, ird.size);
}

KTEST(initramfs, every_program_has_a_valid_plan)
{
    const char *err = initramfs_find(&boot_memory, INITRAMFS_INIT_NAME, &ird);
    KT_ASSERT(!err, "%s", err);
    struct cpio_iter it;
    struct cpio_entry e;
    static struct elf_plan plan;
    unsigned programs = 0;
    cpio_iter_init(&it, ird.base, ird.size);
    while (cpio_next(&it, &e) == CPIO_OK) {
        if (!cpio_is_regular(&e) || !(e.mode & 0111)) /* programs are executable; data */
            continue;                                 /* files (boot.conf) are not */
        int where = 0;
        enum elf_err ee = elf_plan(e.data, e.size, NULL, &plan, &where);
        KT_ASSERT(ee == ELF_OK, "%s: %s (header %d)", e.name, elf_strerror(ee), where);
        programs++;
    }
    KT_ASSERT(programs >= 2, "%u programs", programs);
}

/* A one-file archive "init" with the given data, built in buf. Returns its size. */
static size_t one_file_archive(char *buf, size_t n, const char *data)
{
    size_t dlen = strlen(data);
    int len = ksnprintf(buf, n, "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08x%08x", 1,
                        0100755, 0, 0, 1, 0, dlen, 0, 0, 0, 0, 5, 0);
    size_t off = (size_t)len;
    memcpy(buf + off, "init\0", 6); /* name, NUL and padding to 116 */
    off = 116;
    memcpy(buf + off, data, dlen);
    off += dlen;
    while (off & 3)
        buf[off++] = 0;
    len =
        ksnprintf(buf + off, n - off, "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
                  0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0);
    off += (size_t)len;
    memcpy(buf + off, "TRAILER!!!\0\0\0", 14); /* name, NUL, padding */
    return off + 14;
}

KTEST(initramfs, damage_is_reported)
{
    static char buf[512];
    static struct initramfs r;
    memset(buf, 'z', sizeof(buf));
    const char *err = initramfs_check(buf, sizeof(buf), INITRAMFS_INIT_NAME, &r);
    KT_ASSERT(contains(err, "not a valid newc archive"), "%s", err ? err : "(accepted)");
    size_t n = one_file_archive(buf, sizeof(buf), "not an ELF file");
    err = initramfs_check(buf, n, INITRAMFS_INIT_NAME, &r);
    KT_ASSERT(contains(err, "not a valid executable"), "%s", err ? err : "(accepted)");
    /* The same archive cut short. */
    err = initramfs_check(buf, n - 1, INITRAMFS_INIT_NAME, &r);
    KT_ASSERT(contains(err, "not a valid newc archive"), "%s", err ? err : "(accepted)");
    /* No module at all; a module in memory the kernel does not map as one. */
    static struct bootmem bm;
    bootmem_init(&bm);
    err = initramfs_find(&bm, INITRAMFS_INIT_NAME, &r);
    KT_ASSERT(contains(err, "no boot module"), "%s", err ? err : "(accepted)");
    bootmem_set(&bm, 0, MIB(1), BOOTMEM_RESERVED);
    bm.mod[0] = (struct bootmem_module){0x46000, 0x1000, "initramfs"};
    bm.nmod = 1;
    err = initramfs_find(&bm, INITRAMFS_INIT_NAME, &r);
    KT_ASSERT(contains(err, "not in module memory"), "%s", err ? err : "(accepted)");
}
