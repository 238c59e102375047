/*
 * ext2: the second extended file system as a pure library (docs/storage.md, "ext2";
 * decision 116). It knows nothing of drivers or IPC: it reads and writes a block
 * device through three callbacks and takes its buffers from an allocator callback, so
 * the same code runs in a file server and in the host tests. Freestanding C: it uses
 * only the string functions of <string.h>.
 *
 * Files are named by inode number; a directory operation takes the directory's inode
 * and one name (a component, no '/'). ext2_lookup resolves a whole path from the root
 * without following symbolic links. Every function returns an enum ext2_err; nothing
 * a disk image contains can make one crash or loop without bound.
 */
#ifndef WF_FS_EXT2_H
#define WF_FS_EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ext2_err {
    EXT2_OK = 0,
    EXT2_EIO,          /* the device's read or write callback failed */
    EXT2_ENOMEM,       /* the allocator callback returned NULL */
    EXT2_EBADFS,       /* no ext2 superblock (magic), or an unknown revision */
    EXT2_EBLOCKSIZE,   /* block size outside 1 KiB..64 KiB, or smaller than the device's */
    EXT2_EFEATURE,     /* an incompatible feature this library does not implement */
    EXT2_EROFS,        /* mounted read-only (asked, or a read-only-compatible feature) */
    EXT2_ECORRUPT,     /* on-disk structures are inconsistent */
    EXT2_ENOENT,       /* no such name */
    EXT2_ENOTDIR,      /* a directory was needed */
    EXT2_EISDIR,       /* a directory was not allowed */
    EXT2_EEXIST,       /* the name exists already */
    EXT2_ENOTEMPTY,    /* rmdir or rename over a directory with entries */
    EXT2_ENOSPC,       /* no free block or inode */
    EXT2_ENAMETOOLONG, /* a name longer than 255 bytes, or a symlink target too long */
    EXT2_EINVAL,       /* bad argument: empty name, ".", "..", a directory into itself */
    EXT2_EFBIG,        /* past the largest file the block map can describe */
    EXT2_EMLINK,       /* too many links to one inode */
    EXT2_ERANGE,       /* the caller's buffer is too small */
};

/* Returns a short English name of err (never NULL). */
const char *ext2_strerror(enum ext2_err err);

/*
 * The block device. read and write move one device block of block_size bytes (a
 * power of two from 512 to 65536) and return 0 on success, anything else on failure.
 * block_count is the device's size in blocks. write may be NULL for a read-only mount.
 */
struct ext2_blockdev {
    void *ctx;
    int (*read)(void *ctx, uint64_t block, void *buf);
    int (*write)(void *ctx, uint64_t block, const void *buf);
    uint32_t block_size;
    uint64_t block_count;
};

/*
 * Memory and time. alloc returns size bytes (any alignment of 8) or NULL; free gives
 * them back. now, if not NULL, gives the time stamped on inodes (seconds since 1970).
 */
struct ext2_env {
    void *ctx;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *p, size_t size);
    uint32_t (*now)(void *ctx);
};

#define EXT2_ROOT_INO 2
#define EXT2_NAME_MAX 255

/* Mount flags. */
#define EXT2_MOUNT_RDONLY 1u

/* File types in ext2_stat.mode (the top four bits, as POSIX's S_IFMT). */
#define EXT2_S_IFMT   0xF000u
#define EXT2_S_IFSOCK 0xC000u
#define EXT2_S_IFLNK  0xA000u
#define EXT2_S_IFREG  0x8000u
#define EXT2_S_IFBLK  0x6000u
#define EXT2_S_IFDIR  0x4000u
#define EXT2_S_IFCHR  0x2000u
#define EXT2_S_IFIFO  0x1000u

/* Directory entry types (ext2_dirent.type). */
enum ext2_ftype {
    EXT2_FT_UNKNOWN = 0,
    EXT2_FT_REG = 1,
    EXT2_FT_DIR = 2,
    EXT2_FT_CHRDEV = 3,
    EXT2_FT_BLKDEV = 4,
    EXT2_FT_FIFO = 5,
    EXT2_FT_SOCK = 6,
    EXT2_FT_SYMLINK = 7,
};

