/*
 * The ext2 library's reading half (user/lib/fs/ext2.c) against images made by Debian's
 * mke2fs -d from a folder built here, with 1 KiB and 4 KiB blocks and several device
 * block sizes: every file, directory and link read back through the library equals the
 * folder (stat fields, contents at many offsets, holes, directory entries, link
 * targets). Then mount's checks, each on an image with one field broken.
 */
#include <dirent.h>

#include "ext2_util.h"

static char tree[128];

static void tree_setup(void)
{
    snprintf(tree, sizeof(tree), "/tmp/weft-ext2-tree-%d", getpid());
    make_tree(tree);
}

static void tree_teardown(void)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tree);
    (void)system(cmd);
}

static uint32_t lookup(struct ext2_fs *fs, const char *path)
{
    uint32_t ino = 0;
    enum ext2_err err = ext2_lookup(fs, path, &ino);
    cr_assert_eq(err, EXT2_OK, "lookup %s: %s", path, ext2_strerror(err));
    return ino;
}

static void compare_file(struct ext2_fs *fs, uint32_t ino, const char *host, size_t size)
{
    uint8_t *want = malloc(size + 1), *got = malloc(size + 8192);
    FILE *f = fopen(host, "rb");
    cr_assert(f);
    cr_assert_eq(fread(want, 1, size, f), size);
    fclose(f);
    /* The whole file in odd-sized pieces, then reads at random offsets and lengths. */
    size_t pos = 0, n;
    while (pos < size + 100) {
        cr_assert_eq(ext2_read(fs, ino, pos, got + pos, 777, &n), EXT2_OK);
        if (!n)
            break;
        pos += n;
    }
    cr_assert_eq(pos, size, "%s: read %zu bytes, want %zu", host, pos, size);
    cr_assert(!memcmp(got, want, size), "%s: contents differ", host);
    for (int i = 0; i < 20 && size; i++) {
        uint64_t off = (uint64_t)rand() % (size + 10), len = (uint64_t)rand() % 6000;
        cr_assert_eq(ext2_read(fs, ino, off, got, len, &n), EXT2_OK);
        size_t want_n = off >= size ? 0 : (size - off < len ? size - off : len);
        cr_assert_eq(n, want_n, "%s: at %llu", host, (unsigned long long)off);
        cr_assert(!n || !memcmp(got, want + off, n), "%s: differs at %llu", host,
                  (unsigned long long)off);
    }
    free(want);
    free(got);
}

