/*
 * Starting the root task (docs/architecture.md, Memory and Userspace).
 *
 * The kernel's last boot step builds one thread from the initramfs's "init"
 * (or the program the command line names with init=NAME: the test images start
 * the in-guest suite, "utest", so) and hands it everything else:
 *
 *   - memory for the kernel objects the root task needs before it can make its
 *     own: its root CNode (2^ROOT_CNODE_RADIX slots) and its TCB come from
 *     boot_pmm directly; a root Pool of ROOT_POOL_BYTES, also from boot_pmm,
 *     provides its VSpace, the VMOs of its image, stack, IPC buffer and bootinfo,
 *     and their page tables;
 *   - the initramfs as a physical VMO, mapped read-only;
 *   - every byte still free in boot_pmm as Untyped caps (largest aligned extents
 *     first), described in the bootinfo page; boot_pmm is left empty. They start
 *     "dirty" (untyped_boot_cap: watermark at the top), so the first Retype of each
 *     zeroes it, preemptibly, and boot never zeroes RAM it does not use;
 *   - after them, device untyped over the rest of the physical address space
 *     (below 2^min(CPU physical address bits, 48)): every page in no boot memory
 *     region of any type and in no device the kernel keeps for itself (what
 *     arch_mmio_map mapped, and the interrupt controllers `platform` names, mapped
 *     yet or not), as aligned power-of-two blocks, lowest addresses first, while
 *     the bootinfo list has room (docs/decisions/060);
 *   - the PCI host bridge the platform found, when configuration space is ECAM
 *     (platform.pci: its windows and INTx routes; decision 147).
 *
 * The root CNode's cap has a guard of 64 - ROOT_CNODE_RADIX zero bits, so a CPtr
 * is just a slot index at depth 64. Well-known slots are in weft/bootinfo.h.
 * Anything wrong here (a damaged initramfs, too little memory) stops the boot with
 * a message: there is no one to report an error to.
 */
#include "core/roottask.h"

#include "arch.h"
#include "arch/irqchip.h"
#include "cap/cdt.h"
#include "config.h"
#include "core/boot.h"
#include "core/initramfs.h"
#include "genarch/platform.h"
#include "kprintf.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "mm/vm.h"
#include "obj/ioport.h"
#include "obj/object.h"
#include "obj/pool.h"
#include "obj/tcb.h"
#include "obj/untyped.h"
#include "obj/vmo.h"
#include "obj/vspace.h"
#include "panic.h"
#include "sched/sched.h"
#include "weft/bootinfo.h"

#define ROOT_CNODE_RADIX 12
#define ROOT_POOL_BYTES  MIB(4)
#define ROOT_STACK_BYTES KIB(256)
#define ROOT_PRIORITY    255

/* The root task's fixed addresses: high in the lower half, out of any ELF's way,
 * below 2^47 (0x7ff000000000 for the stack's top) or, where the user half is
 * smaller (riscv64's Sv39: 2^38, a run-time USER_TOP; decision 177), as far
 * below its top. */
#define ROOT_TOP        MIN(USER_TOP, 0x0000800000000000ull)
#define ROOT_STACK_TOP  (ROOT_TOP - 0x0000001000000000ull)
#define ROOT_IPC_BUFFER (ROOT_STACK_TOP + 0x100000)
#define ROOT_BOOTINFO   (ROOT_STACK_TOP + 0x200000)
#define ROOT_INITRAMFS  (ROOT_TOP - 0x0000002000000000ull)

static struct wf_bootinfo bootinfo;

static struct slot *root_slots;

static struct slot *slot(unsigned i)
{
    return &root_slots[i];
}

bool roottask_cspace(struct cap cspace)
{
    return root_slots && cap_type(cspace) == CAP_CNODE && cap_cnode_slots(cspace) == root_slots;
}

static void check(enum wf_error e, const char *what)
{
    if (e != WF_ERR_OK)
        panic("root task: %s failed (error %d)", what, (int)e);
}

