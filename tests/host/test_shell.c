/*
 * The shell's pure text logic (user/shell/text.c): splitting, numbers and
 * sizes with their overflow edges, type and rights names both ways, and the
 * error formatter against every error's documented detail words
 * (abi/weft.def).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "text.h"
#include "weft/errors.h"
#include "weft/objects.h"

Test(shell, split_words_at_blanks)
{
    char line[] = "  mint\t5 40  rw 0x7\r\n";
    char *argv[SH_MAX_ARGS];
    int n = sh_split(line, argv, SH_MAX_ARGS);
    cr_assert_eq(n, 5);
    cr_assert_str_eq(argv[0], "mint");
    cr_assert_str_eq(argv[1], "5");
    cr_assert_str_eq(argv[2], "40");
    cr_assert_str_eq(argv[3], "rw");
    cr_assert_str_eq(argv[4], "0x7");
}

Test(shell, split_counts_empty_and_too_many)
{
    char empty[] = " \t \n";
    char *argv[3];
    cr_assert_eq(sh_split(empty, argv, 3), 0);
    char four[] = "a b c d";
    cr_assert_eq(sh_split(four, argv, 3), -1);
    char three[] = "a b c";
    cr_assert_eq(sh_split(three, argv, 3), 3);
    cr_assert_str_eq(argv[2], "c");
}

Test(shell, numbers_decimal_and_hex)
{
    uint64_t v;
    cr_assert(sh_number("0", &v) && v == 0);
    cr_assert(sh_number("42", &v) && v == 42);
    cr_assert(sh_number("0x2A", &v) && v == 42);
    cr_assert(sh_number("0xffffffffffffffff", &v) && v == UINT64_MAX);
    cr_assert(sh_number("18446744073709551615", &v) && v == UINT64_MAX);
    cr_assert_not(sh_number("18446744073709551616", &v));
    cr_assert_not(sh_number("0x10000000000000000", &v));
    cr_assert_not(sh_number("", &v));
    cr_assert_not(sh_number("0x", &v));
    cr_assert_not(sh_number("-1", &v));
    cr_assert_not(sh_number("12a", &v));
    cr_assert_not(sh_number("0x1g", &v));
    cr_assert_not(sh_number(" 1", &v));
    cr_assert_not(sh_number(NULL, &v));
}

Test(shell, sizes_with_suffixes)
{
    uint64_t v;
    cr_assert(sh_size("4096", &v) && v == 4096);
    cr_assert(sh_size("64K", &v) && v == 65536);
    cr_assert(sh_size("1M", &v) && v == 1u << 20);
    cr_assert(sh_size("2g", &v) && v == 2ull << 30);
    cr_assert(sh_size("0x10K", &v) && v == 16u << 10);
    cr_assert(sh_size("0x1b", &v) && v == 0x1b); /* b: a hex digit, not a suffix */
    cr_assert_not(sh_size("K", &v));
    cr_assert_not(sh_size("1T", &v));
    cr_assert_not(sh_size("17179869184G", &v)); /* 2^34 GiB overflows */
    cr_assert(sh_size("17179869183G", &v) && v == 17179869183ull << 30);
}

Test(shell, type_names_both_ways)
{
    uint64_t t;
    char buf[16];
    cr_assert(sh_type("endpoint", &t) && t == WF_OBJ_ENDPOINT);
    cr_assert(sh_type("ep", &t) && t == WF_OBJ_ENDPOINT);
    cr_assert(sh_type("ntfn", &t) && t == WF_OBJ_NOTIFICATION);
    cr_assert(sh_type("untyped", &t) && t == WF_OBJ_UNTYPED);
    cr_assert(sh_type("16", &t) && t == WF_OBJ_POOL);
    cr_assert_not(sh_type("0", &t));
    cr_assert_not(sh_type("32", &t));
    cr_assert_not(sh_type("dying", &t));
    cr_assert_not(sh_type("Endpoint", &t));
    cr_assert_str_eq(sh_type_name(WF_OBJ_ENDPOINT, buf, sizeof(buf)), "endpoint");
    cr_assert_str_eq(sh_type_name(WF_OBJ_DYING, buf, sizeof(buf)), "dying");
    cr_assert_str_eq(sh_type_name(7, buf, sizeof(buf)), "type 7");
    /* Every named type reads back as itself. */
    for (uint64_t i = 1; i < WF_OBJ_COUNT; i++) {
        const char *n = sh_type_name(i, buf, sizeof(buf));
        if (strncmp(n, "type ", 5) != 0)
            cr_assert(sh_type(n, &t) && t == i, "%s", n);
    }
}

