/*
 * sbench: Weft's storage benchmark, the peer of the Linux guest's bench/linux/storage.c
 * (docs/perf/storage.md; make bench-storage; decision 140).
 *
 * The boot: the production system with init.run=sbench and the benchmark image
 * (bench/linux/mkstorage.py) on a modern virtio-blk-pci function, so init has started
 * pcibus, vblk and the file server; this program mounts the disk (file.MountDevice,
 * ext2, on /disk) and measures, through the file service, the median of the runs:
 *
 *   seq_read_cold     /read64 from 0 to its end in ReadBuf requests of 64 KiB
 *                     (BUF_IO_MAX) into a buffer touched beforehand, after an Unmount
 *                     and a MountDevice (the file server's caches emptied). Per MiB.
 *   seq_read_warm     the same read again on the same mount. Per MiB.
 *   seq_write_fsync   a new file /write64: Open(create, truncate), WriteBuf of 64 KiB
 *                     requests, Fsync, Close. Per MiB.
 *   create_write_close  1,000 files /smallR/fNNNN: Open(create, exclusive), one
 *                     WriteBuf of 4 KiB, Close. Per file.
 *   create_sync       an Fsync of the directory after them (the file server writes
 *                     through: what is left is the superblock, descriptors, Flush).
 *   stat, unlink      StatPath and Unlink of the same files. Per file.
 *
 * What a figure counts (decision 140). Under -icount shift=0,sleep=off the TSC
 * advances one per executed instruction, but a guest that halts while QEMU works on
 * a disk request has its clock moved on to its next timer. So this program starts a
 * thread of its own at priority 1, below everything, that spins reading the TSC:
 * the kernel never halts while it runs (as Linux's idle=poll), and the spinner adds
 * each step of its loop (at most SPIN_STEP ticks) to a counter. A gap longer than
 * that is an interrupt or another thread, and is work. A figure is the rdtsc delta
 * of the timed part less the spinner's ticks in it: the instructions of this
 * program, the file server, vblk, the kernel and its interrupts. The raw delta
 * ("elapsed") and the idle share ("idle_permille") are reported too.
 *
 * Only the operations are timed: the pattern checks between ReadBufs, filling the
 * buffer between WriteBufs, the mounts that empty the cache are outside.
 *
 * Checked (FAIL otherwise): every read returned the file's size and its pattern
 * (the 64-bit word at byte o of /read64 is 0x52454144 << 32 | o); a cold read read
 * at least the file's size from the disk (vblk's Stats); a write wrote at least the
 * file's size to the disk, and the file read back from the disk after a remount
 * holds that round's pattern ((0x57524954 + r) << 32 | o); every small file has its
 * number and round in its first words, read back from the disk, is a 4 KiB regular
 * file to StatPath, and is gone (ENOENT) after its Unlink; the directory is then
 * empty; a warm read reads less than 1 MiB from the disk (the file server's page
 * cache holds the file: make bench-storage raises its pool), and the Unmount gives
 * back at least 15/16 of the file's size from the server's pool.
 *
 * Parameters: sbench.conf in the initramfs, when present (make check-figures'
 * quick variant), a line of KEY=VALUE words: mib (the bytes of /read64 read and of
 * /write64 written, in MiB, 1..64), reads, writes, files, rounds (runs of each).
 * The defaults are the full benchmark: 64 MiB, 9 reads, 3 writes, 1,000 files,
 * 5 rounds, as the Linux guest's.
 *
 * Output: JSON lines {"bench": "storage", "arch": "x86_64", "system": "weft",
 * "metric": ..., "value": N, "unit": "mib" | "file" | "kib", "runs": R, "min": N,
 * "max": N, "elapsed": N, "idle_permille": N, ...}, then "sbench: done"; a failed
 * check prints "sbench: FAIL ..." and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../benchlib/program.h"
#include "../benchlib/spin.h"
#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/block.h"
#include "wf/proto/file.h"
#include "wf/proto/init.h"
#include "wf/startinfo.h"

enum {
    SLOT_FS = 20,
    SLOT_DISK,
    SLOT_FILE,
    SLOT_BUF,
    SLOT_SPIN,
};

#define MIB                (1024ull * 1024ull)
#define BUF                WFP_FILE_BUF_IO_MAX /* 64 KiB: one ReadBuf or WriteBuf */
#define BUFVA              0x0000400000000000ull
#define MNT                "/disk"
#define READ_FILE          MNT "/read64"
#define WRITE_FILE         MNT "/write64"
#define READ_SEED          0x52454144u /* "READ" */
#define WRITE_SEED         0x57524954u /* "WRIT" */
#define SMALL_SIZE         4096u
#define SECTOR             512u
#define MAX_RUNS           16
#define MAX_FILES          1000
#define CONF_MAX           256
#define FS_NAME            "fs"
#define PATTERN(seed, off) ((uint64_t)(seed) << 32 | (uint32_t)(off))

