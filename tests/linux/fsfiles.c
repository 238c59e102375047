/*
 * Files that are written (/tmp): create, write, read, the open flags
 * (O_APPEND, O_TRUNC, O_EXCL, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC), one offset
 * shared by dup'ed and fork-inherited descriptors, pread/pwrite, lseek,
 * ftruncate and truncate, fsync, statfs, utimensat and futimens (fixed times,
 * UTIME_NOW, UTIME_OMIT), chown and fchown (setuid dropped), fchmod, the stat
 * family (statx too), directories (mkdir, rmdir,
 * getdents, sorted here), names (unlink, rename, link, symlink, readlink),
 * chmod, the working directory (chdir, fchdir, getcwd), and the errors of
 * each, as numbers; bad pointers are EFAULT.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(const char *what, int r)
{
    printf("%s: %d", what, r < 0 ? -1 : r);
    if (r < 0)
        printf(" errno %d", errno);
    printf("\n");
}

static void show(const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("%s: [%s]\n", path, buf);
    if (fd >= 0)
        close(fd);
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path)
{
    DIR *d = opendir(path);
    char *names[32];
    int n = 0;
    struct dirent *e;
    while (d && n < 32 && (e = readdir(d)))
        names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof(names[0]), cmp);
    printf("ls %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(void)
{
    mkdir("/tmp", 01777); /* the Linux guest's root has none */
    check("mkdir /tmp/ft", mkdir("/tmp/ft", 0755));
    check("mkdir again", mkdir("/tmp/ft", 0755));
    check("chdir", chdir("/tmp/ft"));
    char cwd[64];
    printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "(null)");
    check("getcwd small", getcwd(cwd, 4) ? 0 : -1);

    /* create, write, read; a relative path from the working directory */
    int fd = open("a", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    check("write", (int)write(fd, "hello", 5));
    check("read write-only", (int)read(fd, cwd, 1));
    close(fd);
    show("/tmp/ft/a");
    check("O_EXCL", open("a", O_WRONLY | O_CREAT | O_EXCL, 0644));
    check("O_DIRECTORY on a file", open("a", O_RDONLY | O_DIRECTORY));
    check("missing", open("nothing", O_RDONLY));
    check("dir for writing", open("/tmp/ft", O_WRONLY));

    /* O_APPEND writes at the end wherever the offset is */
    fd = open("a", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    check("append", (int)write(fd, " world", 6));
    printf("F_GETFL append: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    close(fd);
    show("a");

    /* one offset for dup'ed and inherited descriptors */
    fd = open("b", O_RDWR | O_CREAT | O_TRUNC, 0600);
    int d = dup(fd);
    write(fd, "ab", 2);
    write(d, "cd", 2);
    pid_t pid = fork();
    if (pid == 0) {
        write(fd, "ef", 2);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    write(d, "gh", 2);
    printf("offset after fork: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    char buf[64];
    check("pread 3 at 2", (int)pread(fd, buf, 3, 2));
    buf[3] = 0;
    printf("pread: %s\n", buf);
    check("pwrite at 6", (int)pwrite(d, "GH", 2, 6));
    printf("offset kept: %lld\n", (long long)lseek(d, 0, SEEK_CUR));
    close(d);
    show("b");

    /* sizes: ftruncate, lseek past the end, truncate by name */
    check("ftruncate 3", ftruncate(fd, 3));
    struct stat st;
    fstat(fd, &st);
    printf("size %lld, regular %d, mode %o, links %d\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 07777, (int)st.st_nlink);
    lseek(fd, 8, SEEK_SET);
    write(fd, "Z", 1);
    close(fd);
    fd = open("b", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof(buf));
    printf("hole:");
    for (ssize_t i = 0; i < n; i++)
        printf(" %d", buf[i]);
    printf("\n");
    close(fd);
    check("truncate", truncate("b", 1));
    stat("b", &st);
    printf("size after truncate: %lld\n", (long long)st.st_size);
    fd = open("b", O_WRONLY | O_TRUNC);
    fstat(fd, &st);
    printf("size after O_TRUNC: %lld\n", (long long)st.st_size);
    close(fd);

    /* sync, file system, times, owners, fchmod */
    fd = open("b", O_RDWR);
    check("fsync", fsync(fd));
    check("fdatasync", fdatasync(fd));
    check("fchmod", fchmod(fd, 0604));
    fstat(fd, &st);
    printf("mode after fchmod: %o\n", st.st_mode & 07777);
    close(fd);
    struct statfs sf;
    check("statfs /tmp", statfs("/tmp", &sf));
    check("statfs missing", statfs("/tmp/nothing/x", &sf));
    check("utimensat", utimensat(AT_FDCWD, "b", NULL, 0));
    check("utimensat missing", utimensat(AT_FDCWD, "nothing", NULL, 0));
    check("chown", chown("b", 0, 0));
    /* modes, owners and times are kept (and shown by stat) */
    check("chmod 4755", chmod("b", 04755));
    stat("b", &st);
    printf("mode after chmod 4755: %o\n", st.st_mode & 07777);
    check("chown 1000:100", chown("b", 1000, 100));
    stat("b", &st);
    printf("after chown: uid %u gid %u mode %o\n", (unsigned)st.st_uid, (unsigned)st.st_gid,
           st.st_mode & 07777);
    check("chown -1:50", chown("b", (uid_t)-1, 50));
    fd = open("b", O_RDONLY);
    check("fchown 7:-1", fchown(fd, 7, (gid_t)-1));
    fstat(fd, &st);
    printf("after fchown: uid %u gid %u\n", (unsigned)st.st_uid, (unsigned)st.st_gid);
    struct timespec times[2] = {{1000000000, 5}, {1234567890, 123456789}};
    check("utimensat fixed", utimensat(AT_FDCWD, "b", times, 0));
    stat("b", &st);
    printf("times: atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    times[0].tv_nsec = UTIME_OMIT;
    times[1] = (struct timespec){1500000000, 0};
    check("futimens omit atime", futimens(fd, times));
    fstat(fd, &st);
    printf("times: atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec,
           (long long)st.st_mtim.tv_sec);
    times[1].tv_nsec = 1000000000;
    check("utimensat bad nsec", utimensat(AT_FDCWD, "b", times, 0));
    times[0].tv_nsec = times[1].tv_nsec = UTIME_OMIT;
    check("utimensat both omitted, missing", utimensat(AT_FDCWD, "nothing", times, 0));
    check("utimensat bad flags", utimensat(AT_FDCWD, "b", NULL, 0x4));
    times[0] = (struct timespec){0, UTIME_NOW};
    times[1] = (struct timespec){0, UTIME_OMIT};
    check("utimensat atime now", utimensat(AT_FDCWD, "b", times, 0));
    stat("b", &st);
    printf("mtime kept: %lld, atime now: %d\n", (long long)st.st_mtim.tv_sec,
           st.st_atim.tv_sec > 1500000000);
    close(fd);
    check("chmod 0644", chmod("b", 0644));
    check("chown 0:0", chown("b", 0, 0));
    check("fchmodat missing", fchmodat(AT_FDCWD, "nothing", 0600, 0));
    check("chown missing", chown("nothing", 1, 1));
    check("statfs /tmp again", statfs("/tmp", &sf)); /* the failed one zeroed sf */
    printf("statfs /tmp: namelen %ld, read-only %d\n", (long)sf.f_namelen, (int)(sf.f_flags & 1));
    fd = open("b", O_RDONLY);
    check("fstatfs", fstatfs(fd, &sf));
    close(fd);
    printf("fstatfs: namelen %ld, read-only %d\n", (long)sf.f_namelen, (int)(sf.f_flags & 1));
    int pp[2];
    pipe(pp);
    check("fsync pipe", fsync(pp[0]));
    close(pp[0]);
    close(pp[1]);

    /* statx sees what stat sees */
    struct {
        uint32_t mask, blksize;
        uint64_t attributes;
        uint32_t nlink, uid, gid;
        uint16_t mode, pad0;
        uint64_t ino, size, blocks, more[26];
    } sx;
    check("statx", (int)syscall(SYS_statx, AT_FDCWD, "/data/hello.txt", 0, 0x7ff, &sx));
    stat("/data/hello.txt", &st);
    printf("statx: size %llu, mode %o, links %u, same inode %d, basic %d\n",
           (unsigned long long)sx.size, sx.mode, sx.nlink, sx.ino == (uint64_t)st.st_ino,
           (sx.mask & 0x7ff) == 0x7ff);
    check("statx missing", (int)syscall(SYS_statx, AT_FDCWD, "nothing", 0, 0x7ff, &sx));

    /* directories and names */
    check("mkdir sub", mkdir("sub", 0755));
    check("mkdir sub/deeper", mkdir("sub/deeper", 0755));
    check("rmdir not empty", rmdir("sub"));
    check("rename a -> sub/a2", rename("a", "sub/a2"));
    check("link", link("sub/a2", "hard"));
    stat("hard", &st);
    printf("links: %d size %lld\n", (int)st.st_nlink, (long long)st.st_size);
    check("symlink", symlink("sub/a2", "soft"));
    n = readlink("soft", buf, sizeof(buf));
    printf("readlink: %.*s\n", (int)(n > 0 ? n : 0), buf);
    check("readlink of a file", (int)readlink("hard", buf, sizeof(buf)));
    check("lstat is link", lstat("soft", &st) == 0 && S_ISLNK(st.st_mode));
    check("stat through link", stat("soft", &st) == 0 && S_ISREG(st.st_mode));
    check("O_NOFOLLOW", open("soft", O_RDONLY | O_NOFOLLOW));
    show("soft");
    check("chmod", chmod("hard", 0640));
    stat("sub/a2", &st);
    printf("mode after chmod: %o\n", st.st_mode & 07777);
    list(".");
    list("sub");
    check("unlink dir", unlink("sub"));
    check("unlink soft", unlink("soft"));
    check("unlink hard", unlink("hard"));
    check("rename over dir", rename("b", "sub"));
    check("ENOTDIR", open("b/x", O_RDONLY));

    /* fchdir and a relative openat */
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    check("openat relative", (fd = openat(dfd, "a2", O_RDONLY)) >= 0);
    close(fd);
    check("fchdir", fchdir(dfd));
    printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "(null)");
    close(dfd);
    check("chdir ..", chdir(".."));
    printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "(null)");
    check("chdir file", chdir("b"));

    /* O_CLOEXEC: the exec'ed ls sees 0-2, the inherited 4 and its own 3 */
    fd = open("b", O_RDONLY | O_CLOEXEC);
    d = open("b", O_RDONLY);
    printf("cloexec %d %d\n", fcntl(fd, F_GETFD), fcntl(d, F_GETFD));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        execl("/bin/busybox", "ls", "/proc/self/fd", (char *)NULL);
        _exit(127);
    }
    int ws;
    waitpid(pid, &ws, 0);
    close(fd);
    close(d);

    /* bad pointers: EFAULT, never a fault */
    char *volatile hide = (char *)8; /* the compiler does not see it is bad */
    char *bad = hide;
    check("open bad path", open(bad, O_RDONLY));
    fd = open("b", O_RDWR);
    check("write bad buffer", (int)write(fd, bad, 4));
    check("read bad buffer", (int)read(fd, bad, 4) < 0 ? -1 : 0);
    check("pwrite bad buffer", (int)pwrite(fd, bad, 4, 0));
    close(fd);
    check("getcwd bad buffer", getcwd(bad, 64) ? 0 : -1);
    check("readlink bad buffer", (int)readlink("/proc/self/exe", bad, 64));
    check("mkdir bad path", mkdir(bad, 0755));
    check("rename bad path", rename("b", bad));

    /* a private mapping of a file: its bytes, zeros past the end, a store
     * that stays in the mapping */
    fd = open("b", O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < 5000; i++)
        write(fd, i % 2 ? "ab" : "cd", 2);
    char *m = mmap(NULL, 16384, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 4096);
    if (m == MAP_FAILED) {
        printf("mmap of a file: errno %d\n", errno);
    } else {
        printf("mmap of a file: %.6s, at 5903: %d %d, at 5904: %d\n", m, m[5902], m[5903], m[5904]);
        m[0] = 'X';
        char back[2] = {0};
        pread(fd, back, 1, 4096);
        printf("a private store stays private: %c\n", back[0]);
        munmap(m, 16384);
    }
    close(fd);

    /* clean up */
    check("unlink sub/a2", unlink("sub/a2"));
    check("rmdir sub/deeper", rmdir("sub/deeper"));
    check("rmdir sub", rmdir("sub"));
    check("unlink b", unlink("b"));
    chdir("/");
    check("rmdir /tmp/ft", rmdir("/tmp/ft"));
    return 0;
}
