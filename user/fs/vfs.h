/*
 * The file server's backend interface: what a file system (tmpfs, ext2, the
 * initramfs, an overlay of two others) gives the server, and nothing more.
 * The server (user/fs/main.c, vfs.c) resolves paths, crosses mount points,
 * keeps the handles and the per-client mount tables; a backend knows only
 * its own nodes and one name at a time. docs/storage.md, "Backends".
 *
 * Nodes. A backend names its files with vfs_node words of its own choosing
 * (ext2: the inode number; tmpfs, the initramfs and the overlay: a pointer
 * to their node record). Every call that gives a node out (root, lookup,
 * create, mkdir, symlink) gives a reference; the caller returns each with
 * put, and takes another with get. A node whose last link is removed (unlink,
 * rmdir, rename over it) lives on while references remain and is freed at the
 * last put (unlink while open is safe). References are the server's: a
 * backend never keeps the caller's.
 *
 * Names. Every name handed to a backend is one component: 1..VFS_NAME_MAX
 * bytes, no '/' and no NUL, never "." or ".." (the server resolves those
 * itself, from the path it walked). Lengths are explicit; names are not
 * NUL-terminated.
 *
 * Errors. Each call returns 0 (or a count) on success and a negative Linux
 * errno on failure (the file protocol's values; VFS_E* below). A call that
 * fails changes nothing the caller can see, except where said.
 *
 * Threads. A mounted file system is used by one thread at a time.
 */
#ifndef WEFT_FS_VFS_H
#define WEFT_FS_VFS_H

#include <stddef.h>
#include <stdint.h>

#define VFS_NAME_MAX 255u
#define VFS_PATH_MAX 256u

typedef uint64_t vfs_node;

/* Node types (the file protocol's T_*; OTHER: a device, fifo or socket
 * node found on a disk, listed and stat-able only). */
enum { VFS_T_FILE = 1, VFS_T_DIR = 2, VFS_T_SYMLINK = 3, VFS_T_OTHER = 4 };

/* Linux errno values (negated when returned). */
enum {
    VFS_EPERM = 1,
    VFS_ENOENT = 2,
    VFS_EIO = 5,
    VFS_EBADF = 9,
    VFS_ENOMEM = 12,
    VFS_EACCES = 13,
    VFS_EBUSY = 16,
    VFS_EEXIST = 17,
    VFS_EXDEV = 18,
    VFS_ENOTDIR = 20,
    VFS_EISDIR = 21,
    VFS_EINVAL = 22,
    VFS_EMFILE = 24,
    VFS_EFBIG = 27,
    VFS_ENOSPC = 28,
    VFS_EROFS = 30,
    VFS_EMLINK = 31,
    VFS_ERANGE = 34,
    VFS_ENAMETOOLONG = 36,
    VFS_ENOSYS = 38,
    VFS_ENOTEMPTY = 39,
    VFS_ELOOP = 40,
    VFS_EUCLEAN = 117, /* the file system's data is inconsistent (a corrupt image) */
};

struct vfs_attr {
    uint32_t type; /* VFS_T_* */
    uint32_t mode; /* permission bits (07777) */
    uint32_t uid, gid;
    uint64_t size;                /* bytes (a symlink: its target's length) */
    uint64_t links;               /* hard links; 0 once removed */
    uint64_t ino;                 /* unique within this file system */
    uint64_t blocks;              /* 512-byte units held */
    uint64_t atime, mtime, ctime; /* nanoseconds since 1970 (0: unknown) */
};

/* setattr's mask: which fields of the attr to apply. */
enum {
    VFS_SET_MODE = 1,  /* mode's permission bits */
    VFS_SET_OWNER = 2, /* uid and gid */
    VFS_SET_ATIME = 4,
    VFS_SET_MTIME = 8,
    VFS_SET_SIZE = 16, /* truncate or extend with a hole (regular files only) */
};

struct vfs_statfs {
    uint64_t block_size;
    uint64_t total_blocks, free_blocks;
    uint64_t total_inodes, free_inodes;
    uint32_t read_only; /* 1: the file system refuses every change with EROFS */
};

/* One directory entry (readdir). */
struct vfs_dirent {
    uint64_t ino;
    uint32_t type;     /* VFS_T_* */
    uint32_t name_len; /* 0: past the last entry */
    char name[VFS_NAME_MAX];
};

