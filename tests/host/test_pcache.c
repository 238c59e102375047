/*
 * The file server's page cache (user/fs/pcache.c) through the VFS, over ext2fs
 * on an image made by mke2fs (e2fsck -fn after every writing test) and over
 * tmpfs, its memory objects arrays of a fake pool: writes stay in the cache
 * until fsync, the last close or unmount, then reach the backend in a fixed
 * order (files in the order first dirtied, pages ascending, one write per run);
 * stores through a writable mapping are seen by Read and written back; a
 * truncate cuts a mapped object; a closed file stays warm (no backend read);
 * a removed file's pages never show under a new one; a tiny pool evicts
 * (clean first) and stays within its limit; a shrink gives every byte back.
 */
#include "ext2_util.h"
#include "ext2fs.h"
#include "pcache.h"
#include "tmpfs.h"
#include "vfs_srv.h"

/* ---- the fake pool: objects are arrays ---- */

#define OBJS 64
static struct obj {
    uint8_t *b;
    uint64_t size;
} objs[OBJS];
static uint64_t pool_used, pool_limit = UINT64_MAX, pool_peak, objs_max = OBJS - 1;

static int o_create(void *ctx, uint64_t size, uint64_t *out)
{
    uint64_t live_objs = 0;
    for (uint64_t i = 1; i < OBJS; i++)
        live_objs += objs[i].b != NULL;
    if (live_objs >= objs_max)
        return -VFS_ENOSPC; /* the server's slots for objects are all taken */
    for (uint64_t i = 1; i < OBJS; i++)
        if (!objs[i].b) {
            if (pool_used + size > pool_limit)
                return -VFS_ENOMEM;
            objs[i].b = calloc(1, size);
            objs[i].size = size;
            pool_used += size;
            pool_peak = pool_used > pool_peak ? pool_used : pool_peak;
            *out = i;
            return 0;
        }
    return -VFS_ENOSPC;
}

static int o_resize(void *ctx, uint64_t o, uint64_t size)
{
    cr_assert(o > 0 && o < OBJS && objs[o].b);
    if (size > objs[o].size && pool_used + size - objs[o].size > pool_limit)
        return -VFS_ENOMEM;
    objs[o].b = realloc(objs[o].b, size);
    if (size > objs[o].size)
        memset(objs[o].b + objs[o].size, 0, size - objs[o].size);
    pool_used = pool_used - objs[o].size + size;
    pool_peak = pool_used > pool_peak ? pool_used : pool_peak;
    objs[o].size = size;
    return 0;
}

static int o_read(void *ctx, uint64_t o, uint64_t off, void *buf, size_t len)
{
    cr_assert(o > 0 && o < OBJS && objs[o].b);
    cr_assert(off + len <= objs[o].size, "read %lu+%zu of %lu", off, len, objs[o].size);
    memcpy(buf, objs[o].b + off, len);
    return 0;
}

static int o_write(void *ctx, uint64_t o, uint64_t off, const void *buf, size_t len)
{
    cr_assert(o > 0 && o < OBJS && objs[o].b);
    cr_assert(off + len <= objs[o].size, "write %lu+%zu of %lu", off, len, objs[o].size);
    memcpy(objs[o].b + off, buf, len);
    return 0;
}

static void o_destroy(void *ctx, uint64_t o)
{
    cr_assert(o > 0 && o < OBJS && objs[o].b);
    pool_used -= objs[o].size;
    free(objs[o].b);
    objs[o] = (struct obj){0};
}

static bool o_tight(void *ctx)
{
    return pool_used + 8192 > pool_limit;
}

static const struct pcache_vm fvm = {NULL, o_create, o_resize, o_read, o_write, o_destroy, o_tight};

/* ---- a backend that records what reaches ext2fs ---- */

struct rec {
    char op; /* 'w' write, 'r' read, 's' fsync */
    vfs_node n;
    uint64_t off, len;
};
static struct rec log_[4096];
static unsigned nlog, reads;

static void *xfs; /* the ext2fs under the recorder */

static long r_read(void *fs, vfs_node n, uint64_t off, void *buf, size_t len)
{
    reads++;
    return ext2fs_ops.read(xfs, n, off, buf, len);
}

static long r_write(void *fs, vfs_node n, uint64_t off, const void *buf, size_t len)
{
    if (nlog < 4096)
        log_[nlog++] = (struct rec){'w', n, off, len};
    return ext2fs_ops.write(xfs, n, off, buf, len);
}

