/*
 * The name index (name_index.h): two OpenSSL LHASH tables, one of exact
 * names and one of "*." patterns keyed by the name after "*.", so that the
 * wildcard lookup of a.example is the lookup of "example" and needs no copy
 * of the name.  The tables are used through OPENSSL_LH_* with callbacks of
 * the exact types OPENSSL_LH_new expects: the typed lh_TYPE_new of
 * DEFINE_LHASH_OF would call ours through a cast function pointer.
 */
#include "name_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/lhash.h>
#include <openssl/rand.h>

typedef struct name_entry {
    const char *key; /* the name, after "*." in the wildcard table */
    void *value;
    uint64_t seed; /* the index's, for entry_hash */
} name_entry;      /* followed by the text key points to */

struct sslplugi_name_index {
    OPENSSL_LHASH *exact;
    OPENSSL_LHASH *wild;
    uint64_t seed;
};

/*
 * FNV-1a from a random start per index.  The names come from the
 * configuration, but a hosting provider's come from its customers, who could
 * otherwise choose thousands that share one bucket and make every lookup of
 * that bucket walk them.
 */
static unsigned long
entry_hash(const void *data)
{
    const name_entry *e = data;
    uint64_t h = 14695981039346656037u ^ e->seed;

    for (const unsigned char *p = (const unsigned char *)e->key; *p != '\0'; p++) {
        h = (h ^ *p) * 1099511628211u;
    }
    return (unsigned long)(h ^ (h >> 32));
}

static int
entry_cmp(const void *a, const void *b)
{
    return strcmp(((const name_entry *)a)->key, ((const name_entry *)b)->key);
}

static void
entry_free(void *entry)
{
    free(entry);
}

sslplugi_name_index *
sslplugi_name_index_new(void)
{
    sslplugi_name_index *index = calloc(1, sizeof(*index));

    if (index == NULL) {
        return NULL;
    }
    /* Without randomness the index still works, with a seed anyone can know. */
    if (RAND_bytes((unsigned char *)&index->seed, sizeof(index->seed)) != 1) {
        ERR_clear_error();
        index->seed = 0;
    }
    if ((index->exact = OPENSSL_LH_new(entry_hash, entry_cmp)) == NULL ||
        (index->wild = OPENSSL_LH_new(entry_hash, entry_cmp)) == NULL) {
        sslplugi_name_index_free(index);
        return NULL;
    }
    return index;
}

static void
table_free(OPENSSL_LHASH *table)
{
    if (table != NULL) {
        OPENSSL_LH_doall(table, entry_free);
        OPENSSL_LH_free(table);
    }
}

void
sslplugi_name_index_free(sslplugi_name_index *index)
{
    if (index == NULL) {
        return;
    }
    table_free(index->exact);
    table_free(index->wild);
    free(index);
}

void **
sslplugi_name_index_slot(sslplugi_name_index *index, const char *pattern)
{
    int wild = strncmp(pattern, "*.", 2) == 0;
    OPENSSL_LHASH *table = wild ? index->wild : index->exact;
    name_entry probe = {pattern + (wild ? 2 : 0), NULL, index->seed}, *e;
    size_t len;

    if ((e = OPENSSL_LH_retrieve(table, &probe)) != NULL) {
        return &e->value;
    }
    len = strlen(probe.key);
    if ((e = malloc(sizeof(*e) + len + 1)) == NULL) {
        return NULL;
    }
    memcpy(e + 1, probe.key, len + 1);
    e->key = (const char *)(e + 1);
    e->value = NULL;
    e->seed = index->seed;
    /* NULL both when added and when out of memory; only the error count tells. */
    (void)OPENSSL_LH_insert(table, e);
    if (OPENSSL_LH_error(table) > 0) {
        free(e);
        return NULL;
    }
    return &e->value;
}

static void *
lookup(OPENSSL_LHASH *table, uint64_t seed, const char *key)
{
    name_entry probe = {key, NULL, seed};
    const name_entry *e = OPENSSL_LH_retrieve(table, &probe);

    return e != NULL ? e->value : NULL;
}

void *
sslplugi_name_index_exact(const sslplugi_name_index *index, const char *name)
{
    return lookup(index->exact, index->seed, name);
}

void *
sslplugi_name_index_wildcard(const sslplugi_name_index *index, const char *name)
{
    const char *dot = strchr(name, '.');

    if (dot == NULL || dot == name || dot[1] == '\0') {
        return NULL;
    }
    return lookup(index->wild, index->seed, dot + 1);
}

void *
sslplugi_name_index_find(const sslplugi_name_index *index, const char *name)
{
    void *value = sslplugi_name_index_exact(index, name);

    return value != NULL ? value : sslplugi_name_index_wildcard(index, name);
}
