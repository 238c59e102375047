/*
 * The newc reader (kernel/lib/cpio.c) against archives built here, archives
 * written by Debian's cpio(1) and by tools/mkcpio.py, and malformed ones: each
 * header field with a non-hex digit, every name size out of range, names not
 * terminated where they say, non-zero padding, every truncation of a valid
 * archive, and random corruption (which must give an error or entries that lie
 * inside the buffer, never a crash: ASan and UBSan watch).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cpio.h"

/* An archive under construction. */
struct ar {
    uint8_t b[1 << 16];
    size_t n;
};

static void put(struct ar *a, const void *p, size_t n)
{
    cr_assert_leq(a->n + n, sizeof(a->b));
    memcpy(a->b + a->n, p, n);
    a->n += n;
}

static void pad(struct ar *a)
{
    while (a->n & 3)
        a->b[a->n++] = 0;
}

/* Appends one entry; namesize 0 means strlen(name) + 1. Returns the header offset. */
static size_t entry_raw(struct ar *a, const char *name, uint32_t namesize, uint32_t mode,
                        const void *data, size_t size)
{
    size_t off = a->n;
    char h[CPIO_HEADER_SIZE + 1];
    if (!namesize)
        namesize = (uint32_t)strlen(name) + 1;
    snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08X%08X",
             (unsigned)(off + 1), mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, 0u);
    put(a, h, CPIO_HEADER_SIZE);
    put(a, name, strlen(name) + 1);
    pad(a);
    put(a, data, size);
    pad(a);
    return off;
}

static size_t file(struct ar *a, const char *name, const char *text)
{
    return entry_raw(a, name, 0, CPIO_MODE_REG | 0644, text, strlen(text));
}

static void trailer(struct ar *a)
{
    entry_raw(a, CPIO_TRAILER, 0, 0, "", 0);
}

/* A valid archive of three files and a directory. */
static void sample(struct ar *a)
{
    a->n = 0;
    entry_raw(a, ".", 0, CPIO_MODE_DIR | 0755, "", 0);
    file(a, "init",
         "\x7f"
         "ELF init program");
    file(a, "./test/a.out", "abc");
    file(a, "empty", "");
    trailer(a);
}

/* Field i (0 = ino ... 12 = check) of the header at off. */
static char *field(struct ar *a, size_t off, int i)
{
    return (char *)a->b + off + 6 + 8 * i;
}

static struct ar A;

Test(cpio, empty_buffer_and_trailer_only)
{
    size_t n = 99, where = 99;
    cr_assert_eq(cpio_validate(NULL, 0, &n, &where), CPIO_ERR_NO_TRAILER);
    cr_assert_eq(n, 0);
    cr_assert_eq(where, 0);
    A.n = 0;
    trailer(&A);
    cr_assert_eq(cpio_validate(A.b, A.n, &n, NULL), CPIO_OK);
    cr_assert_eq(n, 0);
    struct cpio_entry e;
    cr_assert_eq(cpio_find(A.b, A.n, "init", &e), CPIO_ERR_NOT_FOUND);
}

Test(cpio, iterate_entries)
{
    sample(&A);
    struct cpio_iter it;
    struct cpio_entry e;
    cpio_iter_init(&it, A.b, A.n);
    const char *names[] = {".", "init", "./test/a.out", "empty"};
    const size_t sizes[] = {0, 17, 3, 0};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(cpio_next(&it, &e), CPIO_OK, "entry %d", i);
        cr_assert_str_eq(e.name, names[i]);
        cr_assert_eq(e.namelen, strlen(names[i]));
        cr_assert_eq(e.size, sizes[i]);
        cr_assert_eq(((uintptr_t)e.data - (uintptr_t)A.b) % 4, 0, "data is 4-aligned");
        cr_assert_eq(cpio_is_regular(&e), i != 0);
        cr_assert_eq(e.ino, e.offset + 1);
    }
    cr_assert_eq(cpio_next(&it, &e), CPIO_END);
    cr_assert_eq(cpio_next(&it, &e), CPIO_END, "end is sticky");
    size_t n;
    cr_assert_eq(cpio_validate(A.b, A.n, &n, NULL), CPIO_OK);
    cr_assert_eq(n, 4);
}

