/*
 * The shell's pure text logic (user/shell/text.c): splitting a command line,
 * numbers, object type and rights names, and the one formatter that turns a
 * kernel error and its detail words into a sentence. No system call here: the
 * same file is compiled into the shell and into the host test
 * (tests/host/test_shell.c).
 */
#ifndef SHELL_TEXT_H
#define SHELL_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SH_MAX_ARGS 16

/* Splits line in place at blanks (space, tab, CR, LF) into at most max words.
 * Returns the number of words, or -1 when there are more than max. */
int sh_split(char *line, char **argv, int max);

/* A number: decimal digits or 0x followed by hex digits, the whole string, no
 * sign, no overflow. */
bool sh_number(const char *s, uint64_t *out);

/* A size in bytes: a number with an optional K, M or G suffix (KiB, MiB, GiB). */
bool sh_size(const char *s, uint64_t *out);

/* An object type by name (untyped, cnode, tcb, endpoint, notification, reply,
 * pool; "ep" and "ntfn" too) or by number (1 to 31). */
bool sh_type(const char *s, uint64_t *out);

/* The name of an object type as caps prints it ("endpoint", ...); "type N" is
 * written into buf for a value without a name. */
const char *sh_type_name(uint64_t type, char *buf, size_t size);

/* Rights: "all", "none", letters r (read) w (write) g (grant) R (grant reply)
 * in any order without repeats, or a number up to 15. */
bool sh_rights(const char *s, uint64_t *out);

/* Rights as letters in the order rwgR, '-' for a missing one ("rw--"). buf
 * has room for 5 bytes. */
void sh_rights_str(uint64_t rights, char buf[5]);

/* The name of an enum wf_thread_state value ("runnable", "blocked-recv", ...). */
const char *sh_thread_state_name(uint64_t state);

/* What a lookup fault is, in words ("guard mismatch"); NULL for an unknown one. */
const char *sh_lookup_fault_text(uint64_t fault);

/* Context that changes what an error's details mean. */
enum sh_err_ctx {
    SH_CTX_ANY = 0,
    SH_CTX_RETYPE = 1, /* Untyped_Retype: DELETE_FIRST names the occupied slot */
};

/* Writes err (enum wf_error) with its detail words decoded as abi/weft.def
 * documents them, e.g. "FAILED_LOOKUP at level 1: guard mismatch (the invoked
 * CNode, 60 bits unresolved)". detail has 4 words (the invocation's reply
 * words), or is NULL where none came back (a failed system call, a server's
 * error): then only the name is written. Returns snprintf's count. */
int sh_format_error(char *buf, size_t size, uint64_t err, const uint64_t detail[4],
                    enum sh_err_ctx ctx);

#endif
