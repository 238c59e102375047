/*
 * vblk: a virtio-blk driver serving the block protocol (abi/protocols/block.proto;
 * docs/devices.md, "PCI and virtio"; decision 114).
 *
 * Start-up (wf/virtio_drv.h): claim the disk from the PCI bus server
 * (wf/pci_bus.h; decision 120), read its virtio capabilities through it, map
 * the device VMO of the BAR that holds them, turn on memory decoding and bus
 * mastering, negotiate (VERSION_1 required; RO, BLK_SIZE, FLUSH taken when
 * offered), set up queue 0 in a Pool_CreateContig VMO, bind the IRQ cap (the
 * disk's INTx line) to a notification bound to the server thread.
 *
 * Requests: a Read or Write is checked (blk.c), then becomes a three-descriptor
 * chain (header, a bounce buffer of the driver's own, a status byte) and its
 * reply is deferred; the interrupt (on_notify) reads the ISR byte (which
 * lowers INTx), takes every used chain and answers its client, then acks the
 * line. The device reads and writes only memory of the driver's pool: a
 * Write's data is copied from the client's buffer VMO into the bounce buffer
 * (VMO_Read through the driver's copy of the client's cap) before the device
 * sees the request, a Read's data from the bounce buffer into the client's
 * VMO (VMO_Write) after the device is done. So a client that revokes or
 * deletes its buffer, or dies, while a request is in flight cannot make the
 * device write memory that went back to a pool (decision 120): the copy into
 * a VMO that is gone fails, and the request is answered CANCELLED.
 *
 * A device that breaks the queue protocol (used index or id or length that
 * cannot be, virtq.c) or sets NEEDS_RESET is reset: every pending request is
 * answered CANCELLED and the device set up again.
 *
 * Read-ahead (blk.h, decision 141): a client's Read that starts where its last
 * one ended starts device reads of WFP_BLOCK_SECTOR_MAX sectors past it into
 * VBLK_RA windows of the driver's own; a later Read the window holds is copied
 * from it (VMO_Write) and answered at once, or waits for the window's device
 * read. A Write empties the windows it overlaps (a window still being read is
 * kept for the Reads already waiting on it, then emptied), and no read-ahead
 * starts while a Write is in flight, so the device never reorders a read-ahead
 * before a Write that came first. block.Stats counts what the device moved,
 * read-ahead included.
 *
 * Limits: one disk, one queue, at most WF_SERVER_MAX_REPLIES - 1 requests in
 * flight (the queue of 64 entries holds them all; one bounce buffer of
 * WFP_BLOCK_SECTOR_MAX sectors each), VBLK_RA read-ahead windows besides,
 * WFP_BLOCK_CLIENTS buffers.
 */
#include <stdio.h>
#include <string.h>

#include "blk.h"
#include "weft/invoke.h"
#include "wf/pci.h"
#include "wf/proto/block.h"
#include "wf/runtime.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"
#include "wf/pci_bus.h"
#include "wf/virtio_drv.h"
#include "wf/virtio_drv_main.h"

enum {
    SLOT_MMIO = 17,     /* the BAR's device VMO from the bus server */
    SLOT_RING = 18,     /* the queue's contiguous VMO */
    SLOT_HDR = 19,      /* request headers and status bytes (contiguous) */
    SLOT_NTFN = 20,     /* the notification bound to the thread */
    SLOT_NTFN_IRQ = 21, /* its badged copy the IRQ handler signals */
    SLOT_RECV = 22,     /* where a client's buffer cap lands */
    SLOT_BUF0 = 24,     /* WFP_BLOCK_CLIENTS buffers */
    SLOT_REPLY0 = 40,   /* WF_SERVER_MAX_REPLIES Reply objects */
    SLOT_BOUNCE0 = 64,  /* BOUNCE_N contiguous bounce buffers */
    SLOT_RA0 = 96,      /* VBLK_RA read-ahead windows (contiguous) */
};

/* The driver's windows in the layout's device region (wf/layout.h): 64 TiB and
 * 4 GiB apart on a space of 2^47, 64 GiB and 2 GiB apart under riscv64's Sv39. */
