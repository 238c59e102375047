/*
 * The user suite on more than one architecture: tests written against x86-64
 * (its registers by name, its instructions, the TSC, I/O ports) are compiled
 * on x86-64 only; elsewhere their file declares one test that skips with the
 * reason, so the TAP output says what did not run and why.
 */
#ifndef TEST_TARCH_H
#define TEST_TARCH_H

#include "wftest.h"

#define TEST_X86_64_ONLY(suite, name, why)                                                         \
    TEST(suite, name)                                                                              \
    {                                                                                              \
        test_skip_now("x86-64 only (not ported to this architecture): %s", why);                   \
    }

#endif
