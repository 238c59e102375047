/*
 * What a program finds at its start: argc, argv, envp and the auxiliary
 * vector (values both systems must agree on are printed; the others checked).
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;
extern const char _start[];

int main(int argc, char **argv)
{
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] '%s'\n", i, argv[i]);
    printf("argv[argc] %s\n", argv[argc] ? "set" : "NULL");
    for (char **e = environ; *e; e++)
        printf("env '%s'\n", *e);
    printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
    printf("AT_UID %lu AT_EUID %lu AT_GID %lu AT_EGID %lu\n", getauxval(AT_UID), getauxval(AT_EUID),
           getauxval(AT_GID), getauxval(AT_EGID));
    printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK %lu\n", getauxval(AT_CLKTCK));
    printf("AT_HWCAP %#lx\n", getauxval(AT_HWCAP));
    printf("AT_PHENT %lu\n", getauxval(AT_PHENT));
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long n = getauxval(AT_PHNUM), loads = 0;
    for (unsigned long i = 0; ph && i < n; i++)
        loads += ph[i].p_type == PT_LOAD;
    printf("AT_PHDR: %lu headers, %lu loadable\n", n, loads);
    printf("AT_ENTRY is _start: %s\n", getauxval(AT_ENTRY) == (unsigned long)_start ? "yes" : "no");
    const char *fn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN '%s'\n", fn ? fn : "(none)");
    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    int nonzero = 0;
    for (int i = 0; r && i < 16; i++)
        nonzero |= r[i];
    printf("AT_RANDOM: %s\n", r && nonzero ? "16 bytes" : "missing");
    return 0;
}
