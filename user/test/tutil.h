/*
 * Helpers of the suites that start threads and processes (guest only; the
 * host build of the suite links boot/ and cnode/ alone). See wftest.h for the
 * arena and the environment every test gets.
 */
#ifndef WF_TUTIL_H
#define WF_TUTIL_H

#include "uchild.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/spawn.h"
#include "wf/syscall.h"
#include "wftest.h"

/* Declares e, the running test's environment, failing the test without one. */
#define TEST_ENV(e)                                                                                \
    struct wf_spawn_env *e = test_env();                                                           \
    TEST_ASSERT(e != NULL, "no test environment (arena or pool)")

/* Retypes one object from the environment; 0 on failure. */
wf_cptr_t test_obj(wf_word_t type, wf_word_t size_bits);

/* Creates an anonymous VMO of size bytes from the environment's pool; 0 on failure. */
wf_cptr_t test_vmo(wf_word_t size);

/* Creates uchild as process p at TEST_CHILD_PRIO (not started). */
enum wf_error test_child(struct wf_process *p);

/* Starts p with args {mode, a1, a2, a3}. */
enum wf_error test_child_start(struct wf_process *p, wf_word_t mode, wf_word_t a1, wf_word_t a2,
                               wf_word_t a3);

/* Returns once every thread above priority 1 is blocked (waits for a sentinel
 * thread at priority 1 to signal); false if the sentinel cannot be made. */
bool test_settle(void);

/* Reads register word (enum wf_fault_word) of thread tcb into *v: one
 * TCB_ReadRegisters of the four words that hold it (the last four when word is
 * near the end: aarch64's PC is word 32 of 34). */
enum wf_error test_reg_read(wf_cptr_t tcb, unsigned word, wf_word_t *v);

/* Answers the fault ev of the thread whose Reply object is reply: the thread
 * resumes at pc with RESULT set to result, every register before PC as the
 * fault message had it (a reply of WF_FAULT_WORD_PC + 1 words). */
enum wf_error test_fault_resume(wf_cptr_t reply, const struct wf_event *ev, wf_word_t pc,
                                wf_word_t result);

/* Maps the page at physical address pa (in a device untyped of the bootinfo)
 * at va in the root VSpace through a device VMO: the device untyped holding
 * it is split down to that page in scratch slots from *next on (advanced past
 * the ones used, the VMO's included). NULL on failure. */
volatile void *test_map_device_page(wf_word_t pa, wf_word_t va, unsigned *next);

/* A free address range for a test's own mappings in the root VSpace (31 GiB or
 * more: the layout's scratch region, 96 TiB on a space of 2^47, 96 GiB under
 * riscv64's Sv39; wf/layout.h), unmapped again by the arena's revocation, which
 * destroys the VMOs. */
#define TEST_VA (wf_layout.scratch)

#endif
