/*
 * IRQControl, IRQHandler and IOPort caps in the derivation tree, through the
 * kernel's own invocations, against a model (decision 065):
 *  - the IRQControl cap in slot CTL and the IOPort cap over every port in slot
 *    ALL are the only revocable caps; Get, Issue and Copy from any cap of the
 *    family put the result under them, so revoking CTL deletes every handler and
 *    revoking ALL every issued range, and revoking an issued range or a copy
 *    deletes nothing;
 *  - a line is issued while some handler cap to it exists: Get of an issued line
 *    fails, and the last handler cap going frees it (and masks it in the chip);
 *  - an issued range lies inside the range of the cap it was issued from.
 * Random sequences of Get, Issue, Copy, Delete and Revoke; after every step the
 * slots must hold exactly what the model says. Also: the ports In and Out refuse
 * (the kernel's, and COM1 but for its console driver's registers; decision 100),
 * access by access.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "arch/ioport.h"
#include "arch/irqchip.h"
#include "cap/cdt.h"
#include "obj/irq.h"
#include "test_cap_world.h"

#define CTL   10
#define ALL   11
#define FIRST 20 /* slots FIRST .. FIRST + N - 1 hold the caps made */
#define N     40
#define LINES 24

enum kind { NONE, HANDLER, PORTS };
struct mcap {
    enum kind kind;
    unsigned line, first, last;
};
static struct mcap model[N];

static void setup(void)
{
    world_init(20, false);
    irqchip_init();
    cdt_insert_root(&W.root[CTL], cap_irq_control_new());
    cdt_insert_root(&W.root[ALL], cap_ioport_new(0, 0xffff));
    for (unsigned i = 0; i < N; i++)
        model[i].kind = NONE;
}

static bool line_issued(unsigned line)
{
    for (unsigned i = 0; i < N; i++)
        if (model[i].kind == HANDLER && model[i].line == line)
            return true;
    return false;
}

static void check(unsigned step)
{
    for (unsigned i = 0; i < N; i++) {
        struct cap c = W.root[FIRST + i].cap;
        switch (model[i].kind) {
        case NONE:
            cr_assert(cap_is_null(c), "step %u: slot %u should be empty", step, i);
            break;
        case HANDLER:
            cr_assert_eq(cap_type(c), CAP_IRQ_HANDLER, "step %u: slot %u", step, i);
            cr_assert_eq(cap_irq_handler_line(c), model[i].line);
            break;
        case PORTS:
            cr_assert_eq(cap_type(c), CAP_IOPORT, "step %u: slot %u", step, i);
            cr_assert_eq(cap_ioport_first(c), model[i].first);
            cr_assert_eq(cap_ioport_last(c), model[i].last);
            cr_assert(!slot_revocable(&W.root[FIRST + i]) || model[i].kind != PORTS);
            break;
        }
    }
    for (unsigned l = 0; l < LINES; l++) {
        cr_assert_eq(irq_line(l)->issued, line_issued(l), "step %u: line %u", step, l);
        if (!line_issued(l))
            cr_assert(arch_irq_is_masked(l), "step %u: free line %u unmasked", step, l);
    }
}

/* A random cap of the kind (or the root cap of it when none or by chance). */
static unsigned pick(enum kind k, unsigned root)
{
    unsigned start = (unsigned)rand() % N;
    if (rand() % 3 == 0)
        return root;
    for (unsigned j = 0; j < N; j++) {
        unsigned i = (start + j) % N;
        if (model[i].kind == k)
            return FIRST + i;
    }
    return root;
}

static struct mcap of_slot(unsigned s)
{
    if (s == ALL)
        return (struct mcap){PORTS, 0, 0, 0xffff};
    if (s == CTL)
        return (struct mcap){NONE, 0, 0, 0};
    return model[s - FIRST];
}

