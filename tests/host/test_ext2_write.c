/*
 * The ext2 library's writing half (user/lib/fs/ext2_write.c, ext2_dir.c) on images
 * made by mke2fs: every test changes the file system through the library, reads the
 * result back, checks the free counts of the superblock against what the files hold,
 * and runs e2fsck -fn, which must exit 0 (nothing to fix).
 */
#include <sys/wait.h>

#include "ext2_util.h"

static struct img m;
static struct ext2_fs fs;

static void mount_new(uint32_t bs, const char *size)
{
    char tree[128];
    snprintf(tree, sizeof(tree), "/tmp/weft-ext2-wtree-%d", getpid());
    make_tree(tree);
    make_image(&m, tree, bs, bs == 1024 ? 512 : 1024, size);
    sh("rm -rf %s", tree);
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, 0), EXT2_OK);
}

static void done(void)
{
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    cr_assert_eq(live_allocs, 0);
    fsck_clean(&m);
    /* The result mounts again. */
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, EXT2_MOUNT_RDONLY), EXT2_OK);
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    img_free(&m);
}

static uint32_t sb32(size_t off)
{
    const uint8_t *p = fs.sb + off;
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t free_blocks(void)
{
    return sb32(12);
}

static uint32_t free_inodes(void)
{
    return sb32(16);
}

static uint32_t path(const char *p)
{
    uint32_t ino = 0;
    enum ext2_err err = ext2_lookup(&fs, p, &ino);
    cr_assert_eq(err, EXT2_OK, "lookup %s: %s", p, ext2_strerror(err));
    return ino;
}

static struct ext2_stat stat_of(uint32_t ino)
{
    struct ext2_stat st;
    cr_assert_eq(ext2_stat(&fs, ino, &st), EXT2_OK);
    return st;
}

/* Writes pattern seed over [off, off + len) in pieces of step bytes. */
static void fill(uint32_t ino, uint32_t seed, uint64_t off, size_t len, size_t step)
{
    uint8_t *b = malloc(step);
    for (size_t pos = 0; pos < len; pos += step) {
        size_t n = len - pos < step ? len - pos : step, w;
        for (size_t i = 0; i < n; i++)
            b[i] = pattern(seed, off + pos + i);
        cr_assert_eq(ext2_write(&fs, ino, off + pos, b, n, &w), EXT2_OK);
        cr_assert_eq(w, n);
    }
    free(b);
}

/* Checks [off, off + len) holds pattern seed (or zeros for seed 0). */
static void expect(uint32_t ino, uint32_t seed, uint64_t off, size_t len)
{
    uint8_t *b = malloc(len + 1);
    size_t n;
    cr_assert_eq(ext2_read(&fs, ino, off, b, len, &n), EXT2_OK);
    cr_assert_eq(n, len);
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(b[i], seed ? pattern(seed, off + i) : 0, "byte %llu",
                     (unsigned long long)(off + i));
    free(b);
}

/* The blocks a file holds, in file system blocks. */
static uint32_t held(uint32_t ino)
{
    return (uint32_t)(stat_of(ino).blocks * 512 / fs.bs);
}

TestSuite(ext2_write, .timeout = 120);

static void write_read(uint32_t bs)
{
    mount_new(bs, "16M");
    uint32_t fb = free_blocks(), fi = free_inodes(), ino, sp;
    cr_assert_eq(ext2_create(&fs, EXT2_ROOT_INO, "new", 0640, 7, 8, &ino), EXT2_OK);
    cr_assert_eq(free_inodes(), fi - 1);
    struct ext2_stat st = stat_of(ino);
    cr_assert_eq(st.mode, EXT2_S_IFREG | 0640);
    cr_assert_eq(st.uid, 7);
    cr_assert_eq(st.gid, 8);
    cr_assert_eq(st.links, 1);
    cr_assert_eq(st.size, 0);
    cr_assert_eq(st.mtime, 1700000000u);
    /* 400 KiB in odd pieces: past the double-indirect limit with 1 KiB blocks. */
    fill(ino, 5, 0, 400 * 1024, 3001);
    expect(ino, 5, 0, 400 * 1024);
    cr_assert_eq(stat_of(ino).size, 400 * 1024);
    cr_assert_eq(free_blocks(), fb - held(ino));
    /* Overwrite in the middle, then a sparse write far out (triple-indirect with 1 KiB). */
    fill(ino, 6, 100 * 1024 + 5, 20000, 20000);
    expect(ino, 5, 0, 100 * 1024 + 5);
    expect(ino, 6, 100 * 1024 + 5, 20000);
    cr_assert_eq(ext2_create(&fs, EXT2_ROOT_INO, "sparse2", 0644, 0, 0, &sp), EXT2_OK);
    fill(sp, 9, 80ull << 20, 5000, 5000);
    expect(sp, 0, 0, 70000);
    expect(sp, 0, (80ull << 20) - 3000, 3000);
    expect(sp, 9, 80ull << 20, 5000);
    cr_assert_eq(free_blocks(), fb - held(ino) - held(sp));
    fsck_clean(&m);
    /* Errors: a directory, a symlink, the read-only mount, past the largest file. */
    size_t w;
    cr_assert_eq(ext2_write(&fs, EXT2_ROOT_INO, 0, "x", 1, &w), EXT2_EISDIR);
    cr_assert_eq(ext2_write(&fs, path("fast"), 0, "x", 1, &w), EXT2_EINVAL);
    cr_assert_eq(ext2_write(&fs, sp, 1ull << 50, "x", 1, &w), EXT2_EFBIG);
    cr_assert_eq(ext2_truncate(&fs, sp, 1ull << 50), EXT2_EFBIG);
    cr_assert_eq(ext2_truncate(&fs, EXT2_ROOT_INO, 0), EXT2_EISDIR);
    done();
}

Test(ext2_write, write_read_1k)
{
    write_read(1024);
}

Test(ext2_write, write_read_4k)
{
    write_read(4096);
}

Test(ext2_write, truncate_frees)
{
    mount_new(1024, "16M");
    uint32_t fb = free_blocks(), ino;
    cr_assert_eq(ext2_create(&fs, EXT2_ROOT_INO, "t", 0644, 0, 0, &ino), EXT2_OK);
    fill(ino, 3, 0, 600 * 1024, 8192);
    fill(ino, 4, 70ull << 20, 3000, 3000);
    static const uint64_t sizes[] = {
        (70ull << 20) + 100, 300 * 1024 + 7, 13 * 1024, 12 * 1024, 1025, 5, 0};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        uint64_t s = sizes[i];
        cr_assert_eq(ext2_truncate(&fs, ino, s), EXT2_OK);
        cr_assert_eq(stat_of(ino).size, s);
        if (s <= 600 * 1024)
            expect(ino, 3, 0, (size_t)s);
        cr_assert_eq(free_blocks(), fb - held(ino), "size %llu", (unsigned long long)s);
        fsck_clean(&m);
    }
    cr_assert_eq(held(ino), 0);
    /* Growing reads as zeros, also over the tail of a block cut before. */
    fill(ino, 3, 0, 3000, 3000);
    cr_assert_eq(ext2_truncate(&fs, ino, 100), EXT2_OK);
    cr_assert_eq(ext2_truncate(&fs, ino, 5000), EXT2_OK);
    expect(ino, 3, 0, 100);
    expect(ino, 0, 100, 4900);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "t"), EXT2_OK);
    cr_assert_eq(free_blocks(), fb);
    done();
}

