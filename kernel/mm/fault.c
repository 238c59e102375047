/*
 * The fault path, superpage promotion, and the kernel's copies to and from user
 * memory.
 *
 * A fault at va in region r at VMO offset off (docs/architecture.md, Memory
 * rules 4, 7):
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
 * Copies (vspace_read / vspace_write) take the same path a user access would:
 * a page that is not mapped with the access is faulted in first.
 */
#include "arch.h"
#include "lib/string.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "sched/sched.h"

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
    struct pt_ctx c = vspace_pt_ctx(vs);
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
    struct pt_ctx c = vspace_pt_ctx(vs);
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

/* --- restarted copies (decision 088) ------------------------------------------------ */

static bool same_copy(const struct vm_copy *c, const uint64_t key[4], const void *other)
{
    return c->thread == (const void *)sched_current && c->other == other && c->key[0] == key[0] &&
           c->key[1] == key[1] && c->key[2] == key[2] && c->key[3] == key[3];
}

uint64_t vm_copy_resume(const struct vm_copy *c, const uint64_t key[4], const void *other)
{
    return c->done && same_copy(c, key, other) ? c->done : 0;
}

void vm_copy_save(struct vm_copy *c, const uint64_t key[4], const void *other, uint64_t done)
{
    if (!done) {
        if (same_copy(c, key, other))
            *c = (struct vm_copy){0};
        return;
    }
    *c = (struct vm_copy){.thread = sched_current, .other = other, .done = done};
    for (unsigned i = 0; i < 4; i++)
        c->key[i] = key[i];
}
