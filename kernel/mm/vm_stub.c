/*
 * TEMPORARY stand-in for the VM system's interface (mm/vm.h) until the VM work
 * merges; the lead deletes this file then. Only the kernel test space exists: a
 * NULL VSpace, the kernel's own page tables with user pages in their lower half.
 *
 * vspace_read/vspace_write walk the current tables 4 KiB at a time, require
 * PTE_U (and PTE_W for writes) at every level, and copy through the direct map.
 */
#include "arch.h"
#include "arch/mmu.h"
#include "lib/string.h"
#include "mm/vm.h"

void vspace_activate(struct vspace *vs)
{
    (void)vs;
}

struct vspace *vspace_from_cap(struct cap c)
{
    (void)c;
    return NULL;
}

enum vm_fault_result vm_fault(struct vspace *vs, vaddr_t va, unsigned access)
{
    (void)vs;
    (void)va;
    (void)access;
    return VM_FAULT_UNMAPPED;
}

/* Kernel pointer to user address va, or NULL when the tables forbid the access. */
static void *user_ptr(vaddr_t va, bool write)
{
    if (va >= USER_TOP)
        return NULL;
    pte_t *table = phys_to_virt(read_cr3() & PTE_ADDR);
    for (int level = 3; level >= 0; level--) {
        pte_t e = table[pt_index(va, (unsigned)level)];
        if (!pte_present(e) || !(e & PTE_U) || (write && !pte_writable(e)))
            return NULL;
        if (level == 0 || pte_large(e)) {
            uint64_t span = 1ull << (12 + 9 * level);
            return (uint8_t *)phys_to_virt(pte_addr(e) & ~(span - 1)) + (va & (span - 1));
        }
        table = phys_to_virt(pte_addr(e));
    }
    return NULL;
}

static enum wf_error copy(vaddr_t va, void *kbuf, size_t len, bool write)
{
    uint8_t *k = kbuf;
    while (len) {
        size_t n = MIN(len, 4096 - (va & 4095));
        void *u = user_ptr(va, write);
        if (!u)
            return WF_ERR_INVALID_ARGUMENT;
        if (write)
            memcpy(u, k, n);
        else
            memcpy(k, u, n);
        va += n;
        k += n;
        len -= n;
    }
    return WF_ERR_OK;
}

enum wf_error vspace_read(struct vspace *vs, vaddr_t va, void *dst, size_t len)
{
    (void)vs;
    return copy(va, dst, len, false);
}

enum wf_error vspace_write(struct vspace *vs, vaddr_t va, const void *src, size_t len)
{
    (void)vs;
    return copy(va, (void *)src, len, true);
}
