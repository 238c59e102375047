/* x86_64 trap frames and vector assignments. */
#ifndef WEFT_ARCH_TRAP_H
#define WEFT_ARCH_TRAP_H

#include "types.h"

/* Saved by traps.S; the order matches its pushes (r15 at the lowest address). */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "traps.S pushes 22 words");

#define VEC_PIC_BASE  0x20 /* legacy 8259 IRQ 0-15 */
#define VEC_LINE_BASE 0x30 /* I/O APIC lines 0 .. IRQ_LINES_MAX - 1 (arch/irqchip.h) */
#define VEC_TIMER     0xf0 /* local APIC timer */
#define VEC_IPI       0xf1 /* an inter-processor interrupt (smp_ipi) */
#define VEC_SPURIOUS  0xff

#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
/* 0x18 is a null descriptor: sysret takes the user data and code selectors as
 * STAR's base + 8 and + 16, and a 32-bit code segment there would let a thread
 * enter compatibility mode (decision 080). */
#define GDT_SYSRET_BASE 0x18
#define GDT_UDATA       0x20
#define GDT_UCODE       0x28
#define GDT_TSS         0x30

/* A task-state segment: rsp[0] is where the CPU puts the frame of a trap from
 * user mode (the current thread's context, arch_context_activate); each CPU's
 * is in its struct percpu (arch/context.h). */
struct __packed tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iopb;
};
_Static_assert(sizeof(struct tss) == 104, "TSS is 104 bytes");

typedef void (*trap_handler_fn)(struct trap_frame *tf);

/* Installs fn for an interrupt vector (32..255). Boot-time only. */
void trap_set_handler(unsigned vector, trap_handler_fn fn);

/* Prints the exception report for tf (name, error code, CR2, registers,
 * backtrace). */
void trap_report(const struct trap_frame *tf);

/* The enum wf_exception an exception vector (0-31) is reported as to the
 * thread that caused it (docs/porting.md has the table). */
unsigned trap_exception_kind(unsigned vector);

/* Handles a trap frame: interrupts to their handler; exceptions are reported
 * and stop the machine (kernel-mode faults are kernel bugs). */
void trap_dispatch(struct trap_frame *tf);

/* Timer internals shared by the APIC and PIT code. */
void timer_tick(void);
void pic_remap_and_mask(void);

/* The local APIC as the timer code set it up (irqchip.c needs it): true when it
 * is enabled and drives the tick; its ID; end of interrupt. */
bool lapic_in_use(void);
uint32_t lapic_id(void);
void lapic_eoi(void);

/* Other CPUs (smp.c): enables this CPU's local APIC and starts its timer at the
 * boot CPU's calibrated rate (none when the tick is the PIT's); sends an
 * interrupt command (ICR low word cmd) to the APIC apic_id and waits until it
 * is delivered (false: not within about a millisecond). */
void lapic_cpu_init(void);
bool lapic_send(uint32_t apic_id, uint32_t cmd);

/* Exception stacks (IST) per CPU, and loading a CPU's tables (cpu.c): its GDT
 * and TSS in p, the shared IDT, the system call MSRs and %gs (p). */
#define IST_STACK_SIZE 8192
struct percpu;
void x86_cpu_tables_load(struct percpu *p, uintptr_t kstack_top, uint8_t (*ist)[IST_STACK_SIZE]);

#endif
