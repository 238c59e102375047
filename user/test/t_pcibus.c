/*
 * The PCI bus server (user/pcibus, protocol pci) on QEMU's real bus, started
 * by tvirtio.c with the caps init gives it; the test is two clients (badges 1
 * and 2) and keeps an IOPort cap of its own over 0xcf8-0xcff to compare with
 * what the server reports. With ECAM (aarch64) the test reads the bus before
 * the server starts (tv_pci_scan), finds every BAR firmware left at 0 placed
 * in one of the bridge's windows and every pin routed to one of its INTx
 * lines, and reads the command register through the client holding the disk. check-user boots with a virtio-blk disk; without
 * it the tests that claim it are skipped.
 *
 * pcibus/describes_the_bus: Describe and Bar of every device against the PCI
 * library's own enumeration and sizing. pcibus/claim_*: one client at a time,
 * every refusal (another's device, an index or BAR out of range, a bad width
 * or alignment, command bits outside the allowed ones). pcibus/get_cap_*: the
 * device VMO covers exactly the BAR, the IRQHandler is the device's line.
 * pcibus/release_*: a client's second Claim and Release revoke what it got
 * (the VMO unmapped, the handler copy gone) and turn bus mastering off.
 */
#include <string.h>

#include "tutil.h"
#include "tarch.h"
#include "tvirtio.h"
#include "weft/invoke.h"
#include "wf/pci.h"
#include "wf/proto/pci.h"
#include "wf/startinfo.h"

#define MAP_VA (TEST_VA + 0x10000000ull)

static struct pci_access acc;
static struct pci_func all[32];
static size_t nall;

/* The test's own view of the bus, BARs sized. */
static bool enumerate(void)
{
    return tv_pci_scan(test_slot(0), &acc, all, 32, &nall, false);
}

/* With ECAM: a BAR firmware left at 0 the server placed in one of the
 * bridge's windows of its kind, aligned to its size. */
static bool placed_in_a_window(wf_word_t kind, wf_word_t base, wf_word_t size)
{
    const struct wf_bootinfo_pci *p = &test_bootinfo->pci;
    if (size == 0 || base % size)
        return false;
    for (unsigned w = 0; w < p->nwindows && w < WF_BOOTINFO_PCI_WINDOWS; w++) {
        const struct wf_bootinfo_pci_window *win = &p->window[w];
        bool fits = (win->space == 2 && kind == PCI_BAR_MEM32) ||
                    ((win->space == 2 || win->space == 3) && kind == PCI_BAR_MEM64);
        if (fits && base >= win->cpu_addr && base - win->cpu_addr + size <= win->size)
            return true;
    }
    return false;
}

/* With ECAM: a line the server routed is one of the bridge's INTx routes. */
static bool a_routed_line(wf_word_t line)
{
    const struct wf_bootinfo_pci *p = &test_bootinfo->pci;
    for (unsigned r = 0; r < p->nintx && r < WF_BOOTINFO_PCI_INTX; r++)
        if (p->intx[r].line == line)
            return true;
    return false;
}

/* The disk's command register: through the test's own access, or with ECAM
 * (none while the server runs) through client c, which holds the disk. */
static bool read_command(wf_cptr_t c, int disk, uint32_t *cmd)
{
    if (acc.read32)
        return pci_read(&acc, all[disk].bus, all[disk].dev, all[disk].fn, PCI_COMMAND, 2, cmd) ==
               PCI_OK;
    wf_word_t v = 0;
    if (wfp_pci_config_read(c, (wf_word_t)disk, PCI_COMMAND, 2, &v) != WF_ERR_OK)
        return false;
    *cmd = (uint32_t)v;
    return true;
}

/* The index of the virtio-blk disk in all[], or -1. */
static int disk_index(void)
{
    for (size_t i = 0; i < nall; i++)
        if (all[i].vendor == 0x1af4 && all[i].device == 0x1042)
            return (int)i;
    return -1;
}

