/*
 * ext2 in the file server end to end (docs/storage.md, "ext2 in the file server",
 * "The block client"): the vblk driver and the file server as child processes,
 * the test acting as init. A small ext2 image (ext2_image.h) is written over the
 * start of the check-user disk through the test's own vblk client, the server
 * mounts it with file.MountDevice (ext2fs over its block client: DMA buffer,
 * cache, Flush), and through the file protocol: every root entry stats as the
 * ext2 library reads it in memory, a new file is written and synced, a file is
 * unlinked while open and read through its handle, attributes set (mode,
 * owner, mtime) and Statfs of the mount, Unmount. Then the test reads
 * the disk back and mounts it with the library: the new file's bytes are there,
 * its attributes are in the inode, the unlinked file is gone with no orphan
 * left and the free inode count is one
 * less. The disk's pattern is written back at the end (the vblk tests read it).
 * Without a disk in the boot the test is skipped.
 */
#include <string.h>

#include "../lib/fs/ext2.h"
#include "../vblk/blk.h"
#include "ext2_image.h"
#include "fstest.h"
#include "tarch.h"
#include "tvirtio.h"
#include "weft/invoke.h"
#include "wf/pci.h"
#include "wf/proto/block.h"
#include "wf/proto/file.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"

#define VBLK_POOL (4u << 20) /* its bounce buffers (decision 120) */
#define IMG       EXT2_IMAGE_BYTES
#define SECTORS   (IMG / 512)

static uint8_t image[IMG], saved[IMG];

static struct pci_access acc;

/* The disk's function (BARs sized); skips the test when the boot has none. */
static bool find_disk(struct pci_func *f)
{
    static struct pci_func all[64];
    size_t n = 0;
    NEED(tv_pci_scan(test_slot(0), &acc, all, 64, &n, false));
    for (size_t i = 0; i < n; i++)
        if (all[i].vendor == VIRTIO_BLK_PCI_VENDOR && all[i].device == VIRTIO_BLK_PCI_MODERN) {
            *f = all[i];
            return true;
        }
    test_skip_now("no virtio-blk-pci disk in this boot (check-user adds one)");
}

static wf_cptr_t mint(wf_cptr_t ep, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c = e ? wf_env_slot(e) : 0;
    if (!c || wf_cnode_mint(WF_ROOT_CNODE, c, 64, WF_ROOT_CNODE, ep, 64, WF_RIGHTS_ALL, badge))
        return 0;
    return c;
}

/* The image in memory as a block device for the library. */
static int mem_read(void *ctx, uint64_t blk, void *buf)
{
    if (blk >= IMG / 1024)
        return -1;
    memcpy(buf, (uint8_t *)ctx + blk * 1024, 1024);
    return 0;
}

static void *e_alloc(void *ctx, size_t n)
{
    static uint8_t heap[64 * 1024];
    static size_t used;
    (void)ctx;
    if (used + n > sizeof(heap))
        return NULL;
    used += (n + 15) & ~(size_t)15;
    return heap + used - ((n + 15) & ~(size_t)15);
}

static void e_free(void *ctx, void *p, size_t n)
{
    (void)ctx, (void)p, (void)n; /* a bump allocator: two mounts fit */
}

static const struct ext2_env env = {NULL, e_alloc, e_free, NULL};

static const char written[] = "written through the block client and its cache";

