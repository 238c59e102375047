/*
 * The file server's VFS (vfs.c): what the server does above the backends of
 * vfs.h. Pure code (no I/O, no system call; memory from the vfs_env),
 * host-tested in tests/host/test_vfs.c. docs/storage.md, "The VFS".
 *
 * - Instances. A mounted file system (a backend's ops and its fs) is a
 *   vfs_fs, counted by the mounts that use it (a namespace copied from
 *   another shares its file systems) and the overlays built on it; the last
 *   one gone unmounts it.
 * - Namespaces. A namespace is a mount table: its first mount is the root
 *   ("/"), the others are mounted on a directory (a node) of another mount of
 *   the same table. A client's service-cap badge selects its namespace.
 * - Paths are resolved here, one component at a time through the backends'
 *   lookup: '.' and '..' from the path walked (so '..' at a mount's root goes
 *   back to the directory it is mounted on, and stays at "/" at the root),
 *   mount points crossed, symbolic links followed (VFS_LINKS_MAX per lookup,
 *   ELOOP beyond), the last one not where the caller says so.
 * - Open files (vfs_file) hold a node reference and count against their
 *   mount, which cannot be unmounted while any is open (EBUSY).
 *
 * References: every node this code gets from a backend is put again; an open
 * file holds one, a mount its root and the node it is mounted on.
 */
#ifndef WEFT_FS_VFS_SRV_H
#define WEFT_FS_VFS_SRV_H

#include <stdbool.h>

#include "vfs.h"

#define VFS_LINKS_MAX  8u   /* symbolic links one lookup follows */
#define VFS_MOUNTS_MAX 16u  /* mounts in one namespace, the root included */
#define VFS_TYPE_MAX   16u  /* bytes of a type name, with its NUL */
#define VFS_DEPTH_MAX  128u /* directories deep one walk goes (ENAMETOOLONG) */

/* Open flags (the file protocol's O_*). */
enum {
    VFS_O_READ = 1,
    VFS_O_WRITE = 2,
    VFS_O_CREATE = 4,
    VFS_O_EXCL = 8,
    VFS_O_TRUNC = 16,
    VFS_O_DIRECTORY = 32,
    VFS_O_NOFOLLOW = 64,
    VFS_O_ALL = 127,
};

/* Mount flags (the file protocol's MOUNT_*). */
enum { VFS_MOUNT_RDONLY = 1, VFS_MOUNT_ALL = 1 };

/* SetAttr's mask (the file protocol's SET_*): what vfs_setattr changes. */
enum {
    VFS_A_MODE = 1,
    VFS_A_UID = 2,
    VFS_A_GID = 4,
    VFS_A_ATIME = 8,
    VFS_A_MTIME = 16,
    VFS_A_ATIME_NOW = 32, /* the time to the clock (vfs_env's now) */
    VFS_A_MTIME_NOW = 64,
    VFS_A_ALL = 127,
};

/* A SetAttr: the fields mask names (a time: nanoseconds since 1970). */
struct vfs_set {
    unsigned mask;
    uint64_t mode, uid, gid, atime, mtime;
};

/* A mounted file system. */
struct vfs_fs {
    const struct vfs_ops *ops;
    void *fs;
    unsigned refs;           /* mounts using it, plus overlays built on it */
    unsigned above;          /* overlays built on it */
    unsigned flags;          /* VFS_MOUNT_* */
    char type[VFS_TYPE_MAX]; /* "tmpfs", "ext2", ... */
    struct vfs_fs *below[2]; /* what an overlay is built on (references), or NULL */
    uint64_t owner_word;     /* the server's (the slot of a device cap; 0: none) */
    /* An overlay's view of below[0] and below[1]: their operations with an
     * unmount that does nothing (they stay counted mounts of their own). */
    struct vfs_ops lent[2];
};

/* One entry of a mount table. */
struct vfs_mount {
    struct vfs_fs *fs;           /* NULL: a free entry */
    vfs_node root;               /* its root (a reference) */
    struct vfs_mount *parent;    /* the mount it is on (NULL: the namespace's root) */
    vfs_node at;                 /* the directory of parent it covers (a reference) */
    unsigned opens;              /* open files through it */
    char path[VFS_PATH_MAX + 1]; /* where it was mounted, as given (for listing) */
};

struct vfs_ns {
    struct vfs_mount mounts[VFS_MOUNTS_MAX]; /* [0]: the root */
    unsigned opens;                          /* open files through any of them */
};

struct vfs;

/* What the server gives the VFS: memory, and a call when a file system
 * goes (after its backend's unmount), to release what owner_word names. */
struct vfs {
    struct vfs_env env;
    void (*released)(void *ctx, struct vfs_fs *fs);
    void *released_ctx;
};

/* An open file. */
struct vfs_file {
    struct vfs_ns *ns;
    struct vfs_mount *m; /* NULL: closed */
    vfs_node node;
    unsigned flags;
    uint64_t parent_ino; /* '..' of a directory, as it was opened */
};

/* ---- namespaces and mounts ---- */

/* A new file system instance over (ops, fs) that nothing uses yet. NULL: no
 * memory (the caller then unmounts fs itself). */
