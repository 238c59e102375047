/*
 * tmpfs: an in-memory file system as a pure library (no I/O). The file
 * server (user/fs/main.c) serves it over the file protocol
 * (abi/protocols/file.proto); docs/storage.md, "The file service and tmpfs".
 *
 * Regular files are sparse arrays of TMPFS_PAGE-byte pages (a hole reads as
 * zeros and takes no memory), directories arrays of entries in creation
 * order, symbolic links their target. Memory comes from the environment's
 * allocator and counts against a byte limit: ENOSPC when either refuses.
 * Errors are negative Linux errno values (TMPFS_E*, the file protocol's).
 * Paths are resolved from the root; a leading '/' is optional.
 */
#ifndef TMPFS_H
#define TMPFS_H

#include <stddef.h>
#include <stdint.h>

#define TMPFS_PAGE      4096u
#define TMPFS_NAME_MAX  255u
#define TMPFS_PATH_MAX  256u
#define TMPFS_FILE_MAX  ((uint64_t)1 << 40)
#define TMPFS_LINKS_MAX 8 /* symbolic links one lookup follows */

/* Open flags (the file protocol's O_*). */
enum {
    TMPFS_O_READ = 1,
    TMPFS_O_WRITE = 2,
    TMPFS_O_CREATE = 4,
    TMPFS_O_EXCL = 8,
    TMPFS_O_TRUNC = 16,
    TMPFS_O_DIRECTORY = 32,
    TMPFS_O_NOFOLLOW = 64,
    TMPFS_O_ALL = 127,
};

enum { TMPFS_T_FILE = 1, TMPFS_T_DIR = 2, TMPFS_T_SYMLINK = 3 };

enum {
    TMPFS_EPERM = 1,
    TMPFS_ENOENT = 2,
    TMPFS_EBADF = 9,
    TMPFS_EMFILE = 24,
    TMPFS_EACCES = 13,
    TMPFS_EBUSY = 16,
    TMPFS_EEXIST = 17,
    TMPFS_ENOTDIR = 20,
    TMPFS_EISDIR = 21,
    TMPFS_EINVAL = 22,
    TMPFS_EFBIG = 27,
    TMPFS_ENOSPC = 28,
    TMPFS_ENAMETOOLONG = 36,
    TMPFS_ENOTEMPTY = 39,
    TMPFS_ELOOP = 40,
};

/* What tmpfs needs from its host: memory and a clock. */
struct tmpfs_env {
    void *(*alloc)(void *ctx, size_t n); /* NULL: no memory */
    void (*free)(void *ctx, void *p, size_t n);
    uint64_t (*now)(void *ctx); /* may be NULL: times stay 0 */
    void *ctx;
    uint64_t limit_bytes; /* most bytes tmpfs takes from alloc */
    uint64_t max_inodes;  /* most inodes (the root included) */
};

struct tmpfs_node;

struct tmpfs {
    struct tmpfs_env env;
    struct tmpfs_node *root;
    uint64_t used_bytes, inodes, next_ino;
};

struct tmpfs_stat {
    uint64_t type, mode, size, links, ino, atime, mtime, ctime;
};

struct tmpfs_statfs {
    uint64_t total_bytes, free_bytes, total_inodes, free_inodes;
};

/* An open file: the node and the flags it was opened with. */
struct tmpfs_file {
    struct tmpfs_node *node;
    unsigned flags;
};

/* Makes an empty file system (a root directory, mode 0755); 0 or -ENOSPC. */
int tmpfs_init(struct tmpfs *fs, const struct tmpfs_env *env);
/* Frees everything (open files included). */
void tmpfs_destroy(struct tmpfs *fs);

int tmpfs_open(struct tmpfs *fs, const char *path, size_t len, unsigned flags, unsigned mode,
               struct tmpfs_file *out);
/* Closes f; a node with no links left is freed at its last close. */
void tmpfs_close(struct tmpfs *fs, struct tmpfs_file *f);
/* Bytes read or written, or -errno. */
long tmpfs_read(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t off, void *buf, size_t n);
long tmpfs_write(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t off, const void *buf,
                 size_t n);
int tmpfs_truncate(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t size);
void tmpfs_fstat(struct tmpfs *fs, const struct tmpfs_file *f, struct tmpfs_stat *st);
int tmpfs_stat(struct tmpfs *fs, const char *path, size_t len, int nofollow, struct tmpfs_stat *st);
/* The index-th entry ('.', '..', then the entries): 0 with *name_len 0 past
 * the last; name has room for TMPFS_NAME_MAX bytes. */
int tmpfs_readdir(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t index, char *name,
                  size_t *name_len, uint64_t *type, uint64_t *ino);
int tmpfs_mkdir(struct tmpfs *fs, const char *path, size_t len, unsigned mode);
int tmpfs_rmdir(struct tmpfs *fs, const char *path, size_t len);
int tmpfs_unlink(struct tmpfs *fs, const char *path, size_t len);
int tmpfs_rename(struct tmpfs *fs, const char *from, size_t from_len, const char *to,
                 size_t to_len);
int tmpfs_link(struct tmpfs *fs, const char *from, size_t from_len, const char *to, size_t to_len);
int tmpfs_symlink(struct tmpfs *fs, const char *target, size_t target_len, const char *path,
                  size_t len);
/* Copies the target (at most TMPFS_PATH_MAX bytes) into buf; its length or -errno. */
long tmpfs_readlink(struct tmpfs *fs, const char *path, size_t len, char *buf);
void tmpfs_statfs(struct tmpfs *fs, struct tmpfs_statfs *st);

#endif
