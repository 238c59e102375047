/*
 * Self-tests of user-mode entry and exit on x86_64: real ring-3 code runs from a
 * user page and comes back through syscall, exceptions and interrupts. These
 * cover what the threads issue builds on: register save/restore through
 * syscall/sysret and iret, the canonical-address check, flag sanitizing,
 * privilege enforcement, and per-context FPU/SSE state.
 */
#include "arch.h"
#include "ktest_arch.h"
#include "arch/mmu.h"
#include "config.h"
#include "ktest.h"
#include "lib/string.h"
#include "panic.h"
#include "weft/objects.h"

#define UCODE  0x400000ull
#define USTACK 0x402000ull /* top of the stack page at 0x401000 */

static uint8_t pdpt[4096] __aligned(4096);
static uint8_t pd[4096] __aligned(4096);
static uint8_t pt[4096] __aligned(4096);
static uint8_t code_page[4096] __aligned(4096);
static uint8_t stack_page[4096] __aligned(4096);
static struct arch_context ctx_a, ctx_b;

#define UPROG(name) extern const uint8_t uprog_##name[], uprog_##name##_end[]
UPROG(syscall);
UPROG(kread);
UPROG(priv);
UPROG(fpu);
UPROG(fpu2);
UPROG(spin);
extern const uint8_t uprog_syscall_after1[], uprog_syscall_ud[];

/* Maps the code page (user, read-execute) and the stack page (user, read-write,
 * no-execute) at the fixed user addresses, in the kernel's own tables. */
static void user_map_once(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    uint64_t nx = cpu_features.nx ? PTE_NX : 0;
    pte_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR);
    pml4[0] = virt_to_phys(pdpt) | PTE_P | PTE_W | PTE_U;
    ((pte_t *)pdpt)[0] = virt_to_phys(pd) | PTE_P | PTE_W | PTE_U;
    ((pte_t *)pd)[pt_index(UCODE, 1)] = virt_to_phys(pt) | PTE_P | PTE_W | PTE_U;
    ((pte_t *)pt)[pt_index(UCODE, 0)] = virt_to_phys(code_page) | PTE_P | PTE_U;
    ((pte_t *)pt)[pt_index(USTACK - 1, 0)] = virt_to_phys(stack_page) | PTE_P | PTE_W | PTE_U | nx;
    write_cr3(read_cr3());
}

/* 0x500000-0x5fffff shares the page table of the pages above (one 2 MiB range). */
void arch_ktest_map_user(vaddr_t va, void *kpage, bool write, bool exec)
{
    user_map_once();
    assert(va >= 0x500000 && va < 0x600000 && (va & 0xfff) == 0);
    uint64_t nx = cpu_features.nx && !exec ? PTE_NX : 0;
    ((pte_t *)pt)[pt_index(va, 0)] = virt_to_phys(kpage) | PTE_P | PTE_U | (write ? PTE_W : 0) | nx;
    invlpg(va);
}

static void load(const uint8_t *start, const uint8_t *end, struct arch_context *ctx)
{
    user_map_once();
    memset(code_page, 0xcc, sizeof(code_page));
    memcpy(code_page, start, (size_t)(end - start));
    arch_context_init(ctx, UCODE, USTACK);
}

#define UOFF(label, prog) (UCODE + (uint64_t)(uprog_##label - uprog_##prog))

KTEST(user, syscall_roundtrip_and_sysret)
{
    load(uprog_syscall, uprog_syscall_end, &ctx_a);
    uint64_t v = arch_user_run(&ctx_a);
    KT_ASSERT(v == VEC_SYSCALL, "first entry: vector %lu", (unsigned long)v);
    KT_ASSERT_EQ(ctx_a.regs.rax, 0x1234);
    KT_ASSERT_EQ(ctx_a.regs.rdi, 7);
    KT_ASSERT_EQ(ctx_a.regs.r12, 0x0123456789abcdefull);
    KT_ASSERT_EQ(ctx_a.regs.rip, UOFF(syscall_after1, syscall));
    KT_ASSERT_EQ(ctx_a.regs.rsp, USTACK);
    KT_ASSERT_EQ(ctx_a.regs.cs, GDT_UCODE | 3);
    ctx_a.regs.rax = 99; /* the kernel's reply, seen by the program in %rdi */
    v = arch_user_run(&ctx_a);
    KT_ASSERT(v == VEC_SYSCALL, "second entry: vector %lu", (unsigned long)v);
    KT_ASSERT_EQ(ctx_a.regs.rax, 0x1235);
    KT_ASSERT_EQ(ctx_a.regs.rdi, 99);
    KT_ASSERT_EQ(ctx_a.regs.r12, 0x0123456789abcdefull);
    v = arch_user_run(&ctx_a);
    KT_ASSERT(v == 6, "ud2: vector %lu", (unsigned long)v);
    KT_ASSERT_EQ(ctx_a.regs.rip, UOFF(syscall_ud, syscall));
}

