/*
 * name: Weft's name server (protocol name, abi/protocols/name.proto;
 * docs/userspace.md, "Name service"; decision 106).
 *
 * Usage: started by init (or a test acting as init) with no arguments, its
 * endpoint in slot WF_CHILD_SERVE (Read right) and a pool in WF_CHILD_POOL for
 * its Reply object. Every client calls it through a cap to that endpoint whose
 * badge is the client's id: badge 0 is init's, the only one that may Register.
 *
 * The endpoints registered are moved from the receive slot into slots of the
 * server's own CNode (the table's, from SLOT_TABLE up), unbadged. A Lookup
 * mints the stored endpoint with the caller's badge into a scratch slot and
 * sends that as the reply's cap: the server the client then calls knows the
 * client by the same id the name server did. The scratch copy is deleted when
 * the next message arrives (the loop sends the reply after the handler).
 *
 * The server keeps no state beyond its table; its slots are 16 up to the half
 * of its CNode that the C library's memory layer takes (wf/libc.h).
 */
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "weft/invoke.h"
#include "wf/proto/name.h"
#include "wf/server.h"
#include "wf/startinfo.h"

enum {
    SLOT_RECV = WF_CHILD_FIRST_FREE, /* where a Register's endpoint arrives */
    SLOT_REPLY,                      /* the loop's Reply object */
    SLOT_SCRATCH,                    /* a Lookup's minted reply cap; a badge probe */
    SLOT_TABLE,                      /* the table's NAME_TABLE_SLOTS slots */
    SLOT_END = SLOT_TABLE + NAME_TABLE_SLOTS,
};

#define CNODE WF_CHILD_CNODE

static struct name_table table;

/* Empties the scratch slot (what an earlier reply carried). */
static void drop_scratch(void)
{
    wf_cnode_delete(CNODE, SLOT_SCRATCH, 64);
}

static wf_word_t on_register(struct wf_server *s, struct wf_server_req *r, wf_word_t visible,
                             const char *name, wf_word_t name_len, wf_cptr_t endpoint)
{
    drop_scratch();
    struct name_reg p = name_table_prepare(&table, r->badge, name, name_len);
    if (p.err != WF_ERR_OK)
        return p.err;
    /* Lookups mint the endpoint with a badge, which the kernel refuses for a
     * cap that has one already (or is neither endpoint nor notification):
     * probe that now, not at every Lookup. */
    if (wf_cnode_mint(CNODE, SLOT_SCRATCH, 64, CNODE, endpoint, 64, WF_RIGHTS_ALL, 1) != WF_ERR_OK)
        return WF_ERR_INVALID_ARGUMENT;
    drop_scratch();
    if (wf_cnode_move(CNODE, p.dest, 64, CNODE, endpoint, 64) != WF_ERR_OK)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    if (p.replaces)
        wf_cnode_delete(CNODE, p.old, 64);
    name_table_commit(&table, &p, visible, name, name_len);
    return WF_ERR_OK;
}

static wf_word_t on_lookup(struct wf_server *s, struct wf_server_req *r, const char *name,
                           wf_word_t name_len, wf_cptr_t *endpoint)
{
    drop_scratch();
    const struct name_entry *e = name_table_lookup(&table, r->badge, name, name_len);
    if (!e)
        return WF_ERR_FAILED_LOOKUP;
    /* Badge 0 (init) gets an unbadged copy: Mint with badge 0 copies. */
    if (wf_cnode_mint(CNODE, SLOT_SCRATCH, 64, CNODE, e->slot, 64, WF_RIGHTS_ALL, r->badge) !=
        WF_ERR_OK)
        return WF_ERR_FAILED_LOOKUP; /* the endpoint is gone (revoked) */
    *endpoint = SLOT_SCRATCH;
    return WF_ERR_OK;
}

static wf_word_t on_list(struct wf_server *s, struct wf_server_req *r, wf_word_t index, char *name,
                         wf_word_t *name_len)
{
    drop_scratch();
    const struct name_entry *e = name_table_list(&table, r->badge, index);
    if (!e)
        return WF_ERR_RANGE_ERROR;
    memcpy(name, e->name, e->len);
    *name_len = e->len;
    return WF_ERR_OK;
}

static const struct wfp_name_handlers handlers = {
    .on_register = on_register,
    .on_lookup = on_lookup,
    .on_list = on_list,
};
static const struct wf_server_proto protos[] = {WFP_NAME_PROTO_ENTRY(&handlers)};

int main(int argc, char **argv)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    if (argc > 1 || si->magic != WF_STARTINFO_MAGIC) {
        fprintf(stderr, "usage: name (started by init: endpoint in slot %d, pool in slot %d)\n",
                WF_CHILD_SERVE, WF_CHILD_POOL);
        return 2;
    }
    /* The upper half of the CNode is the C library's (wf/libc.h). */
    if (si->cnode_radix >= 64 || (1ull << si->cnode_radix) / 2 < SLOT_END) {
        fprintf(stderr, "name: a CNode of radix %lu is too small (%d slots needed)\n",
                (unsigned long)si->cnode_radix, SLOT_END * 2);
        return 3;
    }
    enum wf_error e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_REPLY, 0, CNODE, SLOT_REPLY, 64);
    if (e != WF_ERR_OK) {
        fprintf(stderr, "name: no Reply object from the pool in slot %d: %s\n", WF_CHILD_POOL,
                wf_error_name(e));
        return 4;
    }
    name_table_init(&table, SLOT_TABLE);
    struct wf_server s = {
        .ep = WF_CHILD_SERVE,
        .recv_cnode = CNODE,
        .recv_slot = SLOT_RECV,
        .protos = protos,
        .nprotos = 1,
    };
    const wf_cptr_t replies[1] = {SLOT_REPLY};
    wf_server_init(&s, replies, 1);
    wf_word_t err = wf_server_run(&s);
    fprintf(stderr, "name: receiving on slot %d failed: %s\n", WF_CHILD_SERVE, wf_error_name(err));
    return 1;
}
