/*
 * Host tests of the merge of a hidden VMO into its last child (decision 172;
 * kernel/mm/vmo_merge.c), through the generated stubs (deletions and clones
 * restarted with small work budgets) and the in-kernel API, checked after every
 * step against
 *  - a contents model per VMO (a clone must look like a copy, whatever merged);
 *  - the shape of every VMO tree: each window's counts, each VMO's committed
 *    clusters and tree bytes, no cluster held by two VMOs;
 *  - the pools, to the byte: a pool's usage is its slab clusters, the clusters
 *    and the tree memory outside the slab of every VMO charged to it, and what
 *    its child pools use; a root pool's usage is what its instance gave out;
 *  - the mappings of a VSpace: a page mapped shows the cluster its VMO sees
 *    now (never a freed one), writable only when the VMO owns it;
 *  - the clone tree: a hidden VMO's children know it, and (where every clone
 *    can be merged) none is left with a single child.
 * Fixed cases cover each way a merge goes: into the original or the clone, the
 * child shadowed or not, a limit shrunk, chains of 3 and 4 generations
 * destroyed in every order, a child pool taking the charge or unable to, a
 * pool of another instance, a merge stopped midway while the tree changes, and
 * 500 generations of clone and destroy.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "cap/decode_gen.h"
#include "cap/invoke.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "test_cap_world.h"

#define POOL  10 /* root pool of the VMOs */
#define CPOOL 11 /* child pool of POOL */
#define OPOOL 12 /* another root pool: another instance */
#define VPOOL 13 /* root pool of the VSpace */
#define VS    14
#define V0    20 /* VMO k is in slot V0 + k */
#define NV    8
#define DEEP  64
#define BASE  0x10000000ull
#define SPAN  (16ull << 20) /* VMO k is mapped at BASE + k * SPAN */
#define MAXPG 2048u         /* pages in the model of a VMO (8 MiB) */

static struct slot *slot(unsigned i)
{
    return &W.root[i];
}

static struct vmo *vmo(unsigned k)
{
    return slot_is_empty(slot(V0 + k)) ? NULL : vmo_from_cap(slot(V0 + k)->cap);
}

static struct pool *pool(unsigned s)
{
    return pool_from_cap(slot(s)->cap);
}

static uint64_t usage(unsigned s)
{
    wf_word_t u = ~0ull, l, o, f;
    cr_assert_eq(wf_pool_info(s, &u, &l, &o, &f), WF_ERR_OK);
    return u;
}

static uint64_t objects(unsigned s)
{
    wf_word_t u, l, o = ~0ull, f;
    cr_assert_eq(wf_pool_info(s, &u, &l, &o, &f), WF_ERR_OK);
    return o;
}

/* The world: POOL (16 MiB) with CPOOL (quota cquota) under it, OPOOL and VPOOL
 * (8 MiB each, other instances), a VSpace from VPOOL. */
static void world(uint64_t cquota)
{
    world_init(26, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 24, POOL, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 23, OPOOL, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_POOL, 23, VPOOL, 1);
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_POOL, cquota, WORLD_ROOT_CNODE, CPOOL, DEEP),
                 WF_ERR_OK);
    cr_assert_eq(wf_pool_create(VPOOL, WF_OBJ_VSPACE, 0, WORLD_ROOT_CNODE, VS, DEEP), WF_ERR_OK);
    W.budget = PREEMPT_UNITS_DEFAULT;
}

/* Everything revoked: every pool back to nothing. */
static void world_end(void)
{
    W.budget = PREEMPT_UNITS_DEFAULT;
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, POOL, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, OPOOL, DEEP), WF_ERR_OK);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, VPOOL, DEEP), WF_ERR_OK);
    cr_assert_eq(usage(POOL), 0);
    cr_assert_eq(usage(OPOOL), 0);
    cr_assert_eq(objects(POOL), 0);
    cr_assert_eq(objects(OPOOL), 0);
    for (unsigned s = POOL; s <= OPOOL; s += OPOOL - POOL)
        cr_assert_eq(pool(s)->pm->free_bytes, pool(s)->pm->managed_bytes);
    world_fini();
}

