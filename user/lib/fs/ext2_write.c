/*
 * ext2, the writing half: block and inode allocation, the block map that allocates,
 * truncation, write and truncate (the directory changes are in ext2_dir.c).
 *
 * Allocation takes the first free bit of a group's bitmap, starting at the group of
 * the inode concerned (its parent's for a new inode) and going round the groups; the
 * free counts of the group descriptor and the superblock follow every bit, and the
 * descriptors and superblock are written back at the end of each public call
 * (ext2_sync). An inode's i_blocks counts its data and indirect blocks in 512-byte
 * units, as e2fsck checks. Truncation walks the indirect tree depth first, freeing
 * what maps past the new end and each indirect block left with nothing kept below it;
 * a block found free already (two owners in a corrupt image) stops it with
 * EXT2_ECORRUPT. A write may stop part way (no space, a device error) with the bytes
 * it wrote counted and the inode consistent.
 */
#include <string.h>

#include "ext2_int.h"

uint32_t ext2_now(struct ext2_fs *fs)
{
    return fs->env.now ? fs->env.now(fs->env.ctx) : 0;
}

static void sb_add(struct ext2_fs *fs, uint32_t off, int32_t delta)
{
    ext2_put32(fs->sb + off, ext2_get32(fs->sb + off) + (uint32_t)delta);
    fs->sb_dirty = true;
}

static void gd_add(struct ext2_fs *fs, uint32_t g, uint32_t off, int32_t delta)
{
    uint8_t *p = ext2_gd(fs, g) + off;
    ext2_put16(p, (ext2_get16(p) + (uint32_t)delta) & 0xFFFF);
    fs->gd_dirty = true;
}

enum ext2_err ext2_finish(struct ext2_fs *fs, enum ext2_err err)
{
    enum ext2_err s = ext2_sync(fs);
    return err ? err : s;
}

static uint32_t group_of_ino(const struct ext2_fs *fs, uint32_t ino)
{
    return (ino - 1) / fs->inodes_per_group;
}

/* Allocates a block, searching from goal's group; it is marked used, not zeroed. */
static enum ext2_err alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
    uint32_t start = goal > fs->first_data_block
                         ? (goal - fs->first_data_block) / fs->blocks_per_group % fs->groups
                         : 0;
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (start + i) % fs->groups;
        uint8_t *gd = ext2_gd(fs, g);
        if (!ext2_get16(gd + 12))
            continue;
        uint32_t first = fs->first_data_block + g * fs->blocks_per_group;
        uint32_t nbits = fs->blocks_count - first;
        if (nbits > fs->blocks_per_group)
            nbits = fs->blocks_per_group;
        uint32_t bb = ext2_get32(gd);
        if (ext2_bread(fs, bb, fs->bitmap))
            return EXT2_EIO;
        for (uint32_t bit = 0; bit < nbits; bit++) {
            if (fs->bitmap[bit / 8] & (1u << bit % 8))
                continue;
            fs->bitmap[bit / 8] |= (uint8_t)(1u << bit % 8);
            if (ext2_bwrite(fs, bb, fs->bitmap))
                return EXT2_EIO;
            gd_add(fs, g, 12, -1);
            sb_add(fs, 12, -1);
            *out = first + bit;
            return EXT2_OK;
        }
        return EXT2_ECORRUPT; /* the descriptor counts free blocks its bitmap lacks */
    }
    return EXT2_ENOSPC;
}

static enum ext2_err free_block(struct ext2_fs *fs, uint32_t blk)
{
    if (!ext2_blk_ok(fs, blk))
        return EXT2_ECORRUPT;
    uint32_t g = (blk - fs->first_data_block) / fs->blocks_per_group;
    uint32_t bit = (blk - fs->first_data_block) % fs->blocks_per_group;
    uint32_t bb = ext2_get32(ext2_gd(fs, g));
    for (int l = 0; l < 3; l++)
        if (fs->ind_blk[l] == blk)
            fs->ind_blk[l] = 0;
    if (ext2_bread(fs, bb, fs->bitmap))
        return EXT2_EIO;
    if (!(fs->bitmap[bit / 8] & (1u << bit % 8)))
        return EXT2_ECORRUPT; /* freed twice: two owners */
    fs->bitmap[bit / 8] &= (uint8_t) ~(1u << bit % 8);
    if (ext2_bwrite(fs, bb, fs->bitmap))
        return EXT2_EIO;
    gd_add(fs, g, 12, 1);
    sb_add(fs, 12, 1);
    return EXT2_OK;
}

