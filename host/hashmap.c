/*
 * A hash map from byte strings to pointers, for what is found by a key
 * among thousands: the files a build of contexts has read (filecache.c),
 * the trust settings a generation has loaded (generation.c).  Chained,
 * FNV-1a, doubled when it holds as many entries as it has buckets, so a
 * lookup stays O(1) however many named contexts a configuration has.  Not
 * locked: each map is used by one thread at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FIRST_BUCKETS 16

typedef struct node {
    struct node *next;
    uint64_t hash;
    void *value;
    size_t len;
    unsigned char key[]; /* len bytes */
} node;

struct sslplugi_map {
    node **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
};

static uint64_t
fnv1a(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325u;

    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3u;
    }
    return h;
}

sslplugi_map *
sslplugi_map_new(void)
{
    sslplugi_map *m = calloc(1, sizeof(*m));

    if (m == NULL || (m->buckets = calloc(FIRST_BUCKETS, sizeof(*m->buckets))) == NULL) {
        free(m);
        return NULL;
    }
    m->bucket_count = FIRST_BUCKETS;
    return m;
}

void
sslplugi_map_free(sslplugi_map *m, void (*free_value)(void *))
{
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < m->bucket_count; i++) {
        node *n = m->buckets[i];

        while (n != NULL) {
            node *next = n->next;

            if (free_value != NULL) {
                free_value(n->value);
            }
            free(n);
            n = next;
        }
    }
    free(m->buckets);
    free(m);
}

void *
sslplugi_map_get(const sslplugi_map *m, const void *key, size_t len)
{
    uint64_t h = fnv1a(key, len);

    for (const node *n = m->buckets[h & (m->bucket_count - 1)]; n != NULL; n = n->next) {
        if (n->hash == h && n->len == len && memcmp(n->key, key, len) == 0) {
            return n->value;
        }
    }
    return NULL;
}

/* Twice the buckets; on failure the map stays as it was, only slower. */
static void
grow(sslplugi_map *m)
{
    size_t count = 2 * m->bucket_count;
    node **buckets = calloc(count, sizeof(*buckets));

    if (buckets == NULL) {
        return;
    }
    for (size_t i = 0; i < m->bucket_count; i++) {
        node *n = m->buckets[i];

        while (n != NULL) {
            node *next = n->next;

            n->next = buckets[n->hash & (count - 1)];
            buckets[n->hash & (count - 1)] = n;
            n = next;
        }
    }
    free(m->buckets);
    m->buckets = buckets;
    m->bucket_count = count;
}

int
sslplugi_map_put(sslplugi_map *m, const void *key, size_t len, void *value)
{
    node *n = malloc(sizeof(*n) + len);
    size_t at;

    if (n == NULL) {
        return 0;
    }
    n->hash = fnv1a(key, len);
    n->value = value;
    n->len = len;
    memcpy(n->key, key, len);
    if (m->count >= m->bucket_count) {
        grow(m);
    }
    at = n->hash & (m->bucket_count - 1);
    n->next = m->buckets[at];
    m->buckets[at] = n;
    m->count++;
    return 1;
}