/* --- the model ------------------------------------------------------------------- */

static uint64_t model[NV][MAXPG];
static uint64_t msize[NV];    /* bytes; 0: no VMO */
static uint64_t mmapped[NV];  /* bytes mapped at BASE + k * SPAN (0: none) */
static bool strict;           /* no hidden VMO may keep one child */
static uint64_t copies_limit; /* cow_copies may not pass it (UINT64_MAX: any) */

static bool tolerant; /* a write or a fault may find its pool exhausted */

static void put(unsigned k, uint64_t page, uint64_t val)
{
    preempt_begin(UINT32_MAX);
    enum wf_error e = vmo_write(vmo(k), page * PAGE_SIZE + 40, &val, 8);
    cr_assert(e == WF_ERR_OK || (tolerant && e == WF_ERR_NOT_ENOUGH_MEMORY), "write: %d", e);
    if (e == WF_ERR_OK)
        model[k][page] = val;
}

static uint64_t get(unsigned k, uint64_t page)
{
    uint64_t x = ~0ull;
    preempt_begin(UINT32_MAX);
    cr_assert_eq(vmo_read(vmo(k), page * PAGE_SIZE + 40, &x, 8), WF_ERR_OK);
    return x;
}

static void make(unsigned k, uint64_t size, bool map)
{
    cr_assert_eq(wf_pool_create(POOL, WF_OBJ_VMO, size, WORLD_ROOT_CNODE, V0 + k, DEEP), WF_ERR_OK);
    memset(model[k], 0, sizeof(model[k]));
    msize[k] = size;
    mmapped[k] = 0;
    if (map) {
        cr_assert_eq(wf_vspace_map(VS, V0 + k, BASE + k * SPAN, 0, size, WF_VM_READ | WF_VM_WRITE),
                     WF_ERR_OK);
        mmapped[k] = size;
    }
}

/* Clones VMO k into j from the pool in slot p (mapped when k is). */
static enum wf_error clone_into(unsigned k, unsigned j, unsigned p)
{
    enum wf_error e = wf_vmo_clone(V0 + k, p, WORLD_ROOT_CNODE, V0 + j, DEEP);
    if (e != WF_ERR_OK)
        return e;
    memcpy(model[j], model[k], sizeof(model[k]));
    msize[j] = msize[k];
    mmapped[j] = 0;
    if (mmapped[k]) {
        mmapped[j] = MIN(mmapped[k], msize[j]);
        cr_assert_eq(
            wf_vspace_map(VS, V0 + j, BASE + j * SPAN, 0, mmapped[j], WF_VM_READ | WF_VM_WRITE),
            WF_ERR_OK);
    }
    return WF_ERR_OK;
}

static void del(unsigned k)
{
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, V0 + k, DEEP), WF_ERR_OK);
    msize[k] = 0;
    mmapped[k] = 0;
}

static void resize(unsigned k, uint64_t size)
{
    cr_assert_eq(wf_vmo_resize(V0 + k, size), WF_ERR_OK);
    for (uint64_t p = size / PAGE_SIZE; p < MAXPG; p++)
        model[k][p] = 0;
    msize[k] = size;
}

/* A user's access through the VSpace: a read or a write of a value. */
static void touch(unsigned k, uint64_t page, bool write, uint64_t val)
{
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    vaddr_t va = BASE + k * SPAN + page * PAGE_SIZE + 40;
    preempt_begin(UINT32_MAX);
    uint64_t x = ~0ull;
    enum wf_error e = write ? vspace_write(vs, va, &val, 8) : vspace_read(vs, va, &x, 8);
    cr_assert(e == WF_ERR_OK || (tolerant && e == WF_ERR_NOT_ENOUGH_MEMORY), "access: %d", e);
    if (e == WF_ERR_OK && write)
        model[k][page] = val;
    if (e == WF_ERR_OK && !write)
        cr_assert_eq(x, model[k][page], "VMO %u page %llu through the VSpace", k,
                     (unsigned long long)page);
}

