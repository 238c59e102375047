/*
 * ext2 as a file server backend (user/fs/ext2fs.c) over images made by mke2fs -d:
 * every vfs operation through ext2fs_ops, the references it counts, unlink (and rmdir,
 * and rename over) while referenced through the orphan list, a crash with orphans
 * left (the image copied while they are held: e2fsck -p frees them, and so does the
 * next mount), readdir across removals, error mapping; e2fsck -fn clean after every
 * writing test.
 */
#include <sys/wait.h>

#include "ext2_util.h"
#include "ext2fs.h"

#define NSEC 1000000000ull

static struct img m;
static void *fs;
static const struct vfs_ops *ops = &ext2fs_ops;
static long fail_after = -1; /* env allocations left before they fail (-1: never) */

static void *v_alloc(void *ctx, size_t n)
{
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    return env_alloc(ctx, n);
}

static uint64_t v_now(void *ctx)
{
    return (uint64_t)env_now(ctx) * 1000000000ull + 123;
}

static const struct vfs_env venv = {NULL, v_alloc, env_free, v_now, NULL, NULL};
static int syncs, closes;

static int t_sync(void *ctx)
{
    syncs++;
    return 0;
}

static void t_close(void *ctx)
{
    closes++;
}

static struct ext2_blockdev dev;

static void do_mount(unsigned flags)
{
    dev = img_dev(&m);
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, t_sync, t_close, NULL, flags, &fs), 0);
}

static void mount_tree(uint32_t bs)
{
    char tree[128];
    snprintf(tree, sizeof(tree), "/tmp/weft-ext2fs-tree-%d", getpid());
    make_tree(tree);
    make_image(&m, tree, bs, bs == 1024 ? 512 : 1024, "16M");
    sh("rm -rf %s", tree);
    do_mount(0);
}

/* Unmounts (no reference may be left), checks e2fsck -fn, frees the image. */
static void finish(void)
{
    cr_assert_eq(ext2fs_held(fs), 0, "references left: %u", ext2fs_held(fs));
    int c = closes;
    ops->unmount(fs);
    cr_assert_eq(closes, c + 1);
    cr_assert_eq(live_allocs, 0);
    fsck_clean(&m);
    img_free(&m);
}

static vfs_node walk(const char *path)
{
    vfs_node n, next;
    cr_assert_eq(ops->root(fs, &n), 0);
    while (*path) {
        const char *e = strchr(path, '/');
        size_t len = e ? (size_t)(e - path) : strlen(path);
        int rc = ops->lookup(fs, n, path, len, &next);
        cr_assert_eq(rc, 0, "lookup %.*s: %d", (int)len, path, rc);
        ops->put(fs, n);
        n = next;
        path += len + (e != NULL);
    }
    return n;
}

static int lookup_rc(vfs_node dir, const char *name)
{
    vfs_node n;
    int rc = ops->lookup(fs, dir, name, strlen(name), &n);
    if (!rc)
        ops->put(fs, n);
    return rc;
}

static struct vfs_attr attr(vfs_node n)
{
    struct vfs_attr a;
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    return a;
}

static void fill(vfs_node n, uint32_t seed, uint64_t off, size_t len)
{
    uint8_t b[1500];
    for (size_t pos = 0; pos < len;) {
        size_t k = len - pos < sizeof(b) ? len - pos : sizeof(b);
        for (size_t i = 0; i < k; i++)
            b[i] = pattern(seed, off + pos + i);
        cr_assert_eq(ops->write(fs, n, off + pos, b, k), (long)k);
        pos += k;
    }
}

static void expect(vfs_node n, uint32_t seed, uint64_t off, size_t len)
{
    uint8_t b[1300];
    for (size_t pos = 0; pos < len;) {
        size_t k = len - pos < sizeof(b) ? len - pos : sizeof(b);
        cr_assert_eq(ops->read(fs, n, off + pos, b, k), (long)k);
        for (size_t i = 0; i < k; i++)
            cr_assert_eq(b[i], seed ? pattern(seed, off + pos + i) : 0, "byte %zu", pos + i);
        pos += k;
    }
}