Test(ext2_write, mkdir_rmdir)
{
    mount_new(1024, "16M");
    uint32_t fb = free_blocks(), fi = free_inodes(), d, e, f;
    uint32_t root_links = stat_of(EXT2_ROOT_INO).links;
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "d", 0755, 0, 0, &d), EXT2_OK);
    cr_assert_eq(ext2_mkdir(&fs, d, "e", 0700, 0, 0, &e), EXT2_OK);
    cr_assert_eq(ext2_create(&fs, e, "f", 0644, 0, 0, &f), EXT2_OK);
    cr_assert_eq(path("d/e/f"), f);
    cr_assert_eq(path("d/e/.."), d);
    cr_assert_eq(path("d/e/../.."), EXT2_ROOT_INO);
    cr_assert_eq(stat_of(EXT2_ROOT_INO).links, root_links + 1);
    cr_assert_eq(stat_of(d).links, 3);
    cr_assert_eq(stat_of(e).links, 2);
    cr_assert_eq(stat_of(d).mode, EXT2_S_IFDIR | 0755);
    fsck_clean(&m);
    uint32_t x;
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "d", 0755, 0, 0, &x), EXT2_EEXIST);
    cr_assert_eq(ext2_mkdir(&fs, f, "x", 0755, 0, 0, &x), EXT2_ENOTDIR);
    cr_assert_eq(ext2_mkdir(&fs, d, "..", 0755, 0, 0, &x), EXT2_EINVAL);
    cr_assert_eq(ext2_mkdir(&fs, d, "a/b", 0755, 0, 0, &x), EXT2_EINVAL);
    cr_assert_eq(ext2_mkdir(&fs, d, "", 0755, 0, 0, &x), EXT2_EINVAL);
    char big[300];
    memset(big, 'n', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    cr_assert_eq(ext2_mkdir(&fs, d, big, 0755, 0, 0, &x), EXT2_ENAMETOOLONG);
    cr_assert_eq(ext2_rmdir(&fs, d, "e"), EXT2_ENOTEMPTY);
    cr_assert_eq(ext2_rmdir(&fs, e, "f"), EXT2_ENOTDIR);
    cr_assert_eq(ext2_rmdir(&fs, d, "nothing"), EXT2_ENOENT);
    cr_assert_eq(ext2_rmdir(&fs, d, "."), EXT2_EINVAL);
    cr_assert_eq(ext2_unlink(&fs, d, "e"), EXT2_EISDIR);
    cr_assert_eq(ext2_unlink(&fs, e, "f"), EXT2_OK);
    cr_assert_eq(ext2_rmdir(&fs, d, "e"), EXT2_OK);
    cr_assert_eq(stat_of(d).links, 2);
    cr_assert_eq(ext2_create(&fs, e, "g", 0644, 0, 0, &x), EXT2_ENOENT, "a removed directory");
    cr_assert_eq(ext2_rmdir(&fs, EXT2_ROOT_INO, "d"), EXT2_OK);
    cr_assert_eq(stat_of(EXT2_ROOT_INO).links, root_links);
    cr_assert_eq(free_blocks(), fb);
    cr_assert_eq(free_inodes(), fi);
    /* The tree's own directories: "a" holds b/c/deep, "empty" goes. */
    cr_assert_eq(ext2_rmdir(&fs, EXT2_ROOT_INO, "a"), EXT2_ENOTEMPTY);
    cr_assert_eq(ext2_rmdir(&fs, EXT2_ROOT_INO, "empty"), EXT2_OK);
    done();
}

