/*
 * The overlay backend (overlay.h). An overlay node is a record of what one path
 * names in each layer: a reference to the upper layer's node, the lower's, or both
 * (a directory present in both is merged; a file present in the upper layer hides the
 * lower one). Records are shared: one per (parent record, name) while referenced, so
 * that a path names the same node every time; each holds a reference to its parent,
 * whose directories a copy-up may need to create.
 *
 * Reading goes to the upper node when there is one, else to the lower. A change to
 * a node that has no upper part first copies it up: its parents' directories (mkdir
 * with their mode, owner and times), then the node itself (a directory; a file's
 * contents, its all-zero 4 KiB pieces left as holes; a link's target), with its owner
 * and times. A failed copy removes what it made.
 *
 * Whiteouts (the OCI image layer convention): removing a name the lower layer shows
 * creates an empty upper file ".wh.NAME"; a directory made where a whiteout hides a
 * lower one gets ".wh..wh..opq" and shows nothing of the lower. A whiteout stays when
 * its name is created again in the upper layer (OCI allows both in one layer: a
 * whiteout applies to the layers below only), so that removing the new file does not
 * bring the lower one back. Names beginning with ".wh." are hidden from lookup and
 * readdir and refused by create, mkdir, symlink, link and rename.
 *
 * readdir lists the upper directory, then the lower one (unless the directory is
 * opaque), skipping in the second pass every name that the upper directory holds or
 * whites out: two lookups in the upper layer per lower entry and no list of names
 * kept, so its memory is bounded whatever the directories' sizes. The cookie's top
 * bit says which pass; the rest is that layer's own cookie.
 *
 * Inode numbers: 2 x the lower layer's for a node with no upper part, 2 x the upper
 * layer's + 1 otherwise (a copy-up changes a file's number).
 *
 * Limits: renaming a directory that has a lower part is EXDEV (as Linux's overlayfs
 * without redirect_dir: the caller copies and removes); hard links of the lower layer
 * are copied up separately (two names become two files); a removed lower-only file
 * still referenced reads on but cannot be changed (ENOENT: it has no name left to copy
 * up to); device and other special files are not copied up (EPERM).
 */
#include "overlay.h"

#include <stdbool.h>
#include <string.h>

#define WH         ".wh."
#define WH_LEN     4u
#define OPQ        ".wh..wh..opq"
#define OPQ_LEN    12u
#define LOWER_PASS (1ull << 63)
#define CHUNK      4096u

struct onode {
    struct onode *parent; /* a reference; NULL for the root */
    struct onode *next;   /* every record of the mount */
    uint32_t refs;
    uint32_t type;
    bool has_upper, has_lower, opaque, removed;
    vfs_node upper, lower;
    uint32_t name_len;
    char name[VFS_NAME_MAX];
};

struct ovl {
    struct vfs_env env;
    const struct vfs_ops *lo, *up;
    void *lfs, *ufs;
    struct onode *root, *all;
    char wh[VFS_NAME_MAX + 1];
    char target[VFS_PATH_MAX + 1];
};

/* What a name resolves to in a directory: layer references the caller puts. */
struct hit {
    bool has_upper, has_lower, opaque;
    vfs_node upper, lower;
    uint32_t type;
};

/* A layer's put: optional in struct vfs_ops (the initramfs keeps no
 * references), as the VFS treats it. */
static void ref_put(const struct vfs_ops *ops, void *fs, vfs_node n)
{
    if (ops->put)
        ops->put(fs, n);
}

static struct onode *N(vfs_node n)
{
    return (struct onode *)(uintptr_t)n;
}

static bool hidden(const char *name, size_t len)
{
    return len >= WH_LEN && !memcmp(name, WH, WH_LEN);
}

static void hit_put(struct ovl *o, struct hit *h)
{
    if (h->has_upper)
        ref_put(o->up, o->ufs, h->upper);
    if (h->has_lower)
        ref_put(o->lo, o->lfs, h->lower);
    h->has_upper = h->has_lower = false;
}

/* The whiteout name of name in o->wh: its length, or 0 when it would be too long. */
static size_t wh_name(struct ovl *o, const char *name, size_t len)
{
    if (len + WH_LEN > VFS_NAME_MAX)
        return 0;
    memcpy(o->wh, WH, WH_LEN);
    memcpy(o->wh + WH_LEN, name, len);
    return len + WH_LEN;
}

