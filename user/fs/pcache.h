/*
 * The file server's page cache (pcache.c; docs/storage.md, "The page cache";
 * decision 135): a backend (vfs.h) wrapped around another, whose files' data
 * lives in memory objects of the server's (VMOs: one per cached file, sized to
 * the file in whole pages) while the files are open, and after for a backend
 * that asks for it (ext2: a warm cache).
 *
 * - Reads fill the pages they touch from the backend and copy out of the
 *   object; writes copy into it and mark the pages dirty; Stat reports the
 *   cached size. Dirty pages go back to the backend (in ascending page order,
 *   one write per run of dirty pages, files in the order they were first
 *   dirtied) on fsync, at the last close of the file, at unmount, and when
 *   the memory runs short (pcache_shrink); then the backend's own fsync.
 * - Map fills a range and gives the server the object (it hands out a cap):
 *   a file mapped writable counts every page it holds as dirty, since a store
 *   through a mapping leaves no trace the server can see. At the last close a
 *   mapped file is written back and its object destroyed (the mappings go).
 * - Truncate applies to the backend at once and cuts the object (its mappings
 *   lose the pages past the end).
 * - Memory: before it grows an object the cache asks the server whether its
 *   pool is tight and shrinks first: every cache's clean objects that are not
 *   mapped, least recently used first, then the dirty ones (written back).
 *   When that is not enough a file that is not mapped is read and written
 *   straight through the backend, uncached.
 *
 * Pure code: the objects are reached through struct pcache_vm (the server's
 * VMO calls, or arrays in the host tests). One thread at a time.
 */
#ifndef WEFT_FS_PCACHE_H
#define WEFT_FS_PCACHE_H

#include <stdbool.h>

#include "vfs.h"

#define PCACHE_PAGE     4096u
#define PCACHE_FILE_MAX (1ull << 30) /* larger files are not cached (and cannot be mapped) */

/* The memory objects. Each call returns 0 or a negative errno. */
struct pcache_vm {
    void *ctx;
    /* A new, zero-filled object of size bytes (a multiple of PCACHE_PAGE). */
    int (*create)(void *ctx, uint64_t size, uint64_t *obj);
    /* New size: shrinking drops the pages past it (and their mappings);
     * growing adds zero pages. */
    int (*resize)(void *ctx, uint64_t obj, uint64_t size);
    int (*read)(void *ctx, uint64_t obj, uint64_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t obj, uint64_t off, const void *buf, size_t len);
    /* Destroys it, with every cap given out for it (their mappings go). */
    void (*destroy)(void *ctx, uint64_t obj);
    /* True when the pool is nearly full: the cache shrinks before growing. */
    bool (*tight)(void *ctx);
};

/* What the cache holds (pcache_stats). */
struct pcache_stats {
    uint64_t files;       /* files with an object */
    uint64_t bytes;       /* their objects' sizes */
    uint64_t dirty_pages; /* pages marked dirty (a writable mapping's not counted) */
    uint64_t writebacks;  /* backend writes made by write-back so far */
};

enum {
    PCACHE_KEEP = 1, /* cache every open file's reads and writes, and keep them after the close */
};

/* Wraps the backend (ops, fs): *out is the cache, its operations
 * pcache_ops_of(*out). flags: PCACHE_KEEP, or 0 (a backend whose data is in
 * memory already, tmpfs: only mapped files get an object, until their last
 * close). -ENOMEM. */
int pcache_new(const struct vfs_env *env, const struct pcache_vm *vm, const struct vfs_ops *ops,
               void *fs, unsigned flags, void **out);
const struct vfs_ops *pcache_ops_of(void *pc);
/* The backend it wraps. */
void *pcache_inner(void *pc);
/* True when ops are a cache's (its fs is then the cache). */
bool pcache_of(const struct vfs_ops *ops);
/* Touches the cache's copy buffer (the server: at start, so that no later
 * touch can find its pool full). */
void pcache_start(void);

/* Fills [off, off + len) of open file n (clipped to the file) and returns its
 * object in *obj and the object's size in *size. writable: the mapping may
 * write (every page counts as dirty until the last close). -EBADF for a file
 * not open, -EFBIG beyond PCACHE_FILE_MAX, -EINVAL for an unaligned offset,
 * -ENOSPC. */
int pcache_map(void *pc, vfs_node n, uint64_t off, uint64_t len, bool writable, uint64_t *obj,
               uint64_t *size);

/* Frees memory: every object that is not mapped and not dirty, and with
 * dirty also the dirty ones (written back first). Returns the bytes of the
 * objects destroyed. pcache_shrink_all does it for every cache. */
uint64_t pcache_shrink(void *pc, bool dirty);
uint64_t pcache_shrink_all(bool dirty);

void pcache_stats(void *pc, struct pcache_stats *out);

#endif
