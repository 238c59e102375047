/*
 * What the kernel hands the root task (user/init). Written by hand: it is a
 * layout. The root task starts at its ELF entry point with
 *   rdi = user address of struct wf_bootinfo (a read-only page),
 *   rsp = top of its stack (16-byte aligned),
 * its IPC buffer mapped and registered, and a CSpace rooted at one CNode of
 * 2^cnode_radix slots, guard chosen so that a CPtr is just the slot index
 * (depth 64). The well-known slots are fixed; everything else is listed here.
 */
#ifndef WEFT_ABI_BOOTINFO_H
#define WEFT_ABI_BOOTINFO_H

#include "weft/types.h"

#define WF_BOOTINFO_MAGIC       0x464e494254464557ull /* "WEFTBINF" */
#define WF_BOOTINFO_MAX_UNTYPED 200                   /* RAM and device untyped together */
#define WF_BOOTINFO_CMDLINE     256

/* Well-known slots of the root CNode (CPtr = slot index). */
enum wf_root_slot {
    WF_ROOT_NULL = 0,         /* always empty */
    WF_ROOT_CNODE = 1,        /* the root CNode itself */
    WF_ROOT_TCB = 2,          /* the root task's thread */
    WF_ROOT_VSPACE = 3,       /* its address space */
    WF_ROOT_POOL = 4,         /* the pool its own memory was taken from */
    WF_ROOT_IRQ_CONTROL = 5,  /* IRQControl: takes interrupt lines (IRQControl_Get) */
    WF_ROOT_IOPORT = 6,       /* IOPort cap over every port, 0 to 0xffff */
    WF_ROOT_INITRAMFS = 7,    /* VMO holding the initramfs (CPIO, newc), read-only */
    WF_ROOT_IPC_BUFFER = 8,   /* VMO of its IPC buffer page */
    WF_ROOT_STACK = 9,        /* VMO of its stack */
    WF_ROOT_BOOTINFO = 10,    /* VMO of the bootinfo page (mapped read-only) */
    WF_ROOT_IMAGE_FIRST = 11, /* VMOs of init's ELF segments, in order, one per segment */
    WF_ROOT_IMAGE_COUNT = 5,  /* (at most this many; the rest of 11-15 stays empty) */
    WF_ROOT_POWER = 16,       /* Power: off and reset through the firmware (decision 184) */
    WF_ROOT_FIRST_FREE = 17,  /* slots from here up to (1 << cnode_radix) - 1, minus the
                                untyped range below, are empty */
};

struct wf_bootinfo_untyped {
    wf_word_t paddr;
    uint8_t size_bits;
    uint8_t device; /* 1: device memory, a range no RAM and no kernel-used MMIO lies in
                       (only Pool_CreateDevice VMOs and smaller device untyped); 0: RAM */
    uint8_t pad[6];
};

#define WF_BOOTINFO_PCI_WINDOWS 4
#define WF_BOOTINFO_PCI_INTX    16

/* A window of a PCI host bridge (a device-tree ranges entry): PCI bus
 * addresses [pci_addr, pci_addr + size) of space are at cpu_addr for the CPU. */
struct wf_bootinfo_pci_window {
    wf_word_t cpu_addr;
    wf_word_t pci_addr;
    wf_word_t size;
    uint8_t space;    /* 1 I/O, 2 32-bit memory, 3 64-bit memory */
    uint8_t prefetch; /* 1: prefetchable memory */
    uint8_t pad[6];
};

/* An INTx route (a device-tree interrupt-map entry): a function whose
 * (bus << 16 | dev << 11 | fn << 8) & intx_mask_addr equals addr and whose pin
 * (1 INTA to 4 INTD) & intx_mask_pin equals pin raises the line IRQControl_Get
 * takes as `line` (level-triggered). */
struct wf_bootinfo_pci_intx {
    uint32_t addr;
    uint32_t pin;
    uint32_t line;
};

/* The PCI host bridge the firmware describes with an ECAM window (decision
 * 147); ecam_size 0: none (x86-64 reaches configuration space through ports
 * 0xcf8-0xcff, and its firmware has assigned the BARs). */
struct wf_bootinfo_pci {
    wf_word_t ecam_base; /* bus bus_first's configuration space, 1 MiB a bus */
    wf_word_t ecam_size;
    uint32_t bus_first, bus_last;
    uint32_t nwindows, nintx;
    uint32_t intx_mask_addr, intx_mask_pin;
    struct wf_bootinfo_pci_window window[WF_BOOTINFO_PCI_WINDOWS];
    struct wf_bootinfo_pci_intx intx[WF_BOOTINFO_PCI_INTX];
};

struct wf_bootinfo {
    wf_word_t magic;           /* WF_BOOTINFO_MAGIC */
    wf_word_t cnode_radix;     /* root CNode has 1 << cnode_radix slots */
    wf_word_t first_free_slot; /* first empty slot after the untyped caps */
    wf_word_t untyped_first;   /* slot of the first untyped cap */
    wf_word_t untyped_count;   /* untyped caps in consecutive slots, described below */
    wf_word_t initramfs_vaddr; /* the initramfs, mapped read-only in the root VSpace */
    wf_word_t initramfs_size;
    wf_word_t ipc_buffer;              /* user address of the root task's IPC buffer */
    wf_word_t cluster_size;            /* the kernel's allocation unit in bytes (informational) */
    wf_word_t page_size;               /* the MMU page size userspace sees (4096) */
    wf_word_t irq_lines;               /* IRQControl_Get takes lines 0 to irq_lines - 1 */
    wf_word_t irq_ioapic;              /* 1: lines go through an I/O APIC; 0: the 8259 PICs */
    wf_word_t untyped_device_count;    /* how many of the untyped entries are device memory */
    char cmdline[WF_BOOTINFO_CMDLINE]; /* the kernel command line, NUL-terminated */
    struct wf_bootinfo_untyped untyped[WF_BOOTINFO_MAX_UNTYPED];
    struct wf_bootinfo_pci pci; /* the PCI host bridge, when configuration space is ECAM */
    wf_word_t user_top;         /* the end of the user half: user addresses lie below it (riscv64:
                           2^47 under Sv48, 2^38 under Sv39, decision 177) */
};
_Static_assert(sizeof(struct wf_bootinfo) <= 4096, "bootinfo fits one page");

#endif /* WEFT_ABI_BOOTINFO_H */
