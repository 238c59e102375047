/*
 * virtio on the host: the split virtqueue (user/lib/weft/virtq.c) with the
 * test playing the device on the shared memory (taking chains from the avail
 * ring, writing the used ring), including a hostile device (used index past
 * what is in flight, ids out of range or not in flight, a chain returned
 * twice, lengths past the writable buffers: each an error and a broken queue,
 * a reset recovering it); negotiation and configuration reads
 * (user/lib/weft/virtio.c) over a fake transport; and the virtio PCI
 * capability parser (user/lib/weft/virtio_pci.c) over a fake configuration
 * space with good, missing and malformed capabilities.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "wf/virtio.h"

#define MEM_PA 0x10000000ull

static uint8_t mem[4 * 4096] __attribute__((aligned(4096)));
static struct virtq q;

/* The device side: the avail ring as it sees it. */
static uint16_t dev_avail_seen;

static void vq_setup(uint16_t size)
{
    memset(mem, 0xa5, sizeof(mem));
    cr_assert_eq(virtq_init(&q, mem, MEM_PA, sizeof(mem), size), VIRTQ_OK);
    dev_avail_seen = 0;
}

static volatile uint16_t *avail(void)
{
    return q.avail;
}

/* Device: takes the next available chain head, or -1. */
static int dev_take(void)
{
    if (avail()[1] == dev_avail_seen)
        return -1;
    return avail()[2 + (dev_avail_seen++ & (q.size - 1))];
}

/* Device: returns head with len in the used ring and bumps its index by bump. */
static void dev_put(uint32_t head, uint32_t len, uint16_t bump)
{
    uint16_t idx = q.used_hdr[1];
    q.used[idx & (q.size - 1)].id = head;
    q.used[idx & (q.size - 1)].len = len;
    q.used_hdr[1] = (uint16_t)(idx + bump);
}

static uint16_t add2(uint32_t rlen, uint32_t wlen)
{
    struct virtq_buf b[2] = {{0x1000, rlen, false}, {0x2000, wlen, true}};
    uint16_t h;
    cr_assert_eq(virtq_add(&q, b, 2, &h), VIRTQ_OK);
    return h;
}

TestSuite(virtq);

Test(virtq, layout_and_init)
{
    struct virtq_layout l = virtq_layout(128);
    cr_assert_eq(l.desc, 0);
    cr_assert_eq(l.avail, 2048);
    cr_assert_eq(l.used, 4096);
    cr_assert_eq(l.total, 8192);
    l = virtq_layout(256);
    cr_assert_eq(l.used, 8192);
    cr_assert_eq(l.total, 12288);
    cr_assert_eq(virtq_init(&q, mem, MEM_PA, sizeof(mem), 0), VIRTQ_ERR_ARG);
    cr_assert_eq(virtq_init(&q, mem, MEM_PA, sizeof(mem), 100), VIRTQ_ERR_ARG);
    cr_assert_eq(virtq_init(&q, mem, MEM_PA, sizeof(mem), 512), VIRTQ_ERR_ARG);
    cr_assert_eq(virtq_init(&q, mem, MEM_PA, 8192, 256), VIRTQ_ERR_ARG);
    cr_assert_eq(virtq_init(&q, mem + 8, MEM_PA, 8192, 4), VIRTQ_ERR_ARG);
    cr_assert_eq(virtq_init(&q, mem, MEM_PA + 8, 8192, 4), VIRTQ_ERR_ARG);
    vq_setup(128);
    cr_assert_eq(q.desc_pa, MEM_PA);
    cr_assert_eq(q.avail_pa, MEM_PA + 2048);
    cr_assert_eq(q.used_pa, MEM_PA + 4096);
    cr_assert_eq(q.num_free, 128);
    for (size_t i = 0; i < 8192; i++)
        cr_assert_eq(mem[i], 0, "ring byte %zu not zeroed", i);
}

