/*
 * tmpfs: an in-memory file system (tmpfs.h; docs/storage.md, "The file
 * service and tmpfs").
 */
#include "tmpfs.h"

#include <string.h>

struct tmpfs_dirent {
    char *name;
    size_t len;
    struct tmpfs_node *node;
};

struct tmpfs_node {
    struct tmpfs_node *prev, *next; /* every node, for tmpfs_destroy */
    uint64_t ino, nlink, opens, size, atime, mtime, ctime;
    unsigned type, mode;
    struct tmpfs_node *parent; /* a directory's */
    uint8_t **pages;           /* a file's pages (NULL: a hole) */
    size_t npages;
    struct tmpfs_dirent *ents; /* a directory's entries */
    size_t nents, cap;
    char *target; /* a symbolic link's */
    size_t tlen;
};

static void *fs_alloc(struct tmpfs *fs, size_t n)
{
    if (n > fs->env.limit_bytes - fs->used_bytes)
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
    if (fs->inodes >= fs->env.max_inodes)
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

static void free_pages(struct tmpfs *fs, struct tmpfs_node *n, size_t from)
{
    for (size_t i = from; i < n->npages; i++) {
        fs_free(fs, n->pages[i], TMPFS_PAGE);
        n->pages[i] = NULL;
    }
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
static void node_put(struct tmpfs *fs, struct tmpfs_node *n)
{
    if (n->nlink == 0 && n->opens == 0)
        free_node(fs, n);
}

int tmpfs_init(struct tmpfs *fs, const struct tmpfs_env *env)
{
    memset(fs, 0, sizeof(*fs));
    fs->env = *env;
    fs->next_ino = 1;
    struct tmpfs_node *r = new_node(fs, TMPFS_T_DIR, 0755);
    if (!r)
        return -TMPFS_ENOSPC;
    r->nlink = 2;
    r->parent = r;
    fs->root = r;
    return 0;
}

void tmpfs_destroy(struct tmpfs *fs)
{
    while (fs->root && fs->root->next)
        free_node(fs, fs->root->next);
    if (fs->root)
        free_node(fs, fs->root);
    fs->root = NULL;
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
            return -TMPFS_ENOSPC;
        if (d->nents)
            memcpy(e, d->ents, d->nents * sizeof(*e));
        fs_free(fs, d->ents, d->cap * sizeof(*e));
        d->ents = e;
        d->cap = cap;
    }
    char *copy = fs_alloc(fs, len);
    if (!copy)
        return -TMPFS_ENOSPC;
    memcpy(copy, name, len);
    d->ents[d->nents++] = (struct tmpfs_dirent){copy, len, n};
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

/* ---- lookup ---- */

struct walk {
    struct tmpfs_node *dir;  /* the directory of the last component */
    struct tmpfs_node *node; /* what it names, or NULL */
    const char *name;        /* the last component (not '.' or '..') */
    size_t nlen;
    int dot;      /* the last component is '.' or '..', or the path is empty */
    int trailing; /* the path ends with '/' */
};

static int walk(struct tmpfs *fs, struct tmpfs_node *start, const char *p, size_t len, int follow,
                int *depth, struct walk *w)
{
    *w = (struct walk){.dir = start, .node = start, .dot = 1};
    size_t i = 0;
    while (i < len && p[i] == '/')
        i++;
    while (i < len) {
        size_t j = i;
        while (j < len && p[j] != '/')
            j++;
        if (j - i > TMPFS_NAME_MAX)
            return -TMPFS_ENAMETOOLONG;
        size_t k = j;
        while (k < len && p[k] == '/')
            k++;
        int last = k == len;
        if (!w->node)
            return -TMPFS_ENOENT;
        if (w->node->type != TMPFS_T_DIR)
            return -TMPFS_ENOTDIR;
        struct tmpfs_node *dir = w->node;
        w->dir = dir;
        w->trailing = last && j < len;
        if (j - i == 1 && p[i] == '.') {
            w->node = dir;
            w->dot = 1;
        } else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.') {
            w->node = dir->parent;
            w->dot = 1;
        } else {
            long e = dir_find(dir, p + i, j - i);
            w->node = e < 0 ? NULL : dir->ents[e].node;
            w->dot = 0;
            w->name = p + i;
            w->nlen = j - i;
            struct tmpfs_node *n = w->node;
            if (n && n->type == TMPFS_T_SYMLINK && (!last || follow || w->trailing)) {
                if (++*depth > TMPFS_LINKS_MAX)
                    return -TMPFS_ELOOP;
                struct walk sub;
                struct tmpfs_node *from = n->tlen && n->target[0] == '/' ? fs->root : dir;
                int rc = walk(fs, from, n->target, n->tlen, 1, depth, &sub);
                if (last) {
                    int trailing = w->trailing;
                    *w = sub;
                    w->trailing |= trailing;
                    if (rc == 0 && w->trailing && w->node && w->node->type != TMPFS_T_DIR)
                        return -TMPFS_ENOTDIR;
                    return rc;
                }
                if (rc)
                    return rc;
                w->node = sub.node;
            }
        }
        i = k;
    }
    if (w->trailing && w->node && w->node->type != TMPFS_T_DIR)
        return -TMPFS_ENOTDIR;
    return 0;
}

static int resolve(struct tmpfs *fs, const char *p, size_t len, int follow, struct walk *w)
{
    if (len > TMPFS_PATH_MAX)
        return -TMPFS_ENAMETOOLONG;
    if (memchr(p, 0, len))
        return -TMPFS_EINVAL;
    int depth = 0;
    return walk(fs, fs->root, p, len, follow, &depth, w);
}

/* A name to create at w: 0, or the error. */
static int creatable(const struct walk *w)
{
    if (w->node)
        return -TMPFS_EEXIST;
    if (w->dir->nlink == 0)
        return -TMPFS_ENOENT; /* a removed directory */
    return 0;
}

/* ---- files ---- */

int tmpfs_open(struct tmpfs *fs, const char *path, size_t len, unsigned flags, unsigned mode,
               struct tmpfs_file *out)
{
    if (flags & ~(unsigned)TMPFS_O_ALL)
        return -TMPFS_EINVAL;
    struct walk w;
    int rc = resolve(fs, path, len, !(flags & TMPFS_O_NOFOLLOW), &w);
    if (rc)
        return rc;
    struct tmpfs_node *n = w.node;
    if (!n) {
        if (!(flags & TMPFS_O_CREATE))
            return -TMPFS_ENOENT;
        if (w.trailing || (flags & TMPFS_O_DIRECTORY))
            return -TMPFS_EISDIR;
        if ((rc = creatable(&w)))
            return rc;
        n = new_node(fs, TMPFS_T_FILE, mode);
        if (!n)
            return -TMPFS_ENOSPC;
        if ((rc = dir_add(fs, w.dir, w.name, w.nlen, n))) {
            free_node(fs, n);
            return rc;
        }
        n->nlink = 1;
    } else {
        if ((flags & TMPFS_O_CREATE) && (flags & TMPFS_O_EXCL))
            return -TMPFS_EEXIST;
        if (n->type == TMPFS_T_SYMLINK)
            return -TMPFS_ELOOP; /* O_NOFOLLOW */
        if ((flags & TMPFS_O_DIRECTORY) && n->type != TMPFS_T_DIR)
            return -TMPFS_ENOTDIR;
        if (n->type == TMPFS_T_DIR && (flags & (TMPFS_O_WRITE | TMPFS_O_TRUNC)))
            return -TMPFS_EISDIR;
        if ((flags & TMPFS_O_TRUNC) && (flags & TMPFS_O_WRITE)) {
            struct tmpfs_file f = {n, flags};
            tmpfs_truncate(fs, &f, 0);
        }
    }
    n->opens++;
    *out = (struct tmpfs_file){n, flags};
    return 0;
}

void tmpfs_close(struct tmpfs *fs, struct tmpfs_file *f)
{
    if (!f->node)
        return;
    f->node->opens--;
    node_put(fs, f->node);
    f->node = NULL;
}

long tmpfs_read(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t off, void *buf, size_t n)
{
    (void)fs;
    struct tmpfs_node *nd = f->node;
    if (!(f->flags & TMPFS_O_READ))
        return -TMPFS_EBADF;
    if (nd->type == TMPFS_T_DIR)
        return -TMPFS_EISDIR;
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
        if (pg < nd->npages && nd->pages[pg])
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
        return -TMPFS_ENOSPC;
    memset(p, 0, cap * sizeof(*p));
    if (n->npages)
        memcpy(p, n->pages, n->npages * sizeof(*p));
    fs_free(fs, n->pages, n->npages * sizeof(*p));
    n->pages = p;
    n->npages = cap;
    return 0;
}

long tmpfs_write(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t off, const void *buf,
                 size_t n)
{
    struct tmpfs_node *nd = f->node;
    if (!(f->flags & TMPFS_O_WRITE))
        return -TMPFS_EBADF;
    if (nd->type == TMPFS_T_DIR)
        return -TMPFS_EISDIR;
    if (off > TMPFS_FILE_MAX || n > TMPFS_FILE_MAX - off)
        return -TMPFS_EFBIG;
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
        if (!nd->pages[pg]) {
            uint8_t *p = fs_alloc(fs, TMPFS_PAGE);
            if (!p)
                break;
            memset(p, 0, TMPFS_PAGE);
            nd->pages[pg] = p;
        }
        memcpy(nd->pages[pg] + at, in + done, k);
        done += k;
    }
    if (done == 0)
        return -TMPFS_ENOSPC;
    if (off + done > nd->size)
        nd->size = off + done;
    nd->mtime = nd->ctime = now(fs);
    return (long)done;
}

