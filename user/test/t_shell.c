/*
 * The shell (user/shell/) as a child process, driven by a stand-in for the
 * console server: the test answers the shell's console.Read calls with a
 * script of command lines and checks what the commands did to the shell's
 * CSpace and what it printed (console.Write calls reach the stand-in too),
 * that the shell survives every command (bad ones included) and asks for the
 * next line, and that the probe children it starts come and go.
 * tools/systest.py checks the same on the whole system.
 *
 * One endpoint carries everything: the shell's control endpoint (its exit and
 * fault reports) is also, minted with a badge, its CONSOLE cap, so a fault
 * ends the test instead of hanging it.
 */
#include <stdio.h>
#include <string.h>

#include "tutil.h"
#include "wf/proto/console.h"

#define CONSOLE_BADGE 9

static const char *const script[] = {
    "help",
    "caps",
    "retype 11 endpoint 40",
    "mint 40 41 rw 7",
    "copy 40 42 r",
    "spawn probe",
    "send 1 42",
    "sendcap 1 41",
    "send 1 check 20",
    "revoke 41",
    "send 1 check 20",
    "ps",
    "mem",
    "delete 42",
    "copy 40 41",
    "copy 0x100000 50",
    "retype 11 untyped 40 60",
    "frobnicate now",
    "send 1 12x",
    "mint 1 2",
    "send 9 1",
    "spawn nosuchprogram",
    "kill 1",
    "spawn probe mem=64K",
    "bench 20",
    "servers",
    "log 2",
    "",
};
#define NLINES (sizeof(script) / sizeof(script[0]))

/* Answers the Read bound to reply with line (and a newline). */
static void answer_read(wf_cptr_t reply, const char *line)
{
    char text[128];
    size_t len = strlen(line);
    memcpy(text, line, len);
    text[len++] = '\n';
    wf_word_t w[1 + 16] = {len};
    memcpy(&w[1], text, len);
    unsigned n = 1 + (unsigned)((len + 7) / 8);
    struct wf_msgregs m = {.info = wf_msginfo(WF_ERR_OK, 0, n)};
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (unsigned i = 0; i < n; i++) {
        if (i < WF_MSG_REG_WORDS)
            m.w[i] = w[i];
        else
            b->msg[i] = w[i];
    }
    wf_sys_send(reply, &m);
}

/* What the shell and its children wrote (console.Write through the shell's
 * CONSOLE cap, which the children's CONSOLE caps copy). */
static char out[32768];
static size_t out_len;

static void capture(const struct wf_msgregs *m)
{
    unsigned n = wf_msginfo_length(m->info);
    wf_word_t len = m->w[0], room = n > 1 ? (wf_word_t)(n - 1) * 8 : 0;
    if (len > room)
        len = room;
    const struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (wf_word_t i = 0; i < len && out_len < sizeof(out) - 1; i++) {
        unsigned wi = 1 + (unsigned)(i / 8);
        wf_word_t w = wi < WF_MSG_REG_WORDS ? m->w[wi] : b->msg[wi];
        out[out_len++] = (char)(w >> (8 * (i % 8)));
    }
    out[out_len] = 0;
}

static bool printed(const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= out_len; i++)
        if (memcmp(out + i, what, n) == 0)
            return true;
    return false;
}

/* Serves the shell's console calls on ctl: answers every Read with the next
 * line of the script, every Write with its length (keeping the text). Returns
 * the number of lines the shell read once it asks for one past the script (it
 * survived them all), or -(lines answered) - 1 with *label and *w0 what came
 * instead (an exit or a fault report). */
static int serve(wf_cptr_t ctl, wf_cptr_t reply, wf_word_t *label, wf_word_t *w0)
{
    unsigned next = 0;
    for (;;) {
        struct wf_msgregs m = {0};
        if (wf_sys_recv(ctl, reply, &m) != WF_ERR_OK)
            return -1;
        *label = wf_msginfo_label(m.info);
        *w0 = m.w[0];
        if (*label == WFP_CONSOLE_WRITE && m.badge == CONSOLE_BADGE) {
            capture(&m);
            struct wf_msgregs r = {.info = wf_msginfo(WF_ERR_OK, 0, 1), .w = {m.w[0]}};
            wf_sys_send(reply, &r);
            continue;
        }
        if (*label != WFP_CONSOLE_READ || m.badge != CONSOLE_BADGE)
            return -(int)next - 1;
        if (next == NLINES)
            return (int)next;
        answer_read(reply, script[next++]);
    }
}