Test(virtq, a_chain_round_trip)
{
    vq_setup(8);
    struct virtq_buf b[3] = {{0x1000, 16, false}, {0x2000, 512, true}, {0x3000, 1, true}};
    uint16_t h, next = virtq_next_head(&q);
    cr_assert_eq(virtq_add(&q, b, 3, &h), VIRTQ_OK);
    cr_assert_eq(h, next);
    cr_assert_eq(q.num_free, 5);
    cr_assert(virtq_kick_needed(&q));
    int got = dev_take();
    cr_assert_eq(got, h);
    /* The device follows the chain in the table. */
    volatile struct virtq_desc *d = &q.desc[h];
    cr_assert_eq(d->addr, 0x1000);
    cr_assert_eq(d->len, 16);
    cr_assert_eq(d->flags, VIRTQ_DESC_F_NEXT);
    d = &q.desc[d->next];
    cr_assert_eq(d->addr, 0x2000);
    cr_assert_eq(d->flags, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE);
    d = &q.desc[d->next];
    cr_assert_eq(d->len, 1);
    cr_assert_eq(d->flags, VIRTQ_DESC_F_WRITE);
    uint16_t head;
    uint32_t len;
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_EMPTY);
    dev_put(h, 513, 1);
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
    cr_assert_eq(head, h);
    cr_assert_eq(len, 513);
    cr_assert_eq(q.num_free, 8);
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_EMPTY);
    q.used_hdr[0] = VIRTQ_USED_F_NO_NOTIFY;
    cr_assert_not(virtq_kick_needed(&q));
}

Test(virtq, full_out_of_order_and_wrap)
{
    vq_setup(4);
    uint16_t h[2];
    h[0] = add2(16, 512);
    h[1] = add2(16, 512);
    uint16_t x;
    struct virtq_buf one = {0x1000, 1, false};
    cr_assert_eq(virtq_add(&q, &one, 1, &x), VIRTQ_FULL);
    /* Completed in the other order. */
    cr_assert_eq(dev_take(), h[0]);
    cr_assert_eq(dev_take(), h[1]);
    dev_put(h[1], 0, 1);
    dev_put(h[0], 512, 1);
    uint16_t head;
    uint32_t len;
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
    cr_assert_eq(head, h[1]);
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
    cr_assert_eq(head, h[0]);
    /* 70000 more round trips: both 16-bit indexes wrap. */
    for (unsigned i = 0; i < 70000; i++) {
        uint16_t next = virtq_next_head(&q);
        uint16_t a = add2(16, 1 + i % 512);
        cr_assert_eq(a, next);
        cr_assert_eq(dev_take(), a);
        dev_put(a, i % 512 + 1, 1);
        cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
        cr_assert_eq(head, a);
        cr_assert_eq(len, i % 512 + 1);
    }
    cr_assert_eq(q.num_free, 4);
}

Test(virtq, bad_arguments)
{
    vq_setup(4);
    uint16_t h;
    struct virtq_buf b[2] = {{0x1000, 0, false}, {0x2000, 8, true}};
    cr_assert_eq(virtq_add(&q, b, 0, &h), VIRTQ_ERR_ARG);
    cr_assert_eq(virtq_add(&q, b, 2, &h), VIRTQ_ERR_ARG);
    struct virtq_buf big[2] = {{0x1000, UINT32_MAX, true}, {0x2000, 8, true}};
    cr_assert_eq(virtq_add(&q, big, 2, &h), VIRTQ_ERR_ARG);
    struct virtq_buf five[5] = {{1, 1, 0}, {1, 1, 0}, {1, 1, 0}, {1, 1, 0}, {1, 1, 0}};
    cr_assert_eq(virtq_add(&q, five, 5, &h), VIRTQ_FULL);
    cr_assert_eq(q.num_free, 4);
    cr_assert_eq(avail()[1], 0, "nothing published");
}