static void step(unsigned n)
{
    unsigned d = (unsigned)rand() % N, dest = FIRST + d;
    bool free = model[d].kind == NONE;
    switch (rand() % 7) {
    case 0: { /* Get */
        unsigned line = (unsigned)rand() % (LINES + 2);
        enum wf_error e = wf_irqcontrol_get(CTL, line, 0, 1, dest, 64);
        enum wf_error want = line >= LINES ? WF_ERR_RANGE_ERROR
                             : line == 0 || line == 2 || line_issued(line)
                                 ? WF_ERR_ILLEGAL_OPERATION
                             : !free ? WF_ERR_DELETE_FIRST
                                     : WF_ERR_OK;
        cr_assert_eq(e, want, "step %u: Get(%u) gave %d", n, line, e);
        if (e == WF_ERR_OK)
            model[d] = (struct mcap){HANDLER, line, 0, 0};
        break;
    }
    case 1:
    case 2: { /* Issue */
        unsigned src = pick(PORTS, ALL);
        struct mcap p = of_slot(src);
        unsigned span = p.last - p.first + 1;
        unsigned f = p.first + (unsigned)rand() % span;
        unsigned l = f + (unsigned)rand() % (p.last - f + 1);
        enum wf_error e = wf_ioport_issue(src, f, l, 1, dest, 64);
        cr_assert_eq(e, free ? WF_ERR_OK : WF_ERR_DELETE_FIRST, "step %u: Issue", n);
        if (e == WF_ERR_OK)
            model[d] = (struct mcap){PORTS, 0, f, l};
        break;
    }
    case 3: { /* Copy a handler or a range */
        unsigned src = pick(rand() % 2 ? HANDLER : PORTS, ALL);
        enum wf_error e = wf_cnode_copy(1, dest, 64, 1, src, 64, WF_RIGHTS_ALL);
        cr_assert_eq(e, free ? WF_ERR_OK : WF_ERR_DELETE_FIRST, "step %u: Copy", n);
        if (e == WF_ERR_OK)
            model[d] = of_slot(src);
        break;
    }
    case 4:
    case 5: /* Delete */
        cr_assert_eq(wf_cnode_delete(1, dest, 64), WF_ERR_OK);
        model[d].kind = NONE;
        break;
    default: { /* Revoke: a root takes its whole family, any other cap nothing */
        /* (a handler's original is revocable: its copies go; not modelled here) */
        unsigned r = rand() % 4, s = r == 0 ? CTL : r == 1 ? ALL : dest;
        if (model[d].kind == HANDLER)
            s = CTL;
        cr_assert_eq(wf_cnode_revoke(1, s, 64), WF_ERR_OK);
        for (unsigned i = 0; i < N; i++)
            if ((s == CTL && model[i].kind == HANDLER) || (s == ALL && model[i].kind == PORTS))
                model[i].kind = NONE;
        break;
    }
    }
    check(n);
}

Test(cap_irq, random_operations_match_model, .timeout = 60)
{
    srand(6502);
    for (unsigned round = 0; round < 20; round++) {
        setup();
        for (unsigned n = 0; n < 400; n++)
            step(n);
        /* Deleting the roots' families leaves every line free and masked. */
        cr_assert_eq(wf_cnode_revoke(1, CTL, 64), WF_ERR_OK);
        cr_assert_eq(wf_cnode_revoke(1, ALL, 64), WF_ERR_OK);
        for (unsigned i = 0; i < N; i++)
            model[i].kind = NONE;
        check(9999);
        world_fini();
    }
}

Test(cap_irq, notification_copy_follows_the_notification)
{
    setup();
    world_retype(WORLD_ROOT_UT, WF_OBJ_NOTIFICATION, 0, 30, 1);
    cr_assert_eq(wf_irqcontrol_get(CTL, 5, 0, 1, FIRST, 64), WF_ERR_OK);
    cr_assert_eq(wf_irqhandler_set_notification(FIRST, 30), WF_ERR_OK);
    struct irq_line *l = irq_line(5);
    cr_assert(!slot_is_empty(&l->ntfn));
    cr_assert_eq(wf_irqhandler_ack(FIRST), WF_ERR_OK);
    cr_assert(!arch_irq_is_masked(5));
    /* Revoking the untyped under the notification takes the copy away. */
    cr_assert_eq(wf_cnode_revoke(1, WORLD_ROOT_UT, 64), WF_ERR_OK);
    cr_assert(slot_is_empty(&l->ntfn));
    arch_irq_mask(5);
    irq_deliver(5); /* no notification: pending, no crash */
    cr_assert(l->pending && l->count == 0);
    cr_assert_eq(wf_irqhandler_ack(FIRST), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_cnode_delete(1, FIRST, 64), WF_ERR_OK);
    cr_assert(!l->issued && !l->pending && arch_irq_is_masked(5));
    world_fini();
}

/* The refused ports, access by access, against a list written out here: every
 * width and direction at every port from 0 to 0x600 (past the kernel's ports). */
Test(cap_irq, refused_ports_follow_the_console_sharing_rule)
{
    static const unsigned kept[][2] = {
        {0x20, 0x21}, {0x40, 0x43}, {0x61, 0x61}, {0xa0, 0xa1}, {0x501, 0x502}};
    static const unsigned com1_in[] = {0x3f8, 0x3fa, 0x3fd, 0x3fe}, com1_out[] = {0x3f8, 0x3f9};
    static const unsigned widths[] = {1, 2, 4};
    for (unsigned port = 0; port < 0x600; port++)
        for (unsigned w = 0; w < 3; w++)
            for (unsigned out = 0; out < 2; out++) {
                unsigned last = port + widths[w] - 1;
                bool want = false;
                for (unsigned i = 0; i < ARRAY_SIZE(kept); i++)
                    want |= port <= kept[i][1] && last >= kept[i][0];
                if (port <= 0x3ff && last >= 0x3f8) { /* COM1 */
                    bool listed = false;
                    const unsigned *ok = out ? com1_out : com1_in;
                    unsigned n = out ? ARRAY_SIZE(com1_out) : ARRAY_SIZE(com1_in);
                    for (unsigned i = 0; i < n; i++)
                        listed |= widths[w] == 1 && port == ok[i];
                    want |= !listed;
                }
                cr_assert_eq(arch_port_refused(port, widths[w], out), want, "%s of %u bytes at %#x",
                             out ? "Out" : "In", widths[w], port);
            }
}
