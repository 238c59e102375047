/*
 * tmpfs: an in-memory file system (tmpfs.h; docs/storage.md, "tmpfs").
 */
#include "tmpfs.h"

#include <stdbool.h>
#include <string.h>

struct tmpfs_dirent {
    char *name;
    size_t len;
    uint64_t seq; /* its readdir cookie: increasing in the array */
    struct tmpfs_node *node;
};

struct tmpfs_node {
    struct tmpfs_node *prev, *next; /* every node, for unmount */
    uint64_t ino, nlink, refs, size, atime, mtime, ctime;
    unsigned type, mode, uid, gid;
    struct tmpfs_node *parent; /* a directory's */
    uint8_t **pages;           /* a file's pages (NULL: a hole) */
    size_t npages;
    struct tmpfs_dirent *ents; /* a directory's entries */
    size_t nents, cap;
    uint64_t next_seq;
    char *target; /* a symbolic link's */
    size_t tlen;
};

/* A store's page: who holds it (the reverse of a file's page table). */
struct tmpfs_owner {
    struct tmpfs_node *node;
    size_t pg;
};

struct tmpfs {
    struct vfs_env env;
    uint64_t limit_bytes, max_inodes;
    struct tmpfs_node *root;
    uint64_t used_bytes, inodes, next_ino;
    const struct tmpfs_store *store; /* NULL: pages from the allocator */
    struct tmpfs_owner *owners;      /* the store's pages [0, used) */
    size_t used, owners_cap;
    uint64_t store_pages; /* the object's size in pages */
    bool dying;           /* unmounting: freed pages are not moved */
};

/* With a store a file's page table holds page numbers in the object plus 1
 * (0: a hole); without, pointers. */
#define SPAGE(p)  ((size_t)(uintptr_t)(p)-1)
#define SENTRY(k) ((uint8_t *)(uintptr_t)((k) + 1))

/* A page's worth of bytes for the store's copies (one thread at a time) and
 * zeros. */
static uint8_t page_buf[TMPFS_PAGE];
static const uint8_t zero_page[TMPFS_PAGE];

#define FS(p)   ((struct tmpfs *)(p))
#define NODE(n) ((struct tmpfs_node *)(uintptr_t)(n))
#define WORD(p) ((vfs_node)(uintptr_t)(p))

static void *fs_alloc(struct tmpfs *fs, size_t n)
{
    if (n > fs->limit_bytes - fs->used_bytes)
        return NULL;
    void *p = fs->env.alloc(fs->env.ctx, n);
    if (p)
        fs->used_bytes += n;
    return p;
}

static void fs_free(struct tmpfs *fs, void *p, size_t n)
{
    if (!p)
        return;
    fs->env.free(fs->env.ctx, p, n);
    fs->used_bytes -= n;
}

static uint64_t now(struct tmpfs *fs)
{
    return fs->env.now ? fs->env.now(fs->env.ctx) : 0;
}

