/*
 * The shell's file commands (docs/storage.md, "The file service"): ls, cat,
 * write, mkdir, rm, mv, stat, chmod, chown, touch, df, mount and umount over
 * the file server ("fs",
 * looked up through the name server). The service cap, the one open handle
 * and a block service's cap for `mount -t ext2` live in the last three slots
 * of the shell's own quarter of its CNode. A file error
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

static wf_cptr_t device_slot(void)
{
    return sh.own_end + 2;
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
    const char *path = argv[1];
    if (!path_fits(argv[0], path))
        return;
    wf_word_t status = 0, type = 0, mode = 0, uid = 0, gid = 0, size = 0, links = 0, ino = 0,
              blocks = 0, at = 0, mt = 0, ct = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(argv[0], e,
                wfp_file_attr_path(fs_slot(), 1, path, strlen(path), &status, &type, &mode, &uid,
                                   &gid, &size, &links, &ino, &blocks, &at, &mt, &ct)) &&
        proto_ok(argv[0], e) && status_ok(argv[0], path, status))
        printf("%s: %s mode %04llo size %llu links %llu inode %llu owner %llu:%llu "
               "atime %llu mtime %llu ctime %llu\n",
               path, type_name(type), (unsigned long long)mode, (unsigned long long)size,
               (unsigned long long)links, (unsigned long long)ino, (unsigned long long)uid,
               (unsigned long long)gid, (unsigned long long)(at / 1000000000u),
               (unsigned long long)(mt / 1000000000u), (unsigned long long)(ct / 1000000000u));
}

/* An octal mode of at most 07777. */
static bool parse_mode(const char *s, wf_word_t *out)
{
    wf_word_t m = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '7' || m > 0777)
            return false;
        m = m * 8 + (wf_word_t)(*s - '0');
    }
    *out = m;
    return true;
}

static void set_attr(const char *cmd, const char *path, wf_word_t mask, wf_word_t mode,
                     wf_word_t uid, wf_word_t gid, wf_word_t atime, wf_word_t mtime)
{
    if (!path_fits(cmd, path))
        return;
    wf_word_t status = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(cmd, e,
                wfp_file_set_attr_path(fs_slot(), 0, mask, mode, uid, gid, atime, mtime, path,
                                       strlen(path), &status)) &&
        proto_ok(cmd, e))
        status_ok(cmd, path, status);
}

/* chmod MODE PATH: MODE in octal (permission bits, setuid 04000, setgid 02000,
 * sticky 01000). */
void cmd_chmod(int argc, char **argv);
void cmd_chmod(int argc, char **argv)
{
    wf_word_t mode;
    if (argc != 3 || !parse_mode(argv[1], &mode)) {
        printf("usage: chmod MODE PATH (MODE: octal, at most 7777)\n");
        return;
    }
    set_attr(argv[0], argv[2], WFP_FILE_SET_MODE, mode, 0, 0, 0, 0);
}

/* chown UID[:GID] PATH. */
void cmd_chown(int argc, char **argv);
void cmd_chown(int argc, char **argv)
{
    char buf[48];
    uint64_t uid = 0, gid = 0;
    wf_word_t mask = WFP_FILE_SET_UID;
    bool ok = argc == 3 && strlen(argv[1]) < sizeof(buf);
    if (ok) {
        strcpy(buf, argv[1]);
        char *colon = strchr(buf, ':');
        if (colon) {
            *colon = 0;
            mask |= WFP_FILE_SET_GID;
            ok = sh_number(colon + 1, &gid) && gid <= 0xffffffffu;
        }
        ok = ok && sh_number(buf, &uid) && uid <= 0xffffffffu;
    }
    if (!ok) {
        printf("usage: chown UID[:GID] PATH (numbers below 2^32)\n");
        return;
    }
    set_attr(argv[0], argv[2], mask, 0, uid, gid, 0, 0);
}

/* touch [-d SECONDS] PATH: makes PATH (an empty file) if it names nothing, then
 * sets its access and modification times to now, or to SECONDS since 1970. */
void cmd_touch(int argc, char **argv);
void cmd_touch(int argc, char **argv)
{
    uint64_t secs = 0;
    bool fixed = argc == 4 && !strcmp(argv[1], "-d");
    if ((argc != 2 && !fixed) || (fixed && (!sh_number(argv[2], &secs) || secs > 0xffffffffu))) {
        printf("usage: touch [-d SECONDS] PATH (times to now, or SECONDS since 1970)\n");
        return;
    }
    const char *path = argv[argc - 1];
    if (!open_path(argv[0], path, WFP_FILE_O_READ | WFP_FILE_O_CREATE))
        return;
    wf_word_t status = 0, t = secs * 1000000000u;
    wf_word_t mask = fixed ? WFP_FILE_SET_ATIME | WFP_FILE_SET_MTIME
                           : WFP_FILE_SET_ATIME_NOW | WFP_FILE_SET_MTIME_NOW;
    enum wf_error e = wfp_file_set_attr(handle_slot(), mask, 0, 0, 0, t, t, &status);
    close_handle();
    if (proto_ok(argv[0], e))
        status_ok(argv[0], path, status);
}