static int r_fsync(void *fs, vfs_node n)
{
    if (nlog < 4096)
        log_[nlog++] = (struct rec){'s', n, 0, 0};
    return ext2fs_ops.fsync(xfs, n);
}

static struct vfs_ops rops;

/* ---- the set-up ---- */

static struct img m;
static struct ext2_blockdev dev;
static uint64_t v_now(void *ctx)
{
    return (uint64_t)env_now(ctx) * 1000000000ull;
}

static const struct vfs_env venv = {NULL, env_alloc, env_free, v_now, NULL, NULL};
static struct vfs v;
static struct vfs_ns *ns;
static void *pc;

#define S(x) x, strlen(x)

static void setup_ext2(void)
{
    make_image(&m, NULL, 1024, 512, "8M");
    dev = img_dev(&m);
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, NULL, NULL, NULL, 0, &xfs), 0);
    rops = ext2fs_ops;
    rops.read = r_read;
    rops.write = r_write;
    rops.fsync = r_fsync;
    cr_assert_eq(pcache_new(&venv, &fvm, &rops, xfs, PCACHE_KEEP, &pc), 0);
    v = (struct vfs){.env = venv};
    struct vfs_fs *f = vfs_fs_new(&v, pcache_ops_of(pc), pc, "ext2", 0);
    cr_assert(f);
    cr_assert_eq(vfs_ns_new(&v, f, &ns), 0);
    nlog = reads = 0;
}

/* Unmounts everything (the cache writes back), checks that no object and no
 * allocation is left and that e2fsck finds the image clean. */
static void finish_ext2(void)
{
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
    cr_assert_eq(pool_used, 0, "objects left: %lu bytes", (unsigned long)pool_used);
    cr_assert_eq(live_allocs, 0, "allocations left: %ld", live_allocs);
    fsck_clean(&m);
}

/* Reads name straight from the image (a mount of its own, no cache): len
 * bytes, zeros before from, then seed's pattern. */
static void on_disk(const char *name, uint32_t seed, size_t from, size_t len)
{
    void *fs2;
    struct ext2_blockdev d2 = img_dev(&m);
    cr_assert_eq(ext2fs_mount_dev(&venv, &d2, NULL, NULL, NULL, EXT2FS_RDONLY, &fs2), 0);
    vfs_node root, n;
    cr_assert_eq(ext2fs_ops.root(fs2, &root), 0);
    cr_assert_eq(ext2fs_ops.lookup(fs2, root, S(name), &n), 0, "%s on disk", name);
    struct vfs_attr a;
    cr_assert_eq(ext2fs_ops.getattr(fs2, n, &a), 0);
    cr_assert_eq(a.size, len, "%s: %lu bytes on disk", name, (unsigned long)a.size);
    static uint8_t b[1 << 20];
    cr_assert_eq(ext2fs_ops.read(fs2, n, 0, b, len), (long)len);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(b[i], i >= from && seed ? pattern(seed, i) : 0, "%s byte %zu", name, i);
    ext2fs_ops.put(fs2, n);
    ext2fs_ops.put(fs2, root);
    ext2fs_ops.unmount(fs2);
}

static void put_pattern(struct vfs_file *f, uint32_t seed, uint64_t off, size_t len)
{
    static uint8_t b[1 << 20];
    for (size_t i = 0; i < len; i++)
        b[i] = pattern(seed, off + i);
    cr_assert_eq(vfs_write(&v, f, off, b, len), (long)len);
}

static void check_pattern(struct vfs_file *f, uint32_t seed, uint64_t off, size_t len)
{
    static uint8_t b[1 << 20];
    cr_assert_eq(vfs_read(&v, f, off, b, len), (long)len);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(b[i], seed ? pattern(seed, off + i) : 0, "byte %lu", (unsigned long)(off + i));
}

static void open_(const char *path, unsigned flags, struct vfs_file *f)
{
    int rc = vfs_open(&v, ns, S(path), flags, 0644, f);
    cr_assert_eq(rc, 0, "open %s: %d", path, rc);
}

enum { RW = VFS_O_READ | VFS_O_WRITE, CR = RW | VFS_O_CREATE };

