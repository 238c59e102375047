/*
 * storage: Linux reading and writing an ext2 file system on a virtio-blk disk, the
 * peer of Weft's ext2 file server (docs/perf/storage.md; make bench-linux-storage).
 *
 * The boot carries a raw ext2 image (bench/linux/mkstorage.py: mke2fs -t ext2
 * -b 4096) as a modern virtio-blk-pci function, /dev/vda; init has loaded
 * virtio_pci and virtio_blk (the cloud kernel builds them as modules). This
 * program mounts it at /mnt as "ext2" (the kernel's ext4 driver serves it:
 * CONFIG_EXT4_USE_FOR_EXT2) and measures, the median of R_* runs reported:
 *
 *   seq_read_cold     read() of the 64 MiB file /read64 (made on the host) in
 *                     1 MiB calls into a buffer touched beforehand, after sync and
 *                     drop_caches (3): data, indirect blocks and inodes come from
 *                     the disk. Per MiB.
 *   seq_read_warm     the same read again, everything in the page cache. Per MiB.
 *   seq_write_fsync   a new 64 MiB file /write64: open(O_CREAT|O_TRUNC), write()
 *                     in 1 MiB calls, fsync, close. Per MiB.
 *   create_write_close  1,000 files /smallR/fNNNN: open(O_CREAT|O_EXCL), write()
 *                     of 4 KiB, close. Per file. Linux writes the data and the
 *                     changed metadata to the disk later (writeback):
 *   create_sync       the sync() after that loop, which does it. Per file.
 *   stat              stat() of the same 1,000 files (just created: cached). Per file.
 *   unlink            unlink() of the 1,000 files. Per file.
 *
 * The small-file steps run in rounds, each in a new directory, and before each
 * the real-time clock is moved on an hour (clock_forward). The first line,
 * tsc_per_ns_x1000000, is the TSC's rate against the kernel's clock.
 *
 * What a figure counts. Under -icount shift=0,sleep=off the TSC advances one per
 * executed instruction; QEMU completes virtio-blk requests on its own threads, in
 * real time, and a guest that halts meanwhile has the clock moved on to its next
 * timer at once (seconds, now and then minutes, of skipped time, and timers fired
 * that would not have been). The storage boot therefore runs with idle=poll: the
 * idle CPU executes a loop while a request is out, the clock advances only by
 * instructions, and those of the loop depend on the host's speed. So each
 * measurement also reads the kernel's idle time (/proc/timer_list: idle_sleeptime
 * + iowait_sleeptime of the CPU, nanoseconds, converted to TSC ticks at the rate
 * measured at the start) before and after, and the figure is the rdtsc delta less
 * the idle time: the instructions the guest executed for the operation, its own,
 * the kernel's and any kernel thread's (writeback, the disk's interrupt). The raw
 * delta per unit ("elapsed") and the idle share ("idle_permille") are reported too.
 *
 * Checked (FAIL otherwise): every read returned the file's size and the data
 * pattern; the cold read read at least 64 MiB from the disk (/sys/block/vda/stat),
 * the warm read found every page of the file cached (mincore) and read less than
 * 1 MiB from the disk; the write wrote at least 64 MiB to the disk, and
 * the file read back from the disk after drop_caches holds this round's pattern;
 * the sync after the creates wrote at least the files' data; every small file
 * exists with 4,096 bytes of its own data (read back from the disk) and is gone
 * after unlink; the directory lists exactly the files; after
 * the warm reads every page of /read64 is in the page cache and after
 * drop_caches none (mincore). The page cache's size with the file cached less its
 * size after drop_caches (Buffers + Cached of /proc/meminfo) is reported as a
 * memory figure, page_cache_64mib_cached_kib.
 *
 * Output: JSON lines (lbench.h's "vm" format, "bench": "storage"):
 *   {"bench": "storage", "arch": "x86_64", "system": "linux", "metric": ...,
 *    "value": N, "unit": "mib" | "file" | "kib", "runs": R, "min": N, "max": N,
 *    "elapsed": N, "idle_permille": N}
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lbench.h"

#define DISK       "/dev/vda"
#define DISK_STAT  "/sys/block/vda/stat"
#define MNT        "/mnt"
#define READ_FILE  MNT "/read64"
#define WRITE_FILE MNT "/write64"
#define FILE_SIZE  (64ul * LB_MIB)
#define CHUNK      LB_MIB
#define NFILES     1000
#define SMALL_SIZE 4096
#define R_READ     9
#define R_WRITE    3
#define R_SMALL    5
#define MAX_RUNS   16 /* the most of any R_ */
_Static_assert(R_READ <= MAX_RUNS && R_WRITE <= MAX_RUNS && R_SMALL <= MAX_RUNS, "MAX_RUNS");
#define SECTOR 512
/* The data patterns (bench/linux/mkstorage.py writes READ_SEED's). */
#define READ_SEED  0x52454144u /* "READ" */
#define WRITE_SEED 0x57524954u /* "WRIT" */

