/*
 * Files of the initramfs: open, read, fstat, lseek, pread, a directory listing
 * (sorted here: the order is the file system's), and the errors of a missing
 * file and a file opened as a directory.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    int fd = open("/data/hello.txt", O_RDONLY);
    char buf[128];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("read %zd bytes: %s", n, buf);
    struct stat st;
    fstat(fd, &st);
    printf("fstat: size %lld, regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
    printf("read at end: %zd\n", read(fd, buf, 10));
    close(fd);
    fd = open("/data/../data/./digits", O_RDONLY);
    n = pread(fd, buf, 4, 10);
    buf[n > 0 ? n : 0] = 0;
    printf("pread 4 at 10: '%s'\n", buf);
    close(fd);
    printf("stat /data/sub: directory %d\n", stat("/data/sub", &st) == 0 && S_ISDIR(st.st_mode));
    DIR *d = opendir("/data");
    char *names[32];
    int k = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && k < 32)
        names[k++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)k, sizeof(names[0]), cmp);
    for (int i = 0; i < k; i++)
        printf("entry %s\n", names[i]);
    errno = 0;
    printf("missing: %s\n",
           open("/data/missing", O_RDONLY) < 0 && errno == ENOENT ? "ENOENT" : "FAIL");
    errno = 0;
    printf("file as directory: %s\n",
           open("/data/hello.txt", O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTDIR ? "ENOTDIR"
                                                                                   : "FAIL");
    return 0;
}
