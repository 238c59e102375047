/*
 * The PCI bus server's bookkeeping (user/pcibus/bus.c): which devices exist,
 * who holds each, what a claimant may do with its configuration space, and
 * the tree of device untyped the server splits to hand out exactly one BAR.
 * Pure logic, no system call: the server (user/pcibus/main.c) does the cap
 * work through the callback below, and tests/host/test_pci.c runs the module
 * on the host (docs/devices.md, "The PCI bus server"; decision 120).
 */
#ifndef PCIBUS_BUS_H
#define PCIBUS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/errors.h"
#include "weft/types.h"
#include "wf/pci.h"

#define BUS_MAX_DEVS  32u  /* functions the server keeps */
#define BUS_MAX_NODES 256u /* device untyped pieces (given ones and their splits) */
#define BUS_ANY       0xffffffffu
#define BUS_PAGE_BITS 12u

struct bus_dev {
    struct pci_func f; /* BARs sized (all NONE when sizing failed) */
    bool claimed;
    wf_word_t badge; /* the claimant's, when claimed */
};

/* A piece of device memory: a given untyped or half of a split one. */
struct bus_node {
    uint64_t pa;
    uint8_t bits;
    bool split; /* retyped into two halves (the next nodes of the table name them) */
    int owner;  /* the device index it is handed to, -1: none */
    wf_word_t slot;
};

/* Retypes the untyped in slot into two halves of 2^(bits-1) bytes placed in
 * slots *lo and *hi (the caller of bus_carve chooses them); true on success. */
typedef bool (*bus_split_fn)(void *ctx, wf_word_t slot, unsigned bits, wf_word_t *lo,
                             wf_word_t *hi);

struct bus {
    struct bus_dev dev[BUS_MAX_DEVS];
    unsigned n;
    struct bus_node node[BUS_MAX_NODES];
    unsigned nnodes;
};

/* Whether device d matches vendor, device and class (BUS_ANY: all; a class up
 * to 0xffff compares class << 8 | subclass, above it the 24-bit value). */
bool bus_matches(const struct bus_dev *d, wf_word_t vendor, wf_word_t device, wf_word_t cls);

/* Claim for badge: the nth matching device. WF_ERR_FAILED_LOOKUP when none,
 * ILLEGAL_OPERATION when another badge holds it. *index its index, *again true
 * when badge already held it (the server revokes the earlier grants). */
enum wf_error bus_claim(struct bus *b, wf_word_t badge, wf_word_t vendor, wf_word_t device,
                        wf_word_t cls, wf_word_t nth, unsigned *index, bool *again);

/* RANGE_ERROR for an index out of range, ILLEGAL_OPERATION when badge does not
 * hold it, else WF_ERR_OK. */
enum wf_error bus_holder(const struct bus *b, wf_word_t badge, wf_word_t index);

/* Checks a ConfigRead's offset and width: INVALID_ARGUMENT unless width is 1,
 * 2 or 4 and offset a multiple of it below 256. */
enum wf_error bus_config_check(wf_word_t offset, wf_word_t width);

/* The command register after SetCommand(bits) on old: INVALID_ARGUMENT for
 * bits outside the allowed ones. */
enum wf_error bus_command(uint16_t old, wf_word_t bits, uint16_t *out);

/* True when another claimed device than index uses index's interrupt line. */
bool bus_line_shared(const struct bus *b, unsigned index);

/* The size in bits of the untyped that hands out a memory BAR of size bytes
 * (the page at least). */
unsigned bus_bar_bits(uint64_t size);

/* Adds a device untyped given to the server; false when the table is full. */
bool bus_add_untyped(struct bus *b, uint64_t pa, unsigned bits, wf_word_t slot);

/* The node of exactly [pa, pa + 2^bits) for device index, splitting the given
 * untyped down to it; NULL when no given untyped covers the range, a smaller
 * piece inside it is already handed to another device, the table is full or a
 * split fails. A node handed to index already is returned again. */
struct bus_node *bus_carve(struct bus *b, uint64_t pa, unsigned bits, int index, bus_split_fn split,
                           void *ctx);

/* Forgets that index holds any node (its grants are revoked). */
void bus_drop_nodes(struct bus *b, int index);

#endif
