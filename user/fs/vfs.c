/*
 * The file server's VFS: path resolution, mounts, namespaces and open files
 * over the backends of vfs.h (vfs_srv.h; docs/storage.md, "The VFS").
 */
#include "vfs_srv.h"

#include <string.h>

/* A node of a mount (a reference while held). */
struct pos {
    struct vfs_mount *m;
    vfs_node n;
};

/* A resolved path: the directories walked (each a reference; the last is
 * the directory of the last component), what the last component names (a
 * reference; m NULL when it names nothing) and that name. */
struct walk {
    struct vfs_ns *ns;
    struct pos stack[VFS_DEPTH_MAX];
    unsigned depth;
    struct pos node;
    const char *name; /* the last component (not '.' or '..'), in buf */
    size_t nlen;
    bool dot;      /* the last component is '.' or '..', or the path names the root */
    bool trailing; /* the path ends with '/' */
    uint32_t type; /* node's type */
    char buf[4 * VFS_PATH_MAX];
    char tmp[4 * VFS_PATH_MAX];
};

/* The walks in progress: the VFS is used by one thread, and no call runs
 * more than two at once (rename, link). Static, so that a full pool still
 * lets paths resolve. */
static struct walk scratch[2];

static void pos_get(struct pos p)
{
    if (p.m->fs->ops->get)
        p.m->fs->ops->get(p.m->fs->fs, p.n);
}

static void pos_put(struct pos p)
{
    if (p.m && p.m->fs->ops->put)
        p.m->fs->ops->put(p.m->fs->fs, p.n);
}

static void walk_done(struct walk *w)
{
    while (w->depth)
        pos_put(w->stack[--w->depth]);
    pos_put(w->node);
    w->node.m = NULL;
}

static struct pos *top(struct walk *w)
{
    return &w->stack[w->depth - 1];
}

static int attr_of(struct pos p, struct vfs_attr *a)
{
    memset(a, 0, sizeof(*a));
    return p.m->fs->ops->getattr(p.m->fs->fs, p.n, a);
}

static bool is_mount_root(struct pos p)
{
    return p.m && p.n == p.m->root;
}

static bool read_only(const struct vfs_mount *m)
{
    return m->fs->flags & VFS_MOUNT_RDONLY;
}

/* The mount of ns on (m, n), or NULL. */
static struct vfs_mount *mounted_on(struct vfs_ns *ns, const struct vfs_mount *m, vfs_node n)
{
    for (unsigned i = 1; i < VFS_MOUNTS_MAX; i++)
        if (ns->mounts[i].fs && ns->mounts[i].parent == m && ns->mounts[i].at == n)
            return &ns->mounts[i];
    return NULL;
}

/* True if a mount of ns is on m. */
static bool mounted_child(const struct vfs_ns *ns, const struct vfs_mount *m)
{
    for (unsigned i = 1; i < VFS_MOUNTS_MAX; i++)
        if (ns->mounts[i].fs && ns->mounts[i].parent == m)
            return true;
    return false;
}

static int check_path(const char *p, size_t len)
{
    if (len > VFS_PATH_MAX)
        return -VFS_ENAMETOOLONG;
    if (len && memchr(p, 0, len))
        return -VFS_EINVAL;
    return 0;
}

/* Resets the walk to the namespace's root. */
static void to_root(struct walk *w)
{
    while (w->depth)
        pos_put(w->stack[--w->depth]);
    w->stack[0] = (struct pos){&w->ns->mounts[0], w->ns->mounts[0].root};
    pos_get(w->stack[0]);
    w->depth = 1;
}

/*
 * Resolves path in ns; follow: follow a symbolic link as the last component
 * (one followed by '/' always is). On success the caller owns w's references
 * (walk_done); on failure none are left.
 */
