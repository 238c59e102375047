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
