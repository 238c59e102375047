/*
 * CPIO newc reader (see lib/cpio.h).
 *
 * The format (cpio(5), "New ASCII Format", as written by `cpio -o -H newc` and
 * read by Linux's initramfs code): each entry is a 110-byte header, the name,
 * zero padding to a multiple of 4 bytes from the archive start, the data, and
 * zero padding to 4 again. The header is the magic "070701" and 13 fields of
 * exactly 8 hex digits: ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
 * devminor, rdevmajor, rdevminor, namesize (with the NUL) and check (zero for
 * this variant; readers ignore it, but it must still be hex). An entry named
 * "TRAILER!!!" with no data ends the archive.
 *
 * Choices where readers differ: only 070701 is accepted (070702 promises a
 * checksum we would have to verify); padding must be zero and present (a
 * corrupt or shifted archive shows up at once instead of as a garbage name);
 * the archive must end with a trailer (a truncated initramfs is an error, not a
 * shorter file list); names are compared after dropping leading "./" and "/",
 * which is how `find . | cpio` and hand-made lists differ.
 *
 * Arithmetic: every offset is checked against the remaining length before it is
 * added, so nothing overflows whatever the header says (fields are 32 bits,
 * offsets size_t).
 */
#include "lib/cpio.h"

enum {
    F_INO,
    F_MODE,
    F_UID,
    F_GID,
    F_NLINK,
    F_MTIME,
    F_FILESIZE,
    F_DEVMAJOR,
    F_DEVMINOR,
    F_RDEVMAJOR,
    F_RDEVMINOR,
    F_NAMESIZE,
    F_CHECK,
    F_COUNT
};

/* Parses 8 hex digits. Returns false on any other character. */
static bool hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* Bytes of padding that bring offset off to a multiple of 4. */
static size_t pad4(size_t off)
{
    return (4 - (off & 3)) & 3;
}

static bool zeros(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bool is_trailer(const char *name, size_t len)
{
    static const char t[] = CPIO_TRAILER;
    if (len != sizeof(t) - 1)
        return false;
    for (size_t i = 0; i < len; i++)
        if (name[i] != t[i])
            return false;
    return true;
}

void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len)
{
    it->base = buf;
    it->len = buf ? len : 0;
    it->off = 0;
    it->stop = CPIO_OK;
}

/* Decodes the entry at it->off into *e and returns where the next one starts
 * (through *next); no state changes here. */
static enum cpio_err decode(const struct cpio_iter *it, struct cpio_entry *e, size_t *next)
{
    size_t off = it->off, left = it->len - off;
    if (left == 0)
        return CPIO_ERR_NO_TRAILER;
    if (left < CPIO_HEADER_SIZE)
        return CPIO_ERR_TRUNCATED;
    const uint8_t *h = it->base + off;
    static const char magic[6] = {'0', '7', '0', '7', '0', '1'};
    for (int i = 0; i < 6; i++)
        if (h[i] != (uint8_t)magic[i])
            return CPIO_ERR_MAGIC;
    uint32_t f[F_COUNT];
    for (int i = 0; i < F_COUNT; i++)
        if (!hex8(h + 6 + 8 * i, &f[i]))
            return CPIO_ERR_HEX;
    if (f[F_NAMESIZE] < 2 || f[F_NAMESIZE] > CPIO_NAME_MAX)
        return CPIO_ERR_NAMESIZE;

    size_t pos = off + CPIO_HEADER_SIZE; /* <= it->len */
    size_t nsize = f[F_NAMESIZE];
    if (nsize > it->len - pos)
        return CPIO_ERR_TRUNCATED;
    const char *name = (const char *)(it->base + pos);
    size_t nlen = 0;
    while (nlen < nsize && name[nlen])
        nlen++;
    if (nlen != nsize - 1)
        return CPIO_ERR_NAME;
    pos += nsize;
    size_t p = pad4(pos);
    if (p > it->len - pos)
        return CPIO_ERR_TRUNCATED;
    if (!zeros(it->base + pos, p))
        return CPIO_ERR_PADDING;
    pos += p;

