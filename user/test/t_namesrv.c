/*
 * The name server (user/name, protocol name; docs/userspace.md, "Name
 * service"; decision 106) as a child process, the test acting as init: it
 * holds the unbadged endpoint (badge 0) and mints clients' caps with badges 1
 * and 2. Checked: only badge 0 registers; a name is seen only by the badges its
 * mask names (Lookup and List); the cap a Lookup returns is minted with the
 * caller's badge (a thread receiving on the registered endpoint sees it); a
 * second Register of a name replaces its endpoint and the server keeps no
 * stale copy; the table's bound; malformed messages refused, the server
 * working on after them; a client blocked in a Call gets CANCELLED when the
 * server is killed while it holds the call.
 */
#include <string.h>

#include "srvtest.h"
#include "weft/invoke.h"
#include "wf/proto/name.h"

/* The server's CNode slots the test inspects (user/name/main.c: receive slot,
 * Reply, scratch, then the table) and the end of the range it may use. */
#define NS_FIRST WF_CHILD_FIRST_FREE
#define NS_END   (1u << (WF_CHILD_CNODE_RADIX - 1))

static enum wf_error lookup(wf_cptr_t c, const char *name, wf_cptr_t into)
{
    wf_cnode_delete(WF_ROOT_CNODE, into, 64);
    return wfp_name_lookup(c, name, strlen(name), WF_ROOT_CNODE, into, 64);
}

static enum wf_error reg(wf_cptr_t c, const char *name, wf_word_t mask, wf_cptr_t ep)
{
    return wfp_name_register(c, mask, name, strlen(name), ep);
}

/* The badge a message sent through cap arrives with at ep (~0 on failure). */
static wf_word_t badge_through(wf_cptr_t cap, wf_cptr_t ep, wf_word_t w0)
{
    struct srv_catch c;
    if (srv_catch_start(&c, ep) != WF_ERR_OK || srv_catch_send(&c, cap, w0) != WF_ERR_OK ||
        c.w0 != w0)
        return ~(wf_word_t)0;
    return c.badge;
}

