/*
 * The file server's VFS (user/fs/vfs.c) on the host, over tmpfs and a fake
 * backend that counts references: every node the VFS gets is put again
 * (after successful calls and after every error path), a node unlinked
 * while open lives until the close, '..' and symbolic links cross mount
 * points by the walked path, mounts refuse busy paths (EBUSY) and changes
 * across mounts (EXDEV) or on read-only mounts (EROFS), and two namespaces
 * (mount tables) see different trees over shared file systems. SetAttr by
 * path and by handle (mode, owner, times set or now, ctime by the clock),
 * its bad arguments (checked one by one, then a fuzz of random masks and
 * values), EROFS, and the overlay's copy-up before a change; an overlay
 * over a lower layer that keeps no references (no get or put: the initramfs).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_alloc.h"
#include "tmpfs.h"
#include "vfs_srv.h"
#if __has_include("overlay.h")
#include "overlay.h"
#define HAVE_OVERLAY 1
#endif

static const struct vfs_env env = {.alloc = t_alloc, .free = t_free};
static struct vfs v;
static struct vfs_ns *ns;
static unsigned released_count;

static void on_released(void *ctx, struct vfs_fs *f)
{
    (void)ctx;
    (void)f;
    released_count++;
}

#define S(x) x, strlen(x)

/* ---- the fake backend: a fixed tree, references counted ---- */

enum { F_ROOT, F_D, F_F, F_L, F_UP, F_ABS, F_LOOP, F_MNT, F_N };
static const struct fnode {
    const char *name;
    unsigned parent, type;
    const char *data; /* a file's bytes, a link's target */
} ftree[F_N] = {
    [F_ROOT] = {"", 0, VFS_T_DIR, NULL},
    [F_D] = {"d", F_ROOT, VFS_T_DIR, NULL},
    [F_F] = {"f", F_D, VFS_T_FILE, "fake"},
    [F_L] = {"l", F_ROOT, VFS_T_SYMLINK, "d/f"},
    [F_UP] = {"up", F_D, VFS_T_SYMLINK, "../d"},
    [F_ABS] = {"abs", F_ROOT, VFS_T_SYMLINK, "/d"},
    [F_LOOP] = {"loop", F_ROOT, VFS_T_SYMLINK, "loop"},
    [F_MNT] = {"mnt", F_ROOT, VFS_T_DIR, NULL},
};
static int frefs[F_N];
static bool fremoved[F_N], ffreed[F_N];
static unsigned fmounted, funmounted;

static void fcheck(vfs_node n)
{
    cr_assert(n < F_N, "node %lu is not the fake's", (unsigned long)n);
    cr_assert(!ffreed[n], "node %lu used after its last put", (unsigned long)n);
}

static int f_root(void *fs, vfs_node *out)
{
    (void)fs;
    frefs[F_ROOT]++;
    *out = F_ROOT;
    return 0;
}