TEST(pcibus, describes_the_bus)
{
    struct tv_bus b;
    TEST_ASSERT(enumerate());
    TEST_ASSERT(tv_start_bus(&b));
    wf_cptr_t c = tv_bus_client(&b, 1);
    TEST_ASSERT(c != 0);
    for (size_t i = 0; i < nall; i++) {
        wf_word_t id, cls, loc, irq, claimed = 9;
        TEST_ASSERT_ERR(wfp_pci_describe(c, i, &id, &cls, &loc, &irq, &claimed), WF_ERR_OK);
        const struct pci_func *f = &all[i];
        TEST_ASSERT_EQ(id, (wf_word_t)f->vendor | (wf_word_t)f->device << 16);
        TEST_ASSERT_EQ(cls,
                       (wf_word_t)f->class_code << 16 | (wf_word_t)f->subclass << 8 | f->prog_if);
        TEST_ASSERT_EQ(loc, (wf_word_t)f->bus << 16 | (wf_word_t)f->dev << 8 | f->fn);
        if (tv_pci_ecam() && f->irq_pin && f->irq_line == 0) /* routed by the server */
            TEST_ASSERT(irq >> 8 == f->irq_pin && a_routed_line(irq & 0xff),
                        "device %u: line and pin %#llx", (unsigned)i, (unsigned long long)irq);
        else
            TEST_ASSERT_EQ(irq, f->irq_line | (wf_word_t)f->irq_pin << 8);
        TEST_ASSERT_EQ(claimed, 0);
        for (unsigned k = 0; k < PCI_BARS; k++) {
            wf_word_t kind, base, size;
            TEST_ASSERT_ERR(wfp_pci_bar(c, i, k, &kind, &base, &size), WF_ERR_OK);
            const struct pci_bar *own = &f->bar[k];
            if (tv_pci_ecam() && own->kind == PCI_BAR_IO) /* no ports: dropped */
                TEST_ASSERT(kind == PCI_BAR_NONE || kind == PCI_BAR_IO, "device %u BAR %u",
                            (unsigned)i, k);
            else if (tv_pci_ecam() && own->kind != PCI_BAR_NONE && own->base == 0)
                TEST_ASSERT(kind == own->kind && size == own->size &&
                                placed_in_a_window(kind, base, size),
                            "device %u BAR %u: %#llx+%#llx placed in no window", (unsigned)i, k,
                            (unsigned long long)base, (unsigned long long)size);
            else
                TEST_ASSERT(kind == own->kind && base == own->base && size == own->size,
                            "device %u BAR %u", (unsigned)i, k);
        }
        TEST_ASSERT_ERR(wfp_pci_bar(c, i, PCI_BARS, 0, 0, 0), WF_ERR_RANGE_ERROR);
    }
    TEST_ASSERT_ERR(wfp_pci_describe(c, nall, 0, 0, 0, 0, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_pci_bar(c, nall, 0, 0, 0, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_pci_describe(c, ~(wf_word_t)0, 0, 0, 0, 0, 0), WF_ERR_RANGE_ERROR);
}

/* Starts the bus and two clients; the disk's index, or skips. */
static bool setup(struct tv_bus *b, wf_cptr_t *c1, wf_cptr_t *c2, int *disk)
{
    NEED(enumerate());
    if ((*disk = disk_index()) < 0)
        test_skip_now("no virtio-blk-pci disk in this boot (check-user adds one)");
    NEED(tv_start_bus(b));
    if (tv_pci_ecam()) /* the BARs and the line as the server placed them */
        NEED(tv_bus_refresh(b, &all[*disk]));
    *c1 = tv_bus_client(b, 1);
    *c2 = tv_bus_client(b, 2);
    NEED(*c1 && *c2);
    return true;
}

TEST(pcibus, claim_is_one_client_at_a_time_and_checks_everything)
{
    struct tv_bus b;
    wf_cptr_t c1, c2;
    int disk;
    TEST_ASSERT(setup(&b, &c1, &c2, &disk));
    wf_word_t idx = 99, v = 0;
    TEST_ASSERT_ERR(wfp_pci_claim(c1, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx), WF_ERR_OK);
    TEST_ASSERT_EQ(idx, (wf_word_t)disk);
    TEST_ASSERT_ERR(wfp_pci_claim(c2, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_pci_claim(c2, WFP_PCI_ANY, WFP_PCI_ANY, 0x0100, 0, &idx),
                    WF_ERR_ILLEGAL_OPERATION); /* the same disk by its class */
    TEST_ASSERT_ERR(wfp_pci_claim(c2, 0x1af4, 0x1042, WFP_PCI_ANY, 1, &idx), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(wfp_pci_claim(c2, 0xffff, WFP_PCI_ANY, WFP_PCI_ANY, 0, &idx),
                    WF_ERR_FAILED_LOOKUP);
    wf_word_t claimed = 0;
    TEST_ASSERT_ERR(wfp_pci_describe(c2, disk, 0, 0, 0, 0, &claimed), WF_ERR_OK);
    TEST_ASSERT_EQ(claimed, 1);
    /* Client 2 may do nothing with it. */
    TEST_ASSERT_ERR(wfp_pci_get_cap(c2, disk, 0, WF_ROOT_CNODE, test_slot(5), 64),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_pci_config_read(c2, disk, 0, 4, &v), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_pci_set_command(c2, disk, 0), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_pci_release(c2, disk, 0), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wfp_pci_release(c2, WFP_PCI_ANY, 1), WF_ERR_RANGE_ERROR); /* badge 0 only */
    /* Client 1: configuration reads, checked. */
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, disk, 0, 4, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v, 0x10421af4);
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, disk, 2, 2, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v, 0x1042);
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, disk, 0x3d, 1, &v), WF_ERR_OK);
    TEST_ASSERT_EQ(v, all[disk].irq_pin);
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, disk, 2, 4, &v), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, disk, 0, 3, &v), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, disk, 0x100, 1, &v), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_pci_config_read(c1, nall, 0, 4, &v), WF_ERR_RANGE_ERROR);
    /* Commands: only the four bits. */
    TEST_ASSERT_ERR(wfp_pci_set_command(c1, disk, 0x100), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_pci_set_command(c1, disk, PCI_COMMAND_MEMORY), WF_ERR_OK);
    uint32_t cmd = 0;
    TEST_ASSERT(read_command(c1, disk, &cmd));
    TEST_ASSERT_EQ(cmd & WFP_PCI_COMMAND_BITS, PCI_COMMAND_MEMORY);
    /* GetCap: what out of range, an unimplemented BAR, another index. */
    TEST_ASSERT_ERR(
        wfp_pci_get_cap(c1, disk, WFP_PCI_WHAT_IRQ + 1, WF_ROOT_CNODE, test_slot(5), 64),
        WF_ERR_RANGE_ERROR);
    unsigned none = 0;
    while (none < PCI_BARS && all[disk].bar[none].kind != PCI_BAR_NONE)
        none++;
    TEST_ASSERT(none < PCI_BARS, "every BAR implemented");
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, none, WF_ROOT_CNODE, test_slot(5), 64),
                    WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, 0, 0, WF_ROOT_CNODE, test_slot(5), 64),
                    WF_ERR_ILLEGAL_OPERATION);
    /* The bus server still serves. */
    TEST_ASSERT_ERR(wfp_pci_describe(c2, 0, 0, 0, 0, 0, 0), WF_ERR_OK);
}

