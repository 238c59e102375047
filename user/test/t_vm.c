/*
 * The VM from userspace (docs/architecture.md, Memory; docs/memory.md), with the
 * same expected results for every CLUSTER_ORDER (rule 1, ABI transparency):
 * demand-zero memory, copy-on-write isolation both ways after VMO_Clone,
 * Protect and Unmap of one 4 KiB page inside a cluster (the neighbours keep
 * working, the fault names exactly that page), a fault at the page next to a
 * one-page mapping, a child pool's quota and exhaustion (an error for
 * invocations, a fault message for a thread), revocation of a pool returning
 * its usage to zero, VSpace_Read/Write into a child, a fully touched 2 MiB
 * window (promoted by the kernel) surviving partial unmap and protect, and
 * kernel objects (endpoints, TCBs) made from a child pool: usable, charged to it,
 * destroyed by revoking it, and refused with NOT_ENOUGH_MEMORY past its quota.
 * A RANGE_ERROR names the argument and the bounds it had to keep (docs/api.md).
 * The kernel's VM counters (DEBUG_STAT) are the one place clusters show: a fault
 * maps a whole cluster, so touching n clusters counts n faults.
 *
 * Mappings of the root task go at TEST_VA; the arena's revocation after each
 * test destroys the VMOs and so removes them. Faulting accesses run in uchild.
 */
#include <string.h>

#include "tarch.h"
#include "tutil.h"
#include "weft/invocations.h"

#define PG  4096ull
#define CVA 0x10000000ull /* a free address in uchild's VSpace */

#define mem ((volatile uint8_t *)TEST_VA)

TEST(vm, demand_zero)
{
    const wf_word_t size = 256 * 1024;
    wf_cptr_t v = test_vmo(size);
    TEST_ASSERT(v);
    wf_word_t start, len, committed, kind;
    TEST_ASSERT_ERR(wf_vmo_present(v, 0, &start, &len), WF_ERR_OK);
    TEST_ASSERT_EQ(start, size);
    TEST_ASSERT_EQ(len, 0);
    TEST_ASSERT_ERR(wf_vmo_describe(v, 0, &kind, 0, &committed), WF_ERR_OK);
    TEST_ASSERT_EQ(kind, 0);
    TEST_ASSERT_EQ(committed, 0);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, size, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    mem[5 * PG + 17] = 0xab;
    TEST_ASSERT_ERR(wf_vmo_present(v, 0, &start, &len), WF_ERR_OK);
    TEST_ASSERT(start <= 5 * PG && start + len > 5 * PG, "present [%#llx, +%#llx)",
                (unsigned long long)start, (unsigned long long)len);
    TEST_ASSERT_ERR(wf_vmo_present(v, 192 * 1024, &start, &len), WF_ERR_OK);
    TEST_ASSERT_EQ(start, size); /* nothing touched up there */
    /* Every other byte reads as zero (reading fills pages in too). */
    for (wf_word_t off = 0; off < size; off += PG)
        TEST_ASSERT(mem[off] == 0 && mem[off + PG - 1] == 0, "page %#llx not zero",
                    (unsigned long long)off);
    TEST_ASSERT_ERR(wf_vmo_present(v, 0, &start, &len), WF_ERR_OK);
    TEST_ASSERT_EQ(start, 0);
    TEST_ASSERT_EQ(len, size);
    TEST_ASSERT_ERR(wf_vmo_describe(v, 0, 0, 0, &committed), WF_ERR_OK);
    TEST_ASSERT(committed >= PG);
    /* The VMO holds what was written, read back through VMO_Read. */
    static uint8_t buf[64];
    TEST_ASSERT_ERR(wf_vmo_read(v, 5 * PG, sizeof(buf), WF_ROOT_VSPACE, (uintptr_t)buf), WF_ERR_OK);
    TEST_ASSERT_EQ(buf[17], 0xab);
    TEST_ASSERT_EQ(buf[16], 0);
}

