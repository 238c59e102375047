/*
 * Pipes: pipe and pipe2, a read of an empty pipe that waits for a writer in
 * another process, 200 KiB through a pipe of a smaller buffer (the writer
 * waits for the reader), end of file once every writer is closed, EPIPE with
 * SIGPIPE ignored and the SIGPIPE status when it is not, O_NONBLOCK (EAGAIN),
 * fstat (a FIFO), lseek (ESPIPE), dup2 of a pipe onto descriptor 1 before
 * execve (the new program writes into the pipe), and close-on-exec. Run as
 * "pipe isopen N" it says whether descriptor N is open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (200 * 1024)

static void status(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: signal %d\n", what, WTERMSIG(st));
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "isopen")) {
        int fd = atoi(argv[2]);
        printf("descriptor %d is %s\n", fd, fcntl(fd, F_GETFD) < 0 ? "closed" : "open");
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int p[2];
    printf("pipe: %d\n", pipe(p));
    struct stat st;
    fstat(p[0], &st);
    printf("fstat: FIFO %s\n", S_ISFIFO(st.st_mode) ? "yes" : "no");
    errno = 0;
    printf("lseek: %d %s\n", (int)lseek(p[0], 0, SEEK_SET), errno == ESPIPE ? "ESPIPE" : "?");
    printf("F_GETFL: read end %d, write end %d\n", fcntl(p[0], F_GETFL) & O_ACCMODE,
           fcntl(p[1], F_GETFL) & O_ACCMODE);

    /* the reader waits for a writer in another process */
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        for (int i = 0; i < 3; i++) {
            char line[16];
            int n = snprintf(line, sizeof(line), "line %d\n", i);
            write(p[1], line, (size_t)n);
        }
        _exit(0);
    }
    close(p[1]);
    char buf[4096];
    size_t total = 0;
    ssize_t n;
    while ((n = read(p[0], buf + total, sizeof(buf) - 1 - total)) > 0)
        total += (size_t)n;
    buf[total] = 0;
    printf("read until end of file (%zd):\n%s", n, buf);
    close(p[0]);
    int s;
    waitpid(pid, &s, 0);

    /* 200 KiB: the writer waits for room */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        static char data[BIG];
        for (int i = 0; i < BIG; i++)
            data[i] = (char)(i * 7);
        size_t done = 0;
        while (done < BIG) {
            ssize_t w = write(p[1], data + done, BIG - done);
            if (w <= 0)
                _exit(1);
            done += (size_t)w;
        }
        _exit(0);
    }
    close(p[1]);
    unsigned long sum = 0, got = 0;
    int bad = 0;
    while ((n = read(p[0], buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            bad += buf[i] != (char)((got + (unsigned long)i) * 7);
            sum += (unsigned char)buf[i];
        }
        got += (unsigned long)n;
    }
    printf("200 KiB through a pipe: %lu bytes, sum %lu, %d wrong\n", got, sum, bad);
    waitpid(pid, &s, 0);
    status("the writer", s);
    close(p[0]);

    /* no reader left: EPIPE when SIGPIPE is ignored, else the signal */
    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    n = write(p[1], "x", 1);
    printf("write with no reader: %d %s\n", (int)n, errno == EPIPE ? "EPIPE" : "?");
    signal(SIGPIPE, SIG_DFL);
    pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    waitpid(pid, &s, 0);
    status("write with no reader, SIGPIPE not ignored", s);
    close(p[1]);

    /* O_NONBLOCK, and close-on-exec */
    printf("pipe2: %d\n", pipe2(p, O_NONBLOCK | O_CLOEXEC));
    errno = 0;
    n = read(p[0], buf, 1);
    printf("empty, O_NONBLOCK: %d %s\n", (int)n, errno == EAGAIN ? "EAGAIN" : "?");
    printf("F_GETFD: %d\n", fcntl(p[0], F_GETFD));
    int keep = dup(p[0]);
    pid = fork();
    if (pid == 0) {
        char a[8], b[8];
        snprintf(a, sizeof(a), "%d", p[0]);
        snprintf(b, sizeof(b), "%d", keep);
        if (fork() == 0)
            execl("/bin/pipe", "pipe", "isopen", a, NULL);
        wait(NULL);
        execl("/bin/pipe", "pipe", "isopen", b, NULL);
        _exit(127);
    }
    waitpid(pid, &s, 0);
    close(p[0]);
    close(p[1]);
    close(keep);

    /* dup2 onto descriptor 1, then execve: the output comes through the pipe */
    pipe(p);
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl("/bin/hello", "hello", NULL);
        _exit(127);
    }
    close(p[1]);
    total = 0;
    while ((n = read(p[0], buf + total, sizeof(buf) - 1 - total)) > 0)
        total += (size_t)n;
    buf[total] = 0;
    printf("through the pipe: %s", buf);
    waitpid(pid, &s, 0);
    status("hello", s);
    return 0;
}