int tmpfs_truncate(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t size)
{
    struct tmpfs_node *nd = f->node;
    if (!(f->flags & TMPFS_O_WRITE))
        return -TMPFS_EBADF;
    if (nd->type == TMPFS_T_DIR)
        return -TMPFS_EISDIR;
    if (size > TMPFS_FILE_MAX)
        return -TMPFS_EFBIG;
    if (size < nd->size) {
        size_t keep = (size_t)((size + TMPFS_PAGE - 1) / TMPFS_PAGE);
        free_pages(fs, nd, keep);
        size_t in = (size_t)(size % TMPFS_PAGE);
        if (in && keep - 1 < nd->npages && nd->pages[keep - 1])
            memset(nd->pages[keep - 1] + in, 0, TMPFS_PAGE - in);
    }
    nd->size = size;
    nd->mtime = nd->ctime = now(fs);
    return 0;
}

static void fill_stat(const struct tmpfs_node *n, struct tmpfs_stat *st)
{
    st->type = n->type;
    st->mode = n->mode;
    st->size = n->type == TMPFS_T_DIR ? n->nents : n->type == TMPFS_T_SYMLINK ? n->tlen : n->size;
    st->links = n->nlink;
    st->ino = n->ino;
    st->atime = n->atime;
    st->mtime = n->mtime;
    st->ctime = n->ctime;
}

