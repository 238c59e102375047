/*
 * Console output from user programs (user/lib/weft/runtime.c: wf_console_write)
 * and the reconnect step every client uses (user/lib/weft/client.c:
 * wf_reconnect), against a test double of the syscall instruction that logs
 * each system call and answers from a script. Checked: the root task keeps the
 * kernel's CONSOLE_WRITE; a started program writes through console.Write in
 * chunks of TEXT_MAX; when its console cap is gone or its server died it
 * deletes the slot, looks "console" up into it through its NAME cap and
 * retries once; a program with no console to be had falls back to the kernel
 * for good after its first write, one whose server is away only for that
 * chunk; a sink takes everything; wf_reconnect refuses bad names without a
 * system call.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "weft/invoke.h"
#include "weft/syscalls.h"
#include "wf/client.h"
#include "wf/proto/console.h"
#include "wf/proto/name.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"

#define LOG_MAX 64

static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));

static struct {
    unsigned n, nscript;
    struct {
        wf_word_t nr, cap;
        struct wf_msgregs in;
        wf_word_t msg[WF_MSG_MAX_WORDS];
        wf_word_t rcv[3];
    } log[LOG_MAX];
    struct {
        wf_word_t rax, label;
        unsigned caps;
    } script[LOG_MAX];
} K;

/* Logs the call; answers from the script, and after it with OK (label OK). */
wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    (void)reply;
    cr_assert_lt(K.n, LOG_MAX);
    K.log[K.n].nr = nr;
    K.log[K.n].cap = cap;
    K.log[K.n].in = *m;
    memcpy(K.log[K.n].msg, ipcbuf.msg, sizeof(ipcbuf.msg));
    K.log[K.n].rcv[0] = ipcbuf.receive_cnode;
    K.log[K.n].rcv[1] = ipcbuf.receive_index;
    K.log[K.n].rcv[2] = ipcbuf.receive_depth;
    wf_word_t rax = WF_ERR_OK, label = WF_ERR_OK;
    unsigned caps = 0;
    if (K.n < K.nscript) {
        rax = K.script[K.n].rax;
        label = K.script[K.n].label;
        caps = K.script[K.n].caps;
    }
    K.n++;
    memset(m, 0, sizeof(*m));
    m->info = wf_msginfo(label, caps, 0);
    return rax;
}

/* The next system call answers with a reply of label (rax OK) and caps. */
static void answer(wf_word_t label, unsigned caps)
{
    K.script[K.nscript].rax = WF_ERR_OK;
    K.script[K.nscript].label = label;
    K.script[K.nscript++].caps = caps;
}

/* The next system call fails in the kernel with err. */
static void fail(wf_word_t err)
{
    K.script[K.nscript].rax = err;
    K.script[K.nscript++].label = err;
}

/* Answers the next system calls with OK. */
static void ok(unsigned n)
{
    while (n--)
        answer(WF_ERR_OK, 0);
}

static struct wf_startinfo si;

static void setup(void)
{
    memset(&K, 0, sizeof(K));
    memset(&ipcbuf, 0, sizeof(ipcbuf));
    wf_set_ipc_buffer(&ipcbuf);
}

/* Makes this test process a program started with a start info. */
static void started(void)
{
    si = (struct wf_startinfo){
        .magic = WF_STARTINFO_MAGIC, .cnode_radix = 8, .ipc_buffer = (wf_word_t)(uintptr_t)&ipcbuf};
    cr_assert_not_null(wf_start_info((uintptr_t)&si, WF_STARTINFO_MAGIC));
}

TestSuite(uclient, .init = setup);

/* The bytes a logged console.Write carried. */
static size_t written(unsigned i, char *out)
{
    cr_assert_eq(K.log[i].nr, WF_SYS_CALL);
    cr_assert_eq(wf_msginfo_label(K.log[i].in.info), WFP_CONSOLE_WRITE);
    wf_word_t w[WF_MSG_MAX_WORDS];
    unsigned len = wf_msginfo_length(K.log[i].in.info);
    for (unsigned k = 0; k < len; k++)
        w[k] = k < WF_MSG_REG_WORDS ? K.log[i].in.w[k] : K.log[i].msg[k];
    cr_assert_eq(len, 1 + WF_PROTO_WORDS(w[0]));
    memcpy(out, &w[1], w[0]);
    return w[0];
}

