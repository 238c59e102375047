/*
 * Files (docs/linux.md, "Files", decision 144): descriptors 0-2 are the
 * console (lx's CONSOLE slot); the others name files and directories of the
 * initramfs (read-only, from lx's own map of it), of the file server (/tmp:
 * the server's own /tmp, read and written through its handles), devices of
 * /dev and synthetic files of /proc (procfs.c), or the ends of pipes (a ring
 * buffer in lx: a read of an empty pipe and a write to a full one wait,
 * answered later, decision 122). Paths are normalised ("." and ".." and
 * repeated slashes folded, a relative path joined to the process's working
 * directory); the first component picks the file system. The initramfs's
 * names carry no leading slash; every directory has an entry of its own there
 * (tools/mkcpio.py writes them).
 *
 * A descriptor made by open names an open file description (struct lx_ofd)
 * with the offset and the status flags: dup and fork share it, as Linux does.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/cpio.h"
#include "lx.h"
#include "lxfs.h"
#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/console.h"
#include "wf/proto/file.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"

enum {
    PIPE_BUF = 4096,
    FS_DEV = 0x16,        /* st_dev of the file server's files */
    READ_MAX = 1u << 20,  /* most bytes one read of a file returns */
    DEV_READ_MAX = 65536, /* most bytes one read of a device returns */
    MAX_LINKS = 8,        /* symbolic links followed in one open (ELOOP past) */
    FS_BUF = 16384,       /* lx's buffer at the file server */
    CHUNK = 16384,        /* bytes lx moves between a process and a file at a time */
};

/* Normalises path (absolute, or relative to "/") into out without the leading
 * slash: "" is the root. False if too long. */
static bool normalise(const char *path, char *out, size_t max)
{
    size_t n = 0;
    const char *s = path;
    while (*s) {
        while (*s == '/')
            s++;
        if (!*s)
            break;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 1 && s[0] == '.') {
            /* nothing */
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            if (n + (n ? 1 : 0) + len + 1 > max)
                return false;
            if (n)
                out[n++] = '/';
            memcpy(out + n, s, len);
            n += len;
        }
        s = e;
    }
    out[n] = 0;
    return true;
}

static bool under(const char *name, const char *top)
{
    size_t n = strlen(top);
    return !strncmp(name, top, n) && (name[n] == 0 || name[n] == '/');
}

enum lx_where lx_where_of(const char *name)
{
    if (under(name, "tmp"))
        return LXW_FS;
    if (under(name, "dev"))
        return LXW_DEV;
    if (under(name, "proc"))
        return LXW_PROC;
    return LXW_INITRAMFS;
}

/* The entry of name (normalised) in the initramfs; the root is a directory. */
static bool lookup(const char *name, struct cpio_entry *e)
{
    if (!name[0]) {
        memset(e, 0, sizeof(*e));
        e->mode = LXF_S_IFDIR | 0755;
        e->ino = 1;
        return true;
    }
    return lx.initramfs && cpio_find(lx.initramfs, lx.initramfs_len, name, e) == CPIO_OK;
}

/* Whether e is an entry of directory dir (normalised, plen bytes): *nm and
 * *nlen get its name there. */
static bool child_of(const char *dir, size_t plen, const struct cpio_entry *e, const char **nm,
                     size_t *nlen)
{
    if (plen ? (e->namelen <= plen + 1 || memcmp(e->name, dir, plen) || e->name[plen] != '/')
             : e->namelen == 0)
        return false;
    *nm = e->name + (plen ? plen + 1 : 0);
    *nlen = e->namelen - (plen ? plen + 1 : 0);
    return !memchr(*nm, '/', *nlen);
}

/* The number of entries of dir, and of those that are directories. */
static unsigned count_children(const char *dir, unsigned *subdirs)
{
    struct cpio_iter it;
    struct cpio_entry e;
    unsigned n = 0, d = 0;
    const char *nm;
    size_t nlen, plen = strlen(dir);
    cpio_iter_init(&it, lx.initramfs, lx.initramfs_len);
    while (lx.initramfs && cpio_next(&it, &e) == CPIO_OK) {
        if (child_of(dir, plen, &e, &nm, &nlen)) {
            n++;
            d += (e.mode & LXF_S_IFMT) == LXF_S_IFDIR;
        }
    }
    if (subdirs)
        *subdirs = d;
    return n;
}

/* The entry number k (in archive order) of dir. */
static bool nth_child(const char *dir, unsigned k, struct cpio_entry *e, const char **nm,
                      size_t *nlen)
{
    struct cpio_iter it;
    size_t plen = strlen(dir);
    cpio_iter_init(&it, lx.initramfs, lx.initramfs_len);
    while (lx.initramfs && cpio_next(&it, e) == CPIO_OK)
        if (child_of(dir, plen, e, nm, nlen) && k-- == 0)
            return true;
    return false;
}

/* --- the file server --------------------------------------------------------------- */

static void fs_idle(void);

/* The most bytes lx's own /tmp holds (its pool may run out first). */
#define TMP_BYTES (8ull << 20)

/* lx's own /tmp (decision 166): a tmpfs whose pages come from lx's pool
 * (MountMemory), mounted on a fresh directory of the server's default
 * namespace only long enough to make a namespace rooted at it (Namespace),
 * then unmounted and removed there, so that lx's namespace alone holds it:
 * no other client can reach it, and nothing of the rest of the server's tree
 * can be reached from it. Returns the namespace cap, 0 when it cannot be
 * made (/tmp then fails: lx does not fall back to a shared one). */
static wf_cptr_t tmp_own(wf_cptr_t svc)
{
    if (!lx.files.fs_ns)
        lx.files.fs_ns = wf_env_slot(&lx.env);
    else
        wf_cnode_delete(SELF, lx.files.fs_ns, 64); /* a restarted server's: stale */
    wf_cptr_t ns = lx.files.fs_ns, vmo = 0;
    char path[32];
    size_t len = 0;
    wf_word_t st = WFP_FILE_EEXIST;
    for (unsigned n = 0; n < 64 && st == WFP_FILE_EEXIST; n++) {
        len = (size_t)snprintf(path, sizeof(path), "/.lx-tmp-%u", n);
        if (wfp_file_mkdir(svc, 0700, path, len, &st) != WF_ERR_OK)
            st = WFP_FILE_EIO;
    }
    const char *step = "mkdir";
    if (!ns)
        st = WFP_FILE_ENOSPC;
    if (!st) {
        step = "memory";
        if (wf_env_create(&lx.env, WF_OBJ_VMO, TMP_BYTES, &vmo) != WF_ERR_OK) {
            vmo = 0;
            st = WFP_FILE_ENOSPC;
        } else {
            step = "MountMemory";
            if (wfp_file_mount_memory(svc, 0, path, len, vmo, &st) != WF_ERR_OK)
                st = WFP_FILE_EIO;
            wf_cnode_delete(SELF, vmo, 64); /* the server keeps its copy */
            wf_env_free(&lx.env, vmo);
            if (!st) {
                step = "Namespace";
                wf_word_t nst = 0, ust = 0;
                if (wfp_file_namespace(svc, path, len, &nst, SELF, ns, 64) != WF_ERR_OK && !nst)
                    nst = WFP_FILE_EIO;
                wfp_file_unmount(svc, path, len, &ust); /* the namespace holds it now */
                st = nst;
            }
        }
        wfp_file_rmdir(svc, path, len, &(wf_word_t){0});
    }
    if (!st)
        return ns;
    lx_say("/tmp: no file system of its own (%s: error %llu)", step, (unsigned long long)st);
    if (ns)
        wf_env_free(&lx.env, ns);
    lx.files.fs_ns = 0;
    return 0;
}

void lx_files_share_tmp(void)
{
    lx.files.tmp_shared = true;
}

void lx_files_end(void)
{
    if (!lx.files.fs_ns)
        return;
    wf_word_t st;
    fs_idle();
    /* Unmounts lx's tmpfs: its pages go back to lx's pool, its slot at the server is free. */
    if (wfp_file_drop_namespace(lx.files.fs_ns, &st) == WF_ERR_OK && st)
        lx_say("/tmp: the file server kept it (error %llu)", (unsigned long long)st);
    wf_cnode_delete(SELF, lx.files.fs_ns, 64);
    wf_env_free(&lx.env, lx.files.fs_ns);
    lx.files.fs_ns = lx.files.fs = 0;
}

