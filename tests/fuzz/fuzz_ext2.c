/*
 * libFuzzer target: the ext2 library (user/lib/fs/) over arbitrary images. It mounts
 * the image read-only and walks the whole tree (stat, readdir, lookup of every name
 * found, reads at several offsets, readlink), then mounts a copy read-write and makes
 * a few changes (create, write, truncate, mkdir, link, rename, unlink, rmdir) and walks
 * again. Properties: no crash, no read or write outside the image or the library's
 * buffers (ASan), no undefined behaviour (UBSan), no hang (libFuzzer's -timeout), every
 * allocation given back at unmount, every string returned NUL-terminated at its length.
 * Then the same image goes through the file server's backends (user/fs/): ext2fs
 * over the block client's cache of five blocks (user/lib/fs/bcache.c: evictions all
 * the time) (mount frees the orphan list, whatever it holds; a walk through the vfs
 * operations; changes, with a file unlinked while held), and the overlay with the image read-only
 * under a writable copy of itself (lookups and readdir merging two arbitrary trees,
 * whiteouts and opaque markers the image may hold, copy-ups): every reference given
 * back, the lower image never written.
 *
 * The input's first byte picks how it becomes an image of 1 KiB blocks:
 *   0: the rest is the image itself (zero-padded to a whole block);
 *   1: the rest is patches over a 64 KiB image of zeros, each a 16-bit little-endian
 *      offset, a length byte and that many bytes. mke2fs makes nothing smaller than
 *      64 blocks, and a small file system is mostly zeros: its patches fit in a few
 *      KiB, where the fuzzer's inputs are kept (tests/fuzz/seeds-ext2/).
 *
 * The seeds: small-tree-patches is, as patches, a 64-block image made by
 * `mke2fs -t ext2 -b 1024 -N 32 -I 128 -m 0 -d FOLDER` from a folder holding a small
 * file, a hard link to it, a fast and a slow symlink, a sparse file and a subdirectory
 * with a file, its lost+found removed by `debugfs -w -R "rmdir lost+found"`;
 * raw-head is the same image's first 4 KiB, raw. nul-in-link-target and nul-in-name
 * are two of the fuzzer's finds (a NUL inside a symlink's target and inside an entry's
 * name, both corrupt now), kept so that they stay fixed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bcache.h"
#include "ext2.h"
#include "ext2fs.h"
#include "overlay.h"

#define BS        1024
#define PATCH_IMG (64 * 1024)

struct dev {
    uint8_t *b;
    size_t size;
};

static int dev_read(void *ctx, uint64_t blk, void *buf)
{
    struct dev *d = ctx;
    if (blk >= d->size / BS)
        abort(); /* the library checks block numbers against the device first */
    memcpy(buf, d->b + blk * BS, BS);
    return 0;
}

static int dev_write(void *ctx, uint64_t blk, const void *buf)
{
    struct dev *d = ctx;
    if (blk >= d->size / BS)
        abort();
    memcpy(d->b + blk * BS, buf, BS);
    return 0;
}

static long allocs;

static void *env_alloc(void *ctx, size_t size)
{
    if (size > (16u << 20))
        abort(); /* nothing a 64 KiB image holds needs this much */
    allocs++;
    return malloc(size);
}

static void env_free(void *ctx, void *p, size_t size)
{
    allocs--;
    free(p);
}

static const struct ext2_env env = {NULL, env_alloc, env_free, NULL};

static int nodes;
static uint8_t scratch[8192];

static void walk(struct ext2_fs *fs, uint32_t dir, int depth)
{
    uint64_t pos = 0;
    bool end = false;
    struct ext2_dirent e;
    for (int n = 0; n < 300 && nodes < 400; n++) {
        if (ext2_readdir(fs, dir, &pos, &e, &end) || end)
            return;
        if (strlen(e.name) != e.name_len)
            abort();
        nodes++;
        uint32_t ino;
        if (ext2_lookup_at(fs, dir, e.name, e.name_len, &ino) == EXT2_OK && ino == 0)
            abort();
        struct ext2_stat st;
        if (ext2_stat(fs, e.ino, &st))
            continue;
        size_t got, len;
        ext2_read(fs, e.ino, 0, scratch, sizeof(scratch), &got);
        if (got > sizeof(scratch))
            abort();
        ext2_read(fs, e.ino, st.size > 100 ? st.size - 100 : 0, scratch, 4000, &got);
        ext2_read(fs, e.ino, (uint64_t)1 << 40, scratch, 10, &got);
        char link[BS + 1];
        if (ext2_readlink(fs, e.ino, link, sizeof(link), &len) == EXT2_OK &&
            (len >= sizeof(link) || link[len] || strlen(link) != len))
            abort();
        bool dots = !strcmp(e.name, ".") || !strcmp(e.name, "..");
        if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR && !dots && depth < 8)
            walk(fs, e.ino, depth + 1);
    }
}

