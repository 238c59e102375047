/*
 * The PCI library and the virtio-blk driver on QEMU's real devices. check-user
 * boots with a 1 MiB raw disk of a known pattern (tools/mkdisk.py, mk/test.mk:
 * QEMU_TEST_DISK) on a modern-only virtio-blk-pci function.
 *
 * vblk/pci_finds_the_disk enumerates bus 0 through an IOPort cap over
 * 0xcf8-0xcff (mechanism #1), sizes the disk's BARs and finds its virtio
 * capabilities. vblk/driver_* start user/vblk as a child process with what
 * init would give it: that IOPort range, the IRQHandler of the disk's INTx
 * line, and a device untyped split down to the BAR (the test is the root
 * task, so it holds every device untyped); the test is the client: a
 * Pool_CreateContig buffer given once with SetBuffer, then Info, Reads
 * compared with the pattern, Writes read back, Flush, and every refused
 * request; vblk/driver_reads_ahead_and_a_write_wins reads in sequence and checks
 * what the driver asked of the device (block.Stats). Writes land in QEMU's temporary overlay (snapshot=on), so every boot
 * starts from the pattern. Without the disk (a boot that does not add it)
 * the tests are skipped; check-user requires them to pass.
 */
#include <string.h>

#include "../vblk/blk.h"
#include "tutil.h"
#include "tarch.h"
#include "tvirtio.h"
#include "weft/invoke.h"
#include "wf/pci.h"
#include "wf/proto/block.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"

#define BI           test_bootinfo
#define DISK_SECTORS 2048u /* 1 MiB */
#define BUF_SIZE     0x10000u
#define VBLK_POOL    (4u << 20) /* 15 bounce buffers of 128 KiB, the rings */

/* Byte j of sector s of the disk as tools/mkdisk.py writes it. */
static uint8_t pattern(uint32_t s, uint32_t j)
{
    if (j < 4)
        return (uint8_t) "WEFT"[j];
    if (j < 8)
        return (uint8_t)(s >> (8 * (j - 4)));
    return (uint8_t)((s * 7 + j) ^ 0x5a);
}

static struct pci_access acc;

/* Finds the disk (BARs sized) through the test's own view of the bus
 * (tv_pci_scan; with ECAM kept mapped when keep); skips the test when the boot
 * has none. */
static bool find_disk(struct pci_func *f, bool keep)
{
    static struct pci_func all[64];
    size_t n = 0;
    NEED(tv_pci_scan(test_slot(0), &acc, all, 64, &n, keep));
    NEED(n >= 2, "only %u PCI functions", (unsigned)n);
    /* The host bridge at 00:00.0: QEMU pc's i440FX, QEMU virt's generic one. */
    NEED((all[0].vendor == 0x8086 && all[0].device == 0x1237) ||
             (all[0].vendor == 0x1b36 && all[0].device == 0x0008),
         "00:00.0 is %04x:%04x", all[0].vendor, all[0].device);
    for (size_t i = 0; i < n; i++) {
        if (all[i].vendor == VIRTIO_BLK_PCI_VENDOR && all[i].device == VIRTIO_BLK_PCI_MODERN) {
            *f = all[i];
            return true;
        }
    }
    test_skip_now("no virtio-blk-pci disk in this boot (check-user adds one)");
}

TEST(vblk, pci_finds_the_disk)
{
    struct pci_func f;
    TEST_ASSERT(find_disk(&f, true));
    TEST_ASSERT_EQ(f.class_code, 0x01); /* mass storage */
    TEST_ASSERT(f.irq_pin >= 1 && f.irq_pin <= 4, "interrupt pin %u", f.irq_pin);
    /* With ECAM no firmware routed the pin: the bus server does (pcibus/). */
    if (!tv_pci_ecam())
        TEST_ASSERT(f.irq_line > 0 && f.irq_line < 16, "interrupt line %u", f.irq_line);
    struct virtio_pci_caps c;
    TEST_ASSERT_EQ(virtio_pci_find_caps(&acc, &f, &c), VIRTIO_OK);
    const struct pci_bar *b = &f.bar[c.common.bar];
    TEST_ASSERT(b->kind == PCI_BAR_MEM64 || b->kind == PCI_BAR_MEM32, "BAR kind %u", b->kind);
    TEST_ASSERT(b->size >= 0x4000 && (b->base & (b->size - 1)) == 0, "BAR %#llx+%#llx",
                (unsigned long long)b->base, (unsigned long long)b->size);
    TEST_ASSERT(c.notify_multiplier > 0 && c.device.length >= 8);
    /* Sizing left the BAR where it was. */
    uint32_t lo;
    TEST_ASSERT_EQ(
        pci_read(&acc, f.bus, f.dev, f.fn, (uint16_t)(PCI_BAR0 + 4 * c.common.bar), 4, &lo),
        PCI_OK);
    TEST_ASSERT_EQ(lo & ~0xfu, (uint32_t)b->base);
}