/* Looks "fs" up through the name server (once; again after the server was
 * restarted), makes lx's own /tmp there (unless it shares its starter's) and
 * makes sure the directory tmp exists in it. 0 when there is none. */
static wf_cptr_t fs_connect(bool again)
{
    if (lx.files.fs_tried && !again)
        return lx.files.fs;
    lx.files.fs_tried = true;
    lx.files.fs = 0;
    if (!lx.files.fs_svc)
        lx.files.fs_svc = wf_env_slot(&lx.env);
    if (!lx.files.fs_svc || wf_reconnect(lx.files.fs_svc, "fs") != WF_ERR_OK) {
        if (lx.files.fs_svc)
            wf_env_free(&lx.env, lx.files.fs_svc);
        lx.files.fs_svc = 0;
        return 0;
    }
    lx.files.fs = lx.files.tmp_shared ? lx.files.fs_svc : tmp_own(lx.files.fs_svc);
    if (!lx.files.fs)
        return 0;
    wf_word_t st;
    wfp_file_mkdir(lx.files.fs, 01777, "/tmp", 4, &st); /* EEXIST when it is there */
    lx.files.fs_buf_size = 0;
    lx.files.fs_buf_wanted = true;
    return lx.files.fs;
}

/* The file server's service cap, with lx's buffer there (decision 127: the
 * server copies file data to and from it, up to FS_BUF bytes a message;
 * without one, DATA_MAX bytes travel in each message). */
wf_cptr_t lx_fs(void)
{
    wf_cptr_t fs = fs_connect(false);
    if (!fs || !lx.files.fs_buf_wanted)
        return fs;
    lx.files.fs_buf_wanted = false;
    wf_word_t st = 0, size = 0;
    if (!lx.files.fs_buf &&
        wf_env_create(&lx.env, WF_OBJ_VMO, FS_BUF, &lx.files.fs_buf) != WF_ERR_OK)
        lx.files.fs_buf = 0;
    if (lx.files.fs_buf && wfp_file_set_buffer(fs, lx.files.fs_buf, &st, &size) == WF_ERR_OK &&
        st == 0)
        lx.files.fs_buf_size = size < FS_BUF ? size : FS_BUF;
    return fs;
}

/* The last process ended: lx lets its buffer at the server go (lx may end
 * now, its memory with it; the client id can be its starter's, as under the
 * shell's `linux`). The next use of /tmp gives it again. */
static void fs_idle(void)
{
    if (!lx.files.fs || !lx.files.fs_buf_size)
        return;
    wf_word_t st;
    wfp_file_drop_buffer(lx.files.fs, &st);
    lx.files.fs_buf_size = 0;
    lx.files.fs_buf_wanted = true;
}

/* "/" + name, the path the file server resolves (at most LX_PATH_MAX + 1). */
size_t lx_fs_path(const char *name, char *out)
{
    size_t n = strlen(name);
    out[0] = '/';
    memcpy(out + 1, name, n + 1);
    return n + 1;
}

/* A file server reply as a Linux result: its status is a Linux errno already
 * (one to one); a failed message is EIO. EMFILE (the server's handles for lx
 * are used up) is ENFILE, the system's table being full, to a process. */
long lx_fs_status(enum wf_error e, wf_word_t status)
{
    if (e != WF_ERR_OK && !(e == WF_ERR_TRUNCATED_MESSAGE && status)) {
        if (wf_reconnect_error(e))
            fs_connect(true);
        return -LX_EIO;
    }
    if (status == LX_EMFILE)
        return -LX_ENFILE;
    return status ? -(long)status : 0;
}

/* struct stat from a file server Attr (its times: nanoseconds since 1970, as
 * lx's clock; its mode with setuid, setgid and sticky). */
static void fs_fill(struct lx_stat *st, wf_word_t type, wf_word_t mode, wf_word_t uid,
                    wf_word_t gid, wf_word_t size, wf_word_t links, wf_word_t ino, wf_word_t blocks,
                    const wf_word_t t[3])
{
    memset(st, 0, sizeof(*st));
    uint32_t fmt = type == WFP_FILE_T_FILE      ? LXF_S_IFREG
                   : type == WFP_FILE_T_DIR     ? LXF_S_IFDIR
                   : type == WFP_FILE_T_SYMLINK ? LXF_S_IFLNK
                                                : 0;
    st->dev = FS_DEV;
    st->ino = ino;
    st->nlink = links;
    st->mode = fmt | (uint32_t)(mode & 07777);
    st->uid = (uint32_t)uid;
    st->gid = (uint32_t)gid;
    st->size = (int64_t)size;
    st->blksize = 4096;
    st->blocks = (int64_t)blocks;
    st->atime = t[0] / 1000000000u, st->atime_ns = t[0] % 1000000000u;
    st->mtime = t[1] / 1000000000u, st->mtime_ns = t[1] % 1000000000u;
    st->ctime = t[2] / 1000000000u, st->ctime_ns = t[2] % 1000000000u;
}

/* --- descriptors and open file descriptions ---------------------------------------- */

bool lx_files_setup(void)
{
    return true; /* the file server is looked up at the first use of /tmp */
}

const uint8_t *lx_file_find(const char *path, size_t *len)
{
    char name[LX_PATH_MAX];
    struct cpio_entry e;
    if (!normalise(path, name, sizeof(name)) || !lookup(name, &e) || !cpio_is_regular(&e))
        return NULL;
    *len = e.size;
    return e.data;
}

void lx_files_init(struct lx_proc *p)
{
    lx_fd_changed();
    for (int i = 0; i < 3; i++)
        p->fd[i] = (struct lx_fd){
            .kind = FD_CONSOLE, .flags = 2, .mode = LXF_S_IFCHR | 0620, .path = "dev/console"};
    p->files.umask = 022;
    p->files.cwd[0] = 0;
}

int lx_fd_alloc(struct lx_proc *p, int min)
{
    for (int i = min < 0 ? 0 : min; i < LX_MAX_FDS; i++)
        if (p->fd[i].kind == FD_NONE)
            return i;
    return -LX_EMFILE;
}

struct lx_fd *lx_fd_get(struct lx_proc *p, int fd)
{
    if (fd < 0 || fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE)
        return NULL;
    return &p->fd[fd];
}

struct lx_ofd *lx_ofd_of(const struct lx_fd *f)
{
    return f->ofd ? &lx.files.ofd[f->ofd - 1] : NULL;
}

/* The descriptors of every running process that match (pipe k's read or
 * write end; or open file description k). */
static unsigned count_fds(unsigned k, enum lx_fd_kind end, bool ofd)
{
    unsigned n = 0;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        const struct lx_proc *q = &lx.proc[i];
        if (!q->used || q->state != PROC_RUN)
            continue;
        for (unsigned j = 0; j < LX_MAX_FDS; j++) {
            const struct lx_fd *f = &q->fd[j];
            n += ofd ? f->kind != FD_NONE && f->ofd == k + 1 : f->kind == end && f->pipe == k;
        }
    }
    return n;
}

void lx_fd_changed(void)
{
    lx.files.fd_epoch++;
}

/* The read or write ends of pipe k among the running processes'
 * descriptors. Every pipe's are counted in one pass over the tables, again
 * only once lx_fd_changed has been called: a pipe's reads and writes, which
 * change no table, then cost no pass (a pipe round trip makes a dozen of
 * these queries). */
static unsigned pipe_ends(unsigned k, enum lx_fd_kind end)
{
    struct lx_files_state *fs = &lx.files;
    if (fs->ends_epoch != fs->fd_epoch + 1) {
        memset(fs->ends, 0, sizeof(fs->ends));
        for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
            const struct lx_proc *q = &lx.proc[i];
            if (!q->used || q->state != PROC_RUN)
                continue;
            for (unsigned j = 0; j < LX_MAX_FDS; j++) {
                const struct lx_fd *f = &q->fd[j];
                if ((f->kind == FD_PIPE_R || f->kind == FD_PIPE_W) && f->pipe < LX_MAX_PIPES)
                    fs->ends[f->pipe][f->kind == FD_PIPE_W]++;
            }
        }
        fs->ends_epoch = fs->fd_epoch + 1; /* + 1: the first query counts */
    }
    return fs->ends[k][end == FD_PIPE_W];
}

