/*
 * A counting allocator for the host tests of the file servers (tmpfs,
 * initrdfs, the VFS): their struct vfs_env's alloc and free, with `live` the
 * bytes handed out and not yet freed, so a test proves that nothing leaked.
 */
#ifndef HOST_ALLOC_H
#define HOST_ALLOC_H

#include <stdlib.h>

static size_t live; /* bytes the allocator handed out, not freed */

static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    live += n;
    return malloc(n);
}

static void t_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    live -= n;
    free(p);
}

#endif
