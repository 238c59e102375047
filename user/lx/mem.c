/*
 * A Linux process's memory: a table of mappings (struct lx_vma), each showing
 * part of a VMO from the process's pool (or lx's: shared memory; or the file
 * server's: a file mapped through File Map). The image, the stack and the heap are
 * mappings like any other, so munmap, mprotect and MAP_FIXED work across them.
 * A mapping with PROT_NONE stays in the table but not in the VSpace. A VMO is
 * deleted when no mapping shows it any more.
 */
#include <string.h>

#include "lx.h"
#include "lxsys.h"
#include "weft/invoke.h"
#include "wf/runtime.h"

enum {
    PROT_READ = 1,
    PROT_WRITE = 2,
    PROT_EXEC = 4,
    MAP_SHARED = 0x01,
    MAP_PRIVATE = 0x02,
    MAP_FIXED = 0x10,
    MAP_ANONYMOUS = 0x20,
    MAP_FIXED_NOREPLACE = 0x100000,
    MADV_DONTNEED = 4,
    MREMAP_MAYMOVE = 1,
    MREMAP_FIXED = 2,
    MREMAP_DONTUNMAP = 4,
    MS_ASYNC = 1,
    MS_INVALIDATE = 2,
    MS_SYNC = 4,
};

#define PAGE LX_PAGE

wf_word_t lx_vm_rights(unsigned prot)
{
    /* x86-64 cannot map write-only or execute-only: Linux gives read as well. */
    return (prot ? WF_VM_READ : 0) | (prot & PROT_WRITE ? WF_VM_WRITE : 0) |
           (prot & PROT_EXEC ? WF_VM_EXEC : 0);
}

/* A process lets go of shared memory lx.shm[shm - 1]: its VMO goes with the
 * last. */
void lx_shm_unref(unsigned shm)
{
    struct lx_shm *s = &lx.shm[shm - 1];
    if (--s->procs == 0) {
        wf_cnode_delete(SELF, s->cap, 64);
        wf_env_free(&lx.env, s->cap);
        s->cap = 0;
        if (s->ofd)
            lx_ofd_put(s->ofd); /* the file's handle, closed now if no descriptor has it */
        s->ofd = 0;
    }
}

/* Shared memory of the VMO cap (a slot of lx's own: the memory outlives the
 * process that made it while others show it), ofd as lx_shm's: a new lx.shm
 * entry and a copy of the cap in p's vmo table. Returns the index there, or
 * -errno with cap deleted. */
static int shm_add(struct lx_proc *p, wf_cptr_t cap, uint64_t size, unsigned ofd)
{
    unsigned k = 0;
    while (k < LX_MAX_SHM && lx.shm[k].cap)
        k++;
    unsigned v = 0;
    while (v < LX_MAX_VMOS && p->vmo[v].cap)
        v++;
    wf_cptr_t copy = k < LX_MAX_SHM && v < LX_MAX_VMOS ? lx_slot(p) : 0;
    if (!copy || wf_cnode_copy(SELF, copy, 64, SELF, cap, 64, WF_RIGHTS_ALL) != WF_ERR_OK) {
        if (copy)
            lx_slot_free(p, copy);
        wf_cnode_delete(SELF, cap, 64);
        wf_env_free(&lx.env, cap);
        return -LX_ENOMEM;
    }
    lx.shm[k] = (struct lx_shm){cap, 1, ++lx.next_shm_id, ofd};
    p->vmo[v] = (struct lx_vmo){copy, 0, size, k + 1};
    return (int)v;
}

/* A new anonymous MAP_SHARED VMO of size bytes (from lx's pool): its index
 * in p's vmo table, or -errno. */
static int shm_new(struct lx_proc *p, uint64_t size)
{
    wf_cptr_t cap;
    if (wf_env_create(&lx.env, WF_OBJ_VMO, size, &cap) != WF_ERR_OK)
        return -LX_ENOMEM;
    return shm_add(p, cap, size, 0);
}