/* Compares path (relative to tree) and everything below it with the image. */
static void compare(struct ext2_fs *fs, const char *rel, uint32_t parent)
{
    char host[1024];
    struct stat hs;
    snprintf(host, sizeof(host), "%s/%s", tree, rel);
    cr_assert_eq(lstat(host, &hs), 0);
    uint32_t ino = lookup(fs, rel);
    struct ext2_stat st;
    cr_assert_eq(ext2_stat(fs, ino, &st), EXT2_OK);
    cr_assert_eq(st.ino, ino);
    cr_assert_eq(st.mode, hs.st_mode, "%s: mode %o, want %o", rel, st.mode, hs.st_mode);
    cr_assert_eq(st.uid, hs.st_uid, "%s", rel);
    cr_assert_eq(st.gid, hs.st_gid, "%s", rel);
    /* mke2fs stamps the root with its own clock; the rest keep the folder's times. */
    if (*rel)
        cr_assert_eq(st.mtime, (uint32_t)hs.st_mtime, "%s: mtime %u, want %u", rel, st.mtime,
                     (uint32_t)hs.st_mtime);
    if (*rel)
        cr_assert_eq(st.links, hs.st_nlink, "%s: links %u, want %lu", rel, st.links,
                     (unsigned long)hs.st_nlink);
    if (S_ISREG(hs.st_mode)) {
        cr_assert_eq(st.size, (uint64_t)hs.st_size, "%s", rel);
        compare_file(fs, ino, host, (size_t)hs.st_size);
    } else if (S_ISLNK(hs.st_mode)) {
        char want[512], got[512];
        ssize_t n = readlink(host, want, sizeof(want));
        size_t len;
        cr_assert(n > 0);
        cr_assert_eq(st.size, (uint64_t)n);
        cr_assert_eq(ext2_readlink(fs, ino, got, sizeof(got), &len), EXT2_OK);
        cr_assert_eq(len, (size_t)n);
        cr_assert(!memcmp(got, want, len) && got[len] == 0, "%s -> %s", rel, got);
        cr_assert_eq(ext2_readlink(fs, ino, got, len, &len), EXT2_ERANGE);
    } else if (S_ISDIR(hs.st_mode)) {
        int host_count = 0, count = 0;
        DIR *d = opendir(host);
        struct dirent *de;
        while ((de = readdir(d)))
            host_count += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        closedir(d);
        uint64_t pos = 0;
        bool end = false, dot = false, dotdot = false;
        struct ext2_dirent e;
        for (;;) {
            cr_assert_eq(ext2_readdir(fs, ino, &pos, &e, &end), EXT2_OK);
            if (end)
                break;
            cr_assert_eq(strlen(e.name), e.name_len);
            if (!strcmp(e.name, ".")) {
                cr_assert_eq(e.ino, ino);
                dot = true;
                continue;
            }
            if (!strcmp(e.name, "..")) {
                cr_assert_eq(e.ino, parent);
                dotdot = true;
                continue;
            }
            if (!*rel && !strcmp(e.name, "lost+found"))
                continue;
            count++;
            char sub[1024];
            snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e.name);
            struct stat ss;
            snprintf(host, sizeof(host), "%s/%s", tree, sub);
            cr_assert_eq(lstat(host, &ss), 0, "%s is not in the folder", sub);
            uint8_t want_type = S_ISDIR(ss.st_mode)   ? EXT2_FT_DIR
                                : S_ISLNK(ss.st_mode) ? EXT2_FT_SYMLINK
                                                      : EXT2_FT_REG;
            cr_assert_eq(e.type, want_type, "%s", sub);
            cr_assert_eq(lookup(fs, sub), e.ino);
            compare(fs, sub, ino);
        }
        cr_assert(dot && dotdot, "%s: no . or ..", rel);
        cr_assert_eq(count, host_count, "%s: %d entries, want %d", rel, count, host_count);
    }
}

static void read_all(uint32_t bs, uint32_t dbs)
{
    struct img m;
    struct ext2_fs fs;
    make_image(&m, tree, bs, dbs, "16M");
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, EXT2_MOUNT_RDONLY), EXT2_OK);
    cr_assert_eq(fs.bs, bs);
    compare(&fs, "", EXT2_ROOT_INO);
    cr_assert_eq(m.writes, 0, "a read-only mount wrote");
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    cr_assert_eq(live_allocs, 0);
    img_free(&m);
}

TestSuite(ext2, .init = tree_setup, .fini = tree_teardown, .timeout = 60);

Test(ext2, tree_1k_blocks)
{
    read_all(1024, 1024);
}

Test(ext2, tree_1k_blocks_512_byte_device)
{
    read_all(1024, 512);
}

Test(ext2, tree_4k_blocks)
{
    read_all(4096, 4096);
}

Test(ext2, tree_4k_blocks_1k_device)
{
    read_all(4096, 1024);
}

Test(ext2, double_indirect_and_holes)
{
    struct img m;
    struct ext2_fs fs;
    make_image(&m, tree, 1024, 1024, "16M");
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, 0), EXT2_OK);
    /* 300 KiB with 1 KiB blocks maps past 12 + 256 blocks: the double-indirect block. */
    struct ext2_stat st;
    uint32_t ino = lookup(&fs, "f307200");
    cr_assert_eq(ext2_stat(&fs, ino, &st), EXT2_OK);
    cr_assert_gt(st.blocks * 512, 300 * 1024 + 2 * 1024, "no indirect blocks counted");
    /* The sparse file holds far fewer blocks than its size; its holes read as zeros. */
    ino = lookup(&fs, "sparse");
    cr_assert_eq(ext2_stat(&fs, ino, &st), EXT2_OK);
    cr_assert_eq(st.size, 70 * 1024 * 1024); /* past 64 MiB: the triple-indirect block */
    cr_assert_lt(st.blocks * 512, 64 * 1024);
    uint8_t buf[8192], zero[8192] = {0};
    size_t n;
    cr_assert_eq(ext2_read(&fs, ino, 100 * 1024, buf, sizeof(buf), &n), EXT2_OK);
    cr_assert_eq(n, sizeof(buf));
    cr_assert(!memcmp(buf, zero, n));
    cr_assert_eq(ext2_read(&fs, ino, 700 * 1024, buf, 16, &n), EXT2_OK);
    cr_assert(!memcmp(buf + 3, "middle", 6) && !memcmp(buf, zero, 3));
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    img_free(&m);
}

