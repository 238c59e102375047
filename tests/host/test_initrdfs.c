/*
 * The initramfs as a read-only backend (user/fs/initrdfs.c) on the host: a
 * CPIO newc archive built here is mounted on a tmpfs through the VFS; its
 * files read back, directories listed (implicit parents made, an explicit
 * one after its contents accepted), links followed, every change refused
 * with EROFS, readdir cookies checked, and malformed archives (bad magic,
 * duplicate names, an entry under a file, '..' in a name) refused with
 * EUCLEAN; nothing leaks.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initrdfs.h"
#include "tmpfs.h"
#include "host_alloc.h"
#include "vfs_srv.h"

static const struct vfs_env env = {.alloc = t_alloc, .free = t_free};

#define S(x) x, strlen(x)

/* ---- a newc writer ---- */

static unsigned char arc[8192];
static size_t alen;

static void pad4(void)
{
    while (alen % 4)
        arc[alen++] = 0;
}

static void entry(const char *name, unsigned mode, const char *data)
{
    size_t nlen = strlen(name) + 1, dlen = data ? strlen(data) : 0;
    alen += (size_t)sprintf((char *)arc + alen,
                            "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", 1u,
                            mode, 0u, 0u, 1u, 0u, dlen, 0u, 0u, 0u, 0u, nlen, 0u);
    memcpy(arc + alen, name, nlen);
    alen += nlen;
    pad4();
    if (dlen)
        memcpy(arc + alen, data, dlen);
    alen += dlen;
    pad4();
}

static void trailer(void)
{
    entry("TRAILER!!!", 0, NULL);
}

static void good_archive(void)
{
    alen = 0;
    entry(".", 040755, NULL);
    entry("boot.conf", 0100644, "server fs\n");
    entry("bin/sh", 0100755, "ELF...");
    entry("bin", 040711, NULL); /* listed after its contents */
    entry("a/b/c", 0100600, "deep");
    entry("lnk", 0120777, "bin/sh");
    entry("abs", 0120777, "/boot/boot.conf");
    entry("dev", 020644, NULL); /* a character device: listed only */
    trailer();
}

static struct vfs v;
static struct vfs_ns *ns;

static void setup(void)
{
    live = 0;
    v = (struct vfs){.env = env};
}

static void teardown(void)
{
    cr_assert_eq(live, 0, "%zu bytes leaked", live);
}

TestSuite(initrdfs, .init = setup, .fini = teardown);

/* A tmpfs root with the archive mounted on /boot. */
static void mount_boot(void)
{
    void *t, *ir;
    cr_assert_eq(tmpfs_mount(&env, 1u << 20, 100, &t), 0);
    cr_assert_eq(vfs_ns_new(&v, vfs_fs_new(&v, &tmpfs_ops, t, "tmpfs", 0), &ns), 0);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/boot"), 0755), 0);
    cr_assert_eq(initrdfs_mount(&env, arc, alen, &ir), 0);
    struct vfs_fs *f = vfs_fs_new(&v, &initrdfs_ops, ir, "initramfs", VFS_MOUNT_RDONLY);
    cr_assert_eq(vfs_mount(&v, ns, S("/boot"), f), 0);
}

static long read_all(const char *path, char *buf, size_t cap)
{
    struct vfs_file f;
    int rc = vfs_open(&v, ns, S(path), VFS_O_READ, 0, &f);
    if (rc)
        return rc;
    long n = vfs_read(&v, &f, 0, buf, cap);
    vfs_close(&v, &f);
    return n;
}

static int type_at(const char *p)
{
    struct vfs_attr a;
    int rc = vfs_stat(&v, ns, S(p), true, &a);
    return rc ? rc : (int)a.type;
}

