/*
 * The console server's decisions (consrv.h): who gets a typed line, who ^C
 * interrupts, what a Write puts on the line. No port I/O here (main.c).
 *
 * Input flows one way: byte -> line editor (echo) -> completed line -> the
 * foreground client's oldest waiting Read, or the queue. The invariant that
 * keeps it simple: while the queue holds a line, the foreground client has no
 * waiting Read (deliver() runs after every change that could break it: a new
 * line, a new Read, a new foreground client). A Read returns at most one line
 * (and at most max bytes of it; the rest stays at the head of the queue for the
 * next Read), as a terminal in canonical mode does.
 *
 * Waiting Reads are deferred replies (wf/server.h): each holds one of the
 * server's Reply objects until it is answered. A client has at most one: a
 * second Read with the same badge ends the first with CANCELLED. That bounds
 * what one client can hold, and it frees the Reply object of a client that was
 * killed while it waited and came back under the same badge (init restarts a
 * program with its old id), whose old Read nobody will ever answer otherwise.
 *
 * A raw client (SetRaw; lx, which runs a Linux line discipline of its own)
 * gets the bytes as typed: they are queued unedited and unechoed, its
 * notification is signalled for each, and its Reads take what is queued,
 * across newlines, answering at once (none when nothing is there), so that
 * it can read after each signal without ever waiting here.
 *
 * ^C belongs to the foreground client: its waiting Reads end with CANCELLED,
 * its interrupt notification (SetInterrupt) is signalled, and the lines typed
 * ahead are dropped with the edit line, so that what was typed for the
 * interrupted program does not go to the next one.
 */
#include "consrv.h"

#include <string.h>

#include "weft/invoke.h"
#include "wf/syscall.h"

static struct consrv *con_of(struct wf_server *s)
{
    return s->ctx;
}

/* The slot of badge among the raw clients, or CON_INTR_MAX. */
static unsigned raw_slot(const struct consrv *c, wf_word_t badge)
{
    unsigned i = 0;
    while (i < CON_INTR_MAX && !(c->raw_used[i] && c->raw_badge[i] == badge))
        i++;
    return i;
}

static bool is_raw(const struct consrv *c, wf_word_t badge)
{
    return raw_slot(c, badge) < CON_INTR_MAX;
}

/* Moves at most max bytes of the queue's first line (up to and with its
 * newline; for a raw client, of the queue) to buf; returns the count. */
static size_t take(struct consrv *c, char *buf, size_t max, bool raw)
{
    size_t n = 0;
    while (n < max && n < c->qlen) {
        char ch = c->queue[(c->qhead + n) % CON_QUEUE_MAX];
        buf[n++] = ch;
        if (ch == '\n' && !raw)
            break;
    }
    c->qhead = (c->qhead + n) % CON_QUEUE_MAX;
    c->qlen -= n;
    return n;
}

static void drop_pending(struct consrv *c, unsigned i)
{
    memmove(&c->pending[i], &c->pending[i + 1], (c->npending - i - 1) * sizeof(c->pending[0]));
    c->npending--;
}

/* The oldest waiting Read of badge, or npending when there is none. */
static unsigned pending_of(const struct consrv *c, wf_word_t badge)
{
    unsigned i = 0;
    while (i < c->npending && c->pending[i].badge != badge)
        i++;
    return i;
}

/* Answers the foreground client's waiting Reads while lines are queued. */
static void deliver(struct consrv *c)
{
    char buf[WFP_CONSOLE_TEXT_MAX];
    unsigned i;
    while (c->qlen && (i = pending_of(c, c->fg)) < c->npending) {
        size_t n = take(c, buf, c->pending[i].max, is_raw(c, c->fg));
        wfp_console_read_answer(c->srv, c->pending[i].reply, WF_ERR_OK, buf, n);
        drop_pending(c, i);
    }
}

/* Ends every waiting Read of badge with CANCELLED. */
static void cancel_reads(struct consrv *c, wf_word_t badge)
{
    unsigned i;
    while ((i = pending_of(c, badge)) < c->npending) {
        wfp_console_read_answer(c->srv, c->pending[i].reply, WF_ERR_CANCELLED, 0, 0);
        drop_pending(c, i);
    }
}

static void echo(void *ctx, const char *s, size_t n)
{
    struct consrv *c = ctx;
    c->out(c->out_ctx, s, n);
}

void consrv_init(struct consrv *c, con_out_fn *out, void *ctx, struct wf_server *srv,
                 wf_cptr_t cnode, wf_cptr_t intr_slot0)
{
    memset(c, 0, sizeof(*c));
    c->out = out;
    c->out_ctx = ctx;
    c->srv = srv;
    c->cnode = cnode;
    c->intr_slot0 = intr_slot0;
    le_init(&c->le, echo, c);
}

/* Signals the foreground client's notification, if it has one. */
static void notify(struct consrv *c)
{
    for (unsigned i = 0; i < CON_INTR_MAX; i++) {
        if (c->intr_used[i] && c->intr_badge[i] == c->fg) {
            /* A notification revoked since (its client restarted) leaves the
             * slot empty: forget it. */
            if (wf_sys_signal(c->intr_slot0 + i) != WF_ERR_OK)
                c->intr_used[i] = false;
        }
    }
}

static void interrupt(struct consrv *c)
{
    c->qlen = 0;
    cancel_reads(c, c->fg);
    notify(c);
}

