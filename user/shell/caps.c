/*
 * The cap commands: caps lists the shell's CSpace (CNode_Describe on every
 * slot), retype, mint, copy, delete and revoke invoke the kernel directly and
 * print its errors with their details decoded (text.c).
 */
#include <stdio.h>
#include <string.h>

#include "shell.h"

/* One invocation through wf_call with its reply words kept: results, or an
 * error's details. */
static wf_word_t invoke(wf_cptr_t cap, wf_word_t label, const wf_word_t *words, unsigned n,
                        const wf_cptr_t *caps, unsigned ncaps, wf_word_t reply[4])
{
    memset(reply, 0, 4 * sizeof(wf_word_t));
    return wf_call(cap, label, words, n, caps, ncaps, reply, 4);
}

/* Reports the result of a cap command: "OK: what" or the decoded error. */
static void report(const char *cmd, wf_word_t err, const wf_word_t d[4], enum sh_err_ctx ctx,
                   const char *done)
{
    if (err == WF_ERR_OK)
        printf("%s\n", done);
    else
        print_error(cmd, err, d, ctx);
}

void cmd_caps(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    wf_word_t n = 1ull << sh.radix;
    unsigned shown = 0;
    printf("slot  type          rights  badge/guard         details\n");
    for (wf_word_t s = 1; s < n; s++) {
        wf_word_t type = 0, rights = 0, data = 0, flags = 0;
        if (wf_cnode_describe(SELF, s, DEPTH, &type, &rights, &data, &flags) != WF_ERR_OK || !type)
            continue;
        char tbuf[16], rbuf[5];
        sh_rights_str(rights, rbuf);
        printf("%-5llu %-13s %-7s 0x%-17llx", (unsigned long long)s,
               sh_type_name(type, tbuf, sizeof(tbuf)), rbuf, (unsigned long long)data);
        if (type == WF_OBJ_UNTYPED) {
            wf_word_t paddr, bits, device, free;
            if (wf_untyped_describe(s, &paddr, &bits, &device, &free) == WF_ERR_OK)
                printf(" %s 0x%llx-0x%llx, %llu bytes free", device ? "device" : "ram",
                       (unsigned long long)paddr, (unsigned long long)(paddr + (1ull << bits) - 1),
                       (unsigned long long)free);
        } else if (type == WF_OBJ_POOL) {
            wf_word_t used, limit, objects, free;
            if (wf_pool_info(s, &used, &limit, &objects, &free) == WF_ERR_OK)
                printf(" used %llu of %llu, %llu objects, %llu free", (unsigned long long)used,
                       (unsigned long long)limit, (unsigned long long)objects,
                       (unsigned long long)free);
        }
        if (flags & WF_DESCRIBE_ORIGINAL)
            printf(" original");
        if (flags & WF_DESCRIBE_HAS_CHILDREN)
            printf(" has-children");
        printf("\n");
        shown++;
    }
    printf("%u caps in %llu slots\n", shown, (unsigned long long)n);
}

void cmd_retype(int argc, char **argv)
{
    uint64_t ut, type, bits = 0, dest;
    if (!arg_number(argv, 1, &ut))
        return;
    if (!sh_type(argv[2], &type)) {
        printf("retype: unknown type '%s' (untyped cnode tcb endpoint notification reply "
               "pool, or a number)\n",
               argv[2]);
        usage(argv[0]);
        return;
    }
    if (argc == 5 && !arg_number(argv, 3, &bits))
        return;
    if (!arg_number(argv, argc - 1, &dest))
        return;
    const wf_word_t w[6] = {type, bits, 0, 0, dest, 1};
    const wf_cptr_t c[1] = {SELF};
    wf_word_t d[4];
    wf_word_t e = invoke(ut, WF_LABEL_UNTYPED_RETYPE, w, 6, c, 1, d);
    char done[64];
    snprintf(done, sizeof(done), "made %s in slot %llu", argv[2], (unsigned long long)dest);
    report("retype", e, d, SH_CTX_RETYPE, done);
}

void cmd_mint(int argc, char **argv)
{
    (void)argc;
    uint64_t src, dest, rights, badge;
    if (!arg_number(argv, 1, &src) || !arg_number(argv, 2, &dest))
        return;
    if (!sh_rights(argv[3], &rights)) {
        printf("mint: bad rights '%s' (letters r w g R, all, none, or 0-15)\n", argv[3]);
        usage(argv[0]);
        return;
    }
    if (!arg_number(argv, 4, &badge))
        return;
    const wf_word_t w[6] = {dest, DEPTH, src, DEPTH, rights, badge};
    const wf_cptr_t c[1] = {SELF};
    wf_word_t d[4];
    wf_word_t e = invoke(SELF, WF_LABEL_CNODE_MINT, w, 6, c, 1, d);
    char done[80];
    snprintf(done, sizeof(done), "minted slot %llu into slot %llu with badge %llu",
             (unsigned long long)src, (unsigned long long)dest, (unsigned long long)badge);
    report("mint", e, d, SH_CTX_ANY, done);
}

void cmd_copy(int argc, char **argv)
{
    uint64_t src, dest, rights = WF_RIGHTS_ALL;
    if (!arg_number(argv, 1, &src) || !arg_number(argv, 2, &dest))
        return;
    if (argc == 4 && !sh_rights(argv[3], &rights)) {
        printf("copy: bad rights '%s' (letters r w g R, all, none, or 0-15)\n", argv[3]);
        usage(argv[0]);
        return;
    }
    const wf_word_t w[5] = {dest, DEPTH, src, DEPTH, rights};
    const wf_cptr_t c[1] = {SELF};
    wf_word_t d[4];
    wf_word_t e = invoke(SELF, WF_LABEL_CNODE_COPY, w, 5, c, 1, d);
    char done[64];
    snprintf(done, sizeof(done), "copied slot %llu into slot %llu", (unsigned long long)src,
             (unsigned long long)dest);
    report("copy", e, d, SH_CTX_ANY, done);
}

/* delete and revoke: one slot argument, the same shape. */
static void one_slot(char **argv, wf_word_t label, const char *verb)
{
    uint64_t slot;
    if (!arg_number(argv, 1, &slot))
        return;
    const wf_word_t w[2] = {slot, DEPTH};
    wf_word_t d[4];
    wf_word_t e = invoke(SELF, label, w, 2, NULL, 0, d);
    char done[48];
    snprintf(done, sizeof(done), "%s slot %llu", verb, (unsigned long long)slot);
    report(argv[0], e, d, SH_CTX_ANY, done);
}

void cmd_delete(int argc, char **argv)
{
    (void)argc;
    one_slot(argv, WF_LABEL_CNODE_DELETE, "deleted");
}

void cmd_revoke(int argc, char **argv)
{
    (void)argc;
    one_slot(argv, WF_LABEL_CNODE_REVOKE, "revoked everything derived from");
}
