/*
 * Interrupts and I/O ports through caps: a real device, the CMOS real-time
 * clock (ports 0x70-0x71, ISA IRQ 8), driven through an IOPort cap issued for
 * its two ports, its periodic interrupt taken through IRQControl_Get(8) and a
 * badged notification; then every error of every method, and what deleting and
 * revoking does to lines, issued port ranges and notifications. COM1, shared
 * with the kernel's console: a byte written through an IOPort cap raises the
 * UART's THR-empty interrupt on IRQ 4, and its configuration stays refused.
 *
 * The RTC runs on QEMU's host clock (-rtc clock=host, the default), which
 * advances with or without -icount, so waiting for its interrupt cannot hang;
 * at 1024 Hz one comes within about a millisecond.
 */
#include "talarm.h"
#include "tarch.h"
#include "tutil.h"

#if defined(__x86_64__)

#define ROOT     WF_ROOT_CNODE
#define RTC_IDX  0x70
#define RTC_DATA 0x71
#define RTC_A    0x0a
#define RTC_B    0x0b
#define RTC_C    0x0c
#define RTC_PIE  0x40 /* register B: periodic interrupt enable */
#define RTC_IRQF 0x80 /* register C: an interrupt is asserted */
#define RTC_IRQ  8
#define BADGE    0x40

static enum wf_error rtc_read(wf_cptr_t io, unsigned reg, wf_word_t *v)
{
    enum wf_error e = wf_ioport_out(io, RTC_IDX, 1, reg);
    return e ? e : wf_ioport_in(io, RTC_DATA, 1, v);
}

static enum wf_error rtc_write(wf_cptr_t io, unsigned reg, wf_word_t v)
{
    enum wf_error e = wf_ioport_out(io, RTC_IDX, 1, reg);
    return e ? e : wf_ioport_out(io, RTC_DATA, 1, v);
}

/* Sets register B's periodic-interrupt enable. Clearing it also drops the RTC's
 * interrupt request (IRQF and the line), so no edge can follow. */
static enum wf_error rtc_pie(wf_cptr_t io, bool on)
{
    wf_word_t b;
    enum wf_error e = rtc_read(io, RTC_B, &b);
    return e ? e : rtc_write(io, RTC_B, on ? b | RTC_PIE : b & ~(wf_word_t)RTC_PIE);
}

/* Starts the periodic interrupt at 1024 Hz: with it off, register C is read
 * (clearing any flag latched before), then it is enabled. Register C is not read
 * again: the first interrupt raises IRQF, and only the one who takes it reads C. */
static enum wf_error rtc_start(wf_cptr_t io)
{
    wf_word_t a, c;
    enum wf_error e = rtc_pie(io, false);
    if (!e)
        e = rtc_read(io, RTC_C, &c);
    if (!e)
        e = rtc_read(io, RTC_A, &a);
    if (!e)
        e = rtc_write(io, RTC_A, (a & 0xf0) | 6);
    return e ? e : rtc_pie(io, true);
}

/* Stops it: disabled first (the request drops with no new edge, so nothing stays
 * latched in an interrupt controller for a later test), then C is cleared. */
static enum wf_error rtc_stop(wf_cptr_t io)
{
    wf_word_t c;
    enum wf_error e = rtc_pie(io, false);
    return e ? e : rtc_read(io, RTC_C, &c);
}

/* A notification in slot s0 and a WRITE cap to it badged BADGE in slot s1. */
static bool badged_ntfn(unsigned s0, unsigned s1)
{
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    return n && wf_cnode_move(ROOT, test_slot(s0), 64, ROOT, n, 64) == WF_ERR_OK &&
           wf_cnode_mint(ROOT, test_slot(s1), 64, ROOT, test_slot(s0), 64, WF_RIGHT_WRITE, BADGE) ==
               WF_ERR_OK;
}

static enum wf_error rtc_ports(wf_cptr_t dest)
{
    return wf_ioport_issue(WF_ROOT_IOPORT, RTC_IDX, RTC_DATA, ROOT, dest, 64);
}

/* Deterministic whatever the timing. Interrupts are counted by what was
 * delivered, not by what the clock did: QEMU's RTC raises its line at every
 * period (an I/O APIC takes each raise as an edge and drops it on a masked pin;
 * the 8259 needs the line low first, which reading register C does, and latches
 * it while masked), and a burst of periods can reach the CPU twice before the
 * kernel masks the line. So each round waits for the notification, finds the
 * handler's count grown, drains what a burst signalled on top, reads C (raised by the delivered period, which came
 * after the previous read: the line was masked until the Ack that followed it)
 * and only then acks. Ticks while masked deliver nothing; the kernel-wide counter
 * agrees with the handler's. */
