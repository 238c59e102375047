/*
 * init's worker thread and its job queue (sv_int.h; docs/userspace.md,
 * "Supervision"; decision 110).
 *
 * init's main thread never calls a child; everything it asks of one (the name
 * server's Register, the log server's Label and Write) is a job in a ring that
 * the worker, a second thread of init, carries out. The worker calls NEXT on
 * init's endpoint; the reply is its job (an index into the ring), and its next
 * NEXT says the job is done. With no job, the main thread keeps the call as a
 * deferred reply and answers it when a job comes. (A restart waiting out its
 * backoff is the kernel timer's business: sv.c arms TCB_SetDeadline.) The
 * worker reads only its own job and the servers' endpoint
 * slots, which the main thread changes only while the worker waits for it (one
 * CPU, and the main thread has the higher priority).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sv_int.h"
#include "weft/invoke.h"
#include "wf/proto/console.h"
#include "wf/proto/name.h"
#include "wf/proto/pci.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

void sv_console_line(const char *text)
{
    wf_console_write("init: ", 6);
    wf_console_write(text, strlen(text));
    wf_console_write("\n", 1);
}

bool sv_running(int i)
{
    return i >= 0 && sv.prog[i].state == WFP_INIT_STATE_RUNNING && sv.prog[i].ep_live;
}

static struct job *job_push(enum job_kind kind)
{
    if (sv.jcount == MAX_JOBS)
        return NULL;
    struct job *j = &sv.jobs[(sv.jhead + sv.jcount++) % MAX_JOBS];
    memset(j, 0, offsetof(struct job, text) + 1);
    j->kind = kind;
    return j;
}

/* Reports a line at level. While the console server does not run, init prints
 * it itself with CONSOLE_WRITE and logs it at LEVEL_DEBUG (which the log server
 * keeps but does not echo, so nothing shows twice); once the console runs, the
 * log server shows it. */
void sv_say(unsigned level, const char *fmt, ...)
{
    char text[WFP_LOG_TEXT_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    bool shown = sv_running(sv.console) && sv_running(sv.log);
    if (!shown)
        sv_console_line(text);
    struct job *j = sv_running(sv.log) && sv.worker.tcb ? job_push(JOB_LOG) : NULL;
    if (!j) {
        if (shown)
            sv_console_line(text);
        return;
    }
    j->level = shown ? level : WFP_LOG_LEVEL_DEBUG;
    memcpy(j->text, text, sizeof(text));
    sv_wake_worker();
}

bool sv_queue(enum job_kind kind, unsigned i)
{
    struct job *j = job_push(kind);
    if (j) {
        j->prog = i;
        sv_wake_worker();
        return true;
    }
    sv_console_line(kind == JOB_REGISTER  ? "job queue full: a registration is lost"
                    : kind == JOB_RELEASE ? "job queue full: a device release is lost"
                                          : "job queue full: a label is lost");
    return false;
}

/* The worker's next instruction into w[0..1]; false when there is none. */
static bool next_job(wf_word_t *w)
{
    if (sv.jcount) {
        sv.worker_busy = true;
        w[0] = sv.jobs[sv.jhead].kind;
        w[1] = sv.jhead;
        return true;
    }
    return false;
}

/* Hands work to the worker if it waits for some. */
void sv_wake_worker(void)
{
    wf_word_t w[2];
    if (!sv.worker_reply || !next_job(w))
        return;
    wf_cptr_t r = sv.worker_reply;
    sv.worker_reply = 0;
    wf_server_answer(&sv.srv, r, WF_ERR_OK, w, 2, 0);
}

/* The worker thread: runs the jobs the main thread hands it (reads only its own
 * job and the endpoint slots, which the main thread changes only while the
 * worker waits for it: one CPU, and the main thread has the higher priority). */
int sv_worker_main(uintptr_t arg)
{
    (void)arg;
    for (;;) {
        struct wf_msgregs m = {.info = wf_msginfo(WORKER_LABEL, 0, 0)};
        if (wf_sys_call(sv.worker_ep, &m) != WF_ERR_OK || wf_msginfo_label(m.info) != WF_ERR_OK) {
            wf_sys_yield();
            continue;
        }
        const struct job *j = &sv.jobs[m.w[1] % MAX_JOBS];
        const struct prog *p = &sv.prog[j->prog % CONF_MAX_PROGS];
        wf_cptr_t log = sv.log >= 0 ? sv.prog[sv.log].ep : 0;
        enum wf_error e = WF_ERR_OK;
        switch (m.w[0]) {
        case JOB_REGISTER:
            e = wfp_name_register(sv.prog[sv.name].ep, conf_visible(&sv.conf, j->prog), p->c->as,
                                  strlen(p->c->as), p->ep);
            if (e != WF_ERR_OK) {
                char t[96];
                snprintf(t, sizeof(t), "name.Register %s: error %d", p->c->name, (int)e);
                sv_console_line(t);
            }
            break;
        case JOB_LABEL:
            wfp_log_label(log, p->id, p->c->name, strlen(p->c->name));
            break;
        case JOB_LOG:
            if (wfp_log_write(log, j->level, j->text, strlen(j->text)) != WF_ERR_OK &&
                j->level != WFP_LOG_LEVEL_DEBUG)
                sv_console_line(j->text);
            break;
        case JOB_RELEASE: /* the program stopped: its devices go back to the bus */
            if (sv.pcibus >= 0 && sv.prog[sv.pcibus].ep_live)
                wfp_pci_release(sv.prog[sv.pcibus].ep, WFP_PCI_ANY, p->id);
            break;
        case JOB_FOREGROUND:
            if (sv.console >= 0 && sv.prog[sv.console].ep_live)
                wfp_console_set_foreground(sv.prog[sv.console].ep, p->id);
            break;
        }
    }
    return 0;
}

wf_word_t sv_on_next(struct wf_server *s, struct wf_server_req *r, const void *h)
{
    (void)h;
    if (r->badge != WORKER_BADGE)
        return WF_ERR_ILLEGAL_OPERATION;
    if (sv.worker_busy) {
        const struct job *done = &sv.jobs[sv.jhead];
        sv.worker_busy = false;
        sv.jhead = (sv.jhead + 1) % MAX_JOBS;
        sv.jcount--;
        /* Its devices no longer master the bus: the stopped program's memory can go. */
        if (done->kind == JOB_RELEASE)
            sv_reclaim(&sv.prog[done->prog % CONF_MAX_PROGS]);
    }
    sv_due_restarts();
    if (next_job(r->rw)) {
        r->rlen = 2;
        return WF_ERR_OK;
    }
    sv.worker_reply = wf_server_defer(s, r);
    return sv.worker_reply ? WF_ERR_OK : WF_ERR_NOT_ENOUGH_MEMORY;
}