static void vmo_unref(struct lx_proc *p, unsigned v)
{
    if (--p->vmo[v].refs == 0 && v != p->brk_vmo) {
        lx_win_drop(p, v);
        wf_cnode_delete(SELF, p->vmo[v].cap, 64);
        lx_slot_free(p, p->vmo[v].cap);
        if (p->vmo[v].shm)
            lx_shm_unref(p->vmo[v].shm);
        p->vmo[v].cap = 0;
        p->vmo[v].shm = 0;
    }
}

/* Inserts a vma keeping the table sorted. */
static bool vma_insert(struct lx_proc *p, struct lx_vma v)
{
    if (p->nvma == LX_MAX_VMAS)
        return false;
    unsigned i = p->nvma;
    while (i > 0 && p->vma[i - 1].start > v.start) {
        p->vma[i] = p->vma[i - 1];
        i--;
    }
    p->vma[i] = v;
    p->nvma++;
    p->vmo[v.vmo].refs++;
    return true;
}

static void vma_remove(struct lx_proc *p, unsigned i)
{
    unsigned v = p->vma[i].vmo;
    memmove(&p->vma[i], &p->vma[i + 1], (p->nvma - i - 1) * sizeof(p->vma[0]));
    p->nvma--;
    vmo_unref(p, v);
}

/* Splits the vma containing addr (if any) so that one starts at addr. */
static bool split_at(struct lx_proc *p, uint64_t addr)
{
    for (unsigned i = 0; i < p->nvma; i++) {
        struct lx_vma *v = &p->vma[i];
        if (addr > v->start && addr < v->end) {
            struct lx_vma right = *v;
            right.off += addr - v->start;
            right.start = addr;
            v->end = addr;
            return vma_insert(p, right);
        }
    }
    return true;
}

/* Shows [start, start + len) of p's vmo from off with prot; bus: kept in the
 * table only (past a file's end). */
static long map_piece(struct lx_proc *p, uint64_t start, uint64_t len, unsigned vmo, uint64_t off,
                      unsigned prot, bool bus)
{
    if (prot && !bus &&
        wf_vspace_map(p->vspace, p->vmo[vmo].cap, start, off, len, lx_vm_rights(prot)) != WF_ERR_OK)
        return -LX_ENOMEM;
    if (!vma_insert(p, (struct lx_vma){start, start + len, off, vmo, prot, bus})) {
        if (prot && !bus)
            wf_vspace_unmap(p->vspace, start, len);
        return -LX_ENOMEM;
    }
    return 0;
}

long lx_map_vmo(struct lx_proc *p, uint64_t start, uint64_t len, unsigned vmo, uint64_t off,
                unsigned prot)
{
    return map_piece(p, start, len, vmo, off, prot, false);
}

/* fork: a vma of the child's table (a copy of its parent's) shown in its
 * VSpace as in the parent's: nothing for PROT_NONE or a piece past a file's
 * end; a shared file mapping up to its object's size now (a truncate cut the
 * rest from every VSpace: a touch there is SIGBUS). */
long lx_map_again(struct lx_proc *c, const struct lx_vma *v)
{
    if (!v->prot || v->bus)
        return 0;
    uint64_t len = v->end - v->start;
    unsigned shm = c->vmo[v->vmo].shm;
    if (shm && lx.shm[shm - 1].ofd) {
        wf_word_t size = 0;
        if (wf_vmo_describe(c->vmo[v->vmo].cap, &size, NULL, NULL, NULL) != WF_ERR_OK)
            return -LX_ENOMEM;
        len = size <= v->off ? 0 : size - v->off < len ? size - v->off : len;
        if (!len)
            return 0;
    }
    return wf_vspace_map(c->vspace, c->vmo[v->vmo].cap, v->start, v->off, len,
                         lx_vm_rights(v->prot)) == WF_ERR_OK
               ? 0
               : -LX_ENOMEM;
}

long lx_munmap(struct lx_proc *p, uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE - 1)) || !len || len > LX_USER_END || addr > LX_USER_END - len)
        return -LX_EINVAL;
    uint64_t end = addr + ((len + PAGE - 1) & ~(PAGE - 1));
    if (!split_at(p, addr) || !split_at(p, end))
        return -LX_ENOMEM;
    wf_vspace_unmap(p->vspace, addr, end - addr);
    for (unsigned i = 0; i < p->nvma;) {
        if (p->vma[i].start >= addr && p->vma[i].end <= end)
            vma_remove(p, i);
        else
            i++;
    }
    return 0;
}