static void assert_console_write(unsigned i, const char *want, size_t n)
{
    static char got[WFP_CONSOLE_TEXT_MAX];
    cr_assert_eq(K.log[i].cap, WF_CHILD_CONSOLE);
    cr_assert_eq(written(i, got), n);
    cr_assert_eq(memcmp(got, want, n), 0);
}

static void assert_reconnect(unsigned i)
{
    /* CNode_Delete of the console slot... */
    cr_assert_eq(K.log[i].nr, WF_SYS_CALL);
    cr_assert_eq(K.log[i].cap, WF_CHILD_CNODE);
    cr_assert_eq(wf_msginfo_label(K.log[i].in.info), WF_LABEL_CNODE_DELETE);
    cr_assert_eq(K.log[i].in.w[0], WF_CHILD_CONSOLE);
    cr_assert_eq(K.log[i].in.w[1], 64);
    /* ...then name.Lookup("console") into it. */
    i++;
    cr_assert_eq(K.log[i].cap, WF_CHILD_NAME);
    cr_assert_eq(wf_msginfo_label(K.log[i].in.info), WFP_NAME_LOOKUP);
    cr_assert_eq(K.log[i].in.w[0], 7);
    cr_assert_eq(memcmp(&K.log[i].in.w[1], "console", 7), 0);
    cr_assert_eq(K.log[i].rcv[0], WF_CHILD_CNODE);
    cr_assert_eq(K.log[i].rcv[1], WF_CHILD_CONSOLE);
    cr_assert_eq(K.log[i].rcv[2], 64);
}

static unsigned count(wf_word_t nr)
{
    unsigned c = 0;
    for (unsigned i = 0; i < K.n; i++)
        c += K.log[i].nr == nr;
    return c;
}

Test(uclient, the_root_task_uses_console_write)
{
    const char text[] = "0123456789abcdefghijklmnopqrstuvwxyzABCD"; /* 40 bytes */
    wf_console_write(text, 40);
    cr_assert_eq(K.n, 2);
    cr_assert_eq(K.log[0].nr, WF_SYS_CONSOLE_WRITE);
    cr_assert_eq(K.log[0].cap, 32);
    cr_assert_eq(memcmp(K.log[0].in.w, text, 32), 0);
    cr_assert_eq(K.log[1].cap, 8);
}

Test(uclient, a_started_program_writes_through_the_console_server)
{
    started();
    static char text[WFP_CONSOLE_TEXT_MAX + 88];
    for (unsigned i = 0; i < sizeof(text); i++)
        text[i] = (char)('a' + i % 26);
    wf_console_write(text, sizeof(text));
    cr_assert_eq(K.n, 2);
    assert_console_write(0, text, WFP_CONSOLE_TEXT_MAX);
    assert_console_write(1, text + WFP_CONSOLE_TEXT_MAX, 88);
    wf_console_write("x", 1);
    assert_console_write(2, "x", 1);
    cr_assert_eq(count(WF_SYS_CONSOLE_WRITE), 0);
}

/* The three errors that mean "the server is gone": reconnect, then retry. */
static void reconnects_after(wf_word_t err, bool in_kernel)
{
    started();
    ok(1); /* the first write works */
    if (in_kernel)
        fail(err);
    else
        answer(err, 0);
    ok(1);                /* CNode_Delete */
    answer(WF_ERR_OK, 1); /* Lookup, with the endpoint */
    ok(1);                /* the retried Write */
    wf_console_write("one", 3);
    wf_console_write("two", 3);
    cr_assert_eq(K.n, 5);
    assert_console_write(0, "one", 3);
    assert_console_write(1, "two", 3);
    assert_reconnect(2);
    assert_console_write(4, "two", 3);
}

Test(uclient, reconnects_when_the_slot_is_empty)
{
    reconnects_after(WF_ERR_FAILED_LOOKUP, true);
}

Test(uclient, reconnects_when_the_slot_holds_something_else)
{
    reconnects_after(WF_ERR_INVALID_CAPABILITY, true);
}