#define MMIO_VA     (wf_layout.devices)
#define RING_VA     (wf_layout.devices + wf_layout.window)
#define HDR_VA      (wf_layout.devices + 2 * wf_layout.window)
#define QSIZE       64
#define IRQ_BIT     1
#define HDR_SIZE    4096u
#define BOUNCE_VA   (wf_layout.devices + 3 * wf_layout.window)
#define BOUNCE_N    ((int)WF_SERVER_MAX_REPLIES - 1)
#define BOUNCE_SIZE (WFP_BLOCK_SECTOR_MAX * VBLK_SECTOR)
#define RA_VA       (wf_layout.devices + 4 * wf_layout.window)

static const char usage[] =
    "usage: vblk (started by init with SERVE, POOL and sees=pcibus, or by a parent that puts "
    "the PCI bus server's endpoint in slot 16; claims its device from the bus server and "
    "exits with status 69 when there is none; takes no arguments)\n";

struct pending {
    wf_cptr_t reply;  /* 0: none */
    uint32_t type;    /* VIRTIO_BLK_T_* */
    uint32_t sectors; /* a Read or Write: sectors moved */
    wf_word_t badge;  /* the client's */
    int bounce;       /* its bounce buffer, -1: none (a flush) */
    wf_cptr_t buf;    /* a Read: the client's buffer cap (the driver's copy) */
    wf_word_t offset; /* a Read: where in it the data goes */
    uint32_t len;     /* a Read: bytes; 0 for a Write or a flush */
    int ra;           /* a read-ahead: its window, -1: none */
};

/* A Read waiting for a read-ahead window's device read. */
struct waiter {
    wf_cptr_t reply; /* 0: none */
    wf_word_t badge;
    int ra;
    wf_cptr_t buf;
    wf_word_t offset;
    uint64_t lba;
    uint32_t len;
};

struct client {
    wf_word_t badge;
    struct vblk_buffer buf;
    uint64_t next_lba; /* where its last Read ended (UINT64_MAX: none yet) */
};

static struct {
    struct virtio_drv v;
    struct virtq q;
    void *ring;
    uint64_t ring_pa, ring_len;
    volatile uint8_t *hdr; /* QSIZE headers of 16 bytes, then QSIZE status bytes */
    uint64_t hdr_pa;
    uint64_t capacity;
    bool read_only, flush;
    struct pending pend[QSIZE];
    uint64_t bounce_pa[BOUNCE_N];
    bool bounce_busy[BOUNCE_N];
    struct client clients[WFP_BLOCK_CLIENTS];
    struct wf_server srv;
    uint64_t sectors_read, sectors_written, completed; /* block.Stats */
    struct vblk_ra ra[VBLK_RA];
    uint64_t ra_pa[VBLK_RA];
    struct waiter wait[WF_SERVER_MAX_REPLIES];
    unsigned writes; /* Writes in flight */
} d;

/* Brings the device from reset to DRIVER_OK with queue 0 set up. */
static enum virtio_status device_up(void)
{
    enum virtio_status s =
        virtio_negotiate(&d.v.dev, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH, 0);
    if (s != VIRTIO_OK)
        return s;
    memset(d.ring, 0, d.ring_len);
    if ((s = virtio_setup_queue(&d.v.dev, 0, &d.q, d.ring, d.ring_pa, d.ring_len, QSIZE)) !=
        VIRTIO_OK)
        return s;
    uint64_t cap;
    if ((s = virtio_read_config(&d.v.dev, 0, &cap, sizeof(cap))) != VIRTIO_OK)
        return s;
    d.capacity = cap;
    d.read_only = d.v.dev.features & VIRTIO_BLK_F_RO;
    d.flush = d.v.dev.features & VIRTIO_BLK_F_FLUSH;
    return virtio_driver_ok(&d.v.dev);
}

static uint8_t *bounce_va(int i)
{
    return (uint8_t *)(BOUNCE_VA + (uint64_t)i * BOUNCE_SIZE);
}

static uint8_t *ra_va(int i)
{
    return (uint8_t *)(RA_VA + (uint64_t)i * BOUNCE_SIZE);
}

/* Ends pending request p: its bounce buffer is free again. */
static void finish(struct pending *p)
{
    if (p->bounce >= 0)
        d.bounce_busy[p->bounce] = false;
    if (p->type == VIRTIO_BLK_T_OUT && p->reply && d.writes)
        d.writes--;
    p->reply = 0;
    p->bounce = -1;
    p->ra = -1;
}

