/*
 * tmpfs (user/fs/tmpfs.c) on the host, through the VFS (user/fs/vfs.c) with
 * tmpfs as the root of a namespace, and at the node level (its vfs_ops
 * directly): regular files (sparse writes, reads of holes, truncate both
 * ways), directories of many entries and ReadDir cookies that stay valid
 * across removals, symbolic links (followed, not followed, loops, dangling
 * creation), hard link counts, rename (replace, into its own subtree refused,
 * directory link counts), unlink and rmdir while open or referenced, the
 * memory limit (ENOSPC, nothing leaked: every byte back after unmount), a
 * randomized run of writes and truncates checked against a flat byte array,
 * and a randomized run of mkdir, create, unlink, rmdir, rename and link
 * checked against a list of paths (results, types, inodes, link counts,
 * directory entries). With a store (decision 160): files written, cut and
 * removed at random against models while the store's object holds exactly
 * their pages, and the store's limit (ENOSPC, memory back on unlink, cut and
 * unmount).
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_alloc.h"
#include "tmpfs.h"
#include "vfs_srv.h"

static struct vfs v;
static struct vfs_ns *ns;
static void *tfs; /* the tmpfs at the root */
static uint64_t clock_now;

static uint64_t t_now(void *ctx)
{
    (void)ctx;
    return ++clock_now;
}

static const struct vfs_env env = {.alloc = t_alloc, .free = t_free, .now = t_now};

static void setup_limit(uint64_t bytes, uint64_t inodes)
{
    live = 0;
    v = (struct vfs){.env = env};
    cr_assert_eq(tmpfs_mount(&env, bytes, inodes, &tfs), 0);
    struct vfs_fs *f = vfs_fs_new(&v, &tmpfs_ops, tfs, "tmpfs", 0);
    cr_assert(f);
    cr_assert_eq(vfs_ns_new(&v, f, &ns), 0);
}

static void setup(void)
{
    setup_limit(64u << 20, 10000);
}

