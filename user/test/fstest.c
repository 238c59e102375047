/*
 * The file server as a child process, and the calls its suites share
 * (fstest.h).
 */
#include <string.h>

#include "fstest.h"
#include "weft/invoke.h"
#include "wf/proto/file.h"
#include "wf/spawn.h"

enum wf_error fs_start(struct srv *s)
{
    return fs_start_pool(s, 0, FS_POOL);
}

enum wf_error fs_start_pool(struct srv *s, wf_cptr_t from, wf_word_t pool)
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
    if (!err) {
        const wf_cptr_t mine = e->pool; /* the server's pool drawn from another */
        if (from)
            e->pool = from;
        err = wf_process_give_pool(e, &s->p, pool, &s->pool);
        e->pool = mine;
    }
    if (!err)
        err = wf_process_start(e, &s->p, 0);
    if (!err && !test_settle())
        err = WF_ERR_NOT_ENOUGH_MEMORY;
    return err;
}

wf_word_t fs_res(enum wf_error e, wf_word_t status)
{
    return e == WF_ERR_OK ? status : 1000 + (wf_word_t)e;
}

wf_word_t fs_open(wf_cptr_t c, const char *path, wf_word_t flags, wf_cptr_t h)
{
    wf_cnode_delete(WF_ROOT_CNODE, h, 64);
    wf_word_t status = 0, ino = 0;
    enum wf_error e =
        wfp_file_open(c, flags, 0644, path, strlen(path), &status, &ino, WF_ROOT_CNODE, h, 64);
    if (e == WF_ERR_TRUNCATED_MESSAGE && status)
        return status; /* an errno: no cap came */
    return fs_res(e, status);
}

wf_word_t fs_write(wf_cptr_t h, wf_word_t off, const char *s)
{
    wf_word_t status = 0, n = 0;
    enum wf_error e = wfp_file_write(h, off, s, strlen(s), &status, &n);
    if (e == WF_ERR_OK && status == 0 && n != strlen(s))
        return 999;
    return fs_res(e, status);
}

wf_word_t fs_path1(enum wf_error (*f)(wf_cptr_t, const void *, wf_word_t, wf_word_t *), wf_cptr_t c,
                   const char *p)
{
    wf_word_t status = 0;
    return fs_res(f(c, p, strlen(p), &status), status);
}
