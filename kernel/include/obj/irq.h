/*
 * Interrupt lines as capabilities: IRQControl, IRQHandler (abi/weft.def).
 */
#ifndef WEFT_OBJ_IRQ_H
#define WEFT_OBJ_IRQ_H

#include "types.h"

/* Interrupts delivered to notifications through IRQHandlers since boot, all
 * lines together (DEBUG_STAT WF_STAT_IRQS_DELIVERED). */
uint64_t irq_delivered_count(void);

#endif /* WEFT_OBJ_IRQ_H */
