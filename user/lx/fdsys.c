/*
 * The descriptor-side system call table (lxsys.h): an entry here serves its
 * number in place of sys.c's. Files, directories and names go through
 * files.c (the initramfs, the file server's /tmp, /dev and /proc); the file
 * server's statuses are Linux errnos and pass through one to one.
 */
#include <stdio.h>
#include <string.h>

#include "inet.h"
#include "lx.h"
#include "lxfs.h"
#include "lxsys.h"
#include "weft/invoke.h"
#include "wf/proto/file.h"

/* --- open, read, write ------------------------------------------------------------- */

static long fd_open(struct lx_call *c)
{
    return lx_openat_mode(c->p, LXF_AT_FDCWD, c->a[0], (unsigned)c->a[1], (uint32_t)c->a[2]);
}

static long fd_openat(struct lx_call *c)
{
    return lx_openat_mode(c->p, (int)c->a[0], c->a[1], (unsigned)c->a[2], (uint32_t)c->a[3]);
}

static long fd_creat(struct lx_call *c)
{
    return lx_openat_mode(c->p, LXF_AT_FDCWD, c->a[0], LXF_O_CREAT | LXF_O_WRONLY | LXF_O_TRUNC,
                          (uint32_t)c->a[1]);
}

static bool seekable(const struct lx_fd *f)
{
    return f->kind == FD_FILE || f->kind == FD_FSFILE || f->kind == FD_PROC || f->kind == FD_DEV ||
           f->kind == FD_NULL;
}

static long fd_pread64(struct lx_call *c)
{
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_DIR || f->kind == FD_FSDIR || f->kind == FD_SYNDIR)
        return -LX_EISDIR;
    if (!seekable(f))
        return -LX_ESPIPE;
    if ((int64_t)c->a[3] < 0)
        return -LX_EINVAL;
    if (f->kind == FD_NULL)
        return 0;
    static uint8_t tmp[4096];
    uint64_t count = c->a[2] < (1u << 20) ? c->a[2] : (1u << 20), done = 0;
    while (done < count) {
        uint64_t k = count - done < sizeof(tmp) ? count - done : sizeof(tmp);
        long r = lx_file_read_at(c->p, f, c->a[3] + done, tmp, k);
        if (r < 0)
            return done ? (long)done : r;
        if (r && lx_copy_out(c->p, c->a[1] + done, tmp, (size_t)r) < 0)
            return done ? (long)done : -LX_EFAULT;
        done += (uint64_t)r;
        if ((uint64_t)r < k)
            break;
    }
    return (long)done;
}

static long fd_pwrite64(struct lx_call *c)
{
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!f)
        return -LX_EBADF;
    if (!seekable(f))
        return f->kind == FD_DIR || f->kind == FD_FSDIR ? -LX_EBADF : -LX_ESPIPE;
    if ((int64_t)c->a[3] < 0)
        return -LX_EINVAL;
    if (f->kind == FD_FILE || f->kind == FD_PROC)
        return -LX_EBADF; /* opened read-only: nothing else can be */
    static uint8_t tmp[4096];
    uint64_t done = 0, count = c->a[2];
    while (done < count) {
        size_t n = count - done < sizeof(tmp) ? count - done : sizeof(tmp);
        if (lx_copy_in(c->p, tmp, c->a[1] + done, n) < 0)
            return done ? (long)done : -LX_EFAULT;
        uint64_t at = c->a[3] + done;
        long r = lx_write_k(c->p, f, tmp, n, &at);
        if (r < 0)
            return done ? (long)done : r;
        done += (uint64_t)r;
        if ((uint64_t)r < n)
            break;
    }
    return (long)done;
}

/* sendfile: from a file, a /proc file or a device to any descriptor that
 * can be written (a full pipe waits, as a write). */
static long fd_sendfile(struct lx_call *c)
{
    struct lx_fd *out = lx_fd_get(c->p, (int)c->a[0]), *in = lx_fd_get(c->p, (int)c->a[1]);
    if (!out || !in)
        return -LX_EBADF;
    if (!seekable(in) || in->kind == FD_NULL || out->kind == FD_PIPE_R || out->kind == FD_DIR ||
        out->kind == FD_FSDIR || out->kind == FD_SYNDIR)
        return -LX_EINVAL;
    if ((out->flags & LXF_O_APPEND) || (lx_ofd_of(out) && (lx_ofd_of(out)->flags & LXF_O_APPEND)))
        return -LX_EINVAL;
    struct lx_ofd *o = lx_ofd_of(in);
    uint64_t off = o ? o->off : 0;
    if (c->a[2] && lx_copy_in(c->p, &off, c->a[2], 8) < 0)
        return -LX_EFAULT;
    if ((int64_t)off < 0)
        return -LX_EINVAL;
    static uint8_t tmp[4096];
    uint64_t count = c->a[3] < 65536 ? c->a[3] : 65536, done = 0;
    while (done < count) {
        uint64_t k = count - done < sizeof(tmp) ? count - done : sizeof(tmp);
        long r = lx_file_read_at(c->p, in, off + done, tmp, k);
        if (r < 0 && !done)
            return r;
        if (r <= 0)
            break;
        long w = out->kind == FD_INET ? lx_inet_put(out, tmp, (uint64_t)r)
                                      : lx_put(c->p, out, tmp, (uint64_t)r);
        if (w < 0) {
            if (!done)
                return w;
            break;
        }
        done += (uint64_t)w;
        if (w < r)
            break;
    }
    off += done;
    if (c->a[2])
        return lx_copy_out(c->p, c->a[2], &off, 8) < 0 ? -LX_EFAULT : (long)done;
    if (o && in->kind != FD_DEV)
        o->off = off;
    return (long)done;
}

