/*
 * initrdfs: the initramfs as a read-only file system (initrdfs.h).
 */
#include "initrdfs.h"

#include <string.h>

#include "lib/cpio.h"

#define NONE       UINT32_MAX
#define END_COOKIE ((uint64_t)1 << 32) /* beyond every node's cookie */

struct irnode {
    const char *name; /* in the archive, not NUL-terminated */
    uint32_t nlen;
    uint32_t type, mode;
    uint32_t parent, first, last, next; /* indices: the tree */
    uint32_t nsub, nchildren;           /* a directory's subdirectories and entries */
    const uint8_t *data;                /* a file's bytes or a link's target */
    uint64_t size;
    uint64_t mtime;
};

struct initrdfs {
    struct vfs_env env;
    struct irnode *nodes; /* [0]: the root */
    uint32_t n, cap;
    uint64_t bytes;
};

#define FS(p) ((struct initrdfs *)(p))

static int add_node(struct initrdfs *fs, uint32_t parent, const char *name, size_t len,
                    uint32_t type, uint32_t mode, uint32_t *out)
{
    if (fs->n == fs->cap) {
        uint32_t cap = fs->cap * 2;
        struct irnode *a = fs->env.alloc(fs->env.ctx, (size_t)cap * sizeof(*a));
        if (!a)
            return -VFS_ENOMEM;
        memcpy(a, fs->nodes, (size_t)fs->n * sizeof(*a));
        fs->env.free(fs->env.ctx, fs->nodes, (size_t)fs->cap * sizeof(*a));
        fs->nodes = a;
        fs->cap = cap;
    }
    uint32_t i = fs->n++;
    struct irnode *nd = &fs->nodes[i];
    memset(nd, 0, sizeof(*nd));
    *nd = (struct irnode){.name = name,
                          .nlen = (uint32_t)len,
                          .type = type,
                          .mode = mode & 07777u,
                          .parent = parent,
                          .first = NONE,
                          .last = NONE,
                          .next = NONE};
    struct irnode *p = &fs->nodes[parent];
    if (p->last == NONE)
        p->first = i;
    else
        fs->nodes[p->last].next = i;
    p->last = i;
    p->nchildren++;
    if (type == VFS_T_DIR)
        p->nsub++;
    *out = i;
    return 0;
}

static uint32_t child(const struct initrdfs *fs, uint32_t dir, const char *name, size_t len)
{
    for (uint32_t c = fs->nodes[dir].first; c != NONE; c = fs->nodes[c].next)
        if (fs->nodes[c].nlen == len && memcmp(fs->nodes[c].name, name, len) == 0)
            return c;
    return NONE;
}

static uint32_t type_of(uint32_t mode)
{
    switch (mode & CPIO_MODE_TYPE) {
    case CPIO_MODE_REG:
        return VFS_T_FILE;
    case CPIO_MODE_DIR:
        return VFS_T_DIR;
    case CPIO_MODE_LNK:
        return VFS_T_SYMLINK;
    default:
        return VFS_T_OTHER;
    }
}

/* Puts entry e into the tree. */
static int add_entry(struct initrdfs *fs, const struct cpio_entry *e)
{
    const char *p = e->name;
    size_t len = e->namelen;
    while (len && (*p == '/' || (*p == '.' && (len == 1 || p[1] == '/')))) {
        p++;
        len--;
    }
    if (len == 0)
        return 0; /* "." or "/": the root */
    uint32_t dir = 0;
    size_t i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && p[j] != '/')
            j++;
        size_t k = j;
        while (k < len && p[k] == '/')
            k++;
        const char *c = p + i;
        size_t clen = j - i;
        if (clen > VFS_NAME_MAX || (clen <= 2 && c[0] == '.' && (clen == 1 || c[1] == '.')))
            return -VFS_EUCLEAN;
        if (fs->nodes[dir].type != VFS_T_DIR)
            return -VFS_EUCLEAN;
        uint32_t n = child(fs, dir, c, clen);
        if (k == len) {
            uint32_t type = type_of(e->mode);
            if (n != NONE) {
                /* Listed after what it holds: only a directory may be. */
                if (type != VFS_T_DIR || fs->nodes[n].type != VFS_T_DIR || fs->nodes[n].mtime)
                    return -VFS_EUCLEAN;
                fs->nodes[n].mode = e->mode & 07777u;
                fs->nodes[n].mtime = e->mtime ? e->mtime : 1;
                return 0;
            }
            int rc = add_node(fs, dir, c, clen, type, e->mode, &n);
            if (rc)
                return rc;
            struct irnode *nd = &fs->nodes[n];
            if (type == VFS_T_FILE || type == VFS_T_SYMLINK) {
                nd->data = e->data;
                nd->size = e->size;
                fs->bytes += e->size;
            }
            if (type == VFS_T_SYMLINK && (e->size == 0 || e->size > VFS_PATH_MAX))
                return -VFS_EUCLEAN;
            nd->mtime = e->mtime ? e->mtime : 1; /* nonzero: listed */
            return 0;
        }
        if (n == NONE) {
            int rc = add_node(fs, dir, c, clen, VFS_T_DIR, 0755, &n);
            if (rc)
                return rc;
        }
        dir = n;
        i = k;
    }
}

static void ir_unmount(void *p)
{
    struct initrdfs *fs = p;
    fs->env.free(fs->env.ctx, fs->nodes, (size_t)fs->cap * sizeof(*fs->nodes));
    fs->env.free(fs->env.ctx, fs, sizeof(*fs));
}

