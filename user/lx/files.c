/*
 * Files: descriptors 0-2 are the console (lx's CONSOLE slot), the others name
 * files and directories of the initramfs, read-only (until the file service is
 * wired in), or the ends of pipes (a ring buffer in lx: a read of an empty pipe
 * and a write to a full one wait, answered later, decision 122). Paths are normalised ("." and ".." and repeated slashes folded)
 * and looked up in the CPIO archive, whose names carry no leading slash; every
 * directory has an entry of its own there (tools/mkcpio.py writes them).
 */
#include <string.h>

#include "lib/cpio.h"
#include "lx.h"
#include "weft/invoke.h"
#include "wf/proto/console.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"

enum {
    O_ACCMODE = 3,
    O_CREAT = 0100,
    O_TRUNC = 01000,
    O_DIRECTORY = 0200000,
    O_CLOEXEC = 02000000,
    O_NONBLOCK = 04000,
    PIPE_BUF = 4096,
    S_IFIFO = 0010000,
    AT_FDCWD = -100,
    AT_EMPTY_PATH = 0x1000,
    S_IFMT = 0170000,
    S_IFDIR = 0040000,
    S_IFREG = 0100000,
    S_IFCHR = 0020000,
};

/* Normalises path (absolute, or relative to "/", the only working directory)
 * into out without the leading slash: "" is the root. False if too long. */
static bool normalise(const char *path, char *out, size_t max)
{
    size_t n = 0;
    const char *s = path;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 1 && s[0] == '.') {
            /* nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            if (n + (n ? 1 : 0) + len + 1 > max)
                return false;
            if (n)
                out[n++] = '/';
            memcpy(out + n, s, len);
            n += len;
        }
        s = e;
    }
    out[n] = 0;
    return true;
}

/* The entry of name (normalised) in the initramfs; the root is a directory. */
static bool lookup(const char *name, struct cpio_entry *e)
{
    if (!name[0]) {
        memset(e, 0, sizeof(*e));
        e->mode = S_IFDIR | 0755;
        e->ino = 1;
        return true;
    }
    return lx.initramfs && cpio_find(lx.initramfs, lx.initramfs_len, name, e) == CPIO_OK;
}

/* Whether e is an entry of directory dir (normalised, plen bytes): *nm and
 * *nlen get its name there. */
static bool child_of(const char *dir, size_t plen, const struct cpio_entry *e, const char **nm,
                     size_t *nlen)
{
    if (plen ? (e->namelen <= plen + 1 || memcmp(e->name, dir, plen) || e->name[plen] != '/')
             : e->namelen == 0)
        return false;
    *nm = e->name + (plen ? plen + 1 : 0);
    *nlen = e->namelen - (plen ? plen + 1 : 0);
    return !memchr(*nm, '/', *nlen);
}

/* The number of entries of dir, and of those that are directories. */
static unsigned count_children(const char *dir, unsigned *subdirs)
{
    struct cpio_iter it;
    struct cpio_entry e;
    unsigned n = 0, d = 0;
    const char *nm;
    size_t nlen, plen = strlen(dir);
    cpio_iter_init(&it, lx.initramfs, lx.initramfs_len);
    while (lx.initramfs && cpio_next(&it, &e) == CPIO_OK) {
        if (child_of(dir, plen, &e, &nm, &nlen)) {
            n++;
            d += (e.mode & S_IFMT) == S_IFDIR;
        }
    }
    if (subdirs)
        *subdirs = d;
    return n;
}

/* The entry number k (in archive order) of dir. */
static bool nth_child(const char *dir, unsigned k, struct cpio_entry *e, const char **nm,
                      size_t *nlen)
{
    struct cpio_iter it;
    size_t plen = strlen(dir);
    cpio_iter_init(&it, lx.initramfs, lx.initramfs_len);
    while (lx.initramfs && cpio_next(&it, e) == CPIO_OK)
        if (child_of(dir, plen, e, nm, nlen) && k-- == 0)
            return true;
    return false;
}

bool lx_files_setup(void)
{
    return true; /* the initramfs is all lx serves files from */
}

const uint8_t *lx_file_find(const char *path, size_t *len)
{
    char name[128];
    struct cpio_entry e;
    if (!normalise(path, name, sizeof(name)) || !lookup(name, &e) || !cpio_is_regular(&e))
        return NULL;
    *len = e.size;
    return e.data;
}

/* Whether path names anything (execve: EACCES, not ENOENT, for a directory). */
bool lx_path_exists(const char *path)
{
    char name[128];
    struct cpio_entry e;
    return normalise(path, name, sizeof(name)) && lookup(name, &e);
}

/* Whether path names a file with an execute bit (execve's EACCES). */
bool lx_file_executable(const char *path)
{
    char name[128];
    struct cpio_entry e;
    return normalise(path, name, sizeof(name)) && lookup(name, &e) && cpio_is_regular(&e) &&
           (e.mode & 0111);
}

void lx_files_init(struct lx_proc *p)
{
    for (int i = 0; i < 3; i++)
        p->fd[i] = (struct lx_fd){.kind = FD_CONSOLE, .flags = 2, .mode = S_IFCHR | 0620};
}

static int fd_alloc(struct lx_proc *p, int min)
{
    for (int i = min < 0 ? 0 : min; i < LX_MAX_FDS; i++)
        if (p->fd[i].kind == FD_NONE)
            return i;
    return -LX_EMFILE;
}

/* The descriptors of every process that name pipe k's read (or write) end. */
static unsigned pipe_ends(unsigned k, enum lx_fd_kind end)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        const struct lx_proc *q = &lx.proc[i];
        if (!q->used || q->state != PROC_RUN)
            continue;
        for (unsigned j = 0; j < LX_MAX_FDS; j++)
            n += q->fd[j].kind == end && q->fd[j].pipe == k;
    }
    return n;
}