static const char usage[] =
    "usage: sbench  (takes no arguments; started by init with init.run=sbench on a boot\n"
    "  with the benchmark disk: docs/perf/storage.md, make bench-storage)\n"
    "  Measures ext2 on vblk through the file service and prints JSON lines.\n";

static struct {
    unsigned mib, reads, writes, files, rounds;
} P = {64, 9, 3, MAX_FILES, 5};

static volatile uint64_t *const buf = (volatile uint64_t *)BUFVA;

static void fail(const char *what, unsigned long long v)
{
    printf("sbench: FAIL %s: %llu\n", what, v);
    fflush(stdout);
    exit(1);
}

/* A call's result: the IPC error, or the file service's status. */
static void ok(const char *what, enum wf_error e, wf_word_t status)
{
    if (e != WF_ERR_OK)
        fail(what, 1000 + (unsigned long long)e);
    if (status)
        fail(what, status);
}

/* ---- timing ---- */

/* One run: ticks in its timed parts, and the spinner's in them. */
struct run {
    uint64_t elapsed, idle, rd, wr, req;
};

static uint64_t t0, i0;

static inline void go(void)
{
    i0 = spin_idle_ticks;
    t0 = spin_rdtsc();
}

static inline void halt(struct run *r)
{
    uint64_t t = spin_rdtsc(), i = spin_idle_ticks;
    r->elapsed += t - t0;
    r->idle += i - i0;
}

static uint64_t busy(const struct run *r)
{
    return r->elapsed - (r->idle < r->elapsed ? r->idle : r->elapsed);
}

/* vblk's counters (block.Stats). */
static void disk_stats(uint64_t *rd, uint64_t *wr, uint64_t *req)
{
    wf_word_t a = 0, b = 0, c = 0;
    enum wf_error e = wfp_block_stats(SLOT_DISK, &a, &b, &c);
    if (e != WF_ERR_OK)
        fail("block.Stats", e);
    *rd = a, *wr = b, *req = c;
}

static void disk_begin(struct run *r)
{
    disk_stats(&r->rd, &r->wr, &r->req);
}

static void disk_end(struct run *r)
{
    uint64_t rd, wr, req;
    disk_stats(&rd, &wr, &req);
    r->rd = rd - r->rd, r->wr = wr - r->wr, r->req = req - r->req;
}

