/*
 * CONSOLE_WRITE, the console system call of every build (core/console_call.c).
 */
#ifndef WEFT_CORE_CONSOLE_CALL_H
#define WEFT_CORE_CONSOLE_CALL_H

#include "obj/tcb.h"

/* Handles t's CONSOLE_WRITE (abi/weft.def): writes argument 0 bytes from its
 * message registers to the console if t's CSpace root is the root task's
 * CNode; sets t's result (OK, ILLEGAL_OPERATION or RANGE_ERROR) either way. */
void console_call_write(struct tcb *t);

#endif
