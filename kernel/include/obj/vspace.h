/*
 * VSpaces: address spaces (docs/architecture.md, Memory rule 7; the design essay opens
 * kernel/mm/region.c, the fault path's kernel/mm/fault.c). The interface the thread and IPC code use is
 * mm/vm.h (vm_fault, vspace_read/write) and vspace_activate here; this header is the
 * object itself and the in-kernel API of the root-task builder.
 *
 * A VSpace is a top-level page table (its kernel half copied from the kernel's)
 * and its regions, in a list by address and in a balanced tree by start address
 * (lib/avl.h) for the fault path's lookup. A region maps [start, end) to a VMO range from
 * offset with rights (VM_READ | VM_WRITE | VM_EXEC); page-table entries exist only
 * inside regions and are filled by the fault path. All addresses, lengths and
 * offsets are MMU-page multiples: clusters never show.
 */
#ifndef WEFT_OBJ_VSPACE_H
#define WEFT_OBJ_VSPACE_H

#include "arch.h"
#include "arch/percpu.h"
#include "cap/cap.h"
#include "lib/avl.h"
#include "mm/vm.h"
#include "weft/errors.h"

struct pool;
struct vmo;

struct vm_region {
    struct vm_region *next, *prev;         /* the VSpace's regions, by address */
    struct vm_region *vmo_next, *vmo_prev; /* the VMO's mappings */
    struct avl_node node;                  /* in the VSpace's tree, key start */
    struct vspace *vs;
    struct vmo *vmo;
    vaddr_t start, end;
    uint64_t offset;    /* VMO offset at start */
    uint8_t rights;     /* VM_* now */
    uint8_t max_right;  /* VM_* the VMO cap allowed at Map (Protect may not exceed) */
    bool removing;      /* vspace_region_remove_some under way: rights 0 for good */
    vaddr_t removed_to; /* removing: the entries below it are gone */
};

struct vspace {
    struct pool *pool;         /* charged for the VSpace, its tables and regions */
    paddr_t root;              /* top-level table */
    uint64_t asid;             /* ASID word, 0 until loaded (arch_vspace_load, decision 185) */
    struct vm_region *regions; /* by address */
    struct avl_tree tree;      /* the regions by start address */
    struct vm_region *hint;    /* last region found */
    uint64_t pt_pages;         /* page-table pages, the root included */
    uint64_t nregions;
    bool dying;         /* its last cap is being deleted: no new regions */
    struct vm_pending { /* an Unmap or Protect under way (decision 089) */
        bool active;
        uint8_t op;          /* enum vm_change */
        uint32_t rights;     /* Protect's */
        vaddr_t va, end, at; /* its range; done below at */
    } pending;
    struct vm_copy copy; /* a VSpace_Read/Write's progress */
    /* CPUs whose TLB may hold its translations (bit i: CPU i): set when a CPU
     * loads it, cleared when it loads another root (no PCIDs: that flushes)
     * or answers a shootdown without it loaded. Decision 148. With PCIDs
     * (ARCH_VSPACE_TAGGED: x86-64's X86_PCID=1, decision 174) or riscv64's
     * ASIDs (decision 185) a CPU keeps its bit after loading another root,
     * for its TLB keeps the translations: the bit goes when that CPU forgets
     * the root (arch_vspace_forget), in a shootdown or when the VSpace dies. */
    uint64_t cpus;
    uint32_t shot_ticket; /* kernel_lock.serving of the last shootdown */
    bool shot;            /* there was one */
};

#ifndef ARCH_VSPACE_TAGGED /* a root load flushes the old root's translations */
#define ARCH_VSPACE_TAGGED       0
#define arch_vspace_forget(root) ((void)(root))
#endif

/* The VSpace whose tables the CPU uses (NULL: the kernel's own). Changed only
 * by vspace_activate, which keeps it naming what the page-table root register holds. */
#define vspace_current (this_cpu_local.vspace) /* this CPU's (sched/cpu_local.h) */

/* Makes vs the address space of the CPU (NULL: the kernel's own tables). Inline:
 * the IPC fast path switches address spaces through it (a compare, the root
 * register load and a store). */
static inline __attribute__((always_inline)) void vspace_activate(struct vspace *vs)
{
    struct vspace *old = vspace_current;
    if (vs == old)
        return;
    if (old && !ARCH_VSPACE_TAGGED) /* loading another root flushes old's translations */
        __atomic_fetch_and(&old->cpus, ~this_cpu_local.bit, __ATOMIC_RELAXED);
    if (vs) {
        vs->cpus |= this_cpu_local.bit;
        arch_vspace_load(vs->root, &vs->asid);
    } else {
        arch_vspace_switch(0);
    }
    vspace_current = vs;
}

/* The pt_ctx shoot hook (arch.h): before a translation of c->owner changes,
 * every other CPU in its mask flushes its TLB, once per kernel entry (the
 * lock hold): those CPUs then wait for the lock in the kernel, so they load no
 * translation again until this CPU is done and leaves. */
void vspace_tlb_shoot(struct pt_ctx *c);

/* Every CPU that has vs loaded switches to the kernel's tables (vs dies). */
void vspace_leave_everywhere(struct vspace *vs);

/* Initialises the zeroed struct vs in pool p with the top-level table at root (a
 * zeroed page charged to p). */
void vspace_init(struct vspace *vs, struct pool *p, paddr_t root);

