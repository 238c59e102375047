/*
 * ext2, the directory changes: create, mkdir, symlink, link, unlink, rmdir, rename.
 *
 * An entry is added in the first slack large enough (an entry's rec_len beyond its own
 * name, or a whole empty slot) or in a new block at the directory's end; one is
 * removed by giving its space to the entry before it in its block, or, when it is the
 * block's first, by zeroing its inode number. A changed directory loses the
 * hashed-index flag, as Linux's ext2 does: its index blocks read as empty entries to a
 * linear reader, so the directory stays valid without the index.
 *
 * Link counts follow POSIX: a directory has one for its entry, one for its "." and
 * one from each subdirectory's "..". Each call checks names, types, existence and
 * link counts before it changes anything; a failure after that (no space, a device
 * error) leaves nothing e2fsck would refuse.
 */
#include <string.h>

#include "ext2_int.h"

static enum ext2_err check_name(const char *name, size_t *len)
{
    *len = strnlen(name, EXT2_NAME_MAX + 1);
    if (*len > EXT2_NAME_MAX)
        return EXT2_ENAMETOOLONG;
    if (!*len || memchr(name, '/', *len) || !strcmp(name, ".") || !strcmp(name, ".."))
        return EXT2_EINVAL;
    return EXT2_OK;
}

static uint8_t ftype(const struct ext2_fs *fs, uint32_t mode)
{
    if (!(fs->incompat & EXT2_INCOMPAT_FT))
        return EXT2_FT_UNKNOWN;
    switch (mode & EXT2_S_IFMT) {
    case EXT2_S_IFREG:
        return EXT2_FT_REG;
    case EXT2_S_IFDIR:
        return EXT2_FT_DIR;
    case EXT2_S_IFLNK:
        return EXT2_FT_SYMLINK;
    case EXT2_S_IFCHR:
        return EXT2_FT_CHRDEV;
    case EXT2_S_IFBLK:
        return EXT2_FT_BLKDEV;
    case EXT2_S_IFIFO:
        return EXT2_FT_FIFO;
    case EXT2_S_IFSOCK:
        return EXT2_FT_SOCK;
    }
    return EXT2_FT_UNKNOWN;
}

static void put_dent(struct ext2_fs *fs, uint8_t *e, uint32_t ino, uint32_t rec_len,
                     const char *name, size_t len, uint8_t type)
{
    ext2_put32(e, ino);
    ext2_put16(e + 4, rec_len == 65536 ? 0xFFFF : rec_len);
    e[6] = (uint8_t)len;
    e[7] = type;
    memcpy(e + 8, name, len);
}

static uint32_t dent_size(size_t len)
{
    return (uint32_t)(8 + len + 3) & ~3u;
}

/* Reads directory block lblk of din into fs->data; sets *pb. */
static enum ext2_err dir_block(struct ext2_fs *fs, const struct ext2_inode *din, uint32_t lblk,
                               uint32_t *pb)
{
    enum ext2_err err = ext2_bmap(fs, din, lblk, pb);
    if (err)
        return err;
    if (!*pb)
        return EXT2_ECORRUPT;
    return ext2_bread(fs, *pb, fs->data);
}

static enum ext2_err dir_touch(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din)
{
    din->flags &= ~EXT2_INDEX_FL;
    din->mtime = din->ctime = ext2_now(fs);
    return ext2_iput(fs, dir, din, false);
}

/* Adds the entry name -> ino to directory dir (inode din, written back). */
static enum ext2_err dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
                             const char *name, size_t len, uint32_t ino, uint8_t type)
{
    uint32_t need = dent_size(len), nblk = (uint32_t)(din->size / fs->bs), pb;
    enum ext2_err err;
    for (uint32_t l = 0; l < nblk; l++) {
        if ((err = dir_block(fs, din, l, &pb)))
            return err;
        for (uint32_t o = 0; o < fs->bs;) {
            struct ext2_dent d;
            if ((err = ext2_dent_at(fs, fs->data, o, &d)))
                return err;
            uint32_t used = d.ino ? dent_size(d.name_len) : 0;
            if (d.rec_len - used >= need) {
                if (used)
                    ext2_put16(fs->data + o + 4, used);
                put_dent(fs, fs->data + o + used, ino, d.rec_len - used, name, len, type);
                if ((err = ext2_bwrite(fs, pb, fs->data)))
                    return err;
                return dir_touch(fs, dir, din);
            }
            o += d.rec_len;
        }
    }
    bool fresh;
    err = ext2_bmap_alloc(fs, din, fs->first_data_block, nblk, &pb, &fresh);
    if (!err) {
        memset(fs->data, 0, fs->bs);
        put_dent(fs, fs->data, ino, fs->bs, name, len, type);
        if (!(err = ext2_bwrite(fs, pb, fs->data)))
            din->size += fs->bs;
    }
    enum ext2_err ierr = dir_touch(fs, dir, din);
    return err ? err : ierr;
}

