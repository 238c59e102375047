/*
 * VSpaces: regions, the fault path, superpage promotion, cross-space copies.
 *
 * A VSpace is a top-level page table whose kernel half is the kernel's, and a
 * sorted list of regions (struct vm_region). A region says: [start, end) shows
 * the VMO's bytes from offset, with rights. Map only records a region; page-table
 * entries are created by the fault path (vm_fault) and exist only inside
 * regions, so Unmap and Protect need only clear entries: the next access
 * refaults with the region's current rights. Regions are split at MMU-page
 * granularity by Unmap and Protect, so userspace never sees a cluster.
 *
 * The fault path (ARCHITECTURE.md section 4 rules 4 and 7). A fault at va in
 * region r at VMO offset off:
 *   1. the access must be allowed by r (else VM_FAULT_RIGHTS; outside any region
 *      VM_FAULT_UNMAPPED);
 *   2. the VMO provides the cluster holding off (zero-filled, copied from a clone
 *      ancestor for a write, or shared read-only for a read);
 *   3. every MMU page of that cluster that r covers is mapped at once, so a
 *      cluster costs one fault (ABI-transparent: the pages are exactly those a
 *      4 KiB kernel would map one by one);
 *   4. if the VMO's 2 MiB window holding off is now complete (vmo_super_pa) and
 *      r maps all of it at a 2 MiB-aligned address, the window is promoted to
 *      one superpage entry. The window is a single region, so its rights are
 *      uniform; Unmap or Protect of part of it splits the region, which demotes
 *      the entry (arch_pt_unmap) and prevents promotion until the region is whole.
 * A fault that cannot get memory (the VMO's pool is exhausted) reports
 * VM_FAULT_NOMEM; the caller turns every failure into a fault message.
 *
 * Decode then invoke: Map, Unmap and Protect check everything and allocate the
 * region records a split needs before they change anything; clearing entries
 * cannot fail (a superpage that cannot be split is dropped whole, to refault).
 */
#include "obj/vspace.h"

#include "arch.h"
#include "cap/invoke.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"

struct vspace *vspace_current;
uint64_t vm_unmap_epoch;

/* --- page-table pages from the pool ------------------------------------------ */

static paddr_t pt_alloc(struct pt_ctx *c)
{
    struct vspace *vs = c->owner;
    void *p = pool_zalloc(vs->pool, PAGE_SIZE);
    if (!p)
        return 0;
    vs->pt_pages++;
    vm_stats.pt_pages++;
    return virt_to_phys(p);
}

static void pt_free(struct pt_ctx *c, paddr_t pa)
{
    struct vspace *vs = c->owner;
    vs->pt_pages--;
    vm_stats.pt_pages--;
    pool_zfree(vs->pool, phys_to_virt(pa), PAGE_SIZE);
}

static struct pt_ctx ctx_of(struct vspace *vs)
{
    return (struct pt_ctx){.root = vs->root,
                           .active = vs == vspace_current,
                           .alloc = pt_alloc,
                           .free = pt_free,
                           .owner = vs};
}

static void unmap_range(struct vspace *vs, vaddr_t start, vaddr_t end)
{
    struct pt_ctx c = ctx_of(vs);
    arch_pt_unmap(&c, start, end);
    vm_stats.demotions += c.demotions;
    vm_unmap_epoch++;
}

/* --- life ----------------------------------------------------------------------- */

void vspace_init(struct vspace *vs, struct pool *p, paddr_t root)
{
    vs->pool = p;
    vs->root = root;
    vs->pt_pages = 1;
    vm_stats.pt_pages++;
    arch_pt_init_root(root);
}

struct vspace *vspace_from_cap(struct cap c)
{
    return cap_type(c) == CAP_VSPACE ? cap_object(c) : NULL;
}

static void region_unlink(struct vm_region *r)
{
    struct vspace *vs = r->vs;
    if (r->prev)
        r->prev->next = r->next;
    else
        vs->regions = r->next;
    if (r->next)
        r->next->prev = r->prev;
    if (r->vmo_prev)
        r->vmo_prev->vmo_next = r->vmo_next;
    else
        r->vmo->maps = r->vmo_next;
    if (r->vmo_next)
        r->vmo_next->vmo_prev = r->vmo_prev;
    if (vs->hint == r)
        vs->hint = NULL;
    vs->nregions--;
}