static bool range_free(const struct lx_proc *p, uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < p->nvma; i++)
        if (p->vma[i].start < end && start < p->vma[i].end)
            return false;
    return start >= LX_USER_MIN && end <= LX_USER_END && start < end;
}

/* The highest free range of len bytes below LX_MMAP_TOP. */
static uint64_t find_free(const struct lx_proc *p, uint64_t len)
{
    uint64_t top = LX_MMAP_TOP;
    while (top >= len + LX_USER_MIN) {
        uint64_t start = top - len;
        uint64_t lowest = 0;
        bool clash = false;
        for (unsigned i = 0; i < p->nvma; i++) {
            if (p->vma[i].start < top && start < p->vma[i].end) {
                clash = true;
                if (!lowest || p->vma[i].start < lowest)
                    lowest = p->vma[i].start;
            }
        }
        if (!clash)
            return start;
        top = lowest;
    }
    return 0;
}

/* A file server's file (/tmp) in p's vmo table through File Map: shared, the
 * server's cache object (lx.shm with the description held), else a
 * copy-on-write clone of the process's own. The VMO's index, or -errno;
 * *fsize: the file's size. */
static int map_file(struct lx_proc *p, int fd, uint64_t off, uint64_t len, unsigned prot,
                    bool shared, uint64_t *fsize)
{
    unsigned v = 0;
    while (v < LX_MAX_VMOS && p->vmo[v].cap)
        v++;
    if (v == LX_MAX_VMOS)
        return -LX_ENOMEM;
    wf_cptr_t slot = shared ? wf_env_slot(&lx.env) : lx_slot(p);
    if (!slot)
        return -LX_ENOMEM;
    unsigned ofd = 0;
    long e = lx_file_map(p, fd, off, len, !shared, prot & PROT_WRITE, slot, fsize, &ofd);
    if (e < 0) {
        if (shared)
            wf_env_free(&lx.env, slot);
        else
            lx_slot_free(p, slot);
        return (int)e;
    }
    uint64_t size = (*fsize + PAGE - 1) & ~(PAGE - 1);
    if (!shared) {
        p->vmo[v] = (struct lx_vmo){slot, 0, size, 0};
        return (int)v;
    }
    int r = shm_add(p, slot, size, ofd);
    if (r < 0)
        lx_ofd_put(ofd);
    return r;
}