TEST(ext2fs, mount_device_end_to_end)
{
    struct tv_drv d;
    TEST_ASSERT(find_disk(&d.f));
    TEST_ASSERT(tv_start_driver(&d, "vblk", VBLK_POOL));
    wf_cptr_t blk = mint(d.ep, 1);
    struct wf_spawn_env *e = test_env();
    TEST_ASSERT(blk && e);
    wf_cptr_t v = wf_env_slot(e);
    TEST_ASSERT_ERR(wf_pool_create_contig(e->pool, IMG, WF_ROOT_CNODE, v, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, IMG, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    uint8_t *buf = (uint8_t *)TEST_VA;
    TEST_ASSERT_ERR(wfp_block_set_buffer(blk, v, 0), WF_ERR_OK);

    /* The image over the disk's first 64 KiB (what was there kept). */
    TEST_ASSERT_ERR(wfp_block_read(blk, 0, SECTORS, 0), WF_ERR_OK);
    memcpy(saved, buf, IMG);
    memset(image, 0, IMG);
    for (size_t i = 0; i + 3 <= sizeof(ext2_image_patches);) {
        size_t off = ext2_image_patches[i] | ext2_image_patches[i + 1] << 8;
        size_t len = ext2_image_patches[i + 2];
        i += 3;
        TEST_ASSERT(i + len <= sizeof(ext2_image_patches) && off + len <= IMG);
        memcpy(image + off, ext2_image_patches + i, len);
        i += len;
    }
    memcpy(buf, image, IMG);
    TEST_ASSERT_ERR(wfp_block_write(blk, 0, SECTORS, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_flush(blk), WF_ERR_OK);

    /* What the library reads in memory. */
    struct ext2_blockdev mdev = {image, mem_read, NULL, 1024, IMG / 1024};
    struct ext2_fs mfs;
    TEST_ASSERT_EQ(ext2_mount(&mfs, &mdev, &env, EXT2_MOUNT_RDONLY), EXT2_OK);
    struct ext2_statfs before;
    ext2_statfs(&mfs, &before);

    /* The server mounts the disk: MountDevice sends it a cap to the driver. */
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1), dev = mint(d.ep, 2);
    TEST_ASSERT(c && dev);
    const wf_cptr_t h = test_slot(10), held = test_slot(11);
    wf_word_t status = 0;
    TEST_ASSERT_ERR(wfp_file_mkdir(c, 0755, "/mnt", 4, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_ERR(wfp_file_mount_device(c, WFP_FILE_MOUNT_EXT2, 0, "/mnt", 4, dev, &status),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);

    /* Every root entry as the library sees it. */
    uint64_t pos = 0;
    bool end = false;
    struct ext2_dirent de;
    int entries = 0;
    while (ext2_readdir(&mfs, EXT2_ROOT_INO, &pos, &de, &end) == EXT2_OK && !end) {
        if (!strcmp(de.name, ".") || !strcmp(de.name, ".."))
            continue;
        struct ext2_stat st;
        TEST_ASSERT_EQ(ext2_stat(&mfs, de.ino, &st), EXT2_OK);
        char path[300] = "/mnt/";
        memcpy(path + 5, de.name, (size_t)de.name_len + 1);
        wf_word_t type, mode, size, links, ino, t;
        TEST_ASSERT_ERR(wfp_file_stat_path(c, 1, path, strlen(path), &status, &type, &mode, &size,
                                           &links, &ino, &t, &t, &t),
                        WF_ERR_OK);
        TEST_ASSERT(status == 0 && size == st.size && links == st.links,
                    "%s: status %lu size %lu links %lu", path, (unsigned long)status,
                    (unsigned long)size, (unsigned long)links);
        entries++;
    }
    TEST_ASSERT(entries >= 3, "%d entries", entries);

    /* A new file, synced; a file unlinked while open. */
    enum { RW = WFP_FILE_O_READ | WFP_FILE_O_WRITE, CR = RW | WFP_FILE_O_CREATE };
    TEST_ASSERT_EQ(fs_open(c, "/mnt/new", CR, h), 0);
    TEST_ASSERT_EQ(fs_write(h, 0, written), 0);
    TEST_ASSERT_ERR(wfp_file_fsync(h, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_EQ(fs_res(wfp_file_close(h, &status), status), 0);
    /* Mapped shared and writable through the page cache: a store is what Read
     * returns and reaches the disk (checked below); DropCaches gives the cache's
     * memory back. */
    const wf_cptr_t vs = test_slot(12);
    const wf_word_t va = TEST_VA + (1ull << 30);
    wf_word_t vsize = 0, used = 0, after_drop = 0, freed = 0;
    TEST_ASSERT_EQ(fs_open(c, "/mnt/new", RW, h), 0);
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
    TEST_ASSERT_ERR(
        wfp_file_map(h, 0, 4096, WFP_FILE_MAP_WRITE, &status, &vsize, WF_ROOT_CNODE, vs, 64),
        WF_ERR_OK);
    TEST_ASSERT(status == 0 && vsize == 4096);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vs, va, 0, 4096, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    TEST_ASSERT(memcmp((const char *)va, written, sizeof(written) - 1) == 0);
    memcpy((char *)va, "MAPPED", 6);
    char got[64];
    wf_word_t n = 0;
    TEST_ASSERT_ERR(wfp_file_read(h, 0, 8, &status, got, sizeof(got), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 8 && !memcmp(got, "MAPPEDn ", 8));
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, va, 4096), WF_ERR_OK);
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
    TEST_ASSERT_EQ(fs_res(wfp_file_close(h, &status), status), 0);
    TEST_ASSERT_EQ(fs_open(c, "/mnt/new", WFP_FILE_O_READ, h), 0);
    TEST_ASSERT_ERR(wfp_file_read(h, 0, 8, &status, got, sizeof(got), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 8 && !memcmp(got, "MAPPEDn ", 8));
    TEST_ASSERT_EQ(fs_res(wfp_file_close(h, &status), status), 0);
    TEST_ASSERT_ERR(wf_pool_info(s.pool, &used, NULL, NULL, NULL), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_drop_caches(c, &status, &freed), WF_ERR_OK);
    TEST_ASSERT(status == 0 && freed >= 4096, "status %lu, %lu bytes dropped",
                (unsigned long)status, (unsigned long)freed);
    TEST_ASSERT_ERR(wf_pool_info(s.pool, &after_drop, NULL, NULL, NULL), WF_ERR_OK);
    TEST_ASSERT(after_drop < used, "pool usage %lu before the drop, %lu after", (unsigned long)used,
                (unsigned long)after_drop);

    /* Attributes into the inode (decision 139); Statfs of the mount by path. */
    TEST_ASSERT_ERR(
        wfp_file_set_attr_path(
            c, 0, WFP_FILE_SET_MODE | WFP_FILE_SET_UID | WFP_FILE_SET_GID | WFP_FILE_SET_MTIME,
            02750, 70000, 600, 0, 1234567890ull * 1000000000ull, "/mnt/new", 8, &status),
        WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    wf_word_t tb, fb, ti, fi, bs = 0, nm, fl = 9, kind = 0;
    TEST_ASSERT_ERR(
        wfp_file_statfs(c, "/mnt/new", 8, &status, &tb, &fb, &ti, &fi, &bs, &nm, &fl, &kind),
        WF_ERR_OK);
    TEST_ASSERT(status == 0 && kind == WFP_FILE_MOUNT_EXT2 && bs == 1024 && fl == 0 &&
                    ti == before.inodes,
                "kind %lu bsize %lu", (unsigned long)kind, (unsigned long)bs);

    TEST_ASSERT_EQ(fs_open(c, "/mnt/held", CR, held), 0);
    TEST_ASSERT_EQ(fs_write(held, 0, "kept until the close"), 0);
    TEST_ASSERT_EQ(fs_path1(wfp_file_unlink, c, "/mnt/held"), 0);
    TEST_ASSERT_ERR(wfp_file_read(held, 0, 64, &status, got, sizeof(got), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 20 && !memcmp(got, "kept until the close", 20));
    TEST_ASSERT_EQ(fs_res(wfp_file_unmount(c, "/mnt", 4, &status), status), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(fs_res(wfp_file_close(held, &status), status), 0);
    TEST_ASSERT_EQ(fs_res(wfp_file_unmount(c, "/mnt", 4, &status), status), 0);

    /* The disk now: the library finds the new file, no orphan, one inode less. */
    TEST_ASSERT_ERR(wfp_block_read(blk, 0, SECTORS, 0), WF_ERR_OK);
    memcpy(image, buf, IMG);
    TEST_ASSERT_EQ(ext2_mount(&mfs, &mdev, &env, EXT2_MOUNT_RDONLY), EXT2_OK);
    uint32_t ino;
    size_t len = 0;
    TEST_ASSERT_EQ(ext2_lookup(&mfs, "/new", &ino), EXT2_OK);
    TEST_ASSERT_EQ(ext2_read(&mfs, ino, 0, got, sizeof(got), &len), EXT2_OK);
    TEST_ASSERT(len == sizeof(written) - 1 && !memcmp(got, "MAPPED", 6) &&
                !memcmp(got + 6, written + 6, len - 6));
    struct ext2_stat nst;
    TEST_ASSERT_EQ(ext2_stat(&mfs, ino, &nst), EXT2_OK);
    TEST_ASSERT((nst.mode & 07777) == 02750 && nst.uid == 70000 && nst.gid == 600 &&
                    nst.mtime == 1234567890u,
                "mode %o owner %u:%u mtime %u", nst.mode, nst.uid, nst.gid, (unsigned)nst.mtime);
    TEST_ASSERT_EQ(ext2_lookup(&mfs, "/held", &ino), EXT2_ENOENT);
    TEST_ASSERT(!(image[1024 + 232] | image[1025 + 232] | image[1026 + 232] | image[1027 + 232]),
                "an orphan left");
    struct ext2_statfs after;
    ext2_statfs(&mfs, &after);
    TEST_ASSERT_EQ(after.free_inodes, before.free_inodes - 1);

    /* The pattern back for the vblk tests. */
    memcpy(buf, saved, IMG);
    TEST_ASSERT_ERR(wfp_block_write(blk, 0, SECTORS, 0), WF_ERR_OK);
    tv_stop_driver(&d, &acc);
}