KTEST(user, kernel_memory_is_out_of_reach)
{
    load(uprog_kread, uprog_kread_end, &ctx_a);
    uint64_t v = arch_user_run(&ctx_a);
    KT_ASSERT(v == 14, "vector %lu", (unsigned long)v);
    KT_ASSERT_EQ(ctx_a.fault_addr, 0xffffffff80201000ull);
    KT_ASSERT_EQ(ctx_a.regs.error, 0x5); /* present, read, user */
}

KTEST(user, privileged_instructions_fault_even_with_forged_iopl)
{
    load(uprog_priv, uprog_priv_end, &ctx_a);
    ctx_a.regs.rflags |= 0x3000; /* a forged IOPL 3 must not survive the exit */
    uint64_t v = arch_user_run(&ctx_a);
    KT_ASSERT(v == 13, "in from user mode: vector %lu", (unsigned long)v);
    KT_ASSERT_EQ(ctx_a.regs.rip, UCODE);
    KT_ASSERT((ctx_a.regs.rflags & 0x3000) == 0, "IOPL %lu",
              (unsigned long)(ctx_a.regs.rflags >> 12) & 3);
    ctx_a.regs.rip += 2; /* skip to hlt */
    v = arch_user_run(&ctx_a);
    KT_ASSERT(v == 13, "hlt from user mode: vector %lu", (unsigned long)v);
}

KTEST(user, noncanonical_return_address_is_a_user_fault)
{
    load(uprog_syscall, uprog_syscall_end, &ctx_a);
    KT_ASSERT_EQ(arch_user_run(&ctx_a), VEC_SYSCALL);
    ctx_a.regs.rip = 0x0000800000000000ull; /* sysret would #GP in ring 0 */
    uint64_t v = arch_user_run(&ctx_a);
    KT_ASSERT(v == 13, "vector %lu", (unsigned long)v);
    load(uprog_syscall, uprog_syscall_end, &ctx_a);
    ctx_a.regs.rip = 0xffff800000001000ull; /* a kernel address: canonical, not user */
    v = arch_user_run(&ctx_a);
    KT_ASSERT(v == 13, "kernel rip: vector %lu", (unsigned long)v);
}

KTEST(user, fpu_state_is_per_context)
{
    load(uprog_fpu, uprog_fpu_end, &ctx_a);
    KT_ASSERT_EQ(arch_user_run(&ctx_a), VEC_SYSCALL);
    KT_ASSERT_EQ(ctx_a.regs.rax, 0x10);
    /* Another context clobbers %xmm0 in between. */
    static uint8_t saved_code[4096];
    memcpy(saved_code, code_page, sizeof(saved_code));
    load(uprog_fpu2, uprog_fpu2_end, &ctx_b);
    KT_ASSERT_EQ(arch_user_run(&ctx_b), VEC_SYSCALL);
    KT_ASSERT_EQ(ctx_b.regs.rax, 0x20);
    memcpy(code_page, saved_code, sizeof(saved_code));
    KT_ASSERT_EQ(arch_user_run(&ctx_a), VEC_SYSCALL);
    KT_ASSERT_EQ(ctx_a.regs.rax, 0x11);
    KT_ASSERT(ctx_a.regs.rdi == 1, "xmm0 of context A is %lu after B ran",
              (unsigned long)ctx_a.regs.rdi);
}

KTEST(user, interrupts_in_user_mode_resume_it)
{
    load(uprog_spin, uprog_spin_end, &ctx_a);
    ctx_a.regs.rdi = 20000000; /* loop count */
    uint64_t t0 = arch_ticks();
    uint64_t v = arch_user_run(&ctx_a);
    uint64_t t1 = arch_ticks();
    KT_ASSERT(v == VEC_SYSCALL, "vector %lu", (unsigned long)v);
    KT_ASSERT_EQ(ctx_a.regs.rax, 0x30);
    /* syscall put the return address in rcx: a syscall frame reads it as rip */
    KT_ASSERT_EQ(ctx_reg(&ctx_a, WF_FAULT_WORD_RCX), ctx_a.regs.rip);
    KT_ASSERT(ctx_a.regs.r12 == 0x1111 && ctx_a.regs.r13 == 0x2222 && ctx_a.regs.r14 == 0x3333 &&
                  ctx_a.regs.r15 == 0x4444,
              "callee-saved registers changed across interrupts");
    KT_ASSERT(t1 > t0, "no timer interrupt arrived during %u loop iterations", 20000000u);
}