static int f_lookup(void *fs, vfs_node dir, const char *name, size_t len, vfs_node *out)
{
    (void)fs;
    fcheck(dir);
    cr_assert(len > 0 && !memchr(name, '/', len) && !(len == 1 && name[0] == '.') &&
              !(len == 2 && name[0] == '.' && name[1] == '.'));
    if (ftree[dir].type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    for (unsigned i = 1; i < F_N; i++)
        if (!fremoved[i] && ftree[i].parent == dir && strlen(ftree[i].name) == len &&
            memcmp(ftree[i].name, name, len) == 0) {
            frefs[i]++;
            *out = i;
            return 0;
        }
    return -VFS_ENOENT;
}

static void f_get(void *fs, vfs_node n)
{
    (void)fs;
    fcheck(n);
    frefs[n]++;
}

static void f_put(void *fs, vfs_node n)
{
    (void)fs;
    fcheck(n);
    cr_assert_gt(frefs[n], 0, "node %lu put more than got", (unsigned long)n);
    if (--frefs[n] == 0 && fremoved[n])
        ffreed[n] = true;
}

static bool fdead; /* the fake's device failed: getattr is EIO */

static int f_getattr(void *fs, vfs_node n, struct vfs_attr *a)
{
    (void)fs;
    fcheck(n);
    cr_assert_gt(frefs[n], 0, "getattr of node %lu without a reference", (unsigned long)n);
    if (fdead)
        return -VFS_EIO;
    a->type = ftree[n].type;
    a->ino = 100 + n;
    a->links = fremoved[n] ? 0 : 1;
    a->size = ftree[n].data ? strlen(ftree[n].data) : 0;
    return 0;
}

static long f_read(void *fs, vfs_node n, uint64_t off, void *buf, size_t len)
{
    (void)fs;
    fcheck(n);
    const char *d = ftree[n].data;
    size_t sz = strlen(d);
    if (off >= sz)
        return 0;
    if (len > sz - off)
        len = sz - (size_t)off;
    memcpy(buf, d + off, len);
    return (long)len;
}

static long f_readlink(void *fs, vfs_node n, char *buf, size_t cap)
{
    (void)fs;
    fcheck(n);
    size_t len = strlen(ftree[n].data);
    memcpy(buf, ftree[n].data, len < cap ? len : cap);
    return (long)len;
}

static int f_readdir(void *fs, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out)
{
    (void)fs;
    fcheck(dir);
    out->name_len = 0;
    for (uint64_t i = *cookie + 1; i < F_N; i++)
        if (!fremoved[i] && ftree[i].parent == dir) {
            out->name_len = (uint32_t)strlen(ftree[i].name);
            memcpy(out->name, ftree[i].name, out->name_len);
            out->type = ftree[i].type;
            out->ino = 100 + i;
            *cookie = i;
            return 0;
        }
    return 0;
}

static int f_unlink(void *fs, vfs_node dir, const char *name, size_t len)
{
    vfs_node n;
    int rc = f_lookup(fs, dir, name, len, &n);
    if (rc)
        return rc;
    fremoved[n] = true;
    f_put(fs, n);
    return 0;
}

static void f_unmount(void *fs)
{
    (void)fs;
    for (unsigned i = 0; i < F_N; i++)
        cr_assert_eq(frefs[i], 0, "node %u still has %d references at unmount", i, frefs[i]);
    funmounted++;
}

static const struct vfs_ops fake_ops = {
    .root = f_root,
    .lookup = f_lookup,
    .get = f_get,
    .put = f_put,
    .getattr = f_getattr,
    .read = f_read,
    .readdir = f_readdir,
    .readlink = f_readlink,
    .unlink = f_unlink,
    .unmount = f_unmount,
};

static struct vfs_fs *fake_fs(unsigned flags)
{
    memset(frefs, 0, sizeof(frefs));
    memset(fremoved, 0, sizeof(fremoved));
    memset(ffreed, 0, sizeof(ffreed));
    fmounted++;
    return vfs_fs_new(&v, &fake_ops, &frefs, "fake", flags);
}

static struct vfs_fs *tmp_fs(void)
{
    void *fs;
    cr_assert_eq(tmpfs_mount(&env, 1u << 20, 1000, &fs), 0);
    struct vfs_fs *f = vfs_fs_new(&v, &tmpfs_ops, fs, "tmpfs", 0);
    cr_assert(f);
    return f;
}

static void setup(void)
{
    live = 0;
    released_count = fmounted = funmounted = 0;
    v = (struct vfs){.env = env, .released = on_released};
}

static void teardown(void)
{
    cr_assert_eq(live, 0, "%zu bytes leaked", live);
    cr_assert_eq(funmounted, fmounted);
}

TestSuite(vfs, .init = setup, .fini = teardown);

/* Nothing but the mount's own root reference is left. */
static void only_root_held(void)
{
    cr_assert_eq(frefs[F_ROOT], 1, "root refs %d", frefs[F_ROOT]);
    for (unsigned i = 1; i < F_N; i++)
        cr_assert_eq(frefs[i], 0, "node %u holds %d references", i, frefs[i]);
}

static int type_at(const char *p, bool nofollow)
{
    struct vfs_attr a;
    int rc = vfs_stat(&v, ns, S(p), nofollow, &a);
    return rc ? rc : (int)a.type;
}

static uint64_t ino_at(const char *p)
{
    struct vfs_attr a;
    cr_assert_eq(vfs_stat(&v, ns, S(p), false, &a), 0, "stat %s", p);
    return a.ino;
}

Test(vfs, every_node_got_is_put)
{
    cr_assert_eq(vfs_ns_new(&v, fake_fs(0), &ns), 0);
    only_root_held();
    /* Successful walks. */
    cr_assert_eq(type_at("/d/f", false), VFS_T_FILE);
    cr_assert_eq(type_at("l", false), VFS_T_FILE);
    cr_assert_eq(type_at("l", true), VFS_T_SYMLINK);
    cr_assert_eq(type_at("/d/up/up/./f", false), VFS_T_FILE);
    cr_assert_eq(type_at("/d/../d/f", false), VFS_T_FILE);
    cr_assert_eq(type_at("/../..", false), VFS_T_DIR);
    cr_assert_eq(ino_at("/.."), 100 + F_ROOT);
    cr_assert_eq(ino_at("/abs/"), 100 + F_D);
    only_root_held();
    /* Every error path. */
    cr_assert_eq(type_at("/none/f", false), -VFS_ENOENT);
    cr_assert_eq(type_at("/d/f/x", false), -VFS_ENOTDIR);
    cr_assert_eq(type_at("/d/f/", false), -VFS_ENOTDIR);
    cr_assert_eq(type_at("/loop", false), -VFS_ELOOP);
    cr_assert_eq(type_at("/loop/x", true), -VFS_ELOOP);
    cr_assert_eq(type_at("/d/none", false), -VFS_ENOENT);
    char longname[300];
    memset(longname, 'x', sizeof(longname));
    cr_assert_eq(vfs_stat(&v, ns, longname, 257, false, &(struct vfs_attr){0}), -VFS_ENAMETOOLONG);
    cr_assert_eq(vfs_stat(&v, ns, longname, 256, false, &(struct vfs_attr){0}), -VFS_ENAMETOOLONG);
    cr_assert_eq(vfs_stat(&v, ns, "/d\0", 3, false, &(struct vfs_attr){0}), -VFS_EINVAL);
    only_root_held();
    /* A read-only backend (no create, mkdir...) gives EROFS. */
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/new"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), -VFS_EROFS);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d/x"), 0755), -VFS_EROFS);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d"), 0755), -VFS_EEXIST);
    cr_assert_eq(vfs_open(&v, ns, S("/d/f"), VFS_O_WRITE, 0, &f), -VFS_EROFS);
    cr_assert_eq(vfs_rename(&v, ns, S("/d/f"), S("/g")), -VFS_EROFS);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/mnt")), -VFS_EROFS);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/")), -VFS_EBUSY);
    cr_assert_eq(vfs_unlink(&v, ns, S("/")), -VFS_EISDIR);
    only_root_held();
    /* Open files hold one reference each; readdir adds '.' and '..'. */
    struct vfs_file a, b;
    cr_assert_eq(vfs_open(&v, ns, S("/d/f"), VFS_O_READ, 0, &a), 0);
    cr_assert_eq(vfs_open(&v, ns, S("/l"), VFS_O_READ, 0, &b), 0);
    cr_assert_eq(frefs[F_F], 2);
    cr_assert_eq(vfs_open(&v, ns, S("/l"), VFS_O_READ | VFS_O_NOFOLLOW, 0, &f), -VFS_ELOOP);
    cr_assert_eq(frefs[F_L], 0);
    cr_assert_eq(vfs_open(&v, ns, S("/d"), VFS_O_READ, 0, &f), 0);
    uint64_t cookie = 0;
    struct vfs_dirent e;
    const char *want[] = {".", "..", "f", "up"};
    for (unsigned i = 0; i < 5; i++) {
        cr_assert_eq(vfs_readdir(&v, &f, &cookie, &e), 0);
        if (i < 4)
            cr_assert(e.name_len == strlen(want[i]) && memcmp(e.name, want[i], e.name_len) == 0);
        else
            cr_assert_eq(e.name_len, 0);
    }
    cookie = 1;
    cr_assert_eq(vfs_readdir(&v, &f, &cookie, &e), 0);
    cr_assert_eq(e.ino, 100 + F_ROOT); /* '..' of /d */
    vfs_close(&v, &f);
    cr_assert_eq(vfs_ns_free(&v, ns), -VFS_EBUSY);
    vfs_close(&v, &a);
    vfs_close(&v, &b);
    only_root_held();
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
    cr_assert_eq(funmounted, 1);
    cr_assert_eq(released_count, 1);
}

