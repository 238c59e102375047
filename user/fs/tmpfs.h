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

/* Bytes it holds from the allocator now (for tests and statfs). */
uint64_t tmpfs_used_bytes(void *fs);

extern const struct vfs_ops tmpfs_ops;

#endif
