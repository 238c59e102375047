/*
 * init's supervisor, inside (sv.c, worker.c; docs/userspace.md, "Supervision"):
 * the state both files share. Not an interface: sv.h is.
 */
#ifndef INIT_SV_INT_H
#define INIT_SV_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "restart.h"
#include "weft/bootinfo.h"
#include "wf/proto/init.h"
#include "wf/proto/log.h"
#include "wf/server.h"
#include "wf/spawn.h"

#define CHILD_BADGE   0x1000u /* + id: a child's exit and fault reports */
#define WORKER_BADGE  0x2000u /* the worker's NEXT */
#define WORKER_LABEL  0xf00u  /* NEXT: outside every protocol's labels */
#define WORKER_PRIO   254u
#define MAX_JOBS      64u
#define RECYCLE_SLOTS 1024u
#define CLIENT_RIGHTS (WF_RIGHT_WRITE | WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY)

enum job_kind { JOB_NONE, JOB_REGISTER, JOB_LABEL, JOB_LOG, JOB_FOREGROUND, JOB_RELEASE };

struct job {
    enum job_kind kind;
    unsigned prog; /* REGISTER, LABEL: the program's index */
    unsigned level;
    char text[WFP_LOG_TEXT_MAX + 1];
};

struct prog {
    const struct conf_prog *c;
    unsigned id; /* index + 1: its badge everywhere */
    wf_word_t state, restarts, last;
    bool live;
    struct wf_process p;
    wf_cptr_t watch; /* Read copy of its pool, for Pool_Info */
    wf_cptr_t ep;    /* a server's endpoint slot (fixed); ep_live when it holds one */
    bool ep_live;
    wf_cptr_t untyped; /* the untyped grant's original (kept across restarts) */
    wf_cptr_t arena;   /* untyped its kernel objects are retyped from */
    wf_cptr_t ioport, irq;
    /* Stopped, its memory kept until the bus server has turned its devices'
     * bus mastering off (JOB_RELEASE): a device may still write into its DMA
     * buffers until then. Not restarted while set. */
    bool reclaim;
    struct restart_history hist;
    uint64_t restart_at;
};

struct sv_state {
    const struct wf_bootinfo *bi;
    struct boot_conf conf;
    struct prog prog[CONF_MAX_PROGS];
    unsigned n;
    int name, log, console; /* indexes of the well-known servers, -1: none */
    int pcibus;             /* the PCI bus server (registered as "pcibus"), -1: none */
    struct wf_spawn_env env;
    wf_cptr_t root_ut; /* init's own kernel objects */
    wf_cptr_t recycle[RECYCLE_SLOTS];
    wf_cptr_t ep;    /* E */
    wf_cptr_t timer; /* notification bound to init's main thread: its restart deadlines */
    struct wf_server srv;
    struct wf_thread worker;
    wf_cptr_t worker_ep, worker_reply; /* its E copy; its call kept while idle */
    bool worker_busy;
    struct job jobs[MAX_JOBS];
    unsigned jhead, jcount;
    bool test;
    int test_status;
};

extern struct sv_state sv;

/* Prints "init: text" on the serial line with CONSOLE_WRITE. */
void sv_console_line(const char *text);

/* True when program index i runs and has its endpoint (a server up). */
bool sv_running(int i);

/* Reports a line at a log level (worker.c: through the log server or straight
 * to the serial line). */
void sv_say(unsigned level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Queues a REGISTER or LABEL job for program index i and wakes the worker. */
bool sv_queue(enum job_kind kind, unsigned i);
void sv_reclaim(struct prog *p);

/* Hands the worker its next job if it waits for one. */
void sv_wake_worker(void);

/* The worker thread's body (wf_thread_create). */
int sv_worker_main(uintptr_t arg);

/* NEXT from the worker: its job done, the next one, or its call kept. */
wf_word_t sv_on_next(struct wf_server *s, struct wf_server_req *r, const void *h);

/* Starts every program whose restart backoff is over (sv.c). */
void sv_due_restarts(void);

#endif