TEST(vm, cow_isolation_both_ways)
{
    TEST_ENV(e);
    const wf_word_t size = 128 * 1024;
    wf_cptr_t a = test_vmo(size), b = wf_env_slot(e);
    TEST_ASSERT(a && b);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, a, TEST_VA, 0, size, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    for (wf_word_t off = 0; off < size; off += PG)
        mem[off] = (uint8_t)(off / PG + 1);
    TEST_ASSERT_ERR(wf_vmo_clone(a, e->pool, WF_ROOT_CNODE, b, 64), WF_ERR_OK);
    wf_word_t kind;
    TEST_ASSERT_ERR(wf_vmo_describe(b, 0, &kind, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(kind, 2);
    volatile uint8_t *mb = mem + 0x100000;
    TEST_ASSERT_ERR(
        wf_vspace_map(WF_ROOT_VSPACE, b, TEST_VA + 0x100000, 0, size, WF_VM_READ | WF_VM_WRITE),
        WF_ERR_OK);
    for (wf_word_t off = 0; off < size; off += PG)
        TEST_ASSERT_EQ(mb[off], off / PG + 1);
    mem[0] = 0xa0;     /* the original's write: the clone keeps the old byte */
    mb[PG] = 0xb1;     /* the clone's write: the original keeps its own */
    mb[3 * PG] = 0xb3; /* another page of the same cluster */
    TEST_ASSERT_EQ(mb[0], 1);
    TEST_ASSERT_EQ(mem[PG], 2);
    TEST_ASSERT_EQ(mem[3 * PG], 4);
    TEST_ASSERT_EQ(mem[0], 0xa0);
    TEST_ASSERT_EQ(mb[PG], 0xb1);
    for (wf_word_t off = 4 * PG; off < size; off += PG) {
        TEST_ASSERT_EQ(mem[off], off / PG + 1);
        TEST_ASSERT_EQ(mb[off], off / PG + 1);
    }
    /* A later write to another page of the original leaves the clone alone. */
    mem[2 * PG] = 0xa2;
    TEST_ASSERT_EQ(mb[2 * PG], 3);
}

/* A child with a VMO of size bytes mapped at CVA (rights), not started. */
static enum wf_error child_with_vmo(struct wf_process *p, wf_cptr_t *v, wf_word_t size,
                                    wf_word_t rights)
{
    *v = test_vmo(size);
    if (!*v)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error e = test_child(p);
    return e ? e : wf_vspace_map(p->vspace, *v, CVA, 0, size, rights);
}

TEST(vm, protect_one_page_inside_a_cluster)
{
    struct wf_process p;
    wf_cptr_t v;
    const wf_word_t size = 64 * 1024;
    TEST_ASSERT_ERR(child_with_vmo(&p, &v, size, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_protect(p.vspace, CVA + 3 * PG, PG, WF_VM_READ), WF_ERR_OK);
    /* Rights beyond the mapping's are refused. */
    TEST_ASSERT_ERR(wf_vspace_protect(p.vspace, CVA + 3 * PG, PG, WF_VM_READ | WF_VM_EXEC | 8),
                    WF_ERR_INVALID_ARGUMENT);
    wf_word_t start, length, rights;
    TEST_ASSERT_ERR(wf_vspace_lookup(p.vspace, CVA + 3 * PG + 5, &start, &length, 0, &rights),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(start, CVA + 3 * PG);
    TEST_ASSERT_EQ(length, PG);
    TEST_ASSERT_EQ(rights, WF_VM_READ);
    TEST_ASSERT_ERR(test_child_start(&p, UC_POKE, CVA, size, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], CVA + 3 * PG); /* exactly that page */
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 2);            /* a write */
    /* Writable again, the write is retried and the child finishes. */
    TEST_ASSERT_ERR(wf_vspace_protect(p.vspace, CVA + 3 * PG, PG, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_fault_reply(p.main.reply, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    static uint8_t buf[64 * 1024];
    TEST_ASSERT_ERR(wf_vmo_read(v, 0, size, WF_ROOT_VSPACE, (uintptr_t)buf), WF_ERR_OK);
    for (wf_word_t i = 0; i < size; i++)
        TEST_ASSERT(buf[i] == UC_PATTERN(i), "byte %#llx", (unsigned long long)i);
}

TEST(vm, unmap_one_page_inside_a_cluster)
{
    struct wf_process p;
    wf_cptr_t v;
    const wf_word_t size = 64 * 1024;
    TEST_ASSERT_ERR(child_with_vmo(&p, &v, size, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    static uint8_t buf[64 * 1024];
    unsigned sum = 0;
    for (wf_word_t i = 0; i < size; i++) {
        buf[i] = (uint8_t)(i * 13 + 1);
        sum += buf[i];
    }
    TEST_ASSERT_ERR(wf_vmo_write(v, 0, size, WF_ROOT_VSPACE, (uintptr_t)buf), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_unmap(p.vspace, CVA + 5 * PG, PG), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_lookup(p.vspace, CVA + 5 * PG, 0, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_vspace_lookup(p.vspace, CVA + 6 * PG, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_PEEK, CVA, size, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], CVA + 5 * PG);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 1); /* a read of a page not present */
    /* Mapped again (same VMO page), the read is retried: every byte was there. */
    TEST_ASSERT_ERR(wf_vspace_map(p.vspace, v, CVA + 5 * PG, 5 * PG, PG, WF_VM_READ), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_fault_reply(p.main.reply, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], sum);
}

TEST(vm, fault_at_the_page_next_to_a_mapping)
{
    struct wf_process p;
    wf_cptr_t v = test_vmo(64 * 1024);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    /* One page of a VMO whose cluster is bigger (with clusters): only it is mapped. */
    TEST_ASSERT_ERR(wf_vspace_map(p.vspace, v, CVA, 0, PG, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_POKE, CVA, 2 * PG, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], CVA + PG);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 2);
    /* The mapped page was written; the VMO's next page was not. */
    static uint8_t buf[2 * PG];
    TEST_ASSERT_ERR(wf_vmo_read(v, 0, sizeof(buf), WF_ROOT_VSPACE, (uintptr_t)buf), WF_ERR_OK);
    TEST_ASSERT_EQ(buf[PG - 1], UC_PATTERN(PG - 1));
    TEST_ASSERT_EQ(buf[PG], 0);
}

TEST(vm, child_pool_quota_and_exhaustion)
{
    TEST_ENV(e);
    const wf_word_t quota = 256 * 1024;
    wf_cptr_t q;
    TEST_ASSERT_ERR(wf_env_create(e, WF_OBJ_POOL, quota, &q), WF_ERR_OK);
    wf_word_t usage, limit, objects, free_bytes;
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, &limit, &objects, &free_bytes), WF_ERR_OK);
    TEST_ASSERT_EQ(limit, quota);
    TEST_ASSERT_EQ(objects, 0);
    TEST_ASSERT(free_bytes <= quota);
    /* Two 1 MiB VMOs from the child pool: creating them is cheap, filling is not. */
    wf_cptr_t v1 = wf_env_slot(e), v2 = wf_env_slot(e);
    TEST_ASSERT(v1 && v2);
    TEST_ASSERT_ERR(wf_pool_create(q, WF_OBJ_VMO, 1 << 20, WF_ROOT_CNODE, v1, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_create(q, WF_OBJ_VMO, 1 << 20, WF_ROOT_CNODE, v2, 64), WF_ERR_OK);
    static uint8_t page[PG];
    memset(page, 0x5a, sizeof(page));
    wf_word_t off = 0;
    enum wf_error err = WF_ERR_OK;
    for (; off < (1 << 20); off += PG)
        if ((err = wf_vmo_write(v1, off, PG, WF_ROOT_VSPACE, (uintptr_t)page)) != WF_ERR_OK)
            break;
    TEST_ASSERT_ERR(err, WF_ERR_NOT_ENOUGH_MEMORY);
    TEST_ASSERT(off > 0 && off <= quota, "%llu bytes written", (unsigned long long)off);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, &limit, &objects, 0), WF_ERR_OK);
    TEST_ASSERT(usage <= limit, "usage %llu over the limit", (unsigned long long)usage);
    TEST_ASSERT_EQ(objects, 2);
    /* A thread touching the other VMO gets a fault message, not a kill. */
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(p.vspace, v2, CVA, 0, 1 << 20, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_POKE, CVA, 1 << 20, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], CVA);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL1], 2);
    /* Freeing the first VMO lets the second fill: the retried write succeeds. */
    TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, v1, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vmo_resize(v2, 64 * 1024), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_fault_reply(p.main.reply, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    /* The child wrote its 64 KiB and then faulted past the shrunk VMO. */
    TEST_ASSERT_EQ(ev.label, WF_FAULT_TYPE_VM_FAULT);
    TEST_ASSERT_EQ(ev.w[WF_FAULT_WORD_DETAIL0], CVA + 64 * 1024);
}

TEST(vm, revoking_a_pool_returns_its_usage)
{
    TEST_ENV(e);
    wf_cptr_t q;
    TEST_ASSERT_ERR(wf_env_create(e, WF_OBJ_POOL, 4 << 20, &q), WF_ERR_OK);
    wf_word_t parent0, parent1, parent2, usage, objects;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent0, 0, 0, 0), WF_ERR_OK);
    wf_cptr_t v = wf_env_slot(e), vs = wf_env_slot(e);
    TEST_ASSERT(v && vs);
    TEST_ASSERT_ERR(wf_pool_create(q, WF_OBJ_VMO, 512 * 1024, WF_ROOT_CNODE, v, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_create(q, WF_OBJ_VSPACE, 0, WF_ROOT_CNODE, vs, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(vs, v, CVA, 0, 512 * 1024, WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    static uint8_t page[PG];
    for (wf_word_t off = 0; off < 512 * 1024; off += PG)
        TEST_ASSERT_ERR(wf_vspace_write(vs, CVA + off, PG, WF_ROOT_VSPACE, (uintptr_t)page),
                        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, &objects, 0), WF_ERR_OK);
    TEST_ASSERT(usage >= 512 * 1024, "usage %llu", (unsigned long long)usage);
    TEST_ASSERT_EQ(objects, 2);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent1, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(parent1, parent0 + usage); /* charged to the parent too */
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, q, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(v), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(vs), 0);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, &objects, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(usage, 0);
    TEST_ASSERT_EQ(objects, 0);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent2, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(parent2, parent0);
}

static int send_once(uintptr_t ep)
{
    struct wf_msgregs m = {.info = wf_msginfo(5, 0, 2), .w = {0x1234, 0x5678}};
    return (int)wf_sys_send(ep, &m);
}

TEST(vm, endpoint_from_a_child_pool)
{
    TEST_ENV(e);
    wf_cptr_t q, ep = wf_env_slot(e), badged = wf_env_slot(e);
    TEST_ASSERT(ep && badged);
    TEST_ASSERT_ERR(wf_env_create(e, WF_OBJ_POOL, 1 << 20, &q), WF_ERR_OK);
    wf_word_t parent0, parent1, usage, objects;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_create(q, WF_OBJ_ENDPOINT, 0, WF_ROOT_CNODE, ep, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, &objects, 0), WF_ERR_OK);
    TEST_ASSERT(usage > 0, "an endpoint costs the pool nothing");
    TEST_ASSERT_EQ(objects, 1);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent1, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(parent1, parent0 + usage);
    /* It works like any endpoint: a thread's Send (badged), our NBRecv. */
    TEST_ASSERT_ERR(
        wf_cnode_mint(WF_ROOT_CNODE, badged, 64, WF_ROOT_CNODE, ep, 64, WF_RIGHTS_ALL, 77),
        WF_ERR_OK);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, send_once, badged, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    struct wf_msgregs m = {0};
    TEST_ASSERT_ERR(wf_sys_nbrecv(ep, 0, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_label(m.info), 5);
    TEST_ASSERT_EQ(m.badge, 77);
    TEST_ASSERT_EQ(m.w[0], 0x1234);
    TEST_ASSERT_EQ(m.w[1], 0x5678);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], WF_ERR_OK);
    /* Revoking the pool destroys the endpoint (both caps) and returns its memory
     * (the thread's stack came from our own pool and stays). */
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, 0, 0), WF_ERR_OK);
    parent0 -= usage;
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, q, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(badged), 0);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, &objects, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(usage, 0);
    TEST_ASSERT_EQ(objects, 0);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &parent1, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(parent1, parent0);
}