/* Answers every pending request and every waiting Read with err; the
 * read-ahead windows are emptied. */
static void answer_all(wf_word_t err)
{
    for (unsigned i = 0; i < QSIZE; i++) {
        if (d.pend[i].ra >= 0 && !d.pend[i].reply)
            finish(&d.pend[i]);
        if (!d.pend[i].reply)
            continue;
        wf_server_answer(&d.srv, d.pend[i].reply, err, 0, 0, 0);
        finish(&d.pend[i]);
    }
    for (unsigned i = 0; i < WF_SERVER_MAX_REPLIES; i++)
        if (d.wait[i].reply) {
            wf_server_answer(&d.srv, d.wait[i].reply, err, 0, 0, 0);
            d.wait[i].reply = 0;
        }
    memset(d.ra, 0, sizeof(d.ra));
    d.writes = 0;
}

/* Copies len bytes of window w from sector lba on into a client's buffer. */
static wf_word_t from_window(int w, uint64_t lba, wf_cptr_t buf, wf_word_t offset, uint32_t len)
{
    uint8_t *src = ra_va(w) + (lba - d.ra[w].lba) * VBLK_SECTOR;
    return wf_vmo_write(buf, offset, len, WF_CHILD_VSPACE, (wf_word_t)src) == WF_ERR_OK
               ? WF_ERR_OK
               : WF_ERR_CANCELLED;
}

/* Window w's device read ended (ok: with its data): answers the Reads waiting
 * for it, then keeps the window (VALID) or empties it (failed, or stale). */
static void window_done(int w, bool ok)
{
    for (unsigned i = 0; i < WF_SERVER_MAX_REPLIES; i++) {
        struct waiter *q = &d.wait[i];
        if (!q->reply || q->ra != w)
            continue;
        wf_word_t err = ok ? from_window(w, q->lba, q->buf, q->offset, q->len) : WF_ERR_CANCELLED;
        wf_server_answer(&d.srv, q->reply, err, 0, 0, 0);
        q->reply = 0;
    }
    d.ra[w].state = ok && !d.ra[w].stale ? VBLK_RA_VALID : VBLK_RA_EMPTY;
    d.ra[w].stale = false;
}

/* The device misbehaved and was reset (virtio_drain): cancel everything,
 * start again. */
static void device_recover(void)
{
    answer_all(WF_ERR_CANCELLED);
    if (device_up() != VIRTIO_OK)
        fprintf(stderr, "vblk: the device did not come back after a reset\n");
}

/* Answers the request of a used chain. */
static void on_used(void *ctx, uint16_t head, uint32_t len)
{
    (void)ctx, (void)len;
    struct pending *p = &d.pend[head];
    uint8_t status = d.hdr[QSIZE * 16 + head];
    wf_word_t err = status == VIRTIO_BLK_S_OK ? WF_ERR_OK : WF_ERR_CANCELLED;
    if (p->ra >= 0) { /* a read-ahead: no client of its own */
        if (err == WF_ERR_OK) {
            d.completed++;
            d.sectors_read += p->sectors;
        }
        window_done(p->ra, err == WF_ERR_OK);
        finish(p);
        return;
    }
    if (err == WF_ERR_OK) {
        d.completed++;
        if (p->type == VIRTIO_BLK_T_IN)
            d.sectors_read += p->sectors;
        else if (p->type == VIRTIO_BLK_T_OUT)
            d.sectors_written += p->sectors;
    }
    /* A Read's data goes to the client's VMO now; if the client revoked or
     * destroyed it meanwhile, the copy fails and nothing else is touched. */
    if (err == WF_ERR_OK && p->reply && p->len &&
        wf_vmo_write(p->buf, p->offset, p->len, WF_CHILD_VSPACE, (wf_word_t)bounce_va(p->bounce)) !=
            WF_ERR_OK)
        err = WF_ERR_CANCELLED;
    if (p->reply)
        wf_server_answer(&d.srv, p->reply, err, 0, 0, 0);
    finish(p);
}

/* Takes every used chain and answers its client. */
static void drain(void)
{
    if (virtio_drain(&d.v.dev, &d.q, on_used, NULL) != VIRTIO_OK) {
        fprintf(stderr, "vblk: the device broke the queue protocol; it was reset\n");
        device_recover();
    }
}

