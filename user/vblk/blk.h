/*
 * The virtio-blk driver (user/vblk/): its start contract and its pure request
 * checks (blk.c, tested on the host by tests/host/test_vblk.c).
 *
 * Caps the parent gives (wf/startinfo.h slots): SERVE (the block protocol
 * endpoint), POOL (its memory, DMA rings and bounce buffers included) and
 * either NAME with "pcibus" visible (init: sees=pcibus) or the bus server's
 * endpoint in PCI_BUS_SLOT (wf/pci_bus.h). The disk's BAR and interrupt line
 * come from the bus server (Claim, GetCap).
 */
#ifndef VBLK_BLK_H
#define VBLK_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/errors.h"
#include "weft/types.h"

#define VBLK_SECTOR 512u

/* virtio-blk (virtio 1.1, section 5.2). */
#define VIRTIO_BLK_F_RO       (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH    (1ull << 9)
#define VIRTIO_BLK_T_IN       0
#define VIRTIO_BLK_T_OUT      1
#define VIRTIO_BLK_T_FLUSH    4
#define VIRTIO_BLK_S_OK       0
#define VIRTIO_BLK_PCI_VENDOR 0x1af4
#define VIRTIO_BLK_PCI_MODERN 0x1042 /* 0x1040 + device type 2 */
#define VIRTIO_BLK_PCI_TRANS  0x1001 /* transitional; driven through its modern interface */

struct virtio_blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* A client's buffer as the driver knows it. */
struct vblk_buffer {
    bool present;
    bool writable; /* the client's cap has WRITE: the device may write into it (Read) */
    uint64_t paddr, size;
};

/* Checks a Read (write == false) or Write of count sectors at lba to/from the
 * buffer at offset, on a disk of capacity sectors; read_only: the disk refuses
 * writes. Returns WF_ERR_OK or the protocol's error (INVALID_ARGUMENT for a
 * count of 0 or above max, ILLEGAL_OPERATION without a usable buffer,
 * RANGE_ERROR past the disk's or the buffer's end, overflow included). */
enum wf_error vblk_check(const struct vblk_buffer *b, uint64_t capacity, bool read_only, bool write,
                         wf_word_t lba, wf_word_t count, wf_word_t offset, wf_word_t max);

/*
 * Read-ahead (decision 141). The driver keeps VBLK_RA windows of up to
 * WFP_BLOCK_SECTOR_MAX sectors each, read from the disk ahead of a client that
 * reads sequentially; a Read the window holds is copied from it with no device
 * request. A window is EMPTY, BUSY (its device read is in flight) or VALID. A Write
 * over a window empties a VALID one and makes a BUSY one stale: its data is given
 * only to the Reads that came before the Write and waited for it, and the window is
 * emptied when it ends.
 */
#define VBLK_RA 2

enum vblk_ra_state { VBLK_RA_EMPTY, VBLK_RA_BUSY, VBLK_RA_VALID };

struct vblk_ra {
    uint64_t lba;
    uint32_t count;
    uint8_t state; /* enum vblk_ra_state */
    bool stale;    /* BUSY, and a Write came over it */
};

/* The window (VALID or BUSY, not stale) that holds all of [lba, lba + count), or -1. */
int vblk_ra_find(const struct vblk_ra *ra, unsigned n, uint64_t lba, uint64_t count);

/* A Write of [lba, lba + count): a VALID window over it becomes EMPTY, a BUSY one
 * stale. Returns how many windows it changed. */
unsigned vblk_ra_invalidate(struct vblk_ra *ra, unsigned n, uint64_t lba, uint64_t count);

/*
 * What to read ahead after a sequential Read of [lba, end): up to max sectors from
 * the end of the run of live windows that holds end (joined end to end), or from
 * end, while that start is less than n windows of max past end and inside the
 * disk's capacity (n at most 32). The window used is an EMPTY one, else a VALID one
 * outside that run (the reader has passed it, or it holds sectors elsewhere).
 * Returns its index with *start and *count set, or -1: nothing to read (enough
 * ahead already, no window free, the disk's end).
 */
int vblk_ra_plan(const struct vblk_ra *ra, unsigned n, uint64_t lba, uint64_t end,
                 uint64_t capacity, uint32_t max, uint64_t *start, uint32_t *count);

#endif