static void unmount_all(void)
{
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

static void teardown(void)
{
    unmount_all();
    cr_assert_eq(live, 0, "%zu bytes leaked", live);
}

TestSuite(tmpfs, .init = setup, .fini = teardown);

#define S(x) x, strlen(x)

/* The index-th entry of directory f (counting from '.'), by cookies from
 * the start: 0 and *len 0 past the last. */
static int rd(struct vfs_file *f, uint64_t index, char *name, size_t *len, uint64_t *type,
              uint64_t *ino)
{
    uint64_t cookie = 0;
    struct vfs_dirent e;
    for (uint64_t i = 0;; i++) {
        int rc = vfs_readdir(&v, f, &cookie, &e);
        if (rc)
            return rc;
        if (i == index || e.name_len == 0) {
            memcpy(name, e.name, e.name_len);
            *len = e.name_len;
            *type = e.type;
            *ino = e.ino;
            return 0;
        }
    }
}

static struct vfs_file op(const char *p, unsigned flags)
{
    struct vfs_file f;
    int rc = vfs_open(&v, ns, S(p), flags, 0644, &f);
    cr_assert_eq(rc, 0, "open %s: %d", p, rc);
    return f;
}

static int st_type(const char *p, int nofollow)
{
    struct vfs_attr st;
    int rc = vfs_stat(&v, ns, S(p), nofollow, &st);
    return rc ? rc : (int)st.type;
}

static uint64_t links(const char *p)
{
    struct vfs_attr st;
    cr_assert_eq(vfs_stat(&v, ns, S(p), 1, &st), 0);
    return st.links;
}

enum { RW = VFS_O_READ | VFS_O_WRITE, CR = RW | VFS_O_CREATE };

Test(tmpfs, create_write_read_stat)
{
    struct vfs_file f = op("/a", CR);
    cr_assert_eq(vfs_write(&v, &f, 0, "hello", 5), 5);
    char b[16] = {0};
    cr_assert_eq(vfs_read(&v, &f, 0, b, sizeof(b)), 5);
    cr_assert_str_eq(b, "hello");
    cr_assert_eq(vfs_read(&v, &f, 3, b, 16), 2);
    cr_assert_eq(vfs_read(&v, &f, 5, b, 16), 0);
    cr_assert_eq(vfs_read(&v, &f, 500, b, 16), 0);
    struct vfs_attr st;
    vfs_fstat(&v, &f, &st);
    cr_assert(st.type == VFS_T_FILE && st.size == 5 && st.links == 1 && st.mode == 0644);
    cr_assert_eq(vfs_stat(&v, ns, S("a"), 0, &st), 0); /* no leading slash */
    cr_assert_eq(st.size, 5);
    vfs_close(&v, &f);
    /* Open flags. */
    struct vfs_file g;
    cr_assert_eq(vfs_open(&v, ns, S("/a"), CR | VFS_O_EXCL, 0, &g), -VFS_EEXIST);
    cr_assert_eq(vfs_open(&v, ns, S("/b"), RW, 0, &g), -VFS_ENOENT);
    cr_assert_eq(vfs_open(&v, ns, S("/a"), 1u << 10, 0, &g), -VFS_EINVAL);
    cr_assert_eq(vfs_open(&v, ns, S("/a"), RW | VFS_O_DIRECTORY, 0, &g), -VFS_ENOTDIR);
    cr_assert_eq(vfs_open(&v, ns, S("/a/"), VFS_O_READ, 0, &g), -VFS_ENOTDIR);
    cr_assert_eq(vfs_open(&v, ns, S("/a/x"), CR, 0, &g), -VFS_ENOTDIR);
    cr_assert_eq(vfs_open(&v, ns, S("/"), RW, 0, &g), -VFS_EISDIR);
    cr_assert_eq(vfs_open(&v, ns, S("/new/"), CR, 0, &g), -VFS_EISDIR);
    g = op("/a", VFS_O_READ);
    cr_assert_eq(vfs_write(&v, &g, 0, "x", 1), -VFS_EBADF);
    cr_assert_eq(vfs_truncate(&v, &g, 0), -VFS_EBADF);
    vfs_close(&v, &g);
    g = op("/a", VFS_O_WRITE);
    cr_assert_eq(vfs_read(&v, &g, 0, b, 1), -VFS_EBADF);
    vfs_close(&v, &g);
    g = op("/a", VFS_O_WRITE | VFS_O_TRUNC);
    vfs_fstat(&v, &g, &st);
    cr_assert_eq(st.size, 0);
    vfs_close(&v, &g);
}

Test(tmpfs, sparse_and_truncate)
{
    struct vfs_file f = op("/s", CR);
    size_t before = live;
    cr_assert_eq(vfs_write(&v, &f, 1u << 20, "z", 1), 1);
    /* One page and the page array, not a megabyte. */
    cr_assert_lt(live - before, 2 * TMPFS_PAGE + 4096);
    char b[64];
    memset(b, 7, sizeof(b));
    cr_assert_eq(vfs_read(&v, &f, 1000, b, 64), 64);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(b[i], 0);
    cr_assert_eq(vfs_read(&v, &f, (1u << 20) - 1, b, 64), 2);
    cr_assert(b[0] == 0 && b[1] == 'z');
    /* Cut into a page, grow again: the cut part reads as zeros. */
    cr_assert_eq(vfs_write(&v, &f, 0, "abcdef", 6), 6);
    cr_assert_eq(vfs_truncate(&v, &f, 3), 0);
    cr_assert_eq(vfs_truncate(&v, &f, 6), 0);
    cr_assert_eq(vfs_read(&v, &f, 0, b, 64), 6);
    cr_assert(memcmp(b, "abc\0\0\0", 6) == 0);
    cr_assert_eq(vfs_truncate(&v, &f, TMPFS_FILE_MAX + 1), -VFS_EFBIG);
    cr_assert_eq(vfs_write(&v, &f, TMPFS_FILE_MAX, "a", 1), -VFS_EFBIG);
    cr_assert_eq(vfs_write(&v, &f, UINT64_MAX, "a", 1), -VFS_EFBIG);
    vfs_close(&v, &f);
}

Test(tmpfs, directories_many_entries_readdir)
{
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d"), 0755), -VFS_EEXIST);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/x/y"), 0755), -VFS_ENOENT);
    cr_assert_eq(links("/"), 3);
    char name[300];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(name, sizeof(name), "/d/f%d", i);
        struct vfs_file f;
        cr_assert_eq(vfs_open(&v, ns, name, (size_t)n, CR, 0600, &f), 0);
        vfs_close(&v, &f);
    }
    struct vfs_file d = op("/d", VFS_O_READ);
    size_t len;
    uint64_t type, ino;
    cr_assert_eq(rd(&d, 0, name, &len, &type, &ino), 0);
    cr_assert(len == 1 && name[0] == '.' && type == VFS_T_DIR);
    cr_assert_eq(rd(&d, 1, name, &len, &type, &ino), 0);
    cr_assert(len == 2 && memcmp(name, "..", 2) == 0 && ino == 1);
    for (int i = 0; i < 500; i++) {
        cr_assert_eq(rd(&d, 2 + (uint64_t)i, name, &len, &type, &ino), 0);
        char want[16];
        int n = snprintf(want, sizeof(want), "f%d", i);
        cr_assert(len == (size_t)n && memcmp(name, want, len) == 0 && type == VFS_T_FILE);
    }
    cr_assert_eq(rd(&d, 502, name, &len, &type, &ino), 0);
    cr_assert_eq(len, 0);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/d")), -VFS_ENOTEMPTY);
    for (int i = 0; i < 500; i++) {
        int n = snprintf(name, sizeof(name), "/d/f%d", i);
        cr_assert_eq(vfs_unlink(&v, ns, name, (size_t)n), 0);
    }
    struct vfs_file f = op("/a", CR);
    cr_assert_eq(rd(&f, 0, name, &len, &type, &ino), -VFS_ENOTDIR);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/a")), -VFS_ENOTDIR);
    cr_assert_eq(vfs_unlink(&v, ns, S("/d")), -VFS_EISDIR);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/")), -VFS_EBUSY);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/d/.")), -VFS_EINVAL);
    /* rmdir while open: the handle reads an empty directory, creating in it fails. */
    cr_assert_eq(vfs_rmdir(&v, ns, S("/d")), 0);
    cr_assert_eq(links("/"), 2);
    cr_assert_eq(rd(&d, 2, name, &len, &type, &ino), 0);
    cr_assert_eq(len, 0);
    vfs_close(&v, &d);
    /* Names: too long, dots. */
    memset(name, 'n', 256);
    name[0] = '/';
    cr_assert_eq(vfs_mkdir(&v, ns, name, 257, 0), -VFS_ENAMETOOLONG);
    cr_assert_eq(vfs_mkdir(&v, ns, name, 256, 0), 0); /* '/' and 255 bytes */
    cr_assert_eq(vfs_mkdir(&v, ns, S("/x/../.."), 0), -VFS_ENOENT);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/.."), 0), -VFS_EEXIST);
    cr_assert_eq(st_type("/a/..", 0), -VFS_ENOTDIR);
    cr_assert_eq(vfs_mkdir(&v, ns, "/x\0y", 4, 0), -VFS_EINVAL);
    cr_assert_eq(vfs_symlink(&v, ns, "t\0", 2, S("/l")), -VFS_EINVAL);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/e"), 0), 0);
    cr_assert_eq(st_type("/e/../..//./", 0), VFS_T_DIR);
}