static unsigned writes_logged(void)
{
    unsigned k = 0;
    for (unsigned i = 0; i < nlog; i++)
        k += log_[i].op == 'w';
    return k;
}

TestSuite(pcache, .timeout = 120);

Test(pcache, writes_stay_until_fsync)
{
    setup_ext2();
    struct vfs_file f;
    open_("/a", CR, &f);
    put_pattern(&f, 7, 3000, 10000);
    check_pattern(&f, 7, 3000, 10000);
    check_pattern(&f, 0, 0, 3000); /* the hole before */
    struct vfs_attr a;
    cr_assert_eq(vfs_fstat(&v, &f, &a), 0);
    cr_assert_eq(a.size, 13000);
    cr_assert_eq(writes_logged(), 0, "the backend was written before fsync");
    cr_assert_eq(vfs_fsync(&v, &f), 0);
    cr_assert(writes_logged() > 0);
    cr_assert_eq(log_[nlog - 1].op, 's', "the backend's fsync comes last");
    struct pcache_stats st;
    pcache_stats(pc, &st);
    cr_assert_eq(st.dirty_pages, 0);
    on_disk("a", 7, 3000, 13000);
    cr_assert_eq(vfs_close(&v, &f), 0);
    finish_ext2();
    img_free(&m);
}

Test(pcache, last_close_writes_back_and_stays_warm)
{
    setup_ext2();
    struct vfs_file f;
    open_("/b", CR, &f);
    put_pattern(&f, 3, 0, 50000);
    cr_assert_eq(writes_logged(), 0);
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert(writes_logged() > 0, "the last close wrote nothing back");
    on_disk("b", 3, 0, 50000);
    /* Closed, it stays cached: a new open reads without the backend. */
    reads = 0;
    open_("/b", VFS_O_READ, &f);
    check_pattern(&f, 3, 0, 50000);
    cr_assert_eq(reads, 0, "%u backend reads for a warm file", reads);
    cr_assert_eq(vfs_close(&v, &f), 0);
    finish_ext2();
    img_free(&m);
}

/* utimensat after cached writes: the data goes to the backend first, so that
 * its write-back does not stamp the file with the time of the write-back. */
Test(pcache, a_set_mtime_survives_write_back)
{
    setup_ext2();
    struct vfs_file f;
    open_("/t", CR, &f);
    put_pattern(&f, 5, 0, 9000);
    struct vfs_set s = {VFS_A_MTIME | VFS_A_ATIME,    0, 0, 0, 1000000000ull * 1000000000ull,
                        1234567890ull * 1000000000ull};
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), 0);
    cr_assert(writes_logged() > 0, "the dirty pages were not written before the new mtime");
    cr_assert_eq(vfs_close(&v, &f), 0);
    on_disk("t", 5, 0, 9000);
    void *fs2;
    struct ext2_blockdev d2 = img_dev(&m);
    cr_assert_eq(ext2fs_mount_dev(&venv, &d2, NULL, NULL, NULL, EXT2FS_RDONLY, &fs2), 0);
    vfs_node root, n;
    cr_assert_eq(ext2fs_ops.root(fs2, &root), 0);
    cr_assert_eq(ext2fs_ops.lookup(fs2, root, S("t"), &n), 0);
    struct vfs_attr a;
    cr_assert_eq(ext2fs_ops.getattr(fs2, n, &a), 0);
    cr_assert_eq(a.mtime, 1234567890ull * 1000000000ull);
    cr_assert_eq(a.atime, 1000000000ull * 1000000000ull);
    ext2fs_ops.put(fs2, n);
    ext2fs_ops.put(fs2, root);
    ext2fs_ops.unmount(fs2);
    finish_ext2();
    img_free(&m);
}