/* Lookups a VMO's read may visit: itself and its ancestors. */
static unsigned depth(const struct vmo *v)
{
    unsigned d = 0;
    for (; v; v = v->parent)
        d++;
    return d;
}

/* The cluster v sees at ci (the kernel's lookup rule), *own when v's. */
static paddr_t seen(const struct vmo *v, uint64_t ci, bool *own)
{
    *own = true;
    for (const struct vmo *a = v; a; a = a->parent) {
        bool nomem = false;
        struct vmo_window *win = vmo_window((struct vmo *)a, ci / VMO_WIN_CLUSTERS, false, &nomem);
        if (win && win->cl[ci % VMO_WIN_CLUSTERS])
            return win->cl[ci % VMO_WIN_CLUSTERS];
        if ((ci << CLUSTER_SHIFT) >= a->parent_limit)
            break;
        *own = false;
    }
    return 0;
}

/* --- the checks ------------------------------------------------------------------ */

#define MAXV 64
static struct vmo *live[MAXV];
static unsigned nlive;
static paddr_t held[1 << 14];
static unsigned nheld;

/* Bytes a pool is charged outside its slab for an allocation of size bytes. */
static uint64_t outside_slab(size_t size)
{
    unsigned s = POOL_SLAB_MIN_SHIFT;
    while ((1ull << s) < size)
        s++;
    if (s <= POOL_SLAB_MAX_SHIFT &&
        (uint64_t)(CLUSTER_SIZE >> s) >= (ALIGN_UP(32ull, 1ull << s) >> s) + 2)
        return 0;
    return pmm_order_bytes(pool_order_for(size));
}

struct tree_count {
    uint64_t nodes, windows, clusters;
};

static void count_tree(const struct vmo *v, void *node, unsigned level, struct tree_count *c)
{
    if (!node)
        return;
    if (level == 0) {
        const struct vmo_window *win = node;
        unsigned present = 0, foreign = 0;
        for (unsigned i = 0; i < VMO_WIN_CLUSTERS; i++) {
            if (!win->cl[i])
                continue;
            present++;
            foreign += !vmo_from_resv(win, i);
            cr_assert_lt(nheld, sizeof(held) / sizeof(held[0]));
            held[nheld++] = win->cl[i];
        }
        cr_assert_eq(win->present, present, "a window's present count");
        cr_assert_eq(win->foreign, foreign, "a window's foreign count");
        c->windows++;
        c->clusters += present;
        return;
    }
    c->nodes++;
    for (unsigned k = 0; k < VMO_NODE_SLOTS; k++)
        count_tree(v, ((void **)node)[k], level - 1, c);
}

static int cmp_pa(const void *a, const void *b)
{
    paddr_t x = *(const paddr_t *)a, y = *(const paddr_t *)b;
    return x < y ? -1 : x > y;
}

static void add_live(struct vmo *v)
{
    for (; v; v = v->parent) {
        for (unsigned i = 0; i < nlive; i++)
            if (live[i] == v)
                return;
        cr_assert_lt(nlive, MAXV);
        live[nlive++] = v;
    }
}