/* --- stat and friends -------------------------------------------------------------- */

static long fd_lstat(struct lx_call *c)
{
    return lx_fstatat(c->p, LXF_AT_FDCWD, c->a[0], c->a[1], LXF_AT_SYMLINK_NOFOLLOW);
}

/* statx: struct stat's fields in struct statx (256 bytes), all of
 * STATX_BASIC_STATS; no birth time. */
static long fd_statx(struct lx_call *c)
{
    struct lx_proc *p = c->p;
    int dirfd = (int)c->a[0];
    unsigned flags = (unsigned)c->a[2];
    if (flags & ~(unsigned)(LXF_AT_SYMLINK_NOFOLLOW | LXF_AT_EMPTY_PATH | 0x800 | 0x6000))
        return -LX_EINVAL;
    if (c->a[3] & 0x80000000u) /* STATX__RESERVED */
        return -LX_EINVAL;
    struct lx_stat st;
    char name[LX_PATH_MAX];
    bool empty;
    long r = lx_resolve(p, dirfd, c->a[1], name, sizeof(name), &empty);
    if (r < 0)
        return r;
    if (empty) {
        if (!(flags & LXF_AT_EMPTY_PATH))
            return -LX_ENOENT;
        if (dirfd == LXF_AT_FDCWD) {
            r = lx_stat_name(p, p->files.cwd, false, &st);
        } else {
            struct lx_fd *f = lx_fd_get(p, dirfd);
            r = f ? lx_stat_fd(p, f, &st) : -LX_EBADF;
        }
    } else {
        r = lx_stat_name(p, name, (flags & LXF_AT_SYMLINK_NOFOLLOW) != 0, &st);
    }
    if (r < 0)
        return r;
    struct {
        uint32_t mask, blksize;
        uint64_t attributes;
        uint32_t nlink, uid, gid;
        uint16_t mode, pad0;
        uint64_t ino, size, blocks, attributes_mask;
        struct {
            int64_t sec;
            uint32_t nsec;
            int32_t pad;
        } atime, btime, ctime, mtime;
        uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
        uint64_t spare[14];
    } x;
    _Static_assert(sizeof(x) == 256, "Linux struct statx");
    memset(&x, 0, sizeof(x));
    x.mask = 0x7ff; /* STATX_BASIC_STATS */
    x.blksize = (uint32_t)st.blksize;
    x.nlink = (uint32_t)st.nlink;
    x.mode = (uint16_t)st.mode;
    x.ino = st.ino;
    x.size = (uint64_t)st.size;
    x.blocks = (uint64_t)st.blocks;
    x.atime.sec = (int64_t)st.atime;
    x.ctime.sec = (int64_t)st.ctime;
    x.mtime.sec = (int64_t)st.mtime;
    x.rdev_major = (uint32_t)(st.rdev >> 8) & 0xfff;
    x.rdev_minor = (uint32_t)(st.rdev & 0xff);
    x.dev_major = (uint32_t)(st.dev >> 8) & 0xfff;
    x.dev_minor = (uint32_t)(st.dev & 0xff);
    return lx_copy_out(p, c->a[4], &x, sizeof(x));
}

/* Resolves the user path of argument i (relative to dirfd) into name. */
static long name_of(struct lx_call *c, int dirfd, uint64_t upath, char *name)
{
    bool empty;
    long r = lx_resolve(c->p, dirfd, upath, name, LX_PATH_MAX, &empty);
    if (r < 0)
        return r;
    return empty ? -LX_ENOENT : 0;
}

/* What a change to a name outside the file server answers: it is there
 * (the initramfs: read-only; /dev and /proc: not to be changed), or not. */
static long fixed(struct lx_call *c, const char *name, long exists)
{
    struct lx_stat st;
    long r = lx_stat_name(c->p, name, true, &st);
    if (r < 0)
        return r;
    if (exists)
        return exists;
    return lx_where_of(name) == LXW_INITRAMFS ? -LX_EROFS : -LX_EPERM;
}

