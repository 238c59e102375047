/*
 * Split virtqueues (virtio 1.1, section 2.6; wf/virtq.h).
 *
 * Memory: the descriptor table (16 bytes an entry) at 0, the driver ("avail")
 * ring right after it, the device ("used") ring on the next page. The driver
 * writes descriptors and the avail ring and only reads the used ring; the
 * device does the reverse, and may be hostile. So the queue never trusts what
 * it reads back: the free list and the chain of each request live in shadow
 * arrays of struct virtq (next, chain_len, writable), the used ring's idx must
 * not move past the chains in flight, each used id must be the head of a chain
 * in flight, and its length must fit that chain's writable buffers. A breach
 * marks the queue broken: the driver resets the device (virtio 1.1, section
 * 2.1.2, "the device needs reset") and the queue (virtq_reset).
 *
 * Ordering: descriptors are written before the avail entry, the entry before
 * the avail idx (release), and the used idx is read before its entries
 * (acquire); a full fence orders the avail idx before the read of the used
 * flags that decides the notification (section 2.6.13.6).
 */
#include "wf/virtq.h"

#include <string.h>

#define PAGE 4096u

struct virtq_layout virtq_layout(uint16_t size)
{
    struct virtq_layout l;
    l.desc = 0;
    l.avail = (size_t)16 * size;
    size_t avail_end = l.avail + 6 + (size_t)2 * size;
    l.used = (avail_end + PAGE - 1) & ~(size_t)(PAGE - 1);
    size_t used_end = l.used + 6 + (size_t)8 * size;
    l.total = (used_end + PAGE - 1) & ~(size_t)(PAGE - 1);
    return l;
}

enum virtq_status virtq_init(struct virtq *q, void *mem, uint64_t pa, size_t len, uint16_t size)
{
    if (size == 0 || size > VIRTQ_MAX || (size & (size - 1)) != 0 || !mem ||
        ((uintptr_t)mem & (PAGE - 1)) != 0 || (pa & (PAGE - 1)) != 0)
        return VIRTQ_ERR_ARG;
    struct virtq_layout l = virtq_layout(size);
    if (len < l.total)
        return VIRTQ_ERR_ARG;
    memset(q, 0, sizeof(*q));
    uint8_t *base = mem;
    q->size = size;
    q->desc = (volatile struct virtq_desc *)(base + l.desc);
    q->avail = (volatile uint16_t *)(base + l.avail);
    q->used_hdr = (volatile uint16_t *)(base + l.used);
    q->used = (volatile struct virtq_used_elem *)(base + l.used + 4);
    q->desc_pa = pa + l.desc;
    q->avail_pa = pa + l.avail;
    q->used_pa = pa + l.used;
    virtq_reset(q);
    return VIRTQ_OK;
}

void virtq_reset(struct virtq *q)
{
    struct virtq_layout l = virtq_layout(q->size);
    memset((void *)q->desc, 0, l.total); /* the whole block from the table on */
    for (uint16_t i = 0; i < q->size; i++) {
        q->next[i] = (uint16_t)(i + 1);
        q->chain_len[i] = 0;
        q->writable[i] = 0;
    }
    q->free_head = 0;
    q->num_free = q->size;
    q->avail_idx = 0;
    q->last_used = 0;
    q->in_flight = 0;
    q->broken = false;
}

enum virtq_status virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
                            uint16_t *head)
{
    if (q->broken)
        return VIRTQ_ERR_DEVICE;
    if (n == 0 || !bufs)
        return VIRTQ_ERR_ARG;
    uint64_t writable = 0;
    for (unsigned i = 0; i < n; i++) {
        if (bufs[i].len == 0)
            return VIRTQ_ERR_ARG;
        if (bufs[i].write)
            writable += bufs[i].len;
    }
    if (writable > UINT32_MAX)
        return VIRTQ_ERR_ARG;
    if (n > q->num_free)
        return VIRTQ_FULL;
    uint16_t first = q->free_head, d = first;
    for (unsigned i = 0; i < n; i++) {
        volatile struct virtq_desc *e = &q->desc[d];
        e->addr = bufs[i].addr;
        e->len = bufs[i].len;
        e->flags = (uint16_t)((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                              (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        e->next = i + 1 < n ? q->next[d] : 0;
        d = q->next[d];
    }
    q->free_head = d;
    q->num_free = (uint16_t)(q->num_free - n);
    q->chain_len[first] = (uint16_t)n;
    q->writable[first] = (uint32_t)writable;
    q->in_flight++;
    q->avail[2 + (q->avail_idx & (q->size - 1))] = first;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    *head = first;
    return VIRTQ_OK;
}

uint16_t virtq_next_head(const struct virtq *q)
{
    return q->free_head;
}

bool virtq_kick_needed(const struct virtq *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !(q->used_hdr[0] & VIRTQ_USED_F_NO_NOTIFY);
}

enum virtq_status virtq_get(struct virtq *q, uint16_t *head, uint32_t *len)
{
    if (q->broken)
        return VIRTQ_ERR_DEVICE;
    uint16_t idx = q->used_hdr[1];
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (idx == q->last_used)
        return VIRTQ_EMPTY;
    if ((uint16_t)(idx - q->last_used) > q->in_flight) {
        q->broken = true;
        return VIRTQ_ERR_DEVICE;
    }
    volatile struct virtq_used_elem *u = &q->used[q->last_used & (q->size - 1)];
    uint32_t id = u->id, n = u->len;
    if (id >= q->size || q->chain_len[id] == 0 || n > q->writable[id]) {
        q->broken = true;
        return VIRTQ_ERR_DEVICE;
    }
    /* Free the chain by the shadow links: its tail goes in front of the free list. */
    uint16_t last = (uint16_t)id;
    for (uint16_t i = 1; i < q->chain_len[id]; i++)
        last = q->next[last];
    q->next[last] = q->free_head;
    q->free_head = (uint16_t)id;
    q->num_free = (uint16_t)(q->num_free + q->chain_len[id]);
    q->chain_len[id] = 0;
    q->writable[id] = 0;
    q->in_flight--;
    q->last_used++;
    *head = (uint16_t)id;
    *len = n;
    return VIRTQ_OK;
}
