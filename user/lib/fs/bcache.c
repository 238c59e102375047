/*
 * The write-back block cache (bcache.h). A hit costs a hash of the block number, a
 * walk of a short chain (the table has at least twice as many heads as entries) and a
 * copy of the block; a miss picks the least recently used entry by a linear scan,
 * writes it back if dirty and reads the new block in place. The scan is O(n) but a
 * miss costs a device request (an IPC and a DMA transfer) anyway.
 */
#include "bcache.h"

#include <string.h>

static uint32_t hash(const struct bcache *c, uint64_t blk)
{
    return (uint32_t)((blk * 0x9E3779B97F4A7C15ull) >> 32) & (c->nhash - 1);
}

static uint8_t *mem_of(const struct bcache *c, uint32_t i)
{
    return c->mem + (size_t)i * c->under.block_size;
}

static uint32_t find(const struct bcache *c, uint64_t blk)
{
    for (uint32_t i = c->head[hash(c, blk)]; i != BCACHE_NONE; i = c->ent[i].next)
        if (c->ent[i].blk == blk)
            return i;
    return BCACHE_NONE;
}

static void unhash(struct bcache *c, uint32_t i)
{
    uint32_t *p = &c->head[hash(c, c->ent[i].blk)];
    while (*p != i)
        p = &c->ent[*p].next;
    *p = c->ent[i].next;
    c->ent[i].valid = false;
}

/* An entry for blk: an unused one, else the least recently used (written back). */
static int victim(struct bcache *c, uint64_t blk, uint32_t *out)
{
    uint32_t best = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        if (!c->ent[i].valid) {
            best = i;
            break;
        }
        if (c->ent[i].used < c->ent[best].used)
            best = i;
    }
    struct bcache_ent *e = &c->ent[best];
    if (e->valid) {
        if (e->dirty) {
            if (c->under.write(c->under.ctx, e->blk, mem_of(c, best)))
                return -1;
            c->writes++;
            e->dirty = false;
        }
        unhash(c, best);
    }
    e->blk = blk;
    e->valid = true;
    e->next = c->head[hash(c, blk)];
    c->head[hash(c, blk)] = best;
    *out = best;
    return 0;
}

static int c_read(void *ctx, uint64_t blk, void *buf)
{
    struct bcache *c = ctx;
    uint32_t i = find(c, blk);
    if (i != BCACHE_NONE) {
        c->hits++;
    } else {
        if (victim(c, blk, &i))
            return -1;
        if (c->under.read(c->under.ctx, blk, mem_of(c, i))) {
            unhash(c, i);
            return -1;
        }
        c->reads++;
    }
    c->ent[i].used = ++c->tick;
    memcpy(buf, mem_of(c, i), c->under.block_size);
    return 0;
}

static int c_write(void *ctx, uint64_t blk, const void *buf)
{
    struct bcache *c = ctx;
    uint32_t i = find(c, blk);
    if (i != BCACHE_NONE)
        c->hits++;
    else if (victim(c, blk, &i))
        return -1;
    c->ent[i].used = ++c->tick;
    c->ent[i].dirty = true;
    memcpy(mem_of(c, i), buf, c->under.block_size);
    return 0;
}

enum ext2_err bcache_init(struct bcache *c, const struct ext2_blockdev *under,
                          const struct ext2_env *env, void *mem, uint32_t n)
{
    memset(c, 0, sizeof(*c));
    if (!n || n >= BCACHE_NONE / 4 || !under->read)
        return EXT2_EINVAL;
    c->under = *under;
    c->env = *env;
    c->mem = mem;
    c->n = n;
    c->nhash = 1;
    while (c->nhash < 2 * n)
        c->nhash <<= 1;
    c->meta_size = n * sizeof(*c->ent) + (c->nhash + n) * sizeof(uint32_t);
    uint8_t *m = env->alloc(env->ctx, c->meta_size);
    if (!m)
        return EXT2_ENOMEM;
    c->ent = (struct bcache_ent *)m;
    c->head = (uint32_t *)(m + n * sizeof(*c->ent));
    c->order = c->head + c->nhash;
    bcache_drop(c);
    return EXT2_OK;
}

struct ext2_blockdev bcache_dev(struct bcache *c)
{
    return (struct ext2_blockdev){c, c_read, c->under.write ? c_write : NULL, c->under.block_size,
                                  c->under.block_count};
}

int bcache_flush(struct bcache *c)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        if (!c->ent[i].valid || !c->ent[i].dirty)
            continue;
        /* Insertion sort by block number: n is small and flushes are rare. */
        uint32_t j = k++;
        for (; j > 0 && c->ent[c->order[j - 1]].blk > c->ent[i].blk; j--)
            c->order[j] = c->order[j - 1];
        c->order[j] = i;
    }
    for (uint32_t j = 0; j < k; j++) {
        struct bcache_ent *e = &c->ent[c->order[j]];
        if (c->under.write(c->under.ctx, e->blk, mem_of(c, c->order[j])))
            return -1;
        c->writes++;
        e->dirty = false;
    }
    return 0;
}

void bcache_drop(struct bcache *c)
{
    for (uint32_t i = 0; i < c->nhash; i++)
        c->head[i] = BCACHE_NONE;
    for (uint32_t i = 0; i < c->n; i++)
        c->ent[i] = (struct bcache_ent){.next = BCACHE_NONE};
}

void bcache_fini(struct bcache *c)
{
    if (c->ent)
        c->env.free(c->env.ctx, c->ent, c->meta_size);
    c->ent = NULL;
}
