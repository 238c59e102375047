/*
 * The architecture contract. Every architecture provides the functions below
 * (named arch_*) and these headers under kernel/arch/<arch>/include/arch/, which
 * generic code may include:
 *
 *   arch/memlayout.h   KERNEL_VMA, DIRECT_MAP_BASE, phys_to_virt(), virt_to_phys()
 *   arch/cpu.h         static inline CPU primitives generic code uses: cpu_relax,
 *                      irq_enable, irq_disable, cpu_wait_irq (nothing else)
 *   arch/context.h     a thread's user context (struct arch_context) and the ctx_*
 *                      accessors: system call registers, message words, the
 *                      register file in enum wf_fault_word order, ctx_entry and
 *                      ctx_fault (below), arch_exit_to_user, arch_setjmp/longjmp,
 *                      arch_idle_wait, arch_fpu_save/restore
 *   arch/irqchip.h     interrupt lines: count, routing, mask/unmask (obj/irqhandler.c)
 *   arch/ioport.h      I/O port access and the ports the kernel keeps (x86 only:
 *                      obj/ioport.c; an architecture without ports has no IOPort caps)
 *   arch/vm_cpu.h      the inline page-table switch the IPC fast path uses
 *
 * Everything else under arch/ is the architecture's own (x86-64: arch/x86.h with
 * ports, MSRs, control registers and CPUID; arch/mmu.h, arch/trap.h,
 * arch/bootinfo.h); generic code never includes it and never tests ARCH.
 * docs/porting.md is this contract as a checklist for a new architecture.
 */
#ifndef WEFT_ARCH_H
#define WEFT_ARCH_H

#include "types.h"
#include "arch/memlayout.h"
#include "arch/cpu.h"
#include "arch/vm_cpu.h"

struct bootmem;

/*
 * Entries from user mode, as generic code sees them (kernel_entry, ipc/syscall.c).
 * The architecture's context header (arch/context.h) says which kind an entry
 * was (ctx_entry) and, for an exception, what it was (ctx_fault), decoded into
 * the terms below before generic code runs: generic code never sees a vector
 * number or an error code.
 */
enum arch_entry {
    ARCH_ENTRY_SYSCALL,   /* the system call instruction */
    ARCH_ENTRY_FAULT,     /* an exception of the thread's: ctx_fault */
    ARCH_ENTRY_INTERRUPT, /* a device or timer interrupt, already handled */
};

/* An exception from user mode (ctx_fault). A page fault (page) carries the
 * address and the access; every other exception an enum wf_exception. code is
 * the architecture's own description, DETAIL1 of a USER_EXCEPTION fault
 * (weft/arch/<arch>/abi.h). */
struct arch_fault {
    bool page;          /* a page fault: addr, access, present, mapped */
    bool present;       /* the page was present: the access was refused */
    bool mapped;        /* the tables already allow the access (decision 081) */
    unsigned access;    /* VM_READ, VM_WRITE or VM_EXEC */
    unsigned exception; /* not a page fault: enum wf_exception */
    vaddr_t addr;       /* the faulting address */
    uint64_t code;      /* the architecture's code (x86-64: vector | error << 8) */
};

/* Early console: brings up the boot UART so kprintf works. No allocation. */
void arch_console_init(void);
/* Writes one byte to the early console (blocking; '\n' is not translated). */
void arch_console_putc(char c);

/* CPU tables: descriptor tables, trap vectors, per-CPU state for the boot CPU. */
void arch_cpu_init(void);

/*
 * Other CPUs (decision 129; docs/porting.md, "Bring-up"). CPU ids are dense:
 * 0 is the boot CPU, 1 .. arch_cpu_count() - 1 the others in the order the
 * firmware lists them (x86-64: the ACPI MADT's enabled processors; aarch64:
 * the device tree's cpu nodes, started by PSCI; riscv64: harts, started by
 * SBI HSM).
 */
/* CPUs the firmware lists as usable, the boot CPU included (1 without tables). */
unsigned arch_cpu_count(void);
/* Takes from bm what the other CPUs will need (kernel stacks, per-CPU blocks),
 * after platform_init and before the PMM takes the usable memory, so that the
 * boot figures of free memory already exclude it. */