TEST(vm, kernel_objects_exhaust_a_child_pool)
{
    TEST_ENV(e);
    const wf_word_t quota = 64 * 1024;
    wf_cptr_t q;
    TEST_ASSERT_ERR(wf_env_create(e, WF_OBJ_POOL, quota, &q), WF_ERR_OK);
    wf_cptr_t first = 0;
    unsigned n = 0;
    enum wf_error err;
    for (;;) {
        wf_cptr_t s = wf_env_slot(e);
        TEST_ASSERT(s && n < 64, "%u TCBs in a 64 KiB pool", n);
        if (!first)
            first = s;
        if ((err = wf_pool_create(q, WF_OBJ_TCB, 0, WF_ROOT_CNODE, s, 64)) != WF_ERR_OK)
            break;
        n++;
    }
    TEST_ASSERT_ERR(err, WF_ERR_NOT_ENOUGH_MEMORY);
    TEST_ASSERT(n >= 8, "only %u TCBs", n); /* 4 KiB each, one cluster of slab header */
    wf_word_t usage, objects;
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, &objects, 0), WF_ERR_OK);
    TEST_ASSERT(usage <= quota, "usage %llu", (unsigned long long)usage);
    TEST_ASSERT_EQ(objects, n);
    /* Deleting them one by one gives everything back. */
    for (unsigned i = 0; i < n; i++)
        TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, first + i, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_info(q, &usage, 0, &objects, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(usage, 0);
    TEST_ASSERT_EQ(objects, 0);
    /* An endpoint fits again. */
    wf_cptr_t ep = wf_env_slot(e);
    TEST_ASSERT_ERR(wf_pool_create(q, WF_OBJ_ENDPOINT, 0, WF_ROOT_CNODE, ep, 64), WF_ERR_OK);
}