/* Starts user/vblk with the caps init would give it and waits until it serves. */
static bool start_driver(struct tv_drv *d)
{
    return find_disk(&d->f, false) && tv_start_driver(d, "vblk", VBLK_POOL);
}

/* A client cap (badge) to the driver. */
static wf_cptr_t client(struct tv_drv *d, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c = e ? wf_env_slot(e) : 0;
    if (!c || wf_cnode_mint(WF_ROOT_CNODE, c, 64, WF_ROOT_CNODE, d->ep, 64, WF_RIGHTS_ALL, badge))
        return 0;
    return c;
}

/* A contiguous buffer of BUF_SIZE bytes mapped at va. */
static wf_cptr_t contig_buffer(uintptr_t va)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t v = e ? wf_env_slot(e) : 0;
    if (!v || wf_pool_create_contig(e->pool, BUF_SIZE, WF_ROOT_CNODE, v, 64) ||
        wf_vspace_map(WF_ROOT_VSPACE, v, va, 0, BUF_SIZE, WF_VM_READ | WF_VM_WRITE))
        return 0;
    return v;
}

/* Whether sectors [lba, lba + n) in buf hold the disk's pattern. */
static bool holds_pattern(const uint8_t *buf, uint32_t lba, uint32_t n, uint32_t *bad)
{
    for (uint32_t s = 0; s < n; s++)
        for (uint32_t j = 0; j < VBLK_SECTOR; j++)
            if (buf[s * VBLK_SECTOR + j] != pattern(lba + s, j)) {
                *bad = s * VBLK_SECTOR + j;
                return false;
            }
    return true;
}

TEST(vblk, driver_reads_and_writes)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    wf_cptr_t c = client(&d, 1);
    TEST_ASSERT(c != 0);
    wf_word_t bb = 0, sectors = 0, flags = 9, size = 0;
    TEST_ASSERT_ERR(wfp_block_info(c, &bb, &sectors, &flags), WF_ERR_OK);
    TEST_ASSERT_EQ(bb, 512);
    TEST_ASSERT_EQ(sectors, DISK_SECTORS);
    TEST_ASSERT_EQ(flags, 0);

    wf_cptr_t v = contig_buffer(TEST_VA);
    TEST_ASSERT(v != 0);
    uint8_t *buf = (uint8_t *)TEST_VA;
    memset(buf, 0xee, BUF_SIZE);
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, v, &size), WF_ERR_OK);
    TEST_ASSERT_EQ(size, BUF_SIZE);

    /* The first 16 sectors, the last one, and 128 sectors (64 KiB) at once. */
    uint32_t bad = 0;
    TEST_ASSERT_ERR(wfp_block_read(c, 0, 16, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 0, 16, &bad), "sectors 0-15 differ at byte %u", bad);
    TEST_ASSERT_ERR(wfp_block_read(c, DISK_SECTORS - 1, 1, 0x1000), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf + 0x1000, DISK_SECTORS - 1, 1, &bad), "last sector at %u", bad);
    TEST_ASSERT_ERR(wfp_block_read(c, 700, 128, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 700, 128, &bad), "sectors 700-827 differ at byte %u", bad);

    /* Write 4 sectors from offset 0x8000, read them back to 0xc000 (an odd offset too). */
    for (uint32_t i = 0; i < 4 * VBLK_SECTOR; i++)
        buf[0x8000 + i] = (uint8_t)(i * 3 + 1);
    TEST_ASSERT_ERR(wfp_block_write(c, 100, 4, 0x8000), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_flush(c), WF_ERR_OK);
    memset(buf + 0xc000, 0, 0x1000);
    TEST_ASSERT_ERR(wfp_block_read(c, 100, 4, 0xc001), WF_ERR_OK);
    TEST_ASSERT(memcmp(buf + 0x8000, buf + 0xc001, 4 * VBLK_SECTOR) == 0,
                "written sectors read back differently");
    TEST_ASSERT_ERR(wfp_block_read(c, 99, 1, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 99, 1, &bad), "the sector before the write changed");
    TEST_ASSERT_ERR(wfp_block_read(c, 104, 1, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 104, 1, &bad), "the sector after the write changed");
    /* Every answer came from the interrupt path (on_notify): one INTx a request at least. */
    wf_word_t irq = 0, count = 0;
    TEST_ASSERT_ERR(wf_irqhandler_describe(d.irq, &irq, 0, &count), WF_ERR_OK);
    TEST_ASSERT_EQ(irq, d.f.irq_line);
    TEST_ASSERT(count >= 8, "%lu interrupts for 8 requests", (unsigned long)count);
    tv_stop_driver(&d, &acc);
}