TEST(irq, rtc_periodic_interrupts)
{
    wf_cptr_t io = test_slot(0), n = test_slot(1), nb = test_slot(2), h = test_slot(3);
    TEST_ASSERT_ERR(rtc_ports(io), WF_ERR_OK);
    TEST_ASSERT(badged_ntfn(1, 2));
    TEST_ASSERT_ERR(
        wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, RTC_IRQ, WF_IRQ_TRIGGER_DEFAULT, ROOT, h, 64),
        WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(h), WF_OBJ_IRQ_HANDLER);
    wf_word_t irq = 99, trig = 99, count = 99;
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(irq, RTC_IRQ);
    TEST_ASSERT_EQ(trig, WF_IRQ_TRIGGER_EDGE_HIGH); /* ISA default; QEMU has no override */
    TEST_ASSERT_EQ(count, 0);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, nb), WF_ERR_OK);
    wf_word_t delivered0 = 0, delivered1 = 0;
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_IRQS_DELIVERED, &delivered0), WF_ERR_OK);
    TEST_ASSERT_ERR(rtc_pie(io, false), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK); /* unmasked while the RTC is quiet */
    TEST_ASSERT_ERR(rtc_start(io), WF_ERR_OK);

    wf_word_t seen = 0, bits = 0, c = 0;
    for (unsigned k = 1; k <= 3; k++) {
        TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
        TEST_ASSERT_EQ(bits, BADGE);
        TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
        TEST_ASSERT(count > seen, "round %u: count %llu after %llu", k, (unsigned long long)count,
                    (unsigned long long)seen);
        seen = count;
        /* A burst's second delivery signalled again after the wait took the
         * first: drained here, so the next wait is for an interrupt after Ack. */
        TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
        TEST_ASSERT(bits == 0 || (bits == BADGE && count > 1), "round %u: bits %#llx", k,
                    (unsigned long long)bits);
        TEST_ASSERT_ERR(rtc_read(io, RTC_C, &c), WF_ERR_OK);
        TEST_ASSERT(c & RTC_IRQF, "round %u: register C %#llx, no interrupt asserted", k,
                    (unsigned long long)c);
        if (k < 3)
            TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK);
    }
    /* Masked until Ack: a period passes (C shows it) and nothing is delivered. */
    c = 0;
    for (unsigned spin = 0; spin < 10000000 && !(c & RTC_IRQF); spin++)
        TEST_ASSERT_ERR(rtc_read(io, RTC_C, &c), WF_ERR_OK);
    TEST_ASSERT(c & RTC_IRQF, "the RTC stopped");
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(count, seen);
    /* Stopped, then acked: what an 8259 latched while masked arrives now rather
     * than in a later test. The kernel-wide counter saw exactly the handler's
     * interrupts (no other line is issued). */
    TEST_ASSERT_ERR(rtc_stop(io), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT(count == seen || count == seen + 1, "count %llu after %llu",
                (unsigned long long)count, (unsigned long long)seen);
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_IRQS_DELIVERED, &delivered1), WF_ERR_OK);
    TEST_ASSERT_EQ(delivered1 - delivered0, count);
}

TEST(irq, bootinfo_describes_lines)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    TEST_ASSERT(bi->irq_lines >= 16, "irq_lines %llu", (unsigned long long)bi->irq_lines);
    TEST_ASSERT(bi->irq_ioapic <= 1);
    if (!bi->irq_ioapic)
        TEST_ASSERT_EQ(bi->irq_lines, 16);
}

