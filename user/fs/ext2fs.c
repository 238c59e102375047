/*
 * ext2 behind the backend interface (ext2fs.h, vfs.h). Every call is one or two calls
 * of the ext2 library on inode numbers; this file adds the reference counts and the
 * orphans (unlink while open), names as (pointer, length), errors as negative
 * errnos and times in nanoseconds.
 *
 * References: a small table of (inode, count, orphaned), grown by doubling from the
 * env allocator. Calls that give a reference out reserve its entry before they change
 * anything, so a full table fails them with ENOMEM and never after the change. The
 * library asks hold() when an inode's last link goes: a referenced inode is then
 * marked orphaned (the library puts it on the on-disk orphan list) and freed by
 * ext2_orphan_free at its last put. An error there (a device error) leaves it on the
 * list, freed at the next mount.
 */
#include "ext2fs.h"

#include <string.h>

struct ref {
    uint32_t ino, count;
    bool orphan;
};

struct ext2fs {
    struct vfs_env env;
    struct ext2_env eenv;
    struct ext2_fs fs;
    int (*sync)(void *ctx);
    void (*close)(void *ctx);
    void *ctx;
    struct ref *refs;
    uint32_t nrefs, cap;
    char name[VFS_NAME_MAX + 1], name2[VFS_NAME_MAX + 1];
    char target[VFS_PATH_MAX + 1];
    uint32_t epoch; /* the least time written (e_now) */
};

#define NS 1000000000ull

static int errno_of(enum ext2_err e)
{
    switch (e) {
    case EXT2_OK:
        return 0;
    case EXT2_EIO:
        return -VFS_EIO;
    case EXT2_ENOMEM:
        return -VFS_ENOMEM;
    case EXT2_EBADFS:
    case EXT2_EBLOCKSIZE:
    case EXT2_EINVAL:
        return -VFS_EINVAL;
    case EXT2_EFEATURE:
        return -VFS_ENOSYS;
    case EXT2_EROFS:
        return -VFS_EROFS;
    case EXT2_ECORRUPT:
        return -VFS_EUCLEAN;
    case EXT2_ENOENT:
        return -VFS_ENOENT;
    case EXT2_ENOTDIR:
        return -VFS_ENOTDIR;
    case EXT2_EISDIR:
        return -VFS_EISDIR;
    case EXT2_EEXIST:
        return -VFS_EEXIST;
    case EXT2_ENOTEMPTY:
        return -VFS_ENOTEMPTY;
    case EXT2_ENOSPC:
        return -VFS_ENOSPC;
    case EXT2_ENAMETOOLONG:
        return -VFS_ENAMETOOLONG;
    case EXT2_EFBIG:
        return -VFS_EFBIG;
    case EXT2_EMLINK:
        return -VFS_EMLINK;
    case EXT2_ERANGE:
        return -VFS_ERANGE;
    }
    return -VFS_EIO;
}

static void *e_alloc(void *ctx, size_t n)
{
    struct ext2fs *x = ctx;
    return x->env.alloc(x->env.ctx, n);
}

static void e_free(void *ctx, void *p, size_t n)
{
    struct ext2fs *x = ctx;
    x->env.free(x->env.ctx, p, n);
}

/*
 * Seconds for the disk. e2fsck reads a deletion time under the inode count as a
 * link of the orphan list, so an inode freed at second 2 and caught by a crash
 * before its bitmap was cleared would be a corrupt orphan list (a manual repair)
 * instead of a deleted inode (one e2fsck -p clears). So a clock that reads less
 * than the inode count (the file server's counts from boot) is counted on from the
 * file system's last mount or write time (and from no less than the inode count);
 * a real clock is taken as it is.
 */
static uint32_t e_now(void *ctx)
{
    struct ext2fs *x = ctx;
    if (!x->env.now)
        return 0;
    uint32_t t = (uint32_t)(x->env.now(x->env.ctx) / NS);
    return t >= x->fs.inodes_count ? t : x->epoch + t;
}

