/*
 * The file server: serves the file protocol (abi/protocols/file.proto) over a
 * tmpfs (tmpfs.h) in its pool's memory (malloc). docs/storage.md, "The file
 * service and tmpfs"; decision 118.
 *
 * Handles are badged caps: Open mints the server's endpoint with a badge never
 * used before (HANDLE_BADGE0 and up; client ids are below it), keeps that
 * original in a slot of its own and sends a copy as the reply cap. A message
 * arriving with a handle badge acts on that open file; Close revokes the
 * original (every copy the client made goes with it) and frees the slot. So
 * a client can reach only the files it opened, and a handle once closed names
 * nothing, even to a client that kept a copy. A client (a service badge) holds
 * at most OPEN_MAX handles, so that one cannot take every slot.
 *
 * Memory: tmpfs takes from malloc (the pool) up to the pool's limit less
 * RESERVE bytes for the server itself; ENOSPC when either runs out. Times are
 * TSC cycles (there is no clock call).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpfs.h"
#include "weft/invoke.h"
#include "wf/proto/file.h"
#include "wf/startinfo.h"

#define HANDLE_BADGE0 ((wf_word_t)1 << 16)
#define RESERVE       (192u * 1024u)
#define MARGIN        (128u * 1024u)
#define HANDLES_MAX   256u
#define INODE_BYTES   512u /* the inode count: the byte limit over this */

enum {
    CNODE = WF_CHILD_CNODE,
    SLOT_REPLY = WF_CHILD_FIRST_FREE, /* the loop's Reply object */
    SLOT_HANDLE0,                     /* handles' badged originals from here */
};

struct handle {
    wf_word_t badge; /* 0: free */
    wf_word_t owner; /* the service badge of the client that opened it */
    struct tmpfs_file f;
};

static struct tmpfs fs;
static struct handle handles[HANDLES_MAX];
static unsigned nhandles; /* slots usable for handles */
static wf_word_t next_badge = HANDLE_BADGE0;

_Static_assert(TMPFS_O_ALL == 127 && WFP_FILE_O_NOFOLLOW == TMPFS_O_NOFOLLOW &&
                   WFP_FILE_O_READ == TMPFS_O_READ && WFP_FILE_O_WRITE == TMPFS_O_WRITE &&
                   WFP_FILE_O_CREATE == TMPFS_O_CREATE && WFP_FILE_O_EXCLUSIVE == TMPFS_O_EXCL &&
                   WFP_FILE_O_TRUNCATE == TMPFS_O_TRUNC &&
                   WFP_FILE_O_DIRECTORY == TMPFS_O_DIRECTORY,
               "open flags");
_Static_assert(WFP_FILE_DATA_MAX <= 8 * (WF_MSG_MAX_WORDS - 3), "data in one message");
_Static_assert(WFP_FILE_PATH_MAX == TMPFS_PATH_MAX && WFP_FILE_NAME_MAX == TMPFS_NAME_MAX,
               "bounds");

/* malloc's memory is demand-zero: the pool is charged when a page is first
 * touched, and a touch the pool refuses is a fault. So allocations stop while
 * the pool still has MARGIN bytes free for the pages malloc has handed out
 * but the server has not touched yet, its stack and its metadata. */
static void *a_alloc(void *ctx, size_t n)
{
    (void)ctx;
    wf_word_t free_bytes = 0;
    if (wf_pool_info(WF_CHILD_POOL, 0, 0, 0, &free_bytes) != WF_ERR_OK || free_bytes < n + MARGIN)
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
    return __builtin_ia32_rdtsc();
}

