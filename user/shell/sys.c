/*
 * What the shell asks init (protocol init, its INIT slot) and the log server
 * (protocol log, its LOG slot): the programs of the boot configuration with
 * their state and restarts, killing a server, the last log lines, reboot and
 * poweroff. A server that was restarted has a new endpoint: a call that fails
 * because the old one is gone (CANCELLED, INVALID_CAPABILITY, FAILED_LOOKUP)
 * is retried once after looking the server up again.
 */
#include <stdio.h>
#include <string.h>

#include "shell.h"
#include "wf/client.h"
#include "wf/proto/init.h"
#include "wf/proto/log.h"

#define LOG_DEFAULT 10
#define LOG_MAX     64

static const char *state_name(wf_word_t s)
{
    switch (s) {
    case WFP_INIT_STATE_RUNNING:
        return "running";
    case WFP_INIT_STATE_WAITING:
        return "waiting";
    case WFP_INIT_STATE_FAILED:
        return "failed";
    case WFP_INIT_STATE_EXITED:
        return "exited";
    default:
        return "unknown";
    }
}

struct program {
    wf_word_t state, restarts, prio, used, limit, last;
    char name[WFP_INIT_NAME_MAX + 1];
};

static enum wf_error program(wf_word_t i, struct program *p)
{
    wf_word_t len = 0;
    enum wf_error e =
        wfp_init_program(WF_CHILD_INIT, i, &p->state, &p->restarts, &p->prio, &p->used, &p->limit,
                         &p->last, p->name, WFP_INIT_NAME_MAX, &len);
    p->name[e == WF_ERR_OK ? len : 0] = 0;
    return e;
}

/* "exit 0", "fault 3", or "-" while it never ended. */
static void last_text(wf_word_t last, wf_word_t restarts, char *buf, size_t size)
{
    if (!last && !restarts)
        snprintf(buf, size, "-");
    else if (last >= 0x100)
        snprintf(buf, size, "fault %llu", (unsigned long long)(last - 0x100));
    else
        snprintf(buf, size, "exit %llu", (unsigned long long)last);
}

void list_programs(bool for_mem)
{
    printf("init's programs:\n");
    struct program p;
    wf_word_t i = 0;
    enum wf_error e;
    for (; (e = program(i, &p)) == WF_ERR_OK; i++) {
        if (for_mem)
            printf("  %-2llu %-12s pool used %llu of %llu bytes\n", (unsigned long long)i + 1,
                   p.name, (unsigned long long)p.used, (unsigned long long)p.limit);
        else
            printf("  %-2llu %-12s %-8s prio %-3llu pool %llu of %llu bytes\n",
                   (unsigned long long)i + 1, p.name, state_name(p.state),
                   (unsigned long long)p.prio, (unsigned long long)p.used,
                   (unsigned long long)p.limit);
    }
    if (e != WF_ERR_RANGE_ERROR)
        print_error("init.Program", e, NULL, SH_CTX_ANY);
}

void cmd_servers(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("id name         state    restarts  last\n");
    struct program p;
    wf_word_t i = 0;
    enum wf_error e;
    for (; (e = program(i, &p)) == WF_ERR_OK; i++) {
        char last[24];
        last_text(p.last, p.restarts, last, sizeof(last));
        printf("%-2llu %-12s %-8s %-9llu %s\n", (unsigned long long)i + 1, p.name,
               state_name(p.state), (unsigned long long)p.restarts, last);
    }
    if (e != WF_ERR_RANGE_ERROR)
        print_error("servers", e, NULL, SH_CTX_ANY);
}

void cmd_kill(int argc, char **argv)
{
    (void)argc;
    uint64_t n;
    if (sh_number(argv[1], &n)) {
        if (!kill_child(n))
            printf("kill: no child %llu (ps lists them)\n", (unsigned long long)n);
        return;
    }
    size_t len = strlen(argv[1]);
    if (len > WFP_INIT_NAME_MAX) {
        printf("kill: name too long (at most %u bytes)\n", WFP_INIT_NAME_MAX);
        return;
    }
    enum wf_error e = wfp_init_kill(WF_CHILD_INIT, argv[1], len);
    if (e == WF_ERR_FAILED_LOOKUP)
        printf("kill: no child or server '%s'\n", argv[1]);
    else if (e != WF_ERR_OK)
        print_error("kill", e, NULL, SH_CTX_ANY);
    else
        printf("killed %s (init restarts it)\n", argv[1]);
}

/* log.Read with one reconnect if the log server was restarted. */
static enum wf_error log_read(wf_word_t seq, wf_word_t *got_seq, char *line, wf_word_t *len)
{
    enum wf_error e =
        wfp_log_read(WF_CHILD_LOG, seq, got_seq, NULL, NULL, line, WFP_LOG_TEXT_MAX, len);
    if (wf_reconnect_error(e) && wf_reconnect(WF_CHILD_LOG, "log") == WF_ERR_OK)
        e = wfp_log_read(WF_CHILD_LOG, seq, got_seq, NULL, NULL, line, WFP_LOG_TEXT_MAX, len);
    return e;
}

void cmd_log(int argc, char **argv)
{
    uint64_t want = LOG_DEFAULT;
    if (argc == 2) {
        if (!arg_number(argv, 1, &want))
            return;
        if (want == 0 || want > LOG_MAX) {
            printf("log: N is 1 to %u\n", LOG_MAX);
            usage(argv[0]);
            return;
        }
    }
    /* The server keeps the last LINES_KEPT lines and reads forward from a
     * sequence number: walk them all, keep the last `want` in a ring. */
    static char ring[LOG_MAX][WFP_LOG_TEXT_MAX + 1];
    static wf_word_t ring_seq[LOG_MAX];
    unsigned count = 0;
    wf_word_t seq = 1;
    for (;;) {
        wf_word_t got = 0, len = 0;
        char *slot = ring[count % want];
        enum wf_error e = log_read(seq, &got, slot, &len);
        if (e != WF_ERR_OK) {
            print_error("log", e, NULL, SH_CTX_ANY);
            return;
        }
        if (!got)
            break;
        slot[len] = 0;
        ring_seq[count % want] = got;
        count++;
        seq = got + 1;
    }
    unsigned first = count > want ? count - (unsigned)want : 0;
    for (unsigned i = first; i < count; i++)
        printf("%5llu %s\n", (unsigned long long)ring_seq[i % want], ring[i % want]);
    if (!count)
        printf("log: no lines yet\n");
}

void cmd_reboot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fflush(stdout);
    print_error("reboot", wfp_init_reboot(WF_CHILD_INIT), NULL, SH_CTX_ANY);
}

void cmd_poweroff(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("powering off\n");
    fflush(stdout);
    print_error("poweroff", wfp_init_poweroff(WF_CHILD_INIT), NULL, SH_CTX_ANY);
}
