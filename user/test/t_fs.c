/*
 * The file server (user/fs, protocol file; docs/storage.md, "The file service
 * and tmpfs"; decision 118) as a child process, the test acting as init (it
 * gives the server its endpoint with Read and Write, as init does, so that the
 * server can mint handle caps from it) and minting client caps with badges 1
 * and 2. Checked end to end: create, write, read, stat, readdir, rename,
 * link, symlink, unlink, mkdir, rmdir and their errno results; a handle cap
 * reaches only its own file, the service cap none (EBADF); Close revokes the
 * handle (the client's copies included); a second client cannot use a handle
 * it was never given; one client holds at most OPEN_MAX handles (EMFILE), the
 * others opening on; filling the server's pool gives ENOSPC and a truncate
 * gives the memory back. Mounts and namespaces: a tmpfs and the initramfs
 * mounted, listed and unmounted (EBUSY while in use, EROFS on the
 * initramfs); a namespace from Namespace starts as a copy of its maker's
 * and then sees a different tree than the clients of the default one; one
 * rooted at a mount reaches nothing else; DropNamespace revokes it. Data
 * through a buffer VMO: 12000 bytes a message each way, EFAULT (never a
 * server fault) for a read-only or revoked buffer. Attributes (decision 139):
 * SetAttr by path and by handle sets mode, owner and times (now, fixed, kept),
 * ctime follows, Attr returns them; EROFS on the initramfs, EINVAL for bad
 * masks, modes and ids; Statfs per mount (block size, read-only flag, type).
 * A tmpfs in the caller's pool (MountMemory, decision 160): two clients with
 * pools of different limits, ENOSPC at one's limit while the other and the
 * server go on, the memory back on unlink and unmount, a revoked pool EIO.
 */
#include <stdio.h>
#include <string.h>

#include "fstest.h"
#include "weft/invoke.h"
#include "wf/proto/file.h"
#include "wf/spawn.h"

enum { RW = WFP_FILE_O_READ | WFP_FILE_O_WRITE, CR = RW | WFP_FILE_O_CREATE };

static wf_word_t fclose_(wf_cptr_t h)
{
    wf_word_t status = 0;
    return fs_res(wfp_file_close(h, &status), status);
}

static wf_word_t fstatp(wf_cptr_t c, const char *path, wf_word_t *type, wf_word_t *size,
                        wf_word_t *links)
{
    wf_word_t status = 0, mode, ino, t;
    return fs_res(wfp_file_stat_path(c, 0, path, strlen(path), &status, type, &mode, size, links,
                                     &ino, &t, &t, &t),
                  status);
}

static wf_word_t two(enum wf_error (*f)(wf_cptr_t, wf_word_t, const void *, wf_word_t, wf_word_t *),
                     wf_cptr_t c, const char *a, const char *b)
{
    char buf[WFP_FILE_PATH_MAX];
    size_t la = strlen(a), lb = strlen(b);
    memcpy(buf, a, la);
    memcpy(buf + la, b, lb);
    wf_word_t status = 0;
    return fs_res(f(c, la, buf, la + lb, &status), status);
}

static wf_word_t mkdir_(wf_cptr_t c, const char *p)
{
    wf_word_t status = 0;
    return fs_res(wfp_file_mkdir(c, 0755, p, strlen(p), &status), status);
}

