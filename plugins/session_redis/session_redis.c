/*
 * session_redis: a session_store in Redis, shared by the servers of a
 * fleet.  The host hands it the DER of each session, which holds the
 * master secret; it is sealed with AES-256-GCM under the key of key_file
 * (its id in the value, so keys can rotate) with the Redis key as
 * additional data, so the cache never holds a secret in the clear and a
 * value cannot be moved to another session id or namespace.  The TTL is
 * the session's remaining lifetime.  Redis down or slow, a value that does
 * not authenticate: a full handshake, logged and counted.
 */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sslplug/plugin.h>

#include "redis.h"
#include "secret.h"
#include "sslplug_plugin_util.h"

#define KEY_LEN 32
#define KEY_ID_LEN 8
#define NONCE_LEN 12
#define TAG_LEN 16
#define MAX_KEYS 8
/* "SR1" | key id | nonce | ciphertext | tag */
#define MAGIC "SR1"
#define MAGIC_LEN 3
#define OVERHEAD (MAGIC_LEN + KEY_ID_LEN + NONCE_LEN + TAG_LEN)
#define REDIS_KEY_MAX 512

typedef struct sealing_key {
    unsigned char key[KEY_LEN];
    unsigned char id[KEY_ID_LEN]; /* SHA-256 of the key, cut: names it without revealing it */
} sealing_key;

typedef struct counters {
    atomic_ulong lookups, hits, misses, errors, refused, stored, not_stored, removed;
} counters;

typedef struct session_redis {
    const sslplug_services *services;
    const sslplug_handle *handle;
    sslplugi_redis *redis;
    char *prefix;
    sealing_key keys[MAX_KEYS]; /* [0] seals, all open */
    size_t key_count;
    long long stats_interval_s;
    atomic_llong next_stats; /* monotonic s of the next statistics line */
    counters n;
} session_redis;

static long long
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

static void
log_stats(session_redis *sr, const char *when)
{
    sr->services->log(sr->handle, SSLPLUG_LOG_INFO,
                      "%s: %lu lookups: %lu found, %lu not found, %lu store errors, %lu refused "
                      "(not authentic); %lu stored, %lu not stored; %lu removed",
                      when, atomic_load(&sr->n.lookups), atomic_load(&sr->n.hits),
                      atomic_load(&sr->n.misses), atomic_load(&sr->n.errors),
                      atomic_load(&sr->n.refused), atomic_load(&sr->n.stored),
                      atomic_load(&sr->n.not_stored), atomic_load(&sr->n.removed));
}

/* Every stats_interval_s, from whichever call finds the time has come (no thread). */
static void
maybe_log_stats(session_redis *sr)
{
    long long due = atomic_load(&sr->next_stats), now;

    if (sr->stats_interval_s == 0 || (now = now_s()) < due) {
        return;
    }
    if (atomic_compare_exchange_strong(&sr->next_stats, &due, now + sr->stats_interval_s)) {
        log_stats(sr, "statistics");
    }
}

static void
sr_fini(void *state)
{
    session_redis *sr = state;

    if (sr == NULL) {
        return;
    }
    if (sr->redis != NULL) {
        log_stats(sr, "final statistics");
    }
    sslplugi_redis_free(sr->redis);
    OPENSSL_cleanse(sr->keys, sizeof(sr->keys));
    free(sr->prefix);
    free(sr);
}

static int
add_key(session_redis *sr, const sslplugi_cfg *cfg, const char *pointer, const char *path)
{
    sealing_key *k = &sr->keys[sr->key_count];
    unsigned char md[SHA256_DIGEST_LENGTH];
    size_t len = 0;

    if (sr->key_count == MAX_KEYS) {
        sslplugi_cfg_error_at(cfg, pointer, "at most %d session keys", MAX_KEYS);
        return 0;
    }
    if (!sslplugi_secret_read(cfg, pointer, "session key file", path, k->key, KEY_LEN, KEY_LEN,
                              &len)) {
        return 0;
    }
    SHA256(k->key, KEY_LEN, md);
    memcpy(k->id, md, KEY_ID_LEN);
    sr->key_count++;
    return 1;
}

static int
read_keys(session_redis *sr, const sslplugi_cfg *cfg)
{
    char *current = NULL, **old = NULL, pointer[64];
    size_t count = 0;
    int ok = 0;

    if (!sslplugi_cfg_path(cfg, "key_file", SSLPLUGI_REQUIRED, &current) ||
        !sslplugi_cfg_strings(cfg, "old_key_files", SSLPLUGI_OPTIONAL, &old, &count) ||
        !add_key(sr, cfg, "/key_file", current)) {
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        char resolved[4096];

        snprintf(pointer, sizeof(pointer), "/old_key_files/%zu", i);
        if (!sr->services->resolve_path(sr->handle, old[i], resolved, sizeof(resolved))) {
            sslplugi_cfg_error_at(cfg, pointer, "path too long");
            goto done;
        }
        if (!add_key(sr, cfg, pointer, resolved)) {
            goto done;
        }
    }
    ok = 1;
done:
    free(current);
    sslplugi_strings_free(old);
    return ok;
}

