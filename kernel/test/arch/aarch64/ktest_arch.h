/*
 * The aarch64 test image's architecture hooks (kernel/test/ktest.c) and
 * scaffolding (scaffold.c, scaffold.S): running an EL0 context from a
 * self-test without a thread, and a kernel setjmp/longjmp.
 */
#ifndef WEFT_KTEST_ARCH_H
#define WEFT_KTEST_ARCH_H

#include "arch/aarch64.h"
#include "arch/pt.h"
#include "arch/vm_cpu.h"
#include "types.h"

struct arch_context;

/* Runs ctx at EL0 until its next exception (a system call or a fault; an
 * interrupt is serviced and EL0 resumed) and returns with ctx filled: the
 * registers, ctx_entry and ctx_fault. */
void arch_user_run(struct arch_context *ctx);

/* A saved kernel execution point: x19-x30 and the stack pointer. */
struct arch_jmpbuf {
    uint64_t x19_x30[12];
    uint64_t sp;
};

/* Saves the caller's point in jb and returns 0; arch_longjmp(jb, v) returns
 * there again with v (1 if v is 0). The caller's frame must still exist. */
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));
__noreturn void arch_longjmp(struct arch_jmpbuf *jb, int v);

/* Maps the kernel page kpage (page-aligned) at user address va (0x500000 to
 * 0x5fffff) in the kernel's own lower half, EL0-accessible, writable if write,
 * executable if exec, and loads that half (world.c). */
void arch_ktest_map_user(vaddr_t va, void *kpage, bool write, bool exec);

/* Provokes the fault named by kind ("pf", "ud", "wx", "nx", "brk", "assert") so
 * the harness can check the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

/* The thread self-tests' architecture facts (fault_ktest.c, ipc_ktest.c): the
 * length of the script's undefined instruction (udf), a PSTATE value with
 * privileged bits (D A I F masked, EL1h) and those bits, and what identifies a
 * context's last entry into the kernel (ctx_entry). */
#define KTEST_UD_LEN           4
#define KTEST_FLAGS_REWRITE    0xf00003c5ull
#define KTEST_FLAGS_PRIVILEGED 0x3cfull
#define KTEST_CTX_ENTRY(ctx)   ctx_entry(ctx)

/* The user-mode scaffold (kernel/test/umode_ktest.c, ktest_umode.h) runs here:
 * code written for EL0 made fetchable (cleaned to the point of unification,
 * the instruction cache invalidated); the general registers x0-x30 as words
 * of enum wf_fault_word; a breakpoint's code (brk #5: ESR's immediate); the
 * undefined instruction's DETAIL1 (EC 0, unknown reason); the
 * root and ASID TTBR0_EL1 holds. */
#define KTEST_UMODE 1
static inline void ktest_code_written(const void *dst, size_t len)
{
    for (size_t off = 0; off < len; off += 4)
        __asm__ volatile("dc cvau, %0" : : "r"((const char *)dst + off) : "memory");
    __asm__ volatile("dsb ish\n\tic iallu\n\tdsb ish\n\tisb" ::: "memory");
}
#define KTEST_GPR_FIRST        0
#define KTEST_GPR_LAST         30
#define KTEST_GPR_WORD(n)      WF_AARCH64_REG_X(n)
#define KTEST_BRK_CODE_OK(c)   (((c)&0xffff) == 5)
#define KTEST_UD_DETAIL1_OK(d) (wf_aarch64_exception_class(d) == 0)
/* A hostile EL0 instruction may be undefined or a protection fault (a trapped
 * system register); what it must not change: VBAR_EL1, SCTLR_EL1. */
#define KTEST_HOSTILE_PROTECTION true
#define KTEST_KERNEL_REGS(r)     ((r)[0] = read_sysreg(vbar_el1), (r)[1] = read_sysreg(sctlr_el1))
#define KTEST_LOADED_ROOT()      (read_sysreg(ttbr0_el1) & PTE_ADDR)
#define KTEST_LOADED_ASID()      ((unsigned)(read_sysreg(ttbr0_el1) >> 48))

/* The VM benchmark (bench_vm_ktest.c): a 4 KiB leaf with the contiguous hint
 * is one TLB entry for its group of 16 pages (arch/pt.h, decision 168). */
#define KTEST_TLB_ENTRY_PAGES(e) (((e)&PTE_CONT) ? 16u : 1u)
#define KTEST_TLB_GROUPS         true

/* The platform self-tests (platform_ktest.c): the machine is described by a
 * device tree (boot_fdt); the boot CPU's id as the tree's cpu nodes give it
 * (MPIDR_EL1's affinity fields); the timer's frequency as the CPU has it
 * (CNTFRQ_EL0, which the tree's clock-frequency may only repeat). */
#define KTEST_PLATFORM_FDT  1
#define KTEST_BOOT_CPU_ID() (read_sysreg(mpidr_el1) & 0xff00ffffffull)
#define KTEST_TIMER_HZ(f)   ((void)(f), read_sysreg(cntfrq_el0))

#endif
