/*
 * ext2, the reading half: mount, the block map, lookup, stat, read, readdir, readlink.
 *
 * The layout follows the ext2 specification (Dave Poirier, "The Second Extended File
 * System", and the Linux kernel's Documentation/filesystems/ext2): a superblock at byte
 * 1024, then block groups, each described by a 32-byte group descriptor in the table
 * that starts in the block after the superblock's; a group has a block bitmap, an
 * inode bitmap and an inode table. An inode maps its file's blocks through 12 direct
 * pointers and a single, a double and a triple indirect block. A directory is a file of
 * linked-list entries (inode, rec_len, name_len, type, name), none crossing a block.
 *
 * Everything read from the device is untrusted. Mount checks the superblock and every
 * group descriptor; each block number is checked against the file system before it is
 * read; each directory entry against its block; each inode number against the count.
 * Loops are bounded by the structures' sizes: a directory's length is at most the
 * file system's, a block map is a tree of fixed depth, so no image makes a call loop
 * without end. Nothing here keeps state across calls but one cached block per
 * indirection level (fs->ind), which every write of that block goes through.
 */
#include <string.h>

#include "ext2_int.h"

const char *ext2_strerror(enum ext2_err err)
{
    static const char *const names[] = {
        [EXT2_OK] = "success",
        [EXT2_EIO] = "device I/O error",
        [EXT2_ENOMEM] = "out of memory",
        [EXT2_EBADFS] = "not an ext2 file system",
        [EXT2_EBLOCKSIZE] = "unsupported block size",
        [EXT2_EFEATURE] = "unsupported incompatible feature",
        [EXT2_EROFS] = "read-only file system",
        [EXT2_ECORRUPT] = "corrupt file system",
        [EXT2_ENOENT] = "no such file or directory",
        [EXT2_ENOTDIR] = "not a directory",
        [EXT2_EISDIR] = "is a directory",
        [EXT2_EEXIST] = "file exists",
        [EXT2_ENOTEMPTY] = "directory not empty",
        [EXT2_ENOSPC] = "no space left",
        [EXT2_ENAMETOOLONG] = "name too long",
        [EXT2_EINVAL] = "invalid argument",
        [EXT2_EFBIG] = "file too large",
        [EXT2_EMLINK] = "too many links",
        [EXT2_ERANGE] = "buffer too small",
    };
    if ((unsigned)err >= sizeof(names) / sizeof(names[0]) || !names[err])
        return "unknown error";
    return names[err];
}

bool ext2_blk_ok(const struct ext2_fs *fs, uint32_t blk)
{
    return blk >= fs->first_data_block && blk < fs->blocks_count;
}

enum ext2_err ext2_bread(struct ext2_fs *fs, uint32_t blk, void *buf)
{
    uint32_t dbs = fs->dev.block_size;
    for (uint32_t i = 0; i < fs->dev_per_fs; i++)
        if (fs->dev.read(fs->dev.ctx, (uint64_t)blk * fs->dev_per_fs + i, (uint8_t *)buf + i * dbs))
            return EXT2_EIO;
    return EXT2_OK;
}

enum ext2_err ext2_bwrite(struct ext2_fs *fs, uint32_t blk, const void *buf)
{
    uint32_t dbs = fs->dev.block_size;
    for (int l = 0; l < 3; l++)
        if (fs->ind_blk[l] == blk && fs->ind[l] != buf)
            fs->ind_blk[l] = 0;
    for (uint32_t i = 0; i < fs->dev_per_fs; i++)
        if (fs->dev.write(fs->dev.ctx, (uint64_t)blk * fs->dev_per_fs + i,
                          (const uint8_t *)buf + i * dbs))
            return EXT2_EIO;
    return EXT2_OK;
}

static bool pow2(uint32_t x)
{
    return x && !(x & (x - 1));
}

static uint32_t div_up(uint64_t a, uint32_t b)
{
    return (uint32_t)((a + b - 1) / b);
}