/* Every check of the header comment, after a completed step. */
static void check_world(const char *what)
{
    nlive = nheld = 0;
    for (unsigned k = 0; k < NV; k++)
        if (vmo(k))
            add_live(vmo(k));
    uint64_t expect[3] = {0};
    const unsigned pools[3] = {POOL, CPOOL, OPOOL};
    for (unsigned i = 0; i < nlive; i++) {
        struct vmo *v = live[i];
        struct tree_count c = {0};
        count_tree(v, v->root, v->levels, &c);
        cr_assert_eq(v->committed, c.clusters, "%s: committed", what);
        cr_assert_eq(v->tree_bytes, c.nodes * PAGE_SIZE + c.windows * sizeof(struct vmo_window),
                     "%s: tree bytes", what);
        for (unsigned p = 0; p < 3; p++)
            if (v->pool == pool(pools[p]))
                expect[p] += v->committed * CLUSTER_SIZE + c.nodes * outside_slab(PAGE_SIZE) +
                             c.windows * outside_slab(sizeof(struct vmo_window));
        /* the clone tree */
        if (v->kind == VMO_HIDDEN) {
            unsigned n = (v->child[0] != NULL) + (v->child[1] != NULL);
            cr_assert_eq(n, v->children, "%s: a hidden VMO's children", what);
            for (unsigned j = 0; j < 2; j++)
                cr_assert(!v->child[j] || v->child[j]->parent == v, "%s: child's parent", what);
            cr_assert(!strict || v->children == 2, "%s: a hidden VMO kept one child", what);
        }
        if (v->parent)
            cr_assert(v->parent->child[0] == v || v->parent->child[1] == v,
                      "%s: the parent does not know its child", what);
    }
    qsort(held, nheld, sizeof(held[0]), cmp_pa);
    for (unsigned i = 1; i < nheld; i++)
        cr_assert_neq(held[i], held[i - 1], "%s: a cluster held twice", what);
    for (unsigned p = 0; p < 3; p++) {
        struct pool *q = pool(pools[p]);
        uint64_t want = q->slab_bytes + expect[p] + (pools[p] == POOL ? pool(CPOOL)->usage : 0);
        cr_assert_eq(q->usage, want, "%s: pool %u uses %llu, holds %llu", what, pools[p],
                     (unsigned long long)q->usage, (unsigned long long)want);
        if (!q->parent) {
            pmm_verify(q->pm);
            cr_assert_eq(q->usage, q->pm->managed_bytes - q->pm->free_bytes - q->pm->untaken_bytes,
                         "%s: pool %u against its instance", what, pools[p]);
        }
    }
    /* the mappings */
    struct vspace *vs = vspace_from_cap(slot(VS)->cap);
    for (unsigned k = 0; k < NV; k++) {
        struct vmo *v = vmo(k);
        for (uint64_t off = 0; v && off < mmapped[k]; off += PAGE_SIZE) {
            paddr_t pa;
            unsigned access, level;
            if (!vspace_translate(vs, BASE + k * SPAN + off, &pa, &access, &level))
                continue;
            bool own;
            cr_assert_lt(off, v->size, "%s: VMO %u mapped past its size", what, k);
            paddr_t cl = seen(v, off >> CLUSTER_SHIFT, &own);
            cr_assert_eq(pa, cl + (off & (CLUSTER_SIZE - 1)),
                         "%s: VMO %u offset %#llx maps %#llx, the VMO sees %#llx", what, k,
                         (unsigned long long)off, (unsigned long long)pa, (unsigned long long)cl);
            cr_assert(own || !(access & VM_WRITE), "%s: VMO %u writes a shared cluster", what, k);
        }
    }
    /* the contents */
    for (unsigned k = 0; k < NV; k++)
        for (uint64_t p = 0; vmo(k) && p < msize[k] / PAGE_SIZE; p++)
            cr_assert_eq(get(k, p), model[k][p], "%s: VMO %u page %llu", what, k,
                         (unsigned long long)p);
    cr_assert_leq(vm_stats.cow_copies, copies_limit, "%s: a copy", what);
}

static void begin(uint64_t cquota)
{
    world(cquota);
    memset(msize, 0, sizeof(msize));
    memset(mmapped, 0, sizeof(mmapped));
    strict = true;
    tolerant = false;
    copies_limit = UINT64_MAX;
}

/* --- fixed cases ---------------------------------------------------------------- */

#define SIZE (5ull << 20) /* two whole windows and a part */
#define NPG  (SIZE / PAGE_SIZE)

/* VMO 0 of SIZE, mapped, written at every 3rd page. */
static void fill0(void)
{
    make(0, SIZE, true);
    for (uint64_t p = 0; p < NPG; p += 3)
        put(0, p, 0x1000 + p);
}