Test(tmpfs, symlinks)
{
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d"), 0755), 0);
    struct vfs_file f = op("/d/t", CR);
    cr_assert_eq(vfs_write(&v, &f, 0, "data", 4), 4);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_symlink(&v, ns, S("d"), S("/ld")), 0); /* relative */
    cr_assert_eq(vfs_symlink(&v, ns, S("/d/t"), S("/lt")), 0);
    cr_assert_eq(vfs_symlink(&v, ns, S("x"), S("/lt")), -VFS_EEXIST);
    cr_assert_eq(st_type("/ld/t", 0), VFS_T_FILE);
    cr_assert_eq(st_type("/lt", 0), VFS_T_FILE);
    cr_assert_eq(st_type("/lt", 1), VFS_T_SYMLINK);
    cr_assert_eq(st_type("/ld/", 1), VFS_T_DIR);
    char b[VFS_PATH_MAX];
    cr_assert_eq(vfs_readlink(&v, ns, S("/lt"), b, sizeof(b)), 4);
    cr_assert(memcmp(b, "/d/t", 4) == 0);
    cr_assert_eq(vfs_readlink(&v, ns, S("/d"), b, sizeof(b)), -VFS_EINVAL);
    struct vfs_file g;
    cr_assert_eq(vfs_open(&v, ns, S("/lt"), RW | VFS_O_NOFOLLOW, 0, &g), -VFS_ELOOP);
    g = op("/lt", VFS_O_READ);
    cr_assert_eq(vfs_read(&v, &g, 0, b, 10), 4);
    vfs_close(&v, &g);
    /* A loop, a dangling link created through. */
    cr_assert_eq(vfs_symlink(&v, ns, S("/l2"), S("/l1")), 0);
    cr_assert_eq(vfs_symlink(&v, ns, S("/l1"), S("/l2")), 0);
    cr_assert_eq(st_type("/l1", 0), -VFS_ELOOP);
    cr_assert_eq(vfs_symlink(&v, ns, S("/d/new"), S("/dang")), 0);
    cr_assert_eq(st_type("/dang", 0), -VFS_ENOENT);
    g = op("/dang", CR);
    vfs_close(&v, &g);
    cr_assert_eq(st_type("/d/new", 1), VFS_T_FILE);
    /* Unlink removes the link, not the target. */
    cr_assert_eq(vfs_unlink(&v, ns, S("/lt")), 0);
    cr_assert_eq(st_type("/d/t", 0), VFS_T_FILE);
    cr_assert_eq(vfs_symlink(&v, ns, "", 0, S("/e")), -VFS_ENOENT);
}

Test(tmpfs, hard_links_and_unlink_while_open)
{
    struct vfs_file f = op("/a", CR);
    cr_assert_eq(vfs_write(&v, &f, 0, "abc", 3), 3);
    cr_assert_eq(vfs_link(&v, ns, S("/a"), S("/b")), 0);
    cr_assert_eq(vfs_link(&v, ns, S("/a"), S("/b")), -VFS_EEXIST);
    cr_assert_eq(vfs_link(&v, ns, S("/"), S("/r")), -VFS_EPERM);
    cr_assert_eq(vfs_link(&v, ns, S("/none"), S("/r")), -VFS_ENOENT);
    cr_assert_eq(links("/a"), 2);
    struct vfs_attr sa, sb;
    cr_assert_eq(vfs_stat(&v, ns, S("/a"), 0, &sa), 0);
    cr_assert_eq(vfs_stat(&v, ns, S("/b"), 0, &sb), 0);
    cr_assert_eq(sa.ino, sb.ino);
    cr_assert_eq(vfs_unlink(&v, ns, S("/a")), 0);
    cr_assert_eq(links("/b"), 1);
    cr_assert_eq(vfs_unlink(&v, ns, S("/b")), 0);
    cr_assert_eq(vfs_unlink(&v, ns, S("/b")), -VFS_ENOENT);
    /* Unlinked, still open: the data lives until close. */
    size_t held = live;
    char b[8];
    cr_assert_eq(vfs_read(&v, &f, 0, b, 8), 3);
    cr_assert_eq(vfs_write(&v, &f, 3, "d", 1), 1);
    struct vfs_attr st;
    vfs_fstat(&v, &f, &st);
    cr_assert(st.links == 0 && st.size == 4);
    vfs_close(&v, &f);
    cr_assert_lt(live, held);
    struct vfs_statfs sf;
    vfs_statfs(&v, ns, &sf);
    cr_assert_eq(sf.total_inodes - sf.free_inodes, 1); /* the root */
}