long lx_mmap(struct lx_proc *p, uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd,
             uint64_t off)
{
    if (!len || (addr & (PAGE - 1)) || (off & (PAGE - 1)) || len > LX_USER_END)
        return -LX_EINVAL;
    if ((flags & (MAP_SHARED | MAP_PRIVATE)) == 0 || (prot & ~7u))
        return -LX_EINVAL;
    len = (len + PAGE - 1) & ~(PAGE - 1);
    const uint8_t *data = NULL;
    uint64_t dsize = 0;
    bool fsfile = false; /* a file server's file: mapped through File Map */
    if (!(flags & MAP_ANONYMOUS)) {
        if (fd < 0 || fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE)
            return -LX_EBADF;
        fsfile = p->fd[fd].kind == FD_FSFILE;
        if (p->fd[fd].kind != FD_FILE && !fsfile)
            return -LX_EACCES;
        if (!fsfile && (flags & MAP_SHARED) && (prot & PROT_WRITE))
            return -LX_EACCES; /* the initramfs: read-only */
        data = p->fd[fd].data;
        dsize = p->fd[fd].size;
    }
    uint64_t start;
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) &&
        (!addr || addr > LX_USER_END - len || addr < LX_USER_MIN))
        return -LX_EINVAL;
    /* The file's VMO first: a refusal (EACCES) leaves what is mapped alone. */
    uint64_t fsize = 0;
    int v = -1;
    if (fsfile && (v = map_file(p, fd, off, len, prot, flags & MAP_SHARED, &fsize)) < 0)
        return v;
    long e = 0;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (!range_free(p, addr, addr + len))
            e = (flags & MAP_FIXED_NOREPLACE) ? -LX_EEXIST : lx_munmap(p, addr, len);
        start = addr;
    } else if (addr && addr <= LX_USER_END - len && range_free(p, addr, addr + len)) {
        start = addr;
    } else if (!(start = find_free(p, len))) {
        e = -LX_ENOMEM;
    }
    if (e == 0 && v < 0)
        v = (flags & MAP_SHARED) && (flags & MAP_ANONYMOUS) ? shm_new(p, len) : lx_new_vmo(p, len);
    if (e == 0 && v < 0)
        return v;
    if (e == 0 && data && off < dsize) {
        uint64_t n = dsize - off < len ? dsize - off : len;
        if (wf_vmo_write(p->vmo[v].cap, 0, n, WF_CHILD_VSPACE, (uintptr_t)(data + off)) !=
            WF_ERR_OK)
            e = -LX_ENOMEM;
    }
    uint64_t voff = fsfile ? off : 0;
    /* A file server's file: its pages up to the end of the file (a whole
     * page); the rest of the mapping is kept for SIGBUS. */
    uint64_t shown = len;
    if (fsfile) {
        uint64_t fend = (fsize + PAGE - 1) & ~(PAGE - 1);
        shown = fend <= off ? 0 : fend - off < len ? fend - off : len;
    }
    if (e == 0 && shown)
        e = map_piece(p, start, shown, (unsigned)v, voff, prot, false);
    if (e == 0 && shown < len) {
        e = map_piece(p, start + shown, len - shown, (unsigned)v, voff + shown, prot, true);
        if (e < 0 && shown)
            lx_munmap(p, start, shown);
    }
    if (e < 0) {
        if (v >= 0 && p->vmo[v].cap && !p->vmo[v].refs) {
            p->vmo[v].refs = 1;
            vmo_unref(p, (unsigned)v);
        }
        return e;
    }
    return (long)start;
}

long lx_mprotect(struct lx_proc *p, uint64_t addr, uint64_t len, unsigned prot)
{
    if ((addr & (PAGE - 1)) || (prot & ~7u) || len > LX_USER_END || addr > LX_USER_END - len)
        return -LX_EINVAL;
    uint64_t end = addr + ((len + PAGE - 1) & ~(PAGE - 1));
    if (addr == end)
        return 0;
    /* Linux: ENOMEM when part of the range is not mapped. */
    uint64_t covered = addr;
    for (unsigned i = 0; i < p->nvma; i++)
        if (p->vma[i].start <= covered && p->vma[i].end > covered)
            covered = p->vma[i].end;
    if (covered < end)
        return -LX_ENOMEM;
    if (!split_at(p, addr) || !split_at(p, end))
        return -LX_ENOMEM;
    for (unsigned i = 0; i < p->nvma; i++) {
        struct lx_vma *v = &p->vma[i];
        if (v->start < addr || v->end > end || v->prot == prot)
            continue;
        if (v->bus) { /* not in the VSpace: a touch stays SIGBUS */
            v->prot = prot;
            continue;
        }
        enum wf_error e;
        if (!prot)
            e = wf_vspace_unmap(p->vspace, v->start, v->end - v->start);
        else if (!v->prot)
            e = wf_vspace_map(p->vspace, p->vmo[v->vmo].cap, v->start, v->off, v->end - v->start,
                              lx_vm_rights(prot));
        else
            e = wf_vspace_protect(p->vspace, v->start, v->end - v->start, lx_vm_rights(prot));
        if (e != WF_ERR_OK)
            return -LX_ENOMEM;
        v->prot = prot;
    }
    return 0;
}