/* The descriptors (of running processes) that name description k. */
unsigned lx_ofd_refs(unsigned k)
{
    return count_fds(k, FD_NONE, true);
}

/* A free pipe buffer, emptied: its index, or -ENFILE. */
int lx_pipe_new(void)
{
    for (unsigned k = 0; k < LX_MAX_PIPES; k++) {
        if (!lx.files.pipe[k].used) {
            lx.files.pipe[k].used = true;
            lx.files.pipe[k].head = lx.files.pipe[k].len = 0;
            lx.files.pipe[k].ino = ++lx.next_ino;
            return (int)k;
        }
    }
    return -LX_ENFILE;
}

static void handle_close(wf_cptr_t h)
{
    wf_word_t st;
    wfp_file_close(h, &st);
    wf_cnode_delete(SELF, h, 64); /* the server revoked it: the slot is empty either way */
    wf_env_free(&lx.env, h);
}

/* A new open file description with flags: 1 + its index, or -ENFILE. When
 * none is free, those no descriptor names any more (a process destroyed
 * without closing its descriptors) are taken back first. */
static void ofd_release(unsigned k)
{
    struct lx_ofd *o = &lx.files.ofd[k];
    if (o->handle)
        handle_close(o->handle);
    lx_wait_release(k);
    o->used = false;
    o->handle = 0;
}

int lx_ofd_new(unsigned flags, wf_cptr_t handle)
{
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned k = 0; k < LX_MAX_OFDS; k++) {
            struct lx_ofd *o = &lx.files.ofd[k];
            if (o->used && (pass == 0 || o->pinned || o->maps || count_fds(k, FD_NONE, true)))
                continue;
            if (o->used)
                ofd_release(k);
            *o = (struct lx_ofd){.used = true, .flags = flags, .handle = handle};
            return (int)k + 1;
        }
    }
    return -LX_ENFILE;
}

/* Clears descriptor f; a pipe or an open file description no descriptor names
 * any more is freed (a file server handle closed). */
static void fd_clear(struct lx_fd *f)
{
    enum lx_fd_kind kind = f->kind;
    f->kind = FD_NONE;
    lx_fd_changed();
    if ((kind == FD_PIPE_R || kind == FD_PIPE_W) && !pipe_ends(f->pipe, FD_PIPE_R) &&
        !pipe_ends(f->pipe, FD_PIPE_W))
        lx.files.pipe[f->pipe].used = false;
    if (f->ofd && !count_fds(f->ofd - 1, FD_NONE, true) && !lx.files.ofd[f->ofd - 1].pinned &&
        !lx.files.ofd[f->ofd - 1].maps)
        ofd_release(f->ofd - 1);
    f->ofd = 0;
}

/* A process ends: its descriptors close. When it was the last one running,
 * lx reports the system calls it answered ENOSYS since the last report. */
void lx_files_close_all(struct lx_proc *p)
{
    for (unsigned i = 0; i < LX_MAX_FDS; i++)
        if (p->fd[i].kind != FD_NONE)
            fd_clear(&p->fd[i]);
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && lx.proc[i].state == PROC_RUN && &lx.proc[i] != p)
            return;
    fs_idle();
    static char line[200];
    if (lx_nosys_report(line, sizeof(line))) {
        lx_say("system calls not served: %s", line);
        memset(lx.files.nosys_count, 0, sizeof(lx.files.nosys_count));
    }
}

/* execve closes the descriptors marked close-on-exec. */
void lx_files_exec(struct lx_proc *p)
{
    for (unsigned i = 0; i < LX_MAX_FDS; i++)
        if (p->fd[i].kind != FD_NONE && p->fd[i].cloexec)
            fd_clear(&p->fd[i]);
}

/* A descriptor's status flags: its open file description's, or its own. */
static unsigned *flags_of(struct lx_fd *f)
{
    struct lx_ofd *o = lx_ofd_of(f);
    return o ? &o->flags : &f->flags;
}

/* poll's answer for one descriptor (POLLIN 1, POLLOUT 4, POLLHUP 0x10,
 * POLLNVAL 0x20): the console as its line discipline says (tty.c), a
 * pipe as its buffer and ends say, files and devices always. */
short lx_poll_one(struct lx_proc *p, int fd, short events)
{
    if (fd < 0)
        return 0;
    if (fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE)
        return 0x20;
    struct lx_fd *f = &p->fd[fd];
    short ready = 1 | 4;
    if (f->kind >= FD_EVENT) {
        ready = lx_wait_ready(p, f);
    } else if (f->kind == FD_CONSOLE) {
        ready = lx_tty_poll(); /* tty.c */
    } else if (f->kind == FD_PIPE_R) {
        ready = lx.files.pipe[f->pipe].len ? 1 : 0;
        if (!pipe_ends(f->pipe, FD_PIPE_W))
            ready |= 0x10;
    } else if (f->kind == FD_PIPE_W) {
        ready = LX_PIPE_SIZE - lx.files.pipe[f->pipe].len >= PIPE_BUF ? 4 : 0;
        if (!pipe_ends(f->pipe, FD_PIPE_R))
            ready |= 8; /* POLLERR */
    }
    return (short)(ready & (events | 8 | 0x10));
}

/* poll: how many descriptors are ready (their revents written), 0 if none,
 * -LX_BLOCK when the caller is to wait (the retry polls again). */
long lx_poll(struct lx_proc *p, uint64_t ufds, uint64_t nfds)
{
    struct {
        int32_t fd;
        int16_t events, revents;
    } pf[LX_MAX_FDS];
    if (nfds > LX_MAX_FDS)
        return -LX_EINVAL;
    if (lx_copy_in(p, pf, ufds, nfds * sizeof(pf[0])) < 0)
        return -LX_EFAULT;
    long n = 0;
    for (uint64_t i = 0; i < nfds; i++) {
        pf[i].revents = lx_poll_one(p, pf[i].fd, pf[i].events);
        n += pf[i].revents != 0;
    }
    if (!n)
        return 0;
    return lx_copy_out(p, ufds, pf, nfds * sizeof(pf[0])) < 0 ? -LX_EFAULT : n;
}

long lx_pipe2(struct lx_proc *p, uint64_t ufds, unsigned flags)
{
    if (flags & ~(unsigned)(LXF_O_CLOEXEC | LXF_O_NONBLOCK | 040000 /* O_DIRECT */))
        return -LX_EINVAL;
    unsigned k = 0;
    while (k < LX_MAX_PIPES && lx.files.pipe[k].used)
        k++;
    if (k == LX_MAX_PIPES)
        return -LX_ENFILE;
    int r = lx_fd_alloc(p, 0);
    if (r < 0)
        return r;
    p->fd[r].kind = FD_PIPE_R; /* held while the second is found */
    int w = lx_fd_alloc(p, 0);
    p->fd[r].kind = FD_NONE;
    if (w < 0)
        return w;
    int fds[2] = {r, w};
    if (lx_copy_out(p, ufds, fds, sizeof(fds)) < 0)
        return -LX_EFAULT;
    lx.files.pipe[k].used = true;
    lx.files.pipe[k].head = lx.files.pipe[k].len = 0;
    lx.files.pipe[k].ino = ++lx.next_ino;
    bool cloexec = (flags & LXF_O_CLOEXEC) != 0;
    p->fd[r] = (struct lx_fd){.kind = FD_PIPE_R,
                              .flags = flags & LXF_O_NONBLOCK,
                              .cloexec = cloexec,
                              .mode = LXF_S_IFIFO | 0600,
                              .ino = lx.files.pipe[k].ino,
                              .pipe = k};
    p->fd[w] = p->fd[r];
    p->fd[w].kind = FD_PIPE_W;
    p->fd[w].flags |= 1; /* O_WRONLY */
    return 0;
}

/* The path a dirfd and a user path name, normalised into name: a relative
 * path is joined to dirfd's directory (AT_FDCWD: the working directory);
 * "/proc/self" becomes "/proc/PID". *empty: the user path was "" (the callers
 * decide). Returns 0 or -errno. */