/* df [PATH]: the file system of PATH (default /). */
void cmd_df(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "";
    if (!path_fits(argv[0], path))
        return;
    wf_word_t status = 0, tb = 0, fb = 0, ti = 0, fi = 0, bs = 0, nm = 0, fl = 0, kind = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(argv[0], e,
                wfp_file_statfs(fs_slot(), path, strlen(path), &status, &tb, &fb, &ti, &fi, &bs,
                                &nm, &fl, &kind)) &&
        proto_ok(argv[0], e) && status_ok(argv[0], *path ? path : "/", status))
        printf("fs: %llu KiB of %llu KiB free, %llu of %llu inodes free, %llu-byte blocks, "
               "names of %llu bytes, %s%s\n",
               (unsigned long long)(fb / 1024), (unsigned long long)(tb / 1024),
               (unsigned long long)fi, (unsigned long long)ti, (unsigned long long)bs,
               (unsigned long long)nm, fl & WFP_FILE_STATFS_RDONLY ? "read-only " : "",
               kind == WFP_FILE_MOUNT_EXT2        ? "ext2"
               : kind == WFP_FILE_MOUNT_INITRAMFS ? "initramfs"
               : kind == WFP_FILE_MOUNT_OVERLAY   ? "overlay"
                                                  : "tmpfs");
}

/* dropcaches: the file server writes its page cache back and drops it
 * (file.DropCaches; allowed through the shell's service cap, which init gave). */
void cmd_dropcaches(int argc, char **argv);
void cmd_dropcaches(int argc, char **argv)
{
    if (argc != 1) {
        printf("usage: dropcaches (write the file server's cache back and drop it)\n");
        return;
    }
    wf_word_t status = 0, freed = 0;
    enum wf_error e = WF_ERR_OK;
    if (FS_CALL(argv[0], e, wfp_file_drop_caches(fs_slot(), &status, &freed)) &&
        proto_ok(argv[0], e) && status_ok(argv[0], "/", status))
        printf("fs: %llu KiB of cache dropped\n", (unsigned long long)(freed / 1024));
}

/* ---- mounts ---- */

#define TMPFS_DEFAULT (1u << 20) /* mount -t tmpfs without a size */

static const char *const mount_types[] = {
    [WFP_FILE_MOUNT_TMPFS] = "tmpfs",
    [WFP_FILE_MOUNT_INITRAMFS] = "initramfs",
    [WFP_FILE_MOUNT_EXT2] = "ext2",
    [WFP_FILE_MOUNT_OVERLAY] = "overlay",
};
#define NTYPES (sizeof(mount_types) / sizeof(mount_types[0]))

static void list_mounts(const char *cmd)
{
    char path[WFP_FILE_PATH_MAX + 1];
    for (wf_word_t i = 0; i < WFP_FILE_MOUNTS_MAX; i++) {
        wf_word_t status = 0, type = 0, flags = 0, n = 0;
        enum wf_error e = WF_ERR_OK;
        if (!FS_CALL(cmd, e,
                     wfp_file_mounts(fs_slot(), i, &status, &type, &flags, path, WFP_FILE_PATH_MAX,
                                     &n)) ||
            !proto_ok(cmd, e) || !status_ok(cmd, "/", status) || type == 0)
            return;
        path[n] = 0;
        printf("%s on %s%s\n", type < NTYPES ? mount_types[type] : "?", path,
               flags & WFP_FILE_MOUNT_RDONLY ? " (read-only)" : "");
    }
}

/* A size for tmpfs: digits with an optional K or M, a multiple of 4 KiB
 * from 4 KiB to 1 GiB; 0 if it is not one. */
static wf_word_t tmpfs_size(const char *s)
{
    wf_word_t n = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9' && n < (1ull << 40); p++)
        n = n * 10 + (wf_word_t)(*p - '0');
    if (p == s)
        return 0;
    if (*p == 'K' || *p == 'k')
        n <<= 10, p++;
    else if (*p == 'M' || *p == 'm')
        n <<= 20, p++;
    return *p || n % 4096 || n > (1ull << 30) ? 0 : n;
}

/* A tmpfs in the shell's own memory (file.MountMemory, decision 160): a VMO
 * of size bytes from the shell's pool, its limit; the server keeps it. */
