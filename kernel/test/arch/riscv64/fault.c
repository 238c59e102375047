/*
 * Deliberate kernel faults for the riscv64 test image (ktest.fault=KIND): each
 * must end in the exception report mk/arch-riscv64.mk checks. RISC-V has no
 * divide-error trap (x86-64's "de"); "brk" (ebreak) takes its place.
 */
#include "arch.h"
#include "ktest_arch.h"
#include "lib/string.h"
#include "panic.h"

/* A `ret` instruction (jalr x0, 0(ra)) in writable, never-executable data. */
static uint32_t data_ret = 0x00008067u;

void arch_selftest_fault(const char *kind)
{
    if (strcmp(kind, "pf") == 0) {
        /* Below the direct map: no table maps it. */
        *(volatile uint64_t *)(uintptr_t)(DIRECT_MAP_BASE - 0x1000) = 1;
    } else if (strcmp(kind, "ud") == 0) {
        __asm__ volatile(".word 0");
    } else if (strcmp(kind, "wx") == 0) {
        *(volatile uint32_t *)(uintptr_t)arch_selftest_fault = 0;
    } else if (strcmp(kind, "nx") == 0) {
        void (*fn)(void) = (void (*)(void))(uintptr_t)&data_ret;
        __asm__ volatile("" : "+r"(fn));
        fn();
        __asm__ volatile("" ::: "memory"); /* a call, not a tail call: ra names this function */
    } else if (strcmp(kind, "brk") == 0) {
        __asm__ volatile("ebreak");
    } else if (strcmp(kind, "assert") == 0) {
        volatile int one = 1;
        assert(one == 2);
    }
}
