/*
 * The block client's write-back cache (user/lib/fs/bcache.c), the part of the block
 * client that is pure code (the requests themselves are IPC, tested in the guest):
 * random reads and writes against a model of the disk with a cache far smaller than
 * the blocks touched, write-back only at eviction and flush (in ascending order, each
 * dirty block once), device errors, and what it saves: an ext2fs workload's device
 * requests with and without it, e2fsck -fn clean after the flush.
 */
#include "bcache.h"
#include "ext2_util.h"
#include "ext2fs.h"

#define BS     1024u
#define BLOCKS 64u

static uint8_t disk[BLOCKS * BS];
static long dreads, dwrites;
static bool fail_read, fail_write;
static uint64_t wlog[4096];

static int d_read(void *ctx, uint64_t blk, void *buf)
{
    if (fail_read || blk >= BLOCKS)
        return -1;
    dreads++;
    memcpy(buf, disk + blk * BS, BS);
    return 0;
}

static int d_write(void *ctx, uint64_t blk, const void *buf)
{
    if (fail_write || blk >= BLOCKS)
        return -1;
    wlog[dwrites++ % 4096] = blk;
    memcpy(disk + blk * BS, buf, BS);
    return 0;
}

static const struct ext2_blockdev raw = {NULL, d_read, d_write, BS, BLOCKS};

static void fill_block(uint8_t *b, uint32_t seed)
{
    for (uint32_t i = 0; i < BS; i++)
        b[i] = pattern(seed, i);
}

TestSuite(blkdev, .timeout = 120);

Test(blkdev, cache_against_a_model)
{
    static uint8_t mem[8 * BS], model[BLOCKS * BS], b[BS];
    struct bcache c;
    for (uint32_t i = 0; i < BLOCKS; i++)
        fill_block(disk + i * BS, i);
    memcpy(model, disk, sizeof(disk));
    cr_assert_eq(bcache_init(&c, &raw, &test_env, mem, 8), EXT2_OK);
    struct ext2_blockdev d = bcache_dev(&c);
    srand(7);
    for (int step = 0; step < 20000; step++) {
        /* Mostly a hot set of 6 blocks, sometimes any block. */
        uint32_t blk = rand() % 4 ? (uint32_t)rand() % 6 : (uint32_t)rand() % BLOCKS;
        if (rand() % 3 == 0) {
            fill_block(b, (uint32_t)step + 1000);
            cr_assert_eq(d.write(d.ctx, blk, b), 0);
            memcpy(model + blk * BS, b, BS);
        } else {
            cr_assert_eq(d.read(d.ctx, blk, b), 0);
            cr_assert(!memcmp(b, model + blk * BS, BS), "block %u at step %d", blk, step);
        }
    }
    cr_assert_gt(c.hits, 10000, "hits %llu", (unsigned long long)c.hits);
    long before = dwrites;
    cr_assert_eq(bcache_flush(&c), 0);
    cr_assert(!memcmp(disk, model, sizeof(disk)), "the disk after flush differs");
    /* Each dirty block once, ascending. */
    for (long i = before + 1; i < dwrites; i++)
        cr_assert_lt(wlog[i - 1], wlog[i]);
    cr_assert_leq(dwrites - before, 8);
    cr_assert_eq(bcache_flush(&c), 0);
    bcache_fini(&c);
    cr_assert_eq(live_allocs, 0);
}

Test(blkdev, write_back_only)
{
    static uint8_t mem[4 * BS], b[BS];
    struct bcache c;
    memset(disk, 0, sizeof(disk));
    dwrites = dreads = 0;
    cr_assert_eq(bcache_init(&c, &raw, &test_env, mem, 4), EXT2_OK);
    struct ext2_blockdev d = bcache_dev(&c);
    fill_block(b, 1);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(d.write(d.ctx, 5, b), 0);
    cr_assert_eq(dwrites, 0);
    cr_assert_eq(dreads, 0, "a whole-block write reads nothing");
    /* Four other blocks push block 5 out: written once. */
    for (uint32_t k = 10; k < 14; k++)
        cr_assert_eq(d.read(d.ctx, k, b), 0);
    cr_assert_eq(dwrites, 1);
    cr_assert_eq(wlog[0], 5);
    fill_block(b, 1);
    cr_assert(!memcmp(disk + 5 * BS, b, BS));
    bcache_fini(&c);
}