static int walk(struct vfs_ns *ns, const char *path, size_t plen, bool follow, struct walk *w)
{
    int rc = check_path(path, plen);
    if (rc)
        return rc;
    w->ns = ns;
    w->depth = 0;
    w->node.m = NULL;
    w->name = NULL;
    w->nlen = 0;
    w->dot = true;
    w->trailing = false;
    memcpy(w->buf, path, plen);
    size_t len = plen, i = 0;
    unsigned links = 0;
    to_root(w);
    for (;;) {
        while (i < len && w->buf[i] == '/')
            i++;
        if (i == len) {
            /* The root (or a path of slashes only, or after a link to it). */
            w->node = *top(w);
            pos_get(w->node);
            break;
        }
        size_t j = i;
        while (j < len && w->buf[j] != '/')
            j++;
        if (j - i > VFS_NAME_MAX) {
            rc = -VFS_ENAMETOOLONG;
            goto fail;
        }
        size_t k = j;
        while (k < len && w->buf[k] == '/')
            k++;
        bool last = k == len;
        const char *c = w->buf + i;
        size_t clen = j - i;
        if (clen <= 2 && c[0] == '.' && (clen == 1 || c[1] == '.')) {
            if (clen == 2 && w->depth > 1)
                pos_put(w->stack[--w->depth]);
            if (last) {
                w->trailing = j < len;
                w->node = *top(w);
                pos_get(w->node);
                break;
            }
            i = k;
            continue;
        }
        struct pos d = *top(w), child = {d.m, 0};
        rc = d.m->fs->ops->lookup(d.m->fs->fs, d.n, c, clen, &child.n);
        if (rc == -VFS_ENOENT && last) {
            w->dot = false;
            w->name = c;
            w->nlen = clen;
            w->trailing = j < len;
            return 0; /* names nothing */
        }
        if (rc)
            goto fail;
        struct vfs_mount *mm;
        struct vfs_attr a = {0};
        bool crossed = false;
        while ((mm = mounted_on(ns, child.m, child.n))) {
            pos_put(child);
            child = (struct pos){mm, mm->root};
            pos_get(child);
            crossed = true;
        }
        /* A mount's root is a directory (every backend's mount checks it): not asked,
           so that a file system whose device failed can still be unmounted. */
        if (crossed)
            a.type = VFS_T_DIR;
        else if ((rc = attr_of(child, &a))) {
            pos_put(child);
            goto fail;
        }
        if (a.type == VFS_T_SYMLINK && (!last || follow || j < len)) {
            if (++links > VFS_LINKS_MAX) {
                pos_put(child);
                rc = -VFS_ELOOP;
                goto fail;
            }
            if (!child.m->fs->ops->readlink) {
                pos_put(child);
                rc = -VFS_EIO;
                goto fail;
            }
            long t = child.m->fs->ops->readlink(child.m->fs->fs, child.n, w->tmp, sizeof(w->tmp));
            pos_put(child);
            if (t < 0) {
                rc = (int)t;
                goto fail;
            }
            size_t rest = len - j;
            if (t == 0 || (size_t)t > VFS_PATH_MAX || (size_t)t + rest > sizeof(w->buf)) {
                rc = t == 0 ? -VFS_ENOENT : -VFS_ENAMETOOLONG;
                goto fail;
            }
            /* The target, then what followed the link's name. */
            memmove(w->buf + t, w->buf + j, rest);
            memcpy(w->buf, w->tmp, (size_t)t);
            len = (size_t)t + rest;
            i = 0;
            if (w->buf[0] == '/')
                to_root(w);
            continue;
        }
        if (last) {
            w->dot = false;
            w->name = c;
            w->nlen = clen;
            w->trailing = j < len;
            w->node = child;
            w->type = a.type;
            if (w->trailing && a.type != VFS_T_DIR) {
                rc = -VFS_ENOTDIR;
                goto fail;
            }
            return 0;
        }
        if (a.type != VFS_T_DIR) {
            pos_put(child);
            rc = -VFS_ENOTDIR;
            goto fail;
        }
        if (w->depth == VFS_DEPTH_MAX) {
            pos_put(child);
            rc = -VFS_ENAMETOOLONG;
            goto fail;
        }
        w->stack[w->depth++] = child;
        i = k;
    }
    /* The node is a directory of the stack ('.', '..' or the root). */
    struct vfs_attr a;
    if ((rc = attr_of(w->node, &a)))
        goto fail;
    w->type = a.type;
    return 0;
fail:
    walk_done(w);
    return rc;
}

/* The walk's last directory, where the last component is (or would be). */
static struct pos wdir(struct walk *w)
{
    return *top(w);
}

/* ---- instances ---- */

struct vfs_fs *vfs_fs_new(struct vfs *v, const struct vfs_ops *ops, void *fs, const char *type,
                          unsigned flags)
{
    struct vfs_fs *f = v->env.alloc(v->env.ctx, sizeof(*f));
    if (!f)
        return NULL;
    memset(f, 0, sizeof(*f));
    f->ops = ops;
    f->fs = fs;
    f->refs = 1;
    f->flags = flags;
    size_t n = strlen(type);
    if (n >= VFS_TYPE_MAX)
        n = VFS_TYPE_MAX - 1;
    memcpy(f->type, type, n);
    return f;
}

