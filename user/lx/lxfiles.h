/*
 * lx's descriptors, open files, pipes and the file view (files.c and the
 * descriptor-side system calls): what a process's descriptor table holds and
 * lx's own file state. Included by lx.h.
 */
#ifndef LX_FILES_H
#define LX_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/types.h"

struct lx_proc;

#define LX_MAX_PIPES     32
#define LX_NOSYS_SLOTS   512    /* ENOSYS counts kept: one per number (lxsys.h's LX_NSYSCALLS) */
#define LX_PIPE_SIZE     16384u /* a pipe's buffer; writes up to PIPE_BUF (4096) are whole */
#define LX_MAX_FDS       64
#define LX_MAX_OFDS      96 /* open file descriptions, all processes together */
#define LX_PATH_MAX      128
#define LX_EXEC_FILE_MAX (8u << 20) /* a program execve reads from the file server, at most */

/* What a descriptor names. FD_FILE and FD_DIR: the initramfs (read-only,
 * from lx's own map of it); FD_FSFILE and FD_FSDIR: the file server (/tmp);
 * FD_DEV: a device of /dev (sub: enum lx_dev); FD_PROC: a synthetic file of
 * /proc, FD_SYNDIR a synthetic directory (/dev, /proc, /proc/N, /proc/N/fd). */
enum lx_fd_kind {
    FD_NONE,
    FD_CONSOLE,
    FD_FILE,
    FD_DIR,
    FD_PIPE_R,
    FD_PIPE_W,
    FD_NULL,
    FD_FSFILE,
    FD_FSDIR,
    FD_DEV,
    FD_PROC,
    FD_SYNDIR,
    FD_EVENT, /* eventfd */
    FD_TIMER, /* timerfd */
    FD_EPOLL, /* an epoll instance */
    FD_SOCK,  /* an AF_UNIX stream socket */
    FD_INET,  /* an AF_INET socket of the network server (inet.c) */
};

enum lx_dev { DEV_NULL, DEV_ZERO, DEV_FULL, DEV_RANDOM, DEV_URANDOM, DEV_TTY, DEV_CONSOLE, DEV_N };

/* A descriptor. Those made by one open share its open file description
 * (ofd: 1 + an index into lx.files.ofd; 0: none), with the offset and the
 * status flags, through dup and fork, as Linux's do. */
struct lx_fd {
    enum lx_fd_kind kind;
    unsigned flags; /* open flags (O_ACCMODE...): the description's own for ofd != 0 */
    bool cloexec;
    const uint8_t *data; /* FD_FILE: the bytes in the initramfs */
    uint64_t size, off;  /* FD_FILE: its size; off: unused with ofd (the description's) */
    uint32_t mode, ino;
    unsigned pipe;          /* FD_PIPE_R, FD_PIPE_W: lx.pipe[pipe] */
    unsigned ofd;           /* 1 + the index of the open file description; 0: none */
    unsigned sub;           /* FD_DEV: enum lx_dev; FD_PROC, FD_SYNDIR: enum in procfs.c */
    int pid;                /* FD_PROC, FD_SYNDIR: the process shown */
    char path[LX_PATH_MAX]; /* normalised, no leading '/' */
};

/* An open file description: the offset (FD_FSDIR: the next ReadDir cookie;
 * FD_DIR and FD_SYNDIR: entries returned) and status flags every descriptor
 * made from one open shares; FD_FSFILE and FD_FSDIR: the file server's handle.
 * Freed when no descriptor of any process names it (counted when needed). */
#define LX_EPOLL_MAX   16 /* descriptors one epoll instance watches */
#define LX_BACKLOG_MAX 4  /* connections a listening socket queues */

enum lx_sock_state { SOCK_NEW, SOCK_BOUND, SOCK_LISTEN, SOCK_CONNECTED };

struct lx_ofd {
    bool used;
    enum lx_fd_kind kind; /* of the waiting objects (FD_EVENT...); FD_NONE for files */
    bool pinned;          /* a connection queued on a listener: no descriptor yet */
    unsigned maps;        /* MAP_SHARED file mappings that hold its handle (mem.c) */
    unsigned flags;
    uint64_t off;
    wf_cptr_t handle;
    union {
        struct {
            uint64_t count;
            bool semaphore;
        } ev; /* FD_EVENT */
        struct {
            uint64_t next, interval; /* wf_clock_ns() of the next expiry (0: disarmed) */
            uint64_t ticks;          /* expiries not read yet */
            unsigned clock;
        } tm; /* FD_TIMER */
        struct {
            unsigned n;
            struct {
                int fd;
                uint32_t events;
                uint64_t data;
            } item[LX_EPOLL_MAX];
        } ep; /* FD_EPOLL */
        struct {
            enum lx_sock_state state;
            unsigned rx, tx; /* FD_SOCK connected: the pipes it reads and writes */
            unsigned peer;   /* 1 + the peer's description (0: none) */
            bool shut_rd, shut_wr;
            unsigned npending;
            unsigned pending[LX_BACKLOG_MAX]; /* 1 + queued connections' descriptions */
            char path[108];                   /* the name bound (sockaddr_un's sun_path) */
        } sk;                                 /* FD_SOCK */
        struct {
            wf_cptr_t cap; /* the socket cap the network server minted */
            unsigned id;   /* its bit in the server's Poll masks */
            unsigned type; /* WFP_SOCK_TCP or WFP_SOCK_UDP */
            bool listening, connecting, connected;
        } in; /* FD_INET */
    } u;
};