Test(pcache, writeback_order_is_fixed)
{
    setup_ext2();
    struct vfs_file a, b;
    open_("/a", CR, &a);
    open_("/b", CR, &b);
    vfs_node na = a.node, nb = b.node;
    /* b is dirtied first; pages out of order; a run of two pages in each. */
    put_pattern(&b, 2, 3 * 4096, 100);
    put_pattern(&a, 1, 5 * 4096, 4096);
    put_pattern(&a, 1, 1 * 4096, 4096);
    put_pattern(&b, 2, 0, 8192);
    put_pattern(&a, 1, 2 * 4096, 4096);
    cr_assert_eq(writes_logged(), 0);
    /* The whole file system's fsync (unmount does the same). */
    cr_assert_eq(pcache_ops_of(pc)->fsync(pc, 0), 0);
    const struct rec want[] = {
        {'w', nb, 0, 8192},        /* b: pages 0-1 */
        {'w', nb, 3 * 4096, 100},  /* b: page 3, cut at the end of the file */
        {'w', na, 1 * 4096, 8192}, /* a: pages 1-2 */
        {'w', na, 5 * 4096, 4096}, /* a: page 5 */
        {'s', 0, 0, 0},            /* then the backend's fsync */
    };
    cr_assert_eq(nlog, 5, "%u backend calls", nlog);
    for (unsigned i = 0; i < 5; i++)
        cr_assert(log_[i].op == want[i].op && log_[i].n == want[i].n &&
                      log_[i].off == want[i].off && log_[i].len == want[i].len,
                  "call %u: %c %lu %lu+%lu", i, log_[i].op, (unsigned long)log_[i].n,
                  (unsigned long)log_[i].off, (unsigned long)log_[i].len);
    /* Clean now: a second fsync writes nothing. */
    nlog = 0;
    cr_assert_eq(pcache_ops_of(pc)->fsync(pc, 0), 0);
    cr_assert_eq(writes_logged(), 0);
    cr_assert_eq(vfs_close(&v, &a), 0);
    cr_assert_eq(vfs_close(&v, &b), 0);
    finish_ext2();
    img_free(&m);
}

Test(pcache, mapped_writes_are_seen_and_written_back)
{
    setup_ext2();
    struct vfs_file f;
    open_("/m", CR, &f);
    put_pattern(&f, 5, 0, 20000);
    cr_assert_eq(vfs_fsync(&v, &f), 0);
    uint64_t o, size;
    cr_assert_eq(pcache_map(pc, f.node, 4096, 8192, true, &o, &size), 0);
    cr_assert_eq(size, 5 * 4096);
    /* Mapped writable but untouched: nothing differs, nothing is written. */
    nlog = 0;
    cr_assert_eq(vfs_fsync(&v, &f), 0);
    cr_assert_eq(writes_logged(), 0);
    /* A store through the mapping: the object's memory itself. */
    memcpy(objs[o].b + 5000, "MAPPED", 6);
    uint8_t b[6];
    cr_assert_eq(vfs_read(&v, &f, 5000, b, 6), 6);
    cr_assert(memcmp(b, "MAPPED", 6) == 0, "Read does not see the mapped store");
    /* A write through the server is seen through the mapping. */
    cr_assert_eq(vfs_write(&v, &f, 9000, "SERVER", 6), 6);
    cr_assert(memcmp(objs[o].b + 9000, "SERVER", 6) == 0);
    /* fsync writes the page stored to (not marked dirty, but changed) and the
     * one written, each once. */
    nlog = 0;
    cr_assert_eq(vfs_fsync(&v, &f), 0);
    cr_assert_eq(writes_logged(), 1, "%u writes", writes_logged());
    cr_assert(log_[0].off == 4096 && log_[0].len == 8192, "%lu+%lu", (unsigned long)log_[0].off,
              (unsigned long)log_[0].len);
    void *fs2;
    struct ext2_blockdev d2 = img_dev(&m);
    cr_assert_eq(ext2fs_mount_dev(&venv, &d2, NULL, NULL, NULL, EXT2FS_RDONLY, &fs2), 0);
    vfs_node root, n;
    cr_assert_eq(ext2fs_ops.root(fs2, &root), 0);
    cr_assert_eq(ext2fs_ops.lookup(fs2, root, S("m"), &n), 0);
    cr_assert_eq(ext2fs_ops.read(fs2, n, 5000, b, 6), 6);
    cr_assert(memcmp(b, "MAPPED", 6) == 0, "the mapped store is not on the disk");
    ext2fs_ops.put(fs2, n);
    ext2fs_ops.put(fs2, root);
    ext2fs_ops.unmount(fs2);
    /* Truncate while mapped: the object is cut (its mappings lose the pages). */
    cr_assert_eq(vfs_truncate(&v, &f, 6000), 0);
    cr_assert_eq(objs[o].size, 2 * 4096);
    for (size_t i = 6000; i < 8192; i++)
        cr_assert_eq(objs[o].b[i], 0, "byte %zu past the end", i);
    cr_assert_eq(vfs_read(&v, &f, 5990, b, 6), 6);
    cr_assert_eq(vfs_read(&v, &f, 6000, b, 6), 0);
    /* The last close destroys a mapped object. */
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert(!objs[o].b, "a mapped object outlived the last close");
    finish_ext2();
    img_free(&m);
}