void tmpfs_fstat(struct tmpfs *fs, const struct tmpfs_file *f, struct tmpfs_stat *st)
{
    (void)fs;
    fill_stat(f->node, st);
}

int tmpfs_stat(struct tmpfs *fs, const char *path, size_t len, int nofollow, struct tmpfs_stat *st)
{
    struct walk w;
    int rc = resolve(fs, path, len, !nofollow, &w);
    if (rc)
        return rc;
    if (!w.node)
        return -TMPFS_ENOENT;
    fill_stat(w.node, st);
    return 0;
}

int tmpfs_readdir(struct tmpfs *fs, const struct tmpfs_file *f, uint64_t index, char *name,
                  size_t *name_len, uint64_t *type, uint64_t *ino)
{
    (void)fs;
    struct tmpfs_node *d = f->node;
    if (d->type != TMPFS_T_DIR)
        return -TMPFS_ENOTDIR;
    *name_len = 0;
    *type = 0;
    *ino = 0;
    if (index < 2) {
        memcpy(name, "..", index + 1);
        *name_len = (size_t)index + 1;
        *type = TMPFS_T_DIR;
        *ino = index ? d->parent->ino : d->ino;
    } else if (index - 2 < d->nents) {
        const struct tmpfs_dirent *e = &d->ents[index - 2];
        memcpy(name, e->name, e->len);
        *name_len = e->len;
        *type = e->node->type;
        *ino = e->node->ino;
    }
    return 0;
}