/* Removes the entry at (lblk, off), prev the entry before it (~0: none) from dir. */
static enum ext2_err dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
                                uint32_t lblk, uint32_t off, uint32_t prev)
{
    uint32_t pb;
    struct ext2_dent d;
    enum ext2_err err = dir_block(fs, din, lblk, &pb);
    if (err || (err = ext2_dent_at(fs, fs->data, off, &d)))
        return err;
    if (prev == ~0u)
        ext2_put32(fs->data + off, 0);
    else
        ext2_put16(fs->data + prev + 4,
                   off + d.rec_len - prev == 65536 ? 0xFFFF : off + d.rec_len - prev);
    if ((err = ext2_bwrite(fs, pb, fs->data)))
        return err;
    return dir_touch(fs, dir, din);
}

/* Points the entry at (lblk, off) of din at ino. */
static enum ext2_err dir_set(struct ext2_fs *fs, const struct ext2_inode *din, uint32_t lblk,
                             uint32_t off, uint32_t ino, uint8_t type)
{
    uint32_t pb;
    enum ext2_err err = dir_block(fs, din, lblk, &pb);
    if (err)
        return err;
    ext2_put32(fs->data + off, ino);
    if (fs->incompat & EXT2_INCOMPAT_FT)
        fs->data[off + 7] = type;
    return ext2_bwrite(fs, pb, fs->data);
}

/* Whether directory din holds anything but "." and "..". */
static enum ext2_err dir_empty(struct ext2_fs *fs, const struct ext2_inode *din)
{
    enum ext2_err err = ext2_dir_check(fs, din);
    uint32_t nblk = (uint32_t)(din->size / fs->bs), pb;
    for (uint32_t l = 0; l < nblk && !err; l++) {
        if ((err = dir_block(fs, din, l, &pb)))
            return err;
        for (uint32_t o = 0; o < fs->bs;) {
            struct ext2_dent d;
            if ((err = ext2_dent_at(fs, fs->data, o, &d)))
                return err;
            bool dots = (d.name_len == 1 && d.name[0] == '.') ||
                        (d.name_len == 2 && d.name[0] == '.' && d.name[1] == '.');
            if (d.ino && !dots)
                return EXT2_ENOTEMPTY;
            o += d.rec_len;
        }
    }
    return err;
}

/* Adds delta to inode ino's link count. */
static enum ext2_err add_links(struct ext2_fs *fs, uint32_t ino, int delta)
{
    struct ext2_inode in;
    enum ext2_err err = ext2_iget(fs, ino, &in);
    if (err)
        return err;
    in.links = (uint32_t)((int)in.links + delta) & 0xFFFF;
    in.ctime = ext2_now(fs);
    return ext2_iput(fs, ino, &in, false);
}

enum ext2_err ext2_release_now(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
    enum ext2_err err = EXT2_OK;
    if (!ext2_fast_link(fs, in))
        err = ext2_free_from(fs, in, 0);
    bool dir = ext2_is_dir(in);
    in->links = 0;
    in->size = 0;
    in->dtime = ext2_now(fs) ? ext2_now(fs) : 1;
    enum ext2_err ierr = ext2_iput(fs, ino, in, false);
    if (err || ierr)
        return err ? err : ierr;
    return ext2_free_inode(fs, ino, dir);
}

/*
 * Puts inode ino (in) on the orphan list: no link, kept until ext2_orphan_free. The
 * inode is written before the list head points at it; a directory's blocks go now.
 */
static enum ext2_err orphan(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
    enum ext2_err err = EXT2_OK;
    if (ext2_is_dir(in)) {
        err = ext2_free_from(fs, in, 0);
        in->size = 0;
    }
    in->links = 0;
    in->dtime = ext2_get32(fs->sb + EXT2_SB_LAST_ORPHAN);
    in->ctime = ext2_now(fs);
    enum ext2_err ierr = ext2_iput(fs, ino, in, false);
    if (err || ierr)
        return err ? err : ierr;
    ext2_put32(fs->sb + EXT2_SB_LAST_ORPHAN, ino);
    fs->sb_dirty = true;
    return EXT2_OK;
}

