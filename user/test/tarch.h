/*
 * The user suite on more than one architecture. Tests name registers through
 * the neutral words of enum wf_fault_word (WF_FAULT_WORD_PC, _SP, _FLAGS,
 * _SYSNO, _RESULT, _ARG0, ...) and take the few facts that differ from here:
 * the undefined instruction and its length, where uchild (uchild.h) leaves its
 * markers and its recovery address, the Linux system call numbers and argument
 * registers, the status-register bits a thread may keep, and the devices of
 * the machine the suite boots on (QEMU pc on x86-64, QEMU virt on aarch64
 * and riscv64).
 * A test that exists on one architecture only skips elsewhere, naming why
 * (TEST_ARCH_ONLY).
 */
#ifndef TEST_TARCH_H
#define TEST_TARCH_H

#include "weft/arch.h"
#include "wftest.h"

/* Skips the running test where the machine has no I/O ports (the CMOS RTC is
 * x86-64's; PCI configuration space, through 0xcf8-0xcff there, is ECAM on a
 * device-tree machine whose bootinfo names the host bridge: tv_need_pci). */
#define TARCH_NEED_IOPORTS(what)                                                                   \
    do {                                                                                           \
        if (!TARCH_IOPORTS)                                                                        \
            test_skip_now(TARCH_NAME ": %s is reached through x86-64's I/O ports", what);          \
    } while (0)

/* A test that does not exist on this architecture: it skips with the reason. */
#define TEST_ARCH_ONLY(suite, name, arch, why)                                                     \
    TEST(suite, name)                                                                              \
    {                                                                                              \
        test_skip_now(arch " only: %s", why);                                                      \
    }
#define TEST_X86_64_ONLY(suite, name, why) TEST_ARCH_ONLY(suite, name, "x86-64", why)

#if defined(__x86_64__)

#define TARCH_NAME "x86-64"
/* ud2: the instruction uchild's UC_F_UD2 executes, its bytes and length. */
#define TARCH_UD_LEN   2
#define TARCH_IS_UD(b) ((b)[0] == 0x0f && (b)[1] == 0x0b)
/* A breakpoint (int3) reports the pc after it. */
#define TARCH_BREAKPOINT_PC_AFTER 1
/* uchild's registers before a fault (uchild.h): three markers, the recovery address. */
#define TARCH_WORD_MARK0   WF_FAULT_WORD_R13
#define TARCH_WORD_MARK1   WF_FAULT_WORD_R14
#define TARCH_WORD_MARK2   WF_FAULT_WORD_R15
#define TARCH_WORD_RECOVER WF_FAULT_WORD_RBX
/* Integer division by zero traps (#DE); the divisor register uchild uses. */
#define TARCH_DIVIDE_TRAPS 1
#define TARCH_WORD_DIVISOR WF_FAULT_WORD_RCX
/* Linux's system call numbers and argument registers (number in SYSNO). */
#define TARCH_LINUX_GETPID  39
#define TARCH_LINUX_WRITE   1
#define TARCH_WORD_LINUX_A0 WF_FAULT_WORD_RDI
#define TARCH_WORD_LINUX_A1 WF_FAULT_WORD_RSI
#define TARCH_WORD_LINUX_A2 WF_FAULT_WORD_RDX
/* The status register: bits a thread may not have written on its behalf (AC,
 * IOPL, NT, VM, RF), one it may (CF), and what it reads as when those are written
 * (IF and the reserved bit 1 forced on). */
#define TARCH_FLAGS_PRIVILEGED 0x77000ull
#define TARCH_FLAGS_USER       0x1ull
#define TARCH_FLAGS_FORCED     0x202ull
/* QEMU pc's devices: the interrupt controllers the kernel keeps (local APIC,
 * I/O APIC), a device page on each side of them, RAM and legacy memory that
 * are never device memory, and the device the device/ tests read through a
 * device VMO (the HPET). */