static int
sr_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"redis",      "key_file", "old_key_files",    "auth_file",
                                       "timeout_ms", "prefix",   "stats_interval_s", NULL};
    session_redis *sr = calloc(1, sizeof(*sr));
    const char *prefix = "sslplug:";
    char why[256];
    sslplugi_cfg cfg;
    int ok = 0;

    if (sr == NULL) {
        return 0;
    }
    sr->services = services;
    sr->handle = handle;
    sr->stats_interval_s = 300;
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "prefix", SSLPLUGI_OPTIONAL, &prefix) ||
        !sslplugi_cfg_int(&cfg, "stats_interval_s", SSLPLUGI_OPTIONAL, 0, 86400,
                          &sr->stats_interval_s) ||
        !read_keys(sr, &cfg) || (sr->redis = sslplugi_redis_new(&cfg)) == NULL) {
        goto done;
    }
    if ((sr->prefix = strdup(prefix)) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    /*
     * Checked: whether Redis answers and takes the password, without a
     * write; only a warning, as Redis being down never fails a handshake.
     */
    if (sslplugi_cfg_checking(&cfg) && !sslplugi_redis_probe(sr->redis, why, sizeof(why))) {
        services->log(handle, SSLPLUG_LOG_WARNING,
                      "redis %s does not answer (%s): every handshake would be a full one",
                      sslplugi_redis_name(sr->redis), why);
    }
    atomic_init(&sr->next_stats, now_s() + sr->stats_interval_s);
    *state = sr;
    sr = NULL;
    ok = 1;
done:
    sslplugi_cfg_close(&cfg);
    if (sr != NULL) {
        sslplugi_redis_free(sr->redis);
        sr->redis = NULL;
        sr_fini(sr);
    }
    return ok;
}

/* prefix "session:" hex(ns) ":" hex(id); its length, or 0 when it does not fit. */
static size_t
redis_key(const session_redis *sr, const sslplug_session *s, char *out, size_t outlen)
{
    static const char digits[] = "0123456789abcdef";
    int n = snprintf(out, outlen, "%ssession:", sr->prefix);
    size_t len;

    if (n < 0 || (size_t)n + 2 * (s->ns_len + s->id_len) + 2 > outlen) {
        return 0;
    }
    len = (size_t)n;
    for (size_t i = 0; i < s->ns_len; i++) {
        out[len++] = digits[s->ns[i] >> 4];
        out[len++] = digits[s->ns[i] & 15];
    }
    out[len++] = ':';
    for (size_t i = 0; i < s->id_len; i++) {
        out[len++] = digits[s->id[i] >> 4];
        out[len++] = digits[s->id[i] & 15];
    }
    out[len] = '\0';
    return len;
}

/* AES-256-GCM of in under k, the Redis key as additional data, into out (len + OVERHEAD). */
static int
seal(const sealing_key *k, const char *aad, size_t aad_len, const unsigned char *in, size_t len,
     unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char *nonce = out + MAGIC_LEN + KEY_ID_LEN, *ct = nonce + NONCE_LEN;
    int n = 0, f = 0, ok;

    memcpy(out, MAGIC, MAGIC_LEN);
    memcpy(out + MAGIC_LEN, k->id, KEY_ID_LEN);
    ok = c != NULL && len <= (size_t)0x7fffffff && RAND_bytes(nonce, NONCE_LEN) == 1 &&
         EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, nonce) == 1 &&
         EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)aad_len) == 1 &&
         EVP_EncryptUpdate(c, ct, &n, in, (int)len) == 1 &&
         EVP_EncryptFinal_ex(c, ct + n, &f) == 1 && (size_t)(n + f) == len &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + len) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/*
 * Open a value into out (value_len - OVERHEAD bytes): 1, 0 when it is not
 * authentic (tampered, or under a key this entry does not have), -1 on an
 * error of OpenSSL's.
 */
static int
open_value(const session_redis *sr, const char *aad, size_t aad_len, const unsigned char *v,
           size_t len, unsigned char *out)
{
    const sealing_key *k = NULL;
    const unsigned char *nonce = v + MAGIC_LEN + KEY_ID_LEN, *ct = nonce + NONCE_LEN;
    size_t ct_len;
    EVP_CIPHER_CTX *c;
    int n = 0, f = 0, ok;

    if (len < OVERHEAD || memcmp(v, MAGIC, MAGIC_LEN) != 0) {
        return 0;
    }
    for (size_t i = 0; i < sr->key_count && k == NULL; i++) {
        if (memcmp(v + MAGIC_LEN, sr->keys[i].id, KEY_ID_LEN) == 0) {
            k = &sr->keys[i];
        }
    }
    if (k == NULL) {
        return 0;
    }
    ct_len = len - OVERHEAD;
    if ((c = EVP_CIPHER_CTX_new()) == NULL) {
        return -1;
    }
    ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, k->key, nonce) == 1 &&
         EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)aad, (int)aad_len) == 1 &&
         EVP_DecryptUpdate(c, out, &n, ct, (int)ct_len) == 1 &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(uintptr_t)(ct + ct_len)) ==
             1 &&
         EVP_DecryptFinal_ex(c, out + n, &f) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        OPENSSL_cleanse(out, ct_len);
    }
    return ok;
}

