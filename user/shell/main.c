/*
 * The shell's main loop and command table (shell.h says what the shell is).
 *
 * Input: console.Read on the CONSOLE slot, one edited line at a time (the
 * console server echoes and edits; the shell gets whole lines). When the
 * console server is restarted its old endpoint is revoked: the Read fails with
 * CANCELLED, INVALID_CAPABILITY or FAILED_LOOKUP, and the shell looks "console"
 * up again with the name server and retries, as every client does.
 */
#include <stdio.h>
#include <string.h>

#include "shell.h"
#include "wf/client.h"
#include "wf/proto/console.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define INITRAMFS_VA (wf_layout.files) /* wf/layout.h */
#define LINE_MAX     256
#define PROMPT       "weft> "

struct shell sh;

static cmd_fn cmd_help, cmd_echo, cmd_uptime;

/* The TSC when the first prompt had been written (under -icount shift=0: the
 * guest instructions from power-on to the prompt; bench/boot/run.py reads it). */
static uint64_t first_prompt_tsc;

static const struct command {
    const char *name;
    const char *args; /* the usage line after the name */
    int min, max;     /* argument counts (argv[0] not counted) */
    cmd_fn *fn;
    const char *help;
} commands[] = {
    {"help", "", 0, 0, cmd_help, "list the commands"},
    {"echo", "[ARGS...]", 0, SH_MAX_ARGS - 1, cmd_echo, "print the arguments"},
    {"caps", "", 0, 0, cmd_caps, "every non-empty slot of the shell's CSpace"},
    {"retype", "UNTYPED_SLOT TYPE [SIZE_BITS] DEST_SLOT", 3, 4, cmd_retype,
     "make an object from an untyped into DEST_SLOT"},
    {"mint", "SRC DEST RIGHTS BADGE", 4, 4, cmd_mint, "copy SRC to DEST with a badge"},
    {"copy", "SRC DEST [RIGHTS]", 2, 3, cmd_copy, "copy SRC to DEST"},
    {"delete", "SLOT", 1, 1, cmd_delete, "delete the cap in SLOT"},
    {"revoke", "SLOT", 1, 1, cmd_revoke, "delete every cap derived from SLOT"},
    {"spawn", "PROGRAM [ARGS...] [mem=SIZE]", 1, 10, cmd_spawn,
     "start PROGRAM from the initramfs as a child"},
    {"send", "CHILD VALUE | CHILD check SLOT", 2, 3, cmd_send,
     "send a word (or a check of its SLOT) to a child"},
    {"sendcap", "CHILD SLOT", 2, 2, cmd_sendcap, "send a copy of the cap in SLOT to a child"},
    {"ps", "", 0, 0, cmd_ps, "the shell's children and init's programs"},
    {"mem", "", 0, 0, cmd_mem, "memory use and limits"},
    {"servers", "", 0, 0, cmd_servers, "init's programs with restarts and state"},
    {"kill", "CHILD|SERVER", 1, 1, cmd_kill, "destroy a child, or have init kill a server"},
    {"log", "[N]", 0, 1, cmd_log, "the last N log lines (default 10)"},
    {"bench", "[ROUNDS]", 0, 1, cmd_bench, "IPC round trips between the shell and a probe"},
    {"ls", "[DIR]", 0, 1, cmd_ls, "the entries of DIR (default /) on the file server"},
    {"cat", "FILE", 1, 1, cmd_cat, "print FILE"},
    {"write", "FILE [TEXT...]", 1, SH_MAX_ARGS - 1, cmd_write, "make FILE hold TEXT and a newline"},
    {"mkdir", "DIR", 1, 1, cmd_mkdir, "make a directory"},
    {"rm", "PATH", 1, 1, cmd_rm, "remove a file, link or empty directory"},
    {"mv", "FROM TO", 2, 2, cmd_mv, "rename FROM to TO"},
    {"stat", "PATH", 1, 1, cmd_stat, "type, mode, size, links, inode, owner and times of PATH"},
    {"chmod", "MODE PATH", 2, 2, cmd_chmod,
     "set PATH's mode (octal: permissions, setuid 4000, setgid 2000, sticky 1000)"},
    {"chown", "UID[:GID] PATH", 2, 2, cmd_chown, "set PATH's owner (and group)"},
    {"touch", "[-d SECONDS] PATH", 1, 3, cmd_touch,
     "make PATH if it names nothing; its times to now, or SECONDS since 1970"},
    {"df", "[PATH]", 0, 1, cmd_df,
     "the file system of PATH (default /): free space and inodes, block size, type"},
    {"dropcaches", "", 0, 0, cmd_dropcaches, "write the file server's page cache back and drop it"},
    {"mount", "[[-r] -t TYPE [SOURCE] PATH]", 0, 5, cmd_mount,
     "list the mounts, or mount a tmpfs (SOURCE: its size, default 1M, from the shell's "
     "memory), initramfs, ext2 (SOURCE: vblk) or overlay (SOURCE: LOWER:UPPER) on PATH"},
    {"umount", "PATH", 1, 1, cmd_umount, "unmount the file system mounted on PATH"},
    {"ifconfig", "", 0, 0, cmd_ifconfig, "the network interfaces: addresses and counters"},
    {"resolve", "HOST", 1, 1, cmd_resolve, "the address of HOST (DNS, or localhost)"},
    {"dns", "IP[:PORT]|lease", 1, 1, cmd_dns,
     "point net's resolver at the DNS server IP (PORT: 53), or back at the lease's"},
    {"ping", "HOST [COUNT]", 1, 2, cmd_ping, "ICMP echo to HOST, COUNT times (default 3)"},
    {"fetch", "[-c] URL", 1, 2, cmd_fetch,
     "print the body of http://HOST[:PORT]/PATH (HTTP/1.0 GET; -c: its size and CRC-32)"},
    {"serve", "DIR [PORT]", 1, 2, cmd_serve, "serve DIR's files over HTTP on PORT (80) until ^C"},
    {"udpecho", "PORT [COUNT]", 1, 2, cmd_udpecho,
     "echo UDP datagrams on PORT (COUNT, or until ^C)"},
    {"udpsend", "HOST PORT [TEXT...]", 2, SH_MAX_ARGS - 1, cmd_udpsend,
     "send TEXT as one UDP datagram, print the reply"},
    {"sockfuzz", "[COUNT] [SEED]", 0, 2, cmd_sockfuzz,
     "COUNT random socket requests (1000); the server must still serve"},
    {"sockcheck", "", 0, 0, cmd_sockcheck, "socket errors over the loopback; per-client limits"},
    {"linux", "PROGRAM [ARGS...]", 1, SH_MAX_ARGS - 1, cmd_linux,
     "run a static Linux program of the initramfs under lx; print its exit status"},
    {"uptime", "", 0, 0, cmd_uptime, "time since boot, and the TSC at the first prompt"},
    {"reboot", "", 0, 0, cmd_reboot, "reset the machine"},
    {"poweroff", "", 0, 0, cmd_poweroff, "power the machine off"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

void usage(const char *name)
{
    const struct command *c = find_command(name);
    if (c)
        printf("usage: %s%s%s\n", c->name, *c->args ? " " : "", c->args);
}

void print_error(const char *what, wf_word_t err, const wf_word_t detail[4], enum sh_err_ctx ctx)
{
    char buf[160];
    sh_format_error(buf, sizeof(buf), err, detail, ctx);
    printf("%s: %s\n", what, buf);
}

bool arg_number(char **argv, int i, uint64_t *out)
{
    if (sh_number(argv[i], out))
        return true;
    printf("%s: bad number '%s'\n", argv[0], argv[i]);
    usage(argv[0]);
    return false;
}

static void cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("commands (numbers are decimal or 0x hex):\n");
    for (size_t i = 0; i < NCOMMANDS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
        printf("  %-46s %s\n", left, commands[i].help);
    }
}

static void cmd_uptime(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t ns = wf_clock_ns();
    printf("up %llu.%03llu s; first prompt at TSC %llu\n", (unsigned long long)(ns / 1000000000u),
           (unsigned long long)(ns / 1000000u % 1000u), (unsigned long long)first_prompt_tsc);
}

static void cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "");
    printf("\n");
}