TEST(irq, get_errors)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    wf_cptr_t h = test_slot(0), h2 = test_slot(1);
    wf_cptr_t ctl = WF_ROOT_IRQ_CONTROL;
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, bi->irq_lines, 0, ROOT, h, 64), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, ~0ull, 0, ROOT, h, 64), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, 0, 0, ROOT, h, 64), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, 2, 0, ROOT, h, 64), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 5, ROOT, h, 64), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, ~0ull, ROOT, h, 64), WF_ERR_INVALID_ARGUMENT);
    if (!bi->irq_ioapic) /* the PICs do edge, active high only */
        TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, WF_IRQ_TRIGGER_LEVEL_LOW, ROOT, h, 64),
                        WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, h, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, WF_ROOT_TCB, 64), WF_ERR_DELETE_FIRST);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, 1ull << 40, 64), WF_ERR_FAILED_LOOKUP);
    /* None of the refused calls issued the line. */
    TEST_ASSERT_EQ(wf_debug_cap_identify(h), 0);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, WF_IRQ_TRIGGER_EDGE_HIGH, ROOT, h, 64),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, h2, 64), WF_ERR_ILLEGAL_OPERATION);
    /* Not an IRQControl cap; a handler is not one either. */
    TEST_ASSERT_ERR(wf_irqcontrol_get(h, 9, 0, ROOT, h2, 64), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IOPORT, 9, 0, ROOT, h2, 64),
                    WF_ERR_ILLEGAL_OPERATION);
    /* Retype never makes these objects. */
    wf_cptr_t arena = test_arena();
    static const wf_word_t types[] = {WF_OBJ_IRQ_CONTROL, WF_OBJ_IRQ_HANDLER, WF_OBJ_IOPORT};
    for (unsigned i = 0; arena && i < 3; i++)
        TEST_ASSERT_ERR(wf_untyped_retype(arena, types[i], 0, ROOT, 0, 0, test_slot(2), 1),
                        WF_ERR_INVALID_ARGUMENT);
}

