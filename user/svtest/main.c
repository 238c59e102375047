/*
 * svtest: the supervision test (make check-supervision; docs/userspace.md,
 * "Supervision"). init starts it as a run entry (init.run=svtest) after the
 * servers of user/init/boot.conf, with its NAME, LOG, CONSOLE and INIT slots
 * filled, and judges nothing itself: svtest prints TAP, tools/qemu-test judges it.
 *
 * It checks, through the init protocol, that init kills and restarts each server
 * and that clients get their service back:
 *   - log and console can be looked up; init.Program describes every program;
 *   - Kill(console) while a second thread (its TCB from the untyped init gives
 *     a program of init.run) waits in console.Read: that Read ends with
 *     CANCELLED, the console comes back and Write works after a reconnect;
 *   - Kill(log): the LOG slot empties (its endpoint was revoked), init restarts
 *     log (restarts + 1, RUNNING), fills the slot again, a lookup works again;
 *   - Kill(name): lookups fail until init restarts it, then the servers are
 *     registered again;
 *   - Kill of an unknown program, Program past the last: their errors.
 * Then it faults on purpose (a write to address 8): init restarts a run entry
 * after a fault, and the second run (restarts 1) checks that Program reports the
 * fault (last = 0x100 + WF_FAULT_TYPE_VM_FAULT) and exits 0, which ends the test
 * boot. A server missing from the configuration (no console yet) makes its
 * tests SKIP.
 *
 * Usage: started by init only (its start info's arg[0] is its program id).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/proto/console.h"
#include "wf/proto/init.h"
#include "wf/proto/log.h"
#include "wf/proto/name.h"
#include "wf/runtime.h"
#include "wf/spawn.h"
#include "wf/startinfo.h"

#define FIRST_RUN_TESTS 7
#define TOTAL_TESTS     9

enum { SLOT_LOOKUP = WF_CHILD_FIRST_FREE, SLOT_CONSOLE2, SLOT_ENV };

#define WAIT_CYCLES (1ull << 36) /* how long a restart may take (tens of seconds) */

static unsigned test_no, failed;
static char pending[1024]; /* TAP lines held back while the console is down */
static size_t npending;

static void result(bool ok, const char *name, const char *skip, const char *why)
{
    char line[256];
    int n;
    ++test_no;
    if (skip)
        n = snprintf(line, sizeof(line), "ok %u - %s # SKIP %s\n", test_no, name, skip);
    else if (ok)
        n = snprintf(line, sizeof(line), "ok %u - %s\n", test_no, name);
    else
        n = snprintf(line, sizeof(line), "not ok %u - %s # %s\n", test_no, name, why);
    if (!ok && !skip)
        failed++;
    if (n > 0 && npending + (size_t)n < sizeof(pending)) {
        memcpy(pending + npending, line, (size_t)n);
        npending += (size_t)n;
    }
}

static void flush_results(void)
{
    fwrite(pending, 1, npending, stdout);
    fflush(stdout);
    npending = 0;
}

/* The index of program name in init's list, or -1; its state and restarts. */
static int program(const char *name, wf_word_t *state, wf_word_t *restarts, wf_word_t *last)
{
    for (wf_word_t i = 0; i < 64; i++) {
        char n[WFP_INIT_NAME_MAX];
        wf_word_t len, st, rs, ls;
        if (wfp_init_program(WF_CHILD_INIT, i, &st, &rs, 0, 0, 0, &ls, n, sizeof(n), &len) !=
            WF_ERR_OK)
            return -1;
        if (len == strlen(name) && !memcmp(n, name, len)) {
            if (state)
                *state = st;
            if (restarts)
                *restarts = rs;
            if (last)
                *last = ls;
            return (int)i;
        }
    }
    return -1;
}

/* Waits until init reports name RUNNING with more than `before` restarts. */
static bool wait_restart(const char *name, wf_word_t before)
{
    uint64_t end = __builtin_ia32_rdtsc() + WAIT_CYCLES;
    while (__builtin_ia32_rdtsc() < end) {
        wf_word_t st, rs;
        if (program(name, &st, &rs, 0) >= 0 && rs > before && st == WFP_INIT_STATE_RUNNING)
            return rs == before + 1;
        wf_sys_yield();
    }
    return false;
}

/* Looks name up into slot (emptied first); retried a while, as init registers
 * a restarted server's endpoint shortly after the restart. A local equivalent of
 * the client library's reconnect step (delete the slot, look the name up). */
