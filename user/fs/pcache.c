/*
 * The file server's page cache: a backend wrapped around another, file data
 * in memory objects (pcache.h; docs/storage.md, "The page cache"; decision
 * 135).
 */
#include "pcache.h"

#include <string.h>

#define PG           PCACHE_PAGE
#define CHUNK        65536u /* bytes one copy between object and backend moves */
#define ENTRIES_KEEP 64u    /* closed files kept cached (PCACHE_KEEP), at most */

struct entry {
    vfs_node node;
    bool live;         /* the slot is used */
    bool mapped;       /* caps to the object were given out */
    bool mapped_w;     /* ... with the right to write: every page counts as dirty */
    unsigned opens;    /* open files (opened / closing) */
    uint64_t obj;      /* the object (has_obj) */
    bool has_obj;      /* false: the file is read and written through the backend */
    uint64_t size;     /* the file's size while has_obj */
    uint64_t pages;    /* object size / PG */
    uint8_t *valid;    /* a bit per page: holds the file's data */
    uint8_t *dirty;    /* a bit per page: written since the last write-back */
    size_t bm_bytes;   /* bytes of each bitmap */
    uint64_t dirty_at; /* when first dirtied since the last write-back (0: clean) */
    uint64_t used;     /* last access (least recently used goes first) */
    uint64_t wb_at;    /* last written back by writeback_all */
    int error;         /* a write-back error not yet reported (negative errno) */
};

struct pcache {
    struct vfs_ops ops;
    struct vfs_env env;
    struct pcache_vm vm;
    const struct vfs_ops *in;
    void *fs;
    unsigned flags;
    bool ro; /* the backend refuses changes: writes go straight to it */
    struct entry *e;
    unsigned ne; /* slots in e */
    uint64_t tick;
    uint64_t writebacks;
    struct pcache *next; /* every cache (pcache_shrink_all) */
};

static struct pcache *caches;
static struct entry *pinned;   /* growing its bitmaps: an allocation may shrink the caches */
static uint8_t scratch[CHUNK]; /* one thread: shared by every cache */

static bool bit(const uint8_t *m, uint64_t i)
{
    return m[i / 8] >> (i % 8) & 1;
}

static void set_bit(uint8_t *m, uint64_t i, bool on)
{
    if (on)
        m[i / 8] |= (uint8_t)(1u << (i % 8));
    else
        m[i / 8] &= (uint8_t) ~(1u << (i % 8));
}

static uint64_t pages_for(uint64_t size)
{
    uint64_t p = (size + PG - 1) / PG;
    return p ? p : 1;
}

static struct entry *find(struct pcache *c, vfs_node n)
{
    for (unsigned i = 0; i < c->ne; i++)
        if (c->e[i].live && c->e[i].node == n)
            return &c->e[i];
    return NULL;
}

/* ---- objects ---- */

static void drop_obj(struct pcache *c, struct entry *e)
{
    if (e->has_obj)
        c->vm.destroy(c->vm.ctx, e->obj);
    if (e->bm_bytes) {
        c->env.free(c->env.ctx, e->valid, e->bm_bytes);
        c->env.free(c->env.ctx, e->dirty, e->bm_bytes);
    }
    e->has_obj = e->mapped = e->mapped_w = false;
    e->valid = e->dirty = NULL;
    e->bm_bytes = 0;
    e->pages = e->size = e->dirty_at = 0;
}

static void drop_entry(struct pcache *c, struct entry *e)
{
    drop_obj(c, e);
    e->live = false;
}

/* The bitmaps hold at least pages bits. */
static int bitmaps_for(struct pcache *c, struct entry *e, uint64_t pages)
{
    size_t need = (size_t)((pages + 7) / 8);
    if (need <= e->bm_bytes)
        return 0;
    size_t n = e->bm_bytes ? e->bm_bytes : 16;
    while (n < need)
        n *= 2;
    pinned = e;
    uint8_t *v = c->env.alloc(c->env.ctx, n), *d = c->env.alloc(c->env.ctx, n);
    pinned = NULL;
    if (!v || !d) {
        if (v)
            c->env.free(c->env.ctx, v, n);
        if (d)
            c->env.free(c->env.ctx, d, n);
        return -VFS_ENOSPC;
    }
    memset(v, 0, n);
    memset(d, 0, n);
    if (e->bm_bytes) {
        memcpy(v, e->valid, e->bm_bytes);
        memcpy(d, e->dirty, e->bm_bytes);
        c->env.free(c->env.ctx, e->valid, e->bm_bytes);
        c->env.free(c->env.ctx, e->dirty, e->bm_bytes);
    }
    e->valid = v;
    e->dirty = d;
    e->bm_bytes = n;
    return 0;
}