void vfs_fs_put(struct vfs *v, struct vfs_fs *f)
{
    if (!f || --f->refs)
        return;
    if (f->ops->unmount)
        f->ops->unmount(f->fs);
    if (v->released)
        v->released(v->released_ctx, f);
    for (int i = 0; i < 2; i++)
        if (f->below[i]) {
            f->below[i]->above--;
            vfs_fs_put(v, f->below[i]);
        }
    v->env.free(v->env.ctx, f, sizeof(*f));
}

static void lent_unmount(void *fs)
{
    (void)fs; /* the mount it belongs to unmounts it */
}

void vfs_fs_stack(struct vfs_fs *f, struct vfs_fs *lower, struct vfs_fs *upper)
{
    f->lent[0] = *lower->ops;
    f->lent[1] = *upper->ops;
    f->lent[0].unmount = f->lent[1].unmount = lent_unmount;
    f->below[0] = lower;
    f->below[1] = upper;
    lower->refs++;
    lower->above++;
    upper->refs++;
    upper->above++;
}

/* ---- namespaces ---- */

static void set_path(struct vfs_mount *m, const char *p, size_t len)
{
    if (len > VFS_PATH_MAX)
        len = VFS_PATH_MAX;
    memcpy(m->path, p, len);
    m->path[len] = 0;
}

int vfs_ns_new(struct vfs *v, struct vfs_fs *f, struct vfs_ns **out)
{
    struct vfs_ns *ns = v->env.alloc(v->env.ctx, sizeof(*ns));
    if (!ns)
        return -VFS_ENOMEM;
    memset(ns, 0, sizeof(*ns));
    int rc = f->ops->root(f->fs, &ns->mounts[0].root);
    if (rc) {
        v->env.free(v->env.ctx, ns, sizeof(*ns));
        return rc;
    }
    ns->mounts[0].fs = f;
    set_path(&ns->mounts[0], "/", 1);
    *out = ns;
    return 0;
}

static int mount_of(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len,
                    struct vfs_mount **out);

/* Copies mount a of one table into b of another (references taken). */
static void copy_mount(const struct vfs_mount *a, struct vfs_mount *b, struct vfs_mount *parent,
                       const char *path)
{
    *b = *a;
    b->opens = 0;
    b->fs->refs++;
    pos_get((struct pos){b, b->root});
    b->parent = parent;
    if (parent)
        pos_get((struct pos){parent, b->at});
    else
        b->at = 0;
    set_path(b, path, strlen(path));
}

int vfs_ns_copy(struct vfs *v, struct vfs_ns *from, const char *root, size_t len,
                struct vfs_ns **out)
{
    struct vfs_mount *r = &from->mounts[0];
    int rc = len ? mount_of(v, from, root, len, &r) : 0;
    if (rc)
        return rc;
    struct vfs_ns *ns = v->env.alloc(v->env.ctx, sizeof(*ns));
    if (!ns)
        return -VFS_ENOMEM;
    memset(ns, 0, sizeof(*ns));
    /* map[i]: where from's mount i went (-1: left out). */
    int map[VFS_MOUNTS_MAX];
    for (unsigned i = 0; i < VFS_MOUNTS_MAX; i++)
        map[i] = -1;
    size_t strip = r == &from->mounts[0] ? 0 : strlen(r->path);
    map[r - from->mounts] = 0;
    copy_mount(r, &ns->mounts[0], NULL, "/");
    unsigned next = 1;
    for (bool again = true; again;) {
        again = false;
        for (unsigned i = 0; i < VFS_MOUNTS_MAX; i++) {
            const struct vfs_mount *a = &from->mounts[i];
            if (!a->fs || map[i] >= 0 || !a->parent || map[a->parent - from->mounts] < 0)
                continue;
            const char *p = a->path;
            if (strip && strncmp(p, r->path, strip) == 0)
                p += strip;
            map[i] = (int)next;
            copy_mount(a, &ns->mounts[next++], &ns->mounts[map[a->parent - from->mounts]],
                       *p ? p : "/");
            again = true;
        }
    }
    *out = ns;
    return 0;
}