static struct tmpfs_node *new_node(struct tmpfs *fs, unsigned type, unsigned mode)
{
    if (fs->inodes >= fs->max_inodes)
        return NULL;
    struct tmpfs_node *n = fs_alloc(fs, sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->type = type;
    n->mode = mode & 07777u;
    n->ino = fs->next_ino++;
    n->atime = n->mtime = n->ctime = now(fs);
    n->next = fs->root ? fs->root->next : NULL;
    n->prev = fs->root;
    if (fs->root) {
        if (fs->root->next)
            fs->root->next->prev = n;
        fs->root->next = n;
    }
    fs->inodes++;
    return n;
}

/* A store page for page pg of n: the next one past those in use. */
static int store_alloc(struct tmpfs *fs, struct tmpfs_node *n, size_t pg, size_t *out)
{
    if (fs->used == fs->owners_cap) {
        size_t cap = fs->owners_cap ? fs->owners_cap * 2 : 16;
        struct tmpfs_owner *o = fs_alloc(fs, cap * sizeof(*o));
        if (!o)
            return -VFS_ENOSPC;
        if (fs->used)
            memcpy(o, fs->owners, fs->used * sizeof(*o));
        fs_free(fs, fs->owners, fs->owners_cap * sizeof(*o));
        fs->owners = o;
        fs->owners_cap = cap;
    }
    if (fs->used + 1 > fs->store_pages) {
        int rc = fs->store->resize(fs->store->ctx, fs->used + 1);
        if (rc)
            return rc;
        fs->store_pages = fs->used + 1;
    }
    *out = fs->used;
    fs->owners[fs->used++] = (struct tmpfs_owner){n, pg};
    return 0;
}

/* Frees store page k: the last page in use moves into it. */
static void store_free(struct tmpfs *fs, size_t k)
{
    size_t last = --fs->used;
    if (k == last || fs->dying)
        return;
    const struct tmpfs_store *st = fs->store;
    /* A failed copy (the pool gone) loses only what was lost already. */
    if (!st->read(st->ctx, last * TMPFS_PAGE, page_buf, TMPFS_PAGE))
        st->write(st->ctx, k * TMPFS_PAGE, page_buf, TMPFS_PAGE);
    struct tmpfs_owner o = fs->owners[last];
    fs->owners[k] = o;
    o.node->pages[o.pg] = SENTRY(k);
}

/* Cuts the store's object to the pages in use (its memory goes back). */
static void store_trim(struct tmpfs *fs)
{
    uint64_t want = fs->used ? fs->used : 1;
    if (fs->store && !fs->dying && want < fs->store_pages &&
        !fs->store->resize(fs->store->ctx, want))
        fs->store_pages = want;
}

static void free_pages(struct tmpfs *fs, struct tmpfs_node *n, size_t from)
{
    for (size_t i = from; i < n->npages; i++) {
        if (!n->pages[i])
            continue;
        if (fs->store)
            store_free(fs, SPAGE(n->pages[i]));
        else
            fs_free(fs, n->pages[i], TMPFS_PAGE);
        n->pages[i] = NULL;
    }
    store_trim(fs);
}

static void free_node(struct tmpfs *fs, struct tmpfs_node *n)
{
    free_pages(fs, n, 0);
    fs_free(fs, n->pages, n->npages * sizeof(*n->pages));
    for (size_t i = 0; i < n->nents; i++)
        fs_free(fs, n->ents[i].name, n->ents[i].len);
    fs_free(fs, n->ents, n->cap * sizeof(*n->ents));
    fs_free(fs, n->target, n->tlen);
    if (n->prev)
        n->prev->next = n->next;
    if (n->next)
        n->next->prev = n->prev;
    fs_free(fs, n, sizeof(*n));
    fs->inodes--;
}

/* Frees n once nothing names or holds it. */
static void maybe_free(struct tmpfs *fs, struct tmpfs_node *n)
{
    if (n->nlink == 0 && n->refs == 0)
        free_node(fs, n);
}

int tmpfs_mount(const struct vfs_env *env, uint64_t limit_bytes, uint64_t max_inodes, void **out)
{
    return tmpfs_mount_store(env, NULL, limit_bytes, max_inodes, out);
}

int tmpfs_mount_store(const struct vfs_env *env, const struct tmpfs_store *store,
                      uint64_t limit_bytes, uint64_t max_inodes, void **out)
{
    if (limit_bytes < sizeof(struct tmpfs))
        return -VFS_ENOSPC;
    struct tmpfs *fs = env->alloc(env->ctx, sizeof(*fs));
    if (!fs)
        return -VFS_ENOSPC;
    memset(fs, 0, sizeof(*fs));
    fs->env = *env;
    fs->limit_bytes = limit_bytes;
    fs->max_inodes = max_inodes;
    fs->used_bytes = sizeof(*fs);
    fs->next_ino = 1;
    fs->store = store;
    fs->store_pages = 1;
    struct tmpfs_node *r = new_node(fs, VFS_T_DIR, 0755);
    if (!r) {
        env->free(env->ctx, fs, sizeof(*fs));
        return -VFS_ENOSPC;
    }
    r->nlink = 2;
    r->parent = r;
    fs->root = r;
    *out = fs;
    return 0;
}

uint64_t tmpfs_used_bytes(void *fs)
{
    return FS(fs)->used_bytes;
}

void tmpfs_start(void)
{
    memset(page_buf, 0, sizeof(page_buf));
}

uint64_t tmpfs_store_pages(void *fs)
{
    return FS(fs)->store ? FS(fs)->used : 0;
}

static void t_unmount(void *p)
{
    struct tmpfs *fs = p;
    fs->dying = true;
    while (fs->root->next)
        free_node(fs, fs->root->next);
    free_node(fs, fs->root);
    fs_free(fs, fs->owners, fs->owners_cap * sizeof(*fs->owners));
    if (fs->store)
        fs->store->release(fs->store->ctx);
    fs->env.free(fs->env.ctx, fs, sizeof(*fs));
}

/* ---- directories ---- */

static long dir_find(const struct tmpfs_node *d, const char *name, size_t len)
{
    for (size_t i = 0; i < d->nents; i++)
        if (d->ents[i].len == len && memcmp(d->ents[i].name, name, len) == 0)
            return (long)i;
    return -1;
}

static int dir_add(struct tmpfs *fs, struct tmpfs_node *d, const char *name, size_t len,
                   struct tmpfs_node *n)
{
    if (d->nents == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 4;
        struct tmpfs_dirent *e = fs_alloc(fs, cap * sizeof(*e));
        if (!e)
            return -VFS_ENOSPC;
        if (d->nents)
            memcpy(e, d->ents, d->nents * sizeof(*e));
        fs_free(fs, d->ents, d->cap * sizeof(*e));
        d->ents = e;
        d->cap = cap;
    }
    char *copy = fs_alloc(fs, len);
    if (!copy)
        return -VFS_ENOSPC;
    memcpy(copy, name, len);
    d->ents[d->nents++] = (struct tmpfs_dirent){copy, len, d->next_seq++, n};
    d->mtime = d->ctime = now(fs);
    return 0;
}

static void dir_remove(struct tmpfs *fs, struct tmpfs_node *d, size_t i)
{
    fs_free(fs, d->ents[i].name, d->ents[i].len);
    memmove(&d->ents[i], &d->ents[i + 1], (d->nents - i - 1) * sizeof(*d->ents));
    d->nents--;
    d->mtime = d->ctime = now(fs);
}

/* A directory in which name may be made: 0, or the error. */
static int creatable(const struct tmpfs_node *d, const char *name, size_t len)
{
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    if (d->nlink == 0)
        return -VFS_ENOENT; /* a removed directory */
    if (len == 0 || len > VFS_NAME_MAX)
        return -VFS_EINVAL;
    if (dir_find(d, name, len) >= 0)
        return -VFS_EEXIST;
    return 0;
}

/* ---- the operations ---- */

static int t_root(void *p, vfs_node *out)
{
    struct tmpfs *fs = p;
    fs->root->refs++;
    *out = WORD(fs->root);
    return 0;
}

static int t_lookup(void *p, vfs_node dir, const char *name, size_t len, vfs_node *out)
{
    (void)p;
    struct tmpfs_node *d = NODE(dir);
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    long i = dir_find(d, name, len);
    if (i < 0)
        return -VFS_ENOENT;
    d->ents[i].node->refs++;
    *out = WORD(d->ents[i].node);
    return 0;
}

static void t_get(void *p, vfs_node n)
{
    (void)p;
    NODE(n)->refs++;
}

static void t_put(void *p, vfs_node n)
{
    NODE(n)->refs--;
    maybe_free(FS(p), NODE(n));
}

static int t_getattr(void *p, vfs_node node, struct vfs_attr *st)
{
    (void)p;
    const struct tmpfs_node *n = NODE(node);
    memset(st, 0, sizeof(*st));
    st->type = n->type;
    st->mode = n->mode;
    st->uid = n->uid;
    st->gid = n->gid;
    st->size = n->type == VFS_T_DIR ? n->nents : n->type == VFS_T_SYMLINK ? n->tlen : n->size;
    st->links = n->nlink;
    st->ino = n->ino;
    uint64_t pages = 0;
    for (size_t i = 0; i < n->npages; i++)
        pages += n->pages[i] != NULL;
    st->blocks = pages * (TMPFS_PAGE / 512);
    st->atime = n->atime;
    st->mtime = n->mtime;
    st->ctime = n->ctime;
    return 0;
}

static int truncate(struct tmpfs *fs, struct tmpfs_node *nd, uint64_t size)
{
    if (nd->type == VFS_T_DIR)
        return -VFS_EISDIR;
    if (nd->type != VFS_T_FILE)
        return -VFS_EINVAL;
    if (size > TMPFS_FILE_MAX)
        return -VFS_EFBIG;
    if (size < nd->size) {
        size_t keep = (size_t)((size + TMPFS_PAGE - 1) / TMPFS_PAGE);
        free_pages(fs, nd, keep);
        size_t in = (size_t)(size % TMPFS_PAGE);
        if (in && keep - 1 < nd->npages && nd->pages[keep - 1]) {
            if (!fs->store)
                memset(nd->pages[keep - 1] + in, 0, TMPFS_PAGE - in);
            else if (fs->store->write(fs->store->ctx, SPAGE(nd->pages[keep - 1]) * TMPFS_PAGE + in,
                                      zero_page, TMPFS_PAGE - in))
                return -VFS_EIO;
        }
    }
    nd->size = size;
    nd->mtime = nd->ctime = now(fs);
    return 0;
}

static int t_setattr(void *p, vfs_node node, unsigned mask, const struct vfs_attr *in)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *n = NODE(node);
    if (mask & VFS_SET_SIZE) {
        int rc = truncate(fs, n, in->size);
        if (rc)
            return rc;
    }
    if (mask & VFS_SET_MODE)
        n->mode = in->mode & 07777u;
    if (mask & VFS_SET_OWNER) {
        n->uid = in->uid;
        n->gid = in->gid;
    }
    if (mask & VFS_SET_ATIME)
        n->atime = in->atime;
    if (mask & VFS_SET_MTIME)
        n->mtime = in->mtime;
    n->ctime = now(fs);
    return 0;
}