/* Links r into its VSpace's list after `after` (NULL: first) and its VMO's. */
static void region_link(struct vm_region *r, struct vm_region *after)
{
    struct vspace *vs = r->vs;
    r->prev = after;
    r->next = after ? after->next : vs->regions;
    if (r->next)
        r->next->prev = r;
    if (after)
        after->next = r;
    else
        vs->regions = r;
    r->vmo_prev = NULL;
    r->vmo_next = r->vmo->maps;
    if (r->vmo_next)
        r->vmo_next->vmo_prev = r;
    r->vmo->maps = r;
    vs->nregions++;
}

static void region_free(struct vspace *vs, struct vm_region *r)
{
    pool_zfree(vs->pool, r, sizeof(*r));
}

void vspace_region_zap(struct vm_region *r, vaddr_t start, vaddr_t end)
{
    unmap_range(r->vs, start, end);
}

void vspace_region_remove(struct vm_region *r)
{
    struct vspace *vs = r->vs;
    unmap_range(vs, r->start, r->end);
    region_unlink(r);
    region_free(vs, r);
}

void vspace_destroy(struct vspace *vs)
{
    if (vs == vspace_current)
        vspace_activate(NULL);
    while (vs->regions) {
        struct vm_region *r = vs->regions;
        region_unlink(r);
        region_free(vs, r);
    }
    struct pt_ctx c = ctx_of(vs);
    arch_pt_destroy(&c);
    vm_unmap_epoch++;
    pt_free(&c, vs->root);
    assert(vs->pt_pages == 0);
    struct pool *p = vs->pool;
    pool_zfree(p, vs, sizeof(*vs));
    pool_object_gone(p);
}

/* --- regions ---------------------------------------------------------------------- */

struct vm_region *vspace_find(struct vspace *vs, vaddr_t va)
{
    struct vm_region *r = vs->hint;
    if (r && va >= r->start && va < r->end)
        return r;
    for (r = vs->regions; r && r->start <= va; r = r->next) {
        if (va < r->end) {
            vs->hint = r;
            return r;
        }
    }
    return NULL;
}

/* The last region starting at or before va, or NULL. */
static struct vm_region *region_before(struct vspace *vs, vaddr_t va)
{
    struct vm_region *prev = NULL;
    for (struct vm_region *r = vs->regions; r && r->start <= va; r = r->next)
        prev = r;
    return prev;
}

static bool valid_rights(unsigned rights)
{
    if (rights & ~(VM_READ | VM_WRITE | VM_EXEC))
        return false;
    return rights == 0 || (rights & VM_READ);
}

/*
 * Argument errors. Map, Unmap and Protect report which argument is wrong in
 * *why, with the invocation's argument indices (ARG_VSPACE_*), and for
 * RANGE_ERROR the bounds it had to keep given the other arguments (decision
 * 074); the decoders hand it to pool_inv_fail. Kernel callers ignore it.
 */
static_assert(ARG_VSPACE_UNMAP_VADDR == ARG_VSPACE_PROTECT_VADDR &&
                  ARG_VSPACE_UNMAP_LENGTH == ARG_VSPACE_PROTECT_LENGTH,
              "Unmap and Protect share their range arguments");

/* Checks a user range [va, va + length) (arguments va_arg and len_arg) of at
 * most room bytes: ALIGNMENT_ERROR, or RANGE_ERROR with *why, else OK. */
static enum wf_error check_range(vaddr_t va, uint64_t length, uint64_t room, unsigned va_arg,
                                 unsigned len_arg, struct vm_arg *why)
{
    if (!IS_ALIGNED(va | length, PAGE_SIZE))
        return WF_ERR_ALIGNMENT_ERROR;
    if (va >= USER_TOP) {
        *why = VM_RANGE(va_arg, 0, USER_TOP - PAGE_SIZE);
        return WF_ERR_RANGE_ERROR;
    }
    room = MIN(room, USER_TOP - va);
    if (length == 0 || length > room) {
        *why = VM_RANGE(len_arg, PAGE_SIZE, room);
        return WF_ERR_RANGE_ERROR;
    }
    return WF_ERR_OK;
}

