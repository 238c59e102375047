/*
 * The VM system's interface to the rest of the kernel (docs/architecture.md, Memory):
 * what the thread/IPC code and the root-task builder need of address spaces
 * (vspace_activate, inline, is in obj/vspace.h with the struct it reads).
 * Pools, VMOs and VSpaces themselves are described in obj/pool.h, obj/vmo.h and
 * obj/vspace.h.
 *
 * A NULL struct vspace * names the kernel's own page tables ("the kernel test
 * space"): the kernel self-tests put user pages in their lower half. Threads
 * started by the root task always have a VSpace.
 */
#ifndef WEFT_MM_VM_H
#define WEFT_MM_VM_H

#include "cap/cap.h"
#include "weft/errors.h"

struct vspace;

/* Access kinds of a fault or a copy (may be OR-ed). */
#define VM_READ  1u
#define VM_WRITE 2u
#define VM_EXEC  4u

/* Not an access but a page-table attribute, passed with the rights to arch_pt_map
 * and reported by arch_pt_lookup: device memory, mapped uncached (x86-64: PCD and
 * PWT). Set for the pages of a device VMO (Pool_CreateDevice). */
#define VM_UNCACHED 8u

enum vm_fault_result {
    VM_FAULT_RESOLVED = 0, /* mapped now: the thread retries the instruction */
    VM_FAULT_UNMAPPED,     /* no region covers the address */
    VM_FAULT_RIGHTS,       /* the region forbids this access */
    VM_FAULT_NOMEM,        /* the region's pool is exhausted */
};

/*
 * A copy invocation's progress (VMO_Read/Write, VSpace_Read/Write; decision 088).
 * A copy does at most VM_COPY_UNIT bytes per unit of its work budget; when the
 * budget runs out it records how far it got in the invoked object and returns
 * WF_ERR_PREEMPTED, and the re-executed invocation, recognised by its thread,
 * label, arguments and other object, continues there. Another copy on the same
 * object in between takes the record: the first then starts again (a copy is
 * idempotent).
 */
struct vm_copy {
    const void *thread; /* the invoking thread; NULL: no copy recorded */
    const void *other;  /* the other object of the copy */
    uint64_t key[4];    /* label and arguments */
    uint64_t done;      /* bytes copied */
};
#define VM_COPY_UNIT 4096u

/* The bytes already done of the copy (key, other) by the current thread, as
 * recorded in c, or 0 for a copy not recorded there. */
uint64_t vm_copy_resume(const struct vm_copy *c, const uint64_t key[4], const void *other);

/* Records the progress done of the copy (key, other) by the current thread in c;
 * done 0 clears the record (the copy ended). */
void vm_copy_save(struct vm_copy *c, const uint64_t key[4], const void *other, uint64_t done);

/* The VSpace a cap names (a VSpace cap), or NULL for any other cap. */
static inline struct vspace *vspace_from_cap(struct cap c)
{
    return cap_type(c) == CAP_VSPACE ? cap_object(c) : NULL;
}

/* Resolves a fault from user mode at va for access (VM_*), as the fault path
 * does: allocate, zero-fill or copy, map. */
enum vm_fault_result vm_fault(struct vspace *vs, vaddr_t va, unsigned access);

/* Copy len bytes between a kernel buffer and user addresses of vs, faulting pages
 * in as the owning thread's own access would (so rights are checked: reading
 * needs a readable region, writing a writable one). Return WF_ERR_OK, or
 * WF_ERR_INVALID_ARGUMENT when some byte is outside a region or forbidden (then
 * nothing past that byte was copied), or WF_ERR_NOT_ENOUGH_MEMORY when the pool
 * is exhausted. */
enum wf_error vspace_read(struct vspace *vs, vaddr_t va, void *dst, size_t len);
enum wf_error vspace_write(struct vspace *vs, vaddr_t va, const void *src, size_t len);

/* Advanced whenever a user translation is removed or loses a right (Unmap,
 * Protect, copy-on-write clone and copy, VMO shrink and destruction), when a
 * VSpace is destroyed and when any cap to a VSpace is deleted: a kernel pointer
 * to a thread's user page taken from its VSpace's page tables stays valid while
 * this does not change (the IPC buffer view, obj/tcb.h; decision 076). */
extern uint64_t vm_unmap_epoch;

/* The superpage the VM promotes to: 2 MiB on every target (x86-64 PD entry). */
#define VM_SUPER_SHIFT 21
#define VM_SUPER_SIZE  (1ull << VM_SUPER_SHIFT)

/* Kernel-wide VM counters (docs/architecture.md, Memory rule 8), for the self-tests
 * and benchmarks. Only ever incremented, except the two gauges (pt_pages,
 * meta_bytes) which follow what is alive. Reservations made, broken and reclaimed
 * under pressure are counted by each PMM instance (struct pmm). Userspace
 * reads four through DEBUG_STAT (ipc/syscall.c): faults_mapped as
 * WF_STAT_VM_FAULTS, promotions, demotions, and resv_made as
 * WF_STAT_VM_RESERVATIONS. */
struct vm_stats {
    uint64_t faults;        /* vm_fault calls */
    uint64_t faults_mapped; /* of those, resolved */
    uint64_t zero_fills;    /* clusters allocated and zeroed by faults */
    uint64_t cow_copies;    /* clusters copied by write faults on shared memory */
    uint64_t merges;        /* hidden VMOs merged into their last child and freed */
    uint64_t merge_moves;   /* clusters those merges moved into the child */
    uint64_t promotions;    /* 2 MiB windows mapped by one superpage entry */
    uint64_t demotions;     /* superpage entries split or dropped by unmap/protect */
    uint64_t resv_made;     /* reservations made by VMO windows */
    uint64_t resv_failed;   /* first faults in a window that found no free 2 MiB extent */
    uint64_t pt_pages;      /* gauge: page-table pages of every VSpace */
    uint64_t meta_bytes;    /* gauge: VM metadata (VMO trees, windows, regions, objects) */
};
extern struct vm_stats vm_stats;

#endif