long lx_resolve(struct lx_proc *p, int dirfd, uint64_t upath, char *name, size_t max, bool *empty)
{
    char raw[256];
    long n = lx_copy_str(p, raw, upath, sizeof(raw));
    if (n < 0)
        return n;
    *empty = n == 0;
    char joined[LX_PATH_MAX + 260];
    const char *base = "";
    if (raw[0] != '/') {
        if (dirfd == LXF_AT_FDCWD) {
            base = p->files.cwd;
        } else {
            struct lx_fd *d = lx_fd_get(p, dirfd);
            if (!d)
                return -LX_EBADF;
            if (d->kind != FD_DIR && d->kind != FD_FSDIR && d->kind != FD_SYNDIR && !*empty)
                return -LX_ENOTDIR;
            base = d->path;
        }
    }
    size_t dl = strlen(base);
    memcpy(joined, base, dl);
    joined[dl] = '/';
    memcpy(joined + dl + 1, raw, (size_t)n + 1);
    if (!normalise(joined, name, max))
        return -LX_ENAMETOOLONG;
    if (under(name, "proc/self")) {
        char tail[LX_PATH_MAX];
        memcpy(tail, name + 9, strlen(name + 9) + 1);
        int k = snprintf(name, max, "proc/%d%s", p->pid, tail);
        if (k < 0 || (size_t)k >= max)
            return -LX_ENAMETOOLONG;
    }
    return 0;
}

/* --- open ----------------------------------------------------------------------------- */

static long open_name(struct lx_proc *p, const char *name, unsigned flags, uint32_t mode,
                      unsigned depth);

/* Fills descriptor fd for a new open of kind; an open file description for
 * the kinds with an offset. */
static long fd_fill(struct lx_proc *p, int fd, const struct lx_fd *tmpl, wf_cptr_t handle)
{
    struct lx_fd f = *tmpl;
    f.cloexec = (f.flags & LXF_O_CLOEXEC) != 0;
    f.flags &= ~(unsigned)LXF_O_CLOEXEC;
    if (f.kind != FD_CONSOLE && f.kind != FD_DEV) {
        int o = lx_ofd_new(f.flags, handle);
        if (o < 0) {
            if (handle)
                handle_close(handle);
            return o;
        }
        f.ofd = (unsigned)o;
    }
    p->fd[fd] = f;
    return fd;
}

static long open_syn(struct lx_proc *p, const char *name, unsigned flags, uint32_t mode,
                     unsigned depth, int fd)
{
    struct lx_node n;
    long r = lx_syn_lookup(p, name, &n);
    if (r < 0)
        return (r == -LX_ENOENT && (flags & LXF_O_CREAT)) ? -LX_EACCES : r;
    if (n.link[0]) {
        if (flags & LXF_O_NOFOLLOW)
            return -LXF_ELOOP;
        if (depth >= MAX_LINKS)
            return -LXF_ELOOP;
        char target[LX_PATH_MAX];
        if (!normalise(n.link, target, sizeof(target)))
            return -LX_ENAMETOOLONG;
        return open_name(p, target, flags, mode, depth + 1);
    }
    if ((flags & LXF_O_CREAT) && (flags & LXF_O_EXCL))
        return -LX_EEXIST;
    if (n.kind == FD_DEV && n.sub == DEV_TTY) {
        if (!lx_tty_ctty(p))
            return -LXF_ENXIO; /* the caller's session has no controlling terminal */
        n.kind = FD_CONSOLE;
    }
    bool dir = n.kind == FD_SYNDIR;
    if ((flags & LXF_O_DIRECTORY) && !dir)
        return -LX_ENOTDIR;
    if (dir && ((flags & LXF_O_ACCMODE) || (flags & LXF_O_TRUNC)))
        return -LX_EISDIR;
    if (n.kind == FD_PROC && (flags & LXF_O_ACCMODE))
        return -LX_EACCES;
    struct lx_fd t = {
        .kind = n.kind, .flags = flags, .mode = n.mode, .ino = n.ino, .sub = n.sub, .pid = n.pid};
    memcpy(t.path, name, strlen(name) + 1);
    return fd_fill(p, fd, &t, 0);
}

static long open_fs(struct lx_proc *p, const char *name, unsigned flags, uint32_t mode, int fd)
{
    wf_cptr_t fs = lx_fs();
    if (!fs)
        return (flags & LXF_O_CREAT) ? -LX_EROFS : -LX_ENOENT;
    wf_word_t of = 0;
    unsigned acc = flags & LXF_O_ACCMODE;
    if (acc == 3)
        return -LX_EINVAL;
    if (acc != LXF_O_WRONLY)
        of |= WFP_FILE_O_READ;
    if (acc != 0)
        of |= WFP_FILE_O_WRITE;
    if (flags & LXF_O_CREAT)
        of |= WFP_FILE_O_CREATE;
    if ((flags & LXF_O_CREAT) && (flags & LXF_O_EXCL))
        of |= WFP_FILE_O_EXCLUSIVE;
    if ((flags & LXF_O_TRUNC) && acc != 0)
        of |= WFP_FILE_O_TRUNCATE;
    if (flags & LXF_O_DIRECTORY)
        of |= WFP_FILE_O_DIRECTORY;
    if (flags & LXF_O_NOFOLLOW)
        of |= WFP_FILE_O_NOFOLLOW;
    char path[LX_PATH_MAX + 2];
    size_t len = lx_fs_path(name, path);
    wf_cptr_t h = wf_env_slot(&lx.env);
    if (!h)
        return -LX_ENFILE;
    wf_word_t st = 0, ino = 0;
    enum wf_error e =
        wfp_file_open(fs, of, mode & ~p->files.umask & 07777, path, len, &st, &ino, SELF, h, 64);
    long r = lx_fs_status(e, st);
    if (r < 0) {
        wf_env_free(&lx.env, h);
        return r;
    }
    wf_word_t type = 0, m = 0, size = 0, links = 0, t;
    e = wfp_file_stat(h, &st, &type, &m, &size, &links, &ino, &t, &t, &t);
    r = lx_fs_status(e, st);
    if (r < 0) {
        handle_close(h);
        return r;
    }
    struct lx_fd tf = {.kind = type == WFP_FILE_T_DIR ? FD_FSDIR : FD_FSFILE,
                       .flags = flags,
                       .ino = (uint32_t)ino,
                       .mode = (type == WFP_FILE_T_DIR ? LXF_S_IFDIR : LXF_S_IFREG) | (uint32_t)m};
    memcpy(tf.path, name, strlen(name) + 1);
    return fd_fill(p, fd, &tf, h);
}

static long open_initramfs(struct lx_proc *p, const char *name, unsigned flags, int fd)
{
    struct cpio_entry e;
    if (!lookup(name, &e))
        return (flags & LXF_O_CREAT) ? -LX_EROFS : -LX_ENOENT;
    if ((flags & LXF_O_CREAT) && (flags & LXF_O_EXCL))
        return -LX_EEXIST;
    bool dir = (e.mode & LXF_S_IFMT) == LXF_S_IFDIR;
    if ((flags & LXF_O_ACCMODE) != 0 || (flags & LXF_O_TRUNC))
        return dir ? -LX_EISDIR : -LX_EROFS;
    if ((flags & LXF_O_DIRECTORY) && !dir)
        return -LX_ENOTDIR;
    struct lx_fd f = {.kind = dir ? FD_DIR : FD_FILE,
                      .flags = flags,
                      .data = e.data,
                      .size = e.size,
                      .mode = e.mode,
                      .ino = e.ino};
    memcpy(f.path, name, strlen(name) + 1);
    return fd_fill(p, fd, &f, 0);
}

static long open_name(struct lx_proc *p, const char *name, unsigned flags, uint32_t mode,
                      unsigned depth)
{
    int fd = lx_fd_alloc(p, 0);
    if (fd < 0)
        return fd;
    switch (lx_where_of(name)) {
    case LXW_FS:
        return open_fs(p, name, flags, mode, fd);
    case LXW_DEV:
    case LXW_PROC:
        return open_syn(p, name, flags, mode, depth, fd);
    default:
        return open_initramfs(p, name, flags, fd);
    }
}

long lx_openat_mode(struct lx_proc *p, int dirfd, uint64_t upath, unsigned flags, uint32_t mode)
{
    char name[LX_PATH_MAX];
    bool empty;
    long r = lx_resolve(p, dirfd, upath, name, sizeof(name), &empty);
    if (r < 0)
        return r;
    if (empty)
        return -LX_ENOENT;
    return open_name(p, name, flags, mode, 0);
}