TEST(fs, files_and_directories_end_to_end)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10), d = test_slot(11);
    TEST_ASSERT(c);

    TEST_ASSERT_EQ(mkdir_(c, "/d"), 0);
    TEST_ASSERT_EQ(mkdir_(c, "/d"), WFP_FILE_EEXIST);
    TEST_ASSERT_EQ(fs_open(c, "/d/f", RW, h), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(fs_open(c, "/d/f", CR, h), 0);
    TEST_ASSERT_EQ(fs_open(c, "/d/f", CR | WFP_FILE_O_EXCLUSIVE, d), WFP_FILE_EEXIST);
    TEST_ASSERT_EQ(fs_write(h, 0, "hello world"), 0);
    TEST_ASSERT_EQ(fs_write(h, 100, "!"), 0); /* leaves a hole */
    char buf[WFP_FILE_DATA_MAX];
    wf_word_t status = 0, n = 0;
    TEST_ASSERT_ERR(wfp_file_read(h, 6, 5, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 5 && memcmp(buf, "world", 5) == 0);
    TEST_ASSERT_ERR(wfp_file_read(h, 11, 1000, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 90 && buf[0] == 0 && buf[88] == 0 && buf[89] == '!');
    wf_word_t type = 0, mode = 0, size = 0, links = 0, ino = 0, t0, t1, t2;
    TEST_ASSERT_ERR(wfp_file_stat(h, &status, &type, &mode, &size, &links, &ino, &t0, &t1, &t2),
                    WF_ERR_OK);
    TEST_ASSERT(status == 0 && type == WFP_FILE_T_FILE && size == 101 && links == 1 &&
                mode == 0644);
    wf_word_t status2 = 0;
    TEST_ASSERT_ERR(wfp_file_truncate(h, 5, &status2), WF_ERR_OK);
    TEST_ASSERT_EQ(status2, 0);
    TEST_ASSERT_EQ(fstatp(c, "d/f", &type, &size, &links), 0);
    TEST_ASSERT(type == WFP_FILE_T_FILE && size == 5);
    TEST_ASSERT_EQ(fstatp(c, "/nope", &type, &size, &links), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(fstatp(c, "/d/f/x", &type, &size, &links), WFP_FILE_ENOTDIR);

    /* Handle messages through the service cap: EBADF. */
    TEST_ASSERT_ERR(wfp_file_read(c, 0, 5, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EBADF);
    TEST_ASSERT_EQ(fclose_(c), WFP_FILE_EBADF);

    /* Links, symlinks, readdir. */
    TEST_ASSERT_EQ(two(wfp_file_link, c, "/d/f", "/d/hard"), 0);
    TEST_ASSERT_EQ(fstatp(c, "/d/hard", &type, &size, &links), 0);
    TEST_ASSERT_EQ(links, 2);
    TEST_ASSERT_EQ(two(wfp_file_symlink, c, "/d/f", "/sym"), 0);
    wf_word_t tl = 0;
    TEST_ASSERT_ERR(wfp_file_readlink(c, "/sym", 4, &status, buf, sizeof(buf), &tl), WF_ERR_OK);
    TEST_ASSERT(status == 0 && tl == 4 && memcmp(buf, "/d/f", 4) == 0);
    TEST_ASSERT_EQ(fstatp(c, "/sym", &type, &size, &links), 0);
    TEST_ASSERT(type == WFP_FILE_T_FILE && size == 5);
    TEST_ASSERT_EQ(fs_open(c, "/d", RW, d), WFP_FILE_EISDIR);
    TEST_ASSERT_EQ(fs_open(c, "/d", WFP_FILE_O_READ | WFP_FILE_O_DIRECTORY, d), 0);
    const char *want[] = {".", "..", "f", "hard"};
    wf_word_t cookie = 0;
    for (wf_word_t i = 0; i < 5; i++) {
        TEST_ASSERT_ERR(
            wfp_file_read_dir(d, cookie, &status, &cookie, &type, &ino, buf, sizeof(buf), &n),
            WF_ERR_OK);
        TEST_ASSERT_EQ(status, 0);
        if (i < 4)
            TEST_ASSERT(n == strlen(want[i]) && memcmp(buf, want[i], n) == 0, "entry %lu",
                        (unsigned long)i);
        else
            TEST_ASSERT_EQ(n, 0);
    }
    TEST_ASSERT_ERR(wfp_file_read_dir(h, 0, &status, &cookie, &type, &ino, buf, sizeof(buf), &n),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_ENOTDIR);

    /* Rename, unlink, rmdir; an unlinked file stays readable while open. */
    TEST_ASSERT_EQ(two(wfp_file_rename, c, "/d/f", "/d/g"), 0);
    TEST_ASSERT_EQ(two(wfp_file_rename, c, "/d", "/d/g/x"), WFP_FILE_ENOTDIR);
    TEST_ASSERT_EQ(two(wfp_file_rename, c, "/", "/z"), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(fstatp(c, "/d/f", &type, &size, &links), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(fs_path1(wfp_file_rmdir, c, "/d"), WFP_FILE_ENOTEMPTY);
    TEST_ASSERT_EQ(fs_path1(wfp_file_unlink, c, "/d"), WFP_FILE_EISDIR);
    TEST_ASSERT_EQ(fs_path1(wfp_file_unlink, c, "/d/g"), 0);
    TEST_ASSERT_EQ(fs_path1(wfp_file_unlink, c, "/d/hard"), 0);
    TEST_ASSERT_EQ(fs_path1(wfp_file_unlink, c, "/d/hard"), WFP_FILE_ENOENT);
    TEST_ASSERT_ERR(wfp_file_read(h, 0, 5, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 5 && memcmp(buf, "hello", 5) == 0);
    TEST_ASSERT_EQ(fclose_(d), 0);
    TEST_ASSERT_EQ(fs_path1(wfp_file_rmdir, c, "/d"), 0);
    TEST_ASSERT_EQ(fs_path1(wfp_file_rmdir, c, "/d"), WFP_FILE_ENOENT);
    TEST_ASSERT_ERR(wfp_file_fsync(h, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);

    /* Close revokes the handle: the slot is empty, calls through it fail. */
    TEST_ASSERT_EQ(fclose_(h), 0);
    TEST_ASSERT(fclose_(h) >= 1000);
    TEST_ASSERT(wfp_file_read(h, 0, 5, &status, buf, sizeof(buf), &n) != WF_ERR_OK);
    /* The server keeps its Reply object and no handle. */
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 1);
    wf_word_t tb = 0, fb = 0, ti = 0, fi = 0, bs, nm, fl, kind;
    TEST_ASSERT_ERR(wfp_file_statfs(c, "", 0, &status, &tb, &fb, &ti, &fi, &bs, &nm, &fl, &kind),
                    WF_ERR_OK);
    TEST_ASSERT(status == 0 && tb > 0 && fb <= tb && ti - fi == 2, "inodes %lu of %lu",
                (unsigned long)(ti - fi), (unsigned long)ti); /* root and /sym */
}

TEST(fs, handles_are_per_open_file)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), c2 = srv_client(&s, 2);
    const wf_cptr_t h1 = test_slot(10), h2 = test_slot(11), cp = test_slot(12);
    TEST_ASSERT(c1 && c2);
    TEST_ASSERT_EQ(fs_open(c1, "/one", CR, h1), 0);
    TEST_ASSERT_EQ(fs_write(h1, 0, "first"), 0);
    /* Client 2 has only its service cap: no handle message reaches /one. */
    wf_word_t status = 0, n = 0;
    char buf[16];
    TEST_ASSERT_ERR(wfp_file_read(c2, 0, 5, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EBADF);
    TEST_ASSERT_ERR(wfp_file_truncate(c2, 0, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EBADF);
    /* Its own handle, read-only, reaches its file only. */
    TEST_ASSERT_EQ(fs_open(c2, "/one", WFP_FILE_O_READ, h2), 0);
    TEST_ASSERT_EQ(fs_write(h2, 0, "x"), WFP_FILE_EBADF);
    TEST_ASSERT_EQ(fclose_(h2), 0);
    TEST_ASSERT_ERR(wfp_file_read(h1, 0, 5, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 5 && memcmp(buf, "first", 5) == 0);
    /* A copy of a handle dies with it at Close. */
    TEST_ASSERT_ERR(wf_cnode_copy(WF_ROOT_CNODE, cp, 64, WF_ROOT_CNODE, h1, 64, WF_RIGHTS_ALL),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(fclose_(h1), 0);
    TEST_ASSERT(wfp_file_read(cp, 0, 5, &status, buf, sizeof(buf), &n) != WF_ERR_OK);
    wf_cnode_delete(WF_ROOT_CNODE, h1, 64);
    wf_cnode_delete(WF_ROOT_CNODE, cp, 64);
    /* Handles are not reused: a new open gets a new badge, the server
     * holds one handle now. */
    TEST_ASSERT_EQ(fs_open(c1, "/one", RW, h1), 0);
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 2);
    TEST_ASSERT_EQ(fclose_(h1), 0);
}

TEST(fs, pool_exhaustion_gives_enospc)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10);
    TEST_ASSERT(c);
    TEST_ASSERT_EQ(fs_open(c, "/big", CR, h), 0);
    static char chunk[WFP_FILE_DATA_MAX];
    memset(chunk, 'b', sizeof(chunk));
    wf_word_t off = 0, status = 0, n = 0;
    for (int i = 0; i < 4096; i++) {
        TEST_ASSERT_ERR(wfp_file_write(h, off, chunk, sizeof(chunk), &status, &n), WF_ERR_OK);
        if (status)
            break;
        off += n;
    }
    TEST_ASSERT_EQ(status, WFP_FILE_ENOSPC);
    TEST_ASSERT(off >= FS_POOL / 16 && off < FS_POOL, "%lu bytes written", (unsigned long)off);
    /* Truncating gives the memory back. */
    TEST_ASSERT_ERR(wfp_file_truncate(h, 0, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_ERR(wfp_file_write(h, 0, chunk, sizeof(chunk), &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == sizeof(chunk));
    TEST_ASSERT_EQ(fclose_(h), 0);
}

TEST(fs, open_max_per_client)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), c2 = srv_client(&s, 2);
    TEST_ASSERT(c1 && c2);
    TEST_ASSERT_EQ(fs_open(c1, "/f", CR, test_slot(20)), 0);
    for (unsigned i = 1; i < WFP_FILE_OPEN_MAX; i++)
        TEST_ASSERT(fs_open(c1, "/f", RW, test_slot(20 + i)) == 0, "open %u", i);
    const wf_cptr_t extra = test_slot(20 + WFP_FILE_OPEN_MAX);
    TEST_ASSERT_EQ(fs_open(c1, "/f", RW, extra), WFP_FILE_EMFILE);
    /* Through one of its handles it is still client 1. */
    TEST_ASSERT_EQ(fs_open(test_slot(20), "/f", RW, extra), WFP_FILE_EMFILE);
    TEST_ASSERT_EQ(fs_open(c2, "/f", RW, extra), 0);
    TEST_ASSERT_EQ(fclose_(extra), 0);
    TEST_ASSERT_EQ(fclose_(test_slot(21)), 0);
    TEST_ASSERT_EQ(fs_open(c1, "/f", RW, test_slot(21)), 0);
    for (unsigned i = 0; i < WFP_FILE_OPEN_MAX; i++)
        TEST_ASSERT_EQ(fclose_(test_slot(20 + i)), 0);
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 1);
}

static wf_word_t mount_(wf_cptr_t c, wf_word_t type, wf_word_t flags, const char *p)
{
    wf_word_t status = 0;
    size_t n = strlen(p);
    return fs_res(wfp_file_mount(c, type, flags, n, n, p, n, &status), status);
}

static wf_word_t umount_(wf_cptr_t c, const char *p)
{
    return fs_path1(wfp_file_unmount, c, p);
}

/* The index-th mount's type and path (into path, NUL-terminated). */
static wf_word_t mounts_(wf_cptr_t c, wf_word_t i, wf_word_t *type, char *path)
{
    wf_word_t status = 0, flags = 0, n = 0;
    enum wf_error e = wfp_file_mounts(c, i, &status, type, &flags, path, WFP_FILE_PATH_MAX, &n);
    path[e == WF_ERR_OK ? n : 0] = 0;
    return fs_res(e, status);
}

TEST(fs, mounts_and_namespaces)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), c2 = srv_client(&s, 2);
    const wf_cptr_t h = test_slot(10), ns = test_slot(11), h2 = test_slot(12);
    TEST_ASSERT(c1 && c2);
    const void *elf;
    size_t elf_len;
    TEST_ASSERT(wf_initramfs_find(test_bootinfo, "fs", &elf, &elf_len));

    /* A tmpfs on /mnt: busy while a file is open in it. */
    TEST_ASSERT_EQ(mkdir_(c1, "/mnt"), 0);
    TEST_ASSERT_EQ(mount_(c1, WFP_FILE_MOUNT_TMPFS, 0, "/mnt"), 0);
    TEST_ASSERT_EQ(mount_(c1, WFP_FILE_MOUNT_TMPFS, 0, "/mnt"), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(mount_(c1, 99, 0, "/"), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(mount_(c1, WFP_FILE_MOUNT_TMPFS, 0, "/none"), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(mount_(c1, WFP_FILE_MOUNT_TMPFS, 8, "/mnt"), WFP_FILE_EINVAL);
    /* ext2 needs MountDevice; MountDevice takes ext2 only (the cap sent is not kept). */
    TEST_ASSERT_EQ(mount_(c1, WFP_FILE_MOUNT_EXT2, 0, "/mnt"), WFP_FILE_EINVAL);
    wf_word_t st2 = 0;
    wf_cptr_t other = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(other);
    TEST_ASSERT_ERR(wfp_file_mount_device(c1, WFP_FILE_MOUNT_TMPFS, 0, "/mnt", 4, other, &st2),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(st2, WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 1);
    TEST_ASSERT_EQ(fs_open(c1, "/mnt/x", CR, h), 0);
    TEST_ASSERT_EQ(fs_write(h, 0, "in the mount"), 0);
    TEST_ASSERT_EQ(umount_(c1, "/mnt"), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(umount_(c1, "/"), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(fs_path1(wfp_file_rmdir, c1, "/mnt"), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(two(wfp_file_link, c1, "/mnt/x", "/y"), WFP_FILE_EXDEV);
    char path[WFP_FILE_PATH_MAX + 1];
    wf_word_t type = 0, size = 0, links = 0;
    TEST_ASSERT_EQ(mounts_(c1, 0, &type, path), 0);
    TEST_ASSERT(type == WFP_FILE_MOUNT_TMPFS && strcmp(path, "/") == 0);
    TEST_ASSERT_EQ(mounts_(c1, 1, &type, path), 0);
    TEST_ASSERT(type == WFP_FILE_MOUNT_TMPFS && strcmp(path, "/mnt") == 0);
    TEST_ASSERT_EQ(mounts_(c1, 2, &type, path), 0);
    TEST_ASSERT(type == 0 && path[0] == 0);
    /* Client 2 shares the default namespace. */
    TEST_ASSERT_EQ(fstatp(c2, "/mnt/x", &type, &size, &links), 0);
    TEST_ASSERT_EQ(size, 12);

    /* A new namespace: a copy, then its own. */
    wf_word_t status = 0;
    wf_cnode_delete(WF_ROOT_CNODE, ns, 64);
    TEST_ASSERT_ERR(wfp_file_namespace(c1, "", 0, &status, WF_ROOT_CNODE, ns, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_EQ(fstatp(ns, "/mnt/x", &type, &size, &links), 0);
    TEST_ASSERT_EQ(umount_(ns, "/mnt"), 0); /* only its own table: h is c1's */
    TEST_ASSERT_EQ(fstatp(ns, "/mnt/x", &type, &size, &links), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(fstatp(c1, "/mnt/x", &type, &size, &links), 0);
    TEST_ASSERT_EQ(mount_(ns, WFP_FILE_MOUNT_INITRAMFS, 0, "/mnt"), 0);
    TEST_ASSERT_EQ(fstatp(ns, "/mnt/fs", &type, &size, &links), 0);
    TEST_ASSERT(type == WFP_FILE_T_FILE && size == elf_len);
    TEST_ASSERT_EQ(fstatp(c1, "/mnt/fs", &type, &size, &links), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(fs_open(ns, "/mnt/fs", WFP_FILE_O_READ, h2), 0);
    char buf[16];
    wf_word_t n = 0;
    TEST_ASSERT_ERR(wfp_file_read(h2, 0, 4, &status, buf, sizeof(buf), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 4 &&
                memcmp(buf,
                       "\x7f"
                       "ELF",
                       4) == 0);
    TEST_ASSERT_EQ(fs_open(ns, "/mnt/new", CR, test_slot(13)), WFP_FILE_EROFS);
    TEST_ASSERT_EQ(mkdir_(ns, "/mnt/d"), WFP_FILE_EROFS);
    TEST_ASSERT_EQ(mounts_(ns, 1, &type, path), 0);
    TEST_ASSERT(type == WFP_FILE_MOUNT_INITRAMFS && strcmp(path, "/mnt") == 0);
    /* The root is shared: a directory made in one is seen in the other. */
    TEST_ASSERT_EQ(mkdir_(ns, "/both"), 0);
    TEST_ASSERT_EQ(fstatp(c2, "/both", &type, &size, &links), 0);

    /* A namespace rooted at the tmpfs on /mnt: the rest is out of its reach. */
    const wf_cptr_t ns2 = test_slot(14);
    wf_cnode_delete(WF_ROOT_CNODE, ns2, 64);
    TEST_ASSERT_ERR(wfp_file_namespace(c1, "/mnt/x", 6, &status, WF_ROOT_CNODE, ns2, 64),
                    WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(status, WFP_FILE_EINVAL);
    TEST_ASSERT_ERR(wfp_file_namespace(c1, "/mnt", 4, &status, WF_ROOT_CNODE, ns2, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_EQ(fstatp(ns2, "/x", &type, &size, &links), 0);
    TEST_ASSERT_EQ(size, 12);
    TEST_ASSERT_EQ(fstatp(ns2, "/../x", &type, &size, &links), 0);
    TEST_ASSERT_EQ(fstatp(ns2, "/both", &type, &size, &links), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(mounts_(ns2, 0, &type, path), 0);
    TEST_ASSERT(type == WFP_FILE_MOUNT_TMPFS && strcmp(path, "/") == 0);
    TEST_ASSERT_EQ(mounts_(ns2, 1, &type, path), 0);
    TEST_ASSERT_EQ(type, 0);
    TEST_ASSERT_ERR(wfp_file_drop_namespace(ns2, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    wf_cnode_delete(WF_ROOT_CNODE, ns2, 64);

    /* DropNamespace: refused through a client cap, busy with a file open. */
    TEST_ASSERT_ERR(wfp_file_drop_namespace(c1, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EINVAL);
    TEST_ASSERT_ERR(wfp_file_drop_namespace(ns, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(fclose_(h2), 0);
    TEST_ASSERT_ERR(wfp_file_drop_namespace(ns, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT(fstatp(ns, "/", &type, &size, &links) >= 1000); /* revoked */
    wf_cnode_delete(WF_ROOT_CNODE, ns, 64);

    TEST_ASSERT_EQ(fclose_(h), 0);
    TEST_ASSERT_EQ(umount_(c1, "/mnt"), 0);
    TEST_ASSERT_EQ(umount_(c1, "/mnt"), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(fstatp(c1, "/mnt/x", &type, &size, &links), WFP_FILE_ENOENT);
    /* The server holds its Reply object and nothing else. */
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 1);
}

TEST(fs, data_through_a_buffer)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10), ro = test_slot(11);
    wf_cptr_t buf = test_vmo(16384);
    TEST_ASSERT(c && buf);
    static uint8_t out[12000], back[12000];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 7 + 3);
    TEST_ASSERT_EQ(fs_open(c, "/big", CR, h), 0);
    wf_word_t status = 0, n = 0, size = 0;
    TEST_ASSERT_ERR(wfp_file_read_buf(h, 0, 10, &status, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_ENXIO);
    /* A handle carries no cap (the server's endpoint has no Grant right). */
    TEST_ASSERT(wfp_file_set_buffer(h, buf, &status, &size) != WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_set_buffer(c, buf, &status, &size), WF_ERR_OK);
    TEST_ASSERT(status == 0 && size == 16384);
    /* Another client's handle has no buffer of its own. */
    const wf_cptr_t h2 = test_slot(12);
    TEST_ASSERT_EQ(fs_open(srv_client(&s, 2), "/big", WFP_FILE_O_READ, h2), 0);
    TEST_ASSERT_ERR(wfp_file_read_buf(h2, 0, 10, &status, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_ENXIO);
    TEST_ASSERT_EQ(fclose_(h2), 0);
    /* 12000 bytes in one message each way. */
    TEST_ASSERT_ERR(wf_vmo_write(buf, 0, sizeof(out), WF_ROOT_VSPACE, (uintptr_t)out), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_write_buf(h, 100, sizeof(out), &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == sizeof(out));
    char chunk[WFP_FILE_DATA_MAX];
    TEST_ASSERT_ERR(wfp_file_read(h, 5100, 512, &status, chunk, sizeof(chunk), &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 512 && memcmp(chunk, out + 5000, 512) == 0);
    TEST_ASSERT_ERR(wf_vmo_write(buf, 0, sizeof(back), WF_ROOT_VSPACE, (uintptr_t)back), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_read_buf(h, 100, 20000, &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == sizeof(out), "read %lu", (unsigned long)n);
    TEST_ASSERT_ERR(wf_vmo_read(buf, 0, sizeof(back), WF_ROOT_VSPACE, (uintptr_t)back), WF_ERR_OK);
    TEST_ASSERT(memcmp(back, out, sizeof(out)) == 0);
    TEST_ASSERT_ERR(wfp_file_write_buf(h, 0, 16385, &status, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EINVAL);
    /* A read-only copy of the buffer: ReadBuf cannot fill it (EFAULT). */
    TEST_ASSERT_ERR(wf_cnode_copy(WF_ROOT_CNODE, ro, 64, WF_ROOT_CNODE, buf, 64, WF_RIGHT_READ),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_set_buffer(c, ro, &status, &size), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_ERR(wfp_file_read_buf(h, 100, 64, &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == WFP_FILE_EFAULT && n == 0);
    TEST_ASSERT_ERR(wfp_file_write_buf(h, 0, 64, &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == 64);
    /* Revoked under the server: EFAULT, the server lives on. */
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, buf, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_write_buf(h, 0, 64, &status, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EFAULT);
    TEST_ASSERT_ERR(wfp_file_drop_buffer(c, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_ERR(wfp_file_drop_buffer(c, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_ENXIO);
    TEST_ASSERT_ERR(wfp_file_write_buf(h, 0, 64, &status, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_ENXIO);
    TEST_ASSERT_EQ(fclose_(h), 0);
    /* The server keeps its Reply object and nothing else. */
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 1);
}

/* ---- mapping (docs/storage.md, "The page cache"; decision 135) ---- */

#define MAP_VA (TEST_VA + 0x100000000ull)

/* Maps the file behind h (flags MAP_*) into slot vs: fs_res's number; *size the VMO's. */
/* ---- tmpfs in the caller's pool (MountMemory, decision 160) ---- */

static wf_word_t usage(const struct srv *s);

static wf_word_t mountm_(wf_cptr_t c, const char *p, wf_cptr_t vmo)
{
    wf_word_t status = 0;
    return fs_res(wfp_file_mount_memory(c, 0, p, strlen(p), vmo, &status), status);
}

static wf_word_t pool_used(wf_cptr_t pool)
{
    wf_word_t u = ~(wf_word_t)0;
    wf_pool_info(pool, &u, NULL, NULL, NULL);
    return u;
}

/* Writes chunks of the client's buffer (len bytes each) at the end of h until
 * a write fails or max bytes are written: the bytes written, the failure in
 * *err (0: none). */
static wf_word_t fill(wf_cptr_t h, wf_word_t len, wf_word_t max, wf_word_t *err)
{
    wf_word_t total = 0, status = 0, n = 0;
    *err = 0;
    while (total < max) {
        enum wf_error e = wfp_file_write_buf(h, total, len, &status, &n);
        if (e != WF_ERR_OK || status || n == 0) {
            *err = n == 0 && e == WF_ERR_OK && !status ? 999 : fs_res(e, status);
            break;
        }
        total += n;
    }
    return total;
}

/* Two clients mount a tmpfs each in a VMO from a pool of their own (pools of
 * 1 and 4 MiB; the server's is 2 MiB):
 * the first fills its own and gets ENOSPC at its pool's limit while the
 * second writes more than that into its own and the server's root goes on;
 * the server's pool barely moves; the data reads back; the memory returns
 * to the pool when the file is removed and, to the byte, at the Unmount. A
 * pool revoked under a mount gives EIO, never a server fault; an overlay
 * whose upper layer is such a tmpfs writes into that memory; a cap that is
 * no VMO, or one without the WRITE right, is refused. */
TEST(fs, tmpfs_in_the_callers_pool)
{
    enum { CHUNK = 16384, SMALL = 1024 * 1024, LARGE = 4 * 1024 * 1024 };
    struct srv s;
    TEST_ASSERT_ERR(fs_start_pool(&s, 0, 2 * SMALL), WF_ERR_OK);
    wf_cptr_t c1 = srv_client(&s, 1), c2 = srv_client(&s, 2);
    const wf_cptr_t p1 = test_slot(30), p2 = test_slot(31), h1 = test_slot(32), h2 = test_slot(33),
                    hr = test_slot(34);
    wf_cptr_t b1 = test_vmo(CHUNK), b2 = test_vmo(CHUNK);
    TEST_ASSERT(c1 && c2 && b1 && b2);
    const wf_cptr_t pool = test_env()->pool;
    wf_cnode_delete(WF_ROOT_CNODE, p1, 64);
    wf_cnode_delete(WF_ROOT_CNODE, p2, 64);
    TEST_ASSERT_ERR(wf_pool_create(pool, WF_OBJ_POOL, SMALL, WF_ROOT_CNODE, p1, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_create(pool, WF_OBJ_POOL, LARGE, WF_ROOT_CNODE, p2, 64), WF_ERR_OK);
    wf_word_t status = 0, size = 0, n = 0, err = 0;
    TEST_ASSERT_ERR(wfp_file_set_buffer(c1, b1, &status, &size), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_ERR(wfp_file_set_buffer(c2, b2, &status, &size), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    static uint8_t data[CHUNK], back[CHUNK];
    memset(data, 'p', sizeof(data));
    TEST_ASSERT_ERR(wf_vmo_write(b1, 0, CHUNK, WF_ROOT_VSPACE, (uintptr_t)data), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vmo_write(b2, 0, CHUNK, WF_ROOT_VSPACE, (uintptr_t)data), WF_ERR_OK);

    TEST_ASSERT_EQ(mkdir_(c1, "/a"), 0);
    TEST_ASSERT_EQ(mkdir_(c1, "/b"), 0);
    /* The memory: a VMO larger than the pool it comes from (its size is the
     * mount's limit; the pool's comes first). */
    const wf_cptr_t m1 = test_slot(35), m2 = test_slot(36), ro = test_slot(37);
    wf_cnode_delete(WF_ROOT_CNODE, m1, 64);
    wf_cnode_delete(WF_ROOT_CNODE, m2, 64);
    wf_cnode_delete(WF_ROOT_CNODE, ro, 64);
    TEST_ASSERT_ERR(wf_pool_create(p1, WF_OBJ_VMO, LARGE, WF_ROOT_CNODE, m1, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_create(p2, WF_OBJ_VMO, 2 * LARGE, WF_ROOT_CNODE, m2, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_mint(WF_ROOT_CNODE, ro, 64, WF_ROOT_CNODE, m1, 64, WF_RIGHT_READ, 0),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(mountm_(c1, "/a", p1), WFP_FILE_EINVAL); /* not a VMO */
    TEST_ASSERT_EQ(mountm_(c1, "/a", ro), WFP_FILE_EINVAL); /* no WRITE right */
    TEST_ASSERT_EQ(mountm_(c1, "/none", m1), WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(mountm_(c1, "/a", m1), 0);
    TEST_ASSERT_EQ(mountm_(c1, "/a", m1), WFP_FILE_EBUSY);
    TEST_ASSERT_EQ(mountm_(c2, "/b", m2), 0);
    /* The server's copies keep the VMOs. */
    wf_cnode_delete(WF_ROOT_CNODE, ro, 64);
    wf_cnode_delete(WF_ROOT_CNODE, m1, 64);
    wf_cnode_delete(WF_ROOT_CNODE, m2, 64);
    wf_word_t tb, fb, ti, fi, bs, nm, fl, kind;
    TEST_ASSERT_ERR(wfp_file_statfs(c1, "/a", 2, &status, &tb, &fb, &ti, &fi, &bs, &nm, &fl, &kind),
                    WF_ERR_OK);
    TEST_ASSERT(status == 0 && tb == LARGE && fb < LARGE && kind == WFP_FILE_MOUNT_TMPFS,
                "total %lu free %lu", (unsigned long)tb, (unsigned long)fb);

    /* Client 1 fills its pool (after client 2's first write: the server's
     * own first allocations). */
    TEST_ASSERT_EQ(fs_open(c2, "/b/g", CR, h2), 0);
    TEST_ASSERT_EQ(fill(h2, CHUNK, CHUNK, &err), CHUNK);
    const wf_word_t server0 = usage(&s);
    TEST_ASSERT_EQ(fs_open(c1, "/a/f", CR, h1), 0);
    wf_word_t full = fill(h1, CHUNK, LARGE, &err);
    TEST_ASSERT_EQ(err, WFP_FILE_ENOSPC);
    TEST_ASSERT(full >= SMALL / 2 && full <= SMALL, "wrote %lu", (unsigned long)full);
    const wf_word_t used_full = pool_used(p1);
    TEST_ASSERT(used_full >= full, "pool %lu", (unsigned long)used_full);
    TEST_ASSERT(usage(&s) < server0 + full / 4, "server %lu -> %lu", (unsigned long)server0,
                (unsigned long)usage(&s));
    /* Client 2 and the server's own tmpfs go on. */
    TEST_ASSERT_EQ(fill(h2, CHUNK, 3 * SMALL, &err), 3 * SMALL);
    TEST_ASSERT_EQ(fs_open(c1, "/r", CR, hr), 0);
    TEST_ASSERT_EQ(fill(hr, CHUNK, CHUNK, &err), CHUNK);
    TEST_ASSERT_EQ(fclose_(hr), 0);
    /* What client 1 wrote reads back. */
    TEST_ASSERT_ERR(wfp_file_read_buf(h1, full - CHUNK, CHUNK, &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == CHUNK);
    TEST_ASSERT_ERR(wf_vmo_read(b1, 0, CHUNK, WF_ROOT_VSPACE, (uintptr_t)back), WF_ERR_OK);
    TEST_ASSERT(memcmp(back, data, CHUNK) == 0);

    /* Removed, the file's memory goes back to the pool; unmounted, all of it. */
    TEST_ASSERT_EQ(fclose_(h1), 0);
    TEST_ASSERT_EQ(fs_path1(wfp_file_unlink, c1, "/a/f"), 0);
    TEST_ASSERT(pool_used(p1) < SMALL / 2, "pool after unlink %lu", (unsigned long)pool_used(p1));
    TEST_ASSERT_EQ(fs_open(c1, "/a/f", CR, h1), 0);
    TEST_ASSERT_EQ(fill(h1, CHUNK, SMALL / 2, &err), SMALL / 2);
    TEST_ASSERT_EQ(fclose_(h1), 0);
    TEST_ASSERT_EQ(umount_(c1, "/a"), 0);
    TEST_ASSERT_EQ(pool_used(p1), 0);

    /* Client 2 revokes its pool under the mount: EIO, the server goes on. */
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, p2, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wfp_file_read_buf(h2, 0, CHUNK, &status, &n), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EIO);
    TEST_ASSERT_EQ(fclose_(h2), 0);
    TEST_ASSERT_EQ(umount_(c2, "/b"), 0);
    TEST_ASSERT_EQ(pool_used(p2), 0);
    TEST_ASSERT_EQ(fs_open(c1, "/r", RW, hr), 0);
    TEST_ASSERT_ERR(wfp_file_read_buf(hr, 0, CHUNK, &status, &n), WF_ERR_OK);
    TEST_ASSERT(status == 0 && n == CHUNK);
    TEST_ASSERT_EQ(fclose_(hr), 0);
    TEST_ASSERT_ERR(wfp_file_drop_buffer(c2, &status), WF_ERR_OK);
    /* An overlay's upper layer in such memory: what it writes is charged
     * there too, and all of it goes back when both are unmounted. */
    wf_cnode_delete(WF_ROOT_CNODE, m1, 64);
    TEST_ASSERT_ERR(wf_pool_create(p1, WF_OBJ_VMO, LARGE, WF_ROOT_CNODE, m1, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(mountm_(c1, "/a", m1), 0);
    wf_cnode_delete(WF_ROOT_CNODE, m1, 64);
    TEST_ASSERT_EQ(mkdir_(c1, "/i"), 0);
    TEST_ASSERT_EQ(mkdir_(c1, "/o"), 0);
    TEST_ASSERT_EQ(mount_(c1, WFP_FILE_MOUNT_INITRAMFS, 0, "/i"), 0);
    const char ov[] = "/o/i/a";
    TEST_ASSERT_ERR(wfp_file_mount(c1, WFP_FILE_MOUNT_OVERLAY, 0, 2, 4, ov, 6, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    const wf_word_t before = pool_used(p1);
    TEST_ASSERT_EQ(fs_open(c1, "/o/copy", CR, h1), 0);
    TEST_ASSERT_EQ(fill(h1, CHUNK, 8 * CHUNK, &err), 8 * CHUNK);
    TEST_ASSERT_EQ(fclose_(h1), 0);
    TEST_ASSERT(pool_used(p1) >= before + 8 * CHUNK, "pool %lu -> %lu", (unsigned long)before,
                (unsigned long)pool_used(p1));
    TEST_ASSERT_EQ(umount_(c1, "/a"), WFP_FILE_EBUSY); /* the overlay is on it */
    TEST_ASSERT_EQ(umount_(c1, "/o"), 0);
    TEST_ASSERT_EQ(umount_(c1, "/i"), 0);
    TEST_ASSERT_EQ(umount_(c1, "/a"), 0);
    TEST_ASSERT_EQ(pool_used(p1), 0);
    wf_cnode_delete(WF_ROOT_CNODE, p1, 64);
    wf_cnode_delete(WF_ROOT_CNODE, p2, 64);
}

static wf_word_t map_(wf_cptr_t h, wf_word_t off, wf_word_t len, wf_word_t flags, wf_cptr_t vs,
                      wf_word_t *size)
{
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
    wf_word_t status = 0;
    enum wf_error e = wfp_file_map(h, off, len, flags, &status, size, WF_ROOT_CNODE, vs, 64);
    if (e == WF_ERR_TRUNCATED_MESSAGE && status)
        return status;
    return fs_res(e, status);
}

static wf_word_t read_(wf_cptr_t h, wf_word_t off, char *out, wf_word_t max)
{
    wf_word_t status = 0, n = 0;
    wf_word_t rc = fs_res(wfp_file_read(h, off, max, &status, out, max, &n), status);
    return rc ? rc : (n == max ? 0 : 998);
}

TEST(fs, map_shared_is_coherent)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10), vs = test_slot(11);
    TEST_ASSERT(c);
    TEST_ASSERT_EQ(fs_open(c, "/m", CR, h), 0);
    TEST_ASSERT_EQ(fs_write(h, 0, "hello, mapped world"), 0);
    TEST_ASSERT_EQ(fs_write(h, 6000, "second page"), 0);
    wf_word_t size = 0;
    TEST_ASSERT_EQ(map_(h, 0, 8192, WFP_FILE_MAP_WRITE, vs, &size), 0);
    TEST_ASSERT_EQ(size, 8192);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vs, MAP_VA, 0, size, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    volatile char *p = (volatile char *)MAP_VA;
    TEST_ASSERT(memcmp((const char *)p, "hello, mapped world", 19) == 0);
    TEST_ASSERT(memcmp((const char *)p + 6000, "second page", 11) == 0);
    TEST_ASSERT_EQ(p[5000], 0); /* the hole */
    /* A store through the mapping is what Read returns... */
    memcpy((char *)p + 7, "MAPPED", 6);
    char b[16];
    TEST_ASSERT_EQ(read_(h, 7, b, 6), 0);
    TEST_ASSERT(memcmp(b, "MAPPED", 6) == 0);
    /* ...and a Write is seen through the mapping. */
    TEST_ASSERT_EQ(fs_write(h, 6000, "SERVER"), 0);
    TEST_ASSERT(memcmp((const char *)p + 6000, "SERVER page", 11) == 0);
    wf_word_t status = 1;
    TEST_ASSERT_ERR(wfp_file_fsync(h, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    /* Truncate cuts the object: the file's size is the new one, the first page stays. */
    TEST_ASSERT_ERR(wfp_file_truncate(h, 100, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    wf_word_t type = 0, fsize = 0, links = 0;
    TEST_ASSERT_EQ(fstatp(c, "/m", &type, &fsize, &links), 0);
    TEST_ASSERT_EQ(fsize, 100);
    TEST_ASSERT(memcmp((const char *)p + 7, "MAPPED", 6) == 0 && p[200] == 0);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, MAP_VA, 8192), WF_ERR_OK);
    TEST_ASSERT_EQ(fclose_(h), 0);
    /* After the last close the stores stay in the file (tmpfs holds them). */
    TEST_ASSERT_EQ(fs_open(c, "/m", WFP_FILE_O_READ, h), 0);
    TEST_ASSERT_EQ(read_(h, 7, b, 6), 0);
    TEST_ASSERT(memcmp(b, "MAPPED", 6) == 0);
    TEST_ASSERT_EQ(fclose_(h), 0);
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
}

TEST(fs, map_read_only_handle_is_never_writable)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10), ro = test_slot(11), vs = test_slot(12);
    TEST_ASSERT(c);
    TEST_ASSERT_EQ(fs_open(c, "/r", CR, h), 0);
    TEST_ASSERT_EQ(fs_write(h, 0, "read only"), 0);
    TEST_ASSERT_EQ(fs_open(c, "/r", WFP_FILE_O_READ, ro), 0);
    wf_word_t size = 0;
    TEST_ASSERT_EQ(map_(ro, 0, 4096, WFP_FILE_MAP_WRITE, vs, &size), WFP_FILE_EACCES);
    TEST_ASSERT_EQ(map_(ro, 0, 4096, 0, vs, &size), 0);
    /* The cap it got cannot map writable; read-only it shows the file. */
    TEST_ASSERT(wf_vspace_map(WF_ROOT_VSPACE, vs, MAP_VA, 0, 4096, WF_VM_READ | WF_VM_WRITE) !=
                WF_ERR_OK);
    wf_word_t rights = 0;
    TEST_ASSERT_ERR(wf_cnode_describe(WF_ROOT_CNODE, vs, 64, NULL, &rights, NULL, NULL), WF_ERR_OK);
    TEST_ASSERT(!(rights & WF_RIGHT_WRITE));
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vs, MAP_VA, 0, 4096, WF_VM_READ), WF_ERR_OK);
    TEST_ASSERT(memcmp((const char *)MAP_VA, "read only", 9) == 0);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, MAP_VA, 4096), WF_ERR_OK);
    /* Bad arguments: an unaligned offset, unknown flags, a directory, the service cap. */
    TEST_ASSERT_EQ(map_(ro, 100, 4096, 0, vs, &size), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(map_(ro, 0, 4096, 8, vs, &size), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(map_(c, 0, 4096, 0, vs, &size), WFP_FILE_EBADF);
    const wf_cptr_t d = test_slot(13);
    TEST_ASSERT_EQ(fs_open(c, "/", WFP_FILE_O_READ, d), 0);
    TEST_ASSERT_EQ(map_(d, 0, 4096, 0, vs, &size), WFP_FILE_EISDIR);
    TEST_ASSERT_EQ(fclose_(d), 0);
    TEST_ASSERT_EQ(fclose_(ro), 0);
    TEST_ASSERT_EQ(fclose_(h), 0);
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
}

TEST(fs, map_private_is_cow)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10), vs = test_slot(11);
    TEST_ASSERT(c);
    TEST_ASSERT_EQ(fs_open(c, "/p", CR, h), 0);
    TEST_ASSERT_EQ(fs_write(h, 0, "original"), 0);
    wf_word_t size = 0;
    /* Private and writable through a handle that may not write: its own copy. */
    const wf_cptr_t ro = test_slot(12);
    TEST_ASSERT_EQ(fs_open(c, "/p", WFP_FILE_O_READ, ro), 0);
    TEST_ASSERT_EQ(map_(ro, 0, 4096, WFP_FILE_MAP_PRIVATE | WFP_FILE_MAP_WRITE, vs, &size), 0);
    TEST_ASSERT_ERR(wf_vspace_map(WF_ROOT_VSPACE, vs, MAP_VA, 0, 4096, WF_VM_READ | WF_VM_WRITE),
                    WF_ERR_OK);
    char *p = (char *)MAP_VA;
    TEST_ASSERT(memcmp(p, "original", 8) == 0);
    memcpy(p, "changed!", 8);
    char b[8];
    TEST_ASSERT_EQ(read_(h, 0, b, 8), 0);
    TEST_ASSERT(memcmp(b, "original", 8) == 0, "a private store reached the file");
    /* The file changes under it: the copy keeps its own page. */
    TEST_ASSERT_EQ(fs_write(h, 0, "rewrite!"), 0);
    TEST_ASSERT(memcmp(p, "changed!", 8) == 0);
    wf_word_t status = 1;
    TEST_ASSERT_ERR(wfp_file_fsync(h, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(fclose_(ro), 0);
    TEST_ASSERT_EQ(fclose_(h), 0);
    /* The copy outlives the handles. */
    TEST_ASSERT(memcmp(p, "changed!", 8) == 0);
    TEST_ASSERT_EQ(fs_open(c, "/p", WFP_FILE_O_READ, h), 0);
    TEST_ASSERT_EQ(read_(h, 0, b, 8), 0);
    TEST_ASSERT(memcmp(b, "rewrite!", 8) == 0);
    TEST_ASSERT_EQ(fclose_(h), 0);
    TEST_ASSERT_ERR(wf_vspace_unmap(WF_ROOT_VSPACE, MAP_VA, 4096), WF_ERR_OK);
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
}

/* The server's pool usage. */
static wf_word_t usage(const struct srv *s)
{
    wf_word_t u = 0;
    wf_pool_info(s->pool, &u, NULL, NULL, NULL);
    return u;
}

/* One round: a file of len bytes (a hole: tmpfs holds nothing), mapped whole
 * read-only (the cache holds it all), then closed (the object goes) and the
 * caches dropped; the pool usage while mapped in *mapped. */
static void cache_round(struct srv *s, wf_cptr_t c, wf_word_t len, wf_word_t *mapped)
{
    const wf_cptr_t h = test_slot(10), vs = test_slot(11);
    wf_word_t status = 1, size = 0;
    TEST_ASSERT_EQ(fs_open(c, "/c", CR, h), 0);
    TEST_ASSERT_ERR(wfp_file_truncate(h, len, &status), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
    TEST_ASSERT_EQ(map_(h, 0, len, 0, vs, &size), 0);
    TEST_ASSERT_EQ(size, len);
    *mapped = usage(s);
    TEST_ASSERT_EQ(fclose_(h), 0);
    wf_cnode_delete(WF_ROOT_CNODE, vs, 64);
    TEST_ASSERT_ERR(wfp_file_drop_caches(c, &status, &size), WF_ERR_OK);
    TEST_ASSERT_EQ(status, 0);
}

TEST(fs, cache_dropped_returns_memory)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    TEST_ASSERT(c);
    const wf_word_t len = 256 * 1024;
    wf_word_t mapped = 0;
    cache_round(&s, c, len, &mapped); /* the server's own first allocations */
    const wf_word_t idle = usage(&s);
    cache_round(&s, c, len, &mapped);
    TEST_ASSERT(mapped >= idle + len, "idle %lu, mapped %lu", (unsigned long)idle,
                (unsigned long)mapped);
    TEST_ASSERT_EQ(usage(&s), idle);
    /* Only through a client id's service cap. */
    wf_word_t status = 0, freed = 0;
    const wf_cptr_t h = test_slot(12);
    TEST_ASSERT_EQ(fs_open(c, "/c", WFP_FILE_O_READ, h), 0);
    TEST_ASSERT_ERR(wfp_file_drop_caches(h, &status, &freed), WF_ERR_OK);
    TEST_ASSERT_EQ(status, WFP_FILE_EPERM);
    TEST_ASSERT_EQ(fclose_(h), 0);
    TEST_ASSERT_EQ(srv_caps(&s, WF_CHILD_FIRST_FREE, 128), 1);
}

/* The figure of docs/perf/storage.md, "Page cache memory": the server's pool
 * usage idle, with one file of FIG_MIB MiB cached (a hole in tmpfs, mapped
 * whole: the cache alone holds its pages), and after the last close and
 * DropCaches; the test prints the three numbers. The server's pool comes
 * from a pool of FIG_POOL_BITS of its own: a boot with 1 GiB of memory (make
 * figure-page-cache); with less the test is skipped. */
#define FIG_MIB       64u
#define FIG_POOL_BITS 27u

/* A RAM untyped other than the test arena of at least 2^bits bytes, or 0. */
static wf_cptr_t other_untyped(unsigned bits)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    for (unsigned i = 0; i < bi->untyped_count && i < WF_BOOTINFO_MAX_UNTYPED; i++)
        if (!bi->untyped[i].device && bi->untyped[i].size_bits >= bits &&
            bi->untyped_first + i != test_arena())
            return bi->untyped_first + i;
    return 0;
}

TEST(fscache, pool_usage_with_a_file_cached)
{
    /* The server's pool from a RAM untyped of its own (the arena holds the
     * test's 16 MiB pool and the server's objects), taken back at the end. */
    const wf_cptr_t ut = other_untyped(FIG_POOL_BITS), big = test_slot(41);
    if (!ut)
        test_skip_now("no untyped of %u MiB besides the arena (make figure-page-cache boots "
                      "with 1 GiB)",
                      1u << (FIG_POOL_BITS - 20));
    wf_cnode_delete(WF_ROOT_CNODE, big, 64);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_POOL, FIG_POOL_BITS, WF_ROOT_CNODE, 0, 0, big, 1),
                    WF_ERR_OK);
    struct srv s;
    TEST_ASSERT_ERR(fs_start_pool(&s, big, (FIG_MIB + 2) << 20), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    TEST_ASSERT(c);
    const wf_word_t len = (wf_word_t)FIG_MIB << 20;
    wf_word_t mapped = 0;
    cache_round(&s, c, 256 * 1024, &mapped); /* the server's own first allocations */
    const wf_word_t idle = usage(&s);
    cache_round(&s, c, len, &mapped);
    const wf_word_t dropped = usage(&s);
    printf("figure: page_cache.pool_idle_bytes %lu\n", (unsigned long)idle);
    printf("figure: page_cache.pool_cached_%umib_bytes %lu\n", FIG_MIB, (unsigned long)mapped);
    printf("figure: page_cache.pool_dropped_bytes %lu\n", (unsigned long)dropped);
    TEST_ASSERT(mapped >= idle + len);
    TEST_ASSERT_EQ(dropped, idle);
    TEST_ASSERT_ERR(wf_cnode_revoke(WF_ROOT_CNODE, ut, 64), WF_ERR_OK);
}

/* Attr of path: fs_res's number; the fields wanted. */
static wf_word_t attrp(wf_cptr_t c, const char *path, wf_word_t *mode, wf_word_t *uid,
                       wf_word_t *gid, wf_word_t *at, wf_word_t *mt, wf_word_t *ct)
{
    wf_word_t status = 0, type, size, links, ino, blocks;
    return fs_res(wfp_file_attr_path(c, 0, path, strlen(path), &status, &type, mode, uid, gid,
                                     &size, &links, &ino, &blocks, at, mt, ct),
                  status);
}

static wf_word_t setp(wf_cptr_t c, const char *path, wf_word_t mask, wf_word_t mode, wf_word_t uid,
                      wf_word_t gid, wf_word_t at, wf_word_t mt)
{
    wf_word_t status = 0;
    return fs_res(
        wfp_file_set_attr_path(c, 0, mask, mode, uid, gid, at, mt, path, strlen(path), &status),
        status);
}

#define SEC 1000000000ull

TEST(fs, attributes_end_to_end)
{
    struct srv s;
    TEST_ASSERT_ERR(fs_start(&s), WF_ERR_OK);
    wf_cptr_t c = srv_client(&s, 1);
    const wf_cptr_t h = test_slot(10);
    TEST_ASSERT(c);
    TEST_ASSERT_EQ(fs_open(c, "/f", CR, h), 0);
    wf_word_t mode = 0, uid = 9, gid = 9, at = 0, mt = 0, ct = 0, st = 0;
    TEST_ASSERT_EQ(attrp(c, "/f", &mode, &uid, &gid, &at, &mt, &ct), 0);
    TEST_ASSERT(mode == 0644 && uid == 0 && gid == 0);
    /* Times are nanoseconds since 1970 (after 2026-01-01). */
    TEST_ASSERT(mt >= 1767225600ull * SEC && ct >= mt, "mtime %lu", (unsigned long)mt);
    wf_word_t ct0 = ct;

    /* By path: mode with setuid and sticky, the owner, fixed times. */
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_MODE, 04751, 0, 0, 0, 0), 0);
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_UID | WFP_FILE_SET_GID, 0, 1000, 100, 0, 0), 0);
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_GID, 0, 0, 50, 0, 0), 0); /* uid kept */
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_ATIME | WFP_FILE_SET_MTIME, 0, 0, 0,
                        1000000000ull * SEC + 5, 1234567890ull * SEC + 7),
                   0);
    TEST_ASSERT_EQ(attrp(c, "/f", &mode, &uid, &gid, &at, &mt, &ct), 0);
    TEST_ASSERT(mode == 04751 && uid == 1000 && gid == 50, "%lo %lu:%lu", (unsigned long)mode,
                (unsigned long)uid, (unsigned long)gid);
    TEST_ASSERT(at == 1000000000ull * SEC + 5 && mt == 1234567890ull * SEC + 7);
    TEST_ASSERT(ct > ct0, "ctime follows");
    /* Stat shows the same mode and times. */
    wf_word_t type, m2, size, links, ino, a2, m3, c2;
    TEST_ASSERT_ERR(wfp_file_stat(h, &st, &type, &m2, &size, &links, &ino, &a2, &m3, &c2),
                    WF_ERR_OK);
    TEST_ASSERT(st == 0 && m2 == 04751 && m3 == mt && a2 == at && c2 == ct);

    /* By handle (opened for reading only: fchmod needs no write): now, and kept. */
    const wf_cptr_t r = test_slot(11);
    TEST_ASSERT_EQ(fs_open(c, "/f", WFP_FILE_O_READ, r), 0);
    TEST_ASSERT_ERR(
        wfp_file_set_attr(r, WFP_FILE_SET_MTIME_NOW | WFP_FILE_SET_MODE, 01777, 0, 0, 0, 0, &st),
        WF_ERR_OK);
    TEST_ASSERT_EQ(st, 0);
    wf_word_t uid2, gid2, blocks, ct2;
    TEST_ASSERT_ERR(wfp_file_attr(r, &st, &type, &mode, &uid2, &gid2, &size, &links, &ino, &blocks,
                                  &a2, &m3, &ct2),
                    WF_ERR_OK);
    TEST_ASSERT(st == 0 && mode == 01777 && uid2 == 1000 && gid2 == 50);
    TEST_ASSERT(a2 == at && m3 > mt && m3 <= ct2 && ct2 >= ct, "atime kept, mtime now");
    /* An empty mask changes nothing, not even the ctime. */
    TEST_ASSERT_ERR(wfp_file_set_attr(r, 0, 0, 0, 0, 0, 0, &st), WF_ERR_OK);
    TEST_ASSERT_EQ(st, 0);
    TEST_ASSERT_EQ(attrp(c, "/f", &mode, &uid, &gid, &at, &mt, &ct), 0);
    TEST_ASSERT_EQ(ct, ct2);

    /* Bad arguments: EINVAL, nothing changed; a handle message through the service cap: EBADF. */
    TEST_ASSERT_EQ(setp(c, "/f", 128, 0, 0, 0, 0, 0), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(setp(c, "/f", ~0ull, 0, 0, 0, 0, 0), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_MODE, 010000, 0, 0, 0, 0), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_UID, 0, 1ull << 32, 0, 0, 0), WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_ATIME | WFP_FILE_SET_ATIME_NOW, 0, 0, 0, 0, 0),
                   WFP_FILE_EINVAL);
    TEST_ASSERT_EQ(setp(c, "/nope", WFP_FILE_SET_MODE, 0600, 0, 0, 0, 0), WFP_FILE_ENOENT);
    TEST_ASSERT_ERR(wfp_file_set_attr(c, WFP_FILE_SET_MODE, 0600, 0, 0, 0, 0, &st), WF_ERR_OK);
    TEST_ASSERT_EQ(st, WFP_FILE_EBADF);
    TEST_ASSERT_EQ(attrp(c, "/f", &mode, &uid, &gid, &at, &mt, &ct), 0);
    TEST_ASSERT_EQ(mode, 01777);
    /* Absurd times are kept as given by tmpfs (nanoseconds in a word). */
    TEST_ASSERT_EQ(setp(c, "/f", WFP_FILE_SET_MTIME, 0, 0, 0, 0, ~0ull), 0);
    TEST_ASSERT_EQ(attrp(c, "/f", &mode, &uid, &gid, &at, &mt, &ct), 0);
    TEST_ASSERT_EQ(mt, ~0ull);

    /* The initramfs: EROFS; Statfs by path tells each mount apart. */
    TEST_ASSERT_EQ(mkdir_(c, "/boot"), 0);
    TEST_ASSERT_EQ(mount_(c, WFP_FILE_MOUNT_INITRAMFS, 0, "/boot"), 0);
    TEST_ASSERT_EQ(setp(c, "/boot/fs", WFP_FILE_SET_MODE, 0600, 0, 0, 0, 0), WFP_FILE_EROFS);
    TEST_ASSERT_EQ(setp(c, "/boot", WFP_FILE_SET_MTIME_NOW, 0, 0, 0, 0, 0), WFP_FILE_EROFS);
    wf_word_t tb, fb, ti, fi, bs = 0, nm = 0, fl = 9, kind = 0;
    TEST_ASSERT_ERR(
        wfp_file_statfs(c, "/boot/fs", 8, &st, &tb, &fb, &ti, &fi, &bs, &nm, &fl, &kind),
        WF_ERR_OK);
    TEST_ASSERT(st == 0 && fl == WFP_FILE_STATFS_RDONLY && kind == WFP_FILE_MOUNT_INITRAMFS &&
                    nm == WFP_FILE_NAME_MAX,
                "flags %lu kind %lu", (unsigned long)fl, (unsigned long)kind);
    TEST_ASSERT_ERR(wfp_file_statfs(h, "", 0, &st, &tb, &fb, &ti, &fi, &bs, &nm, &fl, &kind),
                    WF_ERR_OK);
    TEST_ASSERT(st == 0 && fl == 0 && kind == WFP_FILE_MOUNT_TMPFS && bs == 4096 && tb > fb);
    TEST_ASSERT_ERR(wfp_file_statfs(c, "/none", 5, &st, &tb, &fb, &ti, &fi, &bs, &nm, &fl, &kind),
                    WF_ERR_OK);
    TEST_ASSERT_EQ(st, WFP_FILE_ENOENT);
    TEST_ASSERT_EQ(fclose_(r), 0);
    TEST_ASSERT_EQ(fclose_(h), 0);
    TEST_ASSERT_EQ(umount_(c, "/boot"), 0);
}
