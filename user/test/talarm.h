/*
 * The machine's clock interrupt, for the tests that need a device interrupt
 * at a time of their choosing (t_smp.c: a driver woken on another CPU;
 * t_vmwork.c: a watcher woken during a long copy): the CMOS RTC's periodic
 * interrupt on QEMU pc (ISA IRQ 8, through an IOPort cap over 0x70-0x71), the
 * PL031's match interrupt on aarch64's virt (SPI 2) and the Goldfish RTC's
 * alarm on riscv64's (PLIC source 11), the last two through a device VMO over
 * TARCH_DEV_PAGE. Each raises a level (the CMOS RTC: its period's request)
 * that stays until quiet() clears it; arm() after quiet() raises it again, so
 * a driver that quiets and re-arms on every interrupt makes a periodic source
 * of any of them, at the clock's resolution (decision 184): 1/1024 s for the
 * CMOS RTC, a second for the PL031 (it counts seconds), a nanosecond for the
 * Goldfish RTC. t_irq.c tests the lines themselves.
 */
#ifndef TEST_TALARM_H
#define TEST_TALARM_H

#include "tutil.h"

#include <stdbool.h>
#include <stdint.h>

struct test_alarm {
    const char *name;
    unsigned line;          /* the IRQControl line */
    uint64_t resolution_ns; /* the shortest time arm() can wait */
    /* Reaches the clock through scratch slots from *next on (advanced past
     * those used) and, on the device-tree machines, a mapping at
     * TALARM_VA; false on failure. */
    bool (*setup)(unsigned *next);
    void (*quiet)(void);      /* its interrupt disabled and cleared */
    void (*arm)(uint64_t ns); /* raises it in about ns, rounded up to the resolution */
    bool (*raised)(void);     /* the armed event happened (before quiet) */
};

/* This machine's clock. */
extern const struct test_alarm test_alarm;

/* Where setup maps the clock's page: 64 MiB into the test's range. */
#define TALARM_VA (TEST_VA + 0x4000000ull)

#endif