long lx_openat(struct lx_proc *p, int dirfd, uint64_t upath, unsigned flags)
{
    return lx_openat_mode(p, dirfd, upath, flags, 0666);
}

long lx_close(struct lx_proc *p, int fd)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    fd_clear(f);
    return 0;
}

long lx_dup(struct lx_proc *p, int fd, int newfd, int min, bool cloexec)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    if (newfd < 0) {
        newfd = lx_fd_alloc(p, min);
        if (newfd < 0)
            return newfd;
    } else if (newfd >= LX_MAX_FDS) {
        return -LX_EBADF;
    }
    if (newfd != fd) {
        struct lx_fd copy = *f;
        struct lx_fd old = p->fd[newfd];
        p->fd[newfd] = copy;
        if (old.kind != FD_NONE)
            fd_clear(&old); /* counted with the copy in its place */
        p->fd[newfd].cloexec = cloexec;
    }
    return newfd;
}

long lx_fcntl(struct lx_proc *p, int fd, int cmd, uint64_t arg)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    unsigned *fl = flags_of(f);
    switch (cmd) {
    case 0: /* F_DUPFD */
        return lx_dup(p, fd, -1, (int)arg, false);
    case 1030: /* F_DUPFD_CLOEXEC */
        return lx_dup(p, fd, -1, (int)arg, true);
    case 1: /* F_GETFD */
        return f->cloexec ? 1 : 0;
    case 2: /* F_SETFD */
        f->cloexec = arg & 1;
        return 0;
    case 3: /* F_GETFL */
        return *fl & (LXF_O_ACCMODE | LXF_O_APPEND | LXF_O_NONBLOCK);
    case 4: /* F_SETFL: O_APPEND and O_NONBLOCK change */
        *fl = (*fl & ~(unsigned)(LXF_O_NONBLOCK | LXF_O_APPEND)) |
              ((unsigned)arg & (LXF_O_NONBLOCK | LXF_O_APPEND));
        return 0;
    default:
        return -LX_EINVAL;
    }
}

/* --- reading and writing ------------------------------------------------------------ */

/* Reads up to n bytes at off of the file server's file handle into lx's buf:
 * through lx's buffer at the server, or in messages when it has none. */
static long fs_read_at(wf_cptr_t handle, uint64_t off, uint8_t *buf, uint64_t n)
{
    uint64_t done = 0;
    while (lx.files.fs_buf_size && done < n) {
        wf_word_t st = 0, got = 0;
        wf_word_t want = n - done < lx.files.fs_buf_size ? n - done : lx.files.fs_buf_size;
        enum wf_error e = wfp_file_read_buf(handle, off + done, want, &st, &got);
        if (e == WF_ERR_OK && st == LXF_ENXIO) {
            lx.files.fs_buf_size = 0; /* the server lost it (a restart): messages */
            break;
        }
        long r = lx_fs_status(e, st);
        if (r == 0 && got > want)
            r = -LX_EIO;
        if (r == 0 && got &&
            wf_vmo_read(lx.files.fs_buf, 0, got, WF_CHILD_VSPACE, (uintptr_t)(buf + done)) !=
                WF_ERR_OK)
            r = -LX_EIO;
        if (r < 0)
            return done ? (long)done : r;
        done += got;
        if (got < want)
            return (long)done;
    }
    while (done < n) {
        wf_word_t st = 0, got = 0;
        wf_word_t want = n - done < WFP_FILE_DATA_MAX ? n - done : WFP_FILE_DATA_MAX;
        long r =
            lx_fs_status(wfp_file_read(handle, off + done, want, &st, buf + done, want, &got), st);
        if (r < 0)
            return done ? (long)done : r;
        done += got;
        if (got < want)
            break;
    }
    return (long)done;
}

/* The program at path for execve and lx's own runs: its bytes and length.
 * A file of the initramfs is lx's map of it (*copied false); a file of the
 * file server (/tmp) is read whole into memory of lx's own (*copied true:
 * lx_exec_file_done gives it back), at most LX_EXEC_FILE_MAX bytes. NULL with
 * *err: ENOENT (nothing there), EACCES (not a regular file, or no execute
 * bit: execve's errors), ENOMEM (too large), EIO (the file changed while it
 * was read) or the server's error. */
const uint8_t *lx_exec_file(const char *path, size_t *len, bool *copied, long *err)
{
    char name[LX_PATH_MAX];
    *copied = false;
    if (!normalise(path, name, sizeof(name))) {
        *err = -LX_ENAMETOOLONG;
        return NULL;
    }
    if (lx_where_of(name) != LXW_FS) {
        struct cpio_entry e;
        if (!lookup(name, &e))
            *err = -LX_ENOENT;
        else
            *err = !cpio_is_regular(&e) || !(e.mode & 0111) ? -LX_EACCES : 0;
        if (*err)
            return NULL;
        *len = e.size;
        return e.data;
    }
    wf_cptr_t fs = lx_fs();
    char fspath[LX_PATH_MAX + 2];
    size_t plen = lx_fs_path(name, fspath);
    wf_cptr_t h = fs ? wf_env_slot(&lx.env) : 0;
    if (!h) {
        *err = fs ? -LX_ENFILE : -LX_ENOENT;
        return NULL;
    }
    wf_word_t st = 0, ino = 0, type = 0, mode = 0, size = 0, links = 0, t;
    long r = lx_fs_status(
        wfp_file_open(fs, WFP_FILE_O_READ, 0, fspath, plen, &st, &ino, SELF, h, 64), st);
    if (r < 0) {
        wf_env_free(&lx.env, h);
        *err = r == -LX_EISDIR ? -LX_EACCES : r;
        return NULL;
    }
    r = lx_fs_status(wfp_file_stat(h, &st, &type, &mode, &size, &links, &ino, &t, &t, &t), st);
    if (!r && (type != WFP_FILE_T_FILE || !(mode & 0111)))
        r = -LX_EACCES;
    if (!r && size > LX_EXEC_FILE_MAX)
        r = -LX_ENOMEM;
    uint8_t *buf = NULL;
    if (!r) {
        void *m =
            mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            r = -LX_ENOMEM;
        else
            buf = m;
    }
    if (!r) {
        long got = fs_read_at(h, 0, buf, size);
        r = got < 0 ? got : (uint64_t)got != size ? -LX_EIO : 0;
    }
    handle_close(h);
    if (r < 0) {
        if (buf)
            munmap(buf, size ? size : 1);
        *err = r;
        return NULL;
    }
    *err = 0;
    *len = size;
    *copied = true;
    return buf;
}

/* Gives back what lx_exec_file read from the file server. */
void lx_exec_file_done(const uint8_t *file, size_t len, bool copied)
{
    if (copied)
        munmap((void *)(uintptr_t)file, len ? len : 1);
}

/* Reads up to n bytes at off of a file-like descriptor (initramfs, file
 * server, /proc, a device) into lx's buf: how many, or -errno. */
long lx_file_read_at(struct lx_proc *p, struct lx_fd *f, uint64_t off, uint8_t *buf, uint64_t n)
{
    switch (f->kind) {
    case FD_FILE:
        if (off >= f->size)
            return 0;
        if (n > f->size - off)
            n = f->size - off;
        memcpy(buf, f->data + off, n);
        return (long)n;
    case FD_FSFILE:
        return fs_read_at(lx_ofd_of(f)->handle, off, buf, n);
    case FD_PROC: {
        static char text[8192];
        long len = lx_syn_text(p, f, text, sizeof(text));
        if (len < 0)
            return len;
        if (off >= (uint64_t)len)
            return 0;
        if (n > (uint64_t)len - off)
            n = (uint64_t)len - off;
        memcpy(buf, text + off, n);
        return (long)n;
    }
    case FD_DEV:
        if (f->sub == DEV_NULL)
            return 0;
        if (f->sub == DEV_RANDOM || f->sub == DEV_URANDOM)
            lx_random(buf, n);
        else
            memset(buf, 0, n);
        return (long)n;
    case FD_DIR:
    case FD_FSDIR:
    case FD_SYNDIR:
        return -LX_EISDIR;
    default:
        return -LX_EINVAL;
    }
}

