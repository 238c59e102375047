/*
 * The root task's start state: bootinfo is consistent, the well-known slots hold
 * what bootinfo.h promises, every untyped it lists is an Untyped cap that
 * describes itself as bootinfo says, and the initramfs it maps holds init as a
 * valid executable.
 */
#include <string.h>

#include "lib/cpio.h"
#include "lib/elf.h"
#include "weft/invoke.h"
#include "wf/cmdline.h"
#include "wf/runtime.h"
#include "tarch.h"
#include "wf/syscall.h"
#include "wftest.h"

#define BI test_bootinfo

TEST(boot, bootinfo_header_consistent)
{
    TEST_ASSERT_EQ(BI->magic, WF_BOOTINFO_MAGIC);
    TEST_ASSERT_EQ(BI->page_size, 4096);
    /* the end of the user half (riscv64's Sv39 with no4lvl; layout/ checks what follows it) */
    wf_word_t top = TARCH_USER_TOP;
#ifdef TARCH_USER_TOP_SV39
    char no4lvl[2];
    if (wf_cmdline_get(BI->cmdline, "no4lvl", no4lvl, sizeof(no4lvl)))
        top = TARCH_USER_TOP_SV39;
#endif
    TEST_ASSERT_EQ(BI->user_top, top);
    TEST_ASSERT(BI->cluster_size >= BI->page_size && !(BI->cluster_size & (BI->cluster_size - 1)),
                "cluster size %llu", (unsigned long long)BI->cluster_size);
    TEST_ASSERT(BI->cnode_radix >= WF_CNODE_RADIX_MIN && BI->cnode_radix <= WF_CNODE_RADIX_MAX,
                "radix %llu", (unsigned long long)BI->cnode_radix);
    wf_word_t slots = (wf_word_t)1 << BI->cnode_radix;
    TEST_ASSERT(BI->untyped_count <= WF_BOOTINFO_MAX_UNTYPED);
    TEST_ASSERT(BI->untyped_first >= WF_ROOT_FIRST_FREE, "untyped_first %llu",
                (unsigned long long)BI->untyped_first);
    TEST_ASSERT(BI->untyped_first + BI->untyped_count <= BI->first_free_slot);
    TEST_ASSERT(BI->first_free_slot + TEST_SCRATCH_SLOTS <= slots,
                "no room for %u scratch slots: first free %llu of %llu", TEST_SCRATCH_SLOTS,
                (unsigned long long)BI->first_free_slot, (unsigned long long)slots);
    TEST_ASSERT(BI->ipc_buffer && !(BI->ipc_buffer & (BI->page_size - 1)), "ipc buffer %#llx",
                (unsigned long long)BI->ipc_buffer);
    TEST_ASSERT_EQ((uintptr_t)wf_ipc_buffer(), BI->ipc_buffer);
    TEST_ASSERT(memchr(BI->cmdline, 0, sizeof(BI->cmdline)), "command line not terminated");
}

TEST(boot, untyped_list_sane)
{
    unsigned ram = 0;
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        TEST_ASSERT(u->size_bits >= WF_UNTYPED_MIN_BITS && u->size_bits <= WF_UNTYPED_MAX_BITS,
                    "untyped %u: size_bits %u", i, u->size_bits);
        TEST_ASSERT(!(u->paddr & (((wf_word_t)1 << u->size_bits) - 1)), "untyped %u misaligned", i);
        TEST_ASSERT(u->device <= 1, "untyped %u: device %u", i, u->device);
        ram += !u->device;
        for (unsigned j = 0; j < i; j++) {
            const struct wf_bootinfo_untyped *v = &BI->untyped[j];
            wf_word_t ue = u->paddr + ((wf_word_t)1 << u->size_bits);
            wf_word_t ve = v->paddr + ((wf_word_t)1 << v->size_bits);
            TEST_ASSERT(ue <= v->paddr || ve <= u->paddr, "untyped %u and %u overlap", i, j);
        }
    }
    TEST_ASSERT(ram > 0, "no RAM untyped");
}

