/*
 * A server's memory as init sees it (init's Program: the bytes its pool uses
 * now), for the memory figures of the storage and network benchmarks (sbench:
 * the file server; nbench: net).
 */
#ifndef BENCHLIB_PROGRAM_H
#define BENCHLIB_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "wf/proto/init.h"
#include "wf/startinfo.h"

/* True, with *used the bytes its pool uses, where init lists a program named
 * name among its first 64; false where it does not. */
static inline bool bench_program_pool_used(const char *name, uint64_t *used)
{
    for (wf_word_t i = 0; i < 64; i++) {
        wf_word_t state, restarts, prio, u = 0, limit, last, len = 0;
        char got[WFP_INIT_NAME_MAX + 1];
        enum wf_error e = wfp_init_program(WF_CHILD_INIT, i, &state, &restarts, &prio, &u, &limit,
                                           &last, got, sizeof(got) - 1, &len);
        if (e != WF_ERR_OK)
            break;
        if (len == strlen(name) && !memcmp(got, name, len)) {
            *used = u;
            return true;
        }
    }
    return false;
}

#endif
