/*
 * Running Weft's servers as child processes in the suite (srvtest.h): the test
 * is their init. The server's endpoint is the test's; the server gets a Read
 * copy in its SERVE slot, the test keeps the unbadged original (badge 0,
 * init's) and mints clients' caps from it.
 */
#include "srvtest.h"

#include "weft/invoke.h"

#define SRV_POOL_QUOTA (1u << 20)

enum wf_error srv_start(struct srv *s, const char *prog)
{
    struct wf_spawn_env *e = test_env();
    const void *elf;
    size_t len;
    if (!e || !wf_initramfs_find(test_bootinfo, prog, &elf, &len))
        return WF_ERR_INVALID_ARGUMENT;
    s->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    if (!s->ep)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err = wf_process_create(e, &s->p, elf, len, prog, TEST_CHILD_PRIO);
    if (!err)
        err = wf_process_give(e, &s->p, WF_CHILD_SERVE, s->ep, WF_RIGHT_READ, 0);
    if (!err)
        err = wf_process_give_pool(e, &s->p, SRV_POOL_QUOTA, &s->pool);
    if (!err)
        err = wf_process_start(e, &s->p, 0);
    if (!err && !test_settle())
        err = WF_ERR_NOT_ENOUGH_MEMORY;
    return err;
}

wf_cptr_t srv_client(struct srv *s, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c = e ? wf_env_slot(e) : 0;
    if (!c || wf_cnode_mint(WF_ROOT_CNODE, c, 64, WF_ROOT_CNODE, s->ep, 64, WF_RIGHTS_ALL, badge))
        return 0;
    return c;
}

unsigned srv_caps(struct srv *s, wf_word_t first, wf_word_t end)
{
    const wf_cptr_t probe = test_slot(63);
    unsigned n = 0;
    for (wf_word_t i = first; i < end; i++) {
        if (wf_cnode_copy(WF_ROOT_CNODE, probe, 64, s->p.cnode, i, WF_CHILD_CNODE_RADIX,
                          WF_RIGHTS_ALL) == WF_ERR_OK) {
            n++;
            wf_cnode_delete(WF_ROOT_CNODE, probe, 64);
        }
    }
    return n;
}

static struct {
    int (*call)(uintptr_t);
    uintptr_t arg;
    volatile wf_word_t err;
    volatile bool done;
} mid;

static int mid_client(uintptr_t unused)
{
    mid.err = (wf_word_t)mid.call(mid.arg);
    mid.done = true;
    return 0;
}

enum wf_error srv_kill_mid_call(struct srv *s, int (*call)(uintptr_t), uintptr_t arg,
                                wf_word_t *err)
{
    struct wf_spawn_env *e = test_env();
    struct wf_thread t;
    enum wf_error r;
    mid.call = call;
    mid.arg = arg;
    mid.err = 0;
    mid.done = false;
    *err = 1000;
    if (!e || !test_settle())
        return WF_ERR_NOT_ENOUGH_MEMORY;
    if ((r = wf_tcb_set_priority(s->p.main.tcb, WF_ROOT_TCB, 0)) != WF_ERR_OK)
        return r;
    if ((r = wf_thread_create(e, &t, mid_client, 0, TEST_CHILD_PRIO)) != WF_ERR_OK ||
        (r = wf_thread_start(&t)) != WF_ERR_OK)
        return r;
    /* The client calls; the server has the message but never runs. */
    if (!test_settle())
        return WF_ERR_NOT_ENOUGH_MEMORY;
    if (mid.done) {
        *err = 1000;
        return WF_ERR_OK;
    }
    wf_process_destroy(e, &s->p);
    struct wf_event ev;
    if ((r = wf_thread_wait(&t, &ev)) != WF_ERR_OK)
        return r;
    *err = mid.done ? mid.err : 2000;
    return WF_ERR_OK;
}

static int catch_one(uintptr_t arg)
{
    struct srv_catch *c = (struct srv_catch *)arg;
    struct wf_msgregs m = {0};
    if (wf_sys_recv(c->ep, 0, &m) != WF_ERR_OK)
        return 1;
    c->badge = m.badge;
    c->w0 = m.w[0];
    return 0;
}

enum wf_error srv_catch_start(struct srv_catch *c, wf_cptr_t ep)
{
    struct wf_spawn_env *e = test_env();
    if (!e)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    c->badge = c->w0 = ~(wf_word_t)0;
    c->ep = ep;
    enum wf_error r = wf_thread_create(e, &c->t, catch_one, (uintptr_t)c, TEST_CHILD_PRIO);
    if (!r)
        r = wf_thread_start(&c->t);
    return r;
}

enum wf_error srv_catch_send(struct srv_catch *c, wf_cptr_t cap, wf_word_t w0)
{
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 1)};
    m.w[0] = w0;
    enum wf_error r = (enum wf_error)wf_sys_send(cap, &m);
    if (r != WF_ERR_OK)
        return r;
    struct wf_event ev;
    return wf_thread_wait(&c->t, &ev);
}
