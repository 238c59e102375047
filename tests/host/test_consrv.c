/*
 * The console server's decisions (user/console/consrv.c) on the host: its
 * handlers reached through the generated dispatch (wf_server_dispatch) and its
 * input path (consrv_input), with the terminal's output captured and the
 * system calls it makes (answers on deferred Reply caps, Signal, CNode
 * Move/Delete) logged by a test double of the syscall instruction. Checked:
 * Write's newline translation; Reads of the foreground client answered at once
 * from the queue or later when a line is typed, one line (or max bytes of it)
 * each; Reads of other clients waiting until SetForeground, which only the
 * foreground client and badge 0 may call; ^C ending the foreground client's
 * waiting Read with CANCELLED, signalling its notification and dropping
 * typed-ahead lines; one waiting Read per client; the bounds (max, waiting
 * Reads, queue, interrupt table).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "consrv.h"
#include "weft/invoke.h"
#include "weft/syscalls.h"
#include "wf/runtime.h"

#define LOG_MAX 64

static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));

static struct {
    unsigned n;
    struct {
        wf_word_t nr, cap;
        struct wf_msgregs in;
        wf_word_t msg[WF_MSG_MAX_WORDS];
    } log[LOG_MAX];
    wf_word_t fail_nr, fail_err; /* calls numbered fail_nr fail with fail_err */
} K;

wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    (void)reply;
    cr_assert_lt(K.n, LOG_MAX);
    K.log[K.n].nr = nr;
    K.log[K.n].cap = cap;
    K.log[K.n].in = *m;
    memcpy(K.log[K.n].msg, ipcbuf.msg, sizeof(ipcbuf.msg));
    K.n++;
    memset(m, 0, sizeof(*m));
    if (K.fail_nr && nr == K.fail_nr) {
        m->info = wf_msginfo(K.fail_err, 0, 0);
        return K.fail_err;
    }
    return WF_ERR_OK;
}

/* --- the terminal -------------------------------------------------------------------- */

static struct {
    char buf[8192];
    size_t n;
} T;

static void term(void *ctx, const char *s, size_t n)
{
    cr_assert_eq(ctx, &T);
    cr_assert_leq(T.n + n, sizeof(T.buf));
    memcpy(T.buf + T.n, s, n);
    T.n += n;
}

static const char *shown(void)
{
    static char out[sizeof(T.buf) + 1];
    memcpy(out, T.buf, T.n);
    out[T.n] = 0;
    T.n = 0;
    return out;
}

/* --- the server ---------------------------------------------------------------------- */

#define CNODE 1
#define INTR0 64
#define RECV  18
static const wf_cptr_t replies[WF_SERVER_MAX_REPLIES] = {32, 33, 34, 35, 36, 37, 38, 39,
                                                         40, 41, 42, 43, 44, 45, 46, 47};
static const struct wf_server_proto protos[] = {WFP_CONSOLE_PROTO_ENTRY(&consrv_handlers)};
static struct wf_server srv;
static struct consrv con;

static void setup(void)
{
    memset(&K, 0, sizeof(K));
    memset(&T, 0, sizeof(T));
    wf_set_ipc_buffer(&ipcbuf);
    srv = (struct wf_server){.ep = 6,
                             .recv_cnode = CNODE,
                             .recv_slot = RECV,
                             .protos = protos,
                             .nprotos = 1,
                             .ctx = &con};
    cr_assert_eq(wf_server_init(&srv, replies, WF_SERVER_MAX_REPLIES), WF_ERR_OK);
    consrv_init(&con, term, &T, &srv, CNODE, INTR0);
}

TestSuite(consrv, .init = setup);

static struct wf_server_msg in_buf, out_buf;
static struct wf_server_req R;
static wf_cptr_t bound; /* the Reply object the message came with */

/* Dispatches a message from badge; returns the reply label (WF_SERVER_NO_REPLY
 * when deferred). */
