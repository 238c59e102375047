/*
 * Self-tests of the IRQ objects (obj/irq.h) in the kernel test world
 * (ipc/ktest_world.h): the line state machine with the controller's mask bit
 * checked at each step, the derivation-tree behaviour (notification copies,
 * revoking IRQControl and IOPort caps), and a real device interrupt, the
 * machine's clock (ktest_alarm.h: the CMOS RTC's periodic interrupt on ISA
 * IRQ 8, the PL031's match on SPI 2, the Goldfish RTC's alarm on PLIC source
 * 11), waking a user-mode thread blocked in Wait. Controller state is changed
 * with interrupts off; they are on only while the test waits for the clock.
 */
#include "arch.h"
#include "arch/irqchip.h"
#include "cap/cdt.h"
#include "ipc/ktest_world.h"
#include "ktest.h"
#include "ktest_alarm.h"
#include "obj/ioport.h"
#include "obj/irq.h"
#include "obj/notification.h"
#include "sched/sched.h"

#define LINE    (ktest_alarm.line)
#define CTL     (KW_FREE + 0)
#define HANDLER (KW_FREE + 1)
#define NTFN_B  (KW_FREE + 2)
#define IOPORTS (KW_FREE + 3)
#define ISSUED  (KW_FREE + 4)
#define BADGE   0x80

#define SETUP()                                                                                    \
    KT_ASSERT(kw_setup(), "no memory for the test world");                                         \
    cdt_insert_root(kw_slot(CTL), cap_irq_control_new());                                          \
    cdt_insert_root(kw_slot(IOPORTS), ioport_all())

static enum wf_error get_line(unsigned line, unsigned dest)
{
    const wf_word_t w[4] = {line, WF_IRQ_TRIGGER_DEFAULT, dest, 64};
    const unsigned root = 1;
    return kw_invoke(CTL, WF_LABEL_IRQCONTROL_GET, w, 4, &root, 1, NULL);
}

static enum wf_error handler(wf_word_t label, unsigned ntfn_slot)
{
    return kw_invoke(HANDLER, label, NULL, 0, &ntfn_slot, ntfn_slot ? 1 : 0, NULL);
}

static uint64_t ntfn_word(void)
{
    struct notification *n = cap_object(kw_slot(KW_NTFN(0))->cap);
    uint64_t w = n->word;
    n->word = 0;
    return w;
}

/* The chip masks the line and EOIs it before irq_deliver; here the interrupt is
 * simulated, so the test masks it. */
static void fire(unsigned line)
{
    arch_irq_mask(line);
    irq_deliver(line);
}

KTEST(irq, line_state_machine)
{
    irq_disable();
    SETUP();
    struct irq_line *l = irq_line(LINE);
    uint64_t total = irq_delivered_count();
    KT_ASSERT(!l->issued);
    KT_ASSERT_EQ(get_line(LINE, HANDLER), WF_ERR_OK);
    KT_ASSERT(l->issued && l->masked && !l->pending && l->count == 0);
    KT_ASSERT(arch_irq_is_masked(LINE), "a new line must be masked in the controller");
    KT_ASSERT_EQ(get_line(LINE, KW_FREE + 8), WF_ERR_ILLEGAL_OPERATION);
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_ILLEGAL_OPERATION);
    KT_ASSERT(arch_irq_is_masked(LINE));

    KT_ASSERT_EQ(kw_mint(NTFN_B, KW_NTFN(0), WF_RIGHTS_ALL, BADGE), WF_ERR_OK);
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_SET_NOTIFICATION, NTFN_B), WF_ERR_OK);
    KT_ASSERT(!slot_is_empty(&l->ntfn) && cdt_is_parent_of(kw_slot(NTFN_B), &l->ntfn));
    KT_ASSERT(arch_irq_is_masked(LINE), "SetNotification does not unmask");
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_OK);
    KT_ASSERT(!l->masked && !arch_irq_is_masked(LINE));

    fire(LINE); /* delivered: signalled with the badge, masked until Ack */
    KT_ASSERT_EQ(ntfn_word(), BADGE);
    KT_ASSERT(l->masked && arch_irq_is_masked(LINE) && l->count == 1);
    KT_ASSERT_EQ(irq_delivered_count(), total + 1);
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_OK);
    KT_ASSERT(!arch_irq_is_masked(LINE));

    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_CLEAR_NOTIFICATION, 0), WF_ERR_OK);
    KT_ASSERT(slot_is_empty(&l->ntfn) && l->masked && arch_irq_is_masked(LINE));
    fire(LINE); /* no notification: pending */
    KT_ASSERT(l->pending && l->count == 1);
    KT_ASSERT_EQ(ntfn_word(), 0);
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_SET_NOTIFICATION, NTFN_B), WF_ERR_OK);
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_OK); /* delivers, stays masked */
    KT_ASSERT_EQ(ntfn_word(), BADGE);
    KT_ASSERT(!l->pending && l->count == 2 && arch_irq_is_masked(LINE));

    /* Deleting the last handler cap masks the line, drops the copy, frees it. */
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_OK);
    KT_ASSERT_EQ(kw_delete(HANDLER), WF_ERR_OK);
    KT_ASSERT(!l->issued && slot_is_empty(&l->ntfn) && arch_irq_is_masked(LINE));
    fire(LINE); /* a stray interrupt on a free line is ignored */
    KT_ASSERT(!l->issued && l->count == 2);
    KT_ASSERT_EQ(ntfn_word(), 0);
    KT_ASSERT_EQ(get_line(LINE, HANDLER), WF_ERR_OK);
    KT_ASSERT_EQ(l->count, 0);
    kw_teardown();
    KT_ASSERT(!l->issued, "destroying the CNode holding the handler frees the line");
    irq_enable();
}