int initrdfs_mount(const struct vfs_env *env, const void *archive, size_t len, void **out)
{
    size_t count = 0;
    if (cpio_validate(archive, len, &count, NULL) != CPIO_OK)
        return -VFS_EUCLEAN;
    struct initrdfs *fs = env->alloc(env->ctx, sizeof(*fs));
    if (!fs)
        return -VFS_ENOMEM;
    memset(fs, 0, sizeof(*fs));
    fs->env = *env;
    fs->cap = 16;
    fs->nodes = env->alloc(env->ctx, fs->cap * sizeof(*fs->nodes));
    if (!fs->nodes) {
        env->free(env->ctx, fs, sizeof(*fs));
        return -VFS_ENOMEM;
    }
    fs->n = 1;
    fs->nodes[0] = (struct irnode){
        .type = VFS_T_DIR, .mode = 0555, .first = NONE, .last = NONE, .next = NONE, .parent = 0};
    struct cpio_iter it;
    struct cpio_entry e;
    cpio_iter_init(&it, archive, len);
    enum cpio_err ce;
    int rc = 0;
    while (!rc && (ce = cpio_next(&it, &e)) == CPIO_OK)
        rc = add_entry(fs, &e);
    if (rc) {
        ir_unmount(fs);
        return rc;
    }
    *out = fs;
    return 0;
}

static int ir_root(void *p, vfs_node *out)
{
    (void)p;
    *out = 0;
    return 0;
}

static bool valid(const struct initrdfs *fs, vfs_node n)
{
    return n < fs->n;
}

static int ir_lookup(void *p, vfs_node dir, const char *name, size_t len, vfs_node *out)
{
    struct initrdfs *fs = p;
    if (!valid(fs, dir))
        return -VFS_EIO;
    if (fs->nodes[dir].type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    uint32_t c = child(fs, (uint32_t)dir, name, len);
    if (c == NONE)
        return -VFS_ENOENT;
    *out = c;
    return 0;
}

static int ir_getattr(void *p, vfs_node n, struct vfs_attr *out)
{
    struct initrdfs *fs = p;
    if (!valid(fs, n))
        return -VFS_EIO;
    const struct irnode *nd = &fs->nodes[n];
    memset(out, 0, sizeof(*out));
    out->type = nd->type;
    out->mode = nd->mode;
    out->size = nd->type == VFS_T_DIR ? nd->nchildren : nd->size;
    out->links = nd->type == VFS_T_DIR ? 2 + nd->nsub : 1;
    out->ino = n + 1;
    out->blocks = (nd->size + 511) / 512;
    out->atime = out->mtime = out->ctime = nd->mtime > 1 ? nd->mtime * 1000000000ull : 0;
    return 0;
}

static long ir_read(void *p, vfs_node n, uint64_t off, void *buf, size_t len)
{
    struct initrdfs *fs = p;
    if (!valid(fs, n))
        return -VFS_EIO;
    const struct irnode *nd = &fs->nodes[n];
    if (nd->type == VFS_T_DIR)
        return -VFS_EISDIR;
    if (nd->type != VFS_T_FILE)
        return -VFS_EINVAL;
    if (off >= nd->size)
        return 0;
    if (len > nd->size - off)
        len = (size_t)(nd->size - off);
    memcpy(buf, nd->data + off, len);
    return (long)len;
}

static int ir_readdir(void *p, vfs_node dir, uint64_t *cookie, struct vfs_dirent *out)
{
    struct initrdfs *fs = p;
    if (!valid(fs, dir))
        return -VFS_EIO;
    const struct irnode *d = &fs->nodes[dir];
    if (d->type != VFS_T_DIR)
        return -VFS_ENOTDIR;
    out->name_len = 0;
    uint32_t c;
    if (*cookie == 0)
        c = d->first;
    else if (*cookie == END_COOKIE)
        c = NONE;
    else if (*cookie - 1 < fs->n && fs->nodes[*cookie - 1].parent == dir && *cookie - 1 != 0)
        c = (uint32_t)(*cookie - 1);
    else
        return -VFS_EINVAL; /* not a cookie of this directory */
    if (c == NONE)
        return 0;
    const struct irnode *nd = &fs->nodes[c];
    memcpy(out->name, nd->name, nd->nlen);
    out->name_len = nd->nlen;
    out->type = nd->type;
    out->ino = c + 1;
    *cookie = nd->next == NONE ? END_COOKIE : (uint64_t)nd->next + 1;
    return 0;
}

static long ir_readlink(void *p, vfs_node n, char *buf, size_t cap)
{
    struct initrdfs *fs = p;
    if (!valid(fs, n))
        return -VFS_EIO;
    const struct irnode *nd = &fs->nodes[n];
    if (nd->type != VFS_T_SYMLINK)
        return -VFS_EINVAL;
    memcpy(buf, nd->data, nd->size < cap ? (size_t)nd->size : cap);
    return (long)nd->size;
}

static int ir_statfs(void *p, struct vfs_statfs *out)
{
    struct initrdfs *fs = p;
    memset(out, 0, sizeof(*out));
    out->block_size = 512;
    out->total_blocks = (fs->bytes + 511) / 512;
    out->total_inodes = fs->n;
    out->read_only = 1;
    return 0;
}

const struct vfs_ops initrdfs_ops = {
    .root = ir_root,
    .lookup = ir_lookup,
    .getattr = ir_getattr,
    .read = ir_read,
    .readdir = ir_readdir,
    .readlink = ir_readlink,
    .statfs = ir_statfs,
    .unmount = ir_unmount,
};