Test(ext2, lookup_errors)
{
    struct img m;
    struct ext2_fs fs;
    make_image(&m, tree, 1024, 1024, "16M");
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, EXT2_MOUNT_RDONLY), EXT2_OK);
    uint32_t ino;
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    cr_assert_eq(ext2_lookup(&fs, "nothing", &ino), EXT2_ENOENT);
    cr_assert_eq(ext2_lookup(&fs, "a/b/none", &ino), EXT2_ENOENT);
    cr_assert_eq(ext2_lookup(&fs, "f13/x", &ino), EXT2_ENOTDIR);
    cr_assert_eq(ext2_lookup(&fs, "fast/x", &ino), EXT2_ENOTDIR);
    cr_assert_eq(ext2_lookup(&fs, big, &ino), EXT2_ENAMETOOLONG);
    cr_assert_eq(ext2_lookup(&fs, "//a/./b/../b/c//deep", &ino), EXT2_OK);
    cr_assert_eq(ext2_lookup(&fs, "/", &ino), EXT2_OK);
    cr_assert_eq(ino, EXT2_ROOT_INO);
    cr_assert_eq(ext2_lookup_at(&fs, EXT2_ROOT_INO, "a/b", 3, &ino), EXT2_EINVAL);
    uint32_t file = lookup(&fs, "f13");
    char buf[64];
    size_t n;
    uint64_t pos = 0;
    bool end;
    struct ext2_dirent e;
    cr_assert_eq(ext2_readlink(&fs, file, buf, sizeof(buf), &n), EXT2_EINVAL);
    cr_assert_eq(ext2_readdir(&fs, file, &pos, &e, &end), EXT2_ENOTDIR);
    cr_assert_eq(ext2_lookup_at(&fs, file, "x", 1, &ino), EXT2_ENOTDIR);
    cr_assert_eq(ext2_stat(&fs, 0, &(struct ext2_stat){0}), EXT2_ECORRUPT);
    cr_assert_eq(ext2_stat(&fs, fs.inodes_count + 1, &(struct ext2_stat){0}), EXT2_ECORRUPT);
    /* A position between two entries is refused; one past the end is the end. */
    pos = 3;
    cr_assert_eq(ext2_readdir(&fs, EXT2_ROOT_INO, &pos, &e, &end), EXT2_EINVAL);
    pos = 1ull << 40;
    cr_assert_eq(ext2_readdir(&fs, EXT2_ROOT_INO, &pos, &e, &end), EXT2_OK);
    cr_assert(end);
    /* Read-only: every change is refused, nothing is written. */
    size_t w;
    cr_assert_eq(ext2_create(&fs, EXT2_ROOT_INO, "new", 0644, 0, 0, &ino), EXT2_EROFS);
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "new", 0755, 0, 0, &ino), EXT2_EROFS);
    cr_assert_eq(ext2_write(&fs, file, 0, "x", 1, &w), EXT2_EROFS);
    cr_assert_eq(ext2_truncate(&fs, file, 0), EXT2_EROFS);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "f13"), EXT2_EROFS);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "f13", EXT2_ROOT_INO, "x"), EXT2_EROFS);
    cr_assert_eq(m.writes, 0);
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    img_free(&m);
}