static uint64_t free_blocks(void)
{
    struct vfs_statfs s;
    cr_assert_eq(ops->statfs(fs, &s), 0);
    return s.free_blocks;
}

static uint64_t free_inodes(void)
{
    struct vfs_statfs s;
    cr_assert_eq(ops->statfs(fs, &s), 0);
    return s.free_inodes;
}

static uint32_t last_orphan(const struct img *im)
{
    const uint8_t *p = im->b + 1024 + 232;
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

TestSuite(ext2fs, .timeout = 120);

Test(ext2fs, reads_the_tree)
{
    mount_tree(1024);
    vfs_node n = walk("f70000");
    struct vfs_attr a = attr(n);
    cr_assert_eq(a.type, VFS_T_FILE);
    cr_assert_eq(a.size, 70000);
    cr_assert_eq(a.links, 1);
    cr_assert_eq(a.ino, n);
    expect(n, 10, 0, 70000);
    uint8_t b[16];
    cr_assert_eq(ops->read(fs, n, 70000, b, 16), 0);
    cr_assert_eq(ops->read(fs, n, 69990, b, 16), 10);
    ops->put(fs, n);
    n = walk("f13");
    a = attr(n);
    cr_assert_eq(a.mode, 0751);
    cr_assert_eq(a.uid, 1234);
    cr_assert_eq(a.gid, 5678);
    ops->put(fs, n);
    /* Directories: no "." or ".." from the backend; every name once; types. */
    n = walk("many");
    cr_assert_eq(attr(n).type, VFS_T_DIR);
    cr_assert_eq(ops->read(fs, n, 0, b, 16), -VFS_EISDIR);
    uint64_t cookie = 0;
    struct vfs_dirent e;
    bool seen[500] = {0};
    int count = 0;
    for (;;) {
        cr_assert_eq(ops->readdir(fs, n, &cookie, &e), 0);
        if (!e.name_len)
            break;
        int k;
        cr_assert_eq(sscanf(e.name, "entry-with-a-longish-name-%03d", &k), 1);
        cr_assert(!seen[k]);
        seen[k] = true;
        cr_assert_eq(e.type, VFS_T_FILE);
        count++;
    }
    cr_assert_eq(count, 500);
    ops->put(fs, n);
    /* Links. */
    n = walk("fast");
    char t[300];
    cr_assert_eq(attr(n).type, VFS_T_SYMLINK);
    cr_assert_eq(ops->readlink(fs, n, t, sizeof(t)), 3);
    cr_assert(!memcmp(t, "f13", 3));
    cr_assert_eq(ops->readlink(fs, n, t, 2), 3); /* truncated copy, full length */
    ops->put(fs, n);
    n = walk("slow");
    long len = ops->readlink(fs, n, t, sizeof(t));
    cr_assert_gt(len, 60);
    cr_assert(!memcmp(t, "a/b/c/../../../this", 19));
    ops->put(fs, n);
    n = walk("a/b/c/deep");
    expect(n, 99, 0, 5000);
    cr_assert_eq(ops->readlink(fs, n, t, sizeof(t)), -VFS_EINVAL);
    ops->put(fs, n);
    /* Errors. */
    vfs_node root = walk("");
    cr_assert_eq(lookup_rc(root, "nope"), -VFS_ENOENT);
    n = walk("f13");
    cr_assert_eq(lookup_rc(n, "x"), -VFS_ENOTDIR);
    ops->put(fs, n);
    char longname[300];
    memset(longname, 'x', 256);
    longname[256] = 0;
    cr_assert_eq(lookup_rc(root, longname), -VFS_ENAMETOOLONG);
    struct vfs_statfs s;
    cr_assert_eq(ops->statfs(fs, &s), 0);
    cr_assert_eq(s.block_size, 1024);
    cr_assert_eq(s.total_blocks, 16384);
    cr_assert_eq(s.read_only, 0);
    cr_assert_lt(s.free_blocks, s.total_blocks);
    ops->put(fs, root);
    finish();
}

Test(ext2fs, read_only_mount)
{
    mount_tree(4096);
    ops->unmount(fs);
    uint8_t *before = malloc(m.size);
    memcpy(before, m.b, m.size);
    do_mount(EXT2FS_RDONLY);
    vfs_node root = walk(""), n;
    cr_assert_eq(ops->create(fs, root, "new", 3, 0644, &n), -VFS_EROFS);
    cr_assert_eq(ops->mkdir(fs, root, "new", 3, 0755, &n), -VFS_EROFS);
    cr_assert_eq(ops->unlink(fs, root, "f13", 3), -VFS_EROFS);
    cr_assert_eq(ops->rename(fs, root, "f13", 3, root, "g", 1), -VFS_EROFS);
    vfs_node f = walk("f13");
    cr_assert_eq(ops->write(fs, f, 0, "x", 1), -VFS_EROFS);
    struct vfs_attr a = {.mode = 0600};
    cr_assert_eq(ops->setattr(fs, f, VFS_SET_MODE, &a), -VFS_EROFS);
    cr_assert_eq(ops->fsync(fs, 0), 0);
    struct vfs_statfs s;
    cr_assert_eq(ops->statfs(fs, &s), 0);
    cr_assert_eq(s.read_only, 1);
    ops->put(fs, f);
    ops->put(fs, root);

    cr_assert(!memcmp(before, m.b, m.size), "a read-only mount wrote");
    free(before);
    finish();
}

Test(ext2fs, changes)
{
    mount_tree(1024);
    uint64_t fb = free_blocks(), fi = free_inodes();
    vfs_node root = walk(""), f, d, l, x;
    cr_assert_eq(ops->create(fs, root, "new", 3, 0640, &f), 0);
    cr_assert_eq(ops->create(fs, root, "new", 3, 0640, &x), -VFS_EEXIST);
    cr_assert_eq(free_inodes(), fi - 1);
    struct vfs_attr a = attr(f);
    cr_assert_eq(a.type, VFS_T_FILE);
    cr_assert_eq(a.mode, 0640);
    cr_assert_eq(a.mtime, 1700000000ull * 1000000000ull);
    fill(f, 3, 0, 100000);
    fill(f, 4, 300000, 5000); /* a hole between */
    expect(f, 3, 0, 100000);
    expect(f, 0, 100000, 200000);
    expect(f, 4, 300000, 5000);
    cr_assert_eq(attr(f).size, 305000);
    /* setattr: size (cut, then grow with a hole), mode, owner, times. */
    a = (struct vfs_attr){.size = 50000,
                          .mode = 0604,
                          .uid = 70000,
                          .gid = 9,
                          .atime = 5000000000ull,
                          .mtime = 7000000000ull};
    cr_assert_eq(
        ops->setattr(
            fs, f, VFS_SET_SIZE | VFS_SET_MODE | VFS_SET_OWNER | VFS_SET_ATIME | VFS_SET_MTIME, &a),
        0);
    a = attr(f);
    cr_assert_eq(a.size, 50000);
    cr_assert_eq(a.mode, 0604);
    cr_assert_eq(a.uid, 70000);
    cr_assert_eq(a.gid, 9);
    cr_assert_eq(a.atime, 5000000000ull);
    cr_assert_eq(a.mtime, 7000000000ull);
    a.size = 60000;
    cr_assert_eq(ops->setattr(fs, f, VFS_SET_SIZE, &a), 0);
    expect(f, 3, 0, 50000);
    expect(f, 0, 50000, 10000);
    cr_assert_eq(ops->setattr(fs, f, 1u << 9, &a), -VFS_EINVAL);
    /* Directories, links, symlinks. */
    cr_assert_eq(ops->mkdir(fs, root, "dir", 3, 0750, &d), 0);
    cr_assert_eq(attr(d).type, VFS_T_DIR);
    cr_assert_eq(attr(d).links, 2);
    cr_assert_eq(ops->setattr(fs, d, VFS_SET_SIZE, &a), -VFS_EISDIR);
    cr_assert_eq(ops->link(fs, f, d, "hard", 4), 0);
    cr_assert_eq(attr(f).links, 2);
    cr_assert_eq(ops->link(fs, d, root, "dirlink", 7), -VFS_EPERM);
    cr_assert_eq(ops->symlink(fs, d, "sym", 3, "../new", 6, &l), 0);
    char t[16];
    cr_assert_eq(ops->readlink(fs, l, t, sizeof(t)), 6);
    cr_assert(!memcmp(t, "../new", 6));
    cr_assert_eq(ops->write(fs, d, 0, "x", 1), -VFS_EISDIR);
    /* rename, unlink, rmdir and their refusals. */
    cr_assert_eq(ops->rmdir(fs, root, "dir", 3), -VFS_ENOTEMPTY);
    cr_assert_eq(ops->unlink(fs, root, "dir", 3), -VFS_EISDIR);
    cr_assert_eq(ops->rmdir(fs, root, "new", 3), -VFS_ENOTDIR);
    cr_assert_eq(ops->rename(fs, root, "dir", 3, d, "sub", 3), -VFS_EINVAL);
    cr_assert_eq(ops->rename(fs, d, "hard", 4, root, "new", 3), 0); /* same inode: nothing */
    cr_assert_eq(lookup_rc(d, "hard"), 0);
    cr_assert_eq(ops->rename(fs, d, "hard", 4, root, "moved", 5), 0);
    cr_assert_eq(lookup_rc(d, "hard"), -VFS_ENOENT);
    cr_assert_eq(lookup_rc(root, "moved"), 0);
    cr_assert_eq(ops->unlink(fs, root, "moved", 5), 0);
    cr_assert_eq(ops->unlink(fs, d, "sym", 3), 0);
    cr_assert_eq(attr(l).links, 0); /* held: orphaned, still readable */
    cr_assert_eq(ops->readlink(fs, l, t, sizeof(t)), 6);
    ops->put(fs, l);
    cr_assert_eq(ops->unlink(fs, root, "new", 3), 0);
    ops->put(fs, f);
    ops->put(fs, d);
    cr_assert_eq(ops->rmdir(fs, root, "dir", 3), 0);
    cr_assert_eq(free_blocks(), fb);
    cr_assert_eq(free_inodes(), fi);
    char longname[300];
    memset(longname, 'y', 256);
    cr_assert_eq(ops->create(fs, root, longname, 256, 0600, &x), -VFS_ENAMETOOLONG);
    cr_assert_eq(ops->create(fs, root, "a\0b", 3, 0600, &x), -VFS_EINVAL);
    cr_assert_eq(ops->fsync(fs, 0), 0);
    cr_assert_gt(syncs, 0);
    ops->put(fs, root);
    finish();
}

Test(ext2fs, unlink_while_open)
{
    mount_tree(1024);
    uint64_t fb = free_blocks(), fi = free_inodes();
    vfs_node root = walk(""), f, d, g;
    cr_assert_eq(ops->create(fs, root, "tmp", 3, 0600, &f), 0);
    fill(f, 7, 0, 40000);
    ops->get(fs, f); /* two references: the file stays until both go */
    cr_assert_eq(ops->unlink(fs, root, "tmp", 3), 0);
    cr_assert_eq(lookup_rc(root, "tmp"), -VFS_ENOENT);
    cr_assert_eq(last_orphan(&m), (uint32_t)f);
    struct vfs_attr a = attr(f);
    cr_assert_eq(a.links, 0);
    expect(f, 7, 0, 40000);
    fill(f, 8, 40000, 3000); /* still writable */
    expect(f, 8, 40000, 3000);
    cr_assert_eq(ops->link(fs, f, root, "back", 4), -VFS_ENOENT);
    /* A second orphan: a directory removed while referenced, and a file renamed over. */
    cr_assert_eq(ops->mkdir(fs, root, "gone", 4, 0700, &d), 0);
    cr_assert_eq(ops->rmdir(fs, root, "gone", 4), 0);
    cr_assert_eq(attr(d).links, 0);
    cr_assert_eq(ops->create(fs, d, "x", 1, 0600, &g), -VFS_ENOENT);
    uint64_t cookie = 0;
    struct vfs_dirent e;
    cr_assert_eq(ops->readdir(fs, d, &cookie, &e), 0);
    cr_assert_eq(e.name_len, 0);
    cr_assert_eq(ops->create(fs, root, "victim", 6, 0600, &g), 0);
    fill(g, 9, 0, 5000);
    vfs_node h;
    cr_assert_eq(ops->create(fs, root, "winner", 6, 0600, &h), 0);
    cr_assert_eq(ops->rename(fs, root, "winner", 6, root, "victim", 6), 0);
    cr_assert_eq(attr(g).links, 0);
    expect(g, 9, 0, 5000);
    cr_assert_eq(last_orphan(&m), (uint32_t)g);
    /* The last puts free them (in any order), and the list empties. */
    ops->put(fs, f);
    cr_assert_eq(attr(f).links, 0);
    ops->put(fs, d);
    ops->put(fs, g);
    cr_assert_eq(last_orphan(&m), (uint32_t)f);
    ops->put(fs, f);
    cr_assert_eq(last_orphan(&m), 0);
    ops->put(fs, h);
    cr_assert_eq(ops->unlink(fs, root, "victim", 6), 0);
    cr_assert_eq(free_blocks(), fb);
    cr_assert_eq(free_inodes(), fi);
    ops->put(fs, root);
    finish();
}

/* Copies the image as a crash would leave it: the orphans held, never put. */
Test(ext2fs, crash_with_orphans)
{
    mount_tree(1024);
    uint64_t fb = free_blocks(), fi = free_inodes();
    vfs_node root = walk(""), f[3];
    for (int i = 0; i < 3; i++) {
        char name[8] = {'o', (char)('0' + i)};
        cr_assert_eq(ops->create(fs, root, name, 2, 0600, &f[i]), 0);
        fill(f[i], 20 + i, 0, 30000 + 10000 * i);
        cr_assert_eq(ops->unlink(fs, root, name, 2), 0);
    }
    cr_assert_neq(last_orphan(&m), 0);
    struct img crash = m;
    crash.b = malloc(m.size);
    memcpy(crash.b, m.b, m.size);
    snprintf(crash.path, sizeof(crash.path), "/tmp/weft-ext2fs-crash-%d.img", getpid());
    for (int i = 0; i < 3; i++)
        ops->put(fs, f[i]);
    ops->put(fs, root);
    finish();

    /* e2fsck -p repairs the copy by itself (it frees the orphans), then -fn is clean. */
    FILE *out = fopen(crash.path, "wb");
    cr_assert(out);
    cr_assert_eq(fwrite(crash.b, 1, crash.size, out), crash.size);
    fclose(out);
    int rc;
    char cmd[600];
    /* As found, e2fsck -n reports the orphans (it frees them only when it may write). */
    snprintf(cmd, sizeof(cmd), "e2fsck -fn %s >%s.log 2>&1", crash.path, crash.path);
    rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 4, "e2fsck -fn on the crash image: %d", rc);
    snprintf(cmd, sizeof(cmd), "cp %s %s.p && e2fsck -fp %s.p >/dev/null 2>&1", crash.path,
             crash.path, crash.path);
    rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) <= 1, "e2fsck -p: %d", rc);
    sh("e2fsck -fn %s.p >/dev/null 2>&1 && rm -f %s.p", crash.path, crash.path);

    /* The next mount frees them too: the counts come back to what they were. */
    m = crash;
    do_mount(0);
    cr_assert_eq(last_orphan(&m), 0);
    cr_assert_eq(free_blocks(), fb);
    cr_assert_eq(free_inodes(), fi);
    finish();
}

