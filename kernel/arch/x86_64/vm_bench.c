/*
 * The VM benchmark (make bench-vm; docs/perf/vm.md): boot with kbench=vm under
 * -icount shift=0,sleep=off, where the TSC advances by one per guest instruction,
 * so every rdtsc delta below is an instruction count (kernel work included: a
 * page fault's handling runs between the two reads).
 *
 * A ring-3 loop (vm_progs.S, touch) writes one word to each 4 KiB page of a
 * 64 MiB anonymous VMO mapped at a 2 MiB-aligned address; its own rdtsc delta
 * is the first-touch cost. Then the same 64 MiB is cloned copy-on-write and
 * written again from ring 3 (each write fault copies one cluster). Results are
 * printed as one JSON object per line, prefixed by nothing, for the collector
 * (mk/extra/bench-vm.mk) to gather.
 */
#include "arch.h"
#include "cap/delete.h"
#include "cap/preempt.h"
#include "core/boot.h"
#include "core/hook.h"
#include "kprintf.h"
#include "lib/string.h"
#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "vm_user.h"

#define U(x)      ((unsigned long long)(x))
#define BENCH_VA  0x40000000ull
#define BENCH_LEN MIB(64)

enum { POOL, VS, CODE, DATA, CLONE, NSLOTS = 8 };
static struct slot S[NSLOTS] __aligned(32);
static struct arch_context ctx;

static void emit(const char *metric, uint64_t value, const char *unit)
{
    kprintf("{\"bench\":\"vm\",\"arch\":\"x86_64\",\"cluster_order\":%d,\"metric\":\"%s\","
            "\"value\":%llu,\"unit\":\"%s\"}\n",
            CLUSTER_ORDER, metric, U(value), unit);
}

/* 2 MiB windows of [va, va + len) mapped by one superpage entry. */
static uint64_t super_windows(struct vspace *vs, vaddr_t va, uint64_t len)
{
    uint64_t n = 0;
    for (uint64_t off = 0; off < len; off += VM_SUPER_SIZE) {
        paddr_t pa;
        unsigned access, level;
        n += vspace_translate(vs, va + off, &pa, &access, &level) && level == 1;
    }
    return n;
}

static bool bench_vm(void)
{
    memset(S, 0, sizeof(S));
    if (vm_boot_pool(&S[POOL], 3 * BENCH_LEN + MIB(16)) != WF_ERR_OK ||
        vm_user_space(&S[POOL], &S[VS], &S[CODE]) != WF_ERR_OK ||
        pool_create_vmo(&S[POOL], BENCH_LEN, &S[DATA]) != WF_ERR_OK) {
        kprintf("kbench=vm: not enough memory (boot with -m 512M)\n");
        return false;
    }
    struct vspace *vs = vspace_from_cap(S[VS].cap);
    struct vmo *data = vmo_from_cap(S[DATA].cap);
    if (vspace_map(vs, data, 0, BENCH_VA, BENCH_LEN, VM_READ | VM_WRITE, 3) != WF_ERR_OK)
        return false;
    uint64_t pages = BENCH_LEN / PAGE_SIZE, mib = BENCH_LEN >> 20;

    /* 1. first touch */
    struct vm_stats s0 = vm_stats;
    uint64_t pt0 = vs->pt_pages;
    vm_user_load(&ctx, VPROG_TOUCH, BENCH_VA, pages);
    struct vm_run r = vm_user_run(vs, &ctx);
    if (r.vector != VEC_SYSCALL) {
        kprintf("kbench=vm: first touch stopped: vector %llu at %llx\n", U(r.vector), U(r.addr));
        return false;
    }
    uint64_t touch = ctx.regs.rax;
    uint64_t windows = super_windows(vs, BENCH_VA, BENCH_LEN);
    emit("first_touch_instructions_per_mib", touch / mib, "instructions");
    emit("first_touch_faults_per_mib", r.faults / mib, "faults");
    emit("first_touch_share_2mib_permille", windows * 1000 / (BENCH_LEN / VM_SUPER_SIZE),
         "permille");
    emit("first_touch_promotions", vm_stats.promotions - s0.promotions, "windows");
    emit("first_touch_pt_pages", vs->pt_pages - pt0, "pages");
    emit("first_touch_vmo_tree_bytes", data->tree_bytes, "bytes");

    /* 2. the loop alone, everything mapped */
    vm_user_load(&ctx, VPROG_TOUCH, BENCH_VA, pages);
    r = vm_user_run(vs, &ctx);
    emit("retouch_instructions_per_mib", ctx.regs.rax / mib, "instructions");

    /* 3. copy-on-write clone, then write all 64 MiB again */
    uint64_t t0 = rdtsc();
    if (vmo_clone(data, &S[POOL], &S[CLONE]) != WF_ERR_OK)
        return false;
    uint64_t t1 = rdtsc();
    vm_user_load(&ctx, VPROG_TOUCH, BENCH_VA, pages);
    s0 = vm_stats;
    r = vm_user_run(vs, &ctx);
    uint64_t t2 = rdtsc();
    if (r.vector != VEC_SYSCALL)
        return false;
    emit("cow_clone_instructions", t1 - t0, "instructions");
    emit("cow_clone_write_64mib_instructions", t2 - t0, "instructions");
    emit("cow_write_faults_per_mib", r.faults / mib, "faults");
    emit("cow_copies_per_mib", (vm_stats.cow_copies - s0.cow_copies) / mib, "clusters");
    emit("cow_after_write_share_2mib_permille",
         super_windows(vs, BENCH_VA, BENCH_LEN) * 1000 / (BENCH_LEN / VM_SUPER_SIZE), "permille");

    /* 4. destroying the clone (the "exit" of a fork) */
    preempt_begin(UINT32_MAX);
    t0 = rdtsc();
    cap_delete(&S[CLONE], NULL);
    emit("cow_clone_destroy_instructions", rdtsc() - t0, "instructions");

    vspace_activate(NULL);
    cap_revoke(&S[POOL], NULL);
    emit("pool_usage_after_revoke", pool_from_cap(S[POOL].cap)->usage, "bytes");
    vm_boot_pool_release(&S[POOL]);
    return true;
}

void vm_kbench(void)
{
    char name[16];
    if (!bootmem_cmdline_get(&boot_memory, "kbench", name, sizeof(name)))
        return;
    bool ok = strcmp(name, "vm") == 0 && bench_vm();
    if (!ok)
        kprintf("kbench=%s: failed or unknown\n", name);
    kprintf("kbench: done\n");
    arch_debug_exit(ok ? 0 : 1);
    arch_halt();
}
HOOK(boot, vm_kbench); /* the test image's boot action (core/hook.h) */