long lx_brk(struct lx_proc *p, uint64_t addr)
{
    if (addr < p->brk_start || addr > p->brk_start + LX_BRK_MAX)
        return (long)p->brk;
    uint64_t want = (addr + PAGE - 1) & ~(PAGE - 1);
    if (want > p->brk_mapped) {
        if (!range_free(p, p->brk_mapped, want))
            return (long)p->brk;
        if (lx_map_vmo(p, p->brk_mapped, want - p->brk_mapped, p->brk_vmo,
                       p->brk_mapped - p->brk_start, PROT_READ | PROT_WRITE) < 0)
            return (long)p->brk;
        p->brk_mapped = want;
    } else if (want < p->brk_mapped) {
        lx_munmap(p, want, p->brk_mapped - want);
        /* What comes back later must read as zero, as fresh memory does on Linux. */
        static const uint8_t zero[4096];
        for (uint64_t a = want; a < p->brk_mapped; a += sizeof(zero))
            wf_vmo_write(p->vmo[p->brk_vmo].cap, a - p->brk_start, sizeof(zero), WF_CHILD_VSPACE,
                         (uintptr_t)zero);
        p->brk_mapped = want;
    }
    p->brk = addr;
    return (long)addr;
}

long lx_madvise(struct lx_proc *p, uint64_t addr, uint64_t len, int advice)
{
    if (addr & (PAGE - 1))
        return -LX_EINVAL;
    if (advice != MADV_DONTNEED)
        return 0; /* advice only */
    if (len > LX_USER_END || addr > LX_USER_END - len)
        return -LX_EINVAL;
    uint64_t end = addr + ((len + PAGE - 1) & ~(PAGE - 1));
    static const uint8_t zero[4096];
    /* Private anonymous memory reads as zero afterwards: the pages that exist
     * are overwritten (pages never touched are zero already). */
    for (unsigned i = 0; i < p->nvma; i++) {
        const struct lx_vma *v = &p->vma[i];
        uint64_t lo = v->start > addr ? v->start : addr, hi = v->end < end ? v->end : end;
        wf_cptr_t vmo = p->vmo[v->vmo].cap;
        for (uint64_t a = lo; a < hi;) {
            wf_word_t first = 0, n = 0;
            if (wf_vmo_present(vmo, v->off + (a - v->start), &first, &n) != WF_ERR_OK || !n)
                break;
            uint64_t from = v->start + (first - v->off);
            if (from >= hi)
                break;
            uint64_t to = from + n < hi ? from + n : hi;
            for (uint64_t b = from > a ? from : a; b < to; b += PAGE)
                if (wf_vmo_write(vmo, v->off + (b - v->start), PAGE, WF_CHILD_VSPACE,
                                 (uintptr_t)zero) != WF_ERR_OK)
                    return -LX_ENOMEM;
            a = to;
        }
    }
    return 0;
}

/* A page fault at addr, in a shared file mapping, that a file grown since
 * (write, ftruncate: the server grew its object) makes good: the mapping
 * there is shown again up to the object's size now (a piece past the end at
 * mmap, or one a truncate cut). True: the thread retries its access; false:
 * it is SIGBUS (past the end still, or the page is in the VSpace already). */
bool lx_mem_refault(struct lx_proc *p, uint64_t addr)
{
    const struct lx_vma *v = lx_vma_at(p, addr);
    unsigned shm = v ? p->vmo[v->vmo].shm : 0;
    if (!shm || !lx.shm[shm - 1].ofd || !v->prot)
        return false;
    addr &= ~(PAGE - 1);
    wf_word_t size = 0;
    if (wf_vspace_lookup(p->vspace, addr, NULL, NULL, NULL, NULL) == WF_ERR_OK ||
        wf_vmo_describe(p->vmo[v->vmo].cap, &size, NULL, NULL, NULL) != WF_ERR_OK ||
        v->off + (addr - v->start) >= size)
        return false;
    uint64_t covered = v->start + (size - v->off);
    if (covered > v->end)
        covered = v->end;
    unsigned vmo = v->vmo;
    p->vmo[vmo].size = size;
    if (!split_at(p, covered))
        return false;
    for (unsigned i = 0; i < p->nvma; i++) {
        struct lx_vma *w = &p->vma[i];
        if (addr < w->start || addr >= w->end)
            continue;
        if (!w->bus)
            wf_vspace_unmap(p->vspace, w->start, w->end - w->start);
        if (wf_vspace_map(p->vspace, p->vmo[vmo].cap, w->start, w->off, w->end - w->start,
                          lx_vm_rights(w->prot)) != WF_ERR_OK)
            return false;
        w->bus = false;
        return true;
    }
    return false;
}