/* Mounts m after patching the superblock's 32-bit (or 16-bit) field at off. */
static enum ext2_err mount_patched(struct img *m, size_t off, uint32_t v, int width, unsigned flags)
{
    uint8_t *b = malloc(m->size), *p = b + 1024 + off;
    memcpy(b, m->b, m->size);
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    if (width == 4) {
        p[2] = (uint8_t)(v >> 16);
        p[3] = (uint8_t)(v >> 24);
    }
    struct img c = *m;
    c.b = b;
    struct ext2_blockdev dev = img_dev(&c);
    struct ext2_fs fs;
    enum ext2_err err = ext2_mount(&fs, &dev, &test_env, flags);
    if (!err)
        ext2_unmount(&fs);
    free(b);
    cr_assert_eq(live_allocs, 0);
    return err;
}

static uint32_t sb32(struct img *m, size_t off)
{
    const uint8_t *p = m->b + 1024 + off;
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

Test(ext2, mount_checks)
{
    struct img m;
    make_image(&m, NULL, 1024, 1024, "2M");
    const unsigned ro = EXT2_MOUNT_RDONLY;
    cr_assert_eq(mount_patched(&m, 56, 0xEF53, 2, 0), EXT2_OK);
    cr_assert_eq(mount_patched(&m, 56, 0xEF54, 2, 0), EXT2_EBADFS);
    cr_assert_eq(mount_patched(&m, 76, 2, 4, 0), EXT2_EBADFS);
    cr_assert_eq(mount_patched(&m, 24, 7, 4, 0), EXT2_EBLOCKSIZE);
    cr_assert_eq(mount_patched(&m, 24, 2, 4, 0), EXT2_ECORRUPT); /* first data block 1 */
    cr_assert_eq(mount_patched(&m, 96, sb32(&m, 96) | 0x40, 4, ro), EXT2_EFEATURE);
    cr_assert_eq(mount_patched(&m, 96, sb32(&m, 96) | 0x4, 4, ro), EXT2_EFEATURE);
    cr_assert_eq(mount_patched(&m, 100, sb32(&m, 100) | 0x400, 4, 0), EXT2_EROFS);
    cr_assert_eq(mount_patched(&m, 100, sb32(&m, 100) | 0x400, 4, ro), EXT2_OK);
    cr_assert_eq(mount_patched(&m, 88, 100, 2, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 88, 64, 2, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 88, 2048, 2, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 4, (uint32_t)(m.size / 1024) + 1, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 0, sb32(&m, 0) + 1, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 32, 0, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 32, 8 * 1024 + 1, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 40, 0, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 12, sb32(&m, 4) + 1, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 84, 5, 4, ro), EXT2_ECORRUPT);
    /* The group descriptor table (block 2 with 1 KiB blocks): an inode table past the end. */
    cr_assert_eq(mount_patched(&m, 1024 + 8, sb32(&m, 4) - 1, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 1024 + 0, 0, 4, ro), EXT2_ECORRUPT);
    cr_assert_eq(mount_patched(&m, 1024 + 14, 0xFFFF, 2, ro), EXT2_ECORRUPT);
    /* A device smaller than the file system, or than a superblock. */
    struct img c = m;
    c.size = m.size - 1024;
    struct ext2_blockdev dev = img_dev(&c);
    struct ext2_fs fs;
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, ro), EXT2_ECORRUPT);
    c.size = 1536;
    c.dbs = 512;
    dev = img_dev(&c);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, ro), EXT2_EBADFS);
    /* A device block larger than the file system's block; a block size not a power of 2. */
    c = m;
    c.dbs = 4096;
    dev = img_dev(&c);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, ro), EXT2_EBLOCKSIZE);
    dev.block_size = 1000;
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, ro), EXT2_EINVAL);
    /* No write callback: read-only only. */
    dev = img_dev(&m);
    dev.write = NULL;
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, 0), EXT2_EINVAL);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, ro), EXT2_OK);
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    cr_assert_str_eq(ext2_strerror(EXT2_EFEATURE), "unsupported incompatible feature");
    cr_assert_str_eq(ext2_strerror((enum ext2_err)999), "unknown error");
    img_free(&m);
}