/* The 64-bit word at byte offset `off` of a file made with `seed`. */
static inline uint64_t pattern(uint32_t seed, uint64_t off)
{
    return (uint64_t)seed << 32 | (uint32_t)off;
}

static void fill(uint64_t *buf, size_t size, uint32_t seed)
{
    for (size_t i = 0; i < size / 8; i++)
        buf[i] = pattern(seed, i * 8);
}

static void check(const uint64_t *buf, size_t size, uint32_t seed, const char *what)
{
    for (size_t i = 0; i < size / 8; i++)
        if (buf[i] != pattern(seed, i * 8)) {
            printf("linux-bench: FAIL %s: word at byte %zu is %#llx, not %#llx\n", what, i * 8,
                   (unsigned long long)buf[i], (unsigned long long)pattern(seed, i * 8));
            fflush(stdout);
            exit(1);
        }
}

/* TSC ticks per nanosecond of the kernel's clock, times 2^32 (measured at start). */
static uint64_t tsc_per_ns_q32;

/* Sectors read and written by /dev/vda so far (fields 3 and 7 of its stat). */
static void disk_sectors(uint64_t *rd, uint64_t *wr)
{
    unsigned long long f[7];
    FILE *s = fopen(DISK_STAT, "r");
    if (!s || fscanf(s, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4],
                     &f[5], &f[6]) != 7)
        lb_fail("cannot read " DISK_STAT, errno);
    fclose(s);
    *rd = f[2];
    *wr = f[6];
}

/* One measurement: the TSC, the idle time and the disk's counters around it. */
struct span {
    uint64_t tsc, idle, rd, wr;
};

static void span_start(struct span *s)
{
    disk_sectors(&s->rd, &s->wr);
    s->idle = lb_idle_ns();
    s->tsc = lb_rdtsc();
}

/* Ends s: s->tsc becomes the elapsed ticks, s->idle the idle ticks, rd/wr deltas. */
static void span_end(struct span *s)
{
    uint64_t t = lb_rdtsc();
    uint64_t idle = lb_idle_ns(), rd, wr;
    disk_sectors(&rd, &wr);
    s->tsc = t - s->tsc;
    s->idle = lb_ns_to_ticks(idle - s->idle, tsc_per_ns_q32);
    if (s->idle > s->tsc)
        s->idle = s->tsc;
    s->rd = rd - s->rd;
    s->wr = wr - s->wr;
#ifdef LB_VERBOSE
    printf("# span: elapsed %llu idle %llu sectors read %llu written %llu\n",
           (unsigned long long)s->tsc, (unsigned long long)s->idle, (unsigned long long)s->rd,
           (unsigned long long)s->wr);
#endif
}

static uint64_t span_busy(const struct span *s)
{
    return s->tsc - s->idle;
}

/*
 * Reports the median of runs[0..n) (busy instructions per `per` units), with the
 * smallest and largest, the median elapsed ticks and the idle share.
 */
static void report(const char *metric, const struct span *runs, unsigned n, uint64_t per,
                   const char *unit)
{
    uint64_t busy[MAX_RUNS], elapsed[MAX_RUNS], idle = 0, total = 0;
    if (n == 0 || n > MAX_RUNS)
        lb_fail("report: runs outside 1..MAX_RUNS", n);
    for (unsigned i = 0; i < n; i++) {
        busy[i] = span_busy(&runs[i]) / per;
        elapsed[i] = runs[i].tsc / per;
        idle += runs[i].idle;
        total += runs[i].tsc;
    }
    uint64_t med = lb_median(busy, n), med_elapsed = lb_median(elapsed, n);
    printf("{\"bench\": \"storage\", \"arch\": \"x86_64\", \"system\": \"linux\", \"metric\": "
           "\"%s\", \"value\": %llu, \"unit\": \"%s\", \"runs\": %u, \"min\": %llu, \"max\": "
           "%llu, \"elapsed\": %llu, \"idle_permille\": %llu}\n",
           metric, (unsigned long long)med, unit, n, (unsigned long long)busy[0],
           (unsigned long long)busy[n - 1], (unsigned long long)med_elapsed,
           (unsigned long long)(total ? idle * 1000 / total : 0));
    fflush(stdout);
}