void arch_cpu_prepare(struct bootmem *bm);
/* Starts CPU id (1 .. arch_cpu_count() - 1, below SMP_MAX_CPUS) at entry, which
 * never returns: on a kernel stack of its own, with its own per-CPU block
 * (arch_cpu_id() reads id there), trap vectors, system call entry and exception
 * stacks, and its own timer ticking, interrupts off, on the kernel's address
 * space. Boot CPU only, one CPU at a time; returns once the CPU runs kernel
 * code, or false when it did not answer (then it stays off). */
bool arch_cpu_start(unsigned id, void (*entry)(void));
/* The id of the CPU running this code. */
unsigned arch_cpu_id(void);
/* Interrupts CPU id (an online CPU, not this one): it calls smp_ipi(). */
void arch_ipi_send(unsigned id);
/* Taking a thread away from this CPU while it waits for the kernel lock in an
 * entry from user mode (smp_stop_thread, on this CPU, without the lock; the
 * entry's registers are saved in ctx): makes that entry as if not made (a
 * system call will be made again; an exception is taken again when the
 * instruction runs again) and returns what arch_entry_replay needs to finish
 * an interrupt the entry was (0: nothing). */
struct arch_context;
uint64_t arch_entry_abandon(struct arch_context *ctx);
/* Handles the interrupt an abandoned entry was, without a thread (lock held). */
void arch_entry_replay(uint64_t token);

/* Builds the kernel's final address space: the direct map of every RAM region in
 * bm and the kernel image with W^X permissions; switches to it and turns on the
 * protections the CPU has (NX, SMEP, SMAP). Page-table pages come from
 * bootmem_alloc_early(), including a small reserve for later arch_mmio_map
 * calls, so that nothing here takes memory once the PMM owns it. Panics (with
 * the reason) if RAM cannot be mapped. */
void arch_mmu_init(struct bootmem *bm);

/* Maps size bytes of device memory at physical pa uncached; returns the kernel
 * virtual address. Boot-time only; panics if the MMIO window is exhausted. */
volatile void *arch_mmio_map(paddr_t pa, size_t size);

/* True when [base, end) meets a physical range that arch_mmio_map has mapped
 * (the kernel's own devices: local APIC, I/O APICs, ...). */
bool arch_mmio_kernel_overlaps(paddr_t base, paddr_t end);

/* Boot-time reads of firmware memory the direct map may not cover (ACPI tables
 * in reserved ranges, the BIOS areas): maps [pa, pa+len) read-only and returns
 * a pointer to pa, valid until the next arch_fw_map or arch_fw_unmap; NULL when
 * the range is beyond the physical address space or larger than the window
 * (2 MiB). Only after arch_mmu_init, single-threaded. */
const void *arch_fw_map(paddr_t pa, size_t len);
/* Removes the arch_fw_map mapping. */
void arch_fw_unmap(void);

/* Physical address bits the CPU implements (x86-64: CPUID 0x80000008). */
unsigned arch_phys_addr_bits(void);

/* Starts the periodic tick at hz. Returns the name of the timer source used. */
const char *arch_timer_init(unsigned hz, bool force_legacy);

/* Number of timer ticks since arch_timer_init (incremented by the interrupt). */
uint64_t arch_ticks(void);

/* Nanoseconds since arch_timer_init, never decreasing: a fine-grained counter
 * calibrated at boot where the architecture has one, else the tick count. */
uint64_t arch_clock_ns(void);

/* True when an enabled interrupt is waiting to be taken (the kernel runs with
 * interrupts disabled): the preemption points of long invocations stop at it
 * (cap/preempt.h). Cheap, no side effects. */
bool arch_irq_pending(void);

/* Writes a backtrace starting from the given frame pointer and pc to the console. */
void arch_backtrace(uintptr_t fp, uintptr_t pc);

/* Ends the QEMU session with a status when the test exit device is present;
 * returns if it is not (then the caller halts). */
void arch_debug_exit(unsigned status);

/* Name of the kernel function containing pc ("?" outside the kernel's text) and
 * the offset into it. */
const char *ksym_lookup(uintptr_t pc, uintptr_t *offset);

/* Disables interrupts and stops this CPU forever. */
__noreturn void arch_halt(void);

