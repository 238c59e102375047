/*
 * The virtio PCI transport, modern interface only (virtio 1.1, section 4.1;
 * wf/virtio.h). A virtio function lists vendor capabilities (ID 0x09) that
 * place four structures in its memory BARs: the common configuration
 * (features, status, queue setup), the notification area (one doorbell per
 * queue, at queue_notify_off x notify_off_multiplier), the ISR status byte
 * (read to clear, the INTx cause) and the device-specific configuration.
 * virtio_pci_find_caps reads and checks them against the sized BARs without
 * touching MMIO (pure: the host test drives it with a fake bus); the driver
 * maps the BARs (device VMOs) and virtio_pci_attach points the transport at
 * them. Fields are accessed at their natural width (section 4.1.3.1); the
 * 64-bit queue addresses as two 32-bit halves, which the section allows.
 */
#include "wf/virtio.h"

/* virtio_pci_common_cfg (section 4.1.4.3). */
#define CC_DFSELECT     0x00
#define CC_DF           0x04
#define CC_GFSELECT     0x08
#define CC_GF           0x0c
#define CC_NUM_QUEUES   0x12
#define CC_STATUS       0x14
#define CC_GENERATION   0x15
#define CC_Q_SELECT     0x16
#define CC_Q_SIZE       0x18
#define CC_Q_MSIX       0x1a
#define CC_Q_ENABLE     0x1c
#define CC_Q_NOTIFY_OFF 0x1e
#define CC_Q_DESC       0x20
#define CC_Q_DRIVER     0x28
#define CC_Q_DEVICE     0x30
#define CC_SIZE         0x38

#define VIRTIO_MSI_NO_VECTOR 0xffff
#define RESET_SPINS          1000000

static enum virtio_status region(const struct pci_func *f, const uint8_t *cap,
                                 struct virtio_pci_region *r, uint32_t min_len)
{
    uint8_t bar = cap[4];
    uint32_t off = cap[8] | cap[9] << 8 | cap[10] << 16 | (uint32_t)cap[11] << 24;
    uint32_t len = cap[12] | cap[13] << 8 | cap[14] << 16 | (uint32_t)cap[15] << 24;
    if (bar >= PCI_BARS)
        return VIRTIO_ERR_CAPS;
    const struct pci_bar *b = &f->bar[bar];
    if ((b->kind != PCI_BAR_MEM32 && b->kind != PCI_BAR_MEM64) || len < min_len ||
        (uint64_t)off + len > b->size)
        return VIRTIO_ERR_CAPS;
    r->bar = bar;
    r->offset = off;
    r->length = len;
    return VIRTIO_OK;
}

enum virtio_status virtio_pci_find_caps(const struct pci_access *a, const struct pci_func *f,
                                        struct virtio_pci_caps *caps)
{
    *caps = (struct virtio_pci_caps){0};
    uint8_t pos = 0, id;
    unsigned visited = 0;
    enum pci_status s;
    while ((s = pci_cap_next(a, f, &pos, &id, &visited)) == PCI_OK) {
        if (id != PCI_CAP_ID_VENDOR)
            continue;
        uint8_t cap[20];
        if (pci_read_bytes(a, f, pos, cap, 16) != PCI_OK || cap[2] < 16)
            return VIRTIO_ERR_CAPS;
        struct virtio_pci_region *r;
        uint32_t min_len = 1;
        switch (cap[3]) {
        case VIRTIO_PCI_CAP_COMMON:
            r = &caps->common, min_len = CC_SIZE;
            break;
        case VIRTIO_PCI_CAP_NOTIFY:
            r = &caps->notify, min_len = 2;
            break;
        case VIRTIO_PCI_CAP_ISR:
            r = &caps->isr;
            break;
        case VIRTIO_PCI_CAP_DEVICE:
            r = &caps->device;
            break;
        default:
            continue; /* PCI configuration access and types to come */
        }
        if (r->length != 0)
            continue; /* the first of each type is the one to use */
        if (region(f, cap, r, min_len) != VIRTIO_OK)
            return VIRTIO_ERR_CAPS;
        if (cap[3] == VIRTIO_PCI_CAP_NOTIFY) {
            if (cap[2] < 20 || pci_read_bytes(a, f, (uint16_t)(pos + 16), cap + 16, 4) != PCI_OK)
                return VIRTIO_ERR_CAPS;
            caps->notify_multiplier =
                cap[16] | cap[17] << 8 | cap[18] << 16 | (uint32_t)cap[19] << 24;
        }
    }
    if (s != PCI_ERR_ABSENT || caps->common.length == 0 || caps->notify.length == 0 ||
        caps->isr.length == 0)
        return VIRTIO_ERR_CAPS;
    return VIRTIO_OK;
}

enum virtio_status virtio_pci_attach(struct virtio_pci *p, const struct virtio_pci_caps *caps,
                                     volatile uint8_t *const bar_va[PCI_BARS], struct virtio_dev *d)
{
    if (!bar_va[caps->common.bar] || !bar_va[caps->notify.bar] || !bar_va[caps->isr.bar] ||
        (caps->device.length && !bar_va[caps->device.bar]))
        return VIRTIO_ERR_ARG;
    *p = (struct virtio_pci){0};
    p->common = bar_va[caps->common.bar] + caps->common.offset;
    p->notify = bar_va[caps->notify.bar] + caps->notify.offset;
    p->isr = bar_va[caps->isr.bar] + caps->isr.offset;
    p->device = caps->device.length ? bar_va[caps->device.bar] + caps->device.offset : 0;
    p->notify_multiplier = caps->notify_multiplier;
    p->notify_length = caps->notify.length;
    p->device_length = caps->device.length;
    d->ops = &virtio_pci_transport;
    d->t = p;
    d->features = 0;
    return VIRTIO_OK;
}

