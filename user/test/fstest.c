/*
 * The file server as a child process (fstest.h).
 */
#include "fstest.h"
#include "weft/invoke.h"
#include "wf/spawn.h"

enum wf_error fs_start(struct srv *s)
{
    struct wf_spawn_env *e = test_env();
    const void *elf;
    size_t len;
    if (!e || !wf_initramfs_find(test_bootinfo, "fs", &elf, &len))
        return WF_ERR_INVALID_ARGUMENT;
    s->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    if (!s->ep)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error err = wf_process_create(e, &s->p, elf, len, "fs", TEST_CHILD_PRIO);
    if (!err)
        err = wf_process_give(e, &s->p, WF_CHILD_SERVE, s->ep,
                              WF_RIGHT_READ | WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0);
    if (!err)
        err = wf_process_give(e, &s->p, WF_CHILD_INITRAMFS, WF_ROOT_INITRAMFS, WF_RIGHT_READ, 0);
    if (!err)
        err = wf_process_give_pool(e, &s->p, FS_POOL, &s->pool);
    if (!err)
        err = wf_process_start(e, &s->p, 0);
    if (!err && !test_settle())
        err = WF_ERR_NOT_ENOUGH_MEMORY;
    return err;
}