/* Its last link is gone: inode ino is freed, or orphaned when the server holds it. */
static enum ext2_err release(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
    if (fs->hold && fs->hold(fs->hold_ctx, ino))
        return orphan(fs, ino, in);
    return ext2_release_now(fs, ino, in);
}

static enum ext2_err drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
    if (in->links > 1) {
        in->links--;
        in->ctime = ext2_now(fs);
        return ext2_iput(fs, ino, in, false);
    }
    return release(fs, ino, in);
}

/*
 * Refuses to free an inode (a directory, or a file's last link) that has an extended
 * attribute block: the block may be shared, and this library does not count its users.
 */
static enum ext2_err check_free(const struct ext2_inode *in)
{
    return (ext2_is_dir(in) || in->links <= 1) && in->file_acl ? EXT2_EFEATURE : EXT2_OK;
}

/* Checks that name may be created in dir (inode *din read). */
static enum ext2_err prepare(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
                             const char *name, size_t *len)
{
    enum ext2_err err;
    uint32_t ino;
    if (fs->rdonly)
        return EXT2_EROFS;
    if ((err = check_name(name, len)) || (err = ext2_iget(fs, dir, din)))
        return err;
    if (!ext2_is_dir(din))
        return EXT2_ENOTDIR;
    if (!din->links)
        return EXT2_ENOENT; /* removed */
    err = ext2_find(fs, dir, din, name, *len, &ino, NULL, NULL, NULL);
    return err == EXT2_ENOENT ? EXT2_OK : err ? err : EXT2_EEXIST;
}

/* Allocates and writes a new inode of mode, one link, near dir. */
static enum ext2_err new_inode(struct ext2_fs *fs, uint32_t dir, uint32_t mode, uint32_t uid,
                               uint32_t gid, uint32_t *ino, struct ext2_inode *in)
{
    enum ext2_err err =
        ext2_alloc_inode(fs, dir, ext2_is_dir(&(struct ext2_inode){.mode = mode}), ino);
    if (err)
        return err;
    memset(in, 0, sizeof(*in));
    in->mode = mode;
    in->uid = uid;
    in->gid = gid;
    in->links = 1;
    in->atime = in->ctime = in->mtime = ext2_now(fs);
    return ext2_iput(fs, *ino, in, true);
}

/* Undoes new_inode after a later step failed; the first error is returned. */
static enum ext2_err undo(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
                          enum ext2_err err)
{
    ext2_release_now(fs, ino, in);
    return ext2_finish(fs, err);
}

enum ext2_err ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, uint32_t mode,
                          uint32_t uid, uint32_t gid, uint32_t *ino)
{
    struct ext2_inode din, in;
    size_t len;
    enum ext2_err err = prepare(fs, dir, &din, name, &len);
    if (err)
        return err;
    mode = EXT2_S_IFREG | (mode & 07777);
    if ((err = new_inode(fs, dir, mode, uid, gid, ino, &in)))
        return ext2_finish(fs, err);
    if ((err = dir_add(fs, dir, &din, name, len, *ino, ftype(fs, mode))))
        return undo(fs, *ino, &in, err);
    return ext2_finish(fs, EXT2_OK);
}

enum ext2_err ext2_mkdir(struct ext2_fs *fs, uint32_t dir, const char *name, uint32_t mode,
                         uint32_t uid, uint32_t gid, uint32_t *ino)
{
    struct ext2_inode din, in;
    size_t len;
    uint32_t pb;
    bool fresh;
    enum ext2_err err = prepare(fs, dir, &din, name, &len);
    if (err)
        return err;
    if (din.links >= EXT2_LINK_MAX)
        return EXT2_EMLINK;
    mode = EXT2_S_IFDIR | (mode & 07777);
    if ((err = new_inode(fs, dir, mode, uid, gid, ino, &in)))
        return ext2_finish(fs, err);
    uint32_t goal = fs->first_data_block + (*ino - 1) / fs->inodes_per_group * fs->blocks_per_group;
    if ((err = ext2_bmap_alloc(fs, &in, goal, 0, &pb, &fresh)))
        return undo(fs, *ino, &in, err);
    memset(fs->data, 0, fs->bs);
    put_dent(fs, fs->data, *ino, 12, ".", 1, ftype(fs, mode));
    put_dent(fs, fs->data + 12, dir, fs->bs - 12, "..", 2, ftype(fs, mode));
    in.size = fs->bs;
    in.links = 2;
    if ((err = ext2_bwrite(fs, pb, fs->data)) || (err = ext2_iput(fs, *ino, &in, false)) ||
        (err = dir_add(fs, dir, &din, name, len, *ino, ftype(fs, mode))))
        return undo(fs, *ino, &in, err);
    return ext2_finish(fs, add_links(fs, dir, 1));
}