static void on_notify(struct wf_server *s, wf_word_t bits)
{
    (void)s;
    (void)bits;
    d.v.dev.ops->isr(d.v.dev.t); /* reading it lowers INTx */
    drain();
    wf_irqhandler_ack(WF_CHILD_IRQ);
}

static struct client *client_of(wf_word_t badge, bool make)
{
    struct client *free_one = NULL;
    for (unsigned i = 0; i < WFP_BLOCK_CLIENTS; i++) {
        if (d.clients[i].buf.present && d.clients[i].badge == badge)
            return &d.clients[i];
        if (!d.clients[i].buf.present && !free_one)
            free_one = &d.clients[i];
    }
    return make ? free_one : NULL;
}

static wf_word_t on_info(struct wf_server *s, struct wf_server_req *r, wf_word_t *block_bytes,
                         wf_word_t *sectors, wf_word_t *flags)
{
    *block_bytes = VBLK_SECTOR;
    *sectors = d.capacity;
    *flags = d.read_only ? WFP_BLOCK_FLAG_READ_ONLY : 0;
    return WF_ERR_OK;
}

static wf_word_t on_set_buffer(struct wf_server *s, struct wf_server_req *r, wf_cptr_t buffer,
                               wf_word_t *size)
{
    wf_word_t sz = 0, kind = 9, pa = 0, type = 0, rights = 0;
    if (wf_vmo_describe(buffer, &sz, &kind, &pa, 0) != WF_ERR_OK || kind != 1 || sz == 0)
        return WF_ERR_INVALID_ARGUMENT;
    if (wf_cnode_describe(WF_CHILD_CNODE, buffer, 64, &type, &rights, 0, 0) != WF_ERR_OK)
        return WF_ERR_INVALID_ARGUMENT;
    struct client *c = client_of(r->badge, true);
    if (!c)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    wf_cptr_t slot = SLOT_BUF0 + (wf_cptr_t)(c - d.clients);
    /* A Read in flight copies into the old buffer when it ends: the old cap
     * stays until then. */
    for (unsigned i = 0; i < QSIZE; i++)
        if (d.pend[i].reply && d.pend[i].badge == r->badge)
            return WF_ERR_ILLEGAL_OPERATION;
    for (unsigned i = 0; i < WF_SERVER_MAX_REPLIES; i++)
        if (d.wait[i].reply && d.wait[i].badge == r->badge)
            return WF_ERR_ILLEGAL_OPERATION;
    wf_cnode_delete(WF_CHILD_CNODE, slot, 64);
    if (wf_cnode_move(WF_CHILD_CNODE, slot, 64, WF_CHILD_CNODE, buffer, 64) != WF_ERR_OK) {
        c->buf.present = false;
        return WF_ERR_INVALID_ARGUMENT;
    }
    c->badge = r->badge;
    c->buf = (struct vblk_buffer){true, (rights & WF_RIGHT_WRITE) != 0, pa, sz};
    c->next_lba = UINT64_MAX;
    *size = sz;
    return WF_ERR_OK;
}

/* Queues a request of type and defers r: data_len bytes between the client's
 * buffer buf at offset and a bounce buffer (0 for a flush). r NULL: a read-ahead
 * into window ra, answered to no one. */