static uint8_t r8(volatile uint8_t *b, size_t off)
{
    return *(volatile uint8_t *)(b + off);
}
static uint16_t r16(volatile uint8_t *b, size_t off)
{
    return *(volatile uint16_t *)(b + off);
}
static uint32_t r32(volatile uint8_t *b, size_t off)
{
    return *(volatile uint32_t *)(b + off);
}
static void w8(volatile uint8_t *b, size_t off, uint8_t v)
{
    *(volatile uint8_t *)(b + off) = v;
}
static void w16(volatile uint8_t *b, size_t off, uint16_t v)
{
    *(volatile uint16_t *)(b + off) = v;
}
static void w32(volatile uint8_t *b, size_t off, uint32_t v)
{
    *(volatile uint32_t *)(b + off) = v;
}
static void w64(volatile uint8_t *b, size_t off, uint64_t v)
{
    w32(b, off, (uint32_t)v);
    w32(b, off + 4, (uint32_t)(v >> 32));
}

static uint64_t pci_get_features(void *t)
{
    struct virtio_pci *p = t;
    w32(p->common, CC_DFSELECT, 0);
    uint64_t lo = r32(p->common, CC_DF);
    w32(p->common, CC_DFSELECT, 1);
    return lo | (uint64_t)r32(p->common, CC_DF) << 32;
}

static void pci_set_features(void *t, uint64_t f)
{
    struct virtio_pci *p = t;
    w32(p->common, CC_GFSELECT, 0);
    w32(p->common, CC_GF, (uint32_t)f);
    w32(p->common, CC_GFSELECT, 1);
    w32(p->common, CC_GF, (uint32_t)(f >> 32));
}

static uint8_t pci_get_status(void *t)
{
    return r8(((struct virtio_pci *)t)->common, CC_STATUS);
}

static bool pci_set_status(void *t, uint8_t s)
{
    struct virtio_pci *p = t;
    w8(p->common, CC_STATUS, s);
    if (s != 0)
        return true;
    /* Section 4.1.4.3.2: the reset is done when status reads back 0. */
    for (unsigned i = 0; i < RESET_SPINS; i++)
        if (r8(p->common, CC_STATUS) == 0)
            return true;
    return false;
}

static bool pci_read_config(void *t, size_t off, void *buf, size_t len)
{
    struct virtio_pci *p = t;
    if (!p->device || off > p->device_length || len > p->device_length - off)
        return false;
    uint8_t *out = buf;
    while (len > 0) {
        size_t n;
        uint32_t v;
        if ((off & 3) == 0 && len >= 4)
            n = 4, v = r32(p->device, off);
        else if ((off & 1) == 0 && len >= 2)
            n = 2, v = r16(p->device, off);
        else
            n = 1, v = r8(p->device, off);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(v >> (8 * i));
        out += n, off += n, len -= n;
    }
    return true;
}

static uint32_t pci_generation(void *t)
{
    return r8(((struct virtio_pci *)t)->common, CC_GENERATION);
}

static uint16_t pci_num_queues(void *t)
{
    return r16(((struct virtio_pci *)t)->common, CC_NUM_QUEUES);
}

static uint16_t pci_queue_max(void *t, uint16_t q)
{
    struct virtio_pci *p = t;
    if (q >= VIRTIO_PCI_QUEUES || q >= pci_num_queues(t))
        return 0;
    w16(p->common, CC_Q_SELECT, q);
    return r16(p->common, CC_Q_SIZE);
}

static void pci_queue_enable(void *t, uint16_t q, uint16_t size, uint64_t desc, uint64_t avail,
                             uint64_t used)
{
    struct virtio_pci *p = t;
    if (q >= VIRTIO_PCI_QUEUES)
        return;
    w16(p->common, CC_Q_SELECT, q);
    w16(p->common, CC_Q_SIZE, size);
    w16(p->common, CC_Q_MSIX, VIRTIO_MSI_NO_VECTOR); /* INTx (decision 114) */
    w64(p->common, CC_Q_DESC, desc);
    w64(p->common, CC_Q_DRIVER, avail);
    w64(p->common, CC_Q_DEVICE, used);
    uint64_t at = (uint64_t)r16(p->common, CC_Q_NOTIFY_OFF) * p->notify_multiplier;
    /* A doorbell outside the notify structure is never rung (notify checks). */
    p->notify_at[q] = at + 2 <= p->notify_length ? (uint32_t)at : UINT32_MAX;
    w16(p->common, CC_Q_ENABLE, 1);
}

static void pci_notify(void *t, uint16_t q)
{
    struct virtio_pci *p = t;
    if (q < VIRTIO_PCI_QUEUES && p->notify_at[q] != UINT32_MAX)
        w16(p->notify, p->notify_at[q], q);
}

static uint8_t pci_isr(void *t)
{
    return r8(((struct virtio_pci *)t)->isr, 0);
}

const struct virtio_transport virtio_pci_transport = {
    .get_features = pci_get_features,
    .set_features = pci_set_features,
    .get_status = pci_get_status,
    .set_status = pci_set_status,
    .read_config = pci_read_config,
    .config_generation = pci_generation,
    .num_queues = pci_num_queues,
    .queue_max = pci_queue_max,
    .queue_enable = pci_queue_enable,
    .notify = pci_notify,
    .isr = pci_isr,
};