/* A hostile used ring: each case breaks the queue; reset recovers. */
static void expect_broken(void)
{
    uint16_t head;
    uint32_t len;
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_ERR_DEVICE);
    cr_assert(q.broken);
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_ERR_DEVICE);
    uint16_t h;
    struct virtq_buf b = {0x1000, 1, false};
    cr_assert_eq(virtq_add(&q, &b, 1, &h), VIRTQ_ERR_DEVICE);
    virtq_reset(&q);
    dev_avail_seen = 0;
    cr_assert_not(q.broken);
    cr_assert_eq(q.num_free, q.size);
    uint16_t a = add2(16, 16);
    cr_assert_eq(dev_take(), a);
    dev_put(a, 16, 1);
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
    cr_assert_eq(head, a);
}

Test(virtq, hostile_used_index)
{
    vq_setup(8);
    uint16_t h = add2(16, 512);
    dev_put(h, 1, 2); /* two used entries, one chain in flight */
    expect_broken();
    vq_setup(8);
    q.used_hdr[1] = 0x8000; /* a wild index with nothing in flight */
    expect_broken();
}

Test(virtq, hostile_used_id)
{
    vq_setup(8);
    add2(16, 512);
    dev_put(8, 1, 1); /* past the table */
    expect_broken();
    vq_setup(8);
    add2(16, 512);
    dev_put(0xffffffffu, 1, 1);
    expect_broken();
    vq_setup(8);
    uint16_t h = add2(16, 512);
    dev_put((uint32_t)(h + 1), 1, 1); /* inside the chain, not its head */
    expect_broken();
}

Test(virtq, hostile_chain_returned_twice)
{
    vq_setup(8);
    uint16_t a = add2(16, 512);
    add2(16, 512);
    dev_put(a, 512, 1);
    dev_put(a, 512, 1);
    uint16_t head;
    uint32_t len;
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
    expect_broken();
}

Test(virtq, hostile_length)
{
    vq_setup(8);
    uint16_t h = add2(16, 512);
    dev_put(h, 513, 1); /* one byte past the writable buffer */
    expect_broken();
    vq_setup(8);
    struct virtq_buf ro = {0x1000, 64, false};
    cr_assert_eq(virtq_add(&q, &ro, 1, &h), VIRTQ_OK);
    dev_put(h, 1, 1); /* wrote into a read-only chain */
    expect_broken();
}

Test(virtq, hostile_descriptor_table)
{
    /* The device scribbles over the table: freeing follows the shadow links. */
    vq_setup(4);
    uint16_t a = add2(16, 512);
    for (unsigned i = 0; i < 4; i++)
        q.desc[i].next = 3, q.desc[i].flags = 0xffff;
    dev_put(a, 10, 1);
    uint16_t head;
    uint32_t len;
    cr_assert_eq(virtq_get(&q, &head, &len), VIRTQ_OK);
    cr_assert_eq(q.num_free, 4);
    uint16_t seen = 0;
    for (uint16_t i = 0, d = q.free_head; i < 4; i++, d = q.next[d]) {
        cr_assert_lt(d, 4);
        seen |= (uint16_t)(1u << d);
    }
    cr_assert_eq(seen, 0xf, "free list lost a descriptor");
}

/* A fake transport: a device with features, a status register and config. */
struct fake_dev {
    uint64_t offered, accepted;
    uint8_t status;
    bool refuse_features_ok, stuck_reset;
    uint32_t gen;
    bool gen_always_moves;
    uint8_t config[64];
    uint16_t qmax;
    uint16_t qsize;
    uint64_t qdesc, qavail, qused;
    unsigned status_writes;
};

static struct fake_dev fd;