/* 1 if the upper directory udir holds name, 0 if not, or -errno. */
static int upper_has(struct ovl *o, vfs_node udir, const char *name, size_t len)
{
    vfs_node n;
    int rc = o->up->lookup(o->ufs, udir, name, len, &n);
    if (!rc) {
        ref_put(o->up, o->ufs, n);
        return 1;
    }
    return rc == -VFS_ENOENT ? 0 : rc;
}

static int whited_out(struct ovl *o, vfs_node udir, const char *name, size_t len)
{
    size_t w = wh_name(o, name, len);
    return w ? upper_has(o, udir, o->wh, w) : 0;
}

static int type_in(const struct vfs_ops *ops, void *fs, vfs_node n, uint32_t *type)
{
    struct vfs_attr a;
    int rc = ops->getattr(fs, n, &a);
    if (!rc)
        *type = a.type;
    return rc;
}

static int resolve(struct ovl *o, const struct onode *dir, const char *name, size_t len,
                   struct hit *h)
{
    int rc;
    memset(h, 0, sizeof(*h));
    if (dir->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    if (dir->removed || hidden(name, len))
        return -VFS_ENOENT;
    if (!len || len > VFS_NAME_MAX)
        return len ? -VFS_ENAMETOOLONG : -VFS_ENOENT;
    bool merge = dir->has_lower && !dir->opaque;
    if (dir->has_upper) {
        rc = o->up->lookup(o->ufs, dir->upper, name, len, &h->upper);
        if (!rc) {
            h->has_upper = true;
            if ((rc = type_in(o->up, o->ufs, h->upper, &h->type)))
                goto fail;
            if (h->type != VFS_T_DIR)
                return 0;
            if ((rc = upper_has(o, h->upper, OPQ, OPQ_LEN)) < 0)
                goto fail;
            h->opaque = rc;
            if (h->opaque || !merge || o->lo->lookup(o->lfs, dir->lower, name, len, &h->lower))
                return 0;
            uint32_t t;
            if (!type_in(o->lo, o->lfs, h->lower, &t) && t == VFS_T_DIR)
                h->has_lower = true;
            else
                ref_put(o->lo, o->lfs, h->lower);
            return 0;
        }
        if (rc != -VFS_ENOENT)
            return rc;
        if ((rc = whited_out(o, dir->upper, name, len)))
            return rc > 0 ? -VFS_ENOENT : rc;
    }
    if (!merge)
        return -VFS_ENOENT;
    if ((rc = o->lo->lookup(o->lfs, dir->lower, name, len, &h->lower)))
        return rc;
    h->has_lower = true;
    if ((rc = type_in(o->lo, o->lfs, h->lower, &h->type)))
        goto fail;
    return 0;
fail:
    hit_put(o, h);
    return rc;
}

/* Whether the lower layer shows name in dir (no whiteout hides it): 1, 0 or -errno. */
static int lower_visible(struct ovl *o, const struct onode *dir, const char *name, size_t len)
{
    vfs_node n;
    if (!dir->has_lower || dir->opaque)
        return 0;
    int rc = o->lo->lookup(o->lfs, dir->lower, name, len, &n);
    if (rc)
        return rc == -VFS_ENOENT ? 0 : rc;
    ref_put(o->lo, o->lfs, n);
    if (!dir->has_upper)
        return 1;
    rc = whited_out(o, dir->upper, name, len);
    return rc < 0 ? rc : !rc;
}

static struct onode *find(struct ovl *o, const struct onode *dir, const char *name, size_t len)
{
    for (struct onode *n = o->all; n; n = n->next)
        if (n->parent == dir && !n->removed && n->name_len == len && !memcmp(n->name, name, len))
            return n;
    return NULL;
}

/* A record for h (its references taken over) named name in dir; NULL: no memory. */
static struct onode *adopt(struct ovl *o, struct onode *dir, const char *name, size_t len,
                           struct hit *h)
{
    struct onode *n = o->env.alloc(o->env.ctx, sizeof(*n));
    if (!n) {
        hit_put(o, h);
        return NULL;
    }
    memset(n, 0, sizeof(*n));
    n->refs = 1;
    n->type = h->type;
    n->has_upper = h->has_upper;
    n->has_lower = h->has_lower;
    n->upper = h->upper;
    n->lower = h->lower;
    n->opaque = h->opaque;
    n->parent = dir;
    if (dir)
        dir->refs++;
    n->name_len = (uint32_t)len;
    memcpy(n->name, name, len);
    n->next = o->all;
    o->all = n;
    return n;
}

static void o_get(void *fs, vfs_node n)
{
    (void)fs;
    N(n)->refs++;
}

static void o_put(void *fs, vfs_node node)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    while (n && !--n->refs) {
        struct onode **p = &o->all;
        while (*p != n)
            p = &(*p)->next;
        *p = n->next;
        if (n->has_upper)
            ref_put(o->up, o->ufs, n->upper);
        if (n->has_lower)
            ref_put(o->lo, o->lfs, n->lower);
        struct onode *parent = n->parent;
        o->env.free(o->env.ctx, n, sizeof(*n));
        n = parent;
    }
}

