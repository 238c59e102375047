/*
 * The user runtime's message building (user/lib/weft/runtime.c: wf_call) and
 * thread records, against a test double of the syscall instruction that plays
 * the kernel's part: it records the registers and IPC buffer a Call hands over
 * and answers with a scripted reply. Checks that words 0-3 travel in registers
 * and the rest in the IPC buffer, extra caps' CPtrs in caps_or_badges, the
 * message info word, reply words from both places, errors with and without
 * details, the refusals that never enter the kernel, the debug (DEBUG_STAT too) and
 * notification stubs' registers, and the stack-based per-thread records.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

/* What the last system call received, and what it answers. */
static struct {
    unsigned calls;
    wf_word_t nr, cap, reply_cap;
    struct wf_msgregs in;
    wf_word_t rax;
    struct wf_msgregs out;
} K;

wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    K.calls++;
    K.nr = nr;
    K.cap = cap;
    K.reply_cap = reply;
    K.in = *m;
    *m = K.out;
    return K.rax;
}

static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));

static void setup(void)
{
    memset(&K, 0, sizeof(K));
    memset(&ipcbuf, 0xcc, sizeof(ipcbuf));
    wf_set_ipc_buffer(&ipcbuf);
}

TestSuite(uruntime, .init = setup);

Test(uruntime, short_call_in_registers)
{
    const wf_word_t w[2] = {11, 22};
    K.out.info = wf_msginfo(0, 0, 3);
    K.out.w[0] = 7;
    K.out.w[1] = 8;
    K.out.w[2] = 9;
    K.out.w[3] = 10; /* beyond the reply length: not copied */
    wf_word_t r[5] = {1, 1, 1, 1, 1};
    cr_assert_eq(wf_call(42, 0x15, w, 2, NULL, 0, r, 5), 0);
    cr_assert_eq(K.calls, 1);
    cr_assert_eq(K.nr, WF_SYS_CALL);
    cr_assert_eq(K.cap, 42);
    cr_assert_eq(wf_msginfo_label(K.in.info), 0x15);
    cr_assert_eq(wf_msginfo_length(K.in.info), 2);
    cr_assert_eq(wf_msginfo_xcaps(K.in.info), 0);
    cr_assert_eq(K.in.w[0], 11);
    cr_assert_eq(K.in.w[1], 22);
    cr_assert_eq(K.in.w[2], 0);
    cr_assert_eq(r[0], 7);
    cr_assert_eq(r[2], 9);
    cr_assert_eq(r[3], 0);
    cr_assert_eq(r[4], 0);
}

Test(uruntime, long_call_and_caps_through_the_ipc_buffer)
{
    wf_word_t w[WF_MSG_MAX_WORDS];
    for (unsigned i = 0; i < WF_MSG_MAX_WORDS; i++)
        w[i] = 1000 + i;
    const wf_cptr_t caps[3] = {5, 6, 7};
    K.out.info = wf_msginfo(0, 0, 6);
    for (unsigned i = 0; i < 4; i++)
        K.out.w[i] = 100 + i;
    ipcbuf.msg[4] = 0; /* overwritten below by the send, then "reply" words set */
    wf_word_t r[8];
    /* The kernel's reply words 4 and 5 are in the buffer after the call; the double
     * cannot write them during the call, so check the send side first. */
    cr_assert_eq(wf_call(9, 0x01, w, WF_MSG_MAX_WORDS, caps, 3, r, 0), 0);
    cr_assert_eq(wf_msginfo_length(K.in.info), WF_MSG_MAX_WORDS);
    cr_assert_eq(wf_msginfo_xcaps(K.in.info), 3);
    for (unsigned i = 0; i < 4; i++)
        cr_assert_eq(K.in.w[i], 1000 + i);
    for (unsigned i = 4; i < WF_MSG_MAX_WORDS; i++)
        cr_assert_eq(ipcbuf.msg[i], 1000 + i, "word %u", i);
    for (unsigned i = 0; i < 3; i++)
        cr_assert_eq(ipcbuf.caps_or_badges[i], 5 + i);
    /* Reply of 6 words: 0-3 from registers, 4-5 from the buffer. */
    ipcbuf.msg[4] = 104;
    ipcbuf.msg[5] = 105;
    cr_assert_eq(wf_call(9, 0x02, w, 0, NULL, 0, r, 8), 0);
    for (unsigned i = 0; i < 6; i++)
        cr_assert_eq(r[i], 100 + i, "reply word %u", i);
    cr_assert_eq(r[6], 0);
    cr_assert_eq(r[7], 0);
}