/* Takes mount m out of its table (nothing open, nothing on it). */
static void unmount_one(struct vfs *v, struct vfs_mount *m)
{
    pos_put((struct pos){m, m->root});
    if (m->parent)
        pos_put((struct pos){m->parent, m->at});
    struct vfs_fs *f = m->fs;
    memset(m, 0, sizeof(*m));
    vfs_fs_put(v, f);
}

int vfs_ns_free(struct vfs *v, struct vfs_ns *ns)
{
    if (ns->opens)
        return -VFS_EBUSY;
    /* Mounts on others first: a mount's parent outlives it. */
    for (bool again = true; again;) {
        again = false;
        for (unsigned i = VFS_MOUNTS_MAX; i-- > 0;) {
            struct vfs_mount *m = &ns->mounts[i];
            if (m->fs && !mounted_child(ns, m)) {
                unmount_one(v, m);
                again = true;
            }
        }
    }
    v->env.free(v->env.ctx, ns, sizeof(*ns));
    return 0;
}

/* ---- mounts ---- */

int vfs_mount(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, struct vfs_fs *f)
{
    struct walk *w = &scratch[0];
    int rc = walk(ns, path, len, true, w);
    if (rc)
        goto out;
    struct vfs_mount *m = NULL;
    for (unsigned i = 1; i < VFS_MOUNTS_MAX && !m; i++)
        if (!ns->mounts[i].fs)
            m = &ns->mounts[i];
    if (!w->node.m)
        rc = -VFS_ENOENT;
    else if (w->type != VFS_T_DIR)
        rc = -VFS_ENOTDIR;
    else if (is_mount_root(w->node))
        rc = -VFS_EBUSY;
    else if (!m)
        rc = -VFS_ENOSPC;
    else if (!(rc = f->ops->root(f->fs, &m->root))) {
        m->fs = f;
        m->parent = w->node.m;
        m->at = w->node.n;
        m->opens = 0;
        set_path(m, path, len);
        w->node.m = NULL; /* the mount keeps that reference */
    }
    walk_done(w);
out:
    return rc;
}

/* The mount whose root path names (follow links), or an error. */
static int mount_of(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len,
                    struct vfs_mount **out)
{
    struct walk *w = &scratch[0];
    int rc = walk(ns, path, len, true, w);
    if (!rc) {
        if (!w->node.m)
            rc = -VFS_ENOENT;
        else if (!is_mount_root(w->node))
            rc = -VFS_EINVAL;
        else
            *out = w->node.m;
        walk_done(w);
    }
    return rc;
}

int vfs_umount(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len)
{
    struct vfs_mount *m;
    int rc = mount_of(v, ns, path, len, &m);
    if (rc)
        return rc;
    if (m == &ns->mounts[0] || m->opens || mounted_child(ns, m) || m->fs->above)
        return -VFS_EBUSY;
    unmount_one(v, m);
    return 0;
}

int vfs_mount_at(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len,
                 struct vfs_fs **out)
{
    struct vfs_mount *m;
    int rc = mount_of(v, ns, path, len, &m);
    if (!rc)
        *out = m->fs;
    return rc;
}

const struct vfs_mount *vfs_mount_nth(const struct vfs_ns *ns, unsigned index)
{
    for (unsigned i = 0; i < VFS_MOUNTS_MAX; i++)
        if (ns->mounts[i].fs && index-- == 0)
            return &ns->mounts[i];
    return NULL;
}

/* ---- open files ---- */

#define OPS(m) ((m)->fs->ops)
#define FS(m)  ((m)->fs->fs)

static uint64_t ino_of(struct pos p)
{
    struct vfs_attr a;
    return attr_of(p, &a) ? 0 : a.ino;
}