static long t_read(void *p, vfs_node node, uint64_t off, void *buf, size_t n)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *nd = NODE(node);
    if (nd->type == VFS_T_DIR)
        return -VFS_EISDIR;
    if (nd->type != VFS_T_FILE)
        return -VFS_EINVAL;
    if (off >= nd->size)
        return 0;
    if (n > nd->size - off)
        n = (size_t)(nd->size - off);
    uint8_t *out = buf;
    size_t done = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t pg = (size_t)(pos / TMPFS_PAGE), in = (size_t)(pos % TMPFS_PAGE);
        size_t k = TMPFS_PAGE - in;
        if (k > n - done)
            k = n - done;
        if (pg < nd->npages && nd->pages[pg] && fs->store) {
            if (fs->store->read(fs->store->ctx, SPAGE(nd->pages[pg]) * TMPFS_PAGE + in, out + done,
                                k))
                return done ? (long)done : -VFS_EIO;
        } else if (pg < nd->npages && nd->pages[pg])
            memcpy(out + done, nd->pages[pg] + in, k);
        else
            memset(out + done, 0, k);
        done += k;
    }
    return (long)n;
}

/* Grows n's page array to hold at least want pages. */
static int grow_pages(struct tmpfs *fs, struct tmpfs_node *n, size_t want)
{
    if (want <= n->npages)
        return 0;
    size_t cap = n->npages ? n->npages : 4;
    while (cap < want)
        cap *= 2;
    uint8_t **p = fs_alloc(fs, cap * sizeof(*p));
    if (!p)
        return -VFS_ENOSPC;
    memset(p, 0, cap * sizeof(*p));
    if (n->npages)
        memcpy(p, n->pages, n->npages * sizeof(*p));
    fs_free(fs, n->pages, n->npages * sizeof(*p));
    n->pages = p;
    n->npages = cap;
    return 0;
}

