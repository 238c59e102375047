/*
 * execfs: execve of programs and "#!" scripts that live in /tmp (the file
 * server under lx, tmpfs under Linux), not in the initramfs. A copy of
 * /bin/fork is made in /tmp and run with argv and envp ("fork show" prints
 * them and exits 5); a script there runs it as its interpreter (both also
 * by paths relative to the working directory), another runs
 * busybox sh; the copy is then replaced by /bin/hello and run again (the new
 * program runs, not the old one); then execve's errors for files there: no
 * execute bit, a directory, a missing file, bytes that are no program, a
 * script whose interpreter is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "errname.h"

#define DIR "/tmp/execfs"

static void fail(const char *what)
{
    printf("execfs: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Writes len bytes of data to path with mode. */
static void put(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0)
        fail(path);
    if (chmod(path, mode) != 0)
        fail("chmod");
}

/* Copies the file at from to to with mode. */
static void copy(const char *from, const char *to, mode_t mode)
{
    static char buf[1 << 20];
    int fd = open(from, O_RDONLY);
    if (fd < 0)
        fail(from);
    ssize_t n, len = 0;
    while ((n = read(fd, buf + len, sizeof(buf) - (size_t)len)) > 0)
        len += n;
    close(fd);
    put(to, buf, (size_t)len, mode);
}

/* Runs path with argv in a child: prints how it ended, or execve's errno. */
static void run(const char *path, char *const argv[])
{
    char *envp[] = {"WHERE=tmp", "K=v w", NULL};
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execve(path, argv, envp);
        printf("execve %s: %s\n", path, errname(errno));
        fflush(stdout);
        _exit(99);
    }
    int st;
    if (waitpid(c, &st, 0) != c)
        fail("waitpid");
    if (WIFEXITED(st) && WEXITSTATUS(st) != 99)
        printf("%s: exit %d\n", path, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: signal %d\n", path, WTERMSIG(st));
}

int main(void)
{
    if (mkdir(DIR, 0755) != 0 && errno != EEXIST)
        fail("mkdir");
    copy("/bin/fork", DIR "/prog", 0755);
    run(DIR "/prog", (char *[]){"prog", "show", "one two", "three", NULL});

    static const char script[] = "#!" DIR "/prog show\nnot read by the interpreter\n";
    put(DIR "/s1", script, sizeof(script) - 1, 0755);
    run(DIR "/s1", (char *[]){"s1", "x", "y", NULL});

    /* relative to the working directory; a script gets its path as given */
    if (chdir(DIR) != 0)
        fail("chdir");
    run("./prog", (char *[]){"prog", "show", "relative", NULL});
    run("s1", (char *[]){"s1", NULL});
    if (chdir("/") != 0)
        fail("chdir /");

    static const char sh[] = "#!/bin/busybox sh\necho script in tmp: $# $1 $WHERE\nexit 7\n";
    put(DIR "/s2", sh, sizeof(sh) - 1, 0755);
    run(DIR "/s2", (char *[]){"s2", "arg", NULL});

    copy("/bin/hello", DIR "/prog", 0755); /* replaced: the new program runs */
    run(DIR "/prog", (char *[]){"prog", "show", NULL});

    copy("/bin/hello", DIR "/noexec", 0644);
    run(DIR "/noexec", (char *[]){"noexec", NULL});
    run(DIR, (char *[]){"dir", NULL});
    run(DIR "/missing", (char *[]){"missing", NULL});
    static const char junk[] = "these bytes are no program\n";
    put(DIR "/junk", junk, sizeof(junk) - 1, 0755);
    run(DIR "/junk", (char *[]){"junk", NULL});
    static const char lost[] = "#!" DIR "/nointerp\n";
    put(DIR "/s3", lost, sizeof(lost) - 1, 0755);
    run(DIR "/s3", (char *[]){"s3", NULL});

    static const char *const files[] = {"prog", "s1", "s2", "noexec", "junk", "s3"};
    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[64];
        snprintf(path, sizeof(path), DIR "/%s", files[i]);
        if (unlink(path) != 0)
            fail("unlink");
    }
    if (rmdir(DIR) != 0)
        fail("rmdir");
    printf("execfs: done\n");
    return 0;
}
