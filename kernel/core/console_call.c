/*
 * The CONSOLE_WRITE system call: the root task's console in every build
 * (docs/decisions/093-release-console.md).
 *
 * Until a console server exists, the kernel's serial console is the only
 * output a system has, and a release kernel has no debug calls. So one
 * narrow call stays in release builds: up to 32 bytes, packed in the four
 * message registers, written as they are. Who may write is decided by
 * authority the caller already holds, not by the build: a thread whose CSpace
 * root is the root task's CNode, i.e. the root task and the threads it chose to
 * give its whole CSpace. Anyone else gets ILLEGAL_OPERATION and writes nothing;
 * the root task (later, the console server it starts) prints for them. Debug
 * builds keep DEBUG_PUTC for every thread.
 */
#include "core/console_call.h"

#include "core/roottask.h"
#include "ipc/ipc.h"
#include "kprintf.h"
#include "weft/errors.h"

#define CONSOLE_WRITE_MAX (WF_MSG_REG_WORDS * 8)

static void reply(struct tcb *t, enum wf_error err, unsigned n, wf_word_t d0, wf_word_t d1,
                  wf_word_t d2)
{
    const wf_word_t d[3] = {d0, d1, d2};
    ctx_set_result(&t->ctx, err, ipc_info_out(err, 0, n), 0);
    for (unsigned i = 0; i < n; i++)
        ctx_set_mr(&t->ctx, i, d[i]);
}

void console_call_write(struct tcb *t)
{
    /* Decode: the caller's authority, then the count. */
    if (!roottask_cspace(t->slots[WF_TCB_SLOT_CSPACE].cap)) {
        reply(t, WF_ERR_ILLEGAL_OPERATION, 0, 0, 0, 0);
        return;
    }
    wf_word_t n = ctx_cap(&t->ctx);
    if (n > CONSOLE_WRITE_MAX) {
        reply(t, WF_ERR_RANGE_ERROR, 3, 0, 0, CONSOLE_WRITE_MAX);
        return;
    }
    /* Invoke. */
    char buf[CONSOLE_WRITE_MAX];
    for (unsigned i = 0; i < n; i++)
        buf[i] = (char)(ctx_mr(&t->ctx, i / 8) >> (8 * (i % 8)));
    console_write(buf, n);
    reply(t, WF_ERR_OK, 0, 0, 0, 0);
}