#define TARCH_DEV_KEPT                                                                             \
    {                                                                                              \
        0xfee00000ull, 0xfec00000ull                                                               \
    }
#define TARCH_DEV_AROUND                                                                           \
    {                                                                                              \
        0xfec00000ull + 0x1000, 0xfee00000ull - 0x1000                                             \
    }
#define TARCH_DEV_RAM                                                                              \
    {                                                                                              \
        0x200000ull, 0ull, 0xb8000ull                                                              \
    }
#define TARCH_DEV_PAGE 0xfed00000ull
#define TARCH_DEV_NAME "the HPET"
/* The first address past the user half. */
#define TARCH_USER_TOP (1ull << 47)
/* What __builtin_trap (ud2) reports. */
#define TARCH_TRAP_KIND WF_EXCEPTION_UNDEFINED_INSTRUCTION
/* Devices behind I/O ports: the CMOS RTC, PCI configuration mechanism #1 (0xcf8-0xcff). */
#define TARCH_IOPORTS 1

#elif defined(__aarch64__)

#define TARCH_NAME                "aarch64"
/* udf #0: the word 0x00000000. */
#define TARCH_UD_LEN              4
#define TARCH_IS_UD(b)            ((b)[0] == 0 && (b)[1] == 0 && (b)[2] == 0 && (b)[3] == 0)
/* A breakpoint (brk) reports the pc of the brk itself. */
#define TARCH_BREAKPOINT_PC_AFTER 0
#define TARCH_WORD_MARK0          WF_FAULT_WORD_X19
#define TARCH_WORD_MARK1          WF_FAULT_WORD_X20
#define TARCH_WORD_MARK2          WF_FAULT_WORD_X21
#define TARCH_WORD_RECOVER        WF_FAULT_WORD_X22
/* udiv by zero gives 0 and does not trap (Arm ARM, UDIV). */
#define TARCH_DIVIDE_TRAPS        0
#define TARCH_LINUX_GETPID        172
#define TARCH_LINUX_WRITE         64
#define TARCH_WORD_LINUX_A0       WF_FAULT_WORD_X0
#define TARCH_WORD_LINUX_A1       WF_FAULT_WORD_X1
#define TARCH_WORD_LINUX_A2       WF_FAULT_WORD_X2
/* PSTATE: M (EL1h: 0x5), D A I F (0x3c0), PAN (bit 22), SS (bit 21), IL (bit
 * 20) may not be written on a thread's behalf; N Z C V (0xf0000000) may. */
#define TARCH_FLAGS_PRIVILEGED    0x7003c5ull
#define TARCH_FLAGS_USER          0x20000000ull /* C */
#define TARCH_FLAGS_FORCED        0ull
/* QEMU virt's: the GICv2 distributor and CPU interface the kernel keeps, the
 * flash below them and the GICv2m frame after, the first RAM and the kernel
 * image, and the PL031 real-time clock. */
#define TARCH_DEV_KEPT                                                                             \
    {                                                                                              \
        0x08000000ull, 0x08010000ull                                                               \
    }
#define TARCH_DEV_AROUND                                                                           \
    {                                                                                              \
        0x08000000ull - 0x1000, 0x08020000ull                                                      \
    }
#define TARCH_DEV_RAM                                                                              \
    {                                                                                              \
        0x40000000ull, 0x40200000ull                                                               \
    }
#define TARCH_DEV_PAGE  0x09010000ull
#define TARCH_DEV_NAME  "the PL031 RTC"
#define TARCH_USER_TOP  (1ull << 48)
/* __builtin_trap is brk #0x3e8: a breakpoint. */
#define TARCH_TRAP_KIND WF_EXCEPTION_BREAKPOINT
/* No I/O ports: PCI configuration space is ECAM (the bootinfo's host bridge,
 * tvirtio.h). */
#define TARCH_IOPORTS   0

