/*
 * The console as a Linux terminal (docs/linux.md, "The terminal"; decision
 * 137): lx keeps the terminal's settings (termios, the window size), its
 * session and foreground process group, and applies job control's rules to
 * the console descriptors: a read from a background group is SIGTTIN (EIO
 * when that is ignored, blocked or the group orphaned), a change of the
 * settings or a write with TOSTOP from one is SIGTTOU, ^C (the console
 * server's interrupt notification) is SIGINT to the foreground group.
 *
 * Input comes from the console server one edited line at a time (it echoes
 * and edits: erase, kill, word erase), so lx's line discipline hands out
 * those lines: whole lines in canonical mode, what is there (at most count
 * bytes) otherwise. The terminal is the controlling terminal of the run's
 * session (0) when lx runs a program for the shell's `linux` command; under
 * lx.rc no process has one, as under Linux's init.
 */
#include <string.h>

#include "lx.h"
#include "weft/invoke.h"
#include "wf/proto/console.h"
#include "wf/syscall.h"

/* Linux's struct termios as the ioctls move it (without the speeds). */
struct lx_termios {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line, cc[19];
};

enum { ISIG = 1, ICANON = 2, ECHO = 8, TOSTOP = 0x100 };
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSUSP = 10 };

static struct {
    struct lx_termios tio;
    uint16_t winsize[4];
    int sid; /* the session it is the controlling terminal of (-1: none) */
    int fg;  /* its foreground process group */
    char in[WFP_CONSOLE_TEXT_MAX];
    size_t inlen, inpos; /* a line read from the console, not handed out yet */
} tty;

/* Linux's defaults for a serial line: cooked, echo, ISIG, ^C ^\ DEL ^U ^D. */
static const struct lx_termios tio_default = {
    0x500, 0x5, 0x1cb2, 0x8a3b, 0, {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22}};

void lx_tty_setup(bool controlling)
{
    tty.tio = tio_default;
    memset(tty.winsize, 0, sizeof(tty.winsize));
    tty.sid = controlling ? 0 : -1;
    tty.fg = 0;
    tty.inlen = tty.inpos = 0;
}

/* Whether p's session has the console as its controlling terminal. */
bool lx_tty_ctty(const struct lx_proc *p)
{
    return tty.sid >= 0 && p->sid == tty.sid;
}

/* Whether p ignores or blocks sig (every thread). */
static bool ignores(const struct lx_proc *p, int sig)
{
    uint64_t bit = 1ull << (sig - 1);
    if (p->sigaction[sig][0] == 1) /* SIG_IGN */
        return true;
    return lx.calling && lx.calling->p == p && (lx.calling->sigmask & bit);
}

/* Job control's check (Linux's tty_check_change): 0 when p may go on; the
 * call waits (-LX_BLOCK, made again once p goes on) after sig went to its
 * group; -EIO when sig cannot stop it. For a read (SIGTTIN) ignoring is EIO;
 * for a change (SIGTTOU) ignoring lets it go on. */
static long check(struct lx_proc *p, int sig)
{
    if (!lx_tty_ctty(p) || p->pgid == tty.fg)
        return 0;
    if (ignores(p, sig))
        return sig == LX_SIGTTIN ? -LX_EIO : 0;
    if (lx_group_orphaned(p->pgid))
        return -LX_EIO;
    lx_signal_group(p->pgid, sig);
    return -LX_BLOCK;
}

long lx_tty_read(struct lx_proc *p, uint64_t buf, uint64_t count)
{
    long r = check(p, LX_SIGTTIN);
    if (r)
        return r;
    if (!count)
        return 0;
    if (tty.inpos == tty.inlen) {
        /* One edited line from the console (blocks lx until it comes). */
        wf_word_t got = 0;
        tty.inlen = tty.inpos = 0;
        wf_word_t e =
            wfp_console_read(WF_CHILD_CONSOLE, sizeof(tty.in), tty.in, sizeof(tty.in), &got);
        if (e == WF_ERR_CANCELLED) { /* ^C: SIGINT to the foreground group, the call again */
            if (lx_tty_cancelled())
                return -LX_BLOCK;
            if (tty.sid >= 0 && !(tty.tio.lflag & ISIG)) { /* raw: ^C is a byte */
                tty.in[0] = 3;
                got = 1;
            } else {
                return -LX_EINTR;
            }
        } else if (e != WF_ERR_OK) {
            return 0; /* no console to read from: end of file */
        }
        tty.inlen = got;
    }
    size_t n = tty.inlen - tty.inpos;
    if (tty.tio.lflag & ICANON) {
        const char *nl = memchr(tty.in + tty.inpos, '\n', n);
        if (nl)
            n = (size_t)(nl - (tty.in + tty.inpos)) + 1;
    }
    if (n > count)
        n = count;
    long e = lx_copy_out(p, buf, tty.in + tty.inpos, n);
    if (e < 0)
        return e;
    tty.inpos += n;
    return (long)n;
}

