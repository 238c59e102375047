/*
 * The file server (user/fs) as a child process and a few calls to it, for the
 * suites that test it (user/test/fstest.c; t_fs.c, t_ext2fs.c).
 */
#ifndef WF_FSTEST_H
#define WF_FSTEST_H

#include "srvtest.h"

/* The file server's pool. */
#define FS_POOL (1u << 20)

/* Starts the initramfs program "fs" at TEST_CHILD_PRIO with a new endpoint in
 * its slot WF_CHILD_SERVE (Read, Write, Grant-reply), the initramfs (Read) and a
 * pool of FS_POOL bytes, and returns once it waits for messages. */
enum wf_error fs_start(struct srv *s);
/* The same with a pool of pool bytes drawn from pool from (0: the test's). */
enum wf_error fs_start_pool(struct srv *s, wf_cptr_t from, wf_word_t pool);

/* A call's outcome in one number: its status (0 or an errno), or 1000 plus
 * the protocol error. */
wf_word_t fs_res(enum wf_error e, wf_word_t status);

/* Opens path through the file server cap c into slot h (emptied first) with
 * flags (WFP_FILE_O_*, mode 0644); fs_res's number. */
wf_word_t fs_open(wf_cptr_t c, const char *path, wf_word_t flags, wf_cptr_t h);

/* Writes the string s at off through the open file h; fs_res's number, 999
 * for a short write. */
wf_word_t fs_write(wf_cptr_t h, wf_word_t off, const char *s);

/* Calls f (a file server call taking one path) on path p; fs_res's number. */
wf_word_t fs_path1(enum wf_error (*f)(wf_cptr_t, const void *, wf_word_t, wf_word_t *), wf_cptr_t c,
                   const char *p);

#endif
