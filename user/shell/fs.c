/*
 * The shell's file commands (docs/storage.md, "The file service and tmpfs"):
 * ls, cat, write, mkdir, rm, mv, stat, df over the file server ("fs", looked up
 * through the name server). The service cap and the one open handle live in
 * the last two slots of the shell's own quarter of its CNode. A file error
 * prints as "CMD: PATH: message" (the errno through musl's strerror: the file
 * protocol's errnos are Linux's, as musl's).
 */
#include <stdio.h>
#include <string.h>

#include "shell.h"
#include "wf/client.h"
#include "wf/proto/file.h"

static bool connected;

static wf_cptr_t fs_slot(void)
{
    return sh.own_end;
}

static wf_cptr_t handle_slot(void)
{
    return sh.own_end + 1;
}

/* Looks "fs" up the first time, and again after a call failed because the
 * server was restarted (then retry is set). */
static bool connect_fs(const char *cmd, enum wf_error after, bool *retry)
{
    *retry = false;
    if (connected && !(after != WF_ERR_OK && wf_reconnect_error(after)))
        return true;
    enum wf_error e = wf_reconnect(fs_slot(), "fs");
    if (e != WF_ERR_OK) {
        printf("%s: no file server: ", cmd);
        print_error("fs", e, NULL, SH_CTX_ANY);
        connected = false;
        return false;
    }
    *retry = connected;
    connected = true;
    return true;
}

/* Runs call once, and once more after a reconnect; prints a protocol error.
 * True when the call went through (its status is then the caller's). */
#define FS_CALL(cmd, e, call)                                                                      \
    ({                                                                                             \
        bool retry_, ok_ = connect_fs(cmd, WF_ERR_OK, &retry_);                                    \
        if (ok_) {                                                                                 \
            e = (call);                                                                            \
            if (wf_reconnect_error(e) && connect_fs(cmd, e, &retry_) && retry_)                    \
                e = (call);                                                                        \
        }                                                                                          \
        ok_;                                                                                       \
    })

static bool status_ok(const char *cmd, const char *path, wf_word_t status)
{
    if (status == 0)
        return true;
    printf("%s: %s: %s\n", cmd, path, strerror((int)status));
    return false;
}

static bool proto_ok(const char *cmd, enum wf_error e)
{
    if (e == WF_ERR_OK)
        return true;
    print_error(cmd, e, NULL, SH_CTX_ANY);
    return false;
}

static bool path_fits(const char *cmd, const char *path)
{
    if (strlen(path) <= WFP_FILE_PATH_MAX)
        return true;
    printf("%s: path too long (at most %u bytes)\n", cmd, WFP_FILE_PATH_MAX);
    return false;
}

/* Opens path into the handle slot; false (and a message) on failure. */
static bool open_path(const char *cmd, const char *path, wf_word_t flags)
{
    if (!path_fits(cmd, path))
        return false;
    wf_word_t status = 0;
    enum wf_error e = WF_ERR_OK;
    wf_cnode_delete(SELF, handle_slot(), DEPTH);
    if (!FS_CALL(cmd, e,
                 wfp_file_open(fs_slot(), flags, 0644, path, strlen(path), &status, NULL, SELF,
                               handle_slot(), DEPTH)))
        return false;
    if (e == WF_ERR_TRUNCATED_MESSAGE && status)
        return status_ok(cmd, path, status);
    return proto_ok(cmd, e) && status_ok(cmd, path, status);
}

static void close_handle(void)
{
    wf_word_t status;
    wfp_file_close(handle_slot(), &status);
    wf_cnode_delete(SELF, handle_slot(), DEPTH);
}

static const char *type_name(wf_word_t t)
{
    return t == WFP_FILE_T_DIR       ? "dir"
           : t == WFP_FILE_T_SYMLINK ? "link"
           : t == WFP_FILE_T_OTHER   ? "other"
                                     : "file";
}

void cmd_ls(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/";
    if (!open_path(argv[0], path, WFP_FILE_O_READ | WFP_FILE_O_DIRECTORY))
        return;
    char name[WFP_FILE_NAME_MAX + 1];
    for (wf_word_t cookie = 0;;) {
        wf_word_t status = 0, type = 0, ino = 0, len = 0;
        enum wf_error e = wfp_file_read_dir(handle_slot(), cookie, &status, &cookie, &type, &ino,
                                            name, WFP_FILE_NAME_MAX, &len);
        if (!proto_ok(argv[0], e) || !status_ok(argv[0], path, status) || len == 0)
            break;
        name[len] = 0;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        printf("%-4s %6llu %s\n", type_name(type), (unsigned long long)ino, name);
    }
    close_handle();
}