/* File Map of fd's file (the file server's, /tmp) into lx's slot: the pages
 * of [off, off + len); priv: a copy-on-write clone of the process's own, else
 * the server's cache object itself (writable when the descriptor is O_RDWR),
 * whose open file description is then held (*ofd: 1 + its index; lx_ofd_put
 * lets it go) so that the object outlives the descriptor as Linux's mapping
 * does. *fsize: the file's size now. EACCES as Linux's mmap: a descriptor
 * not open for reading, shared write (PROT_WRITE asked) without O_RDWR, or
 * not a file server file. */
long lx_file_map(struct lx_proc *p, int fd, uint64_t off, uint64_t len, bool priv, bool write,
                 wf_cptr_t slot, uint64_t *fsize, unsigned *ofd)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind != FD_FSFILE)
        return -LX_EACCES; /* not the file server's */
    unsigned acc = *flags_of(f) & LXF_O_ACCMODE;
    if (acc == LXF_O_WRONLY || (!priv && write && acc != LXF_O_RDWR))
        return -LX_EACCES;
    struct lx_stat st;
    long r = lx_stat_fd(p, f, &st);
    if (r < 0)
        return r;
    wf_word_t status = 0, size = 0;
    /* shared: writable whenever the descriptor may write (a later mprotect) */
    wf_word_t mf = priv                ? WFP_FILE_MAP_PRIVATE | WFP_FILE_MAP_WRITE
                   : acc == LXF_O_RDWR ? WFP_FILE_MAP_WRITE
                                       : 0;
    r = lx_fs_status(
        wfp_file_map(lx_ofd_of(f)->handle, off, len, mf, &status, &size, SELF, slot, 64), status);
    if (r < 0)
        return r;
    *fsize = st.size;
    *ofd = 0;
    if (!priv) {
        lx.files.ofd[f->ofd - 1].maps++;
        *ofd = f->ofd;
    }
    return 0;
}

/* msync's MS_SYNC of a shared file mapping: File Fsync through the handle it
 * holds. */
long lx_file_sync(unsigned ofd)
{
    wf_word_t st = 0;
    return lx_fs_status(wfp_file_fsync(lx.files.ofd[ofd - 1].handle, &st), st);
}

/* A shared file mapping lets its open file description go: closed (the
 * handle with it) when no descriptor names it either. */
void lx_ofd_put(unsigned ofd)
{
    struct lx_ofd *o = &lx.files.ofd[ofd - 1];
    if (--o->maps == 0 && !o->pinned && !count_fds(ofd - 1, FD_NONE, true))
        ofd_release(ofd - 1);
}

/* The read of an offset-keeping descriptor, at *pos (advanced). */
static long read_file(struct lx_proc *p, struct lx_fd *f, uint64_t *pos, uint64_t buf,
                      uint64_t count)
{
    static uint8_t tmp[CHUNK];
    uint64_t max = f->kind == FD_DEV ? DEV_READ_MAX : READ_MAX, done = 0;
    if (count > max)
        count = max;
    while (done < count) {
        uint64_t k = count - done < sizeof(tmp) ? count - done : sizeof(tmp);
        long r = lx_file_read_at(p, f, *pos + done, tmp, k);
        if (r < 0)
            return done ? (long)done : r;
        if (r && lx_copy_out(p, buf + done, tmp, (size_t)r) < 0)
            return done ? (long)done : -LX_EFAULT;
        done += (uint64_t)r;
        if ((uint64_t)r < k)
            break;
    }
    if (f->kind != FD_DEV)
        *pos += done;
    return (long)done;
}

long lx_read(struct lx_proc *p, int fd, uint64_t buf, uint64_t count)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_DIR || f->kind == FD_FSDIR || f->kind == FD_SYNDIR)
        return -LX_EISDIR;
    if (f->kind == FD_PIPE_W)
        return -LX_EBADF;
    if (f->kind == FD_NULL)
        return 0;
    if (f->kind >= FD_EVENT)
        return lx_wait_read(p, f, buf, count);
    if ((*flags_of(f) & LXF_O_ACCMODE) == LXF_O_WRONLY)
        return -LX_EBADF;
    if (f->kind == FD_PIPE_R) {
        struct lx_pipe *pp = &lx.files.pipe[f->pipe];
        if (!count)
            return 0;
        if (!pp->len) {
            if (!pipe_ends(f->pipe, FD_PIPE_W))
                return 0; /* end of file: no writer left */
            return (f->flags & LXF_O_NONBLOCK) ? -LX_EAGAIN : -LX_BLOCK;
        }
        uint64_t n = count < pp->len ? count : pp->len, done = 0;
        while (done < n) {
            unsigned at = (pp->head + (unsigned)done) % LX_PIPE_SIZE;
            uint64_t k = LX_PIPE_SIZE - at < n - done ? LX_PIPE_SIZE - at : n - done;
            if (lx_copy_out(p, buf + done, pp->buf + at, k) < 0)
                return -LX_EFAULT;
            done += k;
        }
        pp->head = (pp->head + (unsigned)n) % LX_PIPE_SIZE;
        pp->len -= (unsigned)n;
        return (long)n;
    }
    if (f->kind == FD_CONSOLE)
        return lx_tty_read(p, buf, count); /* tty.c */
    struct lx_ofd *o = lx_ofd_of(f);
    uint64_t zero = 0;
    return read_file(p, f, o ? &o->off : &zero, buf, count);
}

/* How many of count bytes a write to pipe end f may put now: 0 with *err set
 * when it cannot (no reader: EPIPE and SIGPIPE; full: wait or EAGAIN). Writes
 * up to PIPE_BUF go in whole. */
static uint64_t pipe_room(struct lx_proc *p, const struct lx_fd *f, uint64_t count, long *err)
{
    struct lx_pipe *pp = &lx.files.pipe[f->pipe];
    if (!pipe_ends(f->pipe, FD_PIPE_R)) {
        lx_signal_thread(lx.calling, LX_SIGPIPE);
        *err = -LX_EPIPE;
        return 0;
    }
    uint64_t room = LX_PIPE_SIZE - pp->len;
    if (!room || (count <= PIPE_BUF && room < count)) {
        *err = (f->flags & LXF_O_NONBLOCK) ? -LX_EAGAIN : -LX_BLOCK;
        return 0;
    }
    *err = 0;
    return count < room ? count : room;
}

static void pipe_put(struct lx_pipe *pp, const uint8_t *data, uint64_t n)
{
    for (uint64_t done = 0; done < n;) {
        unsigned at = (pp->head + pp->len) % LX_PIPE_SIZE;
        uint64_t k = LX_PIPE_SIZE - at < n - done ? LX_PIPE_SIZE - at : n - done;
        memcpy(pp->buf + at, data + done, k);
        pp->len += (unsigned)k;
        done += k;
    }
}

/* Writes n bytes of lx's buf to a file, device or the console: at *at (pwrite)
 * or at the description's offset (the file's end with O_APPEND), which moves.
 * How many went, or -errno. */
