/*
 * The launcher of the user-mode benchmarks (bench.h), linked into init.
 *
 * bench=vm: a pool of BENCH_POOL_BITS is retyped from the largest RAM untyped,
 * the other kernel objects (TCB, CNode, endpoint, Reply) from another one, and
 * the program "benchvm" (user/bench/vm.c) is started from the initramfs as a
 * process. It gets a child pool of BENCH_VM_QUOTA, moved into its CNode (only a
 * pool's original cap creates). Its figures are its own to print; the
 * launcher waits for its exit, destroys it, revokes the pool and prints the
 * pool's usage afterwards (a leak check: it must be 0).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/spawn.h"

#define BENCH_POOL_BITS 28             /* 256 MiB: 64 MiB, its copy, page tables, the program */
#define BENCH_VM_QUOTA  (192ull << 20) /* the VMO, its copy, page tables, trees */
#define BENCH_PRIO      100

/* The largest RAM untyped other than skip with at least min_bits; 0 if none. */
static wf_cptr_t find_untyped(const struct wf_bootinfo *bi, wf_cptr_t skip, unsigned min_bits)
{
    wf_cptr_t best = 0;
    unsigned best_bits = 0;
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++) {
        wf_cptr_t c = bi->untyped_first + i;
        if (!bi->untyped[i].device && c != skip && bi->untyped[i].size_bits >= min_bits &&
            bi->untyped[i].size_bits > best_bits) {
            best_bits = bi->untyped[i].size_bits;
            best = c;
        }
    }
    return best;
}

static void emit(const char *metric, unsigned long long value, const char *unit)
{
    printf("{\"bench\":\"vm\",\"arch\":\"%s\",\"cluster_order\":%d,\"metric\":\"%s\","
           "\"value\":%llu,\"unit\":\"%s\"}\n",
           WEFT_ARCH_NAME, CLUSTER_ORDER, metric, value, unit);
}

static int run_vm(const struct wf_bootinfo *bi)
{
    struct wf_spawn_env env = {.cnode = WF_ROOT_CNODE,
                               .cnode_radix = (unsigned)bi->cnode_radix,
                               .vspace = WF_ROOT_VSPACE,
                               .tcb = WF_ROOT_TCB,
                               .next_slot = bi->first_free_slot,
                               .end_slot = 1ull << bi->cnode_radix};
    wf_cptr_t pool_ut = find_untyped(bi, 0, BENCH_POOL_BITS);
    env.untyped = find_untyped(bi, pool_ut, 16);
    const void *elf;
    size_t len;
    if (!pool_ut || !env.untyped) {
        printf("bench: vm needs a RAM untyped of 2^%u bytes and another one (boot with -m 1G)\n",
               BENCH_POOL_BITS);
        return 1;
    }
    if (!wf_initramfs_find(bi, "benchvm", &elf, &len)) {
        printf("bench: no benchvm in the initramfs\n");
        return 1;
    }
    wf_cptr_t pool = wf_env_slot(&env);
    enum wf_error e =
        wf_untyped_retype(pool_ut, WF_OBJ_POOL, BENCH_POOL_BITS, env.cnode, 0, 0, pool, 1);
    env.pool = pool;
    struct wf_process p;
    if (e == WF_ERR_OK)
        e = wf_process_create(&env, &p, elf, len, "benchvm", BENCH_PRIO);
    wf_cptr_t quota = 0;
    if (e == WF_ERR_OK)
        e = wf_env_create(&env, WF_OBJ_POOL, BENCH_VM_QUOTA, &quota);
    if (e == WF_ERR_OK)
        e = wf_cnode_move(p.cnode, BENCH_SLOT_POOL, WF_CHILD_CNODE_RADIX, env.cnode, quota, 64);
    if (e == WF_ERR_OK)
        e = wf_process_start(&env, &p, NULL);
    if (e != WF_ERR_OK) {
        printf("bench: starting benchvm: %s\n", wf_error_name(e));
        return 1;
    }
    struct wf_event ev;
    e = wf_thread_wait(&p.main, &ev);
    int failed = e != WF_ERR_OK || ev.label != WF_EXIT_LABEL || ev.w[0] != 0;
    if (failed)
        printf("bench: benchvm ended with label %llu word %#llx\n", (unsigned long long)ev.label,
               (unsigned long long)ev.w[0]);
    wf_process_destroy(&env, &p);
    wf_word_t usage = ~0ull;
    e = wf_cnode_revoke(env.cnode, pool, 64);
    if (e == WF_ERR_OK)
        e = wf_pool_info(pool, &usage, 0, 0, 0);
    emit("pool_usage_after_revoke", usage, "bytes");
    return failed || e != WF_ERR_OK || usage != 0;
}

int bench_run(const struct wf_bootinfo *bi, const char *name)
{
    if (strcmp(name, "vm") != 0) {
        printf("bench: unknown benchmark \"%s\"\n", name);
        return 2;
    }
    int failed = run_vm(bi);
    printf("bench: done, %d failed\n", failed);
    return failed;
}
