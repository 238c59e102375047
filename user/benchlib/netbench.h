/*
 * netbench.h: what Weft's network benchmark (user/nbench) and its peer in the
 * Linux guest (bench/linux/net.c) share, so that the two do the same work and
 * report it in the same words (docs/perf/network.md; decision 158): the port,
 * the sizes and the parameters of the host's control line (tools/netbench.py),
 * the pattern of the streams and its check, the JSON lines of the figures, and
 * the phases themselves (nb_phases, nb_idle): the loops that move the bytes and
 * time them. How each side moves bytes (its socket calls) and counts its
 * instructions (its clock and its idle ticks) stays its own, behind the calls
 * below that the program defines ("The side's calls").
 *
 * Only the C library's stdio, stdlib and string: it builds with Weft's user
 * libraries and with musl-gcc (bench/linux, -Wall -Wextra -Werror).
 */
#ifndef BENCHLIB_NETBENCH_H
#define BENCHLIB_NETBENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_PORT     5001
#define NB_REQ      100  /* an rr request, bytes */
#define NB_ANSWER   1024 /* an rr answer, bytes */
#define NB_MAX_RUNS 9
#define NB_MAX_IDLE 24    /* with the listener, within Weft's net's 32 sockets a client */
#define NB_BUF      65536 /* the side's buffer (nb_buf): a read or a write of the phases at most */
#define NB_MIB      (1024ull * 1024ull)

/* The control line's words (mib, runs, trans, conns, idle) and their defaults:
 * the full benchmark's. */
struct nb_params {
    unsigned mib, runs, trans, conns, idle;
};
#define NB_PARAMS_DEFAULT                                                                          \
    {                                                                                              \
        64, 3, 2000, 500, NB_MAX_IDLE                                                              \
    }

/* The timed phases, in the order tools/netbench.py drives them, each runs times:
 * X(the program's function for one run, the figure's metric, the parameter it
 * is per, the unit). */
#define NB_PHASES(X)                                                                               \
    X(rx, "rx_instructions_per_mib", mib, "mib")                                                   \
    X(tx, "tx_instructions_per_mib", mib, "mib")                                                   \
    X(rr, "rr_instructions_per_transaction", trans, "transaction")                                 \
    X(conn, "accept_close_instructions_per_connection", conns, "connection")

/* Byte o of every stream, either way. */
static inline uint8_t nb_pattern(uint64_t o)
{
    return (uint8_t)((o ^ o >> 8 ^ 0x5a) & 0xff);
}

/* The pattern's first len bytes (tx sends them again and again: len divides a MiB). */
static inline void nb_fill(uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = nb_pattern(i);
}

/* rx's check of got bytes received at stream offset pos: one byte in 1,024 and
 * the last. Returns the stream offset of a byte that is not the pattern's, or
 * -1. */
static inline long long nb_check_rx(const uint8_t *buf, uint64_t pos, long got)
{
    for (long i = (long)((1024 - pos % 1024) % 1024); i < got; i += 1024)
        if (buf[i] != nb_pattern(pos + (uint64_t)i))
            return (long long)(pos + (uint64_t)i);
    if (got > 0 && buf[got - 1] != nb_pattern(pos + (uint64_t)got - 1))
        return (long long)(pos + (uint64_t)got - 1);
    return -1;
}

/* Parses the control line text (KEY=VALUE words separated by blanks or
 * newlines; changed in place) into *p, each value within its bounds. Returns
 * -1, or the offset of the first word that is unknown or out of bounds. */
static inline long nb_parse_control(char *text, struct nb_params *p)
{
    char *s = text;
    while (*s) {
        char *k = s;
        while (*s && *s != '=')
            s++;
        if (!*s)
            break;
        *s++ = 0;
        unsigned long v = strtoul(s, &s, 10);
        if (!strcmp(k, "mib") && v >= 1 && v <= 1024)
            p->mib = (unsigned)v;
        else if (!strcmp(k, "runs") && v >= 1 && v <= NB_MAX_RUNS)
            p->runs = (unsigned)v;
        else if (!strcmp(k, "trans") && v >= 1 && v <= 1000000)
            p->trans = (unsigned)v;
        else if (!strcmp(k, "conns") && v >= 1 && v <= 100000)
            p->conns = (unsigned)v;
        else if (!strcmp(k, "idle") && v >= 1 && v <= NB_MAX_IDLE)
            p->idle = (unsigned)v;
        else
            return (long)(k - text);
        while (*s == ' ' || *s == '\n')
            s++;
    }
    return -1;
}

/* The line that echoes the parameters ("nbench: ..."). */
static inline void nb_print_params(const struct nb_params *p)
{
    printf("nbench: %u MiB, %u runs, %u transactions, %u connections, %u idle\n", p->mib, p->runs,
           p->trans, p->conns, p->idle);
    fflush(stdout);
}

/* Sorts v[0..n) in place and returns its median (for even n the mean of the
 * middle two). */