Test(vm_merge, the_clone_goes_first_the_original_takes_everything_back)
{
    for (int shadow = 0; shadow < 2; shadow++) {
        begin(1 << 20);
        fill0();
        for (uint64_t p = 0; p < NPG; p += 7) /* pages of zeros get clusters too */
            touch(0, p, false, 0);
        uint64_t before = usage(POOL);
        uint64_t before_objects = objects(POOL);
        cr_assert_eq(clone_into(0, 1, POOL), WF_ERR_OK);
        strict = false; /* the pair is alive */
        if (shadow) {   /* both write: the hidden copies of those clusters are nobody's */
            put(0, 3, 11);
            put(0, 600, 12);
            put(1, 3, 13);
            put(1, 900, 14);
        }
        for (uint64_t p = 0; p < NPG; p += 7) /* the original maps the shared clusters */
            touch(0, p, false, 0);
        check_world("clone made");
        strict = true;
        uint64_t moves = vm_stats.merge_moves, merges = vm_stats.merges;
        del(1);
        check_world("clone gone");
        struct vmo *v = vmo(0);
        cr_assert_null(v->parent, "the hidden VMO went");
        cr_assert_eq(depth(v), 1);
        cr_assert_eq(vm_stats.merges, merges + 1);
        cr_assert_gt(vm_stats.merge_moves, moves);
        cr_assert_eq(objects(POOL), before_objects);
        cr_assert_eq(usage(POOL), before, "shadow %d: %llu after, %llu before", shadow,
                     (unsigned long long)usage(POOL), (unsigned long long)before);
        /* what it mapped read-only is its own now: a write faults and copies nothing */
        copies_limit = vm_stats.cow_copies;
        for (uint64_t p = 0; p < NPG; p += 7)
            touch(0, p, true, 0x7000 + p);
        check_world("writes after the merge");
        world_end();
    }
}

Test(vm_merge, the_original_goes_first_the_clone_takes_its_place)
{
    for (int shadow = 0; shadow < 2; shadow++) {
        begin(1 << 20);
        fill0();
        cr_assert_eq(clone_into(0, 1, POOL), WF_ERR_OK);
        for (uint64_t p = 0; p < NPG; p += 5)
            touch(1, p, false, 0);
        if (shadow) {
            put(0, 6, 21);
            put(1, 6, 22);
            put(1, 1100, 23);
        }
        uint64_t before = usage(POOL);
        del(0);
        check_world("original gone");
        cr_assert_null(vmo(1)->parent);
        if (shadow)
            cr_assert_leq(usage(POOL), before - 3 * CLUSTER_SIZE,
                          "the original's and the hidden VMO's copies were freed");
        else
            cr_assert_leq(usage(POOL), before);
        copies_limit = vm_stats.cow_copies;
        for (uint64_t p = 0; p < NPG; p += 5)
            touch(1, p, true, 0x8000 + p);
        check_world("writes after the merge");
        world_end();
    }
}

/* A clone from a child pool outlives the original: the clusters it sees move to
 * it and their charge to its pool; with a quota too small the merge stops and
 * the hidden VMO stays, and everything still balances. */
Test(vm_merge, a_clone_of_a_child_pool_takes_the_charge_or_keeps_the_hidden_vmo)
{
    for (int small = 0; small < 2; small++) {
        begin(small ? 512 << 10 : 8 << 20);
        fill0();
        cr_assert_eq(clone_into(0, 1, CPOOL), WF_ERR_OK);
        put(1, 9, 31);
        uint64_t child_before = usage(CPOOL);
        strict = !small;
        del(0);
        check_world("original gone");
        if (small) {
            cr_assert_not_null(vmo(1)->parent, "the hidden VMO stays");
            cr_assert_eq(vmo(1)->parent->children, 1);
            cr_assert_leq(usage(CPOOL), 512 << 10);
        } else {
            cr_assert_null(vmo(1)->parent);
            cr_assert_geq(usage(CPOOL), child_before + (vmo(1)->committed - 1) * CLUSTER_SIZE,
                          "the moved clusters are charged to the clone's pool");
        }
        put(1, 12, 32);
        check_world("a write after");
        del(1);
        check_world("all gone");
        cr_assert_eq(usage(CPOOL), 0);
        cr_assert_eq(usage(POOL), pool(CPOOL)->slab_bytes + pool(POOL)->slab_bytes);
        world_end();
    }
}

