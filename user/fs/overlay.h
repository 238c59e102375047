/*
 * The overlay backend (vfs.h; docs/storage.md, "The overlay"; decision 119): a
 * read-only lower file system seen through a writable upper one, both backends of
 * their own. Lookups see the upper layer over the lower; the first change to a lower
 * file copies it (and the directories above it) up; removing a lower name leaves a
 * whiteout in the upper layer. Whiteouts follow the OCI image layer convention, so
 * that a container image's layers unpack into the same shape: an upper file named
 * ".wh.NAME" hides NAME, and a directory holding ".wh..wh..opq" is opaque (nothing
 * of the lower directory of its name shows through). Names beginning with ".wh." are
 * hidden and cannot be created.
 */
#ifndef WEFT_FS_OVERLAY_H
#define WEFT_FS_OVERLAY_H

#include "vfs.h"

extern const struct vfs_ops overlay_ops;

/*
 * Mounts lfs (operations lops, never changed) under ufs (uops). The overlay's
 * unmount calls lops->unmount and uops->unmount after its own (the file server
 * lends operations whose unmount does nothing). Returns 0 and sets *fs, or a
 * negative errno (-EINVAL: a missing operation or root; -ENOMEM).
 */
int overlay_mount(const struct vfs_env *env, const struct vfs_ops *lops, void *lfs,
                  const struct vfs_ops *uops, void *ufs, void **fs);

#endif