/* Writes k bytes at byte at of page pg of nd into the store: a new page is
 * written whole (zeros around the bytes), so what a freed page held before
 * never shows. */
static int store_write(struct tmpfs *fs, struct tmpfs_node *nd, size_t pg, size_t at,
                       const uint8_t *in, size_t k)
{
    const struct tmpfs_store *st = fs->store;
    if (nd->pages[pg])
        return st->write(st->ctx, SPAGE(nd->pages[pg]) * TMPFS_PAGE + at, in, k);
    size_t slot;
    int rc = store_alloc(fs, nd, pg, &slot);
    if (rc)
        return rc;
    memset(page_buf, 0, TMPFS_PAGE);
    memcpy(page_buf + at, in, k);
    if ((rc = st->write(st->ctx, slot * TMPFS_PAGE, page_buf, TMPFS_PAGE))) {
        store_free(fs, slot); /* the last page: nothing moves */
        store_trim(fs);
        return rc;
    }
    nd->pages[pg] = SENTRY(slot);
    return 0;
}

static long t_write(void *p, vfs_node node, uint64_t off, const void *buf, size_t n)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *nd = NODE(node);
    if (nd->type == VFS_T_DIR)
        return -VFS_EISDIR;
    if (nd->type != VFS_T_FILE)
        return -VFS_EINVAL;
    if (off > TMPFS_FILE_MAX || n > TMPFS_FILE_MAX - off)
        return -VFS_EFBIG;
    if (n == 0)
        return 0;
    int rc = grow_pages(fs, nd, (size_t)((off + n - 1) / TMPFS_PAGE + 1));
    if (rc)
        return rc;
    const uint8_t *in = buf;
    size_t done = 0;
    while (done < n) {
        uint64_t pos = off + done;
        size_t pg = (size_t)(pos / TMPFS_PAGE), at = (size_t)(pos % TMPFS_PAGE);
        size_t k = TMPFS_PAGE - at;
        if (k > n - done)
            k = n - done;
        if (fs->store) {
            if ((rc = store_write(fs, nd, pg, at, in + done, k)))
                break;
            done += k;
            continue;
        }
        if (!nd->pages[pg]) {
            uint8_t *pp = fs_alloc(fs, TMPFS_PAGE);
            if (!pp)
                break;
            memset(pp, 0, TMPFS_PAGE);
            nd->pages[pg] = pp;
        }
        memcpy(nd->pages[pg] + at, in + done, k);
        done += k;
    }
    if (done == 0)
        return rc ? rc : -VFS_ENOSPC;
    if (off + done > nd->size)
        nd->size = off + done;
    nd->mtime = nd->ctime = now(fs);
    return (long)done;
}

