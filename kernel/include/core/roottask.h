/*
 * The root task: the one thread the kernel makes itself (kernel/core/roottask.c).
 */
#ifndef WEFT_CORE_ROOTTASK_H
#define WEFT_CORE_ROOTTASK_H

/* Builds the root task from the initramfs's "init" (its CNode, TCB, pool, VSpace,
 * image, stack, IPC buffer, bootinfo page; every free byte of boot_pmm becomes an
 * Untyped cap) and makes its thread runnable. Panics with the reason if the
 * initramfs or memory does not allow it: a boot that cannot start init stops. */
void roottask_start(void);

#endif
