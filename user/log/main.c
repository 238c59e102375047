/*
 * log: Weft's log server (protocol log, abi/protocols/log.proto;
 * docs/userspace.md, "Log").
 *
 * Usage: started by init (or a test acting as init) with no arguments, its
 * endpoint in slot WF_CHILD_SERVE (Read right) and a pool in WF_CHILD_POOL for
 * its Reply object. Writers call it through caps to that endpoint badged with
 * their ids; init (badge 0) names them with Label.
 *
 * Each Write is stamped with the next sequence number and the time (the
 * kernel's CLOCK: nanoseconds since boot, decision 078) and kept in the ring
 * (ring.h). Lines at LEVEL_INFO and more urgent are also echoed to
 * standard output as "NAME: text", which the C library sends to the console.
 */
#include <stdio.h>
#include <string.h>

#include "ring.h"
#include "weft/invoke.h"
#include "wf/proto/log.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

enum {
    SLOT_REPLY = WF_CHILD_FIRST_FREE, /* the loop's Reply object */
    SLOT_END,
};

static struct log_ring ring;

static wf_word_t on_write(struct wf_server *s, struct wf_server_req *r, wf_word_t level,
                          const char *text, wf_word_t text_len)
{
    enum wf_error e = log_ring_write(&ring, r->badge, level, text, text_len, wf_clock_ns(), NULL);
    if (e == WF_ERR_OK && level <= WFP_LOG_LEVEL_INFO) {
        char name[LOG_SHOWN_NAME_MAX];
        size_t n = log_ring_writer(&ring, r->badge, name);
        printf("%.*s: %.*s\n", (int)n, name, (int)text_len, text);
        fflush(stdout);
    }
    return e;
}

static wf_word_t on_read(struct wf_server *s, struct wf_server_req *r, wf_word_t seq,
                         wf_word_t *line_seq, wf_word_t *time_ns, wf_word_t *level, char *line,
                         wf_word_t *line_len)
{
    const struct log_line *l = log_ring_read(&ring, seq);
    if (!l) {
        *line_seq = *time_ns = *level = *line_len = 0;
        return WF_ERR_OK;
    }
    *line_seq = l->seq;
    *time_ns = l->time;
    *level = l->level;
    memcpy(line, l->text, l->len);
    *line_len = l->len;
    return WF_ERR_OK;
}

static wf_word_t on_label(struct wf_server *s, struct wf_server_req *r, wf_word_t badge,
                          const char *name, wf_word_t name_len)
{
    return log_ring_label(&ring, r->badge, badge, name, name_len);
}

static const struct wfp_log_handlers handlers = {
    .on_write = on_write,
    .on_read = on_read,
    .on_label = on_label,
};
static const struct wf_server_proto protos[] = {WFP_LOG_PROTO_ENTRY(&handlers)};

int main(int argc, char **argv)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    if (argc > 1 || si->magic != WF_STARTINFO_MAGIC) {
        fprintf(stderr, "usage: log (started by init: endpoint in slot %d, pool in slot %d)\n",
                WF_CHILD_SERVE, WF_CHILD_POOL);
        return 2;
    }
    if (si->cnode_radix >= 64 || (1ull << si->cnode_radix) / 2 < SLOT_END) {
        fprintf(stderr, "log: a CNode of radix %lu is too small\n", (unsigned long)si->cnode_radix);
        return 3;
    }
    enum wf_error e =
        wf_pool_create(WF_CHILD_POOL, WF_OBJ_REPLY, 0, WF_CHILD_CNODE, SLOT_REPLY, 64);
    if (e != WF_ERR_OK) {
        fprintf(stderr, "log: no Reply object from the pool in slot %d: %s\n", WF_CHILD_POOL,
                wf_error_name(e));
        return 4;
    }
    log_ring_init(&ring);
    struct wf_server s = {.ep = WF_CHILD_SERVE, .protos = protos, .nprotos = 1};
    const wf_cptr_t replies[1] = {SLOT_REPLY};
    wf_server_init(&s, replies, 1);
    wf_word_t err = wf_server_run(&s);
    fprintf(stderr, "log: receiving on slot %d failed: %s\n", WF_CHILD_SERVE, wf_error_name(err));
    return 1;
}