/* Clears descriptor f; a pipe no descriptor names any more is freed. */
static void fd_clear(struct lx_fd *f)
{
    enum lx_fd_kind kind = f->kind;
    f->kind = FD_NONE;
    if ((kind == FD_PIPE_R || kind == FD_PIPE_W) && !pipe_ends(f->pipe, FD_PIPE_R) &&
        !pipe_ends(f->pipe, FD_PIPE_W))
        lx.files.pipe[f->pipe].used = false;
}

void lx_files_close_all(struct lx_proc *p)
{
    for (unsigned i = 0; i < LX_MAX_FDS; i++)
        if (p->fd[i].kind != FD_NONE)
            fd_clear(&p->fd[i]);
}

/* execve closes the descriptors marked close-on-exec. */
void lx_files_exec(struct lx_proc *p)
{
    for (unsigned i = 0; i < LX_MAX_FDS; i++)
        if (p->fd[i].kind != FD_NONE && p->fd[i].cloexec)
            fd_clear(&p->fd[i]);
}

/* poll's answer for one descriptor (POLLIN 1, POLLOUT 4, POLLHUP 0x10,
 * POLLNVAL 0x20): the console is always ready (a read waits for a line), a
 * pipe as its buffer and ends say, files and /dev/null always. */
static short poll_one(struct lx_proc *p, int fd, short events)
{
    if (fd < 0)
        return 0;
    if (fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE)
        return 0x20;
    const struct lx_fd *f = &p->fd[fd];
    short ready = 1 | 4;
    if (f->kind == FD_PIPE_R) {
        ready = lx.files.pipe[f->pipe].len ? 1 : 0;
        if (!pipe_ends(f->pipe, FD_PIPE_W))
            ready |= 0x10;
    } else if (f->kind == FD_PIPE_W) {
        ready = LX_PIPE_SIZE - lx.files.pipe[f->pipe].len >= PIPE_BUF ? 4 : 0;
        if (!pipe_ends(f->pipe, FD_PIPE_R))
            ready |= 8; /* POLLERR */
    }
    return (short)(ready & (events | 8 | 0x10));
}

/* poll: how many descriptors are ready (their revents written), 0 if none,
 * -LX_BLOCK when the caller is to wait (the retry polls again). */
long lx_poll(struct lx_proc *p, uint64_t ufds, uint64_t nfds)
{
    struct {
        int32_t fd;
        int16_t events, revents;
    } pf[LX_MAX_FDS];
    if (nfds > LX_MAX_FDS)
        return -LX_EINVAL;
    if (lx_copy_in(p, pf, ufds, nfds * sizeof(pf[0])) < 0)
        return -LX_EFAULT;
    long n = 0;
    for (uint64_t i = 0; i < nfds; i++) {
        pf[i].revents = poll_one(p, pf[i].fd, pf[i].events);
        n += pf[i].revents != 0;
    }
    if (!n)
        return 0;
    return lx_copy_out(p, ufds, pf, nfds * sizeof(pf[0])) < 0 ? -LX_EFAULT : n;
}

