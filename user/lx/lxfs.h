/*
 * What files.c, procfs.c and fdsys.c share: Linux's open flags and file
 * types, where a path lives, /dev and /proc's nodes, and the helpers the
 * descriptor-side system calls are built on.
 */
#ifndef LX_FS_H
#define LX_FS_H

#include "lx.h"
#include "lxsys.h"

/* Linux's open flags, file types and *at flags (x86-64). */
enum {
    LXF_O_ACCMODE = 3,
    LXF_O_WRONLY = 1,
    LXF_O_RDWR = 2,
    LXF_O_CREAT = 0100,
    LXF_O_EXCL = 0200,
    LXF_O_TRUNC = 01000,
    LXF_O_APPEND = 02000,
    LXF_O_NONBLOCK = 04000,
    LXF_O_DIRECTORY = 0200000,
    LXF_O_NOFOLLOW = 0400000,
    LXF_O_CLOEXEC = 02000000,
    LXF_S_IFMT = 0170000,
    LXF_S_IFDIR = 0040000,
    LXF_S_IFREG = 0100000,
    LXF_S_IFCHR = 0020000,
    LXF_S_IFLNK = 0120000,
    LXF_S_IFIFO = 0010000,
    LXF_S_IFSOCK = 0140000,
    LXF_AT_FDCWD = -100,
    LXF_AT_SYMLINK_NOFOLLOW = 0x100,
    LXF_AT_REMOVEDIR = 0x200,
    LXF_AT_SYMLINK_FOLLOW = 0x400,
    LXF_AT_EMPTY_PATH = 0x1000,
};

/* Linux error numbers lx.h does not name. */
enum {
    LXF_ENXIO = 6,
    LXF_EBUSY = 16,
    LXF_EXDEV = 18,
    LXF_ENOSPC = 28,
    LXF_ENOTEMPTY = 39,
    LXF_ELOOP = 40,
};

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

/* Where a normalised path lives: its first component decides. */
enum lx_where { LXW_INITRAMFS, LXW_FS, LXW_DEV, LXW_PROC };

/* A node of /dev or /proc (procfs.c): a directory (FD_SYNDIR), a device
 * (FD_DEV, FD_CONSOLE), a synthetic file (FD_PROC), or a symbolic link (link
 * not empty: an absolute path). */
struct lx_node {
    enum lx_fd_kind kind;
    unsigned sub;
    int pid;
    uint32_t mode, ino;
    uint64_t rdev;
    char link[LX_PATH_MAX];
};

/* files.c */
enum lx_where lx_where_of(const char *name);
long lx_resolve(struct lx_proc *p, int dirfd, uint64_t upath, char *name, size_t max, bool *empty);
struct lx_fd *lx_fd_get(struct lx_proc *p, int fd);
struct lx_ofd *lx_ofd_of(const struct lx_fd *f);
wf_cptr_t lx_fs(void);
size_t lx_fs_path(const char *name, char *out);
long lx_fs_status(enum wf_error e, wf_word_t status);
long lx_openat_mode(struct lx_proc *p, int dirfd, uint64_t upath, unsigned flags, uint32_t mode);
long lx_stat_name(struct lx_proc *p, const char *name, bool nofollow, struct lx_stat *st);
long lx_stat_fd(struct lx_proc *p, struct lx_fd *f, struct lx_stat *st);
long lx_file_read_at(struct lx_proc *p, struct lx_fd *f, uint64_t off, uint8_t *buf, uint64_t n);
long lx_write_k(struct lx_proc *p, struct lx_fd *f, const uint8_t *buf, uint64_t n,
                const uint64_t *at);
int lx_fd_alloc(struct lx_proc *p, int min);
int lx_ofd_new(unsigned flags, wf_cptr_t handle);
unsigned lx_ofd_refs(unsigned k);
int lx_pipe_new(void);
short lx_poll_one(struct lx_proc *p, int fd, short events);

/* waitfd.c */
short lx_wait_ready(struct lx_proc *p, struct lx_fd *f);
long lx_wait_read(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count);
long lx_wait_write(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count);
void lx_wait_release(unsigned k);
long lx_w_poll(struct lx_call *c);
long lx_w_ppoll(struct lx_call *c);
long lx_w_select(struct lx_call *c);
long lx_w_pselect6(struct lx_call *c);
long lx_w_eventfd2(struct lx_call *c);
long lx_w_eventfd(struct lx_call *c);
long lx_w_timerfd_create(struct lx_call *c);
long lx_w_timerfd_settime(struct lx_call *c);
long lx_w_timerfd_gettime(struct lx_call *c);
long lx_w_epoll_create1(struct lx_call *c);
long lx_w_epoll_create(struct lx_call *c);
long lx_w_epoll_ctl(struct lx_call *c);
long lx_w_epoll_wait(struct lx_call *c);
long lx_w_socket(struct lx_call *c);
long lx_w_socketpair(struct lx_call *c);
long lx_w_bind(struct lx_call *c);
long lx_w_listen(struct lx_call *c);
long lx_w_connect(struct lx_call *c);
long lx_w_accept4(struct lx_call *c);
long lx_w_accept(struct lx_call *c);
long lx_w_shutdown(struct lx_call *c);
long lx_w_sendto(struct lx_call *c);
long lx_w_recvfrom(struct lx_call *c);

/* procfs.c */
long lx_syn_lookup(struct lx_proc *p, const char *name, struct lx_node *n);
long lx_syn_text(struct lx_proc *p, const struct lx_fd *f, char *buf, size_t max);
bool lx_syn_entry(struct lx_proc *p, const struct lx_fd *f, unsigned k, char *name, size_t max,
                  uint32_t *ino, unsigned *dtype);
size_t lx_fd_link(const struct lx_proc *q, int fd, char *out, size_t max);

#endif