static long fs_one(struct lx_call *c, int dirfd, uint64_t upath, int what, uint32_t mode)
{
    char name[LX_PATH_MAX];
    long r = name_of(c, dirfd, upath, name);
    if (r < 0)
        return r;
    wf_cptr_t fs = lx_where_of(name) == LXW_FS ? lx_fs() : 0;
    if (!fs)
        return fixed(c, name, what == 0 ? -LX_EEXIST : 0);
    char path[LX_PATH_MAX + 2];
    size_t len = lx_fs_path(name, path);
    wf_word_t st = 0;
    enum wf_error e;
    switch (what) {
    case 0:
        e = wfp_file_mkdir(fs, mode & ~c->p->files.umask & 07777, path, len, &st);
        break;
    case 1:
        e = wfp_file_rmdir(fs, path, len, &st);
        break;
    default:
        e = wfp_file_unlink(fs, path, len, &st);
        break;
    }
    return lx_fs_status(e, st);
}

static long fd_mkdir(struct lx_call *c)
{
    return fs_one(c, LXF_AT_FDCWD, c->a[0], 0, (uint32_t)c->a[1]);
}

static long fd_mkdirat(struct lx_call *c)
{
    return fs_one(c, (int)c->a[0], c->a[1], 0, (uint32_t)c->a[2]);
}

static long fd_rmdir(struct lx_call *c)
{
    return fs_one(c, LXF_AT_FDCWD, c->a[0], 1, 0);
}

static long fd_unlink(struct lx_call *c)
{
    return fs_one(c, LXF_AT_FDCWD, c->a[0], 2, 0);
}

static long fd_unlinkat(struct lx_call *c)
{
    if (c->a[2] & ~(uint64_t)LXF_AT_REMOVEDIR)
        return -LX_EINVAL;
    return fs_one(c, (int)c->a[0], c->a[1], (c->a[2] & LXF_AT_REMOVEDIR) ? 1 : 2, 0);
}

/* rename, link and symlink: two names of the file server in one message. */
enum { TWO_RENAME, TWO_LINK, TWO_SYMLINK };

static long fs_two(struct lx_call *c, int d1, uint64_t u1, int d2, uint64_t u2, int what)
{
    char a[LX_PATH_MAX], b[LX_PATH_MAX];
    long r;
    if (what == TWO_SYMLINK) { /* the target is kept as given */
        r = lx_copy_str(c->p, a, u1, sizeof(a));
        if (r < 0)
            return r;
        if (!r)
            return -LX_ENOENT;
    } else if ((r = name_of(c, d1, u1, a)) < 0) {
        return r;
    }
    if ((r = name_of(c, d2, u2, b)) < 0)
        return r;
    struct lx_stat st;
    bool fs_b = lx_where_of(b) == LXW_FS;
    if (!fs_b || (what != TWO_SYMLINK && lx_where_of(a) != LXW_FS)) {
        if (what != TWO_SYMLINK && (r = lx_stat_name(c->p, a, true, &st)) < 0)
            return r;
        if (what != TWO_SYMLINK && fs_b)
            return -LXF_EXDEV;
        if (lx_stat_name(c->p, b, true, &st) == 0 && what != TWO_RENAME)
            return -LX_EEXIST;
        return lx_where_of(b) == LXW_INITRAMFS &&
                       (what == TWO_SYMLINK || lx_where_of(a) == LXW_INITRAMFS)
                   ? -LX_EROFS
               : what == TWO_SYMLINK ? -LX_EPERM
                                     : -LXF_EXDEV;
    }
    wf_cptr_t fs = lx_fs();
    if (!fs)
        return -LX_ENOENT;
    char paths[2 * LX_PATH_MAX + 4];
    size_t la = what == TWO_SYMLINK ? strlen(a) : lx_fs_path(a, paths);
    if (what == TWO_SYMLINK)
        memcpy(paths, a, la);
    size_t lb = lx_fs_path(b, paths + la);
    if (la + lb > WFP_FILE_PATH_MAX)
        return -LX_ENAMETOOLONG;
    wf_word_t s = 0;
    enum wf_error e = what == TWO_RENAME ? wfp_file_rename(fs, la, paths, la + lb, &s)
                      : what == TWO_LINK ? wfp_file_link(fs, la, paths, la + lb, &s)
                                         : wfp_file_symlink(fs, la, paths, la + lb, &s);
    return lx_fs_status(e, s);
}

static long fd_rename(struct lx_call *c)
{
    return fs_two(c, LXF_AT_FDCWD, c->a[0], LXF_AT_FDCWD, c->a[1], TWO_RENAME);
}

static long fd_renameat(struct lx_call *c)
{
    return fs_two(c, (int)c->a[0], c->a[1], (int)c->a[2], c->a[3], TWO_RENAME);
}