static void walk_all(struct ext2_fs *fs)
{
    uint32_t ino;
    nodes = 0;
    ext2_lookup(fs, "/a/b/../c/./d", &ino);
    walk(fs, EXT2_ROOT_INO, 0);
}

static void change(struct ext2_fs *fs)
{
    uint32_t f, d, s;
    size_t w;
    static const uint8_t data[3000] = {1, 2, 3};
    if (ext2_create(fs, EXT2_ROOT_INO, "fz", 0644, 1, 2, &f) == EXT2_OK) {
        ext2_write(fs, f, 5000, data, sizeof(data), &w);
        ext2_write(fs, f, 300 * 1024, data, 10, &w);
        ext2_truncate(fs, f, 6000);
        ext2_link(fs, EXT2_ROOT_INO, "fz2", f);
    }
    if (ext2_mkdir(fs, EXT2_ROOT_INO, "dz", 0755, 0, 0, &d) == EXT2_OK) {
        ext2_rename(fs, EXT2_ROOT_INO, "fz", d, "moved");
        ext2_symlink(fs, d, "sl", "a-target-that-is-longer-than-sixty-bytes-so-it-takes-a-block", 0,
                     0, &s);
        ext2_rename(fs, EXT2_ROOT_INO, "dz", EXT2_ROOT_INO, "dz2");
    }
    /* On whatever the image held. */
    uint64_t pos = 0;
    bool end = false;
    struct ext2_dirent e;
    for (int n = 0; n < 6 && !ext2_readdir(fs, EXT2_ROOT_INO, &pos, &e, &end) && !end; n++) {
        ext2_write(fs, e.ino, 100, data, 200, &w);
        ext2_truncate(fs, e.ino, 10);
        if (n % 2)
            ext2_rename(fs, EXT2_ROOT_INO, e.name, EXT2_ROOT_INO, "renamed");
        else if (ext2_unlink(fs, EXT2_ROOT_INO, e.name))
            ext2_rmdir(fs, EXT2_ROOT_INO, e.name);
    }
}

/* The same through the backends: ext2fs (user/fs/ext2fs.c) and the overlay. */
static uint64_t v_now(void *ctx)
{
    return 0;
}

static const struct vfs_env venv = {NULL, env_alloc, env_free, v_now, NULL, NULL};

static void vwalk(const struct vfs_ops *ops, void *fs, vfs_node dir, int depth)
{
    uint64_t cookie = 0;
    struct vfs_dirent e;
    for (int n = 0; n < 300 && nodes < 400; n++) {
        if (ops->readdir(fs, dir, &cookie, &e) || !e.name_len)
            return;
        if (e.name_len > VFS_NAME_MAX)
            abort();
        nodes++;
        vfs_node c;
        if (ops->lookup(fs, dir, e.name, e.name_len, &c))
            continue;
        struct vfs_attr a;
        if (!ops->getattr(fs, c, &a)) {
            long r = ops->read(fs, c, 0, scratch, sizeof(scratch));
            if (r > (long)sizeof(scratch))
                abort();
            ops->read(fs, c, a.size > 100 ? a.size - 100 : 0, scratch, 4000);
            r = ops->readlink(fs, c, (char *)scratch, VFS_PATH_MAX);
            if (a.type == VFS_T_DIR && depth < 6)
                vwalk(ops, fs, c, depth + 1);
        }
        ops->put(fs, c);
    }
}

static void vwalk_all(const struct vfs_ops *ops, void *fs)
{
    vfs_node root;
    nodes = 0;
    if (ops->root(fs, &root))
        abort();
    vwalk(ops, fs, root, 0);
    ops->put(fs, root);
}