enum ext2_err ext2_symlink(struct ext2_fs *fs, uint32_t dir, const char *name, const char *target,
                           uint32_t uid, uint32_t gid, uint32_t *ino)
{
    struct ext2_inode din, in;
    size_t len, tlen = strnlen(target, fs->bs);
    enum ext2_err err = prepare(fs, dir, &din, name, &len);
    if (err)
        return err;
    if (!tlen)
        return EXT2_EINVAL;
    if (tlen >= fs->bs)
        return EXT2_ENAMETOOLONG;
    uint32_t mode = EXT2_S_IFLNK | 0777;
    if ((err = new_inode(fs, dir, mode, uid, gid, ino, &in)))
        return ext2_finish(fs, err);
    if (tlen < EXT2_FAST_LINK_MAX) {
        uint8_t raw[EXT2_FAST_LINK_MAX] = {0};
        memcpy(raw, target, tlen);
        for (int i = 0; i < EXT2_NBLOCKS; i++)
            in.block[i] = ext2_get32(raw + 4 * i);
    } else {
        uint32_t pb;
        bool fresh;
        if ((err = ext2_bmap_alloc(fs, &in, fs->first_data_block, 0, &pb, &fresh)))
            return undo(fs, *ino, &in, err);
        memset(fs->data, 0, fs->bs);
        memcpy(fs->data, target, tlen);
        if ((err = ext2_bwrite(fs, pb, fs->data)))
            return undo(fs, *ino, &in, err);
    }
    in.size = tlen;
    if ((err = ext2_iput(fs, *ino, &in, false)) ||
        (err = dir_add(fs, dir, &din, name, len, *ino, ftype(fs, mode))))
        return undo(fs, *ino, &in, err);
    return ext2_finish(fs, EXT2_OK);
}

enum ext2_err ext2_link(struct ext2_fs *fs, uint32_t dir, const char *name, uint32_t ino)
{
    struct ext2_inode din, in;
    size_t len;
    enum ext2_err err = prepare(fs, dir, &din, name, &len);
    if (err || (err = ext2_iget(fs, ino, &in)))
        return err;
    if (ext2_is_dir(&in))
        return EXT2_EISDIR;
    if (!in.links)
        return EXT2_ENOENT;
    if (in.links >= EXT2_LINK_MAX)
        return EXT2_EMLINK;
    if ((err = dir_add(fs, dir, &din, name, len, ino, ftype(fs, in.mode))))
        return ext2_finish(fs, err);
    return ext2_finish(fs, add_links(fs, ino, 1));
}

/* Finds name in dir for removal: the entry's place, the inode and its contents. */
struct victim {
    struct ext2_inode din, in;
    uint32_t ino, lblk, off, prev;
};

static enum ext2_err find_victim(struct ext2_fs *fs, uint32_t dir, const char *name,
                                 struct victim *v)
{
    size_t len;
    enum ext2_err err;
    if (fs->rdonly)
        return EXT2_EROFS;
    if ((err = check_name(name, &len)) || (err = ext2_iget(fs, dir, &v->din)) ||
        (err = ext2_find(fs, dir, &v->din, name, len, &v->ino, &v->lblk, &v->off, &v->prev)))
        return err;
    return ext2_iget(fs, v->ino, &v->in);
}

enum ext2_err ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name)
{
    struct victim v;
    enum ext2_err err = find_victim(fs, dir, name, &v);
    if (err)
        return err;
    if (ext2_is_dir(&v.in))
        return EXT2_EISDIR;
    if ((err = check_free(&v.in)))
        return err;
    if ((err = dir_remove(fs, dir, &v.din, v.lblk, v.off, v.prev)))
        return ext2_finish(fs, err);
    return ext2_finish(fs, drop_link(fs, v.ino, &v.in));
}