/* Entries removed while a directory is read: the rest are each seen once. */
Test(ext2fs, readdir_across_removals)
{
    mount_tree(1024);
    vfs_node root = walk(""), d, n;
    cr_assert_eq(ops->mkdir(fs, root, "d", 1, 0700, &d), 0);
    char name[64];
    for (int i = 0; i < 120; i++) {
        int k = snprintf(name, sizeof(name), "file-%03d-%.*s", i, i % 30,
                         "abcdefghijklmnopqrstuvwxyz0123");
        cr_assert_eq(ops->create(fs, d, name, (size_t)k, 0600, &n), 0);
        ops->put(fs, n);
    }
    uint64_t cookie = 0;
    struct vfs_dirent e;
    int seen[120] = {0};
    for (;;) {
        cr_assert_eq(ops->readdir(fs, d, &cookie, &e), 0);
        if (!e.name_len)
            break;
        int i;
        cr_assert_eq(sscanf(e.name, "file-%03d", &i), 1);
        seen[i]++;
        /* Remove this entry and the one after it in creation order. */
        cr_assert_eq(ops->unlink(fs, d, e.name, e.name_len), 0);
        if (i + 1 < 120 && !seen[i + 1]) {
            int k = snprintf(name, sizeof(name), "file-%03d-%.*s", i + 1, (i + 1) % 30,
                             "abcdefghijklmnopqrstuvwxyz0123");
            cr_assert_eq(ops->unlink(fs, d, name, (size_t)k), 0);
            seen[i + 1] = -1;
        }
    }
    for (int i = 0; i < 120; i++)
        cr_assert_neq(seen[i], 0, "entry %d never seen nor removed", i);
    for (int i = 0; i < 120; i++)
        cr_assert_leq(seen[i], 1, "entry %d seen twice", i);
    cookie = 0;
    cr_assert_eq(ops->readdir(fs, d, &cookie, &e), 0);
    cr_assert_eq(e.name_len, 0);
    ops->put(fs, d);
    cr_assert_eq(ops->rmdir(fs, root, "d", 1), 0);
    ops->put(fs, root);
    finish();
}

