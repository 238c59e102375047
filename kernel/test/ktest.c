/*
 * The test image's boot actions (a boot hook, core/hook.h): with "ktest.fault=KIND"
 * on the command line, provoke that fault (the harness checks the exception
 * report); with "ktest" or "ktest=PREFIX", run the self-tests of the .ktest
 * section (ktest.h) and end QEMU with status 1 if any failed, 0 otherwise.
 * Without either, boot goes on to the root task as in the production image.
 */
#include "arch.h"
#include "core/boot.h"
#include "core/hook.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "panic.h"
#include "sched/smp.h"
#include "lib/string.h"

extern const struct tap_test __start_ktest[], __stop_ktest[];

bool ktest_cmdline_u64(const char *key, uint64_t dflt, uint64_t *out)
{
    char arg[32];
    *out = dflt;
    if (!bootmem_cmdline_get(&boot_memory, key, arg, sizeof(arg)))
        return true;
    uint64_t v = 0;
    for (const char *p = arg; *p; p++) {
        if (*p < '0' || *p > '9' || v > (~0ull - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return arg[0] != 0;
}

static void ktest_boot(void)
{
    char arg[64];
    if (bootmem_cmdline_get(&boot_memory, "ktest.fault", arg, sizeof(arg))) {
        if (strcmp(arg, "klock") == 0) {
            kprintf("ktest: provoking fault '%s'\n", arg);
            kernel_lock_acquire(); /* held: debug builds report it (sched/smp.h) */
        }
        arch_selftest_fault(arg);
        panic("ktest.fault=%s: unknown fault kind", arg);
    }
    const char *filter = bootmem_cmdline_get(&boot_memory, "ktest", arg, sizeof(arg));
    if (!filter)
        return;
    static const struct tap_runner runner = {.print = kprintf};
    unsigned failures = tap_run(__start_ktest, __stop_ktest, filter, &runner);
    arch_debug_exit(failures ? 1 : 0);
    arch_halt();
}
HOOK(boot, ktest_boot);