/*
 * User address spaces (the VM system, kernel/include/obj/vspace.h, drives these).
 *
 * Page tables of a user address space are reached through a struct pt_ctx: the
 * root table, whether it is the CPU's current one (then every change is followed
 * by the TLB invalidation it needs), and where table pages come from. Table pages
 * are MMU pages (not clusters), zeroed by alloc; alloc returns 0 when the owner's
 * pool is exhausted. Every function below is O(pages touched); none allocates
 * except through the context. Access rights are VM_READ | VM_WRITE | VM_EXEC
 * (mm/vm.h); a present user entry is always readable.
 * The walk is generic (kernel/mm/pt.c, over each architecture's arch/pt.h);
 * x86-64's CPU side is kernel/arch/x86_64/vm_cpu.c.
 */
struct pt_ctx {
    paddr_t root;   /* the top-level table */
    bool active;    /* root is loaded on this CPU: invalidate the TLB after changes */
    uint64_t *asid; /* the space's ASID word (genarch/asid.h), or NULL: none */
    paddr_t (*alloc)(struct pt_ctx *c);
    void (*free)(struct pt_ctx *c, paddr_t pa);
    void *owner; /* the VSpace, for alloc and free */
    /* Called before a translation other CPUs may hold is changed or removed
     * (NULL: none may): the VSpace's TLB shootdown (obj/vspace.h). */
    void (*shoot)(struct pt_ctx *c);
    uint64_t demotions; /* out: superpage entries split or dropped by arch_pt_unmap */
};

/* Makes the zeroed page at root the top-level table of a new user address space:
 * the kernel's upper-half entries are copied so the kernel stays mapped. */
void arch_pt_init_root(paddr_t root);

/* Maps npages MMU pages from va to the physical pages from pa with access rights,
 * replacing whatever 4 KiB entries were there; a range already covered by a
 * superpage entry is left as it is. Returns false when a table page could not be
 * allocated (some pages may be mapped: the caller may retry or unmap). */
bool arch_pt_map(struct pt_ctx *c, vaddr_t va, paddr_t pa, size_t npages, unsigned access);

/* Replaces the translation of the 2 MiB-aligned window at va by one superpage
 * entry to the 2 MiB-aligned pa (promotion); the window's page table, if any, is
 * freed. Cannot fail. */
void arch_pt_map_super(struct pt_ctx *c, vaddr_t va, paddr_t pa, unsigned access);

/* Removes every translation in [va, end) (page-aligned). A superpage entry only
 * partly inside is demoted: split into a page table that keeps the part outside
 * (or, when no table page can be had, dropped whole: the rest refaults). Page
 * tables left covering nothing are freed when the range spans them. */
void arch_pt_unmap(struct pt_ctx *c, vaddr_t va, vaddr_t end);

/* arch_pt_unmap of [va, end) stopped after about `units` units of work (a 2 MiB
 * window holding entries, or 512 steps over missing ones; at least one): returns
 * where it stopped (end when done), to be called again from there. */
vaddr_t arch_pt_unmap_some(struct pt_ctx *c, vaddr_t va, vaddr_t end, uint64_t units);

/* The translation of va in the tables at root (0: the kernel's own tables): true
 * with the physical address of va, the rights (user entries only; a supervisor
 * entry reports false) and the level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB). */
bool arch_pt_lookup(paddr_t root, vaddr_t va, paddr_t *pa, unsigned *access, unsigned *level);

/* Frees every table page of the user half below the root (not the root). */
void arch_pt_destroy(struct pt_ctx *c);

/* One unit of arch_pt_destroy: frees one table page of the user half (O(1): at
 * most a few table scans). Returns false when none was left. */
bool arch_pt_destroy_step(struct pt_ctx *c);

/* Loads the address space whose top-level table is root (0: the kernel's own). */
void arch_vspace_switch(paddr_t root);

/* TLB invalidation on this CPU: one page of the current address space, or every
 * non-global translation. */
void arch_tlb_flush_page(vaddr_t va);
void arch_tlb_flush_all(void);

/* Zeroes / copies len bytes of physical memory (through the direct map), fast:
 * len a multiple of 8, addresses 8-byte aligned. */
void arch_phys_zero(paddr_t pa, size_t len);
void arch_phys_copy(paddr_t dst, paddr_t src, size_t len);

#endif
