/*
 * The initramfs: the boot module that carries init and the programs it starts
 * (a CPIO newc archive built by mk/user.mk). The kernel finds it among the boot
 * modules, checks the whole archive, finds "init" and checks its ELF load plan,
 * so that starting the root task (kernel/core/roottask.c) only has to follow the
 * plan. Nothing here allocates or changes state; every problem is a message.
 */
#ifndef WEFT_CORE_INITRAMFS_H
#define WEFT_CORE_INITRAMFS_H

#include "core/bootmem.h"
#include "lib/cpio.h"
#include "lib/elf.h"

#define INITRAMFS_MODULE_NAME "initramfs" /* preferred module name (GRUB's module2 line) */
#define INITRAMFS_INIT_NAME   "init"      /* the root task's file in the archive, unless */
#define INITRAMFS_NAME_MAX    32          /* the command line names another (init=NAME) */

struct initramfs {
    paddr_t paddr;          /* the archive's physical address, */
    const void *base;       /* its kernel (direct-map) address, */
    size_t size;            /* and its size in bytes */
    size_t nfiles;          /* entries before the trailer */
    struct cpio_entry init; /* init's entry: data points into the archive */
    struct elf_plan plan;   /* init's load plan (default user range, W^X) */
};

/* Checks the size bytes at buf as an initramfs: a valid archive holding a
 * regular file name (the root task: "init" unless the command line says
 * init=NAME) that is a valid static executable. Fills out->nfiles,
 * out->init and out->plan (nothing else). Returns NULL, or a message saying what
 * is wrong (in a static buffer, valid until the next call). */
const char *initramfs_check(const void *buf, size_t size, const char *name, struct initramfs *out);

/* Picks the initramfs among bm's modules: the one named INITRAMFS_MODULE_NAME,
 * else the first one (QEMU's -initrd gives no name), and checks it through the
 * direct map with initramfs_check. Returns NULL and fills *out, or a message
 * (also when there is no module at all). */
const char *initramfs_find(const struct bootmem *bm, const char *name, struct initramfs *out);

#endif