Test(ext2_write, big_directory)
{
    mount_new(1024, "16M");
    uint32_t fb = free_blocks(), d, ino, many = path("many");
    char name[64];
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "big", 0755, 0, 0, &d), EXT2_OK);
    for (int i = 0; i < 400; i++) {
        snprintf(name, sizeof(name), "file-number-%d-%.*s", i, i % 40,
                 "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
        cr_assert_eq(ext2_create(&fs, d, name, 0644, 0, 0, &ino), EXT2_OK, "%s", name);
        fill(ino, (uint32_t)i, 0, (size_t)i * 3, 1000);
    }
    cr_assert_gt(stat_of(d).size, 10 * 1024);
    fsck_clean(&m);
    for (int i = 0; i < 400; i += 2) {
        snprintf(name, sizeof(name), "file-number-%d-%.*s", i, i % 40,
                 "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
        cr_assert_eq(ext2_unlink(&fs, d, name), EXT2_OK, "%s", name);
    }
    /* The tree's 500-entry directory: every third entry goes, new ones fill the gaps. */
    for (int i = 0; i < 500; i += 3) {
        snprintf(name, sizeof(name), "entry-with-a-longish-name-%03d", i);
        cr_assert_eq(ext2_unlink(&fs, many, name), EXT2_OK);
    }
    uint64_t size = stat_of(many).size;
    for (int i = 0; i < 100; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        cr_assert_eq(ext2_create(&fs, many, name, 0644, 0, 0, &ino), EXT2_OK);
    }
    cr_assert_eq(stat_of(many).size, size, "new entries reuse the freed space");
    int count = 0, odd = 0;
    uint64_t pos = 0;
    bool end = false;
    struct ext2_dirent e;
    while (ext2_readdir(&fs, d, &pos, &e, &end) == EXT2_OK && !end) {
        count++;
        int i;
        if (sscanf(e.name, "file-number-%d-", &i) == 1) {
            cr_assert(i % 2, "%s was removed", e.name);
            odd++;
            expect(e.ino, (uint32_t)i, 0, (size_t)i * 3);
        }
    }
    cr_assert_eq(odd, 200);
    cr_assert_eq(count, 202);
    fsck_clean(&m);
    cr_assert_lt(free_blocks(), fb);
    done();
}

Test(ext2_write, links_and_symlinks)
{
    mount_new(1024, "16M");
    uint32_t fi = free_inodes(), fb = free_blocks(), f = path("f70000"), s, t;
    cr_assert_eq(ext2_link(&fs, EXT2_ROOT_INO, "g", f), EXT2_OK);
    cr_assert_eq(stat_of(f).links, 2);
    cr_assert_eq(ext2_link(&fs, EXT2_ROOT_INO, "g", f), EXT2_EEXIST);
    cr_assert_eq(ext2_link(&fs, EXT2_ROOT_INO, "h", path("a")), EXT2_EISDIR);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "f70000"), EXT2_OK);
    cr_assert_eq(stat_of(f).links, 1);
    cr_assert_eq(path("g"), f);
    expect(f, 10, 0, 70000);
    cr_assert_eq(free_inodes(), fi);
    fsck_clean(&m);
    uint32_t h = held(f);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "g"), EXT2_OK);
    cr_assert_eq(free_inodes(), fi + 1);
    cr_assert_eq(free_blocks(), fb + h);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "g"), EXT2_ENOENT);
    /* Fast (in the inode) and slow (a block) symbolic links. */
    char target[300], got[300];
    size_t len;
    memset(target, 't', 200);
    target[200] = 0;
    cr_assert_eq(ext2_symlink(&fs, EXT2_ROOT_INO, "sfast", "a/b/c/deep", 0, 0, &s), EXT2_OK);
    cr_assert_eq(ext2_symlink(&fs, EXT2_ROOT_INO, "sslow", target, 0, 0, &t), EXT2_OK);
    cr_assert_eq(stat_of(s).mode, EXT2_S_IFLNK | 0777);
    cr_assert_eq(stat_of(s).blocks, 0);
    cr_assert_eq(held(t), 1);
    cr_assert_eq(ext2_readlink(&fs, s, got, sizeof(got), &len), EXT2_OK);
    cr_assert_str_eq(got, "a/b/c/deep");
    cr_assert_eq(ext2_readlink(&fs, t, got, sizeof(got), &len), EXT2_OK);
    cr_assert_str_eq(got, target);
    cr_assert_eq(ext2_symlink(&fs, EXT2_ROOT_INO, "e", "", 0, 0, &s), EXT2_EINVAL);
    char huge[2000];
    memset(huge, 'h', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = 0;
    cr_assert_eq(ext2_symlink(&fs, EXT2_ROOT_INO, "e", huge, 0, 0, &s), EXT2_ENAMETOOLONG);
    fsck_clean(&m);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "sfast"), EXT2_OK);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "sslow"), EXT2_OK);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "slow"), EXT2_OK);
    cr_assert_eq(free_blocks(), fb + h + 1);
    done();
}