static uint64_t f_get_features(void *t)
{
    return ((struct fake_dev *)t)->offered;
}
static void f_set_features(void *t, uint64_t f)
{
    ((struct fake_dev *)t)->accepted = f;
}
static uint8_t f_get_status(void *t)
{
    return ((struct fake_dev *)t)->status;
}
static bool f_set_status(void *t, uint8_t s)
{
    struct fake_dev *d = t;
    d->status_writes++;
    if (s == 0 && d->stuck_reset)
        return false;
    if ((s & VIRTIO_STATUS_FEATURES_OK) && d->refuse_features_ok)
        s &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    d->status = s;
    return true;
}
static bool f_read_config(void *t, size_t off, void *buf, size_t len)
{
    struct fake_dev *d = t;
    if (off > sizeof(d->config) || len > sizeof(d->config) - off)
        return false;
    memcpy(buf, d->config + off, len);
    if (d->gen_always_moves)
        d->gen++;
    return true;
}
static uint32_t f_gen(void *t)
{
    return ((struct fake_dev *)t)->gen;
}
static uint16_t f_num_queues(void *t)
{
    return 1;
}
static uint16_t f_queue_max(void *t, uint16_t i)
{
    return i == 0 ? ((struct fake_dev *)t)->qmax : 0;
}
static void f_queue_enable(void *t, uint16_t i, uint16_t size, uint64_t desc, uint64_t av,
                           uint64_t used)
{
    struct fake_dev *d = t;
    d->qsize = size;
    d->qdesc = desc;
    d->qavail = av;
    d->qused = used;
}
static void f_notify(void *t, uint16_t i) {}
static uint8_t f_isr(void *t)
{
    return 0;
}

static const struct virtio_transport fake_ops = {
    f_get_features, f_set_features, f_get_status,   f_set_status, f_read_config, f_gen,
    f_num_queues,   f_queue_max,    f_queue_enable, f_notify,     f_isr,
};

static struct virtio_dev vd;

static void dev_setup(void)
{
    memset(&fd, 0, sizeof(fd));
    fd.status = 0x55; /* junk a reset clears */
    vd = (struct virtio_dev){&fake_ops, &fd, 0};
}

TestSuite(virtio, .init = dev_setup);