static void drop_caches(void)
{
    sync();
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
    if (fd < 0 || write(fd, "3\n", 2) != 2)
        lb_fail("write to /proc/sys/vm/drop_caches", errno);
    close(fd);
}

/* Buffers + Cached of /proc/meminfo (the page cache, metadata included), in KiB. */
static uint64_t cached_kib(void)
{
    return lb_proc_sum2("/proc/meminfo", "Buffers: %llu kB", "Cached: %llu kB",
                        "no Buffers and Cached lines in /proc/meminfo");
}

/* How many of the 4 KiB pages of `path`'s first `size` bytes are in the page cache. */
static size_t resident_pages(const char *path, size_t size)
{
    static unsigned char vec[FILE_SIZE / LB_PAGE];
    size_t n = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || size > FILE_SIZE)
        lb_fail("open for mincore", errno);
    void *p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED || mincore(p, size, vec) != 0)
        lb_fail("mmap + mincore", errno);
    for (size_t i = 0; i < size / LB_PAGE; i++)
        n += vec[i] & 1;
    munmap(p, size);
    close(fd);
    return n;
}

/* Reads `path` into buf[0..cap) in calls of at most 1 MiB; returns the bytes read. */
static size_t read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    size_t total = 0;
    if (fd < 0)
        lb_fail("open for reading", errno);
    while (total < cap) {
        size_t want = cap - total < CHUNK ? cap - total : CHUNK;
        ssize_t n = read(fd, buf + total, want);
        if (n < 0)
            lb_fail("read", errno);
        if (n == 0)
            break;
        total += (size_t)n;
    }
    close(fd);
    return total;
}

/* The cold and warm sequential reads of READ_FILE, and the page cache it takes. */
static void seq_read(char *buf)
{
    struct span cold[R_READ], warm[R_READ];
    struct stat st;
    if (stat(READ_FILE, &st) != 0 || (size_t)st.st_size != FILE_SIZE)
        lb_fail("stat " READ_FILE " (64 MiB)", (long)st.st_size);
    for (unsigned r = 0; r < R_READ; r++) {
        memset(buf, 0, FILE_SIZE);
        drop_caches();
        span_start(&cold[r]);
        size_t n = read_file(READ_FILE, buf, FILE_SIZE + CHUNK);
        span_end(&cold[r]);
        if (n != FILE_SIZE)
            lb_fail("cold read: bytes read, not 64 MiB", (long)n);
        if (cold[r].rd < FILE_SIZE / SECTOR)
            lb_fail("cold read: sectors read from the disk, fewer than 64 MiB", (long)cold[r].rd);
        check((uint64_t *)buf, FILE_SIZE, READ_SEED, "cold read");
    }
    report("seq_read_cold_instructions_per_mib", cold, R_READ, FILE_SIZE / LB_MIB, "mib");
    for (unsigned r = 0; r < R_READ; r++) {
        memset(buf, 0, FILE_SIZE);
        if (resident_pages(READ_FILE, FILE_SIZE) != FILE_SIZE / LB_PAGE)
            lb_fail("warm read: pages of the file not cached before it",
                    (long)resident_pages(READ_FILE, FILE_SIZE));
        span_start(&warm[r]);
        size_t n = read_file(READ_FILE, buf, FILE_SIZE + CHUNK);
        span_end(&warm[r]);
        if (n != FILE_SIZE)
            lb_fail("warm read: bytes read, not 64 MiB", (long)n);
        if (warm[r].rd >= LB_MIB / SECTOR) /* the file is 64 MiB; metadata may move */
            lb_fail("warm read: 1 MiB or more read from the disk", (long)warm[r].rd);
        check((uint64_t *)buf, FILE_SIZE, READ_SEED, "warm read");
    }
    report("seq_read_warm_instructions_per_mib", warm, R_READ, FILE_SIZE / LB_MIB, "mib");

    /* The memory the cached file takes: the page cache with it and after a drop. */
    if (resident_pages(READ_FILE, FILE_SIZE) != FILE_SIZE / LB_PAGE)
        lb_fail("pages of the file cached after the warm reads, not all",
                (long)resident_pages(READ_FILE, FILE_SIZE));
    uint64_t with = cached_kib();
    drop_caches();
    uint64_t without = cached_kib();
    if (resident_pages(READ_FILE, FILE_SIZE) != 0)
        lb_fail("pages of the file still cached after drop_caches",
                (long)resident_pages(READ_FILE, FILE_SIZE));
    if (with < without + FILE_SIZE / 1024 * 15 / 16)
        lb_fail("page cache shrank by less than 60 MiB when dropped", (long)(with - without));
    printf("{\"bench\": \"storage\", \"arch\": \"x86_64\", \"system\": \"linux\", \"metric\": "
           "\"page_cache_64mib_cached_kib\", \"value\": %llu, \"unit\": \"kib\", \"runs\": 1}\n",
           (unsigned long long)(with - without));
    fflush(stdout);
}

