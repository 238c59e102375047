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

#define LX_MAX_PIPES 16
#define LX_PIPE_SIZE 16384u /* a pipe's buffer; writes up to PIPE_BUF (4096) are whole */
#define LX_MAX_FDS   64

enum lx_fd_kind { FD_NONE, FD_CONSOLE, FD_FILE, FD_DIR, FD_PIPE_R, FD_PIPE_W, FD_NULL };

struct lx_fd {
    enum lx_fd_kind kind;
    unsigned flags; /* open flags (O_ACCMODE...) */
    bool cloexec;
    const uint8_t *data; /* FD_FILE: the bytes in the initramfs */
    uint64_t size, off;  /* FD_FILE: byte offset; FD_DIR: entries returned */
    uint32_t mode, ino;
    unsigned pipe;  /* FD_PIPE_R, FD_PIPE_W: lx.pipe[pipe] */
    char path[128]; /* FD_DIR and FD_FILE: normalised, no leading '/' */
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
};

/* lx's own file state (lx.files). */
struct lx_files_state {
    struct lx_pipe pipe[LX_MAX_PIPES];
};

/* files.c */
bool lx_files_setup(void); /* once at start; false: lx cannot serve files */
const uint8_t *lx_file_find(const char *path, size_t *len);
bool lx_file_executable(const char *path);
bool lx_path_exists(const char *path);
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

#endif