TEST(irq, handler_errors_and_notification_lifecycle)
{
    wf_cptr_t h = test_slot(0), io = test_slot(3);
    TEST_ASSERT_ERR(rtc_ports(io), WF_ERR_OK);
    TEST_ASSERT(badged_ntfn(1, 2));
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, RTC_IRQ, 0, ROOT, h, 64), WF_ERR_OK);
    /* Without a notification: nothing to ack or clear. */
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_irqhandler_clear_notification(h), WF_ERR_ILLEGAL_OPERATION);
    /* The notification cap must be a notification with WRITE. */
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, WF_ROOT_TCB), WF_ERR_INVALID_CAPABILITY);
    wf_cptr_t ro = test_slot(4);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, ro, 64, ROOT, test_slot(1), 64, WF_RIGHT_READ), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, ro), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, test_slot(2)), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_clear_notification(h), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, test_slot(2)), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK); /* unmasked, the RTC is quiet */

    /* The notification goes (revoke and delete every cap to it) while the line is
     * unmasked: the next interrupt finds none and stays pending, masked. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, test_slot(1), 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, test_slot(1), 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(2)), 0);
    TEST_ASSERT_ERR(rtc_start(io), WF_ERR_OK);
    wf_word_t c = 0;
    for (unsigned spin = 0; spin < 10000000 && !(c & RTC_IRQF); spin++)
        TEST_ASSERT_ERR(rtc_read(io, RTC_C, &c), WF_ERR_OK);
    TEST_ASSERT(c & RTC_IRQF, "the RTC never raised its interrupt");
    wf_word_t irq, trig, count = 99;
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(count, 0);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_ILLEGAL_OPERATION);

    /* A new notification and Ack deliver the pending interrupt at once. */
    TEST_ASSERT(badged_ntfn(5, 6));
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, test_slot(6)), WF_ERR_OK);
    wf_word_t bits = 0;
    TEST_ASSERT_ERR(wf_sys_poll(test_slot(5), &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_poll(test_slot(5), &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, BADGE);
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(count, 1);
    TEST_ASSERT_ERR(rtc_stop(io), WF_ERR_OK);
}

TEST(irq, delete_and_revoke_free_the_line)
{
    wf_cptr_t ctl = WF_ROOT_IRQ_CONTROL, h = test_slot(0), hc = test_slot(1), ctl2 = test_slot(2);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, h, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, hc, 64, ROOT, h, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    /* A copy keeps the line issued; the last cap frees it. */
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, h, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, h, 64), WF_ERR_ILLEGAL_OPERATION);
    wf_word_t irq = 0, trig, count;
    TEST_ASSERT_ERR(wf_irqhandler_describe(hc, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(irq, RTC_IRQ);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, hc, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, WF_IRQ_TRIGGER_EDGE_HIGH, ROOT, h, 64),
                    WF_ERR_OK);
    /* Revoking the handler's original takes its copies. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, hc, 64, ROOT, h, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, h, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(hc), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(h), WF_OBJ_IRQ_HANDLER);
    /* Got through a copy of IRQControl, the handler is still under the original:
     * revoking IRQControl deletes every handler and frees their lines. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, ctl2, 64, ROOT, ctl, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl2, 9, 0, ROOT, hc, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, ctl, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(h), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(hc), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ctl2), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ctl), WF_OBJ_IRQ_CONTROL);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, RTC_IRQ, 0, ROOT, h, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqcontrol_get(ctl, 9, 0, ROOT, hc, 64), WF_ERR_OK);
}

TEST(ioport, in_out_errors)
{
    wf_cptr_t io = test_slot(0), all = WF_ROOT_IOPORT;
    TEST_ASSERT_ERR(rtc_ports(io), WF_ERR_OK);
    wf_word_t v = 0, first = 1, last = 1;
    TEST_ASSERT_ERR(wf_ioport_describe(io, &first, &last), WF_ERR_OK);
    TEST_ASSERT_EQ(first, RTC_IDX);
    TEST_ASSERT_EQ(last, RTC_DATA);
    TEST_ASSERT_ERR(wf_ioport_describe(all, &first, &last), WF_ERR_OK);
    TEST_ASSERT_EQ(first, 0);
    TEST_ASSERT_EQ(last, 0xffff);
    /* Widths, and ports outside the range (also partly: 2 bytes at 0x71). */
    TEST_ASSERT_ERR(wf_ioport_in(io, RTC_IDX, 3, &v), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_ioport_in(io, RTC_IDX, 0, &v), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_ioport_out(io, RTC_IDX, 8, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_ioport_in(io, 0x72, 1, &v), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_in(io, 0x6f, 1, &v), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_in(io, RTC_DATA, 2, &v), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_out(io, ~0ull, 1, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_in(all, 0x10000, 1, &v), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_in(all, 0xffff, 2, &v), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_in(io, RTC_IDX, 2, &v), WF_ERR_OK);
    /* The details name the bounds: the ports a 2-byte access may start at, and for
     * a 4-byte access (wider than the 2-port range) the widths that fit. */
    wf_word_t d[4] = {9, 9, 9, 9}, w[2] = {RTC_DATA, 2};
    TEST_ASSERT_EQ(wf_call(io, WF_LABEL_IOPORT_IN, w, 2, 0, 0, d, 4), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 0);
    TEST_ASSERT_EQ(d[1], RTC_IDX);
    TEST_ASSERT_EQ(d[2], RTC_IDX);
    w[0] = RTC_IDX;
    w[1] = 4;
    TEST_ASSERT_EQ(wf_call(io, WF_LABEL_IOPORT_IN, w, 2, 0, 0, d, 4), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], 1);
    TEST_ASSERT_EQ(d[2], 2);
    /* The kernel's own ports, even through the cap over every port (COM1's
     * configuration among them; its shared registers: irq/com1_*). */
    static const wf_word_t kept[] = {0x3fb, 0x3fc, 0x3ff, 0x20, 0x21,  0xa0,
                                     0xa1,  0x40,  0x43,  0x61, 0x501, 0x502};
    for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        TEST_ASSERT(wf_ioport_in(all, kept[i], 1, &v) == WF_ERR_ILLEGAL_OPERATION, "port %#llx",
                    (unsigned long long)kept[i]);
        TEST_ASSERT(wf_ioport_out(all, kept[i], 1, 0) == WF_ERR_ILLEGAL_OPERATION, "port %#llx",
                    (unsigned long long)kept[i]);
    }
    TEST_ASSERT_ERR(wf_ioport_in(all, 0x3f6, 4, &v), WF_ERR_ILLEGAL_OPERATION); /* 3f6-3f9 */
    TEST_ASSERT_ERR(wf_ioport_out(all, 0x500, 2, 0), WF_ERR_ILLEGAL_OPERATION); /* 500-501 */
    /* An RTC register round trip: register A's rate bits read back. */
    wf_word_t a = 0;
    TEST_ASSERT_ERR(rtc_read(io, RTC_A, &a), WF_ERR_OK);
    TEST_ASSERT_ERR(rtc_write(io, RTC_A, (a & 0xf0) | 0x9), WF_ERR_OK);
    TEST_ASSERT_ERR(rtc_read(io, RTC_A, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v & 0x7f, ((a & 0xf0) | 0x9) & 0x7f);
    TEST_ASSERT_ERR(rtc_write(io, RTC_A, a), WF_ERR_OK);
}