Test(virtio, negotiate)
{
    fd.offered = VIRTIO_F_VERSION_1 | (1u << 6) | (1u << 9) | (1u << 2);
    cr_assert_eq(virtio_negotiate(&vd, (1u << 9) | (1u << 5), 1u << 6), VIRTIO_OK);
    cr_assert_eq(fd.accepted, VIRTIO_F_VERSION_1 | (1u << 6) | (1u << 9));
    cr_assert_eq(vd.features, fd.accepted);
    cr_assert_eq(fd.status,
                 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    cr_assert_eq(virtio_driver_ok(&vd), VIRTIO_OK);
    cr_assert(fd.status & VIRTIO_STATUS_DRIVER_OK);
}

Test(virtio, version_1_required)
{
    fd.offered = 0xffffffffu; /* a legacy-only device */
    cr_assert_eq(virtio_negotiate(&vd, 0, 0), VIRTIO_ERR_FEATURES);
    cr_assert(fd.status & VIRTIO_STATUS_FAILED);
    cr_assert_eq(vd.features, 0);
    cr_assert_eq(virtio_driver_ok(&vd), VIRTIO_ERR_DEVICE);
}

Test(virtio, required_feature_missing)
{
    fd.offered = VIRTIO_F_VERSION_1;
    cr_assert_eq(virtio_negotiate(&vd, 0, 1u << 6), VIRTIO_ERR_FEATURES);
    cr_assert(fd.status & VIRTIO_STATUS_FAILED);
}

Test(virtio, device_refuses_features)
{
    fd.offered = VIRTIO_F_VERSION_1;
    fd.refuse_features_ok = true;
    cr_assert_eq(virtio_negotiate(&vd, 0, 0), VIRTIO_ERR_FEATURES);
    cr_assert(fd.status & VIRTIO_STATUS_FAILED);
}

Test(virtio, reset_that_never_ends)
{
    fd.offered = VIRTIO_F_VERSION_1;
    fd.stuck_reset = true;
    cr_assert_eq(virtio_negotiate(&vd, 0, 0), VIRTIO_ERR_DEVICE);
    cr_assert_eq(virtio_reset(&vd), VIRTIO_ERR_DEVICE);
}

Test(virtio, config_reads)
{
    for (unsigned i = 0; i < sizeof(fd.config); i++)
        fd.config[i] = (uint8_t)i;
    uint64_t cap;
    cr_assert_eq(virtio_read_config(&vd, 0, &cap, 8), VIRTIO_OK);
    cr_assert_eq(cap, 0x0706050403020100ull);
    cr_assert_eq(virtio_read_config(&vd, 60, &cap, 8), VIRTIO_ERR_ARG);
    fd.gen_always_moves = true;
    cr_assert_eq(virtio_read_config(&vd, 0, &cap, 8), VIRTIO_ERR_DEVICE);
}

Test(virtio, setup_queue)
{
    fd.qmax = 1024;
    cr_assert_eq(virtio_setup_queue(&vd, 0, &q, mem, MEM_PA, sizeof(mem), 1000), VIRTIO_OK);
    cr_assert_eq(fd.qsize, 256); /* VIRTQ_MAX */
    cr_assert_eq(fd.qdesc, MEM_PA);
    cr_assert_eq(fd.qavail, MEM_PA + 4096);
    cr_assert_eq(fd.qused, MEM_PA + 8192);
    fd.qmax = 100;
    cr_assert_eq(virtio_setup_queue(&vd, 0, &q, mem, MEM_PA, sizeof(mem), 128), VIRTIO_OK);
    cr_assert_eq(fd.qsize, 64);
    cr_assert_eq(virtio_setup_queue(&vd, 1, &q, mem, MEM_PA, sizeof(mem), 128), VIRTIO_ERR_DEVICE);
    cr_assert_eq(virtio_setup_queue(&vd, 0, &q, mem, MEM_PA, 4096, 64), VIRTIO_ERR_ARG);
}

/* Virtio PCI capabilities over a fake configuration space of one function. */
static uint8_t cfg[256];

static int cread(void *ctx, uint8_t b, uint8_t d, uint8_t f, uint16_t off, uint32_t *v)
{
    cr_assert(off <= 0xfc && (off & 3) == 0);
    *v = cfg[off] | cfg[off + 1] << 8 | cfg[off + 2] << 16 | (uint32_t)cfg[off + 3] << 24;
    return 0;
}
static int cwrite(void *ctx, uint8_t b, uint8_t d, uint8_t f, uint16_t off, uint32_t v)
{
    return 0;
}
static const struct pci_access cacc = {NULL, cread, cwrite};
static struct pci_func pf;

static void put_cap(uint8_t at, uint8_t next, uint8_t type, uint8_t bar, uint32_t off, uint32_t len,
                    uint8_t cap_len)
{
    uint8_t c[16] = {PCI_CAP_ID_VENDOR, next, cap_len, type, bar};
    memcpy(c + 8, &off, 4);
    memcpy(c + 12, &len, 4);
    memcpy(cfg + at, c, 16);
}

static void caps_setup(void)
{
    memset(cfg, 0, sizeof(cfg));
    memset(&pf, 0, sizeof(pf));
    pf.status = PCI_STATUS_CAP_LIST;
    pf.bar[4] = (struct pci_bar){0xfe000000, 0x4000, PCI_BAR_MEM64, true};
    cfg[PCI_CAP_PTR] = 0x40;
    /* QEMU's layout: common 0, ISR 0x1000, device 0x2000, notify 0x3000 (x4). */
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 4, 0x0000, 0x1000, 16);
    put_cap(0x50, 0x60, VIRTIO_PCI_CAP_ISR, 4, 0x1000, 0x1000, 16);
    put_cap(0x60, 0x70, VIRTIO_PCI_CAP_DEVICE, 4, 0x2000, 0x1000, 16);
    put_cap(0x70, 0x00, VIRTIO_PCI_CAP_NOTIFY, 4, 0x3000, 0x1000, 20);
    uint32_t mult = 4;
    memcpy(cfg + 0x80, &mult, 4);
}

