/*
 * CPIO "newc" archives (the initramfs format): iterate the entries, look one up
 * by name. Shared by the kernel (kernel/core/initramfs.c) and userspace (init
 * reads the same archive); pure code over a byte buffer, with no kernel
 * dependency, so the same file is host-tested and fuzzed.
 *
 * The archive is never trusted: every header field is checked before use, and
 * an entry is returned only when its header, name, padding and data all lie
 * inside the buffer. Errors say what is wrong and iterators keep the offset of
 * the header at fault.
 */
#ifndef WEFT_LIB_CPIO_H
#define WEFT_LIB_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CPIO_HEADER_SIZE 110  /* "070701" and 13 fields of 8 hex digits */
#define CPIO_NAME_MAX    4096 /* longest name accepted, with its NUL */
#define CPIO_TRAILER     "TRAILER!!!"

/* File type bits of cpio_entry.mode (as POSIX st_mode). */
#define CPIO_MODE_TYPE 0170000u
#define CPIO_MODE_REG  0100000u
#define CPIO_MODE_DIR  0040000u
#define CPIO_MODE_LNK  0120000u

enum cpio_err {
    CPIO_OK = 0,
    CPIO_END,            /* the trailer was reached (iteration only) */
    CPIO_ERR_TRUNCATED,  /* a header, name, data or padding runs past the buffer */
    CPIO_ERR_MAGIC,      /* not "070701" (odc, binary and the crc variant are refused) */
    CPIO_ERR_HEX,        /* a header field has a character that is not a hex digit */
    CPIO_ERR_NAMESIZE,   /* name size 0, 1 (empty name) or above CPIO_NAME_MAX */
    CPIO_ERR_NAME,       /* the name is not NUL-terminated exactly at its size */
    CPIO_ERR_PADDING,    /* a padding byte is not zero */
    CPIO_ERR_TRAILER,    /* the trailer entry has data */
    CPIO_ERR_NO_TRAILER, /* the buffer ends (exactly, between entries) without a trailer */
    CPIO_ERR_NOT_FOUND,  /* cpio_find: no entry of that name */
    CPIO_ERR_DUPLICATE,  /* cpio_find: two entries of that name */
    CPIO_ERR_COUNT
};

struct cpio_entry {
    const char *name; /* NUL-terminated, inside the archive */
    size_t namelen;   /* strlen(name) */
    const void *data; /* the file's bytes, inside the archive */
    size_t size;      /* their number */
    uint32_t mode;    /* type and permission bits */
    uint32_t ino;
    uint32_t nlink;
    uint32_t mtime;
    size_t offset; /* offset of the entry's header in the archive */
};

struct cpio_iter {
    const uint8_t *base;
    size_t len;
    size_t off;         /* offset of the next header, or of the header at fault */
    enum cpio_err stop; /* CPIO_OK while entries may follow; else the sticky result */
};

/* Starts an iteration over the len bytes at buf (buf may be NULL when len is 0). */
void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len);

/* Reads the next entry into *e. Returns CPIO_OK with *e filled, CPIO_END at the
 * trailer, or an error (it->off is then the offset of the faulty header). Once it
 * has returned anything but CPIO_OK it returns the same value again. Bytes after
 * the trailer (the block padding cpio(1) writes) are ignored. */
enum cpio_err cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/* Walks the whole archive. Returns CPIO_OK if every entry is well formed and a
 * trailer ends it; *count (may be NULL) receives the number of entries before
 * the trailer. On an error *where (may be NULL) receives the faulty offset. */
enum cpio_err cpio_validate(const void *buf, size_t len, size_t *count, size_t *where);

/* Looks up name (a leading "/" or "./" on either side is ignored) and fills *e.
 * Walks the whole archive, so CPIO_OK also means the archive is valid and the
 * name is unique; otherwise returns the walk's error, CPIO_ERR_DUPLICATE or
 * CPIO_ERR_NOT_FOUND. */
enum cpio_err cpio_find(const void *buf, size_t len, const char *name, struct cpio_entry *e);

/* True for a regular file. */
static inline bool cpio_is_regular(const struct cpio_entry *e)
{
    return (e->mode & CPIO_MODE_TYPE) == CPIO_MODE_REG;
}

/* A short English description of an error ("header field is not hex", ...). */
const char *cpio_strerror(enum cpio_err err);

#endif