long lx_pipe2(struct lx_proc *p, uint64_t ufds, unsigned flags)
{
    if (flags & ~(unsigned)(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */))
        return -LX_EINVAL;
    unsigned k = 0;
    while (k < LX_MAX_PIPES && lx.files.pipe[k].used)
        k++;
    if (k == LX_MAX_PIPES)
        return -LX_ENFILE;
    int r = fd_alloc(p, 0);
    if (r < 0)
        return r;
    p->fd[r].kind = FD_PIPE_R; /* held while the second is found */
    int w = fd_alloc(p, 0);
    p->fd[r].kind = FD_NONE;
    if (w < 0)
        return w;
    int fds[2] = {r, w};
    if (lx_copy_out(p, ufds, fds, sizeof(fds)) < 0)
        return -LX_EFAULT;
    lx.files.pipe[k].used = true;
    lx.files.pipe[k].head = lx.files.pipe[k].len = 0;
    lx.files.pipe[k].ino = ++lx.next_ino;
    bool cloexec = (flags & O_CLOEXEC) != 0;
    p->fd[r] = (struct lx_fd){.kind = FD_PIPE_R,
                              .flags = flags & O_NONBLOCK,
                              .cloexec = cloexec,
                              .mode = S_IFIFO | 0600,
                              .ino = lx.files.pipe[k].ino,
                              .pipe = k};
    p->fd[w] = p->fd[r];
    p->fd[w].kind = FD_PIPE_W;
    p->fd[w].flags |= 1; /* O_WRONLY */
    return 0;
}

static struct lx_fd *fd_of(struct lx_proc *p, int fd)
{
    if (fd < 0 || fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE)
        return NULL;
    return &p->fd[fd];
}

/* The path a dirfd and a user path name: "" and AT_EMPTY_PATH handled by the
 * callers. Returns 0 or -errno. */
static long resolve(struct lx_proc *p, int dirfd, uint64_t upath, char *name, size_t max,
                    bool *empty)
{
    char raw[256];
    long n = lx_copy_str(p, raw, upath, sizeof(raw));
    if (n < 0)
        return n;
    *empty = n == 0;
    char joined[400];
    if (raw[0] == '/' || dirfd == AT_FDCWD) {
        memcpy(joined, raw, (size_t)n + 1);
    } else {
        struct lx_fd *d = fd_of(p, dirfd);
        if (!d)
            return -LX_EBADF;
        if (d->kind != FD_DIR && !*empty)
            return -LX_ENOTDIR;
        size_t dl = strlen(d->path);
        memcpy(joined, d->path, dl);
        joined[dl] = '/';
        memcpy(joined + dl + 1, raw, (size_t)n + 1);
    }
    return normalise(joined, name, max) ? 0 : -LX_ENAMETOOLONG;
}

long lx_openat(struct lx_proc *p, int dirfd, uint64_t upath, unsigned flags)
{
    char name[128];
    bool empty;
    long r = resolve(p, dirfd, upath, name, sizeof(name), &empty);
    if (r < 0)
        return r;
    if (empty)
        return -LX_ENOENT;
    if (!strcmp(name, "dev/null")) { /* the one device: reads end, writes vanish */
        int fd = fd_alloc(p, 0);
        if (fd < 0)
            return fd;
        p->fd[fd] = (struct lx_fd){.kind = FD_NULL,
                                   .flags = flags & (O_ACCMODE | O_NONBLOCK),
                                   .cloexec = (flags & O_CLOEXEC) != 0,
                                   .mode = S_IFCHR | 0666,
                                   .ino = 4};
        return fd;
    }
    struct cpio_entry e;
    if (!lookup(name, &e))
        return (flags & O_CREAT) ? -LX_EROFS : -LX_ENOENT;
    if ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC))
        return (e.mode & S_IFMT) == S_IFDIR ? -LX_EISDIR : -LX_EROFS;
    bool dir = (e.mode & S_IFMT) == S_IFDIR;
    if ((flags & O_DIRECTORY) && !dir)
        return -LX_ENOTDIR;
    int fd = fd_alloc(p, 0);
    if (fd < 0)
        return fd;
    struct lx_fd *f = &p->fd[fd];
    *f = (struct lx_fd){.kind = dir ? FD_DIR : FD_FILE,
                        .flags = flags,
                        .cloexec = (flags & O_CLOEXEC) != 0,
                        .data = e.data,
                        .size = e.size,
                        .mode = e.mode,
                        .ino = e.ino};
    memcpy(f->path, name, strlen(name) + 1);
    return fd;
}

