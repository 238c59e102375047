/*
 * runone: a root task that runs one program of the initramfs as a child and
 * reports how it ended; a port's first step past a single root task (it needs
 * the spawn library, not init's configuration or its servers).
 *
 * Usage (the kernel command line): init=runone [run=NAME] [pool=MIB]
 *   run=NAME   the program to run (default "mtest")
 *   pool=MIB   the pool given to it, in MiB (default 8; 0: none)
 * It prints "runone: NAME exited with status N" (or the fault) and halts with
 * the child's status (0 when it passed), 2 for a usage or start error.
 */
#include <stdio.h>

#include "weft/bootinfo.h"
#include "wf/cmdline.h"
#include "wf/runtime.h"
#include "wf/spawn.h"

#define POOL_BITS  24 /* the pool the children's objects come from: 16 MiB */
#define CHILD_PRIO 100

/* The largest RAM untyped of the boot caps (0 if none). */
static wf_cptr_t arena(const struct wf_bootinfo *bi)
{
    wf_cptr_t best = 0;
    unsigned best_bits = 0;
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++)
        if (!bi->untyped[i].device && bi->untyped[i].size_bits > best_bits) {
            best_bits = bi->untyped[i].size_bits;
            best = bi->untyped_first + i;
        }
    return best;
}

static int fail(const char *what, enum wf_error e)
{
    printf("runone: %s: %s\n", what, wf_error_name(e));
    return 2;
}

int main(uintptr_t arg)
{
    const struct wf_bootinfo *bi = (const struct wf_bootinfo *)arg;
    if (!bi || bi->magic != WF_BOOTINFO_MAGIC) {
        printf("runone: usage: the root task (init=runone [run=NAME] [pool=MIB])\n");
        return 2;
    }
    wf_set_ipc_buffer((struct wf_ipc_buffer *)(uintptr_t)bi->ipc_buffer);
    char name[32] = "mtest", mib[16] = "8";
    wf_cmdline_get(bi->cmdline, "run", name, sizeof(name));
    wf_cmdline_get(bi->cmdline, "pool", mib, sizeof(mib));
    unsigned long quota = 0;
    const char *c = mib;
    for (; *c >= '0' && *c <= '9' && quota <= 1024; c++)
        quota = quota * 10 + (unsigned long)(*c - '0');
    if (*c || c == mib || quota > 1024) {
        printf("runone: pool=%s: a number of MiB (0 to 1024) expected\n", mib);
        return 2;
    }
    struct wf_spawn_env env = {.cnode = WF_ROOT_CNODE,
                               .cnode_radix = (unsigned)bi->cnode_radix,
                               .untyped = arena(bi),
                               .vspace = WF_ROOT_VSPACE,
                               .tcb = WF_ROOT_TCB,
                               .next_slot = bi->first_free_slot,
                               .end_slot = 1ull << bi->cnode_radix};
    enum wf_error e;
    if (!env.untyped)
        return fail("no RAM untyped", WF_ERR_NOT_ENOUGH_MEMORY);
    if ((e = wf_env_retype(&env, WF_OBJ_POOL, POOL_BITS, &env.pool)) != WF_ERR_OK)
        return fail("pool", e);
    const void *elf;
    size_t len;
    if (!wf_initramfs_find(bi, name, &elf, &len)) {
        printf("runone: no program \"%s\" in the initramfs\n", name);
        return 2;
    }
    struct wf_process p;
    wf_cptr_t pool = 0;
    struct wf_event ev;
    if ((e = wf_process_create(&env, &p, elf, len, name, CHILD_PRIO)) != WF_ERR_OK)
        return fail("create", e);
    if (quota && (e = wf_process_give_pool(&env, &p, quota << 20, &pool)) != WF_ERR_OK)
        return fail("give pool", e);
    if ((e = wf_process_start(&env, &p, 0)) != WF_ERR_OK)
        return fail("start", e);
    if ((e = wf_thread_wait(&p.main, &ev)) != WF_ERR_OK)
        return fail("wait", e);
    if (ev.label != WF_EXIT_LABEL) {
        printf("runone: %s faulted: type %llu (%#llx, %#llx) at pc %#llx\n", name,
               (unsigned long long)ev.label, (unsigned long long)ev.w[WF_FAULT_WORD_DETAIL0],
               (unsigned long long)ev.w[WF_FAULT_WORD_DETAIL1],
               (unsigned long long)ev.w[WF_FAULT_WORD_PC]);
        return 3;
    }
    printf("runone: %s exited with status %llu\n", name, (unsigned long long)ev.w[0]);
    wf_process_destroy(&env, &p);
    return (int)ev.w[0];
}
