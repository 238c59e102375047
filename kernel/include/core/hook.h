/*
 * Link-time hooks: the few points where a kernel image built with more code
 * (the test image, kernel/test/; docs/testing.md) attaches to the boot and
 * scheduling paths of the production kernel.
 *
 * A hook point is a read-only table of function pointers, one section per
 * point, which the linker script brackets with __start_hook_POINT and
 * __stop_hook_POINT. Code in the test image adds an entry with
 *
 *     HOOK(sched_idle, ktest_idle_hook);
 *
 * and the production path runs the point's entries with HOOKS_RUN(point, args).
 * The production image links no entries: each point is an empty table, so a
 * hook costs a compare of two link-time constants, and there is no run-time
 * registration, no weak symbol and no writable function pointer to overwrite.
 * docs/decisions/092-test-image.md records the choice.
 *
 * The points (every entry runs in link order; one may not return):
 *   boot            kernel_main, after interrupts are on and before the root
 *                   task: the test image's command-line actions (ktest,
 *                   ktest.fault);
 *   sched_idle      sched_exit, when nothing is runnable, before idling.
 *
 * Hooks are for paths whose cost does not matter. The entry from user mode,
 * which every system call crosses, has instead one run-time redirect
 * (arch_user_redirect, arch/context.h) that only the test image's scaffold sets,
 * and only while it runs: a table entry there would cost every slow-path entry
 * of the test image, where the benchmarks run, a call.
 */
#ifndef WEFT_CORE_HOOK_H
#define WEFT_CORE_HOOK_H

typedef void hook_boot_fn(void);
typedef void hook_sched_idle_fn(void);

extern hook_boot_fn *const __start_hook_boot[], *const __stop_hook_boot[];
extern hook_sched_idle_fn *const __start_hook_sched_idle[], *const __stop_hook_sched_idle[];

/* Adds fn (of type hook_POINT_fn) to hook point `point`. */
#define HOOK(point, fn)                                                                            \
    __attribute__((used, section(".hook_" #point),                                                 \
                   aligned(8))) static hook_##point##_fn *const hook_entry_##point##_##fn = fn

/* Calls every entry of hook point `point` with the arguments given. */
#define HOOKS_RUN(point, ...)                                                                      \
    do {                                                                                           \
        for (hook_##point##_fn *const *h_ = __start_hook_##point; h_ < __stop_hook_##point; h_++)  \
            (*h_)(__VA_ARGS__);                                                                    \
    } while (0)

#endif