/* A clone from a pool of another instance cannot take the clusters: the hidden
 * VMO stays (correct, not compacted) until the clone goes. */
Test(vm_merge, a_clone_of_another_instance_keeps_the_hidden_vmo)
{
    begin(1 << 20);
    fill0();
    cr_assert_eq(clone_into(0, 1, OPOOL), WF_ERR_OK);
    put(1, 15, 41);
    strict = false;
    del(0);
    check_world("original gone");
    cr_assert_not_null(vmo(1)->parent);
    cr_assert_eq(vmo(1)->parent->pool, pool(POOL));
    del(1);
    check_world("all gone");
    cr_assert_eq(objects(POOL), 1, "the child pool alone");
    world_end();
}

/* A clone shrunk (and grown again) sees nothing of the hidden VMO past the
 * shrink: those clusters are freed, not moved; a size inside a cluster too. */
Test(vm_merge, a_shrunk_limit_frees_what_the_child_cannot_see)
{
    const uint64_t cuts[] = {3ull << 20, (1ull << 20) + 5 * PAGE_SIZE, PAGE_SIZE, SIZE};
    for (unsigned c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
        for (int first = 0; first < 2; first++) {
            begin(1 << 20);
            fill0();
            cr_assert_eq(clone_into(0, 1, POOL), WF_ERR_OK);
            resize(1, cuts[c]);
            resize(1, SIZE);
            put(1, 1, 51);
            if (first) { /* the shrunk one goes: the original takes all back */
                del(1);
                check_world("shrunk clone gone");
                cr_assert_null(vmo(0)->parent);
            } else {
                del(0);
                check_world("original of a shrunk clone gone");
                cr_assert_null(vmo(1)->parent);
            }
            world_end();
        }
    }
}

/* A chain of generations destroyed in every order: V, a clone C1 of V, C2 of
 * C1, C3 of C2 (three hidden VMOs stacked), each writing after its clone. */
static void next_perm(unsigned *a, unsigned n)
{
    int i = (int)n - 2;
    while (i >= 0 && a[i] > a[i + 1])
        i--;
    if (i < 0)
        return;
    int j = (int)n - 1;
    while (a[j] < a[i])
        j--;
    unsigned t = a[i];
    a[i] = a[j];
    a[j] = t;
    for (unsigned l = (unsigned)i + 1, r = n - 1; l < r; l++, r--) {
        t = a[l];
        a[l] = a[r];
        a[r] = t;
    }
}

Test(vm_merge, chains_of_generations_destroyed_in_every_order)
{
    for (unsigned gens = 3; gens <= 4; gens++) {
        unsigned order[4] = {0, 1, 2, 3};
        unsigned perms = gens == 3 ? 6 : 24;
        for (unsigned n = 0; n < perms; n++, next_perm(order, gens)) {
            begin(12 << 20);
            fill0();
            for (unsigned g = 1; g < gens; g++) {
                cr_assert_eq(clone_into(g - 1, g, g % 2 ? CPOOL : POOL), WF_ERR_OK);
                put(g, 3 * g, 0x100 * g);        /* shadows a shared cluster */
                put(g - 1, 3 * g + 1, 0x10 * g); /* and on the other side */
                touch(g, 300 + 3 * g, false, 0);
            }
            strict = false;
            check_world("chain made");
            cr_assert_eq(depth(vmo(gens - 1)), gens, "each clone stacks a hidden VMO");
            strict = true;
            for (unsigned d = 0; d < gens; d++) {
                del(order[d]);
                check_world("a generation gone");
                for (unsigned k = 0; k < gens; k++)
                    cr_assert(!vmo(k) || depth(vmo(k)) <= gens - d - 1,
                              "VMO %u: depth %u after %u deletions", k, depth(vmo(k)), d + 1);
            }
            world_end();
        }
    }
}

