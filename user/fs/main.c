/*
 * The file server: serves the file protocol (abi/protocols/file.proto) over a
 * VFS (vfs.c, vfs_srv.h) whose backends (vfs.h) are tmpfs in its pool's
 * memory, the initramfs (read-only), and, when built in, ext2 on a block
 * service and overlays. docs/storage.md, "The file service", "The VFS";
 * decisions 115 and 118.
 *
 * Namespaces: every client id (service badge below NS_BADGE0) uses the
 * default namespace, whose root is a tmpfs. Namespace mints the server's
 * endpoint with a new badge (NS_BADGE0 and up) naming a copy of the caller's
 * mount table; DropNamespace revokes it.
 *
 * Handles are badged caps: Open mints the server's endpoint with a badge never
 * used before (HANDLE_BADGE0 and up; client ids and namespaces are below it),
 * keeps that original in a slot of its own and sends a copy as the reply cap.
 * A message arriving with a handle badge acts on that open file (and path
 * messages through it in its namespace); Close revokes the original (every
 * copy the client made goes with it) and frees the slot. So a client can
 * reach only the files it opened, and a handle once closed names nothing,
 * even to a client that kept a copy. A client (a service badge) holds at
 * most OPEN_MAX handles, so that one cannot take every slot.
 *
 * Data moves in the messages (DATA_MAX bytes), or through a VMO a client gives
 * once (SetBuffer, for ReadBuf and WriteBuf through its handles): the server copies between it and a buffer of its own
 * with the kernel's VMO_Read and VMO_Write, so a client that shrinks, revokes
 * or exhausts its VMO gets EFAULT, never a fault in the server.
 *
 * Memory: tmpfs takes from malloc (the pool) up to the pool's limit less
 * RESERVE bytes for the server itself; ENOSPC when either runs out. A tmpfs
 * from MountMemory keeps its files' pages in the VMO the client gave (made
 * from the client's pool; decision 160), reached only through VMO_Read and
 * VMO_Write, and only its names and nodes here (at most a sixteenth of the
 * tmpfs limit). Times are
 * nanoseconds since 1970: the kernel's clock since boot from EPOCH_NS (the
 * Linux personality's CLOCK_REALTIME origin; there is no wall clock yet).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initrdfs.h"
#include "pcache.h"
#include "tmpfs.h"
#include "vfs_srv.h"
#include "weft/invoke.h"
#include "wf/proto/file.h"
#include "wf/startinfo.h"

#if __has_include("ext2fs.h")
#include "ext2fs.h"
#define HAVE_EXT2FS 1
#endif
#if __has_include("overlay.h")
#include "overlay.h"
#define HAVE_OVERLAY 1
#endif

#define NS_BADGE0     ((wf_word_t)1 << 12)
#define HANDLE_BADGE0 ((wf_word_t)1 << 16)
#define RESERVE       (192u * 1024u)
#define MARGIN        (128u * 1024u)
#define HANDLES_MAX   256u
#define DEVICES_MAX   8u                  /* block-service caps kept for mounts */
#define BSLOTS_MAX    8u                  /* slots backends take for caps of their own (vfs_env) */
#define INODE_BYTES   512u                /* the inode count: the byte limit over this */
#define INITRAMFS_VA  (wf_layout.files)   /* wf/layout.h */
#define CACHE_SLOTS   16u                 /* the page cache's objects (a VMO per cached file) */
#define CACHE_LOW     (64u * 1024u)       /* pool free below MARGIN + this: the cache shrinks */
#define CACHE_VA      (wf_layout.scratch) /* the cache's objects, mapped read-only */
#define CACHE_WINDOW  (1ull << 31)        /* one per object: above PCACHE_FILE_MAX */
#define EPOCH_NS      (1767225600ull * 1000000000ull) /* the clock's 0: 2026-01-01 (decision 139) */

enum {
    CNODE = WF_CHILD_CNODE,
    SLOT_REPLY = WF_CHILD_FIRST_FREE,                       /* the loop's Reply object */
    SLOT_RECV,                                              /* where a message's cap lands */
    SLOT_DEV0,                                              /* block-service caps of mounts */
    SLOT_BACKEND0 = SLOT_DEV0 + DEVICES_MAX,                /* backends' own caps (slot_alloc) */
    SLOT_BUF0 = SLOT_BACKEND0 + BSLOTS_MAX,                 /* handles' buffers (SetBuffer) */
    SLOT_NS0 = SLOT_BUF0 + WFP_FILE_BUFFERS_MAX,            /* namespace caps' badged originals */
    SLOT_CACHE0 = SLOT_NS0 + WFP_FILE_NAMESPACES_MAX,       /* the page cache's VMOs */
    SLOT_MAPOUT = SLOT_CACHE0 + CACHE_SLOTS,                /* a Map's reply cap (two slots) */
    SLOT_TMEM0 = SLOT_MAPOUT + 2,                           /* MountMemory's VMOs */
    SLOT_HANDLE0 = SLOT_TMEM0 + WFP_FILE_MEMORY_MOUNTS_MAX, /* handles' badged originals */
};

struct handle {
    wf_word_t badge; /* 0: free */
    wf_word_t owner; /* the service badge of the client that opened it */
    struct vfs_file f;
};

/* A client's buffer (SetBuffer): in slot SLOT_BUF0 + its index. */
struct bufent {
    bool used;
    wf_word_t owner; /* the client's service badge */
    wf_word_t size;
};

struct nsent {
    struct vfs_ns *ns; /* NULL: free */
    wf_word_t badge;   /* 0: the default namespace */
};

static struct vfs v;
static struct nsent spaces[WFP_FILE_NAMESPACES_MAX];
static struct handle handles[HANDLES_MAX];
static unsigned nhandles; /* slots usable for handles */
static wf_word_t next_badge = HANDLE_BADGE0, next_ns_badge = NS_BADGE0;
static bool devices[DEVICES_MAX], bslots[BSLOTS_MAX], cslots[CACHE_SLOTS];
static struct bufent buffers[WFP_FILE_BUFFERS_MAX];
/* What ReadBuf and WriteBuf copy through (touched at start: never a fault). */
static uint8_t bounce[WFP_FILE_BUF_IO_MAX];
static uint64_t tmpfs_limit;
static const uint8_t *initramfs;
static size_t initramfs_len;

_Static_assert(VFS_O_ALL == 127 && WFP_FILE_O_NOFOLLOW == VFS_O_NOFOLLOW &&
                   WFP_FILE_O_READ == VFS_O_READ && WFP_FILE_O_WRITE == VFS_O_WRITE &&
                   WFP_FILE_O_CREATE == VFS_O_CREATE && WFP_FILE_O_EXCLUSIVE == VFS_O_EXCL &&
                   WFP_FILE_O_TRUNCATE == VFS_O_TRUNC && WFP_FILE_O_DIRECTORY == VFS_O_DIRECTORY,
               "open flags");
