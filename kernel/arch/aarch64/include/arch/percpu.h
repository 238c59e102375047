/*
 * This CPU's struct cpu_local (sched/cpu_local.h) on aarch64. The port runs
 * one CPU (its secondary CPUs wait for PSCI bring-up, docs/arch-aarch64.md),
 * so the record is a plain global; with several CPUs it moves into a per-CPU
 * block reached through TPIDR_EL1.
 */
#ifndef WEFT_ARCH_AARCH64_PERCPU_H
#define WEFT_ARCH_AARCH64_PERCPU_H

#include "sched/cpu_local.h"

extern struct cpu_local aarch64_cpu_local;

#define this_cpu_local aarch64_cpu_local

#endif
