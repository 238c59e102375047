/*
 * The AVL tree of lib/avl.h: insertion and removal with rebalancing on the way
 * back to the root. Each node keeps its subtree's height; after a change the
 * nodes on the path up are checked and, when a node's two sides differ by two,
 * turned by one single or double rotation. The walk stops at the first node whose
 * subtree keeps its height: nothing above it changes. No recursion (but in
 * avl_check) and no allocation: the kernel stack is small and the nodes belong to
 * their records.
 */
#include "lib/avl.h"

static int height(const struct avl_node *n)
{
    return n ? n->height : 0;
}

static void update(struct avl_node *n)
{
    int l = height(n->left), r = height(n->right);
    n->height = 1 + (l > r ? l : r);
}

/* Puts new where old hangs from parent (NULL: the root). */
static void replace_child(struct avl_tree *t, struct avl_node *parent, struct avl_node *old,
                          struct avl_node *new)
{
    if (!parent)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new)
        new->parent = parent;
}

static struct avl_node *rotate_left(struct avl_tree *t, struct avl_node *x)
{
    struct avl_node *y = x->right;
    x->right = y->left;
    if (y->left)
        y->left->parent = x;
    replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

static struct avl_node *rotate_right(struct avl_tree *t, struct avl_node *x)
{
    struct avl_node *y = x->left;
    x->left = y->right;
    if (y->right)
        y->right->parent = x;
    replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

/* Restores the balance of n (its subtrees balanced, heights differing by at
 * most two); returns the node now in n's place. */
static struct avl_node *balance(struct avl_tree *t, struct avl_node *n)
{
    int bf = height(n->left) - height(n->right);
    if (bf > 1) {
        if (height(n->left->left) < height(n->left->right))
            rotate_left(t, n->left);
        return rotate_right(t, n);
    }
    if (bf < -1) {
        if (height(n->right->right) < height(n->right->left))
            rotate_right(t, n->right);
        return rotate_left(t, n);
    }
    update(n);
    return n;
}

/* Rebalances from n up, n's stored height being that of its subtree before the
 * change below it. */
static void rebalance_up(struct avl_tree *t, struct avl_node *n)
{
    while (n) {
        int before = n->height;
        n = balance(t, n);
        if (n->height == before)
            return;
        n = n->parent;
    }
}

void avl_insert(struct avl_tree *t, struct avl_node *n)
{
    struct avl_node *p = NULL, **link = &t->root;
    while (*link) {
        p = *link;
        link = n->key < p->key ? &p->left : &p->right;
    }
    n->left = n->right = NULL;
    n->parent = p;
    n->height = 1;
    *link = n;
    rebalance_up(t, p);
}

void avl_remove(struct avl_tree *t, struct avl_node *n)
{
    struct avl_node *start;
    if (!n->left || !n->right) {
        start = n->parent;
        replace_child(t, n->parent, n, n->left ? n->left : n->right);
    } else {
        /* n's successor s (leftmost of the right subtree) takes n's place */
        struct avl_node *s = n->right;
        while (s->left)
            s = s->left;
        if (s->parent != n) {
            start = s->parent;
            replace_child(t, s->parent, s, s->right);
            s->right = n->right;
            s->right->parent = s;
        } else {
            start = s;
        }
        s->left = n->left;
        s->left->parent = s;
        replace_child(t, n->parent, n, s);
        s->height = n->height;
    }
    rebalance_up(t, start);
}

static struct avl_node *leftmost(struct avl_node *n)
{
    if (n)
        while (n->left)
            n = n->left;
    return n;
}

struct avl_node *avl_first(const struct avl_tree *t)
{
    return leftmost(t->root);
}

struct avl_node *avl_next(const struct avl_node *n)
{
    if (n->right)
        return leftmost(n->right);
    while (n->parent && n->parent->right == n)
        n = n->parent;
    return n->parent;
}

/* avl_check of the subtree at n, hanging from parent, whose keys lie strictly
 * between *lo and *hi (NULL: unbounded). */
static int check(const struct avl_node *n, const struct avl_node *parent, const uint64_t *lo,
                 const uint64_t *hi)
{
    if (!n)
        return 0;
    if (n->parent != parent || (lo && n->key <= *lo) || (hi && n->key >= *hi))
        return -1;
    int l = check(n->left, n, lo, &n->key), r = check(n->right, n, &n->key, hi);
    if (l < 0 || r < 0 || l - r > 1 || r - l > 1 || n->height != 1 + (l > r ? l : r))
        return -1;
    return n->height;
}

int avl_check(const struct avl_tree *t)
{
    return check(t->root, NULL, NULL, NULL);
}