/* The disk's memory BAR with the virtio structures (the first memory BAR). */
static unsigned mem_bar(int disk)
{
    for (unsigned k = 0; k < PCI_BARS; k++)
        if (all[disk].bar[k].kind == PCI_BAR_MEM64 || all[disk].bar[k].kind == PCI_BAR_MEM32)
            return k;
    return PCI_BARS;
}

TEST(pcibus, get_cap_hands_exactly_the_bar_and_the_line)
{
    struct tv_bus b;
    wf_cptr_t c1, c2;
    int disk;
    TEST_ASSERT(setup(&b, &c1, &c2, &disk));
    wf_word_t idx;
    TEST_ASSERT_ERR(wfp_pci_claim(c1, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx), WF_ERR_OK);
    unsigned k = mem_bar(disk);
    TEST_ASSERT(k < PCI_BARS);
    wf_cptr_t vmo = test_slot(5), h = test_slot(6);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, k, WF_ROOT_CNODE, vmo, 64), WF_ERR_OK);
    wf_word_t size = 0, kind = 9, pa = 0;
    TEST_ASSERT_ERR(wf_vmo_describe(vmo, &size, &kind, &pa, 0), WF_ERR_OK);
    const struct pci_bar *bar = &all[disk].bar[k];
    TEST_ASSERT_EQ(kind, 1); /* physical */
    TEST_ASSERT_EQ(pa, bar->base);
    TEST_ASSERT_EQ(size, bar->size < 4096 ? 4096 : bar->size);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, WFP_PCI_WHAT_IRQ, WF_ROOT_CNODE, h, 64), WF_ERR_OK);
    wf_word_t line = 0;
    TEST_ASSERT_ERR(wf_irqhandler_describe(h, &line, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(line, all[disk].irq_line);
    /* Mapped, the virtio common configuration answers: device_feature_select reads back. */
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vmo, MAP_VA, 0, size, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_set_command(c1, disk, PCI_COMMAND_MEMORY), WF_ERR_OK);
    volatile uint32_t *common = (volatile uint32_t *)MAP_VA;
    common[0] = 1;
    TEST_ASSERT_EQ(common[0], 1);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, MAP_VA, size), WF_ERR_OK);
}