long lx_close(struct lx_proc *p, int fd)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    fd_clear(f);
    return 0;
}

long lx_dup(struct lx_proc *p, int fd, int newfd, int min, bool cloexec)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    if (newfd < 0) {
        newfd = fd_alloc(p, min);
        if (newfd < 0)
            return newfd;
    } else if (newfd >= LX_MAX_FDS) {
        return -LX_EBADF;
    }
    if (newfd != fd) {
        struct lx_fd copy = *f;
        if (p->fd[newfd].kind != FD_NONE)
            fd_clear(&p->fd[newfd]);
        p->fd[newfd] = copy;
        p->fd[newfd].cloexec = cloexec;
    }
    return newfd;
}

long lx_fcntl(struct lx_proc *p, int fd, int cmd, uint64_t arg)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    switch (cmd) {
    case 0: /* F_DUPFD */
        return lx_dup(p, fd, -1, (int)arg, false);
    case 1030: /* F_DUPFD_CLOEXEC */
        return lx_dup(p, fd, -1, (int)arg, true);
    case 1: /* F_GETFD */
        return f->cloexec ? 1 : 0;
    case 2: /* F_SETFD */
        f->cloexec = arg & 1;
        return 0;
    case 3: /* F_GETFL */
        return f->flags & (O_ACCMODE | 02000 | 04000);
    case 4: /* F_SETFL: O_NONBLOCK kept (pipes honour it), O_APPEND accepted */
        f->flags = (f->flags & ~(unsigned)O_NONBLOCK) | ((unsigned)arg & O_NONBLOCK);
        return 0;
    default:
        return -LX_EINVAL;
    }
}

long lx_read(struct lx_proc *p, int fd, uint64_t buf, uint64_t count)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_DIR)
        return -LX_EISDIR;
    if (f->kind == FD_PIPE_W)
        return -LX_EBADF;
    if (f->kind == FD_NULL)
        return 0;
    if (f->kind == FD_PIPE_R) {
        struct lx_pipe *pp = &lx.files.pipe[f->pipe];
        if (!count)
            return 0;
        if (!pp->len) {
            if (!pipe_ends(f->pipe, FD_PIPE_W))
                return 0; /* end of file: no writer left */
            return (f->flags & O_NONBLOCK) ? -LX_EAGAIN : -LX_BLOCK;
        }
        uint64_t n = count < pp->len ? count : pp->len, done = 0;
        while (done < n) {
            unsigned at = (pp->head + (unsigned)done) % LX_PIPE_SIZE;
            uint64_t k = LX_PIPE_SIZE - at < n - done ? LX_PIPE_SIZE - at : n - done;
            if (lx_copy_out(p, buf + done, pp->buf + at, k) < 0)
                return -LX_EFAULT;
            done += k;
        }
        pp->head = (pp->head + (unsigned)n) % LX_PIPE_SIZE;
        pp->len -= (unsigned)n;
        return (long)n;
    }
    if (f->kind == FD_CONSOLE) {
        /* One edited line from the console (blocks lx until it comes). */
        char line[WFP_CONSOLE_TEXT_MAX];
        wf_word_t got = 0;
        wf_word_t max = count < sizeof(line) ? count : sizeof(line);
        if (!max)
            return 0;
        if (wfp_console_read(WF_CHILD_CONSOLE, max, line, sizeof(line), &got) != WF_ERR_OK)
            return 0; /* no console to read from: end of file */
        long e = lx_copy_out(p, buf, line, got);
        return e < 0 ? e : (long)got;
    }
    if (f->off >= f->size)
        return 0;
    uint64_t n = f->size - f->off < count ? f->size - f->off : count;
    long e = lx_copy_out(p, buf, f->data + f->off, n);
    if (e < 0)
        return e;
    f->off += n;
    return (long)n;
}

/* How many of count bytes a write to pipe end f may put now: 0 with *err set
 * when it cannot (no reader: EPIPE and SIGPIPE; full: wait or EAGAIN). Writes
 * up to PIPE_BUF go in whole. */
static uint64_t pipe_room(struct lx_proc *p, const struct lx_fd *f, uint64_t count, long *err)
{
    struct lx_pipe *pp = &lx.files.pipe[f->pipe];
    if (!pipe_ends(f->pipe, FD_PIPE_R)) {
        lx_signal(p, LX_SIGPIPE);
        *err = -LX_EPIPE;
        return 0;
    }
    uint64_t room = LX_PIPE_SIZE - pp->len;
    if (!room || (count <= PIPE_BUF && room < count)) {
        *err = (f->flags & O_NONBLOCK) ? -LX_EAGAIN : -LX_BLOCK;
        return 0;
    }
    *err = 0;
    return count < room ? count : room;
}