/* Zeroed memory of 2^bits bytes (at least one cluster) from boot_pmm. */
static paddr_t boot_object_memory(unsigned bits)
{
    unsigned order = bits > CLUSTER_SHIFT ? bits - CLUSTER_SHIFT : 0;
    paddr_t pa = pmm_alloc(&boot_pmm, order);
    if (!pa)
        panic("root task: no memory for a 2^%u-byte object", bits);
    memset(phys_to_virt(pa), 0, pmm_order_bytes(order));
    return pa;
}

/* An anonymous VMO of size bytes in slot s, mapped at va with rights. */
static struct vmo *map_new_vmo(struct vspace *vs, unsigned s, uint64_t size, vaddr_t va,
                               unsigned rights, const char *what)
{
    check(pool_create_vmo(slot(WF_ROOT_POOL), size, slot(s)), what);
    struct vmo *v = vmo_from_cap(slot(s)->cap);
    check(vspace_map(vs, v, 0, va, size, rights, cap_rights(slot(s)->cap)), what);
    return v;
}

static void load_image(struct vspace *vs, const struct initramfs *ird)
{
    const struct elf_plan *p = &ird->plan;
    if (p->nseg > WF_ROOT_IMAGE_COUNT)
        panic("root task: init has %u segments; at most %u are supported", p->nseg,
              (unsigned)WF_ROOT_IMAGE_COUNT);
    const uint8_t *file = ird->init.data;
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct elf_segment *sg = &p->seg[i];
        vaddr_t lo = ALIGN_DOWN(sg->vaddr, PAGE_SIZE);
        vaddr_t hi = ALIGN_UP(sg->vaddr + sg->memsz, PAGE_SIZE);
        unsigned rights = VM_READ | (sg->perm & ELF_PERM_W ? VM_WRITE : 0) |
                          (sg->perm & ELF_PERM_X ? VM_EXEC : 0);
        struct vmo *v = map_new_vmo(vs, WF_ROOT_IMAGE_FIRST + i, hi - lo, lo, rights, "image");
        check(vmo_write(v, sg->vaddr - lo, file + sg->offset, sg->filesz), "image copy");
    }
}

/* True when [base, end) meets a device the kernel keeps: one it mapped for
 * itself, or an interrupt controller (never the root task's to program). */
static bool kernel_device(paddr_t base, paddr_t end)
{
    if (arch_mmio_kernel_overlaps(base, end))
        return true;
    if (platform.lapic_paddr < end && base < platform.lapic_paddr + PAGE_SIZE)
        return true;
    for (unsigned i = 0; i < platform.ioapic_count; i++)
        if (platform.ioapic[i].paddr < end && base < platform.ioapic[i].paddr + PAGE_SIZE)
            return true;
    return false;
}

/* Lists [base, end) (page-aligned) as device untyped from entry *n on: at each
 * address the largest aligned block that fits and meets no kernel device, a
 * page the kernel keeps skipped. Returns the bytes that found no entry. */
static uint64_t give_device_range(paddr_t base, paddr_t end, unsigned *n)
{
    while (base < end) {
        unsigned bits = base ? (unsigned)__builtin_ctzll(base) : WF_UNTYPED_MAX_BITS;
        bits = MIN(bits, (unsigned)WF_UNTYPED_MAX_BITS);
        while (bits > PAGE_SHIFT && (end - base) < (1ull << bits))
            bits--;
        while (bits > PAGE_SHIFT && kernel_device(base, base + (1ull << bits)))
            bits--;
        if (kernel_device(base, base + PAGE_SIZE)) {
            base += PAGE_SIZE;
            continue;
        }
        if (*n == WF_BOOTINFO_MAX_UNTYPED)
            return end - base; /* (kernel pages in it counted too: a log figure) */
        cdt_insert_root(slot(bootinfo.untyped_first + *n), untyped_boot_cap(base, bits, true));
        bootinfo.untyped[*n].paddr = base;
        bootinfo.untyped[*n].size_bits = (uint8_t)bits;
        bootinfo.untyped[*n].device = 1;
        (*n)++;
        base += 1ull << bits;
    }
    return 0;
}