TEST(vm, vspace_read_write_into_a_child)
{
    TEST_ENV(e);
    static uint8_t buf[8192];
    unsigned sum = 0;
    for (unsigned i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i ^ (i >> 8));
        sum += buf[i];
    }
    /* Write into a child before it runs; it reads it back. */
    struct wf_process a, b;
    wf_cptr_t va, vb;
    TEST_ASSERT_ERR(child_with_vmo(&a, &va, sizeof(buf), WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_write(a.vspace, CVA, sizeof(buf), e->vspace, (uintptr_t)buf),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&a, UC_PEEK, CVA, sizeof(buf), 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&a.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], sum);
    /* Read what another child wrote. */
    TEST_ASSERT_ERR(child_with_vmo(&b, &vb, sizeof(buf), WF_VM_READ | WF_VM_WRITE), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&b, UC_POKE, CVA + 100, 6000, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_wait(&b.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    memset(buf, 0, sizeof(buf));
    TEST_ASSERT_ERR(wf_vspace_read(b.vspace, CVA + 100, 6000, e->vspace, (uintptr_t)buf),
                    WF_ERR_OK);
    for (unsigned i = 0; i < 6000; i++)
        TEST_ASSERT(buf[i] == UC_PATTERN(i), "byte %u", i);
    /* Unmapped or forbidden bytes either side. */
    TEST_ASSERT_ERR(wf_vspace_read(b.vspace, CVA + sizeof(buf) - 8, 16, e->vspace, (uintptr_t)buf),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_vspace_write(b.vspace, b.entry, 4, e->vspace, (uintptr_t)buf),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_vspace_read(b.vspace, CVA, 8, e->vspace, test_bootinfo->initramfs_vaddr),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_vspace_read(b.vspace, CVA, 8, WF_ROOT_TCB, (uintptr_t)buf),
                    WF_ERR_INVALID_CAPABILITY);
}

TEST(vm, full_window_survives_partial_unmap_and_protect)
{
    /* A 2 MiB-aligned window touched on every page: the kernel may map it with
     * one 2 MiB entry (docs/memory.md); nothing of that may show here, except
     * that every page keeps its contents through a partial unmap and protect
     * (demotion). */
    const wf_word_t win = 2 << 20;
    wf_cptr_t v = test_vmo(2 * win);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, 2 * win, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    volatile wf_word_t *w = (volatile wf_word_t *)TEST_VA;
    for (wf_word_t off = 0; off < win; off += PG)
        w[off / 8] = off ^ 0x5555;
    wf_word_t start, len;
    TEST_ASSERT_ERR(wf_vmo_present(v, 0, &start, &len), WF_ERR_OK);
    TEST_ASSERT_EQ(start, 0);
    TEST_ASSERT(len >= win, "present %#llx", (unsigned long long)len);
    /* Unmap one page in the middle, protect another read-only. */
    const wf_word_t hole = 300 * PG, ro = 301 * PG;
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA + hole, PG), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_protect(WF_ROOT_VSPACE, TEST_VA + ro, PG, WF_VM_READ), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_lookup(WF_ROOT_VSPACE, TEST_VA + hole, 0, 0, 0, 0),
                    WF_ERR_INVALID_ARGUMENT);
    for (wf_word_t off = 0; off < win; off += PG)
        if (off != hole)
            TEST_ASSERT(w[off / 8] == (off ^ 0x5555), "page %#llx lost its word",
                        (unsigned long long)off);
    for (wf_word_t off = 0; off < win; off += PG)
        if (off != hole && off != ro)
            w[off / 8] += 1;
    TEST_ASSERT_EQ(w[(ro + PG) / 8], ((ro + PG) ^ 0x5555) + 1);
    /* The hole's page is still in the VMO: mapped again it shows its word. */
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA + hole, hole, PG, WF_VM_READ),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(w[hole / 8], hole ^ 0x5555);
    TEST_ASSERT_EQ(w[ro / 8], ro ^ 0x5555);
}

