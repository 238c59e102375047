/*
 * uchild: the in-guest suite's child program (user/uchild/main.c). One program
 * with several behaviours, chosen by the start info's arg[0] (enum uc_mode), so
 * that the suite can start it in a CNode and VSpace of its own. Shared by the
 * program and the tests (user/test/) that drive it.
 */
#ifndef UCHILD_H
#define UCHILD_H

/* arg[0]: what the child does. arg[1..] as listed. */
enum uc_mode {
    UC_EXIT = 1,  /* exits with status arg[1] */
    UC_ECHO = 2,  /* serves enum uc_echo_op on the endpoint in UC_SLOT_EP until UC_OP_QUIT */
    UC_CALL = 3,  /* Calls UC_SLOT_EP with label arg[1], words arg[2] arg[3]; exits with
                     the Call's error if any, else reply word 0 */
    UC_FAULT = 4, /* faults as enum uc_fault arg[1] says (address arg[2]); see below */
    UC_LINUX = 5, /* issues Linux-numbered syscalls (see main.c); exits with their sum */
    UC_POKE = 6,  /* writes the byte pattern UC_PATTERN(i) over [arg[1], arg[1] + arg[2]) */
    UC_PEEK = 7,  /* exits with the sum of the bytes in [arg[1], arg[1] + arg[2]) */
    UC_WAIT = 8,  /* Waits on the notification in UC_SLOT_EP; exits with the bits (low 31) */
};

/* Slots the tests give the child. */
#define UC_SLOT_EP    16 /* the endpoint or notification it uses */
#define UC_SLOT_REPLY 17 /* its Reply object (UC_ECHO) */
#define UC_SLOT_RECV  18 /* where it takes a transferred cap (UC_ECHO) */

/* UC_ECHO's protocol: the request's label is the operation. */
enum uc_echo_op {
    UC_OP_INC = 1,  /* reply label 2, the same number of words, each plus one */
    UC_OP_CAPS = 3, /* reply: [0] badge, [1] caps received, [2] unwrapped mask,
                        [3] type of the cap now in UC_SLOT_RECV (then deleted;
                        UC_TYPE_UNKNOWN in a release build, which has no
                        DEBUG_CAP_IDENTIFY), [4] its first word of caps_or_badges */
    UC_OP_QUIT = 9, /* reply label 0, then exit 0 */
};
#define UC_TYPE_UNKNOWN (~0ull)

/* UC_FAULT's faults. Before each, rbx (aarch64: x22; riscv64: s5) holds the
 * address of code that exits with status UC_RECOVERED (a handler may resume
 * there) and r13..r15 (aarch64: x19..x21; riscv64: s2..s4) hold UC_MARK13..15
 * (user/test/tarch.h names them for the tests). */
enum uc_fault {
    UC_F_READ = 1,    /* reads the byte at arg[2] */
    UC_F_WRITE = 2,   /* writes a byte at arg[2] */
    UC_F_UD2 = 3,     /* ud2 (aarch64: udf #0; riscv64: c.unimp); resumed past it, exits
                         with rax (x0, a0) */
    UC_F_DIVIDE = 4,  /* divides by zero (a trap on x86-64 only) */
    UC_F_SYSCALL = 5, /* syscall (svc, ecall) with rax (x8, a7) = arg[2]; exits with rax
                         after it (aarch64: x8 when the kernel set an error there, else
                         x0; riscv64: the same with a7 and a0) */
};

#define UC_RECOVERED 0x5e
#define UC_MARK13    0x1313131313131313ull
#define UC_MARK14    0x1414141414141414ull
#define UC_MARK15    0x1515151515151515ull

#define UC_PATTERN(i) ((unsigned char)((i)*7 + 3))

#include "weft/types.h"

/* Serves enum uc_echo_op on endpoint ep (Reply object reply; a transferred cap
 * lands in slot recv_slot of CNode cnode, depth 64) until UC_OP_QUIT. Returns 0,
 * or 100 + the error of a failed receive or reply. (user/uchild/echo.c, also
 * linked into init for same-address-space servers.) */
int uc_echo_serve(wf_cptr_t ep, wf_cptr_t reply, wf_cptr_t cnode, wf_word_t recv_slot);

#endif