Test(ext2_write, rename)
{
    mount_new(1024, "16M");
    uint32_t fi = free_inodes(), f13 = path("f13"), a = path("a"), b = path("a/b");
    uint32_t d, x, root_links = stat_of(EXT2_ROOT_INO).links;
    /* A file in its directory, over another file (which goes), into another directory. */
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "f13", EXT2_ROOT_INO, "g13"), EXT2_OK);
    cr_assert_eq(path("g13"), f13);
    cr_assert_eq(ext2_lookup(&fs, "f13", &x), EXT2_ENOENT);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "g13", EXT2_ROOT_INO, "f1"), EXT2_OK);
    cr_assert_eq(path("f1"), f13);
    cr_assert_eq(free_inodes(), fi + 1);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "f1", b, "moved"), EXT2_OK);
    cr_assert_eq(path("a/b/moved"), f13);
    cr_assert_eq(stat_of(f13).links, 1);
    /* Two names of one file: nothing happens. */
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "f1025", EXT2_ROOT_INO, "hard"), EXT2_OK);
    cr_assert_eq(path("f1025"), path("hard"));
    fsck_clean(&m);
    /* A directory to another parent: ".." follows, the link counts move. */
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "d", 0755, 0, 0, &d), EXT2_OK);
    cr_assert_eq(ext2_rename(&fs, a, "b", d, "bb"), EXT2_OK);
    cr_assert_eq(path("d/bb/.."), d);
    cr_assert_eq(path("d/bb/c/deep"), path("d/bb/c/deep"));
    cr_assert_eq(stat_of(a).links, 2);
    cr_assert_eq(stat_of(d).links, 3);
    fsck_clean(&m);
    /* Not below itself; the kinds must agree; a non-empty directory stays. */
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "d", path("d/bb/c"), "loop"), EXT2_EINVAL);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "d", d, "self"), EXT2_EINVAL);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "d", EXT2_ROOT_INO, "f0"), EXT2_ENOTDIR);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "f0", EXT2_ROOT_INO, "d"), EXT2_EISDIR);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "a", EXT2_ROOT_INO, "d"), EXT2_ENOTEMPTY);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "none", EXT2_ROOT_INO, "x"), EXT2_ENOENT);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "f0", path("f0"), "x"), EXT2_ENOTDIR);
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "..", EXT2_ROOT_INO, "x"), EXT2_EINVAL);
    /* Over an empty directory, in the same parent and from another. */
    cr_assert_eq(ext2_rename(&fs, EXT2_ROOT_INO, "a", EXT2_ROOT_INO, "empty"), EXT2_OK);
    cr_assert_eq(path("empty"), a);
    cr_assert_eq(stat_of(EXT2_ROOT_INO).links, root_links);
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "e2", 0755, 0, 0, &x), EXT2_OK);
    cr_assert_eq(ext2_rename(&fs, d, "bb", EXT2_ROOT_INO, "e2"), EXT2_OK);
    cr_assert_eq(path("e2/.."), EXT2_ROOT_INO);
    cr_assert_eq(stat_of(d).links, 2);
    cr_assert_eq(stat_of(EXT2_ROOT_INO).links, root_links + 1);
    fsck_clean(&m);
    done();
}

