/*
 * The console server (user/console, decision 102) as a child process of the
 * suite, and the console output of child programs (wf_console_write,
 * wf_reconnect).
 *
 * consrv/: the suite starts `console` with what init would give it (its SERVE
 * endpoint, a pool, an IOPort cap over COM1 issued from the root's, IRQ 4 from
 * IRQControl; on aarch64 the device untyped and SPI 1, the PL011's) and calls it with caps of several badges: Write answers with the
 * bytes written (they go out on the serial line, between the TAP lines);
 * malformed messages are answered with errors and the server serves on; a Read
 * of a client outside the foreground waits, SetForeground is refused to other
 * clients, and a client waiting when the server dies gets CANCELLED; without
 * its caps the server exits with status 1. Typing cannot be done from here: the
 * line editor and ^C are tested on the host (test_lineedit, test_consrv).
 *
 * conclient/: uchild, a plain child program, prints one line (its "unknown
 * mode" message) with a console cap to a stand-in console server run by a
 * thread here, which records what arrives: directly, and through a name
 * server stand-in (the same thread) when its console cap is gone.
 */
#include <string.h>

#include "tutil.h"
#include "weft/objects.h"
#include "wf/proto/console.h"
#include "wf/pci_bus.h"
#include "wf/proto/name.h"
#include "wf/server.h"
#include "wf/startinfo.h"

#ifdef __x86_64__
#define COM1_FIRST 0x3f8
#define COM1_LAST  0x3ff
#define COM1_IER   0x3f9
#define UART_LINE  4 /* ISA line 4 */
#elif defined(__riscv)
#define UART_LINE 9 /* QEMU virt's NS16550: PLIC source 10 (decision 143) */
#else
#define UART_LINE 1 /* QEMU virt's PL011: SPI 1 (decision 154) */
#endif
#define CLIENT_RIGHTS (WF_RIGHT_WRITE | WF_RIGHT_GRANT)

struct console_child {
    struct wf_process p;
    wf_cptr_t ep, io, irq;
};

/* Starts the console server; without the IRQ cap when give_irq is false. */
static enum wf_error console_start(struct console_child *c, bool give_irq)
{
    struct wf_spawn_env *e = test_env();
    const void *elf;
    size_t len;
    if (!e || !wf_initramfs_find(test_bootinfo, "console", &elf, &len))
        return WF_ERR_INVALID_ARGUMENT;
    c->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    c->io = test_slot(0);
    c->irq = test_slot(1);
    if (!c->ep)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err;
    wf_cptr_t pool;
    if ((err = wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, UART_LINE, WF_IRQ_TRIGGER_DEFAULT,
                                 WF_ROOT_CNODE, c->irq, 64)) ||
        (err = wf_process_create(e, &c->p, elf, len, "console", TEST_CHILD_PRIO)) ||
        (err = wf_process_give_pool(e, &c->p, 2u << 20, &pool)) ||
        (err = wf_process_give(e, &c->p, WF_CHILD_SERVE, c->ep, WF_RIGHT_READ, 0)))
        return err;
#ifdef __x86_64__
    if ((err = wf_ioport_issue(WF_ROOT_IOPORT, COM1_FIRST, COM1_LAST, WF_ROOT_CNODE, c->io, 64)) ||
        (err = wf_process_give(e, &c->p, WF_CHILD_IOPORT, c->io, WF_RIGHTS_ALL, 0)))
        return err;
#else
    /* The PL011's registers: copies of the device untyped, as init's devmem. */
    const struct wf_bootinfo *bi = test_bootinfo;
    for (unsigned k = 0, n = 0;
         k < bi->untyped_count && k < WF_BOOTINFO_MAX_UNTYPED && n < PCIBUS_DEVMEM_MAX; k++)
        if (bi->untyped[k].device &&
            (err = wf_process_give(e, &c->p, PCIBUS_SLOT_DEVMEM + n++, bi->untyped_first + k,
                                   WF_RIGHTS_ALL, 0)))
            return err;
#endif
    if (give_irq && (err = wf_process_give(e, &c->p, WF_CHILD_IRQ, c->irq, WF_RIGHTS_ALL, 0)))
        return err;
    return wf_process_start(e, &c->p, 0);
}

/* Ends the server: the UART's receive interrupt off, the process destroyed.
 * The line keeps its copy of the server's notification (made from the server's
 * pool) until the test's handler cap goes: the notification, and so the pool,
 * outlive the process. */
static void console_stop(struct console_child *c)
{
#ifdef __x86_64__
    wf_ioport_out(c->io, COM1_IER, 1, 0);
#endif
    wf_process_destroy(test_env(), &c->p);
}