TEST(shell, runs_a_script_of_commands)
{
    TEST_ENV(e);
    const void *elf;
    size_t len;
    if (!wf_initramfs_find(test_bootinfo, "shell", &elf, &len))
        TEST_SKIP("no shell in the initramfs");
    struct wf_process p;
    TEST_ASSERT_ERR(wf_process_create(e, &p, elf, len, "shell", TEST_CHILD_PRIO), WF_ERR_OK);
    wf_cptr_t ut = test_obj(WF_OBJ_UNTYPED, 22);
    wf_cptr_t reply = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(ut && reply, "no untyped or reply");
    TEST_ASSERT_ERR(
        wf_process_give(e, &p, WF_CHILD_CONSOLE, p.main.ctl, WF_RIGHTS_ALL, CONSOLE_BADGE),
        WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_give(e, &p, WF_CHILD_UNTYPED, ut, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_give(e, &p, WF_CHILD_INITRAMFS, WF_ROOT_INITRAMFS, WF_RIGHTS_ALL, 0),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_give_pool(e, &p, 8u << 20, NULL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_start(e, &p, NULL), WF_ERR_OK);

    wf_word_t label = 0, w0 = 0;
    out_len = 0;
    int got = serve(p.main.ctl, reply, &label, &w0);
    printf("\n"); /* the shell's last prompt has no newline */
    TEST_ASSERT(got == (int)NLINES, "after line %d (%s) the shell sent label %#lx (word 0: %#lx)",
                -got - 1, got < -1 ? script[-got - 2] : "-", (unsigned long)label,
                (unsigned long)w0);

    /* What it answered (its own lines and the probes'). */
    static const char *const want[] = {
        "caps in 256 slots",
        "made endpoint in slot 40",
        "[1] probe started (memory limit 1048576 bytes)",
        "probe: got value 42",
        "probe: got cap type endpoint in slot 20",
        "probe: slot 20 holds type endpoint",
        "probe: slot 20 is empty",
        "blocked-recv",
        "copy: DELETE_FIRST: the destination slot is not empty",
        "copy: FAILED_LOOKUP at level 0: guard mismatch",
        "retype: NOT_ENOUGH_MEMORY: ",
        "unknown command 'frobnicate'",
        "send: bad number '12x'",
        "usage: mint SRC DEST RIGHTS BADGE",
        "send: no child 9",
        "spawn: no program 'nosuchprogram' in the initramfs",
        "[1] probe killed",
        "spawn: probe: process failed: NOT_ENOUGH_MEMORY",
        "bench: 20 Call/ReplyRecv round trips",
    };
    for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        TEST_ASSERT(printed(want[i]), "the shell did not print '%s'", want[i]);

    /* What the commands did to its CSpace: the endpoint, its badged copy kept
     * (revoke removes descendants only), the read-only copy deleted. */
    wf_word_t type, rights, data, flags;
    TEST_ASSERT_ERR(
        wf_cnode_describe(p.cnode, 40, WF_CHILD_CNODE_RADIX, &type, &rights, &data, &flags),
        WF_ERR_OK);
    TEST_ASSERT_EQ(type, WF_OBJ_ENDPOINT);
    TEST_ASSERT(flags & WF_DESCRIBE_HAS_CHILDREN, "slot 40 has the minted child");
    TEST_ASSERT_ERR(
        wf_cnode_describe(p.cnode, 41, WF_CHILD_CNODE_RADIX, &type, &rights, &data, &flags),
        WF_ERR_OK);
    TEST_ASSERT_EQ(type, WF_OBJ_ENDPOINT);
    TEST_ASSERT_EQ(data, 7);
    TEST_ASSERT_EQ(rights, WF_RIGHT_READ | WF_RIGHT_WRITE);
    TEST_ASSERT(!(flags & WF_DESCRIBE_HAS_CHILDREN), "revoke 41 left a child");
    TEST_ASSERT_ERR(wf_cnode_describe(p.cnode, 42, WF_CHILD_CNODE_RADIX, &type, NULL, NULL, NULL),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(type, 0);
    TEST_ASSERT_ERR(wf_cnode_describe(p.cnode, 60, WF_CHILD_CNODE_RADIX, &type, NULL, NULL, NULL),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(type, 0); /* the retype beyond the untyped made nothing */
    /* Every child is gone (kill 1, the failed spawn, bench's probe): the
     * shell's own slots are all empty again. */
    for (wf_word_t s = 64; s < 128; s++) {
        TEST_ASSERT_ERR(
            wf_cnode_describe(p.cnode, s, WF_CHILD_CNODE_RADIX, &type, NULL, NULL, NULL),
            WF_ERR_OK);
        TEST_ASSERT(type == 0, "slot %lu of the shell still holds type %lu", (unsigned long)s,
                    (unsigned long)type);
    }
    wf_process_destroy(e, &p);
}
