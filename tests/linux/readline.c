/*
 * readline: one line typed on the console (tests/linux/run.py types it once
 * the prompt is out) arrives through read(0) with its newline, as from Linux's
 * serial terminal in cooked mode.
 */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    printf("type a line:\n");
    fflush(stdout);
    char buf[128];
    ssize_t n = read(0, buf, sizeof(buf) - 1);
    if (n < 0)
        n = 0;
    buf[n] = 0;
    printf("read %zd bytes: '%s'\n", n, buf);
    return 0;
}