KTEST(irq, derivation_tree)
{
    irq_disable();
    SETUP();
    struct irq_line *l = irq_line(LINE);
    KT_ASSERT_EQ(get_line(LINE, HANDLER), WF_ERR_OK);
    KT_ASSERT(cdt_is_parent_of(kw_slot(CTL), kw_slot(HANDLER)));
    /* Revoking the notification removes the line's copy (its descendant). */
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_SET_NOTIFICATION, KW_NTFN(0)), WF_ERR_OK);
    KT_ASSERT_EQ(kw_revoke(KW_NTFN(0)), WF_ERR_OK);
    KT_ASSERT(slot_is_empty(&l->ntfn));
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_ILLEGAL_OPERATION);
    /* Revoking IRQControl deletes the handler and frees the line. */
    KT_ASSERT_EQ(kw_mint(KW_FREE + 8, HANDLER, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    KT_ASSERT_EQ(kw_revoke(CTL), WF_ERR_OK);
    KT_ASSERT(slot_is_empty(kw_slot(HANDLER)) && slot_is_empty(kw_slot(KW_FREE + 8)));
    KT_ASSERT(!l->issued && arch_irq_is_masked(LINE));
    /* IOPort: issued ranges are children of the cap over every port; copies and
     * issued caps are leaves. */
    const wf_word_t w[4] = {0x70, 0x71, ISSUED, 64};
    const unsigned root = 1;
    KT_ASSERT_EQ(kw_invoke(IOPORTS, WF_LABEL_IOPORT_ISSUE, w, 4, &root, 1, NULL), WF_ERR_OK);
    KT_ASSERT(cdt_is_parent_of(kw_slot(IOPORTS), kw_slot(ISSUED)));
    KT_ASSERT(!slot_revocable(kw_slot(ISSUED)));
    KT_ASSERT_EQ(kw_revoke(IOPORTS), WF_ERR_OK);
    KT_ASSERT(slot_is_empty(kw_slot(ISSUED)));
    kw_teardown();
    irq_enable();
}

KTEST(irq, rtc_interrupt_wakes_waiting_thread)
{
    irq_disable();
    KT_ASSERT(ktest_alarm.setup(), "%s does not answer", ktest_alarm.name);
    ktest_alarm.quiet();
    SETUP();
    struct irq_line *l = irq_line(LINE);
    KT_ASSERT_EQ(get_line(LINE, HANDLER), WF_ERR_OK);
    KT_ASSERT_EQ(kw_mint(NTFN_B, KW_NTFN(0), WF_RIGHTS_ALL, BADGE), WF_ERR_OK);
    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_SET_NOTIFICATION, NTFN_B), WF_ERR_OK);
    unsigned e = KW_SYS(0, WF_SYS_WAIT, KW_NTFN(0));
    kw_start(0, 10);
    sched_run_until_idle(); /* thread 0 blocks in Wait */
    irq_disable();
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_BLOCKED_NTFN);

    KT_ASSERT_EQ(handler(WF_LABEL_IRQHANDLER_ACK, 0), WF_ERR_OK); /* unmasked, the clock quiet */
    ktest_alarm.arm();
    /* Interrupts on, wait, off: the clock or the tick wakes us; a second of
     * ticks (100 Hz) is the limit, the clock's interrupt comes within 1 ms. */
    uint64_t t0 = arch_ticks();
    while (kw_tcb(0)->state != TCB_RUNNABLE && arch_ticks() - t0 < 100)
        arch_idle_wait();
    bool raised = ktest_alarm.raised();
    ktest_alarm.quiet();
    KT_ASSERT_EQ(kw_tcb(0)->state, TCB_RUNNABLE);
    KT_ASSERT(raised, "delivered, but %s raised nothing", ktest_alarm.name);
    /* At least one: a burst of the CMOS RTC's periods can put a second edge in
     * the local APIC before the line is masked, and it is delivered after the
     * first's EOI. A level (the ports' clocks) is delivered once until Ack. */
    KT_ASSERT(l->count >= 1 && l->masked, "count %lu", (unsigned long)l->count);
    KT_ASSERT(arch_irq_is_masked(LINE), "the delivered line is not masked in the controller");
    sched_run_until_idle();
    irq_disable();
    KT_ASSERT(kw_res(0, e)->seq, "the waiter did not run");
    KT_ASSERT_EQ(kw_res(0, e)->err, WF_ERR_OK);
    KT_ASSERT_EQ(kw_res(0, e)->badge, BADGE);
    kw_teardown();
    irq_enable();
}