/* A merge restarted with budgets down to one unit gives what an uninterrupted
 * one gives; and one stopped midway while the survivor is written, faulted,
 * cloned, or destroyed stays correct. */
Test(vm_merge, a_merge_is_restarted_and_correct_with_tiny_budgets)
{
    for (uint32_t budget = 1; budget <= 3; budget++) {
        begin(1 << 20);
        fill0();
        put(0, NPG - 1, 0x55);
        cr_assert_eq(clone_into(0, 1, POOL), WF_ERR_OK);
        put(0, 600, 61); /* the original holds a window: the merge goes window by window */
        W.budget = budget;
        del(1);
        cr_assert_geq(W.restarts, 1, "budget %u: %u restarts", budget, W.restarts);
        W.budget = PREEMPT_UNITS_DEFAULT;
        check_world("restarted merge");
        cr_assert_null(vmo(0)->parent);
        world_end();
    }
}

/* One attempt of deleting VMO k with a budget, not re-executed. */
static enum wf_error delete_attempt(unsigned k, uint32_t budget)
{
    const wf_word_t w[2] = {V0 + k, DEEP};
    struct invocation inv = {.slot = slot(WORLD_ROOT_CNODE),
                             .label = WF_LABEL_CNODE_DELETE,
                             .args = w,
                             .nargs = 2,
                             .reaper = &W.reaper};
    preempt_begin(budget);
    return cap_invoke(&inv);
}

Test(vm_merge, a_merge_stopped_midway_while_the_tree_changes)
{
    for (unsigned meanwhile = 0; meanwhile < 4; meanwhile++) {
        begin(1 << 20);
        fill0();
        cr_assert_eq(clone_into(0, 1, POOL), WF_ERR_OK);
        put(0, 600, 71); /* window by window, not the whole tree at once */
        put(1, 601, 72);
        bool midway = false; /* part of the hidden VMO moved, part not yet */
        for (unsigned i = 0; i < 64 && !midway; i++) {
            cr_assert_eq(delete_attempt(1, 1), WF_ERR_PREEMPTED, "attempt %u", i);
            midway = vmo(0)->parent && vmo(0)->parent->root && vmo(0)->committed > 1;
        }
        cr_assert(midway, "the merge never stopped midway");
        strict = false;
        switch (meanwhile) {
        case 0: /* the survivor writes and faults */
            put(0, 0, 73);
            put(0, NPG - 2, 74);
            touch(0, 9, true, 75);
            touch(0, 1200, false, 0);
            break;
        case 1: /* the survivor is cloned: the merge goes on into the new hidden VMO */
            cr_assert_eq(clone_into(0, 2, POOL), WF_ERR_OK);
            put(2, 30, 76);
            put(0, 33, 77);
            break;
        case 2: /* the survivor shrinks */
            resize(0, 2ull << 20);
            break;
        default: /* the survivor goes too: the hidden VMO dies with the second */
            del(0);
            break;
        }
        del(1); /* finishes */
        strict = meanwhile != 1;
        check_world("the deletion finished");
        if (meanwhile == 1) {
            del(2);
            strict = true;
            check_world("the second clone gone");
        }
        if (meanwhile != 3)
            cr_assert_null(vmo(0)->parent);
        world_end();
    }
}

/* A window the original had complete (its reservation full) is one superpage
 * again once the merge gave it back. */
Test(vm_merge, a_complete_window_is_a_superpage_again_after_the_merge)
{
    begin(1 << 20);
    make(0, SIZE, false);
    for (uint64_t p = 0; p < (2ull << 20) / PAGE_SIZE; p += CLUSTER_SIZE / PAGE_SIZE)
        put(0, p, p + 1);
    if (!vmo_super_pa(vmo(0), 0)) { /* no reservation could be had: nothing to test */
        world_end();
        return;
    }
    for (int adopt = 0; adopt < 2; adopt++) {
        cr_assert_eq(clone_into(0, 1, POOL), WF_ERR_OK);
        cr_assert_eq(vmo_super_pa(vmo(0), 0), 0, "a clone's window is shared");
        if (!adopt)
            put(0, 600, 81); /* a window of its own: the merge goes window by window */
        del(1);
        check_world("the clone gone");
        cr_assert_neq(vmo_super_pa(vmo(0), 0), 0, "adopt %d: the window is whole again", adopt);
    }
    world_end();
}