/* Reads the 1024 bytes at byte 1024 of the device into sb (tmp: one device block). */
static enum ext2_err read_sb(const struct ext2_blockdev *dev, uint8_t *tmp, uint8_t *sb)
{
    uint32_t dbs = dev->block_size;
    for (uint32_t pos = 1024; pos < 2048;) {
        uint64_t b = pos / dbs;
        uint32_t o = pos % dbs, n = dbs - o;
        if (n > 2048 - pos)
            n = 2048 - pos;
        if (b >= dev->block_count)
            return EXT2_EBADFS;
        if (dev->read(dev->ctx, b, tmp))
            return EXT2_EIO;
        memcpy(sb + pos - 1024, tmp + o, n);
        pos += n;
    }
    return EXT2_OK;
}

/* Checks the superblock in fs->sb and sets fs's geometry from it. */
static enum ext2_err check_sb(struct ext2_fs *fs, unsigned flags)
{
    const uint8_t *sb = fs->sb;
    if (ext2_get16(sb + 56) != EXT2_MAGIC)
        return EXT2_EBADFS;
    fs->rev = ext2_get32(sb + 76);
    if (fs->rev > 1)
        return EXT2_EBADFS;
    uint32_t log = ext2_get32(sb + 24);
    if (log > 6)
        return EXT2_EBLOCKSIZE;
    fs->bs = 1024u << log;
    if (fs->bs < fs->dev.block_size)
        return EXT2_EBLOCKSIZE;
    fs->dev_per_fs = fs->bs / fs->dev.block_size;
    fs->per_block = fs->bs / 4;
    if (fs->rev == 0) {
        fs->inode_size = 128;
        fs->first_ino = 11;
        fs->incompat = fs->ro_compat = 0;
    } else {
        fs->inode_size = ext2_get16(sb + 88);
        fs->first_ino = ext2_get32(sb + 84);
        fs->incompat = ext2_get32(sb + 96);
        fs->ro_compat = ext2_get32(sb + 100);
    }
    if (fs->incompat & ~EXT2_INCOMPAT_FT)
        return EXT2_EFEATURE;
    if ((fs->ro_compat & ~(EXT2_RO_SPARSE | EXT2_RO_LARGE_FILE)) && !(flags & EXT2_MOUNT_RDONLY))
        return EXT2_EROFS;
    if (!pow2(fs->inode_size) || fs->inode_size < 128 || fs->inode_size > fs->bs)
        return EXT2_ECORRUPT;
    fs->blocks_count = ext2_get32(sb + 4);
    fs->inodes_count = ext2_get32(sb + 0);
    fs->first_data_block = ext2_get32(sb + 20);
    fs->blocks_per_group = ext2_get32(sb + 32);
    fs->inodes_per_group = ext2_get32(sb + 40);
    if (fs->first_data_block != (fs->bs == 1024 ? 1u : 0u))
        return EXT2_ECORRUPT;
    if (fs->blocks_count <= fs->first_data_block + 1 ||
        (uint64_t)fs->blocks_count * fs->dev_per_fs > fs->dev.block_count)
        return EXT2_ECORRUPT;
    if (!fs->blocks_per_group || fs->blocks_per_group > 8 * fs->bs || !fs->inodes_per_group ||
        fs->inodes_per_group > 8 * fs->bs)
        return EXT2_ECORRUPT;
    fs->groups = div_up(fs->blocks_count - fs->first_data_block, fs->blocks_per_group);
    if ((uint64_t)fs->groups * fs->inodes_per_group != fs->inodes_count)
        return EXT2_ECORRUPT;
    if (fs->first_ino < 11 || fs->first_ino > fs->inodes_count)
        return EXT2_ECORRUPT;
    if (ext2_get32(sb + 8) > fs->blocks_count || ext2_get32(sb + 12) > fs->blocks_count ||
        ext2_get32(sb + 16) > fs->inodes_count)
        return EXT2_ECORRUPT;
    fs->itable_blocks = div_up((uint64_t)fs->inodes_per_group * fs->inode_size, fs->bs);
    fs->gdt_blocks = div_up((uint64_t)fs->groups * EXT2_GD_SIZE, fs->bs);
    if ((uint64_t)fs->first_data_block + 1 + fs->gdt_blocks > fs->blocks_count)
        return EXT2_ECORRUPT;
    return EXT2_OK;
}

