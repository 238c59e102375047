/*
 * I/O port ranges as capabilities: IOPort (abi/weft.def; kernel/obj/ioport.c).
 *
 * An IOPort cap holds [first, last] in its own bits (cap/cap.h): no memory, no
 * finalization. In and Out check the range and refuse the ports the kernel
 * keeps (arch_port_refused in arch/ioport.h: by port, width and direction);
 * Issue makes a narrower cap.
 */
#ifndef WEFT_OBJ_IOPORT_H
#define WEFT_OBJ_IOPORT_H

#include "cap/cap.h"

/* The cap over every port (the root task's, slot WF_ROOT_IOPORT). */
static inline struct cap ioport_all(void)
{
    return cap_ioport_new(0, 0xffff);
}

#endif /* WEFT_OBJ_IOPORT_H */