static int o_root(void *fs, vfs_node *out)
{
    struct ovl *o = fs;
    o->root->refs++;
    *out = (vfs_node)(uintptr_t)o->root;
    return 0;
}

static int o_lookup(void *fs, vfs_node dir, const char *name, size_t len, vfs_node *out)
{
    struct ovl *o = fs;
    struct onode *d = N(dir), *n = find(o, d, name, len);
    struct hit h;
    if (!n) {
        int rc = resolve(o, d, name, len, &h);
        if (rc)
            return rc;
        if (!(n = adopt(o, d, name, len, &h)))
            return -VFS_ENOMEM;
    } else {
        n->refs++;
    }
    *out = (vfs_node)(uintptr_t)n;
    return 0;
}

static int o_getattr(void *fs, vfs_node node, struct vfs_attr *out)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    int rc = n->has_upper ? o->up->getattr(o->ufs, n->upper, out)
                          : o->lo->getattr(o->lfs, n->lower, out);
    if (rc)
        return rc;
    out->ino = n->has_upper ? 2 * out->ino + 1 : 2 * out->ino;
    if (n->removed && !n->has_upper)
        out->links = 0;
    return 0;
}

static bool all_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* Copies lower file l's contents into upper file u. */
static int copy_data(struct ovl *o, vfs_node l, vfs_node u, uint64_t size)
{
    uint8_t *buf = o->env.alloc(o->env.ctx, CHUNK);
    int rc = 0;
    if (!buf)
        return -VFS_ENOMEM;
    for (uint64_t off = 0; off < size;) {
        long r = o->lo->read(o->lfs, l, off, buf, CHUNK);
        if (r <= 0) {
            rc = (int)r;
            break;
        }
        if (!all_zero(buf, (size_t)r)) {
            long w = o->up->write(o->ufs, u, off, buf, (size_t)r);
            if (w != r) {
                rc = w < 0 ? (int)w : -VFS_ENOSPC;
                break;
            }
        }
        off += (uint64_t)r;
    }
    o->env.free(o->env.ctx, buf, CHUNK);
    struct vfs_attr a = {.size = size};
    if (!rc && size)
        rc = o->up->setattr(o->ufs, u, VFS_SET_SIZE, &a); /* a hole at the end */
    return rc;
}