TEST(vm, range_errors_name_the_bounds)
{
    TEST_ENV(e);
    const wf_word_t size = 16 * PG, user_top = test_bootinfo->user_top;
    wf_cptr_t v = test_vmo(size);
    TEST_ASSERT(v);
    wf_word_t d[4];
    /* VSpace_Map (vaddr, offset, length, rights) past the VMO's end: the length
     * allowed from that offset; that length then maps. */
    wf_word_t mw[4] = {TEST_VA, 4 * PG, size, WF_VM_READ | WF_VM_WRITE};
    TEST_ASSERT_EQ(wf_call(WF_ROOT_VSPACE, WF_LABEL_VSPACE_MAP, mw, 4, &v, 1, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 2);
    TEST_ASSERT_EQ(d[1], PG);
    TEST_ASSERT_EQ(d[2], size - 4 * PG);
    mw[2] = d[2];
    TEST_ASSERT_EQ(wf_call(WF_ROOT_VSPACE, WF_LABEL_VSPACE_MAP, mw, 4, &v, 1, d, 4), WF_ERR_OK);
    mem[0] = 1;
    /* An offset beyond the VMO: the pages it has. */
    mw[1] = size;
    TEST_ASSERT_EQ(wf_call(WF_ROOT_VSPACE, WF_LABEL_VSPACE_MAP, mw, 4, &v, 1, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], 0);
    TEST_ASSERT_EQ(d[2], size - PG);
    /* VSpace_Unmap (vaddr, length) of nothing, and past the user half. */
    const wf_word_t uw[2][2] = {{TEST_VA, 0}, {user_top - PG, 2 * PG}};
    TEST_ASSERT_EQ(wf_call(WF_ROOT_VSPACE, WF_LABEL_VSPACE_UNMAP, uw[0], 2, 0, 0, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], PG);
    TEST_ASSERT_EQ(d[2], user_top - TEST_VA);
    TEST_ASSERT_EQ(wf_call(WF_ROOT_VSPACE, WF_LABEL_VSPACE_UNMAP, uw[1], 2, 0, 0, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[2], PG);
    /* VMO_Read (offset, len, vaddr) past the end: the bytes left. */
    wf_cptr_t vs = e->vspace;
    const wf_word_t rw[3] = {3 * PG, size, TEST_VA};
    TEST_ASSERT_EQ(wf_call(v, WF_LABEL_VMO_READ, rw, 3, &vs, 1, d, 4), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], 0);
    TEST_ASSERT_EQ(d[2], size - 3 * PG);
    /* Pool_Create (type, size, ...) of a CNode with radix 0. */
    wf_cptr_t dest = wf_env_slot(e);
    TEST_ASSERT(dest);
    const wf_word_t cw[4] = {WF_OBJ_CNODE, 0, dest, 64};
    wf_cptr_t root = WF_ROOT_CNODE;
    TEST_ASSERT_EQ(wf_call(e->pool, WF_LABEL_POOL_CREATE, cw, 4, &root, 1, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], WF_CNODE_RADIX_MIN);
    TEST_ASSERT_EQ(d[2], WF_CNODE_RADIX_MAX);
    TEST_ASSERT_EQ(wf_debug_cap_identify(dest), 0);
    TEST_ASSERT_EQ(mem[0], 1);
}

/* --- the kernel's counters (DEBUG_STAT) ------------------------------------------- */

/* Bytes one fault maps (the kernel's allocation unit; invisible but here). */
#define CLUSTER_BYTES (PG << CLUSTER_ORDER)

struct vm_count {
    wf_word_t faults, promotions, demotions, reservations;
};

/* Reads the VM counters; false if the kernel refuses one. */
static bool vm_count(struct vm_count *c)
{
    return wf_debug_stat(WF_STAT_VM_FAULTS, &c->faults) == WF_ERR_OK &&
           wf_debug_stat(WF_STAT_VM_PROMOTIONS, &c->promotions) == WF_ERR_OK &&
           wf_debug_stat(WF_STAT_VM_DEMOTIONS, &c->demotions) == WF_ERR_OK &&
           wf_debug_stat(WF_STAT_VM_RESERVATIONS, &c->reservations) == WF_ERR_OK;
}

TEST(vm, counters_count_faults_per_cluster)
{
    /* One 2 MiB window of a fresh VMO, touched a page at a time: a fault per
     * cluster (64 KiB clusters: 16 times fewer than pages), one reservation on
     * the window's first fault, one promotion when the last cluster comes; then
     * unmapping one page demotes it once, and a second unmap in the same (now
     * small-page) window demotes nothing. */
    const wf_word_t win = 2 << 20, part = 256 * 1024;
    wf_cptr_t v = test_vmo(win);
    TEST_ASSERT(v);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, win, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    struct vm_count c0, c1;
    /* Once before: whatever the counting itself first touches (its stack and
     * code pages) faults outside the measurement. */
    TEST_ASSERT(vm_count(&c1));
    TEST_ASSERT(vm_count(&c0));
    for (wf_word_t off = 0; off < part; off += PG)
        mem[off] = 1;
    TEST_ASSERT(vm_count(&c1));
    TEST_ASSERT_EQ(c1.faults - c0.faults, part / CLUSTER_BYTES);
    TEST_ASSERT_EQ(c1.reservations - c0.reservations, 1);
    TEST_ASSERT_EQ(c1.promotions - c0.promotions, 0);
    /* Touching them again faults no more. */
    for (wf_word_t off = 0; off < part; off += PG)
        mem[off + 1] = 2;
    TEST_ASSERT(vm_count(&c0));
    TEST_ASSERT_EQ(c0.faults - c1.faults, 0);
    for (wf_word_t off = part; off < win; off += PG)
        mem[off] = 3;
    TEST_ASSERT(vm_count(&c1));
    TEST_ASSERT_EQ(c1.faults - c0.faults, (win - part) / CLUSTER_BYTES);
    TEST_ASSERT_EQ(c1.reservations - c0.reservations, 0);
    TEST_ASSERT_EQ(c1.promotions - c0.promotions, 1);
    TEST_ASSERT_EQ(c1.demotions - c0.demotions, 0);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA + 7 * PG, PG), WF_ERR_OK);
    TEST_ASSERT(vm_count(&c0));
    TEST_ASSERT_EQ(c0.demotions - c1.demotions, 1);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA + 9 * PG, PG), WF_ERR_OK);
    TEST_ASSERT(vm_count(&c1));
    TEST_ASSERT_EQ(c1.demotions - c0.demotions, 0);
    TEST_ASSERT_EQ(c1.promotions - c0.promotions, 0);
    TEST_ASSERT_EQ(mem[8 * PG], 1); /* the neighbours kept their contents */
    TEST_ASSERT_EQ(mem[8 * PG + 1], 2);
    TEST_ASSERT_EQ(mem[part], 3);
}

