/*
 * This CPU's struct cpu_local (sched/cpu_local.h) on riscv64. The port runs
 * one hart (the others wait for SBI HSM bring-up, docs/arch-riscv64.md), so
 * the record is a plain global; with several harts it moves into a per-CPU
 * block reached through tp in the kernel.
 */
#ifndef WEFT_ARCH_RISCV64_PERCPU_H
#define WEFT_ARCH_RISCV64_PERCPU_H

#include "sched/cpu_local.h"

extern struct cpu_local riscv_cpu_local;

#define this_cpu_local riscv_cpu_local

#endif
