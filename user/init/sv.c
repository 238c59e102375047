/*
 * init's supervisor (sv.h; docs/userspace.md, "init and the boot configuration"
 * and "Supervision"; decisions 109 and 110).
 *
 * Resources. init's memory objects (the programs' pools, VSpaces, segments,
 * stacks) come from one pool over half its largest RAM untyped. Each program's
 * kernel objects (its TCB, CNode, a server's endpoint) are retyped from an
 * untyped of its own, its arena, carved once from the boot untyped; a restart
 * revokes the arena, which destroys whatever is left of them and lets the same
 * memory serve the next start, so restarts do not leak. The untyped= grants are
 * carved the same way. Slots emptied by a restart are recycled.
 *
 * One endpoint. init's main thread serves one endpoint, E, with the server loop
 * of wf/server.h. Four kinds of message arrive there, told apart by badge:
 *   - a child's exit or fault report: every program's exit endpoint and fault
 *     endpoint are copies of E minted with CHILD_BADGE + its id;
 *   - an init protocol request (abi/protocols/init.proto) from a program that
 *     sees init: its INIT slot holds E minted with its id (1..63);
 *   - NEXT from init's worker thread (WORKER_BADGE), below.
 * The main thread never calls a child: a child that does not answer must never
 * stop init from hearing that it faulted.
 *
 * The worker. Everything init asks of its children (name.Register, log.Label,
 * log.Write) is a job that the main thread queues and a second thread, the
 * worker, carries out: it calls NEXT, gets a job, does it, calls NEXT again (which
 * also says the job is done). With no job the main thread keeps the worker's call
 * (a deferred reply) until there is one. A restart waiting out its backoff is a
 * deadline on the CLOCK system call's nanoseconds (restart.h): init arms the
 * kernel timer of its main thread (TCB_SetDeadline) for the earliest one, whose
 * bound notification ends the server loop's receive (on_timer); every message E
 * receives also runs the due restarts.
 *
 * A restart (decision 110): destroy the process (wf_process_destroy), revoke the server's endpoint (every copy a client got, by
 * lookup or in a well-known slot, goes; a client blocked on it gets an error),
 * make a new endpoint in the same slot, start the program again, fill the
 * well-known slot of every program that is given this server, and queue its
 * registration with the name server. When the name server itself restarts,
 * every server is registered again; when the log server restarts, every
 * program is labelled again.
 */
#include "sv.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sv_int.h"
#include "weft/invoke.h"
#include "wf/proto/init.h"
#include "wf/proto/log.h"
#include "wf/pci_bus.h"
#include "wf/proto/name.h"
#include "wf/runtime.h"
#include "wf/spawn.h"
#include "wf/syscall.h"

struct sv_state sv;

static const struct restart_policy policy = RESTART_POLICY_DEFAULT;

static uint64_t now(void)
{
    return wf_clock_ns();
}

/* --- starting and stopping ------------------------------------------------------- */

/* Puts service svc's endpoint (program index si) into program i's well-known
 * slot, minted with i's id; empties the slot first. */
static void give_service(unsigned i, int si, wf_word_t slot)
{
    struct prog *p = &sv.prog[i];
    if (!p->live || si < 0 || !sv.prog[si].ep_live)
        return;
    wf_process_clear(&p->p, slot);
    wf_process_give(&sv.env, &p->p, slot, sv.prog[si].ep, CLIENT_RIGHTS, p->id);
}

/* Fills every well-known slot program i is given, from the servers running now. */
static void give_services(unsigned i)
{
    unsigned slots = sv.prog[i].c->slots;
    if (slots & CONF_SVC_NAME)
        give_service(i, sv.name, WF_CHILD_NAME);
    if (slots & CONF_SVC_LOG)
        give_service(i, sv.log, WF_CHILD_LOG);
    if (slots & CONF_SVC_CONSOLE)
        give_service(i, sv.console, WF_CHILD_CONSOLE);
}