_Static_assert(WFP_FILE_DATA_MAX <= 8 * (WF_MSG_MAX_WORDS - 3), "data in one message");
_Static_assert(WFP_FILE_PATH_MAX == VFS_PATH_MAX && WFP_FILE_NAME_MAX == VFS_NAME_MAX &&
                   WFP_FILE_MOUNTS_MAX == VFS_MOUNTS_MAX &&
                   WFP_FILE_MOUNT_RDONLY == VFS_MOUNT_RDONLY,
               "bounds");
_Static_assert(WFP_FILE_EROFS == VFS_EROFS && WFP_FILE_EXDEV == VFS_EXDEV &&
                   WFP_FILE_EUCLEAN == VFS_EUCLEAN && WFP_FILE_EIO == VFS_EIO,
               "errno values");

/* malloc's memory is demand-zero: the pool is charged when a page is first
 * touched, and a touch the pool refuses is a fault. So allocations stop while
 * the pool still has MARGIN bytes free for the pages malloc has handed out
 * but the server has not touched yet, its stack and its metadata. */
static bool pool_has(size_t n)
{
    wf_word_t free_bytes = 0;
    return wf_pool_info(WF_CHILD_POOL, 0, 0, 0, &free_bytes) == WF_ERR_OK &&
           free_bytes >= n + MARGIN;
}

static void *a_alloc(void *ctx, size_t n)
{
    (void)ctx;
    /* Short of memory: the page cache gives back what it can, clean objects
     * first, then dirty ones (written back). */
    if (!pool_has(n) && (pcache_shrink_all(false), !pool_has(n)) &&
        (pcache_shrink_all(true), !pool_has(n)))
        return NULL;
    void *p = malloc(n);
    if (p)
        memset(p, 0, n); /* touch it now: charged (or refused) here, not later */
    return p;
}

static void a_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}

static uint64_t a_now(void *ctx)
{
    (void)ctx;
    return EPOCH_NS + wf_clock_ns();
}

/* A free slot for a backend's own cap (ext2 over a disk: its DMA buffer), or 0. */
static uint64_t a_slot_alloc(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < BSLOTS_MAX; i++)
        if (!bslots[i]) {
            bslots[i] = true;
            wf_cnode_delete(CNODE, SLOT_BACKEND0 + i, 64);
            return SLOT_BACKEND0 + i;
        }
    return 0;
}

static void a_slot_free(void *ctx, uint64_t slot)
{
    (void)ctx;
    if (slot >= SLOT_BACKEND0 && slot < SLOT_BACKEND0 + BSLOTS_MAX) {
        wf_cnode_delete(CNODE, slot, 64);
        bslots[slot - SLOT_BACKEND0] = false;
    }
}

static const struct vfs_env env = {.alloc = a_alloc,
                                   .free = a_free,
                                   .now = a_now,
                                   .slot_alloc = a_slot_alloc,
                                   .slot_free = a_slot_free};

/* ---- the page cache's objects: VMOs of the pool in slots SLOT_CACHE0.. ---- */

static int vm_err(enum wf_error e)
{
    return e == WF_ERR_OK ? 0 : e == WF_ERR_NOT_ENOUGH_MEMORY ? -VFS_ENOSPC : -VFS_EIO;
}

/* Every cache object is mapped read-only in a window of its own, for one
 * thing: ReadBuf's one copy (below), the kernel's VMO_Write into the client's
 * buffer reading the window. The server itself never touches a window, so a
 * page gone from under it (a truncate, a client's resize through a shared
 * map cap) fails that copy, never the server. cmapped: bytes mapped (0:
 * none; the copy then goes through the bounce buffer). */
static uint64_t cmapped[CACHE_SLOTS];

static wf_word_t window(uint64_t obj)
{
    return CACHE_VA + (obj - SLOT_CACHE0) * CACHE_WINDOW;
}

static void cache_map(uint64_t obj, uint64_t size)
{
    unsigned i = (unsigned)(obj - SLOT_CACHE0);
    if (cmapped[i])
        wf_vspace_unmap(WF_CHILD_VSPACE, window(obj), cmapped[i]);
    cmapped[i] = 0;
    if (size && size <= CACHE_WINDOW &&
        wf_vspace_map(WF_CHILD_VSPACE, obj, window(obj), 0, size, WF_VM_READ) == WF_ERR_OK)
        cmapped[i] = size;
}

/* A ReadBuf in progress (on_read_buf): the client's buffer, and the one
 * stretch of the bounce buffer c_read delivered into it instead. */
static struct {
    bool on;
    wf_word_t buf; /* its slot */
    size_t lo, hi; /* [lo, hi) of bounce went straight to the buffer */
} direct;

static int c_create(void *ctx, uint64_t size, uint64_t *obj)
{
    (void)ctx;
    for (unsigned i = 0; i < CACHE_SLOTS; i++)
        if (!cslots[i]) {
            wf_word_t slot = SLOT_CACHE0 + i;
            wf_cnode_delete(CNODE, slot, 64);
            int rc = vm_err(wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, size, CNODE, slot, 64));
            if (!rc) {
                cslots[i] = true;
                *obj = slot;
                cache_map(slot, size);
            }
            return rc;
        }
    return -VFS_ENOSPC;
}

static int c_resize(void *ctx, uint64_t obj, uint64_t size)
{
    (void)ctx;
    int rc = vm_err(wf_vmo_resize(obj, size));
    if (!rc)
        cache_map(obj, size);
    return rc;
}

static int c_read(void *ctx, uint64_t obj, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    /* ReadBuf's one copy: the bytes bound for bounce go from the object's
     * window straight into the client's buffer, at the same offset. */
    uint8_t *b = buf;
    if (direct.on && direct.hi == 0 && b >= bounce && len <= sizeof(bounce) &&
        (size_t)(b - bounce) <= sizeof(bounce) - len && obj >= SLOT_CACHE0 &&
        obj < SLOT_CACHE0 + CACHE_SLOTS && off + len <= cmapped[obj - SLOT_CACHE0] &&
        wf_vmo_write(direct.buf, (wf_word_t)(b - bounce), len, WF_CHILD_VSPACE,
                     window(obj) + off) == WF_ERR_OK) {
        direct.lo = (size_t)(b - bounce);
        direct.hi = direct.lo + len;
        return 0;
    }
    return vm_err(wf_vmo_read(obj, off, len, WF_CHILD_VSPACE, (wf_word_t)(uintptr_t)buf));
}

static int c_write(void *ctx, uint64_t obj, uint64_t off, const void *buf, size_t len)
{
    (void)ctx;
    return vm_err(wf_vmo_write(obj, off, len, WF_CHILD_VSPACE, (wf_word_t)(uintptr_t)buf));
}

/* Revoking takes back every cap given out (Map); deleting the last cap
 * destroys the VMO, and its mappings go. */
static void c_destroy(void *ctx, uint64_t obj)
{
    (void)ctx;
    if (obj >= SLOT_CACHE0 && obj < SLOT_CACHE0 + CACHE_SLOTS)
        cache_map(obj, 0);
    wf_cnode_revoke(CNODE, obj, 64);
    wf_cnode_delete(CNODE, obj, 64);
    if (obj >= SLOT_CACHE0 && obj < SLOT_CACHE0 + CACHE_SLOTS)
        cslots[obj - SLOT_CACHE0] = false;
}