Test(uclient, reconnects_when_the_server_died_during_the_call)
{
    reconnects_after(WF_ERR_CANCELLED, false);
}

Test(uclient, without_any_console_the_kernel_route_stays)
{
    started();
    fail(WF_ERR_FAILED_LOOKUP);     /* no console cap */
    ok(1);                          /* CNode_Delete */
    fail(WF_ERR_FAILED_LOOKUP);     /* no name server either */
    fail(WF_ERR_ILLEGAL_OPERATION); /* CONSOLE_WRITE: not the root task */
    wf_console_write("ab", 2);
    cr_assert_eq(K.log[0].cap, WF_CHILD_CONSOLE);
    assert_reconnect(1);
    cr_assert_eq(K.log[3].nr, WF_SYS_CONSOLE_WRITE);
    /* A debug build then prints byte by byte through DEBUG_PUTC. */
    cr_assert_eq(K.n, 6);
    cr_assert_eq(K.log[4].nr, WF_SYS_DEBUG_PUTC);
    cr_assert_eq(K.log[4].cap, 'a');
    cr_assert_eq(K.log[5].cap, 'b');
    /* From now on: the kernel's route at once. */
    wf_console_write("c", 1);
    cr_assert_eq(K.n, 7);
    cr_assert_eq(K.log[6].nr, WF_SYS_CONSOLE_WRITE);
    cr_assert_eq(count(WF_SYS_CALL), 3);
}

Test(uclient, a_server_that_stays_away_costs_one_chunk)
{
    started();
    ok(1);                           /* "one" */
    fail(WF_ERR_FAILED_LOOKUP);      /* "two": gone */
    ok(1);                           /* CNode_Delete */
    answer(WF_ERR_FAILED_LOOKUP, 0); /* not registered again yet */
    wf_console_write("one", 3);
    wf_console_write("two", 3);
    cr_assert_eq(K.log[4].nr, WF_SYS_CONSOLE_WRITE); /* this chunk the old way */
    unsigned n = K.n;
    wf_console_write("three", 5); /* the server is tried again */
    assert_console_write(n, "three", 5);
}

Test(uclient, other_errors_do_not_reconnect)
{
    started();
    ok(1);
    answer(WF_ERR_RANGE_ERROR, 0);
    wf_console_write("one", 3);
    wf_console_write("two", 3);
    cr_assert_eq(K.log[2].nr, WF_SYS_CONSOLE_WRITE);
    cr_assert_eq(count(WF_SYS_CALL), 2);
}

static char sunk[64];
static size_t nsunk;

static void sink(const char *s, size_t n)
{
    memcpy(sunk + nsunk, s, n);
    nsunk += n;
}

Test(uclient, a_sink_takes_everything)
{
    started();
    wf_console_set_sink(sink);
    wf_console_write("hello\n", 6);
    cr_assert_eq(K.n, 0);
    cr_assert_eq(nsunk, 6);
    cr_assert_eq(memcmp(sunk, "hello\n", 6), 0);
    wf_console_set_sink(NULL);
    wf_console_write("x", 1);
    assert_console_write(0, "x", 1);
}

Test(uclient, reconnect_refuses_bad_names_without_a_system_call)
{
    started();
    cr_assert_eq(wf_reconnect(20, ""), WF_ERR_INVALID_ARGUMENT);
    char longname[WFP_NAME_NAME_MAX + 2];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    cr_assert_eq(wf_reconnect(20, longname), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(K.n, 0);
    /* A good one: delete, Lookup; a reply without the cap is an error. */
    ok(1);
    answer(WF_ERR_OK, 0);
    cr_assert_eq(wf_reconnect(20, "log"), WF_ERR_TRUNCATED_MESSAGE);
    cr_assert_eq(K.log[0].in.w[0], 20);
    cr_assert_eq(K.log[1].rcv[1], 20);
    ok(1);
    answer(WF_ERR_OK, 1);
    cr_assert_eq(wf_reconnect(20, "log"), WF_ERR_OK);
    cr_assert(wf_reconnect_error(WF_ERR_CANCELLED));
    cr_assert(!wf_reconnect_error(WF_ERR_RANGE_ERROR));
}