static int make_room(struct pcache *c, struct entry *keep);
static bool evict_any(struct pcache *c, struct entry *keep);

/* Gives e an object the size of the file (none past PCACHE_FILE_MAX). */
static int ensure_obj(struct pcache *c, struct entry *e)
{
    if (e->has_obj)
        return 0;
    struct vfs_attr a;
    int rc = c->in->getattr(c->fs, e->node, &a);
    if (rc)
        return rc;
    if (a.type != VFS_T_FILE)
        return -VFS_EISDIR;
    if (a.size > PCACHE_FILE_MAX)
        return -VFS_EFBIG;
    if ((rc = make_room(c, e)))
        return rc;
    uint64_t pages = pages_for(a.size);
    if ((rc = bitmaps_for(c, e, pages)))
        return rc;
    /* No object left (the server's slots) or no memory: evict another, then retry. */
    while ((rc = c->vm.create(c->vm.ctx, pages * PG, &e->obj)) == -VFS_ENOSPC && evict_any(c, e))
        ;
    if (rc) {
        drop_obj(c, e);
        return rc;
    }
    e->has_obj = true;
    e->pages = pages;
    e->size = a.size;
    /* Pages wholly past the end read as zeros: the new object's are. */
    for (uint64_t p = (a.size + PG - 1) / PG; p < pages; p++)
        set_bit(e->valid, p, true);
    return 0;
}

/* The object holds at least pages pages (grown with zeros). */
static int grow_obj(struct pcache *c, struct entry *e, uint64_t pages)
{
    if (pages <= e->pages)
        return 0;
    int rc = bitmaps_for(c, e, pages);
    if (!rc)
        rc = c->vm.resize(c->vm.ctx, e->obj, pages * PG);
    if (rc)
        return rc;
    for (uint64_t p = e->pages; p < pages; p++)
        set_bit(e->valid, p, true); /* past the old end: zeros */
    e->pages = pages;
    return 0;
}

/* Fills the pages [p0, p1) that do not hold the file's data from the backend. */
static int fill(struct pcache *c, struct entry *e, uint64_t p0, uint64_t p1)
{
    for (uint64_t p = p0; p < p1;) {
        if (bit(e->valid, p)) {
            p++;
            continue;
        }
        uint64_t q = p;
        while (q < p1 && !bit(e->valid, q) && (q - p + 1) * PG <= CHUNK)
            q++;
        uint64_t off = p * PG;
        size_t len = (size_t)((q - p) * PG);
        long n = c->in->read(c->fs, e->node, off, scratch, len);
        if (n < 0)
            return (int)n;
        memset(scratch + n, 0, len - (size_t)n);
        int rc = c->vm.write(c->vm.ctx, e->obj, off, scratch, len);
        if (rc)
            return rc;
        for (uint64_t i = p; i < q; i++)
            set_bit(e->valid, i, true);
        p = q;
    }
    return 0;
}

/* ---- write-back ---- */

static uint8_t ours[PG], theirs[PG]; /* a page of the object and of the backend */

/* Whether page p must go back: dirty, or, in a file mapped writable (whose
 * stores leave no trace), different from what the backend holds. */
static bool needs_writeback(struct pcache *c, const struct entry *e, uint64_t p)
{
    if (bit(e->dirty, p))
        return true;
    if (!e->mapped_w || !bit(e->valid, p))
        return false;
    uint64_t off = p * PG;
    size_t len = e->size - off < PG ? (size_t)(e->size - off) : PG;
    if (c->vm.read(c->vm.ctx, e->obj, off, ours, len))
        return true;
    long n = c->in->read(c->fs, e->node, off, theirs, len);
    if (n < 0)
        return true;
    memset(theirs + n, 0, len - (size_t)n);
    return memcmp(ours, theirs, len) != 0;
}