TestSuite(virtio_pci, .init = caps_setup);

Test(virtio_pci, finds_the_structures)
{
    struct virtio_pci_caps c;
    cr_assert_eq(virtio_pci_find_caps(&cacc, &pf, &c), VIRTIO_OK);
    cr_assert_eq(c.common.bar, 4);
    cr_assert_eq(c.common.length, 0x1000);
    cr_assert_eq(c.isr.offset, 0x1000);
    cr_assert_eq(c.device.offset, 0x2000);
    cr_assert_eq(c.notify.offset, 0x3000);
    cr_assert_eq(c.notify_multiplier, 4);
    /* attach: a structure in an unmapped BAR is refused; then MMIO views. */
    static uint8_t bar4[0x4000];
    volatile uint8_t *va[PCI_BARS] = {0};
    struct virtio_pci p;
    struct virtio_dev d;
    cr_assert_eq(virtio_pci_attach(&p, &c, va, &d), VIRTIO_ERR_ARG);
    va[4] = bar4;
    cr_assert_eq(virtio_pci_attach(&p, &c, va, &d), VIRTIO_OK);
    cr_assert_eq(p.isr, bar4 + 0x1000);
    cr_assert_eq(p.notify, bar4 + 0x3000);
    cr_assert_eq(d.ops, &virtio_pci_transport);
    bar4[0x2000 + 3] = 0x12;
    uint8_t x[4];
    cr_assert(d.ops->read_config(d.t, 0, x, 4));
    cr_assert_eq(x[3], 0x12);
    cr_assert_not(d.ops->read_config(d.t, 0xffe, x, 4));
    cr_assert_not(d.ops->read_config(d.t, SIZE_MAX, x, 2));
}

static void expect_bad(void)
{
    struct virtio_pci_caps c;
    cr_assert_eq(virtio_pci_find_caps(&cacc, &pf, &c), VIRTIO_ERR_CAPS);
}

Test(virtio_pci, missing_structures)
{
    cfg[0x61] = 0x00; /* the list ends before notify */
    expect_bad();
    caps_setup();
    cfg[PCI_CAP_PTR] = 0x50; /* no common */
    expect_bad();
    caps_setup();
    pf.status = 0; /* no list at all */
    expect_bad();
}

Test(virtio_pci, malformed_structures)
{
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 6, 0, 0x1000, 16); /* BAR 6 */
    expect_bad();
    caps_setup();
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 3, 0, 0x1000, 16); /* unimplemented BAR */
    expect_bad();
    caps_setup();
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 4, 0x3800, 0x1000, 16); /* past the BAR */
    expect_bad();
    caps_setup();
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 4, 0xfffff000u, 0x2000, 16); /* wraps */
    expect_bad();
    caps_setup();
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 4, 0, 0x20, 16); /* too short */
    expect_bad();
    caps_setup();
    put_cap(0x70, 0x00, VIRTIO_PCI_CAP_NOTIFY, 4, 0x3000, 0x1000, 16); /* no multiplier */
    expect_bad();
    caps_setup();
    put_cap(0x50, 0x60, VIRTIO_PCI_CAP_ISR, 4, 0x1000, 0x1000, 8); /* cap_len 8 */
    expect_bad();
    caps_setup();
    pf.bar[4].kind = PCI_BAR_IO;
    expect_bad();
    caps_setup();
    cfg[0x71] = 0x40; /* a loop back to the first */
    expect_bad();
    caps_setup();
    cfg[0x71] = 0xfe & ~3; /* the last place: a header at 0xfc, then zeros */
    struct virtio_pci_caps c;
    cr_assert_eq(virtio_pci_find_caps(&cacc, &pf, &c), VIRTIO_OK);
}

