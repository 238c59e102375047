/*
 * init: the root task. The kernel starts it with its bootinfo (weft/bootinfo.h)
 * in rdi. It checks the bootinfo, registers its IPC buffer with the runtime,
 * prints what it was given (untyped memory, the initramfs), and then starts
 * and supervises the programs of the boot configuration (sv.h;
 * docs/userspace.md, "init and the boot configuration"): the file boot.conf of
 * the initramfs, or the one "init.conf=NAME" names, with its run entries
 * replaced by "init.run=PROG,..." when given (a test boot, which halts once
 * those have ended). The in-guest suite and the benchmark launcher are a program
 * of their own, utest (user/utest/), which the kernel starts instead of init
 * when the command line says init=utest.
 */
#include <stdio.h>
#include <string.h>

#include "lib/cpio.h"
#include "sv.h"
#include "weft/bootinfo.h"
#include "wf/cmdline.h"
#include "wf/runtime.h"

static void print_memory(const struct wf_bootinfo *bi)
{
    unsigned long long ram = 0, dev = 0;
    printf("init: %llu untyped caps in slots %llu-%llu:\n", (unsigned long long)bi->untyped_count,
           (unsigned long long)bi->untyped_first,
           (unsigned long long)(bi->untyped_first + bi->untyped_count - 1));
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++) {
        const struct wf_bootinfo_untyped *u = &bi->untyped[i];
        unsigned long long size = 1ull << u->size_bits;
        printf("  slot %4llu  [%016llx-%016llx)  2^%-2u  %s\n",
               (unsigned long long)(bi->untyped_first + i), (unsigned long long)u->paddr,
               (unsigned long long)u->paddr + size, u->size_bits, u->device ? "device" : "RAM");
        if (u->device)
            dev += size;
        else
            ram += size;
    }
    printf("init: RAM %llu KiB, device %llu KiB; page %llu bytes, cluster %llu bytes; root CNode "
           "%llu slots, first free %llu\n",
           ram >> 10, dev >> 10, (unsigned long long)bi->page_size,
           (unsigned long long)bi->cluster_size, 1ull << bi->cnode_radix,
           (unsigned long long)bi->first_free_slot);
}

static void print_initramfs(const struct wf_bootinfo *bi)
{
    struct cpio_iter it;
    struct cpio_entry e;
    enum cpio_err err;
    printf("init: initramfs %llu bytes at %#llx:\n", (unsigned long long)bi->initramfs_size,
           (unsigned long long)bi->initramfs_vaddr);
    cpio_iter_init(&it, (const void *)(uintptr_t)bi->initramfs_vaddr, bi->initramfs_size);
    while ((err = cpio_next(&it, &e)) == CPIO_OK)
        printf("  %-24s %8zu bytes  mode %06o\n", e.name, e.size, e.mode);
    if (err != CPIO_END)
        printf("init: initramfs damaged at offset %zu: %s\n", it.off, cpio_strerror(err));
}

int main(uintptr_t arg)
{
    const struct wf_bootinfo *bi = (const struct wf_bootinfo *)arg;
    if (!bi || bi->magic != WF_BOOTINFO_MAGIC) {
        printf("init: no bootinfo (rdi %#llx)\n", (unsigned long long)arg);
        return 2;
    }
    wf_set_ipc_buffer((struct wf_ipc_buffer *)(uintptr_t)bi->ipc_buffer);
    printf("init: Weft root task, command line \"%s\"\n", bi->cmdline);
    print_memory(bi);
    if (bi->initramfs_size)
        print_initramfs(bi);

    static char conf[64], run[WF_BOOTINFO_CMDLINE];
    if (!wf_cmdline_get(bi->cmdline, "init.conf", conf, sizeof(conf)) || !conf[0])
        memcpy(conf, "boot.conf", sizeof("boot.conf"));
    const char *run_list = wf_cmdline_get(bi->cmdline, "init.run", run, sizeof(run));
    return sv_run(bi, conf, run_list);
}