/* Writes e's dirty pages (with a writable mapping: every page that differs
 * from the backend's) to the backend, ascending, one write per run, the last
 * clipped to the file's size. */
static int writeback(struct pcache *c, struct entry *e)
{
    if (!e->has_obj || (!e->dirty_at && !e->mapped_w))
        return 0;
    int err = 0;
    uint64_t end = (e->size + PG - 1) / PG;
    for (uint64_t p = 0; p < end && !err;) {
        if (!needs_writeback(c, e, p)) {
            p++;
            continue;
        }
        uint64_t q = p;
        while (q < end && needs_writeback(c, e, q))
            q++;
        for (uint64_t off = p * PG; off < q * PG && off < e->size && !err;) {
            uint64_t stop = q * PG < e->size ? q * PG : e->size;
            size_t len = stop - off > CHUNK ? CHUNK : (size_t)(stop - off);
            err = c->vm.read(c->vm.ctx, e->obj, off, scratch, len);
            if (!err) {
                long n = c->in->write(c->fs, e->node, off, scratch, len);
                c->writebacks++;
                if (n < 0)
                    err = (int)n;
                else if ((size_t)n < len)
                    err = -VFS_ENOSPC;
            }
            off += len;
        }
        p = q;
    }
    /* Written or failed, the pages are clean now; a failure is reported once. */
    memset(e->dirty, 0, e->bm_bytes);
    e->dirty_at = 0;
    if (err && !e->error)
        e->error = err;
    return err;
}

/* Every dirty file, in the order first dirtied, then the files mapped
 * writable that were not (in slot order). The first error, if any. */
static int writeback_all(struct pcache *c)
{
    int err = 0;
    uint64_t start = ++c->tick;
    for (;;) {
        struct entry *first = NULL;
        for (unsigned i = 0; i < c->ne; i++) {
            struct entry *e = &c->e[i];
            if (e->live && e->has_obj && e->dirty_at && (!first || e->dirty_at < first->dirty_at))
                first = e;
        }
        if (!first)
            break;
        int rc = writeback(c, first);
        first->wb_at = ++c->tick;
        if (rc && !err)
            err = rc;
    }
    for (unsigned i = 0; i < c->ne; i++) {
        struct entry *e = &c->e[i];
        if (e->live && e->has_obj && e->mapped_w && e->wb_at < start) {
            int rc = writeback(c, e);
            if (rc && !err)
                err = rc;
        }
    }
    return err;
}

/* ---- memory ---- */

/* Destroys the least recently used object that is not mapped and not keep
 * (dirty ones too when dirty: written back first); its bytes, 0 if none. */
static uint64_t evict_one(struct pcache *c, struct entry *keep, bool dirty)
{
    struct entry *v = NULL;
    for (unsigned i = 0; i < c->ne; i++) {
        struct entry *e = &c->e[i];
        if (e->live && e->has_obj && e != keep && e != pinned && !e->mapped &&
            (dirty || !e->dirty_at) && (!v || e->used < v->used))
            v = e;
    }
    if (!v)
        return 0;
    uint64_t bytes = v->pages * PG;
    writeback(c, v);
    drop_obj(c, v);
    if (!v->opens)
        v->live = false;
    return bytes;
}

uint64_t pcache_shrink(void *pc, bool dirty)
{
    struct pcache *c = pc;
    uint64_t total = 0, n;
    while ((n = evict_one(c, NULL, false)))
        total += n;
    while (dirty && (n = evict_one(c, NULL, true)))
        total += n;
    return total;
}

uint64_t pcache_shrink_all(bool dirty)
{
    uint64_t total = 0;
    for (struct pcache *c = caches; c; c = c->next)
        total += pcache_shrink(c, dirty);
    return total;
}

/* Evicts one object of any cache but keep (a clean one if there is one). */
static bool evict_any(struct pcache *c, struct entry *keep)
{
    for (int dirty = 0; dirty < 2; dirty++)
        for (struct pcache *o = caches; o; o = o->next)
            if (evict_one(o, o == c ? keep : NULL, dirty))
                return true;
    return false;
}