/* --- mremap and msync ------------------------------------------------------------- */

/* The end of the mappings that Linux would see as the one holding addr: the
 * one lx's table has there and its neighbours with the same protection (Linux
 * merges them); 0 when addr is in none. *prot is their protection, *vmo the
 * VMO of the last. */
static uint64_t run_end(const struct lx_proc *p, uint64_t addr, unsigned *prot, unsigned *vmo)
{
    const struct lx_vma *v = lx_vma_at(p, addr);
    if (!v)
        return 0;
    unsigned i = (unsigned)(v - p->vma), j = i;
    while (j + 1 < p->nvma && p->vma[j + 1].start == p->vma[j].end &&
           p->vma[j + 1].prot == p->vma[i].prot)
        j++;
    *prot = p->vma[i].prot;
    *vmo = p->vma[j].vmo;
    return p->vma[j].end;
}

/* New zero memory at [at, at + len) with prot, of the kind of p's VMO like
 * (shared anonymous memory or the process's own). */
static long map_fresh(struct lx_proc *p, uint64_t at, uint64_t len, unsigned prot, unsigned like)
{
    int v = p->vmo[like].shm ? shm_new(p, len) : lx_new_vmo(p, len);
    if (v < 0)
        return v;
    long e = lx_map_vmo(p, at, len, (unsigned)v, 0, prot);
    if (e < 0) {
        p->vmo[v].refs = 1;
        vmo_unref(p, (unsigned)v);
    }
    return e;
}

/* Moves the mappings of [from, from + len) to the free range at to: the same
 * VMOs shown there, then the old range unmapped (windows follow VMOs, not
 * addresses, so they stay). */
static long move_range(struct lx_proc *p, uint64_t from, uint64_t len, uint64_t to)
{
    static struct lx_vma piece[LX_MAX_VMAS];
    if (!split_at(p, from) || !split_at(p, from + len))
        return -LX_ENOMEM;
    unsigned n = 0;
    for (unsigned i = 0; i < p->nvma; i++)
        if (p->vma[i].start >= from && p->vma[i].end <= from + len)
            piece[n++] = p->vma[i];
    if (p->nvma + n > LX_MAX_VMAS)
        return -LX_ENOMEM;
    for (unsigned k = 0; k < n; k++) {
        const struct lx_vma *v = &piece[k];
        if (map_piece(p, to + (v->start - from), v->end - v->start, v->vmo, v->off, v->prot,
                      v->bus) < 0) {
            lx_munmap(p, to, len);
            return -LX_ENOMEM;
        }
    }
    return lx_munmap(p, from, len);
}

/* [addr, addr + old_len) moved to to and grown to new_len there. */
static long move_grow(struct lx_proc *p, uint64_t addr, uint64_t old_len, uint64_t new_len,
                      uint64_t to, unsigned prot, unsigned like)
{
    if (new_len > old_len) {
        long e = map_fresh(p, to + old_len, new_len - old_len, prot, like);
        if (e < 0)
            return e;
    }
    long e = move_range(p, addr, old_len, to);
    if (e < 0) {
        if (new_len > old_len)
            lx_munmap(p, to + old_len, new_len - old_len);
        return e;
    }
    return (long)to;
}

/* What mremap checks of the range it moves or grows, addr to addr + old_len,
 * in a run of mappings that ends at end: EINVAL for an old_len of 0, EFAULT
 * for one past the run. */
static long remap_source(uint64_t addr, uint64_t old_len, uint64_t end)
{
    if (!old_len)
        return -LX_EINVAL;
    return old_len > end - addr ? -LX_EFAULT : 0;
}

/* mremap as Linux 6.1's: grows in place where the range after is free, else
 * moves (MREMAP_MAYMOVE) to a free range or to new_addr (MREMAP_FIXED,
 * replacing what is there); shrinks by unmapping the tail (EFAULT, as every
 * case, when addr is in no mapping); MREMAP_DONTUNMAP
 * leaves fresh zero memory behind. The pages added are zero, a file
 * mapping's too (zero memory, not the file's pages). An old_len of
 * 0 (Linux's duplicate of a shared mapping) is EINVAL. */