enum ext2_err ext2_rmdir(struct ext2_fs *fs, uint32_t dir, const char *name)
{
    struct victim v;
    enum ext2_err err = find_victim(fs, dir, name, &v);
    if (err)
        return err;
    if (!ext2_is_dir(&v.in))
        return EXT2_ENOTDIR;
    if (v.ino == EXT2_ROOT_INO)
        return EXT2_EINVAL;
    if ((err = dir_empty(fs, &v.in)) || (err = check_free(&v.in)))
        return err;
    if ((err = dir_remove(fs, dir, &v.din, v.lblk, v.off, v.prev)) ||
        (err = release(fs, v.ino, &v.in)))
        return ext2_finish(fs, err);
    return ext2_finish(fs, add_links(fs, dir, -1));
}

/* Refuses (EXT2_EINVAL) a directory dir that is sub or below it: walks ".." up to the root. */
static enum ext2_err check_not_below(struct ext2_fs *fs, uint32_t sub, uint32_t dir)
{
    for (uint32_t steps = 0; steps <= fs->inodes_count; steps++) {
        if (dir == sub)
            return EXT2_EINVAL;
        if (dir == EXT2_ROOT_INO)
            return EXT2_OK;
        uint32_t up;
        enum ext2_err err = ext2_lookup_at(fs, dir, "..", 2, &up);
        if (err)
            return err;
        if (up == dir)
            return EXT2_ECORRUPT; /* only the root is its own parent */
        dir = up;
    }
    return EXT2_ECORRUPT; /* a ".." cycle that misses the root */
}

enum ext2_err ext2_rename(struct ext2_fs *fs, uint32_t odir, const char *oname, uint32_t ndir,
                          const char *nname)
{
    struct victim s;
    struct ext2_inode ndin, tin;
    size_t nlen, olen;
    uint32_t tino, tlblk, toff;
    enum ext2_err err = find_victim(fs, odir, oname, &s);
    if (err || (err = check_name(nname, &nlen)) || (err = ext2_iget(fs, ndir, &ndin)))
        return err;
    olen = strlen(oname);
    bool sdir = ext2_is_dir(&s.in), moved = sdir && odir != ndir;
    if (!ext2_is_dir(&ndin))
        return EXT2_ENOTDIR;
    if (!ndin.links)
        return EXT2_ENOENT;
    if (moved && ((err = check_not_below(fs, s.ino, ndir)) || (err = ext2_iget(fs, ndir, &ndin))))
        return err;
    err = ext2_find(fs, ndir, &ndin, nname, nlen, &tino, &tlblk, &toff, NULL);
    bool replace = !err;
    if (err && err != EXT2_ENOENT)
        return err;
    if (replace) {
        if (tino == s.ino)
            return EXT2_OK; /* two links to one file: nothing to do */
        if ((err = ext2_iget(fs, tino, &tin)))
            return err;
        if (sdir && !ext2_is_dir(&tin))
            return EXT2_ENOTDIR;
        if (!sdir && ext2_is_dir(&tin))
            return EXT2_EISDIR;
        if ((ext2_is_dir(&tin) && (err = dir_empty(fs, &tin))) || (err = check_free(&tin)))
            return err;
    } else if (moved && ndin.links >= EXT2_LINK_MAX) {
        return EXT2_EMLINK;
    }
    /* Checked: from here on, the new name first, then the old one goes. */
    if (replace)
        err = dir_set(fs, &ndin, tlblk, toff, s.ino, ftype(fs, s.in.mode));
    else
        err = dir_add(fs, ndir, &ndin, nname, nlen, s.ino, ftype(fs, s.in.mode));
    if (err)
        return ext2_finish(fs, err);
    if ((err = ext2_iget(fs, odir, &s.din)) ||
        (err = ext2_find(fs, odir, &s.din, oname, olen, &s.ino, &s.lblk, &s.off, &s.prev)) ||
        (err = dir_remove(fs, odir, &s.din, s.lblk, s.off, s.prev)))
        return ext2_finish(fs, err);
    if (replace && ext2_is_dir(&tin))
        err = release(fs, tino, &tin);
    else if (replace)
        err = drop_link(fs, tino, &tin);
    if (!err && replace && ext2_is_dir(&tin))
        err = add_links(fs, ndir, -1);
    if (!err && moved) {
        uint32_t dd, dl, doff;
        if (!(err = ext2_iget(fs, s.ino, &s.in)) &&
            !(err = ext2_find(fs, s.ino, &s.in, "..", 2, &dd, &dl, &doff, NULL)) &&
            !(err = dir_set(fs, &s.in, dl, doff, ndir, ftype(fs, EXT2_S_IFDIR))) &&
            !(err = add_links(fs, odir, -1)))
            err = add_links(fs, ndir, 1);
    }
    if (!err && !(err = ext2_iget(fs, s.ino, &s.in))) {
        s.in.ctime = ext2_now(fs);
        err = ext2_iput(fs, s.ino, &s.in, false);
    }
    return ext2_finish(fs, err);
}

