/*
 * Weft's capability shell (docs/userspace.md, "The shell"; decision 113): a
 * musl program init starts from its boot configuration. It reads lines from the
 * console server (console.Read on its CONSOLE slot), prints with printf, and
 * runs commands that show and use the caps it holds.
 *
 * Its CSpace: one CNode of 2^radix slots (radix from the start info, 12 from
 * init). The well-known slots (wf/startinfo.h) hold what init gave it; slots
 * from 16 up to a quarter of the CNode are the user's (the targets of retype,
 * mint, copy); the second quarter is the shell's own (its children's objects,
 * taken in order and reused once no child is alive); the upper half belongs to
 * the C library (wf/libc.h).
 *
 * Files: main.c (the loop, the command table, help, console input), caps.c
 * (caps, retype, mint, copy, delete, revoke), proc.c (spawn and the children:
 * send, sendcap, kill, ps, mem, bench), sys.c (what init and the log server
 * answer: servers, log, reboot, poweroff), fs.c (the file commands), net.c (the network commands), linux.c
 * (linux: a Linux program under lx), text.c (pure text logic, host-tested).
 */
#ifndef SHELL_H
#define SHELL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "text.h"
#include "weft/invoke.h"
#include "wf/spawn.h"

#define SELF  WF_CHILD_CNODE /* the shell's CNode: CPtr = slot index at depth 64 */
#define DEPTH 64

/* Slots at the end of the shell's own quarter: the file commands' (fs.c), then
 * the network commands' (net.c). */
#define SH_FS_SLOTS  3
#define SH_NET_SLOTS 16

/* What every command file shares. */
struct shell {
    unsigned radix;      /* the CNode's radix */
    wf_word_t user_end;  /* user slots: [WF_CHILD_FIRST_FREE, user_end) */
    wf_word_t own_first; /* the shell's own slots: [own_first, own_end) */
    wf_word_t own_end;
    struct wf_spawn_env env; /* children's objects come from here */
    unsigned prio;           /* the shell's priority: its children run at it too */
    wf_cptr_t self_tcb;      /* its own TCB */
    const uint8_t *initramfs;
    size_t initramfs_len;
};

extern struct shell sh;

/* A command: argv[0] is its name. Returns nothing; it prints its result or its
 * error. */
typedef void cmd_fn(int argc, char **argv);

/* Prints "NAME: usage: USAGE" for argv[0]'s command. */
void usage(const char *name);

/* Prints "WHAT: " and the error with its details decoded (text.c). */
void print_error(const char *what, wf_word_t err, const wf_word_t detail[4], enum sh_err_ctx ctx);

/* Parses argv[i] as a number or prints "NAME: bad number 'S'" and the usage. */
bool arg_number(char **argv, int i, uint64_t *out);

/* caps.c */
cmd_fn cmd_caps, cmd_retype, cmd_mint, cmd_copy, cmd_delete, cmd_revoke;

/* proc.c */
cmd_fn cmd_spawn, cmd_send, cmd_sendcap, cmd_ps, cmd_mem, cmd_bench;
/* Kills child number n; false if there is no such child. */
bool kill_child(uint64_t n);
/* Reports (and reaps) the children that exited or faulted since the last call. */
void reap_children(void);

/* linux.c */
cmd_fn cmd_linux;

/* sys.c */
cmd_fn cmd_servers, cmd_log, cmd_reboot, cmd_poweroff, cmd_kill;
/* Prints init's programs for ps and mem (what they are: ps or mem). */
void list_programs(bool for_mem);

/* fs.c */
cmd_fn cmd_chmod, cmd_chown, cmd_touch;
void sh_net_forget(void); /* net.c: the network client set up anew at its next use */
cmd_fn cmd_ls, cmd_cat, cmd_write, cmd_mkdir, cmd_rm, cmd_mv, cmd_stat, cmd_df, cmd_dropcaches,
    cmd_mount, cmd_umount;

/* net.c */
cmd_fn cmd_ifconfig, cmd_resolve, cmd_dns, cmd_ping, cmd_fetch, cmd_serve, cmd_udpecho, cmd_udpsend,
    cmd_sockfuzz, cmd_sockcheck;

#endif