Test(blkdev, device_errors)
{
    static uint8_t mem[2 * BS], b[BS], want[BS];
    struct bcache c;
    memset(disk, 0, sizeof(disk));
    cr_assert_eq(bcache_init(&c, &raw, &test_env, mem, 2), EXT2_OK);
    struct ext2_blockdev d = bcache_dev(&c);
    fill_block(want, 3);
    cr_assert_eq(d.write(d.ctx, 1, want), 0);
    cr_assert_eq(d.write(d.ctx, 2, want), 0);
    /* Evicting a dirty block fails: the read fails, nothing is lost. */
    fail_write = true;
    cr_assert_eq(d.read(d.ctx, 3, b), -1);
    cr_assert_eq(bcache_flush(&c), -1);
    fail_write = false;
    cr_assert_eq(d.read(d.ctx, 1, b), 0);
    cr_assert(!memcmp(b, want, BS));
    /* A failed read leaves no entry behind: the next read asks the device again. */
    fail_read = true;
    cr_assert_eq(d.read(d.ctx, 7, b), -1);
    fail_read = false;
    disk[7 * BS] = 0x5a;
    cr_assert_eq(d.read(d.ctx, 7, b), 0);
    cr_assert_eq(b[0], 0x5a);
    cr_assert_eq(d.read(d.ctx, 200, b), -1); /* past the device */
    cr_assert_eq(bcache_flush(&c), 0);
    cr_assert(!memcmp(disk + 2 * BS, want, BS));
    bcache_drop(&c);
    bcache_fini(&c);
    cr_assert_eq(bcache_init(&c, &raw, &test_env, mem, 0), EXT2_EINVAL);
}

/* The same ext2 workload straight on the device and through 128 KiB of cache. */
static struct img m;
static long ureads, uwrites;

static int u_read(void *ctx, uint64_t blk, void *buf)
{
    ureads++;
    return img_read(ctx, blk, buf);
}

static int u_write(void *ctx, uint64_t blk, const void *buf)
{
    uwrites++;
    return img_write(ctx, blk, buf);
}

static struct bcache wc;

static int flush_cache(void *ctx)
{
    return bcache_flush(ctx);
}

static uint64_t v_now(void *ctx)
{
    return 0;
}

static long workload(bool cached)
{
    static uint8_t mem[128 * BS];
    const struct vfs_env venv = {NULL, env_alloc, env_free, v_now, NULL, NULL};
    make_image(&m, NULL, 1024, 1024, "8M");
    struct ext2_blockdev under = {&m, u_read, u_write, 1024, m.size / 1024}, dev = under;
    if (cached) {
        cr_assert_eq(bcache_init(&wc, &under, &test_env, mem, 128), EXT2_OK);
        dev = bcache_dev(&wc);
    }
    void *fs;
    ureads = uwrites = 0;
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, cached ? flush_cache : NULL, NULL, &wc, 0, &fs), 0);
    vfs_node root, d, f;
    cr_assert_eq(ext2fs_ops.root(fs, &root), 0);
    cr_assert_eq(ext2fs_ops.mkdir(fs, root, "d", 1, 0755, &d), 0);
    uint8_t buf[512];
    memset(buf, 'x', sizeof(buf));
    for (int i = 0; i < 50; i++) {
        char name[16];
        int k = snprintf(name, sizeof(name), "file%d", i);
        cr_assert_eq(ext2fs_ops.create(fs, d, name, (size_t)k, 0644, &f), 0);
        for (int j = 0; j < 8; j++)
            cr_assert_eq(ext2fs_ops.write(fs, f, (uint64_t)j * 512, buf, 512), 512);
        ext2fs_ops.put(fs, f);
    }
    for (int i = 0; i < 50; i++) {
        char name[16];
        int k = snprintf(name, sizeof(name), "file%d", i);
        cr_assert_eq(ext2fs_ops.lookup(fs, d, name, (size_t)k, &f), 0);
        cr_assert_eq(ext2fs_ops.read(fs, f, 1000, buf, 512), 512);
        ext2fs_ops.put(fs, f);
    }
    cr_assert_eq(ext2fs_ops.fsync(fs, 0), 0);
    ext2fs_ops.put(fs, d);
    ext2fs_ops.put(fs, root);
    ext2fs_ops.unmount(fs);
    if (cached) {
        cr_assert_eq(bcache_flush(&wc), 0);
        bcache_fini(&wc);
    }
    long requests = ureads + uwrites;
    fsck_clean(&m);
    img_free(&m);
    cr_assert_eq(live_allocs, 0);
    return requests;
}

Test(blkdev, the_cache_pays)
{
    long direct = workload(false), cached = workload(true);
    cr_log_info("device requests: %ld direct, %ld through the cache", direct, cached);
    cr_assert_lt(cached * 10, direct, "%ld requests cached, %ld direct", cached, direct);
}