static void vchange(const struct vfs_ops *ops, void *fs)
{
    static const uint8_t data[3000] = {4, 5, 6};
    vfs_node root, f, d, l;
    if (ops->root(fs, &root))
        abort();
    if (!ops->create(fs, root, "vf", 2, 0644, &f)) {
        ops->write(fs, f, 100, data, sizeof(data));
        ops->link(fs, f, root, "vf2", 3);
        ops->unlink(fs, root, "vf", 2);
        ops->unlink(fs, root, "vf2", 3); /* held: an orphan until the put */
        ops->write(fs, f, 0, data, 10);
        ops->put(fs, f);
    }
    if (!ops->mkdir(fs, root, "vd", 2, 0755, &d)) {
        if (!ops->symlink(fs, d, "s", 1, "target", 6, &l))
            ops->put(fs, l);
        ops->rename(fs, root, "vd", 2, root, "vd2", 3);
        ops->put(fs, d);
    }
    /* On whatever the image held: changes (copy-ups in an overlay) of small files,
     * removals, renames. */
    uint64_t cookie = 0;
    struct vfs_dirent e;
    for (int n = 0; n < 6 && !ops->readdir(fs, root, &cookie, &e) && e.name_len; n++) {
        vfs_node c;
        struct vfs_attr a = {.mode = 0600, .size = 10};
        char name[VFS_NAME_MAX];
        size_t len = e.name_len;
        memcpy(name, e.name, len);
        if (!ops->lookup(fs, root, name, len, &c)) {
            if (!ops->getattr(fs, c, &a) && a.size <= 65536) {
                ops->write(fs, c, 100, data, 200);
                a.size = 10;
                ops->setattr(fs, c, VFS_SET_SIZE | VFS_SET_MODE, &a);
            }
            if (n % 3 == 0)
                ops->rename(fs, root, name, len, root, "renamed", 7);
            else if (ops->unlink(fs, root, name, len))
                ops->rmdir(fs, root, name, len);
            ops->read(fs, c, 0, scratch, 100);
            ops->put(fs, c);
        }
    }
    ops->fsync(fs, 0);
    struct vfs_statfs st;
    ops->statfs(fs, &st);
    ops->put(fs, root);
}

static int cache_sync(void *ctx)
{
    return bcache_flush(ctx);
}

static void backends(const uint8_t *orig, size_t size)
{
    struct dev a = {malloc(size), size}, b = {malloc(size), size};
    memcpy(a.b, orig, size);
    memcpy(b.b, orig, size);
    struct ext2_blockdev da = {&a, dev_read, dev_write, BS, size / BS};
    struct ext2_blockdev db = {&b, dev_read, dev_write, BS, size / BS};
    void *fs, *lfs, *ufs;
    /* Through the block client's cache, small enough to evict all the time. */
    static uint8_t cmem[5 * BS];
    struct bcache c;
    if (bcache_init(&c, &da, &env, cmem, 5))
        abort();
    struct ext2_blockdev dc = bcache_dev(&c);
    if (!ext2fs_mount_dev(&venv, &dc, cache_sync, NULL, &c, 0, &fs)) {
        vchange(&ext2fs_ops, fs);
        vwalk_all(&ext2fs_ops, fs);
        if (ext2fs_held(fs))
            abort();
        ext2fs_ops.unmount(fs);
    }
    if (bcache_flush(&c))
        abort(); /* the device never fails here */
    bcache_fini(&c);
    if (allocs)
        abort();
    /* The overlay: the image read-only under a writable copy of itself. */
    memcpy(a.b, orig, size);
    if (!ext2fs_mount_dev(&venv, &da, NULL, NULL, NULL, EXT2FS_RDONLY, &lfs)) {
        if (!ext2fs_mount_dev(&venv, &db, NULL, NULL, NULL, 0, &ufs)) {
            if (!overlay_mount(&venv, &ext2fs_ops, lfs, &ext2fs_ops, ufs, &fs)) {
                vwalk_all(&overlay_ops, fs);
                vchange(&overlay_ops, fs);
                vwalk_all(&overlay_ops, fs);
                overlay_ops.unmount(fs);
            } else {
                ext2fs_ops.unmount(ufs);
                ext2fs_ops.unmount(lfs);
            }
        } else {
            ext2fs_ops.unmount(lfs);
        }
        if (memcmp(a.b, orig, size))
            abort(); /* the lower layer is never written */
    }
    if (allocs)
        abort();
    free(a.b);
    free(b.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct dev d;
    if (data[0] == 0) {
        d.size = (size - 1 + BS - 1) / BS * BS;
        d.b = calloc(1, d.size + 1);
        memcpy(d.b, data + 1, size - 1);
    } else if (data[0] == 1) {
        d.size = PATCH_IMG;
        d.b = calloc(1, d.size);
        for (size_t i = 1; i + 3 <= size;) {
            size_t off = data[i] | data[i + 1] << 8, len = data[i + 2];
            i += 3;
            if (len > size - i)
                len = size - i;
            if (off + len > d.size)
                len = d.size - off;
            memcpy(d.b + off, data + i, len);
            i += len;
        }
    } else {
        return 0;
    }
    uint8_t *orig = malloc(d.size);
    memcpy(orig, d.b, d.size);
    struct ext2_blockdev dev = {&d, dev_read, dev_write, BS, d.size / BS};
    struct ext2_fs fs;
    if (ext2_mount(&fs, &dev, &env, EXT2_MOUNT_RDONLY) == EXT2_OK) {
        walk_all(&fs);
        ext2_unmount(&fs);
    }
    if (allocs)
        abort();
    if (ext2_mount(&fs, &dev, &env, 0) == EXT2_OK) {
        change(&fs);
        walk_all(&fs);
        ext2_unmount(&fs);
    }
    if (allocs)
        abort();
    backends(orig, d.size);
    free(orig);
    free(d.b);
    return 0;
}
