/*
 * The invocation work budget (see cap/preempt.h). One budget exists: the kernel
 * runs one invocation at a time under the big kernel lock.
 */
#include "cap/preempt.h"

static uint32_t budget_left = UINT32_MAX;

void preempt_begin(uint32_t units)
{
    budget_left = units ? units : 1;
}

bool preempt_point(void)
{
    if (budget_left == 0)
        return true;
    budget_left--;
    return false;
}