/* Gives server si's endpoint to every live program that has a slot for it. */
static void spread_service(int si)
{
    static const unsigned svc[] = {CONF_SVC_NAME, CONF_SVC_LOG, CONF_SVC_CONSOLE};
    static const wf_word_t slot[] = {WF_CHILD_NAME, WF_CHILD_LOG, WF_CHILD_CONSOLE};
    int idx[] = {sv.name, sv.log, sv.console};
    for (unsigned k = 0; k < 3; k++)
        if (idx[k] == si)
            for (unsigned i = 0; i < sv.n; i++)
                if (sv.prog[i].c->slots & svc[k])
                    give_service(i, si, slot[k]);
}

/* A RAM untyped of 2^bits bytes carved from the first boot untyped with room,
 * into a new slot; 0 when none has room. */
static wf_cptr_t carve(unsigned bits)
{
    wf_cptr_t s = wf_env_slot(&sv.env);
    for (unsigned k = 0; s && k < sv.bi->untyped_count && k < WF_BOOTINFO_MAX_UNTYPED; k++)
        if (!sv.bi->untyped[k].device && sv.bi->untyped[k].size_bits >= bits &&
            wf_untyped_retype(sv.bi->untyped_first + k, WF_OBJ_UNTYPED, bits, WF_ROOT_CNODE, 0, 0,
                              s, 1) == WF_ERR_OK)
            return s;
    wf_env_free(&sv.env, s);
    return 0;
}

/* The caps of the configuration that are not services: untyped, initramfs,
 * I/O ports, interrupt line (the last two issued once and kept). */
static enum wf_error give_resources(struct prog *p)
{
    const struct conf_prog *c = p->c;
    enum wf_error e = WF_ERR_OK;
    if (c->untyped && !p->untyped && !(p->untyped = carve((unsigned)__builtin_ctzll(c->untyped))))
        return WF_ERR_NOT_ENOUGH_MEMORY;
    if (c->untyped)
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_UNTYPED, p->untyped, WF_RIGHTS_ALL, 0);
    if (e == WF_ERR_OK && c->initramfs)
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_INITRAMFS, WF_ROOT_INITRAMFS, WF_RIGHT_READ,
                            0);
    if (e == WF_ERR_OK && c->has_ioport && !p->ioport) {
        p->ioport = wf_env_slot(&sv.env);
        e = p->ioport ? wf_ioport_issue(WF_ROOT_IOPORT, c->io_first, c->io_last, WF_ROOT_CNODE,
                                        p->ioport, 64)
                      : WF_ERR_RANGE_ERROR;
        if (e != WF_ERR_OK) {
            wf_env_free(&sv.env, p->ioport);
            p->ioport = 0;
        }
    }
    if (e == WF_ERR_OK && c->has_ioport)
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_IOPORT, p->ioport, WF_RIGHTS_ALL, 0);
    if (e == WF_ERR_OK && c->irq >= 0 && !p->irq) {
        p->irq = wf_env_slot(&sv.env);
        e = p->irq ? wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, (wf_word_t)c->irq,
                                       WF_IRQ_TRIGGER_DEFAULT, WF_ROOT_CNODE, p->irq, 64)
                   : WF_ERR_RANGE_ERROR;
        if (e != WF_ERR_OK) {
            wf_env_free(&sv.env, p->irq);
            p->irq = 0;
        }
    }
    if (e == WF_ERR_OK && c->irq >= 0)
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_IRQ, p->irq, WF_RIGHTS_ALL, 0);
    if (e == WF_ERR_OK && c->irqcontrol)
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_IRQ, WF_ROOT_IRQ_CONTROL, WF_RIGHTS_ALL, 0);
    /* The machine's description (the PCI host bridge: decision 147), read-only. */
    if (e == WF_ERR_OK && c->devmem)
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_BOOTINFO, WF_ROOT_BOOTINFO, WF_RIGHT_READ, 0);
    /* A copy of every device untyped, or with devmem=ADDRESS of the one holding it (a
     * copy takes the range over: decision 023). One another program holds a copy of
     * (REVOKE_FIRST) is left out: the console server's UART (devmem=ADDRESS) and the
     * bus server's windows lie apart. */
    for (unsigned k = 0, n = 0; e == WF_ERR_OK && c->devmem && k < sv.bi->untyped_count &&
                                k < WF_BOOTINFO_MAX_UNTYPED && n < PCIBUS_DEVMEM_MAX;
         k++) {
        const struct wf_bootinfo_untyped *u = &sv.bi->untyped[k];
        if (!u->device || (c->devmem_one && (c->devmem_at < u->paddr ||
                                             c->devmem_at - u->paddr >= 1ull << u->size_bits)))
            continue;
        e = wf_process_give(&sv.env, &p->p, PCIBUS_SLOT_DEVMEM + n, sv.bi->untyped_first + k,
                            WF_RIGHTS_ALL, 0);
        if (e == WF_ERR_REVOKE_FIRST)
            e = WF_ERR_OK;
        else if (e == WF_ERR_OK)
            n++;
    }
    return e;
}