Test(tmpfs, rename_rules)
{
    cr_assert_eq(vfs_mkdir(&v, ns, S("/a"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/a/b"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/c"), 0755), 0);
    struct vfs_file f = op("/f", CR);
    cr_assert_eq(vfs_write(&v, &f, 0, "F", 1), 1);
    vfs_close(&v, &f);
    f = op("/g", CR);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_rename(&v, ns, S("/a"), S("/a/b/x")), -VFS_EINVAL);
    cr_assert_eq(vfs_rename(&v, ns, S("/a"), S("/a/x")), -VFS_EINVAL);
    cr_assert_eq(vfs_rename(&v, ns, S("/a"), S("/f")), -VFS_ENOTDIR);
    cr_assert_eq(vfs_rename(&v, ns, S("/f"), S("/c")), -VFS_EISDIR);
    cr_assert_eq(vfs_rename(&v, ns, S("/c"), S("/a")), -VFS_ENOTEMPTY);
    cr_assert_eq(vfs_rename(&v, ns, S("/none"), S("/z")), -VFS_ENOENT);
    cr_assert_eq(vfs_rename(&v, ns, S("/"), S("/z")), -VFS_EBUSY);
    cr_assert_eq(vfs_rename(&v, ns, S("/f"), S("/f")), 0);
    /* A file over a file: g's inode goes, f's name goes. */
    struct vfs_attr st;
    cr_assert_eq(vfs_rename(&v, ns, S("/f"), S("/g")), 0);
    cr_assert_eq(st_type("/f", 0), -VFS_ENOENT);
    f = op("/g", VFS_O_READ);
    char b[2];
    cr_assert_eq(vfs_read(&v, &f, 0, b, 2), 1);
    cr_assert_eq(b[0], 'F');
    vfs_close(&v, &f);
    /* A directory moves: link counts follow; over an empty directory. */
    cr_assert_eq(links("/a"), 3);
    cr_assert_eq(vfs_rename(&v, ns, S("/a/b"), S("/c/b")), 0);
    cr_assert_eq(links("/a"), 2);
    cr_assert_eq(links("/c"), 3);
    cr_assert_eq(st_type("/c/b/..", 0), VFS_T_DIR);
    cr_assert_eq(vfs_stat(&v, ns, S("/c/b/.."), 0, &st), 0);
    struct vfs_attr sc;
    cr_assert_eq(vfs_stat(&v, ns, S("/c"), 0, &sc), 0);
    cr_assert_eq(st.ino, sc.ino);
    cr_assert_eq(vfs_rename(&v, ns, S("/c/b"), S("/a")), 0);
    cr_assert_eq(links("/"), 4); /* root, ., a, c: '/a' replaced */
    cr_assert_eq(links("/c"), 2);
    cr_assert_eq(st_type("/c/b", 0), -VFS_ENOENT);
    /* Within one directory, keeping the entry count. */
    cr_assert_eq(vfs_rename(&v, ns, S("/g"), S("/h")), 0);
    cr_assert_eq(st_type("/h", 0), VFS_T_FILE);
    cr_assert_eq(vfs_stat(&v, ns, S("/"), 0, &st), 0);
    cr_assert_eq(st.size, 3); /* a, c, h */
}

Test(tmpfs, memory_limit_gives_enospc_and_frees)
{
    unmount_all();
    setup_limit(64 * 1024, 50);
    struct vfs_file f = op("/big", CR);
    static char buf[TMPFS_PAGE];
    memset(buf, 'q', sizeof(buf));
    long n, total = 0;
    while ((n = vfs_write(&v, &f, (uint64_t)total, buf, sizeof(buf))) > 0)
        total += n;
    cr_assert_eq(n, -VFS_ENOSPC);
    cr_assert_gt(total, 8 * TMPFS_PAGE);
    cr_assert_leq(tmpfs_used_bytes(tfs), 64 * 1024);
    struct vfs_statfs sf;
    vfs_statfs(&v, ns, &sf);
    cr_assert_lt(sf.free_blocks * sf.block_size, TMPFS_PAGE);
    cr_assert_eq(vfs_truncate(&v, &f, 0), 0);
    cr_assert_eq(vfs_write(&v, &f, 0, buf, 100), 100);
    vfs_close(&v, &f);
    /* Inodes run out too. */
    int i;
    for (i = 0; i < 100; i++) {
        char p[16];
        int k = snprintf(p, sizeof(p), "/i%d", i);
        int rc = vfs_mkdir(&v, ns, p, (size_t)k, 0);
        if (rc) {
            cr_assert_eq(rc, -VFS_ENOSPC);
            break;
        }
    }
    cr_assert_eq(i, 48); /* 50 less the root and /big */
}

/* Writes, truncates and reads at random offsets of one file, checked against a
 * flat array. */
Test(tmpfs, random_file_against_flat_model)
{
    enum { MAX = 5 * TMPFS_PAGE + 123 };
    static unsigned char model[MAX], got[MAX], buf[MAX];
    size_t size = 0;
    struct vfs_file f = op("/r", CR);
    srand(12345);
    for (int step = 0; step < 3000; step++) {
        int what = rand() % 4;
        size_t off = (size_t)rand() % MAX;
        size_t n = (size_t)rand() % (MAX - off + 1);
        if (what == 0) {
            for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char)rand();
            cr_assert_eq(vfs_write(&v, &f, off, buf, n), (long)n);
            memcpy(model + off, buf, n);
            if (n && off + n > size)
                size = off + n;
        } else if (what == 1) {
            cr_assert_eq(vfs_truncate(&v, &f, off), 0);
            if (off < size)
                memset(model + off, 0, size - off);
            size = off;
        } else {
            long want = off >= size ? 0 : (long)(n < size - off ? n : size - off);
            cr_assert_eq(vfs_read(&v, &f, off, got, n), want, "step %d", step);
            cr_assert(memcmp(got, model + off, (size_t)want) == 0, "step %d", step);
        }
        struct vfs_attr st;
        vfs_fstat(&v, &f, &st);
        cr_assert_eq(st.size, size);
    }
    vfs_close(&v, &f);
}