static void pipe_put(struct lx_pipe *pp, const uint8_t *data, uint64_t n)
{
    for (uint64_t done = 0; done < n;) {
        unsigned at = (pp->head + pp->len) % LX_PIPE_SIZE;
        uint64_t k = LX_PIPE_SIZE - at < n - done ? LX_PIPE_SIZE - at : n - done;
        memcpy(pp->buf + at, data + done, k);
        pp->len += (unsigned)k;
        done += k;
    }
}

/* Writes n bytes of lx's memory to descriptor f (sendfile): how many went. */
long lx_put(struct lx_proc *p, struct lx_fd *f, const uint8_t *data, uint64_t n)
{
    if (f->kind == FD_CONSOLE) {
        lx_out((const char *)data, n);
        return (long)n;
    }
    if (f->kind != FD_PIPE_W)
        return -LX_EINVAL;
    if (!n)
        return 0;
    long err;
    n = pipe_room(p, f, n, &err);
    if (!n)
        return err;
    pipe_put(&lx.files.pipe[f->pipe], data, n);
    return (long)n;
}

long lx_write(struct lx_proc *p, int fd, uint64_t buf, uint64_t count)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    static char tmp[4096];
    if (f->kind == FD_NULL)
        return (long)count;
    if (f->kind == FD_PIPE_W) {
        if (!count)
            return 0;
        long err;
        uint64_t n = pipe_room(p, f, count, &err);
        if (!n)
            return err;
        for (uint64_t done = 0; done < n;) {
            size_t k = n - done < sizeof(tmp) ? n - done : sizeof(tmp);
            if (lx_copy_in(p, tmp, buf + done, k) < 0)
                return done ? (long)done : -LX_EFAULT;
            pipe_put(&lx.files.pipe[f->pipe], (const uint8_t *)tmp, k);
            done += k;
        }
        return (long)n;
    }
    if (f->kind != FD_CONSOLE)
        return (f->flags & O_ACCMODE) ? -LX_EROFS : -LX_EBADF;
    uint64_t done = 0;
    while (done < count) {
        size_t n = count - done < sizeof(tmp) ? count - done : sizeof(tmp);
        if (lx_copy_in(p, tmp, buf + done, n) < 0)
            return done ? (long)done : -LX_EFAULT;
        lx_out(tmp, n);
        done += n;
    }
    return (long)done;
}

long lx_lseek(struct lx_proc *p, int fd, int64_t off, int whence)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_NULL)
        return 0;
    if (f->kind == FD_CONSOLE || f->kind == FD_PIPE_R || f->kind == FD_PIPE_W)
        return -LX_ESPIPE;
    int64_t base = whence == 0   ? 0
                   : whence == 1 ? (int64_t)f->off
                   : whence == 2 ? (int64_t)f->size
                                 : -1;
    if (base < 0 || (f->kind == FD_DIR && whence != 0))
        return -LX_EINVAL;
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -LX_EINVAL;
    f->off = (uint64_t)(base + off);
    return (long)f->off;
}

/* struct stat of x86-64 Linux (144 bytes). */
struct lx_stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t reserved[3];
};
_Static_assert(sizeof(struct lx_stat) == 144, "Linux x86-64 struct stat");

/* What Linux's initramfs (tmpfs) reports, so that programs print the same: a
 * directory's size is 20 bytes per entry with "." and "..", its links 2 plus
 * its subdirectories, and it takes no blocks; a file takes whole pages. */
static void fill_stat(struct lx_stat *st, uint32_t mode, uint32_t ino, uint64_t size,
                      const char *path)
{
    memset(st, 0, sizeof(*st));
    st->dev = (mode & S_IFMT) == S_IFCHR ? 6 : 1;
    st->ino = ino;
    st->nlink = 1;
    st->mode = mode;
    st->rdev = (mode & S_IFMT) == S_IFCHR ? (5u << 8) | 1u : 0; /* /dev/console */
    st->blksize = 4096;
    if ((mode & S_IFMT) == S_IFDIR) {
        unsigned subdirs = 0, n = count_children(path, &subdirs);
        st->size = 20 * (2 + (int64_t)n);
        st->nlink = 2 + subdirs;
    } else if ((mode & S_IFMT) == S_IFREG) {
        st->size = (int64_t)size;
        st->blocks = (int64_t)((size + 4095) / 4096 * 8);
    }
}