/* Runs debugfs -w with one request on m's image file, then reloads it. */
static void debugfs(struct img *m, const char *req)
{
    sh("debugfs -w -R '%s' %s >/dev/null 2>&1", req, m->path);
    img_load(m);
}

/* The block debugfs reports for logical block lblk of path. */
static uint32_t debugfs_bmap(struct img *m, const char *path, int lblk)
{
    char cmd[512];
    unsigned v = 0;
    snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap %s %d' %s 2>/dev/null", path, lblk, m->path);
    FILE *p = popen(cmd, "r");
    cr_assert(p && fscanf(p, "%u", &v) == 1);
    pclose(p);
    return v;
}

/* Images broken one way each: every call meets the damage with EXT2_ECORRUPT. */
Test(ext2, corrupt_images)
{
    struct img m;
    struct ext2_fs fs;
    make_image(&m, tree, 1024, 1024, "16M");
    uint32_t adir = debugfs_bmap(&m, "/a", 0), f0 = debugfs_bmap(&m, "/f70000", 0);
    uint32_t edir = debugfs_bmap(&m, "/empty", 0);
    debugfs(&m, "sif /fast block[0] 0x00003166"); /* "f1\0": a NUL in a target */
    debugfs(&m, "sif /f4096 block[0] 99999999");  /* past the file system */
    debugfs(&m, "sif /f12288 size 0x7fffffff");   /* fine: a file may be sparse */
    debugfs(&m, "sif /many size 1000");           /* not whole blocks */
    debugfs(&m, "sif /slow size 5000");           /* longer than a block */
    char req[100];
    snprintf(req, sizeof(req), "sif /f70000 block[1] %u", f0); /* one block owned twice */
    debugfs(&m, req);
    m.b[(size_t)adir * 1024 + 4] = 0; /* rec_len 0 in the first entry of a */
    m.b[(size_t)adir * 1024 + 5] = 0;
    m.b[(size_t)edir * 1024 + 12 + 8 + 1] = '/'; /* ".." becomes "./" */
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, 0), EXT2_OK);
    char buf[4096];
    size_t n;
    uint64_t pos = 0;
    bool end;
    struct ext2_dirent e;
    uint32_t ino;
    cr_assert_eq(ext2_readlink(&fs, lookup(&fs, "fast"), buf, sizeof(buf), &n), EXT2_ECORRUPT);
    cr_assert_eq(ext2_readlink(&fs, lookup(&fs, "slow"), buf, sizeof(buf), &n), EXT2_ECORRUPT);
    cr_assert_eq(ext2_read(&fs, lookup(&fs, "f4096"), 0, buf, 10, &n), EXT2_ECORRUPT);
    cr_assert_eq(ext2_read(&fs, lookup(&fs, "f12288"), 1 << 30, buf, 10, &n), EXT2_OK);
    cr_assert_eq(ext2_lookup(&fs, "many/x", &ino), EXT2_ECORRUPT);
    cr_assert_eq(ext2_readdir(&fs, lookup(&fs, "many"), &pos, &e, &end), EXT2_ECORRUPT);
    cr_assert_eq(ext2_lookup(&fs, "a/b", &ino), EXT2_ECORRUPT);
    pos = 0;
    cr_assert_eq(ext2_readdir(&fs, lookup(&fs, "a"), &pos, &e, &end), EXT2_ECORRUPT);
    cr_assert_eq(ext2_create(&fs, lookup(&fs, "a"), "new", 0644, 0, 0, &ino), EXT2_ECORRUPT);
    pos = 0;
    cr_assert_eq(ext2_readdir(&fs, lookup(&fs, "empty"), &pos, &e, &end), EXT2_OK); /* "." */
    cr_assert_eq(ext2_readdir(&fs, lookup(&fs, "empty"), &pos, &e, &end), EXT2_ECORRUPT);
    cr_assert_eq(ext2_truncate(&fs, lookup(&fs, "f70000"), 0), EXT2_ECORRUPT);
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    cr_assert_eq(live_allocs, 0);
    img_free(&m);
}