static int copy_up(struct ovl *o, struct onode *n)
{
    if (n->has_upper)
        return 0;
    if (n->removed || !n->parent)
        return -VFS_ENOENT;
    struct onode *p = n->parent;
    int rc = copy_up(o, p);
    if (rc)
        return rc;
    struct vfs_attr a;
    vfs_node u;
    if ((rc = o->lo->getattr(o->lfs, n->lower, &a)))
        return rc;
    switch (a.type) {
    case VFS_T_DIR:
        rc = o->up->mkdir(o->ufs, p->upper, n->name, n->name_len, a.mode, &u);
        break;
    case VFS_T_FILE:
        rc = o->up->create(o->ufs, p->upper, n->name, n->name_len, a.mode, &u);
        break;
    case VFS_T_SYMLINK: {
        long len = o->lo->readlink(o->lfs, n->lower, o->target, VFS_PATH_MAX);
        if (len < 0)
            return (int)len;
        if (len > (long)VFS_PATH_MAX)
            return -VFS_ENAMETOOLONG;
        rc = o->up->symlink(o->ufs, p->upper, n->name, n->name_len, o->target, (size_t)len, &u);
        break;
    }
    default:
        return -VFS_EPERM;
    }
    if (rc)
        return rc;
    if (a.type == VFS_T_FILE)
        rc = copy_data(o, n->lower, u, a.size);
    if (!rc && a.type != VFS_T_SYMLINK)
        o->up->setattr(o->ufs, u, VFS_SET_OWNER | VFS_SET_ATIME | VFS_SET_MTIME, &a);
    if (rc) {
        ref_put(o->up, o->ufs, u);
        if (a.type == VFS_T_DIR)
            o->up->rmdir(o->ufs, p->upper, n->name, n->name_len);
        else
            o->up->unlink(o->ufs, p->upper, n->name, n->name_len);
        return rc;
    }
    n->upper = u;
    n->has_upper = true;
    return 0;
}

static int o_setattr(void *fs, vfs_node node, unsigned mask, const struct vfs_attr *in)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    int rc = copy_up(o, n);
    return rc ? rc : o->up->setattr(o->ufs, n->upper, mask, in);
}

static long o_read(void *fs, vfs_node node, uint64_t off, void *buf, size_t len)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    return n->has_upper ? o->up->read(o->ufs, n->upper, off, buf, len)
                        : o->lo->read(o->lfs, n->lower, off, buf, len);
}

static long o_write(void *fs, vfs_node node, uint64_t off, const void *buf, size_t len)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    if (n->type == VFS_T_DIR)
        return -VFS_EISDIR;
    int rc = copy_up(o, n);
    return rc ? rc : o->up->write(o->ufs, n->upper, off, buf, len);
}

static long o_readlink(void *fs, vfs_node node, char *buf, size_t cap)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    return n->has_upper ? o->up->readlink(o->ufs, n->upper, buf, cap)
                        : o->lo->readlink(o->lfs, n->lower, buf, cap);
}

static int readdir_of(struct ovl *o, const struct onode *d, uint64_t *cookie,
                      struct vfs_dirent *out)
{
    int rc;
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    for (;;) {
        if (d->removed) {
            out->name_len = 0;
            return 0;
        }
        if (!(*cookie & LOWER_PASS)) {
            uint64_t c = *cookie;
            if (!d->has_upper) {
                *cookie = LOWER_PASS;
                continue;
            }
            if ((rc = o->up->readdir(o->ufs, d->upper, &c, out)))
                return rc;
            if (c & LOWER_PASS)
                return -VFS_EIO; /* a cookie this overlay cannot carry */
            if (!out->name_len) {
                *cookie = LOWER_PASS;
                continue;
            }
            *cookie = c;
            if (hidden(out->name, out->name_len))
                continue;
            out->ino = 2 * out->ino + 1;
            return 0;
        }
        if (!d->has_lower || d->opaque) {
            out->name_len = 0;
            return 0;
        }
        uint64_t c = *cookie & ~LOWER_PASS;
        if ((rc = o->lo->readdir(o->lfs, d->lower, &c, out)))
            return rc;
        if (c & LOWER_PASS)
            return -VFS_EIO;
        if (!out->name_len)
            return 0;
        *cookie = c | LOWER_PASS;
        if (hidden(out->name, out->name_len))
            continue;
        if (d->has_upper) {
            if ((rc = upper_has(o, d->upper, out->name, out->name_len)) < 0)
                return rc;
            if (rc)
                continue; /* listed in the first pass, or a file hiding it */
            if ((rc = whited_out(o, d->upper, out->name, out->name_len)) < 0)
                return rc;
            if (rc)
                continue;
        }
        out->ino *= 2;
        return 0;
    }
}

static int o_readdir(void *fs, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out)
{
    return readdir_of(fs, N(dir), cookie, out);
}

/* Whether the directory h resolved to shows no entry: 0, -ENOTEMPTY or -errno. */
static int merged_empty(struct ovl *o, const struct hit *h)
{
    struct onode view = {.type = VFS_T_DIR,
                         .has_upper = h->has_upper,
                         .has_lower = h->has_lower,
                         .opaque = h->opaque,
                         .upper = h->upper,
                         .lower = h->lower};
    struct vfs_dirent e;
    uint64_t cookie = 0;
    int rc = readdir_of(o, &view, &cookie, &e);
    return rc ? rc : e.name_len ? -VFS_ENOTEMPTY : 0;
}