Test(cpio, find_ignores_leading_dot_slash)
{
    sample(&A);
    struct cpio_entry e;
    cr_assert_eq(cpio_find(A.b, A.n, "init", &e), CPIO_OK);
    cr_assert_eq(memcmp(e.data,
                        "\x7f"
                        "ELF init",
                        8),
                 0);
    cr_assert_eq(cpio_find(A.b, A.n, "/init", &e), CPIO_OK);
    cr_assert_eq(cpio_find(A.b, A.n, "./init", &e), CPIO_OK);
    cr_assert_eq(cpio_find(A.b, A.n, "test/a.out", &e), CPIO_OK);
    cr_assert_eq(e.size, 3);
    cr_assert_eq(memcmp(e.data, "abc", 3), 0);
    cr_assert_eq(cpio_find(A.b, A.n, "test", &e), CPIO_ERR_NOT_FOUND);
    cr_assert_eq(cpio_find(A.b, A.n, "ini", &e), CPIO_ERR_NOT_FOUND);
    cr_assert_eq(cpio_find(A.b, A.n, "init2", &e), CPIO_ERR_NOT_FOUND);
    cr_assert_eq(cpio_find(A.b, A.n, "empty", &e), CPIO_OK);
    cr_assert_eq(e.size, 0);
}

Test(cpio, duplicate_names_are_refused_by_find)
{
    A.n = 0;
    file(&A, "init", "one");
    file(&A, "other", "x");
    file(&A, "./init", "two");
    trailer(&A);
    struct cpio_entry e;
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_OK);
    cr_assert_eq(cpio_find(A.b, A.n, "init", &e), CPIO_ERR_DUPLICATE);
    cr_assert_eq(cpio_find(A.b, A.n, "other", &e), CPIO_OK);
}

Test(cpio, find_reports_errors_after_the_match)
{
    A.n = 0;
    file(&A, "init", "one");
    size_t bad = file(&A, "x", "y");
    trailer(&A);
    A.b[bad] = '1';
    struct cpio_entry e;
    size_t where = 0;
    cr_assert_eq(cpio_find(A.b, A.n, "init", &e), CPIO_ERR_MAGIC);
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, &where), CPIO_ERR_MAGIC);
    cr_assert_eq(where, bad);
}

Test(cpio, bad_magic)
{
    const char *magics[] = {"070702", "070707", "070700", "17070701", "\0\0\0\0\0\0"};
    for (unsigned i = 0; i < 5; i++) {
        sample(&A);
        memcpy(A.b, magics[i], 6);
        cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_MAGIC, "magic %u", i);
    }
}

Test(cpio, every_field_must_be_hex)
{
    const char bad[] = {'g', 'G', ' ', '-', 'x', '\0', '/', ':', '@', '`'};
    for (int f = 0; f < 13; f++) {
        for (int pos = 0; pos < 8; pos += 7) {
            for (unsigned b = 0; b < sizeof(bad); b++) {
                sample(&A);
                size_t second = CPIO_HEADER_SIZE + 2; /* after "." and its NUL */
                field(&A, second, f)[pos] = bad[b];
                size_t where = 0;
                cr_assert_eq(cpio_validate(A.b, A.n, NULL, &where), CPIO_ERR_HEX,
                             "field %d pos %d char %#x", f, pos, bad[b]);
                cr_assert_eq(where, second);
            }
        }
    }
}

Test(cpio, uppercase_and_lowercase_hex)
{
    A.n = 0;
    size_t off = file(&A, "f", "0123456789abc"); /* size 0xd */
    trailer(&A);
    struct cpio_entry e;
    memcpy(field(&A, off, 6), "0000000d", 8);
    cr_assert_eq(cpio_find(A.b, A.n, "f", &e), CPIO_OK);
    cr_assert_eq(e.size, 13);
    memcpy(field(&A, off, 6), "0000000D", 8);
    cr_assert_eq(cpio_find(A.b, A.n, "f", &e), CPIO_OK);
    cr_assert_eq(e.size, 13);
}