void ext2_set_hold(struct ext2_fs *fs, bool (*hold)(void *ctx, uint32_t ino), void *ctx)
{
    fs->hold = hold;
    fs->hold_ctx = ctx;
}

/* An orphan list entry must be a non-reserved inode of the table. */
static bool orphan_ok(const struct ext2_fs *fs, uint32_t ino)
{
    return ino >= fs->first_ino && ino <= fs->inodes_count;
}

/* Unlinks ino (whose successor is next) from the orphan list; EXT2_ENOENT if absent. */
static enum ext2_err unchain(struct ext2_fs *fs, uint32_t ino, uint32_t next)
{
    uint32_t cur = ext2_get32(fs->sb + EXT2_SB_LAST_ORPHAN);
    if (cur == ino) {
        ext2_put32(fs->sb + EXT2_SB_LAST_ORPHAN, next);
        fs->sb_dirty = true;
        return EXT2_OK;
    }
    for (uint32_t steps = 0; cur && steps < fs->inodes_count; steps++) {
        struct ext2_inode in;
        enum ext2_err err;
        if (!orphan_ok(fs, cur))
            return EXT2_ECORRUPT;
        if ((err = ext2_iget(fs, cur, &in)))
            return err;
        if (in.dtime == ino) {
            in.dtime = next;
            return ext2_iput(fs, cur, &in, false);
        }
        cur = in.dtime;
    }
    return cur ? EXT2_ECORRUPT : EXT2_ENOENT;
}

enum ext2_err ext2_orphan_free(struct ext2_fs *fs, uint32_t ino)
{
    struct ext2_inode in;
    enum ext2_err err;
    if (fs->rdonly)
        return EXT2_EROFS;
    if (!orphan_ok(fs, ino))
        return EXT2_EINVAL;
    if ((err = ext2_iget(fs, ino, &in)))
        return err;
    if (in.links)
        return EXT2_EINVAL;
    /* Off the list first: a crash then leaves an unattached inode e2fsck frees. */
    err = unchain(fs, ino, in.dtime);
    if (err && err != EXT2_ENOENT)
        return ext2_finish(fs, err);
    return ext2_finish(fs, ext2_release_now(fs, ino, &in));
}

enum ext2_err ext2_orphans_release(struct ext2_fs *fs, uint32_t *count)
{
    enum ext2_err err = EXT2_OK;
    uint32_t n = 0;
    if (count)
        *count = 0;
    if (fs->rdonly)
        return EXT2_EROFS;
    uint32_t cur = ext2_get32(fs->sb + EXT2_SB_LAST_ORPHAN);
    for (uint32_t steps = 0; cur && !err; steps++) {
        struct ext2_inode in;
        if (steps >= fs->inodes_count || !orphan_ok(fs, cur)) {
            err = EXT2_ECORRUPT;
            break;
        }
        if ((err = ext2_iget(fs, cur, &in)))
            break;
        uint32_t next = in.dtime;
        /* Each inode leaves the list before it is freed (a crash now loses nothing). */
        ext2_put32(fs->sb + EXT2_SB_LAST_ORPHAN, next);
        fs->sb_dirty = true;
        if (in.links) {
            in.dtime = 0; /* on the list to be truncated (ext3): here, only taken off */
            err = ext2_iput(fs, cur, &in, false);
        } else if (in.file_acl) {
            err = EXT2_EFEATURE; /* never orphaned by this library: see check_free */
        } else if (!(err = ext2_release_now(fs, cur, &in))) {
            n++;
        }
        cur = next;
    }
    if (err) {
        ext2_put32(fs->sb + EXT2_SB_LAST_ORPHAN, 0);
        fs->sb_dirty = true;
    }
    if (count)
        *count = n;
    return ext2_finish(fs, err);
}
