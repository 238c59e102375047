/*
 * The user-mode scaffold of the ports' self-tests (kernel/test/umode_ktest.c,
 * where ktest_arch.h defines KTEST_UMODE): one user address space with a code
 * page (read-execute) at KU_CODE_VA and a data page (read-write, also the
 * stack) at KU_DATA_VA, into which a test copies one of the architecture's
 * programs (kernel/test/arch/<arch>/user_progs.S) and runs it through
 * arch_user_run. The generic tests there and the architecture's own
 * (kernel/test/arch/<arch>/user_ktest.c) share it.
 *
 * Every architecture's user_progs.S has these programs, each ending in an
 * exception, with the registers named in the neutral words of enum
 * wf_fault_word (decision 150):
 *   prog_syscall     CAP = 42, INFO = CAP + CAP, MR0 = the stack pointer,
 *                    MR1 = the thread pointer, then a system call (5 instructions)
 *   prog_regs        every general register n holds 0x100 + n, then a system
 *                    call (32 instructions)
 *   prog_load        ARG0 = the word at ARG1, then the zeroed rest of the
 *                    page (an undefined instruction)
 *   prog_store_code  a write to its own (read-only) page
 *   prog_undefined   an undefined instruction
 *   prog_breakpoint  the breakpoint instruction
 *   prog_jump        a jump to ARG1
 *   prog_spin        CAP counts from 0 up to MR0, then a system call
 *   prog_sys         a system call by the convention (SYSNO 0x55, CAP 0x11,
 *                    INFO 0x22, MR0-MR3 0x30-0x33, REPLY_CAP 0x44), then the
 *                    eight registers as it returned (SYSNO, CAP, INFO,
 *                    MR0-MR3, REPLY_CAP) stored below the stack pointer, then
 *                    another system call (9 instructions each part)
 */
#ifndef WEFT_KTEST_UMODE_H
#define WEFT_KTEST_UMODE_H

#include "arch/context.h"
#include "weft/errors.h"
#include "arch.h"
#include "types.h"

#define KU_CODE_VA 0x400000ull
#define KU_DATA_VA 0x500000ull
#define KU_STACK   (KU_DATA_VA + 0x1000)

struct ku_prog {
    const char *name, *start, *end;
};
#define KU_PROG(n)                                                                                 \
    extern const char n[], n##_end[];                                                              \
    static const struct ku_prog p_##n = {#n, n, n##_end}

/* The scaffold's address space, the frames of its code and data pages. */
extern struct pt_ctx ku_space;
extern paddr_t ku_code_pa, ku_data_pa;

/* Gives thread 0 of the self-tests' world a fault endpoint: KW_EP(0),
 * write-only with badge, in slot KW_FREE. */
enum wf_error ku_world_fault_endpoint(uint64_t badge);

/* Builds the space (once) and loads it; false when memory is short. */
bool ku_setup(void);

/* Loads the kernel's own root again (where the threads of the self-tests'
 * world run, ipc/ktest_world.h), leaving the scaffold's space unloaded. */
void ku_leave(void);

/* Copies p to the code page and prepares ctx to run it from its start. */
void ku_load(struct arch_context *ctx, const struct ku_prog *p);

/* Loads p and runs it to its first entry into the kernel; ctx_entry. */
unsigned ku_run(struct arch_context *ctx, const struct ku_prog *p);

/* Runs p with ARG1 = arg; its decoded fault, or NULL when it did not fault. */
const struct arch_fault *ku_fault_of(struct arch_context *ctx, const struct ku_prog *p,
                                     uint64_t arg);

/* What prog_load reads at va in the loaded space; 0xdead when it faults. */
uint64_t ku_load_word(uint64_t va);

#endif