Test(vfs, unlink_while_open_keeps_the_node)
{
    cr_assert_eq(vfs_ns_new(&v, fake_fs(0), &ns), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/d/f"), VFS_O_READ, 0, &f), 0);
    cr_assert_eq(vfs_unlink(&v, ns, S("/d/f")), 0);
    cr_assert_eq(type_at("/d/f", false), -VFS_ENOENT);
    cr_assert(fremoved[F_F] && !ffreed[F_F]);
    char buf[8];
    cr_assert_eq(vfs_read(&v, &f, 0, buf, sizeof(buf)), 4);
    cr_assert(memcmp(buf, "fake", 4) == 0);
    struct vfs_attr a;
    cr_assert_eq(vfs_fstat(&v, &f, &a), 0);
    cr_assert_eq(a.links, 0);
    vfs_close(&v, &f);
    cr_assert(ffreed[F_F]);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

/* A tmpfs root with /mnt (a directory) and /t (a file), the fake on /mnt. */
static void tmp_root_and_fake(unsigned flags)
{
    cr_assert_eq(vfs_ns_new(&v, tmp_fs(), &ns), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/mnt"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d"), 0755), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/t"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), 0);
    cr_assert_eq(vfs_write(&v, &f, 0, "tmp", 3), 3);
    vfs_close(&v, &f);
    struct vfs_fs *fk = fake_fs(flags);
    cr_assert_eq(vfs_mount(&v, ns, S("/mnt"), fk), 0);
    only_root_held();
}

Test(vfs, mounts_dotdot_symlinks_and_busy)
{
    tmp_root_and_fake(0);
    uint64_t root = ino_at("/");
    cr_assert_eq(ino_at("/mnt"), 100 + F_ROOT);
    cr_assert_eq(type_at("/mnt/d/f", false), VFS_T_FILE);
    /* '..' from the mount's root goes back to the directory it is on's parent. */
    cr_assert_eq(ino_at("/mnt/.."), root);
    cr_assert_eq(ino_at("/mnt/d/../.."), root);
    cr_assert_eq(ino_at("/mnt/d/up/../.."), root); /* up is ../d: /mnt/d */
    cr_assert_eq(type_at("/mnt/d/up/../../t/..", false), -VFS_ENOTDIR);
    /* An absolute link in the mount resolves from the namespace's root. */
    cr_assert_eq(ino_at("/mnt/abs"), ino_at("/d"));
    cr_assert_eq(vfs_symlink(&v, ns, S("/mnt/l"), S("/lk")), 0);
    cr_assert_eq(ino_at("/lk"), 100 + F_F);
    cr_assert_eq(vfs_symlink(&v, ns, S("mnt/d"), S("/rel")), 0);
    cr_assert_eq(ino_at("/rel/up/f"), 100 + F_F);
    cr_assert_eq(ino_at("/rel/.."), ino_at("/mnt"));
    only_root_held();
    /* A file opened through the mount reads the fake's bytes. */
    struct vfs_file f, d;
    cr_assert_eq(vfs_open(&v, ns, S("/lk"), VFS_O_READ, 0, &f), 0);
    char buf[8];
    cr_assert_eq(vfs_read(&v, &f, 0, buf, 8), 4);
    /* The mount's root listed: '..' is the tmpfs root. */
    cr_assert_eq(vfs_open(&v, ns, S("/mnt"), VFS_O_READ, 0, &d), 0);
    uint64_t cookie = 1;
    struct vfs_dirent e;
    cr_assert_eq(vfs_readdir(&v, &d, &cookie, &e), 0);
    cr_assert(e.name_len == 2 && e.ino == root);
    vfs_close(&v, &d);
    /* Busy: unmount with a file open, mount on a mount's root, remove or
     * rename a mount point. */
    cr_assert_eq(vfs_umount(&v, ns, S("/mnt")), -VFS_EBUSY);
    struct vfs_fs *t2 = tmp_fs();
    cr_assert_eq(vfs_mount(&v, ns, S("/mnt"), t2), -VFS_EBUSY);
    cr_assert_eq(vfs_mount(&v, ns, S("/"), t2), -VFS_EBUSY);
    cr_assert_eq(vfs_mount(&v, ns, S("/t"), t2), -VFS_ENOTDIR);
    cr_assert_eq(vfs_mount(&v, ns, S("/none"), t2), -VFS_ENOENT);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/mnt")), -VFS_EBUSY);
    cr_assert_eq(vfs_rename(&v, ns, S("/mnt"), S("/m2")), -VFS_EBUSY);
    cr_assert_eq(vfs_rename(&v, ns, S("/d"), S("/mnt")), -VFS_EBUSY);
    /* Across mounts: EXDEV. */
    cr_assert_eq(vfs_link(&v, ns, S("/t"), S("/mnt/d/t")), -VFS_EXDEV);
    cr_assert_eq(vfs_rename(&v, ns, S("/mnt/d/f"), S("/f")), -VFS_EXDEV);
    /* A mount on a mount: the lower one is busy; '..' crosses both. */
    cr_assert_eq(vfs_mount(&v, ns, S("/mnt/mnt"), t2), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/mnt/mnt/x"), 0755), 0);
    cr_assert_eq(ino_at("/mnt/mnt/x/../.."), 100 + F_ROOT);
    cr_assert_eq(ino_at("/mnt/mnt/x/../../.."), root);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_umount(&v, ns, S("/mnt")), -VFS_EBUSY);
    cr_assert_eq(vfs_umount(&v, ns, S("/mnt/d")), -VFS_EINVAL);
    cr_assert_eq(vfs_umount(&v, ns, S("/")), -VFS_EBUSY);
    /* The table lists them in order. */
    const struct vfs_mount *m0 = vfs_mount_nth(ns, 0), *m1 = vfs_mount_nth(ns, 1),
                           *m2 = vfs_mount_nth(ns, 2);
    cr_assert(m0 && m1 && m2 && !vfs_mount_nth(ns, 3));
    cr_assert_str_eq(m0->path, "/");
    cr_assert_str_eq(m1->path, "/mnt");
    cr_assert_str_eq(m2->fs->type, "tmpfs");
    cr_assert_eq(vfs_umount(&v, ns, S("/mnt/mnt")), 0);
    cr_assert_eq(type_at("/mnt/mnt/x", false), -VFS_ENOENT); /* the fake's own /mnt */
    cr_assert_eq(vfs_umount(&v, ns, S("/mnt")), 0);
    cr_assert_eq(funmounted, 1);
    cr_assert_eq(type_at("/mnt/d", false), -VFS_ENOENT); /* tmpfs's empty /mnt again */
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
    cr_assert_eq(released_count, 3);
}

/* A mount whose file system fails every call (its device went away) can still be
   unmounted: crossing into a mount's root asks the backend nothing. */
Test(vfs, failed_mount_unmounts)
{
    tmp_root_and_fake(0);
    fdead = true;
    cr_assert_eq(type_at("/mnt/d", false), -VFS_EIO);
    cr_assert_eq(type_at("/mnt", false), -VFS_EIO); /* a stat of the root itself asks */
    cr_assert_eq(vfs_umount(&v, ns, S("/mnt")), 0);
    fdead = false;
    cr_assert_eq(funmounted, 1);
    cr_assert_eq(type_at("/mnt", false), VFS_T_DIR); /* tmpfs's /mnt again */
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

Test(vfs, read_only_mount_and_full_table)
{
    cr_assert_eq(vfs_ns_new(&v, tmp_fs(), &ns), 0);
    struct vfs_fs *ro = tmp_fs();
    ro->flags = VFS_MOUNT_RDONLY;
    cr_assert_eq(vfs_mkdir(&v, ns, S("/r"), 0755), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/r"), ro), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/r/x"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), -VFS_EROFS);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/r/x"), 0755), -VFS_EROFS);
    cr_assert_eq(vfs_symlink(&v, ns, S("t"), S("/r/x")), -VFS_EROFS);
    struct vfs_statfs sf;
    cr_assert_eq(vfs_open(&v, ns, S("/r"), VFS_O_READ, 0, &f), 0);
    cr_assert_eq(vfs_statfs_file(&v, &f, &sf), 0);
    cr_assert_eq(sf.read_only, 1);
    cr_assert_eq(vfs_statfs(&v, ns, &sf), 0);
    cr_assert_eq(sf.read_only, 0);
    vfs_close(&v, &f);
    /* Fill the table. */
    char p[16];
    unsigned i;
    for (i = 0;; i++) {
        snprintf(p, sizeof(p), "/m%u", i);
        cr_assert_eq(vfs_mkdir(&v, ns, S(p), 0755), 0);
        struct vfs_fs *t = tmp_fs();
        int rc = vfs_mount(&v, ns, S(p), t);
        if (rc) {
            cr_assert_eq(rc, -VFS_ENOSPC);
            vfs_fs_put(&v, t);
            break;
        }
    }
    cr_assert_eq(i, VFS_MOUNTS_MAX - 2); /* the root, /r */
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

/* A namespace rooted at a mount: only that mount and those on it. */
Test(vfs, namespace_rooted_at_a_mount)
{
    tmp_root_and_fake(0);
    struct vfs_ns *a = ns, *c;
    cr_assert_eq(vfs_mount(&v, a, S("/mnt/mnt"), tmp_fs()), 0);
    cr_assert_eq(vfs_mkdir(&v, a, S("/mnt/mnt/inner"), 0755), 0);
    cr_assert_eq(vfs_ns_copy(&v, a, S("/mnt/d"), &c), -VFS_EINVAL);
    cr_assert_eq(vfs_ns_copy(&v, a, S("/none"), &c), -VFS_ENOENT);
    cr_assert_eq(vfs_ns_copy(&v, a, S("/mnt"), &c), 0);
    ns = c;
    cr_assert_eq(ino_at("/"), 100 + F_ROOT);
    cr_assert_eq(ino_at("/.."), 100 + F_ROOT);
    cr_assert_eq(ino_at("/d/../../.."), 100 + F_ROOT);
    cr_assert_eq(type_at("/d/f", false), VFS_T_FILE);
    cr_assert_eq(type_at("/mnt/inner", false), VFS_T_DIR);
    cr_assert_eq(type_at("/t", false), -VFS_ENOENT); /* the tmpfs root is out of reach */
    cr_assert_eq(ino_at("/abs"), 100 + F_D);         /* "/d" from the new root */
    const struct vfs_mount *m0 = vfs_mount_nth(c, 0), *m1 = vfs_mount_nth(c, 1);
    cr_assert(m0 && m1 && !vfs_mount_nth(c, 2));
    cr_assert_str_eq(m0->path, "/");
    cr_assert_str_eq(m0->fs->type, "fake");
    cr_assert_str_eq(m1->path, "/mnt");
    cr_assert_eq(vfs_umount(&v, c, S("/")), -VFS_EBUSY);
    cr_assert_eq(vfs_umount(&v, a, S("/mnt/mnt")), 0);
    cr_assert_eq(vfs_umount(&v, a, S("/mnt")), 0);
    cr_assert_eq(funmounted, 0); /* c still has it */
    cr_assert_eq(vfs_ns_free(&v, c), 0);
    cr_assert_eq(funmounted, 1);
    cr_assert_eq(vfs_ns_free(&v, a), 0);
}

Test(vfs, namespaces_see_different_trees)
{
    tmp_root_and_fake(0);
    struct vfs_ns *a = ns, *b;
    cr_assert_eq(vfs_ns_copy(&v, a, NULL, 0, &b), 0);
    cr_assert_eq(frefs[F_ROOT], 2); /* each table holds the fake's root */
    /* b: a tmpfs over /d; a does not see it. */
    cr_assert_eq(vfs_mount(&v, b, S("/d"), tmp_fs()), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, b, S("/d/only-b"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), 0);
    ns = a;
    cr_assert_eq(type_at("/d/only-b", false), -VFS_ENOENT);
    ns = b;
    cr_assert_eq(type_at("/d/only-b", false), VFS_T_FILE);
    /* Both see the shared file systems: the root tmpfs and the fake. */
    cr_assert_eq(vfs_mkdir(&v, a, S("/shared"), 0755), 0);
    cr_assert_eq(type_at("/shared", false), VFS_T_DIR);
    cr_assert_eq(type_at("/mnt/d/f", false), VFS_T_FILE);
    /* a unmounts the fake; b keeps it (the fake is not unmounted yet). */
    cr_assert_eq(vfs_umount(&v, a, S("/mnt")), 0);
    cr_assert_eq(funmounted, 0);
    cr_assert_eq(type_at("/mnt/d/f", false), VFS_T_FILE);
    ns = a;
    cr_assert_eq(type_at("/mnt/d", false), -VFS_ENOENT);
    /* A namespace with files open cannot go. */
    cr_assert_eq(vfs_ns_free(&v, b), -VFS_EBUSY);
    cr_assert_eq(vfs_umount(&v, b, S("/d")), -VFS_EBUSY);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_ns_free(&v, b), 0);
    cr_assert_eq(funmounted, 1);
    cr_assert_eq(vfs_ns_free(&v, a), 0);
}

/* ---- attributes ---- */

static uint64_t clock_ns = 1767225600ull * 1000000000ull;

static uint64_t fake_now(void *ctx)
{
    (void)ctx;
    return clock_ns += 1000;
}

static const struct vfs_env cenv = {.alloc = t_alloc, .free = t_free, .now = fake_now};

/* A tmpfs with the clock, as the namespace's root; v with the clock too. */
static void clock_root(void)
{
    void *fs;
    v.env = cenv;
    cr_assert_eq(tmpfs_mount(&cenv, 1u << 20, 1000, &fs), 0);
    struct vfs_fs *f = vfs_fs_new(&v, &tmpfs_ops, fs, "tmpfs", 0);
    cr_assert(f);
    cr_assert_eq(vfs_ns_new(&v, f, &ns), 0);
}

static struct vfs_attr attr_at(const char *p, bool nofollow)
{
    struct vfs_attr a;
    cr_assert_eq(vfs_stat(&v, ns, S(p), nofollow, &a), 0, "stat %s", p);
    return a;
}

#define SEC 1000000000ull

Test(vfs, setattr_by_path_and_handle)
{
    clock_root();
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/f"), VFS_O_READ | VFS_O_CREATE, 0644, &f), 0);
    cr_assert_eq(vfs_symlink(&v, ns, S("f"), S("/l")), 0);
    struct vfs_attr a0 = attr_at("/f", false);
    struct vfs_set s = {VFS_A_MODE | VFS_A_UID | VFS_A_ATIME | VFS_A_MTIME,
                        06755,
                        1000,
                        0,
                        5 * SEC + 1,
                        7 * SEC + 2};
    cr_assert_eq(vfs_setattr(&v, ns, S("/l"), false, &s), 0); /* through the link */
    struct vfs_attr a = attr_at("/f", false);
    cr_assert(a.mode == 06755 && a.uid == 1000 && a.gid == 0);
    cr_assert(a.atime == 5 * SEC + 1 && a.mtime == 7 * SEC + 2);
    cr_assert_gt(a.ctime, a0.ctime);
    /* The link itself (lchown); the file unchanged. */
    s = (struct vfs_set){VFS_A_GID, 0, 0, 77, 0, 0};
    cr_assert_eq(vfs_setattr(&v, ns, S("/l"), true, &s), 0);
    cr_assert_eq(attr_at("/l", true).gid, 77);
    cr_assert_eq(attr_at("/f", false).gid, 0);
    /* By a handle opened read-only: now for mtime, atime kept. */
    uint64_t before = clock_ns;
    s = (struct vfs_set){VFS_A_MTIME_NOW | VFS_A_GID, 0, 0, 9, 0, 0};
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), 0);
    struct vfs_attr b;
    cr_assert_eq(vfs_fstat(&v, &f, &b), 0);
    cr_assert(b.mtime > before && b.mtime <= clock_ns && b.atime == 5 * SEC + 1);
    cr_assert(b.uid == 1000 && b.gid == 9 && b.ctime >= b.mtime);
    /* An empty mask: nothing, not even the ctime. */
    s = (struct vfs_set){0};
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), 0);
    cr_assert_eq(attr_at("/f", false).ctime, b.ctime);
    cr_assert_eq(vfs_setattr(&v, ns, S("/none"), false, &s), -VFS_ENOENT);
    s.mask = VFS_A_MODE;
    cr_assert_eq(vfs_setattr(&v, ns, S("/none/x"), false, &s), -VFS_ENOENT);
    cr_assert_eq(vfs_setattr(&v, ns, S("/f/x"), false, &s), -VFS_ENOTDIR);
    cr_assert_eq(vfs_setattr(&v, ns, S("/"), false, &s), 0); /* the root */
    vfs_close(&v, &f);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

