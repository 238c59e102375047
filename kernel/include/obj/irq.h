/*
 * Interrupt lines as capabilities: IRQControl, IRQHandler (abi/weft.def).
 *
 * No memory is behind these caps. The kernel keeps one struct irq_line per line
 * in a static table (no heap; IRQ_LINES_MAX entries, arch/irqchip.h): an
 * IRQHandler cap names its line, IRQControl_Get (kernel/obj/irqcontrol.c) issues
 * a free line once, and deleting the last cap to a handler (object_finalize)
 * frees it again. The state machine and delivery are in kernel/obj/irqhandler.c.
 */
#ifndef WEFT_OBJ_IRQ_H
#define WEFT_OBJ_IRQ_H

#include "cap/cap.h"
#include "types.h"

struct irq_line {
    struct slot ntfn; /* copy of the notification cap interrupts signal (a CDT child
                         of the cap SetNotification was given, so revoking that takes
                         it away), or empty */
    uint64_t count;   /* interrupts delivered since the line was issued */
    bool issued;      /* some IRQHandler cap to the line exists */
    bool masked;      /* masked in the controller: always, except between an Ack
                         (with a notification set) and the next interrupt */
    bool pending;     /* fired while no notification was set: delivered by Ack */
    uint8_t trigger;  /* enum wf_irq_trigger programmed (never DEFAULT) */
};

/* The state of line (< arch_irq_lines()); for the object code and self-tests. */
struct irq_line *irq_line(unsigned line);

/* Issues the free line: programs it with trigger (resolved, never DEFAULT),
 * masked, with no notification and a zero count. The caller (IRQControl_Get)
 * has checked that the line may be issued. */
void irq_line_issue(unsigned line, unsigned trigger);

/* Called by the interrupt controller code when line fired, after it masked the
 * line and acknowledged the interrupt: signals the line's notification with its
 * cap's badge and counts the interrupt, or, without a notification (or for a
 * line nobody holds), records it as pending. Never fails; O(1) plus the wake-up
 * of one thread (the scheduler runs the woken thread when the kernel leaves, if
 * its priority is higher). */
void irq_deliver(unsigned line);

/* The last cap to the handler of line is gone: masks the line, deletes the
 * notification copy and frees the line for IRQControl_Get. */
void irqhandler_finalize(unsigned line);

/* Interrupts delivered to notifications through IRQHandlers since boot, all
 * lines together (DEBUG_STAT WF_STAT_IRQS_DELIVERED). */
uint64_t irq_delivered_count(void);

#endif /* WEFT_OBJ_IRQ_H */
