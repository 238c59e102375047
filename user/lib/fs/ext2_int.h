/*
 * ext2's internals shared by its files: ext2.c (mount, block map, reading),
 * ext2_write.c (allocation, write, truncate) and ext2_dir.c (the directory changes).
 * Not an interface: include ext2.h.
 */
#ifndef WF_FS_EXT2_INT_H
#define WF_FS_EXT2_INT_H

#include "ext2.h"

#define EXT2_MAGIC          0xEF53u
#define EXT2_NDIR           12
#define EXT2_IND            12
#define EXT2_DIND           13
#define EXT2_TIND           14
#define EXT2_NBLOCKS        15
#define EXT2_GD_SIZE        32
#define EXT2_FAST_LINK_MAX  60
#define EXT2_INDEX_FL       0x1000u
#define EXT2_LINK_MAX       32000u
#define EXT2_INCOMPAT_FT    0x0002u
#define EXT2_RO_SPARSE      0x0001u
#define EXT2_RO_LARGE_FILE  0x0002u
#define EXT2_SB_LAST_ORPHAN 232 /* s_last_orphan: the orphan list's head */

/* An inode as the library uses it; the bytes it does not name are kept on write. */
struct ext2_inode {
    uint32_t mode, uid, gid, links, flags;
    uint32_t atime, ctime, mtime, dtime;
    uint32_t blocks; /* 512-byte units */
    uint32_t file_acl;
    uint64_t size;
    uint32_t block[EXT2_NBLOCKS];
};

static inline uint32_t ext2_get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t ext2_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void ext2_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void ext2_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint8_t *ext2_gd(struct ext2_fs *fs, uint32_t group)
{
    return fs->gdt + (size_t)group * EXT2_GD_SIZE;
}

static inline bool ext2_is_dir(const struct ext2_inode *in)
{
    return (in->mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

static inline bool ext2_is_reg(const struct ext2_inode *in)
{
    return (in->mode & EXT2_S_IFMT) == EXT2_S_IFREG;
}

static inline bool ext2_is_lnk(const struct ext2_inode *in)
{
    return (in->mode & EXT2_S_IFMT) == EXT2_S_IFLNK;
}

/* One directory entry as found in a block. */
struct ext2_dent {
    uint32_t ino, rec_len, name_len, type;
    const uint8_t *name;
};

enum ext2_err ext2_bread(struct ext2_fs *fs, uint32_t blk, void *buf);
enum ext2_err ext2_bwrite(struct ext2_fs *fs, uint32_t blk, const void *buf);
bool ext2_blk_ok(const struct ext2_fs *fs, uint32_t blk);
enum ext2_err ext2_iget(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);
enum ext2_err ext2_iput(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in, bool fresh);
uint64_t ext2_max_blocks(const struct ext2_fs *fs);
/* The slot in indirect block b, at level (0 = top) of a depth-level chain, for
 * logical block lblk: fs->ind[level] is loaded with b first (kept while it still
 * holds it). NULL when b cannot be read (then *err is EXT2_EIO). */
uint8_t *ext2_ind_slot(struct ext2_fs *fs, uint32_t b, int level, int depth, uint64_t lblk,
                       enum ext2_err *err);
enum ext2_err ext2_bmap(struct ext2_fs *fs, const struct ext2_inode *in, uint64_t lblk,
                        uint32_t *pblk);
enum ext2_err ext2_dir_check(const struct ext2_fs *fs, const struct ext2_inode *dir);
enum ext2_err ext2_dent_at(const struct ext2_fs *fs, const uint8_t *blk, uint32_t off,
                           struct ext2_dent *d);
enum ext2_err ext2_find(struct ext2_fs *fs, uint32_t dir, const struct ext2_inode *din,
                        const char *name, size_t len, uint32_t *ino, uint32_t *lblk, uint32_t *off,
                        uint32_t *prev);
bool ext2_fast_link(const struct ext2_fs *fs, const struct ext2_inode *in);

/* ext2_write.c */
uint32_t ext2_now(struct ext2_fs *fs);
/* Syncs after a public call; the call's own error comes first. */
enum ext2_err ext2_finish(struct ext2_fs *fs, enum ext2_err err);
enum ext2_err ext2_alloc_inode(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *out);
enum ext2_err ext2_free_inode(struct ext2_fs *fs, uint32_t ino, bool dir);
/*
 * Maps logical block lblk of in, allocating it and the indirect blocks above it where
 * missing (searching from block goal). Sets *pblk, and *fresh when the data block is
 * new (its contents undefined). The caller writes in back, also after an error.
 */
enum ext2_err ext2_bmap_alloc(struct ext2_fs *fs, struct ext2_inode *in, uint32_t goal,
                              uint64_t lblk, uint32_t *pblk, bool *fresh);
/* Frees every block of in that maps logical block keep or later. */
enum ext2_err ext2_free_from(struct ext2_fs *fs, struct ext2_inode *in, uint64_t keep);

/* ext2_dir.c */
/* Frees inode ino (in) and its blocks, its last link gone (the hold callback not asked). */
enum ext2_err ext2_release_now(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);

#endif
