/*
 * The virtio-blk driver's request checks (user/vblk/blk.c) on the host: every
 * refusal the block protocol names for Read and Write, at the exact edges
 * (the last sector, the last byte of the buffer) and with values chosen to
 * wrap a careless sum.
 */
#include <criterion/criterion.h>
#include <stdint.h>

#include "blk.h"

#define CAP 2048u
#define MAX 256u
#define W   UINT64_MAX

static const struct vblk_buffer rw = {true, true, 0x100000, 0x10000};

static enum wf_error rd(const struct vblk_buffer *b, uint64_t lba, uint64_t n, uint64_t off)
{
    return vblk_check(b, CAP, false, false, lba, n, off, MAX);
}

static enum wf_error wr(const struct vblk_buffer *b, uint64_t lba, uint64_t n, uint64_t off)
{
    return vblk_check(b, CAP, false, true, lba, n, off, MAX);
}

Test(vblk, accepts_the_edges)
{
    cr_assert_eq(rd(&rw, 0, 1, 0), WF_ERR_OK);
    cr_assert_eq(rd(&rw, CAP - 1, 1, 0), WF_ERR_OK);
    cr_assert_eq(rd(&rw, CAP - 128, 128, 0), WF_ERR_OK); /* the whole 64 KiB buffer */
    cr_assert_eq(wr(&rw, 0, 1, 0x10000 - 512), WF_ERR_OK);
    cr_assert_eq(rd(&rw, 0, 1, 1), WF_ERR_OK); /* no alignment needed */
}

Test(vblk, counts)
{
    cr_assert_eq(rd(&rw, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(rd(&rw, 0, MAX + 1, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(rd(&rw, 0, W, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(rd(&rw, 0, (W / 512) + 2, 0), WF_ERR_INVALID_ARGUMENT); /* wraps * 512 */
}

Test(vblk, disk_end)
{
    cr_assert_eq(rd(&rw, CAP, 1, 0), WF_ERR_RANGE_ERROR);
    cr_assert_eq(rd(&rw, CAP - 1, 2, 0), WF_ERR_RANGE_ERROR);
    cr_assert_eq(wr(&rw, W, 2, 0), WF_ERR_RANGE_ERROR); /* lba + count wraps */
    cr_assert_eq(wr(&rw, W - 1, 2, 0), WF_ERR_RANGE_ERROR);
}

Test(vblk, buffer_end)
{
    cr_assert_eq(rd(&rw, 0, 1, 0x10000 - 511), WF_ERR_RANGE_ERROR);
    cr_assert_eq(rd(&rw, 0, 129, 0), WF_ERR_RANGE_ERROR);
    cr_assert_eq(rd(&rw, 0, 1, 0x10000), WF_ERR_RANGE_ERROR);
    cr_assert_eq(rd(&rw, 0, 1, W), WF_ERR_RANGE_ERROR); /* offset + bytes wraps */
    cr_assert_eq(rd(&rw, 0, 1, W - 100), WF_ERR_RANGE_ERROR);
}

Test(vblk, buffers_and_rights)
{
    const struct vblk_buffer none = {0}, ro = {true, false, 0x100000, 0x10000};
    cr_assert_eq(rd(&none, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wr(&none, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(rd(&ro, 0, 1, 0), WF_ERR_ILLEGAL_OPERATION); /* the device would write it */
    cr_assert_eq(wr(&ro, 0, 1, 0), WF_ERR_OK);
    cr_assert_eq(vblk_check(&rw, CAP, true, true, 0, 1, 0, MAX), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(vblk_check(&rw, CAP, true, false, 0, 1, 0, MAX), WF_ERR_OK);
}