/* Before an object grows: while the pool is tight, evict others' objects
 * (clean ones first, in every cache). -ENOSPC when still tight. */
static int make_room(struct pcache *c, struct entry *keep)
{
    if (!c->vm.tight || !c->vm.tight(c->vm.ctx))
        return 0;
    for (int dirty = 0; dirty < 2; dirty++)
        for (struct pcache *o = caches; o; o = o->next)
            while (evict_one(o, o == c ? keep : NULL, dirty))
                if (!c->vm.tight(c->vm.ctx))
                    return 0;
    return -VFS_ENOSPC;
}

/* ---- the wrapped operations ---- */

static int c_root(void *fs, vfs_node *out)
{
    struct pcache *c = fs;
    return c->in->root(c->fs, out);
}

static int c_lookup(void *fs, vfs_node dir, const char *name, size_t len, vfs_node *out)
{
    struct pcache *c = fs;
    return c->in->lookup(c->fs, dir, name, len, out);
}

static void c_get(void *fs, vfs_node n)
{
    struct pcache *c = fs;
    c->in->get(c->fs, n);
}

static void c_put(void *fs, vfs_node n)
{
    struct pcache *c = fs;
    c->in->put(c->fs, n);
}

static int c_getattr(void *fs, vfs_node n, struct vfs_attr *out)
{
    struct pcache *c = fs;
    int rc = c->in->getattr(c->fs, n, out);
    const struct entry *e = rc ? NULL : find(c, n);
    if (e && e->has_obj)
        out->size = e->size;
    return rc;
}

/* The entry n reads and writes through, with its object; NULL: uncached. */
static struct entry *cached(struct pcache *c, vfs_node n)
{
    struct entry *e = find(c, n);
    if (!e)
        return NULL;
    if (!e->has_obj) {
        if (!(c->flags & PCACHE_KEEP) || !e->opens || ensure_obj(c, e))
            return NULL;
    }
    e->used = ++c->tick;
    return e;
}

/* A backend that has failed (a lost disk, decision 130) fails its cached
 * files too: a kept cache asks it for the file's attributes first. */
static int alive(struct pcache *c, vfs_node n)
{
    struct vfs_attr a;
    return c->flags & PCACHE_KEEP ? c->in->getattr(c->fs, n, &a) : 0;
}

static long c_read(void *fs, vfs_node n, uint64_t off, void *buf, size_t len)
{
    struct pcache *c = fs;
    struct entry *e = cached(c, n);
    if (!e)
        return c->in->read(c->fs, n, off, buf, len);
    int rc = alive(c, n);
    if (rc)
        return rc;
    if (off >= e->size || !len)
        return 0;
    if (len > e->size - off)
        len = (size_t)(e->size - off);
    uint64_t p0 = off / PG, p1 = (off + len + PG - 1) / PG;
    bool missing = false;
    for (uint64_t p = p0; p < p1 && !missing; p++)
        missing = !bit(e->valid, p);
    rc = missing && !e->mapped ? make_room(c, e) : 0;
    if (rc) {
        /* No memory for more pages: this file goes uncached. */
        writeback(c, e);
        drop_obj(c, e);
        return c->in->read(c->fs, n, off, buf, len);
    }
    if ((rc = fill(c, e, p0, p1)) || (rc = c->vm.read(c->vm.ctx, e->obj, off, buf, len)))
        return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
    return (long)len;
}

