/*
 * Split virtqueues (virtio 1.1, section 2.6) as pure code over a block of
 * memory the device also sees (user/lib/weft/virtq.c). The driver gives the
 * memory (a Pool_CreateContig VMO mapped into its address space) and its
 * physical address; the queue keeps its own shadow of everything the device
 * could overwrite, so a hostile or broken device can make virtq_get fail
 * (VIRTQ_ERR_DEVICE, after which the queue stays broken until virtq_reset) but
 * never make the driver read or free what it does not own.
 */
#ifndef WF_VIRTQ_H
#define WF_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTQ_MAX 256 /* largest queue this library drives */

#define VIRTQ_DESC_F_NEXT          1
#define VIRTQ_DESC_F_WRITE         2
#define VIRTQ_USED_F_NO_NOTIFY     1
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

enum virtq_status {
    VIRTQ_OK = 0,
    VIRTQ_EMPTY,      /* virtq_get: nothing used since the last call */
    VIRTQ_FULL,       /* virtq_add: too few free descriptors */
    VIRTQ_ERR_ARG,    /* a bad argument from the driver */
    VIRTQ_ERR_DEVICE, /* the device broke the protocol: reset it */
};

/* One buffer of a chain: physical address, length, whether the device writes it. */
struct virtq_buf {
    uint64_t addr;
    uint32_t len;
    bool write;
};

struct virtq {
    uint16_t size;
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail;              /* flags, idx, ring[size], used_event */
    volatile uint16_t *used_hdr;           /* flags, idx */
    volatile struct virtq_used_elem *used; /* ring[size] */
    uint64_t desc_pa, avail_pa, used_pa;
    uint16_t free_head, num_free;
    uint16_t avail_idx; /* the next avail index the driver publishes */
    uint16_t last_used; /* the next used index the driver reads */
    uint16_t in_flight; /* chains given to the device, not yet returned */
    bool broken;
    /* Shadows, indexed by descriptor (head for the per-chain ones). */
    uint16_t next[VIRTQ_MAX];
    uint16_t chain_len[VIRTQ_MAX]; /* descriptors in the chain; 0: not in flight */
    uint32_t writable[VIRTQ_MAX];  /* bytes the device may write to the chain */
};

/* Offsets of the three parts in the memory block of a queue of size entries,
 * and the bytes it needs (a multiple of 4096: the used ring starts on a page). */
struct virtq_layout {
    size_t desc, avail, used, total;
};
struct virtq_layout virtq_layout(uint16_t size);

/* Sets up q over mem (len bytes, physical address pa, both 4096-aligned),
 * zeroing the rings. VIRTQ_ERR_ARG for a size that is 0, not a power of two or
 * above VIRTQ_MAX, or memory too small or misaligned. */
enum virtq_status virtq_init(struct virtq *q, void *mem, uint64_t pa, size_t len, uint16_t size);

/* After a device reset: the same memory, zeroed rings, every descriptor free. */
void virtq_reset(struct virtq *q);

/* Chains n buffers and publishes the chain in the avail ring; *head gets its
 * first descriptor (the token virtq_get returns). VIRTQ_ERR_ARG for n == 0, a
 * zero length, or more writable bytes than 32 bits hold; VIRTQ_FULL when fewer
 * than n descriptors are free; VIRTQ_ERR_DEVICE on a broken queue. */
enum virtq_status virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
                            uint16_t *head);

/* The head the next virtq_add will give its chain (the free list's first
 * descriptor): a driver keeps per-request memory (a header, a status byte) by
 * head and fills it before the chain is published. */
uint16_t virtq_next_head(const struct virtq *q);

/* Whether the device asked to be notified of new buffers (VIRTQ_USED_F_NO_NOTIFY clear). */
bool virtq_kick_needed(const struct virtq *q);

/* Takes the next used chain: *head and the bytes the device says it wrote
 * (*len), freeing its descriptors. VIRTQ_EMPTY when none; VIRTQ_ERR_DEVICE (and
 * the queue marked broken) when the used index moved past what is in flight,
 * the id names no chain in flight, or the length passes the chain's writable
 * bytes. */
enum virtq_status virtq_get(struct virtq *q, uint16_t *head, uint32_t *len);

#endif