Test(virtio_pci, first_of_each_type_wins)
{
    put_cap(0x90, 0x00, VIRTIO_PCI_CAP_ISR, 4, 0x2000, 0x10, 16);
    cfg[0x71] = 0x90;
    put_cap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON, 4, 0x0000, 0x1000, 16);
    struct virtio_pci_caps c;
    cr_assert_eq(virtio_pci_find_caps(&cacc, &pf, &c), VIRTIO_OK);
    cr_assert_eq(c.isr.offset, 0x1000);
}

/* virtio_drain: a driver's interrupt path over the fake transport, the test
 * as the device. Good chains reach the callback in order; a hostile used
 * ring (an id out of range, a length past the buffer) or NEEDS_RESET resets
 * the device (status 0 written) and is reported, after the good chains. */
static uint16_t drained[16];
static uint32_t drained_len[16];
static unsigned ndrained;

static void on_used(void *ctx, uint16_t head, uint32_t len)
{
    cr_assert_eq(ctx, &fd);
    drained[ndrained] = head;
    drained_len[ndrained++] = len;
}

static void drain_setup(void)
{
    dev_setup();
    vq_setup(8);
    ndrained = 0;
    fd.status = VIRTIO_STATUS_DRIVER_OK;
}

Test(virtio, drain_takes_every_used_chain)
{
    drain_setup();
    uint16_t a = add2(16, 512), b = add2(16, 64);
    dev_put(b, 20, 1);
    dev_put(a, 512, 1);
    cr_assert_eq(virtio_drain(&vd, &q, on_used, &fd), VIRTIO_OK);
    cr_assert_eq(ndrained, 2);
    cr_assert(drained[0] == b && drained_len[0] == 20 && drained[1] == a && drained_len[1] == 512);
    cr_assert_eq(fd.status, VIRTIO_STATUS_DRIVER_OK, "no reset");
    cr_assert_eq(virtio_drain(&vd, &q, on_used, &fd), VIRTIO_OK, "nothing more");
    cr_assert_eq(ndrained, 2);
}

Test(virtio, drain_resets_a_device_that_breaks_the_ring)
{
    drain_setup();
    uint16_t a = add2(16, 512);
    add2(16, 512);
    dev_put(a, 100, 1);
    dev_put(8, 1, 1); /* an id past the table */
    unsigned writes = fd.status_writes;
    cr_assert_eq(virtio_drain(&vd, &q, on_used, &fd), VIRTIO_ERR_DEVICE);
    cr_assert_eq(ndrained, 1, "the good chain before it was answered");
    cr_assert_eq(fd.status, 0, "the device was reset");
    cr_assert_eq(fd.status_writes, writes + 1);
    cr_assert(q.broken);

    drain_setup();
    uint16_t h = add2(16, 512);
    dev_put(h, 4096, 1); /* a used length past the writable buffer */
    cr_assert_eq(virtio_drain(&vd, &q, on_used, &fd), VIRTIO_ERR_DEVICE);
    cr_assert_eq(ndrained, 0, "a length past the buffer never reaches the driver");
    cr_assert_eq(fd.status, 0);

    drain_setup();
    add2(16, 512);
    q.used_hdr[1] = 5; /* five used entries, one chain in flight */
    cr_assert_eq(virtio_drain(&vd, &q, on_used, &fd), VIRTIO_ERR_DEVICE);
    cr_assert_eq(fd.status, 0);
}

Test(virtio, drain_resets_a_device_that_asks_for_it)
{
    drain_setup();
    fd.status |= VIRTIO_STATUS_NEEDS_RESET;
    cr_assert_eq(virtio_drain(&vd, &q, on_used, &fd), VIRTIO_ERR_DEVICE);
    cr_assert_eq(fd.status, 0);
    cr_assert_eq(ndrained, 0);
}