    size_t fsize = f[F_FILESIZE];
    if (fsize > it->len - pos)
        return CPIO_ERR_TRUNCATED;
    const uint8_t *data = it->base + pos;
    pos += fsize;
    p = pad4(pos);
    if (p > it->len - pos)
        return CPIO_ERR_TRUNCATED;
    if (!zeros(it->base + pos, p))
        return CPIO_ERR_PADDING;
    pos += p;

    e->name = name;
    e->namelen = nlen;
    e->data = data;
    e->size = fsize;
    e->mode = f[F_MODE];
    e->ino = f[F_INO];
    e->nlink = f[F_NLINK];
    e->mtime = f[F_MTIME];
    e->offset = off;
    *next = pos;
    if (is_trailer(name, nlen))
        return fsize ? CPIO_ERR_TRAILER : CPIO_END;
    return CPIO_OK;
}

enum cpio_err cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
    if (it->stop != CPIO_OK)
        return it->stop;
    struct cpio_entry tmp;
    size_t next = 0;
    enum cpio_err err = decode(it, &tmp, &next);
    if (err != CPIO_OK) {
        it->stop = err;
        return err;
    }
    *e = tmp;
    it->off = next;
    return CPIO_OK;
}

enum cpio_err cpio_validate(const void *buf, size_t len, size_t *count, size_t *where)
{
    struct cpio_iter it;
    struct cpio_entry e;
    size_t n = 0;
    enum cpio_err err;
    cpio_iter_init(&it, buf, len);
    while ((err = cpio_next(&it, &e)) == CPIO_OK)
        n++;
    if (count)
        *count = n;
    if (err == CPIO_END)
        return CPIO_OK;
    if (where)
        *where = it.off;
    return err;
}

/* name without its leading "/" and "./" components. */
static const char *strip(const char *name)
{
    for (;;) {
        if (name[0] == '/')
            name++;
        else if (name[0] == '.' && name[1] == '/')
            name += 2;
        else
            return name;
    }
}

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

enum cpio_err cpio_find(const void *buf, size_t len, const char *name, struct cpio_entry *e)
{
    struct cpio_iter it;
    struct cpio_entry cur;
    bool found = false;
    enum cpio_err err;
    const char *want = strip(name);
    cpio_iter_init(&it, buf, len);
    while ((err = cpio_next(&it, &cur)) == CPIO_OK) {
        if (!same(strip(cur.name), want))
            continue;
        if (found)
            return CPIO_ERR_DUPLICATE;
        found = true;
        *e = cur;
    }
    if (err != CPIO_END)
        return err;
    return found ? CPIO_OK : CPIO_ERR_NOT_FOUND;
}

const char *cpio_strerror(enum cpio_err err)
{
    static const char *const msg[CPIO_ERR_COUNT] = {
        [CPIO_OK] = "no error",
        [CPIO_END] = "end of archive",
        [CPIO_ERR_TRUNCATED] = "entry runs past the end of the archive",
        [CPIO_ERR_MAGIC] = "bad magic (not a newc \"070701\" header)",
        [CPIO_ERR_HEX] = "header field is not 8 hex digits",
        [CPIO_ERR_NAMESIZE] = "name size out of range",
        [CPIO_ERR_NAME] = "name is not NUL-terminated at its size",
        [CPIO_ERR_PADDING] = "padding byte is not zero",
        [CPIO_ERR_TRAILER] = "trailer entry has data",
        [CPIO_ERR_NO_TRAILER] = "archive ends without a trailer",
        [CPIO_ERR_NOT_FOUND] = "no such file",
        [CPIO_ERR_DUPLICATE] = "file name appears twice",
    };
    return (unsigned)err < CPIO_ERR_COUNT ? msg[err] : "unknown error";
}