static enum wf_error reconnect(wf_cptr_t slot, const char *name)
{
    enum wf_error e = WF_ERR_FAILED_LOOKUP;
    for (unsigned tries = 0; tries < 1000 && e != WF_ERR_OK; tries++) {
        wf_cnode_delete(WF_CHILD_CNODE, slot, 64);
        e = wfp_name_lookup(WF_CHILD_NAME, name, strlen(name), WF_CHILD_CNODE, slot, 64);
        if (e != WF_ERR_OK)
            wf_sys_yield();
    }
    return e;
}

static enum wf_error log_line(wf_cptr_t ep, const char *text)
{
    return wfp_log_write(ep, WFP_LOG_LEVEL_DEBUG, text, strlen(text));
}

static void test_programs(void)
{
    wf_word_t st_name = 0, st_log = 0, st_self = 0, rs_self = 1;
    bool ok = program("name", &st_name, 0, 0) >= 0 && program("log", &st_log, 0, 0) >= 0 &&
              program("svtest", &st_self, &rs_self, 0) >= 0;
    result(ok && st_name == WFP_INIT_STATE_RUNNING && st_log == WFP_INIT_STATE_RUNNING &&
               st_self == WFP_INIT_STATE_RUNNING && rs_self == 0,
           "init/program_describes_the_servers_and_this_program", 0,
           "name, log or svtest missing or not running");
}

static void test_lookups(bool have_console)
{
    enum wf_error e = reconnect(SLOT_LOOKUP, "log");
    enum wf_error w = e == WF_ERR_OK ? log_line(SLOT_LOOKUP, "svtest: looked up") : e;
    result(e == WF_ERR_OK && w == WF_ERR_OK, "init/log_is_looked_up_and_written", 0,
           "lookup or write failed");
    if (!have_console) {
        result(true, "init/console_is_looked_up", "no console server in this configuration", 0);
        return;
    }
    e = reconnect(SLOT_CONSOLE2, "console");
    result(e == WF_ERR_OK, "init/console_is_looked_up", 0, "lookup failed");
}

static void test_kill_log(void)
{
    wf_word_t before = 0;
    program("log", 0, &before, 0);
    enum wf_error k = wfp_init_kill(WF_CHILD_INIT, "log", 3);
    enum wf_error gone = log_line(WF_CHILD_LOG, "svtest: to a killed log");
    bool back = wait_restart("log", before);
    enum wf_error slot = log_line(WF_CHILD_LOG, "svtest: log is back (slot)");
    enum wf_error re = reconnect(SLOT_LOOKUP, "log");
    enum wf_error via = re == WF_ERR_OK ? log_line(SLOT_LOOKUP, "svtest: log is back") : re;
    result(k == WF_ERR_OK && gone != WF_ERR_OK && back && slot == WF_ERR_OK && via == WF_ERR_OK,
           "init/kill_log_restarts_it_and_clients_reconnect", 0,
           k != WF_ERR_OK      ? "Kill failed"
           : gone == WF_ERR_OK ? "a write to the killed log succeeded"
           : !back             ? "log not restarted once"
           : slot != WF_ERR_OK ? "LOG slot not given again"
                               : "lookup and write after the restart failed");
}

static volatile wf_word_t read_result = ~0ull;

static int reader(uintptr_t arg)
{
    char buf[64];
    wf_word_t len;
    (void)arg;
    read_result = wfp_console_read(WF_CHILD_CONSOLE, sizeof(buf), buf, sizeof(buf), &len);
    return (int)read_result;
}

static void test_kill_console(bool have_console)
{
    const char *name = "init/kill_console_cancels_a_pending_read_and_restarts_it";
    if (!have_console) {
        result(true, name, "no console server in this configuration", 0);
        return;
    }
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    struct wf_spawn_env env = {.cnode = WF_CHILD_CNODE,
                               .cnode_radix = (unsigned)si->cnode_radix,
                               .untyped = WF_CHILD_UNTYPED,
                               .pool = WF_CHILD_POOL,
                               .vspace = WF_CHILD_VSPACE,
                               .tcb = WF_CHILD_TCB,
                               .next_slot = SLOT_ENV,
                               .end_slot = 1ull << (si->cnode_radix - 1)};
    wf_word_t prio = 0, before = 0;
    int idx = program("console", 0, &before, 0);
    wfp_init_program(WF_CHILD_INIT, (wf_word_t)program("svtest", 0, 0, 0), 0, 0, &prio, 0, 0, 0, 0,
                     0, 0);
    struct wf_thread t;
    enum wf_error e =
        idx < 0 ? WF_ERR_FAILED_LOOKUP : wf_thread_create(&env, &t, reader, 0, (unsigned)prio);
    if (e != WF_ERR_OK) {
        result(false, name, 0, "no reader thread");
        return;
    }
    flush_results();
    wf_thread_start(&t);
    for (unsigned i = 0; i < 100 && read_result == ~0ull; i++)
        wf_sys_yield(); /* the reader runs and blocks in Read */
    bool waiting = read_result == ~0ull;
    enum wf_error k = wfp_init_kill(WF_CHILD_INIT, "console", 7);
    struct wf_event ev;
    wf_thread_wait(&t, &ev);
    bool back = wait_restart("console", before);
    enum wf_error re = reconnect(SLOT_CONSOLE2, "console");
    wf_word_t written = 0;
    enum wf_error w = re == WF_ERR_OK
                          ? wfp_console_write(SLOT_CONSOLE2, "svtest: console back\n", 21, &written)
                          : re;
    /* The reader has exited; its objects go with this process. */
    result(waiting && k == WF_ERR_OK && read_result == WF_ERR_CANCELLED && back && w == WF_ERR_OK,
           name, 0,
           !waiting                          ? "the Read did not wait"
           : k != WF_ERR_OK                  ? "Kill failed"
           : read_result != WF_ERR_CANCELLED ? "the pending Read did not end with CANCELLED"
           : !back                           ? "console not restarted once"
                                             : "Write after a reconnect failed");
}

