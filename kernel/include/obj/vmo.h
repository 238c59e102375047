/*
 * VMOs: memory objects (docs/architecture.md, Memory rule 6; the design essay opens
 * kernel/mm/vmo_mem.c).
 *
 * An anonymous VMO is a sparse array of clusters, filled with zeroed clusters on
 * first touch. The array is a radix tree: interior nodes of 512 pointers (one MMU
 * page each) above windows, one window per 2 MiB of offset. A window holds the
 * physical address of each of its clusters and the window's reservation (the
 * aligned 2 MiB extent its clusters are taken from while one can be had), so a
 * window whose clusters are all present, in order, inside its reservation can be
 * mapped by one superpage entry.
 *
 * A physical VMO is a contiguous physical range (pinned memory from a pool for
 * DMA, a boot module, or device memory (MMIO) from a device untyped, mapped
 * uncached and never read or written by the kernel itself); it has no tree.
 *
 * A copy-on-write clone: cloning V creates a hidden VMO H that takes V's tree; V
 * and the clone C become H's children with empty trees. A lookup walks up the
 * chain until a cluster is found; a write to a cluster found in an ancestor copies
 * it into the writer's own tree. No per-cluster reference count exists anywhere.
 * When one of H's children is destroyed, H is merged into the other and goes
 * (kernel/mm/vmo_merge.c, decision 172).
 *
 * Offsets and sizes are bytes, multiples of PAGE_SIZE. Locking: the big lock.
 */
#ifndef WEFT_OBJ_VMO_H
#define WEFT_OBJ_VMO_H

#include "cap/cap.h"
#include "config.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "weft/errors.h"

struct pool;
struct vm_region;
struct slot;

enum vmo_kind {
    VMO_ANON = 0,   /* demand-zero */
    VMO_PHYS = 1,   /* a contiguous physical range */
    VMO_CLONE = 2,  /* a copy-on-write clone (anonymous, with a parent) */
    VMO_HIDDEN = 3, /* the shared ancestor of a clone pair; no caps */
};

#define VMO_WIN_SHIFT    VM_SUPER_SHIFT
#define VMO_WIN_CLUSTERS (1u << (VMO_WIN_SHIFT - CLUSTER_SHIFT))
#define VMO_NODE_SLOTS   512u
#define VMO_MAX_LEVELS   3

/* One 2 MiB window of an anonymous VMO. */
struct vmo_window {
    struct pmm_resv resv;         /* its reservation (UNUSED: never made) */
    uint16_t present;             /* clusters present */
    uint16_t foreign;             /* of those, not taken from the reservation */
    uint32_t tried;               /* a reservation was attempted */
    paddr_t cl[VMO_WIN_CLUSTERS]; /* cluster at each index; 0: absent */
};

struct vmo {
    struct pool *pool;      /* charged for the VMO, its tree and its clusters */
    uint8_t kind;           /* enum vmo_kind */
    uint8_t levels;         /* interior levels above the windows (0: root is a window) */
    bool owns_phys;         /* VMO_PHYS: the range came from the pool */
    bool device;            /* VMO_PHYS: device memory (uncached; no kernel copies) */
    uint64_t size;          /* bytes */
    paddr_t phys;           /* VMO_PHYS: base of the range */
    void *root;             /* the radix tree (NULL: nothing present) */
    struct vm_region *maps; /* regions mapping this VMO (region->vmo_next) */
    struct vmo *parent;     /* the hidden VMO whose clusters show through, or NULL */
    uint64_t parent_limit;  /* offsets at or past this never show the parent's */
    uint32_t children;      /* VMO_HIDDEN: live children */
    struct vmo *child[2];   /* VMO_HIDDEN: those children (NULL: gone) */
    uint64_t committed;     /* clusters in its own tree */
    uint64_t tree_bytes;    /* bytes of its tree: interior nodes and windows */
    /* An operation restarted midway (decision 088; kernel/mm/vmo_mem.c): */
    uint8_t pending;            /* enum vmo_pending */
    bool dying;                 /* its last cap is being deleted: no new work */
    struct vm_region *zap_next; /* next mapping to clear of [zap_from, zap_to) */
    vaddr_t zap_at;             /* in zap_next: its entries below this are cleared */
    uint64_t zap_from, zap_to;  /* offsets whose mappings go */
    uint64_t trim_ci;           /* shrink: clusters at or past this go */
    struct vmo *clone;          /* clone: the new clone, its cap not yet placed */
    struct vm_copy copy;        /* a VMO_Read/Write's progress */
    struct vmo_scan {           /* a VMO_Present's progress (decision 090) */
        bool active;
        uint64_t off;   /* its argument */
        uint64_t ci;    /* next cluster to look at */
        uint64_t start; /* first present cluster found (UINT64_MAX: none yet) */
    } scan;
};