/* Hands the physical address space outside every boot memory region to the
 * root task as device untyped, after the RAM untyped. */
static void give_device_untyped(void)
{
    unsigned n = (unsigned)bootinfo.untyped_count, first_dev = n;
    paddr_t top = 1ull << MIN(arch_phys_addr_bits(), 48u);
    uint64_t lost = 0;
    paddr_t at = 0;
    const struct bootmem *bm = &boot_memory;
    for (unsigned i = 0; i <= bm->n && at < top; i++) {
        paddr_t gap_end = i < bm->n ? MIN(bm->r[i].base, top) : top;
        paddr_t b = ALIGN_UP(at, PAGE_SIZE), e = ALIGN_DOWN(gap_end, PAGE_SIZE);
        if (b < e)
            lost += give_device_range(b, e, &n);
        if (i < bm->n)
            at = MAX(at, bm->r[i].base + bm->r[i].size);
    }
    if (lost)
        kprintf("root task: untyped list full; %llu MiB of device address space not listed\n",
                (unsigned long long)(lost >> 20));
    bootinfo.untyped_device_count = n - first_dev;
    bootinfo.untyped_count = n;
    bootinfo.first_free_slot = bootinfo.untyped_first + n;
}

/* Hands every free extent of boot_pmm to the root task as an Untyped cap. */
static void give_untyped(void)
{
    unsigned n = 0, first = WF_ROOT_FIRST_FREE;
    uint64_t left_bytes = 0;
    for (int order = PMM_ORDERS - 1; order >= 0; order--) {
        paddr_t pa;
        while ((pa = pmm_alloc(&boot_pmm, (unsigned)order))) {
            if (n == WF_BOOTINFO_MAX_UNTYPED) {
                pmm_free(&boot_pmm, pa, (unsigned)order);
                left_bytes = boot_pmm.free_bytes;
                goto done;
            }
            unsigned bits = CLUSTER_SHIFT + (unsigned)order;
            cdt_insert_root(slot(first + n), untyped_boot_cap(pa, bits, false));
            bootinfo.untyped[n].paddr = pa;
            bootinfo.untyped[n].size_bits = (uint8_t)bits;
            bootinfo.untyped[n].device = 0;
            n++;
        }
    }
done:
    if (left_bytes)
        kprintf("root task: untyped list full; %llu KiB of RAM stays unused\n",
                (unsigned long long)(left_bytes >> 10));
    bootinfo.untyped_first = first;
    bootinfo.untyped_count = n;
    bootinfo.first_free_slot = first + n;
}

/* The device caps: IRQControl (slot 5), the IOPort cap over every port (slot
 * 6) and Power (slot 16), roots of the derivation tree; the lines
 * IRQControl_Get takes. */
static void give_device_caps(void)
{
    cdt_insert_root(slot(WF_ROOT_IRQ_CONTROL), cap_irq_control_new());
    cdt_insert_root(slot(WF_ROOT_IOPORT), ioport_all());
    cdt_insert_root(slot(WF_ROOT_POWER), cap_power_new());
    bootinfo.irq_lines = arch_irq_lines();
    bootinfo.irq_ioapic = arch_irq_ioapic();
    bootinfo.pci = platform.pci;
}