/* 500 generations of clone and destroy, the survivor alternating between the
 * original and the clone, both writing: the pool uses what it used after the
 * first, and a lookup visits one VMO. */
Test(vm_merge, five_hundred_generations_stay_one_deep_and_use_the_same_memory)
{
    begin(1 << 20);
    make(0, SIZE, true);
    for (uint64_t p = 0; p < NPG; p++) /* every cluster present: writes take none */
        put(0, p, p);
    unsigned cur = 0;
    uint64_t start = 0;
    for (unsigned g = 0; g < 500; g++) {
        unsigned other = 1 - cur;
        cr_assert_eq(clone_into(cur, other, POOL), WF_ERR_OK);
        put(cur, g % NPG, g);
        put(other, (g * 7) % NPG, g + 1);
        touch(other, (g * 11) % NPG, false, 0);
        if (g % 2) {
            del(other);
        } else {
            del(cur);
            cur = other;
        }
        cr_assert_eq(depth(vmo(cur)), 1, "generation %u", g);
        if (g == 0)
            start = usage(POOL);
        cr_assert_eq(usage(POOL), start, "generation %u: %llu, first %llu", g,
                     (unsigned long long)usage(POOL), (unsigned long long)start);
        if (g % 50 == 0)
            check_world("a generation");
    }
    check_world("500 generations");
    world_end();
}

/* --- random operations against the model ---------------------------------------- */

static void random_run(unsigned seed, bool mixed)
{
    begin(mixed ? 1 << 20 : 8 << 20);
    srand(seed);
    make(0, SIZE, true);
    for (uint64_t p = 0; p < NPG; p += 5)
        put(0, p, 0x2000 + p);
    strict = !mixed;
    tolerant = mixed;
    uint64_t moves = vm_stats.merge_moves;
    for (unsigned step = 0; step < 400; step++) {
        unsigned k = (unsigned)rand() % NV;
        W.budget = rand() % 3 ? PREEMPT_UNITS_DEFAULT : 1 + (unsigned)rand() % 3;
        if (!vmo(k)) {
            if (step % 5 == 0)
                make(k, SIZE - (unsigned)(rand() % 8) * PAGE_SIZE, rand() % 2);
            continue;
        }
        uint64_t p = (uint64_t)rand() % (msize[k] / PAGE_SIZE);
        int op = rand() % 20;
        if (op < 7) {
            put(k, p, ((uint64_t)step << 16) | (k << 8) | 1);
        } else if (op < 9 && mmapped[k] && p * PAGE_SIZE < mmapped[k]) {
            touch(k, p, op == 8, ((uint64_t)step << 16) | (k << 8) | 2);
        } else if (op < 13) {
            unsigned j = 0;
            while (j < NV && vmo(j))
                j++;
            if (j == NV)
                continue;
            unsigned pools[3] = {POOL, CPOOL, OPOOL};
            enum wf_error e = clone_into(k, j, mixed ? pools[rand() % 3] : POOL);
            cr_assert(e == WF_ERR_OK || (mixed && e == WF_ERR_NOT_ENOUGH_MEMORY), "clone: %d", e);
        } else if (op < 18) {
            del(k);
        } else {
            resize(k, op == 18 ? (p + 1) * PAGE_SIZE : SIZE);
        }
        check_world("random step");
    }
    cr_assert_gt(vm_stats.merge_moves, moves, "seed %u: no merge moved anything", seed);
    world_end();
}

Test(vm_merge, random_clones_writes_and_deletions_against_the_model)
{
    for (unsigned seed = 1; seed <= 4; seed++)
        random_run(seed, false);
}

Test(vm_merge, random_operations_across_pools_and_instances)
{
    for (unsigned seed = 11; seed <= 14; seed++)
        random_run(seed, true);
}