#elif defined(__riscv) && __riscv_xlen == 64

#define TARCH_NAME                "riscv64"
/* c.unimp: the halfword 0x0000, an illegal instruction two bytes long (what
 * clang's __builtin_trap is with the C extension). */
#define TARCH_UD_LEN              2
#define TARCH_IS_UD(b)            ((b)[0] == 0 && (b)[1] == 0)
/* A breakpoint (ebreak) reports the pc of the ebreak itself (sepc). */
#define TARCH_BREAKPOINT_PC_AFTER 0
#define TARCH_WORD_MARK0          WF_FAULT_WORD_S2
#define TARCH_WORD_MARK1          WF_FAULT_WORD_S3
#define TARCH_WORD_MARK2          WF_FAULT_WORD_S4
#define TARCH_WORD_RECOVER        WF_FAULT_WORD_S5
/* divu by zero gives all ones and does not trap (the M extension). */
#define TARCH_DIVIDE_TRAPS        0
#define TARCH_LINUX_GETPID        172
#define TARCH_LINUX_WRITE         64
#define TARCH_WORD_LINUX_A0       WF_FAULT_WORD_A0
#define TARCH_WORD_LINUX_A1       WF_FAULT_WORD_A1
#define TARCH_WORD_LINUX_A2       WF_FAULT_WORD_A2
/* sstatus: the kernel keeps every bit (WF_RISCV64_SSTATUS_WRITABLE is 0): SIE
 * (bit 1), SPIE (5), SPP (8), FS (13-14), SUM (18), MXR (19) may not be
 * written on a thread's behalf, and no bit may, so it reads back as 0. */
#define TARCH_FLAGS_PRIVILEGED    0xc6122ull
#define TARCH_FLAGS_USER          0ull
#define TARCH_FLAGS_FORCED        0ull
/* QEMU virt's: the PLIC and the test finisher the kernel keeps (the NS16550's
 * page it shares), the page below the PLIC, the page past its 6 MiB, and the
 * Goldfish RTC after the finisher; the first RAM (OpenSBI) and the kernel
 * image; and the Goldfish RTC. */
#define TARCH_DEV_KEPT                                                                             \
    {                                                                                              \
        0x0c000000ull, 0x00100000ull                                                               \
    }
#define TARCH_DEV_AROUND                                                                           \
    {                                                                                              \
        0x0c000000ull - 0x1000, 0x0c600000ull, 0x00101000ull                                       \
    }
#define TARCH_DEV_RAM                                                                              \
    {                                                                                              \
        0x80000000ull, 0x80200000ull                                                               \
    }
#define TARCH_DEV_PAGE       0x00101000ull
#define TARCH_DEV_NAME       "the Goldfish RTC"
/* The Goldfish RTC's page is alone between the finisher and the virtio-mmio
 * slots' untyped; the retype test splits the PCIe ECAM window's instead. */
#define TARCH_DEV_SPLIT      0x30000000ull
#define TARCH_DEV_SPLIT_NAME "the PCIe ECAM window"
/* Sv48: the user half ends at 2^47; under Sv39 (`no4lvl` on the command line:
 * decision 177) at 2^38. */
#define TARCH_USER_TOP       (1ull << 47)
#define TARCH_USER_TOP_SV39  (1ull << 38)
/* __builtin_trap is unimp: an illegal instruction. */
#define TARCH_TRAP_KIND      WF_EXCEPTION_UNDEFINED_INSTRUCTION
/* No I/O ports. */
#define TARCH_IOPORTS        0

#else
#error "the user suite has no facts for this architecture (user/test/tarch.h)"
#endif

/* The device page whose untyped device/ splits (more than a page): by default
 * the test's device. */
#ifndef TARCH_DEV_SPLIT
#define TARCH_DEV_SPLIT      TARCH_DEV_PAGE
#define TARCH_DEV_SPLIT_NAME TARCH_DEV_NAME
#endif

#endif