static int t_readdir(void *p, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out)
{
    (void)p;
    const struct tmpfs_node *d = NODE(dir);
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    /* The first entry whose sequence number is at least the cookie. */
    size_t lo = 0, hi = d->nents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->ents[mid].seq < *cookie)
            lo = mid + 1;
        else
            hi = mid;
    }
    out->name_len = 0;
    if (lo == d->nents)
        return 0;
    const struct tmpfs_dirent *e = &d->ents[lo];
    memcpy(out->name, e->name, e->len);
    out->name_len = (uint32_t)e->len;
    out->type = e->node->type;
    out->ino = e->node->ino;
    *cookie = e->seq + 1;
    return 0;
}

/* A new node named name in dir, with one link and one reference. */
static int add_new(struct tmpfs *fs, vfs_node dir, const char *name, size_t len, unsigned type,
                   unsigned mode, struct tmpfs_node **out)
{
    struct tmpfs_node *d = NODE(dir);
    int rc = creatable(d, name, len);
    if (rc)
        return rc;
    struct tmpfs_node *n = new_node(fs, type, mode);
    if (!n)
        return -VFS_ENOSPC;
    if ((rc = dir_add(fs, d, name, len, n))) {
        free_node(fs, n);
        return rc;
    }
    n->nlink = 1;
    n->refs = 1;
    *out = n;
    return 0;
}