static bool c_tight(void *ctx)
{
    (void)ctx;
    return !pool_has(CACHE_LOW);
}

static const struct pcache_vm cache_vm = {NULL,    c_create,  c_resize, c_read,
                                          c_write, c_destroy, c_tight};

/* Wraps a new backend (ops, *fs) in a page cache: on success *ops and *fs are
 * the cache's; on failure the backend is unmounted. */
static int cached(const struct vfs_ops **ops, void **fs, unsigned flags)
{
    void *pc;
    if (pcache_new(&env, &cache_vm, *ops, *fs, flags, &pc)) {
        (*ops)->unmount(*fs);
        return -VFS_ENOSPC;
    }
    *ops = pcache_ops_of(pc);
    *fs = pc;
    return 0;
}

/* A file system goes: give back the device cap it held. */
static void released(void *ctx, struct vfs_fs *f)
{
    (void)ctx;
    if (f->owner_word >= SLOT_DEV0 && f->owner_word < SLOT_DEV0 + DEVICES_MAX) {
        wf_cnode_delete(CNODE, f->owner_word, 64);
        devices[f->owner_word - SLOT_DEV0] = false;
    }
}

/* The handle a message came through, or NULL (a service cap, a closed one). */
static struct handle *handle_of(const struct wf_server_req *r)
{
    if (r->badge < HANDLE_BADGE0)
        return NULL;
    for (unsigned i = 0; i < nhandles; i++)
        if (handles[i].badge == r->badge)
            return &handles[i];
    return NULL;
}

/* The namespace entry a namespace cap's badge names, or NULL. */
static struct nsent *nsent_of(wf_word_t badge)
{
    if (badge < NS_BADGE0 || badge >= HANDLE_BADGE0)
        return NULL;
    for (unsigned i = 1; i < WFP_FILE_NAMESPACES_MAX; i++)
        if (spaces[i].ns && spaces[i].badge == badge)
            return &spaces[i];
    return NULL;
}

/* The namespace a message acts in (never NULL: a revoked cap sends nothing). */
static struct vfs_ns *ns_of(const struct wf_server_req *r)
{
    const struct handle *h = handle_of(r);
    if (h)
        return h->f.ns;
    const struct nsent *e = nsent_of(r->badge);
    return e ? e->ns : spaces[0].ns;
}

static wf_word_t st(long rc)
{
    return rc < 0 ? (wf_word_t)-rc : 0;
}