static wf_word_t msg(wf_word_t badge, wf_word_t label, const wf_word_t *w, unsigned n,
                     unsigned caps)
{
    memset(&out_buf, 0, sizeof(out_buf));
    if (n)
        memcpy(in_buf.w, w, n * sizeof(wf_word_t));
    R = (struct wf_server_req){.info = wf_msginfo(label, caps, n),
                               .label = label,
                               .badge = badge,
                               .w = in_buf.w,
                               .rw = out_buf.w,
                               .cap = caps ? RECV : 0};
    bound = srv.reply;
    return wf_server_dispatch(&srv, &R);
}

static wf_word_t read_(wf_word_t badge, wf_word_t max)
{
    return msg(badge, WFP_CONSOLE_READ, &max, 1, 0);
}

static wf_word_t set_fg(wf_word_t badge, wf_word_t to)
{
    return msg(badge, WFP_CONSOLE_SET_FOREGROUND, &to, 1, 0);
}

static wf_word_t set_intr(wf_word_t badge)
{
    return msg(badge, WFP_CONSOLE_SET_INTERRUPT, 0, 0, 1);
}

static void type(const char *s)
{
    while (*s)
        consrv_input(&con, (unsigned char)*s++);
}

/* The bytes of a reply (R's, or a logged Send's). */
static void assert_reply_text(const wf_word_t *w, const char *want)
{
    cr_assert_eq(w[0], strlen(want), "%llu bytes, want %zu", (unsigned long long)w[0],
                 strlen(want));
    cr_assert_eq(memcmp(&w[1], want, w[0]), 0, "'%.*s', want '%s'", (int)w[0], (const char *)&w[1],
                 want);
}

/* Logged call i is the answer of a deferred Read through reply: err, and on OK text. */
static void assert_answer(unsigned i, wf_cptr_t reply, wf_word_t err, const char *text)
{
    cr_assert_lt(i, K.n);
    cr_assert_eq(K.log[i].nr, WF_SYS_SEND);
    cr_assert_eq(K.log[i].cap, reply);
    cr_assert_eq(wf_msginfo_label(K.log[i].in.info), err, "answer %s, want %s",
                 wf_error_name(wf_msginfo_label(K.log[i].in.info)), wf_error_name(err));
    if (err != WF_ERR_OK) {
        cr_assert_eq(wf_msginfo_length(K.log[i].in.info), 0);
        return;
    }
    wf_word_t w[WF_MSG_MAX_WORDS];
    unsigned len = wf_msginfo_length(K.log[i].in.info);
    for (unsigned k = 0; k < len; k++)
        w[k] = k < WF_MSG_REG_WORDS ? K.log[i].in.w[k] : K.log[i].msg[k];
    assert_reply_text(w, text);
}

Test(consrv, write_turns_newlines_into_cr_lf)
{
    wf_word_t w[4] = {13};
    wf_proto_pack(&w[1], "one\ntwo\n\nend", 12);
    w[0] = 12;
    cr_assert_eq(msg(5, WFP_CONSOLE_WRITE, w, 3, 0), WF_ERR_OK);
    cr_assert_eq(R.rlen, 1);
    cr_assert_eq(R.rw[0], 12);
    cr_assert_str_eq(shown(), "one\r\ntwo\r\n\r\nend");
    w[0] = 0;
    cr_assert_eq(msg(5, WFP_CONSOLE_WRITE, w, 1, 0), WF_ERR_OK);
    cr_assert_eq(R.rw[0], 0);
    cr_assert_str_eq(shown(), "");
    cr_assert_eq(K.n, 0);
}

Test(consrv, typing_echoes_and_the_foreground_reads_queued_lines)
{
    type("hello\rworld\r");
    cr_assert_str_eq(shown(), "hello\r\nworld\r\n");
    cr_assert_eq(read_(0, 512), WF_ERR_OK); /* badge 0 is in the foreground first */
    assert_reply_text(R.rw, "hello\n");
    cr_assert_eq(R.rlen, 1 + WF_PROTO_WORDS(6));
    /* max cuts a line; the rest comes next, still one line a Read. */
    cr_assert_eq(read_(0, 3), WF_ERR_OK);
    assert_reply_text(R.rw, "wor");
    cr_assert_eq(read_(0, 512), WF_ERR_OK);
    assert_reply_text(R.rw, "ld\n");
    cr_assert_eq(K.n, 0);
}