static int t_create(void *p, vfs_node dir, const char *name, size_t len, uint32_t mode,
                    vfs_node *out)
{
    struct tmpfs_node *n;
    int rc = add_new(FS(p), dir, name, len, VFS_T_FILE, mode, &n);
    if (!rc)
        *out = WORD(n);
    return rc;
}

static int t_mkdir(void *p, vfs_node dir, const char *name, size_t len, uint32_t mode,
                   vfs_node *out)
{
    struct tmpfs_node *n;
    int rc = add_new(FS(p), dir, name, len, VFS_T_DIR, mode, &n);
    if (rc)
        return rc;
    n->nlink = 2;
    n->parent = NODE(dir);
    NODE(dir)->nlink++;
    *out = WORD(n);
    return 0;
}

static int t_symlink(void *p, vfs_node dir, const char *name, size_t len, const char *target,
                     size_t target_len, vfs_node *out)
{
    struct tmpfs *fs = p;
    if (target_len == 0)
        return -VFS_ENOENT;
    if (target_len > VFS_PATH_MAX)
        return -VFS_ENAMETOOLONG;
    int rc = creatable(NODE(dir), name, len);
    if (rc)
        return rc;
    char *t = fs_alloc(fs, target_len);
    if (!t)
        return -VFS_ENOSPC;
    memcpy(t, target, target_len);
    struct tmpfs_node *n;
    if ((rc = add_new(fs, dir, name, len, VFS_T_SYMLINK, 0777, &n))) {
        fs_free(fs, t, target_len);
        return rc;
    }
    n->target = t;
    n->tlen = target_len;
    *out = WORD(n);
    return 0;
}

static long t_readlink(void *p, vfs_node node, char *buf, size_t cap)
{
    (void)p;
    const struct tmpfs_node *n = NODE(node);
    if (n->type != VFS_T_SYMLINK)
        return -VFS_EINVAL;
    memcpy(buf, n->target, n->tlen < cap ? n->tlen : cap);
    return (long)n->tlen;
}

static int t_link(void *p, vfs_node node, vfs_node dir, const char *name, size_t len)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *n = NODE(node);
    if (n->type == VFS_T_DIR)
        return -VFS_EPERM;
    if (n->nlink == 0)
        return -VFS_ENOENT;
    int rc = creatable(NODE(dir), name, len);
    if (rc)
        return rc;
    if ((rc = dir_add(fs, NODE(dir), name, len, n)))
        return rc;
    n->nlink++;
    n->ctime = now(fs);
    return 0;
}

static int t_unlink(void *p, vfs_node dir, const char *name, size_t len)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *d = NODE(dir);
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    long i = dir_find(d, name, len);
    if (i < 0)
        return -VFS_ENOENT;
    struct tmpfs_node *n = d->ents[i].node;
    if (n->type == VFS_T_DIR)
        return -VFS_EISDIR;
    dir_remove(fs, d, (size_t)i);
    n->nlink--;
    n->ctime = now(fs);
    maybe_free(fs, n);
    return 0;
}