/* ---- names ---- */

int tmpfs_mkdir(struct tmpfs *fs, const char *path, size_t len, unsigned mode)
{
    struct walk w;
    int rc = resolve(fs, path, len, 0, &w);
    if (rc)
        return rc;
    if ((rc = creatable(&w)))
        return rc;
    struct tmpfs_node *n = new_node(fs, TMPFS_T_DIR, mode);
    if (!n)
        return -TMPFS_ENOSPC;
    if ((rc = dir_add(fs, w.dir, w.name, w.nlen, n))) {
        free_node(fs, n);
        return rc;
    }
    n->nlink = 2;
    n->parent = w.dir;
    w.dir->nlink++;
    return 0;
}

int tmpfs_rmdir(struct tmpfs *fs, const char *path, size_t len)
{
    struct walk w;
    int rc = resolve(fs, path, len, 0, &w);
    if (rc)
        return rc;
    struct tmpfs_node *n = w.node;
    if (!n)
        return -TMPFS_ENOENT;
    if (n == fs->root)
        return -TMPFS_EBUSY;
    if (w.dot)
        return -TMPFS_EINVAL;
    if (n->type != TMPFS_T_DIR)
        return -TMPFS_ENOTDIR;
    if (n->nents)
        return -TMPFS_ENOTEMPTY;
    dir_remove(fs, w.dir, (size_t)dir_find(w.dir, w.name, w.nlen));
    w.dir->nlink--;
    n->nlink = 0;
    n->ctime = now(fs);
    node_put(fs, n);
    return 0;
}

int tmpfs_unlink(struct tmpfs *fs, const char *path, size_t len)
{
    struct walk w;
    int rc = resolve(fs, path, len, 0, &w);
    if (rc)
        return rc;
    struct tmpfs_node *n = w.node;
    if (!n)
        return -TMPFS_ENOENT;
    if (n->type == TMPFS_T_DIR)
        return -TMPFS_EISDIR;
    dir_remove(fs, w.dir, (size_t)dir_find(w.dir, w.name, w.nlen));
    n->nlink--;
    n->ctime = now(fs);
    node_put(fs, n);
    return 0;
}

int tmpfs_link(struct tmpfs *fs, const char *from, size_t from_len, const char *to, size_t to_len)
{
    struct walk s, d;
    int rc = resolve(fs, from, from_len, 0, &s);
    if (rc)
        return rc;
    if (!s.node)
        return -TMPFS_ENOENT;
    if (s.node->type == TMPFS_T_DIR)
        return -TMPFS_EPERM;
    if ((rc = resolve(fs, to, to_len, 0, &d)))
        return rc;
    if ((rc = creatable(&d)))
        return rc;
    if (d.trailing)
        return -TMPFS_ENOENT;
    if ((rc = dir_add(fs, d.dir, d.name, d.nlen, s.node)))
        return rc;
    s.node->nlink++;
    s.node->ctime = now(fs);
    return 0;
}

