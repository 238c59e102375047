/*
 * lwIP's compiler and platform port for Weft (decision 133): musl supplies the
 * standard headers; diagnostics go to stderr (the console server), a failed
 * assertion ends the server (init restarts it).
 */
#ifndef WEFT_LWIP_ARCH_CC_H
#define WEFT_LWIP_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
        printf x;                                                                                  \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                                    \
    do {                                                                                           \
        fprintf(stderr, "net: lwIP assertion \"%s\" at %s:%d\n", x, __FILE__, __LINE__);           \
        abort();                                                                                   \
    } while (0)

/* Random numbers (DHCP transaction ids, TCP initial sequence numbers, source
 * ports): the server's own generator, seeded from the TSC (sys_arch.c). */
unsigned int weft_lwip_rand(void);
#define LWIP_RAND() ((u32_t)weft_lwip_rand())

#endif