static wf_word_t on_open(struct wf_server *s, struct wf_server_req *r, wf_word_t flags,
                         wf_word_t mode, const char *path, wf_word_t path_len, wf_word_t *status,
                         wf_word_t *ino, wf_cptr_t *cap)
{
    (void)s;
    /* An Open through a handle counts for the client that opened that one. */
    const struct handle *via = handle_of(r);
    wf_word_t owner = via ? via->owner : r->badge;
    unsigned i = 0, mine = 0;
    for (unsigned k = 0; k < nhandles; k++)
        mine += handles[k].badge && handles[k].owner == owner;
    if (mine >= WFP_FILE_OPEN_MAX) {
        *status = WFP_FILE_EMFILE;
        return WF_ERR_OK;
    }
    while (i < nhandles && handles[i].badge)
        i++;
    if (i == nhandles)
        return WF_ERR_NOT_ENOUGH_MEMORY; /* no handle slot left */
    if (flags > VFS_O_ALL) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    struct vfs_file f;
    int rc = vfs_open(&v, ns_of(r), path, path_len, (unsigned)flags, (unsigned)mode, &f);
    if (rc) {
        *status = st(rc);
        return WF_ERR_OK;
    }
    wf_word_t slot = SLOT_HANDLE0 + i;
    wf_cnode_delete(CNODE, slot, 64);
    if (wf_cnode_mint(CNODE, slot, 64, CNODE, WF_CHILD_SERVE, 64, WF_RIGHTS_ALL, next_badge) !=
        WF_ERR_OK) {
        vfs_close(&v, &f);
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    handles[i] = (struct handle){.badge = next_badge++, .owner = owner, .f = f};
    struct vfs_attr a;
    vfs_fstat(&v, &f, &a);
    *status = 0;
    *ino = a.ino;
    *cap = slot;
    return WF_ERR_OK;
}

static wf_word_t on_close(struct wf_server *s, struct wf_server_req *r, wf_word_t *status)
{
    (void)s;
    struct handle *h = handle_of(r);
    if (!h) {
        *status = WFP_FILE_EBADF;
        return WF_ERR_OK;
    }
    wf_word_t slot = SLOT_HANDLE0 + (wf_word_t)(h - handles);
    wf_cnode_revoke(CNODE, slot, 64);
    wf_cnode_delete(CNODE, slot, 64);
    int rc = vfs_close(&v, &h->f); /* the file's data written back: its error */
    h->badge = 0;
    *status = st(rc);
    return WF_ERR_OK;
}

#define HANDLE_OR_EBADF()                                                                          \
    struct handle *h = handle_of(r);                                                               \
    (void)s;                                                                                       \
    if (!h) {                                                                                      \
        *status = WFP_FILE_EBADF;                                                                  \
        return WF_ERR_OK;                                                                          \
    }

static wf_word_t on_read(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                         wf_word_t max, wf_word_t *status, char *data, wf_word_t *data_len)
{
    HANDLE_OR_EBADF();
    if (max > WFP_FILE_DATA_MAX)
        max = WFP_FILE_DATA_MAX;
    long n = vfs_read(&v, &h->f, offset, data, max);
    *status = st(n);
    *data_len = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_write(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                          const char *data, wf_word_t data_len, wf_word_t *status,
                          wf_word_t *written)
{
    HANDLE_OR_EBADF();
    long n = vfs_write(&v, &h->f, offset, data, data_len);
    *status = st(n);
    *written = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_truncate(struct wf_server *s, struct wf_server_req *r, wf_word_t size,
                             wf_word_t *status)
{
    HANDLE_OR_EBADF();
    *status = st(vfs_truncate(&v, &h->f, size));
    return WF_ERR_OK;
}

static void put_stat(const struct vfs_attr *b, wf_word_t *type, wf_word_t *mode, wf_word_t *size,
                     wf_word_t *links, wf_word_t *ino, wf_word_t *atime, wf_word_t *mtime,
                     wf_word_t *ctime)
{
    *type = b->type;
    *mode = b->mode;
    *size = b->size;
    *links = b->links;
    *ino = b->ino;
    *atime = b->atime;
    *mtime = b->mtime;
    *ctime = b->ctime;
}

static wf_word_t on_stat(struct wf_server *s, struct wf_server_req *r, wf_word_t *status,
                         wf_word_t *type, wf_word_t *mode, wf_word_t *size, wf_word_t *links,
                         wf_word_t *ino, wf_word_t *atime, wf_word_t *mtime, wf_word_t *ctime)
{
    HANDLE_OR_EBADF();
    struct vfs_attr b;
    int rc = vfs_fstat(&v, &h->f, &b);
    *status = st(rc);
    if (!rc)
        put_stat(&b, type, mode, size, links, ino, atime, mtime, ctime);
    return WF_ERR_OK;
}

static wf_word_t on_stat_path(struct wf_server *s, struct wf_server_req *r, wf_word_t nofollow,
                              const char *path, wf_word_t path_len, wf_word_t *status,
                              wf_word_t *type, wf_word_t *mode, wf_word_t *size, wf_word_t *links,
                              wf_word_t *ino, wf_word_t *atime, wf_word_t *mtime, wf_word_t *ctime)
{
    (void)s;
    struct vfs_attr b;
    int rc = vfs_stat(&v, ns_of(r), path, path_len, nofollow != 0, &b);
    *status = st(rc);
    if (!rc)
        put_stat(&b, type, mode, size, links, ino, atime, mtime, ctime);
    return WF_ERR_OK;
}

static wf_word_t on_read_dir(struct wf_server *s, struct wf_server_req *r, wf_word_t cookie,
                             wf_word_t *status, wf_word_t *next, wf_word_t *type, wf_word_t *ino,
                             char *name, wf_word_t *name_len)
{
    HANDLE_OR_EBADF();
    static struct vfs_dirent e;
    uint64_t c = cookie;
    int rc = vfs_readdir(&v, &h->f, &c, &e);
    *status = st(rc);
    if (rc)
        e.name_len = 0;
    memcpy(name, e.name, e.name_len);
    *next = c;
    *type = e.name_len ? e.type : 0;
    *ino = e.name_len ? e.ino : 0;
    *name_len = e.name_len;
    return WF_ERR_OK;
}

static wf_word_t on_mkdir(struct wf_server *s, struct wf_server_req *r, wf_word_t mode,
                          const char *path, wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    *status = st(vfs_mkdir(&v, ns_of(r), path, path_len, (unsigned)mode));
    return WF_ERR_OK;
}

static wf_word_t on_rmdir(struct wf_server *s, struct wf_server_req *r, const char *path,
                          wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    *status = st(vfs_rmdir(&v, ns_of(r), path, path_len));
    return WF_ERR_OK;
}

static wf_word_t on_unlink(struct wf_server *s, struct wf_server_req *r, const char *path,
                           wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    *status = st(vfs_unlink(&v, ns_of(r), path, path_len));
    return WF_ERR_OK;
}

static wf_word_t two_paths(int (*op)(struct vfs *, struct vfs_ns *, const char *, size_t,
                                     const char *, size_t),
                           const struct wf_server_req *r, wf_word_t split, const char *paths,
                           wf_word_t len, wf_word_t *status)
{
    *status = split > len ? WFP_FILE_EINVAL
                          : st(op(&v, ns_of(r), paths, split, paths + split, len - split));
    return WF_ERR_OK;
}

static wf_word_t on_rename(struct wf_server *s, struct wf_server_req *r, wf_word_t split,
                           const char *paths, wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    return two_paths(vfs_rename, r, split, paths, paths_len, status);
}

static wf_word_t on_link(struct wf_server *s, struct wf_server_req *r, wf_word_t split,
                         const char *paths, wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    return two_paths(vfs_link, r, split, paths, paths_len, status);
}

static wf_word_t on_symlink(struct wf_server *s, struct wf_server_req *r, wf_word_t split,
                            const char *paths, wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    return two_paths(vfs_symlink, r, split, paths, paths_len, status);
}

static wf_word_t on_readlink(struct wf_server *s, struct wf_server_req *r, const char *path,
                             wf_word_t path_len, wf_word_t *status, char *target,
                             wf_word_t *target_len)
{
    (void)s;
    long n = vfs_readlink(&v, ns_of(r), path, path_len, target, WFP_FILE_PATH_MAX);
    if (n > (long)WFP_FILE_PATH_MAX)
        n = -VFS_ENAMETOOLONG;
    *status = st(n);
    *target_len = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_fsync(struct wf_server *s, struct wf_server_req *r, wf_word_t *status)
{
    HANDLE_OR_EBADF();
    *status = st(vfs_fsync(&v, &h->f));
    return WF_ERR_OK;
}

static wf_word_t kind_of(const struct vfs_fs *f);

static wf_word_t on_statfs(struct wf_server *s, struct wf_server_req *r, const char *path,
                           wf_word_t path_len, wf_word_t *status, wf_word_t *total_bytes,
                           wf_word_t *free_bytes, wf_word_t *total_inodes, wf_word_t *free_inodes,
                           wf_word_t *bsize, wf_word_t *name_max, wf_word_t *flags, wf_word_t *kind)
{
    (void)s;
    struct vfs_statfs b;
    const struct handle *h = handle_of(r);
    const struct vfs_fs *f = NULL;
    int rc;
    if (path_len)
        rc = vfs_statfs_path(&v, ns_of(r), path, path_len, &b, &f);
    else if (h)
        rc = vfs_statfs_file(&v, &h->f, &b), f = h->f.m->fs;
    else
        rc = vfs_statfs(&v, ns_of(r), &b), f = ns_of(r)->mounts[0].fs;
    *status = st(rc);
    if (!rc) {
        *total_bytes = b.block_size * b.total_blocks;
        *free_bytes = b.block_size * b.free_blocks;
        *total_inodes = b.total_inodes;
        *free_inodes = b.free_inodes;
        *bsize = b.block_size;
        *name_max = VFS_NAME_MAX;
        *flags = b.read_only ? WFP_FILE_STATFS_RDONLY : 0;
        *kind = f ? kind_of(f) : 0;
    }
    return WF_ERR_OK;
}

static void put_attr(const struct vfs_attr *b, wf_word_t *type, wf_word_t *mode, wf_word_t *uid,
                     wf_word_t *gid, wf_word_t *size, wf_word_t *links, wf_word_t *ino,
                     wf_word_t *blocks, wf_word_t *atime, wf_word_t *mtime, wf_word_t *ctime)
{
    put_stat(b, type, mode, size, links, ino, atime, mtime, ctime);
    *uid = b->uid;
    *gid = b->gid;
    *blocks = b->blocks;
}

static wf_word_t on_attr(struct wf_server *s, struct wf_server_req *r, wf_word_t *status,
                         wf_word_t *type, wf_word_t *mode, wf_word_t *uid, wf_word_t *gid,
                         wf_word_t *size, wf_word_t *links, wf_word_t *ino, wf_word_t *blocks,
                         wf_word_t *atime, wf_word_t *mtime, wf_word_t *ctime)
{
    HANDLE_OR_EBADF();
    struct vfs_attr b;
    int rc = vfs_fstat(&v, &h->f, &b);
    *status = st(rc);
    if (!rc)
        put_attr(&b, type, mode, uid, gid, size, links, ino, blocks, atime, mtime, ctime);
    return WF_ERR_OK;
}

static wf_word_t on_attr_path(struct wf_server *s, struct wf_server_req *r, wf_word_t nofollow,
                              const char *path, wf_word_t path_len, wf_word_t *status,
                              wf_word_t *type, wf_word_t *mode, wf_word_t *uid, wf_word_t *gid,
                              wf_word_t *size, wf_word_t *links, wf_word_t *ino, wf_word_t *blocks,
                              wf_word_t *atime, wf_word_t *mtime, wf_word_t *ctime)
{
    (void)s;
    struct vfs_attr b;
    int rc = vfs_stat(&v, ns_of(r), path, path_len, nofollow != 0, &b);
    *status = st(rc);
    if (!rc)
        put_attr(&b, type, mode, uid, gid, size, links, ino, blocks, atime, mtime, ctime);
    return WF_ERR_OK;
}

static wf_word_t on_set_attr(struct wf_server *s, struct wf_server_req *r, wf_word_t mask,
                             wf_word_t mode, wf_word_t uid, wf_word_t gid, wf_word_t atime,
                             wf_word_t mtime, wf_word_t *status)
{
    HANDLE_OR_EBADF();
    struct vfs_set a = {(unsigned)(mask > VFS_A_ALL ? ~0u : mask), mode, uid, gid, atime, mtime};
    *status = st(vfs_fsetattr(&v, &h->f, &a));
    return WF_ERR_OK;
}

static wf_word_t on_set_attr_path(struct wf_server *s, struct wf_server_req *r, wf_word_t nofollow,
                                  wf_word_t mask, wf_word_t mode, wf_word_t uid, wf_word_t gid,
                                  wf_word_t atime, wf_word_t mtime, const char *path,
                                  wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    struct vfs_set a = {(unsigned)(mask > VFS_A_ALL ? ~0u : mask), mode, uid, gid, atime, mtime};
    *status = st(vfs_setattr(&v, ns_of(r), path, path_len, nofollow != 0, &a));
    return WF_ERR_OK;
}

/* ---- tmpfs in a client's memory (MountMemory, decision 160) ---- */

static wf_word_t attach(struct vfs_ns *ns, const char *path, size_t len, struct vfs_fs *f);

/* A MountMemory mount: the client's VMO in slot SLOT_TMEM0 + its index. */
struct tmem {
    bool used;
    uint64_t limit_pages, pages; /* the VMO's size at mount (the limit); now */
    struct tmpfs_store st;
};
static struct tmem tmems[WFP_FILE_MEMORY_MOUNTS_MAX];

static wf_word_t tm_vmo(const struct tmem *t)
{
    return SLOT_TMEM0 + (wf_word_t)(t - tmems);
}

static int tm_resize(void *ctx, uint64_t pages)
{
    struct tmem *t = ctx;
    if (pages > t->limit_pages)
        return -VFS_ENOSPC;
    int rc = vm_err(wf_vmo_resize(tm_vmo(t), pages * WF_PAGE_SIZE));
    if (!rc)
        t->pages = pages;
    return rc;
}

static int tm_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    return vm_err(wf_vmo_read(tm_vmo(ctx), off, len, WF_CHILD_VSPACE, (wf_word_t)(uintptr_t)buf));
}

static int tm_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    return vm_err(wf_vmo_write(tm_vmo(ctx), off, len, WF_CHILD_VSPACE, (wf_word_t)(uintptr_t)buf));
}

static int tm_space(void *ctx, uint64_t *total, uint64_t *free_bytes)
{
    const struct tmem *t = ctx;
    *total = t->limit_pages * WF_PAGE_SIZE;
    *free_bytes = (t->limit_pages - t->pages) * WF_PAGE_SIZE;
    return 0;
}

/* The mount is gone: the server's copy of the VMO goes (with the client's
 * own deleted, the VMO and every byte it held). */
static void tm_release(void *ctx)
{
    struct tmem *t = ctx;
    wf_cnode_delete(CNODE, tm_vmo(t), 64);
    t->used = false;
}

static wf_word_t on_mount_memory(struct wf_server *s, struct wf_server_req *r, wf_word_t flags,
                                 const char *path, wf_word_t path_len, wf_cptr_t memory,
                                 wf_word_t *status)
{
    (void)s;
    struct tmem *t = NULL;
    for (unsigned i = 0; i < WFP_FILE_MEMORY_MOUNTS_MAX && !t; i++)
        if (!tmems[i].used)
            t = &tmems[i];
    wf_word_t bytes = 0;
    *status = 0;
    if (flags & ~(wf_word_t)VFS_MOUNT_ALL ||
        wf_vmo_describe(memory, &bytes, NULL, NULL, NULL) != WF_ERR_OK)
        *status = WFP_FILE_EINVAL;
    else if (!t)
        *status = WFP_FILE_ENOSPC;
    /* A VMO that cannot be resized (physical, no WRITE right) is refused;
     * this one changes nothing. */
    else if (bytes < WF_PAGE_SIZE || wf_vmo_resize(memory, bytes) != WF_ERR_OK)
        *status = WFP_FILE_EINVAL;
    if (!*status) {
        wf_cnode_delete(CNODE, tm_vmo(t), 64);
        if (wf_cnode_move(CNODE, tm_vmo(t), 64, CNODE, memory, 64) != WF_ERR_OK)
            *status = WFP_FILE_EINVAL;
    }
    if (*status) {
        wf_cnode_delete(CNODE, memory, 64);
        return WF_ERR_OK;
    }
    *t = (struct tmem){true, bytes / WF_PAGE_SIZE, bytes / WF_PAGE_SIZE, {0}};
    t->st = (struct tmpfs_store){t, tm_resize, tm_read, tm_write, tm_space, tm_release};
    uint64_t meta = tmpfs_limit / 16;
    void *fs;
    const struct vfs_ops *ops = &tmpfs_ops;
    int rc = tmpfs_mount_store(&env, &t->st, meta, meta / INODE_BYTES, &fs);
    if (rc) {
        tm_release(t);
        *status = st(rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc);
        return WF_ERR_OK;
    }
    if ((rc = cached(&ops, &fs, 0))) { /* the tmpfs unmounted: released */
        *status = st(rc);
        return WF_ERR_OK;
    }
    struct vfs_fs *f = vfs_fs_new(&v, ops, fs, "tmpfs", (unsigned)flags);
    if (!f) {
        ops->unmount(fs);
        *status = WFP_FILE_ENOSPC;
        return WF_ERR_OK;
    }
    *status = attach(ns_of(r), path, path_len, f);
    /* Mounted: cut to the one page tmpfs expects (the contents go). */
    if (!*status)
        tm_resize(t, 1); /* a failure only keeps memory until the first cut */
    return WF_ERR_OK;
}

/* ---- mounts ---- */

static const char *const type_names[] = {
    [WFP_FILE_MOUNT_TMPFS] = "tmpfs",
    [WFP_FILE_MOUNT_INITRAMFS] = "initramfs",
    [WFP_FILE_MOUNT_EXT2] = "ext2",
    [WFP_FILE_MOUNT_OVERLAY] = "overlay",
};

/* A file system's MOUNT_* type (Statfs). */
static wf_word_t kind_of(const struct vfs_fs *f)
{
    for (wf_word_t t = 1; t < sizeof(type_names) / sizeof(type_names[0]); t++)
        if (type_names[t] && !strcmp(f->type, type_names[t]))
            return t;
    return 0;
}

/* A new file system of a type that takes no device. */
static int make_fs(wf_word_t type, unsigned flags, struct vfs_ns *ns, const char *lower,
                   size_t llen, const char *upper, size_t ulen, struct vfs_fs **out)
{
    const struct vfs_ops *ops = NULL;
    void *fs = NULL;
    int rc = -VFS_EINVAL;
    switch (type) {
    case WFP_FILE_MOUNT_TMPFS:
        ops = &tmpfs_ops;
        rc = tmpfs_mount(&env, tmpfs_limit, tmpfs_limit / INODE_BYTES, &fs);
        if (!rc)
            rc = cached(&ops, &fs, 0); /* its data is in memory: only mapped files */
        break;
    case WFP_FILE_MOUNT_INITRAMFS:
        ops = &initrdfs_ops;
        flags |= VFS_MOUNT_RDONLY;
        rc = initramfs ? initrdfs_mount(&env, initramfs, initramfs_len, &fs) : -WFP_FILE_ENODEV;
        break;
    case WFP_FILE_MOUNT_OVERLAY: {
#ifdef HAVE_OVERLAY
        struct vfs_fs *l, *u, *f;
        if ((rc = vfs_mount_at(&v, ns, lower, llen, &l)) ||
            (rc = vfs_mount_at(&v, ns, upper, ulen, &u)))
            break;
        if (l == u)
            return -VFS_EINVAL;
        if (!(f = vfs_fs_new(&v, &overlay_ops, NULL, type_names[type], flags)))
            return -VFS_ENOSPC;
        vfs_fs_stack(f, l, u);
        if ((rc = overlay_mount(&env, &f->lent[0], l->fs, &f->lent[1], u->fs, &f->fs))) {
            static const struct vfs_ops none = {0};
            f->ops = &none; /* nothing to unmount */
            vfs_fs_put(&v, f);
            return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
        }
        *out = f;
        return 0;
#else
        (void)ns, (void)lower, (void)llen, (void)upper, (void)ulen;
        rc = -WFP_FILE_ENODEV;
        break;
#endif
    }
    case WFP_FILE_MOUNT_EXT2:
        rc = -WFP_FILE_EINVAL; /* needs MountDevice */
        break;
    }
    if (rc)
        return rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc;
    *out = vfs_fs_new(&v, ops, fs, type_names[type], flags);
    if (!*out) {
        ops->unmount(fs);
        return -VFS_ENOSPC;
    }
    return 0;
}

/* Mounts f at path, or drops it. */
static wf_word_t attach(struct vfs_ns *ns, const char *path, size_t len, struct vfs_fs *f)
{
    int rc = vfs_mount(&v, ns, path, len, f);
    if (rc)
        vfs_fs_put(&v, f);
    return st(rc);
}

static wf_word_t on_mount(struct wf_server *s, struct wf_server_req *r, wf_word_t type,
                          wf_word_t flags, wf_word_t split, wf_word_t split2, const char *paths,
                          wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    struct vfs_ns *ns = ns_of(r);
    if (flags & ~(wf_word_t)VFS_MOUNT_ALL || split > paths_len ||
        (type == WFP_FILE_MOUNT_OVERLAY && (split2 < split || split2 > paths_len))) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    if (type != WFP_FILE_MOUNT_OVERLAY)
        split2 = split = paths_len;
    struct vfs_fs *f;
    int rc = make_fs(type, (unsigned)flags, ns, paths + split, split2 - split, paths + split2,
                     paths_len - split2, &f);
    *status = rc ? st(rc) : attach(ns, paths, split, f);
    return WF_ERR_OK;
}

static wf_word_t on_mount_device(struct wf_server *s, struct wf_server_req *r, wf_word_t type,
                                 wf_word_t flags, const char *path, wf_word_t path_len,
                                 wf_cptr_t device, wf_word_t *status)
{
    (void)s;
    if (type != WFP_FILE_MOUNT_EXT2 || flags & ~(wf_word_t)VFS_MOUNT_ALL) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
#ifdef HAVE_EXT2FS
    unsigned d = 0;
    while (d < DEVICES_MAX && devices[d])
        d++;
    if (d == DEVICES_MAX) {
        *status = WFP_FILE_ENOSPC;
        return WF_ERR_OK;
    }
    wf_word_t slot = SLOT_DEV0 + d;
    wf_cnode_delete(CNODE, slot, 64);
    if (wf_cnode_move(CNODE, slot, 64, CNODE, device, 64) != WF_ERR_OK) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    devices[d] = true;
    void *fs;
    const struct vfs_ops *ops = &ext2fs_ops;
    int rc = ext2fs_mount(&env, slot, (unsigned)flags & VFS_MOUNT_RDONLY, &fs);
    if (!rc)
        rc = cached(&ops, &fs, PCACHE_KEEP);
    struct vfs_fs *f = rc ? NULL : vfs_fs_new(&v, ops, fs, "ext2", (unsigned)flags);
    if (!rc && !f) {
        ops->unmount(fs);
        rc = -VFS_ENOSPC;
    }
    if (rc) {
        wf_cnode_delete(CNODE, slot, 64);
        devices[d] = false;
        *status = st(rc);
        return WF_ERR_OK;
    }
    f->owner_word = slot;
    *status = attach(ns_of(r), path, path_len, f);
#else
    (void)r, (void)path, (void)path_len, (void)device;
    *status = WFP_FILE_ENODEV;
#endif
    return WF_ERR_OK;
}

static wf_word_t on_unmount(struct wf_server *s, struct wf_server_req *r, const char *path,
                            wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    *status = st(vfs_umount(&v, ns_of(r), path, path_len));
    return WF_ERR_OK;
}

static wf_word_t on_mounts(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                           wf_word_t *status, wf_word_t *type, wf_word_t *flags, char *path,
                           wf_word_t *path_len)
{
    (void)s;
    const struct vfs_mount *m =
        index < VFS_MOUNTS_MAX ? vfs_mount_nth(ns_of(r), (unsigned)index) : NULL;
    *status = 0;
    *type = 0;
    *flags = 0;
    *path_len = 0;
    if (!m)
        return WF_ERR_OK;
    for (wf_word_t t = 1; t < sizeof(type_names) / sizeof(type_names[0]); t++)
        if (strcmp(type_names[t], m->fs->type) == 0)
            *type = t;
    *flags = m->fs->flags & VFS_MOUNT_ALL;
    *path_len = strlen(m->path);
    memcpy(path, m->path, *path_len);
    return WF_ERR_OK;
}

static wf_word_t on_namespace(struct wf_server *s, struct wf_server_req *r, const char *root,
                              wf_word_t root_len, wf_word_t *status, wf_cptr_t *cap)
{
    (void)s;
    unsigned i = 1;
    while (i < WFP_FILE_NAMESPACES_MAX && spaces[i].ns)
        i++;
    if (i == WFP_FILE_NAMESPACES_MAX || next_ns_badge == HANDLE_BADGE0) {
        *status = WFP_FILE_ENOSPC;
        return WF_ERR_OK;
    }
    struct vfs_ns *ns;
    int rc = vfs_ns_copy(&v, ns_of(r), root, root_len, &ns);
    if (rc) {
        *status = st(rc == -VFS_ENOMEM ? -VFS_ENOSPC : rc);
        return WF_ERR_OK;
    }
    wf_word_t slot = SLOT_NS0 + i;
    wf_cnode_delete(CNODE, slot, 64);
    if (wf_cnode_mint(CNODE, slot, 64, CNODE, WF_CHILD_SERVE, 64, WF_RIGHTS_ALL, next_ns_badge) !=
        WF_ERR_OK) {
        vfs_ns_free(&v, ns);
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    spaces[i] = (struct nsent){ns, next_ns_badge++};
    *status = 0;
    *cap = slot;
    return WF_ERR_OK;
}

static wf_word_t on_drop_namespace(struct wf_server *s, struct wf_server_req *r, wf_word_t *status)
{
    (void)s;
    struct nsent *e = nsent_of(r->badge);
    if (!e) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    int rc = vfs_ns_free(&v, e->ns);
    if (!rc) {
        wf_word_t slot = SLOT_NS0 + (wf_word_t)(e - spaces);
        wf_cnode_revoke(CNODE, slot, 64);
        wf_cnode_delete(CNODE, slot, 64);
        *e = (struct nsent){0};
    }
    *status = st(rc);
    return WF_ERR_OK;
}

/* ---- data through a buffer ---- */

/* The buffer of client owner, or NULL. */
static struct bufent *buffer_of(wf_word_t owner)
{
    for (unsigned i = 0; i < WFP_FILE_BUFFERS_MAX; i++)
        if (buffers[i].used && buffers[i].owner == owner)
            return &buffers[i];
    return NULL;
}

static wf_word_t buf_slot(const struct bufent *b)
{
    return SLOT_BUF0 + (wf_word_t)(b - buffers);
}

static void drop_buffer(struct bufent *b)
{
    wf_cnode_delete(CNODE, buf_slot(b), 64);
    *b = (struct bufent){0};
}

/* The client a message speaks for: a handle's opener, or its service badge. */
static wf_word_t owner_of(const struct wf_server_req *r)
{
    const struct handle *h = handle_of(r);
    return h ? h->owner : r->badge;
}

static wf_word_t on_set_buffer(struct wf_server *s, struct wf_server_req *r, wf_cptr_t buffer,
                               wf_word_t *status, wf_word_t *size)
{
    (void)s;
    wf_word_t bytes = 0, owner = owner_of(r);
    if (wf_vmo_describe(buffer, &bytes, NULL, NULL, NULL) != WF_ERR_OK) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    struct bufent *b = buffer_of(owner);
    if (b)
        drop_buffer(b);
    unsigned i = 0;
    while (i < WFP_FILE_BUFFERS_MAX && buffers[i].used)
        i++;
    if (i == WFP_FILE_BUFFERS_MAX) {
        *status = WFP_FILE_ENOSPC;
        return WF_ERR_OK;
    }
    b = &buffers[i];
    wf_cnode_delete(CNODE, buf_slot(b), 64);
    if (wf_cnode_move(CNODE, buf_slot(b), 64, CNODE, buffer, 64) != WF_ERR_OK) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    *b = (struct bufent){true, owner, bytes};
    *status = 0;
    *size = bytes;
    return WF_ERR_OK;
}

static wf_word_t on_drop_buffer(struct wf_server *s, struct wf_server_req *r, wf_word_t *status)
{
    (void)s;
    struct bufent *b = buffer_of(owner_of(r));
    if (b)
        drop_buffer(b);
    *status = b ? 0 : WFP_FILE_ENXIO;
    return WF_ERR_OK;
}

static wf_word_t on_read_buf(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                             wf_word_t max, wf_word_t *status, wf_word_t *count)
{
    HANDLE_OR_EBADF();
    *count = 0;
    const struct bufent *b = buffer_of(h->owner);
    if (!b) {
        *status = WFP_FILE_ENXIO;
        return WF_ERR_OK;
    }
    if (max > WFP_FILE_BUF_IO_MAX)
        max = WFP_FILE_BUF_IO_MAX;
    if (max > b->size)
        max = b->size;
    /* A cached file's bytes go from the cache object to the buffer in one
     * kernel copy (c_read); the rest through bounce, two copies. */
    direct.on = true;
    direct.buf = buf_slot(b);
    direct.lo = direct.hi = 0;
    long n = vfs_read(&v, &h->f, offset, bounce, max);
    direct.on = false;
    size_t lo = direct.hi ? direct.lo : (size_t)(n > 0 ? n : 0), hi = direct.hi;
    if (n > 0 && hi > (size_t)n)
        hi = (size_t)n;
    if (n > 0 && ((lo > 0 && wf_vmo_write(buf_slot(b), 0, lo, WF_CHILD_VSPACE,
                                          (wf_word_t)(uintptr_t)bounce) != WF_ERR_OK) ||
                  ((size_t)n > hi && hi > 0 &&
                   wf_vmo_write(buf_slot(b), hi, (wf_word_t)n - hi, WF_CHILD_VSPACE,
                                (wf_word_t)(uintptr_t)(bounce + hi)) != WF_ERR_OK)))
        n = -(long)WFP_FILE_EFAULT;
    *status = st(n);
    *count = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_write_buf(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                              wf_word_t len, wf_word_t *status, wf_word_t *written)
{
    HANDLE_OR_EBADF();
    *written = 0;
    const struct bufent *b = buffer_of(h->owner);
    if (!b) {
        *status = WFP_FILE_ENXIO;
        return WF_ERR_OK;
    }
    if (len > WFP_FILE_BUF_IO_MAX || len > b->size) {
        *status = WFP_FILE_EINVAL;
        return WF_ERR_OK;
    }
    long n = 0;
    if (len && wf_vmo_read(buf_slot(b), 0, len, WF_CHILD_VSPACE, (wf_word_t)(uintptr_t)bounce) !=
                   WF_ERR_OK)
        n = -(long)WFP_FILE_EFAULT;
    else
        n = vfs_write(&v, &h->f, offset, bounce, len);
    *status = st(n);
    *written = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

/* ---- mapping and the cache ---- */

/* The reply caps of the last Map (the server's copies: a private clone lives
 * on in the client's). */
static void mapout_clear(void)
{
    wf_cnode_delete(CNODE, SLOT_MAPOUT, 64);
    wf_cnode_delete(CNODE, SLOT_MAPOUT + 1, 64);
}

static wf_word_t on_map(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                        wf_word_t length, wf_word_t flags, wf_word_t *status, wf_word_t *size,
                        wf_cptr_t *cap)
{
    HANDLE_OR_EBADF();
    mapout_clear();
    bool priv = flags & WFP_FILE_MAP_PRIVATE, wr = flags & WFP_FILE_MAP_WRITE;
    const struct vfs_ops *ops = h->f.m->fs->ops;
    uint64_t obj = 0, bytes = 0;
    int rc = 0;
    if (flags & ~(wf_word_t)(WFP_FILE_MAP_PRIVATE | WFP_FILE_MAP_WRITE))
        rc = -VFS_EINVAL;
    else if (!(h->f.flags & VFS_O_READ) || (!priv && wr && !(h->f.flags & VFS_O_WRITE)))
        rc = -VFS_EACCES; /* a read-only handle never gets a writable cap */
    else if (!pcache_of(ops))
        rc = -(int)WFP_FILE_ENODEV;
    else
        rc = pcache_map(h->f.m->fs->fs, h->f.node, offset, length, !priv && wr, &obj, &bytes);
    if (!rc && priv) {
        /* The clone, then a copy of it with the rights asked for. */
        enum wf_error e = wf_vmo_clone(obj, WF_CHILD_POOL, CNODE, SLOT_MAPOUT + 1, 64);
        if (e == WF_ERR_OK)
            e = wf_cnode_copy(CNODE, SLOT_MAPOUT, 64, CNODE, SLOT_MAPOUT + 1, 64,
                              WF_RIGHT_READ | (wr ? WF_RIGHT_WRITE : 0));
        rc = vm_err(e);
    } else if (!rc) {
        rc = vm_err(wf_cnode_copy(CNODE, SLOT_MAPOUT, 64, CNODE, obj, 64,
                                  WF_RIGHT_READ | (wr ? WF_RIGHT_WRITE : 0)));
    }
    *status = st(rc);
    *size = rc ? 0 : bytes;
    *cap = SLOT_MAPOUT;
    return WF_ERR_OK;
}

static wf_word_t on_drop_caches(struct wf_server *s, struct wf_server_req *r, wf_word_t *status,
                                wf_word_t *freed)
{
    (void)s;
    *freed = 0;
    /* Only through a client id's service cap (init's), not a namespace's or a handle. */
    if (r->badge >= NS_BADGE0) {
        *status = WFP_FILE_EPERM;
        return WF_ERR_OK;
    }
    mapout_clear();
    *freed = pcache_shrink_all(true);
    *status = 0;
    return WF_ERR_OK;
}

static const struct wfp_file_handlers handlers = {
    .on_open = on_open,
    .on_close = on_close,
    .on_read = on_read,
    .on_write = on_write,
    .on_truncate = on_truncate,
    .on_stat = on_stat,
    .on_stat_path = on_stat_path,
    .on_read_dir = on_read_dir,
    .on_mkdir = on_mkdir,
    .on_rmdir = on_rmdir,
    .on_unlink = on_unlink,
    .on_rename = on_rename,
    .on_link = on_link,
    .on_symlink = on_symlink,
    .on_readlink = on_readlink,
    .on_fsync = on_fsync,
    .on_statfs = on_statfs,
    .on_mount = on_mount,
    .on_mount_device = on_mount_device,
    .on_mount_memory = on_mount_memory,
    .on_unmount = on_unmount,
    .on_mounts = on_mounts,
    .on_namespace = on_namespace,
    .on_drop_namespace = on_drop_namespace,
    .on_set_buffer = on_set_buffer,
    .on_drop_buffer = on_drop_buffer,
    .on_read_buf = on_read_buf,
    .on_write_buf = on_write_buf,
    .on_map = on_map,
    .on_drop_caches = on_drop_caches,
    .on_attr = on_attr,
    .on_attr_path = on_attr_path,
    .on_set_attr = on_set_attr,
    .on_set_attr_path = on_set_attr_path,
};
static const struct wf_server_proto protos[] = {WFP_FILE_PROTO_ENTRY(&handlers)};

/* Maps the initramfs VMO (slot WF_CHILD_INITRAMFS, when init gave one) read-only. */
static void map_initramfs(void)
{
    wf_word_t size = 0;
    if (wf_vmo_describe(WF_CHILD_INITRAMFS, &size, NULL, NULL, NULL) != WF_ERR_OK || !size)
        return;
    if (wf_vspace_map(WF_CHILD_VSPACE, WF_CHILD_INITRAMFS, INITRAMFS_VA, 0, size, WF_VM_READ) !=
        WF_ERR_OK)
        return;
    initramfs = (const uint8_t *)INITRAMFS_VA;
    initramfs_len = size;
}

int main(int argc, char **argv)
{
    (void)argv;
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    if (argc > 1 || si->magic != WF_STARTINFO_MAGIC) {
        fprintf(stderr,
                "usage: fs (started by init: endpoint in slot %d, pool in slot %d, "
                "the initramfs in slot %d if given)\n",
                WF_CHILD_SERVE, WF_CHILD_POOL, WF_CHILD_INITRAMFS);
        return 2;
    }
    /* The upper half of the CNode is the C library's. */
    if (si->cnode_radix >= 64 || (1ull << si->cnode_radix) / 2 < SLOT_HANDLE0 + 8) {
        fprintf(stderr, "fs: a CNode of radix %lu is too small\n", (unsigned long)si->cnode_radix);
        return 3;
    }
    nhandles = (unsigned)((1ull << si->cnode_radix) / 2 - SLOT_HANDLE0);
    if (nhandles > HANDLES_MAX)
        nhandles = HANDLES_MAX;
    wf_word_t limit = 0;
    enum wf_error e = wf_pool_info(WF_CHILD_POOL, 0, &limit, 0, 0);
    if (e == WF_ERR_OK)
        e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_REPLY, 0, CNODE, SLOT_REPLY, 64);
    if (e != WF_ERR_OK) {
        fprintf(stderr, "fs: no Reply object from the pool in slot %d: %s\n", WF_CHILD_POOL,
                wf_error_name(e));
        return 4;
    }
    map_initramfs();
    memset(bounce, 0, sizeof(bounce));
    pcache_start();
    tmpfs_start();
    tmpfs_limit = limit > 2 * RESERVE ? limit - RESERVE : limit / 2;
    v = (struct vfs){.env = env, .released = released};
    struct vfs_fs *root;
    if (make_fs(WFP_FILE_MOUNT_TMPFS, 0, NULL, NULL, 0, NULL, 0, &root) ||
        vfs_ns_new(&v, root, &spaces[0].ns)) {
        fprintf(stderr, "fs: no memory for the root directory\n");
        return 4;
    }
    struct wf_server s = {.ep = WF_CHILD_SERVE,
                          .recv_cnode = CNODE,
                          .recv_slot = SLOT_RECV,
                          .protos = protos,
                          .nprotos = 1};
    const wf_cptr_t replies[1] = {SLOT_REPLY};
    wf_server_init(&s, replies, 1);
    wf_word_t err = wf_server_run(&s);
    fprintf(stderr, "fs: receiving on slot %d failed: %s\n", WF_CHILD_SERVE, wf_error_name(err));
    return 1;
}
