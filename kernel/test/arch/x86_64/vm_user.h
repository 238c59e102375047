/*
 * Ring-3 code against real VSpaces, for the VM self-tests and the VM benchmark
 * (x86-64), run without a thread through the arch_user_run scaffold
 * (ktest_arch.h), so a test sees each fault's vector itself. The programs
 * are in vm_progs.S; vm_user_space puts them in a code VMO mapped read-execute at
 * VM_USER_CODE of a new VSpace.
 */
#ifndef WEFT_ARCH_VM_USER_H
#define WEFT_ARCH_VM_USER_H

#include "arch/x86.h"
#include "ktest_arch.h"
#include "mm/vm.h"
#include "weft/errors.h"

struct slot;

#define VM_USER_CODE 0x400000ull

enum vm_prog {
    VPROG_TOUCH, /* write a word to each of rsi pages from rdi; rax = rdtsc delta */
    VPROG_LOAD,  /* rax = *rdi */
    VPROG_STORE, /* *rdi = rsi */
    VPROG_JUMP,  /* jump to rdi */
    VPROG_COUNT,
};

/* How a run ended. */
struct vm_run {
    uint64_t vector;          /* VEC_SYSCALL, or the exception that was not resolved */
    enum vm_fault_result res; /* for vector 14: what vm_fault said */
    uint64_t addr, error;     /* for vector 14: CR2 and the error code */
    uint64_t faults;          /* page faults resolved on the way */
};

/* Creates a VSpace (into vs_dest) and a code VMO holding every program (into
 * code_dest) from the pool in pool_slot, the code mapped read-execute. */
enum wf_error vm_user_space(struct slot *pool_slot, struct slot *vs_dest, struct slot *code_dest);

/* Prepares ctx to run prog with rdi and rsi. */
void vm_user_load(struct arch_context *ctx, enum vm_prog prog, uint64_t rdi, uint64_t rsi);

/* Activates vs and runs ctx until its next syscall, resolving page faults with
 * vm_fault as the fault path will; stops at the first fault vm_fault cannot
 * resolve or any other exception. vs stays active. */
struct vm_run vm_user_run(struct vspace *vs, struct arch_context *ctx);

#endif