Test(ext2_write, no_space)
{
    mount_new(1024, "3M");
    uint32_t fb = free_blocks(), fi = free_inodes(), ino;
    cr_assert_eq(ext2_create(&fs, EXT2_ROOT_INO, "fill", 0644, 0, 0, &ino), EXT2_OK);
    uint8_t *buf = calloc(1, 4 << 20);
    size_t w;
    cr_assert_eq(ext2_write(&fs, ino, 0, buf, 4 << 20, &w), EXT2_ENOSPC);
    cr_assert_gt(w, 0);
    cr_assert_eq(stat_of(ino).size, w);
    cr_assert_eq(free_blocks(), 0);
    free(buf);
    uint32_t x;
    cr_assert_eq(ext2_mkdir(&fs, EXT2_ROOT_INO, "nd", 0755, 0, 0, &x), EXT2_ENOSPC);
    cr_assert_eq(free_inodes(), fi - 1, "the failed mkdir gave its inode back");
    fsck_clean(&m);
    cr_assert_eq(ext2_unlink(&fs, EXT2_ROOT_INO, "fill"), EXT2_OK);
    cr_assert_eq(free_blocks(), fb);
    /* Inodes run out too. */
    char name[32];
    uint32_t n = 0;
    enum ext2_err err;
    for (;; n++) {
        snprintf(name, sizeof(name), "i%u", n);
        if ((err = ext2_create(&fs, EXT2_ROOT_INO, name, 0644, 0, 0, &x)))
            break;
    }
    cr_assert_eq(err, EXT2_ENOSPC);
    cr_assert_eq(n, fi);
    cr_assert_eq(free_inodes(), 0);
    fsck_clean(&m);
    done();
}

/*
 * A directory with a hashed index (e2fsck -D builds one): read linearly, its index
 * blocks are empty entries; a change clears the index flag, and e2fsck agrees.
 */
Test(ext2_write, indexed_directory)
{
    mount_new(1024, "16M");
    cr_assert_eq(ext2_unmount(&fs), EXT2_OK);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "e2fsck -fyD %s >/dev/null 2>&1", m.path);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) <= 1, "e2fsck -fyD: %d", rc);
    img_load(&m);
    struct ext2_blockdev dev = img_dev(&m);
    cr_assert_eq(ext2_mount(&fs, &dev, &test_env, 0), EXT2_OK);
    uint32_t many = path("many"), ino;
    cr_assert(stat_of(many).flags & 0x1000, "e2fsck -D made no index");
    char name[64];
    int count = 0;
    uint64_t pos = 0;
    bool end = false;
    struct ext2_dirent e;
    while (ext2_readdir(&fs, many, &pos, &e, &end) == EXT2_OK && !end)
        count++;
    cr_assert_eq(count, 502);
    for (int i = 0; i < 500; i += 50) {
        snprintf(name, sizeof(name), "entry-with-a-longish-name-%03d", i);
        cr_assert_eq(ext2_lookup_at(&fs, many, name, strlen(name), &ino), EXT2_OK);
        cr_assert_eq(ext2_unlink(&fs, many, name), EXT2_OK);
    }
    cr_assert_eq(ext2_create(&fs, many, "added", 0644, 0, 0, &ino), EXT2_OK);
    cr_assert_eq(stat_of(many).flags & 0x1000, 0);
    done();
}