static uint32_t le32_at(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static struct ref *ref_find(struct ext2fs *x, uint64_t ino)
{
    for (uint32_t i = 0; i < x->nrefs; i++)
        if (x->refs[i].ino == ino)
            return &x->refs[i];
    return NULL;
}

/* Room for one more entry: 0 or -ENOMEM. */
static int ref_reserve(struct ext2fs *x)
{
    if (x->nrefs < x->cap)
        return 0;
    uint32_t cap = x->cap ? 2 * x->cap : 16;
    struct ref *r = x->env.alloc(x->env.ctx, cap * sizeof(*r));
    if (!r)
        return -VFS_ENOMEM;
    if (x->refs) {
        memcpy(r, x->refs, x->nrefs * sizeof(*r));
        x->env.free(x->env.ctx, x->refs, x->cap * sizeof(*r));
    }
    x->refs = r;
    x->cap = cap;
    return 0;
}

/* Gives out a reference to ino (room reserved). */
static void ref_give(struct ext2fs *x, uint32_t ino, vfs_node *out)
{
    struct ref *r = ref_find(x, ino);
    if (!r) {
        r = &x->refs[x->nrefs++];
        *r = (struct ref){ino, 0, false};
    }
    r->count++;
    *out = ino;
}

static bool hold(void *ctx, uint32_t ino)
{
    struct ref *r = ref_find(ctx, ino);
    if (!r || !r->count)
        return false;
    r->orphan = true;
    return true;
}

static void x_get(void *fs, vfs_node n)
{
    struct ref *r = ref_find(fs, n);
    if (r)
        r->count++;
}

static void x_put(void *fs, vfs_node n)
{
    struct ext2fs *x = fs;
    struct ref *r = ref_find(x, n);
    if (!r || --r->count)
        return;
    uint32_t ino = r->ino;
    bool orphan = r->orphan;
    *r = x->refs[--x->nrefs];
    if (orphan)
        ext2_orphan_free(&x->fs, ino); /* on error it stays listed for the next mount */
}

/* Copies a component into buf, NUL-terminated. */
static int name_in(char *buf, const char *name, size_t len)
{
    if (!len)
        return -VFS_EINVAL;
    if (len > VFS_NAME_MAX)
        return -VFS_ENAMETOOLONG;
    memcpy(buf, name, len);
    buf[len] = 0;
    return memchr(buf, 0, len) ? -VFS_EINVAL : 0;
}

static int x_root(void *fs, vfs_node *out)
{
    struct ext2fs *x = fs;
    int rc = ref_reserve(x);
    if (!rc)
        ref_give(x, EXT2_ROOT_INO, out);
    return rc;
}

static int x_lookup(void *fs, vfs_node dir, const char *name, size_t len, vfs_node *out)
{
    struct ext2fs *x = fs;
    uint32_t ino;
    int rc = ref_reserve(x);
    if (rc)
        return rc;
    if (!len || len > VFS_NAME_MAX)
        return len ? -VFS_ENAMETOOLONG : -VFS_ENOENT;
    if ((rc = errno_of(ext2_lookup_at(&x->fs, (uint32_t)dir, name, len, &ino))))
        return rc;
    ref_give(x, ino, out);
    return 0;
}

static uint32_t type_of(uint32_t mode)
{
    switch (mode & EXT2_S_IFMT) {
    case EXT2_S_IFREG:
        return VFS_T_FILE;
    case EXT2_S_IFDIR:
        return VFS_T_DIR;
    case EXT2_S_IFLNK:
        return VFS_T_SYMLINK;
    }
    return VFS_T_OTHER;
}

static int x_getattr(void *fs, vfs_node n, struct vfs_attr *out)
{
    struct ext2fs *x = fs;
    struct ext2_stat st;
    int rc = errno_of(ext2_stat(&x->fs, (uint32_t)n, &st));
    if (rc)
        return rc;
    *out = (struct vfs_attr){
        .type = type_of(st.mode),
        .mode = st.mode & 07777,
        .uid = st.uid,
        .gid = st.gid,
        .size = st.size,
        .links = st.links,
        .ino = n,
        .blocks = st.blocks,
        .atime = st.atime * NS,
        .mtime = st.mtime * NS,
        .ctime = st.ctime * NS,
    };
    return 0;
}

/* A time as the inode keeps it: whole seconds, at most 2^31 - 1 (2038-01-19; a
 * later one is clamped there, as Linux clamps to what a 128-byte inode holds). */
static uint32_t seconds(uint64_t ns)
{
    uint64_t s = ns / NS;
    return s > 0x7fffffffu ? 0x7fffffffu : (uint32_t)s;
}

static int x_setattr(void *fs, vfs_node n, unsigned mask, const struct vfs_attr *in)
{
    struct ext2fs *x = fs;
    struct ext2_stat st;
    int rc;
    if (mask & ~(VFS_SET_MODE | VFS_SET_OWNER | VFS_SET_ATIME | VFS_SET_MTIME | VFS_SET_SIZE))
        return -VFS_EINVAL;
    if ((rc = errno_of(ext2_stat(&x->fs, (uint32_t)n, &st))))
        return rc;
    if ((mask & VFS_SET_SIZE) && (rc = errno_of(ext2_truncate(&x->fs, (uint32_t)n, in->size))))
        return rc;
    unsigned m =
        (mask & VFS_SET_MODE ? EXT2_SET_MODE : 0) | (mask & VFS_SET_OWNER ? EXT2_SET_OWNER : 0) |
        (mask & VFS_SET_ATIME ? EXT2_SET_ATIME : 0) | (mask & VFS_SET_MTIME ? EXT2_SET_MTIME : 0);
    if (!m)
        return 0;
    return errno_of(ext2_setattr(&x->fs, (uint32_t)n, m, in->mode, in->uid, in->gid,
                                 seconds(in->atime), seconds(in->mtime)));
}

static long x_read(void *fs, vfs_node n, uint64_t off, void *buf, size_t len)
{
    struct ext2fs *x = fs;
    struct ext2_stat st;
    size_t done = 0;
    int rc = errno_of(ext2_stat(&x->fs, (uint32_t)n, &st));
    if (rc)
        return rc;
    if (type_of(st.mode) == VFS_T_DIR)
        return -VFS_EISDIR;
    if ((rc = errno_of(ext2_read(&x->fs, (uint32_t)n, off, buf, len, &done))))
        return rc;
    return (long)done;
}

static long x_write(void *fs, vfs_node n, uint64_t off, const void *buf, size_t len)
{
    struct ext2fs *x = fs;
    size_t done = 0;
    int rc = errno_of(ext2_write(&x->fs, (uint32_t)n, off, buf, len, &done));
    return done || !rc ? (long)done : rc;
}

static int x_readdir(void *fs, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out)
{
    struct ext2fs *x = fs;
    struct ext2_dirent e;
    bool end;
    for (;;) {
        int rc = errno_of(ext2_readdir(&x->fs, (uint32_t)dir, cookie, &e, &end));
        if (rc)
            return rc;
        if (end) {
            out->name_len = 0;
            return 0;
        }
        if ((e.name_len == 1 && e.name[0] == '.') ||
            (e.name_len == 2 && e.name[0] == '.' && e.name[1] == '.'))
            continue;
        break;
    }
    static const uint32_t types[] = {
        [EXT2_FT_REG] = VFS_T_FILE,
        [EXT2_FT_DIR] = VFS_T_DIR,
        [EXT2_FT_SYMLINK] = VFS_T_SYMLINK,
    };
    uint32_t t = e.type < sizeof(types) / sizeof(types[0]) ? types[e.type] : 0;
    if (e.type == EXT2_FT_UNKNOWN) { /* no filetype feature: ask the inode */
        struct ext2_stat st;
        int rc = errno_of(ext2_stat(&x->fs, e.ino, &st));
        if (rc)
            return rc;
        t = type_of(st.mode);
    } else if (!t) {
        t = VFS_T_OTHER;
    }
    out->ino = e.ino;
    out->type = t;
    out->name_len = e.name_len;
    memcpy(out->name, e.name, e.name_len);
    return 0;
}

static int x_create(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                    vfs_node *out)
{
    struct ext2fs *x = fs;
    uint32_t ino;
    int rc = ref_reserve(x);
    if (rc || (rc = name_in(x->name, name, len)) ||
        (rc = errno_of(ext2_create(&x->fs, (uint32_t)dir, x->name, mode, 0, 0, &ino))))
        return rc;
    ref_give(x, ino, out);
    return 0;
}

static int x_mkdir(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                   vfs_node *out)
{
    struct ext2fs *x = fs;
    uint32_t ino;
    int rc = ref_reserve(x);
    if (rc || (rc = name_in(x->name, name, len)) ||
        (rc = errno_of(ext2_mkdir(&x->fs, (uint32_t)dir, x->name, mode, 0, 0, &ino))))
        return rc;
    ref_give(x, ino, out);
    return 0;
}

static int x_symlink(void *fs, vfs_node dir, const char *name, size_t len, const char *target,
                     size_t tlen, vfs_node *out)
{
    struct ext2fs *x = fs;
    uint32_t ino;
    int rc = ref_reserve(x);
    if (rc || (rc = name_in(x->name, name, len)))
        return rc;
    if (!tlen || memchr(target, 0, tlen))
        return -VFS_EINVAL;
    if (tlen > VFS_PATH_MAX)
        return -VFS_ENAMETOOLONG;
    memcpy(x->target, target, tlen);
    x->target[tlen] = 0;
    if ((rc = errno_of(ext2_symlink(&x->fs, (uint32_t)dir, x->name, x->target, 0, 0, &ino))))
        return rc;
    ref_give(x, ino, out);
    return 0;
}

static long x_readlink(void *fs, vfs_node n, char *buf, size_t cap)
{
    struct ext2fs *x = fs;
    struct ext2_stat st;
    size_t done;
    int rc = errno_of(ext2_stat(&x->fs, (uint32_t)n, &st));
    if (rc)
        return rc;
    if (type_of(st.mode) != VFS_T_SYMLINK)
        return -VFS_EINVAL;
    if (st.size >= x->fs.bs)
        return -VFS_EUCLEAN;
    size_t want = st.size < cap ? (size_t)st.size : cap;
    if ((rc = errno_of(ext2_read(&x->fs, (uint32_t)n, 0, buf, want, &done))))
        return rc;
    return done == want ? (long)st.size : -VFS_EUCLEAN;
}

static int x_link(void *fs, vfs_node n, vfs_node dir, const char *name, size_t len)
{
    struct ext2fs *x = fs;
    int rc = name_in(x->name, name, len);
    if (rc)
        return rc;
    rc = errno_of(ext2_link(&x->fs, (uint32_t)dir, x->name, (uint32_t)n));
    return rc == -VFS_EISDIR ? -VFS_EPERM : rc;
}

static int x_unlink(void *fs, vfs_node dir, const char *name, size_t len)
{
    struct ext2fs *x = fs;
    int rc = name_in(x->name, name, len);
    return rc ? rc : errno_of(ext2_unlink(&x->fs, (uint32_t)dir, x->name));
}

static int x_rmdir(void *fs, vfs_node dir, const char *name, size_t len)
{
    struct ext2fs *x = fs;
    int rc = name_in(x->name, name, len);
    return rc ? rc : errno_of(ext2_rmdir(&x->fs, (uint32_t)dir, x->name));
}

static int x_rename(void *fs, vfs_node odir, const char *oname, size_t olen, vfs_node ndir,
                    const char *nname, size_t nlen)
{
    struct ext2fs *x = fs;
    int rc = name_in(x->name, oname, olen);
    if (rc || (rc = name_in(x->name2, nname, nlen)))
        return rc;
    return errno_of(ext2_rename(&x->fs, (uint32_t)odir, x->name, (uint32_t)ndir, x->name2));
}

static int x_fsync(void *fs, vfs_node n)
{
    struct ext2fs *x = fs;
    (void)n; /* the library writes everything through at once: sync is global */
    if (x->fs.rdonly)
        return 0;
    int rc = errno_of(ext2_sync(&x->fs));
    if (!rc && x->sync && x->sync(x->ctx))
        rc = -VFS_EIO;
    return rc;
}

static int x_statfs(void *fs, struct vfs_statfs *out)
{
    struct ext2fs *x = fs;
    struct ext2_statfs s;
    ext2_statfs(&x->fs, &s);
    *out = (struct vfs_statfs){s.block_size, s.blocks,      s.free_blocks,
                               s.inodes,     s.free_inodes, s.rdonly};
    return 0;
}

static void x_unmount(void *fs)
{
    struct ext2fs *x = fs;
    /* References left (a server bug): their orphans stay listed for the next mount. */
    ext2_unmount(&x->fs);
    if (x->sync && !x->fs.rdonly)
        x->sync(x->ctx);
    if (x->close)
        x->close(x->ctx);
    if (x->refs)
        x->env.free(x->env.ctx, x->refs, x->cap * sizeof(*x->refs));
    x->env.free(x->env.ctx, x, sizeof(*x));
}

const struct vfs_ops ext2fs_ops = {
    .root = x_root,
    .lookup = x_lookup,
    .get = x_get,
    .put = x_put,
    .getattr = x_getattr,
    .setattr = x_setattr,
    .read = x_read,
    .write = x_write,
    .readdir = x_readdir,
    .create = x_create,
    .mkdir = x_mkdir,
    .symlink = x_symlink,
    .readlink = x_readlink,
    .link = x_link,
    .unlink = x_unlink,
    .rmdir = x_rmdir,
    .rename = x_rename,
    .fsync = x_fsync,
    .statfs = x_statfs,
    .unmount = x_unmount,
};

int ext2fs_mount_dev(const struct vfs_env *env, const struct ext2_blockdev *dev,
                     int (*sync)(void *ctx), void (*close)(void *ctx), void *ctx, unsigned flags,
                     void **fs)
{
    if (!env || !env->alloc || !env->free || !dev || (flags & ~EXT2FS_RDONLY))
        return -VFS_EINVAL;
    struct ext2fs *x = env->alloc(env->ctx, sizeof(*x));
    if (!x)
        return -VFS_ENOMEM;
    memset(x, 0, sizeof(*x));
    x->env = *env;
    x->eenv = (struct ext2_env){x, e_alloc, e_free, e_now};
    x->sync = sync;
    x->close = close;
    x->ctx = ctx;
    int rc =
        errno_of(ext2_mount(&x->fs, dev, &x->eenv, flags & EXT2FS_RDONLY ? EXT2_MOUNT_RDONLY : 0));
    if (!rc) {
        uint32_t m = le32_at(x->fs.sb + 44), w = le32_at(x->fs.sb + 48); /* s_mtime, s_wtime */
        x->epoch = m > w ? m : w;
        if (x->epoch < x->fs.inodes_count)
            x->epoch = x->fs.inodes_count;
    }
    if (!rc && !x->fs.rdonly) {
        /* A crash left these: nothing refers to them any more. */
        if ((rc = errno_of(ext2_orphans_release(&x->fs, NULL))))
            ext2_unmount(&x->fs);
    }
    if (rc) {
        env->free(env->ctx, x, sizeof(*x));
        return rc;
    }
    ext2_set_hold(&x->fs, hold, x);
    *fs = x;
    return 0;
}

unsigned ext2fs_held(void *fs)
{
    struct ext2fs *x = fs;
    return x->nrefs;
}