/* Sleeps ms milliseconds on the kernel timer (TCB_SetDeadline), through a
 * notification bound to the shell's thread only while it sleeps; yields
 * instead when it cannot make one. */
static void nap(unsigned ms)
{
    static wf_cptr_t timer;
    if (!timer && wf_env_retype(&sh.env, WF_OBJ_NOTIFICATION, 0, &timer) != WF_ERR_OK)
        timer = 0;
    if (!timer || wf_tcb_bind_notification(sh.self_tcb, timer) != WF_ERR_OK) {
        wf_sys_yield();
        return;
    }
    if (wf_tcb_set_deadline(sh.self_tcb, wf_clock_ns() + ms * 1000000ull, 1) == WF_ERR_OK)
        wf_sys_wait(timer, NULL);
    wf_tcb_unbind_notification(sh.self_tcb);
}

/* Waits for a restarted console server: tries to reconnect every 10 ms until
 * the name server has it again, sleeping in between. */
static void await_console(const char *prompt)
{
    while (wf_reconnect(WF_CHILD_CONSOLE, "console") != WF_ERR_OK)
        nap(10);
    printf("\n%s", prompt);
    fflush(stdout);
}

/* Reads one line into buf (NUL-terminated, without its newline). Returns false
 * when the line was interrupted (^C). After reconnecting to a restarted console
 * server it prints prompt again (what was printed meanwhile may be lost). */
