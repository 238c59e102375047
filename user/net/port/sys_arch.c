/*
 * lwIP's system layer for NO_SYS=1 (decision 133): no threads, no semaphores,
 * no mailboxes; only the clock lwIP's timers run on and a random source.
 * The clock is the kernel's CLOCK system call (nanoseconds since boot, from
 * the TSC), in milliseconds.
 */
#include <stdint.h>

#include "lwip/sys.h"
#include "wf/syscall.h"

u32_t sys_now(void)
{
    return (u32_t)(wf_clock_ns() / 1000000u);
}

unsigned int weft_lwip_rand(void);

/* xorshift64*, seeded from the clock on first use: good enough for DHCP
 * transaction ids and ephemeral ports, not for cryptography. */
unsigned int weft_lwip_rand(void)
{
    static uint64_t s;
    if (s == 0)
        s = wf_clock_ns() | 1;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return (unsigned int)((s * 0x2545f4914f6cdd1dull) >> 32);
}
