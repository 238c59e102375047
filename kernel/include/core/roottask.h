/*
 * The root task: the one thread the kernel makes itself (kernel/core/roottask.c).
 */
#ifndef WEFT_CORE_ROOTTASK_H
#define WEFT_CORE_ROOTTASK_H

#include "cap/cap.h"

/* Builds the root task from the initramfs's "init" (its CNode, TCB, pool, VSpace,
 * image, stack, IPC buffer, bootinfo page; every free byte of boot_pmm becomes an
 * Untyped cap) and makes its thread runnable. Panics with the reason if the
 * initramfs or memory does not allow it: a boot that cannot start init stops. */
void roottask_start(void);

/* True when cspace (a thread's CSpace root cap) names the root task's CNode.
 * That CNode's memory comes from boot memory and is never reused, so no other
 * CNode can ever match. */
bool roottask_cspace(struct cap cspace);

#endif