TEST(boot, well_known_slots_identify)
{
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_NULL), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_CNODE), WF_OBJ_CNODE);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_TCB), WF_OBJ_TCB);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_VSPACE), WF_OBJ_VSPACE);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_POOL), WF_OBJ_POOL);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_IRQ_CONTROL), WF_OBJ_IRQ_CONTROL);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_IOPORT), WF_OBJ_IOPORT);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_POWER), WF_OBJ_POWER);
    static const wf_word_t vmos[] = {WF_ROOT_INITRAMFS, WF_ROOT_IPC_BUFFER, WF_ROOT_STACK,
                                     WF_ROOT_BOOTINFO, WF_ROOT_IMAGE_FIRST};
    for (unsigned i = 0; i < sizeof(vmos) / sizeof(vmos[0]); i++)
        TEST_ASSERT(wf_debug_cap_identify(vmos[i]) == WF_OBJ_VMO, "slot %llu",
                    (unsigned long long)vmos[i]);
    /* Image VMOs are consecutive, then the slots up to the first free one are empty. */
    wf_word_t s = WF_ROOT_IMAGE_FIRST;
    while (s < WF_ROOT_IMAGE_FIRST + WF_ROOT_IMAGE_COUNT && wf_debug_cap_identify(s) == WF_OBJ_VMO)
        s++;
    for (; s < WF_ROOT_POWER; s++)
        TEST_ASSERT(wf_debug_cap_identify(s) == 0, "slot %llu", (unsigned long long)s);
    for (unsigned i = 0; i < TEST_SCRATCH_SLOTS; i++)
        TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(i)), 0);
    /* A CPtr past the root CNode does not resolve. */
    TEST_ASSERT_EQ(wf_debug_cap_identify((wf_cptr_t)1 << BI->cnode_radix), 0);
}

TEST(boot, untyped_caps_identify_as_untyped)
{
    for (unsigned i = 0; i < BI->untyped_count; i++)
        TEST_ASSERT(wf_debug_cap_identify(BI->untyped_first + i) == WF_OBJ_UNTYPED,
                    "slot %llu: type %llu", (unsigned long long)(BI->untyped_first + i),
                    (unsigned long long)wf_debug_cap_identify(BI->untyped_first + i));
}

TEST(boot, untyped_describe_agrees_with_bootinfo)
{
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        wf_word_t paddr = 1, bits = 1, dev = 7, free_bytes = 1;
        TEST_ASSERT_ERR(
            wf_untyped_describe(BI->untyped_first + i, &paddr, &bits, &dev, &free_bytes),
            WF_ERR_OK);
        TEST_ASSERT_EQ(paddr, u->paddr);
        TEST_ASSERT_EQ(bits, u->size_bits);
        TEST_ASSERT_EQ(dev, u->device);
        /* No children yet: all of it can be retyped. */
        TEST_ASSERT_EQ(free_bytes, (wf_word_t)1 << bits);
    }
    /* Describe on what is not an untyped. */
    TEST_ASSERT_ERR(wf_untyped_describe(WF_ROOT_CNODE, 0, 0, 0, 0), WF_ERR_ILLEGAL_OPERATION);
}

TEST(boot, initramfs_holds_init_and_the_root_task)
{
    if (!BI->initramfs_size)
        TEST_SKIP("no initramfs mapped");
    const void *ar = (const void *)(uintptr_t)BI->initramfs_vaddr;
    struct cpio_entry e;
    enum cpio_err ce = cpio_find(ar, BI->initramfs_size, "init", &e);
    TEST_ASSERT(ce == CPIO_OK, "init in the initramfs: %s", cpio_strerror(ce));
    TEST_ASSERT(cpio_is_regular(&e));
    /* The root task of a test boot is utest (init=utest): its own entry point is
     * in its plan. */
    ce = cpio_find(ar, BI->initramfs_size, "utest", &e);
    TEST_ASSERT(ce == CPIO_OK, "utest in the initramfs: %s", cpio_strerror(ce));
    static struct elf_plan plan;
    int where = 0;
    enum elf_err ee = elf_plan(e.data, e.size, 0, &plan, &where);
    TEST_ASSERT(ee == ELF_OK, "utest's ELF: %s (header %d)", elf_strerror(ee), where);
    extern char _start[];
    TEST_ASSERT_EQ(plan.entry, (uintptr_t)_start);
}