/* The handle a message came through, or NULL (the service cap, a closed one). */
static struct handle *handle_of(const struct wf_server_req *r)
{
    if (r->badge < HANDLE_BADGE0)
        return NULL;
    for (unsigned i = 0; i < nhandles; i++)
        if (handles[i].badge == r->badge)
            return &handles[i];
    return NULL;
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
        *status = TMPFS_EMFILE;
        return WF_ERR_OK;
    }
    while (i < nhandles && handles[i].badge)
        i++;
    if (i == nhandles)
        return WF_ERR_NOT_ENOUGH_MEMORY; /* no handle slot left */
    if (flags > TMPFS_O_ALL) {
        *status = TMPFS_EINVAL;
        return WF_ERR_OK;
    }
    struct tmpfs_file f;
    int rc = tmpfs_open(&fs, path, path_len, (unsigned)flags, (unsigned)mode, &f);
    if (rc) {
        *status = st(rc);
        return WF_ERR_OK;
    }
    wf_word_t slot = SLOT_HANDLE0 + i;
    wf_cnode_delete(CNODE, slot, 64);
    if (wf_cnode_mint(CNODE, slot, 64, CNODE, WF_CHILD_SERVE, 64, WF_RIGHTS_ALL, next_badge) !=
        WF_ERR_OK) {
        tmpfs_close(&fs, &f);
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    handles[i] = (struct handle){next_badge++, owner, f};
    struct tmpfs_stat sb;
    tmpfs_fstat(&fs, &f, &sb);
    *status = 0;
    *ino = sb.ino;
    *cap = slot;
    return WF_ERR_OK;
}

static wf_word_t on_close(struct wf_server *s, struct wf_server_req *r, wf_word_t *status)
{
    (void)s;
    struct handle *h = handle_of(r);
    if (!h) {
        *status = TMPFS_EBADF;
        return WF_ERR_OK;
    }
    wf_word_t slot = SLOT_HANDLE0 + (wf_word_t)(h - handles);
    wf_cnode_revoke(CNODE, slot, 64);
    wf_cnode_delete(CNODE, slot, 64);
    tmpfs_close(&fs, &h->f);
    h->badge = 0;
    *status = 0;
    return WF_ERR_OK;
}

#define HANDLE_OR_EBADF()                                                                          \
    struct handle *h = handle_of(r);                                                               \
    (void)s;                                                                                       \
    if (!h) {                                                                                      \
        *status = TMPFS_EBADF;                                                                     \
        return WF_ERR_OK;                                                                          \
    }