/* A mounted file system. Its fields are the library's; callers only pass it. */
struct ext2_fs {
    struct ext2_blockdev dev;
    struct ext2_env env;
    bool rdonly;
    bool sb_dirty;
    bool gd_dirty;
    uint32_t bs;         /* file system block size */
    uint32_t per_block;  /* block numbers in an indirect block */
    uint32_t dev_per_fs; /* device blocks in one file system block */
    uint32_t blocks_count;
    uint32_t inodes_count;
    uint32_t first_data_block;
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t inode_size;
    uint32_t first_ino;
    uint32_t groups;
    uint32_t gdt_blocks;
    uint32_t itable_blocks;
    uint32_t rev;
    uint32_t incompat, ro_compat;
    uint8_t *sb;         /* the 1024-byte superblock */
    uint8_t *gdt;        /* the group descriptor table, gdt_blocks blocks */
    uint8_t *ind[3];     /* indirect blocks, one per level */
    uint32_t ind_blk[3]; /* which block ind[i] holds (0: none) */
    uint8_t *data;       /* file and directory data */
    uint8_t *bitmap;     /* a block or inode bitmap */
    uint8_t *itab;       /* a block of the inode table */
    uint8_t *mem;        /* everything above, one allocation */
    size_t mem_size;
    /* ext2_set_hold's callback (NULL: every inode is freed with its last link). */
    bool (*hold)(void *ctx, uint32_t ino);
    void *hold_ctx;
};

struct ext2_stat {
    uint32_t ino;
    uint32_t mode; /* type (EXT2_S_IF*) and permission bits */
    uint32_t links;
    uint32_t uid, gid;
    uint64_t size;
    uint64_t blocks; /* 512-byte units held, metadata included */
    uint32_t atime, mtime, ctime;
    uint32_t flags;
};

struct ext2_dirent {
    uint32_t ino;
    uint8_t type; /* enum ext2_ftype; EXT2_FT_UNKNOWN without the filetype feature */
    uint8_t name_len;
    char name[EXT2_NAME_MAX + 1]; /* NUL-terminated */
};

/*
 * Mounts the file system on dev: reads and checks the superblock and the group
 * descriptors (docs/storage.md lists every check). flags: EXT2_MOUNT_RDONLY. A file
 * system with a read-only-compatible feature this library does not know mounts only
 * read-only (EXT2_EROFS otherwise). Returns EXT2_OK and fills fs, or an error and
 * holds nothing.
 */
enum ext2_err ext2_mount(struct ext2_fs *fs, const struct ext2_blockdev *dev,
                         const struct ext2_env *env, unsigned flags);

/* Writes back what is pending (ext2_sync) and frees fs's memory. */
enum ext2_err ext2_unmount(struct ext2_fs *fs);

/* Writes the superblock and group descriptors if they changed. */
enum ext2_err ext2_sync(struct ext2_fs *fs);

/*
 * Resolves path from the root: components separated by '/', "." and ".." as the
 * directories hold them, symbolic links not followed (one in the middle gives
 * EXT2_ENOTDIR). Sets *ino.
 */
enum ext2_err ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino);

/* Looks up one name (len bytes, no '/') in directory dir. Sets *ino. */
enum ext2_err ext2_lookup_at(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
                             uint32_t *ino);

/* Fills *st for inode ino. */
enum ext2_err ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st);

/*
 * Reads up to len bytes of file ino from offset off into buf; holes read as zeros.
 * Sets *done to the bytes read (0 at or past the end). A directory reads as its raw
 * blocks.
 */
enum ext2_err ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t len,
                        size_t *done);

/*
 * Returns the next entry of directory dir from position *pos (start at 0) in *ent and
 * advances *pos; sets *end instead when none is left. Empty slots are skipped; "."
 * and ".." are returned as the directory holds them.
 */
enum ext2_err ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *pos, struct ext2_dirent *ent,
                           bool *end);

/* Copies symbolic link ino's target into buf (cap bytes, NUL added); sets *len. */
enum ext2_err ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t cap, size_t *len);

