/*
 * The system call layer under musl (Weft's port of the C library; decision 096).
 *
 * musl believes it runs on Linux: every system call goes through the inline
 * functions of its syscall_arch.h, which Weft's port replaces with calls to
 * __wf_syscall below (user/lib/musl/port/arch/x86_64/syscall_arch.h). A native
 * Weft program has no kernel that speaks Linux, so this layer serves what a
 * native program needs with Weft invocations, in its own address space and with
 * its own caps, and answers everything else -ENOSYS. seL4's muslcsys and
 * Fuchsia's libc took the same road.
 *
 * What it serves (wf/libc.h says which caps it uses):
 * - write, writev to fd 1 and 2: the console (wf_console_write). read and every
 *   other descriptor: -EBADF. ioctl TIOCGWINSZ on 0, 1 and 2 reports the serial
 *   console as an 80x24 terminal, so stdio line-buffers stdout as on a
 *   terminal; every other ioctl: -ENOTTY.
 * - mmap of anonymous private memory: a VMO from the program's pool, mapped
 *   into its own VSpace at an address chosen here (first fit in the mmap arena,
 *   WF_LIBC_MMAP_BASE to WF_LIBC_MMAP_END), rights from prot. munmap and
 *   mprotect work on any page range of such mappings; the layer keeps one
 *   record per mapped range (a VMO may back several after a partial munmap)
 *   and deletes a VMO's cap when no range uses it any more. PROT_NONE maps
 *   with no rights (musl's malloc reserves its metadata areas so and opens
 *   them page by page with mprotect). File mappings, MAP_FIXED and MAP_SHARED
 *   are refused (-ENODEV, -EINVAL): nothing in a native program needs them yet.
 * - brk: there is no program break (it stays 0, as Linux answers a failed
 *   brk); musl's malloc then takes all its memory through mmap.
 * - set_thread_area and arch_prctl(ARCH_SET_FS): the thread pointer, through
 *   TCB_SetTLS on the calling thread's own TCB.
 * - exit and exit_group: wf_exit (the exit endpoint, or a halt for the root
 *   task). set_tid_address, gettid, getpid: 1 (one thread, one process);
 *   sched_yield: the Yield system call; signal masks and actions: accepted and
 *   ignored (no signal is ever delivered to a native program);
 *   getrandom: -ENOSYS (musl then seeds from the auxiliary vector).
 * - clock_gettime and clock_getres: CLOCK_MONOTONIC, _RAW, _COARSE and
 *   CLOCK_BOOTTIME from the kernel's CLOCK system call (nanoseconds since boot);
 *   CLOCK_REALTIME and _COARSE too, counting from the Unix epoch at boot (the
 *   system has no wall clock yet: time() and gettimeofday() say 1970); CPU-time
 *   clocks: -EINVAL. Sleeping calls: -ENOSYS.
 *
 * Limits: WF_LIBC_MAX_MAPPINGS ranges, one VMO cap per mmap call, from the
 * layer's slot range; a program that needs more gets -ENOMEM, as under a
 * Linux memory limit. The layer is single-threaded, as every native program
 * linked with musl is today.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>

#include "weft/invoke.h"
#include "wf/libc.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

#define PAGE        4096ul
#define ARCH_SET_FS 0x1002

struct mapping {
    uintptr_t va;  /* first byte */
    size_t len;    /* bytes, a multiple of PAGE */
    unsigned slot; /* index in caps[] of the VMO that backs it */
};

static struct wf_libc_env env;
static struct mapping maps[WF_LIBC_MAX_MAPPINGS]; /* sorted by va, disjoint */
static unsigned nmaps;
static uint8_t slot_used[WF_LIBC_MAX_MAPPINGS]; /* ranges per VMO slot */

void wf_libc_init(const struct wf_libc_env *e)
{
    env = *e;
    if (env.nslots > WF_LIBC_MAX_MAPPINGS)
        env.nslots = WF_LIBC_MAX_MAPPINGS;
}

const struct wf_libc_env *wf_libc_env(void)
{
    return &env;
}

unsigned wf_libc_mappings(void)
{
    return nmaps;
}

static long write_out(int fd, const void *buf, size_t len)
{
    if (fd != 1 && fd != 2)
        return -EBADF;
    wf_console_write(buf, len);
    return (long)len;
}

