/*
 * IRQControl: the right to take interrupt lines (obj/irq.h).
 *
 * One IRQControl cap exists at boot (the root task's slot WF_ROOT_IRQ_CONTROL).
 * Get issues a free line as an IRQHandler cap, the original of that line,
 * inserted in the derivation tree as a child of the invoked cap (of the cap it
 * was copied from, when the invoked cap is a copy: copies have no children,
 * kernel/cap/cdt.c), so that revoking the IRQControl cap takes every line back.
 * A line is issued once at a time: it is free again when the last cap to its
 * handler is deleted (irqhandler_finalize).
 */
#include "arch/irqchip.h"
#include "cap/cdt.h"
#include "cap/invoke.h"
#include "obj/irq.h"

enum wf_error irqcontrol_decode_get(struct invocation *inv)
{
    wf_word_t irq = inv->args[ARG_IRQCONTROL_GET_IRQ];
    wf_word_t trigger = inv->args[ARG_IRQCONTROL_GET_TRIGGER];
    unsigned lines = arch_irq_lines();
    if (lines == 0 || irq >= lines)
        return inv_fail_range(inv, ARG_IRQCONTROL_GET_IRQ, 0, lines ? lines - 1 : 0);
    unsigned actual =
        arch_irq_resolve_trigger((unsigned)irq, trigger <= 0xff ? (unsigned)trigger : 0xff);
    if (actual == 0)
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, ARG_IRQCONTROL_GET_TRIGGER, 0, 0, 0);
    if (!arch_irq_line_free_for_user((unsigned)irq) || irq_line((unsigned)irq)->issued)
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    struct slot *dest;
    enum wf_error e =
        inv_dest_slot(inv, XCAP_IRQCONTROL_GET_DEST_ROOT, ARG_IRQCONTROL_GET_DEST_INDEX,
                      ARG_IRQCONTROL_GET_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;

    irq_line_issue((unsigned)irq, actual);
    cdt_insert_new(inv->slot, dest, cap_irq_handler_new((unsigned)irq));
    return WF_ERR_OK;
}