static void test_kill_name(void)
{
    wf_word_t before = 0;
    program("name", 0, &before, 0);
    enum wf_error k = wfp_init_kill(WF_CHILD_INIT, "name", 4);
    wf_cnode_delete(WF_CHILD_CNODE, SLOT_LOOKUP, 64);
    enum wf_error gone = wfp_name_lookup(WF_CHILD_NAME, "log", 3, WF_CHILD_CNODE, SLOT_LOOKUP, 64);
    bool back = wait_restart("name", before);
    enum wf_error re = reconnect(SLOT_LOOKUP, "log");
    enum wf_error via = re == WF_ERR_OK ? log_line(SLOT_LOOKUP, "svtest: name is back") : re;
    result(k == WF_ERR_OK && gone != WF_ERR_OK && back && via == WF_ERR_OK,
           "init/kill_name_restarts_it_and_servers_are_registered_again", 0,
           k != WF_ERR_OK      ? "Kill failed"
           : gone == WF_ERR_OK ? "a lookup at the killed name server succeeded"
           : !back             ? "name not restarted once"
                               : "log not found after the restart");
}

static void test_errors(void)
{
    wf_word_t st;
    enum wf_error k = wfp_init_kill(WF_CHILD_INIT, "nosuch", 6);
    enum wf_error p = wfp_init_program(WF_CHILD_INIT, 999, &st, 0, 0, 0, 0, 0, 0, 0, 0);
    result(k == WF_ERR_FAILED_LOOKUP && p == WF_ERR_RANGE_ERROR,
           "init/kill_unknown_and_program_past_the_end_fail", 0, "wrong errors");
}

static int second_run(int self)
{
    wf_word_t st = 0, rs = 0, last = 0, st_log = 0;
    (void)self;
    program("svtest", &st, &rs, &last);
    test_no = FIRST_RUN_TESTS;
    result(st == WFP_INIT_STATE_RUNNING && rs == 1 && last == 0x100 + WF_FAULT_TYPE_VM_FAULT,
           "init/a_faulted_program_is_restarted_and_its_fault_reported", 0,
           "state, restarts or last wrong");
    program("log", &st_log, 0, 0);
    enum wf_error w = log_line(WF_CHILD_LOG, "svtest: second run");
    result(st_log == WFP_INIT_STATE_RUNNING && w == WF_ERR_OK,
           "init/log_still_serves_the_restarted_program", 0, "log not running or write failed");
    printf("1..%u\n", TOTAL_TESTS);
    flush_results();
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    (void)argv;
    if (argc != 1 || si->magic != WF_STARTINFO_MAGIC || si->cnode_radix < 7) {
        fprintf(stderr, "usage: svtest (started by init with init.run=svtest)\n");
        return 2;
    }
    wf_word_t rs = 0;
    int self = program("svtest", 0, &rs, 0);
    if (self < 0) {
        printf("Bail out! init does not answer Program (no INIT cap?)\n");
        return 2;
    }
    if (rs > 0)
        return second_run(self);
    printf("TAP version 14\n");
    wf_word_t st_console = 0;
    bool have_console =
        program("console", &st_console, 0, 0) >= 0 && st_console == WFP_INIT_STATE_RUNNING;
    test_programs();
    test_lookups(have_console);
    flush_results();
    test_kill_console(have_console);
    flush_results();
    test_kill_log();
    flush_results();
    test_kill_name();
    test_errors();
    flush_results();
    if (failed || test_no != FIRST_RUN_TESTS)
        return 1;
    *(volatile int *)8 = 1; /* a fault: init restarts this program */
    return 3;
}
