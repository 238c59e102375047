/*
 * The virtio-blk driver's request checks (blk.h): everything a client sends is
 * checked before a descriptor is written, with the sums done so that no
 * value can wrap (count is at most max first, so count * 512 cannot).
 */
#include "blk.h"

enum wf_error vblk_check(const struct vblk_buffer *b, uint64_t capacity, bool read_only, bool write,
                         wf_word_t lba, wf_word_t count, wf_word_t offset, wf_word_t max)
{
    if (count == 0 || count > max)
        return WF_ERR_INVALID_ARGUMENT;
    if (!b->present || (!write && !b->writable) || (write && read_only))
        return WF_ERR_ILLEGAL_OPERATION;
    if (lba > capacity || count > capacity - lba)
        return WF_ERR_RANGE_ERROR;
    uint64_t bytes = count * VBLK_SECTOR;
    if (offset > b->size || bytes > b->size - offset)
        return WF_ERR_RANGE_ERROR;
    return WF_ERR_OK;
}

static bool live(const struct vblk_ra *w)
{
    return w->state == VBLK_RA_VALID || (w->state == VBLK_RA_BUSY && !w->stale);
}

int vblk_ra_find(const struct vblk_ra *ra, unsigned n, uint64_t lba, uint64_t count)
{
    for (unsigned i = 0; i < n; i++)
        if (live(&ra[i]) && lba >= ra[i].lba && count <= ra[i].count &&
            lba - ra[i].lba <= ra[i].count - count)
            return (int)i;
    return -1;
}

unsigned vblk_ra_invalidate(struct vblk_ra *ra, unsigned n, uint64_t lba, uint64_t count)
{
    unsigned changed = 0;
    for (unsigned i = 0; i < n; i++) {
        struct vblk_ra *w = &ra[i];
        bool overlap = w->state != VBLK_RA_EMPTY && lba < w->lba + w->count && w->lba < lba + count;
        if (!overlap)
            continue;
        if (w->state == VBLK_RA_VALID)
            w->state = VBLK_RA_EMPTY;
        else if (!w->stale)
            w->stale = true;
        else
            continue;
        changed++;
    }
    return changed;
}

int vblk_ra_plan(const struct vblk_ra *ra, unsigned n, uint64_t lba, uint64_t end,
                 uint64_t capacity, uint32_t max, uint64_t *start, uint32_t *count)
{
    (void)lba;
    /* the live windows from end on, joined end to end: what is read ahead already */
    uint64_t s = end;
    uint32_t chain = 0;
    for (bool grew = true; grew;) {
        grew = false;
        for (unsigned i = 0; i < n && i < 32; i++)
            if (live(&ra[i]) && ra[i].lba <= s && ra[i].lba + ra[i].count > s) {
                s = ra[i].lba + ra[i].count;
                chain |= 1u << i;
                grew = true;
            }
    }
    if (max == 0 || s >= capacity || s - end >= (uint64_t)n * max)
        return -1;
    /* an EMPTY window, else a VALID one outside the chain (passed, or elsewhere) */
    int slot = -1;
    for (unsigned i = 0; i < n && i < 32 && slot < 0; i++)
        if (ra[i].state == VBLK_RA_EMPTY)
            slot = (int)i;
    for (unsigned i = 0; i < n && i < 32 && slot < 0; i++)
        if (ra[i].state == VBLK_RA_VALID && !(chain & (1u << i)))
            slot = (int)i;
    if (slot < 0)
        return -1;
    *start = s;
    *count = (uint32_t)(capacity - s < max ? capacity - s : max);
    return slot;
}
