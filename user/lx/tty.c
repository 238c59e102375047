/*
 * The console as a Linux terminal (docs/linux.md, "The terminal"; decisions
 * 137 and 164): lx keeps the terminal's settings (termios, the window size),
 * its session and foreground process group, and applies job control's rules
 * to the console descriptors: a read from a background group is SIGTTIN (EIO
 * when that is ignored, blocked or the group orphaned), a change of the
 * settings or a write with TOSTOP from one is SIGTTOU.
 *
 * When lx runs a program for the shell's `linux` command the console is the
 * controlling terminal of the run's session (0) and the console server hands
 * lx the bytes as typed (console.SetRaw): lx's line discipline is Linux's
 * n_tty: ICRNL, INLCR, IGNCR, ISTRIP on input; with ISIG the VINTR, VQUIT and
 * VSUSP characters are SIGINT, SIGQUIT and SIGTSTP to the foreground group
 * (the input flushed but with NOFLSH); in canonical mode the line is edited
 * (VERASE, VWERASE with IEXTEN, VKILL) and handed out a line at a time, VEOF
 * ending one without a newline (at its start: end of file); otherwise reads
 * follow VMIN and VTIME; ECHO, ECHOE, ECHOK, ECHOKE, ECHONL and ECHOCTL echo
 * as Linux does. Bytes come when the console server signals lx's
 * notification, so a read of the terminal is a waiting call like a pipe's.
 *
 * Under lx.rc no process has a controlling terminal, as under Linux's init,
 * and input is the console server's edited lines (it echoes and edits):
 * whole lines in canonical mode, what is there (at most count bytes)
 * otherwise.
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

enum { ISIG = 1, ICANON = 2, ECHO = 8, ECHOE = 0x10, ECHOK = 0x20, ECHONL = 0x40, NOFLSH = 0x80 };
enum { TOSTOP = 0x100, ECHOCTL = 0x200, ECHOKE = 0x800, IEXTEN = 0x8000 };
enum { ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80, ICRNL = 0x100 };
enum { VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6, VSUSP = 10 };
enum { VEOL = 11, VWERASE = 14, VEOL2 = 16 };

/* Bytes of lx's input queue and of the line being edited (Linux's 4 KiB). */
#define TTY_BUF   4096
#define TTY_LINES 64