/* Each bad argument alone: EINVAL, the file unchanged. */
Test(vfs, setattr_bad_arguments)
{
    clock_root();
    cr_assert_eq(vfs_mkdir(&v, ns, S("/d"), 0700), 0);
    const struct vfs_set bad[] = {
        {VFS_A_ALL + 1, 0, 0, 0, 0, 0},
        {~0u, 0, 0, 0, 0, 0},
        {VFS_A_MODE, 010000, 0, 0, 0, 0},
        {VFS_A_MODE, ~0ull, 0, 0, 0, 0},
        {VFS_A_UID, 0, 1ull << 32, 0, 0, 0},
        {VFS_A_GID, 0, 0, ~0ull, 0, 0},
        {VFS_A_ATIME | VFS_A_ATIME_NOW, 0, 0, 0, 1, 0},
        {VFS_A_MTIME | VFS_A_MTIME_NOW | VFS_A_MODE, 0600, 0, 0, 0, 1},
    };
    struct vfs_attr a0 = attr_at("/d", false);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(vfs_setattr(&v, ns, S("/d"), false, &bad[i]), -VFS_EINVAL, "case %u", i);
        struct vfs_attr a = attr_at("/d", false);
        cr_assert(!memcmp(&a, &a0, sizeof(a)), "case %u changed the directory", i);
    }
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