enum ext2_err ext2_alloc_inode(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *out)
{
    uint32_t start = group_of_ino(fs, parent);
    for (uint32_t i = 0; i < fs->groups; i++) {
        uint32_t g = (start + i) % fs->groups;
        uint8_t *gd = ext2_gd(fs, g);
        if (!ext2_get16(gd + 14))
            continue;
        uint32_t ib = ext2_get32(gd + 4);
        if (ext2_bread(fs, ib, fs->bitmap))
            return EXT2_EIO;
        for (uint32_t bit = 0; bit < fs->inodes_per_group; bit++) {
            uint32_t ino = g * fs->inodes_per_group + bit + 1;
            if (ino < fs->first_ino || (fs->bitmap[bit / 8] & (1u << bit % 8)))
                continue;
            fs->bitmap[bit / 8] |= (uint8_t)(1u << bit % 8);
            if (ext2_bwrite(fs, ib, fs->bitmap))
                return EXT2_EIO;
            gd_add(fs, g, 14, -1);
            if (dir)
                gd_add(fs, g, 16, 1);
            sb_add(fs, 16, -1);
            *out = ino;
            return EXT2_OK;
        }
        return EXT2_ECORRUPT;
    }
    return EXT2_ENOSPC;
}

enum ext2_err ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool dir)
{
    uint32_t g = group_of_ino(fs, ino), bit = (ino - 1) % fs->inodes_per_group;
    uint32_t ib = ext2_get32(ext2_gd(fs, g) + 4);
    if (ext2_bread(fs, ib, fs->bitmap))
        return EXT2_EIO;
    if (!(fs->bitmap[bit / 8] & (1u << bit % 8)))
        return EXT2_ECORRUPT;
    fs->bitmap[bit / 8] &= (uint8_t) ~(1u << bit % 8);
    if (ext2_bwrite(fs, ib, fs->bitmap))
        return EXT2_EIO;
    gd_add(fs, g, 14, 1);
    if (dir && ext2_get16(ext2_gd(fs, g) + 16))
        gd_add(fs, g, 16, -1);
    sb_add(fs, 16, 1);
    return EXT2_OK;
}

/* Allocates a block for in and counts it in i_blocks; zeroes it if it is to be indirect. */
static enum ext2_err new_block(struct ext2_fs *fs, struct ext2_inode *in, uint32_t goal,
                               int ind_level, uint32_t *out)
{
    uint32_t units = fs->bs / 512;
    if (in->blocks > UINT32_MAX - units)
        return EXT2_EFBIG;
    enum ext2_err err = alloc_block(fs, goal, out);
    if (err)
        return err;
    in->blocks += units;
    if (ind_level >= 0) {
        memset(fs->ind[ind_level], 0, fs->bs);
        fs->ind_blk[ind_level] = *out;
        return ext2_bwrite(fs, *out, fs->ind[ind_level]);
    }
    return EXT2_OK;
}

enum ext2_err ext2_bmap_alloc(struct ext2_fs *fs, struct ext2_inode *in, uint32_t goal,
                              uint64_t lblk, uint32_t *pblk, bool *fresh)
{
    uint64_t p = fs->per_block;
    int depth, root;
    enum ext2_err err;
    *fresh = false;
    if (lblk < EXT2_NDIR) {
        root = (int)lblk;
        depth = 0;
    } else if ((lblk -= EXT2_NDIR) < p) {
        root = EXT2_IND;
        depth = 1;
    } else if ((lblk -= p) < p * p) {
        root = EXT2_DIND;
        depth = 2;
    } else if ((lblk -= p * p) < p * p * p) {
        root = EXT2_TIND;
        depth = 3;
    } else {
        return EXT2_EFBIG;
    }
    uint32_t b = in->block[root];
    if (!b) {
        if ((err = new_block(fs, in, goal, depth ? 0 : -1, &b)))
            return err;
        in->block[root] = b;
        *fresh = !depth;
    } else if (!ext2_blk_ok(fs, b)) {
        return EXT2_ECORRUPT;
    }
    for (int level = 0; level < depth; level++) {
        enum ext2_err e;
        uint8_t *slot = ext2_ind_slot(fs, b, level, depth, lblk, &e);
        if (!slot)
            return e;
        uint32_t c = ext2_get32(slot);
        if (!c) {
            bool leaf = level == depth - 1;
            if ((err = new_block(fs, in, b, leaf ? -1 : level + 1, &c)))
                return err;
            ext2_put32(slot, c);
            if ((err = ext2_bwrite(fs, b, fs->ind[level])))
                return err;
            *fresh = leaf;
        } else if (!ext2_blk_ok(fs, c)) {
            return EXT2_ECORRUPT;
        }
        b = c;
    }
    *pblk = b;
    return EXT2_OK;
}

