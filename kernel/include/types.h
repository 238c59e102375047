/*
 * Basic kernel types. Freestanding: the compiler's <stdint.h>, <stddef.h> and
 * <stdbool.h> are the only standard headers the kernel uses. The same header
 * compiles on the host, where kernel code is unit-tested.
 */
#ifndef WEFT_TYPES_H
#define WEFT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t; /* physical address */
typedef uint64_t vaddr_t; /* virtual address */

#define ARRAY_SIZE(a)         (sizeof(a) / sizeof((a)[0]))
#define ALIGN_DOWN(x, a)      ((x) & ~((__typeof__(x))(a)-1))
#define ALIGN_UP(x, a)        ALIGN_DOWN((x) + ((__typeof__(x))(a)-1), (a))
#define IS_ALIGNED(x, a)      (((x) & ((__typeof__(x))(a)-1)) == 0)
#define IS_POW2(x)            ((x) != 0 && ((x) & ((x)-1)) == 0)
#define MIN(a, b)             ((a) < (b) ? (a) : (b))
#define MAX(a, b)             ((a) > (b) ? (a) : (b))
#define KIB(x)                ((uint64_t)(x) << 10)
#define MIB(x)                ((uint64_t)(x) << 20)
#define GIB(x)                ((uint64_t)(x) << 30)
#define container_of(p, T, m) ((T *)((char *)(p)-offsetof(T, m)))

#define __noreturn     __attribute__((noreturn))
#define __unused       __attribute__((unused))
#define __packed       __attribute__((packed))
#define __aligned(n)   __attribute__((aligned(n)))
#define __section(s)   __attribute__((section(s)))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define likely(x)      __builtin_expect(!!(x), 1)
#define unlikely(x)    __builtin_expect(!!(x), 0)

#endif