/* Random masks and values: EINVAL exactly when an argument is bad, else every
 * field named is what was set and the others are kept. */
Test(vfs, setattr_fuzz)
{
    clock_root();
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/z"), VFS_O_READ | VFS_O_CREATE, 0600, &f), 0);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 5000; i++) {
        uint64_t w[6];
        for (int k = 0; k < 6; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            w[k] = x;
        }
        /* Small values often, so that valid calls are common. */
        struct vfs_set s = {(unsigned)(w[0] & (i % 3 ? 0x7f : 0xfff)),
                            w[1] & (i % 5 ? 07777 : ~0ull),
                            w[2] >> (i % 2 ? 32 : 31),
                            w[3] >> (i % 3 ? 32 : 30),
                            w[4],
                            w[5]};
        bool ok = !(s.mask & ~(unsigned)VFS_A_ALL) &&
                  !((s.mask & VFS_A_ATIME) && (s.mask & VFS_A_ATIME_NOW)) &&
                  !((s.mask & VFS_A_MTIME) && (s.mask & VFS_A_MTIME_NOW)) &&
                  !((s.mask & VFS_A_MODE) && s.mode > 07777) &&
                  !((s.mask & VFS_A_UID) && s.uid > UINT32_MAX) &&
                  !((s.mask & VFS_A_GID) && s.gid > UINT32_MAX);
        struct vfs_attr a0, a;
        cr_assert_eq(vfs_fstat(&v, &f, &a0), 0);
        int rc = i % 2 ? vfs_fsetattr(&v, &f, &s) : vfs_setattr(&v, ns, S("/z"), false, &s);
        cr_assert_eq(rc, ok ? 0 : -VFS_EINVAL, "round %d mask %#x", i, s.mask);
        cr_assert_eq(vfs_fstat(&v, &f, &a), 0);
        if (!ok || !s.mask) {
            cr_assert(!memcmp(&a, &a0, sizeof(a)), "round %d changed the file", i);
            continue;
        }
        cr_assert_eq(a.mode, s.mask & VFS_A_MODE ? s.mode : a0.mode, "round %d", i);
        cr_assert_eq(a.uid, s.mask & VFS_A_UID ? s.uid : a0.uid);
        cr_assert_eq(a.gid, s.mask & VFS_A_GID ? s.gid : a0.gid);
        if (s.mask & VFS_A_ATIME)
            cr_assert_eq(a.atime, s.atime);
        else if (!(s.mask & VFS_A_ATIME_NOW))
            cr_assert_eq(a.atime, a0.atime);
        if (s.mask & VFS_A_MTIME)
            cr_assert_eq(a.mtime, s.mtime);
        else if (!(s.mask & VFS_A_MTIME_NOW))
            cr_assert_eq(a.mtime, a0.mtime);
        cr_assert_gt(a.ctime, a0.ctime);
        cr_assert(a.size == 0 && a.type == VFS_T_FILE);
    }
    vfs_close(&v, &f);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