/* Removes the whiteouts (and the opaque mark) from upper directory u, which must
 * show nothing else, so that the upper layer lets it be removed or replaced. */
static int clear_hidden(struct ovl *o, vfs_node u)
{
    struct vfs_dirent e;
    for (;;) {
        uint64_t cookie = 0; /* from the start after each removal: any cookie scheme */
        int rc;
        do {
            if ((rc = o->up->readdir(o->ufs, u, &cookie, &e)))
                return rc;
        } while (e.name_len && !hidden(e.name, e.name_len));
        if (!e.name_len)
            return 0;
        if ((rc = o->up->unlink(o->ufs, u, e.name, e.name_len)))
            return rc;
    }
}

/* Marks name's lower entry removed in dir (copied up) when the lower layer shows it. */
static int white_out(struct ovl *o, struct onode *dir, const char *name, size_t len)
{
    int rc = lower_visible(o, dir, name, len);
    if (rc <= 0)
        return rc;
    size_t w = wh_name(o, name, len);
    vfs_node n;
    if (!w)
        return -VFS_ENAMETOOLONG;
    if ((rc = copy_up(o, dir)) || (rc = o->up->create(o->ufs, dir->upper, o->wh, w, 0, &n)))
        return rc;
    ref_put(o->up, o->ufs, n);
    return 0;
}

static void detach(struct ovl *o, struct onode *dir, const char *name, size_t len)
{
    struct onode *n = find(o, dir, name, len);
    if (n)
        n->removed = true;
}

enum kind { K_FILE, K_DIR, K_LINK };

static int make(struct ovl *o, struct onode *d, const char *name, size_t len, enum kind k,
                uint32_t mode, const char *target, size_t tlen, vfs_node *out)
{
    struct hit h;
    if (hidden(name, len))
        return -VFS_EINVAL;
    int rc = resolve(o, d, name, len, &h);
    if (!rc) {
        hit_put(o, &h);
        return -VFS_EEXIST;
    }
    if (rc != -VFS_ENOENT || d->removed)
        return rc;
    if ((rc = copy_up(o, d)))
        return rc;
    int wh = whited_out(o, d->upper, name, len);
    if (wh < 0)
        return wh;
    memset(&h, 0, sizeof(h));
    if (k == K_FILE)
        rc = o->up->create(o->ufs, d->upper, name, len, mode, &h.upper);
    else if (k == K_DIR)
        rc = o->up->mkdir(o->ufs, d->upper, name, len, mode, &h.upper);
    else
        rc = o->up->symlink(o->ufs, d->upper, name, len, target, tlen, &h.upper);
    if (rc)
        return rc;
    h.has_upper = true;
    h.type = k == K_FILE ? VFS_T_FILE : k == K_DIR ? VFS_T_DIR : VFS_T_SYMLINK;
    if (k == K_DIR && wh) {
        /* Where a whiteout hides a lower directory, the new one is opaque. */
        vfs_node m;
        if ((rc = o->up->create(o->ufs, h.upper, OPQ, OPQ_LEN, 0, &m))) {
            hit_put(o, &h);
            o->up->rmdir(o->ufs, d->upper, name, len);
            return rc;
        }
        ref_put(o->up, o->ufs, m);
        h.opaque = true;
    }
    struct onode *n = adopt(o, d, name, len, &h);
    if (!n)
        return -VFS_ENOMEM; /* made, not given out: the name stays */
    *out = (vfs_node)(uintptr_t)n;
    return 0;
}

static int o_create(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                    vfs_node *out)
{
    return make(fs, N(dir), name, len, K_FILE, mode, NULL, 0, out);
}

static int o_mkdir(void *fs, vfs_node dir, const char *name, size_t len, uint32_t mode,
                   vfs_node *out)
{
    return make(fs, N(dir), name, len, K_DIR, mode, NULL, 0, out);
}