Test(cpio, name_size_out_of_range)
{
    /* namesize 0 and 1 (empty name), and one past the limit. */
    const uint32_t sizes[] = {0, 1, CPIO_NAME_MAX + 1, 0xffffffff};
    for (unsigned i = 0; i < 4; i++) {
        A.n = 0;
        size_t off = file(&A, "name", "data");
        trailer(&A);
        char v[9];
        snprintf(v, sizeof(v), "%08X", sizes[i]);
        memcpy(field(&A, off, 11), v, 8);
        cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_NAMESIZE, "size %#x", sizes[i]);
    }
}

Test(cpio, name_not_terminated_at_its_size)
{
    /* "name" has size 5; shorter sizes cut it before its NUL, longer ones put the
     * NUL before the end (the next bytes are padding or data). */
    for (uint32_t ns = 2; ns <= 8; ns++) {
        if (ns == 5)
            continue;
        A.n = 0;
        size_t off = file(&A, "name", "data");
        trailer(&A);
        char v[9];
        snprintf(v, sizeof(v), "%08X", ns);
        memcpy(field(&A, off, 11), v, 8);
        cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_NAME, "namesize %u", ns);
    }
    /* A name one byte short of its NUL: "ab" with size 2. */
    A.n = 0;
    entry_raw(&A, "ab", 2, CPIO_MODE_REG, "", 0);
    trailer(&A);
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_NAME);
}

Test(cpio, padding_must_be_zero)
{
    A.n = 0;
    size_t off = file(&A, "ab", "xyzzy"); /* name pad: 110+3 -> 116 (3 bytes) */
    trailer(&A);
    A.b[off + CPIO_HEADER_SIZE + 3] = 1;
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_PADDING);
    A.b[off + CPIO_HEADER_SIZE + 3] = 0;
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_OK);
    A.b[off + 116 + 5] = 'p'; /* data pad: 5 bytes of data, 3 of padding */
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_PADDING);
}

Test(cpio, trailer_with_data_is_refused)
{
    A.n = 0;
    file(&A, "a", "b");
    entry_raw(&A, CPIO_TRAILER, 0, 0, "junk", 4);
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_TRAILER);
}

Test(cpio, missing_trailer)
{
    A.n = 0;
    file(&A, "a", "b");
    size_t where = 0;
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, &where), CPIO_ERR_NO_TRAILER);
    cr_assert_eq(where, A.n);
}

Test(cpio, bytes_after_the_trailer_are_ignored)
{
    sample(&A);
    memset(A.b + A.n, 0xee, 512);
    size_t n;
    cr_assert_eq(cpio_validate(A.b, A.n + 512, &n, NULL), CPIO_OK);
    cr_assert_eq(n, 4);
}

Test(cpio, every_truncation_fails)
{
    sample(&A);
    size_t full = A.n;
    for (size_t len = 0; len < full; len++) {
        /* An exact-size copy, so ASan sees any read past len. */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, A.b, len);
        size_t where = 0;
        enum cpio_err err = cpio_validate(copy, len, NULL, &where);
        cr_assert(err == CPIO_ERR_TRUNCATED || err == CPIO_ERR_NO_TRAILER, "len %zu: %s", len,
                  cpio_strerror(err));
        cr_assert_leq(where, len);
        struct cpio_entry e;
        cr_assert_neq(cpio_find(copy, len, "init", &e), CPIO_OK);
        free(copy);
    }
}

Test(cpio, file_size_past_the_end)
{
    const uint32_t sizes[] = {0x7fffffff, 0xffffffff, 0x1000};
    for (unsigned i = 0; i < 3; i++) {
        A.n = 0;
        size_t off = file(&A, "f", "data");
        trailer(&A);
        char v[9];
        snprintf(v, sizeof(v), "%08X", sizes[i]);
        memcpy(field(&A, off, 6), v, 8);
        cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_ERR_TRUNCATED);
    }
}