Test(vfs, setattr_read_only_and_statfs_by_path)
{
    clock_root();
    struct vfs_fs *ro = tmp_fs();
    ro->flags = VFS_MOUNT_RDONLY;
    cr_assert_eq(vfs_mkdir(&v, ns, S("/r"), 0755), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/r"), ro), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/r"), VFS_O_READ, 0, &f), 0);
    struct vfs_set s = {VFS_A_MODE, 0700, 0, 0, 0, 0};
    cr_assert_eq(vfs_setattr(&v, ns, S("/r"), false, &s), -VFS_EROFS);
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), -VFS_EROFS);
    s = (struct vfs_set){VFS_A_ATIME_NOW, 0, 0, 0, 0, 0};
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), -VFS_EROFS);
    s.mask = 0; /* nothing asked: nothing refused */
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), 0);
    s.mask = VFS_A_MODE | 1024; /* bad arguments first */
    cr_assert_eq(vfs_fsetattr(&v, &f, &s), -VFS_EINVAL);
    struct vfs_statfs sf;
    const struct vfs_fs *which = NULL;
    cr_assert_eq(vfs_statfs_path(&v, ns, S("/r/."), &sf, &which), 0);
    cr_assert(sf.read_only == 1 && which == ro && sf.block_size == 4096);
    cr_assert_eq(vfs_statfs_path(&v, ns, S("/"), &sf, &which), 0);
    cr_assert(sf.read_only == 0 && which == ns->mounts[0].fs);
    cr_assert_eq(vfs_statfs_path(&v, ns, S("/nothing"), &sf, NULL), -VFS_ENOENT);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_umount(&v, ns, S("/r")), 0);
    /* A backend without setattr (the fake): EROFS. */
    struct vfs_fs *fk = fake_fs(0);
    cr_assert_eq(vfs_mount(&v, ns, S("/r"), fk), 0);
    s.mask = VFS_A_UID;
    cr_assert_eq(vfs_setattr(&v, ns, S("/r"), false, &s), -VFS_EROFS);
    only_root_held();
    cr_assert_eq(vfs_umount(&v, ns, S("/r")), 0);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

