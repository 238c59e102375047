/*
 * The overlay backend (user/fs/overlay.c): lower = ext2fs (read-only) over an image
 * mke2fs -d made from the ext2 tests' tree, upper = ext2fs over an empty image. Lookup
 * and readdir through the layers, copy-up (with parents, modes, owners, holes),
 * whiteouts and opaque directories in the OCI layout (checked in the upper image
 * itself), merged readdir without duplicates, rename (and EXDEV for a merged
 * directory), hidden names. After each test: e2fsck -fn on both images, and the lower
 * image byte-identical to what mke2fs made.
 */
#include "ext2_util.h"
#include "ext2fs.h"
#include "overlay.h"

static struct img lower, upper;
static uint8_t *lower_copy;
static struct ext2_blockdev ldev, udev;
static void *lfs, *ufs, *fs;
static const struct vfs_ops *ops = &overlay_ops, *E = &ext2fs_ops;

static uint64_t v_now(void *ctx)
{
    return 1700000000ull * 1000000000ull;
}

static const struct vfs_env venv = {NULL, env_alloc, env_free, v_now, NULL, NULL};

static void setup(void)
{
    char tree[128];
    snprintf(tree, sizeof(tree), "/tmp/weft-ovl-tree-%d", getpid());
    make_tree(tree);
    make_image(&lower, tree, 1024, 1024, "16M");
    sh("rm -rf %s", tree);
    make_image(&upper, NULL, 4096, 4096, "16M");
    lower_copy = malloc(lower.size);
    memcpy(lower_copy, lower.b, lower.size);
    ldev = img_dev(&lower);
    udev = img_dev(&upper);
    cr_assert_eq(ext2fs_mount_dev(&venv, &ldev, NULL, NULL, NULL, EXT2FS_RDONLY, &lfs), 0);
    cr_assert_eq(ext2fs_mount_dev(&venv, &udev, NULL, NULL, NULL, 0, &ufs), 0);
    cr_assert_eq(overlay_mount(&venv, E, lfs, E, ufs, &fs), 0);
}

/* Unmounts and checks both images (in the test: assertions in .fini do not count). */
static void finish(void)
{
    ops->unmount(fs);
    cr_assert_eq(live_allocs, 0, "%ld allocations left", live_allocs);
    fsck_clean(&upper);
    fsck_clean(&lower);
    cr_assert(!memcmp(lower.b, lower_copy, lower.size), "the lower image changed");
    free(lower_copy);
    img_free(&lower);
    img_free(&upper);
}

TestSuite(overlay, .init = setup, .timeout = 120);

/* Walks path through ops (fsys) from its root. */
static int walk_rc(const struct vfs_ops *o, void *fsys, const char *path, vfs_node *out)
{
    vfs_node n, next;
    cr_assert_eq(o->root(fsys, &n), 0);
    while (*path) {
        const char *e = strchr(path, '/');
        size_t len = e ? (size_t)(e - path) : strlen(path);
        int rc = o->lookup(fsys, n, path, len, &next);
        o->put(fsys, n);
        if (rc)
            return rc;
        n = next;
        path += len + (e != NULL);
    }
    *out = n;
    return 0;
}

static vfs_node walk(const char *path)
{
    vfs_node n;
    int rc = walk_rc(ops, fs, path, &n);
    cr_assert_eq(rc, 0, "%s: %d", path, rc);
    return n;
}