static long lx_mremap(struct lx_proc *p, uint64_t addr, uint64_t old_len, uint64_t new_len,
                      unsigned flags, uint64_t new_addr)
{
    if (flags & ~(unsigned)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return -LX_EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -LX_EINVAL;
    if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
        return -LX_EINVAL;
    if (addr & (PAGE - 1))
        return -LX_EINVAL;
    old_len = (old_len + PAGE - 1) & ~(PAGE - 1);
    new_len = (new_len + PAGE - 1) & ~(PAGE - 1);
    if (!new_len)
        return -LX_EINVAL;
    unsigned prot = 0, like = 0;
    uint64_t end = run_end(p, addr, &prot, &like);
    if (!end)
        return -LX_EFAULT;
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
        if ((new_addr & (PAGE - 1)) || new_len > LX_USER_END || new_addr > LX_USER_END - new_len)
            return -LX_EINVAL;
        if (addr + old_len > new_addr && new_addr + new_len > addr)
            return -LX_EINVAL;
        if (flags & MREMAP_FIXED) {
            long e = lx_munmap(p, new_addr, new_len);
            if (e < 0)
                return e;
        }
        if (old_len > new_len) {
            long e = lx_munmap(p, addr + new_len, old_len - new_len);
            if (e < 0)
                return e;
            old_len = new_len;
        }
        if (!(end = run_end(p, addr, &prot, &like))) /* the unmaps may have cut it */
            return -LX_EFAULT;
        long e = remap_source(addr, old_len, end);
        if (e < 0)
            return e;
        uint64_t to = new_addr;
        if (!(flags & MREMAP_FIXED) &&
            (new_addr < LX_USER_MIN || !range_free(p, new_addr, new_addr + new_len)) &&
            !(to = find_free(p, new_len)))
            return -LX_ENOMEM;
        if (to < LX_USER_MIN)
            return -LX_EPERM; /* below vm.mmap_min_addr, as Linux's MAP_FIXED there */
        long r = move_grow(p, addr, old_len, new_len, to, prot, like);
        if (r >= 0 && (flags & MREMAP_DONTUNMAP) && map_fresh(p, addr, old_len, prot, like) < 0)
            return -LX_ENOMEM;
        return r;
    }
    if (old_len >= new_len) { /* a shrink: the tail unmapped */
        if (old_len != new_len) {
            long e = lx_munmap(p, addr + new_len, old_len - new_len);
            if (e < 0)
                return e;
        }
        return (long)addr;
    }
    long e = remap_source(addr, old_len, end); /* end as found above: nothing changed since */
    if (e < 0)
        return e;
    uint64_t grow = new_len - old_len;
    if (old_len == end - addr && grow <= LX_USER_END - end && range_free(p, end, end + grow))
        return map_fresh(p, end, grow, prot, like) < 0 ? -LX_ENOMEM : (long)addr;
    if (!(flags & MREMAP_MAYMOVE))
        return -LX_ENOMEM;
    uint64_t to = find_free(p, new_len);
    if (!to)
        return -LX_ENOMEM;
    return move_grow(p, addr, old_len, new_len, to, prot, like);
}

/* msync as Linux's: EINVAL for unknown flags, MS_SYNC with MS_ASYNC or an
 * unaligned address; ENOMEM where part of the range is not mapped; MS_SYNC
 * writes the files of the shared file mappings in the range back (File
 * Fsync); anonymous memory and private mappings have nothing to write back. */
