/*
 * Bringing up the other CPUs of a device-tree machine (genarch/smp_fdt.h):
 * arch_cpu_count, arch_cpu_prepare and arch_cpu_start for the ports that
 * start CPUs through firmware, with the port's part through the hooks in the
 * header (aarch64 and riscv64 smp.c: the firmware call, the entry stub and
 * the per-CPU register setup).
 *
 * CPU ids: 0 is the boot CPU; the others are the device tree's enabled cpu
 * nodes (fdt_info.cpu_id) in tree order, the boot CPU's own left out. Each
 * has a block of the port's (arch_smp_block_bytes, 64-byte aligned) followed
 * by a kernel stack of 32 KiB, all of them in one allocation from the boot
 * memory (arch_cpu_prepare).
 */
#include "genarch/smp_fdt.h"

#include "arch.h"
#include "config.h"
#include "core/bootmem.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"
#include "sched/smp.h"

/* The tree the port's boot code read (its boot.c). */
extern struct fdt_info boot_fdt;

#define SMP_STACK_BYTES KIB(32)
#define STARTED_WAIT_NS 1000000000ull

static void *blocks[SMP_MAX_CPUS];
static uint64_t hwids[SMP_MAX_CPUS];
static unsigned ncpus;
static paddr_t cpu_mem; /* the blocks and stacks of CPUs 1.. */
static unsigned cpu_mem_count;
/* Each CPU's start: asked of the firmware, then either seen running or given
 * up on. A CPU given up on that runs later parks itself: it has no block in
 * the list, so nothing may count it online or send it an IPI. */
enum { CPU_NOT_ASKED, CPU_STARTING, CPU_STARTED, CPU_GIVEN_UP };
static uint8_t start_state[SMP_MAX_CPUS];
static void (*start_entry)(void);

/* The CPU list, once: the boot CPU, then every other enabled cpu node. */
static void cpu_list(void)
{
    if (ncpus)
        return;
    blocks[0] = arch_smp_boot_block();
    ncpus = 1;
    if (!arch_smp_boot_hwid(&hwids[0]))
        return;
    unsigned listed = MIN(boot_fdt.ncpus, (unsigned)FDT_MAX_CPUS);
    for (unsigned i = 0; i < listed && ncpus < SMP_MAX_CPUS; i++) {
        uint64_t hwid = arch_smp_node_hwid(boot_fdt.cpu_id[i]);
        if (hwid != hwids[0])
            hwids[ncpus++] = hwid;
    }
}

static size_t each_bytes(void)
{
    return SMP_STACK_BYTES + ALIGN_UP(arch_smp_block_bytes, 64);
}

unsigned arch_cpu_count(void)
{
    cpu_list();
    return 1 + cpu_mem_count;
}

void arch_cpu_prepare(struct bootmem *bm)
{
    cpu_list();
    if (ncpus < 2)
        return;
    cpu_mem = bootmem_alloc_early(bm, ALIGN_UP((ncpus - 1) * each_bytes(), PAGE_SIZE), PAGE_SIZE,
                                  ~(paddr_t)0);
    if (cpu_mem)
        cpu_mem_count = ncpus - 1;
    else
        kprintf("smp: no memory for %u more CPUs\n", ncpus - 1);
}

void *smp_fdt_block(unsigned id)
{
    return id < SMP_MAX_CPUS ? blocks[id] : NULL;
}

__noreturn void smp_fdt_started(void)
{
    void (*entry)(void) = start_entry;
    uint8_t starting = CPU_STARTING;
    if (!__atomic_compare_exchange_n(&start_state[arch_cpu_id()], &starting, CPU_STARTED, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        arch_halt(); /* too late: the boot CPU went on without it */
    entry();
    panic("smp: CPU %u left its entry", arch_cpu_id());
}

bool arch_cpu_start(unsigned id, void (*entry)(void))
{
    cpu_list();
    if (id == 0 || id >= arch_cpu_count() || blocks[id])
        return false;
    size_t each = each_bytes();
    uint8_t *mem = phys_to_virt(cpu_mem + (id - 1) * each);
    memset(mem, 0, each);
    arch_smp_block_init(mem, id, hwids[id], (char *)mem + each);
    start_entry = entry;
    __atomic_store_n(&start_state[id], CPU_STARTING, __ATOMIC_RELEASE);
    long r = arch_smp_firmware_start(hwids[id], mem);
    if (r) {
        kprintf("smp: the firmware did not start CPU %u (hardware id %#llx): %ld\n", id,
                (unsigned long long)hwids[id], r);
        return false;
    }
    uint64_t until = arch_clock_ns() + STARTED_WAIT_NS;
    uint8_t st;
    while ((st = __atomic_load_n(&start_state[id], __ATOMIC_ACQUIRE)) == CPU_STARTING) {
        if (arch_clock_ns() > until &&
            __atomic_compare_exchange_n(&start_state[id], &st, CPU_GIVEN_UP, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return false; /* its memory stays its own: it may still run, to park */
        cpu_relax();
    }
    blocks[id] = mem;
    return true;
}