static wf_word_t submit(struct wf_server *s, struct wf_server_req *r, uint32_t type, uint64_t lba,
                        wf_cptr_t buf, wf_word_t offset, uint32_t data_len, int ra)
{
    if (d.q.broken)
        return WF_ERR_CANCELLED;
    int bounce = -1;
    for (int i = 0; data_len && ra < 0 && i < BOUNCE_N && bounce < 0; i++)
        if (!d.bounce_busy[i])
            bounce = i;
    if (data_len && ra < 0 && bounce < 0)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    struct virtq_buf b[3];
    unsigned n = 0;
    b[n++] = (struct virtq_buf){0, sizeof(struct virtio_blk_req_hdr), false};
    if (data_len)
        b[n++] = (struct virtq_buf){ra >= 0 ? d.ra_pa[ra] : d.bounce_pa[bounce], data_len,
                                    type == VIRTIO_BLK_T_IN};
    b[n++] = (struct virtq_buf){0, 1, true};
    uint16_t head = virtq_next_head(&d.q);
    if (d.q.num_free < n)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    /* A Write's data is the driver's before the device sees the request. */
    if (type == VIRTIO_BLK_T_OUT && wf_vmo_read(buf, offset, data_len, WF_CHILD_VSPACE,
                                                (wf_word_t)bounce_va(bounce)) != WF_ERR_OK)
        return WF_ERR_ILLEGAL_OPERATION;
    b[0].addr = d.hdr_pa + (uint64_t)head * 16;
    b[n - 1].addr = d.hdr_pa + QSIZE * 16 + head;
    volatile struct virtio_blk_req_hdr *h = (volatile void *)(d.hdr + head * 16);
    h->type = type;
    h->reserved = 0;
    h->sector = lba;
    d.hdr[QSIZE * 16 + head] = 0xff;
    wf_cptr_t reply = 0;
    if (r && !(reply = wf_server_defer(s, r)))
        return WF_ERR_NOT_ENOUGH_MEMORY;
    uint16_t got;
    if (virtq_add(&d.q, b, n, &got) != VIRTQ_OK || got != head) {
        if (reply)
            wf_server_answer(s, reply, WF_ERR_CANCELLED, 0, 0, 0);
        return r ? WF_ERR_OK : WF_ERR_CANCELLED;
    }
    d.pend[head] = (struct pending){reply,
                                    type,
                                    data_len / VBLK_SECTOR,
                                    r ? r->badge : 0,
                                    bounce,
                                    buf,
                                    offset,
                                    type == VIRTIO_BLK_T_IN ? data_len : 0,
                                    ra};
    if (bounce >= 0)
        d.bounce_busy[bounce] = true;
    if (type == VIRTIO_BLK_T_OUT)
        d.writes++;
    if (ra >= 0)
        d.ra[ra] = (struct vblk_ra){lba, data_len / VBLK_SECTOR, VBLK_RA_BUSY, false};
    if (virtq_kick_needed(&d.q))
        d.v.dev.ops->notify(d.v.dev.t, 0);
    return WF_ERR_OK;
}

static wf_word_t rw(struct wf_server *s, struct wf_server_req *r, bool write, wf_word_t lba,
                    wf_word_t count, wf_word_t offset)
{
    struct client *c = client_of(r->badge, false);
    struct vblk_buffer none = {0};
    enum wf_error e = vblk_check(c ? &c->buf : &none, d.capacity, d.read_only, write, lba, count,
                                 offset, WFP_BLOCK_SECTOR_MAX);
    if (e != WF_ERR_OK)
        return e;
    wf_cptr_t buf = SLOT_BUF0 + (wf_cptr_t)(c - d.clients);
    uint32_t len = (uint32_t)(count * VBLK_SECTOR);
    if (write) {
        vblk_ra_invalidate(d.ra, VBLK_RA, lba, count);
        return submit(s, r, VIRTIO_BLK_T_OUT, lba, buf, offset, len, -1);
    }
    bool sequential = lba == c->next_lba;
    c->next_lba = lba + count;
    wf_word_t res;
    int w = vblk_ra_find(d.ra, VBLK_RA, lba, count);
    if (w >= 0 && d.ra[w].state == VBLK_RA_VALID) {
        res = from_window(w, lba, buf, offset, len);
    } else if (w >= 0) { /* its device read is in flight: wait for it */
        struct waiter *q = NULL;
        for (unsigned i = 0; i < WF_SERVER_MAX_REPLIES && !q; i++)
            if (!d.wait[i].reply)
                q = &d.wait[i];
        wf_cptr_t reply = q ? wf_server_defer(s, r) : 0;
        if (!reply)
            return WF_ERR_NOT_ENOUGH_MEMORY;
        *q = (struct waiter){reply, r->badge, w, buf, offset, lba, len};
        res = WF_ERR_OK;
    } else {
        res = submit(s, r, VIRTIO_BLK_T_IN, lba, buf, offset, len, -1);
    }
    /* Read ahead of a sequential reader, unless a Write is in flight. */
    uint64_t start;
    uint32_t n;
    int slot;
    if (res == WF_ERR_OK && sequential && !d.writes &&
        (slot = vblk_ra_plan(d.ra, VBLK_RA, lba, lba + count, d.capacity, WFP_BLOCK_SECTOR_MAX,
                             &start, &n)) >= 0)
        submit(s, NULL, VIRTIO_BLK_T_IN, start, 0, 0, n * VBLK_SECTOR, slot);
    return res;
}