/* References: counted per inode; a full table refuses before any change. */
Test(ext2fs, references)
{
    mount_tree(1024);
    vfs_node root = walk(""), n[40];
    cr_assert_eq(ext2fs_held(fs), 1);
    for (int i = 0; i < 40; i++) {
        char name[8];
        int k = snprintf(name, sizeof(name), "r%d", i);
        cr_assert_eq(ops->create(fs, root, name, (size_t)k, 0600, &n[i]), 0);
    }
    cr_assert_eq(ext2fs_held(fs), 41);
    vfs_node again;
    cr_assert_eq(ops->lookup(fs, root, "r3", 2, &again), 0);
    cr_assert_eq(again, n[3]);
    cr_assert_eq(ext2fs_held(fs), 41);
    ops->put(fs, again);
    /* The table (64 entries now) is full at 64: the next new reference needs memory. */
    vfs_node more[23];
    for (int i = 0; i < 23; i++) {
        char name[8];
        int k = snprintf(name, sizeof(name), "s%d", i);
        cr_assert_eq(ops->create(fs, root, name, (size_t)k, 0600, &more[i]), 0);
    }
    cr_assert_eq(ext2fs_held(fs), 64);
    uint64_t fi = free_inodes();
    fail_after = 0;
    vfs_node x;
    cr_assert_eq(ops->create(fs, root, "nomem", 5, 0600, &x), -VFS_ENOMEM);
    cr_assert_eq(ops->lookup(fs, root, "f13", 3, &x), -VFS_ENOMEM);
    cr_assert_eq(ops->lookup(fs, root, "r5", 2, &x), -VFS_ENOMEM); /* even for a held one */
    fail_after = -1;
    cr_assert_eq(free_inodes(), fi);
    cr_assert_eq(lookup_rc(root, "nomem"), -VFS_ENOENT);
    for (int i = 0; i < 40; i++)
        ops->put(fs, n[i]);
    for (int i = 0; i < 23; i++)
        ops->put(fs, more[i]);
    ops->put(fs, root);
    finish();
}