static void sort(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static uint64_t median(uint64_t *v, unsigned n)
{
    sort(v, n);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median of runs[0..n) per `per` units, as storage.c reports it, with the
 * disk's median sectors read and written and requests per unit. */
static void report(const char *metric, const struct run *runs, unsigned n, uint64_t per,
                   const char *unit)
{
    uint64_t b[MAX_RUNS], el[MAX_RUNS], rd[MAX_RUNS], wr[MAX_RUNS], rq[MAX_RUNS], idle = 0,
                                                                                  total = 0;
    for (unsigned i = 0; i < n; i++) {
        b[i] = busy(&runs[i]) / per;
        el[i] = runs[i].elapsed / per;
        rd[i] = runs[i].rd * SECTOR / 1024;
        wr[i] = runs[i].wr * SECTOR / 1024;
        rq[i] = runs[i].req;
        idle += runs[i].idle;
        total += runs[i].elapsed;
    }
    uint64_t med = median(b, n);
    printf("{\"bench\": \"storage\", \"arch\": \"x86_64\", \"system\": \"weft\", \"metric\": "
           "\"%s\", \"value\": %llu, \"unit\": \"%s\", \"runs\": %u, \"min\": %llu, \"max\": "
           "%llu, \"elapsed\": %llu, \"idle_permille\": %llu, \"disk_read_kib\": %llu, "
           "\"disk_written_kib\": %llu, \"disk_requests\": %llu, \"per\": %llu}\n",
           metric, (unsigned long long)med, unit, n, (unsigned long long)b[0],
           (unsigned long long)b[n - 1], (unsigned long long)median(el, n),
           (unsigned long long)(total ? idle * 1000 / total : 0), (unsigned long long)median(rd, n),
           (unsigned long long)median(wr, n), (unsigned long long)median(rq, n),
           (unsigned long long)per);
    fflush(stdout);
}

/* ---- the file service ---- */

static void mount_disk(void)
{
    wf_word_t status = 0;
    ok("MountDevice " MNT,
       wfp_file_mount_device(SLOT_FS, WFP_FILE_MOUNT_EXT2, 0, MNT, strlen(MNT), SLOT_DISK, &status),
       status);
}

static void unmount_disk(void)
{
    wf_word_t status = 0;
    ok("Unmount " MNT, wfp_file_unmount(SLOT_FS, MNT, strlen(MNT), &status), status);
}

/* Empties the file server's caches of the disk: an Unmount and a MountDevice. */
static void drop_cache(void)
{
    unmount_disk();
    mount_disk();
}

static void open_file(const char *path, wf_word_t flags)
{
    wf_word_t status = 0, ino = 0;
    enum wf_error e = wfp_file_open(SLOT_FS, flags, 0644, path, strlen(path), &status, &ino,
                                    WF_CHILD_CNODE, SLOT_FILE, 64);
    if (status)
        fail(path, status);
    ok(path, e, 0);
}

static void close_file(void)
{
    wf_word_t status = 0;
    ok("Close", wfp_file_close(SLOT_FILE, &status), status);
    wf_cnode_delete(WF_CHILD_CNODE, SLOT_FILE, 64);
}

static void read_buf(uint64_t off, wf_word_t len)
{
    wf_word_t status = 0, n = 0;
    enum wf_error e = wfp_file_read_buf(SLOT_FILE, off, len, &status, &n);
    ok("ReadBuf", e, status);
    if (n != len)
        fail("ReadBuf: bytes read", n);
}

static void write_buf(uint64_t off, wf_word_t len)
{
    wf_word_t status = 0, n = 0;
    enum wf_error e = wfp_file_write_buf(SLOT_FILE, off, len, &status, &n);
    ok("WriteBuf", e, status);
    if (n != len)
        fail("WriteBuf: bytes written", n);
}

static void check_chunk(uint32_t seed, uint64_t off, const char *what)
{
    for (unsigned i = 0; i < BUF / 8; i++)
        if (buf[i] != PATTERN(seed, off + i * 8)) {
            printf("sbench: FAIL %s: the word at byte %llu is %#llx, not %#llx\n", what,
                   (unsigned long long)(off + i * 8), (unsigned long long)buf[i],
                   (unsigned long long)PATTERN(seed, off + i * 8));
            fflush(stdout);
            exit(1);
        }
}

static void clear_buf(void)
{
    for (unsigned i = 0; i < BUF / 8; i++)
        buf[i] = 0;
}

/* Reads the first P.mib MiB of path, timed into r (Open to Close), checked. */
static void read_file(const char *path, uint32_t seed, struct run *r, const char *what)
{
    uint64_t size = (uint64_t)P.mib * MIB;
    clear_buf();
    go();
    open_file(path, WFP_FILE_O_READ);
    for (uint64_t off = 0; off < size; off += BUF) {
        read_buf(off, BUF);
        halt(r);
        check_chunk(seed, off, what);
        go();
    }
    close_file();
    halt(r);
}

/* The pool the file server uses now (init's Program), in bytes. */
static uint64_t fs_pool_used(void)
{
    uint64_t used = 0;
    if (!bench_program_pool_used(FS_NAME, &used))
        fail("init does not list the file server", 0);
    return used;
}

static void seq_read(void)
{
    struct run cold[MAX_RUNS] = {0}, warm[MAX_RUNS] = {0}, again = {0};
    uint64_t size = (uint64_t)P.mib * MIB;
    wf_word_t status = 0, type = 0, fsize = 0;
    ok("StatPath " READ_FILE,
       wfp_file_stat_path(SLOT_FS, 0, READ_FILE, strlen(READ_FILE), &status, &type, 0, &fsize, 0, 0,
                          0, 0, 0),
       status);
    if (type != WFP_FILE_T_FILE || fsize != 64 * MIB)
        fail(READ_FILE ": not a 64 MiB file", fsize);
    for (unsigned i = 0; i < P.reads; i++) {
        drop_cache();
        disk_begin(&cold[i]);
        read_file(READ_FILE, READ_SEED, &cold[i], "cold read");
        disk_end(&cold[i]);
        if (cold[i].rd * SECTOR < size)
            fail("cold read: bytes read from the disk, fewer than the file's", cold[i].rd * SECTOR);
    }
    report("seq_read_cold_instructions_per_mib", cold, P.reads, P.mib, "mib");
    for (unsigned i = 0; i < P.reads; i++) {
        disk_begin(&warm[i]);
        read_file(READ_FILE, READ_SEED, &warm[i], "warm read");
        disk_end(&warm[i]);
        if (warm[i].rd * SECTOR >= MIB) /* the file is cached; metadata may move */
            fail("warm read: bytes read from the disk, 1 MiB or more", warm[i].rd * SECTOR);
    }
    report("seq_read_warm_instructions_per_mib", warm, P.reads, P.mib, "mib");

    /* The memory the cached file takes: the server's pool with the disk mounted
     * after the reads, less the same after the Unmount, which must give back the
     * same as at the first Unmount. */
    uint64_t with = fs_pool_used();
    unmount_disk();
    uint64_t without = fs_pool_used();
    mount_disk();
    read_file(READ_FILE, READ_SEED, &again, "read after a remount");
    unmount_disk();
    if (fs_pool_used() != without)
        fail("the file server's pool after a second Unmount (bytes)", fs_pool_used());
    if (with < without + size / 16 * 15)
        fail("the file server's pool shrank by less than 15/16 of the file at the Unmount (bytes)",
             with - without);
    mount_disk();
    printf("{\"bench\": \"storage\", \"arch\": \"x86_64\", \"system\": \"weft\", \"metric\": "
           "\"page_cache_%umib_cached_kib\", \"value\": %llu, \"unit\": \"kib\", \"runs\": 1}\n",
           P.mib, (unsigned long long)((with - without) / 1024));
    fflush(stdout);
}

static void fill_chunk(uint32_t seed, uint64_t off)
{
    for (unsigned i = 0; i < BUF / 8; i++)
        buf[i] = PATTERN(seed, off + i * 8);
}

static void seq_write(void)
{
    struct run w[MAX_RUNS] = {0}, back = {0};
    uint64_t size = (uint64_t)P.mib * MIB;
    for (unsigned r = 0; r < P.writes; r++) {
        wf_word_t status = 0;
        enum wf_error e = wfp_file_unlink(SLOT_FS, WRITE_FILE, strlen(WRITE_FILE), &status);
        if (e != WF_ERR_OK || (status && status != WFP_FILE_ENOENT))
            fail("Unlink " WRITE_FILE, e ? e : status);
        drop_cache();
        disk_begin(&w[r]);
        fill_chunk(WRITE_SEED + r, 0);
        go();
        open_file(WRITE_FILE, WFP_FILE_O_WRITE | WFP_FILE_O_CREATE | WFP_FILE_O_TRUNCATE);
        for (uint64_t off = 0; off < size; off += BUF) {
            write_buf(off, BUF);
            halt(&w[r]);
            if (off + BUF < size)
                fill_chunk(WRITE_SEED + r, off + BUF);
            go();
        }
        ok("Fsync", wfp_file_fsync(SLOT_FILE, &status), status);
        close_file();
        halt(&w[r]);
        disk_end(&w[r]);
        if (w[r].wr * SECTOR < size)
            fail("write: bytes written to the disk, fewer than the file's", w[r].wr * SECTOR);
        drop_cache();
        disk_begin(&back);
        read_file(WRITE_FILE, WRITE_SEED + r, &back, "written file read back");
        disk_end(&back);
        if (back.rd * SECTOR < size)
            fail("written file read back: bytes from the disk", back.rd * SECTOR);
    }
    report("seq_write_fsync_instructions_per_mib", w, P.writes, P.mib, "mib");
}

static char path[64];

static const char *small_path(unsigned r, int i)
{
    if (i < 0)
        snprintf(path, sizeof(path), MNT "/small%u", r);
    else
        snprintf(path, sizeof(path), MNT "/small%u/f%04u", r, (unsigned)i);
    return path;
}

static void small_files(void)
{
    struct run cr[MAX_RUNS] = {0}, sy[MAX_RUNS] = {0}, st[MAX_RUNS] = {0}, un[MAX_RUNS] = {0};
    for (unsigned r = 0; r < P.rounds; r++) {
        wf_word_t status = 0, type = 0, size = 0;
        const char *dir = small_path(r, -1);
        ok("Mkdir", wfp_file_mkdir(SLOT_FS, 0755, dir, strlen(dir), &status), status);
        clear_buf();
        buf[1] = r;
        disk_begin(&cr[r]);
        go();
        for (unsigned i = 0; i < P.files; i++) {
            const char *p = small_path(r, (int)i);
            open_file(p, WFP_FILE_O_WRITE | WFP_FILE_O_CREATE | WFP_FILE_O_EXCLUSIVE);
            buf[0] = i;
            write_buf(0, SMALL_SIZE);
            close_file();
        }
        halt(&cr[r]);
        disk_end(&cr[r]);
        if (cr[r].wr * SECTOR < (uint64_t)P.files * SMALL_SIZE)
            fail("creates: bytes written to the disk, fewer than the files'", cr[r].wr * SECTOR);

        /* The sync: the directory's Fsync (the superblock, descriptors, Flush). */
        disk_begin(&sy[r]);
        go();
        open_file(small_path(r, -1), WFP_FILE_O_READ | WFP_FILE_O_DIRECTORY);
        ok("Fsync of the directory", wfp_file_fsync(SLOT_FILE, &status), status);
        close_file();
        halt(&sy[r]);
        disk_end(&sy[r]);

        disk_begin(&st[r]);
        go();
        for (unsigned i = 0; i < P.files; i++) {
            const char *p = small_path(r, (int)i);
            enum wf_error e = wfp_file_stat_path(SLOT_FS, 0, p, strlen(p), &status, &type, 0, &size,
                                                 0, 0, 0, 0, 0);
            if (e || status || type != WFP_FILE_T_FILE || size != SMALL_SIZE)
                fail("StatPath of a small file (its number)", i);
        }
        halt(&st[r]);
        disk_end(&st[r]);

        /* Untimed: every file read back from the disk. */
        drop_cache();
        for (unsigned i = 0; i < P.files; i++) {
            open_file(small_path(r, (int)i), WFP_FILE_O_READ);
            buf[0] = ~0ull;
            read_buf(0, SMALL_SIZE);
            close_file();
            if (buf[0] != i || buf[1] != r)
                fail("a small file read back (its number)", i);
            for (unsigned k = 2; k < SMALL_SIZE / 8; k++)
                if (buf[k])
                    fail("a small file read back: a word not zero, of file", i);
        }

        disk_begin(&un[r]);
        go();
        for (unsigned i = 0; i < P.files; i++) {
            const char *p = small_path(r, (int)i);
            ok("Unlink of a small file", wfp_file_unlink(SLOT_FS, p, strlen(p), &status), status);
        }
        halt(&un[r]);
        disk_end(&un[r]);

        for (unsigned i = 0; i < P.files; i++) {
            const char *p = small_path(r, (int)i);
            enum wf_error e = wfp_file_stat_path(SLOT_FS, 0, p, strlen(p), &status, &type, 0, &size,
                                                 0, 0, 0, 0, 0);
            if (e != WF_ERR_OK || status != WFP_FILE_ENOENT)
                fail("StatPath after Unlink, not ENOENT, of file", i);
        }
        open_file(small_path(r, -1), WFP_FILE_O_READ | WFP_FILE_O_DIRECTORY);
        unsigned entries = 0;
        for (wf_word_t cookie = 0;;) {
            wf_word_t next = 0, ino = 0, len = 0;
            char name[WFP_FILE_NAME_MAX];
            ok("ReadDir",
               wfp_file_read_dir(SLOT_FILE, cookie, &status, &next, &type, &ino, name, sizeof(name),
                                 &len),
               status);
            if (len == 0)
                break;
            if (!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.'))
                entries++;
            cookie = next;
        }
        close_file();
        if (entries)
            fail("entries left in the round's directory", entries);
        dir = small_path(r, -1);
        ok("Rmdir", wfp_file_rmdir(SLOT_FS, dir, strlen(dir), &status), status);
    }
    report("create_write_close_instructions_per_file", cr, P.rounds, P.files, "file");
    report("create_sync_instructions_per_file", sy, P.rounds, P.files, "file");
    report("stat_instructions_per_file", st, P.rounds, P.files, "file");
    report("unlink_instructions_per_file", un, P.rounds, P.files, "file");
}

/* ---- parameters ---- */

static bool conf_word(const char *w, size_t n, const char *key, unsigned lo, unsigned hi,
                      unsigned *out)
{
    size_t k = strlen(key);
    if (n <= k + 1 || memcmp(w, key, k) || w[k] != '=')
        return false;
    unsigned long v = 0;
    for (size_t i = k + 1; i < n; i++) {
        if (w[i] < '0' || w[i] > '9' || v > 100000)
            fail("sbench.conf: a value that is not a small number", 0);
        v = v * 10 + (unsigned)(w[i] - '0');
    }
    if (v < lo || v > hi)
        fail("sbench.conf: a value out of its range", v);
    *out = (unsigned)v;
    return true;
}

/* sbench.conf of the initramfs (mounted for a moment on /sbench-boot), if any. */
static void read_conf(void)
{
    static const char where[] = "/sbench-boot";
    static const char file[] = "/sbench-boot/sbench.conf";
    wf_word_t status = 0, ino = 0, n = 0;
    char text[CONF_MAX + 1];
    wfp_file_mkdir(SLOT_FS, 0755, where, strlen(where), &status);
    enum wf_error e = wfp_file_mount(SLOT_FS, WFP_FILE_MOUNT_INITRAMFS, WFP_FILE_MOUNT_RDONLY,
                                     strlen(where), strlen(where), where, strlen(where), &status);
    if (e != WF_ERR_OK || status)
        return; /* no initramfs: the defaults */
    e = wfp_file_open(SLOT_FS, WFP_FILE_O_READ, 0, file, strlen(file), &status, &ino,
                      WF_CHILD_CNODE, SLOT_FILE, 64);
    if (status == 0 && e == WF_ERR_OK) {
        ok("sbench.conf", wfp_file_read(SLOT_FILE, 0, CONF_MAX, &status, text, CONF_MAX, &n),
           status);
        close_file();
        text[n] = 0;
        for (size_t i = 0; i < n;) {
            while (i < n && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t'))
                i++;
            size_t j = i;
            while (j < n && text[j] != ' ' && text[j] != '\n' && text[j] != '\t')
                j++;
            if (j > i && !conf_word(text + i, j - i, "mib", 1, 64, &P.mib) &&
                !conf_word(text + i, j - i, "reads", 1, MAX_RUNS, &P.reads) &&
                !conf_word(text + i, j - i, "writes", 1, MAX_RUNS, &P.writes) &&
                !conf_word(text + i, j - i, "files", 1, MAX_FILES, &P.files) &&
                !conf_word(text + i, j - i, "rounds", 1, MAX_RUNS, &P.rounds))
                fail("sbench.conf: an unknown word at byte", i);
            i = j;
        }
    } else {
        wf_cnode_delete(WF_CHILD_CNODE, SLOT_FILE, 64);
    }
    ok("Unmount /sbench-boot", wfp_file_unmount(SLOT_FS, where, strlen(where), &status), status);
    wfp_file_rmdir(SLOT_FS, where, strlen(where), &status);
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fputs(usage, stdout);
        return 2;
    }
    if (wf_reconnect(SLOT_FS, "fs") != WF_ERR_OK)
        fail("no file server (fs)", 0);
    if (wf_reconnect(SLOT_DISK, "vblk") != WF_ERR_OK)
        fail("no block service (vblk)", 0);
    read_conf();
    wf_word_t status = 0, size = 0;
    wfp_file_mkdir(SLOT_FS, 0755, MNT, strlen(MNT), &status);
    mount_disk();
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, BUF, WF_CHILD_CNODE, SLOT_BUF, 64) ||
        wf_vspace_map(WF_CHILD_VSPACE, SLOT_BUF, BUFVA, 0, BUF, WF_VM_READ | WF_VM_WRITE))
        fail("no memory for the buffer", BUF);
    clear_buf(); /* touched beforehand */
    ok("SetBuffer", wfp_file_set_buffer(SLOT_FS, SLOT_BUF, &status, &size), status);
    if (size < BUF)
        fail("SetBuffer: the buffer's size", size);
    printf("sbench: %u MiB, %u reads, %u writes, %u files, %u rounds\n", P.mib, P.reads, P.writes,
           P.files, P.rounds);
    enum wf_error se = spin_start(SLOT_SPIN);
    if (se != WF_ERR_OK)
        fail("starting the spinner thread", se);
    seq_read();
    seq_write();
    small_files();
    wf_tcb_suspend(SLOT_SPIN);
    unmount_disk();
    printf("sbench: done\n");
    fflush(stdout);
    return 0;
}
