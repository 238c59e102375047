/*
 * lx's system call tables. sys.c holds the main table; fdsys.c a second one
 * for the descriptor-side calls. A number with an entry in lx_fd_calls is
 * served from there; any other from sys.c's table; a number in neither answers
 * -ENOSYS.
 */
#ifndef LX_SYS_H
#define LX_SYS_H

#include <stdint.h>

#include "weft/types.h"

struct lx_proc;
struct lx_thread;

/* A call in progress: the process, its six arguments (rdi, rsi, rdx, r10, r8,
 * r9), the whole fault message (fork copies the registers) and the thread
 * that made it. */
struct lx_call {
    struct lx_proc *p;
    uint64_t a[6];
    const wf_word_t *w;
    struct lx_thread *t;
};

typedef long (*lx_handler)(struct lx_call *c);

struct lx_sysent {
    const char *name;
    lx_handler fn;
};

/* System call numbers below this have table slots. */
#define LX_NSYSCALLS 512

/* fdsys.c */
extern const struct lx_sysent lx_fd_calls[LX_NSYSCALLS];

#endif
