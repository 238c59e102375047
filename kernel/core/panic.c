/*
 * panic(): report a broken kernel invariant and stop.
 *
 * Prints the location, the message and a backtrace, then ends a test run
 * through the exit device (so the harness sees the failure at once instead of
 * waiting for its timeout) and halts. A panic while panicking only halts.
 */
#include "arch.h"
#include "kprintf.h"
#include "panic.h"

static bool panicking;

void panic_at(const char *file, int line, const char *fmt, ...)
{
    if (panicking)
        arch_halt();
    panicking = true;
    va_list ap;
    va_start(ap, fmt);
    kprintf("\nPANIC at %s:%d: ", file, line);
    kvprintf(fmt, ap);
    kprintf("\n");
    va_end(ap);
    arch_backtrace((uintptr_t)__builtin_frame_address(0), (uintptr_t) && here);
here:
    kprintf("System halted.\n");
    arch_debug_exit(1);
    arch_halt();
}