/* A mount that fails holds nothing. */
Test(ext2fs, mount_refusals)
{
    make_image(&m, NULL, 1024, 512, "4M");
    m.b[1024 + 56] = 0; /* the magic */
    dev = img_dev(&m);
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, NULL, NULL, NULL, 0, &fs), -VFS_EINVAL);
    m.b[1024 + 56] = 0x53;
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, NULL, NULL, NULL, 2, &fs), -VFS_EINVAL);
    fail_after = 1;
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, NULL, NULL, NULL, 0, &fs), -VFS_ENOMEM);
    fail_after = -1;
    /* A corrupt orphan list (a reserved inode) refuses a read-write mount only. */
    m.b[1024 + 232] = 5;
    cr_assert_eq(ext2fs_mount_dev(&venv, &dev, NULL, NULL, NULL, 0, &fs), -VFS_EUCLEAN);
    cr_assert_eq(m.b[1024 + 232], 0, "the bad list head is cleared");
    cr_assert_eq(live_allocs, 0);
    cr_assert_eq(closes, 0, "a failed mount calls nothing");
    do_mount(0);
    finish();
}

/*
 * Random creates, writes, renames and unlinks over a few names while references are
 * held and dropped at random: every held file reads back what was last written to
 * it (linked or orphaned), and once every name is removed and every reference
 * dropped the free counts are back where they started, with e2fsck clean.
 */
