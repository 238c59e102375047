/*
 * Host stand-ins for the kernel services that kernel code calls: the console
 * (stdout), panic (abort, so Criterion tests can expect a signal), the physical
 * memory base. kprintf and the string functions come from the kernel's own
 * kprintf.c (linked by tests that need it) or from the host C library.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/percpu.h"
#include "core/boot.h"
#include "core/bootmem.h"
#include "panic.h"
#include "sched/smp.h"
#include "kprintf.h"

uintptr_t host_phys_base;

/* The one "CPU"'s scheduler state (arch/percpu.h of the shim). */
struct cpu_local host_cpu_local;

/* Several CPUs (sched/smp.h): the host has one, so the scheduler never asks
 * another for anything; these only satisfy the linker. */
struct smp_cpu smp_cpus[SMP_MAX_CPUS];
unsigned smp_online = 1;
struct kernel_lock kernel_lock;

unsigned arch_cpu_id(void)
{
    return 0;
}

unsigned arch_cpu_count(void)
{
    return 1;
}

void arch_ipi_send(unsigned id)
{
    (void)id;
    abort();
}

void smp_stop_thread(struct tcb *t)
{
    (void)t;
    abort();
}

void smp_flush_fpu(struct tcb *t)
{
    (void)t;
}

void smp_call_many(uint64_t mask, void (*fn)(void *arg), void *arg)
{
    if (mask & 1)
        fn(arg);
}

/* The boot memory map: empty on the host, so every device range is outside it. */
struct bootmem boot_memory;

void console_write(const char *s, size_t len)
{
    fwrite(s, 1, len, stdout);
}

void panic_at(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "PANIC at %s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

/* The clock the kernel reads (arch_clock_ns): a host test sets it. */
uint64_t host_clock_ns;

uint64_t arch_clock_ns(void)
{
    return host_clock_ns;
}