/* ---- the name space against a reference model ----
 * Paths of one to three components over the names a, b, c; the model is a
 * list of (path, type, id) with hard links sharing an id. Each random mkdir,
 * create, unlink, rmdir, rename or link must give the model's result, and
 * after each the whole tree must match: every model path's type, inode
 * classes (same inode exactly for the same id), link counts, and every
 * directory's entries. */

#define MPATHS 256
struct mentry {
    char path[16]; /* "/a/b/c", deeper after renames */
    int type, id;
};
static struct mentry model_e[MPATHS];
static int model_n, model_ids;

static int m_find(const char *p)
{
    for (int i = 0; i < model_n; i++)
        if (strcmp(model_e[i].path, p) == 0)
            return i;
    return -1;
}

static int m_type(const char *p)
{
    if (strcmp(p, "") == 0)
        return VFS_T_DIR; /* the root */
    int i = m_find(p);
    return i < 0 ? 0 : model_e[i].type;
}

static void m_parent(const char *p, char *out)
{
    strcpy(out, p);
    *strrchr(out, '/') = 0;
}

/* Lookup of p's parent chain: 0, -ENOENT or -ENOTDIR (as tmpfs walks). */
static int m_walk(const char *p)
{
    char pre[16];
    for (size_t i = 1; p[i]; i++) {
        if (p[i] != '/')
            continue;
        memcpy(pre, p, i);
        pre[i] = 0;
        int t = m_type(pre);
        if (!t)
            return -VFS_ENOENT;
        if (t != VFS_T_DIR)
            return -VFS_ENOTDIR;
    }
    return 0;
}

static bool m_has_children(const char *p)
{
    size_t n = strlen(p);
    for (int i = 0; i < model_n; i++)
        if (strncmp(model_e[i].path, p, n) == 0 && model_e[i].path[n] == '/')
            return true;
    return false;
}

static void m_add(const char *p, int type, int id)
{
    cr_assert_lt(model_n, MPATHS);
    strcpy(model_e[model_n].path, p);
    model_e[model_n].type = type;
    model_e[model_n++].id = id;
}

static void m_del(const char *p)
{
    int i = m_find(p);
    model_e[i] = model_e[--model_n];
}

static int m_create(const char *p, int type)
{
    int rc = m_walk(p);
    if (rc)
        return rc;
    if (m_type(p))
        return -VFS_EEXIST;
    m_add(p, type, model_ids++);
    return 0;
}

static int m_remove(const char *p, int dir)
{
    int rc = m_walk(p);
    if (rc)
        return rc;
    int t = m_type(p);
    if (!t)
        return -VFS_ENOENT;
    if (dir && t != VFS_T_DIR)
        return -VFS_ENOTDIR;
    if (!dir && t == VFS_T_DIR)
        return -VFS_EISDIR;
    if (dir && m_has_children(p))
        return -VFS_ENOTEMPTY;
    m_del(p);
    return 0;
}

static int m_link(const char *a, const char *b)
{
    int rc = m_walk(a);
    if (rc)
        return rc;
    int i = m_find(a);
    if (i < 0)
        return -VFS_ENOENT;
    if (model_e[i].type == VFS_T_DIR)
        return -VFS_EPERM;
    if ((rc = m_walk(b)))
        return rc;
    if (m_type(b))
        return -VFS_EEXIST;
    m_add(b, model_e[i].type, model_e[i].id);
    return 0;
}

static int m_rename(const char *a, const char *b)
{
    int rc = m_walk(a);
    if (rc)
        return rc;
    int i = m_find(a);
    if (i < 0)
        return -VFS_ENOENT;
    if ((rc = m_walk(b)))
        return rc;
    int st = model_e[i].type, dt = m_type(b);
    size_t al = strlen(a);
    if (st == VFS_T_DIR) {
        char bp[16];
        m_parent(b, bp);
        if (strncmp(bp, a, al) == 0 && (bp[al] == 0 || bp[al] == '/'))
            return -VFS_EINVAL;
        if (dt && dt != VFS_T_DIR)
            return -VFS_ENOTDIR;
        if (dt && strcmp(a, b) != 0 && m_has_children(b))
            return -VFS_ENOTEMPTY;
    } else if (dt == VFS_T_DIR) {
        return -VFS_EISDIR;
    }
    int j = m_find(b);
    if (j >= 0 && model_e[j].id == model_e[i].id)
        return 0; /* the same file */
    if (j >= 0)
        m_del(b);
    /* Move a and everything under it. */
    for (int k = 0; k < model_n; k++) {
        char *p = model_e[k].path;
        if (strncmp(p, a, al) == 0 && (p[al] == 0 || p[al] == '/')) {
            char np[32];
            snprintf(np, sizeof(np), "%s%s", b, p + al);
            cr_assert_lt(strlen(np), sizeof(model_e[k].path));
            strcpy(p, np);
        }
    }
    return 0;
}

