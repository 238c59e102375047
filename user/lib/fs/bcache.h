/*
 * A bounded write-back cache of device blocks, between the ext2 library and a block
 * device (docs/storage.md, "The block client"; decision 117). It is itself a struct
 * ext2_blockdev over another one: reads are served from memory when the block is
 * held, writes only mark the block dirty, and dirty blocks reach the device when they
 * are evicted (least recently used first) or at bcache_flush, in ascending block
 * order. Pure code like the rest of user/lib/fs: the block memory is the caller's (a
 * driver's DMA buffer, so that the device reads and writes the cache in place), the
 * small index comes from the env allocator.
 */
#ifndef WF_FS_BCACHE_H
#define WF_FS_BCACHE_H

#include "ext2.h"

struct bcache_ent {
    uint64_t blk;
    uint64_t used; /* the tick of the last access (LRU) */
    uint32_t next; /* the hash chain (BCACHE_NONE: end) */
    bool valid, dirty;
};

#define BCACHE_NONE 0xFFFFFFFFu

struct bcache {
    struct ext2_blockdev under; /* the device below */
    struct ext2_env env;
    uint8_t *mem;           /* n blocks of under.block_size bytes, the caller's */
    struct bcache_ent *ent; /* n entries */
    uint32_t *head;         /* nhash chain heads */
    uint32_t *order;        /* n: scratch for bcache_flush */
    uint32_t n, nhash;
    uint64_t tick;
    size_t meta_size;
    /* Counters: accesses served from memory, blocks read from and written to the device. */
    uint64_t hits, reads, writes;
};

/*
 * Sets up c over under with n blocks of memory at mem (n * under->block_size bytes).
 * EXT2_EINVAL for n 0, EXT2_ENOMEM when the index cannot be allocated.
 */
enum ext2_err bcache_init(struct bcache *c, const struct ext2_blockdev *under,
                          const struct ext2_env *env, void *mem, uint32_t n);

/* The device the cache presents: the same block size and count as under's. */
struct ext2_blockdev bcache_dev(struct bcache *c);

/* Writes every dirty block to the device (ascending order); -1 if one failed (it
 * stays dirty), 0 otherwise. */
int bcache_flush(struct bcache *c);

/* Forgets every block, dirty ones too (after the device was lost). */
void bcache_drop(struct bcache *c);

/* Frees the index (not the block memory); dirty blocks are lost: flush first. */
void bcache_fini(struct bcache *c);

#endif
