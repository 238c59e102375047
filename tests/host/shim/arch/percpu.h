/*
 * Host build of arch/percpu.h: this "CPU"'s struct cpu_local is a plain
 * global (tests/host/shim/host_shim.c); the world of the capability tests
 * sets it up with sched_cpu_init.
 */
#ifndef WEFT_HOST_SHIM_PERCPU_H
#define WEFT_HOST_SHIM_PERCPU_H

#include "sched/cpu_local.h"

#define PERCPU_LOCAL 208 /* as x86-64's arch/percpu.h: arch/context.h checks it */

extern struct cpu_local host_cpu_local;
#define this_cpu_local host_cpu_local

#endif
