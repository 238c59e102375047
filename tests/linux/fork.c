/*
 * Processes: fork (copy-on-write both ways, getppid right after), vfork,
 * wait4 and waitid with Linux's status words (exit, a signal from kill, a real
 * fault), WNOHANG while a child runs, ECHILD, zombies reaped once, process
 * groups and sessions, an orphan passed to pid 1, and execve with argv and envp
 * (of a program and of a "#!" script). Run as "fork show ARGS..." it prints
 * its arguments and environment and exits 5 (the programs execve starts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static int shared = 1;

static void status(const char *what, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: status %#x\n", what, st);
}

static int show(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        printf("argv[%d] = %s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    return 5;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "show"))
        return show(argc, argv);
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t me = getpid();

    /* fork: the child sees its parent, each side's writes stay its own */
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: getppid is the parent: %s\n", getppid() == me ? "yes" : "no");
        printf("child: shared = %d\n", shared);
        shared = 2;
        _exit(7);
    }
    shared = 3;
    int st = 0;
    pid_t got = waitpid(pid, &st, 0);
    printf("waitpid returned the child: %s\n", got == pid ? "yes" : "no");
    status("fork", st);
    printf("parent: shared = %d\n", shared);
    errno = 0;
    got = waitpid(pid, &st, 0);
    printf("waitpid again: %d %s\n", (int)got, errno == ECHILD ? "ECHILD" : "?");

    /* WNOHANG while the child waits on a pipe */
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid = fork();
    if (pid == 0) {
        char c;
        close(p[1]);
        ssize_t n = read(p[0], &c, 1);
        _exit(n == 1 ? c : 99);
    }
    close(p[0]);
    printf("WNOHANG while it runs: %d\n", (int)waitpid(pid, &st, WNOHANG));
    write(p[1], "\x2a", 1);
    close(p[1]);
    waitpid(pid, &st, 0);
    status("after the pipe", st);

    /* a signal's status word: kill, then a real fault */
    pid = fork();
    if (pid == 0) {
        kill(getpid(), SIGTERM);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    status("kill SIGTERM", st);
    pid = fork();
    if (pid == 0) {
        volatile int *null = (volatile int *)(uintptr_t)(argc - argc);
        *null = 1;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    status("null write", st);
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    status("kill from the parent", st);

    /* waitid */
    pid = fork();
    if (pid == 0)
        _exit(3);
    siginfo_t si;
    memset(&si, 0xff, sizeof(si));
    int r = waitid(P_PID, (id_t)pid, &si, WEXITED);
    printf("waitid: %d signo %d code %d pid ok %s status %d\n", r, si.si_signo, si.si_code,
           si.si_pid == pid ? "yes" : "no", si.si_status);

    /* vfork: the parent goes on once the child has ended */
    pid = vfork();
    if (pid == 0)
        _exit(9);
    waitpid(pid, &st, 0);
    status("vfork", st);

    /* process groups and sessions */
    pid = fork();
    if (pid == 0) {
        printf("child: setsid gives its pid: %s\n", setsid() == getpid() ? "yes" : "no");
        printf("child: getsid, getpgrp are its pid: %s\n",
               getsid(0) == getpid() && getpgrp() == getpid() ? "yes" : "no");
        errno = 0;
        pid_t again = setsid();
        printf("child: setsid again: %d %s\n", (int)again, errno == EPERM ? "EPERM" : "?");
        _exit(0);
    }
    waitpid(pid, &st, 0);
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    printf("setpgid(child): %d\n", setpgid(pid, pid));
    printf("getpgid(child) is its pid: %s\n", getpgid(pid) == pid ? "yes" : "no");
    printf("our group differs: %s\n", getpgrp() != pid ? "yes" : "no");
    kill(-pid, SIGKILL); /* the whole group */
    waitpid(pid, &st, 0);
    status("group killed", st);

    /* an orphan: its parent ends, it passes to pid 1 */
    int q[2], o[2];
    pipe(q);
    pipe(o);
    pid = fork();
    if (pid == 0) {
        if (fork() == 0) {
            char c;
            close(q[1]);
            close(o[0]);
            read(q[0], &c, 1); /* end of file once its parent has ended */
            char line[32];
            int n = snprintf(line, sizeof(line), "orphan's parent: %d\n", (int)getppid());
            write(o[1], line, (size_t)n);
            _exit(0);
        }
        _exit(0);
    }
    close(q[0]);
    close(q[1]);
    close(o[1]);
    waitpid(pid, &st, 0);
    char buf[64];
    ssize_t n = read(o[0], buf, sizeof(buf));
    if (n > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    close(o[0]);

    errno = 0;
    got = wait(&st);
    printf("no child left: %d %s\n", (int)got, errno == ECHILD ? "ECHILD" : "?");

    /* execve: a program, then a script */
    char *const env[] = {"ONE=1", "TWO=two", NULL};
    pid = fork();
    if (pid == 0) {
        char *const av[] = {"fork", "show", "a b", "c", NULL};
        execve("/bin/fork", av, env);
        _exit(100 + errno);
    }
    waitpid(pid, &st, 0);
    status("execve", st);
    pid = fork();
    if (pid == 0) {
        char *const av[] = {"script", "x", NULL};
        execve("/data/script", av, env);
        _exit(100 + errno);
    }
    waitpid(pid, &st, 0);
    status("execve of a script", st);
    errno = 0;
    r = execve("/data/hello.txt", (char *const[]){"x", NULL}, env);
    printf("execve of a data file: %d %s\n", r, errno == EACCES ? "EACCES" : "?");
    errno = 0;
    r = execve("/nothing", (char *const[]){"x", NULL}, env);
    printf("execve of nothing: %d %s\n", r, errno == ENOENT ? "ENOENT" : "?");
    return 0;
}