/* A pipe: a ring buffer; its readers and writers are the descriptors that name
 * it in every process (counted when needed, so no count can go stale). */
struct lx_pipe {
    bool used;
    uint32_t ino;
    unsigned head, len;
    uint8_t buf[LX_PIPE_SIZE];
};

/* A process's file state beyond its descriptor table (lx_proc.files). */
struct lx_proc_files {
    uint32_t umask;
    char cwd[LX_PATH_MAX]; /* the working directory: normalised, no leading '/' */
};

/* lx's own file state (lx.files). */
struct lx_files_state {
    struct lx_pipe pipe[LX_MAX_PIPES];
    struct lx_ofd ofd[LX_MAX_OFDS];
    wf_cptr_t fs;     /* the cap /tmp is reached through: fs_ns, or fs_svc when shared (0: none) */
    wf_cptr_t fs_svc; /* the file server's service cap (0: none, or not looked up yet) */
    wf_cptr_t fs_ns;  /* the namespace of lx's own tmpfs (0: none) */
    bool fs_tried;
    bool tmp_shared;      /* /tmp is the starter's (the server's default namespace), not lx's own */
    wf_cptr_t fs_buf;     /* lx's buffer at the file server (SetBuffer; 0: none) */
    uint64_t fs_buf_size; /* 0: the server holds none of lx's now */
    bool fs_buf_wanted;   /* give it (again) at the next use */
    uint32_t nosys_count[LX_NOSYS_SLOTS + 1]; /* calls answered ENOSYS, by number; last: past */
    /* Moves whenever a descriptor table may have changed (lx_fd_changed):
     * the pipes' counts of ends below are recounted when it has moved. */
    uint64_t fd_epoch, ends_epoch;
    uint16_t ends[LX_MAX_PIPES][2]; /* each pipe's read ends [0] and write ends [1] */
};

/* files.c */
bool lx_files_setup(void);     /* once at start; false: lx cannot serve files */
void lx_files_share_tmp(void); /* before the first use of /tmp: the starter's, not lx's own */
void lx_files_end(void);       /* when lx ends: its own /tmp goes */
void lx_fd_changed(void);      /* a descriptor table may have changed: pipe ends are recounted */
const uint8_t *lx_file_find(const char *path, size_t *len);
const uint8_t *lx_exec_file(const char *path, size_t *len, bool *copied, long *err);
void lx_exec_file_done(const uint8_t *file, size_t len, bool copied);
long lx_openat(struct lx_proc *p, int dirfd, uint64_t upath, unsigned flags);
long lx_close(struct lx_proc *p, int fd);
long lx_read(struct lx_proc *p, int fd, uint64_t buf, uint64_t count);
long lx_write(struct lx_proc *p, int fd, uint64_t buf, uint64_t count);
long lx_lseek(struct lx_proc *p, int fd, int64_t off, int whence);
long lx_fstatat(struct lx_proc *p, int dirfd, uint64_t upath, uint64_t ubuf, unsigned flags);
long lx_getdents64(struct lx_proc *p, int fd, uint64_t ubuf, uint64_t count);
long lx_ioctl(struct lx_proc *p, int fd, unsigned long req, uint64_t arg);
long lx_faccessat(struct lx_proc *p, int dirfd, uint64_t upath);
long lx_dup(struct lx_proc *p, int fd, int newfd, int min, bool cloexec);
long lx_fcntl(struct lx_proc *p, int fd, int cmd, uint64_t arg);
long lx_put(struct lx_proc *p, struct lx_fd *f, const uint8_t *data, uint64_t n);
long lx_pipe2(struct lx_proc *p, uint64_t ufds, unsigned flags);
long lx_poll(struct lx_proc *p, uint64_t ufds, uint64_t nfds);
void lx_files_init(struct lx_proc *p);
void lx_files_close_all(struct lx_proc *p);
void lx_files_exec(struct lx_proc *p);
long lx_file_map(struct lx_proc *p, int fd, uint64_t off, uint64_t len, bool priv, bool write,
                 wf_cptr_t slot, uint64_t *fsize, unsigned *ofd);
long lx_file_sync(unsigned ofd);
void lx_ofd_put(unsigned ofd);

/* fdsys.c */
void lx_nosys_count(uint64_t nr);
unsigned lx_nosys_report(char *out, size_t max);

#endif