/* Checks every group descriptor: its bitmaps and inode table inside the file system. */
static enum ext2_err check_gdt(struct ext2_fs *fs)
{
    uint64_t free_blocks = 0, free_inodes = 0;
    for (uint32_t g = 0; g < fs->groups; g++) {
        const uint8_t *gd = ext2_gd(fs, g);
        uint32_t bb = ext2_get32(gd), ib = ext2_get32(gd + 4), it = ext2_get32(gd + 8);
        if (!ext2_blk_ok(fs, bb) || !ext2_blk_ok(fs, ib) || !ext2_blk_ok(fs, it) ||
            (uint64_t)it + fs->itable_blocks > fs->blocks_count)
            return EXT2_ECORRUPT;
        uint32_t fb = ext2_get16(gd + 12), fi = ext2_get16(gd + 14), ud = ext2_get16(gd + 16);
        if (fb > fs->blocks_per_group || fi > fs->inodes_per_group || ud > fs->inodes_per_group)
            return EXT2_ECORRUPT;
        free_blocks += fb;
        free_inodes += fi;
    }
    if (free_blocks > fs->blocks_count || free_inodes > fs->inodes_count)
        return EXT2_ECORRUPT;
    return EXT2_OK;
}

enum ext2_err ext2_mount(struct ext2_fs *fs, const struct ext2_blockdev *dev,
                         const struct ext2_env *env, unsigned flags)
{
    memset(fs, 0, sizeof(*fs));
    if (!dev || !env || !dev->read || !env->alloc || !env->free || !pow2(dev->block_size) ||
        dev->block_size < 512 || dev->block_size > 65536 ||
        (!dev->write && !(flags & EXT2_MOUNT_RDONLY)))
        return EXT2_EINVAL;
    fs->dev = *dev;
    fs->env = *env;
    fs->rdonly = flags & EXT2_MOUNT_RDONLY;
    uint8_t sb[1024];
    uint8_t *tmp = env->alloc(env->ctx, dev->block_size);
    if (!tmp)
        return EXT2_ENOMEM;
    enum ext2_err err = read_sb(dev, tmp, sb);
    env->free(env->ctx, tmp, dev->block_size);
    if (err)
        return err;
    fs->sb = sb;
    if ((err = check_sb(fs, flags)))
        return err;
    if ((fs->ro_compat & ~(EXT2_RO_SPARSE | EXT2_RO_LARGE_FILE)))
        fs->rdonly = true;
    /* superblock, the group descriptor table, three indirect levels, data, bitmap, itab */
    fs->mem_size = 1024 + ((size_t)fs->gdt_blocks + 6) * fs->bs;
    fs->mem = env->alloc(env->ctx, fs->mem_size);
    if (!fs->mem)
        return EXT2_ENOMEM;
    fs->sb = fs->mem;
    memcpy(fs->sb, sb, sizeof(sb));
    fs->gdt = fs->mem + 1024;
    uint8_t *p = fs->gdt + (size_t)fs->gdt_blocks * fs->bs;
    for (int l = 0; l < 3; l++, p += fs->bs)
        fs->ind[l] = p;
    fs->data = p;
    fs->bitmap = p + fs->bs;
    fs->itab = p + 2 * fs->bs;
    for (uint32_t i = 0; i < fs->gdt_blocks && !err; i++)
        err = ext2_bread(fs, fs->first_data_block + 1 + i, fs->gdt + (size_t)i * fs->bs);
    if (!err)
        err = check_gdt(fs);
    struct ext2_inode root;
    if (!err)
        err = ext2_iget(fs, EXT2_ROOT_INO, &root);
    if (!err && (!ext2_is_dir(&root) || ext2_dir_check(fs, &root)))
        err = EXT2_ECORRUPT;
    if (err) {
        env->free(env->ctx, fs->mem, fs->mem_size);
        fs->mem = NULL;
    }
    return err;
}