void roottask_start(void)
{
    struct initramfs ird;
    static char name[INITRAMFS_NAME_MAX + 1];
    if (!bootmem_cmdline_get(&boot_memory, "init", name, sizeof(name)) || !name[0])
        strlcpy(name, INITRAMFS_INIT_NAME, sizeof(name));
    const char *err = initramfs_find(&boot_memory, name, &ird);
    if (err)
        panic("root task: %s", err);

    /* The root CNode and its cap, with the guard that makes a CPtr a slot index. */
    unsigned cbits = ROOT_CNODE_RADIX + WF_SLOT_BITS;
    root_slots = phys_to_virt(boot_object_memory(cbits));
    struct cap cn = cap_cnode_new(root_slots, ROOT_CNODE_RADIX, 0, 64 - ROOT_CNODE_RADIX);
    cdt_insert_root(slot(WF_ROOT_CNODE), cn);

    struct cap tc = object_create(WF_OBJ_TCB, 0, boot_object_memory(WF_TCB_BITS), false);
    cdt_insert_root(slot(WF_ROOT_TCB), tc);
    struct tcb *t = cap_object(tc);

    check(vm_boot_pool(slot(WF_ROOT_POOL), ROOT_POOL_BYTES), "root pool");
    check(pool_create_vspace(slot(WF_ROOT_POOL), slot(WF_ROOT_VSPACE)), "VSpace");
    struct vspace *vs = vspace_from_cap(slot(WF_ROOT_VSPACE)->cap);

    load_image(vs, &ird);
    map_new_vmo(vs, WF_ROOT_STACK, ROOT_STACK_BYTES, ROOT_STACK_TOP - ROOT_STACK_BYTES,
                VM_READ | VM_WRITE, "stack");
    map_new_vmo(vs, WF_ROOT_IPC_BUFFER, PAGE_SIZE, ROOT_IPC_BUFFER, VM_READ | VM_WRITE,
                "IPC buffer");
    struct vmo *bv =
        map_new_vmo(vs, WF_ROOT_BOOTINFO, PAGE_SIZE, ROOT_BOOTINFO, VM_READ, "bootinfo");

    paddr_t ipa = ALIGN_DOWN(ird.paddr, PAGE_SIZE);
    uint64_t isize = ALIGN_UP(ird.paddr + ird.size, PAGE_SIZE) - ipa;
    check(vmo_create_phys(slot(WF_ROOT_POOL), ipa, isize, slot(WF_ROOT_INITRAMFS)), "initramfs");
    check(vspace_map(vs, vmo_from_cap(slot(WF_ROOT_INITRAMFS)->cap), 0, ROOT_INITRAMFS, isize,
                     VM_READ, cap_rights(slot(WF_ROOT_INITRAMFS)->cap)),
          "initramfs map");

    give_untyped();
    give_device_untyped();
    give_device_caps();
    bootinfo.magic = WF_BOOTINFO_MAGIC;
    bootinfo.cnode_radix = ROOT_CNODE_RADIX;
    bootinfo.initramfs_vaddr = ROOT_INITRAMFS + (ird.paddr - ipa);
    bootinfo.initramfs_size = ird.size;
    bootinfo.ipc_buffer = ROOT_IPC_BUFFER;
    bootinfo.cluster_size = CLUSTER_SIZE;
    bootinfo.page_size = PAGE_SIZE;
    bootinfo.user_top = USER_TOP;
    strlcpy(bootinfo.cmdline, boot_memory.cmdline, sizeof(bootinfo.cmdline));
    check(vmo_write(bv, 0, &bootinfo, sizeof(bootinfo)), "bootinfo");

    tcb_set_cap(t, WF_TCB_SLOT_CSPACE, slot(WF_ROOT_CNODE));
    tcb_set_cap(t, WF_TCB_SLOT_VSPACE, slot(WF_ROOT_VSPACE));
    tcb_set_ipc_buffer(t, ROOT_IPC_BUFFER);
    tcb_set_priority(t, ROOT_PRIORITY, ROOT_PRIORITY);
    tcb_set_entry(t, ird.plan.entry, ROOT_STACK_TOP, ROOT_BOOTINFO);
    kprintf("root task: %s (%zu bytes, %u segments, entry %p), %llu untyped caps (%llu "
            "device), %u-slot CNode\n",
            name, ird.init.size, ird.plan.nseg, (void *)ird.plan.entry,
            (unsigned long long)bootinfo.untyped_count,
            (unsigned long long)bootinfo.untyped_device_count, 1u << ROOT_CNODE_RADIX);
    tcb_resume(t);
}