static int o_symlink(void *fs, vfs_node dir, const char *name, size_t len, const char *target,
                     size_t tlen, vfs_node *out)
{
    return make(fs, N(dir), name, len, K_LINK, 0777, target, tlen, out);
}

static int o_link(void *fs, vfs_node node, vfs_node dir, const char *name, size_t len)
{
    struct ovl *o = fs;
    struct onode *n = N(node), *d = N(dir);
    struct hit h;
    if (hidden(name, len))
        return -VFS_EINVAL;
    int rc = resolve(o, d, name, len, &h);
    if (!rc) {
        hit_put(o, &h);
        return -VFS_EEXIST; /* before EPERM, as Linux */
    }
    if (rc != -VFS_ENOENT || d->removed)
        return rc;
    if (n->type == VFS_T_DIR)
        return -VFS_EPERM;
    if ((rc = copy_up(o, n)) || (rc = copy_up(o, d)))
        return rc;
    return o->up->link(o->ufs, n->upper, d->upper, name, len);
}

static int o_unlink(void *fs, vfs_node dir, const char *name, size_t len)
{
    struct ovl *o = fs;
    struct onode *d = N(dir);
    struct hit h;
    int rc = resolve(o, d, name, len, &h);
    if (rc)
        return rc;
    if (h.type == VFS_T_DIR)
        rc = -VFS_EISDIR;
    /* The whiteout first: a failure after it leaves the name hidden, not half gone. */
    else if (!(rc = white_out(o, d, name, len)) && h.has_upper)
        rc = o->up->unlink(o->ufs, d->upper, name, len);
    hit_put(o, &h);
    if (!rc)
        detach(o, d, name, len);
    return rc;
}

static int o_rmdir(void *fs, vfs_node dir, const char *name, size_t len)
{
    struct ovl *o = fs;
    struct onode *d = N(dir);
    struct hit h;
    int rc = resolve(o, d, name, len, &h);
    if (rc)
        return rc;
    if (h.type != VFS_T_DIR)
        rc = -VFS_ENOTDIR;
    else if (!(rc = merged_empty(o, &h)) && !(rc = white_out(o, d, name, len)) && h.has_upper &&
             !(rc = clear_hidden(o, h.upper)))
        rc = o->up->rmdir(o->ufs, d->upper, name, len);
    hit_put(o, &h);
    if (!rc)
        detach(o, d, name, len);
    return rc;
}

static int o_rename(void *fs, vfs_node odir, const char *oname, size_t olen, vfs_node ndir,
                    const char *nname, size_t nlen)
{
    struct ovl *o = fs;
    struct onode *od = N(odir), *nd = N(ndir);
    struct hit t;
    vfs_node sn;
    if (hidden(nname, nlen))
        return -VFS_EINVAL;
    int rc = o_lookup(o, odir, oname, olen, &sn);
    if (rc)
        return rc;
    struct onode *s = N(sn);
    if (s->type == VFS_T_DIR && s->has_lower) {
        o_put(o, sn);
        return -VFS_EXDEV; /* a merged directory: documented */
    }
    rc = resolve(o, nd, nname, nlen, &t);
    if (rc == -VFS_ENOENT) {
        rc = 0;
        memset(&t, 0, sizeof(t));
    } else if (!rc) {
        bool same = (s->has_upper && t.has_upper && s->upper == t.upper) ||
                    (!s->has_upper && !t.has_upper && s->lower == t.lower);
        if (same) {
            hit_put(o, &t);
            o_put(o, sn);
            return 0;
        }
        if (s->type == VFS_T_DIR && t.type != VFS_T_DIR)
            rc = -VFS_ENOTDIR;
        else if (s->type != VFS_T_DIR && t.type == VFS_T_DIR)
            rc = -VFS_EISDIR;
        else if (t.type == VFS_T_DIR && !(rc = merged_empty(o, &t)) && t.has_upper)
            rc = clear_hidden(o, t.upper);
    }
    if (!rc)
        rc = copy_up(o, s);
    if (!rc)
        rc = copy_up(o, nd);
    if (!rc && s->type == VFS_T_DIR && nd->has_lower && !nd->opaque && !s->opaque) {
        /* A lower directory of the new name would merge into the moved one. */
        vfs_node l, m;
        if (!o->lo->lookup(o->lfs, nd->lower, nname, nlen, &l)) {
            ref_put(o->lo, o->lfs, l);
            if (!(rc = o->up->create(o->ufs, s->upper, OPQ, OPQ_LEN, 0, &m))) {
                ref_put(o->up, o->ufs, m);
                s->opaque = true;
            }
        }
    }
    if (!rc)
        rc = white_out(o, od, oname, olen);
    if (!rc)
        rc = o->up->rename(o->ufs, od->upper, oname, olen, nd->upper, nname, nlen);
    hit_put(o, &t);
    if (!rc) {
        detach(o, nd, nname, nlen);
        /* The moved record now names the new place; its lower part stays behind. */
        nd->refs++;
        o_put(o, (vfs_node)(uintptr_t)s->parent);
        s->parent = nd;
        s->name_len = (uint32_t)nlen;
        memcpy(s->name, nname, nlen);
        if (s->has_lower) {
            ref_put(o->lo, o->lfs, s->lower);
            s->has_lower = false;
        }
    }
    o_put(o, sn);
    return rc;
}