static int open_walked(struct vfs *v, struct walk *w, unsigned flags, unsigned mode,
                       struct vfs_file *out)
{
    (void)v;
    int rc;
    if (!w->node.m) {
        struct pos d = wdir(w);
        if (!(flags & VFS_O_CREATE))
            return -VFS_ENOENT;
        if (w->trailing || (flags & VFS_O_DIRECTORY))
            return -VFS_EISDIR;
        if (read_only(d.m) || !OPS(d.m)->create)
            return -VFS_EROFS;
        if ((rc = OPS(d.m)->create(FS(d.m), d.n, w->name, w->nlen, mode & 07777u, &w->node.n)))
            return rc;
        w->node.m = d.m;
        w->type = VFS_T_FILE;
    } else {
        if ((flags & VFS_O_CREATE) && (flags & VFS_O_EXCL))
            return -VFS_EEXIST;
        if (w->type == VFS_T_SYMLINK)
            return -VFS_ELOOP; /* O_NOFOLLOW */
        if ((flags & VFS_O_DIRECTORY) && w->type != VFS_T_DIR)
            return -VFS_ENOTDIR;
        if (w->type == VFS_T_DIR && (flags & (VFS_O_WRITE | VFS_O_TRUNC)))
            return -VFS_EISDIR;
        if ((flags & VFS_O_WRITE) && (read_only(w->node.m) || !OPS(w->node.m)->write))
            return -VFS_EROFS;
        if ((flags & VFS_O_TRUNC) && (flags & VFS_O_WRITE)) {
            struct vfs_attr a = {.size = 0};
            if (!OPS(w->node.m)->setattr)
                return -VFS_EROFS;
            if ((rc = OPS(w->node.m)->setattr(FS(w->node.m), w->node.n, VFS_SET_SIZE, &a)))
                return rc;
        }
    }
    /* '..' of a directory: the one below it on the walked path. */
    uint64_t parent_ino = 0;
    if (w->type == VFS_T_DIR) {
        unsigned below = w->dot ? (w->depth > 1 ? w->depth - 2 : 0) : w->depth - 1;
        parent_ino = ino_of(w->stack[below]);
    }
    *out = (struct vfs_file){w->ns, w->node.m, w->node.n, flags, parent_ino};
    if (OPS(w->node.m)->opened)
        OPS(w->node.m)->opened(FS(w->node.m), w->node.n);
    w->node.m->opens++;
    w->ns->opens++;
    w->node.m = NULL; /* the open file keeps the reference */
    return 0;
}

int vfs_open(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, unsigned flags,
             unsigned mode, struct vfs_file *out)
{
    if (flags & ~(unsigned)VFS_O_ALL)
        return -VFS_EINVAL;
    struct walk *w = &scratch[0];
    int rc = walk(ns, path, len, !(flags & VFS_O_NOFOLLOW), w);
    if (!rc) {
        rc = open_walked(v, w, flags, mode, out);
        walk_done(w);
    }
    return rc;
}

int vfs_close(struct vfs *v, struct vfs_file *f)
{
    (void)v;
    if (!f->m)
        return 0;
    int rc = OPS(f->m)->closing ? OPS(f->m)->closing(FS(f->m), f->node) : 0;
    pos_put((struct pos){f->m, f->node});
    f->m->opens--;
    f->ns->opens--;
    f->m = NULL;
    return rc;
}

long vfs_read(struct vfs *v, const struct vfs_file *f, uint64_t off, void *buf, size_t n)
{
    (void)v;
    if (!(f->flags & VFS_O_READ))
        return -VFS_EBADF;
    return OPS(f->m)->read(FS(f->m), f->node, off, buf, n);
}

long vfs_write(struct vfs *v, const struct vfs_file *f, uint64_t off, const void *buf, size_t n)
{
    (void)v;
    if (!(f->flags & VFS_O_WRITE))
        return -VFS_EBADF;
    if (read_only(f->m) || !OPS(f->m)->write)
        return -VFS_EROFS;
    return OPS(f->m)->write(FS(f->m), f->node, off, buf, n);
}

int vfs_truncate(struct vfs *v, const struct vfs_file *f, uint64_t size)
{
    (void)v;
    if (!(f->flags & VFS_O_WRITE))
        return -VFS_EBADF;
    struct vfs_attr a;
    int rc = attr_of((struct pos){f->m, f->node}, &a);
    if (rc)
        return rc;
    if (a.type == VFS_T_DIR)
        return -VFS_EISDIR;
    if (read_only(f->m) || !OPS(f->m)->setattr)
        return -VFS_EROFS;
    a.size = size;
    return OPS(f->m)->setattr(FS(f->m), f->node, VFS_SET_SIZE, &a);
}

int vfs_fstat(struct vfs *v, const struct vfs_file *f, struct vfs_attr *out)
{
    (void)v;
    return attr_of((struct pos){f->m, f->node}, out);
}

int vfs_fsync(struct vfs *v, const struct vfs_file *f)
{
    (void)v;
    if (read_only(f->m) || !OPS(f->m)->fsync)
        return 0;
    return OPS(f->m)->fsync(FS(f->m), f->node);
}

