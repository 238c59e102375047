/*
 * The block client (blkdev.h): requests of whole blocks to the block protocol's
 * driver, into the shared DMA buffer at the place of the cache entry (or through
 * the bounce block), behind the write-back cache.
 */
#include "blkdev.h"

#include <string.h>

#include "ext2fs.h"
#include "vfs.h"
#include "weft/invoke.h"
#include "wf/proto/block.h"
#include "wf/startinfo.h"

#define PAGE 4096u

static int fail(struct blkdev *d, enum wf_error e)
{
    if (e == WF_ERR_CANCELLED || e == WF_ERR_INVALID_CAPABILITY || e == WF_ERR_FAILED_LOOKUP)
        d->lost = true;
    return -1;
}

/* Moves count sectors at lba to (write) or from the buffer at offset. */
static int request(struct blkdev *d, bool write, uint64_t lba, uint32_t count, size_t offset)
{
    if (d->lost)
        return -1;
    d->requests++;
    enum wf_error e = write ? wfp_block_write(d->ep, lba, count, offset)
                            : wfp_block_read(d->ep, lba, count, offset);
    return e == WF_ERR_OK ? 0 : fail(d, e);
}

static uint8_t *bounce(const struct blkdev *d)
{
    return d->base + d->size - PAGE;
}

/* Where buf lies in the buffer's cache part, or (size_t)-1 when it does not. */
static size_t offset_of(const struct blkdev *d, const void *buf)
{
    const uint8_t *p = buf;
    if (p < d->base || p + d->bs > d->base + (size_t)d->nblocks * d->bs)
        return (size_t)-1;
    return (size_t)(p - d->base);
}

static int dev_read(void *ctx, uint64_t blk, void *buf)
{
    struct blkdev *d = ctx;
    size_t off = offset_of(d, buf);
    if (off != (size_t)-1)
        return request(d, false, blk * d->spb, d->spb, off);
    if (d->bs > PAGE || request(d, false, blk * d->spb, d->spb, d->size - PAGE))
        return -1;
    memcpy(buf, bounce(d), d->bs);
    return 0;
}

static int dev_write(void *ctx, uint64_t blk, const void *buf)
{
    struct blkdev *d = ctx;
    size_t off = offset_of(d, buf);
    if (off != (size_t)-1)
        return request(d, true, blk * d->spb, d->spb, off);
    if (d->bs > PAGE)
        return -1;
    memcpy(bounce(d), buf, d->bs);
    return request(d, true, blk * d->spb, d->spb, d->size - PAGE);
}

int blkdev_open(struct blkdev *d, wf_cptr_t ep, wf_cptr_t vmo_slot, uintptr_t va, size_t buf_bytes)
{
    memset(d, 0, sizeof(*d));
    if (buf_bytes < 2 * PAGE || (buf_bytes & (buf_bytes - 1)) || va % PAGE || !vmo_slot)
        return -VFS_EINVAL;
    wf_word_t bb = 0, sectors = 0, flags = 0, size = 0;
    if (wfp_block_info(ep, &bb, &sectors, &flags) != WF_ERR_OK || bb != BLKDEV_SECTOR)
        return -VFS_EIO;
    d->ep = ep;
    d->sectors = sectors;
    d->ro = flags & WFP_BLOCK_FLAG_READ_ONLY;
    if (wf_pool_create_contig(WF_CHILD_POOL, buf_bytes, WF_CHILD_CNODE, vmo_slot, 64) != WF_ERR_OK)
        return -VFS_ENOMEM;
    d->vmo = vmo_slot;
    if (wf_vspace_map(WF_CHILD_VSPACE, vmo_slot, va, 0, buf_bytes, WF_VM_READ | WF_VM_WRITE) !=
        WF_ERR_OK) {
        wf_cnode_delete(WF_CHILD_CNODE, vmo_slot, 64);
        return -VFS_ENOMEM;
    }
    d->base = (uint8_t *)va;
    d->size = buf_bytes;
    if (wfp_block_set_buffer(ep, vmo_slot, &size) != WF_ERR_OK || size < buf_bytes) {
        blkdev_close(d);
        return -VFS_EIO;
    }
    return 0;
}