static struct {
    struct lx_termios tio;
    uint16_t winsize[4];
    int sid; /* the session it is the controlling terminal of (-1: none) */
    int fg;  /* its foreground process group */
    char in[WFP_CONSOLE_TEXT_MAX];
    size_t inlen, inpos; /* a line read from the console, not handed out yet */
    /* lx's line discipline (raw: the console server gives lx raw bytes) */
    bool raw;
    char ed[TTY_BUF]; /* canonical mode: the line being edited */
    size_t edlen;
    char rq[TTY_BUF]; /* what reads take: completed lines (canonical) or bytes */
    size_t rqlen;
    size_t ends[TTY_LINES]; /* canonical: where each completed line ends in rq */
    unsigned nends;
    uint64_t last_in; /* when the last byte came (VTIME) */
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
    tty.raw = false;
    tty.edlen = tty.rqlen = tty.nends = 0;
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

/* Drops the input: the line being edited and what reads have not taken. */
static void flush_input(void)
{
    tty.edlen = tty.rqlen = tty.nends = 0;
    tty.inlen = tty.inpos = 0;
}

/* Echoes byte c: a control character as ^X with ECHOCTL (but tab and
 * newline), as itself otherwise. */
static void echo_char(unsigned char c)
{
    if ((tty.tio.lflag & ECHOCTL) && (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n') {
        char s[2] = {'^', (char)(c == 0x7f ? '?' : c + 0x40)};
        lx_out(s, 2);
    } else {
        lx_out((const char *)&c, 1);
    }
}

/* The columns byte c took when echoed (for an erase). */
static unsigned echo_width(unsigned char c)
{
    if ((c & 0xc0) == 0x80)
        return 0; /* a UTF-8 continuation byte: its character counted once */
    if ((c < 0x20 || c == 0x7f) && c != '\t')
        return (tty.tio.lflag & ECHOCTL) ? 2 : 0;
    return 1;
}

/* Erases the edit line's last character (with its UTF-8 bytes). */
static void erase_one(void)
{
    unsigned cols = 0;
    while (tty.edlen) {
        unsigned char c = (unsigned char)tty.ed[--tty.edlen];
        cols += echo_width(c);
        if ((c & 0xc0) != 0x80)
            break;
    }
    if ((tty.tio.lflag & (ECHO | ECHOE)) == (ECHO | ECHOE))
        while (cols--)
            lx_out("\b \b", 3);
}

/* Ends the edit line: it becomes readable (with its delimiter, none for VEOF). */
static void complete_line(void)
{
    if (tty.nends == TTY_LINES || tty.rqlen + tty.edlen > TTY_BUF) {
        lx_out("\a", 1); /* no room: the line is dropped */
        tty.edlen = 0;
        return;
    }
    memcpy(tty.rq + tty.rqlen, tty.ed, tty.edlen);
    tty.rqlen += tty.edlen;
    tty.ends[tty.nends++] = tty.rqlen;
    tty.edlen = 0;
}

/* One byte typed on the terminal, through the line discipline. */
static void input(unsigned char c)
{
    const struct lx_termios *t = &tty.tio;
    const uint8_t *cc = t->cc;
    if (t->iflag & ISTRIP)
        c &= 0x7f;
    if (c == '\r') {
        if (t->iflag & IGNCR)
            return;
        if (t->iflag & ICRNL)
            c = '\n';
    } else if (c == '\n' && (t->iflag & INLCR)) {
        c = '\r';
    }
    if ((t->lflag & ISIG) && c) {
        int sig = c == cc[VINTR]   ? LX_SIGINT
                  : c == cc[VQUIT] ? LX_SIGQUIT
                  : c == cc[VSUSP] ? LX_SIGTSTP
                                   : 0;
        if (sig) {
            if (!(t->lflag & NOFLSH))
                flush_input();
            if (t->lflag & ECHO)
                echo_char(c);
            if (tty.sid >= 0)
                lx_signal_group(tty.fg, sig);
            return;
        }
    }
    bool echo = t->lflag & ECHO;
    if (!(t->lflag & ICANON)) {
        if (tty.rqlen == TTY_BUF)
            return; /* full: dropped, as Linux does */
        tty.rq[tty.rqlen++] = (char)c;
        if (echo)
            echo_char(c);
        return;
    }
    if (c && c == cc[VERASE]) {
        erase_one();
        return;
    }
    if (c && c == cc[VWERASE] && (t->lflag & IEXTEN)) {
        while (tty.edlen && (tty.ed[tty.edlen - 1] == ' ' || tty.ed[tty.edlen - 1] == '\t'))
            erase_one();
        while (tty.edlen && tty.ed[tty.edlen - 1] != ' ' && tty.ed[tty.edlen - 1] != '\t')
            erase_one();
        return;
    }
    if (c && c == cc[VKILL]) {
        if (echo && !(t->lflag & ECHOKE) && !(t->lflag & ECHOE)) {
            echo_char(c); /* the kill character shown, then a new line with ECHOK */
            if (t->lflag & ECHOK)
                lx_out("\n", 1);
            tty.edlen = 0;
            return;
        }
        while (tty.edlen)
            erase_one();
        return;
    }
    if (c && c == cc[VEOF]) {
        complete_line(); /* at the start of a line: a read of 0, end of file */
        return;
    }
    bool nl = c == '\n' || (c && (c == cc[VEOL] || c == cc[VEOL2]));
    if (tty.edlen == TTY_BUF - 1 && !nl) {
        lx_out("\a", 1); /* the line is full: only its end is taken */
        return;
    }
    tty.ed[tty.edlen++] = (char)c;
    if (echo || (nl && (t->lflag & ECHONL)))
        echo_char(c);
    if (nl)
        complete_line();
}

/* The console server signalled lx: the bytes it holds, through the line
 * discipline (raw), or ^C (edited lines): SIGINT to the foreground group. */
void lx_tty_notified(void)
{
    if (!tty.raw) {
        lx_tty_interrupt();
        return;
    }
    for (;;) {
        char buf[WFP_CONSOLE_TEXT_MAX];
        wf_word_t got = 0;
        if (wfp_console_read(WF_CHILD_CONSOLE, sizeof(buf), buf, sizeof(buf), &got) != WF_ERR_OK ||
            !got)
            return;
        tty.last_in = wf_clock_ns();
        for (wf_word_t i = 0; i < got; i++)
            input((unsigned char)buf[i]);
        if (got < sizeof(buf))
            return;
    }
}

/* Turns lx's line discipline on (the console server gives raw bytes: true) or
 * off (it edits lines again: lx gives the console back). */
void lx_tty_set_raw(bool on)
{
    if (on == tty.raw || wfp_console_set_raw(WF_CHILD_CONSOLE, on) != WF_ERR_OK)
        return;
    tty.raw = on;
    flush_input();
    if (on)
        lx_tty_notified(); /* what was typed ahead */
}

/* Takes n bytes from the front of the input queue. */
static void consume(size_t n)
{
    memmove(tty.rq, tty.rq + n, tty.rqlen - n);
    tty.rqlen -= n;
    for (unsigned i = 0; i < tty.nends; i++)
        tty.ends[i] -= n;
}

/* Whether a read of the terminal would take something now (poll). */
static bool raw_ready(void)
{
    if (tty.tio.lflag & ICANON)
        return tty.nends > 0;
    return tty.rqlen > 0 || (!tty.tio.cc[VMIN] && !tty.tio.cc[VTIME]);
}

/* A read through lx's line discipline: -LX_BLOCK while it must wait. */
static long raw_read(struct lx_proc *p, uint64_t buf, uint64_t count)
{
    struct lx_thread *t = lx.calling;
    size_t n;
    if (tty.tio.lflag & ICANON) {
        if (!tty.nends)
            return -LX_BLOCK;
        n = tty.ends[0] < count ? tty.ends[0] : count;
    } else {
        /* VMIN bytes (at most count), or VTIME tenths of a second: from the
         * call (VMIN 0) or since the last byte (VMIN > 0, once one came). */
        size_t vmin = tty.tio.cc[VMIN], vtime = tty.tio.cc[VTIME];
        size_t want = vmin < count ? vmin : count;
        bool go = tty.rqlen && tty.rqlen >= want;
        if (!go && !vtime) {
            if (vmin)
                return -LX_BLOCK;
            go = true;
        }
        if (!go && t) {
            uint64_t now = wf_clock_ns();
            uint64_t end = vmin ? tty.last_in + vtime * 100000000ull
                                : (t->sleep_until ? t->sleep_until : now + vtime * 100000000ull);
            if ((vmin && !tty.rqlen) || now < end) {
                t->sleep_until = vmin && !tty.rqlen ? 0 : end;
                return -LX_BLOCK;
            }
        }
        if (t)
            t->sleep_until = 0;
        n = tty.rqlen < count ? tty.rqlen : count;
    }
    long e = lx_copy_out(p, buf, tty.rq, n);
    if (e < 0)
        return e;
    bool eof_line = (tty.tio.lflag & ICANON) && tty.ends[0] == 0;
    consume(n);
    if ((tty.tio.lflag & ICANON) && (eof_line || tty.ends[0] == 0)) {
        tty.nends--;
        memmove(tty.ends, tty.ends + 1, tty.nends * sizeof(tty.ends[0]));
    }
    return (long)n;
}

/* The console's readiness for poll (POLLIN 1 | POLLOUT 4). */
short lx_tty_poll(void)
{
    return (short)(4 | (!tty.raw || raw_ready() ? 1 : 0));
}

long lx_tty_read(struct lx_proc *p, uint64_t buf, uint64_t count)
{
    long r = check(p, LX_SIGTTIN);
    if (r)
        return r;
    if (!count)
        return 0;
    if (tty.raw)
        return raw_read(p, buf, count);
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
        bool was_canon = tty.tio.lflag & ICANON;
        tty.tio = t;
        if (req == 0x5404) {
            flush_input(); /* the input not read yet is dropped */
        } else if (was_canon && !(t.lflag & ICANON)) {
            /* the line being edited is readable at once */
            size_t n = tty.edlen < TTY_BUF - tty.rqlen ? tty.edlen : TTY_BUF - tty.rqlen;
            memcpy(tty.rq + tty.rqlen, tty.ed, n);
            tty.rqlen += n;
            tty.edlen = tty.nends = 0;
        } else if (!was_canon && (t.lflag & ICANON)) {
            /* what was not read is one line, readable at once (as Linux) */
            tty.nends = 0;
            if (tty.rqlen)
                tty.ends[tty.nends++] = tty.rqlen;
        }
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