int vfs_readdir(struct vfs *v, const struct vfs_file *f, uint64_t *cookie, struct vfs_dirent *out)
{
    (void)v;
    struct vfs_attr a;
    int rc = attr_of((struct pos){f->m, f->node}, &a);
    if (rc)
        return rc;
    if (a.type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    memset(out, 0, sizeof(*out));
    if (*cookie < 2) {
        memcpy(out->name, "..", (size_t)*cookie + 1);
        out->name_len = (uint32_t)*cookie + 1;
        out->type = VFS_T_DIR;
        out->ino = *cookie ? f->parent_ino : a.ino;
        ++*cookie;
        return 0;
    }
    if (a.links == 0)
        return 0; /* a removed directory lists nothing */
    uint64_t c = *cookie - 2;
    if ((rc = OPS(f->m)->readdir(FS(f->m), f->node, &c, out)))
        return rc;
    if (out->name_len > VFS_NAME_MAX)
        return -VFS_EIO;
    if (out->name_len)
        *cookie = c > UINT64_MAX - 2 ? UINT64_MAX : c + 2;
    return 0;
}

static int statfs_of(const struct vfs_mount *m, struct vfs_statfs *out)
{
    memset(out, 0, sizeof(*out));
    int rc = OPS(m)->statfs ? OPS(m)->statfs(FS(m), out) : 0;
    if (read_only(m))
        out->read_only = 1;
    return rc;
}

int vfs_statfs_file(struct vfs *v, const struct vfs_file *f, struct vfs_statfs *out)
{
    (void)v;
    return statfs_of(f->m, out);
}

int vfs_statfs(struct vfs *v, struct vfs_ns *ns, struct vfs_statfs *out)
{
    (void)v;
    return statfs_of(&ns->mounts[0], out);
}

/* Applies a SetAttr to node n of mount m. */
static int setattr_at(struct vfs *v, struct vfs_mount *m, vfs_node n, const struct vfs_set *a)
{
    unsigned mask = a->mask;
    if ((mask & ~(unsigned)VFS_A_ALL) || ((mask & VFS_A_ATIME) && (mask & VFS_A_ATIME_NOW)) ||
        ((mask & VFS_A_MTIME) && (mask & VFS_A_MTIME_NOW)))
        return -VFS_EINVAL;
    if (((mask & VFS_A_MODE) && a->mode > 07777u) || ((mask & VFS_A_UID) && a->uid > UINT32_MAX) ||
        ((mask & VFS_A_GID) && a->gid > UINT32_MAX))
        return -VFS_EINVAL;
    if (!mask)
        return 0;
    if (read_only(m) || !OPS(m)->setattr)
        return -VFS_EROFS;
    struct vfs_attr cur;
    int rc = attr_of((struct pos){m, n}, &cur);
    if (rc)
        return rc;
    uint64_t now = v->env.now ? v->env.now(v->env.ctx) : 0;
    unsigned bmask = 0;
    if (mask & VFS_A_MODE) {
        cur.mode = (uint32_t)a->mode;
        bmask |= VFS_SET_MODE;
    }
    if (mask & (VFS_A_UID | VFS_A_GID)) {
        if (mask & VFS_A_UID)
            cur.uid = (uint32_t)a->uid;
        if (mask & VFS_A_GID)
            cur.gid = (uint32_t)a->gid;
        bmask |= VFS_SET_OWNER;
    }
    if (mask & (VFS_A_ATIME | VFS_A_ATIME_NOW)) {
        cur.atime = mask & VFS_A_ATIME ? a->atime : now;
        bmask |= VFS_SET_ATIME;
    }
    if (mask & (VFS_A_MTIME | VFS_A_MTIME_NOW)) {
        cur.mtime = mask & VFS_A_MTIME ? a->mtime : now;
        bmask |= VFS_SET_MTIME;
    }
    return OPS(m)->setattr(FS(m), n, bmask, &cur);
}

int vfs_fsetattr(struct vfs *v, const struct vfs_file *f, const struct vfs_set *a)
{
    return setattr_at(v, f->m, f->node, a);
}

/* ---- paths ---- */

/* Runs fn on the walk of path (nofollow: the last component's link itself). */
#define WITH_WALK(v, ns, path, len, follow, body)                                                  \
    ({                                                                                             \
        struct walk *w = &scratch[0];                                                              \
        (void)(v);                                                                                 \
        int rc_ = walk((ns), (path), (len), (follow), w);                                          \
        if (!rc_) {                                                                                \
            rc_ = (body);                                                                          \
            walk_done(w);                                                                          \
        }                                                                                          \
        rc_;                                                                                       \
    })

static int stat_walked(struct walk *w, struct vfs_attr *out)
{
    if (!w->node.m)
        return -VFS_ENOENT;
    return attr_of(w->node, out);
}

int vfs_stat(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, bool nofollow,
             struct vfs_attr *out)
{
    return WITH_WALK(v, ns, path, len, !nofollow, stat_walked(w, out));
}

static int setattr_walked(struct vfs *v, struct walk *w, const struct vfs_set *a)
{
    if (!w->node.m)
        return -VFS_ENOENT;
    return setattr_at(v, w->node.m, w->node.n, a);
}

int vfs_setattr(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, bool nofollow,
                const struct vfs_set *a)
{
    return WITH_WALK(v, ns, path, len, !nofollow, setattr_walked(v, w, a));
}

static int statfs_walked(struct walk *w, struct vfs_statfs *out, const struct vfs_fs **fs)
{
    if (!w->node.m)
        return -VFS_ENOENT;
    if (fs)
        *fs = w->node.m->fs;
    return statfs_of(w->node.m, out);
}

int vfs_statfs_path(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len,
                    struct vfs_statfs *out, const struct vfs_fs **fs)
{
    return WITH_WALK(v, ns, path, len, true, statfs_walked(w, out, fs));
}

static int mkdir_walked(struct walk *w, unsigned mode)
{
    if (w->node.m)
        return -VFS_EEXIST;
    struct pos d = wdir(w);
    if (read_only(d.m) || !OPS(d.m)->mkdir)
        return -VFS_EROFS;
    vfs_node n;
    int rc = OPS(d.m)->mkdir(FS(d.m), d.n, w->name, w->nlen, mode & 07777u, &n);
    if (!rc)
        pos_put((struct pos){d.m, n});
    return rc;
}

int vfs_mkdir(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, unsigned mode)
{
    return WITH_WALK(v, ns, path, len, false, mkdir_walked(w, mode));
}

/* Checks for removing the name w's last component is: 0 or the error. */
static int removable(struct walk *w)
{
    if (!w->node.m)
        return -VFS_ENOENT;
    if (is_mount_root(w->node))
        return -VFS_EBUSY;
    if (w->dot)
        return -VFS_EINVAL;
    if (read_only(wdir(w).m))
        return -VFS_EROFS;
    return 0;
}

static int rmdir_walked(struct walk *w)
{
    int rc = removable(w);
    if (rc)
        return rc;
    if (w->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    struct pos d = wdir(w);
    if (!OPS(d.m)->rmdir)
        return -VFS_EROFS;
    return OPS(d.m)->rmdir(FS(d.m), d.n, w->name, w->nlen);
}

int vfs_rmdir(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len)
{
    return WITH_WALK(v, ns, path, len, false, rmdir_walked(w));
}

static int unlink_walked(struct walk *w)
{
    if (w->node.m && w->type == VFS_T_DIR)
        return -VFS_EISDIR;
    int rc = removable(w);
    if (rc)
        return rc;
    struct pos d = wdir(w);
    if (!OPS(d.m)->unlink)
        return -VFS_EROFS;
    return OPS(d.m)->unlink(FS(d.m), d.n, w->name, w->nlen);
}

int vfs_unlink(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len)
{
    return WITH_WALK(v, ns, path, len, false, unlink_walked(w));
}

static long readlink_walked(struct walk *w, char *buf, size_t cap)
{
    if (!w->node.m)
        return -VFS_ENOENT;
    if (w->type != VFS_T_SYMLINK || !OPS(w->node.m)->readlink)
        return -VFS_EINVAL;
    return OPS(w->node.m)->readlink(FS(w->node.m), w->node.n, buf, cap);
}

long vfs_readlink(struct vfs *v, struct vfs_ns *ns, const char *path, size_t len, char *buf,
                  size_t cap)
{
    struct walk *w = &scratch[0];
    long rc = walk(ns, path, len, false, w);
    if (!rc) {
        rc = readlink_walked(w, buf, cap);
        walk_done(w);
    }
    return rc;
}

static int symlink_walked(struct walk *w, const char *target, size_t target_len)
{
    if (w->node.m)
        return -VFS_EEXIST;
    if (w->trailing)
        return -VFS_ENOENT;
    struct pos d = wdir(w);
    if (read_only(d.m) || !OPS(d.m)->symlink)
        return -VFS_EROFS;
    vfs_node n;
    int rc = OPS(d.m)->symlink(FS(d.m), d.n, w->name, w->nlen, target, target_len, &n);
    if (!rc)
        pos_put((struct pos){d.m, n});
    return rc;
}

int vfs_symlink(struct vfs *v, struct vfs_ns *ns, const char *target, size_t target_len,
                const char *path, size_t len)
{
    if (target_len == 0)
        return -VFS_ENOENT;
    if (target_len > VFS_PATH_MAX)
        return -VFS_ENAMETOOLONG;
    if (memchr(target, 0, target_len))
        return -VFS_EINVAL;
    return WITH_WALK(v, ns, path, len, false, symlink_walked(w, target, target_len));
}

/* Two walks at once (rename, link): the first is checked by first_ok (0 or
 * an error) before the second is made. */
static int walk2(struct vfs_ns *ns, const char *a, size_t alen, const char *b, size_t blen,
                 int (*first_ok)(struct walk *), struct walk **wa, struct walk **wb)
{
    *wa = &scratch[0];
    *wb = &scratch[1];
    int rc = walk(ns, a, alen, false, *wa);
    if (!rc && ((rc = first_ok(*wa)) || (rc = walk(ns, b, blen, false, *wb))))
        walk_done(*wa);
    return rc;
}

static void walk2_done(struct walk *a, struct walk *b)
{
    walk_done(a);
    walk_done(b);
}

static int link_source(struct walk *s)
{
    if (!s->node.m)
        return -VFS_ENOENT;
    return s->type == VFS_T_DIR ? -VFS_EPERM : 0;
}

static int rename_source(struct walk *s)
{
    return s->node.m ? 0 : -VFS_ENOENT;
}

static int link_walked(struct walk *s, struct walk *d)
{
    if (d->node.m)
        return -VFS_EEXIST;
    if (d->trailing)
        return -VFS_ENOENT;
    struct pos dd = wdir(d);
    if (dd.m->fs != s->node.m->fs)
        return -VFS_EXDEV;
    if (read_only(dd.m) || !OPS(dd.m)->link)
        return -VFS_EROFS;
    return OPS(dd.m)->link(FS(dd.m), s->node.n, dd.n, d->name, d->nlen);
}

int vfs_link(struct vfs *v, struct vfs_ns *ns, const char *from, size_t from_len, const char *to,
             size_t to_len)
{
    struct walk *s, *d;
    (void)v;
    int rc = walk2(ns, from, from_len, to, to_len, link_source, &s, &d);
    if (rc)
        return rc;
    rc = link_walked(s, d);
    walk2_done(s, d);
    return rc;
}

static int rename_walked(struct walk *s, struct walk *d)
{
    if (is_mount_root(s->node) || is_mount_root(d->node))
        return -VFS_EBUSY;
    if (s->dot || d->dot)
        return -VFS_EINVAL;
    struct pos sd = wdir(s), dd = wdir(d);
    if (sd.m->fs != dd.m->fs)
        return -VFS_EXDEV;
    if (s->type == VFS_T_DIR) {
        /* Into its own subtree: it is one of the directories walked to d. */
        for (unsigned i = 0; i < d->depth; i++)
            if (d->stack[i].m->fs == s->node.m->fs && d->stack[i].n == s->node.n)
                return -VFS_EINVAL;
        if (d->node.m && d->type != VFS_T_DIR)
            return -VFS_ENOTDIR;
    } else {
        if (d->node.m && d->type == VFS_T_DIR)
            return -VFS_EISDIR;
        if (s->trailing || d->trailing)
            return -VFS_ENOTDIR;
    }
    if (read_only(dd.m) || !OPS(dd.m)->rename)
        return -VFS_EROFS;
    return OPS(dd.m)->rename(FS(dd.m), sd.n, s->name, s->nlen, dd.n, d->name, d->nlen);
}

int vfs_rename(struct vfs *v, struct vfs_ns *ns, const char *from, size_t from_len, const char *to,
               size_t to_len)
{
    struct walk *s, *d;
    (void)v;
    int rc = walk2(ns, from, from_len, to, to_len, rename_source, &s, &d);
    if (rc)
        return rc;
    rc = rename_walked(s, d);
    walk2_done(s, d);
    return rc;
}