int blkdev_peek(struct blkdev *d, uint64_t off, void *buf, size_t len)
{
    uint64_t lba = off / BLKDEV_SECTOR;
    size_t skip = off % BLKDEV_SECTOR;
    uint32_t count = (uint32_t)((skip + len + BLKDEV_SECTOR - 1) / BLKDEV_SECTOR);
    if (len > PAGE - BLKDEV_SECTOR || lba + count > d->sectors)
        return -VFS_EINVAL;
    if (request(d, false, lba, count, d->size - PAGE))
        return -VFS_EIO;
    memcpy(buf, bounce(d) + skip, len);
    return 0;
}

int blkdev_start(struct blkdev *d, uint32_t block_size, const struct ext2_env *env)
{
    if (block_size < BLKDEV_SECTOR || block_size % BLKDEV_SECTOR ||
        (block_size < PAGE ? PAGE % block_size : block_size % PAGE) ||
        block_size > (d->size - PAGE) / 4 || d->cached)
        return -VFS_EINVAL;
    d->bs = block_size;
    d->spb = block_size / BLKDEV_SECTOR;
    d->nblocks = (uint32_t)((d->size - PAGE) / block_size);
    struct ext2_blockdev raw = {d, dev_read, d->ro ? NULL : dev_write, d->bs, d->sectors / d->spb};
    enum ext2_err err = bcache_init(&d->cache, &raw, env, d->base, d->nblocks);
    if (err)
        return err == EXT2_ENOMEM ? -VFS_ENOMEM : -VFS_EINVAL;
    d->cached = true;
    return 0;
}

/*
 * The library's device: the cache, unless the driver is lost. Once a request found
 * it gone, the mount has failed: a cached block is no longer served either (it may
 * be older than what a write the driver lost left on the disk, and a write could
 * never reach the disk), so every operation on the mount gives EIO until it is
 * unmounted and mounted again.
 */
static int live_read(void *ctx, uint64_t blk, void *buf)
{
    struct blkdev *d = ctx;
    return d->lost ? -1 : d->cdev.read(d->cdev.ctx, blk, buf);
}

/*
 * Writes go through to the disk at once, in the library's order (decision 131): the
 * library orders its writes so that a crash between any two leaves what e2fsck -p
 * repairs on its own (an inode written before the orphan list points at it, taken
 * off the list before it is freed), and a write-back cache that wrote its blocks
 * later in another order broke that (an orphan list through a freed inode: "Illegal
 * inode in orphaned inode list", a manual e2fsck). The cache keeps a clean copy, so
 * reads still hit; the block just written is the only dirty one, and the flush
 * writes just it.
 */
static int live_write(void *ctx, uint64_t blk, const void *buf)
{
    struct blkdev *d = ctx;
    if (d->lost || d->cdev.write(d->cdev.ctx, blk, buf))
        return -1;
    return bcache_flush(&d->cache) ? -1 : 0;
}

struct ext2_blockdev blkdev_dev(struct blkdev *d)
{
    d->cdev = bcache_dev(&d->cache);
    return (struct ext2_blockdev){d, live_read, d->cdev.write ? live_write : NULL,
                                  d->cdev.block_size, d->cdev.block_count};
}

int blkdev_sync(struct blkdev *d)
{
    if (d->ro)
        return 0;
    if ((d->cached && bcache_flush(&d->cache)) || d->lost)
        return -VFS_EIO;
    enum wf_error e = wfp_block_flush(d->ep);
    return e == WF_ERR_OK ? 0 : (fail(d, e), -VFS_EIO);
}

void blkdev_close(struct blkdev *d)
{
    if (d->cached)
        bcache_fini(&d->cache);
    d->cached = false;
    if (d->base)
        wf_vspace_unmap(WF_CHILD_VSPACE, (uintptr_t)d->base, d->size);
    if (d->vmo)
        wf_cnode_delete(WF_CHILD_CNODE, d->vmo, 64);
    d->base = NULL;
    d->vmo = 0;
}

