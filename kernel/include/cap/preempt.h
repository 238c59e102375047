/*
 * Preemption points: the work budget of one invocation.
 *
 * A long operation (deleting a CNode full of caps, revoking a big subtree,
 * zeroing an untyped) is a loop of units, each O(1) and each leaving the kernel's
 * state consistent and the operation's progress recorded in the objects
 * themselves (zombies, watermarks, the derivation tree). Before each unit it calls
 * preempt_point(); when that says stop, the operation returns WF_ERR_PREEMPTED and
 * the syscall layer re-executes the invocation later, which continues from the
 * recorded state (seL4's preemptionPoint and restart, Heiser and Elphinstone,
 * "L4 microkernels: the lessons from 20 years of research and deployment").
 *
 * The budget is a count of units, set at the start of every invocation. A
 * preemption point also says stop when an interrupt is pending (arch_irq_pending),
 * once the invocation has done at least one unit, so that every re-execution
 * makes progress; the interrupt is taken on the way back to user mode and the
 * thread it wakes may run before the invocation continues. Host tests set tiny
 * budgets to drive every restart path.
 */
#ifndef WEFT_CAP_PREEMPT_H
#define WEFT_CAP_PREEMPT_H

#include "types.h"

/* Units one invocation may do before it is preempted (the syscall default). */
#define PREEMPT_UNITS_DEFAULT 256u

/* Starts a new budget of units (at least 1) for the invocation about to run.
 * UINT32_MAX is unlimited: no budget and no interrupt check (the kernel's own
 * callers, self-tests and benchmarks, which do not restart). */
void preempt_begin(uint32_t units);

/* Accounts one unit of work about to be done. Returns true when the budget is
 * spent or, after the first unit, an interrupt is pending: the caller must not
 * do the unit and returns WF_ERR_PREEMPTED. */
bool preempt_point(void);

#endif