/* Whether renaming a to b keeps every moved model path within its buffer (the
 * test skips a rename that would not: repeated moves deepen the tree). */
static bool m_rename_fits(const char *a, const char *b)
{
    size_t al = strlen(a);
    for (int k = 0; k < model_n; k++) {
        const char *p = model_e[k].path;
        if (strncmp(p, a, al) == 0 && (p[al] == 0 || p[al] == '/') &&
            strlen(b) + strlen(p) - al >= sizeof(model_e[k].path))
            return false;
    }
    return true;
}

static void m_check(int step)
{
    for (int i = 0; i < model_n; i++) {
        struct vfs_attr a, b;
        cr_assert_eq(vfs_stat(&v, ns, S(model_e[i].path), 1, &a), 0, "step %d: %s", step,
                     model_e[i].path);
        cr_assert_eq(a.type, (uint64_t)model_e[i].type, "step %d", step);
        uint64_t nl = 0;
        for (int j = 0; j < model_n; j++) {
            cr_assert_eq(vfs_stat(&v, ns, S(model_e[j].path), 1, &b), 0);
            cr_assert_eq(a.ino == b.ino, model_e[i].id == model_e[j].id, "step %d: %s %s", step,
                         model_e[i].path, model_e[j].path);
            if (model_e[i].type == VFS_T_DIR) {
                char par[16];
                m_parent(model_e[j].path, par);
                nl += model_e[j].type == VFS_T_DIR && strcmp(par, model_e[i].path) == 0;
            } else {
                nl += model_e[i].id == model_e[j].id;
            }
        }
        cr_assert_eq(a.links, model_e[i].type == VFS_T_DIR ? nl + 2 : nl, "step %d: %s", step,
                     model_e[i].path);
    }
    /* Every directory's entries are the model's children. */
    for (int i = -1; i < model_n; i++) {
        const char *dp = i < 0 ? "" : model_e[i].path;
        if (i >= 0 && model_e[i].type != VFS_T_DIR)
            continue;
        struct vfs_file d = op(i < 0 ? "/" : dp, VFS_O_READ);
        int want = 0;
        for (int j = 0; j < model_n; j++) {
            char par[16];
            m_parent(model_e[j].path, par);
            want += strcmp(par, dp) == 0;
        }
        int got = 0;
        for (uint64_t k = 2;; k++) {
            char name[VFS_NAME_MAX + 1], full[32];
            size_t len;
            uint64_t type, ino;
            cr_assert_eq(rd(&d, k, name, &len, &type, &ino), 0);
            if (!len)
                break;
            name[len] = 0;
            snprintf(full, sizeof(full), "%s/%s", dp, name);
            int j = m_find(full);
            cr_assert_geq(j, 0, "step %d: %s not in the model", step, full);
            cr_assert_eq(type, (uint64_t)model_e[j].type);
            got++;
        }
        cr_assert_eq(got, want, "step %d: %s has %d entries, the model %d", step, dp, got, want);
        vfs_close(&v, &d);
    }
}

static void random_path(char *p)
{
    int depth = 1 + rand() % 3;
    char *q = p;
    for (int i = 0; i < depth; i++) {
        *q++ = '/';
        *q++ = (char)('a' + rand() % 3);
    }
    *q = 0;
}

Test(tmpfs, random_name_space_against_a_model)
{
    model_n = 0;
    model_ids = 1;
    srand(777);
    for (int step = 0; step < 4000; step++) {
        char a[8], b[8];
        random_path(a);
        random_path(b);
        int what = rand() % 6, want = 0, got = 0;
        switch (what) {
        case 0:
            want = m_create(a, VFS_T_DIR);
            got = vfs_mkdir(&v, ns, S(a), 0755);
            break;
        case 1: {
            want = m_create(a, VFS_T_FILE);
            struct vfs_file f;
            got = vfs_open(&v, ns, S(a), CR | VFS_O_EXCL, 0644, &f);
            if (!got)
                vfs_close(&v, &f);
            break;
        }
        case 2:
            want = m_remove(a, 0);
            got = vfs_unlink(&v, ns, S(a));
            break;
        case 3:
            want = m_remove(a, 1);
            got = vfs_rmdir(&v, ns, S(a));
            break;
        case 4:
            if (!m_rename_fits(a, b))
                continue;
            want = m_rename(a, b);
            got = vfs_rename(&v, ns, S(a), S(b));
            break;
        default:
            want = m_link(a, b);
            got = vfs_link(&v, ns, S(a), S(b));
            break;
        }
        cr_assert_eq(got, want, "step %d: op %d %s %s: tmpfs %d, model %d", step, what, a, b, got,
                     want);
        m_check(step);
    }
    struct vfs_statfs sf;
    vfs_statfs(&v, ns, &sf);
    int ids = 0;
    for (int i = 0; i < model_n; i++) {
        bool first = true;
        for (int j = 0; j < i; j++)
            first &= model_e[j].id != model_e[i].id;
        ids += first;
    }
    cr_assert_eq(sf.total_inodes - sf.free_inodes, (uint64_t)ids + 1);
}

/* ---- the node level: tmpfs's vfs_ops without the VFS ---- */