/* vspace_map, with the argument errors in *why. */
static enum wf_error map(struct vspace *vs, struct vmo *v, uint64_t offset, vaddr_t va,
                         uint64_t length, unsigned rights, uint64_t cap_rights, struct vm_arg *why)
{
    if (!IS_ALIGNED(offset, PAGE_SIZE))
        return WF_ERR_ALIGNMENT_ERROR;
    /* VMO sizes are whole pages, at least one: offset names a page of it */
    if (offset >= v->size) {
        *why = VM_RANGE(ARG_VSPACE_MAP_OFFSET, 0, v->size - PAGE_SIZE);
        return WF_ERR_RANGE_ERROR;
    }
    enum wf_error e =
        check_range(va, length, v->size - offset, ARG_VSPACE_MAP_VADDR, ARG_VSPACE_MAP_LENGTH, why);
    if (e != WF_ERR_OK)
        return e;
    *why = VM_ARG(ARG_VSPACE_MAP_RIGHTS);
    if (!valid_rights(rights))
        return WF_ERR_INVALID_ARGUMENT;
    unsigned allowed = (cap_rights & WF_RIGHT_READ ? VM_READ | VM_EXEC : 0) |
                       (cap_rights & WF_RIGHT_WRITE ? VM_WRITE : 0);
    if (rights & ~allowed)
        return WF_ERR_INVALID_CAPABILITY;
    if (v->kind == VMO_HIDDEN)
        return WF_ERR_INVALID_CAPABILITY;
    struct vm_region *before = region_before(vs, va + length - 1);
    if (before && before->end > va)
        return WF_ERR_ILLEGAL_OPERATION;
    struct vm_region *r = pool_zalloc(vs->pool, sizeof(*r));
    if (!r)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    *r = (struct vm_region){.vs = vs,
                            .vmo = v,
                            .start = va,
                            .end = va + length,
                            .offset = offset,
                            .rights = rights,
                            .max_right = allowed};
    region_link(r, before);
    return WF_ERR_OK;
}

enum wf_error vspace_map(struct vspace *vs, struct vmo *v, uint64_t offset, vaddr_t va,
                         uint64_t length, unsigned rights, uint64_t cap_rights)
{
    struct vm_arg why;
    return map(vs, v, offset, va, length, rights, cap_rights, &why);
}

/* How many new region records a change of [va, end) needs: one per region end
 * that lies strictly inside the range's ends (at most two). */
static unsigned splits_needed(struct vspace *vs, vaddr_t va, vaddr_t end)
{
    unsigned n = 0;
    for (struct vm_region *r = vs->regions; r && r->start < end; r = r->next)
        if (r->end > va)
            n += (r->start < va) + (r->end > end);
    return n;
}

/* Splits r at va (inside it) using the zeroed record n: n becomes [va, r->end). */
static void split(struct vm_region *r, struct vm_region *n, vaddr_t va)
{
    *n = *r;
    n->start = va;
    n->offset = r->offset + (va - r->start);
    r->end = va;
    region_link(n, r);
}

/* Applies Unmap (rights < 0) or Protect to [va, end); spare holds the records
 * the splits need (splits_needed). Cannot fail. */
static void change(struct vspace *vs, vaddr_t va, vaddr_t end, int rights, struct vm_region **spare)
{
    struct vm_region *r = vs->regions;
    while (r && r->start < end) {
        struct vm_region *next = r->next;
        if (r->end <= va) {
            r = next;
            continue;
        }
        if (r->start < va) {
            split(r, *spare++, va);
            r = r->next;
            continue;
        }
        if (r->end > end) {
            split(r, *spare++, end);
            next = r->next;
        }
        /* r lies within [va, end) now */
        unmap_range(vs, r->start, r->end);
        if (rights < 0) {
            region_unlink(r);
            region_free(vs, r);
        } else {
            r->rights = (uint32_t)rights;
        }
        r = next;
    }
}