Test(initrdfs, files_directories_links_read_only)
{
    good_archive();
    mount_boot();
    char buf[64];
    cr_assert_eq(read_all("/boot/boot.conf", buf, sizeof(buf)), 10);
    cr_assert(memcmp(buf, "server fs\n", 10) == 0);
    cr_assert_eq(read_all("/boot/a/b/c", buf, sizeof(buf)), 4);
    cr_assert_eq(read_all("/boot/lnk", buf, sizeof(buf)), 6);
    cr_assert(memcmp(buf, "ELF...", 6) == 0);
    cr_assert_eq(read_all("/boot/abs", buf, sizeof(buf)), 10);
    cr_assert_eq(type_at("/boot/a/b"), VFS_T_DIR);
    cr_assert_eq(type_at("/boot/lnk"), VFS_T_SYMLINK);
    cr_assert_eq(type_at("/boot/dev"), VFS_T_OTHER);
    cr_assert_eq(type_at("/boot/none"), -VFS_ENOENT);
    struct vfs_attr a;
    cr_assert_eq(vfs_stat(&v, ns, S("/boot/bin"), false, &a), 0);
    cr_assert(a.mode == 0711 && a.links == 2 && a.size == 1);
    cr_assert_eq(vfs_stat(&v, ns, S("/boot/bin/sh"), false, &a), 0);
    cr_assert(a.mode == 0755 && a.size == 6 && a.links == 1);
    cr_assert_eq(vfs_stat(&v, ns, S("/boot/a/b/../../.."), false, &a), 0);
    struct vfs_attr r;
    cr_assert_eq(vfs_stat(&v, ns, S("/"), false, &r), 0);
    cr_assert_eq(a.ino, r.ino);
    char t[32];
    cr_assert_eq(vfs_readlink(&v, ns, S("/boot/lnk"), t, sizeof(t)), 6);
    /* Every change is refused. */
    struct vfs_file f;
    cr_assert_eq(vfs_open(&v, ns, S("/boot/new"), VFS_O_WRITE | VFS_O_CREATE, 0644, &f),
                 -VFS_EROFS);
    cr_assert_eq(vfs_open(&v, ns, S("/boot/boot.conf"), VFS_O_WRITE, 0, &f), -VFS_EROFS);
    cr_assert_eq(vfs_mkdir(&v, ns, S("/boot/x"), 0755), -VFS_EROFS);
    cr_assert_eq(vfs_unlink(&v, ns, S("/boot/boot.conf")), -VFS_EROFS);
    cr_assert_eq(vfs_rmdir(&v, ns, S("/boot/a/b")), -VFS_EROFS);
    cr_assert_eq(vfs_rename(&v, ns, S("/boot/lnk"), S("/boot/l2")), -VFS_EROFS);
    cr_assert_eq(vfs_symlink(&v, ns, S("x"), S("/boot/l3")), -VFS_EROFS);
    cr_assert_eq(vfs_link(&v, ns, S("/boot/abs"), S("/boot/l4")), -VFS_EROFS);
    cr_assert_eq(vfs_open(&v, ns, S("/boot/boot.conf"), VFS_O_READ, 0, &f), 0);
    cr_assert_eq(vfs_truncate(&v, &f, 0), -VFS_EBADF);
    cr_assert_eq(vfs_read(&v, &f, 5, buf, 64), 5);
    cr_assert_eq(vfs_read(&v, &f, 50, buf, 64), 0);
    vfs_close(&v, &f);
    /* The root listed in archive order, then the end; a forged cookie is refused. */
    cr_assert_eq(vfs_open(&v, ns, S("/boot"), VFS_O_READ, 0, &f), 0);
    const char *want[] = {".", "..", "boot.conf", "bin", "a", "lnk", "abs", "dev"};
    uint64_t cookie = 0;
    struct vfs_dirent e;
    for (unsigned i = 0; i < 9; i++) {
        cr_assert_eq(vfs_readdir(&v, &f, &cookie, &e), 0);
        if (i < 8)
            cr_assert(e.name_len == strlen(want[i]) && memcmp(e.name, want[i], e.name_len) == 0,
                      "entry %u", i);
        else
            cr_assert_eq(e.name_len, 0);
    }
    cookie = 2 + 4; /* bin/sh's cookie (node 3, plus one), not the root's */
    cr_assert_eq(vfs_readdir(&v, &f, &cookie, &e), -VFS_EINVAL);
    struct vfs_statfs sf;
    cr_assert_eq(vfs_statfs_file(&v, &f, &sf), 0);
    cr_assert(sf.read_only && sf.total_inodes == 10); /* the root and 9 nodes */
    vfs_close(&v, &f);
    cr_assert_eq(vfs_umount(&v, ns, S("/boot")), 0);
    cr_assert_eq(vfs_ns_free(&v, ns), 0);
}

static int mount_status(void)
{
    void *ir = NULL;
    int rc = initrdfs_mount(&env, arc, alen, &ir);
    if (!rc)
        initrdfs_ops.unmount(ir);
    return rc;
}

Test(initrdfs, malformed_archives_refused)
{
    good_archive();
    cr_assert_eq(mount_status(), 0);
    arc[0] = '1';
    cr_assert_eq(mount_status(), -VFS_EUCLEAN);
    good_archive();
    cr_assert_eq(mount_status(), 0);
    alen -= 120; /* no trailer */
    cr_assert_eq(mount_status(), -VFS_EUCLEAN);
    alen = 0;
    entry("x", 0100644, "1");
    entry("./x", 0100644, "2");
    trailer();
    cr_assert_eq(mount_status(), -VFS_EUCLEAN);
    alen = 0;
    entry("f", 0100644, "1");
    entry("f/g", 0100644, "2");
    trailer();
    cr_assert_eq(mount_status(), -VFS_EUCLEAN);
    alen = 0;
    entry("a/../b", 0100644, "1");
    trailer();
    cr_assert_eq(mount_status(), -VFS_EUCLEAN);
    alen = 0;
    entry("d", 040755, NULL);
    entry("d", 040755, NULL);
    trailer();
    cr_assert_eq(mount_status(), -VFS_EUCLEAN);
    /* Many entries: the node array grows. */
    alen = 0;
    for (int i = 0; i < 60; i++) {
        char n[16];
        snprintf(n, sizeof(n), "d%d/f", i);
        entry(n, 0100644, "z");
    }
    trailer();
    cr_assert_eq(mount_status(), 0);
}