TEST(pcibus, release_and_a_second_claim_revoke_what_was_handed_out)
{
    struct tv_bus b;
    wf_cptr_t c1, c2;
    int disk;
    TEST_ASSERT(setup(&b, &c1, &c2, &disk));
    wf_word_t idx, type = 0, size = 0;
    unsigned k = mem_bar(disk);
    wf_cptr_t vmo = test_slot(5), h = test_slot(6);
    TEST_ASSERT_ERR(wfp_pci_claim(c1, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, k, WF_ROOT_CNODE, vmo, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, WFP_PCI_WHAT_IRQ, WF_ROOT_CNODE, h, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vmo_describe(vmo, &size, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vmo, MAP_VA, 0, size, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_set_command(c1, disk, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER),
                    WF_ERR_OK);
    (void)*(volatile uint32_t *)MAP_VA; /* present */
    wf_word_t ps = 0;
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, MAP_VA, &ps, 0), WF_ERR_OK);
    TEST_ASSERT(ps != 0);
    /* The same client claims again (a restarted driver): the old caps go. */
    TEST_ASSERT_ERR(wfp_pci_claim(c1, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_describe(WF_ROOT_CNODE, vmo, 64, &type, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(type != WF_OBJ_VMO, "the BAR's VMO is still there (type %lu)", (unsigned long)type);
    TEST_ASSERT_ERR(wf_cnode_describe(WF_ROOT_CNODE, h, 64, &type, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(type != WF_OBJ_IRQ_HANDLER, "the IRQHandler copy is still there");
    TEST_ASSERT_ERR(wf_vspace_mapping(WF_ROOT_VSPACE, MAP_VA, &ps, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(ps, 0); /* unmapped with the VMO */
    uint32_t cmd = 0;
    TEST_ASSERT(read_command(c1, disk, &cmd));
    TEST_ASSERT_EQ(cmd & (PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY), 0);
    /* Handed out again after the second claim; then a Release frees it for client 2. */
    wf_cnode_delete(WF_ROOT_CNODE, vmo, 64);
    wf_cnode_delete(WF_ROOT_CNODE, h, 64);
    wf_vspace_unmap(WF_ROOT_VSPACE, MAP_VA, size);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, k, WF_ROOT_CNODE, vmo, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c1, disk, WFP_PCI_WHAT_IRQ, WF_ROOT_CNODE, h, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_release(c1, disk, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_describe(WF_ROOT_CNODE, vmo, 64, &type, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(type != WF_OBJ_VMO);
    TEST_ASSERT_ERR(wfp_pci_release(c1, disk, 0), WF_ERR_ILLEGAL_OPERATION); /* released */
    TEST_ASSERT_ERR(wfp_pci_claim(c2, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_pci_get_cap(c2, disk, k, WF_ROOT_CNODE, test_slot(7), 64), WF_ERR_OK);
    /* Badge 0 (init) releases every device of client 2. */
    TEST_ASSERT_ERR(wfp_pci_release(b.ep, WFP_PCI_ANY, 2), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_describe(WF_ROOT_CNODE, test_slot(7), 64, &type, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(type != WF_OBJ_VMO);
    TEST_ASSERT_ERR(wfp_pci_claim(c1, 0x1af4, 0x1042, WFP_PCI_ANY, 0, &idx), WF_ERR_OK);
}
