/*
 * Capabilities and slots: the representation (docs/architecture.md, Capabilities).
 *
 * A cap is 16 bytes, two words, read and written only through the static inline
 * accessors below (no C bitfields: the layout is fixed here, not by the compiler):
 *
 *   w0  [4:0]   type (enum cap_type; 0 is the null cap, so zeroed memory is empty)
 *       [19:5]  type-specific small fields
 *       [63:20] addr: an object's kernel virtual address >> 4 (48-bit canonical,
 *               sign-extended on the way out), or an Untyped's physical address >> 4
 *   w1          type-specific word
 *
 *   type          w0 [19:5]                              w1
 *   Untyped       [10:5] size_bits, [11] device          watermark (bytes used)
 *   CNode         [10:5] radix, [17:11] guard_size       guard
 *   TCB           -                                      0
 *   Endpoint      [8:5] rights                           badge
 *   Notification  [8:5] rights                           badge
 *   Reply         [8:5] rights                           0
 *   Pool          -                                      0
 *   VMO           [8:5] rights (READ, WRITE)             0
 *   VSpace        -                                      0
 *   IRQControl    -                                      0
 *   IRQHandler    -                                      the line
 *   IOPort        -                                      [15:0] first, [31:16] last
 *   Zombie        [6:5] role, [7] kind, [13:8] radix     see below (kernel-internal)
 *
 * Bit [19] (CAP_POOLED) of a CNode, TCB, Endpoint, Notification or Reply cap, and
 * of the zombie that destroys such a CNode or TCB, says the object was made by
 * Pool_Create rather than Untyped_Retype: its memory returns to its pool when it
 * is destroyed (kernel/obj/pool.c). Derivation keeps the bit.
 *
 * Every object is at least 16 bytes and aligned to its size, so addr >> 4 loses
 * nothing. Physical addresses up to 2^48 fit (x86-64 machines today have 2^46 at
 * most; QEMU 2^40).
 *
 * IRQControl, IRQHandler and IOPort caps have no memory behind them (addr is 0):
 * the state of a line lives in the kernel's static line table (obj/irq.h).
 *
 * A zombie is what a cap to a CNode or TCB becomes while the object is destroyed
 * (kernel/cap/delete.c has the design). A ROOT zombie stays in the slot of the last
 * cap and records the object (addr) and how many slots may still hold caps (w1).
 * An ELEMENT zombie lives in slot 0 of its own object, so its address is known from
 * the slot it sits in; addr then holds the previous element of its reaper ring and
 * w1 the next one ([63:20], slot address >> 4) and the highest slot index that may
 * still hold a cap ([19:0]). A SENTINEL is a ring's anchor inside a struct reaper.
 *
 * A slot is 32 bytes: the cap and the derivation-tree links (kernel/cap/cdt.c),
 * a doubly linked list in depth-first order. Slots are 32-byte aligned, so the
 * low bits of the next link carry the node's two flags (revocable, first badged).
 */
#ifndef WEFT_CAP_CAP_H
#define WEFT_CAP_CAP_H

#include "panic.h"
#include "types.h"
#include "weft/objects.h"

enum cap_type {
    CAP_NULL = 0,
    CAP_UNTYPED = WF_OBJ_UNTYPED,
    CAP_CNODE = WF_OBJ_CNODE,
    CAP_TCB = WF_OBJ_TCB,
    CAP_ENDPOINT = WF_OBJ_ENDPOINT,
    CAP_NOTIFICATION = WF_OBJ_NOTIFICATION,
    CAP_REPLY = WF_OBJ_REPLY,
    CAP_POOL = WF_OBJ_POOL,
    CAP_VMO = WF_OBJ_VMO,
    CAP_VSPACE = WF_OBJ_VSPACE,
    CAP_IRQ_CONTROL = WF_OBJ_IRQ_CONTROL,
    CAP_IRQ_HANDLER = WF_OBJ_IRQ_HANDLER,
    CAP_IOPORT = WF_OBJ_IOPORT,
    CAP_POWER = WF_OBJ_POWER,
    CAP_ZOMBIE = 31, /* kernel-internal: an object being destroyed */
};
static_assert(WF_OBJ_COUNT <= CAP_ZOMBIE, "object types must fit below CAP_ZOMBIE");

struct cap {
    uint64_t w0;
    uint64_t w1;
};
static_assert(sizeof(struct cap) == 16, "a cap is 16 bytes");