/* Unmap (rights < 0) or Protect, with the argument errors in *why. */
static enum wf_error unmap_or_protect(struct vspace *vs, vaddr_t va, uint64_t length, int rights,
                                      struct vm_arg *why)
{
    enum wf_error e =
        check_range(va, length, USER_TOP, ARG_VSPACE_UNMAP_VADDR, ARG_VSPACE_UNMAP_LENGTH, why);
    if (e != WF_ERR_OK)
        return e;
    vaddr_t end = va + length;
    *why = VM_ARG(ARG_VSPACE_PROTECT_RIGHTS);
    if (rights >= 0) {
        if (!valid_rights((unsigned)rights))
            return WF_ERR_INVALID_ARGUMENT;
        for (struct vm_region *r = vs->regions; r && r->start < end; r = r->next)
            if (r->end > va && ((unsigned)rights & ~r->max_right))
                return WF_ERR_INVALID_ARGUMENT;
    }
    unsigned n = splits_needed(vs, va, end);
    struct vm_region *spare[2];
    assert(n <= 2);
    for (unsigned i = 0; i < n; i++) {
        if (!(spare[i] = pool_zalloc(vs->pool, sizeof(struct vm_region)))) {
            while (i--)
                pool_zfree(vs->pool, spare[i], sizeof(struct vm_region));
            return WF_ERR_NOT_ENOUGH_MEMORY;
        }
    }
    change(vs, va, end, rights, spare);
    return WF_ERR_OK;
}

enum wf_error vspace_unmap(struct vspace *vs, vaddr_t va, uint64_t length)
{
    struct vm_arg why;
    return unmap_or_protect(vs, va, length, -1, &why);
}

enum wf_error vspace_protect(struct vspace *vs, vaddr_t va, uint64_t length, unsigned rights)
{
    struct vm_arg why;
    if (rights > 0xffff)
        return WF_ERR_INVALID_ARGUMENT;
    return unmap_or_protect(vs, va, length, (int)rights, &why);
}

/* --- the fault path ---------------------------------------------------------------- */

/* Promotes the window holding va if the VMO and the region allow it. */
static void maybe_promote(struct vspace *vs, struct vm_region *r, vaddr_t va, uint64_t ci)
{
    vaddr_t wva = va & ~(VM_SUPER_SIZE - 1);
    if (wva < r->start || wva + VM_SUPER_SIZE > r->end)
        return;
    if (!IS_ALIGNED(r->offset + (wva - r->start), VM_SUPER_SIZE))
        return;
    paddr_t pa = vmo_super_pa(r->vmo, ci);
    if (!pa)
        return;
    struct pt_ctx c = ctx_of(vs);
    arch_pt_map_super(&c, wva, pa, r->rights);
    vm_stats.promotions++;
}

enum vm_fault_result vm_fault(struct vspace *vs, vaddr_t va, unsigned access)
{
    vm_stats.faults++;
    if (!vs)
        return VM_FAULT_UNMAPPED;
    struct vm_region *r = vspace_find(vs, va);
    if (!r)
        return VM_FAULT_UNMAPPED;
    if (access & ~r->rights || !r->rights)
        return VM_FAULT_RIGHTS;
    uint64_t off = r->offset + (ALIGN_DOWN(va, PAGE_SIZE) - r->start);
    if (off >= r->vmo->size) /* the VMO shrank under the region */
        return VM_FAULT_UNMAPPED;
    uint64_t ci = off >> CLUSTER_SHIFT;
    paddr_t pa;
    bool writable;
    enum vm_fault_result res = vmo_get_cluster(r->vmo, ci, access & VM_WRITE, &pa, &writable);
    if (res != VM_FAULT_RESOLVED)
        return res;
    /* The pages of the cluster inside the region and the VMO. */
    uint64_t coff = ci << CLUSTER_SHIFT;
    uint64_t lo = MAX(coff, r->offset);
    uint64_t hi = MIN(MIN(coff + CLUSTER_SIZE, r->offset + (r->end - r->start)),
                      ALIGN_UP(r->vmo->size, PAGE_SIZE));
    unsigned rights = writable ? r->rights : r->rights & ~VM_WRITE;
    if (r->vmo->device)
        rights |= VM_UNCACHED;
    struct pt_ctx c = ctx_of(vs);
    if (!arch_pt_map(&c, r->start + (lo - r->offset), pa + (lo - coff), (hi - lo) / PAGE_SIZE,
                     rights))
        return VM_FAULT_NOMEM;
    if (writable)
        maybe_promote(vs, r, va, ci);
    vm_stats.faults_mapped++;
    return VM_FAULT_RESOLVED;
}