static void mount_tmpfs(const char *cmd, wf_word_t flags, wf_word_t size, const char *path)
{
    if (!path_fits(cmd, path))
        return;
    wf_cnode_delete(SELF, device_slot(), DEPTH);
    enum wf_error e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, size, SELF, device_slot(), DEPTH);
    if (e != WF_ERR_OK) {
        printf("%s: no memory for the tmpfs: ", cmd);
        print_error("pool", e, NULL, SH_CTX_ANY);
        return;
    }
    wf_word_t status = 0;
    bool ok = FS_CALL(
        cmd, e,
        wfp_file_mount_memory(fs_slot(), flags, path, strlen(path), device_slot(), &status));
    wf_cnode_delete(SELF, device_slot(), DEPTH);
    if (ok && proto_ok(cmd, e))
        status_ok(cmd, path, status);
}

/* mount [-r] -t TYPE [SOURCE] PATH: SOURCE is the block service's name for
 * ext2 (vblk), LOWER:UPPER (two mount paths) for overlay, the size for tmpfs
 * (default 1M; the shell's memory), none for the initramfs. */
void cmd_mount(int argc, char **argv)
{
    if (argc == 1) {
        list_mounts(argv[0]);
        return;
    }
    wf_word_t flags = 0, type = 0;
    int i = 1;
    if (strcmp(argv[i], "-r") == 0) {
        flags |= WFP_FILE_MOUNT_RDONLY;
        i++;
    }
    if (argc - i < 3 || argc - i > 4 || strcmp(argv[i], "-t") != 0) {
        usage(argv[0]);
        return;
    }
    const char *tname = argv[i + 1];
    for (wf_word_t t = 1; t < NTYPES; t++)
        if (strcmp(mount_types[t], tname) == 0)
            type = t;
    if (!type) {
        printf("%s: unknown type '%s' (tmpfs, initramfs, ext2, overlay)\n", argv[0], tname);
        return;
    }
    const char *source = argc - i == 4 ? argv[i + 2] : NULL, *path = argv[argc - 1];
    if (type == WFP_FILE_MOUNT_TMPFS) {
        wf_word_t size = source ? tmpfs_size(source) : TMPFS_DEFAULT;
        if (!size)
            printf("%s: tmpfs size '%s': a multiple of 4K up to 1024M (as 64K, 2M)\n", argv[0],
                   source);
        else
            mount_tmpfs(argv[0], flags, size, path);
        return;
    }
    bool needs = type == WFP_FILE_MOUNT_EXT2 || type == WFP_FILE_MOUNT_OVERLAY;
    if (needs != (source != NULL)) {
        printf("%s: type %s %s a source\n", argv[0], tname, needs ? "needs" : "takes no");
        return;
    }
    wf_word_t status = 0;
    enum wf_error e = WF_ERR_OK;
    if (type == WFP_FILE_MOUNT_EXT2) {
        if (!path_fits(argv[0], path))
            return;
        e = wf_reconnect(device_slot(), source);
        if (e != WF_ERR_OK) {
            printf("%s: no block service '%s': ", argv[0], source);
            print_error("name", e, NULL, SH_CTX_ANY);
            return;
        }
        bool ok = FS_CALL(argv[0], e,
                          wfp_file_mount_device(fs_slot(), type, flags, path, strlen(path),
                                                device_slot(), &status));
        wf_cnode_delete(SELF, device_slot(), DEPTH);
        if (ok && proto_ok(argv[0], e))
            status_ok(argv[0], path, status);
        return;
    }
    char buf[WFP_FILE_PATH_MAX];
    size_t n = strlen(path), lower = n, upper = n, total = n;
    const char *colon = source ? strchr(source, ':') : NULL;
    if (source && !colon) {
        printf("%s: overlay's source is LOWER:UPPER (two mount paths)\n", argv[0]);
        return;
    }
    if (source)
        total = n + strlen(source) - 1;
    if (total > WFP_FILE_PATH_MAX) {
        printf("%s: paths too long (at most %u bytes together)\n", argv[0], WFP_FILE_PATH_MAX);
        return;
    }
    memcpy(buf, path, n);
    if (source) {
        size_t l = (size_t)(colon - source);
        memcpy(buf + n, source, l);
        memcpy(buf + n + l, colon + 1, strlen(colon + 1));
        upper = n + l;
    }
    if (FS_CALL(argv[0], e,
                wfp_file_mount(fs_slot(), type, flags, lower, upper, buf, total, &status)) &&
        proto_ok(argv[0], e))
        status_ok(argv[0], path, status);
}

void cmd_umount(int argc, char **argv)
{
    (void)argc;
    path_op(argv[0], argv[1], wfp_file_unmount);
}