/* Sequential write + fsync of WRITE_FILE, verified from the disk. */
static void seq_write(char *buf)
{
    struct span w[R_WRITE];
    for (unsigned r = 0; r < R_WRITE; r++) {
        if (unlink(WRITE_FILE) != 0 && errno != ENOENT)
            lb_fail("unlink " WRITE_FILE, errno);
        fill((uint64_t *)buf, FILE_SIZE, WRITE_SEED + r);
        drop_caches();
        span_start(&w[r]);
        int fd = open(WRITE_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            lb_fail("open " WRITE_FILE, errno);
        for (size_t off = 0; off < FILE_SIZE; off += CHUNK)
            if (write(fd, buf + off, CHUNK) != (ssize_t)CHUNK)
                lb_fail("write", errno);
        if (fsync(fd) != 0)
            lb_fail("fsync", errno);
        close(fd);
        span_end(&w[r]);
        if (w[r].wr < FILE_SIZE / SECTOR)
            lb_fail("write: sectors written to the disk, fewer than 64 MiB", (long)w[r].wr);
        memset(buf, 0, FILE_SIZE);
        drop_caches();
        uint64_t rd0, rd1, wr;
        disk_sectors(&rd0, &wr);
        size_t n = read_file(WRITE_FILE, buf, FILE_SIZE + CHUNK);
        disk_sectors(&rd1, &wr);
        if (n != FILE_SIZE)
            lb_fail("written file read back: bytes, not 64 MiB", (long)n);
        if (rd1 - rd0 < FILE_SIZE / SECTOR)
            lb_fail("written file read back: sectors from the disk", (long)(rd1 - rd0));
        check((uint64_t *)buf, FILE_SIZE, WRITE_SEED + r, "written file read back");
    }
    report("seq_write_fsync_instructions_per_mib", w, R_WRITE, FILE_SIZE / LB_MIB, "mib");
}

/*
 * Moves the real-time clock on by an hour. Without a journal, ext4 does not reuse
 * an inode freed less than 5 seconds ago (by the real-time clock; its dtime):
 * ext4_new_inode skips each such inode, reading it, for every new file. The
 * previous round's 1,000 unlinked inodes would make each round's creates
 * quadratic, by an amount that depends on how much guest time passed; an hour
 * later none is recent, as on a machine where the rounds are minutes apart.
 */
static void clock_forward(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        lb_fail("clock_gettime", errno);
    ts.tv_sec += 3600;
    if (clock_settime(CLOCK_REALTIME, &ts) != 0)
        lb_fail("clock_settime", errno);
}

/* The directory of the current round of small_files(). */
static char small_dir[32];

static void small_name(char *out, size_t len, unsigned i)
{
    snprintf(out, len, "%s/f%04u", small_dir, i);
}

/* Entries of small_dir other than . and .. */
static unsigned count_entries(void)
{
    DIR *d = opendir(small_dir);
    unsigned n = 0;
    struct dirent *e;
    if (!d)
        lb_fail("opendir of the round's directory", errno);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/*
 * create + write 4 KiB + close, stat and unlink of NFILES files, R_SMALL rounds,
 * each in a new directory (/small0, /small1, ...: a directory that once held
 * 1,000 entries keeps its blocks, and ext2 searches them), removed after its
 * round. Each loop over the files is one span; the median round is the figure.
 */
static void small_files(void)
{
    struct span cr[R_SMALL], sy[R_SMALL], st[R_SMALL], un[R_SMALL];
    static uint64_t data[SMALL_SIZE / 8], back[SMALL_SIZE / 8];
    char name[64];
    for (unsigned r = 0; r < R_SMALL; r++) {
        clock_forward();
        snprintf(small_dir, sizeof(small_dir), MNT "/small%u", r);
        if (mkdir(small_dir, 0755) != 0)
            lb_fail("mkdir of the round's directory", errno);
        sync();
        span_start(&cr[r]);
        for (unsigned i = 0; i < NFILES; i++) {
            small_name(name, sizeof(name), i);
            int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0)
                lb_fail("create", errno);
            data[0] = i; /* each file's first word is its number */
            data[1] = r;
            if (write(fd, data, SMALL_SIZE) != SMALL_SIZE)
                lb_fail("write 4 KiB", errno);
            close(fd);
        }
        span_end(&cr[r]);
        span_start(&sy[r]);
        sync();
        span_end(&sy[r]);
        if (sy[r].wr < NFILES * SMALL_SIZE / SECTOR)
            lb_fail("sync after create: sectors written, fewer than the files' data",
                    (long)sy[r].wr);
        if (count_entries() != NFILES)
            lb_fail("entries after create", count_entries());

        span_start(&st[r]);
        for (unsigned i = 0; i < NFILES; i++) {
            struct stat sb;
            small_name(name, sizeof(name), i);
            if (stat(name, &sb) != 0)
                lb_fail("stat", errno);
            if (!S_ISREG(sb.st_mode) || sb.st_size != SMALL_SIZE)
                lb_fail("stat: not a 4 KiB regular file", (long)sb.st_size);
        }
        span_end(&st[r]);

        /* The files' contents, from the disk (untimed). */
        drop_caches();
        for (unsigned i = 0; i < NFILES; i++) {
            small_name(name, sizeof(name), i);
            if (read_file(name, (char *)back, sizeof(back)) != SMALL_SIZE)
                lb_fail("small file read back: not 4 KiB", i);
            data[0] = i;
            data[1] = r;
            if (memcmp(back, data, SMALL_SIZE) != 0)
                lb_fail("small file read back: not the data written", i);
        }

        sync();
        span_start(&un[r]);
        for (unsigned i = 0; i < NFILES; i++) {
            small_name(name, sizeof(name), i);
            if (unlink(name) != 0)
                lb_fail("unlink", errno);
        }
        span_end(&un[r]);
        for (unsigned i = 0; i < NFILES; i++) {
            struct stat sb;
            small_name(name, sizeof(name), i);
            if (stat(name, &sb) == 0 || errno != ENOENT)
                lb_fail("a file is still there after unlink", i);
        }
        if (count_entries() != 0)
            lb_fail("entries after unlink", count_entries());
        if (rmdir(small_dir) != 0)
            lb_fail("rmdir of the round's directory", errno);
    }
    report("create_write_close_instructions_per_file", cr, R_SMALL, NFILES, "file");
    report("create_sync_instructions_per_file", sy, R_SMALL, NFILES, "file");
    report("stat_instructions_per_file", st, R_SMALL, NFILES, "file");
    report("unlink_instructions_per_file", un, R_SMALL, NFILES, "file");
}

/* The TSC's rate against the kernel's clock over about 50 million instructions. */
static void measure_tsc_rate(void)
{
    tsc_per_ns_q32 = lb_tsc_per_ns_q32();
    printf("{\"bench\": \"storage\", \"arch\": \"x86_64\", \"system\": \"linux\", \"metric\": "
           "\"tsc_per_ns_x1000000\", \"value\": %llu, \"unit\": \"ratio\", \"runs\": 1}\n",
           (unsigned long long)((unsigned __int128)tsc_per_ns_q32 * 1000000 >> 32));
}

int main(void)
{
    measure_tsc_rate();
    mkdir(MNT, 0755);
    if (mount(DISK, MNT, "ext2", 0, NULL) != 0)
        lb_fail("mount " DISK " as ext2 on " MNT, errno);
    /* The buffer for 64 MiB, touched before anything is timed. */
    char *buf = lb_map_aligned(FILE_SIZE + CHUNK, 0);
    memset(buf, 0, FILE_SIZE + CHUNK);

    seq_read(buf);
    seq_write(buf);
    small_files();

    if (umount(MNT) != 0)
        lb_fail("umount " MNT, errno);
    return 0;
}
