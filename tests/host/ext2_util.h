/*
 * Shared by the ext2 host tests (test_ext2.c, test_ext2_write.c): a folder of files
 * built at test time, an image made from it by Debian's mke2fs -d, an in-memory block
 * device over the image, and e2fsck run on the result.
 */
#ifndef TESTS_HOST_EXT2_UTIL_H
#define TESTS_HOST_EXT2_UTIL_H

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext2.h"

/* An image in memory read and written in device blocks of dbs bytes. */
struct img {
    uint8_t *b;
    size_t size;
    uint32_t dbs;
    long writes;
    char path[256];
};

static inline int img_read(void *ctx, uint64_t blk, void *buf)
{
    struct img *m = ctx;
    if ((blk + 1) * m->dbs > m->size)
        return -1;
    memcpy(buf, m->b + blk * m->dbs, m->dbs);
    return 0;
}

static inline int img_write(void *ctx, uint64_t blk, const void *buf)
{
    struct img *m = ctx;
    if ((blk + 1) * m->dbs > m->size)
        return -1;
    memcpy(m->b + blk * m->dbs, buf, m->dbs);
    m->writes++;
    return 0;
}

static long live_allocs;

static inline void *env_alloc(void *ctx, size_t size)
{
    live_allocs++;
    return malloc(size);
}

static inline void env_free(void *ctx, void *p, size_t size)
{
    live_allocs--;
    free(p);
}

static inline uint32_t env_now(void *ctx)
{
    return 1700000000u;
}

static const struct ext2_env test_env = {NULL, env_alloc, env_free, env_now};

static inline struct ext2_blockdev img_dev(struct img *m)
{
    return (struct ext2_blockdev){m, img_read, img_write, m->dbs, m->size / m->dbs};
}

/* Runs a shell command; fails the test on a non-zero status. */
static inline void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
}

/* Deterministic contents: byte i of file seed. */
static inline uint8_t pattern(uint32_t seed, uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull ^ seed * 0xC2B2AE3D27D4EB4Full;
    return (uint8_t)(x >> 29);
}

static inline void write_file(const char *path, uint32_t seed, size_t size)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "cannot create %s", path);
    for (size_t i = 0; i < size; i++)
        fputc(pattern(seed, i), f);
    fclose(f);
}

/*
 * Makes a folder under dir: files of many sizes (one needing double-indirect blocks
 * with 1 KiB blocks), a sparse file whose last bytes need the triple-indirect block, a
 * directory of 500 entries, a fast and a slow symlink, a hard link, nested directories, an owner other than root.
 */
static inline void make_tree(const char *dir)
{
    char p[512];
    static const size_t sizes[] = {
        0, 1, 13, 1023, 1024, 1025, 4096, 12 * 1024, 12 * 1024 + 1, 70000, 300 * 1024, 1100 * 1024};
    sh("rm -rf %s && mkdir -p %s/many %s/a/b/c %s/empty", dir, dir, dir, dir);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        snprintf(p, sizeof(p), "%s/f%zu", dir, sizes[i]);
        write_file(p, (uint32_t)i + 1, sizes[i]);
    }
    snprintf(p, sizeof(p), "%s/a/b/c/deep", dir);
    write_file(p, 99, 5000);
    for (int i = 0; i < 500; i++) {
        snprintf(p, sizeof(p), "%s/many/entry-with-a-longish-name-%03d", dir, i);
        write_file(p, 1000 + i, (size_t)i % 7);
    }
    snprintf(p, sizeof(p), "%s/sparse", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert_eq(pwrite(fd, "head", 4, 0), 4);
    cr_assert_eq(pwrite(fd, "middle", 6, 700 * 1024 + 3), 6);
    cr_assert_eq(pwrite(fd, "tail", 4, 70 * 1024 * 1024 - 4), 4);
    close(fd);
    sh("ln -s f13 %s/fast && ln -s %s %s/slow && ln %s/f1025 %s/hard", dir,
       "a/b/c/../../../this/is/a/long/target/that/needs/a/block/of/its/own/because/it/is/over/"
       "sixty/bytes",
       dir, dir, dir);
    sh("chown 1234:5678 %s/f13 && chmod 0751 %s/f13 && chmod 0700 %s/a", dir, dir, dir);
}

/* (Re)loads m's image from its file. */
static inline void img_load(struct img *m)
{
    free(m->b);
    FILE *f = fopen(m->path, "rb");
    cr_assert(f);
    fseek(f, 0, SEEK_END);
    m->size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    m->b = malloc(m->size);
    cr_assert_eq(fread(m->b, 1, m->size, f), m->size);
    fclose(f);
}

/* Makes an image of bs-byte blocks from dir (or empty) and loads it. */
static inline void make_image(struct img *m, const char *dir, uint32_t bs, uint32_t dbs,
                              const char *size)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->path, sizeof(m->path), "/tmp/weft-ext2-%d-%u.img", getpid(), bs);
    sh("rm -f %s && mke2fs -q -F -t ext2 -b %u %s%s %s %s >/dev/null", m->path, bs,
       dir ? "-d " : "", dir ? dir : "", m->path, size);
    img_load(m);
    m->dbs = dbs;
}

/* Writes the image back to its file and asserts that e2fsck -fn finds it clean. */
static inline void fsck_clean(struct img *m)
{
    FILE *f = fopen(m->path, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(m->b, 1, m->size, f), m->size);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s.log 2>&1", m->path, m->path);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof(cmd), "cat %s.log >&2", m->path);
        (void)system(cmd);
    }
    cr_assert_eq(rc, 0, "e2fsck -fn %s: status %d", m->path, rc);
}

static inline void img_free(struct img *m)
{
    char p[300];
    free(m->b);
    unlink(m->path);
    snprintf(p, sizeof(p), "%s.log", m->path);
    unlink(p);
}

#endif
