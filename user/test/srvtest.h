/*
 * Helpers of the suites that run Weft's servers as child processes, the test
 * acting as init (user/test/srvtest.c; t_namesrv.c, t_logsrv.c).
 */
#ifndef WF_SRVTEST_H
#define WF_SRVTEST_H

#include "tutil.h"

/* A server program running as a child process. */
struct srv {
    struct wf_process p;
    wf_cptr_t ep;   /* its endpoint, unbadged, every right (init's cap: badge 0) */
    wf_cptr_t pool; /* a Read copy of its pool (Pool_Info) */
};

/* Starts the initramfs program prog at TEST_CHILD_PRIO with a new endpoint in
 * its slot WF_CHILD_SERVE (Read) and a pool of 1 MiB, and returns once it waits
 * for messages. */
enum wf_error srv_start(struct srv *s, const char *prog);

/* A copy of s's endpoint minted with badge (a client's cap) in a new slot; 0
 * on failure. */
wf_cptr_t srv_client(struct srv *s, wf_word_t badge);

/* Caps in slots [first, end) of s's CNode (each probed by copying it out). */
unsigned srv_caps(struct srv *s, wf_word_t first, wf_word_t end);

/* Kills s while it holds a client's call: the server is set to priority 0
 * (below the settling sentinel: it never runs again), a client thread runs
 * call(arg), whose Call the kernel hands to the waiting server, then the
 * process is destroyed. Stores in *err what call returned (its status; 1000
 * when it had returned before the kill: the server answered) and returns
 * the first failure of the steps. */
enum wf_error srv_kill_mid_call(struct srv *s, int (*call)(uintptr_t), uintptr_t arg,
                                wf_word_t *err);

/* A thread that receives one message on an endpoint: its badge and word 0. */
struct srv_catch {
    struct wf_thread t;
    wf_cptr_t ep;
    volatile wf_word_t badge, w0;
};

/* Starts a thread that Recvs once on ep into *c. */
enum wf_error srv_catch_start(struct srv_catch *c, wf_cptr_t ep);

/* Sends {label 1, w0} through cap and waits for c's thread to take it;
 * returns the Send's error (the badge and word in c). */
enum wf_error srv_catch_send(struct srv_catch *c, wf_cptr_t cap, wf_word_t w0);

#endif
