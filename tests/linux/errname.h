/*
 * errname.h: the name of an errno ("EFAULT"), or "errno N" for one not
 * listed, for the conformance programs' output (the same text on Weft and
 * on the Linux guest, where run.py compares it).
 */
#ifndef LX_TEST_ERRNAME_H
#define LX_TEST_ERRNAME_H

#include <errno.h>
#include <stdio.h>

#define ERRNAME_CASE(e)                                                                            \
    case e:                                                                                        \
        return #e;

static inline const char *errname(int e)
{
    static char num[16];
    switch (e) {
        ERRNAME_CASE(EPERM)
        ERRNAME_CASE(ENOENT)
        ERRNAME_CASE(ESRCH)
        ERRNAME_CASE(EINTR)
        ERRNAME_CASE(ENOEXEC)
        ERRNAME_CASE(EBADF)
        ERRNAME_CASE(ECHILD)
        ERRNAME_CASE(EAGAIN)
        ERRNAME_CASE(ENOMEM)
        ERRNAME_CASE(EACCES)
        ERRNAME_CASE(EFAULT)
        ERRNAME_CASE(ENOTDIR)
        ERRNAME_CASE(EISDIR)
        ERRNAME_CASE(EINVAL)
        ERRNAME_CASE(ENOTTY)
        ERRNAME_CASE(ESPIPE)
        ERRNAME_CASE(ERANGE)
        ERRNAME_CASE(ENAMETOOLONG)
        ERRNAME_CASE(ENOSYS)
        ERRNAME_CASE(ETIMEDOUT)
    default:
        snprintf(num, sizeof(num), "errno %d", e);
        return num;
    }
}

#endif