static long c_write(void *fs, vfs_node n, uint64_t off, const void *buf, size_t len)
{
    struct pcache *c = fs;
    struct entry *e = c->ro ? NULL : cached(c, n);
    if (!len)
        return e ? 0 : c->in->write(c->fs, n, off, buf, len);
    if (e && (off + len < off || off + len > PCACHE_FILE_MAX) && !e->mapped) {
        writeback(c, e); /* too large for the cache: through the backend */
        drop_obj(c, e);
        e = NULL;
    }
    if (!e)
        return c->in->write(c->fs, n, off, buf, len);
    if (off + len > PCACHE_FILE_MAX)
        return -VFS_EFBIG;
    int rc = alive(c, n);
    if (rc)
        return rc;
    uint64_t p0 = off / PG, p1 = (off + len + PG - 1) / PG;
    rc = e->mapped ? 0 : make_room(c, e);
    if (rc) {
        writeback(c, e);
        drop_obj(c, e);
        return c->in->write(c->fs, n, off, buf, len);
    }
    if ((rc = grow_obj(c, e, p1)))
        return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
    /* Partly written pages that hold file data not yet read: fill them. */
    if ((off % PG && (rc = fill(c, e, p0, p0 + 1))) ||
        ((off + len) % PG && (off + len) < e->size && (rc = fill(c, e, p1 - 1, p1))))
        return rc;
    if ((rc = c->vm.write(c->vm.ctx, e->obj, off, buf, len)))
        return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
    for (uint64_t p = p0; p < p1; p++) {
        set_bit(e->valid, p, true);
        set_bit(e->dirty, p, true);
    }
    if (!e->dirty_at)
        e->dirty_at = ++c->tick;
    if (off + len > e->size)
        e->size = off + len;
    return (long)len;
}

/* Truncate: growing, the object first (so that a failure changes nothing);
 * then the backend; shrinking, the object after it (cut, the last page's tail
 * zeroed). */
static int c_setattr(void *fs, vfs_node n, unsigned mask, const struct vfs_attr *in)
{
    struct pcache *c = fs;
    struct entry *e = find(c, n);
    bool follow = (mask & VFS_SET_SIZE) && e && e->has_obj;
    int rc;
    /* Data written before a new mtime is the backend's before it (its write-back
       would otherwise stamp the file with the time of that write-back). */
    if ((mask & VFS_SET_MTIME) && e && (rc = writeback(c, e)))
        return rc;
    if (follow && in->size > e->size) {
        rc = in->size > PCACHE_FILE_MAX ? -VFS_EFBIG : grow_obj(c, e, pages_for(in->size));
        if (rc && e->mapped)
            return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
        if (rc) {
            writeback(c, e); /* no room to follow: uncached from now */
            drop_obj(c, e);
            follow = false;
        }
    }
    if ((rc = c->in->setattr(c->fs, n, mask, in)) || !follow)
        return rc;
    uint64_t size = in->size, pages = pages_for(size);
    if (size < e->size) {
        if (size % PG && bit(e->valid, size / PG)) {
            size_t tail = PG - (size_t)(size % PG);
            memset(scratch, 0, tail);
            c->vm.write(c->vm.ctx, e->obj, size, scratch, tail);
        }
        if (pages < e->pages && !c->vm.resize(c->vm.ctx, e->obj, pages * PG)) {
            for (uint64_t p = pages; p < e->pages; p++) {
                set_bit(e->valid, p, false);
                set_bit(e->dirty, p, false);
            }
            e->pages = pages;
        }
        for (uint64_t p = (size + PG - 1) / PG; p < e->pages; p++) {
            set_bit(e->valid, p, true); /* zeros past the end */
            set_bit(e->dirty, p, false);
        }
    }
    e->size = size;
    return 0;
}

static int c_readdir(void *fs, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out)
{
    struct pcache *c = fs;
    return c->in->readdir(c->fs, dir, cookie, out);
}

static int c_create(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                    vfs_node *out)
{
    struct pcache *c = fs;
    return c->in->create(c->fs, dir, name, len, mode, out);
}

static int c_mkdir(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                   vfs_node *out)
{
    struct pcache *c = fs;
    return c->in->mkdir(c->fs, dir, name, len, mode, out);
}

static int c_symlink(void *fs, vfs_node dir, const char *name, size_t len, const char *target,
                     size_t target_len, vfs_node *out)
{
    struct pcache *c = fs;
    return c->in->symlink(c->fs, dir, name, len, target, target_len, out);
}

static long c_readlink(void *fs, vfs_node n, char *buf, size_t cap)
{
    struct pcache *c = fs;
    return c->in->readlink(c->fs, n, buf, cap);
}

static int c_link(void *fs, vfs_node n, vfs_node dir, const char *name, size_t len)
{
    struct pcache *c = fs;
    return c->in->link(c->fs, n, dir, name, len);
}

/* A name is about to go: a closed file cached under it is dropped first (its
 * node may be freed and its word reused), after writing it back (the removal
 * may fail, or other links may remain). An open one stays: its last close
 * sees whether it still has links. */