bool vspace_translate(struct vspace *vs, vaddr_t va, paddr_t *pa, unsigned *access, unsigned *level)
{
    return arch_pt_lookup(vs ? vs->root : 0, va, pa, access, level);
}

/* Copies len bytes between buf and vs at va (to_user: into vs). */
static enum wf_error copy_user(struct vspace *vs, vaddr_t va, void *buf, size_t len, bool to_user)
{
    char *b = buf;
    unsigned need = to_user ? VM_WRITE : VM_READ;
    while (len) {
        if (va >= USER_TOP)
            return WF_ERR_INVALID_ARGUMENT;
        size_t n = (size_t)MIN((uint64_t)len, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
        paddr_t pa;
        unsigned access, level;
        if (!vspace_translate(vs, va, &pa, &access, &level) || (access & need) != need) {
            enum vm_fault_result f = vm_fault(vs, va, need);
            if (f == VM_FAULT_NOMEM)
                return WF_ERR_NOT_ENOUGH_MEMORY;
            if (f != VM_FAULT_RESOLVED || !vspace_translate(vs, va, &pa, &access, &level) ||
                (access & need) != need)
                return WF_ERR_INVALID_ARGUMENT;
        }
        if (access & VM_UNCACHED) /* device memory: never through the direct map */
            return WF_ERR_INVALID_ARGUMENT;
        if (to_user)
            memcpy(phys_to_virt(pa), b, n);
        else
            memcpy(b, phys_to_virt(pa), n);
        b += n;
        va += n;
        len -= n;
    }
    return WF_ERR_OK;
}

enum wf_error vspace_read(struct vspace *vs, vaddr_t va, void *dst, size_t len)
{
    return copy_user(vs, va, dst, len, false);
}

enum wf_error vspace_write(struct vspace *vs, vaddr_t va, const void *src, size_t len)
{
    return copy_user(vs, va, (void *)(uintptr_t)src, len, true);
}

/* --- invocations --------------------------------------------------------------------- */

/* pool_inv_fail, plus INVALID_CAPABILITY: the VMO cap (cap argument 0) lacks a
 * right the mapping needs. */
static enum wf_error vs_fail(struct invocation *inv, enum wf_error e, struct vm_arg why)
{
    if (e == WF_ERR_INVALID_CAPABILITY)
        return inv_fail(inv, e, 1, 0, 0, 0, 0);
    return pool_inv_fail(inv, e, why, vspace_from_cap(inv->slot->cap)->pool);
}

enum wf_error vspace_decode_map(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    struct cap vc = inv->caps[XCAP_VSPACE_MAP_VMO]->cap;
    uint64_t rights = inv->args[ARG_VSPACE_MAP_RIGHTS];
    if (rights > 0xffff)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, VM_ARG(ARG_VSPACE_MAP_RIGHTS));
    struct vm_arg why = VM_ARG(0);
    enum wf_error e =
        map(vs, vmo_from_cap(vc), inv->args[ARG_VSPACE_MAP_OFFSET], inv->args[ARG_VSPACE_MAP_VADDR],
            inv->args[ARG_VSPACE_MAP_LENGTH], (unsigned)rights, cap_rights(vc), &why);
    return vs_fail(inv, e, why);
}

enum wf_error vspace_decode_unmap(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    struct vm_arg why = VM_ARG(0);
    enum wf_error e = unmap_or_protect(vs, inv->args[ARG_VSPACE_UNMAP_VADDR],
                                       inv->args[ARG_VSPACE_UNMAP_LENGTH], -1, &why);
    return vs_fail(inv, e, why);
}