/* Whether a console write by p goes on now (TOSTOP: SIGTTOU for a background
 * group): 0, -LX_BLOCK or -EIO. */
long lx_tty_write_check(struct lx_proc *p)
{
    return (tty.tio.lflag & TOSTOP) ? check(p, LX_SIGTTOU) : 0;
}

/* ^C: SIGINT to the foreground group when ISIG is on. True when one went. */
bool lx_tty_interrupt(void)
{
    if (tty.sid < 0 || !(tty.tio.lflag & ISIG))
        return false;
    tty.inlen = tty.inpos = 0; /* as Linux flushes the input */
    return lx_signal_group(tty.fg, LX_SIGINT) == 0;
}

static struct lx_proc *group_member(int pgid, int sid)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *q = &lx.proc[i];
        if (q->used && q->state == PROC_RUN && q->pgid == pgid && q->sid == sid)
            return q;
    }
    return NULL;
}

long lx_tty_ioctl(struct lx_proc *p, unsigned long req, uint64_t arg)
{
    long r;
    switch (req) {
    case 0x5401: /* TCGETS */
        return lx_copy_out(p, arg, &tty.tio, sizeof(tty.tio));
    case 0x5402: /* TCSETS, TCSETSW (nothing waits to be written), TCSETSF */
    case 0x5403:
    case 0x5404: {
        struct lx_termios t;
        if (lx_copy_in(p, &t, arg, sizeof(t)) < 0)
            return -LX_EFAULT;
        if ((r = check(p, LX_SIGTTOU)))
            return r;
        tty.tio = t;
        if (req == 0x5404)
            tty.inlen = tty.inpos = 0; /* the input not read yet is dropped */
        return 0;
    }
    case 0x5413: /* TIOCGWINSZ */
        return lx_copy_out(p, arg, tty.winsize, sizeof(tty.winsize));
    case 0x5414: { /* TIOCSWINSZ */
        uint16_t ws[4];
        if (lx_copy_in(p, ws, arg, sizeof(ws)) < 0)
            return -LX_EFAULT;
        if (memcmp(ws, tty.winsize, sizeof(ws)) && tty.sid >= 0) {
            memcpy(tty.winsize, ws, sizeof(ws));
            lx_signal_group(tty.fg, 28); /* SIGWINCH */
        }
        memcpy(tty.winsize, ws, sizeof(ws));
        return 0;
    }
    case 0x540f: { /* TIOCGPGRP */
        if (!lx_tty_ctty(p))
            return -LX_ENOTTY;
        int32_t g = tty.fg;
        return lx_copy_out(p, arg, &g, 4);
    }
    case 0x5429: { /* TIOCGSID */
        if (!lx_tty_ctty(p))
            return -LX_ENOTTY;
        int32_t s = tty.sid;
        return lx_copy_out(p, arg, &s, 4);
    }
    case 0x5410: { /* TIOCSPGRP */
        int32_t g;
        if (!lx_tty_ctty(p))
            return -LX_ENOTTY;
        if (lx_copy_in(p, &g, arg, 4) < 0)
            return -LX_EFAULT;
        if ((r = check(p, LX_SIGTTOU)))
            return r;
        if (g < 0)
            return -LX_EINVAL;
        if (!group_member(g, tty.sid))
            return g == tty.fg ? 0 : -LX_EPERM;
        tty.fg = g;
        return 0;
    }
    case 0x540e: /* TIOCSCTTY: a session leader without one takes it */
        if (lx_tty_ctty(p))
            return 0;
        if (p->sid != p->pid)
            return -LX_EPERM;
        if (tty.sid >= 0 && (arg != 1 || group_member(tty.fg, tty.sid)))
            return -LX_EPERM; /* another session's (arg 1 steals it from one with no group) */
        tty.sid = p->sid;
        tty.fg = p->pgid;
        return 0;
    case 0x5422: /* TIOCNOTTY */
        if (!lx_tty_ctty(p))
            return -LX_ENOTTY;
        if (p->sid == p->pid) { /* the leader lets it go: its foreground group is hung up */
            int fg = tty.fg;
            tty.sid = -1;
            lx_signal_group(fg, 1); /* SIGHUP */
            lx_signal_group(fg, LX_SIGCONT);
        }
        return 0;
    default:
        return -LX_ENOTTY;
    }
}
