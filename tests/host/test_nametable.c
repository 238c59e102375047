/*
 * The name server's table (user/name/table.c) on the host. Registration,
 * replacement, lookups and List by badge, the bounds (NAME_TABLE_MAX names,
 * WFP_NAME_NAME_MAX bytes each), the errors, and a long random sequence of
 * registrations checked against a model: a map of the server's slots (which
 * cap each holds) in which the test performs the moves and deletes the table
 * asks for, and a plain list of (name, cap, mask) that Lookup and List must
 * agree with.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

#define FIRST 19u /* any slot number: the table only hands them back */

static struct name_table t;

/* Registers name with mask visible (the caller's cap move is not modelled). */
static enum wf_error reg(wf_word_t badge, const char *name, size_t len, wf_word_t visible)
{
    struct name_reg p = name_table_prepare(&t, badge, name, len);
    if (p.err == WF_ERR_OK)
        name_table_commit(&t, &p, visible, name, len);
    return p.err;
}

static enum wf_error reg_s(const char *name, wf_word_t visible)
{
    return reg(0, name, strlen(name), visible);
}

static const struct name_entry *look(wf_word_t badge, const char *name)
{
    return name_table_lookup(&t, badge, name, strlen(name));
}

static void setup(void)
{
    name_table_init(&t, FIRST);
}

TestSuite(nametable, .init = setup);

Test(nametable, register_then_lookup)
{
    cr_assert_null(look(0, "log"));
    cr_assert_eq(reg_s("log", WFP_NAME_ALL), WF_ERR_OK);
    const struct name_entry *e = look(0, "log");
    cr_assert_not_null(e);
    cr_assert_eq(e->len, 3);
    cr_assert(memcmp(e->name, "log", 3) == 0);
    cr_assert(e->slot >= FIRST && e->slot < FIRST + NAME_TABLE_SLOTS);
    cr_assert_neq(e->slot, t.spare);
    cr_assert_eq(look(63, "log"), e);
    /* Prefixes and extensions are other names. */
    cr_assert_null(look(0, "lo"));
    cr_assert_null(look(0, "logs"));
    cr_assert_null(name_table_lookup(&t, 0, "log", 0));
}

Test(nametable, replace_keeps_position_and_moves_slot)
{
    cr_assert_eq(reg_s("a", WFP_NAME_ALL), WF_ERR_OK);
    cr_assert_eq(reg_s("b", WFP_NAME_ALL), WF_ERR_OK);
    wf_word_t slot_a = look(0, "a")->slot, spare = t.spare;
    struct name_reg p = name_table_prepare(&t, 0, "a", 1);
    cr_assert_eq(p.err, WF_ERR_OK);
    cr_assert(p.replaces);
    cr_assert_eq(p.index, 0);
    cr_assert_eq(p.dest, spare, "the new cap goes to the spare slot");
    cr_assert_eq(p.old, slot_a, "the old cap is the one to delete");
    name_table_commit(&t, &p, 1u << 5, "a", 1);
    cr_assert_eq(t.n, 2);
    cr_assert_eq(look(5, "a")->slot, spare);
    cr_assert_eq(t.spare, slot_a, "the old slot is the new spare");
    /* The new mask replaced the old one. */
    cr_assert_null(look(0, "a"));
    cr_assert_null(look(6, "a"));
    /* Still first in List. */
    cr_assert_eq(name_table_list(&t, 5, 0), &t.e[0]);
    cr_assert_eq(name_table_list(&t, 5, 1), &t.e[1]);
}

Test(nametable, visibility_by_badge)
{
    const wf_word_t mask = 1ull << 0 | 1ull << 2 | 1ull << 63;
    cr_assert_eq(reg_s("svc", mask), WF_ERR_OK);
    for (wf_word_t b = 0; b < 70; b++) {
        bool want = b < 64 && (mask >> b & 1);
        cr_assert_eq(look(b, "svc") != NULL, want, "badge %lu", (unsigned long)b);
    }
    cr_assert_null(look(~(wf_word_t)0, "svc"));
    cr_assert_eq(reg_s("hidden", 0), WF_ERR_OK);
    for (wf_word_t b = 0; b < 64; b++)
        cr_assert_null(look(b, "hidden"));
}

Test(nametable, list_in_registration_order_by_badge)
{
    cr_assert_eq(reg_s("one", 1u << 1), WF_ERR_OK);
    cr_assert_eq(reg_s("two", 1u << 2), WF_ERR_OK);
    cr_assert_eq(reg_s("both", 1u << 1 | 1u << 2), WF_ERR_OK);
    const struct name_entry *e;
    cr_assert_eq((e = name_table_list(&t, 1, 0)) && e->len == 3 && !memcmp(e->name, "one", 3), 1);
    cr_assert_eq((e = name_table_list(&t, 1, 1)) && e->len == 4 && !memcmp(e->name, "both", 4), 1);
    cr_assert_null(name_table_list(&t, 1, 2));
    cr_assert_eq((e = name_table_list(&t, 2, 0)) && e->len == 3 && !memcmp(e->name, "two", 3), 1);
    cr_assert_null(name_table_list(&t, 3, 0));
    cr_assert_null(name_table_list(&t, 64, 0));
    cr_assert_null(name_table_list(&t, 1, ~(wf_word_t)0));
}