enum wf_error vspace_decode_protect(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    uint64_t rights = inv->args[ARG_VSPACE_PROTECT_RIGHTS];
    if (rights > 0xffff)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, VM_ARG(ARG_VSPACE_PROTECT_RIGHTS));
    struct vm_arg why = VM_ARG(0);
    enum wf_error e = unmap_or_protect(vs, inv->args[ARG_VSPACE_PROTECT_VADDR],
                                       inv->args[ARG_VSPACE_PROTECT_LENGTH], (int)rights, &why);
    return vs_fail(inv, e, why);
}

enum wf_error vspace_decode_lookup(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    struct vm_region *r = vspace_find(vs, inv->args[ARG_VSPACE_LOOKUP_VADDR]);
    if (!r)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, VM_ARG(ARG_VSPACE_LOOKUP_VADDR));
    inv->reply[RES_VSPACE_LOOKUP_START] = r->start;
    inv->reply[RES_VSPACE_LOOKUP_LENGTH] = r->end - r->start;
    inv->reply[RES_VSPACE_LOOKUP_OFFSET] = r->offset;
    inv->reply[RES_VSPACE_LOOKUP_RIGHTS] = r->rights;
    return WF_ERR_OK;
}

enum wf_error vspace_decode_mapping(struct invocation *inv)
{
    struct vspace *vs = vspace_from_cap(inv->slot->cap);
    vaddr_t va = inv->args[ARG_VSPACE_MAPPING_VADDR];
    if (va >= USER_TOP)
        return vs_fail(inv, WF_ERR_INVALID_ARGUMENT, VM_ARG(ARG_VSPACE_MAPPING_VADDR));
    paddr_t pa;
    unsigned access, level;
    bool ok = vspace_translate(vs, va, &pa, &access, &level);
    inv->reply[RES_VSPACE_MAPPING_PAGE_SIZE] = ok ? 1ull << (PAGE_SHIFT + 9 * level) : 0;
    inv->reply[RES_VSPACE_MAPPING_RIGHTS] = ok ? access & (VM_READ | VM_WRITE | VM_EXEC) : 0;
    return WF_ERR_OK;
}

/* VSpace_Read / VSpace_Write: from one address space to another through a small
 * buffer; the first byte either side cannot reach ends it. */
static enum wf_error cross_copy(struct invocation *inv, struct vspace *from, vaddr_t fva,
                                struct vspace *to, vaddr_t tva, uint64_t len, unsigned from_arg,
                                unsigned to_arg)
{
    uint8_t buf[256];
    while (len) {
        size_t n = (size_t)MIN(len, sizeof(buf));
        enum wf_error e = vspace_read(from, fva, buf, n);
        if (e == WF_ERR_OK)
            e = vspace_write(to, tva, buf, n);
        else
            to_arg = from_arg;
        if (e != WF_ERR_OK)
            return vs_fail(inv, e, VM_ARG(to_arg));
        fva += n;
        tva += n;
        len -= n;
    }
    return WF_ERR_OK;
}

enum wf_error vspace_decode_read(struct invocation *inv)
{
    return cross_copy(inv, vspace_from_cap(inv->slot->cap), inv->args[ARG_VSPACE_READ_VADDR],
                      vspace_from_cap(inv->caps[XCAP_VSPACE_READ_DEST]->cap),
                      inv->args[ARG_VSPACE_READ_DEST_VADDR], inv->args[ARG_VSPACE_READ_LEN],
                      ARG_VSPACE_READ_VADDR, ARG_VSPACE_READ_DEST_VADDR);
}

enum wf_error vspace_decode_write(struct invocation *inv)
{
    return cross_copy(inv, vspace_from_cap(inv->caps[XCAP_VSPACE_WRITE_SRC]->cap),
                      inv->args[ARG_VSPACE_WRITE_SRC_VADDR], vspace_from_cap(inv->slot->cap),
                      inv->args[ARG_VSPACE_WRITE_VADDR], inv->args[ARG_VSPACE_WRITE_LEN],
                      ARG_VSPACE_WRITE_SRC_VADDR, ARG_VSPACE_WRITE_VADDR);
}