long lx_write_k(struct lx_proc *p, struct lx_fd *f, const uint8_t *buf, uint64_t n,
                const uint64_t *at)
{
    (void)p;
    if ((*flags_of(f) & LXF_O_ACCMODE) == 0 && f->kind != FD_CONSOLE)
        return -LX_EBADF;
    switch (f->kind) {
    case FD_CONSOLE: {
        long r = lx_tty_write_check(p); /* TOSTOP: SIGTTOU for a background group */
        if (r)
            return r;
        lx_out((const char *)buf, n);
        return (long)n;
    }
    case FD_NULL:
        return (long)n;
    case FD_DEV:
        return f->sub == DEV_FULL ? -LXF_ENOSPC : (long)n;
    case FD_FSFILE: {
        struct lx_ofd *o = lx_ofd_of(f);
        uint64_t off = at ? *at : o->off;
        wf_word_t st = 0, t, size = 0;
        if (!at && (o->flags & LXF_O_APPEND)) {
            long r =
                lx_fs_status(wfp_file_stat(o->handle, &st, &t, &t, &size, &t, &t, &t, &t, &t), st);
            if (r < 0)
                return r;
            off = size;
        }
        uint64_t done = 0;
        while (lx.files.fs_buf_size && done < n) {
            wf_word_t k = n - done < lx.files.fs_buf_size ? n - done : lx.files.fs_buf_size, w = 0;
            if (wf_vmo_write(lx.files.fs_buf, 0, k, WF_CHILD_VSPACE, (uintptr_t)(buf + done)) !=
                WF_ERR_OK) {
                if (!done)
                    return -LX_EIO;
                n = done;
                break;
            }
            enum wf_error e = wfp_file_write_buf(o->handle, off + done, k, &st, &w);
            if (e == WF_ERR_OK && st == LXF_ENXIO) {
                lx.files.fs_buf_size = 0;
                break;
            }
            long r = lx_fs_status(e, st);
            if (r < 0) {
                if (!done)
                    return r;
                n = done;
                break;
            }
            done += w;
            if (w < k) {
                n = done;
                break;
            }
        }
        while (done < n) {
            wf_word_t k = n - done < WFP_FILE_DATA_MAX ? n - done : WFP_FILE_DATA_MAX, w = 0;
            long r =
                lx_fs_status(wfp_file_write(o->handle, off + done, buf + done, k, &st, &w), st);
            if (r < 0) {
                if (!done)
                    return r;
                break;
            }
            done += w;
            if (w < k)
                break;
        }
        if (!at)
            o->off = off + done;
        return (long)done;
    }
    default:
        return -LX_EINVAL;
    }
}

/* Writes n bytes of lx's memory to descriptor f (sendfile): how many went. */
long lx_put(struct lx_proc *p, struct lx_fd *f, const uint8_t *data, uint64_t n)
{
    if (f->kind != FD_PIPE_W)
        return lx_write_k(p, f, data, n, NULL);
    if (!n)
        return 0;
    long err;
    n = pipe_room(p, f, n, &err);
    if (!n)
        return err;
    pipe_put(&lx.files.pipe[f->pipe], data, n);
    return (long)n;
}

long lx_write(struct lx_proc *p, int fd, uint64_t buf, uint64_t count)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    static uint8_t tmp[CHUNK];
    if (f->kind == FD_PIPE_W) {
        if (!count)
            return 0;
        long err;
        uint64_t n = pipe_room(p, f, count, &err);
        if (!n)
            return err;
        for (uint64_t done = 0; done < n;) {
            size_t k = n - done < sizeof(tmp) ? n - done : sizeof(tmp);
            if (lx_copy_in(p, tmp, buf + done, k) < 0)
                return done ? (long)done : -LX_EFAULT;
            pipe_put(&lx.files.pipe[f->pipe], tmp, k);
            done += k;
        }
        return (long)n;
    }
    if (f->kind == FD_PIPE_R)
        return -LX_EBADF;
    if (f->kind >= FD_EVENT)
        return lx_wait_write(p, f, buf, count);
    if (f->kind == FD_FILE || f->kind == FD_PROC)
        return (*flags_of(f) & LXF_O_ACCMODE) ? -LX_EROFS : -LX_EBADF;
    if (f->kind == FD_DIR || f->kind == FD_FSDIR || f->kind == FD_SYNDIR)
        return -LX_EBADF;
    uint64_t done = 0;
    while (done < count) {
        size_t n = count - done < sizeof(tmp) ? count - done : sizeof(tmp);
        if (lx_copy_in(p, tmp, buf + done, n) < 0)
            return done ? (long)done : -LX_EFAULT;
        long r = lx_write_k(p, f, tmp, n, NULL);
        if (r < 0)
            return done ? (long)done : r;
        done += (uint64_t)r;
        if ((uint64_t)r < n)
            break;
    }
    return (long)done;
}

long lx_lseek(struct lx_proc *p, int fd, int64_t off, int whence)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind == FD_NULL || f->kind == FD_DEV)
        return 0;
    if (f->kind == FD_CONSOLE || f->kind == FD_PIPE_R || f->kind == FD_PIPE_W ||
        f->kind >= FD_EVENT)
        return -LX_ESPIPE;
    struct lx_ofd *o = lx_ofd_of(f);
    if (!o)
        return -LX_EINVAL;
    int64_t size = (int64_t)f->size;
    if (whence == 2 && f->kind == FD_FSFILE) {
        struct lx_stat st;
        long r = lx_stat_fd(p, f, &st);
        if (r < 0)
            return r;
        size = st.size;
    } else if (whence == 2 && f->kind == FD_PROC) {
        size = 0; /* as Linux: a /proc file's size is 0 */
    }
    int64_t base = whence == 0 ? 0 : whence == 1 ? (int64_t)o->off : whence == 2 ? size : -1;
    bool dir = f->kind == FD_DIR || f->kind == FD_FSDIR || f->kind == FD_SYNDIR;
    if (base < 0 || (dir && (whence != 0 || off != 0) && !(whence == 1 && off == 0)))
        return -LX_EINVAL;
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -LX_EINVAL;
    o->off = (uint64_t)(base + off);
    return (long)o->off;
}

/* --- stat ------------------------------------------------------------------------------ */

/* What Linux's initramfs (tmpfs) reports, so that programs print the same: a
 * directory's size is 20 bytes per entry with "." and "..", its links 2 plus
 * its subdirectories, and it takes no blocks; a file takes whole pages. */
static void fill_stat(struct lx_stat *st, uint32_t mode, uint32_t ino, uint64_t size,
                      const char *path)
{
    memset(st, 0, sizeof(*st));
    st->dev = 1;
    st->ino = ino;
    st->nlink = 1;
    st->mode = mode;
    st->blksize = 4096;
    if ((mode & LXF_S_IFMT) == LXF_S_IFDIR) {
        unsigned subdirs = 0, n = count_children(path, &subdirs);
        st->size = 20 * (2 + (int64_t)n);
        st->nlink = 2 + subdirs;
    } else if ((mode & LXF_S_IFMT) == LXF_S_IFREG) {
        st->size = (int64_t)size;
        st->blocks = (int64_t)((size + 4095) / 4096 * 8);
    }
}

/* /dev and /proc: devtmpfs's and procfs's numbers. */
static void syn_fill(struct lx_stat *st, uint32_t mode, uint32_t ino, uint64_t rdev, bool dev)
{
    memset(st, 0, sizeof(*st));
    st->dev = dev ? 6 : 0x15;
    st->ino = ino;
    st->nlink = (mode & LXF_S_IFMT) == LXF_S_IFDIR ? 2 : 1;
    st->mode = mode;
    st->rdev = rdev;
    st->blksize = dev ? 4096 : 1024;
}

long lx_stat_fd(struct lx_proc *p, struct lx_fd *f, struct lx_stat *st)
{
    (void)p;
    switch (f->kind) {
    case FD_FSFILE:
    case FD_FSDIR: {
        wf_word_t s = 0, type = 0, mode = 0, uid = 0, gid = 0, size = 0, links = 0, ino = 0,
                  blocks = 0, t[3] = {0};
        long r = lx_fs_status(wfp_file_attr(lx_ofd_of(f)->handle, &s, &type, &mode, &uid, &gid,
                                            &size, &links, &ino, &blocks, &t[0], &t[1], &t[2]),
                              s);
        if (r < 0)
            return r;
        fs_fill(st, type, mode, uid, gid, size, links, ino, blocks, t);
        return 0;
    }
    case FD_DEV:
    case FD_SYNDIR:
    case FD_PROC: {
        struct lx_node n;
        if (lx_syn_lookup(p, f->path, &n) == 0) {
            syn_fill(st, n.mode, n.ino, n.rdev, lx_where_of(f->path) == LXW_DEV);
            return 0;
        }
        syn_fill(st, f->mode, f->ino, 0, f->kind == FD_DEV);
        return 0;
    }
    case FD_CONSOLE:
        syn_fill(st, LXF_S_IFCHR | 0620, f->ino, (5u << 8) | 1u, true);
        return 0;
    case FD_EVENT:
    case FD_TIMER:
    case FD_EPOLL:
    case FD_SOCK: /* anonymous inodes; a socket's type shows */
        syn_fill(st, f->mode, f->ino, 0, false);
        st->dev = 0xd;
        st->blksize = 4096;
        return 0;
    default:
        fill_stat(st, f->mode, f->ino, f->size, f->path);
        return 0;
    }
}

