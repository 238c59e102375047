/*
 * User-mode benchmarks (user/bench/): init runs one when the command line says
 * "bench=NAME". Each benchmark is a program of its own in the initramfs,
 * started by init as an ordinary process (wf/spawn.h), so that what it measures
 * is the path every user thread takes: ring 3, the real trap entry, its own
 * VSpace and CSpace. Figures are printed as one JSON object per line for the
 * make fragment that collects them (mk/extra/bench-vm.mk).
 */
#ifndef WF_BENCH_H
#define WF_BENCH_H

#include "weft/bootinfo.h"

/* Runs benchmark name ("vm") with the memory bootinfo describes and prints its
 * figures, then "bench: done, N failed". Returns 0 if it ran to the end with
 * every check passed, 1 if it failed, 2 for an unknown name. */
int bench_run(const struct wf_bootinfo *bi, const char *name);

/* What init gives the benchmark program, in the child's CNode. */
#define BENCH_SLOT_POOL 16 /* WF_CHILD_FIRST_FREE: a pool for its VMOs */

#endif