enum ext2_err ext2_sync(struct ext2_fs *fs)
{
    if (fs->gd_dirty) {
        for (uint32_t i = 0; i < fs->gdt_blocks; i++)
            if (ext2_bwrite(fs, fs->first_data_block + 1 + i, fs->gdt + (size_t)i * fs->bs))
                return EXT2_EIO;
        fs->gd_dirty = false;
    }
    if (fs->sb_dirty) {
        /* The superblock shares block 0 with the boot sector when blocks exceed 1 KiB. */
        uint32_t blk = 1024 / fs->bs, off = 1024 % fs->bs;
        if (ext2_bread(fs, blk, fs->data))
            return EXT2_EIO;
        memcpy(fs->data + off, fs->sb, 1024);
        if (ext2_bwrite(fs, blk, fs->data))
            return EXT2_EIO;
        fs->sb_dirty = false;
    }
    return EXT2_OK;
}

enum ext2_err ext2_unmount(struct ext2_fs *fs)
{
    if (!fs->mem)
        return EXT2_EINVAL;
    enum ext2_err err = fs->rdonly ? EXT2_OK : ext2_sync(fs);
    fs->env.free(fs->env.ctx, fs->mem, fs->mem_size);
    fs->mem = NULL;
    return err;
}

/* Locates inode ino: its inode-table block and the byte offset in it. */
static enum ext2_err inode_loc(struct ext2_fs *fs, uint32_t ino, uint32_t *blk, uint32_t *off)
{
    if (ino < 1 || ino > fs->inodes_count)
        return EXT2_ECORRUPT;
    uint32_t g = (ino - 1) / fs->inodes_per_group, i = (ino - 1) % fs->inodes_per_group;
    uint64_t byte = (uint64_t)i * fs->inode_size;
    *blk = ext2_get32(ext2_gd(fs, g) + 8) + (uint32_t)(byte / fs->bs);
    *off = (uint32_t)(byte % fs->bs);
    return EXT2_OK;
}

enum ext2_err ext2_iget(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
    uint32_t blk, off;
    enum ext2_err err = inode_loc(fs, ino, &blk, &off);
    if (err || (err = ext2_bread(fs, blk, fs->itab)))
        return err;
    const uint8_t *r = fs->itab + off;
    in->mode = ext2_get16(r);
    in->uid = ext2_get16(r + 2) | ext2_get16(r + 120) << 16;
    in->size = ext2_get32(r + 4);
    in->atime = ext2_get32(r + 8);
    in->ctime = ext2_get32(r + 12);
    in->mtime = ext2_get32(r + 16);
    in->dtime = ext2_get32(r + 20);
    in->gid = ext2_get16(r + 24) | ext2_get16(r + 122) << 16;
    in->links = ext2_get16(r + 26);
    in->blocks = ext2_get32(r + 28);
    in->flags = ext2_get32(r + 32);
    for (int i = 0; i < EXT2_NBLOCKS; i++)
        in->block[i] = ext2_get32(r + 40 + 4 * i);
    in->file_acl = ext2_get32(r + 104);
    if (ext2_is_reg(in) && fs->rev > 0)
        in->size |= (uint64_t)ext2_get32(r + 108) << 32;
    return EXT2_OK;
}

/*
 * Writes in back to inode ino, keeping the bytes the structure does not name; fresh
 * clears the whole on-disk inode first (a new one) and sets its extra size.
 */
enum ext2_err ext2_iput(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in, bool fresh)
{
    uint32_t blk, off;
    enum ext2_err err = inode_loc(fs, ino, &blk, &off);
    if (err || (err = ext2_bread(fs, blk, fs->itab)))
        return err;
    uint8_t *r = fs->itab + off;
    if (fresh) {
        memset(r, 0, fs->inode_size);
        if (fs->inode_size > 128) {
            uint32_t extra = ext2_get16(fs->sb + 350);
            ext2_put16(r + 128, extra && extra <= fs->inode_size - 128 ? extra : 32);
        }
    }
    ext2_put16(r, in->mode);
    ext2_put16(r + 2, in->uid & 0xFFFF);
    ext2_put16(r + 120, in->uid >> 16);
    ext2_put32(r + 4, (uint32_t)in->size);
    ext2_put32(r + 8, in->atime);
    ext2_put32(r + 12, in->ctime);
    ext2_put32(r + 16, in->mtime);
    ext2_put32(r + 20, in->dtime);
    ext2_put16(r + 24, in->gid & 0xFFFF);
    ext2_put16(r + 122, in->gid >> 16);
    ext2_put16(r + 26, in->links);
    ext2_put32(r + 28, in->blocks);
    ext2_put32(r + 32, in->flags);
    for (int i = 0; i < EXT2_NBLOCKS; i++)
        ext2_put32(r + 40 + 4 * i, in->block[i]);
    if (ext2_is_reg(in))
        ext2_put32(r + 108, (uint32_t)(in->size >> 32));
    return ext2_bwrite(fs, blk, fs->itab);
}

