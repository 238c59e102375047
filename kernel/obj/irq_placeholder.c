/*
 * PLACEHOLDER (contract commit only; replaced by kernel/obj/irqcontrol.c,
 * irqhandler.c and ioport.c in the same session): no cap of these types exists
 * yet, so these decoders are unreachable.
 */
#include "cap/decode_gen.h"
#include "obj/irq.h"

#define UNREACHABLE_DECODER(name)                                                                  \
    enum wf_error name(struct invocation *inv)                                                     \
    {                                                                                              \
        (void)inv;                                                                                 \
        return WF_ERR_ILLEGAL_OPERATION;                                                           \
    }

UNREACHABLE_DECODER(irqcontrol_decode_get)
UNREACHABLE_DECODER(irqhandler_decode_set_notification)
UNREACHABLE_DECODER(irqhandler_decode_clear_notification)
UNREACHABLE_DECODER(irqhandler_decode_ack)
UNREACHABLE_DECODER(irqhandler_decode_describe)
UNREACHABLE_DECODER(ioport_decode_in)
UNREACHABLE_DECODER(ioport_decode_out)
UNREACHABLE_DECODER(ioport_decode_issue)
UNREACHABLE_DECODER(ioport_decode_describe)

uint64_t irq_delivered_count(void)
{
    return 0; /* no line can be issued before the IRQ objects land */
}