/* Gives back what a stopped program was made of: its CNode (and with it its
 * pool's objects), address space and memory; its untyped grant is revoked, so
 * what it made from it goes too. */
void sv_reclaim(struct prog *p)
{
    wf_process_destroy(&sv.env, &p->p);
    if (p->untyped)
        wf_cnode_revoke(WF_ROOT_CNODE, p->untyped, 64);
    if (p->arena)
        wf_cnode_revoke(WF_ROOT_CNODE, p->arena, 64);
    p->reclaim = false;
}

/* Stops program i: its threads and its server endpoint (revoked: every client's
 * copy goes), then its memory (sv_reclaim). A program that may use the PCI bus
 * server has its devices released there first (a worker job: decision 120):
 * until the bus server has turned their bus mastering off a device may still
 * write into the program's DMA buffers, so its memory waits for the job's end
 * (its threads stop first, so none sees its devices go; decision 165). */
static void stop(struct prog *p)
{
    bool devices = p->live && sv.pcibus >= 0 && p != &sv.prog[sv.pcibus] && sv_running(sv.pcibus) &&
                   (p->c->sees & (1ull << sv.pcibus));
    if (p->live) {
        wf_cnode_delete(WF_ROOT_CNODE, p->watch, 64); /* a copy: deleting it is enough */
        wf_env_free(&sv.env, p->watch);
        p->watch = 0;
        wf_process_halt(&sv.env, &p->p); /* before the release: it sees its devices go */
        p->live = false;
    }
    if (p->ep_live) {
        wf_cnode_revoke(WF_ROOT_CNODE, p->ep, 64);
        wf_cnode_delete(WF_ROOT_CNODE, p->ep, 64);
        p->ep_live = false;
    }
    if (devices && sv_queue(JOB_RELEASE, (unsigned)(p - sv.prog)))
        p->reclaim = true;
    else
        sv_reclaim(p);
}

/* Starts program i (again). Returns the first error; nothing is left running
 * on failure. */