/* Clusters VMO_Present looks at per unit of the work budget. */
#define VMO_SCAN_UNIT 64u

enum vmo_pending {
    VMO_PENDING_NONE = 0,
    VMO_PENDING_SHRINK = 1, /* Resize to a smaller size */
    VMO_PENDING_CLONE = 2,  /* Clone */
};

/* The VMO a cap names (a VMO cap), or NULL. */
struct vmo *vmo_from_cap(struct cap c);

/* Bytes of the VMO object itself (slab size). */
#define VMO_OBJ_SIZE sizeof(struct vmo)

/* Initialises the zeroed struct v as an anonymous VMO of size bytes in pool p. */
void vmo_init_anon(struct vmo *v, struct pool *p, uint64_t size);

/* The preemptible part of destroying v, run when its last cap is being deleted
 * (object_teardown): marks it dying, removes its mappings, frees its tree and
 * those of the ancestors that die with it, and merges the first ancestor that
 * keeps another child into that child (vmo_merge_some), with a preemption point
 * before each unit. Returns WF_ERR_OK when only O(1) work is left for
 * vmo_destroy, or WF_ERR_PREEMPTED (call again: it continues). A dying VMO
 * refuses every invocation that would add work and cannot be mapped. */
enum wf_error vmo_teardown(struct vmo *v);

/* Destroys v: unmaps it from every VSpace, frees its clusters and tree, leaves
 * its clone parent (which may go too, or, merged into its other child by
 * vmo_teardown, give that child its place), and frees the object. O(1) after
 * vmo_teardown returned WF_ERR_OK, else O(size) (kernel callers; no merge). */
void vmo_destroy(struct vmo *v);

/* The cluster at index ci of v as the fault path needs it: *pa its address (0 when
 * past the end), *writable whether v owns it (false: shared with a clone, map
 * read-only). For a write (write true) a shared or absent cluster is made v's own
 * (copied or zero-filled) first; for a read an absent cluster anywhere in the
 * chain is zero-filled in v. Returns VM_FAULT_RESOLVED, VM_FAULT_UNMAPPED (past
 * the end) or VM_FAULT_NOMEM. */
enum vm_fault_result vmo_get_cluster(struct vmo *v, uint64_t ci, bool write, paddr_t *pa,
                                     bool *writable);

/* When the window of v containing cluster ci can be mapped by one superpage:
 * every cluster present, owned by v, in order inside the window's reservation.
 * Returns that reservation's base, else 0. */
paddr_t vmo_super_pa(struct vmo *v, uint64_t ci);

/* Copies len bytes between kernel memory and v at offset, as userspace writes
 * would (vmo_write allocates, or copies shared clusters). Return WF_ERR_OK,
 * WF_ERR_RANGE_ERROR past the end, or WF_ERR_NOT_ENOUGH_MEMORY (bytes before the
 * failing cluster were copied). In-kernel API for the root-task builder. */
enum wf_error vmo_write(struct vmo *v, uint64_t offset, const void *src, size_t len);
enum wf_error vmo_read(struct vmo *v, uint64_t offset, void *dst, size_t len);

/* A physical VMO decoded (Pool_CreateContig, Pool_CreateDevice, the initramfs):
 * its range, and its record taken from the pool (decision 086). */
struct vmo_phys_op {
    struct slot *pool_slot; /* the pool's original cap; the VMO's cap its child */
    struct slot *dest;      /* empty */
    paddr_t pa;
    uint64_t size;
    bool owns_phys; /* the range is an extent of the pool's, freed with the VMO */
    bool device;    /* device memory */
    struct vmo *v;  /* the record, taken by vmo_phys_take */
};

/* Takes op's VMO record from op's pool: WF_ERR_OK, or WF_ERR_NOT_ENOUGH_MEMORY
 * with nothing taken. */
enum wf_error vmo_phys_take(struct vmo_phys_op *op);

/* Makes the physical VMO op describes in the record it took and places its cap:
 * cannot fail. */
void vmo_phys_invoke(const struct vmo_phys_op *op);

/* Makes a physical VMO over [pa, pa + size) (page-aligned; memory the kernel does
 * not otherwise use, such as a boot module) from the pool in pool_slot, its cap in
 * the empty slot dest. In-kernel API for the root-task builder (the initramfs).
 * Returns WF_ERR_OK or WF_ERR_NOT_ENOUGH_MEMORY / WF_ERR_ALIGNMENT_ERROR. */
enum wf_error vmo_create_phys(struct slot *pool_slot, paddr_t pa, uint64_t size, struct slot *dest);

