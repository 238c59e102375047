/*
 * Self-tests of EL0 on aarch64: programs (user_progs.S) run in a user address
 * space through arch_exit_to_user and come back through the vectors, with
 * their registers saved and their exception decoded into the neutral terms
 * (docs/porting.md section 5): a system call, every register, page faults
 * (not present, write to read-only, fetch from non-executable), undefined
 * instruction, breakpoint, a trapped system register, PC alignment, a pc
 * outside the user half, a hostile PSTATE, and interrupts taken while EL0 runs.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "config.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "weft/objects.h"

#define CODE_VA 0x400000ull
#define DATA_VA 0x500000ull
#define STACK   (DATA_VA + 0x1000)
#define POOL    8

#define PROG(name)                                                                                 \
    extern const char name[], name##_end[];                                                        \
    static const struct prog p_##name = {name, name##_end}
struct prog {
    const char *start, *end;
};
PROG(prog_svc);
PROG(prog_regs);
PROG(prog_load_unmapped);
PROG(prog_store_code);
PROG(prog_udf);
PROG(prog_brk);
PROG(prog_sysreg);
PROG(prog_jump);
PROG(prog_spin);

static uint64_t tables[POOL][512] __aligned(4096);
static unsigned tables_used;
static struct pt_ctx space;
static paddr_t code_pa;

static paddr_t table_alloc(struct pt_ctx *c)
{
    (void)c;
    return tables_used < POOL ? virt_to_phys(tables[tables_used++]) : 0;
}

static void table_free(struct pt_ctx *c, paddr_t pa)
{
    (void)c, (void)pa;
}

/* The user space, once: code page read-execute, data page read-write (also the
 * stack), loaded into TTBR0. */
static bool setup(void)
{
    if (space.root)
        return true;
    code_pa = pmm_alloc(&boot_pmm, 0);
    paddr_t data = pmm_alloc(&boot_pmm, 0);
    if (!code_pa || !data)
        return false;
    space = (struct pt_ctx){.root = table_alloc(NULL), .alloc = table_alloc, .free = table_free};
    if (!arch_pt_map(&space, CODE_VA, code_pa, 1, VM_READ | VM_EXEC) ||
        !arch_pt_map(&space, DATA_VA, data, 1, VM_READ | VM_WRITE))
        return false;
    space.active = true;
    arch_vspace_switch(space.root);
    return true;
}

/* Copies p to the code page (with the instruction cache made coherent) and
 * prepares ctx to run it. */
static void load(struct arch_context *ctx, const struct prog *p)
{
    size_t len = (size_t)(p->end - p->start);
    char *dst = phys_to_virt(code_pa);
    memset(dst, 0, PAGE_SIZE);
    memcpy(dst, p->start, len);
    for (size_t off = 0; off < len; off += 4)
        __asm__ volatile("dc cvau, %0" : : "r"(dst + off) : "memory");
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");
    arch_context_init(ctx);
    ctx_set_entry(ctx, CODE_VA, STACK, 0);
}

static unsigned ec(const struct arch_context *c)
{
    return (c->esr >> 26) & 0x3f;
}

KTEST(aarch64, el0_system_call_and_state)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_svc);
    ctx.tpidr = 0x7777;
    ctx.pstate = 0x3c5; /* hostile: EL1h, interrupts masked; must run as EL0t */
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ec(&ctx), 0x15);
    KT_ASSERT_EQ(ctx.esr & 0xffff, 0x17);
    KT_ASSERT_EQ(ctx.x[0], 42);
    KT_ASSERT_EQ(ctx.x[1], 84);
    KT_ASSERT_EQ(ctx.x[2], STACK);
    KT_ASSERT_EQ(ctx.x[3], 0x7777);
    KT_ASSERT_EQ(ctx_pc(&ctx), CODE_VA + 20); /* after the svc */
    KT_ASSERT_EQ(ctx.pstate & 0x3cf, 0);      /* EL0t, D A I F clear */
}

KTEST(aarch64, el0_registers_saved)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_regs);
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    for (unsigned i = 0; i < 31; i++)
        KT_ASSERT(ctx.x[i] == 0x100 + i, "x%u = %#llx", i, (unsigned long long)ctx.x[i]);
}

/* Runs p with x1 = arg and returns the decoded fault. */
static const struct arch_fault *fault_of(struct arch_context *ctx, const struct prog *p,
                                         uint64_t arg)
{
    load(ctx, p);
    ctx->x[1] = arg;
    arch_user_run(ctx);
    return ctx_entry(ctx) == ARCH_ENTRY_FAULT ? ctx_fault(ctx) : NULL;
}

KTEST(aarch64, el0_page_faults_decoded)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = fault_of(&ctx, &p_prog_load_unmapped, 0x10008);
    KT_ASSERT(f && f->page && !f->present && f->access == VM_READ && f->addr == 0x10008,
              "unmapped read: page %d present %d access %u addr %#llx", f && f->page,
              f && f->present, f ? f->access : 0, f ? (unsigned long long)f->addr : 0);
    f = fault_of(&ctx, &p_prog_store_code, 0);
    KT_ASSERT(f && f->page && f->present && f->access == VM_WRITE && f->addr == CODE_VA,
              "write to read-only");
    f = fault_of(&ctx, &p_prog_jump, DATA_VA);
    KT_ASSERT(f && f->page && f->present && f->access == VM_EXEC && f->addr == DATA_VA,
              "fetch from non-executable");
    KT_ASSERT_EQ(ctx_pc(&ctx), DATA_VA);
}

KTEST(aarch64, el0_exceptions_decoded)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    const struct arch_fault *f = fault_of(&ctx, &p_prog_udf, 0);
    KT_ASSERT(f && !f->page && f->exception == WF_EXCEPTION_UNDEFINED_INSTRUCTION);
    KT_ASSERT_EQ(f->addr, CODE_VA);
    f = fault_of(&ctx, &p_prog_brk, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_BREAKPOINT && (f->code & 0xffff) == 5);
    f = fault_of(&ctx, &p_prog_sysreg, 0);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_PROTECTION, "trapped timer access: %u",
              f ? f->exception : 0);
    /* A branch to a misaligned pc (QEMU does not check SP alignment, SA0). */
    f = fault_of(&ctx, &p_prog_jump, CODE_VA + 2);
    KT_ASSERT(f && f->exception == WF_EXCEPTION_ALIGNMENT, "PC alignment: %u",
              f ? f->exception : 0);
    /* A pc in the kernel half never reaches the CPU. */
    load(&ctx, &p_prog_svc);
    ctx.pc = KERNEL_VMA;
    arch_user_run(&ctx);
    KT_ASSERT(ctx_entry(&ctx) == ARCH_ENTRY_FAULT &&
              ctx_fault(&ctx)->exception == WF_EXCEPTION_PROTECTION);
}

KTEST(aarch64, el0_interrupted_and_resumed)
{
    KT_ASSERT(setup(), "no user space");
    struct arch_context ctx;
    load(&ctx, &p_prog_spin);
    ctx.x[2] = 1ull << 26;
    uint64_t t0 = arch_ticks();
    arch_user_run(&ctx);
    KT_ASSERT_EQ(ctx_entry(&ctx), ARCH_ENTRY_SYSCALL);
    KT_ASSERT_EQ(ctx.x[0], 1ull << 26);
    KT_ASSERT(arch_ticks() > t0, "no tick while EL0 ran");
}