static long fd_renameat2(struct lx_call *c)
{
    if (c->a[4] & ~1ull) /* RENAME_NOREPLACE only */
        return -LX_EINVAL;
    if (c->a[4] & 1) {
        char b[LX_PATH_MAX];
        struct lx_stat st;
        long r = name_of(c, (int)c->a[2], c->a[3], b);
        if (r < 0)
            return r;
        if (lx_stat_name(c->p, b, true, &st) == 0)
            return -LX_EEXIST;
    }
    return fs_two(c, (int)c->a[0], c->a[1], (int)c->a[2], c->a[3], TWO_RENAME);
}

static long fd_link(struct lx_call *c)
{
    return fs_two(c, LXF_AT_FDCWD, c->a[0], LXF_AT_FDCWD, c->a[1], TWO_LINK);
}

static long fd_linkat(struct lx_call *c)
{
    if (c->a[4] & ~(uint64_t)(LXF_AT_SYMLINK_FOLLOW | LXF_AT_EMPTY_PATH))
        return -LX_EINVAL;
    return fs_two(c, (int)c->a[0], c->a[1], (int)c->a[2], c->a[3], TWO_LINK);
}

static long fd_symlink(struct lx_call *c)
{
    return fs_two(c, LXF_AT_FDCWD, c->a[0], LXF_AT_FDCWD, c->a[1], TWO_SYMLINK);
}

static long fd_symlinkat(struct lx_call *c)
{
    return fs_two(c, LXF_AT_FDCWD, c->a[0], (int)c->a[1], c->a[2], TWO_SYMLINK);
}

static long readlink_at(struct lx_call *c, int dirfd, uint64_t upath, uint64_t ubuf, int64_t size)
{
    if (size <= 0)
        return -LX_EINVAL;
    char name[LX_PATH_MAX], out[LX_PATH_MAX + 1];
    long r = name_of(c, dirfd, upath, name);
    if (r < 0)
        return r;
    size_t n = 0;
    /* "/proc/self" itself (lx_resolve made it /proc/PID): the caller's pid */
    char mine[24];
    snprintf(mine, sizeof(mine), "proc/%d", c->p->pid);
    long ul = lx_copy_str(c->p, out, upath, sizeof(out));
    if (!strcmp(name, mine) && ul >= 4 && !strcmp(out + ul - 4, "self")) {
        n = (size_t)snprintf(out, sizeof(out), "%d", c->p->pid);
    } else if (lx_where_of(name) == LXW_FS) {
        wf_cptr_t fs = lx_fs();
        if (!fs)
            return -LX_ENOENT;
        char path[LX_PATH_MAX + 2];
        size_t len = lx_fs_path(name, path);
        wf_word_t st = 0, got = 0;
        r = lx_fs_status(wfp_file_readlink(fs, path, len, &st, out, sizeof(out) - 1, &got), st);
        if (r < 0)
            return r;
        n = got;
    } else if (lx_where_of(name) != LXW_INITRAMFS) {
        struct lx_node nd;
        r = lx_syn_lookup(c->p, name, &nd);
        if (r < 0)
            return r;
        if (!nd.link[0])
            return -LX_EINVAL;
        n = strlen(nd.link);
        memcpy(out, nd.link, n);
    } else {
        struct lx_stat st;
        r = lx_stat_name(c->p, name, true, &st);
        return r < 0 ? r : -LX_EINVAL;
    }
    if (n > (uint64_t)size)
        n = (size_t)size;
    r = lx_copy_out(c->p, ubuf, out, n);
    return r < 0 ? r : (long)n;
}

static long fd_readlink(struct lx_call *c)
{
    return readlink_at(c, LXF_AT_FDCWD, c->a[0], c->a[1], (int64_t)c->a[2]);
}

static long fd_readlinkat(struct lx_call *c)
{
    return readlink_at(c, (int)c->a[0], c->a[1], c->a[2], (int64_t)c->a[3]);
}

/* chmod, chown and utimensat: through the file server's SetAttr (decision
 * 139), which keeps mode bits, owners and times and checks nothing but
 * read-only mounts. lx's processes are all root, so every change is allowed;
 * as Linux, a chown of anything but a directory drops setuid (and setgid with
 * group execute). The initramfs is read-only; /proc refuses (EPERM); /dev
 * accepts and keeps nothing. */
struct attr_set {
    wf_word_t mask, mode, uid, gid, atime, mtime;
    bool chown; /* drop setuid/setgid as Linux's chown does */
};

/* The mode a chown leaves on a file of type and mode (Linux's should_remove_suid). */
static wf_word_t chown_mode(wf_word_t type, wf_word_t mode)
{
    if (type == WFP_FILE_T_DIR)
        return mode;
    mode &= ~(wf_word_t)04000;
    if ((mode & 02010) == 02010)
        mode &= ~(wf_word_t)02000;
    return mode;
}

