/*
 * Weft's port of musl: the system call layer (replaces musl's
 * arch/riscv64/syscall_arch.h when the build unpacks musl for riscv64; mk/arch-riscv64.mk).
 *
 * musl funnels every Linux system call through these inline functions. On Weft
 * a native program has no Linux kernel under it: each call goes to
 * __wf_syscall (user/lib/musl/sys.c), an ordinary function linked into the
 * program, which serves the few calls a native program needs with Weft
 * invocations (memory over VMOs, output to the console, exit to the exit
 * endpoint, the thread pointer) and answers the rest -ENOSYS. No `ecall`
 * instruction is left in the library: in a native thread it would be an unknown
 * system call.
 */
#define __SYSCALL_LL_E(x) (x)
#define __SYSCALL_LL_O(x) (x)

long __wf_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6);

static __inline long __syscall0(long n)
{
    return __wf_syscall(n, 0, 0, 0, 0, 0, 0);
}

static __inline long __syscall1(long n, long a1)
{
    return __wf_syscall(n, a1, 0, 0, 0, 0, 0);
}

static __inline long __syscall2(long n, long a1, long a2)
{
    return __wf_syscall(n, a1, a2, 0, 0, 0, 0);
}

static __inline long __syscall3(long n, long a1, long a2, long a3)
{
    return __wf_syscall(n, a1, a2, a3, 0, 0, 0);
}

static __inline long __syscall4(long n, long a1, long a2, long a3, long a4)
{
    return __wf_syscall(n, a1, a2, a3, a4, 0, 0);
}

static __inline long __syscall5(long n, long a1, long a2, long a3, long a4, long a5)
{
    return __wf_syscall(n, a1, a2, a3, a4, a5, 0);
}

static __inline long __syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    return __wf_syscall(n, a1, a2, a3, a4, a5, a6);
}

#define IPC_64 0
