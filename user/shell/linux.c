/*
 * linux PROGRAM [ARGS...]: runs a static Linux program of the initramfs under
 * a new instance of lx (user/lx, docs/linux.md) and waits for it. lx is a
 * child of the shell with a pool of its own (LINUX_MEM), a CNode of 2^12 slots,
 * the shell's console, initramfs and name server caps (lx looks the file
 * server up through it for /tmp), and the arguments in a VMO in its
 * slot 16 (a musl program is started with argv[0] only: lx reads PROGRAM and
 * ARGS from there, start info words 0 and 1 naming it). The shell then prints
 * the status lx exits with: the program's, or 128 + the signal that ended it.
 * lx itself reports the system calls it did not serve, by name and count
 * ("lx: system calls not served: ..."), when the program's last process ends.
 */
#include <stdio.h>
#include <string.h>

#include "lib/cpio.h"
#include "shell.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"

#define LINUX_MEM     (8ull << 20)
#define LINUX_RADIX   12
#define LX_ARGS_MAGIC 0x6c78617267766563ull /* user/lx/lx.h */
#define LX_ARGS_SLOT  16
#define LX_ARGS_MAX   4096

static void drop(wf_cptr_t s)
{
    if (s) {
        wf_cnode_revoke(SELF, s, DEPTH);
        wf_cnode_delete(SELF, s, DEPTH);
    }
}

void cmd_linux(int argc, char **argv)
{
    static char args[LX_ARGS_MAX];
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        if (len + n > sizeof(args)) {
            printf("linux: the arguments are longer than %u bytes\n", LX_ARGS_MAX);
            return;
        }
        memcpy(args + len, argv[i], n);
        len += n;
    }
    struct cpio_entry e;
    if (!sh.initramfs || cpio_find(sh.initramfs, sh.initramfs_len, "lx", &e) != CPIO_OK ||
        !cpio_is_regular(&e)) {
        printf("linux: no lx in the initramfs\n");
        return;
    }
    wf_word_t type = 0;
    wf_cnode_describe(SELF, WF_CHILD_INITRAMFS, DEPTH, &type, NULL, NULL, NULL);
    if (!type) {
        printf("linux: the shell holds no initramfs cap to give lx\n");
        return;
    }
    wf_word_t first_slot = sh.env.next_slot;
    struct wf_process p;
    memset(&p, 0, sizeof(p));
    wf_cptr_t pool = 0, vmo = 0;
    const char *step = "pool";
    enum wf_error err = wf_env_create(&sh.env, WF_OBJ_POOL, LINUX_MEM, &pool);
    struct wf_spawn_env cenv = sh.env;
    cenv.pool = pool;
    if (err == WF_ERR_OK) {
        step = "arguments";
        err = wf_env_create(&cenv, WF_OBJ_VMO, LX_ARGS_MAX, &vmo);
    }
    if (err == WF_ERR_OK)
        err = wf_vmo_write(vmo, 0, len, WF_CHILD_VSPACE, (uintptr_t)args);
    if (err == WF_ERR_OK) {
        step = "process";
        const struct wf_process_opts o = {
            .name = "lx", .prio = sh.prio, .cnode_radix = LINUX_RADIX};
        err = wf_process_create_opts(&cenv, &p, e.data, e.size, &o);
    }
    if (err == WF_ERR_OK) {
        step = "caps";
        err = wf_process_give(&cenv, &p, LX_ARGS_SLOT, vmo, WF_RIGHT_READ, 0);
    }
    if (err == WF_ERR_OK)
        err = wf_process_give(&cenv, &p, WF_CHILD_INITRAMFS, WF_CHILD_INITRAMFS, WF_RIGHT_READ, 0);
    if (err == WF_ERR_OK) {
        wf_cnode_describe(SELF, WF_CHILD_CONSOLE, DEPTH, &type, NULL, NULL, NULL);
        if (type)
            err = wf_process_give(&cenv, &p, WF_CHILD_CONSOLE, WF_CHILD_CONSOLE, WF_RIGHTS_ALL, 0);
    }
    if (err == WF_ERR_OK) {
        wf_cnode_describe(SELF, WF_CHILD_NAME, DEPTH, &type, NULL, NULL, NULL);
        if (type)
            err = wf_process_give(&cenv, &p, WF_CHILD_NAME, WF_CHILD_NAME, WF_RIGHTS_ALL, 0);
    }
    if (err == WF_ERR_OK) {
        step = "memory";
        wf_word_t used = 0;
        wf_pool_info(pool, &used, NULL, NULL, NULL);
        err = wf_process_give_pool(&cenv, &p, LINUX_MEM > used ? LINUX_MEM - used : 0, NULL);
    }
    if (err == WF_ERR_OK) {
        step = "start";
        const wf_word_t words[WF_STARTINFO_ARGS] = {LX_ARGS_MAGIC, len};
        err = wf_process_start(&cenv, &p, words);
    }
    if (err == WF_ERR_OK) {
        struct wf_event ev;
        err = wf_thread_wait(&p.main, &ev);
        sh_net_forget(); /* lx was the shell's client of the network server */
        if (err == WF_ERR_OK && ev.label == WF_EXIT_LABEL)
            printf("linux: %s exited with status %llu\n", argv[1], (unsigned long long)ev.w[0]);
        else if (err == WF_ERR_OK)
            printf("linux: lx faulted (fault type %llu) at pc 0x%llx\n",
                   (unsigned long long)ev.label, (unsigned long long)ev.w[WF_FAULT_WORD_PC]);
        step = "wait";
    }
    if (err != WF_ERR_OK)
        printf("linux: %s failed: %s\n", step, wf_error_name(err));
    wf_process_destroy(&cenv, &p);
    drop(vmo);
    drop(pool);
    /* every slot taken since first_slot (in order, from the shell's own range)
     * is empty again */
    sh.env.next_slot = first_slot;
}
