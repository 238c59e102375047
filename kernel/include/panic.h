/*
 * panic(), assert() and static_assert.
 *
 * panic() is for broken kernel invariants only, never for bad input from
 * userspace, a disk or the network (docs/style.md). It prints the message and a
 * backtrace and stops the machine. assert() is checked in debug builds
 * (DEBUG=1, the default) and compiled out otherwise.
 */
#ifndef WEFT_PANIC_H
#define WEFT_PANIC_H

#include "types.h"

__noreturn void panic_at(const char *file, int line, const char *fmt, ...) __printf(3, 4);

#define panic(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

#ifdef WEFT_DEBUG
#define assert(cond)                                                                               \
    do {                                                                                           \
        if (unlikely(!(cond)))                                                                     \
            panic_at(__FILE__, __LINE__, "assertion failed: %s", #cond);                           \
    } while (0)
#else
#define assert(cond) ((void)sizeof(cond))
#endif

#ifndef __cplusplus
#define static_assert _Static_assert
#endif

#endif
