/*
 * Bringing up the other CPUs of a device-tree machine (genarch/smp_fdt.c;
 * docs/porting.md, section 8): the shared part of arch_cpu_count,
 * arch_cpu_prepare and arch_cpu_start for the ports that start CPUs through
 * firmware (aarch64: PSCI CPU_ON; riscv64: SBI HSM hart_start).
 *
 * The shared part: the CPU list (the boot CPU, then the tree's enabled cpu
 * nodes in tree order without it), one allocation from the boot memory for
 * every other CPU's block and kernel stack, the block's carving, and the
 * handshake (the boot CPU waits up to a second for the new CPU to say it runs
 * kernel code). The port's part, below: its hardware ids, its block's
 * fields, the firmware call with the entry stub it starts, and the per-CPU
 * register setup on the new CPU, which ends in smp_fdt_started.
 */
#ifndef WEFT_GENARCH_SMP_FDT_H
#define WEFT_GENARCH_SMP_FDT_H

#include "types.h"

/* --- provided by the port (its smp.c) ---------------------------------- */

/* The size of its per-CPU block (the generic part adds a 32 KiB stack). */
extern const size_t arch_smp_block_bytes;
/* The boot CPU's hardware id (aarch64: MPIDR affinity; riscv64: the hart id)
 * and the one a cpu node's reg names; false when the other CPUs cannot be
 * started at all (aarch64: no psci node): one CPU. */
bool arch_smp_boot_hwid(uint64_t *hwid);
uint64_t arch_smp_node_hwid(uint64_t reg);
/* The boot CPU's block (id 0, set up before the others start). */
void *arch_smp_boot_block(void);
/* Fills CPU id's zeroed block: its id, hardware id and kernel stack's top. */
void arch_smp_block_init(void *block, unsigned id, uint64_t hwid, char *stack_top);
/* Starts CPU hwid through the firmware at the port's entry stub, which loads
 * the block and stack and runs the port's per-CPU setup, then calls
 * smp_fdt_started on the new CPU. 0, or the firmware's error (reported by the
 * caller). */
long arch_smp_firmware_start(uint64_t hwid, void *block);

/* --- provided by the generic part --------------------------------------- */

/* On the new CPU, its per-CPU registers set up (vectors, timer, interrupt
 * controller's part): tells the boot CPU it runs and calls the generic
 * entry (sched/smp.c's secondary_main). Never returns. */
__noreturn void smp_fdt_started(void);
/* CPU id's block, NULL before it started (and for ids never started). */
void *smp_fdt_block(unsigned id);

#endif