/* Random corruption: every result is an error or entries wholly inside the buffer. */
Test(cpio, random_corruption)
{
    srand(6);
    for (int round = 0; round < 20000; round++) {
        sample(&A);
        int flips = 1 + rand() % 4;
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)rand() % A.n;
            A.b[at] = (rand() & 1) ? (uint8_t)rand() : (uint8_t) "0123456789abcdef"[rand() % 16];
        }
        size_t len = (rand() % 4) ? A.n : (size_t)rand() % (A.n + 1);
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, A.b, len);
        struct cpio_iter it;
        struct cpio_entry e;
        enum cpio_err err;
        cpio_iter_init(&it, copy, len);
        while ((err = cpio_next(&it, &e)) == CPIO_OK) {
            const uint8_t *d = e.data;
            cr_assert(d >= copy && d + e.size <= copy + len);
            cr_assert((const uint8_t *)e.name + e.namelen < copy + len);
            cr_assert_eq(e.name[e.namelen], 0);
            cr_assert_eq(strlen(e.name), e.namelen);
        }
        cr_assert(err > CPIO_OK && err < CPIO_ERR_COUNT);
        cr_assert(err != CPIO_ERR_NOT_FOUND && err != CPIO_ERR_DUPLICATE);
        free(copy);
    }
}

/* Reads path into A. */
static void slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "open %s", path);
    A.n = fread(A.b, 1, sizeof(A.b), f);
    cr_assert(feof(f), "%s is too large for the test buffer", path);
    fclose(f);
}

/* The same files through Debian's cpio(1) and through tools/mkcpio.py. */
static void check_tool_archive(const char *writer)
{
    char dir[] = "/tmp/weft-cpio-XXXXXX", cmd[512], path[600];
    cr_assert(mkdtemp(dir));
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/in/sub && printf 'hello' > %s/in/init && printf '%%s' 123456 > "
             "%s/in/sub/x && : > %s/in/zero",
             dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0);
    if (!strcmp(writer, "cpio"))
        snprintf(cmd, sizeof(cmd),
                 "cd %s/in && find . | LC_ALL=C sort | cpio -o -H newc --quiet > %s/a.cpio", dir,
                 dir);
    else
        snprintf(cmd, sizeof(cmd),
                 "python3 tools/mkcpio.py -o %s/a.cpio init=%s/in/init sub/x=%s/in/sub/x "
                 "zero=%s/in/zero",
                 dir, dir, dir, dir);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    snprintf(path, sizeof(path), "%s/a.cpio", dir);
    slurp(path);
    struct cpio_entry e;
    cr_assert_eq(cpio_validate(A.b, A.n, NULL, NULL), CPIO_OK, "%s", writer);
    cr_assert_eq(cpio_find(A.b, A.n, "init", &e), CPIO_OK);
    cr_assert_eq(e.size, 5);
    cr_assert_eq(memcmp(e.data, "hello", 5), 0);
    cr_assert(cpio_is_regular(&e));
    cr_assert_eq(cpio_find(A.b, A.n, "sub/x", &e), CPIO_OK);
    cr_assert_eq(e.size, 6);
    cr_assert_eq(memcmp(e.data, "123456", 6), 0);
    cr_assert_eq(cpio_find(A.b, A.n, "zero", &e), CPIO_OK);
    cr_assert_eq(e.size, 0);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(cpio, reads_debian_cpio_output)
{
    check_tool_archive("cpio");
}

Test(cpio, reads_mkcpio_output)
{
    check_tool_archive("mkcpio");
}

Test(cpio, error_strings)
{
    for (int e = 0; e < CPIO_ERR_COUNT; e++)
        cr_assert(cpio_strerror(e) && *cpio_strerror(e), "error %d", e);
    cr_assert_str_eq(cpio_strerror(CPIO_ERR_COUNT), "unknown error");
}