static wf_word_t on_read(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                         wf_word_t max, wf_word_t *status, char *data, wf_word_t *data_len)
{
    HANDLE_OR_EBADF();
    if (max > WFP_FILE_DATA_MAX)
        max = WFP_FILE_DATA_MAX;
    long n = tmpfs_read(&fs, &h->f, offset, data, max);
    *status = st(n);
    *data_len = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_write(struct wf_server *s, struct wf_server_req *r, wf_word_t offset,
                          const char *data, wf_word_t data_len, wf_word_t *status,
                          wf_word_t *written)
{
    HANDLE_OR_EBADF();
    long n = tmpfs_write(&fs, &h->f, offset, data, data_len);
    *status = st(n);
    *written = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_truncate(struct wf_server *s, struct wf_server_req *r, wf_word_t size,
                             wf_word_t *status)
{
    HANDLE_OR_EBADF();
    *status = st(tmpfs_truncate(&fs, &h->f, size));
    return WF_ERR_OK;
}

static void put_stat(const struct tmpfs_stat *b, wf_word_t *type, wf_word_t *mode, wf_word_t *size,
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
    struct tmpfs_stat b;
    tmpfs_fstat(&fs, &h->f, &b);
    put_stat(&b, type, mode, size, links, ino, atime, mtime, ctime);
    *status = 0;
    return WF_ERR_OK;
}

static wf_word_t on_stat_path(struct wf_server *s, struct wf_server_req *r, wf_word_t nofollow,
                              const char *path, wf_word_t path_len, wf_word_t *status,
                              wf_word_t *type, wf_word_t *mode, wf_word_t *size, wf_word_t *links,
                              wf_word_t *ino, wf_word_t *atime, wf_word_t *mtime, wf_word_t *ctime)
{
    (void)s;
    (void)r;
    struct tmpfs_stat b;
    int rc = tmpfs_stat(&fs, path, path_len, nofollow != 0, &b);
    *status = st(rc);
    if (!rc)
        put_stat(&b, type, mode, size, links, ino, atime, mtime, ctime);
    return WF_ERR_OK;
}

static wf_word_t on_read_dir(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                             wf_word_t *status, wf_word_t *type, wf_word_t *ino, char *name,
                             wf_word_t *name_len)
{
    HANDLE_OR_EBADF();
    size_t len = 0;
    uint64_t t = 0, i = 0;
    *status = st(tmpfs_readdir(&fs, &h->f, index, name, &len, &t, &i));
    *type = t;
    *ino = i;
    *name_len = len;
    return WF_ERR_OK;
}

static wf_word_t on_mkdir(struct wf_server *s, struct wf_server_req *r, wf_word_t mode,
                          const char *path, wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    (void)r;
    *status = st(tmpfs_mkdir(&fs, path, path_len, (unsigned)mode));
    return WF_ERR_OK;
}

static wf_word_t on_rmdir(struct wf_server *s, struct wf_server_req *r, const char *path,
                          wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    (void)r;
    *status = st(tmpfs_rmdir(&fs, path, path_len));
    return WF_ERR_OK;
}

static wf_word_t on_unlink(struct wf_server *s, struct wf_server_req *r, const char *path,
                           wf_word_t path_len, wf_word_t *status)
{
    (void)s;
    (void)r;
    *status = st(tmpfs_unlink(&fs, path, path_len));
    return WF_ERR_OK;
}

static wf_word_t two_paths(int (*op)(struct tmpfs *, const char *, size_t, const char *, size_t),
                           wf_word_t split, const char *paths, wf_word_t len, wf_word_t *status)
{
    *status = split > len ? TMPFS_EINVAL : st(op(&fs, paths, split, paths + split, len - split));
    return WF_ERR_OK;
}

static wf_word_t on_rename(struct wf_server *s, struct wf_server_req *r, wf_word_t split,
                           const char *paths, wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    (void)r;
    return two_paths(tmpfs_rename, split, paths, paths_len, status);
}

static wf_word_t on_link(struct wf_server *s, struct wf_server_req *r, wf_word_t split,
                         const char *paths, wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    (void)r;
    return two_paths(tmpfs_link, split, paths, paths_len, status);
}

static wf_word_t on_symlink(struct wf_server *s, struct wf_server_req *r, wf_word_t split,
                            const char *paths, wf_word_t paths_len, wf_word_t *status)
{
    (void)s;
    (void)r;
    return two_paths(tmpfs_symlink, split, paths, paths_len, status);
}

static wf_word_t on_readlink(struct wf_server *s, struct wf_server_req *r, const char *path,
                             wf_word_t path_len, wf_word_t *status, char *target,
                             wf_word_t *target_len)
{
    (void)s;
    (void)r;
    long n = tmpfs_readlink(&fs, path, path_len, target);
    *status = st(n);
    *target_len = n < 0 ? 0 : (wf_word_t)n;
    return WF_ERR_OK;
}

static wf_word_t on_fsync(struct wf_server *s, struct wf_server_req *r, wf_word_t *status)
{
    HANDLE_OR_EBADF();
    (void)h;
    *status = 0;
    return WF_ERR_OK;
}

static wf_word_t on_statfs(struct wf_server *s, struct wf_server_req *r, wf_word_t *status,
                           wf_word_t *total_bytes, wf_word_t *free_bytes, wf_word_t *total_inodes,
                           wf_word_t *free_inodes)
{
    (void)s;
    (void)r;
    struct tmpfs_statfs b;
    tmpfs_statfs(&fs, &b);
    *status = 0;
    *total_bytes = b.total_bytes;
    *free_bytes = b.free_bytes;
    *total_inodes = b.total_inodes;
    *free_inodes = b.free_inodes;
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
};
static const struct wf_server_proto protos[] = {WFP_FILE_PROTO_ENTRY(&handlers)};

int main(int argc, char **argv)
{
    (void)argv;
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    if (argc > 1 || si->magic != WF_STARTINFO_MAGIC) {
        fprintf(stderr, "usage: fs (started by init: endpoint in slot %d, pool in slot %d)\n",
                WF_CHILD_SERVE, WF_CHILD_POOL);
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
    limit = limit > 2 * RESERVE ? limit - RESERVE : limit / 2;
    struct tmpfs_env env = {a_alloc, a_free, a_now, NULL, limit, limit / INODE_BYTES};
    if (tmpfs_init(&fs, &env)) {
        fprintf(stderr, "fs: no memory for the root directory\n");
        return 4;
    }
    struct wf_server s = {.ep = WF_CHILD_SERVE, .protos = protos, .nprotos = 1};
    const wf_cptr_t replies[1] = {SLOT_REPLY};
    wf_server_init(&s, replies, 1);
    wf_word_t err = wf_server_run(&s);
    fprintf(stderr, "fs: receiving on slot %d failed: %s\n", WF_CHILD_SERVE, wf_error_name(err));
    return 1;
}