Test(pcache, map_refusals)
{
    setup_ext2();
    struct vfs_file f, d;
    open_("/x", CR, &f);
    uint64_t o, size;
    cr_assert_eq(pcache_map(pc, f.node, 100, 4096, false, &o, &size), -VFS_EINVAL);
    open_("/", VFS_O_READ, &d);
    cr_assert_eq(pcache_map(pc, d.node, 0, 4096, false, &o, &size), -VFS_EISDIR);
    cr_assert_eq(vfs_close(&v, &d), 0);
    cr_assert_eq(vfs_truncate(&v, &f, PCACHE_FILE_MAX + 1), 0);
    cr_assert_eq(pcache_map(pc, f.node, 0, 4096, false, &o, &size), -VFS_EFBIG);
    cr_assert_eq(vfs_truncate(&v, &f, 0), 0);
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert_eq(pcache_map(pc, f.node, 0, 4096, false, &o, &size), -VFS_EBADF, "closed");
    finish_ext2();
    img_free(&m);
}

Test(pcache, a_removed_file_never_shows_under_a_new_one)
{
    setup_ext2();
    struct vfs_file f;
    open_("/old", CR, &f);
    put_pattern(&f, 11, 0, 9000);
    vfs_node was = f.node;
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert_eq(vfs_unlink(&v, ns, S("/old")), 0);
    open_("/new", CR, &f);
    cr_assert_eq(f.node, was, "ext2 did not reuse the inode: the test proves nothing");
    struct vfs_attr a;
    cr_assert_eq(vfs_fstat(&v, &f, &a), 0);
    cr_assert_eq(a.size, 0);
    uint8_t b[16];
    cr_assert_eq(vfs_read(&v, &f, 0, b, 16), 0);
    cr_assert_eq(vfs_close(&v, &f), 0);
    /* Removed while open: its data goes at the last close, unwritten. */
    open_("/gone", CR, &f);
    put_pattern(&f, 12, 0, 5000);
    cr_assert_eq(vfs_unlink(&v, ns, S("/gone")), 0);
    check_pattern(&f, 12, 0, 5000);
    nlog = 0;
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert_eq(writes_logged(), 0);
    finish_ext2();
    img_free(&m);
}

Test(pcache, a_tiny_pool_evicts_and_stays_within_it)
{
    setup_ext2();
    pool_limit = 64 * 1024;
    pool_peak = 0;
    struct vfs_file f[8];
    char name[8];
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "/e%d", i);
        open_(name, CR, &f[i]);
        put_pattern(&f[i], 20 + i, 0, 20000);
    }
    cr_assert(pool_peak <= pool_limit, "peak %lu", (unsigned long)pool_peak);
    cr_assert(writes_logged() > 0, "nothing was evicted (written back) under pressure");
    for (int i = 0; i < 8; i++)
        check_pattern(&f[i], 20 + i, 0, 20000);
    cr_assert(pool_peak <= pool_limit, "peak %lu", (unsigned long)pool_peak);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(vfs_close(&v, &f[i]), 0);
    pool_limit = UINT64_MAX;
    finish_ext2();
    for (int i = 0; i < 8; i++) {
        snprintf(name, sizeof(name), "e%d", i);
        on_disk(name, 20 + i, 0, 20000);
    }
    img_free(&m);
}

Test(pcache, a_shrink_gives_every_byte_back)
{
    setup_ext2();
    struct vfs_file f;
    open_("/s", CR, &f);
    put_pattern(&f, 9, 0, 300000);
    cr_assert_eq(vfs_close(&v, &f), 0);
    open_("/s", VFS_O_READ, &f);
    struct pcache_stats st;
    pcache_stats(pc, &st);
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.bytes, 300000 / 4096 * 4096 + 4096);
    /* Open and clean: the shrink takes it too; the file reads on. */
    cr_assert(pcache_shrink_all(false) >= 300000);
    cr_assert_eq(pool_used, 0);
    check_pattern(&f, 9, 0, 300000);
    cr_assert_eq(vfs_close(&v, &f), 0);
    pcache_stats(pc, &st);
    cr_assert_eq(st.files, 1, "reading it again cached it again");
    /* Dirty objects go only when asked to (written back first). */
    open_("/s", RW, &f);
    put_pattern(&f, 10, 0, 4096);
    cr_assert_eq(pcache_shrink(pc, false), 0);
    cr_assert(pool_used > 0);
    nlog = 0;
    cr_assert(pcache_shrink(pc, true) > 0);
    cr_assert_eq(pool_used, 0);
    cr_assert_eq(writes_logged(), 1);
    cr_assert_eq(vfs_close(&v, &f), 0);
    finish_ext2();
    img_free(&m);
}