TEST(vblk, driver_refuses_bad_requests)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    wf_cptr_t c = client(&d, 1), other = client(&d, 2);
    TEST_ASSERT(c && other);
    /* Without a buffer. */
    TEST_ASSERT_ERR(wfp_block_read(c, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION);
    /* Buffers that are not: an anonymous VMO, a notification, an endpoint. */
    wf_cptr_t anon = test_vmo(BUF_SIZE);
    TEST_ASSERT(anon != 0);
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, anon, 0), WF_ERR_INVALID_ARGUMENT);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(ntfn != 0);
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, ntfn, 0), WF_ERR_INVALID_ARGUMENT);
    /* The driver's own endpoint arrives unwrapped: the dispatch refuses it. */
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, d.ep, 0), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wfp_block_read(c, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION);

    wf_cptr_t v = contig_buffer(TEST_VA);
    TEST_ASSERT(v != 0);
    uint8_t *buf = (uint8_t *)TEST_VA;
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, v, 0), WF_ERR_OK);
    /* Sectors past the end, counts out of range, bytes past the buffer. */
    TEST_ASSERT_ERR(wfp_block_read(c, DISK_SECTORS, 1, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_block_read(c, DISK_SECTORS - 1, 2, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_block_write(c, ~(wf_word_t)0, 2, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_block_read(c, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_block_read(c, 0, WFP_BLOCK_SECTOR_MAX + 1, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_block_read(c, 0, ~(wf_word_t)0, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wfp_block_read(c, 0, 1, BUF_SIZE - 511), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_block_read(c, 0, 129, 0), WF_ERR_RANGE_ERROR); /* 64.5 KiB */
    TEST_ASSERT_ERR(wfp_block_write(c, 0, 1, ~(wf_word_t)0 - 100), WF_ERR_RANGE_ERROR);
    /* Another client does not share c's buffer. */
    TEST_ASSERT_ERR(wfp_block_read(other, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION);

    /* A read-only cap to the buffer: Writes from it, but no Reads into it. */
    TEST_ENV(e);
    wf_cptr_t ro = wf_env_slot(e);
    TEST_ASSERT_ERR(wf_cnode_copy(WF_ROOT_CNODE, ro, 64, WF_ROOT_CNODE, v, 64, WF_RIGHT_READ),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_set_buffer(other, ro, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_read(other, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION);
    uint32_t bad = 0;
    TEST_ASSERT_ERR(wfp_block_read(c, 5, 1, 0x200), WF_ERR_OK); /* the pattern of sector 5 ... */
    TEST_ASSERT_ERR(wfp_block_write(other, 6, 1, 0x200), WF_ERR_OK); /* ... copied to 6 */
    TEST_ASSERT_ERR(wfp_block_read(c, 6, 1, 0x400), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf + 0x400, 5, 1, &bad), "sector 6 is not sector 5's copy");
    /* After all that, good requests still work. */
    TEST_ASSERT_ERR(wfp_block_read(c, 7, 1, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 7, 1, &bad), "sector 7 at byte %u", bad);
    tv_stop_driver(&d, &acc);
}

/*
 * Read-ahead (decision 141): 8-sector Reads in sequence from sector 1024 on are
 * answered from the driver's windows (block.Stats: far fewer device requests than
 * Reads, every sector read), and a Write over a window is what a later Read sees.
 */
TEST(vblk, driver_reads_ahead_and_a_write_wins)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    wf_cptr_t c = client(&d, 1);
    TEST_ASSERT(c != 0);
    wf_cptr_t v = contig_buffer(TEST_VA);
    TEST_ASSERT(v != 0);
    uint8_t *buf = (uint8_t *)TEST_VA;
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, v, 0), WF_ERR_OK);
    wf_word_t rd0 = 0, wr0 = 0, rq0 = 0, rd1 = 0, wr1 = 0, rq1 = 0;
    TEST_ASSERT_ERR(wfp_block_stats(c, &rd0, &wr0, &rq0), WF_ERR_OK);
    uint32_t bad = 0, reads = 0;
    for (uint32_t lba = 1024; lba < 1664; lba += 8, reads++) {
        memset(buf, 0, 8 * VBLK_SECTOR);
        TEST_ASSERT_ERR(wfp_block_read(c, lba, 8, 0), WF_ERR_OK);
        TEST_ASSERT(holds_pattern(buf, lba, 8, &bad), "sectors %u-%u at byte %u", lba, lba + 7,
                    bad);
    }
    TEST_ASSERT_ERR(wfp_block_stats(c, &rd1, &wr1, &rq1), WF_ERR_OK);
    TEST_ASSERT(rd1 - rd0 >= 640, "%lu sectors read for 640", (unsigned long)(rd1 - rd0));
    TEST_ASSERT(rq1 - rq0 <= 10, "%lu device requests for %u Reads", (unsigned long)(rq1 - rq0),
                reads);
    TEST_ASSERT_EQ(wr1 - wr0, 0);

    /* A Write over what the windows hold (the reader is at 1664). */
    for (uint32_t i = 0; i < 4 * VBLK_SECTOR; i++)
        buf[0x8000 + i] = (uint8_t)(i * 5 + 3);
    TEST_ASSERT_ERR(wfp_block_write(c, 1700, 4, 0x8000), WF_ERR_OK);
    memset(buf + 0xc000, 0, 0x1000);
    TEST_ASSERT_ERR(wfp_block_read(c, 1664, 8, 0xa000), WF_ERR_OK); /* in sequence still */
    TEST_ASSERT(holds_pattern(buf + 0xa000, 1664, 8, &bad), "sectors 1664-1671 at %u", bad);
    TEST_ASSERT_ERR(wfp_block_read(c, 1700, 4, 0xc000), WF_ERR_OK);
    TEST_ASSERT(memcmp(buf + 0x8000, buf + 0xc000, 4 * VBLK_SECTOR) == 0,
                "a Read after a Write gave the sectors from before it");
    TEST_ASSERT_ERR(wfp_block_read(c, 1696, 4, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 1696, 4, &bad), "the sectors before the write changed");
    TEST_ASSERT_ERR(wfp_block_stats(c, &rd1, &wr1, &rq1), WF_ERR_OK);
    TEST_ASSERT_EQ(wr1 - wr0, 4);

    /* The pattern back, for the tests after this one. */
    for (uint32_t s = 0; s < 4; s++)
        for (uint32_t j = 0; j < VBLK_SECTOR; j++)
            buf[0x8000 + s * VBLK_SECTOR + j] = pattern(1700 + s, j);
    TEST_ASSERT_ERR(wfp_block_write(c, 1700, 4, 0x8000), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_read(c, 1700, 4, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(buf, 1700, 4, &bad), "sectors 1700-1703 not restored: %u", bad);
    tv_stop_driver(&d, &acc);
}

/* Requests of several client threads held by the driver at once. */
struct reader {
    wf_cptr_t c;
    wf_word_t lba, count, offset;
    volatile wf_word_t err;
};

static int read_one(uintptr_t arg)
{
    struct reader *r = (struct reader *)arg;
    r->err = wfp_block_read(r->c, r->lba, r->count, r->offset);
    return 0;
}

TEST(vblk, driver_holds_requests_in_flight_together)
{
    enum { N = 6 };
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    TEST_ENV(e);
    wf_cptr_t c = client(&d, 1);
    wf_cptr_t v = contig_buffer(TEST_VA);
    TEST_ASSERT(c && v);
    uint8_t *buf = (uint8_t *)TEST_VA;
    memset(buf, 0, BUF_SIZE);
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, v, 0), WF_ERR_OK);
    /* The driver does not run while the clients call: every Call waits in it
     * (the first) or on its endpoint; then it takes them all before the disk's
     * first interrupt can come, so they are in flight together. */
    TEST_ASSERT_ERR(wf_tcb_set_priority(d.p.main.tcb, WF_ROOT_TCB, 0), WF_ERR_OK);
    static struct reader r[N];
    struct wf_thread t[N];
    for (unsigned i = 0; i < N; i++) {
        r[i] = (struct reader){c, 300 + 37 * i, 1 + i, 0x2000 * i, 1000};
        TEST_ASSERT_ERR(wf_thread_create(e, &t[i], read_one, (uintptr_t)&r[i], TEST_CHILD_PRIO),
                        WF_ERR_OK);
        TEST_ASSERT_ERR(wf_thread_start(&t[i]), WF_ERR_OK);
    }
    TEST_ASSERT(test_settle());
    for (unsigned i = 0; i < N; i++)
        TEST_ASSERT_EQ(r[i].err, 1000); /* nobody answered yet */
    TEST_ASSERT_ERR(wf_tcb_set_priority(d.p.main.tcb, WF_ROOT_TCB, TEST_CHILD_PRIO), WF_ERR_OK);
    for (unsigned i = 0; i < N; i++) {
        struct wf_event ev;
        TEST_ASSERT_ERR(wf_thread_wait(&t[i], &ev), WF_ERR_OK);
        TEST_ASSERT_ERR((enum wf_error)r[i].err, WF_ERR_OK);
        uint32_t bad = 0;
        TEST_ASSERT(
            holds_pattern(buf + r[i].offset, (uint32_t)r[i].lba, (uint32_t)r[i].count, &bad),
            "reader %u: byte %u differs", i, bad);
    }
    tv_stop_driver(&d, &acc);
}

/* The DMA hazard: a client revokes and deletes its buffer while its Read is
 * held in the driver. The memory goes back to the pool and is handed out again
 * (the same physical pages); the device must never write it: the driver reads
 * into a bounce buffer of its own and its copy into the client's VMO fails
 * (CANCELLED). With DMA straight into the client's pages, the disk's sectors
 * would land in the new VMO. */
TEST(vblk, a_buffer_revoked_in_flight_is_never_written)
{
    struct tv_drv d;
    TEST_ASSERT(start_driver(&d));
    TEST_ENV(e);
    wf_cptr_t c = client(&d, 1);
    wf_cptr_t v = contig_buffer(TEST_VA);
    TEST_ASSERT(c && v);
    wf_word_t pa = 0, pa2 = 0;
    TEST_ASSERT_ERR(wf_vmo_describe(v, 0, 0, &pa, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, v, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_priority(d.p.main.tcb, WF_ROOT_TCB, 0), WF_ERR_OK);
    static struct reader r;
    r = (struct reader){c, 0, 128, 0, 1000};
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, read_one, (uintptr_t)&r, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle());
    TEST_ASSERT_EQ(r.err, 1000); /* held in the driver */
    /* The client takes its buffer back: every copy, then the VMO itself. */
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, TEST_VA, BUF_SIZE), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, v, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(WF_ROOT_CNODE, v, 64), WF_ERR_OK);
    /* Its memory is handed out again, filled with a mark. */
    wf_cptr_t w = contig_buffer(TEST_VA + BUF_SIZE);
    TEST_ASSERT(w != 0);
    TEST_ASSERT_ERR(wf_vmo_describe(w, 0, 0, &pa2, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(pa2, pa); /* the same pages: what the device might hit */
    uint8_t *mark = (uint8_t *)(TEST_VA + BUF_SIZE);
    memset(mark, 0xa5, BUF_SIZE);
    TEST_ASSERT_ERR(wf_tcb_set_priority(d.p.main.tcb, WF_ROOT_TCB, TEST_CHILD_PRIO), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    for (uint32_t i = 0; i < BUF_SIZE; i++)
        TEST_ASSERT(mark[i] == 0xa5, "byte %u of the reused memory was written: %#x", i, mark[i]);
    TEST_ASSERT_ERR((enum wf_error)r.err, WF_ERR_CANCELLED);
    /* The driver goes on with the new buffer. */
    uint32_t bad = 0;
    TEST_ASSERT_ERR(wfp_block_set_buffer(c, w, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_block_read(c, 9, 2, 0), WF_ERR_OK);
    TEST_ASSERT(holds_pattern(mark, 9, 2, &bad), "sectors 9-10 at byte %u", bad);
    tv_stop_driver(&d, &acc);
}