void cmd_cat(int argc, char **argv)
{
    (void)argc;
    if (!open_path(argv[0], argv[1], WFP_FILE_O_READ))
        return;
    char buf[WFP_FILE_DATA_MAX];
    for (wf_word_t off = 0;;) {
        wf_word_t status = 0, n = 0;
        enum wf_error e =
            wfp_file_read(handle_slot(), off, sizeof(buf), &status, buf, sizeof(buf), &n);
        if (!proto_ok(argv[0], e) || !status_ok(argv[0], argv[1], status) || n == 0)
            break;
        fwrite(buf, 1, n, stdout);
        off += n;
    }
    close_handle();
}

void cmd_write(int argc, char **argv)
{
    if (!open_path(argv[0], argv[1], WFP_FILE_O_WRITE | WFP_FILE_O_CREATE | WFP_FILE_O_TRUNCATE))
        return;
    wf_word_t off = 0;
    for (int i = 2; i < argc; i++) {
        char text[WFP_FILE_DATA_MAX];
        size_t n = strlen(argv[i]);
        if (n > sizeof(text) - 1)
            n = sizeof(text) - 1;
        memcpy(text, argv[i], n);
        text[n++] = i + 1 < argc ? ' ' : '\n';
        wf_word_t status = 0, written = 0;
        enum wf_error e = wfp_file_write(handle_slot(), off, text, n, &status, &written);
        if (!proto_ok(argv[0], e) || !status_ok(argv[0], argv[1], status))
            break;
        off += written;
    }
    close_handle();
}

/* A message of one path with a status result. */
static void path_op(const char *cmd, const char *path,
                    enum wf_error (*op)(wf_cptr_t, const void *, wf_word_t, wf_word_t *))
{
    if (!path_fits(cmd, path))
        return;
    wf_word_t status = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(cmd, e, op(fs_slot(), path, strlen(path), &status)) && proto_ok(cmd, e))
        status_ok(cmd, path, status);
}

void cmd_mkdir(int argc, char **argv)
{
    (void)argc;
    if (!path_fits(argv[0], argv[1]))
        return;
    wf_word_t status = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(argv[0], e, wfp_file_mkdir(fs_slot(), 0755, argv[1], strlen(argv[1]), &status)) &&
        proto_ok(argv[0], e))
        status_ok(argv[0], argv[1], status);
}

static bool stat_path(const char *cmd, const char *path, wf_word_t *type, wf_word_t *mode,
                      wf_word_t *size, wf_word_t *links, wf_word_t *ino)
{
    if (!path_fits(cmd, path))
        return false;
    wf_word_t status = 0, t;
    enum wf_error e = WF_ERR_OK;
    return FS_CALL(cmd, e,
                   wfp_file_stat_path(fs_slot(), 1, path, strlen(path), &status, type, mode, size,
                                      links, ino, &t, &t, &t)) &&
           proto_ok(cmd, e) && status_ok(cmd, path, status);
}

void cmd_rm(int argc, char **argv)
{
    (void)argc;
    wf_word_t type = 0, mode, size, links, ino;
    if (!stat_path(argv[0], argv[1], &type, &mode, &size, &links, &ino))
        return;
    path_op(argv[0], argv[1], type == WFP_FILE_T_DIR ? wfp_file_rmdir : wfp_file_unlink);
}

void cmd_mv(int argc, char **argv)
{
    (void)argc;
    size_t a = strlen(argv[1]), b = strlen(argv[2]);
    if (a + b > WFP_FILE_PATH_MAX) {
        printf("%s: paths too long (at most %u bytes together)\n", argv[0], WFP_FILE_PATH_MAX);
        return;
    }
    char buf[WFP_FILE_PATH_MAX];
    memcpy(buf, argv[1], a);
    memcpy(buf + a, argv[2], b);
    wf_word_t status = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(argv[0], e, wfp_file_rename(fs_slot(), a, buf, a + b, &status)) &&
        proto_ok(argv[0], e))
        status_ok(argv[0], argv[1], status);
}

void cmd_stat(int argc, char **argv)
{
    (void)argc;
    wf_word_t type = 0, mode = 0, size = 0, links = 0, ino = 0;
    if (stat_path(argv[0], argv[1], &type, &mode, &size, &links, &ino))
        printf("%s: %s mode %04llo size %llu links %llu inode %llu\n", argv[1], type_name(type),
               (unsigned long long)mode, (unsigned long long)size, (unsigned long long)links,
               (unsigned long long)ino);
}

void cmd_df(int argc, char **argv)
{
    (void)argc;
    wf_word_t status = 0, tb = 0, fb = 0, ti = 0, fi = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(argv[0], e, wfp_file_statfs(fs_slot(), &status, &tb, &fb, &ti, &fi)) &&
        proto_ok(argv[0], e) && status_ok(argv[0], "/", status))
        printf("fs: %llu KiB of %llu KiB free, %llu of %llu inodes free\n",
               (unsigned long long)(fb / 1024), (unsigned long long)(tb / 1024),
               (unsigned long long)fi, (unsigned long long)ti);
}