static enum wf_error start(unsigned i)
{
    struct prog *p = &sv.prog[i];
    const struct conf_prog *c = p->c;
    const void *elf;
    size_t len;
    if (!wf_initramfs_find(sv.bi, c->name, &elf, &len))
        return WF_ERR_FAILED_LOOKUP;
    /* Its CNode, TCB and a server's endpoint, with room for their alignment: the
     * TCB comes first, so a CNode of half the arena leaves no room after it. */
    unsigned arena = c->cnode + WF_SLOT_BITS + (c->kind == CONF_SERVER ? 2 : 1);
    if (!p->arena && !(p->arena = carve(arena > 16 ? arena : 16)))
        return WF_ERR_NOT_ENOUGH_MEMORY;
    sv.env.untyped = p->arena;
    const struct wf_process_opts o = {.name = c->name,
                                      .prio = c->prio,
                                      .cnode_radix = c->cnode,
                                      .ctl = sv.ep,
                                      .ctl_badge = CHILD_BADGE + p->id};
    enum wf_error e = wf_process_create_opts(&sv.env, &p->p, elf, len, &o);
    sv.env.untyped = sv.root_ut;
    if (e != WF_ERR_OK)
        return e;
    p->live = true;
    e = wf_process_give_pool(&sv.env, &p->p, c->mem, &p->watch);
    if (e == WF_ERR_OK && c->kind == CONF_SERVER) {
        e = wf_untyped_retype(p->arena, WF_OBJ_ENDPOINT, 0, WF_ROOT_CNODE, 0, 0, p->ep, 1);
        p->ep_live = e == WF_ERR_OK;
        if (e == WF_ERR_OK)
            e = wf_process_give(&sv.env, &p->p, WF_CHILD_SERVE, p->ep,
                                WF_RIGHT_READ | WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0);
    }
    if (e == WF_ERR_OK && (c->slots & CONF_SVC_INIT))
        e = wf_process_give(&sv.env, &p->p, WF_CHILD_INIT, sv.ep,
                            WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, p->id);
    if (e == WF_ERR_OK)
        e = give_resources(p);
    if (e == WF_ERR_OK) {
        give_services(i);
        const wf_word_t args[WF_STARTINFO_ARGS] = {p->id, c->kind};
        e = wf_process_start(&sv.env, &p->p, args);
    }
    if (e != WF_ERR_OK) {
        stop(p);
        return e;
    }
    p->state = WFP_INIT_STATE_RUNNING;
    /* Tell the others. */
    spread_service((int)i);
    if ((int)i == sv.name) {
        for (unsigned k = 0; k < sv.n; k++)
            if ((int)k != sv.name && sv_running((int)k))
                sv_queue(JOB_REGISTER, k);
    } else if (p->ep_live && sv_running(sv.name)) {
        sv_queue(JOB_REGISTER, i);
    }
    if ((int)i == sv.log) {
        for (unsigned k = 0; k < sv.n; k++)
            sv_queue(JOB_LABEL, k);
    } else if (sv_running(sv.log)) {
        sv_queue(JOB_LABEL, i);
    }
    /* A run program with a console cap reads it: make it the console's
     * foreground client (again after the console restarts). */
    for (unsigned k = 0; k < sv.n; k++)
        if (((int)i == sv.console ? sv.prog[k].state == WFP_INIT_STATE_RUNNING : k == i) &&
            sv.prog[k].c->kind == CONF_RUN && (sv.prog[k].c->slots & CONF_SVC_CONSOLE) &&
            sv_running(sv.console))
            sv_queue(JOB_FOREGROUND, k);
    return WF_ERR_OK;
}

static void check_test_done(void);

/* Arms init's timer (TCB_SetDeadline on its main thread, whose bound
 * notification ends the server loop's receive: on_timer) for the earliest
 * restart still waiting; disarms it when none waits. */
static void arm_timer(void)
{
    uint64_t when = 0;
    for (unsigned i = 0; i < sv.n; i++) {
        const struct prog *p = &sv.prog[i];
        if (p->state == WFP_INIT_STATE_WAITING && !p->reclaim && (!when || p->restart_at < when))
            when = p->restart_at ? p->restart_at : 1;
    }
    if (sv.timer)
        wf_tcb_set_deadline(WF_ROOT_TCB, when, when ? 1 : 0);
}