Test(nametable, only_badge_zero_registers)
{
    for (wf_word_t b = 1; b < 70; b += 7)
        cr_assert_eq(reg(b, "x", 1, WFP_NAME_ALL), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(reg(~(wf_word_t)0, "x", 1, WFP_NAME_ALL), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(t.n, 0);
    cr_assert_null(look(0, "x"));
}

Test(nametable, name_lengths)
{
    char name[WFP_NAME_NAME_MAX + 1];
    memset(name, 'n', sizeof(name));
    cr_assert_eq(reg(0, name, 0, WFP_NAME_ALL), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(reg(0, name, WFP_NAME_NAME_MAX + 1, WFP_NAME_ALL), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(t.n, 0);
    cr_assert_eq(reg(0, name, WFP_NAME_NAME_MAX, WFP_NAME_ALL), WF_ERR_OK);
    cr_assert_not_null(name_table_lookup(&t, 0, name, WFP_NAME_NAME_MAX));
    cr_assert_null(name_table_lookup(&t, 0, name, WFP_NAME_NAME_MAX - 1));
    /* Any bytes: a NUL inside a name makes another name. */
    cr_assert_eq(reg(0, "a\0b", 3, WFP_NAME_ALL), WF_ERR_OK);
    cr_assert_eq(reg(0, "a\0c", 3, WFP_NAME_ALL), WF_ERR_OK);
    cr_assert_eq(t.n, 3);
    cr_assert_neq(name_table_lookup(&t, 0, "a\0b", 3), name_table_lookup(&t, 0, "a\0c", 3));
    cr_assert_null(name_table_lookup(&t, 0, "a", 1));
}

Test(nametable, full_table)
{
    char name[8];
    for (unsigned i = 0; i < NAME_TABLE_MAX; i++) {
        snprintf(name, sizeof(name), "s%u", i);
        cr_assert_eq(reg_s(name, WFP_NAME_ALL), WF_ERR_OK, "name %u", i);
    }
    cr_assert_eq(reg_s("one-too-many", WFP_NAME_ALL), WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_null(look(0, "one-too-many"));
    /* Replacing still works when full. */
    cr_assert_eq(reg_s("s17", 1u << 3), WF_ERR_OK);
    cr_assert_null(look(0, "s17"));
    cr_assert_not_null(look(3, "s17"));
    cr_assert_eq(t.n, NAME_TABLE_MAX);
    /* Every slot is used once, and all lie in the table's range. */
    bool used[NAME_TABLE_SLOTS] = {0};
    used[t.spare - FIRST] = true;
    for (unsigned i = 0; i < t.n; i++) {
        cr_assert(t.e[i].slot >= FIRST && t.e[i].slot < FIRST + NAME_TABLE_SLOTS);
        cr_assert_not(used[t.e[i].slot - FIRST], "slot %lu twice", (unsigned long)t.e[i].slot);
        used[t.e[i].slot - FIRST] = true;
    }
}

/* The model: what a slot holds (cap ids from 1; 0 empty) and the names. */
#define NNAMES 90 /* more names than fit */
static unsigned slots[NAME_TABLE_SLOTS];
static struct {
    unsigned cap; /* 0: not registered */
    wf_word_t mask;
    unsigned order; /* registration rank */
} model[NNAMES];

Test(nametable, random_against_model)
{
    srand(7);
    unsigned next_cap = 1, registered = 0;
    char name[16];
    for (unsigned step = 0; step < 20000; step++) {
        unsigned k = (unsigned)rand() % NNAMES;
        snprintf(name, sizeof(name), "name-%u", k);
        wf_word_t mask = (wf_word_t)rand() << 33 ^ (wf_word_t)rand() << 3 ^ (wf_word_t)rand();
        struct name_reg p = name_table_prepare(&t, 0, name, strlen(name));
        if (!model[k].cap && registered == NAME_TABLE_MAX) {
            cr_assert_eq(p.err, WF_ERR_NOT_ENOUGH_MEMORY);
        } else {
            cr_assert_eq(p.err, WF_ERR_OK);
            cr_assert_eq(p.replaces, model[k].cap != 0);
            cr_assert(p.dest >= FIRST && p.dest < FIRST + NAME_TABLE_SLOTS);
            cr_assert_eq(slots[p.dest - FIRST], 0, "step %u: move into a full slot", step);
            slots[p.dest - FIRST] = next_cap;
            if (p.replaces) {
                cr_assert_eq(slots[p.old - FIRST], model[k].cap, "step %u: wrong old slot", step);
                slots[p.old - FIRST] = 0;
            } else {
                model[k].order = registered++;
            }
            model[k].cap = next_cap++;
            model[k].mask = mask;
            name_table_commit(&t, &p, mask, name, strlen(name));
        }
        /* Lookups for a few badges agree with the model... */
        wf_word_t b = (wf_word_t)rand() % 66;
        unsigned q = (unsigned)rand() % NNAMES;
        snprintf(name, sizeof(name), "name-%u", q);
        const struct name_entry *e = look(b, name);
        bool vis = model[q].cap && b < 64 && (model[q].mask >> b & 1);
        cr_assert_eq(e != NULL, vis, "step %u", step);
        if (e)
            cr_assert_eq(slots[e->slot - FIRST], model[q].cap);
        /* ...and so does List, in order of first registration. */
        if (step % 97 == 0) {
            unsigned idx = 0;
            for (unsigned rank = 0; rank < registered; rank++) {
                unsigned j = 0;
                while (model[j].order != rank || !model[j].cap)
                    j++;
                if (!(b < 64 && (model[j].mask >> b & 1)))
                    continue;
                e = name_table_list(&t, b, idx++);
                cr_assert_not_null(e);
                cr_assert_eq(slots[e->slot - FIRST], model[j].cap);
            }
            cr_assert_null(name_table_list(&t, b, idx));
        }
    }
    cr_assert_eq(registered, NAME_TABLE_MAX);
}