/* ext2fs_mount (ext2fs.h): ext2 over the block client. Each mount's buffer is mapped in
 * a window of its own: MOUNTS_MAX windows of 1 GiB from VA_BASE, the layout's
 * window region (wf/layout.h: 16 GiB or more). */
#define VA_BASE    (wf_layout.windows)
#define VA_STEP    0x0000000040000000ull
#define MOUNTS_MAX 16u
#define BUF_BYTES                                                                                  \
    (128u * 1024u) /* 124 KiB of cache, then the bounce page (a power of two:
                                     Pool_CreateContig's sizes are) */

static uint16_t windows;                 /* the windows in use (bits) */
static wf_word_t badges[MOUNTS_MAX + 1]; /* each window's device cap's badge */

struct disk {
    struct blkdev d;
    struct ext2_blockdev dev; /* what the library mounts: the cache */
    struct vfs_env env;
    uint64_t slot;
    unsigned window;
};

static int disk_sync(void *ctx)
{
    struct disk *k = ctx;
    return blkdev_sync(&k->d);
}

static void disk_close(void *ctx)
{
    struct disk *k = ctx;
    blkdev_close(&k->d);
    if (k->slot && k->env.slot_free)
        k->env.slot_free(k->env.ctx, k->slot);
    windows &= (uint16_t) ~(1u << k->window);
    k->env.free(k->env.ctx, k, sizeof(*k));
}

int ext2fs_mount(const struct vfs_env *env, wf_cptr_t block_ep, unsigned flags, void **fs)
{
    if (!env || !env->alloc || !env->free || !env->slot_alloc || (flags & ~EXT2FS_RDONLY))
        return -VFS_EINVAL;
    unsigned w = 0;
    while (w < MOUNTS_MAX && (windows & (1u << w)))
        w++;
    if (w == MOUNTS_MAX)
        return -VFS_ENOMEM;
    /*
     * The driver keeps one buffer per client, and knows its clients by the badge of
     * the cap a request comes through: a second mount through a cap of the same
     * badge (the same client's lookup of the same driver) would replace the first
     * mount's buffer under it. So a badge is mounted once (EBUSY).
     */
    wf_word_t type = 0, badge = 0;
    if (wf_cnode_describe(WF_CHILD_CNODE, block_ep, 64, &type, NULL, &badge, NULL) != WF_ERR_OK ||
        type != WF_OBJ_ENDPOINT)
        return -VFS_EINVAL;
    for (unsigned i = 0; i < MOUNTS_MAX; i++)
        if ((windows & (1u << i)) && badges[i] == badge)
            return -VFS_EBUSY;
    struct disk *k = env->alloc(env->ctx, sizeof(*k));
    if (!k)
        return -VFS_ENOMEM;
    memset(k, 0, sizeof(*k));
    k->env = *env;
    k->window = w;
    windows |= (uint16_t)(1u << w);
    badges[w] = badge;
    k->slot = env->slot_alloc(env->ctx);
    int rc = k->slot ? blkdev_open(&k->d, block_ep, k->slot, VA_BASE + w * VA_STEP, BUF_BYTES)
                     : -VFS_ENOMEM;
    uint8_t sb[64];
    if (!rc && !(flags & EXT2FS_RDONLY) && k->d.ro)
        rc = -VFS_EROFS;
    if (!rc)
        rc = blkdev_peek(&k->d, 1024, sb, sizeof(sb)); /* the superblock's head */
    if (!rc) {
        /* Cache blocks of the file system's block size, at most a page. */
        uint32_t log = sb[24] | sb[25] << 8 | sb[26] << 16 | (uint32_t)sb[27] << 24;
        uint32_t bs = log < 2 ? 1024u << log : 4096u;
        struct ext2_env cenv = {env->ctx, env->alloc, env->free, NULL};
        rc = blkdev_start(&k->d, bs, &cenv);
    }
    if (!rc) {
        k->dev = blkdev_dev(&k->d);
        rc = ext2fs_mount_dev(env, &k->dev, disk_sync, disk_close, k, flags, fs);
    }
    if (rc)
        disk_close(k);
    return rc;
}
