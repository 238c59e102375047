/*
 * The suite's helpers for threads, processes and objects (tutil.h), and the
 * per-test spawn environment (wftest.h): made on first use in each test from
 * the arena, which the runner revokes after the test.
 */
#include "tutil.h"

static struct wf_spawn_env env;
static unsigned env_serial;

struct wf_spawn_env *test_env(void)
{
    if (env_serial == test_serial)
        return &env;
    env = (struct wf_spawn_env){.cnode = WF_ROOT_CNODE,
                                .cnode_radix = (unsigned)test_bootinfo->cnode_radix,
                                .untyped = test_arena(),
                                .vspace = WF_ROOT_VSPACE,
                                .tcb = WF_ROOT_TCB,
                                .next_slot = test_slot(TEST_ENV_FIRST_SLOT),
                                .end_slot = test_slot(0) + TEST_SCRATCH_SLOTS};
    if (!env.untyped || wf_env_retype(&env, WF_OBJ_POOL, TEST_POOL_BITS, &env.pool) != WF_ERR_OK)
        return NULL;
    env_serial = test_serial;
    return &env;
}

wf_cptr_t test_obj(wf_word_t type, wf_word_t size_bits)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c;
    return e && wf_env_retype(e, type, size_bits, &c) == WF_ERR_OK ? c : 0;
}

wf_cptr_t test_vmo(wf_word_t size)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c;
    return e && wf_env_create(e, WF_OBJ_VMO, size, &c) == WF_ERR_OK ? c : 0;
}

enum wf_error test_child(struct wf_process *p)
{
    const void *elf;
    size_t len;
    struct wf_spawn_env *e = test_env();
    if (!e)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    if (!wf_initramfs_find(test_bootinfo, "uchild", &elf, &len))
        return WF_ERR_INVALID_ARGUMENT;
    return wf_process_create(e, p, elf, len, "uchild", TEST_CHILD_PRIO);
}

enum wf_error test_child_start(struct wf_process *p, wf_word_t mode, wf_word_t a1, wf_word_t a2,
                               wf_word_t a3)
{
    const wf_word_t args[WF_STARTINFO_ARGS] = {mode, a1, a2, a3};
    return wf_process_start(test_env(), p, args);
}

/* The settling sentinel: a thread at priority 1 that signals whenever it runs,
 * which is only when every other thread is blocked. */
static wf_cptr_t settle_ntfn;
static unsigned settle_serial;

static int sentinel(uintptr_t ntfn)
{
    for (;;)
        wf_sys_signal(ntfn);
}

bool test_settle(void)
{
    struct wf_spawn_env *e = test_env();
    if (!e)
        return false;
    if (settle_serial != test_serial) {
        wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0), s = wf_env_slot(e);
        static struct wf_thread t;
        if (!n || !s || wf_cnode_mint(e->cnode, s, 64, e->cnode, n, 64, WF_RIGHTS_ALL, 1) ||
            wf_thread_create(e, &t, sentinel, s, 1) || wf_thread_start(&t))
            return false;
        settle_ntfn = s;
        settle_serial = test_serial;
    }
    return wf_sys_poll(settle_ntfn, 0) == WF_ERR_OK && wf_sys_wait(settle_ntfn, 0) == WF_ERR_OK;
}

enum wf_error test_reg_read(wf_cptr_t tcb, unsigned word, wf_word_t *v)
{
    if (word >= WF_REGS_COUNT)
        return WF_ERR_RANGE_ERROR;
    unsigned first = word > WF_REGS_COUNT - 4 ? WF_REGS_COUNT - 4 : word;
    wf_word_t r[4];
    enum wf_error e = wf_tcb_read_registers(tcb, first, &r[0], &r[1], &r[2], &r[3]);
    if (e == WF_ERR_OK)
        *v = r[word - first];
    return e;
}

enum wf_error test_fault_resume(wf_cptr_t reply, const struct wf_event *ev, wf_word_t pc,
                                wf_word_t result)
{
    _Static_assert(WF_FAULT_WORD_RESULT < WF_FAULT_WORD_PC, "the result lies before the pc");
    wf_word_t regs[WF_FAULT_WORD_PC + 1];
    for (unsigned i = 0; i < WF_FAULT_WORD_PC; i++)
        regs[i] = ev->w[i];
    regs[WF_FAULT_WORD_RESULT] = result;
    regs[WF_FAULT_WORD_PC] = pc;
    return wf_fault_reply(reply, regs, WF_FAULT_WORD_PC + 1);
}

/* Index in the bootinfo list of the device untyped holding pa, or -1. */
static int device_untyped_holding(wf_word_t pa)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++) {
        const struct wf_bootinfo_untyped *u = &bi->untyped[i];
        if (u->device && u->paddr <= pa && pa - u->paddr < ((wf_word_t)1 << u->size_bits))
            return (int)i;
    }
    return -1;
}

volatile void *test_map_device_page(wf_word_t pa, wf_word_t va, unsigned *next)
{
    struct wf_spawn_env *e = test_env();
    int i = device_untyped_holding(pa);
    if (!e || i < 0)
        return NULL;
    wf_cptr_t ut = test_bootinfo->untyped_first + (unsigned)i;
    wf_word_t base = test_bootinfo->untyped[i].paddr, bits = test_bootinfo->untyped[i].size_bits;
    while (bits > 12) {
        wf_word_t half = (wf_word_t)1 << (bits - 1);
        if (wf_untyped_retype(ut, WF_OBJ_UNTYPED, bits - 1, WF_ROOT_CNODE, 0, 0, test_slot(*next),
                              2) != WF_ERR_OK)
            return NULL;
        unsigned pick = pa >= base + half;
        ut = test_slot(*next + pick);
        base += pick * half;
        bits -= 1;
        *next += 2;
    }
    wf_word_t paddr = 0, device = 0;
    if (base != (pa & ~0xfffull) || wf_untyped_describe(ut, &paddr, 0, &device, 0) != WF_ERR_OK ||
        paddr != base || device != 1)
        return NULL;
    wf_cptr_t vmo = test_slot((*next)++);
    if (wf_pool_create_device(e->pool, ut, WF_ROOT_CNODE, vmo, 64) != WF_ERR_OK ||
        wf_vspace_map(WF_ROOT_VSPACE, vmo, va, 0, 0x1000, WF_VM_READ | WF_VM_WRITE) != WF_ERR_OK)
        return NULL;
    return (volatile void *)(uintptr_t)va;
}
