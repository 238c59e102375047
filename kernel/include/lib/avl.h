/*
 * An intrusive AVL tree keyed by a 64-bit integer (Adelson-Velsky and Landis,
 * 1962). The node lives inside the record it orders (no allocation anywhere);
 * the caller sets node->key before inserting and does not change it while the
 * node is in a tree. Keys are unique within a tree. Every operation is
 * O(log n): the heights of a node's two subtrees differ by at most one.
 *
 * Used for the regions of a VSpace, keyed by start address (kernel/obj/vspace.c),
 * where the fault path asks for the last region starting at or below an address
 * (avl_floor), and by the physical memory manager (kernel/mm/pmm.c): its free
 * extents of each order and its live reservations, keyed by physical address.
 */
#ifndef WEFT_LIB_AVL_H
#define WEFT_LIB_AVL_H

#include "types.h"

struct avl_node {
    struct avl_node *left, *right, *parent;
    uint64_t key;
    int height; /* of the subtree rooted here: 1 for a leaf */
};

struct avl_tree {
    struct avl_node *root; /* NULL: empty */
};

/* Inserts n (its key set, unique in t). O(log n). */
void avl_insert(struct avl_tree *t, struct avl_node *n);

/* Removes n, which is in t. O(log n). */
void avl_remove(struct avl_tree *t, struct avl_node *n);

/* The node with the smallest key, or NULL when t is empty. O(log n). */
struct avl_node *avl_first(const struct avl_tree *t);

/* The node after n in key order, or NULL. O(log n); a walk over the whole tree
 * from avl_first is O(n). */
struct avl_node *avl_next(const struct avl_node *n);

/* Checks t's shape: parent links, keys in order, stored heights, balance.
 * Returns t's height (0: empty), or -1 when any of them is wrong. Recursive,
 * as deep as the tree is high. For verification code and tests. */
int avl_check(const struct avl_tree *t);

/* The node whose key is key, or NULL. O(log n). */
static inline struct avl_node *avl_find(const struct avl_tree *t, uint64_t key)
{
    for (struct avl_node *n = t->root; n;) {
        if (n->key == key)
            return n;
        n = key < n->key ? n->left : n->right;
    }
    return NULL;
}

/* The node with the largest key at or below key, or NULL. O(log n). */
static inline struct avl_node *avl_floor(const struct avl_tree *t, uint64_t key)
{
    struct avl_node *best = NULL;
    for (struct avl_node *n = t->root; n;) {
        if (n->key <= key) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

#endif