static long lx_msync(struct lx_proc *p, uint64_t addr, uint64_t len, unsigned flags)
{
    if (flags & ~(unsigned)(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
        return -LX_EINVAL;
    if ((addr & (PAGE - 1)) || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -LX_EINVAL;
    len = (len + PAGE - 1) & ~(PAGE - 1);
    uint64_t end = addr + len;
    if (end < addr)
        return -LX_ENOMEM;
    uint64_t covered = addr;
    for (unsigned i = 0; i < p->nvma && covered < end; i++)
        if (p->vma[i].start <= covered && p->vma[i].end > covered)
            covered = p->vma[i].end;
    if (covered < end)
        return -LX_ENOMEM;
    if (!(flags & MS_SYNC))
        return 0;
    /* The shared file mappings in the range: their files written back. */
    for (unsigned i = 0; i < p->nvma; i++) {
        const struct lx_vma *v = &p->vma[i];
        unsigned shm = p->vmo[v->vmo].shm;
        if (v->start < end && addr < v->end && shm && lx.shm[shm - 1].ofd) {
            long e = lx_file_sync(lx.shm[shm - 1].ofd);
            if (e < 0)
                return e;
        }
    }
    return 0;
}

long lx_sys_mremap(struct lx_call *c)
{
    if (c->a[3] >> 32) /* unsigned long flags: every unknown bit is EINVAL */
        return -LX_EINVAL;
    return lx_mremap(c->p, c->a[0], c->a[1], c->a[2], (unsigned)c->a[3], c->a[4]);
}

long lx_sys_msync(struct lx_call *c)
{
    return lx_msync(c->p, c->a[0], c->a[1], (unsigned)c->a[2]);
}

/* --- copies between lx and a process ----------------------------------------------- */

/* The kernel's copies: VSpace_Read and VSpace_Write, the windows' fallback. */
long lx_copy_in_kernel(struct lx_proc *p, void *dst, uint64_t src, size_t n)
{
    return wf_vspace_read(p->vspace, src, n, WF_CHILD_VSPACE, (uintptr_t)dst) == WF_ERR_OK
               ? 0
               : -LX_EFAULT;
}

long lx_copy_out_kernel(struct lx_proc *p, uint64_t dst, const void *src, size_t n)
{
    return wf_vspace_write(p->vspace, dst, n, WF_CHILD_VSPACE, (uintptr_t)src) == WF_ERR_OK
               ? 0
               : -LX_EFAULT;
}

/* Through a window after lx's own check (window.c); by the kernel where no
 * window serves. */
long lx_copy_in(struct lx_proc *p, void *dst, uint64_t src, size_t n)
{
    if (!n)
        return 0;
    long r = lx_win_copy_user(p, src, dst, n, false);
    return r <= 0 ? r : lx_copy_in_kernel(p, dst, src, n);
}

long lx_copy_out(struct lx_proc *p, uint64_t dst, const void *src, size_t n)
{
    if (!n)
        return 0;
    long r = lx_win_copy_user(p, dst, (void *)src, n, true);
    return r <= 0 ? r : lx_copy_out_kernel(p, dst, src, n);
}

/* A NUL-terminated string of at most max bytes (with the NUL). */
long lx_copy_str(struct lx_proc *p, char *dst, uint64_t src, size_t max)
{
    size_t got = 0;
    while (got < max) {
        /* Up to the end of the page (the next one may not be mapped), and
         * 256 bytes at a time through a window (most strings are short). */
        size_t chunk = PAGE - ((src + got) & (PAGE - 1));
        if (chunk > 256)
            chunk = 256;
        if (chunk > max - got)
            chunk = max - got;
        if (lx_copy_in(p, dst + got, src + got, chunk) < 0)
            return -LX_EFAULT;
        void *z = memchr(dst + got, 0, chunk);
        if (z)
            return (long)((char *)z - dst);
        got += chunk;
    }
    return -LX_ENAMETOOLONG;
}

/* A shared futex's key for addr (futex.c): the memory object and offset when
 * addr lies in memory other processes may show (a MAP_SHARED mapping); else
 * *obj and *off are left as they are (the private key). */
void lx_mem_key(struct lx_proc *p, uint64_t addr, uint64_t *obj, uint64_t *off)
{
    for (unsigned i = 0; i < p->nvma; i++) {
        const struct lx_vma *v = &p->vma[i];
        if (addr < v->start || addr >= v->end)
            continue;
        unsigned shm = p->vmo[v->vmo].shm;
        if (shm) {
            *obj = (1ull << 61) | lx.shm[shm - 1].id;
            *off = v->off + (addr - v->start);
        }
        return;
    }
}
