/*
 * libFuzzer target: the ext2 library (user/lib/fs/) over arbitrary images. It mounts
 * the image read-only and walks the whole tree (stat, readdir, lookup of every name
 * found, reads at several offsets, readlink), then mounts a copy read-write and makes
 * a few changes (create, write, truncate, mkdir, link, rename, unlink, rmdir) and walks
 * again. Properties: no crash, no read or write outside the image or the library's
 * buffers (ASan), no undefined behaviour (UBSan), no hang (libFuzzer's -timeout), every
 * allocation given back at unmount, every string returned NUL-terminated at its length.
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

#include "ext2.h"

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
    free(d.b);
    return 0;
}