TEST(ioport, issue_errors_and_revoke)
{
    wf_cptr_t all = WF_ROOT_IOPORT, a = test_slot(0), b = test_slot(1), c = test_slot(2);
    TEST_ASSERT_ERR(wf_ioport_issue(all, 0x1000, 0x10ff, ROOT, a, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(a), WF_OBJ_IOPORT);
    TEST_ASSERT_ERR(wf_ioport_issue(a, 0x0fff, 0x1000, ROOT, b, 64), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_issue(a, 0x1000, 0x1100, ROOT, b, 64), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_issue(all, 0, 0x10000, ROOT, b, 64), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_ioport_issue(a, 0x1010, 0x100f, ROOT, b, 64), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_ioport_issue(a, 0x1000, 0x1000, ROOT, a, 64), WF_ERR_DELETE_FIRST);
    TEST_ASSERT_ERR(wf_ioport_issue(a, 0x1000, 0x1000, ROOT, b, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), 0);
    /* Narrower and narrower; Mint takes no data for IOPort caps. */
    TEST_ASSERT_ERR(wf_ioport_issue(a, 0x1010, 0x101f, ROOT, b, 64), WF_ERR_OK);
    wf_word_t first, last;
    TEST_ASSERT_ERR(wf_ioport_describe(b, &first, &last), WF_ERR_OK);
    TEST_ASSERT_EQ(first, 0x1010);
    TEST_ASSERT_EQ(last, 0x101f);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, c, 64, ROOT, b, 64, WF_RIGHTS_ALL, 5),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, c, 64, ROOT, b, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    /* Revoking the cap over every port deletes every range issued from it,
     * including those issued from its issued caps and their copies. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, all, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(a), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(c), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(all), WF_OBJ_IOPORT);
    TEST_ASSERT_ERR(wf_ioport_issue(all, 0x1000, 0x10ff, ROOT, a, 64), WF_ERR_OK);
}

/* COM1, shared with the kernel's console (decision 100): a console driver's
 * registers only, one byte at a time. */
#define COM1     0x3f8
#define UART_IER (COM1 + 1)
#define UART_IIR (COM1 + 2)
#define UART_LSR (COM1 + 5)
#define UART_MSR (COM1 + 6)
#define IER_THRI 0x02 /* interrupt when the transmit holding register empties */
#define IIR_NONE 0x01 /* no interrupt pending */
#define IIR_THRI 0x02 /* the pending interrupt is "THR empty" */
#define LSR_THRE 0x20
#define COM1_IRQ 4

/* The THRE interrupt round trip on an IOPort cap io over COM1 and handler h bound
 * to notification n: with the line quiet and unmasked, a byte written to THR
 * raises IRQ 4 once it has gone out, IIR names that interrupt (and reading IIR
 * clears it), LSR shows THR empty. Leaves IER on (the caller turns it off). */
static void com1_thre_round_trip(wf_cptr_t io, wf_cptr_t n, wf_cptr_t h)
{
    wf_word_t v = 0, bits = 1;
    /* Enabling the interrupt with THR empty raises it at once (a 16550 does):
     * an 8259 latches that edge on the masked line and delivers it at the Ack.
     * Ack, clear the UART's interrupt (reading IIR) and drain the notification
     * until an Ack delivers nothing: then the line is unmasked and quiet. */
    TEST_ASSERT_ERR(wf_ioport_out(io, UART_IER, 1, IER_THRI), WF_ERR_OK);
    for (unsigned round = 0; round < 4 && bits; round++) {
        TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK);
        TEST_ASSERT_ERR(wf_ioport_in(io, UART_IIR, 1, &v), WF_ERR_OK);
        TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    }
    TEST_ASSERT(bits == 0, "the line kept firing");
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_IIR, 1, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v & 0x0f, IIR_NONE);
    /* A newline (a blank console line, which the test harness ignores). */
    TEST_ASSERT_ERR(wf_ioport_out(io, COM1, 1, '\n'), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, BADGE);
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_IIR, 1, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v & 0x0f, IIR_THRI);
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_IIR, 1, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v & 0x0f, IIR_NONE);
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_LSR, 1, &v), WF_ERR_OK);
    TEST_ASSERT(v & LSR_THRE, "LSR %#llx", (unsigned long long)v);
    wf_word_t irq = 0, trig = 0, count = 0;
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(irq, COM1_IRQ);
    TEST_ASSERT(count >= 1, "count %llu", (unsigned long long)count);
}