/* The preemptible part of destroying vs (object_teardown): marks it dying,
 * removes its regions, one per unit, then frees its page tables, one per unit. WF_ERR_OK when done, or WF_ERR_PREEMPTED
 * (call again). */
enum wf_error vspace_teardown(struct vspace *vs);

/* Destroys vs: removes every region (from its VMO's list too), frees its tables
 * and the object; the CPU switches to the kernel's tables if vs was active. */
void vspace_destroy(struct vspace *vs);

/* vspace_find past the hint: the tree lookup, which sets the hint. */
struct vm_region *vspace_find_tree(struct vspace *vs, vaddr_t va);

/* The region of vs containing va, or NULL. O(log regions); O(1) when it is the
 * last one found (inline: the fault path's first step). */
static inline struct vm_region *vspace_find(struct vspace *vs, vaddr_t va)
{
    struct vm_region *r = vs->hint;
    if (r && va >= r->start && va < r->end)
        return r;
    return vspace_find_tree(vs, va);
}

/* Maps length bytes of v from offset at va with rights (VM_*), as VSpace_Map does
 * with a VMO cap carrying cap_rights (WF_RIGHT_READ/WRITE). In-kernel API for the
 * root-task builder. Returns WF_ERR_OK, ALIGNMENT_ERROR, RANGE_ERROR,
 * INVALID_ARGUMENT (rights), INVALID_CAPABILITY (rights the cap lacks),
 * ILLEGAL_OPERATION (overlap) or NOT_ENOUGH_MEMORY. */
enum wf_error vspace_map(struct vspace *vs, struct vmo *v, uint64_t offset, vaddr_t va,
                         uint64_t length, unsigned rights, uint64_t cap_rights);

/* vspace_map with the argument an error is about (and a RANGE_ERROR's bounds) in
 * *why, for the VSpace_Map decoder (decision 074). */
struct inv_arg;
enum wf_error vspace_map_why(struct vspace *vs, struct vmo *v, uint64_t offset, vaddr_t va,
                             uint64_t length, unsigned rights, uint64_t cap_rights,
                             struct inv_arg *why);

/* What vspace_change does to a range. */
enum vm_change {
    VM_CHANGE_UNMAP,   /* remove the mappings */
    VM_CHANGE_PROTECT, /* set their rights */
};

/* Unmap or Protect (to rights; ignored for Unmap) of [va, va + length), with the
 * argument errors in *why, for the VSpace_Unmap and VSpace_Protect decoders.
 * Bounded: WF_ERR_PREEMPTED when the work budget ran out (re-execute the same
 * call to continue; a different change, or a Map, finishes it first). */
enum wf_error vspace_change(struct vspace *vs, vaddr_t va, uint64_t length, enum vm_change op,
                            unsigned rights, struct inv_arg *why);

/* A page-table page for the VSpace c->owner, charged to its pool (0: the pool
 * is exhausted), and giving one back: the alloc and free of its pt_ctx. */
paddr_t vspace_pt_alloc(struct pt_ctx *c);
void vspace_pt_free(struct pt_ctx *c, paddr_t pa);

/* The page-table context of vs (arch.h): its root, whether it is active, and
 * table pages from its pool. Inline: the fault path builds one per fault. */
static inline struct pt_ctx vspace_pt_ctx(struct vspace *vs)
{
    return (struct pt_ctx){.root = vs->root,
                           .active = vs == vspace_current,
                           .asid = &vs->asid,
                           .alloc = vspace_pt_alloc,
                           .free = vspace_pt_free,
                           .owner = vs,
                           .shoot = vspace_tlb_shoot};
}

/* Unmaps / reprotects [va, va + length) at page granularity (VSpace_Unmap and
 * VSpace_Protect). Same errors as the invocations, PREEMPTED included. */
enum wf_error vspace_unmap(struct vspace *vs, vaddr_t va, uint64_t length);
enum wf_error vspace_protect(struct vspace *vs, vaddr_t va, uint64_t length, unsigned rights);

/* Removes the translations of [start, end) of region r (the VMO's memory there
 * changed or went). O(entries): for a range of one cluster (the fault path). */
void vspace_region_zap(struct vm_region *r, vaddr_t start, vaddr_t end);

/* One unit of removing the translations of [*at, end) of region r (a 2 MiB
 * window holding entries, or 512 steps over missing ones: arch_pt_unmap_some);
 * *at moves on. Returns true when *at reached end. */
bool vspace_region_zap_some(struct vm_region *r, vaddr_t *at, vaddr_t end);

/* Destroys region r (its VMO is going): translations, lists, memory. O(entries):
 * for kernel callers. */
void vspace_region_remove(struct vm_region *r);

/* One unit of destroying region r (its VMO or its VSpace is going): the first
 * takes its rights away for good (rights and max_right 0: nothing refaults
 * behind the cursor, no Protect gives them back), each clears one unit of its
 * translations (vspace_region_zap_some from removed_to), the one that reaches
 * its end unlinks and frees it. Returns true when r is gone. The progress is in
 * r, so any caller may continue it; a region split meanwhile carries it into
 * both parts. */
bool vspace_region_remove_some(struct vm_region *r);

/* The translation of va in vs's page tables (NULL: the kernel's): as
 * arch_pt_lookup. For tests and benchmarks. */
bool vspace_translate(struct vspace *vs, vaddr_t va, paddr_t *pa, unsigned *access,
                      unsigned *level);

#endif
