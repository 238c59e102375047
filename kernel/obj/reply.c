/*
 * Reply objects: creation is zeroed memory (no caller); destruction will fail a
 * waiting caller's Call (the IPC issue).
 */
#include "obj/reply.h"

#include "panic.h"

void reply_finalize(struct reply *rp)
{
    assert(!rp->caller);
}