struct slot {
    struct cap cap;
    uintptr_t prev; /* CDT: previous slot in depth-first order, or 0 */
    uintptr_t next; /* CDT: next slot, or 0; low bits: SLOT_REVOCABLE, SLOT_FIRST_BADGED */
} __aligned(32);
static_assert(sizeof(struct slot) == (1u << WF_SLOT_BITS), "a slot is 32 bytes");

#define SLOT_REVOCABLE    1ull /* may have children (an original or newly badged cap) */
#define SLOT_FIRST_BADGED 2ull /* first cap with its badge: not a child of same-badge caps */
#define SLOT_FLAGS        3ull

/* Zombie roles and kinds (the object a zombie destroys). */
enum zombie_role { ZOMBIE_ROOT = 0, ZOMBIE_ELEMENT = 1, ZOMBIE_SENTINEL = 2 };
enum zombie_kind { ZOMBIE_CNODE = 0, ZOMBIE_TCB = 1 };
#define ZOMBIE_TOP_BITS 20 /* element: highest live slot index; needs CNODE_RADIX_MAX <= 20 */
static_assert(WF_CNODE_RADIX_MAX <= ZOMBIE_TOP_BITS, "element zombies count slots in 20 bits");

/* --- bit fields ------------------------------------------------------------- */

static inline uint64_t cap_field(uint64_t w, unsigned lo, unsigned n)
{
    return (w >> lo) & ((1ull << n) - 1);
}

static inline uint64_t cap_field_set(uint64_t w, unsigned lo, unsigned n, uint64_t v)
{
    uint64_t mask = ((1ull << n) - 1) << lo;
    assert((v << lo & ~mask) == 0 && v < (1ull << n));
    return (w & ~mask) | (v << lo);
}

/* addr field: a 48-bit canonical kernel pointer, 16-byte aligned. */
static inline uint64_t cap_ptr_pack(const void *p)
{
    uintptr_t v = (uintptr_t)p;
    assert((v & 15) == 0 && (uintptr_t)((intptr_t)(v << 16) >> 16) == v);
    return (uint64_t)(v >> 4) << 20;
}

static inline void *cap_ptr_unpack(uint64_t w0)
{
    return (void *)(uintptr_t)((uint64_t)((int64_t)w0 >> 20) << 4);
}

static inline enum cap_type cap_type(struct cap c)
{
    return (enum cap_type)cap_field(c.w0, 0, 5);
}

static inline bool cap_is_null(struct cap c)
{
    return cap_type(c) == CAP_NULL;
}

static inline struct cap cap_null(void)
{
    return (struct cap){0, 0};
}

/* --- Untyped ----------------------------------------------------------------- */

/* An Untyped cap for [paddr, paddr + 2^size_bits) with the given watermark. */
static inline struct cap cap_untyped_new(paddr_t paddr, unsigned size_bits, bool device,
                                         uint64_t watermark)
{
    assert(size_bits >= WF_UNTYPED_MIN_BITS && size_bits <= WF_UNTYPED_MAX_BITS);
    assert((paddr & ((1ull << size_bits) - 1)) == 0 && paddr >> 48 == 0);
    assert(watermark <= (1ull << size_bits));
    uint64_t w0 =
        CAP_UNTYPED | (uint64_t)size_bits << 5 | (uint64_t)device << 11 | (paddr >> 4) << 20;
    return (struct cap){w0, watermark};
}

static inline paddr_t cap_untyped_paddr(struct cap c)
{
    return (c.w0 >> 20) << 4;
}

static inline unsigned cap_untyped_size_bits(struct cap c)
{
    return (unsigned)cap_field(c.w0, 5, 6);
}

static inline bool cap_untyped_is_device(struct cap c)
{
    return cap_field(c.w0, 11, 1);
}

static inline uint64_t cap_untyped_watermark(struct cap c)
{
    return c.w1;
}

static inline struct cap cap_untyped_set_watermark(struct cap c, uint64_t wm)
{
    assert(wm <= (1ull << cap_untyped_size_bits(c)));
    c.w1 = wm;
    return c;
}

/* --- CNode ------------------------------------------------------------------- */

/* A CNode cap to the 2^radix slots at slots, with a guard of guard_size bits. */
static inline struct cap cap_cnode_new(struct slot *slots, unsigned radix, uint64_t guard,
                                       unsigned guard_size)
{
    assert(radix >= WF_CNODE_RADIX_MIN && radix <= WF_CNODE_RADIX_MAX);
    assert(guard_size + radix <= 64);
    assert(guard_size == 64 || guard >> guard_size == 0);
    uint64_t w0 =
        CAP_CNODE | (uint64_t)radix << 5 | (uint64_t)guard_size << 11 | cap_ptr_pack(slots);
    return (struct cap){w0, guard};
}