/* Program i ended (exit, fault or Kill): schedule its restart, or give it up. */
static void after_end(unsigned i, bool exited)
{
    struct prog *p = &sv.prog[i];
    if (exited && p->c->kind == CONF_SERVER && p->last == WF_EXIT_NO_DEVICE) {
        p->state = WFP_INIT_STATE_EXITED;
        sv_say(WFP_LOG_LEVEL_INFO, "%s has nothing to serve: not restarted", p->c->name);
        check_test_done();
        return;
    }
    if (exited && p->c->kind == CONF_RUN) {
        p->state = WFP_INIT_STATE_EXITED;
        check_test_done();
        return;
    }
    struct restart_decision d = restart_decide(&policy, &p->hist, now());
    if (d.give_up) {
        p->state = WFP_INIT_STATE_FAILED;
        sv_say(WFP_LOG_LEVEL_ERROR, "%s: %u restarts within the window: FAILED, not restarted",
               p->c->name, policy.max_restarts);
        check_test_done();
        return;
    }
    p->state = WFP_INIT_STATE_WAITING;
    p->restart_at = d.when;
    arm_timer();
}

/* Starts every program whose backoff is over, then arms the timer for the next. */
void sv_due_restarts(void)
{
    uint64_t t = now();
    for (unsigned i = 0; i < sv.n; i++) {
        struct prog *p = &sv.prog[i];
        if (p->state != WFP_INIT_STATE_WAITING || p->reclaim || (int64_t)(t - p->restart_at) < 0)
            continue;
        enum wf_error e = start(i);
        p->restarts++;
        if (e == WF_ERR_OK) {
            sv_say(WFP_LOG_LEVEL_INFO, "%s restarted (restart %lu)", p->c->name,
                   (unsigned long)p->restarts);
        } else {
            sv_say(WFP_LOG_LEVEL_ERROR, "%s: restart failed: %s", p->c->name, wf_error_name(e));
            after_end(i, false);
        }
    }
    arm_timer();
}

static void check_test_done(void)
{
    if (!sv.test)
        return;
    int status = 0;
    for (unsigned i = 0; i < sv.n; i++) {
        const struct prog *p = &sv.prog[i];
        if (p->c->kind != CONF_RUN)
            continue;
        if (p->state != WFP_INIT_STATE_EXITED && p->state != WFP_INIT_STATE_FAILED)
            return;
        if (p->state == WFP_INIT_STATE_FAILED || p->last != 0)
            status = 1;
    }
    sv.test_status = status;
    sv.srv.stop = true;
}

/* --- messages on E --------------------------------------------------------------- */

static struct prog *child_of(const struct wf_server_req *r)
{
    wf_word_t id = r->badge - CHILD_BADGE;
    return r->badge > CHILD_BADGE && id <= sv.n ? &sv.prog[id - 1] : NULL;
}

static const char *fault_name(wf_word_t type)
{
    switch (type) {
    case WF_FAULT_TYPE_UNKNOWN_SYSCALL:
        return "unknown system call";
    case WF_FAULT_TYPE_USER_EXCEPTION:
        return "exception";
    case WF_FAULT_TYPE_VM_FAULT:
        return "page fault";
    default:
        return "fault";
    }
}

static wf_word_t on_fault(struct wf_server *s, struct wf_server_req *r, const void *h)
{
    (void)s, (void)h;
    sv_due_restarts();
    struct prog *p = child_of(r);
    if (!p || !p->live)
        return WF_ERR_ILLEGAL_OPERATION;
    const wf_word_t *w = r->w;
    unsigned n = wf_server_len(r);
    wf_word_t reg[WF_FAULT_MSG_WORDS] = {0};
    for (unsigned k = 0; k < n && k < WF_FAULT_MSG_WORDS; k++)
        reg[k] = w[k];
    p->last = 0x100 + r->label;
    stop(p); /* first, so that news of the log server's own fault goes to the console */
    /* Every register by the architecture's own name (x86-64: rax ... r15). */
    static const char *const names[WF_FAULT_MSG_WORDS] = WF_FAULT_WORD_NAMES;
    char regs[WF_REGS_COUNT * 24];
    size_t at = 0;
    for (unsigned k = 0; k < WF_REGS_COUNT && at < sizeof(regs); k++)
        at += (size_t)snprintf(regs + at, sizeof(regs) - at, " %s %#lx", names[k],
                               (unsigned long)reg[k]);
    sv_say(WFP_LOG_LEVEL_ERROR, "%s faulted: %s (%#lx, %#lx) at pc %#lx sp %#lx;%s", p->c->name,
           fault_name(r->label), (unsigned long)reg[WF_FAULT_WORD_DETAIL0],
           (unsigned long)reg[WF_FAULT_WORD_DETAIL1], (unsigned long)reg[WF_FAULT_WORD_PC],
           (unsigned long)reg[WF_FAULT_WORD_SP], regs);
    after_end((unsigned)(p - sv.prog), false);
    return WF_ERR_OK;
}

