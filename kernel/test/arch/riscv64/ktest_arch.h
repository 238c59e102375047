/*
 * The riscv64 test image's architecture hooks (kernel/test/ktest.c) and
 * scaffolding (scaffold.c, scaffold.S, world.c): running a U-mode context from
 * a self-test without a thread, a kernel setjmp/longjmp, the thread world's
 * user pages, and the deliberate faults.
 */
#ifndef WEFT_KTEST_ARCH_H
#define WEFT_KTEST_ARCH_H

#include "arch/riscv.h"
#include "arch/vm_cpu.h"
#include "types.h"

struct arch_context;

/* A saved kernel execution point: ra, sp, s0-s11. */
struct arch_jmpbuf {
    uint64_t ra, sp, s[12];
};

/* Saves the caller's point in jb and returns 0; arch_longjmp(jb, v) returns
 * there again with v (1 if v is 0). The caller's frame must still exist. */
int arch_setjmp(struct arch_jmpbuf *jb) __attribute__((returns_twice));
__noreturn void arch_longjmp(struct arch_jmpbuf *jb, int v);

/* Runs ctx in U-mode until its next exception (a system call or a fault; an
 * interrupt is serviced and U-mode resumed) and returns with ctx filled. */
void arch_user_run(struct arch_context *ctx);

/* Maps the kernel page kpage (page-aligned) at user address va (0x500000 to
 * 0x5fffff) in the user half of the kernel's own root, U-mode accessible,
 * writable if write, executable if exec, and loads that root (world.c). */
void arch_ktest_map_user(vaddr_t va, void *kpage, bool write, bool exec);

/* Provokes the fault named by kind ("pf", "ud", "wx", "nx", "brk", "assert") so
 * the harness can check the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

/* The thread self-tests' architecture facts (fault_ktest.c, ipc_ktest.c): the
 * length of the script's illegal instruction (a 4-byte zero word), an sstatus
 * value with privileged bits (SIE, SPIE, SPP, SUM, MXR) and those of them no
 * entry from U-mode ever reports (the kernel keeps none of a written value:
 * WF_RISCV64_SSTATUS_WRITABLE), and what identifies a context's last entry
 * into the kernel (ctx_entry). */
#define KTEST_UD_LEN           4
#define KTEST_FLAGS_REWRITE    0xc0122ull
#define KTEST_FLAGS_PRIVILEGED 0xc0102ull
#define KTEST_CTX_ENTRY(ctx)   ctx_entry(ctx)

/* The user-mode scaffold (kernel/test/umode_ktest.c, ktest_umode.h) runs here:
 * code written for U-mode made fetchable (fence.i); the general registers
 * x1-x31 as words of enum wf_fault_word; a breakpoint's code (scause 3); the
 * illegal instruction's DETAIL1 (scause 2); the root and ASID
 * satp holds. */
#define KTEST_UMODE 1
static inline void ktest_code_written(const void *dst, size_t len)
{
    (void)dst, (void)len;
    __asm__ volatile("fence.i" ::: "memory");
}
#define KTEST_GPR_FIRST        1
#define KTEST_GPR_LAST         31
#define KTEST_GPR_WORD(n)      WF_RISCV64_REG_X(n)
#define KTEST_BRK_CODE_OK(c)   ((c) == EXC_BREAKPOINT)
#define KTEST_UD_DETAIL1_OK(d) (wf_riscv64_exception_cause(d) == EXC_ILLEGAL)
/* A hostile U-mode instruction is an illegal instruction; what it must not
 * change: stvec, satp. */
#define KTEST_HOSTILE_PROTECTION false
#define KTEST_KERNEL_REGS(r)     ((r)[0] = csr_read(stvec), (r)[1] = csr_read(satp))
#define KTEST_LOADED_ROOT()      ((csr_read(satp) & SATP_PPN_MASK) << 12)
#define KTEST_LOADED_ASID()      ((unsigned)((csr_read(satp) >> SATP_ASID_SHIFT) & 0xffff))

/* The VM benchmark (bench_vm_ktest.c): a 4 KiB leaf in a NAPOT group is one
 * TLB entry for its 16 pages; groups are made where the hart has Svnapot. */
#define KTEST_TLB_ENTRY_PAGES(e) (((e)&PTE_N) ? 16u : 1u)
#define KTEST_TLB_GROUPS         riscv_svnapot

/* The platform self-tests (platform_ktest.c): the machine is described by a
 * device tree (boot_fdt); the boot hart's id (a0 at entry); the timer's
 * frequency, which only the tree gives (/cpus timebase-frequency). */
#define KTEST_PLATFORM_FDT  1
#define KTEST_BOOT_CPU_ID() boot_hartid
#define KTEST_TIMER_HZ(f)   ((uint64_t)(f)->timer.frequency)

#endif
