/*
 * netbench.h: what Weft's network benchmark (user/nbench) and its peer in the
 * Linux guest (bench/linux/net.c) share, so that the two do the same work and
 * report it in the same words (docs/perf/network.md; decision 158): the port,
 * the sizes and the parameters of the host's control line (tools/netbench.py),
 * the pattern of the streams and its check, and the JSON lines of the figures.
 * How each side moves bytes and counts its instructions stays its own.
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
#define NB_MAX_IDLE 24 /* with the listener, within Weft's net's 32 sockets a client */

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

#endif