/* The file server's SetAttr through a handle (path NULL) or by path. */
static long fs_set(wf_cptr_t ep, const char *path, bool nofollow, struct attr_set a)
{
    wf_word_t st = 0, type = 0, mode = 0, t, t3[3];
    char fp[LX_PATH_MAX + 2];
    size_t len = path ? lx_fs_path(path, fp) : 0;
    if (a.chown && a.mask) {
        enum wf_error e = path ? wfp_file_attr_path(ep, nofollow, fp, len, &st, &type, &mode, &t,
                                                    &t, &t, &t, &t, &t, &t3[0], &t3[1], &t3[2])
                               : wfp_file_attr(ep, &st, &type, &mode, &t, &t, &t, &t, &t, &t,
                                               &t3[0], &t3[1], &t3[2]);
        long r = lx_fs_status(e, st);
        if (r < 0)
            return r;
        if (chown_mode(type, mode) != mode) {
            a.mode = chown_mode(type, mode);
            a.mask |= WFP_FILE_SET_MODE;
        }
    }
    enum wf_error e =
        path ? wfp_file_set_attr_path(ep, nofollow, a.mask, a.mode, a.uid, a.gid, a.atime, a.mtime,
                                      fp, len, &st)
             : wfp_file_set_attr(ep, a.mask, a.mode, a.uid, a.gid, a.atime, a.mtime, &st);
    return lx_fs_status(e, st);
}

static long attr_name(struct lx_call *c, const char *name, bool nofollow, struct attr_set a)
{
    enum lx_where w = lx_where_of(name);
    if (w == LXW_FS) {
        wf_cptr_t fs = lx_fs();
        return fs ? fs_set(fs, name, nofollow, a) : -LX_ENOENT;
    }
    struct lx_stat st;
    long r = lx_stat_name(c->p, name, nofollow, &st);
    if (r < 0)
        return r;
    if (w == LXW_INITRAMFS)
        return a.mask ? -LX_EROFS : 0;
    return w == LXW_PROC ? -LX_EPERM : 0;
}

static long attr_fd(struct lx_call *c, int fd, struct attr_set a)
{
    struct lx_fd *f = lx_fd_get(c->p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_FILE || f->kind == FD_DIR)
        return a.mask ? -LX_EROFS : 0;
    if (f->kind == FD_FSFILE || f->kind == FD_FSDIR)
        return fs_set(lx_ofd_of(f)->handle, NULL, false, a);
    return f->kind == FD_PROC || f->kind == FD_SYNDIR ? -LX_EPERM : 0;
}

static long attr_at(struct lx_call *c, int dirfd, uint64_t upath, unsigned flags, struct attr_set a)
{
    char name[LX_PATH_MAX];
    bool empty;
    long r = lx_resolve(c->p, dirfd, upath, name, sizeof(name), &empty);
    if (r < 0)
        return r;
    if (empty) {
        if (!(flags & LXF_AT_EMPTY_PATH))
            return -LX_ENOENT;
        return attr_fd(c, dirfd, a);
    }
    return attr_name(c, name, (flags & LXF_AT_SYMLINK_NOFOLLOW) != 0, a);
}

static struct attr_set chmod_set(uint64_t mode)
{
    return (struct attr_set){.mask = WFP_FILE_SET_MODE, .mode = mode & 07777};
}

/* chown's uid and gid: (uid_t)-1 keeps one. */
static struct attr_set chown_set(uint64_t uid, uint64_t gid)
{
    struct attr_set a = {.uid = (uint32_t)uid, .gid = (uint32_t)gid, .chown = true};
    if ((uint32_t)uid != 0xffffffffu)
        a.mask |= WFP_FILE_SET_UID;
    if ((uint32_t)gid != 0xffffffffu)
        a.mask |= WFP_FILE_SET_GID;
    return a;
}

static long fd_chmod(struct lx_call *c)
{
    return attr_at(c, LXF_AT_FDCWD, c->a[0], 0, chmod_set(c->a[1]));
}

static long fd_fchmod(struct lx_call *c)
{
    return attr_fd(c, (int)c->a[0], chmod_set(c->a[1]));
}

static long fd_fchmodat(struct lx_call *c)
{
    return attr_at(c, (int)c->a[0], c->a[1], 0, chmod_set(c->a[2]));
}

static long fd_chown(struct lx_call *c)
{
    return attr_at(c, LXF_AT_FDCWD, c->a[0], 0, chown_set(c->a[1], c->a[2]));
}

static long fd_lchown(struct lx_call *c)
{
    return attr_at(c, LXF_AT_FDCWD, c->a[0], LXF_AT_SYMLINK_NOFOLLOW, chown_set(c->a[1], c->a[2]));
}

static long fd_fchown(struct lx_call *c)
{
    return attr_fd(c, (int)c->a[0], chown_set(c->a[1], c->a[2]));
}

static long fd_fchownat(struct lx_call *c)
{
    if (c->a[4] & ~(uint64_t)(LXF_AT_SYMLINK_NOFOLLOW | LXF_AT_EMPTY_PATH))
        return -LX_EINVAL;
    return attr_at(c, (int)c->a[0], c->a[1], (unsigned)c->a[4], chown_set(c->a[2], c->a[3]));
}

