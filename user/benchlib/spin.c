/* The benchmarks' idle spinner (spin.h). */
#include "spin.h"

#include "weft/invoke.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

volatile uint64_t spin_idle_ticks;
static uint8_t spin_stack[SPIN_STACK] __attribute__((aligned(16)));

static __attribute__((noreturn, used)) void spin(void)
{
    uint64_t last = spin_rdtsc();
    for (;;) {
        uint64_t t = spin_rdtsc(), d = t - last;
        last = t;
        if (d <= SPIN_STEP)
            spin_idle_ticks += d;
    }
}

enum wf_error spin_start(wf_cptr_t slot)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    wf_word_t radix = si->cnode_radix;
    enum wf_error e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_TCB, 0, WF_CHILD_CNODE, slot, 64);
    if (e == WF_ERR_OK)
        e = wf_tcb_configure(slot, WF_CHILD_CNODE, WF_CHILD_TCB, WF_GUARD(0, 64 - radix), 0,
                             SPIN_PRIO, 0);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_vspace(slot, WF_CHILD_VSPACE);
    /* As if called: the stack 8 bytes below a 16-byte boundary. */
    if (e == WF_ERR_OK)
        e = wf_tcb_write_registers(slot, WF_FAULT_WORD_RIP, 2, (wf_word_t)(uintptr_t)spin,
                                   (wf_word_t)(uintptr_t)(spin_stack + SPIN_STACK - 8), 0, 0);
    if (e == WF_ERR_OK)
        e = wf_tcb_resume(slot);
    if (e != WF_ERR_OK)
        return e;
    /* It runs whenever nothing else can: wait until it has counted. */
    for (unsigned i = 0; i < 100 && spin_idle_ticks == 0; i++)
        wf_sys_yield();
    return WF_ERR_OK;
}