Test(ext2fs, random_holds)
{
    static struct {
        uint32_t seed; /* 0: nothing written */
        size_t size;
    } model[65536];
    mount_tree(1024);
    uint64_t fb = free_blocks(), fi = free_inodes();
    vfs_node root = walk(""), d, held[24];
    int nheld = 0;
    cr_assert_eq(ops->mkdir(fs, root, "r", 1, 0700, &d), 0);
    static const char *const nm[] = {"a", "b", "c", "d", "e"};
    int orphaned = 0;
    srand(11);
    for (int step = 0; step < 1500; step++) {
        const char *n1 = nm[rand() % 5], *n2 = nm[rand() % 5];
        vfs_node n;
        switch (rand() % 6) {
        case 0: /* create and hold */
            if (nheld < 24 && !ops->create(fs, d, n1, 1, 0600, &n)) {
                cr_assert_lt(n, 65536);
                model[n].seed = 0;
                model[n].size = 0;
                held[nheld++] = n;
            }
            break;
        case 1: /* rewrite a held file, linked or not */
            if (nheld) {
                n = held[rand() % nheld];
                model[n].seed = (uint32_t)step + 1;
                model[n].size = (size_t)(rand() % 9000);
                cr_assert_eq(ops->setattr(fs, n, VFS_SET_SIZE, &(struct vfs_attr){.size = 0}), 0);
                fill(n, model[n].seed, 0, model[n].size);
            }
            break;
        case 2:
            ops->unlink(fs, d, n1, 1);
            break;
        case 3:
            ops->rename(fs, d, n1, 1, d, n2, 1);
            break;
        case 4: /* drop a reference */
            if (nheld) {
                int k = rand() % nheld;
                ops->put(fs, held[k]);
                held[k] = held[--nheld];
            }
            break;
        default: /* another reference, to a linked file */
            if (nheld < 24 && !ops->lookup(fs, d, n1, 1, &n))
                held[nheld++] = n;
            break;
        }
        for (int k = 0; k < nheld; k++) {
            n = held[k];
            struct vfs_attr a = attr(n);
            orphaned += !a.links;
            cr_assert_eq(a.size, model[n].size, "step %d: inode %llu", step, (unsigned long long)n);
            if (model[n].seed)
                expect(n, model[n].seed, 0, model[n].size);
        }
    }
    cr_assert_gt(orphaned, 100, "orphans seen %d times only", orphaned);
    for (int i = 0; i < 5; i++)
        ops->unlink(fs, d, nm[i], 1);
    while (nheld)
        ops->put(fs, held[--nheld]);
    ops->put(fs, d);
    cr_assert_eq(ops->rmdir(fs, root, "r", 1), 0);
    cr_assert_eq(last_orphan(&m), 0);
    cr_assert_eq(free_blocks(), fb);
    cr_assert_eq(free_inodes(), fi);
    ops->put(fs, root);
    finish();
}