/* A client cap of the console with badge, in test_slot(slot). */
static wf_cptr_t client(struct console_child *c, unsigned slot, wf_word_t badge)
{
    wf_cptr_t s = test_slot(slot);
    if (wf_cnode_mint(WF_ROOT_CNODE, s, 64, WF_ROOT_CNODE, c->ep, 64, CLIENT_RIGHTS, badge))
        return 0;
    return s;
}

TEST(consrv, write_is_answered_with_the_bytes_written)
{
    struct console_child c;
    TEST_ASSERT_ERR(console_start(&c, true), WF_ERR_OK);
    wf_cptr_t init = client(&c, 2, 0), other = client(&c, 3, 12);
    TEST_ASSERT(init && other);
    static const char line[] = "# consrv: a line through the console server\n";
    wf_word_t n = 0;
    TEST_ASSERT_ERR(wfp_console_write(init, line, sizeof(line) - 1, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(n, sizeof(line) - 1);
    /* Any client may write; the longest Write, in one message. */
    static char big[WFP_CONSOLE_TEXT_MAX];
    memset(big, '.', sizeof(big));
    memcpy(big, "# consrv: ", 10);
    big[sizeof(big) - 1] = '\n';
    TEST_ASSERT_ERR(wfp_console_write(other, big, sizeof(big), &n), WF_ERR_OK);
    TEST_ASSERT_EQ(n, sizeof(big));
    TEST_ASSERT_ERR(wfp_console_write(other, "", 0, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(n, 0);
    console_stop(&c);
}

TEST(consrv, bad_messages_are_refused_and_the_server_serves_on)
{
    struct console_child c;
    TEST_ASSERT_ERR(console_start(&c, true), WF_ERR_OK);
    wf_cptr_t cl = client(&c, 2, 3);
    TEST_ASSERT(cl);
    wf_word_t w[4] = {0}, rep[3];
    /* A label of no message, one outside the protocol. */
    TEST_ASSERT_ERR(wf_call(cl, WFP_CONSOLE_LAST, w, 0, 0, 0, rep, 0), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_call(cl, 0x12345, w, 1, 0, 0, rep, 0), WF_ERR_ILLEGAL_OPERATION);
    /* Write without its count; with a count above TEXT_MAX; with missing bytes. */
    TEST_ASSERT_ERR(wf_call(cl, WFP_CONSOLE_WRITE, w, 0, 0, 0, rep, 2), WF_ERR_TRUNCATED_MESSAGE);
    w[0] = WFP_CONSOLE_TEXT_MAX + 1;
    TEST_ASSERT_ERR(wf_call(cl, WFP_CONSOLE_WRITE, w, 1, 0, 0, rep, 3), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(rep[2], WFP_CONSOLE_TEXT_MAX);
    w[0] = 20;
    TEST_ASSERT_ERR(wf_call(cl, WFP_CONSOLE_WRITE, w, 2, 0, 0, rep, 0), WF_ERR_TRUNCATED_MESSAGE);
    /* Read with an extra word; with max 0 and above TEXT_MAX. */
    w[0] = 10;
    TEST_ASSERT_ERR(wf_call(cl, WFP_CONSOLE_READ, w, 2, 0, 0, rep, 0), WF_ERR_INVALID_ARGUMENT);
    char buf[8];
    wf_word_t n;
    TEST_ASSERT_ERR(wfp_console_read(cl, 0, buf, sizeof(buf), &n), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_console_read(cl, WFP_CONSOLE_TEXT_MAX + 1, buf, sizeof(buf), &n),
                    WF_ERR_RANGE_ERROR);
    /* SetInterrupt without its cap. */
    TEST_ASSERT_ERR(wf_call(cl, WFP_CONSOLE_SET_INTERRUPT, w, 0, 0, 0, rep, 0),
                    WF_ERR_TRUNCATED_MESSAGE);
    /* A message dressed as a bound notification's signal: the server takes it
     * for one (no answer; its next receive names the same Reply object, which
     * ends the call with CANCELLED, wf/server.h), or, where the kernel's fast
     * path cuts the label to its low 32 bits of the info word (FAST_OUT_FIELDS
     * is an unsigned int), it arrives as a label of no protocol. Either way
     * the call ends and the server goes on. */
    wf_word_t fe = wf_call(cl, WF_MSG_LABEL_NOTIFICATION, w, 0, 0, 0, rep, 0);
    TEST_ASSERT(fe == WF_ERR_CANCELLED || fe == WF_ERR_ILLEGAL_OPERATION, "%s", wf_error_name(fe));
    /* Through all of it, the server still works. */
    TEST_ASSERT_ERR(wfp_console_write(cl, "# consrv: still here\n", 21, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(n, 21);
    console_stop(&c);
}

TEST(consrv, set_interrupt_takes_a_notification)
{
    struct console_child c;
    TEST_ASSERT_ERR(console_start(&c, true), WF_ERR_OK);
    wf_cptr_t cl = client(&c, 2, 4);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(cl && ntfn);
    TEST_ASSERT_ERR(wfp_console_set_interrupt(cl, ntfn), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_console_set_interrupt(cl, ntfn), WF_ERR_OK); /* replaces it */
    /* The server keeps a copy: ours is still there, unsignalled. */
    wf_word_t bits = 1;
    TEST_ASSERT_ERR(wf_sys_poll(ntfn, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    wf_word_t n;
    TEST_ASSERT_ERR(wfp_console_write(cl, "# consrv: interrupt set\n", 24, &n), WF_ERR_OK);
    console_stop(&c);
}

static struct {
    wf_cptr_t cap;
    wf_word_t err, len;
    char text[64];
} rd;

static int reader(uintptr_t arg)
{
    (void)arg;
    rd.err = wfp_console_read(rd.cap, sizeof(rd.text), rd.text, sizeof(rd.text), &rd.len);
    return 0;
}

TEST(consrv, reads_wait_outside_the_foreground_and_end_when_the_server_dies)
{
    TEST_ENV(e);
    struct console_child c;
    TEST_ASSERT_ERR(console_start(&c, true), WF_ERR_OK);
    wf_cptr_t init = client(&c, 2, 0), five = client(&c, 3, 5), seven = client(&c, 4, 7);
    TEST_ASSERT(init && five && seven);
    /* Client 5 reads: it is not in the foreground, so its Read waits. */
    memset(&rd, 0, sizeof(rd));
    rd.cap = five;
    rd.err = ~0ull;
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, reader, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(rd.err, ~0ull);
    /* Only the foreground client (badge 0 now) or badge 0 may move the foreground. */
    TEST_ASSERT_ERR(wfp_console_set_foreground(five, 5), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_console_set_foreground(seven, 5), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_console_set_foreground(init, 7), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_console_set_foreground(seven, 5), WF_ERR_OK); /* 7 hands it on */
    TEST_ASSERT_ERR(wfp_console_set_foreground(seven, 7), WF_ERR_ILLEGAL_OPERATION);
    /* In the foreground now, 5 still waits: nothing was typed. */
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(rd.err, ~0ull);
    /* The server dies (init would restart it): the waiting Read ends CANCELLED. */
    console_stop(&c);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_ERR(rd.err, WF_ERR_CANCELLED);
    TEST_ASSERT_EQ(rd.len, 0);
}

TEST(consrv, without_its_caps_the_server_exits_with_status_1)
{
    struct console_child c;
    TEST_ASSERT_ERR(console_start(&c, false), WF_ERR_OK); /* no IRQ */
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&c.p.main, &ev), WF_ERR_OK);
    TEST_ASSERT(ev.label == WF_EXIT_LABEL, "fault %lu at %#lx", (unsigned long)ev.label,
                (unsigned long)ev.w[0]);
    TEST_ASSERT_EQ(ev.w[0], 1);
    console_stop(&c);
}

/* --- conclient/: a child's output through a stand-in console --------------------- */

#define FAKE_BADGE_LOOKED_UP 42

static struct {
    char text[256];
    size_t len;
    wf_word_t writer_badge;
    unsigned writes, lookups;
    wf_cptr_t handout; /* the endpoint Lookup hands out */
} fk;

static wf_word_t fk_write(struct wf_server *s, struct wf_server_req *r, const char *text,
                          wf_word_t len, wf_word_t *written)
{
    (void)s;
    size_t room = sizeof(fk.text) - fk.len;
    size_t n = len < room ? len : room;
    memcpy(fk.text + fk.len, text, n);
    fk.len += n;
    fk.writer_badge = r->badge;
    fk.writes++;
    *written = len;
    return WF_ERR_OK;
}

static wf_word_t fk_lookup(struct wf_server *s, struct wf_server_req *r, const char *name,
                           wf_word_t len, wf_cptr_t *endpoint)
{
    (void)s;
    (void)r;
    fk.lookups++;
    if (len != 7 || memcmp(name, "console", 7))
        return WF_ERR_FAILED_LOOKUP;
    *endpoint = fk.handout;
    return WF_ERR_OK;
}

static const struct wfp_console_handlers fk_console = {.on_write = fk_write};
static const struct wfp_name_handlers fk_name = {.on_lookup = fk_lookup};
static const struct wf_server_proto fk_protos[] = {WFP_NAME_PROTO_ENTRY(&fk_name),
                                                   WFP_CONSOLE_PROTO_ENTRY(&fk_console)};
static struct wf_server fk_srv;

static int fk_main(uintptr_t arg)
{
    (void)arg;
    return (int)wf_server_run(&fk_srv);
}

/* Starts the stand-in (console and name on one endpoint, *ep). */
static enum wf_error fake_start(struct wf_thread *t, wf_cptr_t *ep)
{
    struct wf_spawn_env *e = test_env();
    memset(&fk, 0, sizeof(fk));
    fk_srv = (struct wf_server){.ep = test_obj(WF_OBJ_ENDPOINT, 0),
                                .recv_cnode = WF_ROOT_CNODE,
                                .recv_slot = test_slot(10),
                                .protos = fk_protos,
                                .nprotos = 2};
    wf_cptr_t reply = test_obj(WF_OBJ_REPLY, 0);
    fk.handout = test_slot(11);
    if (!e || !fk_srv.ep || !reply)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err;
    if ((err = wf_cnode_mint(WF_ROOT_CNODE, fk.handout, 64, WF_ROOT_CNODE, fk_srv.ep, 64,
                             CLIENT_RIGHTS, FAKE_BADGE_LOOKED_UP)) ||
        (err = wf_server_init(&fk_srv, &reply, 1)) ||
        (err = wf_thread_create(e, t, fk_main, 0, TEST_CHILD_PRIO)))
        return err;
    *ep = fk_srv.ep;
    return wf_thread_start(t);
}

/* Runs uchild in a mode it does not know, so that it prints its complaint and
 * exits with 251, with console cap `console` (0: none) and name cap `name`
 * (0: none) minted with badges 33 and 44. */
static enum wf_error run_printer(wf_cptr_t console, wf_cptr_t name)
{
    struct wf_spawn_env *e = test_env();
    struct wf_process p;
    enum wf_error err;
    if ((err = test_child(&p)))
        return err;
    if (console && (err = wf_process_give(e, &p, WF_CHILD_CONSOLE, console, CLIENT_RIGHTS, 33)))
        return err;
    if (name && (err = wf_process_give(e, &p, WF_CHILD_NAME, name, CLIENT_RIGHTS, 44)))
        return err;
    if ((err = test_child_start(&p, 99, 0, 0, 0)))
        return err;
    struct wf_event ev;
    if ((err = wf_thread_wait(&p.main, &ev)))
        return err;
    if (ev.label != WF_EXIT_LABEL || ev.w[0] != 251)
        return WF_ERR_ILLEGAL_OPERATION;
    wf_process_destroy(e, &p);
    return WF_ERR_OK;
}

static const char complaint[] = "uchild: unknown mode 99\n";

TEST(conclient, a_child_prints_through_its_console_cap)
{
    struct wf_thread t;
    wf_cptr_t ep;
    TEST_ASSERT_ERR(fake_start(&t, &ep), WF_ERR_OK);
    TEST_ASSERT_ERR(run_printer(ep, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(fk.writes, 1);
    TEST_ASSERT_EQ(fk.writer_badge, 33);
    TEST_ASSERT_EQ(fk.len, sizeof(complaint) - 1);
    TEST_ASSERT(!memcmp(fk.text, complaint, fk.len), "got '%.*s'", (int)fk.len, fk.text);
    TEST_ASSERT_EQ(fk.lookups, 0);
}

TEST(conclient, a_child_whose_console_is_gone_reconnects_through_the_name_server)
{
    struct wf_thread t;
    wf_cptr_t ep;
    TEST_ASSERT_ERR(fake_start(&t, &ep), WF_ERR_OK);
    /* Its console cap is to an endpoint revoked before it prints (a restarted
     * server's old one): the slot is empty when it writes. */
    wf_cptr_t old = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(old);
    struct wf_spawn_env *e = test_env();
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_give(e, &p, WF_CHILD_CONSOLE, old, CLIENT_RIGHTS, 33), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_give(e, &p, WF_CHILD_NAME, ep, CLIENT_RIGHTS, 44), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, old, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, 99, 0, 0, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.w[0], 251);
    TEST_ASSERT_EQ(fk.lookups, 1);
    TEST_ASSERT_EQ(fk.writes, 1);
    TEST_ASSERT_EQ(fk.writer_badge, FAKE_BADGE_LOOKED_UP); /* through the looked-up cap */
    TEST_ASSERT(fk.len == sizeof(complaint) - 1 && !memcmp(fk.text, complaint, fk.len),
                "got '%.*s'", (int)fk.len, fk.text);
    wf_process_destroy(e, &p);
}

TEST(conclient, a_child_without_console_or_name_prints_through_the_kernel)
{
    struct wf_thread t;
    wf_cptr_t ep;
    TEST_ASSERT_ERR(fake_start(&t, &ep), WF_ERR_OK);
    TEST_ASSERT_ERR(run_printer(0, 0), WF_ERR_OK); /* (a debug build: DEBUG_PUTC) */
    TEST_ASSERT_EQ(fk.writes + fk.lookups, 0);
}
