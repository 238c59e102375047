/*
 * The aarch64 test image's architecture hooks (kernel/test/ktest.c).
 */
#ifndef WEFT_KTEST_ARCH_H
#define WEFT_KTEST_ARCH_H

/* Provokes the fault named by kind ("pf", "ud", "wx", "nx", "brk", "assert") so
 * the harness can check the exception report; returns only for an unknown kind. */
void arch_selftest_fault(const char *kind);

#endif