int tmpfs_symlink(struct tmpfs *fs, const char *target, size_t target_len, const char *path,
                  size_t len)
{
    if (target_len == 0)
        return -TMPFS_ENOENT;
    if (target_len > TMPFS_PATH_MAX)
        return -TMPFS_ENAMETOOLONG;
    if (memchr(target, 0, target_len))
        return -TMPFS_EINVAL;
    struct walk w;
    int rc = resolve(fs, path, len, 0, &w);
    if (rc)
        return rc;
    if ((rc = creatable(&w)))
        return rc;
    if (w.trailing)
        return -TMPFS_ENOENT;
    struct tmpfs_node *n = new_node(fs, TMPFS_T_SYMLINK, 0777);
    if (!n)
        return -TMPFS_ENOSPC;
    n->target = fs_alloc(fs, target_len);
    if (!n->target) {
        free_node(fs, n);
        return -TMPFS_ENOSPC;
    }
    memcpy(n->target, target, target_len);
    n->tlen = target_len;
    if ((rc = dir_add(fs, w.dir, w.name, w.nlen, n))) {
        free_node(fs, n);
        return rc;
    }
    n->nlink = 1;
    return 0;
}

long tmpfs_readlink(struct tmpfs *fs, const char *path, size_t len, char *buf)
{
    struct walk w;
    int rc = resolve(fs, path, len, 0, &w);
    if (rc)
        return rc;
    if (!w.node)
        return -TMPFS_ENOENT;
    if (w.node->type != TMPFS_T_SYMLINK)
        return -TMPFS_EINVAL;
    memcpy(buf, w.node->target, w.node->tlen);
    return (long)w.node->tlen;
}

int tmpfs_rename(struct tmpfs *fs, const char *from, size_t from_len, const char *to, size_t to_len)
{
    struct walk s, d;
    int rc = resolve(fs, from, from_len, 0, &s);
    if (rc)
        return rc;
    if (!s.node)
        return -TMPFS_ENOENT;
    if ((rc = resolve(fs, to, to_len, 0, &d)))
        return rc;
    struct tmpfs_node *src = s.node, *dst = d.node;
    if (src == fs->root || dst == fs->root)
        return -TMPFS_EBUSY;
    if (s.dot || d.dot)
        return -TMPFS_EINVAL;
    if (src->type == TMPFS_T_DIR) {
        for (struct tmpfs_node *p = d.dir; p != fs->root; p = p->parent)
            if (p == src)
                return -TMPFS_EINVAL;
        if (dst && dst->type != TMPFS_T_DIR)
            return -TMPFS_ENOTDIR;
        if (dst && dst != src && dst->nents)
            return -TMPFS_ENOTEMPTY;
    } else {
        if (dst && dst->type == TMPFS_T_DIR)
            return -TMPFS_EISDIR;
        if (s.trailing || d.trailing)
            return -TMPFS_ENOTDIR;
    }
    if (src == dst)
        return 0;
    if (!dst && d.dir->nlink == 0)
        return -TMPFS_ENOENT;
    size_t si = (size_t)dir_find(s.dir, s.name, s.nlen);
    if (dst) {
        d.dir->ents[dir_find(d.dir, d.name, d.nlen)].node = src;
        d.dir->mtime = d.dir->ctime = now(fs);
    } else if ((rc = dir_add(fs, d.dir, d.name, d.nlen, src))) {
        return rc;
    }
    dir_remove(fs, s.dir, si); /* an add appends: si still names the source */
    if (dst) {
        if (dst->type == TMPFS_T_DIR) {
            dst->nlink = 0;
            d.dir->nlink--;
        } else {
            dst->nlink--;
        }
        node_put(fs, dst);
    }
    if (src->type == TMPFS_T_DIR && s.dir != d.dir) {
        s.dir->nlink--;
        d.dir->nlink++;
        src->parent = d.dir;
    }
    src->ctime = now(fs);
    return 0;
}

void tmpfs_statfs(struct tmpfs *fs, struct tmpfs_statfs *st)
{
    st->total_bytes = fs->env.limit_bytes;
    st->free_bytes = fs->env.limit_bytes - fs->used_bytes;
    st->total_inodes = fs->env.max_inodes;
    st->free_inodes = fs->env.max_inodes - fs->inodes;
}