Test(tmpfs, nodes_references_and_cookies)
{
    const struct vfs_ops *o = &tmpfs_ops;
    vfs_node root, d, a, b, c, x;
    cr_assert_eq(o->root(tfs, &root), 0);
    cr_assert_eq(o->mkdir(tfs, root, S("d"), 0755, &d), 0);
    cr_assert_eq(o->mkdir(tfs, root, S("d"), 0755, &x), -VFS_EEXIST);
    cr_assert_eq(o->create(tfs, d, S("a"), 0644, &a), 0);
    cr_assert_eq(o->create(tfs, d, S("b"), 0644, &b), 0);
    cr_assert_eq(o->create(tfs, d, S("c"), 0644, &c), 0);
    cr_assert_eq(o->create(tfs, a, S("z"), 0644, &x), -VFS_ENOTDIR);
    cr_assert_eq(o->lookup(tfs, d, S("b"), &x), 0);
    cr_assert_eq(x, b);
    o->put(tfs, x);
    cr_assert_eq(o->lookup(tfs, d, S("q"), &x), -VFS_ENOENT);
    /* A cookie stays valid when an entry before it goes, and one removed
     * after it is skipped. */
    uint64_t cookie = 0;
    struct vfs_dirent e;
    cr_assert_eq(o->readdir(tfs, d, &cookie, &e), 0);
    cr_assert(e.name_len == 1 && e.name[0] == 'a');
    cr_assert_eq(o->unlink(tfs, d, S("a")), 0);
    cr_assert_eq(o->unlink(tfs, d, S("c")), 0);
    cr_assert_eq(o->readdir(tfs, d, &cookie, &e), 0);
    cr_assert(e.name_len == 1 && e.name[0] == 'b');
    cr_assert_eq(o->readdir(tfs, d, &cookie, &e), 0);
    cr_assert_eq(e.name_len, 0);
    /* Unlinked nodes with references live on: a is still readable. */
    struct vfs_attr at;
    cr_assert_eq(o->write(tfs, a, 0, "live", 4), 4);
    cr_assert_eq(o->getattr(tfs, a, &at), 0);
    cr_assert(at.links == 0 && at.size == 4);
    char buf[8];
    cr_assert_eq(o->read(tfs, a, 0, buf, 8), 4);
    cr_assert_eq(o->read(tfs, d, 0, buf, 8), -VFS_EISDIR);
    struct vfs_statfs sf;
    cr_assert_eq(o->statfs(tfs, &sf), 0);
    cr_assert_eq(sf.total_inodes - sf.free_inodes, 5); /* root, d, a, b, c */
    o->put(tfs, a);
    o->put(tfs, c);
    cr_assert_eq(o->statfs(tfs, &sf), 0);
    cr_assert_eq(sf.total_inodes - sf.free_inodes, 3);
    /* rmdir while referenced: nothing can be made in it. */
    cr_assert_eq(o->rmdir(tfs, root, S("d")), -VFS_ENOTEMPTY);
    cr_assert_eq(o->unlink(tfs, d, S("b")), 0);
    cr_assert_eq(o->rmdir(tfs, root, S("d")), 0);
    cr_assert_eq(o->create(tfs, d, S("n"), 0644, &x), -VFS_ENOENT);
    cr_assert_eq(o->link(tfs, b, d, S("n")), -VFS_ENOENT);
    o->put(tfs, b);
    o->put(tfs, d);
    /* setattr: mode, size. */
    cr_assert_eq(o->create(tfs, root, S("m"), 0600, &x), 0);
    at = (struct vfs_attr){.mode = 0640, .size = 10};
    cr_assert_eq(o->setattr(tfs, x, VFS_SET_MODE | VFS_SET_SIZE, &at), 0);
    cr_assert_eq(o->getattr(tfs, x, &at), 0);
    cr_assert(at.mode == 0640 && at.size == 10 && at.type == VFS_T_FILE);
    o->put(tfs, x);
    o->put(tfs, root);
    cr_assert_eq(o->statfs(tfs, &sf), 0);
    cr_assert_eq(sf.total_inodes - sf.free_inodes, 2); /* root, m */
}

/* ---- a store-backed tmpfs (decision 160) ----
 * The store is an array of pages with a limit (a write past it is ENOSPC, as
 * a full pool's VMO_Write); pages cut off by a shrink come back holding
 * garbage, so a page tmpfs did not write whole would show it. */

enum { SPAGES = 64 };
static unsigned char smem[SPAGES * TMPFS_PAGE];
static uint64_t s_pages, s_limit, s_released;

static int s_resize(void *ctx, uint64_t pages)
{
    (void)ctx;
    cr_assert(pages >= 1 && pages <= SPAGES);
    if (pages < s_pages)
        memset(smem + pages * TMPFS_PAGE, 0xee, (s_pages - pages) * TMPFS_PAGE);
    s_pages = pages;
    return 0;
}

static int s_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    cr_assert(off + len <= s_pages * TMPFS_PAGE, "read past the object");
    memcpy(buf, smem + off, len);
    return 0;
}

static int s_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx;
    cr_assert(off + len <= s_pages * TMPFS_PAGE, "write past the object");
    if (off + len > s_limit * TMPFS_PAGE)
        return -VFS_ENOSPC;
    memcpy(smem + off, buf, len);
    return 0;
}

static int s_space(void *ctx, uint64_t *total, uint64_t *free)
{
    (void)ctx;
    *total = s_limit * TMPFS_PAGE;
    *free = (s_limit - s_pages) * TMPFS_PAGE;
    return 0;
}