static int t_rmdir(void *p, vfs_node dir, const char *name, size_t len)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *d = NODE(dir);
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    long i = dir_find(d, name, len);
    if (i < 0)
        return -VFS_ENOENT;
    struct tmpfs_node *n = d->ents[i].node;
    if (n->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    if (n->nents)
        return -VFS_ENOTEMPTY;
    dir_remove(fs, d, (size_t)i);
    d->nlink--;
    n->nlink = 0;
    n->ctime = now(fs);
    maybe_free(fs, n);
    return 0;
}

static int t_rename(void *p, vfs_node odir, const char *oname, size_t olen, vfs_node ndir,
                    const char *nname, size_t nlen)
{
    struct tmpfs *fs = p;
    struct tmpfs_node *sd = NODE(odir), *dd = NODE(ndir);
    if (sd->type != VFS_T_DIR || dd->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    long si = dir_find(sd, oname, olen), di = dir_find(dd, nname, nlen);
    if (si < 0)
        return -VFS_ENOENT;
    struct tmpfs_node *src = sd->ents[si].node, *dst = di < 0 ? NULL : dd->ents[di].node;
    if (src->type == VFS_T_DIR) {
        for (struct tmpfs_node *q = dd;; q = q->parent) {
            if (q == src)
                return -VFS_EINVAL;
            if (q == fs->root)
                break;
        }
        if (dst && dst->type != VFS_T_DIR)
            return -VFS_ENOTDIR;
        if (dst && dst != src && dst->nents)
            return -VFS_ENOTEMPTY;
    } else if (dst && dst->type == VFS_T_DIR) {
        return -VFS_EISDIR;
    }
    if (src == dst)
        return 0;
    if (!dst && dd->nlink == 0)
        return -VFS_ENOENT;
    if (!dst && nlen > VFS_NAME_MAX)
        return -VFS_EINVAL;
    if (dst) {
        dd->ents[di].node = src;
        dd->mtime = dd->ctime = now(fs);
    } else {
        int rc = dir_add(fs, dd, nname, nlen, src);
        if (rc)
            return rc;
    }
    dir_remove(fs, sd, (size_t)si); /* an add appends: si still names the source */
    if (dst) {
        if (dst->type == VFS_T_DIR) {
            dst->nlink = 0;
            dd->nlink--;
        } else {
            dst->nlink--;
        }
        maybe_free(fs, dst);
    }
    if (src->type == VFS_T_DIR && sd != dd) {
        sd->nlink--;
        dd->nlink++;
        src->parent = dd;
    }
    src->ctime = now(fs);
    return 0;
}

static int t_fsync(void *p, vfs_node n)
{
    (void)p;
    (void)n;
    return 0;
}

static int t_statfs(void *p, struct vfs_statfs *st)
{
    struct tmpfs *fs = p;
    memset(st, 0, sizeof(*st));
    st->block_size = TMPFS_PAGE;
    st->total_blocks = fs->limit_bytes / TMPFS_PAGE;
    st->free_blocks = (fs->limit_bytes - fs->used_bytes) / TMPFS_PAGE;
    uint64_t total, free;
    if (fs->store && !fs->store->space(fs->store->ctx, &total, &free)) {
        st->total_blocks = total / TMPFS_PAGE;
        st->free_blocks = free / TMPFS_PAGE;
    }
    st->total_inodes = fs->max_inodes;
    st->free_inodes = fs->max_inodes - fs->inodes;
    return 0;
}

const struct vfs_ops tmpfs_ops = {
    .root = t_root,
    .lookup = t_lookup,
    .get = t_get,
    .put = t_put,
    .getattr = t_getattr,
    .setattr = t_setattr,
    .read = t_read,
    .write = t_write,
    .readdir = t_readdir,
    .create = t_create,
    .mkdir = t_mkdir,
    .symlink = t_symlink,
    .readlink = t_readlink,
    .link = t_link,
    .unlink = t_unlink,
    .rmdir = t_rmdir,
    .rename = t_rename,
    .fsync = t_fsync,
    .statfs = t_statfs,
    .unmount = t_unmount,
};
