/*
 * The file server's block client (docs/storage.md, "The block client"): a disk
 * served by the block protocol (abi/protocols/block.proto, user/vblk) presented to
 * the ext2 library as a struct ext2_blockdev, through a write-back cache
 * (user/lib/fs/bcache.h) whose memory is the DMA buffer itself: the driver reads
 * and writes the cached blocks in place, so a block is never copied between the
 * buffer and the cache.
 *
 * The buffer is one Pool_CreateContig VMO in a slot the caller gives, mapped at an
 * address the caller gives, handed to the driver once (SetBuffer): cache blocks
 * first, then one bounce block for transfers to memory outside it.
 *
 * Errors: every failed request is EIO to the library. CANCELLED (the driver was
 * restarted, or reset its device) and a lost endpoint (INVALID_CAPABILITY,
 * FAILED_LOOKUP: init revoked it at the restart) mark the device lost: the file
 * server holds the endpoint it was given, not a name cap to look the driver up again,
 * so every later request fails with EIO until the file system is mounted again; the
 * dirty blocks of the cache are lost with it.
 */
#ifndef WEFT_FS_BLKDEV_H
#define WEFT_FS_BLKDEV_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/fs/bcache.h"
#include "weft/types.h"

#define BLKDEV_SECTOR 512u

struct blkdev {
    wf_cptr_t ep;     /* the driver (block protocol) */
    wf_cptr_t vmo;    /* the buffer's VMO (a slot of the caller's) */
    uint8_t *base;    /* the buffer, mapped */
    size_t size;      /* its bytes */
    uint64_t sectors; /* the disk's */
    bool ro;          /* the disk refuses writes */
    bool lost;        /* the driver went away: every request is EIO */
    uint32_t bs, spb; /* the block size presented, sectors per block */
    uint32_t nblocks; /* cache blocks in the buffer (the bounce block follows) */
    bool cached;      /* blkdev_start done */
    struct bcache cache;
    uint64_t requests; /* Read and Write requests sent */
};

/*
 * Connects to the driver at ep: Info, a contiguous buffer of buf_bytes (a power of
 * two, at least 8192) made in slot vmo_slot from the server's pool and mapped at va,
 * SetBuffer. Returns 0 or a negative VFS errno (-EIO: the driver refused; -ENOMEM:
 * no memory for the buffer).
 */
int blkdev_open(struct blkdev *d, wf_cptr_t ep, wf_cptr_t vmo_slot, uintptr_t va, size_t buf_bytes);

/* Reads len bytes (at most 4096) at byte off of the disk through the bounce block. */
int blkdev_peek(struct blkdev *d, uint64_t off, void *buf, size_t len);

/*
 * Sets the block size presented (a multiple of 512 that divides 4096, or 4096 and up
 * to a quarter of the buffer) and makes the rest of the buffer the cache; env gives
 * the cache's index memory. Returns 0 or a negative VFS errno.
 */
int blkdev_start(struct blkdev *d, uint32_t block_size, const struct ext2_env *env);

/* The device the ext2 library mounts (through the cache). */
struct ext2_blockdev blkdev_dev(struct blkdev *d);

/* Writes back the cache, then block.Flush: 0 or -EIO. */
int blkdev_sync(struct blkdev *d);

/* Frees the cache's index, unmaps and deletes the buffer (its slot is left empty). */
void blkdev_close(struct blkdev *d);

#endif