long lx_stat_name(struct lx_proc *p, const char *name, bool nofollow, struct lx_stat *st)
{
    switch (lx_where_of(name)) {
    case LXW_FS: {
        wf_cptr_t fs = lx_fs();
        if (!fs)
            return -LX_ENOENT;
        char path[LX_PATH_MAX + 2];
        size_t len = lx_fs_path(name, path);
        wf_word_t s = 0, type = 0, mode = 0, uid = 0, gid = 0, size = 0, links = 0, ino = 0,
                  blocks = 0, t[3] = {0};
        long r =
            lx_fs_status(wfp_file_attr_path(fs, nofollow, path, len, &s, &type, &mode, &uid, &gid,
                                            &size, &links, &ino, &blocks, &t[0], &t[1], &t[2]),
                         s);
        if (r < 0)
            return r;
        fs_fill(st, type, mode, uid, gid, size, links, ino, blocks, t);
        return 0;
    }
    case LXW_DEV:
    case LXW_PROC: {
        struct lx_node n;
        long r = lx_syn_lookup(p, name, &n);
        if (r < 0)
            return r;
        if (n.link[0] && !nofollow) {
            char target[LX_PATH_MAX];
            if (!normalise(n.link, target, sizeof(target)))
                return -LX_ENAMETOOLONG;
            return lx_stat_name(p, target, false, st);
        }
        syn_fill(st, n.mode, n.ino, n.rdev, lx_where_of(name) == LXW_DEV);
        if (n.link[0])
            st->size = (int64_t)strlen(n.link);
        return 0;
    }
    default: {
        struct cpio_entry e;
        if (!lookup(name, &e))
            return -LX_ENOENT;
        fill_stat(st, e.mode, e.ino, e.size, name);
        return 0;
    }
    }
}

long lx_fstatat(struct lx_proc *p, int dirfd, uint64_t upath, uint64_t ubuf, unsigned flags)
{
    struct lx_stat st;
    if (upath == 0 && !(flags & LXF_AT_EMPTY_PATH))
        return -LX_EFAULT;
    char name[LX_PATH_MAX];
    bool empty = true;
    if (upath) {
        long r = lx_resolve(p, dirfd, upath, name, sizeof(name), &empty);
        if (r < 0)
            return r;
    }
    long r;
    if (empty) {
        if (!(flags & LXF_AT_EMPTY_PATH))
            return -LX_ENOENT;
        if (dirfd == LXF_AT_FDCWD) {
            r = lx_stat_name(p, p->files.cwd, false, &st);
        } else {
            struct lx_fd *f = lx_fd_get(p, dirfd);
            if (!f)
                return -LX_EBADF;
            r = lx_stat_fd(p, f, &st);
        }
    } else {
        r = lx_stat_name(p, name, (flags & LXF_AT_SYMLINK_NOFOLLOW) != 0, &st);
    }
    if (r < 0)
        return r;
    return lx_copy_out(p, ubuf, &st, sizeof(st));
}

long lx_faccessat(struct lx_proc *p, int dirfd, uint64_t upath)
{
    char name[LX_PATH_MAX];
    bool empty;
    long r = lx_resolve(p, dirfd, upath, name, sizeof(name), &empty);
    if (r < 0)
        return r;
    if (empty)
        return -LX_ENOENT;
    struct lx_stat st;
    return lx_stat_name(p, name, false, &st);
}

/* --- directories ----------------------------------------------------------------------- */

/* Puts one linux_dirent64 in out (used bytes so far, limit): false when it
 * does not fit. */
static bool dirent_put(uint8_t *out, size_t *used, size_t limit, uint64_t ino, uint64_t next,
                       unsigned type, const char *nm, size_t nlen)
{
    size_t reclen = (19 + nlen + 1 + 7) & ~(size_t)7;
    if (*used + reclen > limit)
        return false;
    uint8_t *r = out + *used;
    memset(r, 0, reclen);
    uint16_t rl = (uint16_t)reclen;
    memcpy(r, &ino, 8);
    memcpy(r + 8, &next, 8);
    memcpy(r + 16, &rl, 2);
    r[18] = (uint8_t)type;
    memcpy(r + 19, nm, nlen);
    *used += reclen;
    return true;
}

static unsigned dtype_of(uint32_t mode)
{
    switch (mode & LXF_S_IFMT) {
    case LXF_S_IFDIR:
        return 4;
    case LXF_S_IFREG:
        return 8;
    case LXF_S_IFLNK:
        return 10;
    case LXF_S_IFCHR:
        return 2;
    case LXF_S_IFIFO:
        return 1;
    default:
        return 0;
    }
}

/* getdents64. The initramfs: ".", "..", then the entries of the directory
 * newest first, as Linux's initramfs (tmpfs, filled in archive order) lists
 * them; the file server: its ReadDir order (the offset is its cookie); /dev
 * and /proc: procfs.c's. */
long lx_getdents64(struct lx_proc *p, int fd, uint64_t ubuf, uint64_t count)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind != FD_DIR && f->kind != FD_FSDIR && f->kind != FD_SYNDIR)
        return -LX_ENOTDIR;
    struct lx_ofd *o = lx_ofd_of(f);
    static uint8_t out[4096];
    size_t used = 0, limit = count < sizeof(out) ? count : sizeof(out);
    if (f->kind == FD_FSDIR) {
        for (;;) {
            char nm[WFP_FILE_NAME_MAX + 1];
            wf_word_t st = 0, next = 0, type = 0, ino = 0, len = 0;
            long r = lx_fs_status(
                wfp_file_read_dir(o->handle, o->off, &st, &next, &type, &ino, nm, sizeof(nm), &len),
                st);
            if (r < 0)
                return used ? (long)used : r;
            if (!len)
                break;
            unsigned dt = type == WFP_FILE_T_FILE      ? 8
                          : type == WFP_FILE_T_DIR     ? 4
                          : type == WFP_FILE_T_SYMLINK ? 10
                                                       : 0;
            if (!dirent_put(out, &used, limit, ino, next, dt, nm, len)) {
                if (!used)
                    return -LX_EINVAL;
                break;
            }
            o->off = next;
        }
    } else if (f->kind == FD_SYNDIR) {
        for (;;) {
            char nm[64];
            uint32_t ino;
            unsigned dt;
            if (!lx_syn_entry(p, f, (unsigned)o->off, nm, sizeof(nm), &ino, &dt))
                break;
            if (!dirent_put(out, &used, limit, ino, o->off + 1, dt, nm, strlen(nm))) {
                if (!used)
                    return -LX_EINVAL;
                break;
            }
            o->off++;
        }
    } else {
        /* the root also lists the mount points lx adds (those the archive lacks) */
        static const char *const tops[] = {"dev", "proc", "tmp"};
        unsigned n = count_children(f->path, NULL), extra = f->path[0] ? 0 : 3;
        for (uint64_t k = o->off; k < 2ull + n + extra; k++) {
            const char *nm;
            size_t nlen;
            uint32_t mode, ino;
            struct cpio_entry e;
            if (k < 2) {
                nm = k == 0 ? "." : "..";
                nlen = k + 1;
                mode = LXF_S_IFDIR;
                ino = f->ino;
            } else if (k >= 2ull + n) {
                nm = tops[k - 2 - n];
                nlen = strlen(nm);
                if (lookup(nm, &e) || (k - 2 - n == 2 && !lx_fs())) {
                    o->off = k + 1;
                    continue;
                }
                mode = LXF_S_IFDIR;
                ino = 0xf000u + (uint32_t)(k - 2 - n);
            } else {
                if (!nth_child(f->path, (unsigned)(n - 1 - (k - 2)), &e, &nm, &nlen))
                    break;
                mode = e.mode;
                ino = e.ino;
            }
            if (!dirent_put(out, &used, limit, ino, k + 1, dtype_of(mode), nm, nlen)) {
                if (!used)
                    return -LX_EINVAL;
                break;
            }
            o->off = k + 1;
        }
    }
    long c = lx_copy_out(p, ubuf, out, used);
    return c < 0 ? c : (long)used;
}

long lx_ioctl(struct lx_proc *p, int fd, unsigned long req, uint64_t arg)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    if (!f)
        return -LX_EBADF;
    if (f->kind != FD_CONSOLE)
        return -LX_ENOTTY;
    return lx_tty_ioctl(p, req, arg); /* tty.c */
}