Test(uruntime, errors)
{
    wf_word_t r[4] = {1, 1, 1, 1};
    const wf_word_t w[2] = {1, 2};
    /* The system call itself fails (no such cap): no details. */
    K.rax = WF_ERR_FAILED_LOOKUP;
    K.out.info = wf_msginfo(0x10, 0, 2);
    K.out.w[0] = 77;
    cr_assert_eq(wf_call(3, 0x10, w, 2, NULL, 0, r, 4), WF_ERR_FAILED_LOOKUP);
    cr_assert_eq(r[0], 0);
    /* An invocation error: the reply's label is the error, the words its details. */
    K.rax = WF_ERR_RANGE_ERROR;
    K.out.info = wf_msginfo(WF_ERR_RANGE_ERROR, 0, 3);
    K.out.w[0] = 1;
    K.out.w[1] = 1;
    K.out.w[2] = 64;
    cr_assert_eq(wf_call(3, 0x15, w, 2, NULL, 0, r, 4), WF_ERR_RANGE_ERROR);
    cr_assert_eq(r[0], 1);
    cr_assert_eq(r[2], 64);
    cr_assert_eq(r[3], 0);
    /* A kernel that reports the error only in the label. */
    K.rax = 0;
    K.out.info = wf_msginfo(WF_ERR_DELETE_FIRST, 0, 0);
    cr_assert_eq(wf_call(3, 0x10, w, 2, NULL, 0, r, 4), WF_ERR_DELETE_FIRST);
}