/* Mode bits (setuid, setgid, sticky), owners above 16 bits and times through
 * setattr: getattr returns them, ctime is the clock's, a time past 2038 is
 * clamped; e2fsck -fn clean and debugfs reads them from the inode. */
Test(ext2fs, attributes_in_the_inode)
{
    mount_tree(1024);
    vfs_node root = walk(""), f = walk("f13"), d, l;
    cr_assert_eq(ops->mkdir(fs, root, "sd", 2, 0755, &d), 0);
    cr_assert_eq(ops->symlink(fs, root, "sl", 2, "f13", 3, &l), 0);
    struct vfs_attr a = {.mode = 06751,
                         .uid = 70000,
                         .gid = 100,
                         .atime = 1000000000ull * NSEC + 999,
                         .mtime = 1234567890ull * NSEC};
    unsigned all = VFS_SET_MODE | VFS_SET_OWNER | VFS_SET_ATIME | VFS_SET_MTIME;
    cr_assert_eq(ops->setattr(fs, f, all, &a), 0);
    struct vfs_attr b = attr(f);
    cr_assert_eq(b.mode, 06751);
    cr_assert(b.uid == 70000 && b.gid == 100, "owner %u:%u", b.uid, b.gid);
    cr_assert_eq(b.atime, 1000000000ull * NSEC); /* whole seconds */
    cr_assert_eq(b.mtime, 1234567890ull * NSEC);
    cr_assert_eq(b.ctime, v_now(NULL) / NSEC * NSEC);
    /* Only what the mask names changes. */
    a = (struct vfs_attr){.mode = 01777, .uid = 1, .gid = 2};
    cr_assert_eq(ops->setattr(fs, d, VFS_SET_MODE, &a), 0);
    b = attr(d);
    cr_assert(b.mode == 01777 && b.uid == 0 && b.type == VFS_T_DIR);
    /* A symbolic link's own owner; a time past 2038 clamped. */
    a = (struct vfs_attr){.uid = 5, .gid = 6, .mtime = ~0ull};
    cr_assert_eq(ops->setattr(fs, l, VFS_SET_OWNER | VFS_SET_MTIME, &a), 0);
    b = attr(l);
    cr_assert(b.uid == 5 && b.gid == 6 && b.mtime == 0x7fffffffull * NSEC && b.mode == 0777);
    /* Unknown mask bits: EINVAL, nothing changed. */
    cr_assert_eq(ops->setattr(fs, f, 1u << 10, &a), -VFS_EINVAL);
    cr_assert_eq(attr(f).uid, 70000);
    ops->put(fs, l);
    ops->put(fs, d);
    ops->put(fs, f);
    ops->put(fs, root);
    cr_assert_eq(ext2fs_held(fs), 0);
    ops->unmount(fs);
    fsck_clean(&m);
    char cmd[600], out[4096];
    snprintf(cmd, sizeof(cmd),
             "debugfs -R 'stat /f13' %s 2>/dev/null | grep -E 'Mode:|User:|mtime:|atime:' | "
             "tr -s ' \t' ' '; debugfs -R 'stat /sd' %s 2>/dev/null | grep Mode: | tr -s ' \t' ' '",
             m.path, m.path);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    pclose(p);
    out[n] = 0;
    cr_assert(strstr(out, "Mode: 06751"), "debugfs: %s", out);
    cr_assert(strstr(out, "User: 70000 Group: 100"), "debugfs: %s", out);
    cr_assert(strstr(out, "mtime: 0x499602d2"), "debugfs: %s", out);
    cr_assert(strstr(out, "atime: 0x3b9aca00"), "debugfs: %s", out);
    cr_assert(strstr(out, "Mode: 01777"), "debugfs: %s", out);
    cr_assert_eq(live_allocs, 0);
    img_free(&m);
}
