/*
 * tmpfs: an in-memory file system, a backend of the file server's VFS
 * (vfs.h: nodes, one name at a time; the server resolves paths). Pure code
 * (no I/O); docs/storage.md, "tmpfs".
 *
 * Regular files are sparse arrays of TMPFS_PAGE-byte pages (a hole reads as
 * zeros and takes no memory), directories arrays of entries in creation
 * order (a readdir cookie is an entry's sequence number, so entries removed
 * or added meanwhile move no other), symbolic links their target. A node is
 * a pointer to its record; it lives while it has links or references.
 * Memory comes from the environment's allocator and counts against a byte
 * limit and an inode limit: ENOSPC when either (or the allocator) refuses.
 *
 * With a store (tmpfs_mount_store; decision 160) the files' pages live in
 * one object of the store's instead, packed: pages [0, used) of it are all
 * in use, a page freed takes the last one's contents (moved) and the object
 * is cut to what is used, so its memory goes back as files are removed or
 * cut. The allocator then holds only names, nodes and page tables (the byte
 * limit); the store's own limit (the client's pool) bounds the data.
 */
#ifndef TMPFS_H
#define TMPFS_H

#include <stddef.h>
#include <stdint.h>

#include "vfs.h"

#define TMPFS_PAGE     4096u
#define TMPFS_FILE_MAX ((uint64_t)1 << 40)

/* A new, empty tmpfs (a root directory, mode 0755) in *fs: 0 or -ENOSPC.
 * It takes at most limit_bytes from env's allocator and holds at most
 * max_inodes nodes (the root included). */
int tmpfs_mount(const struct vfs_env *env, uint64_t limit_bytes, uint64_t max_inodes, void **fs);

/* Where a store-backed tmpfs keeps its pages: one object (the server: a VMO
 * of a client's pool) of 1 page at mount. Each call returns 0 or a negative
 * errno (-VFS_ENOSPC: the store is full). */
struct tmpfs_store {
    void *ctx;
    /* The object's new size in pages (at least 1): shrinking frees the
     * pages past it, growing adds zero pages. */
    int (*resize)(void *ctx, uint64_t pages);
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
    /* Bytes the store may hold in all and bytes still free. */
    int (*space)(void *ctx, uint64_t *total, uint64_t *free);
    /* At unmount, after the last page went. */
    void (*release)(void *ctx);
};

/* As tmpfs_mount, the pages in store's object (limit_bytes then bounds the
 * rest: nodes, names, page tables). */
int tmpfs_mount_store(const struct vfs_env *env, const struct tmpfs_store *store,
                      uint64_t limit_bytes, uint64_t max_inodes, void **fs);

/* Touches the buffer a store's copies go through (the server: at start, so
 * that no later touch can find its pool full). */
void tmpfs_start(void);

/* Pages of the store's object in use (0 without a store). */
uint64_t tmpfs_store_pages(void *fs);

/* Bytes it holds from the allocator now (for tests and statfs). */
uint64_t tmpfs_used_bytes(void *fs);

extern const struct vfs_ops tmpfs_ops;

#endif
