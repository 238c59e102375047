/*
 * The invocation work budget (see cap/preempt.h). One budget exists: the kernel
 * runs one invocation at a time under the big kernel lock.
 */
#include "cap/preempt.h"

#include "arch.h"

/* Weak: builds without an interrupt controller (the host tests) see NULL, or
 * define it to stand for one. */
bool arch_irq_pending(void) __attribute__((weak));

static uint32_t budget_left = UINT32_MAX;
static bool unlimited; /* preempt_begin(UINT32_MAX): no interrupt check either */
static bool progressed;

void preempt_begin(uint32_t units)
{
    budget_left = units ? units : 1;
    unlimited = units == UINT32_MAX;
    progressed = false;
}

bool preempt_point(void)
{
    if (budget_left == 0)
        return true;
    if (progressed && !unlimited && arch_irq_pending && arch_irq_pending())
        return true;
    budget_left--;
    progressed = true;
    return false;
}
