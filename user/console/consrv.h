/*
 * The console server's state and its protocol handlers (user/console/consrv.c),
 * apart from the UART: main.c drives the hardware, this file decides. Output
 * goes through an out function (main.c's writes the UART; the host test's
 * records), input arrives byte by byte through consrv_input. Everything else it
 * does is through system calls (answers on deferred Reply caps, signals, CNode
 * moves), so tests/host/test_consrv.c runs it against a double of the syscall
 * instruction.
 *
 * Clients are told apart by the badge of the cap they call through (badge 0:
 * init). One of them is the foreground client: its Reads get the lines typed,
 * ^C interrupts it. Reads of other clients wait (deferred replies) until their
 * client comes to the foreground and a line is there.
 */
#ifndef CONSOLE_CONSRV_H
#define CONSOLE_CONSRV_H

#include <stdbool.h>
#include <stddef.h>

#include "lineedit.h"
#include "wf/proto/console.h"
#include "wf/server.h"

/* Reads that may wait at once (each holds a Reply object: the server has one more). */
#define CON_PENDING_MAX (WF_SERVER_MAX_REPLIES - 1)
/* Clients that may register an interrupt notification. */
#define CON_INTR_MAX 16
/* Bytes of completed lines kept for later Reads. */
#define CON_QUEUE_MAX 2048

typedef void con_out_fn(void *ctx, const char *s, size_t n);

struct consrv {
    struct lineedit le;
    con_out_fn *out; /* raw bytes to the terminal */
    void *out_ctx;
    struct wf_server *srv; /* the server whose deferred replies are answered */
    wf_word_t fg;          /* the foreground client's badge */
    /* Waiting Reads, oldest first. */
    struct {
        wf_word_t badge, max;
        wf_cptr_t reply;
    } pending[CON_PENDING_MAX];
    unsigned npending;
    /* Completed lines not read yet: queue[qhead..qhead+qlen) (mod CON_QUEUE_MAX),
     * each with its newline. */
    char queue[CON_QUEUE_MAX];
    size_t qhead, qlen;
    /* Interrupt notifications: intr_badge[i] owns slot intr_slot0 + i of cnode. */
    wf_cptr_t cnode, intr_slot0;
    wf_word_t intr_badge[CON_INTR_MAX];
    bool intr_used[CON_INTR_MAX];
    /* Clients in raw mode (SetRaw): their input is queued byte by byte, unedited. */
    wf_word_t raw_badge[CON_INTR_MAX];
    bool raw_used[CON_INTR_MAX];
};

/* Prepares c: output to out(ctx, ...), deferred replies on srv's Reply objects,
 * interrupt notifications kept in slots intr_slot0 .. + CON_INTR_MAX - 1 of
 * cnode (empty; CPtrs of depth 64). The foreground client is badge 0. */
void consrv_init(struct consrv *c, con_out_fn *out, void *ctx, struct wf_server *srv,
                 wf_cptr_t cnode, wf_cptr_t intr_slot0);

/* Takes one byte typed on the terminal: edits, echoes, and hands a completed
 * line to the foreground client's oldest waiting Read (or queues it; a line
 * that does not fit the queue is dropped with a bell). ^C drops the edit line
 * and the queued lines, ends the foreground client's waiting Reads with
 * CANCELLED and signals its interrupt notification. When the foreground client
 * is raw (SetRaw), the byte is queued as it is (a bell when the queue is full)
 * and its notification signalled: no editing, no echo, ^C a byte like any. */
void consrv_input(struct consrv *c, unsigned char byte);

/* The handler table: pass c as the server's ctx (struct wf_server.ctx). */
extern const struct wfp_console_handlers consrv_handlers;

#endif