static wf_word_t on_exit(struct wf_server *s, struct wf_server_req *r, const void *h)
{
    (void)s, (void)h;
    sv_due_restarts();
    struct prog *p = child_of(r);
    if (!p || !p->live)
        return WF_ERR_ILLEGAL_OPERATION;
    p->last = wf_server_len(r) ? r->w[0] : 0;
    stop(p);
    sv_say(p->last ? WFP_LOG_LEVEL_WARN : WFP_LOG_LEVEL_INFO, "%s exited with status %lu",
           p->c->name, (unsigned long)p->last);
    after_end((unsigned)(p - sv.prog), true);
    return WF_ERR_OK;
}

static wf_word_t on_program(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                            wf_word_t *state, wf_word_t *restarts, wf_word_t *priority,
                            wf_word_t *pool_used, wf_word_t *pool_limit, wf_word_t *last,
                            char *name, wf_word_t *name_len)
{
    (void)s, (void)r;
    sv_due_restarts();
    if (index >= sv.n)
        return WF_ERR_RANGE_ERROR;
    const struct prog *p = &sv.prog[index];
    *state = p->state;
    *restarts = p->restarts;
    *priority = p->c->prio;
    *pool_used = 0;
    *pool_limit = p->c->mem;
    if (p->live && p->watch)
        wf_pool_info(p->watch, pool_used, pool_limit, 0, 0);
    *last = p->last;
    *name_len = strlen(p->c->name);
    memcpy(name, p->c->name, *name_len);
    return WF_ERR_OK;
}

static wf_word_t on_kill(struct wf_server *s, struct wf_server_req *r, const char *name,
                         wf_word_t name_len)
{
    (void)s;
    sv_due_restarts();
    int i = conf_find(&sv.conf, name, name_len);
    if (i < 0 || !sv.prog[i].live)
        return WF_ERR_FAILED_LOOKUP;
    struct prog *p = &sv.prog[i];
    stop(p);
    sv_say(WFP_LOG_LEVEL_WARN, "%s killed at the request of program %lu", p->c->name,
           (unsigned long)r->badge);
    after_end((unsigned)i, false);
    return WF_ERR_OK;
}

static wf_word_t power(const struct conf_power *pw, const char *what)
{
    sv_due_restarts();
    if (!pw->set)
        return WF_ERR_ILLEGAL_OPERATION;
    sv_console_line(what);
    wf_word_t e = !pw->firmware
                      ? wf_ioport_out(WF_ROOT_IOPORT, pw->port, pw->value > 0xff ? 2 : 1, pw->value)
                  : pw == &sv.conf.reboot ? wf_power_reset(WF_ROOT_POWER)
                                          : wf_power_off(WF_ROOT_POWER);
    return e == WF_ERR_OK ? WF_ERR_OK : WF_ERR_ILLEGAL_OPERATION;
}

static wf_word_t on_poweroff(struct wf_server *s, struct wf_server_req *r)
{
    (void)s, (void)r;
    return power(&sv.conf.poweroff, "powering off");
}

static wf_word_t on_reboot(struct wf_server *s, struct wf_server_req *r)
{
    (void)s, (void)r;
    return power(&sv.conf.reboot, "rebooting");
}

static const struct wfp_init_handlers init_handlers = {
    .on_program = on_program,
    .on_kill = on_kill,
    .on_poweroff = on_poweroff,
    .on_reboot = on_reboot,
};

