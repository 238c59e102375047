/*
 * What is left of the kernel-side VM benchmark (kbench=vm), which ran a ring-3
 * loop through the self-test scaffolding instead of the thread fault path. The
 * benchmark is now an ordinary user process (user/bench/vm.c; make bench-vm).
 * kernel_main (kernel/core/main.c) still calls vm_kbench() and mm/vm.h still
 * declares it; once both are removed, so is this file.
 */
#include "mm/vm.h"

/* Does nothing: the VM benchmark runs in user mode (bench=vm). */
void vm_kbench(void) {}
