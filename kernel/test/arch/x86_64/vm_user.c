/*
 * Ring-3 programs on real VSpaces (vm_user.h): the code VMO, and the run loop
 * that plays the part of the thread's page-fault path.
 */
#include "vm_user.h"

#include "obj/pool.h"
#include "obj/vmo.h"
#include "obj/vspace.h"

#define PROG_SLOT 256 /* bytes per program in the code page */

#define VPROG(name) extern const uint8_t vprog_##name[], vprog_##name##_end[]
VPROG(touch);
VPROG(load);
VPROG(store);
VPROG(jump);

static const uint8_t *const progs[VPROG_COUNT][2] = {
    [VPROG_TOUCH] = {vprog_touch, vprog_touch_end},
    [VPROG_LOAD] = {vprog_load, vprog_load_end},
    [VPROG_STORE] = {vprog_store, vprog_store_end},
    [VPROG_JUMP] = {vprog_jump, vprog_jump_end},
};

enum wf_error vm_user_space(struct slot *pool_slot, struct slot *vs_dest, struct slot *code_dest)
{
    enum wf_error e = pool_create_vspace(pool_slot, vs_dest);
    if (e == WF_ERR_OK)
        e = pool_create_vmo(pool_slot, PAGE_SIZE, code_dest);
    struct vmo *code = vmo_from_cap(code_dest->cap);
    for (unsigned p = 0; e == WF_ERR_OK && p < VPROG_COUNT; p++) {
        size_t len = (size_t)(progs[p][1] - progs[p][0]);
        assert(len <= PROG_SLOT);
        e = vmo_write(code, p * PROG_SLOT, progs[p][0], len);
    }
    struct vspace *vs = vspace_from_cap(vs_dest->cap);
    if (e == WF_ERR_OK)
        e = vspace_map(vs, code, 0, VM_USER_CODE, PAGE_SIZE, VM_READ | VM_EXEC, WF_RIGHT_READ);
    /* fault the code in now, so runs count only their own faults */
    if (e == WF_ERR_OK && vm_fault(vs, VM_USER_CODE, VM_EXEC) != VM_FAULT_RESOLVED)
        e = WF_ERR_NOT_ENOUGH_MEMORY;
    return e;
}

void vm_user_load(struct arch_context *ctx, enum vm_prog prog, uint64_t rdi, uint64_t rsi)
{
    arch_context_init(ctx, VM_USER_CODE + prog * PROG_SLOT, 0);
    ctx->regs.rdi = rdi;
    ctx->regs.rsi = rsi;
}

struct vm_run vm_user_run(struct vspace *vs, struct arch_context *ctx)
{
    struct vm_run r = {0};
    vspace_activate(vs);
    for (;;) {
        r.vector = arch_user_run(ctx);
        if (r.vector != 14)
            return r;
        r.addr = ctx->fault_addr;
        r.error = ctx->regs.error;
        unsigned access = r.error & 2 ? VM_WRITE : r.error & 0x10 ? VM_EXEC : VM_READ;
        r.res = vm_fault(vs, r.addr, access);
        if (r.res != VM_FAULT_RESOLVED)
            return r;
        r.faults++;
    }
}
