/*
 * The architecture-neutral part of the exception report: the kernel's symbol
 * table (tools/ksyms.py) and the backtrace along frame records.
 *
 * Both architectures keep a frame pointer (the kernel is built with one) whose
 * record holds the
 * caller's frame pointer at [fp] and the return address at [fp + 8]: x86-64's
 * push rbp / mov rsp, rbp, AAPCS64's stp x29, x30. Each architecture's trap.c
 * decodes its exception and prints its registers, then calls arch_backtrace.
 */
#include "arch.h"
#include "arch/memlayout.h"
#include "kprintf.h"

/* Where the record lies from the frame pointer: at it (x86-64, aarch64), or
 * below it where the frame pointer is the caller's stack pointer (riscv64's
 * s0, whose record {s0, ra} is the 16 bytes under it: arch/memlayout.h). */
#ifndef FRAME_RECORD_BIAS
#define FRAME_RECORD_BIAS 0
#endif

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_offs[];
extern const char ksyms_names[];
extern const char _text_start[], _text_end[];

const char *ksym_lookup(uintptr_t pc, uintptr_t *offset)
{
    *offset = 0;
    if (pc < (uintptr_t)_text_start || pc >= (uintptr_t)_text_end || ksyms_count == 0)
        return "?";
    /* Largest address <= pc. */
    uint64_t lo = 0, hi = ksyms_count;
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (ksyms_addrs[mid] <= pc)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_addrs[lo] > pc)
        return "?";
    *offset = pc - ksyms_addrs[lo];
    return ksyms_names + ksyms_offs[lo];
}

/* Return addresses are symbolized at ret - 1: the call may be the last
 * instruction of its function (a call to a noreturn function). */
static void print_pc(unsigned depth, uintptr_t pc, bool is_return)
{
    uintptr_t off;
    const char *name = ksym_lookup(pc - is_return, &off);
    kprintf("  #%-2u %p %s+0x%lx\n", depth, (void *)pc, name, (unsigned long)(off + is_return));
}

static bool plausible_fp(uintptr_t fp)
{
    return fp >= DIRECT_MAP_BASE && (fp & 7) == 0 && fp < ~(uintptr_t)15;
}

void arch_backtrace(uintptr_t fp, uintptr_t pc)
{
    kprintf("Backtrace:\n");
    print_pc(0, pc, false);
    for (unsigned depth = 1; depth < 32 && plausible_fp(fp); depth++) {
        const uintptr_t *frame = (const uintptr_t *)(fp - FRAME_RECORD_BIAS);
        uintptr_t ret = frame[1], next = frame[0];
        if (ret == 0)
            break;
        print_pc(depth, ret, true);
        if (next <= fp)
            break; /* frames must move toward the stack's base */
        fp = next;
    }
}