TEST(namesrv, register_lookup_minted_with_the_callers_badge)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "name"), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), c2 = srv_client(&s, 2);
    wf_cptr_t target = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(c1 && c2 && target);
    const wf_cptr_t got = test_slot(10);

    /* Only init (badge 0) registers. */
    TEST_ASSERT_ERR(reg(c1, "svc", WFP_NAME_ALL, target), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(lookup(c1, "svc", got), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(reg(s.ep, "svc", 1u << 0 | 1u << 1, target), WF_ERR_OK);

    /* Visible to badges 0 and 1, not 2. */
    TEST_ASSERT_ERR(lookup(c2, "svc", got), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(lookup(c1, "nope", got), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(lookup(c1, "sv", got), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(lookup(c1, "svc", got), WF_ERR_OK);
    /* The cap reaches the registered endpoint, carrying badge 1. */
    TEST_ASSERT_EQ(badge_through(got, target, 77), 1);
    /* Badge 0's lookup is unbadged. */
    TEST_ASSERT_ERR(lookup(s.ep, "svc", got), WF_ERR_OK);
    TEST_ASSERT_EQ(badge_through(got, target, 78), 0);

    /* List by badge. */
    char name[WFP_NAME_NAME_MAX];
    wf_word_t n = 0;
    TEST_ASSERT_ERR(wfp_name_list(c1, 0, name, sizeof(name), &n), WF_ERR_OK);
    TEST_ASSERT(n == 3 && memcmp(name, "svc", 3) == 0, "List gave %lu bytes", (unsigned long)n);
    TEST_ASSERT_ERR(wfp_name_list(c1, 1, name, sizeof(name), &n), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wfp_name_list(c2, 0, name, sizeof(name), &n), WF_ERR_RANGE_ERROR);

    /* The server holds its Reply object and one endpoint, nothing else (a
     * List came last: the Lookup's scratch copy is gone). */
    TEST_ASSERT_EQ(srv_caps(&s, NS_FIRST, NS_END), 2);
}

TEST(namesrv, register_again_replaces)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "name"), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), c2 = srv_client(&s, 2);
    wf_cptr_t old_ep = test_obj(WF_OBJ_ENDPOINT, 0), new_ep = test_obj(WF_OBJ_ENDPOINT, 0);
    wf_cptr_t other = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(c1 && c2 && old_ep && new_ep && other);
    const wf_cptr_t got = test_slot(10);
    TEST_ASSERT_ERR(reg(s.ep, "first", WFP_NAME_ALL, other), WF_ERR_OK);
    TEST_ASSERT_ERR(reg(s.ep, "svc", 1u << 1, old_ep), WF_ERR_OK);
    TEST_ASSERT_ERR(lookup(c1, "svc", got), WF_ERR_OK);
    TEST_ASSERT_EQ(badge_through(got, old_ep, 1), 1);

    /* A restarted server's new endpoint, now for badge 2 only. */
    TEST_ASSERT_ERR(reg(s.ep, "svc", 1u << 2, new_ep), WF_ERR_OK);
    TEST_ASSERT_ERR(lookup(c1, "svc", got), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(lookup(c2, "svc", got), WF_ERR_OK);
    TEST_ASSERT_EQ(badge_through(got, new_ep, 2), 2);

    /* List keeps the order of first registration. */
    char name[WFP_NAME_NAME_MAX];
    wf_word_t n = 0;
    TEST_ASSERT_ERR(wfp_name_list(c2, 0, name, sizeof(name), &n), WF_ERR_OK);
    TEST_ASSERT(n == 5 && memcmp(name, "first", 5) == 0);
    TEST_ASSERT_ERR(wfp_name_list(c2, 1, name, sizeof(name), &n), WF_ERR_OK);
    TEST_ASSERT(n == 3 && memcmp(name, "svc", 3) == 0);
    TEST_ASSERT_ERR(wfp_name_list(c2, 2, name, sizeof(name), &n), WF_ERR_RANGE_ERROR);

    /* The old endpoint's copy is gone: Reply object plus two endpoints. */
    TEST_ASSERT_EQ(srv_caps(&s, NS_FIRST, NS_END), 3);
}

TEST(namesrv, table_bound_and_longest_names)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "name"), WF_ERR_OK);
    wf_cptr_t c5 = srv_client(&s, 5), target = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(c5 && target);
    const wf_cptr_t got = test_slot(10);
    char name[WFP_NAME_NAME_MAX];
    memset(name, 'x', sizeof(name));
    /* 64 names of 64 bytes, differing in their last two. */
    for (unsigned i = 0; i < 64; i++) {
        name[62] = (char)('a' + i / 26);
        name[63] = (char)('a' + i % 26);
        TEST_ASSERT_ERR(wfp_name_register(s.ep, 1u << 5, name, sizeof(name), target), WF_ERR_OK);
    }
    TEST_ASSERT_ERR(wfp_name_register(s.ep, 1u << 5, "more", 4, target), WF_ERR_NOT_ENOUGH_MEMORY);
    /* Replacing still works. */
    TEST_ASSERT_ERR(wfp_name_register(s.ep, WFP_NAME_ALL, name, sizeof(name), target), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_name_lookup(c5, name, sizeof(name), WF_ROOT_CNODE, got, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(badge_through(got, target, 3), 5);
    wf_word_t n = 0;
    char back[WFP_NAME_NAME_MAX];
    TEST_ASSERT_ERR(wfp_name_list(c5, 63, back, sizeof(back), &n), WF_ERR_OK);
    TEST_ASSERT(n == sizeof(name) && memcmp(back, name, n) == 0);
    TEST_ASSERT_ERR(wfp_name_list(c5, 64, back, sizeof(back), &n), WF_ERR_RANGE_ERROR);
    /* 64 endpoints and the Reply object. */
    TEST_ASSERT_EQ(srv_caps(&s, NS_FIRST, NS_END), 65);
}

TEST(namesrv, malformed_messages_refused)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "name"), WF_ERR_OK);
    wf_cptr_t target = test_obj(WF_OBJ_ENDPOINT, 0), vmo = test_vmo(4096);
    wf_cptr_t badged = test_slot(12), own = srv_client(&s, 9);
    TEST_ASSERT(target && vmo && own);
    TEST_ASSERT_ERR(
        wf_cnode_mint(WF_ROOT_CNODE, badged, 64, WF_ROOT_CNODE, target, 64, WF_RIGHTS_ALL, 4),
        WF_ERR_OK);
    wf_word_t w[12] = {WFP_NAME_ALL, 3, 0x636261}; /* "abc" */
    wf_word_t out[4];
    /* Register without its cap, with an empty name, with 65 bytes. */
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_NAME_REGISTER, w, 3, 0, 0, out, 4, 0, 0),
                    WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_ERR(reg(s.ep, "", WFP_NAME_ALL, target), WF_ERR_INVALID_ARGUMENT);
    w[1] = WFP_NAME_NAME_MAX + 1;
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_NAME_REGISTER, w, 11, target, 0, out, 4, 0, 0),
                    WF_ERR_RANGE_ERROR);
    /* An endpoint with a badge already, or no endpoint at all: Lookup could
     * not mint it. */
    TEST_ASSERT_ERR(reg(s.ep, "abc", WFP_NAME_ALL, badged), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(reg(s.ep, "abc", WFP_NAME_ALL, vmo), WF_ERR_INVALID_ARGUMENT);
    /* The server's own endpoint arrives unwrapped, not as a cap. */
    TEST_ASSERT_ERR(reg(s.ep, "abc", WFP_NAME_ALL, own), WF_ERR_INVALID_CAPABILITY);
    /* Lookup with a word too many; a label outside the messages. */
    w[0] = 3;
    w[1] = 0x636261;
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_NAME_LOOKUP, w, 3, 0, 0, out, 4, 0, 0),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_proto_call(s.ep, WFP_NAME_LAST, w, 1, 0, 0, out, 4, 0, 0),
                    WF_ERR_ILLEGAL_OPERATION);
    /* Nothing was registered, nothing was kept, and the server still works. */
    TEST_ASSERT_ERR(lookup(s.ep, "abc", test_slot(10)), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(srv_caps(&s, NS_FIRST, NS_END), 1);
    TEST_ASSERT_ERR(reg(s.ep, "abc", WFP_NAME_ALL, target), WF_ERR_OK);
    TEST_ASSERT_ERR(lookup(s.ep, "abc", test_slot(10)), WF_ERR_OK);
}

static int lookup_client(uintptr_t c)
{
    return (int)wfp_name_lookup((wf_cptr_t)c, "svc", 3, WF_ROOT_CNODE, test_slot(11), 64);
}

TEST(namesrv, killed_mid_call_cancels_the_client)
{
    struct srv s;
    TEST_ASSERT_ERR(srv_start(&s, "name"), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), target = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(c1 && target);
    TEST_ASSERT_ERR(reg(s.ep, "svc", WFP_NAME_ALL, target), WF_ERR_OK);
    wf_word_t err;
    TEST_ASSERT_ERR(srv_kill_mid_call(&s, lookup_client, c1, &err), WF_ERR_OK);
    TEST_ASSERT(err != 1000, "the server answered before it was killed");
    TEST_ASSERT_ERR(err, WF_ERR_CANCELLED);
    /* Its pool came back. */
    wf_word_t used = 1;
    TEST_ASSERT_ERR(wf_pool_info(s.pool, &used, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(used, 0);
}
