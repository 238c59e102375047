/*
 * The PCI bus server's bookkeeping (bus.h): pure, host-tested.
 */
#include "bus.h"

#include <string.h>

bool bus_matches(const struct bus_dev *d, wf_word_t vendor, wf_word_t device, wf_word_t cls)
{
    const struct pci_func *f = &d->f;
    if (vendor != BUS_ANY && vendor != f->vendor)
        return false;
    if (device != BUS_ANY && device != f->device)
        return false;
    if (cls == BUS_ANY)
        return true;
    wf_word_t c16 = (wf_word_t)f->class_code << 8 | f->subclass;
    wf_word_t c24 = c16 << 8 | f->prog_if;
    return cls > 0xffff ? cls == c24 : cls == c16;
}

enum wf_error bus_claim(struct bus *b, wf_word_t badge, wf_word_t vendor, wf_word_t device,
                        wf_word_t cls, wf_word_t nth, unsigned *index, bool *again)
{
    for (unsigned i = 0; i < b->n; i++) {
        struct bus_dev *d = &b->dev[i];
        if (!bus_matches(d, vendor, device, cls) || nth-- != 0)
            continue;
        if (d->claimed && d->badge != badge)
            return WF_ERR_ILLEGAL_OPERATION;
        *again = d->claimed;
        d->claimed = true;
        d->badge = badge;
        *index = i;
        return WF_ERR_OK;
    }
    return WF_ERR_FAILED_LOOKUP;
}

enum wf_error bus_holder(const struct bus *b, wf_word_t badge, wf_word_t index)
{
    if (index >= b->n)
        return WF_ERR_RANGE_ERROR;
    if (!b->dev[index].claimed || b->dev[index].badge != badge)
        return WF_ERR_ILLEGAL_OPERATION;
    return WF_ERR_OK;
}

enum wf_error bus_config_check(wf_word_t offset, wf_word_t width)
{
    if ((width != 1 && width != 2 && width != 4) || offset >= PCI_CONFIG_SIZE || offset % width)
        return WF_ERR_INVALID_ARGUMENT;
    return WF_ERR_OK;
}

#define BUS_COMMAND_BITS                                                                           \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF)

enum wf_error bus_command(uint16_t old, wf_word_t bits, uint16_t *out)
{
    if (bits & ~(wf_word_t)BUS_COMMAND_BITS)
        return WF_ERR_INVALID_ARGUMENT;
    *out = (uint16_t)((old & ~BUS_COMMAND_BITS) | bits);
    return WF_ERR_OK;
}

bool bus_line_shared(const struct bus *b, unsigned index)
{
    const struct pci_func *f = &b->dev[index].f;
    for (unsigned i = 0; i < b->n; i++)
        if (i != index && b->dev[i].claimed && b->dev[i].f.irq_pin &&
            b->dev[i].f.irq_line == f->irq_line)
            return true;
    return false;
}

unsigned bus_bar_bits(uint64_t size)
{
    unsigned bits = BUS_PAGE_BITS;
    while (bits < 63 && ((uint64_t)1 << bits) < size)
        bits++;
    return bits;
}

bool bus_add_untyped(struct bus *b, uint64_t pa, unsigned bits, wf_word_t slot)
{
    if (b->nnodes == BUS_MAX_NODES || bits >= 64)
        return false;
    b->node[b->nnodes++] = (struct bus_node){pa, (uint8_t)bits, false, -1, slot};
    return true;
}

/* The unsplit node holding pa, or NULL. */
static struct bus_node *leaf_of(struct bus *b, uint64_t pa)
{
    for (unsigned i = 0; i < b->nnodes; i++) {
        struct bus_node *n = &b->node[i];
        if (!n->split && pa >= n->pa && pa - n->pa < ((uint64_t)1 << n->bits))
            return n;
    }
    return NULL;
}

struct bus_node *bus_carve(struct bus *b, uint64_t pa, unsigned bits, int index, bus_split_fn split,
                           void *ctx)
{
    if (bits >= 64 || (pa & (((uint64_t)1 << bits) - 1)))
        return NULL;
    for (;;) {
        struct bus_node *n = leaf_of(b, pa);
        if (!n || n->bits < bits)
            return NULL; /* not device memory, or a smaller piece is already cut from it */
        /* The whole range must lie in n: n's range is aligned and at least as large. */
        if (n->owner != -1 && n->owner != index)
            return NULL;
        if (n->bits == bits) {
            n->owner = index;
            return n;
        }
        if (n->owner != -1 || b->nnodes + 2 > BUS_MAX_NODES)
            return NULL;
        wf_word_t lo = 0, hi = 0;
        if (!split(ctx, n->slot, n->bits, &lo, &hi))
            return NULL;
        uint64_t half = (uint64_t)1 << (n->bits - 1);
        n->split = true;
        b->node[b->nnodes++] = (struct bus_node){n->pa, (uint8_t)(n->bits - 1), false, -1, lo};
        b->node[b->nnodes++] =
            (struct bus_node){n->pa + half, (uint8_t)(n->bits - 1), false, -1, hi};
    }
}

void bus_drop_nodes(struct bus *b, int index)
{
    for (unsigned i = 0; i < b->nnodes; i++)
        if (b->node[i].owner == index)
            b->node[i].owner = -1;
}