static int
store_new(session_redis *sr, const sslplug_session *s, const char *key, size_t key_len)
{
    size_t len = s->der_len + OVERHEAD;
    unsigned char *value = malloc(len);
    char ttl[32], why[256];
    const char *argv[5] = {"SET", key, NULL, "EX", ttl};
    size_t lens[5] = {3, key_len, len, 2, 0};
    redisReply *reply = NULL;

    if (value == NULL || !seal(&sr->keys[0], key, key_len, s->der, s->der_len, value)) {
        free(value);
        atomic_fetch_add(&sr->n.not_stored, 1);
        return 0;
    }
    snprintf(ttl, sizeof(ttl), "%ld", s->lifetime);
    lens[4] = strlen(ttl);
    argv[2] = (const char *)value;
    reply = sslplugi_redis_command(sr->redis, 5, argv, lens, why, sizeof(why));
    free(value);
    if (reply == NULL) {
        atomic_fetch_add(&sr->n.not_stored, 1);
        return 0;
    }
    freeReplyObject(reply);
    atomic_fetch_add(&sr->n.stored, 1);
    return 1;
}

static int
store_get(session_redis *sr, sslplug_session *s, const char *key, size_t key_len)
{
    const char *argv[2] = {"GET", key};
    size_t lens[2] = {3, key_len};
    redisReply *reply;
    char why[256];
    int r;

    atomic_fetch_add(&sr->n.lookups, 1);
    if ((reply = sslplugi_redis_command(sr->redis, 2, argv, lens, why, sizeof(why))) == NULL) {
        atomic_fetch_add(&sr->n.errors, 1);
        return SSLPLUG_SESSION_ERROR;
    }
    if (reply->type != REDIS_REPLY_STRING || reply->len < OVERHEAD) {
        r = 0;
        atomic_fetch_add(reply->type == REDIS_REPLY_NIL ? &sr->n.misses : &sr->n.refused, 1);
    } else if (reply->len - OVERHEAD > s->buf_len) {
        /* The host asks again with this much room. */
        r = (int)(reply->len - OVERHEAD);
    } else if ((r = open_value(sr, key, key_len, (const unsigned char *)reply->str, reply->len,
                               s->buf)) == 1) {
        /* Straight into the host's buffer, which it wipes: no other copy of the secret. */
        r = (int)(reply->len - OVERHEAD);
        atomic_fetch_add(&sr->n.hits, 1);
    } else if (r < 0) {
        atomic_fetch_add(&sr->n.errors, 1);
        r = SSLPLUG_SESSION_ERROR;
    } else {
        atomic_fetch_add(&sr->n.refused, 1);
        sr->services->log(sr->handle, SSLPLUG_LOG_WARNING,
                          "refused the value of %s: it does not authenticate under any "
                          "session key of this entry (tampered, or sealed under a key since "
                          "dropped): a full handshake",
                          key);
        r = 0;
    }
    freeReplyObject(reply);
    return r;
}

static int
store_remove(session_redis *sr, const char *key, size_t key_len)
{
    const char *argv[2] = {"DEL", key};
    size_t lens[2] = {3, key_len};
    redisReply *reply;
    char why[256];
    int r;

    if ((reply = sslplugi_redis_command(sr->redis, 2, argv, lens, why, sizeof(why))) == NULL) {
        return 0;
    }
    r = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0;
    freeReplyObject(reply);
    if (r) {
        atomic_fetch_add(&sr->n.removed, 1);
    }
    return r;
}

static int
sr_store(void *state, sslplug_session *s)
{
    session_redis *sr = state;
    char key[REDIS_KEY_MAX];
    size_t key_len = redis_key(sr, s, key, sizeof(key));
    int r;

    if (key_len == 0) {
        return s->op == SSLPLUG_SESSION_GET ? SSLPLUG_SESSION_ERROR : 0;
    }
    switch (s->op) {
    case SSLPLUG_SESSION_NEW:
        r = store_new(sr, s, key, key_len);
        break;
    case SSLPLUG_SESSION_GET:
        r = store_get(sr, s, key, key_len);
        break;
    case SSLPLUG_SESSION_REMOVE:
        r = store_remove(sr, key, key_len);
        break;
    default:
        r = 0;
        break;
    }
    maybe_log_stats(sr);
    return r;
}

/* clang-format off */
static const sslplug_plugin session_redis_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "session_redis",
    .version = "1.0",
    .init = sr_init,
    .fini = sr_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .session_store = sr_store,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &session_redis_plugin;
}
