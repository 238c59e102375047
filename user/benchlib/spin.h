/*
 * The idle spinner the storage and network benchmarks count with (sbench,
 * nbench; decisions 140 and 158). Under -icount shift=0,sleep=off the TSC
 * advances one per executed instruction, but a guest that halts while QEMU
 * works on a device request has its clock moved on to its next timer. So the
 * benchmark starts a thread of its own at priority 1, below everything, that
 * spins reading the TSC: the kernel never halts while it runs (as Linux's
 * idle=poll), and the spinner adds each step of its loop (at most SPIN_STEP
 * ticks) to spin_idle_ticks. A gap longer than that is an interrupt or another
 * thread, and is work. A figure is the TSC delta of the timed part less the
 * spinner's ticks in it.
 */
#ifndef BENCHLIB_SPIN_H
#define BENCHLIB_SPIN_H

#include <stdint.h>

#include "weft/types.h"

#define SPIN_PRIO  1
#define SPIN_STEP  64 /* most ticks of one step of the spinner's loop (about 10) */
#define SPIN_STACK 4096

/* The spinner's steps, added up. */
extern volatile uint64_t spin_idle_ticks;

static inline uint64_t spin_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}

/* Makes the spinner a thread in `slot` of this program's CNode (from its pool),
 * starts it and waits until it has counted. */
enum wf_error spin_start(wf_cptr_t slot);

#endif
