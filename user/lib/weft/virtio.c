/*
 * The device-independent part of virtio 1.x (wf/virtio.h): initialisation
 * and feature negotiation as virtio 1.1, section 3.1.1 orders it (reset,
 * ACKNOWLEDGE, DRIVER, features, FEATURES_OK and its check, queues,
 * DRIVER_OK), and consistent reads of the device configuration (section
 * 2.4.1: retry while the generation changes). Only modern devices are driven:
 * VERSION_1 is required, so every field is little-endian and no legacy
 * interface is touched. The transport is a table of functions; the host test
 * drives this file through a fake one.
 */
#include "wf/virtio.h"

#define CONFIG_TRIES 16

enum virtio_status virtio_reset(struct virtio_dev *d)
{
    return d->ops->set_status(d->t, 0) ? VIRTIO_OK : VIRTIO_ERR_DEVICE;
}

enum virtio_status virtio_drain(struct virtio_dev *d, struct virtq *q,
                                void (*on_used)(void *ctx, uint16_t head, uint32_t len), void *ctx)
{
    uint16_t head;
    uint32_t len;
    enum virtq_status s;
    while ((s = virtq_get(q, &head, &len)) == VIRTQ_OK)
        on_used(ctx, head, len);
    if (s == VIRTQ_ERR_DEVICE || (d->ops->get_status(d->t) & VIRTIO_STATUS_NEEDS_RESET)) {
        virtio_reset(d);
        return VIRTIO_ERR_DEVICE;
    }
    return VIRTIO_OK;
}

static enum virtio_status fail(struct virtio_dev *d, enum virtio_status s)
{
    d->ops->set_status(d->t, (uint8_t)(d->ops->get_status(d->t) | VIRTIO_STATUS_FAILED));
    return s;
}

enum virtio_status virtio_negotiate(struct virtio_dev *d, uint64_t wanted, uint64_t required)
{
    d->features = 0;
    if (virtio_reset(d) != VIRTIO_OK)
        return VIRTIO_ERR_DEVICE;
    uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE;
    d->ops->set_status(d->t, st);
    st |= VIRTIO_STATUS_DRIVER;
    d->ops->set_status(d->t, st);
    required |= VIRTIO_F_VERSION_1;
    uint64_t offered = d->ops->get_features(d->t);
    if ((offered & required) != required)
        return fail(d, VIRTIO_ERR_FEATURES);
    uint64_t take = offered & (wanted | required);
    d->ops->set_features(d->t, take);
    st |= VIRTIO_STATUS_FEATURES_OK;
    d->ops->set_status(d->t, st);
    if (!(d->ops->get_status(d->t) & VIRTIO_STATUS_FEATURES_OK))
        return fail(d, VIRTIO_ERR_FEATURES);
    d->features = take;
    return VIRTIO_OK;
}

enum virtio_status virtio_driver_ok(struct virtio_dev *d)
{
    uint8_t st = d->ops->get_status(d->t);
    if ((st & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET)) !=
        VIRTIO_STATUS_FEATURES_OK)
        return VIRTIO_ERR_DEVICE;
    d->ops->set_status(d->t, (uint8_t)(st | VIRTIO_STATUS_DRIVER_OK));
    return VIRTIO_OK;
}

enum virtio_status virtio_read_config(struct virtio_dev *d, size_t off, void *buf, size_t len)
{
    for (unsigned i = 0; i < CONFIG_TRIES; i++) {
        uint32_t g = d->ops->config_generation(d->t);
        if (!d->ops->read_config(d->t, off, buf, len))
            return VIRTIO_ERR_ARG;
        if (d->ops->config_generation(d->t) == g)
            return VIRTIO_OK;
    }
    return VIRTIO_ERR_DEVICE;
}

enum virtio_status virtio_setup_queue(struct virtio_dev *d, uint16_t index, struct virtq *q,
                                      void *mem, uint64_t pa, size_t len, uint16_t want)
{
    uint16_t max = d->ops->queue_max(d->t, index);
    if (max == 0)
        return VIRTIO_ERR_DEVICE;
    if (want == 0)
        return VIRTIO_ERR_ARG;
    uint16_t limit = want < max ? want : max, size = 1;
    if (limit > VIRTQ_MAX)
        limit = VIRTQ_MAX;
    while ((uint16_t)(size * 2) <= limit && size * 2 <= VIRTQ_MAX)
        size = (uint16_t)(size * 2);
    if (virtq_init(q, mem, pa, len, size) != VIRTQ_OK)
        return VIRTIO_ERR_ARG;
    d->ops->queue_enable(d->t, index, size, q->desc_pa, q->avail_pa, q->used_pa);
    return VIRTIO_OK;
}
