/*
 * ext2 as a file server backend (vfs.h; docs/storage.md, "ext2 in the file server";
 * decision 117): the ext2 library (user/lib/fs/) behind struct vfs_ops, over a disk
 * served by the block protocol (ext2fs_mount, through the block client blkdev.h and
 * its write-back cache) or over any struct ext2_blockdev (ext2fs_mount_dev: the host
 * tests, the fuzzer).
 *
 * Nodes are inode numbers. The backend counts the references it gave out per inode;
 * an inode whose last link is removed while referenced goes on ext2's orphan list
 * and is freed at its last put, and a mount that may write frees the orphans a crash
 * left behind.
 */
#ifndef WEFT_FS_EXT2FS_H
#define WEFT_FS_EXT2FS_H

#include "../lib/fs/ext2.h"
#include "vfs.h"
#include "weft/types.h"

/* Mount flags. */
#define EXT2FS_RDONLY 1u

extern const struct vfs_ops ext2fs_ops;

/*
 * Mounts the ext2 file system on the disk served at block_ep (block protocol): takes a
 * slot from env->slot_alloc for the DMA buffer, maps it, and mounts through the
 * cache. Returns 0 and sets *fs, or a negative VFS errno: -EINVAL (no ext2 file
 * system, an unsupported block size or feature), -EUCLEAN (corrupt), -EIO, -ENOMEM,
 * -EROFS (a read-write mount of a disk or file system that allows only reading).
 */
int ext2fs_mount(const struct vfs_env *env, wf_cptr_t block_ep, unsigned flags, void **fs);

/*
 * Mounts over dev (not copied: it must outlive the mount). sync (may be NULL) makes
 * what dev wrote durable (fsync calls it after the library's own sync); close (may be
 * NULL) is called at unmount, after the last write. Errors as ext2fs_mount.
 */
int ext2fs_mount_dev(const struct vfs_env *env, const struct ext2_blockdev *dev,
                     int (*sync)(void *ctx), void (*close)(void *ctx), void *ctx, unsigned flags,
                     void **fs);

/* The number of inodes the mount holds references to (for tests and statistics). */
unsigned ext2fs_held(void *fs);

#endif