#define UTIME_NOW  ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

/* One timespec of utimensat: a mask bit for a time set, now, or kept. */
static long utime_of(const int64_t ts[2], wf_word_t set, wf_word_t now, wf_word_t *mask,
                     wf_word_t *ns)
{
    if (ts[1] == UTIME_OMIT)
        return 0;
    if (ts[1] == UTIME_NOW) {
        *mask |= now;
        return 0;
    }
    if (ts[1] < 0 || ts[1] > 999999999)
        return -LX_EINVAL;
    if (ts[0] < 0)
        return -LX_EINVAL; /* before 1970: the file server's times cannot hold it */
    /* Beyond a word of nanoseconds (the year 2554): the largest. */
    *ns = (uint64_t)ts[0] > (UINT64_MAX - 999999999u) / 1000000000u
              ? UINT64_MAX
              : (uint64_t)ts[0] * 1000000000u + (uint64_t)ts[1];
    *mask |= set;
    return 0;
}

static long fd_utimensat(struct lx_call *c)
{
    if (c->a[3] & ~(uint64_t)(LXF_AT_SYMLINK_NOFOLLOW | LXF_AT_EMPTY_PATH))
        return -LX_EINVAL;
    struct attr_set a = {.mask = WFP_FILE_SET_ATIME_NOW | WFP_FILE_SET_MTIME_NOW};
    if (c->a[2]) {
        int64_t ts[2][2];
        long r = lx_copy_in(c->p, ts, c->a[2], sizeof(ts));
        if (r < 0)
            return r;
        a.mask = 0;
        if ((r = utime_of(ts[0], WFP_FILE_SET_ATIME, WFP_FILE_SET_ATIME_NOW, &a.mask, &a.atime)) <
                0 ||
            (r = utime_of(ts[1], WFP_FILE_SET_MTIME, WFP_FILE_SET_MTIME_NOW, &a.mask, &a.mtime)) <
                0)
            return r;
        if (!a.mask)
            return 0; /* both UTIME_OMIT: Linux does not even look the path up */
    }
    if (!c->a[1]) /* futimens */
        return attr_fd(c, (int)c->a[0], a);
    return attr_at(c, (int)c->a[0], c->a[1], (unsigned)c->a[3], a);
}

/* --- sizes, sync, file systems ----------------------------------------------------- */

static long fd_ftruncate(struct lx_call *c)
{
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!f)
        return -LX_EBADF;
    if ((int64_t)c->a[1] < 0)
        return -LX_EINVAL;
    struct lx_ofd *o = lx_ofd_of(f);
    if (f->kind != FD_FSFILE || !(o->flags & LXF_O_ACCMODE))
        return f->kind == FD_FSDIR || f->kind == FD_DIR ? -LX_EISDIR : -LX_EINVAL;
    wf_word_t st = 0;
    return lx_fs_status(wfp_file_truncate(o->handle, c->a[1], &st), st);
}

static long fd_truncate(struct lx_call *c)
{
    if ((int64_t)c->a[1] < 0)
        return -LX_EINVAL;
    long fd = lx_openat_mode(c->p, LXF_AT_FDCWD, c->a[0], LXF_O_WRONLY, 0);
    if (fd < 0)
        return fd;
    struct lx_call t = {c->p, {(uint64_t)fd, c->a[1]}, c->w, c->t};
    long r = fd_ftruncate(&t);
    lx_close(c->p, (int)fd);
    return r;
}

static long fd_fsync(struct lx_call *c)
{
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_FSFILE || f->kind == FD_FSDIR) {
        wf_word_t st = 0;
        return lx_fs_status(wfp_file_fsync(lx_ofd_of(f)->handle, &st), st);
    }
    return f->kind == FD_PIPE_R || f->kind == FD_PIPE_W || f->kind == FD_CONSOLE ? -LX_EINVAL : 0;
}

/* struct statfs of x86-64 Linux (120 bytes). */
struct lx_statfs {
    int64_t type, bsize, blocks, bfree, bavail, files, ffree;
    int32_t fsid[2];
    int64_t namelen, frsize, flags, spare[4];
};
_Static_assert(sizeof(struct lx_statfs) == 120, "Linux x86-64 struct statfs");