Test(consrv, a_read_waits_for_a_line)
{
    cr_assert_eq(read_(0, 100), WF_SERVER_NO_REPLY);
    wf_cptr_t kept = bound;
    cr_assert_neq(srv.reply, kept); /* the loop receives with a spare now */
    type("ls");
    cr_assert_eq(K.n, 0);
    type("\r");
    cr_assert_eq(K.n, 1);
    assert_answer(0, kept, WF_ERR_OK, "ls\n");
    /* The Reply object is a spare again. */
    cr_assert_eq(srv.nspare, WF_SERVER_MAX_REPLIES - 1);
}

Test(consrv, reads_of_other_clients_wait_for_the_foreground)
{
    cr_assert_eq(read_(7, 100), WF_SERVER_NO_REPLY);
    wf_cptr_t r7 = bound;
    type("for seven\r");
    cr_assert_eq(K.n, 0); /* queued: 7 is not in the foreground */
    /* Only the foreground client (0) may hand the foreground over. */
    cr_assert_eq(set_fg(7, 7), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(set_fg(9, 7), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(K.n, 0);
    cr_assert_eq(set_fg(0, 7), WF_ERR_OK);
    cr_assert_eq(K.n, 1);
    assert_answer(0, r7, WF_ERR_OK, "for seven\n");
    /* 7 may pass it on, and then may not any more; badge 0 always may. */
    cr_assert_eq(set_fg(7, 9), WF_ERR_OK);
    cr_assert_eq(set_fg(7, 7), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(set_fg(9, 9), WF_ERR_OK);
    cr_assert_eq(set_fg(0, 7), WF_ERR_OK);
    /* A Read of a background client does not take what the foreground's is for. */
    type("x\r");
    cr_assert_eq(read_(9, 100), WF_SERVER_NO_REPLY);
    cr_assert_eq(read_(7, 100), WF_ERR_OK);
    assert_reply_text(R.rw, "x\n");
}

Test(consrv, ctrl_c_cancels_the_foreground_read_and_signals)
{
    cr_assert_eq(set_fg(0, 4), WF_ERR_OK);
    cr_assert_eq(set_intr(4), WF_ERR_OK); /* CNode_Move of the received cap */
    cr_assert_eq(K.n, 2);                 /* CNode_Delete of the slot, then Move */
    cr_assert_eq(wf_msginfo_label(K.log[0].in.info), WF_LABEL_CNODE_DELETE);
    cr_assert_eq(K.log[1].cap, CNODE);
    cr_assert_eq(wf_msginfo_label(K.log[1].in.info), WF_LABEL_CNODE_MOVE);
    cr_assert_eq(K.log[1].in.w[0], INTR0);
    cr_assert_eq(K.log[1].in.w[2], RECV);
    cr_assert_eq(set_intr(8), WF_ERR_OK); /* a background client's: not signalled */
    K.n = 0;
    cr_assert_eq(read_(4, 100), WF_SERVER_NO_REPLY);
    wf_cptr_t r4 = bound;
    cr_assert_eq(read_(8, 100), WF_SERVER_NO_REPLY);
    shown();
    type("sleep 100\x03");
    cr_assert_str_eq(shown(), "sleep 100^C\r\n");
    cr_assert_eq(K.n, 2);
    assert_answer(0, r4, WF_ERR_CANCELLED, NULL);
    cr_assert_eq(K.log[1].nr, WF_SYS_SIGNAL);
    cr_assert_eq(K.log[1].cap, INTR0);
    /* The edit line is gone: the next line is only what follows. */
    cr_assert_eq(read_(4, 100), WF_SERVER_NO_REPLY);
    r4 = bound;
    type("ok\r");
    assert_answer(2, r4, WF_ERR_OK, "ok\n");
    cr_assert_eq(K.n, 3); /* 8 still waits */
}

Test(consrv, ctrl_c_drops_typed_ahead_lines)
{
    type("one\rtwo\r\x03three\r");
    cr_assert_eq(K.n, 0); /* badge 0 has no notification */
    cr_assert_eq(read_(0, 100), WF_ERR_OK);
    assert_reply_text(R.rw, "three\n");
    /* With no Read waiting and no notification, ^C only clears. */
    type("\x03");
    cr_assert_eq(K.n, 0);
}

Test(consrv, a_notification_that_went_away_is_forgotten)
{
    cr_assert_eq(set_intr(0), WF_ERR_OK);
    K.n = 0;
    K.fail_nr = WF_SYS_SIGNAL;
    K.fail_err = WF_ERR_FAILED_LOOKUP;
    type("\x03");
    cr_assert_eq(K.n, 1);
    type("\x03");
    cr_assert_eq(K.n, 1); /* not tried again */
}

Test(consrv, a_second_read_of_a_client_cancels_its_first)
{
    cr_assert_eq(read_(3, 10), WF_SERVER_NO_REPLY);
    wf_cptr_t first = bound;
    cr_assert_eq(read_(3, 10), WF_SERVER_NO_REPLY);
    wf_cptr_t second = bound;
    cr_assert_eq(K.n, 1);
    assert_answer(0, first, WF_ERR_CANCELLED, NULL);
    cr_assert_eq(set_fg(0, 3), WF_ERR_OK);
    type("a\r");
    assert_answer(1, second, WF_ERR_OK, "a\n");
}

Test(consrv, bounds)
{
    /* max: 1 to TEXT_MAX. */
    cr_assert_eq(read_(0, 0), WF_ERR_RANGE_ERROR);
    cr_assert_eq(R.rlen, 3);
    cr_assert_eq(R.rw[0], 0);
    cr_assert_eq(R.rw[1], 1);
    cr_assert_eq(R.rw[2], WFP_CONSOLE_TEXT_MAX);
    cr_assert_eq(read_(0, WFP_CONSOLE_TEXT_MAX + 1), WF_ERR_RANGE_ERROR);
    /* As many waiting Reads as spare Reply objects, one per client. */
    for (wf_word_t b = 1; b <= CON_PENDING_MAX; b++)
        cr_assert_eq(read_(b, 1), WF_SERVER_NO_REPLY);
    cr_assert_eq(read_(100, 1), WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_eq(K.n, 0);
    /* Interrupt notifications: CON_INTR_MAX clients; a client replaces its own. */
    for (wf_word_t b = 1; b <= CON_INTR_MAX; b++)
        cr_assert_eq(set_intr(b), WF_ERR_OK);
    cr_assert_eq(set_intr(100), WF_ERR_NOT_ENOUGH_MEMORY);
    K.n = 0;
    cr_assert_eq(set_intr(5), WF_ERR_OK);
    cr_assert_eq(K.n, 2);
    cr_assert_eq(K.log[0].in.w[0], INTR0 + 4); /* its slot emptied, then filled */
    cr_assert_eq(K.log[1].in.w[0], INTR0 + 4);
}

Test(consrv, a_full_queue_drops_the_line_with_a_bell)
{
    char line[LE_LINE_MAX + 2];
    memset(line, 'q', LE_LINE_MAX);
    line[LE_LINE_MAX] = '\r';
    line[LE_LINE_MAX + 1] = 0;
    for (unsigned i = 0; i < CON_QUEUE_MAX / (LE_LINE_MAX + 1); i++)
        type(line);
    shown();
    type("z\r");
    cr_assert_str_eq(shown(), "z\r\n\a");
    for (unsigned i = 0; i < CON_QUEUE_MAX / (LE_LINE_MAX + 1); i++) {
        cr_assert_eq(read_(0, WFP_CONSOLE_TEXT_MAX), WF_ERR_OK);
        cr_assert_eq(R.rw[0], LE_LINE_MAX + 1);
    }
    cr_assert_eq(read_(0, 10), WF_SERVER_NO_REPLY); /* "z" was dropped */
}

static wf_word_t set_raw(wf_word_t badge, wf_word_t on)
{
    return msg(badge, WFP_CONSOLE_SET_RAW, &on, 1, 0);
}

Test(consrv, a_raw_client_gets_every_byte_unedited_and_unechoed)
{
    cr_assert_eq(set_fg(0, 4), WF_ERR_OK);
    cr_assert_eq(set_intr(4), WF_ERR_OK);
    cr_assert_eq(set_raw(4, 1), WF_ERR_OK);
    K.n = 0;
    shown();
    /* ^C, ^Z, ^\, ^D, DEL and CR arrive as they are, nothing echoed; each
     * byte signals the client's notification. */
    type("a\x7f\x03\x1a\x1c\x04\r");
    cr_assert_str_eq(shown(), "");
    cr_assert_eq(K.n, 7);
    for (unsigned i = 0; i < 7; i++) {
        cr_assert_eq(K.log[i].nr, WF_SYS_SIGNAL);
        cr_assert_eq(K.log[i].cap, INTR0);
    }
    /* A Read takes what is there across newlines, at most max. */
    cr_assert_eq(read_(4, 3), WF_ERR_OK);
    assert_reply_text(R.rw, "a\x7f\x03");
    type("b\rc");
    cr_assert_eq(read_(4, 100), WF_ERR_OK);
    assert_reply_text(R.rw, "\x1a\x1c\x04\rb\rc");
    /* With nothing there it answers at once, with nothing. */
    cr_assert_eq(read_(4, 100), WF_ERR_OK);
    assert_reply_text(R.rw, "");
    /* Off again: lines are edited and echoed, ^C cancels. */
    cr_assert_eq(set_raw(4, 0), WF_ERR_OK);
    cr_assert_eq(read_(4, 100), WF_SERVER_NO_REPLY);
    wf_cptr_t r4 = bound;
    K.n = 0;
    type("x\x7fy\r");
    cr_assert_str_eq(shown(), "x\b \by\r\n");
    assert_answer(0, r4, WF_ERR_OK, "y\n");
}

Test(consrv, raw_mode_is_per_client_and_bounded)
{
    cr_assert_eq(set_raw(4, 2), WF_ERR_RANGE_ERROR);
    cr_assert_eq(set_raw(4, 1), WF_ERR_OK);
    cr_assert_eq(set_raw(4, 1), WF_ERR_OK); /* again: one slot */
    /* Badge 0 is in the foreground and not raw: its line is edited. */
    shown();
    type("q\r");
    cr_assert_str_eq(shown(), "q\r\n");
    cr_assert_eq(read_(0, 100), WF_ERR_OK);
    assert_reply_text(R.rw, "q\n");
    /* A raw Read made while waiting for a line ends that one first. */
    cr_assert_eq(read_(9, 100), WF_SERVER_NO_REPLY);
    wf_cptr_t r9 = bound;
    K.n = 0;
    cr_assert_eq(set_raw(9, 1), WF_ERR_OK);
    assert_answer(0, r9, WF_ERR_CANCELLED, NULL);
    for (wf_word_t b = 10; b < 10 + CON_INTR_MAX - 2; b++)
        cr_assert_eq(set_raw(b, 1), WF_ERR_OK);
    cr_assert_eq(set_raw(100, 1), WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_eq(set_raw(9, 0), WF_ERR_OK);
    cr_assert_eq(set_raw(100, 1), WF_ERR_OK);
    /* A full queue refuses a raw byte with a bell. */
    cr_assert_eq(set_fg(0, 4), WF_ERR_OK);
    for (unsigned i = 0; i < CON_QUEUE_MAX; i++)
        consrv_input(&con, 'z');
    shown();
    type("!");
    cr_assert_str_eq(shown(), "\a");
}