static void drop_units(const struct ext2_fs *fs, struct ext2_inode *in)
{
    uint32_t units = fs->bs / 512;
    in->blocks = in->blocks > units ? in->blocks - units : 0;
}

/*
 * Frees the blocks of the subtree under *ptr (an indirect block at level of a tree
 * depth deep, mapping logical blocks from base) that map logical blocks >= keep; the
 * indirect block itself goes when nothing below it is kept.
 */
static enum ext2_err trunc_tree(struct ext2_fs *fs, struct ext2_inode *in, uint32_t *ptr, int level,
                                int depth, uint64_t base, uint64_t keep)
{
    uint32_t b = *ptr;
    uint64_t p = fs->per_block, span = 1;
    enum ext2_err err;
    if (!b)
        return EXT2_OK;
    for (int i = level + 1; i < depth; i++)
        span *= p;
    if (base + span * p <= keep)
        return EXT2_OK;
    if (!ext2_blk_ok(fs, b))
        return EXT2_ECORRUPT;
    if (fs->ind_blk[level] != b) {
        fs->ind_blk[level] = 0;
        if (ext2_bread(fs, b, fs->ind[level]))
            return EXT2_EIO;
        fs->ind_blk[level] = b;
    }
    bool changed = false;
    for (uint32_t i = 0; i < p; i++) {
        uint64_t cbase = base + i * span;
        uint32_t c = ext2_get32(fs->ind[level] + 4 * i);
        if (!c || cbase + span <= keep)
            continue;
        if (level == depth - 1) {
            if ((err = free_block(fs, c)))
                return err;
            drop_units(fs, in);
            c = 0;
        } else if ((err = trunc_tree(fs, in, &c, level + 1, depth, cbase, keep))) {
            return err;
        }
        if (fs->ind_blk[level] != b)
            return EXT2_ECORRUPT; /* the subtree freed its own parent */
        if (!c) {
            ext2_put32(fs->ind[level] + 4 * i, 0);
            changed = true;
        }
    }
    if (base >= keep) {
        if ((err = free_block(fs, b)))
            return err;
        drop_units(fs, in);
        *ptr = 0;
        return EXT2_OK;
    }
    return changed ? ext2_bwrite(fs, b, fs->ind[level]) : EXT2_OK;
}

enum ext2_err ext2_free_from(struct ext2_fs *fs, struct ext2_inode *in, uint64_t keep)
{
    enum ext2_err err;
    uint64_t p = fs->per_block, base = EXT2_NDIR;
    for (uint32_t i = 0; i < EXT2_NDIR; i++) {
        if (i < keep || !in->block[i])
            continue;
        if ((err = free_block(fs, in->block[i])))
            return err;
        drop_units(fs, in);
        in->block[i] = 0;
    }
    if ((err = trunc_tree(fs, in, &in->block[EXT2_IND], 0, 1, base, keep)))
        return err;
    base += p;
    if ((err = trunc_tree(fs, in, &in->block[EXT2_DIND], 0, 2, base, keep)))
        return err;
    base += p * p;
    return trunc_tree(fs, in, &in->block[EXT2_TIND], 0, 3, base, keep);
}

static void set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size)
{
    in->size = size;
    if (size > 0x7FFFFFFFu && fs->rev > 0 && !(fs->ro_compat & EXT2_RO_LARGE_FILE)) {
        fs->ro_compat |= EXT2_RO_LARGE_FILE;
        ext2_put32(fs->sb + 100, fs->ro_compat);
        fs->sb_dirty = true;
    }
}