/* The number of logical blocks the 15 pointers can map. */
uint64_t ext2_max_blocks(const struct ext2_fs *fs)
{
    uint64_t p = fs->per_block;
    return EXT2_NDIR + p + p * p + p * p * p;
}

uint8_t *ext2_ind_slot(struct ext2_fs *fs, uint32_t b, int level, int depth, uint64_t lblk,
                       enum ext2_err *err)
{
    if (fs->ind_blk[level] != b) {
        fs->ind_blk[level] = 0;
        if (ext2_bread(fs, b, fs->ind[level])) {
            *err = EXT2_EIO;
            return NULL;
        }
        fs->ind_blk[level] = b;
    }
    uint64_t p = fs->per_block, span = 1;
    for (int i = level + 1; i < depth; i++)
        span *= p;
    return fs->ind[level] + 4 * ((lblk / span) % p);
}

enum ext2_err ext2_bmap(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk,
                        uint32_t *pblk)
{
    uint64_t p = fs->per_block;
    uint32_t b;
    int depth;
    *pblk = 0;
    if (lblk < EXT2_NDIR) {
        b = in->block[lblk];
        depth = 0;
    } else if ((lblk -= EXT2_NDIR) < p) {
        b = in->block[EXT2_IND];
        depth = 1;
    } else if ((lblk -= p) < p * p) {
        b = in->block[EXT2_DIND];
        depth = 2;
    } else if ((lblk -= p * p) < p * p * p) {
        b = in->block[EXT2_TIND];
        depth = 3;
    } else {
        return EXT2_EFBIG;
    }
    for (int level = 0; level < depth; level++) {
        if (!b)
            return EXT2_OK;
        if (!ext2_blk_ok(fs, b))
            return EXT2_ECORRUPT;
        enum ext2_err e;
        const uint8_t *slot = ext2_ind_slot(fs, b, level, depth, lblk, &e);
        if (!slot)
            return e;
        b = ext2_get32(slot);
    }
    if (b && !ext2_blk_ok(fs, b))
        return EXT2_ECORRUPT;
    *pblk = b;
    return EXT2_OK;
}

/* A directory's size is a whole number of blocks, at most the file system's. */
enum ext2_err ext2_dir_check(const struct ext2_fs *fs, const struct ext2_inode *dir)
{
    if (dir->size % fs->bs || dir->size / fs->bs > fs->blocks_count)
        return EXT2_ECORRUPT;
    return EXT2_OK;
}

enum ext2_err ext2_dent_at(const struct ext2_fs *fs, const uint8_t *blk, uint32_t off,
                           struct ext2_dent *d)
{
    if (off + 8 > fs->bs)
        return EXT2_ECORRUPT;
    const uint8_t *e = blk + off;
    d->ino = ext2_get32(e);
    d->rec_len = ext2_get16(e + 4);
    if (fs->bs == 65536 && (d->rec_len == 0 || d->rec_len == 65535))
        d->rec_len = 65536; /* the encoding of a whole 64 KiB block */
    if (fs->incompat & EXT2_INCOMPAT_FT) {
        d->name_len = e[6];
        d->type = e[7];
    } else {
        d->name_len = ext2_get16(e + 6) & 0xFF;
        d->type = EXT2_FT_UNKNOWN;
    }
    d->name = e + 8;
    if (d->rec_len < 8 || d->rec_len % 4 || off + d->rec_len > fs->bs ||
        (d->ino && 8 + d->name_len > d->rec_len) || d->ino > fs->inodes_count)
        return EXT2_ECORRUPT;
    /* A name is 1 to 255 bytes, none of them NUL or '/'. */
    if (d->ino &&
        (!d->name_len || memchr(d->name, 0, d->name_len) || memchr(d->name, '/', d->name_len)))
        return EXT2_ECORRUPT;
    return EXT2_OK;
}