static void forget_name(struct pcache *c, vfs_node dir, const char *name, size_t len)
{
    vfs_node n;
    if (c->in->lookup(c->fs, dir, name, len, &n))
        return;
    struct entry *e = find(c, n);
    if (e && !e->opens) {
        writeback(c, e);
        drop_entry(c, e);
    }
    c->in->put(c->fs, n);
}

static int c_unlink(void *fs, vfs_node dir, const char *name, size_t len)
{
    struct pcache *c = fs;
    forget_name(c, dir, name, len);
    return c->in->unlink(c->fs, dir, name, len);
}

static int c_rmdir(void *fs, vfs_node dir, const char *name, size_t len)
{
    struct pcache *c = fs;
    return c->in->rmdir(c->fs, dir, name, len);
}

static int c_rename(void *fs, vfs_node odir, const char *oname, size_t olen, vfs_node ndir,
                    const char *nname, size_t nlen)
{
    struct pcache *c = fs;
    forget_name(c, ndir, nname, nlen);
    return c->in->rename(c->fs, odir, oname, olen, ndir, nname, nlen);
}

static void c_opened(void *fs, vfs_node n)
{
    struct pcache *c = fs;
    struct entry *e = find(c, n);
    if (!e) {
        for (unsigned i = 0; i < c->ne && !e; i++)
            if (!c->e[i].live)
                e = &c->e[i];
        if (!e) {
            unsigned nn = c->ne ? 2 * c->ne : 8;
            struct entry *ne = c->env.alloc(c->env.ctx, nn * sizeof(*ne));
            if (!ne)
                return; /* the file goes uncached */
            memset(ne, 0, nn * sizeof(*ne));
            if (c->ne) {
                memcpy(ne, c->e, c->ne * sizeof(*ne));
                c->env.free(c->env.ctx, c->e, c->ne * sizeof(*ne));
            }
            e = &ne[c->ne];
            c->e = ne;
            c->ne = nn;
        }
        *e = (struct entry){.node = n, .live = true};
    }
    e->opens++;
    e->used = ++c->tick;
}

static int c_closing(void *fs, vfs_node n)
{
    struct pcache *c = fs;
    struct entry *e = find(c, n);
    if (!e || !e->opens)
        return 0;
    if (--e->opens)
        return 0;
    struct vfs_attr a;
    if (c->in->getattr(c->fs, n, &a) == 0 && a.links == 0) {
        drop_entry(c, e); /* removed: its data goes with it */
        return 0;
    }
    writeback(c, e);
    int err = e->error;
    e->error = 0;
    if (e->mapped || !(c->flags & PCACHE_KEEP))
        drop_obj(c, e);
    if (!e->has_obj || !(c->flags & PCACHE_KEEP)) {
        drop_entry(c, e);
    } else {
        /* Keep at most ENTRIES_KEEP closed files. */
        unsigned closed = 0;
        for (unsigned i = 0; i < c->ne; i++)
            closed += c->e[i].live && !c->e[i].opens;
        while (closed-- > ENTRIES_KEEP) {
            struct entry *v = NULL;
            for (unsigned i = 0; i < c->ne; i++)
                if (c->e[i].live && !c->e[i].opens && (!v || c->e[i].used < v->used))
                    v = &c->e[i];
            writeback(c, v);
            drop_entry(c, v);
        }
    }
    return err;
}

static int c_fsync(void *fs, vfs_node n)
{
    struct pcache *c = fs;
    int err = 0;
    if (n == 0) {
        err = writeback_all(c);
        for (unsigned i = 0; i < c->ne; i++)
            if (c->e[i].live && c->e[i].error) {
                if (!err)
                    err = c->e[i].error;
                c->e[i].error = 0;
            }
    } else {
        struct entry *e = find(c, n);
        if (e) {
            writeback(c, e);
            err = e->error;
            e->error = 0;
        }
    }
    int rc = c->in->fsync ? c->in->fsync(c->fs, n) : 0;
    return err ? err : rc;
}

static int c_statfs(void *fs, struct vfs_statfs *out)
{
    struct pcache *c = fs;
    return c->in->statfs ? c->in->statfs(c->fs, out) : 0;
}