/* What a backend takes from the server: memory and a clock. */
struct vfs_env {
    void *ctx;
    void *(*alloc)(void *ctx, size_t n); /* NULL: no memory */
    void (*free)(void *ctx, void *p, size_t n);
    uint64_t (*now)(void *ctx); /* nanoseconds since 1970; may be NULL (times 0) */
    /* A free slot of the server's CNode for a backend's own cap (ext2 over a disk:
     * its DMA buffer; 0: none left), and its return. May be NULL for backends that
     * hold no cap (tmpfs, the overlay, ext2 over memory). */
    uint64_t (*slot_alloc)(void *ctx);
    void (*slot_free)(void *ctx, uint64_t slot);
};

/*
 * The operations. A read-only file system sets the changing ones to NULL or
 * returns -VFS_EROFS from them; the server answers EROFS for a NULL one.
 */
struct vfs_ops {
    /* The root directory (a reference). */
    int (*root)(void *fs, vfs_node *out);
    /* The entry name in directory dir (a reference): -ENOENT, -ENOTDIR. */
    int (*lookup)(void *fs, vfs_node dir, const char *name, size_t len, vfs_node *out);
    void (*get)(void *fs, vfs_node n);
    void (*put)(void *fs, vfs_node n);

    int (*getattr)(void *fs, vfs_node n, struct vfs_attr *out);
    int (*setattr)(void *fs, vfs_node n, unsigned mask, const struct vfs_attr *in);

    /* Bytes read (fewer at the end of the file, 0 past it; holes read as
     * zeros) or -errno; -EISDIR for a directory. */
    long (*read)(void *fs, vfs_node n, uint64_t off, void *buf, size_t len);
    /* Bytes written (growing the file; a gap becomes a hole) or -errno. A
     * write that stops part-way (ENOSPC) returns what it wrote if nonzero. */
    long (*write)(void *fs, vfs_node n, uint64_t off, const void *buf, size_t len);

    /* The entry at *cookie (0: the first) and, in *cookie, where the next
     * starts; name_len 0 past the last. Cookies are the backend's own words,
     * valid across other calls (an entry removed meanwhile is skipped, one
     * added may or may not be seen). "." and ".." are not reported: the
     * server adds them. */
    int (*readdir)(void *fs, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out);

    /* New nodes named name in dir (references): -EEXIST if taken. */
    int (*create)(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                  vfs_node *out);
    int (*mkdir)(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                 vfs_node *out);
    int (*symlink)(void *fs, vfs_node dir, const char *name, size_t len, const char *target,
                   size_t target_len, vfs_node *out);
    /* The target's length (at most cap bytes copied) or -errno (-EINVAL: not a link). */
    long (*readlink)(void *fs, vfs_node n, char *buf, size_t cap);

    /* A new name for node n (not a directory: -EPERM). */
    int (*link)(void *fs, vfs_node n, vfs_node dir, const char *name, size_t len);
    /* Removes a name that is not a directory (-EISDIR) / an empty directory
     * (-ENOTDIR, -ENOTEMPTY). */
    int (*unlink)(void *fs, vfs_node dir, const char *name, size_t len);
    int (*rmdir)(void *fs, vfs_node dir, const char *name, size_t len);
    /* Moves odir/oname to ndir/nname, replacing a file by a file or an empty
     * directory by a directory; -EINVAL for a directory moved into its own
     * subtree; nothing happens when both name one node. */
    int (*rename)(void *fs, vfs_node odir, const char *oname, size_t olen, vfs_node ndir,
                  const char *nname, size_t nlen);

    /* Optional: a file was opened (the reference the open holds is already
     * taken) / is about to be closed (before its put). closing returns 0 or
     * the error of writing its data back, which the Close reports. */
    void (*opened)(void *fs, vfs_node n);
    int (*closing)(void *fs, vfs_node n);

    /* Makes node n's data and attributes durable (n == 0: everything). */
    int (*fsync)(void *fs, vfs_node n);
    int (*statfs)(void *fs, struct vfs_statfs *out);
    /* Writes back and frees everything; the server calls it with no
     * reference left. */
    void (*unmount)(void *fs);
};

#endif