static inline struct slot *cap_cnode_slots(struct cap c)
{
    return (struct slot *)cap_ptr_unpack(c.w0);
}

static inline unsigned cap_cnode_radix(struct cap c)
{
    return (unsigned)cap_field(c.w0, 5, 6);
}

static inline unsigned cap_cnode_guard_size(struct cap c)
{
    return (unsigned)cap_field(c.w0, 11, 7);
}

static inline uint64_t cap_cnode_guard(struct cap c)
{
    return c.w1;
}

/* --- objects with a pointer, rights and (endpoints, notifications) a badge --- */

/* True for the types whose caps carry rights. */
static inline bool cap_type_has_rights(enum cap_type t)
{
    return t == CAP_ENDPOINT || t == CAP_NOTIFICATION || t == CAP_REPLY || t == CAP_VMO;
}

/* A cap of type t (TCB, Endpoint, Notification, Reply, Pool, VMO, VSpace) to the
 * object at obj. */
static inline struct cap cap_object_new(enum cap_type t, void *obj, uint64_t rights, uint64_t badge)
{
    assert(t == CAP_TCB || t == CAP_ENDPOINT || t == CAP_NOTIFICATION || t == CAP_REPLY ||
           t == CAP_POOL || t == CAP_VMO || t == CAP_VSPACE);
    assert((rights & ~WF_RIGHTS_ALL) == 0);
    assert(badge == 0 || t == CAP_ENDPOINT || t == CAP_NOTIFICATION);
    uint64_t w0 = (uint64_t)t | (cap_type_has_rights(t) ? rights << 5 : 0) | cap_ptr_pack(obj);
    return (struct cap){w0, badge};
}

/* True for the types whose caps carry rights. */
static inline bool cap_has_rights(struct cap c)
{
    return cap_type_has_rights(cap_type(c));
}

/* True for the types whose caps carry a badge. */
static inline bool cap_has_badge(struct cap c)
{
    enum cap_type t = cap_type(c);
    return t == CAP_ENDPOINT || t == CAP_NOTIFICATION;
}

/* The rights of a cap; types without rights have them all. */
static inline uint64_t cap_rights(struct cap c)
{
    return cap_has_rights(c) ? cap_field(c.w0, 5, 4) : WF_RIGHTS_ALL;
}

/* c with its rights intersected with mask (rights only shrink). */
static inline struct cap cap_mask_rights(struct cap c, uint64_t mask)
{
    if (cap_has_rights(c))
        c.w0 = cap_field_set(c.w0, 5, 4, cap_rights(c) & mask & WF_RIGHTS_ALL);
    return c;
}

static inline uint64_t cap_badge(struct cap c)
{
    return cap_has_badge(c) ? c.w1 : 0;
}

static inline struct cap cap_set_badge(struct cap c, uint64_t badge)
{
    assert(cap_has_badge(c));
    c.w1 = badge;
    return c;
}

/* The kernel address of the object a cap refers to (NULL for null, untyped and
 * zombie caps; see the zombie accessors for theirs). */
static inline void *cap_object(struct cap c)
{
    switch (cap_type(c)) {
    case CAP_CNODE:
    case CAP_TCB:
    case CAP_ENDPOINT:
    case CAP_NOTIFICATION:
    case CAP_REPLY:
    case CAP_POOL:
    case CAP_VMO:
    case CAP_VSPACE:
        return cap_ptr_unpack(c.w0);
    default:
        return NULL;
    }
}

/* --- interrupt lines and I/O ports (no memory behind them) ------------------- */

static inline struct cap cap_irq_control_new(void)
{
    return (struct cap){CAP_IRQ_CONTROL, 0};
}

/* The machine's power (decision 184): no bits of its own. */
static inline struct cap cap_power_new(void)
{
    return (struct cap){CAP_POWER, 0};
}

/* The handler cap of interrupt line `line`. */
static inline struct cap cap_irq_handler_new(unsigned line)
{
    return (struct cap){CAP_IRQ_HANDLER, line};
}

static inline unsigned cap_irq_handler_line(struct cap c)
{
    return (unsigned)c.w1;
}

/* An IOPort cap for ports [first, last] (first <= last <= 0xffff). */
static inline struct cap cap_ioport_new(unsigned first, unsigned last)
{
    assert(first <= last && last <= 0xffff);
    return (struct cap){CAP_IOPORT, (uint64_t)first | (uint64_t)last << 16};
}

static inline unsigned cap_ioport_first(struct cap c)
{
    return (unsigned)cap_field(c.w1, 0, 16);
}

