/*
 * The device interrupt the irq self-tests take (kernel/test/irq_ktest.c): a
 * clock the machine has, whose interrupt reaches an IRQControl line, driven
 * from the kernel. Each architecture's test image defines ktest_alarm
 * (kernel/test/arch/<arch>/alarm.c): x86-64 the CMOS RTC's periodic
 * interrupt (ISA IRQ 8, through I/O ports), aarch64 QEMU virt's PL031 match
 * interrupt (SPI 2, line 2), riscv64 QEMU virt's Goldfish RTC alarm (PLIC
 * source 11, line 10); the user suite drives the same clocks (user/test/t_irq.c).
 */
#ifndef WEFT_KTEST_ALARM_H
#define WEFT_KTEST_ALARM_H

#include "types.h"

struct ktest_alarm {
    const char *name;     /* for messages: "the PL031" */
    unsigned line;        /* its IRQControl line */
    bool (*setup)(void);  /* reaches the device (maps its registers once); false if it cannot */
    void (*quiet)(void);  /* its interrupt disabled and any raised one cleared */
    void (*arm)(void);    /* raises the interrupt at once or within a few milliseconds */
    bool (*raised)(void); /* the armed event happened (asked before quiet) */
};

extern const struct ktest_alarm ktest_alarm;

#endif
