/*
 * The name server's table (table.h): registration, replacement, lookups and
 * listing by the caller's badge. A linear scan over at most NAME_TABLE_MAX
 * names is all it needs: the table changes only when init registers a server.
 */
#include "table.h"

#include <string.h>

void name_table_init(struct name_table *t, wf_word_t first)
{
    memset(t, 0, sizeof(*t));
    t->first = first;
    t->spare = first;
}

/* Index of the entry named name, or t->n. */
static unsigned find(const struct name_table *t, const char *name, size_t len)
{
    unsigned i = 0;
    while (i < t->n && !(t->e[i].len == len && memcmp(t->e[i].name, name, len) == 0))
        i++;
    return i;
}

struct name_reg name_table_prepare(const struct name_table *t, wf_word_t badge, const char *name,
                                   size_t len)
{
    struct name_reg p = {.err = WF_ERR_OK};
    if (badge != 0) {
        p.err = WF_ERR_ILLEGAL_OPERATION;
        return p;
    }
    if (len == 0 || len > WFP_NAME_NAME_MAX) {
        p.err = WF_ERR_INVALID_ARGUMENT;
        return p;
    }
    p.index = find(t, name, len);
    p.replaces = p.index < t->n;
    if (p.replaces) {
        p.dest = t->spare;
        p.old = t->e[p.index].slot;
    } else if (t->n == NAME_TABLE_MAX) {
        p.err = WF_ERR_NOT_ENOUGH_MEMORY;
    } else {
        /* The slots in use are spare and the entries': first .. first + n. */
        p.dest = t->first + t->n + 1;
    }
    return p;
}

void name_table_commit(struct name_table *t, const struct name_reg *p, wf_word_t visible,
                       const char *name, size_t len)
{
    struct name_entry *e = &t->e[p->index];
    if (p->replaces) {
        t->spare = p->old;
    } else {
        t->n++;
        e->len = (unsigned)len;
        memcpy(e->name, name, len);
    }
    e->slot = p->dest;
    e->visible = visible;
}

const struct name_entry *name_table_lookup(const struct name_table *t, wf_word_t badge,
                                           const char *name, size_t len)
{
    unsigned i = find(t, name, len);
    return i < t->n && name_visible(&t->e[i], badge) ? &t->e[i] : NULL;
}

const struct name_entry *name_table_list(const struct name_table *t, wf_word_t badge,
                                         wf_word_t index)
{
    for (unsigned i = 0; i < t->n; i++)
        if (name_visible(&t->e[i], badge) && index-- == 0)
            return &t->e[i];
    return NULL;
}