/* Whether path exists in the upper image itself. */
static bool in_upper(const char *path)
{
    vfs_node n;
    if (walk_rc(E, ufs, path, &n))
        return false;
    E->put(ufs, n);
    return true;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names directory path lists (through o), sorted, joined by ','; also checks
 * that no name repeats. */
static char *list(const struct vfs_ops *o, void *fsys, const char *path)
{
    vfs_node d;
    cr_assert_eq(walk_rc(o, fsys, path, &d), 0);
    static char *names[1000];
    int n = 0;
    uint64_t cookie = 0;
    struct vfs_dirent e;
    for (;;) {
        cr_assert_eq(o->readdir(fsys, d, &cookie, &e), 0);
        if (!e.name_len)
            break;
        cr_assert_lt(n, 1000);
        names[n] = strndup(e.name, e.name_len);
        n++;
    }
    o->put(fsys, d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp);
    static char out[40000];
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        cr_assert(i == 0 || strcmp(names[i - 1], names[i]), "%s listed twice", names[i]);
        if (i)
            strcat(out, ",");
        strcat(out, names[i]);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    return out;
}

static void expect_file(vfs_node n, uint32_t seed, size_t size)
{
    uint8_t b[3000];
    for (size_t pos = 0; pos < size;) {
        long r = ops->read(fs, n, pos, b, sizeof(b));
        cr_assert_gt(r, 0);
        for (long i = 0; i < r; i++)
            cr_assert_eq(b[i], pattern(seed, pos + (size_t)i), "byte %zu", pos + (size_t)i);
        pos += (size_t)r;
    }
    cr_assert_eq(ops->read(fs, n, size, b, 10), 0);
}

#define ROOT_LIST                                                                                  \
    "a,empty,f0,f1,f1023,f1024,f1025,f1126400,f12288,f12289,f13,f307200,f4096,f70000,fast,hard,"   \
    "lost+found,many,slow,sparse"

Test(overlay, reads_the_lower_layer)
{
    cr_assert_str_eq(list(ops, fs, ""), ROOT_LIST);
    vfs_node n = walk("f70000");
    expect_file(n, 10, 70000);
    struct vfs_attr a;
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    cr_assert_eq(a.size, 70000);
    cr_assert_eq(a.ino % 2, 0);
    vfs_node again = walk("f70000");
    cr_assert_eq(again, n, "one record per path");
    ops->put(fs, again);
    ops->put(fs, n);
    n = walk("a/b/c/deep");
    expect_file(n, 99, 5000);
    ops->put(fs, n);
    n = walk("fast");
    char t[16];
    cr_assert_eq(ops->readlink(fs, n, t, sizeof(t)), 3);
    ops->put(fs, n);
    cr_assert_eq(strlen(list(ops, fs, "many")), 500 * 30 - 1);
    struct vfs_statfs s;
    cr_assert_eq(ops->statfs(fs, &s), 0);
    cr_assert_eq(s.block_size, 4096); /* the upper layer's */
    finish();
}

Test(overlay, copy_up_with_parents)
{
    vfs_node n = walk("a/b/c/deep");
    cr_assert(!in_upper("a"));
    cr_assert_eq(ops->write(fs, n, 10, "XYZ", 3), 3);
    cr_assert(in_upper("a/b/c/deep"));
    uint8_t b[16];
    cr_assert_eq(ops->read(fs, n, 8, b, 7), 7);
    cr_assert_eq(b[0], pattern(99, 8));
    cr_assert(!memcmp(b + 2, "XYZ", 3));
    cr_assert_eq(b[5], pattern(99, 13));
    struct vfs_attr a;
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    cr_assert_eq(a.size, 5000);
    cr_assert_eq(a.ino % 2, 1);
    ops->put(fs, n);
    /* The parents keep their modes (a is 0700). */
    vfs_node u;
    cr_assert_eq(walk_rc(E, ufs, "a", &u), 0);
    cr_assert_eq(E->getattr(ufs, u, &a), 0);
    cr_assert_eq(a.mode, 0700);
    E->put(ufs, u);
    /* setattr copies up too, with the owner. */
    n = walk("f13");
    struct vfs_attr m = {.mode = 0600};
    cr_assert_eq(ops->setattr(fs, n, VFS_SET_MODE, &m), 0);
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    cr_assert_eq(a.mode, 0600);
    cr_assert_eq(a.uid, 1234);
    cr_assert_eq(a.gid, 5678);
    expect_file(n, 3, 13);
    ops->put(fs, n);
    /* A sparse file keeps its holes: 70 MiB of size, a few blocks of data. */
    n = walk("sparse");
    cr_assert_eq(ops->write(fs, n, 0, "HEAD", 4), 4);
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    cr_assert_eq(a.size, 70u << 20);
    cr_assert_lt(a.blocks, 200, "%llu blocks", (unsigned long long)a.blocks);
    char t[8];
    cr_assert_eq(ops->read(fs, n, (70u << 20) - 4, t, 4), 4);
    cr_assert(!memcmp(t, "tail", 4));
    cr_assert_eq(ops->read(fs, n, 700 * 1024 + 3, t, 6), 6);
    cr_assert(!memcmp(t, "middle", 6));
    ops->put(fs, n);
    /* A symbolic link copies up as a link. */
    n = walk("slow");
    cr_assert_eq(ops->setattr(fs, n, VFS_SET_MTIME, &m), 0);
    char target[300];
    long len = ops->readlink(fs, n, target, sizeof(target));
    cr_assert_gt(len, 60);
    ops->put(fs, n);
    cr_assert(in_upper("slow"));
    cr_assert_str_eq(list(ops, fs, ""), ROOT_LIST);
    cr_assert_str_eq(list(ops, fs, "a/b/c"), "deep");
    finish();
}

Test(overlay, whiteouts)
{
    vfs_node root = walk(""), n;
    cr_assert_eq(ops->unlink(fs, root, "f13", 3), 0);
    cr_assert_eq(walk_rc(ops, fs, "f13", &n), -VFS_ENOENT);
    cr_assert(in_upper(".wh.f13"), "the OCI whiteout file");
    cr_assert_eq(walk_rc(ops, fs, ".wh.f13", &n), -VFS_ENOENT);
    cr_assert(!strstr(list(ops, fs, ""), "f13,"));
    cr_assert(!strstr(list(ops, fs, ""), ".wh."));
    /* The name again: the new file shows; removed again, the lower one stays hidden. */
    cr_assert_eq(ops->create(fs, root, "f13", 3, 0644, &n), 0);
    cr_assert_eq(ops->write(fs, n, 0, "new", 3), 3);
    ops->put(fs, n);
    n = walk("f13");
    char b[8];
    cr_assert_eq(ops->read(fs, n, 0, b, 8), 3);
    ops->put(fs, n);
    cr_assert_str_eq(list(ops, fs, ""), ROOT_LIST);
    cr_assert_eq(ops->unlink(fs, root, "f13", 3), 0);
    cr_assert_eq(walk_rc(ops, fs, "f13", &n), -VFS_ENOENT);
    /* Empty a lower directory, remove it, make it again: opaque. */
    n = walk("a/b/c");
    cr_assert_eq(ops->rmdir(fs, root, "a", 1), -VFS_ENOTEMPTY);
    cr_assert_eq(ops->unlink(fs, n, "deep", 4), 0);
    ops->put(fs, n);
    n = walk("a/b");
    cr_assert_eq(ops->rmdir(fs, n, "c", 1), 0);
    cr_assert(in_upper("a/b/.wh.c"));
    cr_assert_str_eq(list(ops, fs, "a/b"), "");
    vfs_node c;
    cr_assert_eq(ops->mkdir(fs, n, "c", 1, 0755, &c), 0);
    cr_assert(in_upper("a/b/c/.wh..wh..opq"));
    cr_assert_str_eq(list(ops, fs, "a/b/c"), "");
    cr_assert_eq(walk_rc(ops, fs, "a/b/c/deep", &c), -VFS_ENOENT);
    ops->put(fs, c);
    /* An opaque directory empties like any other. */
    cr_assert_eq(ops->rmdir(fs, n, "c", 1), 0);
    cr_assert(!in_upper("a/b/c"));
    ops->put(fs, n);
    /* Hidden names cannot be made. */
    cr_assert_eq(ops->create(fs, root, ".wh.x", 5, 0644, &n), -VFS_EINVAL);
    cr_assert_eq(ops->mkdir(fs, root, ".wh..wh..opq", 12, 0755, &n), -VFS_EINVAL);
    cr_assert_eq(ops->unlink(fs, root, ".wh.f13", 7), -VFS_ENOENT);
    cr_assert_eq(ops->create(fs, root, "f0", 2, 0644, &n), -VFS_EEXIST);
    ops->put(fs, root);
    finish();
}

Test(overlay, merged_readdir)
{
    vfs_node root = walk(""), n;
    /* Names only in the upper, copied up, removed: each listed once or not at all. */
    for (int i = 0; i < 30; i++) {
        char name[16];
        int k = snprintf(name, sizeof(name), "new%02d", i);
        cr_assert_eq(ops->create(fs, root, name, (size_t)k, 0644, &n), 0);
        ops->put(fs, n);
    }
    n = walk("f0");
    cr_assert_eq(ops->write(fs, n, 0, "x", 1), 1);
    ops->put(fs, n);
    cr_assert_eq(ops->unlink(fs, root, "f1", 2), 0);
    cr_assert_eq(ops->unlink(fs, root, "new05", 5), 0);
    char want[4000];
    strcpy(want, "a,empty,f0,f1023,f1024,f1025,f1126400,f12288,f12289,f13,f307200,f4096,f70000,"
                 "fast,hard,lost+found,many");
    for (int i = 0; i < 30; i++)
        if (i != 5)
            sprintf(want + strlen(want), ",new%02d", i);
    strcat(want, ",slow,sparse");
    cr_assert_str_eq(list(ops, fs, ""), want);
    /* The upper root holds the new names, the copy and one whiteout, nothing more. */
    cr_assert(strstr(list(E, ufs, ""), ".wh.f1,"));
    cr_assert(!strstr(list(E, ufs, ""), ".wh.new05"));
    ops->put(fs, root);
    finish();
}

Test(overlay, rename)
{
    vfs_node root = walk(""), n, d;
    /* A lower file moved: copied up, its old name whited out. */
    cr_assert_eq(ops->rename(fs, root, "f1025", 5, root, "moved", 5), 0);
    cr_assert_eq(walk_rc(ops, fs, "f1025", &n), -VFS_ENOENT);
    n = walk("moved");
    expect_file(n, 6, 1025);
    ops->put(fs, n);
    cr_assert(in_upper(".wh.f1025"));
    /* Over a lower file. */
    cr_assert_eq(ops->rename(fs, root, "moved", 5, root, "f4096", 5), 0);
    n = walk("f4096");
    expect_file(n, 6, 1025);
    ops->put(fs, n);
    /* A merged directory: EXDEV; an upper-only one moves, and over a removed lower
     * directory's name it is opaque. */
    cr_assert_eq(ops->rename(fs, root, "a", 1, root, "b", 1), -VFS_EXDEV);
    cr_assert_eq(ops->mkdir(fs, root, "mine", 4, 0755, &d), 0);
    cr_assert_eq(ops->create(fs, d, "inside", 6, 0644, &n), 0);
    ops->put(fs, n);
    cr_assert_eq(ops->rename(fs, root, "mine", 4, root, "empty", 5), 0);
    cr_assert_str_eq(list(ops, fs, "empty"), "inside");
    cr_assert(in_upper("empty/.wh..wh..opq"));
    cr_assert_eq(ops->rename(fs, root, "f0", 2, root, "many", 4), -VFS_EISDIR);
    cr_assert_eq(ops->rename(fs, root, "empty", 5, root, "many", 4), -VFS_ENOTEMPTY);
    cr_assert_eq(ops->rename(fs, root, "hard", 4, root, "hard", 4), 0);
    cr_assert_eq(ops->rename(fs, root, "f0", 2, root, ".wh.x", 5), -VFS_EINVAL);
    ops->put(fs, d);
    /* Links: a lower file linked copies up first. */
    n = walk("f12288");
    cr_assert_eq(ops->link(fs, n, root, "again", 5), 0);
    cr_assert_eq(ops->link(fs, n, root, "again", 5), -VFS_EEXIST);
    struct vfs_attr a;
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    cr_assert_eq(a.links, 2);
    ops->put(fs, n);
    n = walk("again");
    expect_file(n, 8, 12288);
    ops->put(fs, n);
    ops->put(fs, root);
    finish();
}

/* A removed lower-only file held open reads on, and cannot be changed. */
Test(overlay, removed_while_held)
{
    vfs_node root = walk(""), n = walk("f4096");
    cr_assert_eq(ops->unlink(fs, root, "f4096", 5), 0);
    expect_file(n, 7, 4096);
    struct vfs_attr a;
    cr_assert_eq(ops->getattr(fs, n, &a), 0);
    cr_assert_eq(a.links, 0);
    cr_assert_eq(ops->write(fs, n, 0, "x", 1), -VFS_ENOENT);
    cr_assert(!in_upper("f4096"));
    ops->put(fs, n);
    ops->put(fs, root);
    finish();
}