TEST(irq, com1_thre_interrupt_through_a_shared_uart)
{
    wf_cptr_t io = test_slot(0), n = test_slot(1), nb = test_slot(2), h = test_slot(3);
    TEST_ASSERT_ERR(wf_ioport_issue(WF_ROOT_IOPORT, COM1, COM1 + 7, ROOT, io, 64), WF_ERR_OK);
    TEST_ASSERT(badged_ntfn(1, 2));
    /* Line 4 is free for a driver: the kernel never takes the UART's interrupt. */
    TEST_ASSERT_ERR(
        wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, COM1_IRQ, WF_IRQ_TRIGGER_DEFAULT, ROOT, h, 64),
        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, nb), WF_ERR_OK);
    com1_thre_round_trip(io, n, h);
    /* IER back to the kernel's 0 whatever happened above (a failure is already
     * recorded); with it, nothing is pending. The line is freed with h. */
    wf_word_t v = 0;
    TEST_ASSERT_ERR(wf_ioport_out(io, UART_IER, 1, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_IIR, 1, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v & 0x0f, IIR_NONE);
}

TEST(ioport, com1_shares_only_the_console_driver_registers)
{
    wf_cptr_t io = test_slot(0);
    TEST_ASSERT_ERR(wf_ioport_issue(WF_ROOT_IOPORT, COM1, COM1 + 7, ROOT, io, 64), WF_ERR_OK);
    wf_word_t v = 0;
    /* Reads of RBR (nothing received: whatever it holds), IIR, LSR, MSR. */
    static const wf_word_t readable[] = {COM1, UART_IIR, UART_LSR, UART_MSR};
    for (unsigned i = 0; i < sizeof(readable) / sizeof(readable[0]); i++)
        TEST_ASSERT(wf_ioport_in(io, readable[i], 1, &v) == WF_ERR_OK, "In %#llx",
                    (unsigned long long)readable[i]);
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_LSR, 1, &v), WF_ERR_OK);
    TEST_ASSERT(v & LSR_THRE, "LSR %#llx", (unsigned long long)v);
    /* IER written and left as the kernel set it (0). */
    TEST_ASSERT_ERR(wf_ioport_out(io, UART_IER, 1, 0), WF_ERR_OK);
    /* The configuration stays the kernel's: FCR, LCR, MCR, and IER, LCR, MCR,
     * SCR reads; every access wider than a byte. */
    static const wf_word_t no_out[] = {COM1 + 2, COM1 + 3, COM1 + 4, COM1 + 5, COM1 + 6, COM1 + 7};
    for (unsigned i = 0; i < sizeof(no_out) / sizeof(no_out[0]); i++)
        TEST_ASSERT(wf_ioport_out(io, no_out[i], 1, 0) == WF_ERR_ILLEGAL_OPERATION, "Out %#llx",
                    (unsigned long long)no_out[i]);
    static const wf_word_t no_in[] = {COM1 + 1, COM1 + 3, COM1 + 4, COM1 + 7};
    for (unsigned i = 0; i < sizeof(no_in) / sizeof(no_in[0]); i++)
        TEST_ASSERT(wf_ioport_in(io, no_in[i], 1, &v) == WF_ERR_ILLEGAL_OPERATION, "In %#llx",
                    (unsigned long long)no_in[i]);
    TEST_ASSERT_ERR(wf_ioport_in(io, COM1, 2, &v), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_ioport_out(io, COM1, 2, 0), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_ioport_in(io, UART_LSR, 2, &v), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_ioport_in(io, COM1 + 4, 4, &v), WF_ERR_ILLEGAL_OPERATION);
    /* The console still prints: this test's own TAP line comes after it. */
}

#else

/*
 * The device-tree machines (QEMU virt): a real-time clock's interrupt on its
 * line through a device VMO over its registers and IRQControl_Get: the
 * interrupt arrives as the badged notification's bits, the line stays masked
 * until Ack (an interrupt raised meanwhile is held, not delivered), Ack
 * delivers a still-raised level at once, and the kernel-wide counter agrees
 * with the handler's. The clock and its line are the machine's (talarm.h:
 * the PL031 on aarch64, the Goldfish RTC on riscv64); the test is one.
 */
