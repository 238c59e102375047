/*
 * Host tests of the intrusive AVL tree (kernel/lib/avl.c) against a model: a
 * presence array over a small key range, so that random inserts and removals
 * collide often. After every step the tree's shape is checked (parent links,
 * order, stored heights, balance), avl_check must agree, and avl_floor, avl_find
 * and the walk avl_first/avl_next are compared with the model for every key of
 * the range. avl_check must find each kind of damage.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "lib/avl.h"

#define KEYS 512

static struct avl_node nodes[KEYS];
static bool in_tree[KEYS];

/* Checks the subtree at n (parent p, keys in (lo, hi)); returns its height and
 * adds its nodes to *count. */
static int check(const struct avl_node *n, const struct avl_node *p, int64_t lo, int64_t hi,
                 unsigned *count)
{
    if (!n)
        return 0;
    cr_assert_eq(n->parent, p, "parent link of %llu", (unsigned long long)n->key);
    cr_assert((int64_t)n->key > lo && (int64_t)n->key < hi, "order at %llu",
              (unsigned long long)n->key);
    int l = check(n->left, n, lo, (int64_t)n->key, count);
    int r = check(n->right, n, (int64_t)n->key, hi, count);
    cr_assert(abs(l - r) <= 1, "unbalanced at %llu: %d vs %d", (unsigned long long)n->key, l, r);
    int h = 1 + (l > r ? l : r);
    cr_assert_eq(n->height, h, "stored height at %llu", (unsigned long long)n->key);
    ++*count;
    return h;
}

static void check_all(const struct avl_tree *t, unsigned step)
{
    unsigned count = 0, expect = 0;
    int h = check(t->root, NULL, -1, KEYS, &count);
    for (unsigned k = 0; k < KEYS; k++)
        expect += in_tree[k];
    cr_assert_eq(count, expect, "step %u: %u nodes, model %u", step, count, expect);
    /* an AVL tree of n nodes is at most 1.44 log2(n + 2) high */
    unsigned bound = 2;
    for (unsigned n = count + 2; n > 1; n >>= 1)
        bound += 2;
    cr_assert((unsigned)h <= bound, "step %u: height %d for %u nodes", step, h, count);
    cr_assert_eq(avl_check(t), h, "step %u: avl_check says %d, height %d", step, avl_check(t), h);
    /* the walk visits the model's keys in order */
    const struct avl_node *w = avl_first(t);
    for (unsigned k = 0; k < KEYS; k++) {
        if (!in_tree[k])
            continue;
        cr_assert(w == &nodes[k], "step %u: the walk misses %u", step, k);
        w = avl_next(w);
    }
    cr_assert_null(w, "step %u: the walk goes past the last key", step);
    int64_t last = -1;
    for (unsigned k = 0; k < KEYS; k++) {
        cr_assert(avl_find(t, k) == (in_tree[k] ? &nodes[k] : NULL), "step %u: find(%u)", step, k);
        if (in_tree[k])
            last = k;
        const struct avl_node *f = avl_floor(t, k);
        if (last < 0)
            cr_assert_null(f, "step %u: floor(%u)", step, k);
        else
            cr_assert(f == &nodes[last], "step %u: floor(%u) is not %lld", step, k,
                      (long long)last);
    }
}

Test(avl, random_inserts_and_removals_against_a_model)
{
    struct avl_tree t = {NULL};
    srand(7);
    for (unsigned step = 0; step < 20000; step++) {
        unsigned k = (unsigned)rand() % KEYS;
        /* phases: mostly inserting, then mostly removing, so the tree grows and
         * empties more than once */
        bool insert = (rand() % 100) < ((step / 2500) % 2 ? 25 : 75);
        if (insert && !in_tree[k]) {
            nodes[k].key = k;
            avl_insert(&t, &nodes[k]);
            in_tree[k] = true;
        } else if (!insert && in_tree[k]) {
            avl_remove(&t, &nodes[k]);
            in_tree[k] = false;
        }
        if (step % 97 == 0 || step < 600)
            check_all(&t, step);
    }
    check_all(&t, 20000);
}

Test(avl, ascending_keys_stay_logarithmic)
{
    struct avl_tree t = {NULL};
    for (unsigned k = 0; k < KEYS; k++) {
        nodes[k].key = k;
        in_tree[k] = false;
    }
    for (unsigned k = 0; k < KEYS; k++) {
        avl_insert(&t, &nodes[k]);
        in_tree[k] = true;
    }
    check_all(&t, 0);
    cr_assert_leq(t.root->height, 10);
    for (unsigned k = 0; k < KEYS; k += 2) {
        avl_remove(&t, &nodes[k]);
        in_tree[k] = false;
    }
    check_all(&t, 1);
}

Test(avl, check_finds_damage)
{
    struct avl_tree t = {NULL};
    cr_assert_eq(avl_check(&t), 0);
    cr_assert_null(avl_first(&t));
    for (unsigned k = 0; k < 64; k++) {
        nodes[k].key = k * 2;
        avl_insert(&t, &nodes[k]);
    }
    cr_assert_eq(avl_check(&t), 7);
    struct avl_node *n = t.root->left->right;
    /* a stored height off by one */
    n->height++;
    cr_assert_eq(avl_check(&t), -1, "wrong height not found");
    n->height--;
    /* a parent link elsewhere */
    struct avl_node *p = n->parent;
    n->parent = t.root;
    cr_assert_eq(avl_check(&t), -1, "wrong parent link not found");
    n->parent = p;
    /* a key out of order (between two keys of another subtree), and a duplicate */
    uint64_t key = n->key;
    n->key = t.root->key + 1;
    cr_assert_eq(avl_check(&t), -1, "key out of order not found");
    n->key = n->parent->key;
    cr_assert_eq(avl_check(&t), -1, "duplicate key not found");
    n->key = key;
    /* a subtree taller than its sibling by two, heights consistent */
    cr_assert_eq(avl_check(&t), 7);
    struct avl_node *l = t.root->left;
    t.root->left = NULL;
    t.root->height = 1 + t.root->right->height;
    cr_assert_eq(avl_check(&t), -1, "imbalance not found");
    t.root->left = l;
    t.root->height = 7;
    cr_assert_eq(avl_check(&t), 7);
}
