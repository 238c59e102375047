/*
 * crashwl: the workload of the ext2 crash test (tools/crashtest.py; docs/storage.md,
 * "The crash test"). A client of the file service ("fs", looked up through the name
 * server) that changes files round after round until it is killed with the whole
 * machine, and says on the console what is durable:
 *
 *   round r: write /DIR/tmp (a size and contents that depend on r) and Fsync it;
 *            rename it over /DIR/f.(r % 16) and Fsync again; then print
 *            "crashwl: synced r": from here on f.(r % 16) holds round r's bytes;
 *            open /DIR/held, write to it, unlink it while open, write again, and
 *            close the one held since the round before (so that a crash always
 *            leaves an orphan); remove /DIR/junk.(r - 3), write /DIR/junk.r
 *            without syncing (churn a crash may catch half done).
 *
 * Byte i of round r's file is (r * 131 + i * 7 + i / 251) & 0xff, and its size is
 * 1000 + (r * 7919) % 20000: the host script checks them after e2fsck.
 *
 * The disk: when the program sees a block service named "vblk", it mounts it
 * (file.MountDevice, ext2) on /disk and works in /disk/cw (/cw on the disk);
 * otherwise in /cw of whatever the file server holds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/file.h"
#include "wf/startinfo.h"

enum { SLOT_FS = 20, SLOT_FILE, SLOT_HELD, SLOT_HELD_OLD, SLOT_DISK };

static const char usage[] =
    "usage: crashwl [ROUNDS [DIR]]  (ROUNDS 0 or absent: until killed; DIR default /cw)\n"
    "  Changes files round after round through the file service and prints\n"
    "  \"crashwl: synced N\" once round N's file is durable (the ext2 crash test).\n";

static char dir[128] = "/cw";

static uint8_t byte_of(unsigned long r, unsigned long i)
{
    return (uint8_t)((r * 131 + i * 7 + i / 251) & 0xff);
}

static unsigned long size_of(unsigned long r)
{
    return 1000 + (r * 7919) % 20000;
}

static void die(const char *what, const char *path, unsigned long status)
{
    printf("crashwl: %s %s: error %lu\n", what, path, status);
    exit(1);
}

static void call_ok(const char *what, const char *path, enum wf_error e, wf_word_t status)
{
    if (e != WF_ERR_OK)
        die(what, path, 1000 + (unsigned long)e);
    if (status)
        die(what, path, status);
}

static void open_at(wf_cptr_t slot, const char *path, wf_word_t flags)
{
    wf_word_t status = 0, ino;
    wf_cnode_delete(WF_CHILD_CNODE, slot, 64);
    enum wf_error e = wfp_file_open(SLOT_FS, flags, 0644, path, strlen(path), &status, &ino,
                                    WF_CHILD_CNODE, slot, 64);
    if (status)
        die("open", path, status);
    call_ok("open", path, e, 0);
}

static void close_at(wf_cptr_t slot)
{
    wf_word_t status = 0;
    wfp_file_close(slot, &status);
    wf_cnode_delete(WF_CHILD_CNODE, slot, 64);
}

static void write_all(wf_cptr_t h, const char *path, unsigned long r, unsigned long size)
{
    uint8_t buf[WFP_FILE_DATA_MAX];
    for (unsigned long off = 0; off < size;) {
        unsigned long n = size - off < sizeof(buf) ? size - off : sizeof(buf);
        wf_word_t status = 0, written = 0;
        for (unsigned long i = 0; i < n; i++)
            buf[i] = byte_of(r, off + i);
        call_ok("write", path, wfp_file_write(h, off, buf, n, &status, &written), status);
        if (written != n)
            die("short write", path, written);
        off += n;
    }
}

static void fsync_at(wf_cptr_t h, const char *path)
{
    wf_word_t status = 0;
    call_ok("fsync", path, wfp_file_fsync(h, &status), status);
}

/* Two paths back to back, as Rename and Link carry them. */
static void rename_to(const char *from, const char *to)
{
    char both[2 * 128];
    size_t a = strlen(from), b = strlen(to);
    memcpy(both, from, a);
    memcpy(both + a, to, b);
    wf_word_t status = 0;
    call_ok("rename", from, wfp_file_rename(SLOT_FS, a, both, a + b, &status), status);
}