static void c_unmount(void *fs)
{
    struct pcache *c = fs;
    writeback_all(c);
    for (unsigned i = 0; i < c->ne; i++)
        if (c->e[i].live)
            drop_entry(c, &c->e[i]);
    if (c->ne)
        c->env.free(c->env.ctx, c->e, c->ne * sizeof(*c->e));
    for (struct pcache **p = &caches; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    if (c->in->unmount)
        c->in->unmount(c->fs);
    c->env.free(c->env.ctx, c, sizeof(*c));
}

int pcache_new(const struct vfs_env *env, const struct pcache_vm *vm, const struct vfs_ops *ops,
               void *fs, unsigned flags, void **out)
{
    struct pcache *c = env->alloc(env->ctx, sizeof(*c));
    if (!c)
        return -VFS_ENOMEM;
    memset(c, 0, sizeof(*c));
    c->env = *env;
    c->vm = *vm;
    c->in = ops;
    c->fs = fs;
    c->flags = flags;
    /* Every operation the backend has, through the cache; none it lacks. */
    c->ops = (struct vfs_ops){
        .root = c_root,
        .lookup = c_lookup,
        .get = c_get,
        .put = c_put,
        .getattr = c_getattr,
        .setattr = ops->setattr ? c_setattr : NULL,
        .read = c_read,
        .write = ops->write ? c_write : NULL,
        .readdir = c_readdir,
        .create = ops->create ? c_create : NULL,
        .mkdir = ops->mkdir ? c_mkdir : NULL,
        .symlink = ops->symlink ? c_symlink : NULL,
        .readlink = ops->readlink ? c_readlink : NULL,
        .link = ops->link ? c_link : NULL,
        .unlink = ops->unlink ? c_unlink : NULL,
        .rmdir = ops->rmdir ? c_rmdir : NULL,
        .rename = ops->rename ? c_rename : NULL,
        .opened = c_opened,
        .closing = c_closing,
        .fsync = c_fsync,
        .statfs = c_statfs,
        .unmount = c_unmount,
    };
    /* A backend that refuses changes (a read-only ext2) is read through the
     * cache and written straight (it answers EROFS itself). */
    struct vfs_statfs st;
    if (ops->statfs && ops->statfs(fs, &st) == 0 && st.read_only)
        c->ro = true;
    c->next = caches;
    caches = c;
    *out = c;
    return 0;
}

bool pcache_of(const struct vfs_ops *ops)
{
    return ops && ops->opened == c_opened;
}

void pcache_start(void)
{
    memset(scratch, 0, sizeof(scratch));
    memset(ours, 0, sizeof(ours));
    memset(theirs, 0, sizeof(theirs));
}

const struct vfs_ops *pcache_ops_of(void *pc)
{
    return &((struct pcache *)pc)->ops;
}

void *pcache_inner(void *pc)
{
    return ((struct pcache *)pc)->fs;
}

int pcache_map(void *pc, vfs_node n, uint64_t off, uint64_t len, bool writable, uint64_t *obj,
               uint64_t *size)
{
    struct pcache *c = pc;
    struct entry *e = find(c, n);
    if (!e || !e->opens)
        return -VFS_EBADF;
    if (off % PG || off + len < off)
        return -VFS_EINVAL;
    int rc = ensure_obj(c, e);
    if (rc)
        return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
    e->used = ++c->tick;
    uint64_t end = off + len > e->size ? e->size : off + len;
    if (off < end && (rc = fill(c, e, off / PG, (end + PG - 1) / PG))) {
        if (!e->mapped)
            drop_obj(c, e);
        return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
    }
    e->mapped = true;
    if (writable)
        e->mapped_w = true;
    *obj = e->obj;
    *size = e->pages * PG;
    return 0;
}

void pcache_stats(void *pc, struct pcache_stats *out)
{
    struct pcache *c = pc;
    memset(out, 0, sizeof(*out));
    out->writebacks = c->writebacks;
    for (unsigned i = 0; i < c->ne; i++) {
        const struct entry *e = &c->e[i];
        if (!e->live || !e->has_obj)
            continue;
        out->files++;
        out->bytes += e->pages * PG;
        for (uint64_t p = 0; p < e->pages; p++)
            out->dirty_pages += bit(e->dirty, p);
    }
}