/*
 * Looks name up in directory dir (inode din). Sets *ino and, where not NULL, the
 * entry's block (*lblk), offset (*off) and the offset of the entry before it in its
 * block (*prev, ~0 for the first). EXT2_ENOENT if absent.
 */
enum ext2_err ext2_find(struct ext2_fs *fs, uint32_t dir, const struct ext2_inode *din,
                        const char *name, size_t len, uint32_t *ino, uint32_t *lblk, uint32_t *off,
                        uint32_t *prev)
{
    enum ext2_err err;
    if (!ext2_is_dir(din))
        return EXT2_ENOTDIR;
    if ((err = ext2_dir_check(fs, din)))
        return err;
    if (len == 0 || len > EXT2_NAME_MAX)
        return len ? EXT2_ENAMETOOLONG : EXT2_ENOENT;
    uint32_t nblk = (uint32_t)(din->size / fs->bs);
    for (uint32_t l = 0; l < nblk; l++) {
        uint32_t pb;
        if ((err = ext2_bmap(fs, din, l, &pb)))
            return err;
        if (!pb)
            return EXT2_ECORRUPT;
        if ((err = ext2_bread(fs, pb, fs->data)))
            return err;
        uint32_t pv = ~0u;
        for (uint32_t o = 0; o < fs->bs;) {
            struct ext2_dent d;
            if ((err = ext2_dent_at(fs, fs->data, o, &d)))
                return err;
            if (d.ino && d.name_len == len && !memcmp(d.name, name, len)) {
                *ino = d.ino;
                if (lblk)
                    *lblk = l;
                if (off)
                    *off = o;
                if (prev)
                    *prev = pv;
                return EXT2_OK;
            }
            pv = o;
            o += d.rec_len;
        }
    }
    return EXT2_ENOENT;
}

enum ext2_err ext2_lookup_at(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
                             uint32_t *ino)
{
    struct ext2_inode din;
    enum ext2_err err = ext2_iget(fs, dir, &din);
    if (err)
        return err;
    if (memchr(name, '/', len))
        return EXT2_EINVAL;
    return ext2_find(fs, dir, &din, name, len, ino, NULL, NULL, NULL);
}

enum ext2_err ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
    uint32_t cur = EXT2_ROOT_INO;
    while (*path) {
        if (*path == '/') {
            path++;
            continue;
        }
        size_t len = 0;
        while (path[len] && path[len] != '/')
            len++;
        if (len > EXT2_NAME_MAX)
            return EXT2_ENAMETOOLONG;
        enum ext2_err err = ext2_lookup_at(fs, cur, path, len, &cur);
        if (err)
            return err;
        path += len;
    }
    *ino = cur;
    return EXT2_OK;
}

enum ext2_err ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st)
{
    struct ext2_inode in;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    if (err)
        return err;
    st->ino = ino;
    st->mode = in.mode;
    st->links = in.links;
    st->uid = in.uid;
    st->gid = in.gid;
    st->size = in.size;
    st->blocks = in.blocks;
    st->atime = in.atime;
    st->mtime = in.mtime;
    st->ctime = in.ctime;
    st->flags = in.flags;
    return EXT2_OK;
}

/* A fast symlink keeps its target in the block pointers: it holds no data block. */
bool ext2_fast_link(const struct ext2_fs *fs, const struct ext2_inode *in)
{
    uint32_t acl = in->file_acl ? fs->bs / 512 : 0;
    return ext2_is_lnk(in) && in->blocks == acl;
}