static void s_release(void *ctx)
{
    (void)ctx;
    s_released++;
}

static const struct tmpfs_store store = {NULL, s_resize, s_read, s_write, s_space, s_release};

static void setup_store(uint64_t limit_pages)
{
    unmount_all();
    live = 0;
    s_pages = 1;
    s_limit = limit_pages;
    s_released = 0;
    memset(smem, 0xee, sizeof(smem));
    v = (struct vfs){.env = env};
    cr_assert_eq(tmpfs_mount_store(&env, &store, 1u << 20, 1000, &tfs), 0);
    struct vfs_fs *f = vfs_fs_new(&v, &tmpfs_ops, tfs, "tmpfs", 0);
    cr_assert(f);
    cr_assert_eq(vfs_ns_new(&v, f, &ns), 0);
}

/* Three files written, cut and removed at random against flat models; the
 * store's object always holds exactly the pages the files hold. */
Test(tmpfs, store_random_files_against_models)
{
    enum { NF = 3, MAX = 6 * TMPFS_PAGE + 77 };
    static unsigned char model[NF][MAX], got[MAX], buf[MAX];
    size_t size[NF] = {0};
    struct vfs_file f[NF];
    char name[NF][4] = {"/a", "/b", "/c"};
    setup_store(SPAGES);
    for (int i = 0; i < NF; i++)
        f[i] = op(name[i], CR);
    srand(777);
    for (int step = 0; step < 3000; step++) {
        int i = rand() % NF, what = rand() % 6;
        size_t off = (size_t)rand() % MAX;
        size_t n = (size_t)rand() % (MAX - off + 1);
        if (what <= 1) {
            for (size_t k = 0; k < n; k++)
                buf[k] = (unsigned char)rand();
            cr_assert_eq(vfs_write(&v, &f[i], off, buf, n), (long)n, "step %d", step);
            memcpy(model[i] + off, buf, n);
            if (n && off + n > size[i])
                size[i] = off + n;
        } else if (what == 2) {
            cr_assert_eq(vfs_truncate(&v, &f[i], off), 0);
            if (off < size[i])
                memset(model[i] + off, 0, size[i] - off);
            size[i] = off;
        } else if (what == 3 && rand() % 8 == 0) {
            vfs_close(&v, &f[i]);
            cr_assert_eq(vfs_unlink(&v, ns, name[i], strlen(name[i])), 0);
            f[i] = op(name[i], CR);
            memset(model[i], 0, MAX);
            size[i] = 0;
        } else {
            long want = off >= size[i] ? 0 : (long)(n < size[i] - off ? n : size[i] - off);
            cr_assert_eq(vfs_read(&v, &f[i], off, got, n), want, "step %d", step);
            cr_assert(memcmp(got, model[i] + off, (size_t)want) == 0, "step %d", step);
        }
        uint64_t held = 0;
        for (int k = 0; k < NF; k++) {
            struct vfs_attr st;
            vfs_fstat(&v, &f[k], &st);
            cr_assert_eq(st.size, size[k]);
            held += st.blocks / (TMPFS_PAGE / 512);
        }
        cr_assert_eq(tmpfs_store_pages(tfs), held, "step %d", step);
        cr_assert_eq(s_pages, held ? held : 1, "step %d: the object is not cut", step);
    }
    for (int i = 0; i < NF; i++)
        vfs_close(&v, &f[i]);
}

/* The store's limit: ENOSPC, the memory back on unlink and at unmount. */
Test(tmpfs, store_limit_gives_enospc_and_frees)
{
    setup_store(8);
    struct vfs_file f = op("/big", CR), g = op("/small", CR);
    static char buf[TMPFS_PAGE];
    memset(buf, 'q', sizeof(buf));
    cr_assert_eq(vfs_write(&v, &g, 0, "x", 1), 1);
    long n, total = 0;
    while ((n = vfs_write(&v, &f, (uint64_t)total, buf, sizeof(buf))) > 0)
        total += n;
    cr_assert_eq(n, -VFS_ENOSPC);
    cr_assert_eq(total, 7 * TMPFS_PAGE);
    struct vfs_statfs sf;
    vfs_statfs(&v, ns, &sf);
    cr_assert(sf.total_blocks == 8 && sf.free_blocks == 0);
    vfs_close(&v, &f);
    /* /small's page was the first: at its last close the last of /big's
     * moves into it. */
    cr_assert_eq(vfs_unlink(&v, ns, S("/small")), 0);
    cr_assert_eq(s_pages, 8);
    vfs_close(&v, &g);
    cr_assert_eq(s_pages, 7);
    f = op("/big", RW);
    char got[TMPFS_PAGE];
    for (uint64_t off = 0; off < (uint64_t)total; off += TMPFS_PAGE) {
        cr_assert_eq(vfs_read(&v, &f, off, got, sizeof(got)), (long)sizeof(got));
        cr_assert(memcmp(got, buf, sizeof(got)) == 0, "page at %lu", (unsigned long)off);
    }
    cr_assert_eq(vfs_truncate(&v, &f, 100), 0);
    cr_assert_eq(s_pages, 1);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_unlink(&v, ns, S("/big")), 0);
    cr_assert_eq(tmpfs_store_pages(tfs), 0);
    unmount_all();
    cr_assert_eq(s_released, 1);
    cr_assert_eq(live, 0, "%zu bytes leaked", live);
    setup(); /* for the suite's teardown */
}