long lx_fstatat(struct lx_proc *p, int dirfd, uint64_t upath, uint64_t ubuf, unsigned flags)
{
    struct lx_stat st;
    if (upath == 0 && !(flags & AT_EMPTY_PATH))
        return -LX_EFAULT;
    char name[128];
    bool empty = true;
    if (upath) {
        long r = resolve(p, dirfd, upath, name, sizeof(name), &empty);
        if (r < 0)
            return r;
    }
    if (empty) {
        if (!(flags & AT_EMPTY_PATH))
            return -LX_ENOENT;
        struct lx_fd *f = fd_of(p, dirfd);
        if (!f)
            return -LX_EBADF;
        fill_stat(&st, f->mode, f->ino, f->size, f->path);
    } else {
        struct cpio_entry e;
        if (!lookup(name, &e))
            return -LX_ENOENT;
        fill_stat(&st, e.mode, e.ino, e.size, name);
    }
    return lx_copy_out(p, ubuf, &st, sizeof(st));
}

long lx_faccessat(struct lx_proc *p, int dirfd, uint64_t upath)
{
    char name[128];
    bool empty;
    long r = resolve(p, dirfd, upath, name, sizeof(name), &empty);
    if (r < 0)
        return r;
    struct cpio_entry e;
    return !empty && lookup(name, &e) ? 0 : -LX_ENOENT;
}

/* getdents64: ".", "..", then the entries of the directory newest first, as
 * Linux's initramfs (tmpfs, filled in archive order) lists them. f->off counts
 * the entries returned. */
long lx_getdents64(struct lx_proc *p, int fd, uint64_t ubuf, uint64_t count)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind != FD_DIR)
        return -LX_ENOTDIR;
    static uint8_t out[4096];
    size_t used = 0, limit = count < sizeof(out) ? count : sizeof(out);
    unsigned n = count_children(f->path, NULL);
    for (uint64_t k = f->off; k < 2ull + n; k++) {
        const char *nm;
        size_t nlen;
        uint32_t mode, ino;
        struct cpio_entry e;
        if (k < 2) {
            nm = k == 0 ? "." : "..";
            nlen = k + 1;
            mode = S_IFDIR;
            ino = f->ino;
        } else {
            if (!nth_child(f->path, (unsigned)(n - 1 - (k - 2)), &e, &nm, &nlen))
                break;
            mode = e.mode;
            ino = e.ino;
        }
        size_t reclen = (19 + nlen + 1 + 7) & ~(size_t)7;
        if (used + reclen > limit) {
            if (!used)
                return -LX_EINVAL;
            break;
        }
        uint8_t *r = out + used;
        memset(r, 0, reclen);
        uint64_t ino64 = ino, off64 = k + 1;
        uint16_t rl = (uint16_t)reclen;
        uint8_t type = (mode & S_IFMT) == S_IFDIR   ? 4
                       : (mode & S_IFMT) == S_IFREG ? 8
                       : (mode & S_IFMT) == 0120000 ? 10
                                                    : 0;
        memcpy(r, &ino64, 8);
        memcpy(r + 8, &off64, 8);
        memcpy(r + 16, &rl, 2);
        r[18] = type;
        memcpy(r + 19, nm, nlen);
        used += reclen;
        f->off = k + 1;
    }
    long c = lx_copy_out(p, ubuf, out, used);
    return c < 0 ? c : (long)used;
}

long lx_ioctl(struct lx_proc *p, int fd, unsigned long req, uint64_t arg)
{
    struct lx_fd *f = fd_of(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind != FD_CONSOLE)
        return -LX_ENOTTY;
    switch (req) {
    case 0x5401: { /* TCGETS: a serial console in cooked mode, 115200 8N1 */
        struct {
            uint32_t iflag, oflag, cflag, lflag;
            uint8_t line, cc[19];
        } t = {0x500,  0x5, 0x1cb2,
               0x8a3b, 0,   {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22}};
        return lx_copy_out(p, arg, &t, sizeof(t));
    }
    case 0x5413: { /* TIOCGWINSZ: what Linux says of a serial line nobody sized */
        uint16_t ws[4] = {0, 0, 0, 0};
        return lx_copy_out(p, arg, ws, sizeof(ws));
    }
    case 0x5402: /* TCSETS, TCSETSW, TCSETSF: accepted, nothing changes */
    case 0x5403:
    case 0x5404:
        return 0;
    default:
        return -LX_ENOTTY;
    }
}