Test(uruntime, refused_without_entering_the_kernel)
{
    wf_word_t w[WF_MSG_MAX_WORDS + 1] = {0};
    const wf_cptr_t caps[4] = {1, 2, 3, 4};
    cr_assert_eq(wf_call(1, 1, w, WF_MSG_MAX_WORDS + 1, NULL, 0, NULL, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_call(1, 1, w, 1, caps, 4, NULL, 0), WF_ERR_INVALID_ARGUMENT);
    wf_set_ipc_buffer(NULL);
    cr_assert_eq(wf_call(1, 1, w, 5, NULL, 0, NULL, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_call(1, 1, w, 1, caps, 1, NULL, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(K.calls, 0);
    /* Register-only messages need no buffer. */
    cr_assert_eq(wf_call(1, 1, w, 4, NULL, 0, w, 4), WF_ERR_OK);
    cr_assert_eq(K.calls, 1);
}

Test(uruntime, generated_stub_end_to_end)
{
    K.out.info = wf_msginfo(0, 0, 4);
    K.out.w[0] = 0x100000;
    K.out.w[1] = 20;
    K.out.w[2] = 0;
    K.out.w[3] = 4096;
    wf_word_t pa = 0, bits = 0, dev = 9, fr = 0;
    cr_assert_eq(wf_untyped_describe(17, &pa, &bits, &dev, &fr), WF_ERR_OK);
    cr_assert_eq(K.cap, 17);
    cr_assert_eq(wf_msginfo_label(K.in.info), WF_LABEL_UNTYPED_DESCRIBE);
    cr_assert_eq(pa, 0x100000);
    cr_assert_eq(bits, 20);
    cr_assert_eq(dev, 0);
    cr_assert_eq(fr, 4096);
    /* Retype: 6 words (two in the buffer) and one cap. */
    K.out.info = wf_msginfo(0, 0, 0);
    cr_assert_eq(wf_untyped_retype(17, WF_OBJ_ENDPOINT, 0, 1, 0, 0, 40, 3), WF_ERR_OK);
    cr_assert_eq(wf_msginfo_length(K.in.info), 6);
    cr_assert_eq(wf_msginfo_xcaps(K.in.info), 1);
    cr_assert_eq(K.in.w[0], WF_OBJ_ENDPOINT);
    cr_assert_eq(ipcbuf.msg[4], 40);
    cr_assert_eq(ipcbuf.msg[5], 3);
    cr_assert_eq(ipcbuf.caps_or_badges[0], 1);
}

Test(uruntime, other_stubs_registers)
{
    K.out.badge = 0x5;
    wf_word_t bits = 0;
    cr_assert_eq(wf_sys_wait(12, &bits), 0);
    cr_assert_eq(K.nr, WF_SYS_WAIT);
    cr_assert_eq(K.cap, 12);
    cr_assert_eq(bits, 0x5);
    cr_assert_eq(wf_sys_poll(13, &bits), 0);
    cr_assert_eq(K.nr, WF_SYS_POLL);
    struct wf_msgregs m = {.info = wf_msginfo(3, 0, 1), .w = {9}};
    K.out.info = wf_msginfo(4, 0, 0);
    cr_assert_eq(wf_sys_reply_recv(20, 21, &m), 0);
    cr_assert_eq(K.nr, WF_SYS_REPLY_RECV);
    cr_assert_eq(K.cap, 20);
    cr_assert_eq(K.reply_cap, 21);
    cr_assert_eq(K.in.w[0], 9);
    cr_assert_eq(wf_msginfo_label(m.info), 4);
    cr_assert_eq(m.badge, 0x5);
    wf_debug_putc('Z');
    cr_assert_eq(K.nr, WF_SYS_DEBUG_PUTC);
    cr_assert_eq(K.in.w[0], 'Z');
    cr_assert_eq(K.cap, 'Z');
    K.out.w[0] = WF_OBJ_TCB;
    cr_assert_eq(wf_debug_cap_identify(2), WF_OBJ_TCB);
    cr_assert_eq(K.in.w[0], 2);
    K.rax = WF_ERR_FAILED_LOOKUP;
    cr_assert_eq(wf_debug_cap_identify(999), 0);
    /* DEBUG_STAT: the number in word 0 (and rdi), the value from reply word 0;
     * an error leaves the value 0. */
    wf_word_t v = 1;
    K.rax = WF_ERR_OK;
    K.out.w[0] = 1234;
    cr_assert_eq(wf_debug_stat(WF_STAT_VM_FAULTS, &v), WF_ERR_OK);
    cr_assert_eq(K.nr, WF_SYS_DEBUG_STAT);
    cr_assert_eq(K.in.w[0], WF_STAT_VM_FAULTS);
    cr_assert_eq(K.cap, WF_STAT_VM_FAULTS);
    cr_assert_eq(v, 1234);
    K.rax = WF_ERR_INVALID_ARGUMENT;
    cr_assert_eq(wf_debug_stat(WF_STAT_COUNT, &v), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(v, 0);
    cr_assert_eq(wf_debug_stat(WF_STAT_COUNT, NULL), WF_ERR_INVALID_ARGUMENT);
}

Test(uruntime, thread_records_found_from_the_stack)
{
    void *region = aligned_alloc(WF_THREAD_STACK_SIZE, 4 * WF_THREAD_STACK_SIZE);
    uintptr_t base = (uintptr_t)region;
    cr_assert_eq(wf_thread_stacks((void *)(base + 8), WF_THREAD_STACK_SIZE), -1);
    cr_assert_eq(wf_thread_stacks(region, 100), -1);
    cr_assert_eq(wf_thread_stacks(region, 2 * WF_THREAD_STACK_SIZE), 0);
    static struct wf_ipc_buffer b1, b2;
    uintptr_t sp1 = wf_thread_prepare(region, &b1, (void *)1);
    uintptr_t sp2 = wf_thread_prepare((void *)(base + WF_THREAD_STACK_SIZE), &b2, (void *)2);
    cr_assert_eq(sp1, base + WF_THREAD_STACK_SIZE - 8);
    cr_assert_eq(sp1 % 16, 8, "as at a function's entry");
    cr_assert_eq(wf_thread_prepare((void *)(base + 2 * WF_THREAD_STACK_SIZE), &b2, 0), 0,
                 "outside the region");
    cr_assert_eq(wf_thread_prepare((void *)(base + 16), &b2, 0), 0, "misaligned");
    cr_assert_eq(wf_thread_local_for(sp1 - 500)->ipc_buffer, &b1);
    cr_assert_eq(wf_thread_local_for(base + 64)->user, (void *)1);
    cr_assert_eq(wf_thread_local_for(sp2)->ipc_buffer, &b2);
    /* Anything else is the main thread (this test's own stack). */
    cr_assert_eq(wf_thread_local_for(base + 2 * WF_THREAD_STACK_SIZE)->ipc_buffer, &ipcbuf);
    cr_assert_eq(wf_ipc_buffer(), &ipcbuf);
    cr_assert_eq(wf_thread_stacks(NULL, 0), 0);
    free(region);
}