TEST(vm, superpages_show_through_vspace_mapping)
{
    /* VSpace_Mapping reports the entry the MMU uses. A 2 MiB-aligned window of a
     * VMO mapped whole and written on every page is mapped by one 2 MiB entry;
     * the next window, mapped with one page left out, keeps 4 KiB entries (and
     * none at the missing page); unmapping a page demotes the first. Identical
     * for every CLUSTER_ORDER. */
    const wf_word_t win = 2 << 20, hole = 300 * PG;
    wf_cptr_t v = test_vmo(2 * win);
    TEST_ASSERT(v);
    const wf_word_t rw = WF_VM_READ | WF_VM_WRITE;
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA, 0, win, rw), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA + win, win, hole, rw), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, v, TEST_VA + win + hole + PG, win + hole + PG,
                                  win - hole - PG, rw),
                    WF_ERR_OK);
    wf_word_t size = 1, rights = 1;
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA, &size, &rights), WF_ERR_OK);
    TEST_ASSERT_EQ(size, 0); /* nothing touched yet */
    TEST_ASSERT_EQ(rights, 0);
    struct vm_count c0, c1;
    TEST_ASSERT(vm_count(&c0));
    for (wf_word_t off = 0; off < 2 * win; off += PG)
        if (off != win + hole)
            mem[off] = (uint8_t)(off / PG);
    /* One promotion (the whole window), none for the one with a hole. */
    TEST_ASSERT(vm_count(&c1));
    TEST_ASSERT_EQ(c1.promotions - c0.promotions, 1);
    TEST_ASSERT_EQ(c1.demotions - c0.demotions, 0);
    for (wf_word_t off = 0; off < win; off += 37 * PG) {
        TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA + off, &size, &rights),
                        WF_ERR_OK);
        TEST_ASSERT_EQ(size, win);
        TEST_ASSERT_EQ(rights, rw);
    }
    for (wf_word_t off = win; off < 2 * win; off += 37 * PG) {
        TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA + off, &size, &rights),
                        WF_ERR_OK);
        TEST_ASSERT_EQ(size, off == win + hole ? 0 : PG);
    }
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA + win + hole, &size, &rights),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(size, 0);
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA + win + hole + PG, &size, &rights),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(size, PG);
    /* Unmapping one page of the promoted window demotes it: 4 KiB entries
     * around the gap, the contents intact. */
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA + 100 * PG, PG), WF_ERR_OK);
    TEST_ASSERT(vm_count(&c0));
    TEST_ASSERT_EQ(c0.demotions - c1.demotions, 1);
    TEST_ASSERT_EQ(c0.promotions - c1.promotions, 0);
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA + 100 * PG, &size, &rights),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(size, 0);
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, TEST_VA + 101 * PG, &size, &rights),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(size, PG);
    TEST_ASSERT_EQ(mem[101 * PG], 101);
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, test_bootinfo->user_top, &size, &rights),
                    WF_ERR_INVALID_ARGUMENT);
}
