/*
 * initrdfs: the initramfs (a CPIO newc archive, decision 051) as a read-only
 * backend of the file server's VFS (vfs.h). Pure code over the archive's
 * bytes, which must stay in place while it is mounted (the server maps the
 * initramfs VMO read-only); docs/storage.md, "The initramfs".
 *
 * Mount checks the whole archive (kernel/lib/cpio.c) and builds a tree of
 * node records from its names ("a/b/c" under directories a and a/b, made when
 * the archive does not list them); file data and link targets are read from
 * the archive itself. Every change is refused (the changing operations are
 * NULL: the server answers EROFS).
 */
#ifndef INITRDFS_H
#define INITRDFS_H

#include <stddef.h>

#include "vfs.h"

/* 0, or -EUCLEAN for an archive that is malformed, names an entry twice, or
 * puts an entry under a non-directory; -ENOMEM. */
int initrdfs_mount(const struct vfs_env *env, const void *archive, size_t len, void **fs);

extern const struct vfs_ops initrdfs_ops;

#endif
