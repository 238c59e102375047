/*
 * IOPort: a range of x86 I/O ports as a capability (obj/ioport.h).
 *
 * In and Out check that the access [port, port + width) lies in the cap's range
 * and is not one the kernel keeps for itself (the PICs, the PIT, the debug-exit
 * device, and its console's configuration: arch_port_refused, which knows the
 * direction and width), then execute one in/out instruction on the caller's
 * behalf. Issue makes a cap for a sub-range. Issued
 * caps and copies are leaves of the derivation tree (kernel/cap/cdt.c, decision
 * 065): what Issue makes from them goes under the revocable cap they come from
 * (the root task's cap over every port), so revoking that takes every range back.
 */
#include "obj/ioport.h"

#include "arch/ioport.h"
#include "cap/cdt.h"
#include "cap/invoke.h"

/* Checks an In (out false) or Out of width bytes at port: WF_ERR_OK with *p set,
 * or the error. */
static enum wf_error check_access(struct invocation *inv, unsigned port_arg, unsigned width_arg,
                                  bool out, uint16_t *p)
{
    struct cap c = inv->slot->cap;
    wf_word_t port = inv->args[port_arg], width = inv->args[width_arg];
    unsigned first = cap_ioport_first(c), last = cap_ioport_last(c);
    if (width != 1 && width != 2 && width != 4)
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, width_arg, 0, 0, 0);
    if (last - first < width - 1) /* no access this wide fits in the range */
        return inv_fail_range(inv, width_arg, 1, last - first + 1);
    if (port < first || port > last || last - port < width - 1)
        return inv_fail_range(inv, port_arg, first, last - (width - 1));
    if (arch_port_refused((unsigned)port, (unsigned)width, out))
        return inv_fail(inv, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0, 0);
    *p = (uint16_t)port;
    return WF_ERR_OK;
}

enum wf_error ioport_decode_in(struct invocation *inv)
{
    uint16_t port;
    enum wf_error e = check_access(inv, ARG_IOPORT_IN_PORT, ARG_IOPORT_IN_WIDTH, false, &port);
    if (e != WF_ERR_OK)
        return e;

    inv->reply[RES_IOPORT_IN_VALUE] = arch_port_in(port, (unsigned)inv->args[ARG_IOPORT_IN_WIDTH]);
    return WF_ERR_OK;
}

enum wf_error ioport_decode_out(struct invocation *inv)
{
    uint16_t port;
    enum wf_error e = check_access(inv, ARG_IOPORT_OUT_PORT, ARG_IOPORT_OUT_WIDTH, true, &port);
    if (e != WF_ERR_OK)
        return e;

    arch_port_out(port, (unsigned)inv->args[ARG_IOPORT_OUT_WIDTH],
                  (uint32_t)inv->args[ARG_IOPORT_OUT_VALUE]);
    return WF_ERR_OK;
}

enum wf_error ioport_decode_issue(struct invocation *inv)
{
    struct cap c = inv->slot->cap;
    wf_word_t first = inv->args[ARG_IOPORT_ISSUE_FIRST], last = inv->args[ARG_IOPORT_ISSUE_LAST];
    unsigned lo = cap_ioport_first(c), hi = cap_ioport_last(c);
    if (first < lo || first > hi)
        return inv_fail_range(inv, ARG_IOPORT_ISSUE_FIRST, lo, hi);
    if (last < lo || last > hi)
        return inv_fail_range(inv, ARG_IOPORT_ISSUE_LAST, lo, hi);
    if (first > last)
        return inv_fail(inv, WF_ERR_INVALID_ARGUMENT, 1, ARG_IOPORT_ISSUE_LAST, 0, 0, 0);
    struct slot *dest;
    enum wf_error e = inv_dest_slot(inv, XCAP_IOPORT_ISSUE_DEST_ROOT, ARG_IOPORT_ISSUE_DEST_INDEX,
                                    ARG_IOPORT_ISSUE_DEST_DEPTH, &dest);
    if (e != WF_ERR_OK)
        return e;

    cdt_insert_derived(inv->slot, dest, cap_ioport_new((unsigned)first, (unsigned)last));
    return WF_ERR_OK;
}

enum wf_error ioport_decode_describe(struct invocation *inv)
{
    struct cap c = inv->slot->cap;
    inv->reply[RES_IOPORT_DESCRIBE_FIRST] = cap_ioport_first(c);
    inv->reply[RES_IOPORT_DESCRIBE_LAST] = cap_ioport_last(c);
    return WF_ERR_OK;
}