static enum ext2_err write_file(struct ext2_fs *fs, uint32_t ino, uint64_t off, const uint8_t *buf,
                                size_t len, size_t *done)
{
    struct ext2_inode in;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    if (err)
        return err;
    if (!ext2_is_reg(&in))
        return ext2_is_dir(&in) ? EXT2_EISDIR : EXT2_EINVAL;
    uint64_t max = ext2_max_blocks(fs) * fs->bs;
    if (in.size > max)
        return EXT2_ECORRUPT;
    if (off >= max)
        return len ? EXT2_EFBIG : EXT2_OK;
    if (len > max - off) {
        len = (size_t)(max - off);
        err = EXT2_EFBIG;
    }
    uint32_t goal = fs->first_data_block + group_of_ino(fs, ino) * fs->blocks_per_group;
    enum ext2_err werr = EXT2_OK;
    while (*done < len) {
        uint64_t pos = off + *done;
        uint32_t boff = (uint32_t)(pos % fs->bs), n = fs->bs - boff, pb;
        bool fresh;
        if (n > len - *done)
            n = (uint32_t)(len - *done);
        if ((werr = ext2_bmap_alloc(fs, &in, goal, pos / fs->bs, &pb, &fresh)))
            break;
        goal = pb;
        if (n == fs->bs) {
            werr = ext2_bwrite(fs, pb, buf + *done);
        } else {
            if (fresh)
                memset(fs->data, 0, fs->bs);
            else if ((werr = ext2_bread(fs, pb, fs->data)))
                break;
            memcpy(fs->data + boff, buf + *done, n);
            werr = ext2_bwrite(fs, pb, fs->data);
        }
        if (werr)
            break;
        *done += n;
    }
    if (off + *done > in.size)
        set_size(fs, &in, off + *done);
    if (*done)
        in.mtime = in.ctime = ext2_now(fs);
    enum ext2_err ierr = ext2_iput(fs, ino, &in, false);
    return werr ? werr : ierr ? ierr : err;
}

enum ext2_err ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf,
                         size_t len, size_t *done)
{
    *done = 0;
    if (fs->rdonly)
        return EXT2_EROFS;
    return ext2_finish(fs, write_file(fs, ino, off, buf, len, done));
}

static enum ext2_err truncate_inode(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
                                    uint64_t size)
{
    enum ext2_err err;
    if (size < in->size) {
        uint64_t keep = (size + fs->bs - 1) / fs->bs;
        if ((err = ext2_free_from(fs, in, keep))) {
            ext2_iput(fs, ino, in, false);
            return err;
        }
        /* The kept block's tail past the new end must read as zeros if it grows again. */
        uint32_t pb;
        if (size % fs->bs && !ext2_bmap(fs, in, size / fs->bs, &pb) && pb &&
            !ext2_bread(fs, pb, fs->data)) {
            memset(fs->data + size % fs->bs, 0, fs->bs - size % fs->bs);
            if ((err = ext2_bwrite(fs, pb, fs->data)))
                return err;
        }
    }
    set_size(fs, in, size);
    in->mtime = in->ctime = ext2_now(fs);
    return ext2_iput(fs, ino, in, false);
}

enum ext2_err ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
    struct ext2_inode in;
    if (fs->rdonly)
        return EXT2_EROFS;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    if (err)
        return err;
    if (!ext2_is_reg(&in))
        return ext2_is_dir(&in) ? EXT2_EISDIR : EXT2_EINVAL;
    if (size > ext2_max_blocks(fs) * fs->bs)
        return EXT2_EFBIG;
    return ext2_finish(fs, truncate_inode(fs, ino, &in, size));
}

enum ext2_err ext2_setattr(struct ext2_fs *fs, uint32_t ino, unsigned mask, uint32_t mode,
                           uint32_t uid, uint32_t gid, uint32_t atime, uint32_t mtime)
{
    struct ext2_inode in;
    if (fs->rdonly)
        return EXT2_EROFS;
    if (mask & ~(EXT2_SET_MODE | EXT2_SET_OWNER | EXT2_SET_ATIME | EXT2_SET_MTIME))
        return EXT2_EINVAL;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    if (err)
        return err;
    if (mask & EXT2_SET_MODE)
        in.mode = (in.mode & EXT2_S_IFMT) | (mode & 07777);
    if (mask & EXT2_SET_OWNER) {
        in.uid = uid;
        in.gid = gid;
    }
    if (mask & EXT2_SET_ATIME)
        in.atime = atime;
    if (mask & EXT2_SET_MTIME)
        in.mtime = mtime;
    in.ctime = ext2_now(fs);
    return ext2_iput(fs, ino, &in, false);
}

void ext2_statfs(const struct ext2_fs *fs, struct ext2_statfs *out)
{
    out->block_size = fs->bs;
    out->blocks = fs->blocks_count;
    out->free_blocks = ext2_get32(fs->sb + 12);
    out->inodes = fs->inodes_count;
    out->free_inodes = ext2_get32(fs->sb + 16);
    out->rdonly = fs->rdonly;
}