enum ext2_err ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len,
                        size_t *done)
{
    struct ext2_inode in;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    *done = 0;
    if (err)
        return err;
    if (ext2_fast_link(fs, &in)) {
        if (in.size >= EXT2_FAST_LINK_MAX)
            return EXT2_ECORRUPT;
        uint8_t raw[EXT2_FAST_LINK_MAX];
        for (int i = 0; i < EXT2_NBLOCKS; i++)
            ext2_put32(raw + 4 * i, in.block[i]);
        if (off < in.size) {
            size_t n = in.size - off < len ? (size_t)(in.size - off) : len;
            memcpy(buf, raw + off, n);
            *done = n;
        }
        return EXT2_OK;
    }
    if (in.size > ext2_max_blocks(fs) * fs->bs)
        return EXT2_ECORRUPT;
    if (off >= in.size)
        return EXT2_OK;
    if (len > in.size - off)
        len = (size_t)(in.size - off);
    uint8_t *out = buf;
    while (*done < len) {
        uint64_t pos = off + *done;
        uint32_t boff = (uint32_t)(pos % fs->bs), n = fs->bs - boff;
        if (n > len - *done)
            n = (uint32_t)(len - *done);
        uint32_t pb;
        if ((err = ext2_bmap(fs, &in, pos / fs->bs, &pb)))
            return err;
        if (!pb) {
            memset(out + *done, 0, n);
        } else {
            if ((err = ext2_bread(fs, pb, fs->data)))
                return err;
            memcpy(out + *done, fs->data + boff, n);
        }
        *done += n;
    }
    return EXT2_OK;
}

enum ext2_err ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, struct ext2_dirent *ent,
                           bool *end)
{
    struct ext2_inode din;
    enum ext2_err err = ext2_iget(fs, dir, &din);
    *end = false;
    if (err)
        return err;
    if (!ext2_is_dir(&din))
        return EXT2_ENOTDIR;
    if ((err = ext2_dir_check(fs, &din)))
        return err;
    if (*pos % 4)
        return EXT2_EINVAL; /* entries start at multiples of 4 */
    while (*pos < din.size) {
        uint32_t pb, start = (uint32_t)(*pos % fs->bs);
        uint64_t base = *pos - start;
        if ((err = ext2_bmap(fs, &din, *pos / fs->bs, &pb)))
            return err;
        if (!pb)
            return EXT2_ECORRUPT;
        if ((err = ext2_bread(fs, pb, fs->data)))
            return err;
        /*
         * Walk from the block's start (entries are checked in order). A position
         * inside an entry is where an entry was before a removal merged it into the
         * one before: the walk resumes at the next entry that starts after it.
         */
        for (uint32_t o = 0; o < fs->bs;) {
            struct ext2_dent d;
            if ((err = ext2_dent_at(fs, fs->data, o, &d)))
                return err;
            if (o > start)
                start = o;
            if (o == start) {
                start = o + d.rec_len;
                *pos = base + start;
                if (d.ino) {
                    ent->ino = d.ino;
                    ent->type = (uint8_t)d.type;
                    ent->name_len = (uint8_t)d.name_len;
                    memcpy(ent->name, d.name, d.name_len);
                    ent->name[d.name_len] = 0;
                    return EXT2_OK;
                }
            }
            o += d.rec_len;
        }
        *pos = base + fs->bs; /* the block is done (also from inside its last entry) */
    }
    *end = true;
    return EXT2_OK;
}

enum ext2_err ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t cap, size_t *len)
{
    struct ext2_inode in;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    if (err)
        return err;
    if (!ext2_is_lnk(&in))
        return EXT2_EINVAL;
    if (in.size >= fs->bs || (ext2_fast_link(fs, &in) && in.size >= EXT2_FAST_LINK_MAX))
        return EXT2_ECORRUPT;
    if (in.size >= cap)
        return EXT2_ERANGE;
    size_t n;
    if ((err = ext2_read(fs, ino, 0, buf, (size_t)in.size, &n)))
        return err;
    if (n != in.size || memchr(buf, 0, n))
        return EXT2_ECORRUPT; /* a target holds no NUL */
    buf[n] = 0;
    *len = n;
    return EXT2_OK;
}