static long statfs_of(struct lx_call *c, enum lx_where w, wf_cptr_t handle, const char *name,
                      uint64_t ubuf)
{
    struct lx_statfs s = {.bsize = 4096, .namelen = 255, .frsize = 4096};
    switch (w) {
    case LXW_FS: {
        wf_cptr_t ep = handle ? handle : lx_fs();
        char path[LX_PATH_MAX + 2];
        size_t len = name ? lx_fs_path(name, path) : 0;
        wf_word_t st = 0, tb = 0, fb = 0, ti = 0, fi = 0, bs = 0, nm = 0, fl = 0, kind = 0;
        long r = ep ? lx_fs_status(wfp_file_statfs(ep, path, len, &st, &tb, &fb, &ti, &fi, &bs, &nm,
                                                   &fl, &kind),
                                   st)
                    : -LX_ENOENT;
        if (r < 0)
            return r;
        s.type = kind == WFP_FILE_MOUNT_EXT2        ? 0xef53      /* EXT2_SUPER_MAGIC */
                 : kind == WFP_FILE_MOUNT_OVERLAY   ? 0x794c7630  /* OVERLAYFS_SUPER_MAGIC */
                 : kind == WFP_FILE_MOUNT_INITRAMFS ? 0x858458f6  /* RAMFS_MAGIC */
                                                    : 0x01021994; /* TMPFS_MAGIC */
        s.bsize = s.frsize = bs ? (int64_t)bs : 4096;
        s.blocks = (int64_t)(tb / (uint64_t)s.bsize);
        s.bfree = s.bavail = (int64_t)(fb / (uint64_t)s.bsize);
        s.files = (int64_t)ti;
        s.ffree = (int64_t)fi;
        s.namelen = (int64_t)nm;
        s.flags = fl & WFP_FILE_STATFS_RDONLY ? 0x01 : 0; /* ST_RDONLY */
        break;
    }
    case LXW_PROC:
        s.type = 0x9fa0; /* PROC_SUPER_MAGIC */
        s.flags = 0x0e;  /* nosuid, nodev, noexec */
        break;
    case LXW_DEV:
        s.type = 0x01021994;
        s.flags = 0x02; /* nosuid */
        break;
    default:
        s.type = 0x858458f6; /* RAMFS_MAGIC: the initramfs, read-only here */
        s.flags = 0x01;      /* ST_RDONLY */
        break;
    }
    return lx_copy_out(c->p, ubuf, &s, sizeof(s));
}

static long fd_statfs(struct lx_call *c)
{
    char name[LX_PATH_MAX];
    long r = name_of(c, LXF_AT_FDCWD, c->a[0], name);
    if (r < 0)
        return r;
    struct lx_stat st;
    if ((r = lx_stat_name(c->p, name, false, &st)) < 0)
        return r;
    return statfs_of(c, lx_where_of(name), 0, name, c->a[1]);
}

static long fd_fstatfs(struct lx_call *c)
{
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_FSFILE || f->kind == FD_FSDIR)
        return statfs_of(c, LXW_FS, lx_ofd_of(f)->handle, NULL, c->a[1]);
    if (f->kind == FD_PIPE_R || f->kind == FD_PIPE_W) {
        struct lx_statfs s = {.type = 0x50495045, .bsize = 4096, .namelen = 255, .frsize = 4096};
        return lx_copy_out(c->p, c->a[1], &s, sizeof(s)); /* PIPEFS_MAGIC */
    }
    return statfs_of(c, lx_where_of(f->path), 0, f->path, c->a[1]);
}

/* --- the working directory and umask ------------------------------------------------- */

static long fd_getcwd(struct lx_call *c)
{
    char out[LX_PATH_MAX + 1];
    int n = snprintf(out, sizeof(out), "/%s", c->p->files.cwd);
    if (c->a[1] < (uint64_t)n + 1)
        return -LX_ERANGE;
    long e = lx_copy_out(c->p, c->a[0], out, (size_t)n + 1);
    return e < 0 ? e : n + 1;
}

static long set_cwd(struct lx_proc *p, const char *name)
{
    struct lx_stat st;
    long r = lx_stat_name(p, name, false, &st);
    if (r < 0)
        return r;
    if ((st.mode & LXF_S_IFMT) != LXF_S_IFDIR)
        return -LX_ENOTDIR;
    memcpy(p->files.cwd, name, strlen(name) + 1);
    return 0;
}

static long fd_chdir(struct lx_call *c)
{
    char name[LX_PATH_MAX];
    long r = name_of(c, LXF_AT_FDCWD, c->a[0], name);
    return r < 0 ? r : set_cwd(c->p, name);
}

static long fd_fchdir(struct lx_call *c)
{
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!f)
        return -LX_EBADF;
    if (f->kind != FD_DIR && f->kind != FD_FSDIR && f->kind != FD_SYNDIR)
        return -LX_ENOTDIR;
    return set_cwd(c->p, f->path);
}

static long fd_umask(struct lx_call *c)
{
    uint32_t old = c->p->files.umask;
    c->p->files.umask = (uint32_t)c->a[0] & 0777;
    return old;
}

/* --- system calls not served: counted by name ------------------------------------------ */

#include "nosysnames.h"

void lx_nosys_count(uint64_t nr)
{
    if (nr >= LX_NSYSCALLS)
        nr = LX_NSYSCALLS; /* every number past the table counts as one */
    if (lx.files.nosys_count[nr] < UINT32_MAX)
        lx.files.nosys_count[nr]++;
}