static wf_word_t on_read(struct wf_server *s, struct wf_server_req *r, wf_word_t lba,
                         wf_word_t count, wf_word_t offset)
{
    return rw(s, r, false, lba, count, offset);
}

static wf_word_t on_write(struct wf_server *s, struct wf_server_req *r, wf_word_t lba,
                          wf_word_t count, wf_word_t offset)
{
    return rw(s, r, true, lba, count, offset);
}

static wf_word_t on_flush(struct wf_server *s, struct wf_server_req *r)
{
    if (!d.flush)
        return WF_ERR_OK;
    return submit(s, r, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0, -1);
}

static wf_word_t on_stats(struct wf_server *s, struct wf_server_req *r, wf_word_t *sectors_read,
                          wf_word_t *sectors_written, wf_word_t *requests)
{
    (void)s, (void)r;
    *sectors_read = d.sectors_read;
    *sectors_written = d.sectors_written;
    *requests = d.completed;
    return WF_ERR_OK;
}

static const struct wfp_block_handlers handlers = {
    .on_info = on_info,
    .on_set_buffer = on_set_buffer,
    .on_read = on_read,
    .on_write = on_write,
    .on_flush = on_flush,
    .on_stats = on_stats,
};
static const struct wf_server_proto protos[] = {WFP_BLOCK_PROTO_ENTRY(&handlers)};

static const char *setup(void)
{
    static const uint16_t ids[] = {VIRTIO_BLK_PCI_MODERN, VIRTIO_BLK_PCI_TRANS};
    const struct virtio_drv_cfg cfg = {.ids = ids,
                                       .nids = 2,
                                       .bus = PCI_BUS_SLOT,
                                       .irq = WF_CHILD_IRQ,
                                       .mmio = SLOT_MMIO,
                                       .ntfn = SLOT_NTFN,
                                       .ntfn_irq = SLOT_NTFN_IRQ,
                                       .mmio_va = MMIO_VA,
                                       .irq_bit = IRQ_BIT};
    const char *why = virtio_drv_open(&d.v, &cfg);
    if (why)
        return why;
    d.ring_len = virtq_layout(QSIZE).total;
    if (!(d.ring_pa = virtio_drv_dma_alloc(SLOT_RING, d.ring_len, RING_VA)) ||
        !(d.hdr_pa = virtio_drv_dma_alloc(SLOT_HDR, HDR_SIZE, HDR_VA)))
        return "no DMA memory";
    for (int i = 0; i < BOUNCE_N; i++)
        if (!(d.bounce_pa[i] =
                  virtio_drv_dma_alloc(SLOT_BOUNCE0 + i, BOUNCE_SIZE, (uintptr_t)bounce_va(i))))
            return "no memory for the bounce buffers";
    for (int i = 0; i < VBLK_RA; i++)
        if (!(d.ra_pa[i] = virtio_drv_dma_alloc(SLOT_RA0 + i, BOUNCE_SIZE, (uintptr_t)ra_va(i))))
            return "no memory for the read-ahead windows";
    for (unsigned i = 0; i < QSIZE; i++)
        d.pend[i].bounce = d.pend[i].ra = -1;
    d.ring = (void *)RING_VA;
    d.hdr = (volatile uint8_t *)HDR_VA;
    enum virtio_status vs = device_up();
    if (vs == VIRTIO_ERR_FEATURES)
        return "the device does not offer VERSION_1";
    if (vs != VIRTIO_OK)
        return "the device did not initialise";
    d.srv = (struct wf_server){.ep = WF_CHILD_SERVE,
                               .recv_cnode = WF_CHILD_CNODE,
                               .recv_slot = SLOT_RECV,
                               .protos = protos,
                               .nprotos = 1,
                               .on_notify = on_notify};
    if (wf_server_init_pool(&d.srv, WF_CHILD_POOL, WF_CHILD_CNODE, SLOT_REPLY0,
                            WF_SERVER_MAX_REPLIES) != WF_ERR_OK)
        return "no memory for Reply objects";
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    int rc = virtio_drv_start("vblk", usage, argc, setup, &d.v.absent);
    if (rc >= 0)
        return rc;
    return virtio_drv_serve("vblk", &d.srv, &d.v.dev);
}