static void unlink_path(const char *path, bool must)
{
    wf_word_t status = 0;
    enum wf_error e = wfp_file_unlink(SLOT_FS, path, strlen(path), &status);
    if (must)
        call_ok("unlink", path, e, status);
}

int main(int argc, char **argv)
{
    unsigned long rounds = 0;
    char *end;
    if (argc > 1) {
        rounds = strtoul(argv[1], &end, 10);
        if (*end || argv[1][0] == '-') {
            fputs(usage, stdout);
            return 2;
        }
    }
    if (argc > 2 && strlen(argv[2]) < 64 && argv[2][0] == '/')
        strcpy(dir, argv[2]);
    else if (argc > 2) {
        fputs(usage, stdout);
        return 2;
    }
    enum wf_error e = wf_reconnect(SLOT_FS, "fs");
    if (e != WF_ERR_OK)
        die("lookup", "fs", 1000 + (unsigned long)e);
    wf_word_t status = 0;
    if (argc <= 2 && wf_reconnect(SLOT_DISK, "vblk") == WF_ERR_OK) {
        wfp_file_mkdir(SLOT_FS, 0755, "/disk", 5, &status);
        call_ok(
            "mount", "/disk",
            wfp_file_mount_device(SLOT_FS, WFP_FILE_MOUNT_EXT2, 0, "/disk", 5, SLOT_DISK, &status),
            status);
        strcpy(dir, "/disk/cw");
        printf("crashwl: vblk mounted on /disk\n");
    }
    wfp_file_mkdir(SLOT_FS, 0755, dir, strlen(dir), &status); /* EEXIST after a crash */
    char tmp[160], dst[160], held[160], junk[160];
    snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
    snprintf(held, sizeof(held), "%s/held", dir);
    bool have_old = false;
    for (unsigned long r = 1; !rounds || r <= rounds; r++) {
        open_at(SLOT_FILE, tmp,
                WFP_FILE_O_READ | WFP_FILE_O_WRITE | WFP_FILE_O_CREATE | WFP_FILE_O_TRUNCATE);
        write_all(SLOT_FILE, tmp, r, size_of(r));
        fsync_at(SLOT_FILE, tmp);
        snprintf(dst, sizeof(dst), "%s/f.%lu", dir, r % 16);
        rename_to(tmp, dst);
        fsync_at(SLOT_FILE, dst);
        close_at(SLOT_FILE);
        printf("crashwl: synced %lu\n", r);
        fflush(stdout);

        /* Unlink while open: the held file is an orphan until the next round. */
        open_at(SLOT_HELD, held, WFP_FILE_O_READ | WFP_FILE_O_WRITE | WFP_FILE_O_CREATE);
        write_all(SLOT_HELD, held, r + 1000, 3000);
        unlink_path(held, true);
        write_all(SLOT_HELD, held, r + 2000, 5000);
        if (have_old)
            close_at(SLOT_HELD_OLD);
        wf_cnode_delete(WF_CHILD_CNODE, SLOT_HELD_OLD, 64);
        wf_cnode_move(WF_CHILD_CNODE, SLOT_HELD_OLD, 64, WF_CHILD_CNODE, SLOT_HELD, 64);
        have_old = true;

        if (r > 3) {
            snprintf(junk, sizeof(junk), "%s/junk.%lu", dir, r - 3);
            unlink_path(junk, false);
        }
        snprintf(junk, sizeof(junk), "%s/junk.%lu", dir, r);
        open_at(SLOT_FILE, junk, WFP_FILE_O_WRITE | WFP_FILE_O_CREATE | WFP_FILE_O_TRUNCATE);
        write_all(SLOT_FILE, junk, r + 3000, 1000 + r % 4000);
        close_at(SLOT_FILE);
    }
    if (have_old)
        close_at(SLOT_HELD_OLD);
    printf("crashwl: done\n");
    return 0;
}
