/*
 * The suite runner (see wftest.h): the shared runner (tap.h) walks the wf_tests
 * section and prints TAP 14; after every test this file revokes the arena and
 * empties the scratch slots so that one test's leftovers (objects, threads,
 * processes) cannot change the next one's result. Each test runs under a
 * setjmp-style point (x86-64: __builtin_setjmp; aarch64, where clang has no
 * such builtin: skip_setjmp below), so that test_skip_now can end it from any
 * depth.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/syscall.h"
#include "wftest.h"

extern const struct tap_test __start_wf_tests[], __stop_wf_tests[];

const struct wf_bootinfo *test_bootinfo;

wf_cptr_t test_slot(unsigned i)
{
    if (i >= TEST_SCRATCH_SLOTS)
        return 0; /* the null slot: every use fails visibly */
    return test_bootinfo->first_free_slot + i;
}

wf_cptr_t test_arena(void)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    wf_cptr_t best = 0;
    unsigned best_bits = 0;
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++)
        if (!bi->untyped[i].device && bi->untyped[i].size_bits > best_bits) {
            best_bits = bi->untyped[i].size_bits;
            best = bi->untyped_first + i;
        }
    return best;
}

/* Destroys what the test made, then empties the scratch slots; a failure here
 * fails the test that left them. */
static void clean_scratch(void)
{
    wf_cptr_t arena = test_arena();
    if (arena) {
        enum wf_error e = wf_cnode_revoke(WF_ROOT_CNODE, arena, 64);
        if (e != WF_ERR_OK)
            tap_fail(__FILE__, __LINE__, "revoking the arena: %s", wf_error_name(e));
    }
    for (unsigned i = 0; i < TEST_SCRATCH_SLOTS; i++) {
        enum wf_error e = wf_cnode_delete(WF_ROOT_CNODE, test_slot(i), 64);
        if (e != WF_ERR_OK)
            tap_fail(__FILE__, __LINE__, "cleaning scratch slot %u: %s", i, wf_error_name(e));
    }
}

static bool in_test;

#if defined(__x86_64__)
static void *skip_jb[5]; /* __builtin_setjmp's buffer */
#define SKIP_SETJMP()  __builtin_setjmp(skip_jb)
#define SKIP_LONGJMP() __builtin_longjmp(skip_jb, 1)
#elif defined(__aarch64__)
/* The callee-saved state of AAPCS64: x19-x28, the frame pointer x29, the
 * link register x30, sp, and d8-d15. skip_setjmp returns 0 when called and 1
 * when skip_longjmp comes back to it. */
static uint64_t skip_jb[22];
int skip_setjmp(uint64_t *jb) __attribute__((returns_twice));
__attribute__((noreturn)) void skip_longjmp(uint64_t *jb);
__asm__(".text\n"
        ".p2align 2\n"
        ".globl skip_setjmp\n"
        "skip_setjmp:\n\t"
        "stp x19, x20, [x0, #0]\n\t"
        "stp x21, x22, [x0, #16]\n\t"
        "stp x23, x24, [x0, #32]\n\t"
        "stp x25, x26, [x0, #48]\n\t"
        "stp x27, x28, [x0, #64]\n\t"
        "stp x29, x30, [x0, #80]\n\t"
        "mov x1, sp\n\t"
        "str x1, [x0, #96]\n\t"
        "stp d8, d9, [x0, #104]\n\t"
        "stp d10, d11, [x0, #120]\n\t"
        "stp d12, d13, [x0, #136]\n\t"
        "stp d14, d15, [x0, #152]\n\t"
        "mov x0, #0\n\t"
        "ret\n"
        ".globl skip_longjmp\n"
        "skip_longjmp:\n\t"
        "ldp x19, x20, [x0, #0]\n\t"
        "ldp x21, x22, [x0, #16]\n\t"
        "ldp x23, x24, [x0, #32]\n\t"
        "ldp x25, x26, [x0, #48]\n\t"
        "ldp x27, x28, [x0, #64]\n\t"
        "ldp x29, x30, [x0, #80]\n\t"
        "ldr x1, [x0, #96]\n\t"
        "mov sp, x1\n\t"
        "ldp d8, d9, [x0, #104]\n\t"
        "ldp d10, d11, [x0, #120]\n\t"
        "ldp d12, d13, [x0, #136]\n\t"
        "ldp d14, d15, [x0, #152]\n\t"
        "mov x0, #1\n\t"
        "ret\n");
#define SKIP_SETJMP()  skip_setjmp(skip_jb)
#define SKIP_LONGJMP() skip_longjmp(skip_jb)
#elif defined(__riscv)
/* skip_riscv64.c: ra, sp, s0-s11, fs0-fs11. */
static uint64_t skip_jb[26];
int skip_setjmp(uint64_t *jb) __attribute__((returns_twice));
__attribute__((noreturn)) void skip_longjmp(uint64_t *jb);
#define SKIP_SETJMP()  skip_setjmp(skip_jb)
#define SKIP_LONGJMP() skip_longjmp(skip_jb)
#else
#error "the runner's skip point is not written for this architecture"
#endif

static void run_one(void (*fn)(void))
{
    if (SKIP_SETJMP() == 0) {
        in_test = true;
        fn();
    }
    in_test = false;
}

void test_skip_now(const char *fmt, ...)
{
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    tap_skip("%s", why);
    if (in_test)
        SKIP_LONGJMP();
    for (;;) /* not called from a test: nothing to end */
        wf_sys_yield();
}

unsigned wf_test_run(const struct wf_bootinfo *bi, const char *filter)
{
    static const struct tap_runner runner = {
        .print = printf, .run = run_one, .after_each = clean_scratch};
    test_bootinfo = bi;
    return tap_run(__start_wf_tests, __stop_wf_tests, filter, &runner);
}