static inline unsigned cap_ioport_last(struct cap c)
{
    return (unsigned)cap_field(c.w1, 16, 16);
}

/* --- pool-made kernel objects ----------------------------------------------- */

#define CAP_POOLED (1ull << 19)

/* True when c (a kernel object cap or a zombie) names an object made from a pool. */
static inline bool cap_pooled(struct cap c)
{
    return c.w0 & CAP_POOLED;
}

/* c marked as naming a pool-made object (CNode, TCB, Endpoint, Notification,
 * Reply, or a ROOT/ELEMENT zombie). */
static inline struct cap cap_set_pooled(struct cap c, bool pooled)
{
    c.w0 = (c.w0 & ~CAP_POOLED) | (pooled ? CAP_POOLED : 0);
    return c;
}

/* --- zombies ----------------------------------------------------------------- */

static inline enum zombie_role cap_zombie_role(struct cap c)
{
    return (enum zombie_role)cap_field(c.w0, 5, 2);
}

static inline enum zombie_kind cap_zombie_kind(struct cap c)
{
    return (enum zombie_kind)cap_field(c.w0, 7, 1);
}

static inline unsigned cap_zombie_radix(struct cap c)
{
    return (unsigned)cap_field(c.w0, 8, 6);
}

/* A ROOT zombie for obj whose slots [rem, n) are empty. */
static inline struct cap cap_zombie_root(enum zombie_kind kind, unsigned radix, void *obj,
                                         uint64_t rem)
{
    uint64_t w0 = CAP_ZOMBIE | (uint64_t)ZOMBIE_ROOT << 5 | (uint64_t)kind << 7 |
                  (uint64_t)radix << 8 | cap_ptr_pack(obj);
    return (struct cap){w0, rem};
}

static inline void *cap_zombie_root_object(struct cap c)
{
    return cap_ptr_unpack(c.w0);
}

static inline uint64_t cap_zombie_root_rem(struct cap c)
{
    return c.w1;
}

/* An ELEMENT (or SENTINEL) zombie with ring links prev and next; for an element,
 * slots [top + 1, n) of its object are empty. */
static inline struct cap cap_zombie_ring(enum zombie_role role, enum zombie_kind kind,
                                         unsigned radix, uint64_t top, struct slot *prev,
                                         struct slot *next)
{
    assert(role != ZOMBIE_ROOT && top < (1ull << ZOMBIE_TOP_BITS));
    uint64_t w0 = CAP_ZOMBIE | (uint64_t)role << 5 | (uint64_t)kind << 7 | (uint64_t)radix << 8 |
                  cap_ptr_pack(prev);
    return (struct cap){w0, cap_ptr_pack(next) | top};
}

static inline struct slot *cap_ring_prev(struct cap c)
{
    return (struct slot *)cap_ptr_unpack(c.w0);
}

static inline struct slot *cap_ring_next(struct cap c)
{
    return (struct slot *)cap_ptr_unpack(c.w1);
}

static inline uint64_t cap_ring_top(struct cap c)
{
    return cap_field(c.w1, 0, ZOMBIE_TOP_BITS);
}

static inline struct cap cap_ring_set_prev(struct cap c, struct slot *prev)
{
    c.w0 = (c.w0 & ((1ull << 20) - 1)) | cap_ptr_pack(prev);
    return c;
}

static inline struct cap cap_ring_set_next(struct cap c, struct slot *next)
{
    c.w1 = (c.w1 & ((1ull << 20) - 1)) | cap_ptr_pack(next);
    return c;
}

static inline struct cap cap_ring_set_top(struct cap c, uint64_t top)
{
    c.w1 = cap_field_set(c.w1, 0, ZOMBIE_TOP_BITS, top);
    return c;
}

/* --- slots --------------------------------------------------------------------- */

static inline struct slot *slot_prev(const struct slot *s)
{
    return (struct slot *)s->prev;
}

static inline struct slot *slot_next(const struct slot *s)
{
    return (struct slot *)(s->next & ~SLOT_FLAGS);
}

static inline bool slot_revocable(const struct slot *s)
{
    return s->next & SLOT_REVOCABLE;
}

static inline bool slot_first_badged(const struct slot *s)
{
    return s->next & SLOT_FIRST_BADGED;
}

static inline void slot_set_next(struct slot *s, struct slot *next)
{
    s->next = (uintptr_t)next | (s->next & SLOT_FLAGS);
}

static inline void slot_set_prev(struct slot *s, struct slot *prev)
{
    s->prev = (uintptr_t)prev;
}

static inline bool slot_is_empty(const struct slot *s)
{
    return cap_is_null(s->cap);
}

#endif