Test(pcache, tmpfs_caches_only_mapped_files)
{
    void *t, *c;
    cr_assert_eq(tmpfs_mount(&venv, 1 << 24, 100, &t), 0);
    cr_assert_eq(pcache_new(&venv, &fvm, &tmpfs_ops, t, 0, &c), 0);
    v = (struct vfs){.env = venv};
    struct vfs_fs *fsx = vfs_fs_new(&v, pcache_ops_of(c), c, "tmpfs", 0);
    cr_assert_eq(vfs_ns_new(&v, fsx, &ns), 0);
    pc = c;
    struct vfs_file f;
    open_("/t", CR, &f);
    put_pattern(&f, 4, 0, 10000);
    check_pattern(&f, 4, 0, 10000);
    struct pcache_stats st;
    pcache_stats(c, &st);
    cr_assert_eq(st.files, 0, "tmpfs data was copied into the cache");
    uint64_t o, size;
    cr_assert_eq(pcache_map(c, f.node, 0, 10000, true, &o, &size), 0);
    for (size_t i = 0; i < 10000; i++)
        cr_assert_eq(objs[o].b[i], pattern(4, i));
    memcpy(objs[o].b, "through", 7);
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert_eq(pool_used, 0);
    open_("/t", VFS_O_READ, &f);
    uint8_t b[7];
    cr_assert_eq(vfs_read(&v, &f, 0, b, 7), 7);
    cr_assert(memcmp(b, "through", 7) == 0, "the mapped store did not reach tmpfs");
    cr_assert_eq(vfs_close(&v, &f), 0);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
    cr_assert_eq(live_allocs, 0);
}

Test(pcache, objects_running_out_evict_the_oldest)
{
    setup_ext2();
    objs_max = 3;
    struct vfs_file f;
    char name[8];
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "/o%d", i);
        open_(name, CR, &f);
        put_pattern(&f, 40 + i, 0, 9000);
        cr_assert_eq(vfs_close(&v, &f), 0);
    }
    struct pcache_stats st;
    pcache_stats(pc, &st);
    cr_assert_eq(st.files, 3, "%lu files cached", (unsigned long)st.files);
    /* The newest three are the ones kept: reading them asks nothing of ext2. */
    reads = 0;
    for (int i = 3; i < 6; i++) {
        snprintf(name, sizeof(name), "/o%d", i);
        open_(name, VFS_O_READ, &f);
        check_pattern(&f, 40 + i, 0, 9000);
        cr_assert_eq(vfs_close(&v, &f), 0);
    }
    cr_assert_eq(reads, 0);
    objs_max = OBJS - 1;
    finish_ext2();
    for (int i = 0; i < 6; i++) {
        snprintf(name, sizeof(name), "o%d", i);
        on_disk(name, 40 + i, 0, 9000);
    }
    img_free(&m);
}

Test(pcache, a_failed_disk_fails_cached_files)
{
    setup_ext2();
    struct vfs_file f;
    open_("/w", CR, &f);
    put_pattern(&f, 6, 0, 5000);
    cr_assert_eq(vfs_fsync(&v, &f), 0);
    check_pattern(&f, 6, 0, 5000);
    /* The disk goes: every device request fails. */
    size_t size = m.size;
    m.size = 0;
    uint8_t b[16];
    cr_assert_eq(vfs_read(&v, &f, 0, b, 16), -VFS_EIO, "a cached read after the disk failed");
    cr_assert_eq(vfs_write(&v, &f, 0, b, 16), -VFS_EIO);
    m.size = size;
    check_pattern(&f, 6, 0, 5000);
    cr_assert_eq(vfs_close(&v, &f), 0);
    finish_ext2();
    img_free(&m);
}