static long do_writev(int fd, const struct iovec *iov, int n)
{
    if (n < 0 || n > 1024)
        return -EINVAL;
    long total = 0;
    for (int i = 0; i < n; i++) {
        long r = write_out(fd, iov[i].iov_base, iov[i].iov_len);
        if (r < 0)
            return r;
        total += r;
    }
    return total;
}

static long do_ioctl(int fd, unsigned long req, void *arg)
{
    if (fd < 0 || fd > 2 || req != TIOCGWINSZ)
        return -ENOTTY;
    struct winsize *ws = arg;
    *ws = (struct winsize){.ws_row = 24, .ws_col = 80};
    return 0;
}

static unsigned vm_rights(int prot)
{
    unsigned r = 0;
    if (prot & (PROT_READ | PROT_WRITE | PROT_EXEC))
        r |= WF_VM_READ; /* x86-64 cannot map write- or execute-only */
    if (prot & PROT_WRITE)
        r |= WF_VM_WRITE;
    if (prot & PROT_EXEC)
        r |= WF_VM_EXEC;
    return r;
}

/* The first gap of at least len bytes in the arena; 0 if none. Sets *at to the
 * index where a record for it goes. */
static uintptr_t find_gap(size_t len, unsigned *at)
{
    uintptr_t start = WF_LIBC_MMAP_BASE;
    for (unsigned i = 0; i <= nmaps; i++) {
        uintptr_t end = i < nmaps ? maps[i].va : WF_LIBC_MMAP_END;
        if (end - start >= len) {
            *at = i;
            return start;
        }
        if (i < nmaps)
            start = maps[i].va + maps[i].len;
    }
    return 0;
}

static void insert(unsigned at, struct mapping m)
{
    memmove(&maps[at + 1], &maps[at], (nmaps - at) * sizeof(maps[0]));
    maps[at] = m;
    nmaps++;
    slot_used[m.slot]++;
}

static wf_cptr_t slot_cptr(unsigned slot)
{
    return env.first_slot + slot;
}

/* Drops one range's use of its VMO; the last one deletes the VMO's cap. */
static void release_slot(unsigned slot)
{
    if (--slot_used[slot] == 0)
        wf_cnode_delete(env.cnode, slot_cptr(slot), 64);
}

static long do_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd)
{
    (void)addr; /* a hint only; MAP_FIXED is refused below */
    if (!(flags & MAP_ANONYMOUS) || fd != -1)
        return -ENODEV;
    if ((flags & (MAP_FIXED | MAP_SHARED)) || len == 0)
        return -EINVAL;
    if (len > WF_LIBC_MMAP_END - WF_LIBC_MMAP_BASE)
        return -ENOMEM;
    len = (len + PAGE - 1) & ~(PAGE - 1);
    if (!env.pool || nmaps == WF_LIBC_MAX_MAPPINGS)
        return -ENOMEM;

    unsigned slot = 0;
    while (slot < env.nslots && slot_used[slot])
        slot++;
    unsigned at;
    uintptr_t va = find_gap(len, &at);
    if (slot == env.nslots || !va)
        return -ENOMEM;
    wf_cptr_t vmo = slot_cptr(slot);
    if (wf_pool_create(env.pool, WF_OBJ_VMO, len, env.cnode, vmo, 64) != WF_ERR_OK)
        return -ENOMEM;
    if (wf_vspace_map(env.vspace, vmo, va, 0, len, vm_rights(prot)) != WF_ERR_OK) {
        wf_cnode_delete(env.cnode, vmo, 64);
        return -ENOMEM;
    }
    insert(at, (struct mapping){va, len, slot});
    return (long)va;
}

/* Cuts [a, b) out of every record: unmaps it and splits or drops records. A
 * split needs one free record; returns -ENOMEM (nothing changed) without one. */
static long do_munmap(uintptr_t a, size_t len)
{
    if ((a & (PAGE - 1)) || len == 0 || len > WF_LIBC_MMAP_END)
        return -EINVAL;
    uintptr_t b = a + ((len + PAGE - 1) & ~(PAGE - 1));
    for (unsigned i = 0; i < nmaps; i++)
        if (maps[i].va < a && maps[i].va + maps[i].len > b && nmaps == WF_LIBC_MAX_MAPPINGS)
            return -ENOMEM;
    if (env.vspace && b > WF_LIBC_MMAP_BASE && a < WF_LIBC_MMAP_END)
        wf_vspace_unmap(env.vspace, a, b - a);
    for (unsigned i = 0; i < nmaps;) {
        struct mapping *m = &maps[i];
        uintptr_t ms = m->va, me = m->va + m->len;
        if (me <= a || ms >= b) {
            i++;
            continue;
        }
        if (ms < a && me > b) { /* a hole in the middle: two records */
            m->len = a - ms;
            insert(i + 1, (struct mapping){b, me - b, m->slot});
            i += 2;
        } else if (ms < a) {
            m->len = a - ms;
            i++;
        } else if (me > b) {
            m->len = me - b;
            m->va = b;
            i++;
        } else {
            unsigned slot = m->slot;
            memmove(m, m + 1, (nmaps - i - 1) * sizeof(*m));
            nmaps--;
            release_slot(slot);
        }
    }
    return 0;
}

