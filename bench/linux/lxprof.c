/*
 * lxprof: the loops of getppid.c and pipe.c between two marker functions, for
 * bench/linux/lxprofile.py, which traces every instruction of a boot of lx
 * running it and counts those between the first call of prof_begin and the
 * next of prof_end. Linked at 0x10000000 (lx is at 0x400000), so that an
 * address tells the program from lx.
 *
 *   lxprof getppid|pipe N    N calls or round trips after 200 (300) untimed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void prof_begin(void)
{
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void prof_end(void)
{
    __asm__ volatile("" ::: "memory");
}

static void round_trip(int to, int from, unsigned i)
{
    unsigned char c = (unsigned char)i, r = 0;
    if (write(to, &c, 1) != 1 || read(from, &r, 1) != 1 || r != c)
        exit(3);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "getppid") && strcmp(argv[1], "pipe"))) {
        fprintf(stderr, "usage: lxprof getppid|pipe N\n");
        return 2;
    }
    int n = atoi(argv[2]);
    if (!strcmp(argv[1], "getppid")) {
        for (int i = 0; i < 200; i++)
            getppid();
        prof_begin();
        for (int i = 0; i < n; i++)
            getppid();
        prof_end();
        printf("lxprof: getppid done\n");
        return 0;
    }
    int req[2], ans[2];
    if (pipe(req) != 0 || pipe(ans) != 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        unsigned char c;
        close(req[1]);
        close(ans[0]);
        while (read(req[0], &c, 1) == 1)
            if (write(ans[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    close(req[0]);
    close(ans[1]);
    for (int i = 0; i < 300; i++)
        round_trip(req[1], ans[0], (unsigned)i);
    prof_begin();
    for (int i = 0; i < n; i++)
        round_trip(req[1], ans[0], (unsigned)i);
    prof_end();
    close(req[1]);
    int st;
    waitpid(child, &st, 0);
    printf("lxprof: pipe done, child status %d\n", st);
    return 0;
}