Test(shell, rights_letters_numbers_and_strings)
{
    uint64_t r;
    char s[5];
    cr_assert(sh_rights("rw", &r) && r == (WF_RIGHT_READ | WF_RIGHT_WRITE));
    cr_assert(sh_rights("Rg", &r) && r == (WF_RIGHT_GRANT_REPLY | WF_RIGHT_GRANT));
    cr_assert(sh_rights("all", &r) && r == WF_RIGHTS_ALL);
    cr_assert(sh_rights("none", &r) && r == 0);
    cr_assert(sh_rights("0xf", &r) && r == WF_RIGHTS_ALL);
    cr_assert(sh_rights("2", &r) && r == WF_RIGHT_WRITE);
    cr_assert_not(sh_rights("16", &r));
    cr_assert_not(sh_rights("rr", &r));
    cr_assert_not(sh_rights("rx", &r));
    cr_assert_not(sh_rights("", &r));
    sh_rights_str(WF_RIGHT_READ | WF_RIGHT_GRANT_REPLY, s);
    cr_assert_str_eq(s, "r--R");
    sh_rights_str(WF_RIGHTS_ALL, s);
    cr_assert_str_eq(s, "rwgR");
    sh_rights_str(0, s);
    cr_assert_str_eq(s, "----");
}

Test(shell, thread_states)
{
    cr_assert_str_eq(sh_thread_state_name(WF_THREAD_STATE_BLOCKED_RECV), "blocked-recv");
    cr_assert_str_eq(sh_thread_state_name(WF_THREAD_STATE_RUNNABLE), "runnable");
    cr_assert_str_eq(sh_thread_state_name(99), "unknown");
}

static const char *fmt(uint64_t err, uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3,
                       enum sh_err_ctx ctx)
{
    static char buf[160];
    const uint64_t d[4] = {d0, d1, d2, d3};
    int n = sh_format_error(buf, sizeof(buf), err, d, ctx);
    cr_assert_eq((size_t)n, strlen(buf));
    return buf;
}