static inline uint64_t nb_median(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * One figure of n runs (1 to NB_MAX_RUNS) as a JSON line of system ("weft",
 * "linux"): busy[i] and elapsed[i] are run i's instructions and its raw TSC
 * delta, per unit (both sorted here); idle and total the ticks of all runs
 * spent idle and in all. The value is the median busy run, with the smallest
 * and largest.
 */
static inline void nb_report(const char *system, const char *metric, uint64_t *busy,
                             uint64_t *elapsed, unsigned n, uint64_t idle, uint64_t total,
                             uint64_t per, const char *unit)
{
    uint64_t med = nb_median(busy, n);
    printf("{\"bench\": \"net\", \"arch\": \"x86_64\", \"system\": \"%s\", \"metric\": \"%s\", "
           "\"value\": %llu, \"unit\": \"%s\", \"runs\": %u, \"min\": %llu, \"max\": %llu, "
           "\"elapsed\": %llu, \"idle_permille\": %llu, \"per\": %llu}\n",
           system, metric, (unsigned long long)med, unit, n, (unsigned long long)busy[0],
           (unsigned long long)busy[n - 1], (unsigned long long)nb_median(elapsed, n),
           (unsigned long long)(total ? idle * 1000 / total : 0), (unsigned long long)per);
    fflush(stdout);
}

/* A figure measured once (bytes of memory) as a JSON line of system. */
static inline void nb_report_value(const char *system, const char *metric, uint64_t v,
                                   const char *unit)
{
    printf("{\"bench\": \"net\", \"arch\": \"x86_64\", \"system\": \"%s\", \"metric\": \"%s\", "
           "\"value\": %llu, \"unit\": \"%s\", \"runs\": 1}\n",
           system, metric, (unsigned long long)v, unit);
    fflush(stdout);
}

/* One run of a phase, in TSC ticks: elapsed, those idle, and those left out
 * (skip: the pattern's checks, where the side's clock runs through them);
 * mark is the side's own. Zeroed before the run. */
struct nb_run {
    uint64_t elapsed, idle, skip, mark;
};

/* The instructions of a run: elapsed less idle and skip (0 if they are more). */
static inline uint64_t nb_run_busy(const struct nb_run *r)
{
    uint64_t out = r->idle + r->skip;
    return r->elapsed > out ? r->elapsed - out : 0;
}

/* One figure of n runs of a phase (nb_report): each run's busy and elapsed
 * ticks per unit, and the idle share of them all. */
static inline void nb_report_runs(const char *system, const char *metric, const struct nb_run *runs,
                                  unsigned n, uint64_t per, const char *unit)
{
    uint64_t busy[NB_MAX_RUNS], elapsed[NB_MAX_RUNS], idle = 0, total = 0;
    for (unsigned i = 0; i < n; i++) {
        busy[i] = nb_run_busy(&runs[i]) / per;
        elapsed[i] = runs[i].elapsed / per;
        idle += runs[i].idle;
        total += runs[i].elapsed;
    }
    nb_report(system, metric, busy, elapsed, n, idle, total, per, unit);
}

/*
 * The side's calls, which the program that includes this header defines. A
 * connection is an int handle of the side's (Linux: a file descriptor).
 *
 *   nb_accept(i)      the host's next connection, or nb_fail; i is 0 but for
 *                     the idle phase's connections, which are held at once
 *                     (0 to NB_MAX_IDLE - 1)
 *   nb_recv(c, max)   up to max bytes into nb_buf; 0 at the end of the stream
 *   nb_send(c, len)   len bytes from nb_buf, all of them
 *   nb_shutdown_wr(c), nb_nodelay(c), nb_close(c)
 *   nb_fail(what, v)  prints "... FAIL what: v" and ends the program (status 1)
 *   nb_clock_start(r) the timed part of run r begins; nb_clock_stop(r) it ends
 *   nb_clock_pause(r), nb_clock_resume(r): what lies between is not counted
 *
 * Each failure of a call is the call's to report (nb_fail): the phases see
 * only what came.
 */
static int nb_accept(unsigned i);
static long nb_recv(int c, size_t max);
static void nb_send(int c, size_t len);
static void nb_shutdown_wr(int c);
static void nb_nodelay(int c);
static void nb_close(int c);
static void nb_fail(const char *what, long long v);
static void nb_clock_start(struct nb_run *r);
static void nb_clock_pause(struct nb_run *r);
static void nb_clock_resume(struct nb_run *r);
static void nb_clock_stop(struct nb_run *r);

/* The parameters (the control line's) and the buffer (NB_BUF bytes, set by
 * the program before nb_phases). */
static struct nb_params nb_p = NB_PARAMS_DEFAULT;
static uint8_t *nb_buf;

/* control: the host sends one line of KEY=VALUE words and closes its side;
 * "nbench: ..." echoes them. */
static inline void nb_control(void)
{
    int c = nb_accept(0);
    char text[256];
    size_t n = 0;
    long got;
    while (n < sizeof(text) - 1 && (got = nb_recv(c, sizeof(text) - 1 - n)) > 0) {
        memcpy(text + n, nb_buf, (size_t)got);
        n += (size_t)got;
    }
    nb_close(c);
    text[n] = 0;
    long bad = nb_parse_control(text, &nb_p);
    if (bad >= 0)
        nb_fail("a bad control word at byte", bad);
    nb_print_params(&nb_p);
}

/* rx: one byte to the host, then its mib MiB received to the end of the
 * stream, the pattern checked (not counted). Per MiB. */
static inline void nb_rx(struct nb_run *r)
{
    int c = nb_accept(0);
    uint64_t pos = 0, want = (uint64_t)nb_p.mib * NB_MIB;
    nb_clock_start(r);
    nb_buf[0] = 'G';
    nb_send(c, 1);
    long got;
    while ((got = nb_recv(c, NB_BUF)) > 0) {
        nb_clock_pause(r);
        long long bad = nb_check_rx(nb_buf, pos, got);
        if (bad >= 0)
            nb_fail("rx: a byte of the pattern at", bad);
        pos += (uint64_t)got;
        nb_clock_resume(r);
    }
    nb_clock_stop(r);
    nb_close(c);
    if (pos != want)
        nb_fail("rx: bytes received", (long long)pos);
}

/* tx: mib MiB of the pattern sent, the side shut, the host's close awaited
 * (every byte was acknowledged). Per MiB. */
static inline void nb_tx(struct nb_run *r)
{
    int c = nb_accept(0);
    nb_fill(nb_buf, NB_BUF);
    uint64_t want = (uint64_t)nb_p.mib * NB_MIB;
    nb_clock_start(r);
    for (uint64_t sent = 0; sent < want; sent += NB_BUF)
        nb_send(c, NB_BUF);
    nb_shutdown_wr(c);
    long got = nb_recv(c, NB_BUF);
    nb_clock_stop(r);
    nb_close(c);
    if (got != 0)
        nb_fail("tx: the host sent bytes", got);
}

/* rr: trans transactions on one connection (TCP_NODELAY): a request of
 * NB_REQ bytes, an answer of NB_ANSWER. Per transaction. */
static inline void nb_rr(struct nb_run *r)
{
    int c = nb_accept(0);
    nb_nodelay(c);
    unsigned n = 0;
    nb_clock_start(r);
    for (;;) {
        size_t have = 0;
        long got = 0;
        while (have < NB_REQ && (got = nb_recv(c, NB_REQ - have)) > 0)
            have += (size_t)got;
        if (have == 0 && got == 0)
            break;
        if (have != NB_REQ)
            nb_fail("rr: a short request", (long long)have);
        nb_send(c, NB_ANSWER);
        n++;
    }
    nb_clock_stop(r);
    nb_close(c);
    if (n != nb_p.trans)
        nb_fail("rr: transactions", n);
}

/* conn: conns connections one after the other, each accepted, read to its
 * end (the host shuts its side at once) and closed. Per connection. */
static inline void nb_conn(struct nb_run *r)
{
    nb_clock_start(r);
    for (unsigned i = 0; i < nb_p.conns; i++) {
        int c = nb_accept(0);
        long got = nb_recv(c, NB_BUF);
        nb_close(c);
        if (got != 0)
            nb_fail("conn: the host sent bytes", got);
    }
    nb_clock_stop(r);
}

/* The runs of one phase of NB_PHASES, then its figure. */
static inline void nb_phase(const char *system, void (*fn)(struct nb_run *r), const char *metric,
                            uint64_t per, const char *unit)
{
    struct nb_run runs[NB_MAX_RUNS];
    memset(runs, 0, sizeof(runs));
    for (unsigned i = 0; i < nb_p.runs; i++)
        fn(&runs[i]);
    nb_report_runs(system, metric, runs, nb_p.runs, per, unit);
}

/* The control line, then every phase of NB_PHASES in order, each reported as
 * system's figure. */
static inline void nb_phases(const char *system)
{
    nb_control();
#define NB_PHASE(fn, metric, per, unit) nb_phase(system, nb_##fn, metric, nb_p.per, unit);
    NB_PHASES(NB_PHASE)
#undef NB_PHASE
}

/* idle: the side's memory in use (memory(), bytes) before the idle
 * connections and while all are open (each accepted and sent one byte: the
 * host knows it was accepted), into *before and *with; then each is read to
 * its end (the host closes them) and closed. */
static inline void nb_idle(uint64_t (*memory)(void), uint64_t *before, uint64_t *with)
{
    int c[NB_MAX_IDLE];
    *before = memory();
    nb_buf[0] = 'I';
    for (unsigned i = 0; i < nb_p.idle; i++) {
        c[i] = nb_accept(i);
        nb_send(c[i], 1);
    }
    *with = memory();
    for (unsigned i = 0; i < nb_p.idle; i++) {
        long got = nb_recv(c[i], NB_BUF);
        nb_close(c[i]);
        if (got != 0)
            nb_fail("idle: the host sent bytes", got);
    }
}

/* The idle phase's figure of system: the memory an idle connection holds. */
static inline void nb_report_idle(const char *system, uint64_t before, uint64_t with)
{
    nb_report_value(system, "memory_per_idle_connection_bytes",
                    with > before ? (with - before) / nb_p.idle : 0, "bytes");
}

#endif