struct vfs_fs *vfs_fs_new(struct vfs *v, const struct vfs_ops *ops, void *fs, const char *type,
                          unsigned flags);
/* Makes f an overlay built on lower and upper (references to both; they
 * cannot be unmounted while f lives) and fills f->lent[0] and [1] with their
 * operations for the overlay to call, less their unmount. */
void vfs_fs_stack(struct vfs_fs *f, struct vfs_fs *lower, struct vfs_fs *upper);
/* Drops a reference; the last one unmounts it (ops->unmount, then the
 * released callback) and drops what it was built on. */
void vfs_fs_put(struct vfs *v, struct vfs_fs *f);

/* A namespace whose root is f (it takes the caller's reference on success). */
int vfs_ns_new(struct vfs *v, struct vfs_fs *f, struct vfs_ns **out);
/* A new namespace with the mounts of ns (the same file systems). With a
 * root path (len > 0), only the mount whose root it names, as the new root,
 * and the mounts on it (-EINVAL: not a mount's root): nothing else of ns is
 * reachable from the new namespace. */
int vfs_ns_copy(struct vfs *v, struct vfs_ns *ns, const char *root, size_t len,
                struct vfs_ns **out);
/* Frees ns and its mounts: -EBUSY while files are open through it. */
int vfs_ns_free(struct vfs *v, struct vfs_ns *ns);

/* Mounts f on the directory at path (it takes the caller's reference on
 * success): -EBUSY if that directory is already the root of a mount,
 * -ENOTDIR, -ENOENT, -ENOSPC (the table is full). */
int vfs_mount(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, struct vfs_fs *f);
/* Unmounts the mount whose root is at path: -EINVAL if path is not a mount's
 * root, -EBUSY for the namespace's root, a mount with open files, with
 * mounts on it, or whose file system an overlay is built on. */
int vfs_umount(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len);
/* The file system mounted exactly at path (its root), or an error (-EINVAL
 * when path is not a mount's root). No reference is taken. */
int vfs_mount_at(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len,
                 struct vfs_fs **out);
/* The index-th mount of ns in table order (NULL past the last). */
const struct vfs_mount *vfs_mount_nth(const struct vfs_ns *ns, unsigned index);

/* ---- files and paths ---- */

int vfs_open(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, unsigned flags,
             unsigned mode, struct vfs_file *out);
/* 0, or the error of writing the file's cached data back (it is closed anyway). */
int vfs_close(struct vfs *v, struct vfs_file *f);
/* Bytes read or written, or -errno (-EBADF without O_READ / O_WRITE). */
long vfs_read(struct vfs *v, const struct vfs_file *f, uint64_t off, void *buf, size_t n);
long vfs_write(struct vfs *v, const struct vfs_file *f, uint64_t off, const void *buf, size_t n);
int vfs_truncate(struct vfs *v, const struct vfs_file *f, uint64_t size);
int vfs_fstat(struct vfs *v, const struct vfs_file *f, struct vfs_attr *out);
int vfs_fsync(struct vfs *v, const struct vfs_file *f);
/* The entry at *cookie of a directory ('.' at 0, '..' next, then the
 * backend's) and where the next starts; name_len 0 past the last. */
int vfs_readdir(struct vfs *v, const struct vfs_file *f, uint64_t *cookie, struct vfs_dirent *out);
int vfs_statfs_file(struct vfs *v, const struct vfs_file *f, struct vfs_statfs *out);
int vfs_statfs(struct vfs *v, struct vfs_ns *ns, struct vfs_statfs *out);
/* The file system of the file at path (links followed); in *fs (may be NULL)
 * its instance (no reference taken). */
int vfs_statfs_path(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len,
                    struct vfs_statfs *out, const struct vfs_fs **fs);
/* Changes the attributes a->mask names of the open file (any open mode) / of
 * the file at path (nofollow: a link itself). -EINVAL: unknown mask bits, a
 * time both set and now, a mode beyond 07777, an id of 2^32 or more; -EROFS:
 * a read-only mount or a backend without setattr. An empty mask changes
 * nothing (not even on a read-only mount). The backend sets the ctime. */
int vfs_fsetattr(struct vfs *v, const struct vfs_file *f, const struct vfs_set *a);
int vfs_setattr(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, bool nofollow,
                const struct vfs_set *a);

int vfs_stat(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, bool nofollow,
             struct vfs_attr *out);
int vfs_mkdir(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, unsigned mode);
int vfs_rmdir(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len);
int vfs_unlink(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len);
int vfs_rename(struct vfs *v, struct vfs_ns *ns, const char *from, size_t from_len, const char *to,
               size_t to_len);
int vfs_link(struct vfs *v, struct vfs_ns *ns, const char *from, size_t from_len, const char *to,
             size_t to_len);
int vfs_symlink(struct vfs *v, struct vfs_ns *ns, const char *target, size_t target_len,
                const char *path, size_t len);
/* The target's length (at most cap bytes copied) or -errno. */
long vfs_readlink(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, char *buf,
                  size_t cap);

#endif