/*
 * Writes len bytes from buf into regular file ino at offset off, allocating blocks
 * (and indirect blocks) as needed, and extends the size. Sets *done to the bytes
 * written; EXT2_ENOSPC or EXT2_EFBIG may come with *done > 0.
 */
enum ext2_err ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf,
                         size_t len, size_t *done);

/* Sets regular file ino's size; blocks past it are freed, an extension reads as zeros. */
enum ext2_err ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);

/*
 * Creates in directory dir: an empty regular file (ext2_create), a directory
 * (ext2_mkdir) or a symbolic link to target (ext2_symlink). mode gives the permission
 * bits (the low 12); uid and gid the owner. Sets *ino to the new inode.
 */
enum ext2_err ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, uint32_t mode,
                          uint32_t uid, uint32_t gid, uint32_t *ino);
enum ext2_err ext2_mkdir(struct ext2_fs *fs, uint32_t dir, const char *name, uint32_t mode,
                         uint32_t uid, uint32_t gid, uint32_t *ino);
enum ext2_err ext2_symlink(struct ext2_fs *fs, uint32_t dir, const char *name, const char *target,
                           uint32_t uid, uint32_t gid, uint32_t *ino);

/* Adds name in dir for existing inode ino (not a directory). */
enum ext2_err ext2_link(struct ext2_fs *fs, uint32_t dir, const char *name, uint32_t ino);

/* Removes name (not a directory) from dir; the inode is freed with its last link. */
enum ext2_err ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name);

/* Removes the empty directory name from dir. */
enum ext2_err ext2_rmdir(struct ext2_fs *fs, uint32_t dir, const char *name);

/*
 * Moves name in odir to nname in ndir. An existing nname is replaced: a file by a
 * file, an empty directory by a directory. A directory cannot move below itself.
 */
enum ext2_err ext2_rename(struct ext2_fs *fs, uint32_t odir, const char *oname, uint32_t ndir,
                          const char *nname);

/* ext2_setattr's mask: which fields to set. */
#define EXT2_SET_MODE  1u /* the permission bits (the low 12) */
#define EXT2_SET_OWNER 2u /* uid and gid */
#define EXT2_SET_ATIME 4u
#define EXT2_SET_MTIME 8u

/* Sets inode ino's attributes named in mask (and its ctime to now). */
enum ext2_err ext2_setattr(struct ext2_fs *fs, uint32_t ino, unsigned mask, uint32_t mode,
                           uint32_t uid, uint32_t gid, uint32_t atime, uint32_t mtime);

struct ext2_statfs {
    uint32_t block_size;
    uint32_t blocks, free_blocks;
    uint32_t inodes, free_inodes;
    bool rdonly;
};

/* The sizes and free counts of the file system (the superblock's). */
void ext2_statfs(const struct ext2_fs *fs, struct ext2_statfs *out);

/*
 * Orphans: unlink while open. A server that keeps inodes in use past their last link
 * sets a hold callback after mounting. When an inode's last link goes (unlink, rmdir,
 * rename over it), the library asks hold(ctx, ino); true keeps the inode: its link
 * count becomes 0 and it joins the superblock's orphan list (s_last_orphan, chained
 * through i_dtime, as ext3 and ext4 do); a directory's blocks are freed at once, a
 * file's stay readable and writable. ext2_orphan_free frees it when the server is
 * done with it; after a crash, ext2_orphans_release (at mount) frees every inode left
 * on the list, and e2fsck -p does the same.
 */
void ext2_set_hold(struct ext2_fs *fs, bool (*hold)(void *ctx, uint32_t ino), void *ctx);

/* Takes orphan ino (link count 0) off the orphan list and frees it and its blocks. */
enum ext2_err ext2_orphan_free(struct ext2_fs *fs, uint32_t ino);

/*
 * Frees every inode on the orphan list (an inode on it that still has links is only
 * taken off) and empties the list; *count (if not NULL) gets how many were freed. A
 * list that leaves the inode table or loops stops with EXT2_ECORRUPT, the list head
 * cleared.
 */
enum ext2_err ext2_orphans_release(struct ext2_fs *fs, uint32_t *count);

#endif
