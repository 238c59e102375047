/*
 * IRQHandler: one interrupt line, delivered as notification signals (obj/irq.h).
 *
 * The line's life (seL4's IRQHandler, with the kernel doing the masking):
 *
 *   free --Get--> issued, masked, no notification
 *   SetNotification: a copy of the notification cap goes into the line's own
 *       slot, inserted in the derivation tree after the cap given (so revoking
 *       that cap, or the memory under the notification, removes the copy: the
 *       line then has no notification, and nothing points at a dead object)
 *   Ack (needs a notification): unmasks the line; if an interrupt is pending it
 *       is delivered now instead, and the line stays masked
 *   interrupt: the controller masks the line and EOIs it (arch/irqchip.h); with
 *       a notification the badge of its cap is signalled and the count grows;
 *       without one the interrupt is pending until SetNotification and Ack
 *   ClearNotification: masks the line and drops the copy
 *   last handler cap deleted: masks the line, drops the copy, line free
 *
 * So a line is unmasked only while it has a notification and the driver has
 * acknowledged the last interrupt: an interrupt storm costs one delivery per
 * Ack, and a line whose notification went away stays quiet. Signalling reuses
 * notification_signal (obj/notification.h): it wakes the waiter, and the
 * scheduler switches to it on the way out of the kernel if it outranks the
 * interrupted thread.
 */
#include "obj/irq.h"

#include "arch/irqchip.h"
#include "cap/cdt.h"
#include "cap/delete.h"
#include "cap/invoke.h"
#include "obj/notification.h"

static struct irq_line lines[IRQ_LINES_MAX];
static uint64_t delivered;

struct irq_line *irq_line(unsigned line)
{
    assert(line < IRQ_LINES_MAX);
    return &lines[line];
}

uint64_t irq_delivered_count(void)
{
    return delivered;
}

void irq_line_issue(unsigned line, unsigned trigger)
{
    struct irq_line *l = irq_line(line);
    assert(!l->issued && slot_is_empty(&l->ntfn));
    l->issued = true;
    l->masked = true;
    l->pending = false;
    l->count = 0;
    l->trigger = (uint8_t)trigger;
    arch_irq_setup(line, trigger);
}

/* Signals l's notification (present) for one interrupt; the line stays masked. */
static void signal_line(struct irq_line *l)
{
    struct cap n = l->ntfn.cap;
    l->pending = false;
    l->count++;
    delivered++;
    notification_signal(cap_object(n), cap_badge(n));
}

void irq_deliver(unsigned line)
{
    struct irq_line *l = irq_line(line);
    l->masked = true;
    if (!l->issued)
        return; /* a line freed while its interrupt was in flight: it stays masked */
    if (slot_is_empty(&l->ntfn)) {
        l->pending = true;
        return;
    }
    signal_line(l);
}

static void mask_and_clear(unsigned line)
{
    struct irq_line *l = irq_line(line);
    if (!l->masked) {
        arch_irq_mask(line);
        l->masked = true;
    }
    if (!slot_is_empty(&l->ntfn))
        cap_delete_now(&l->ntfn); /* a notification cap: O(1), no zombie */
}

void irqhandler_finalize(unsigned line)
{
    struct irq_line *l = irq_line(line);
    assert(l->issued);
    mask_and_clear(line);
    l->issued = false;
    l->pending = false;
}

static struct irq_line *invoked(struct invocation *inv, unsigned *line)
{
    *line = cap_irq_handler_line(inv->slot->cap);
    struct irq_line *l = irq_line(*line);
    assert(l->issued);
    return l;
}

enum wf_error irqhandler_decode_set_notification(struct invocation *inv)
{
    unsigned line;
    struct irq_line *l = invoked(inv, &line);
    struct slot *src = inv->caps[XCAP_IRQHANDLER_SET_NOTIFICATION_NOTIFICATION];

    if (!slot_is_empty(&l->ntfn))
        cap_delete_now(&l->ntfn);
    cdt_insert_derived(src, &l->ntfn, src->cap);
    return WF_ERR_OK;
}

enum wf_error irqhandler_decode_clear_notification(struct invocation *inv)
{
    unsigned line;
    struct irq_line *l = invoked(inv, &line);
    if (slot_is_empty(&l->ntfn))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);

    mask_and_clear(line);
    return WF_ERR_OK;
}

enum wf_error irqhandler_decode_ack(struct invocation *inv)
{
    unsigned line;
    struct irq_line *l = invoked(inv, &line);
    if (slot_is_empty(&l->ntfn))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);

    if (l->pending) {
        signal_line(l);
    } else if (l->masked) {
        l->masked = false;
        arch_irq_unmask(line);
    }
    return WF_ERR_OK;
}

enum wf_error irqhandler_decode_describe(struct invocation *inv)
{
    unsigned line;
    struct irq_line *l = invoked(inv, &line);
    inv->reply[RES_IRQHANDLER_DESCRIBE_IRQ] = line;
    inv->reply[RES_IRQHANDLER_DESCRIBE_TRIGGER] = l->trigger;
    inv->reply[RES_IRQHANDLER_DESCRIBE_COUNT] = l->count;
    return WF_ERR_OK;
}