#define ROOT     WF_ROOT_CNODE
#define BADGE    0x40
#define RTC_SOON 20000000ull /* 20 ms: the PL031 rounds it up to a second */

#if defined(__aarch64__)
#define RTC_TEST_NAME pl031_match_interrupt_through_a_handler
#elif defined(__riscv)
#define RTC_TEST_NAME goldfish_alarm_interrupt_through_a_handler

/* Active low is no trigger the PLIC takes. */
TEST(irq, active_low_is_refused_by_the_plic)
{
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, test_alarm.line + 1,
                                      WF_IRQ_TRIGGER_LEVEL_LOW, ROOT, test_slot(0), 64),
                    WF_ERR_INVALID_ARGUMENT);
}
#else
#error "t_irq.c: no interrupt source for this architecture's machine"
#endif

/* Spins until the armed event has happened or 3 s pass; true if it did. */
static bool rtc_wait_fired(void)
{
    uint64_t until = wf_clock_ns() + 3000000000ull;
    while (!test_alarm.raised())
        if (wf_clock_ns() > until)
            return false;
    return true;
}

/* TEST pastes its name: RTC_TEST_NAME expands on the way through RTC_TEST. */
#define RTC_TEST(name) TEST(irq, name)
RTC_TEST(RTC_TEST_NAME)
{
    const unsigned line = test_alarm.line;
    unsigned next = 0;
    TEST_ASSERT(test_alarm.setup(&next), "no device VMO over %s", test_alarm.name);
    wf_cptr_t n = test_slot(next), nb = test_slot(next + 1), h = test_slot(next + 2);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(ntfn);
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, n, 64, ROOT, ntfn, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, nb, 64, ROOT, n, 64, WF_RIGHT_WRITE, BADGE), WF_ERR_OK);
    test_alarm.quiet();
    TEST_ASSERT_ERR(
        wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, line, WF_IRQ_TRIGGER_DEFAULT, ROOT, h, 64),
        WF_ERR_OK);
    wf_word_t irq = 99, trig = 99, count = 99;
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(irq, line);
    TEST_ASSERT_EQ(trig, WF_IRQ_TRIGGER_LEVEL_HIGH);
    TEST_ASSERT_EQ(count, 0);
    /* A second handler for the line is refused while this one holds it. */
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, line, 0, ROOT, test_slot(next + 3), 64),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_irqhandler_set_notification(h, nb), WF_ERR_OK);
    wf_word_t delivered0 = 0, delivered1 = 0;
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_IRQS_DELIVERED, &delivered0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK); /* unmasked while the clock is quiet */

    /* The event: one interrupt, the notification's bits are the badge. */
    test_alarm.arm(RTC_SOON);
    wf_word_t bits = 0;
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, BADGE);
    TEST_ASSERT(test_alarm.raised(), "delivered, but %s raised nothing", test_alarm.name);
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(count, 1);

    /* Masked until Ack: cleared and raised again, nothing is delivered. */
    test_alarm.arm(RTC_SOON);
    TEST_ASSERT(rtc_wait_fired(), "%s did not raise it again", test_alarm.name);
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(count, 1);
    /* Ack with the level still high: delivered at once. */
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, BADGE);
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &irq, &trig, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(count, 2);

    /* Quiet again (the level dropped before the Ack), then acked: nothing more. */
    test_alarm.quiet();
    TEST_ASSERT_ERR(wf_irqhandler_ack(h), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_IRQS_DELIVERED, &delivered1), WF_ERR_OK);
    TEST_ASSERT_EQ(delivered1 - delivered0, 2);
    /* The last cap gone, the line is free again. */
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, h, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, line, 0, ROOT, h, 64), WF_ERR_OK);
}

/* No I/O ports: the root task's IOPort cap exists, and every In and Out
 * through it is refused. */
TEST(ioport, every_access_refused_without_ports)
{
    wf_word_t v = 0;
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_IOPORT), WF_OBJ_IOPORT);
    TEST_ASSERT_ERR(wf_ioport_in(WF_ROOT_IOPORT, 0x70, 1, &v), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_ioport_out(WF_ROOT_IOPORT, 0x3f8, 1, 'x'), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_ioport_in(WF_ROOT_IOPORT, 0xcf8, 4, &v), WF_ERR_ILLEGAL_OPERATION);
}

#endif