/* init protocol requests (from programs' INIT caps: badges 1..63) only. */
static wf_word_t on_init(struct wf_server *s, struct wf_server_req *r, const void *h)
{
    if (r->badge == 0 || r->badge > CONF_MAX_PROGS)
        return WF_ERR_ILLEGAL_OPERATION;
    return wfp_init_dispatch(s, r, h);
}

static const struct wf_server_proto protos[] = {
    {WFP_INIT_FIRST, WFP_INIT_LAST, on_init, &init_handlers},
    {WF_FAULT_TYPE_UNKNOWN_SYSCALL, WF_FAULT_TYPE_VM_FAULT, on_fault, 0},
    {WF_EXIT_LABEL, WF_EXIT_LABEL, on_exit, 0},
    {WORKER_LABEL, WORKER_LABEL, sv_on_next, 0},
};

/* --- setup ----------------------------------------------------------------------- */

/* init's pool over half its largest RAM untyped (the rest, and the other RAM
 * untyped, for untyped= grants); the spawn environment over it. */
static bool setup_memory(void)
{
    const struct wf_bootinfo *bi = sv.bi;
    unsigned best = ~0u;
    for (unsigned k = 0; k < bi->untyped_count && k < WF_BOOTINFO_MAX_UNTYPED; k++)
        if (!bi->untyped[k].device &&
            (best == ~0u || bi->untyped[k].size_bits > bi->untyped[best].size_bits))
            best = k;
    if (best == ~0u)
        return false;
    sv.env = (struct wf_spawn_env){.cnode = WF_ROOT_CNODE,
                                   .cnode_radix = (unsigned)bi->cnode_radix,
                                   .untyped = bi->untyped_first + best,
                                   .vspace = WF_ROOT_VSPACE,
                                   .tcb = WF_ROOT_TCB,
                                   .next_slot = bi->first_free_slot,
                                   .end_slot = 1ull << bi->cnode_radix,
                                   .recycle = sv.recycle,
                                   .recycle_cap = RECYCLE_SLOTS};
    if (wf_env_retype(&sv.env, WF_OBJ_POOL, bi->untyped[best].size_bits - 1u, &sv.env.pool) !=
        WF_ERR_OK)
        return false;
    sv.root_ut = sv.env.untyped;
    return true;
}

/* A signal of the timer: restarts are due. */
static void on_timer(struct wf_server *s, wf_word_t bits)
{
    (void)s, (void)bits;
    sv_due_restarts();
}

static bool setup_endpoint(void)
{
    wf_cptr_t replies[2];
    if (wf_env_retype(&sv.env, WF_OBJ_ENDPOINT, 0, &sv.ep) != WF_ERR_OK ||
        wf_env_retype(&sv.env, WF_OBJ_REPLY, 0, &replies[0]) != WF_ERR_OK ||
        wf_env_retype(&sv.env, WF_OBJ_REPLY, 0, &replies[1]) != WF_ERR_OK)
        return false;
    sv.worker_ep = wf_env_slot(&sv.env);
    if (!sv.worker_ep ||
        wf_cnode_mint(WF_ROOT_CNODE, sv.worker_ep, 64, WF_ROOT_CNODE, sv.ep, 64,
                      WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, WORKER_BADGE) != WF_ERR_OK)
        return false;
    if (wf_env_retype(&sv.env, WF_OBJ_NOTIFICATION, 0, &sv.timer) != WF_ERR_OK ||
        wf_tcb_bind_notification(WF_ROOT_TCB, sv.timer) != WF_ERR_OK)
        return false;
    sv.srv = (struct wf_server){.ep = sv.ep,
                                .protos = protos,
                                .nprotos = sizeof(protos) / sizeof(protos[0]),
                                .on_notify = on_timer};
    if (wf_server_init(&sv.srv, replies, 2) != WF_ERR_OK)
        return false;
    if (wf_thread_create(&sv.env, &sv.worker, sv_worker_main, 0, WORKER_PRIO) != WF_ERR_OK)
        return false;
    return wf_thread_start(&sv.worker) == WF_ERR_OK;
}