void consrv_input(struct consrv *c, unsigned char byte)
{
    if (is_raw(c, c->fg)) {
        if (c->qlen == CON_QUEUE_MAX) {
            c->out(c->out_ctx, "\a", 1);
            return;
        }
        c->queue[(c->qhead + c->qlen) % CON_QUEUE_MAX] = (char)byte;
        c->qlen++;
        deliver(c);
        notify(c);
        return;
    }
    enum le_event e = le_feed(&c->le, byte);
    if (e == LE_LINE) {
        size_t n;
        const char *l = le_line(&c->le, &n);
        if (n > CON_QUEUE_MAX - c->qlen) {
            c->out(c->out_ctx, "\a", 1);
            return;
        }
        for (size_t i = 0; i < n; i++)
            c->queue[(c->qhead + c->qlen + i) % CON_QUEUE_MAX] = l[i];
        c->qlen += n;
        deliver(c);
    } else if (e == LE_INTERRUPT) {
        interrupt(c);
    }
}

/* --- handlers ------------------------------------------------------------------------ */

static wf_word_t on_write(struct wf_server *s, struct wf_server_req *r, const char *text,
                          wf_word_t len, wf_word_t *written)
{
    struct consrv *c = con_of(s);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            if (i > start)
                c->out(c->out_ctx, text + start, i - start);
            c->out(c->out_ctx, "\r\n", 2);
            start = i + 1;
        }
    }
    if (len > start)
        c->out(c->out_ctx, text + start, len - start);
    *written = len;
    return WF_ERR_OK;
}

static wf_word_t on_read(struct wf_server *s, struct wf_server_req *r, wf_word_t max, char *text,
                         wf_word_t *text_len)
{
    struct consrv *c = con_of(s);
    if (max < 1 || max > WFP_CONSOLE_TEXT_MAX) {
        r->rw[0] = 0; /* argument 0, max */
        r->rw[1] = 1;
        r->rw[2] = WFP_CONSOLE_TEXT_MAX;
        r->rlen = 3;
        return WF_ERR_RANGE_ERROR;
    }
    bool raw = is_raw(c, r->badge);
    if (r->badge == c->fg && c->qlen) {
        *text_len = take(c, text, max, raw);
        return WF_ERR_OK;
    }
    if (raw) { /* nothing there: a raw Read does not wait */
        *text_len = 0;
        return WF_ERR_OK;
    }
    cancel_reads(c, r->badge);
    wf_cptr_t reply = wf_server_defer(s, r);
    if (!reply)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    c->pending[c->npending].badge = r->badge;
    c->pending[c->npending].max = max;
    c->pending[c->npending].reply = reply;
    c->npending++;
    return WF_ERR_OK;
}

static wf_word_t on_set_foreground(struct wf_server *s, struct wf_server_req *r, wf_word_t badge)
{
    struct consrv *c = con_of(s);
    if (r->badge != 0 && r->badge != c->fg)
        return WF_ERR_ILLEGAL_OPERATION;
    c->fg = badge;
    deliver(c);
    return WF_ERR_OK;
}

static wf_word_t on_set_interrupt(struct wf_server *s, struct wf_server_req *r,
                                  wf_cptr_t notification)
{
    struct consrv *c = con_of(s);
    unsigned i, free_i = CON_INTR_MAX;
    for (i = 0; i < CON_INTR_MAX; i++) {
        if (c->intr_used[i] && c->intr_badge[i] == r->badge)
            break;
        if (!c->intr_used[i] && free_i == CON_INTR_MAX)
            free_i = i;
    }
    if (i == CON_INTR_MAX) {
        if (free_i == CON_INTR_MAX)
            return WF_ERR_NOT_ENOUGH_MEMORY;
        i = free_i;
    }
    wf_cptr_t slot = c->intr_slot0 + i;
    wf_cnode_delete(c->cnode, slot, 64); /* the one it replaces, if any */
    c->intr_used[i] = false;
    enum wf_error e = wf_cnode_move(c->cnode, slot, 64, c->cnode, notification, 64);
    if (e != WF_ERR_OK)
        return e;
    c->intr_used[i] = true;
    c->intr_badge[i] = r->badge;
    return WF_ERR_OK;
}

static wf_word_t on_set_raw(struct wf_server *s, struct wf_server_req *r, wf_word_t on)
{
    struct consrv *c = con_of(s);
    if (on > 1) {
        r->rw[0] = 0; /* argument 0, on */
        r->rw[1] = 0;
        r->rw[2] = 1;
        r->rlen = 3;
        return WF_ERR_RANGE_ERROR;
    }
    unsigned i = raw_slot(c, r->badge);
    if (!on) {
        if (i < CON_INTR_MAX)
            c->raw_used[i] = false;
        return WF_ERR_OK;
    }
    if (i < CON_INTR_MAX)
        return WF_ERR_OK;
    for (i = 0; i < CON_INTR_MAX && c->raw_used[i]; i++)
        ;
    if (i == CON_INTR_MAX)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    c->raw_used[i] = true;
    c->raw_badge[i] = r->badge;
    cancel_reads(c, r->badge); /* a Read waiting for a line would wait for ever */
    return WF_ERR_OK;
}

const struct wfp_console_handlers consrv_handlers = {
    .on_write = on_write,
    .on_read = on_read,
    .on_set_foreground = on_set_foreground,
    .on_set_interrupt = on_set_interrupt,
    .on_set_raw = on_set_raw,
};