/* Decodes making a physical VMO over the whole range of the device Untyped cap ut
 * from the pool in pool_slot (Pool_CreateDevice), its cap for the empty slot
 * dest: every check, then the VMO's record taken (*op filled). Returns
 * WF_ERR_OK, WF_ERR_ILLEGAL_OPERATION (ut is not device memory, or the pool cap
 * may not create), WF_ERR_RANGE_ERROR (smaller than a page),
 * WF_ERR_INVALID_ARGUMENT (the range overlaps memory the boot map lists as
 * anything but reserved: RAM, the kernel, modules, firmware storage) or
 * WF_ERR_NOT_ENOUGH_MEMORY, the last ones with nothing taken. vmo_phys_invoke
 * completes it. */
enum wf_error vmo_device_decode(struct slot *pool_slot, struct cap ut, struct slot *dest,
                                struct vmo_phys_op *op);

/* vmo_device_decode, then vmo_phys_invoke (the in-kernel API). */
enum wf_error vmo_create_device(struct slot *pool_slot, struct cap ut, struct slot *dest);

/* A clone decoded: the hidden VMO and the clone taken from their pools, or none
 * when a clone of v is under way already and continues. */
struct vmo_clone_op {
    struct vmo *v;
    struct slot *pool_slot, *dest;
    struct vmo *h, *c; /* hidden VMO (v's pool), clone (the pool in pool_slot) */
};

/* Decodes cloning the anonymous VMO v from the pool whose original cap is in
 * pool_slot into the empty slot dest: the checks, then what v has pending is
 * settled (a shrink finished, a clone for another pool dropped), then the two
 * records taken. Returns WF_ERR_OK (*op filled), WF_ERR_ILLEGAL_OPERATION
 * (physical VMO, pool cap not an original or dead), WF_ERR_PREEMPTED (the
 * shrink continues on re-execution) or WF_ERR_NOT_ENOUGH_MEMORY with nothing
 * taken. */
enum wf_error vmo_clone_decode(struct vmo *v, struct slot *pool_slot, struct slot *dest,
                               struct vmo_clone_op *op);

/* Makes the decoded clone: the hidden VMO takes v's tree, then v's old mappings
 * go, a 2 MiB window of a region per unit, then the clone's cap is placed. Allocates nothing and
 * cannot fail: returns WF_ERR_OK, or WF_ERR_PREEMPTED with the progress in v (the
 * re-executed invocation decodes to a continuation). */
enum wf_error vmo_clone_invoke(const struct vmo_clone_op *op);

/* Makes a copy-on-write clone of the anonymous VMO v from the pool whose original
 * cap is in pool_slot (the clone's cap, with READ and WRITE, goes to the empty
 * slot dest as that cap's child): vmo_clone_decode, then vmo_clone_invoke. Both
 * see v's contents; each write is private. Returns what they return. O(v's
 * mappings and their populated windows), in units of one window: they are
 * removed, to refault read-only. In-kernel API. */
enum wf_error vmo_clone(struct vmo *v, struct slot *pool_slot, struct slot *dest);

/* Changes the size of an anonymous VMO (VMO_Resize): WF_ERR_OK,
 * WF_ERR_NOT_ENOUGH_MEMORY, or WF_ERR_PREEMPTED (call again: a shrink continues
 * where it stopped; the size is already the new one). */
enum wf_error vmo_resize(struct vmo *v, uint64_t size);

/* True when cluster ci of v has memory v sees (its own, an ancestor's, or any
 * cluster of a physical VMO): VMO_Present's test. */
bool vmo_visible(struct vmo *v, uint64_t ci);

/*
 * The tree and the merge: shared by kernel/mm/vmo_mem.c and kernel/mm/vmo_merge.c
 * only (their contracts are in vmo_mem.c).
 */
struct vmo_window **vmo_win_slot(struct vmo *v, uint64_t w, bool create, bool *nomem);
struct vmo_window *vmo_window(struct vmo *v, uint64_t w, bool create, bool *nomem);
bool vmo_from_resv(const struct vmo_window *win, unsigned i);
bool vmo_free_window(struct vmo *v, struct vmo_window *win, unsigned from);
bool vmo_window_has_from(const struct vmo_window *win, unsigned from);
bool vmo_stop(bool *paid);
bool vmo_free_subtree(struct vmo *v, void **slot, unsigned level, uint64_t base, uint64_t first_ci,
                      bool *paid);

/* Merges the hidden VMO h into t, its one child besides one whose tree and
 * mappings are gone (kernel/mm/vmo_merge.c): the clusters of h that t sees move
 * into t's tree, the others are freed, a window per unit (vmo_stop(paid) before
 * each; paid NULL: no preemption point). Returns false when it stopped (call
 * again: h's tree is the progress), true when h holds nothing any more or the
 * merge cannot go on (t is dying, t's pool draws from another instance or
 * cannot take the charge or the tree nodes): h then keeps what is left. */
bool vmo_merge_some(struct vmo *h, struct vmo *t, bool *paid);

#endif
