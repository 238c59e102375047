/*
 * Start of a native program linked with musl (decision 096).
 *
 * musl's __libc_start_main expects what Linux leaves on a new process's stack:
 * argv, a null, envp, a null, then the auxiliary vector. A Weft program starts
 * instead with its start info (wf/startinfo.h). wf_musl_start takes the runtime's
 * part of it (IPC buffer, exit endpoint, own TCB: as wf_start does), gives the
 * system call layer its caps (wf/libc.h), lays out argv = { name }, an empty
 * environment and an auxiliary vector (page size, program headers for the TLS
 * image, 16 random bytes for the stack protector, ids, the program's name), and
 * calls __libc_start_main, which sets up TLS, runs constructors, calls main and
 * exits with its value through the layer (exit_group -> wf_exit).
 */
#include <elf.h>
#include <stdint.h>
#include <string.h>

#include "wf/libc.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

int main(int argc, char **argv, char **envp);
int __libc_start_main(int (*)(int, char **, char **), int, char **, void (*)(void), void (*)(void),
                      void (*)(void));
__attribute__((noreturn)) void wf_musl_start(uintptr_t arg, uint64_t magic);

/* The ELF header, when the image's first loaded segment carries it (ld.lld). */
extern const Elf64_Ehdr __ehdr_start __attribute__((weak));

static char name[sizeof(((struct wf_startinfo *)0)->name) + 1] = "program";
static uint8_t random_bytes[16];

/* 16 bytes for AT_RANDOM: the cycle counter (wf_cycles), mixed (the CPU's random number instruction is not
 * on every target QEMU models). */
static void fill_random(void)
{
    uint64_t x = wf_cycles() ^ 0x9e3779b97f4a7c15ull;
    for (unsigned i = 0; i < sizeof(random_bytes); i++) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 29;
        random_bytes[i] = (uint8_t)x;
    }
}

void wf_musl_start(uintptr_t arg, uint64_t magic)
{
    struct wf_libc_env env = {0};
    const struct wf_startinfo *si = wf_start_info(arg, magic);
    if (si) {
        memcpy(name, si->name, sizeof(si->name));
        unsigned half = 1u << (si->cnode_radix - 1);
        env = (struct wf_libc_env){
            .cnode = WF_CHILD_CNODE,
            .pool = WF_CHILD_POOL,
            .vspace = WF_CHILD_VSPACE,
            .tcb = si->self_tcb,
            .first_slot = half,
            .nslots = half,
        };
    }
    wf_libc_init(&env);
    fill_random();

    const Elf64_Ehdr *eh = &__ehdr_start;
    static char *vec[4 + 2 * 12];
    unsigned i = 0;
    vec[i++] = name; /* argv */
    vec[i++] = 0;
    vec[i++] = 0; /* envp: empty */
#define AUX(t, v)                                                                                  \
    do {                                                                                           \
        vec[i++] = (char *)(uintptr_t)(t);                                                         \
        vec[i++] = (char *)(uintptr_t)(v);                                                         \
    } while (0)
    AUX(AT_PAGESZ, 4096);
    if (eh) {
        AUX(AT_PHDR, (uintptr_t)eh + eh->e_phoff);
        AUX(AT_PHNUM, eh->e_phnum);
        AUX(AT_PHENT, sizeof(Elf64_Phdr));
    }
    AUX(AT_RANDOM, random_bytes);
    AUX(AT_UID, 0);
    AUX(AT_EUID, 0);
    AUX(AT_GID, 0);
    AUX(AT_EGID, 0);
    AUX(AT_SECURE, 0);
    AUX(AT_EXECFN, name);
    AUX(AT_NULL, 0);
#undef AUX
    __libc_start_main(main, 1, vec, 0, 0, 0);
    __builtin_trap();
}
