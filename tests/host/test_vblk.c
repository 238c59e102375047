/*
 * The virtio-blk driver's request checks (user/vblk/blk.c) on the host: every
 * refusal the block protocol names for Read and Write, at the exact edges
 * (the last sector, the last byte of the buffer) and with values chosen to
 * wrap a careless sum.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

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

/* Read-ahead windows (blk.h). */
#define RA_MAX 256u

static void win(struct vblk_ra *w, uint64_t lba, uint32_t count, enum vblk_ra_state st)
{
    *w = (struct vblk_ra){lba, count, (uint8_t)st, false};
}

Test(vblk_ra, find_whole_reads_only)
{
    struct vblk_ra ra[VBLK_RA] = {0};
    win(&ra[0], 100, RA_MAX, VBLK_RA_VALID);
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100, 8), 0);
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100 + RA_MAX - 8, 8), 0);  /* the last 8 */
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100 + RA_MAX - 7, 8), -1); /* runs past it */
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 99, 8), -1);               /* starts before */
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100, RA_MAX + 1), -1);
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, UINT64_MAX - 2, 8), -1); /* no wrap */
    win(&ra[1], 100 + RA_MAX, RA_MAX, VBLK_RA_BUSY);
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100 + RA_MAX, 8), 1);      /* a busy one: wait for it */
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100 + RA_MAX - 4, 8), -1); /* across two windows */
    ra[1].stale = true;
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100 + RA_MAX, 8), -1); /* a Write came over it */
    win(&ra[0], 100, RA_MAX, VBLK_RA_EMPTY);
    cr_assert_eq(vblk_ra_find(ra, VBLK_RA, 100, 8), -1);
}

Test(vblk_ra, a_write_empties_or_spoils)
{
    struct vblk_ra ra[VBLK_RA] = {0};
    win(&ra[0], 100, RA_MAX, VBLK_RA_VALID);
    win(&ra[1], 100 + RA_MAX, RA_MAX, VBLK_RA_BUSY);
    cr_assert_eq(vblk_ra_invalidate(ra, VBLK_RA, 0, 100), 0u); /* ends where it starts */
    cr_assert_eq(vblk_ra_invalidate(ra, VBLK_RA, 100 + 2 * RA_MAX, 8), 0u);
    cr_assert_eq(ra[0].state, VBLK_RA_VALID);
    cr_assert_eq(vblk_ra_invalidate(ra, VBLK_RA, 99, 2), 1u); /* its first sector */
    cr_assert_eq(ra[0].state, VBLK_RA_EMPTY);
    cr_assert_eq(vblk_ra_invalidate(ra, VBLK_RA, 100 + 2 * RA_MAX - 1, 1), 1u); /* the last */
    cr_assert_eq(ra[1].state, VBLK_RA_BUSY); /* kept for the Reads waiting on it */
    cr_assert(ra[1].stale);
    cr_assert_eq(vblk_ra_invalidate(ra, VBLK_RA, 100 + RA_MAX, 1), 0u); /* stale already */
}

Test(vblk_ra, plans_ahead_of_a_sequential_reader)
{
    struct vblk_ra ra[VBLK_RA] = {0};
    uint64_t s = 0;
    uint32_t n = 0;
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 0, 8, CAP, RA_MAX, &s, &n), 0);
    cr_assert_eq(s, 8u);
    cr_assert_eq(n, RA_MAX);
    win(&ra[0], 8, RA_MAX, VBLK_RA_BUSY);
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 8, 16, CAP, RA_MAX, &s, &n), 1); /* the next one */
    cr_assert_eq(s, 8u + RA_MAX);
    win(&ra[1], 8 + RA_MAX, RA_MAX, VBLK_RA_BUSY);
    /* two windows ahead and none free: nothing */
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 16, 24, CAP, RA_MAX, &s, &n), -1);
    ra[0].state = VBLK_RA_VALID;
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 16, 24, CAP, RA_MAX, &s, &n), -1); /* still in use */
    /* the reader reads the last sectors of window 0: it may go */
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 8 + RA_MAX - 8, 8 + RA_MAX, CAP, RA_MAX, &s, &n), 0);
    cr_assert_eq(s, 8u + 2 * RA_MAX);
}

Test(vblk_ra, plan_reuses_windows_elsewhere_and_stops_at_the_end)
{
    struct vblk_ra ra[VBLK_RA] = {0};
    uint64_t s = 0;
    uint32_t n = 0;
    /* both windows hold the end of an earlier pass: a new pass from 0 reuses one */
    win(&ra[0], 1000, RA_MAX, VBLK_RA_VALID);
    win(&ra[1], 1000 + RA_MAX, RA_MAX, VBLK_RA_VALID);
    cr_assert_neq(vblk_ra_plan(ra, VBLK_RA, 0, 8, CAP, RA_MAX, &s, &n), -1);
    cr_assert_eq(s, 8u);
    /* a busy window is never taken */
    win(&ra[0], 1000, RA_MAX, VBLK_RA_BUSY);
    win(&ra[1], 1000 + RA_MAX, RA_MAX, VBLK_RA_BUSY);
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 0, 8, CAP, RA_MAX, &s, &n), -1);
    /* the disk's end: a short window, then nothing */
    memset(ra, 0, sizeof(ra));
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, CAP - 108, CAP - 100, CAP, RA_MAX, &s, &n), 0);
    cr_assert_eq(s, CAP - 100u);
    cr_assert_eq(n, 100u);
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, CAP - 8, CAP, CAP, RA_MAX, &s, &n), -1);
    cr_assert_eq(vblk_ra_plan(ra, VBLK_RA, 0, 8, CAP, 0, &s, &n), -1);
}