static int o_fsync(void *fs, vfs_node node)
{
    struct ovl *o = fs;
    struct onode *n = N(node);
    if (!node)
        return o->up->fsync(o->ufs, 0);
    return n->has_upper ? o->up->fsync(o->ufs, n->upper) : 0;
}

static int o_statfs(void *fs, struct vfs_statfs *out)
{
    struct ovl *o = fs;
    return o->up->statfs(o->ufs, out);
}

static void o_unmount(void *fs)
{
    struct ovl *o = fs;
    o_put(o, (vfs_node)(uintptr_t)o->root);
    while (o->all) /* records the server failed to put */
        o_put(o, (vfs_node)(uintptr_t)o->all);
    o->lo->unmount(o->lfs);
    o->up->unmount(o->ufs);
    o->env.free(o->env.ctx, o, sizeof(*o));
}

const struct vfs_ops overlay_ops = {
    .root = o_root,
    .lookup = o_lookup,
    .get = o_get,
    .put = o_put,
    .getattr = o_getattr,
    .setattr = o_setattr,
    .read = o_read,
    .write = o_write,
    .readdir = o_readdir,
    .create = o_create,
    .mkdir = o_mkdir,
    .symlink = o_symlink,
    .readlink = o_readlink,
    .link = o_link,
    .unlink = o_unlink,
    .rmdir = o_rmdir,
    .rename = o_rename,
    .fsync = o_fsync,
    .statfs = o_statfs,
    .unmount = o_unmount,
};

int overlay_mount(const struct vfs_env *env, const struct vfs_ops *lops, void *lfs,
                  const struct vfs_ops *uops, void *ufs, void **fs)
{
    if (!env || !env->alloc || !env->free || !lops || !uops || !lops->root || !lops->lookup ||
        !lops->getattr || !lops->read || !lops->readdir || !lops->readlink || !uops->root ||
        !uops->lookup || !uops->getattr || !uops->setattr || !uops->read || !uops->write ||
        !uops->readdir || !uops->create || !uops->mkdir || !uops->symlink || !uops->readlink ||
        !uops->link || !uops->unlink || !uops->rmdir || !uops->rename || !uops->fsync ||
        !uops->statfs)
        return -VFS_EINVAL;
    struct ovl *o = env->alloc(env->ctx, sizeof(*o));
    if (!o)
        return -VFS_ENOMEM;
    memset(o, 0, sizeof(*o));
    o->env = *env;
    o->lo = lops;
    o->up = uops;
    o->lfs = lfs;
    o->ufs = ufs;
    struct hit h = {.type = VFS_T_DIR};
    int rc = uops->root(ufs, &h.upper);
    if (!rc) {
        h.has_upper = true;
        if (!(rc = lops->root(lfs, &h.lower)))
            h.has_lower = true;
    }
    if (!rc && (rc = upper_has(o, h.upper, OPQ, OPQ_LEN)) >= 0) {
        h.opaque = rc;
        rc = (o->root = adopt(o, NULL, "", 0, &h)) ? 0 : -VFS_ENOMEM;
    } else {
        hit_put(o, &h);
    }
    if (rc) {
        env->free(env->ctx, o, sizeof(*o));
        return rc;
    }
    *fs = o;
    return 0;
}