/* mprotect: every page of the range must be mapped (-ENOMEM otherwise, as
 * Linux). */
static long do_mprotect(uintptr_t a, size_t len, int prot)
{
    if (a & (PAGE - 1))
        return -EINVAL;
    uintptr_t b = a + ((len + PAGE - 1) & ~(PAGE - 1));
    uintptr_t covered = a;
    for (unsigned i = 0; i < nmaps && covered < b; i++)
        if (maps[i].va <= covered && maps[i].va + maps[i].len > covered)
            covered = maps[i].va + maps[i].len;
    if (covered < b)
        return -ENOMEM;
    if (b == a)
        return 0;
    return wf_vspace_protect(env.vspace, a, b - a, vm_rights(prot)) == WF_ERR_OK ? 0 : -EACCES;
}

#if defined(SYS_set_thread_area) || defined(SYS_arch_prctl)
static long set_tp(uintptr_t tp)
{
    if (!env.tcb)
        return -ENOSYS;
    return wf_tcb_set_tls(env.tcb, tp) == WF_ERR_OK ? 0 : -EINVAL;
}
#endif

/* The clocks this layer serves (every one counts from boot): true for those. */
static bool clock_known(long clk)
{
    return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_RAW ||
           clk == CLOCK_REALTIME_COARSE || clk == CLOCK_MONOTONIC_COARSE || clk == CLOCK_BOOTTIME;
}

static long do_clock_gettime(long clk, struct timespec *ts, bool res)
{
    if (!clock_known(clk))
        return -EINVAL;
    if (!ts)
        return res ? 0 : -EFAULT;
    uint64_t ns = res ? 1 : wf_clock_ns();
    ts->tv_sec = (time_t)(ns / 1000000000u);
    ts->tv_nsec = (long)(ns % 1000000000u);
    return 0;
}

long __wf_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6);

long __wf_syscall(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    (void)a6;
    switch (n) {
    case SYS_write:
        return write_out((int)a1, (const void *)a2, (size_t)a3);
    case SYS_writev:
        return do_writev((int)a1, (const struct iovec *)a2, (int)a3);
    case SYS_read:
    case SYS_readv:
    case SYS_close:
    case SYS_lseek:
    case SYS_fstat:
        return -EBADF;
    case SYS_ioctl:
        return do_ioctl((int)a1, (unsigned long)a2, (void *)a3);
    case SYS_mmap:
        return do_mmap((uintptr_t)a1, (size_t)a2, (int)a3, (int)a4, (int)a5);
    case SYS_munmap:
        return do_munmap((uintptr_t)a1, (size_t)a2);
    case SYS_mprotect:
        return do_mprotect((uintptr_t)a1, (size_t)a2, (int)a3);
    case SYS_madvise:
        return 0; /* advice only */
    case SYS_brk:
        return 0;
#ifdef SYS_set_thread_area /* (aarch64 has neither: musl writes TPIDR_EL0 itself) */
    case SYS_set_thread_area:
        return set_tp((uintptr_t)a1);
#endif
#ifdef SYS_arch_prctl
    case SYS_arch_prctl:
        return a1 == ARCH_SET_FS ? set_tp((uintptr_t)a2) : -EINVAL;
#endif
    case SYS_exit:
    case SYS_exit_group:
        wf_exit((int)a1);
    case SYS_set_tid_address:
    case SYS_gettid:
    case SYS_getpid:
        return 1;
    case SYS_sched_yield:
        wf_sys_yield();
        return 0;
    case SYS_rt_sigprocmask:
    case SYS_rt_sigaction:
        return 0;
    case SYS_clock_gettime:
        return do_clock_gettime(a1, (struct timespec *)a2, false);
    case SYS_clock_getres:
        return do_clock_gettime(a1, (struct timespec *)a2, true);
    default:
        (void)a4;
        (void)a5;
        return -ENOSYS;
    }
}