/* "NAME xCOUNT, ..." for every number answered ENOSYS, in number order:
 * the bytes written (out is always terminated). */
unsigned lx_nosys_report(char *out, size_t max)
{
    size_t len = 0;
    out[0] = 0;
    _Static_assert(LX_NOSYS_SLOTS == LX_NSYSCALLS, "a count for every number of the table");
    for (unsigned nr = 0; nr <= LX_NSYSCALLS && max; nr++) {
        if (!lx.files.nosys_count[nr])
            continue;
        const char *nm =
            nr < sizeof(lx_syscall_names) / sizeof(lx_syscall_names[0]) && lx_syscall_names[nr]
                ? lx_syscall_names[nr]
                : NULL;
        int n = nm ? snprintf(out + len, max - len, "%s%s x%u", len ? ", " : "", nm,
                              (unsigned)lx.files.nosys_count[nr])
                   : snprintf(out + len, max - len, "%s%s%u x%u", len ? ", " : "",
                              nr == LX_NSYSCALLS ? "past " : "", nr == LX_NSYSCALLS ? nr - 1 : nr,
                              (unsigned)lx.files.nosys_count[nr]);
        if (n < 0 || (size_t)n >= max - len) {
            out[len] = 0;
            break;
        }
        len += (size_t)n;
    }
    return (unsigned)len;
}

#define E(nr, nm, f) [nr] = {#nm, f}
const struct lx_sysent lx_fd_calls[LX_NSYSCALLS] = {
    E(2, open, fd_open),
    E(6, lstat, fd_lstat),
    E(7, poll, lx_w_poll),
    E(23, select, lx_w_select),
    E(41, socket, lx_w_socket),
    E(42, connect, lx_n_connect),
    E(43, accept, lx_n_accept),
    E(44, sendto, lx_n_sendto),
    E(45, recvfrom, lx_n_recvfrom),
    E(46, sendmsg, lx_n_sendmsg),
    E(47, recvmsg, lx_n_recvmsg),
    E(48, shutdown, lx_n_shutdown),
    E(49, bind, lx_n_bind),
    E(50, listen, lx_n_listen),
    E(51, getsockname, lx_n_getsockname),
    E(52, getpeername, lx_n_getpeername),
    E(53, socketpair, lx_w_socketpair),
    E(54, setsockopt, lx_n_setsockopt),
    E(55, getsockopt, lx_n_getsockopt),
    E(17, pread64, fd_pread64),
    E(18, pwrite64, fd_pwrite64),
    E(40, sendfile, fd_sendfile),
    E(74, fsync, fd_fsync),
    E(75, fdatasync, fd_fsync),
    E(76, truncate, fd_truncate),
    E(77, ftruncate, fd_ftruncate),
    E(79, getcwd, fd_getcwd),
    E(80, chdir, fd_chdir),
    E(81, fchdir, fd_fchdir),
    E(82, rename, fd_rename),
    E(83, mkdir, fd_mkdir),
    E(84, rmdir, fd_rmdir),
    E(85, creat, fd_creat),
    E(86, link, fd_link),
    E(87, unlink, fd_unlink),
    E(88, symlink, fd_symlink),
    E(89, readlink, fd_readlink),
    E(90, chmod, fd_chmod),
    E(91, fchmod, fd_fchmod),
    E(92, chown, fd_chown),
    E(93, fchown, fd_fchown),
    E(94, lchown, fd_lchown),
    E(95, umask, fd_umask),
    E(137, statfs, fd_statfs),
    E(138, fstatfs, fd_fstatfs),
    E(213, epoll_create, lx_w_epoll_create),
    E(232, epoll_wait, lx_w_epoll_wait),
    E(233, epoll_ctl, lx_w_epoll_ctl),
    E(257, openat, fd_openat),
    E(258, mkdirat, fd_mkdirat),
    E(260, fchownat, fd_fchownat),
    E(263, unlinkat, fd_unlinkat),
    E(264, renameat, fd_renameat),
    E(265, linkat, fd_linkat),
    E(266, symlinkat, fd_symlinkat),
    E(267, readlinkat, fd_readlinkat),
    E(268, fchmodat, fd_fchmodat),
    E(270, pselect6, lx_w_pselect6),
    E(271, ppoll, lx_w_ppoll),
    E(280, utimensat, fd_utimensat),
    E(281, epoll_pwait, lx_w_epoll_wait),
    E(283, timerfd_create, lx_w_timerfd_create),
    E(284, eventfd, lx_w_eventfd),
    E(286, timerfd_settime, lx_w_timerfd_settime),
    E(287, timerfd_gettime, lx_w_timerfd_gettime),
    E(288, accept4, lx_n_accept4),
    E(290, eventfd2, lx_w_eventfd2),
    E(291, epoll_create1, lx_w_epoll_create1),
    E(316, renameat2, fd_renameat2),
    E(332, statx, fd_statx),
};
#undef E