static bool read_conf(const char *conf_name, const char *run_list)
{
    const void *text;
    size_t len;
    if (!wf_initramfs_find(sv.bi, conf_name, &text, &len)) {
        sv_console_line("no boot configuration in the initramfs");
        printf("init: (looked for \"%s\")\n", conf_name);
        if (!run_list)
            return false;
        text = "";
        len = 0;
    }
    conf_parse(&sv.conf, text, len);
    if (run_list)
        conf_override_run(&sv.conf, run_list);
    for (unsigned k = 0; k < sv.conf.nerr; k++) {
        if (sv.conf.err[k].line)
            printf("init: %s:%u: %s\n", conf_name, sv.conf.err[k].line, sv.conf.err[k].msg);
        else
            printf("init: command line: %s\n", sv.conf.err[k].msg);
    }
    if (sv.conf.errors > sv.conf.nerr)
        printf("init: %s: %u more errors\n", conf_name, sv.conf.errors - sv.conf.nerr);
    sv.n = sv.conf.nprogs;
    sv.name = conf_find(&sv.conf, "name", 4);
    sv.log = conf_find(&sv.conf, "log", 3);
    sv.console = conf_find(&sv.conf, "console", 7);
    sv.pcibus = conf_find_service(&sv.conf, "pcibus", 6);
    return true;
}

int sv_run(const struct wf_bootinfo *bi, const char *conf_name, const char *run_list)
{
    sv.bi = bi;
    sv.test = run_list != NULL;
    if (!read_conf(conf_name, run_list))
        return 2;
    if (!setup_memory() || !setup_endpoint()) {
        sv_console_line("cannot set up its pool, endpoint or worker");
        return 2;
    }
    for (unsigned i = 0; i < sv.n; i++) {
        struct prog *p = &sv.prog[i];
        p->c = &sv.conf.prog[i];
        p->id = i + 1;
        p->state = WFP_INIT_STATE_WAITING; /* until started below */
        if (p->c->kind == CONF_SERVER && !(p->ep = wf_env_slot(&sv.env))) {
            sv_console_line("out of slots");
            return 2;
        }
    }
    /* Servers first, in order, then the run entries (also in order). */
    for (unsigned pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < sv.n; i++) {
            struct prog *p = &sv.prog[i];
            if ((p->c->kind == CONF_SERVER) != (pass == 0))
                continue;
            enum wf_error e = start(i);
            if (e == WF_ERR_OK) {
                sv_say(WFP_LOG_LEVEL_INFO, "started %s %s (id %u, prio %u, mem %luK)",
                       p->c->kind == CONF_SERVER ? "server" : "program", p->c->name, p->id,
                       p->c->prio, (unsigned long)(p->c->mem >> 10));
            } else {
                p->state = WFP_INIT_STATE_FAILED;
                sv_say(WFP_LOG_LEVEL_ERROR, "%s: cannot start: %s", p->c->name,
                       e == WF_ERR_FAILED_LOOKUP ? "not in the initramfs" : wf_error_name(e));
            }
        }
    }
    check_test_done();
    if (sv.srv.stop)
        return sv.test_status;
    wf_word_t e = wf_server_run(&sv.srv);
    if (e != WF_ERR_OK) {
        printf("init: supervision endpoint failed: error %d\n", (int)e);
        return 2;
    }
    for (unsigned k = 0; k < sv.jcount; k++) { /* lines perhaps not shown yet */
        const struct job *j = &sv.jobs[(sv.jhead + k) % MAX_JOBS];
        if (j->kind == JOB_LOG && j->level != WFP_LOG_LEVEL_DEBUG)
            sv_console_line(j->text);
    }
    printf("init: test run done: %s\n", sv.test_status ? "a program failed" : "all exited 0");
    return sv.test_status;
}