Test(shell, errors_with_their_details)
{
    cr_assert_str_eq(fmt(WF_ERR_FAILED_LOOKUP, WF_CAP_INVOKED, WF_LOOKUP_FAULT_GUARD_MISMATCH, 1,
                         52, SH_CTX_ANY),
                     "FAILED_LOOKUP at level 1: guard mismatch (from the invoked CNode, 52 bits "
                     "unresolved)");
    cr_assert_str_eq(
        fmt(WF_ERR_FAILED_LOOKUP, 0, WF_LOOKUP_FAULT_EMPTY_SLOT, 1, 0, SH_CTX_ANY),
        "FAILED_LOOKUP at level 1: empty slot (from cap argument 0, 0 bits unresolved)");
    cr_assert_str_eq(fmt(WF_ERR_FAILED_LOOKUP, 0, 9, 0, 0, SH_CTX_ANY),
                     "FAILED_LOOKUP at level 0: lookup fault 9 (from cap argument 0, 0 bits "
                     "unresolved)");
    cr_assert_str_eq(fmt(WF_ERR_NOT_ENOUGH_MEMORY, 4096, 0, 0, 0, SH_CTX_ANY),
                     "NOT_ENOUGH_MEMORY: 4096 bytes free");
    cr_assert_str_eq(fmt(WF_ERR_RANGE_ERROR, 1, 4, 47, 0, SH_CTX_ANY),
                     "RANGE_ERROR: argument 1 outside 4..47");
    cr_assert_str_eq(fmt(WF_ERR_INVALID_ARGUMENT, 2, 0, 0, 0, SH_CTX_ANY),
                     "INVALID_ARGUMENT: argument 2");
    cr_assert_str_eq(fmt(WF_ERR_INVALID_CAPABILITY, WF_CAP_INVOKED, 0, 0, 0, SH_CTX_ANY),
                     "INVALID_CAPABILITY: the invoked cap");
    cr_assert_str_eq(fmt(WF_ERR_INVALID_CAPABILITY, 1, 0, 0, 0, SH_CTX_ANY),
                     "INVALID_CAPABILITY: cap argument 1");
    cr_assert_str_eq(fmt(WF_ERR_INVALID_CAPABILITY, WF_CAP_REPLY_ARG, 0, 0, 0, SH_CTX_ANY),
                     "INVALID_CAPABILITY: the reply cap");
    cr_assert_str_eq(fmt(WF_ERR_TRUNCATED_MESSAGE, 7, 1, 0, 0, SH_CTX_ANY),
                     "TRUNCATED_MESSAGE: the method needs 7 words and 1 caps");
    cr_assert_str_eq(fmt(WF_ERR_DELETE_FIRST, 40, 0, 0, 0, SH_CTX_RETYPE),
                     "DELETE_FIRST: slot 40 is not empty");
    cr_assert_str_eq(fmt(WF_ERR_DELETE_FIRST, 40, 0, 0, 0, SH_CTX_ANY),
                     "DELETE_FIRST: the destination slot is not empty");
    cr_assert_str_eq(fmt(WF_ERR_REVOKE_FIRST, 0, 0, 0, 0, SH_CTX_ANY),
                     "REVOKE_FIRST: the cap has children");
    cr_assert_str_eq(fmt(WF_ERR_ILLEGAL_OPERATION, 5, 0, 0, 0, SH_CTX_ANY), "ILLEGAL_OPERATION");
    cr_assert_str_eq(fmt(WF_ERR_CANCELLED, 0, 0, 0, 0, SH_CTX_ANY), "CANCELLED");
    cr_assert_str_eq(fmt(99, 0, 0, 0, 0, SH_CTX_ANY), "error 99");
}

Test(shell, errors_without_details_are_names)
{
    char buf[64];
    sh_format_error(buf, sizeof(buf), WF_ERR_FAILED_LOOKUP, NULL, SH_CTX_ANY);
    cr_assert_str_eq(buf, "FAILED_LOOKUP");
    sh_format_error(buf, sizeof(buf), 77, NULL, SH_CTX_ANY);
    cr_assert_str_eq(buf, "error 77");
}

Test(shell, every_error_has_a_name)
{
    char buf[160];
    const uint64_t d[4] = {0};
    for (uint64_t e = 0; e < WF_ERR_COUNT; e++) {
        sh_format_error(buf, sizeof(buf), e, d, SH_CTX_ANY);
        cr_assert(strncmp(buf, wf_error_name(e), strlen(wf_error_name(e))) == 0, "%s", buf);
        cr_assert_neq(strcmp(wf_error_name(e), "?"), 0);
    }
}

Test(shell, error_text_is_cut_to_the_buffer)
{
    char buf[8];
    const uint64_t d[4] = {0, WF_LOOKUP_FAULT_GUARD_MISMATCH, 1, 3};
    int n = sh_format_error(buf, sizeof(buf), WF_ERR_FAILED_LOOKUP, d, SH_CTX_ANY);
    cr_assert_gt(n, 7);
    cr_assert_str_eq(buf, "FAILED_");
}
