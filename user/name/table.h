/*
 * The name server's table (user/name/table.c): which names are registered, the
 * endpoint slot of each and who may see it. Pure logic, no system call: the
 * server (user/name/main.c) moves and deletes the caps the table names, and
 * tests/host/test_nametable.c tests the table on the host.
 *
 * An entry is a name (1 to WFP_NAME_NAME_MAX bytes, any bytes), a visibility
 * mask (bit b set: the client whose name cap has badge b may look it up; badges
 * from 64 up see nothing) and the slot of the server's CNode that holds the
 * registered endpoint, unbadged. Entries are never removed: registering a name
 * again replaces its endpoint and mask in place, so List's order stays the
 * order of first registration.
 *
 * Slots. The table owns NAME_TABLE_SLOTS consecutive slots from the one given
 * to name_table_init: one per entry plus one spare. A replacement's new cap
 * goes into the spare first and the old entry's slot becomes the spare after
 * the old cap is deleted, so a failed move leaves the old entry whole. The
 * slots in use (entries' and the spare) are always first .. first + n.
 */
#ifndef NAME_TABLE_H
#define NAME_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "weft/errors.h"
#include "weft/types.h"
#include "wf/proto/name.h"

/* Most names the server keeps; slots the table owns. */
#define NAME_TABLE_MAX   64u
#define NAME_TABLE_SLOTS (NAME_TABLE_MAX + 1u)

struct name_entry {
    wf_word_t visible; /* bit b: badge b may look it up */
    wf_word_t slot;    /* the server's slot holding the unbadged endpoint */
    unsigned len;      /* bytes of name */
    char name[WFP_NAME_NAME_MAX];
};

struct name_table {
    struct name_entry e[NAME_TABLE_MAX]; /* e[0..n): in order of first registration */
    unsigned n;
    wf_word_t first; /* the table's first slot */
    wf_word_t spare; /* an empty slot of the table's */
};

/* What a Register will do, worked out before any cap moves (decode, then
 * invoke): on WF_ERR_OK the caller moves the new cap into dest, deletes old if
 * replaces, then calls name_table_commit with this. */
struct name_reg {
    enum wf_error err;
    unsigned index; /* the entry it fills or replaces */
    bool replaces;  /* an entry of that name exists */
    wf_word_t dest; /* the empty slot the new cap goes to */
    wf_word_t old;  /* with replaces: the slot of the cap to delete */
};

/* Empties t; its slots are first .. first + NAME_TABLE_SLOTS - 1. */
void name_table_init(struct name_table *t, wf_word_t first);

/* Checks a Register of name (len bytes) from a client with badge, changing
 * nothing: ILLEGAL_OPERATION unless badge is 0, INVALID_ARGUMENT for an empty
 * or too long name, NOT_ENOUGH_MEMORY when the name is new and the table full. */
struct name_reg name_table_prepare(const struct name_table *t, wf_word_t badge, const char *name,
                                   size_t len);

/* Records the Register p (from name_table_prepare, WF_ERR_OK, its cap moved to
 * p->dest) with the mask visible. */
void name_table_commit(struct name_table *t, const struct name_reg *p, wf_word_t visible,
                       const char *name, size_t len);

/* Whether the client with badge may see entry e. */
static inline bool name_visible(const struct name_entry *e, wf_word_t badge)
{
    return badge < 64 && (e->visible >> badge & 1);
}

/* The entry named name that the client with badge may see, or NULL (not
 * registered or not visible: the two are not told apart). */
const struct name_entry *name_table_lookup(const struct name_table *t, wf_word_t badge,
                                           const char *name, size_t len);

/* The index-th entry (from 0) visible to badge, in registration order, or NULL
 * past the last. */
const struct name_entry *name_table_list(const struct name_table *t, wf_word_t badge,
                                         wf_word_t index);

#endif