static bool read_line(const char *prompt, char *buf, size_t size)
{
    size_t len = 0;
    unsigned tries = 0;
    for (;;) {
        wf_word_t got = 0;
        size_t room = size - 1 - len;
        enum wf_error e = wfp_console_read(
            WF_CHILD_CONSOLE, room > WFP_CONSOLE_TEXT_MAX ? WFP_CONSOLE_TEXT_MAX : room, buf + len,
            room, &got);
        if (e == WF_ERR_OK) {
            tries = 0;
            len += got;
            if ((len && buf[len - 1] == '\n') || len == size - 1 || !got)
                break;
            continue;
        }
        if (e == WF_ERR_CANCELLED && tries == 0) {
            /* ^C, or the console server went away under the Read: the next
             * Read tells which. */
            tries++;
            buf[0] = 0;
            if (wfp_console_read(WF_CHILD_CONSOLE, 0, buf, 0, NULL) == WF_ERR_RANGE_ERROR)
                return false; /* the server answers: it was ^C */
            continue;
        }
        /* The console is gone: look it up again until it is back. */
        await_console(prompt);
        tries++;
    }
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    buf[len] = 0;
    return true;
}

static void run_line(char *line)
{
    char *argv[SH_MAX_ARGS];
    int argc = sh_split(line, argv, SH_MAX_ARGS);
    if (argc == 0)
        return;
    if (argc < 0) {
        printf("too many words (at most %d)\n", SH_MAX_ARGS);
        return;
    }
    const struct command *c = find_command(argv[0]);
    if (!c) {
        printf("unknown command '%s' (help lists them)\n", argv[0]);
        return;
    }
    if (argc - 1 < c->min || argc - 1 > c->max) {
        usage(c->name);
        return;
    }
    c->fn(argc, argv);
}

/* Maps the initramfs VMO (slot WF_CHILD_INITRAMFS) read-only. */
static void map_initramfs(void)
{
    wf_word_t size = 0;
    if (wf_vmo_describe(WF_CHILD_INITRAMFS, &size, NULL, NULL, NULL) != WF_ERR_OK || !size)
        return;
    if (wf_vspace_map(WF_CHILD_VSPACE, WF_CHILD_INITRAMFS, INITRAMFS_VA, 0, size, WF_VM_READ) !=
        WF_ERR_OK)
        return;
    sh.initramfs = (const uint8_t *)INITRAMFS_VA;
    sh.initramfs_len = size;
}

static void setup(void)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    sh.radix = si->cnode_radix >= 8 ? (unsigned)si->cnode_radix : 8;
    wf_word_t n = 1ull << sh.radix;
    sh.user_end = n / 4;
    sh.own_first = n / 4;
    sh.own_end = n / 2 - SH_FS_SLOTS - SH_NET_SLOTS; /* then fs.c's and net.c's slots */
    wf_word_t prio = 100, mcp = 100;
    wf_tcb_describe(si->self_tcb, NULL, &prio, &mcp, NULL);
    sh.prio = (unsigned)(prio < mcp ? prio : mcp);
    sh.self_tcb = si->self_tcb;
    sh.env = (struct wf_spawn_env){.cnode = SELF,
                                   .cnode_radix = sh.radix,
                                   .untyped = WF_CHILD_UNTYPED,
                                   .pool = WF_CHILD_POOL,
                                   .vspace = WF_CHILD_VSPACE,
                                   .tcb = si->self_tcb,
                                   .next_slot = sh.own_first,
                                   .end_slot = sh.own_end};
    map_initramfs();
}

int main(void)
{
    setup();
    printf("Weft shell: %s lists the commands.\n", "help");
    char line[LINE_MAX];
    for (;;) {
        reap_children();
        printf("%s", PROMPT);
        fflush(stdout);
        if (!first_prompt_tsc)
            first_prompt_tsc = wf_cycles();
        if (!read_line(PROMPT, line, sizeof(line))) {
            printf("^C\n");
            continue;
        }
        run_line(line);
        fflush(stdout);
    }
}
