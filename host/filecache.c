/*
 * The certificates and keys one build of contexts has read: sslplug_ctx_new
 * (or sslplug_ctx_apply) makes the main context and every named one, and a
 * file several of them name is read, parsed and unlocked once, each
 * context then taking references to the same X509 and EVP_PKEY objects.
 *
 * An entry is found by how the file was read, its name, and which file it
 * was (device, inode, size, modification time, from the descriptor that
 * was checked), so a file replaced half-way through a build is read again.
 * The cache lives for one build, not for the generation: the password
 * source is consulted again by every new context (a password program that
 * is gone, or a credential that was emptied, makes the next context fail),
 * and a certificate renewed in place reaches the next context without a
 * reload, as when every context read its own files.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include "internal.h"

struct sslplugi_filecache {
    sslplugi_map *map;
};

sslplugi_filecache *
sslplugi_filecache_new(void)
{
    sslplugi_filecache *fc = calloc(1, sizeof(*fc));

    if (fc == NULL || (fc->map = sslplugi_map_new()) == NULL) {
        free(fc);
        return NULL;
    }
    return fc;
}

void
sslplugi_loaded_clear(sslplugi_loaded *l)
{
    sk_X509_pop_free(l->certs, X509_free);
    EVP_PKEY_free(l->pkey);
    l->certs = NULL;
    l->pkey = NULL;
}

static void
free_entry(void *value)
{
    sslplugi_loaded *l = value;

    sslplugi_loaded_clear(l);
    free(l);
}

void
sslplugi_filecache_free(sslplugi_filecache *fc)
{
    if (fc != NULL) {
        sslplugi_map_free(fc->map, free_entry);
        free(fc);
    }
}

/* The key: how it was read, which file it is (when it is one), its name; malloc'd. */
static unsigned char *
make_key(sslplugi_read kind, const char *name, const struct stat *st, size_t *len)
{
    uint64_t id[6] = {0};
    size_t name_len = strlen(name);
    unsigned char *key = malloc(sizeof(id) + name_len);

    if (key == NULL) {
        return NULL;
    }
    id[0] = (uint64_t)kind;
    if (st != NULL) {
        id[0] |= (uint64_t)1 << 32;
        id[1] = (uint64_t)st->st_dev;
        id[2] = (uint64_t)st->st_ino;
        id[3] = (uint64_t)st->st_size;
        id[4] = (uint64_t)st->st_mtim.tv_sec;
        id[5] = (uint64_t)st->st_mtim.tv_nsec;
    }
    memcpy(key, id, sizeof(id));
    memcpy(key + sizeof(id), name, name_len);
    *len = sizeof(id) + name_len;
    return key;
}

const sslplugi_loaded *
sslplugi_filecache_find(const sslplugi_filecache *fc, sslplugi_read kind, const char *name,
                        const struct stat *st)
{
    const sslplugi_loaded *found;
    unsigned char *key;
    size_t len = 0;

    if ((key = make_key(kind, name, st, &len)) == NULL) {
        return NULL; /* read again: slower, not wrong */
    }
    found = sslplugi_map_get(fc->map, key, len);
    free(key);
    return found;
}

const sslplugi_loaded *
sslplugi_filecache_keep(sslplugi_filecache *fc, sslplugi_read kind, const char *name,
                        const struct stat *st, sslplugi_loaded *loaded)
{
    sslplugi_loaded *kept = malloc(sizeof(*kept));
    size_t len = 0;
    unsigned char *key = make_key(kind, name, st, &len);

    if (kept == NULL || key == NULL || !sslplugi_map_put(fc->map, key, len, kept)) {
        free(kept);
        free(key);
        sslplugi_loaded_clear(loaded);
        return NULL;
    }
    free(key);
    /*
     * Every context of the build presents these, on every thread:
     * OpenSSL caches a certificate's decoded extensions the first time it
     * looks, and two handshakes doing that at once race inside it.  Fill
     * the cache now, while one thread holds them.
     */
    for (int i = 0; i < sk_X509_num(loaded->certs); i++) {
        (void)X509_check_purpose(sk_X509_value(loaded->certs, i), -1, 0);
    }
    *kept = *loaded;
    loaded->certs = NULL;
    loaded->pkey = NULL;
    return kept;
}
