/*
 * The file server (user/fs) as a child process, for the suites that test it
 * (user/test/fstest.c; t_fs.c, t_ext2fs.c).
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

#endif