#ifdef HAVE_OVERLAY
/* An overlay of two tmpfs mounts, as the server builds it: the lower and the
 * upper stay mounts of their own (busy while the overlay lives, unmounted
 * once each, by their own mount). */
Test(vfs, overlay_of_two_mounts)
{
    cr_assert_eq(vfs_ns_new(&v, tmp_fs(), &ns), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/lo"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/up"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/ov"), 0755), 0);
    struct vfs_fs *lo = tmp_fs(), *up = tmp_fs();
    cr_assert_eq(vfs_mount(&v, ns, S("/lo"), lo), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/up"), up), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/lo/base"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), 0);
    cr_assert_eq(vfs_write(&v, &f, 0, "lower", 5), 5);
    vfs_close(&v, &f);
    struct vfs_fs *l, *u;
    cr_assert_eq(vfs_mount_at(&v, ns, S("/lo"), &l), 0);
    cr_assert_eq(vfs_mount_at(&v, ns, S("/up"), &u), 0);
    cr_assert_eq(vfs_mount_at(&v, ns, S("/ov"), &u), -VFS_EINVAL);
    cr_assert_eq(vfs_mount_at(&v, ns, S("/up"), &u), 0);
    struct vfs_fs *o = vfs_fs_new(&v, &overlay_ops, NULL, "overlay", 0);
    vfs_fs_stack(o, l, u);
    cr_assert_eq(overlay_mount(&env, &o->lent[0], l->fs, &o->lent[1], u->fs, &o->fs), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/ov"), o), 0);
    char buf[8];
    cr_assert_eq(vfs_open(&v, ns, S("/ov/base"), VFS_O_READ | VFS_O_WRITE, 0, &f), 0);
    cr_assert_eq(vfs_read(&v, &f, 0, buf, 8), 5);
    cr_assert_eq(vfs_write(&v, &f, 0, "UPPER", 5), 5); /* copied up */
    vfs_close(&v, &f);
    cr_assert_eq(vfs_open(&v, ns, S("/up/base"), VFS_O_READ, 0, &f), 0);
    cr_assert_eq(vfs_read(&v, &f, 0, buf, 8), 5);
    cr_assert(memcmp(buf, "UPPER", 5) == 0);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_open(&v, ns, S("/lo/base"), VFS_O_READ, 0, &f), 0);
    cr_assert_eq(vfs_read(&v, &f, 0, buf, 8), 5);
    cr_assert(memcmp(buf, "lower", 5) == 0);
    vfs_close(&v, &f);
    cr_assert_eq(vfs_umount(&v, ns, S("/lo")), -VFS_EBUSY);
    cr_assert_eq(vfs_umount(&v, ns, S("/up")), -VFS_EBUSY);
    cr_assert_eq(vfs_umount(&v, ns, S("/ov")), 0);
    cr_assert_eq(vfs_umount(&v, ns, S("/lo")), 0);
    cr_assert_eq(vfs_umount(&v, ns, S("/up")), 0);
    cr_assert_eq(released_count, 3);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

/* A lower layer that keeps no references (no get or put, as the initramfs):
 * the overlay looks up, copies up and unmounts without calling them. */
Test(vfs, overlay_over_a_layer_without_references)
{
    static struct vfs_ops noref;
    noref = tmpfs_ops;
    noref.get = NULL;
    noref.put = NULL;
    cr_assert_eq(vfs_ns_new(&v, tmp_fs(), &ns), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/lo"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/up"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/ov"), 0755), 0);
    struct vfs_fs *lo = tmp_fs(), *up = tmp_fs();
    lo->ops = &noref;
    cr_assert_eq(vfs_mount(&v, ns, S("/lo"), lo), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/up"), up), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/lo/base"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), 0);
    cr_assert_eq(vfs_write(&v, &f, 0, "lower", 5), 5);
    vfs_close(&v, &f);
    struct vfs_fs *o = vfs_fs_new(&v, &overlay_ops, NULL, "overlay", 0);
    vfs_fs_stack(o, lo, up);
    cr_assert_eq(overlay_mount(&env, &o->lent[0], lo->fs, &o->lent[1], up->fs, &o->fs), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/ov"), o), 0);
    char buf[8];
    cr_assert_eq(vfs_open(&v, ns, S("/ov/base"), VFS_O_READ | VFS_O_WRITE, 0, &f), 0);
    cr_assert_eq(vfs_read(&v, &f, 0, buf, 8), 5);
    cr_assert_eq(vfs_write(&v, &f, 0, "UPPER", 5), 5); /* copied up */
    vfs_close(&v, &f);
    cr_assert_eq(vfs_umount(&v, ns, S("/ov")), 0);
    cr_assert_eq(vfs_umount(&v, ns, S("/lo")), 0);
    cr_assert_eq(vfs_umount(&v, ns, S("/up")), 0);
    cr_assert_eq(released_count, 3);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

/* A change of a lower file's attributes copies it up first: the lower keeps its own. */
Test(vfs, overlay_setattr_copies_up)
{
    clock_root();
    cr_assert_eq(vfs_mkdir(&v, ns, S("/lo"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/up"), 0755), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/ov"), 0755), 0);
    struct vfs_fs *lo = tmp_fs(), *up = tmp_fs();
    cr_assert_eq(vfs_mount(&v, ns, S("/lo"), lo), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/up"), up), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/lo/dir"), 0755), 0);
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/lo/dir/base"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f), 0);
    cr_assert_eq(vfs_write(&v, &f, 0, "lower", 5), 5);
    vfs_close(&v, &f);
    struct vfs_fs *o = vfs_fs_new(&v, &overlay_ops, NULL, "overlay", 0);
    vfs_fs_stack(o, lo, up);
    cr_assert_eq(overlay_mount(&env, &o->lent[0], lo->fs, &o->lent[1], up->fs, &o->fs), 0);
    cr_assert_eq(vfs_mount(&v, ns, S("/ov"), o), 0);
    struct vfs_set s = {VFS_A_MODE | VFS_A_UID | VFS_A_MTIME, 04700, 33, 0, 0, 42 * SEC};
    cr_assert_eq(vfs_setattr(&v, ns, S("/ov/dir/base"), false, &s), 0);
    struct vfs_attr a = attr_at("/ov/dir/base", false);
    cr_assert(a.mode == 04700 && a.uid == 33 && a.mtime == 42 * SEC && a.size == 5);
    a = attr_at("/up/dir/base", false); /* copied up, with its directory */
    cr_assert(a.mode == 04700 && a.uid == 33 && a.size == 5);
    a = attr_at("/lo/dir/base", false);
    cr_assert(a.mode == 0644 && a.uid == 0 && a.mtime != 42 * SEC);
    char buf[8];
    cr_assert_eq(vfs_open(&v, ns, S("/up/dir/base"), VFS_O_READ, 0, &f), 0);
    cr_assert_eq(vfs_read(&v, &f, 0, buf, 8), 5);
    cr_assert(!memcmp(buf, "lower", 5));
    vfs_close(&v, &f);
    /* A directory too. */
    s = (struct vfs_set){VFS_A_MODE, 01777, 0, 0, 0, 0};
    cr_assert_eq(vfs_setattr(&v, ns, S("/ov/dir"), false, &s), 0);
    cr_assert_eq(attr_at("/up/dir", false).mode, 01777);
    cr_assert_eq(attr_at("/lo/dir", false).mode, 0755);
    cr_assert_eq(vfs_umount(&v, ns, S("/ov")), 0);
    cr_assert_eq(vfs_umount(&v, ns, S("/lo")), 0);
    cr_assert_eq(vfs_umount(&v, ns, S("/up")), 0);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}
#endif
