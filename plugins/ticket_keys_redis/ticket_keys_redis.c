/*
 * ticket_keys_redis: session ticket keys kept in Redis for a fleet, made
 * and rotated by whichever server finds them missing or older than
 * period_s.  One Lua script reads, creates or rotates them atomically
 * (Redis runs a script alone, and takes the time from its own clock), so
 * two servers never disagree.  Redis holds three keys: next, current and
 * previous; servers encrypt with current and decrypt with all three, so a
 * server that has not yet seen a rotation still reads every ticket, and is
 * read by every server.  Each key is sealed with AES-256-GCM under the key
 * of key_file: Redis never holds a ticket key in the clear.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sslplug/plugin.h>

#include "redis.h"
#include "secret.h"
#include "sslplug_plugin_util.h"

#define RAW_LEN 80 /* nginx's layout: 16 name, 32 HMAC, 32 AES */
#define NONCE_LEN 12
#define TAG_LEN 16
#define WRAPPED_LEN (NONCE_LEN + RAW_LEN + TAG_LEN)
#define TIME_LEN 20
#define REDIS_KEY_MAX 256
/* The script below spells these out ("w = 108", "%020d"): they change together. */
_Static_assert(WRAPPED_LEN == 108 && TIME_LEN == 20, "update the Lua script's lengths");

/*
 * KEYS[1]: the key set; ARGV[1]: period_s; ARGV[2], ARGV[3]: two fresh
 * sealed keys.  Returns the set: TIME_LEN digits of its creation time, then
 * next, current and (once rotated) previous, WRAPPED_LEN bytes each.
 */
static const char script[] =
    "local now = tonumber(redis.call('TIME')[1])\n"
    "local w = 108\n"
    "local v = redis.call('GET', KEYS[1])\n"
    "if v and #v >= 20 + 2 * w then\n"
    "  local made = tonumber(string.sub(v, 1, 20))\n"
    "  if made and now - made < tonumber(ARGV[1]) then return v end\n"
    "  v = string.format('%020d', now) .. ARGV[2] .. string.sub(v, 21, 20 + 2 * w)\n"
    "else\n"
    "  v = string.format('%020d', now) .. ARGV[2] .. ARGV[3]\n"
    "end\n"
    "redis.call('SET', KEYS[1], v)\n"
    "return v\n";

typedef struct ticket_keys_redis {
    const sslplug_services *services;
    const sslplug_handle *handle;
    sslplugi_redis *redis;
    char key[REDIS_KEY_MAX]; /* prefix "ticket_keys" */
    unsigned char seal_key[32];
    long long period_s, refresh_s;
    pthread_mutex_t refresh;    /* one refresh at a time; the others use the keys they have */
    pthread_mutex_t lock;       /* keys, count */
    sslplug_ticket_key keys[3]; /* current, next, previous */
    size_t count;
    atomic_llong next_refresh; /* monotonic s */
    atomic_ulong refreshed, failed;
} ticket_keys_redis;

static long long
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec;
}

static void
tr_fini(void *state)
{
    ticket_keys_redis *tr = state;

    if (tr == NULL) {
        return;
    }
    sslplugi_redis_free(tr->redis);
    pthread_mutex_destroy(&tr->refresh);
    pthread_mutex_destroy(&tr->lock);
    OPENSSL_cleanse(tr, sizeof(*tr));
    free(tr);
}

static int
seal(const ticket_keys_redis *tr, const unsigned char *raw, unsigned char *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, f = 0, ok;

    ok =
        c != NULL && RAND_bytes(out, NONCE_LEN) == 1 &&
        EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, tr->seal_key, out) == 1 &&
        EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)tr->key, (int)strlen(tr->key)) == 1 &&
        EVP_EncryptUpdate(c, out + NONCE_LEN, &n, raw, RAW_LEN) == 1 &&
        EVP_EncryptFinal_ex(c, out + NONCE_LEN + n, &f) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, out + NONCE_LEN + RAW_LEN) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

/* A sealed key into k; 0 when it does not authenticate (another key_file, or tampered). */
static int
unseal(const ticket_keys_redis *tr, const unsigned char *in, sslplug_ticket_key *k)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    unsigned char raw[RAW_LEN];
    int n = 0, f = 0, ok;

    ok =
        c != NULL && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, tr->seal_key, in) == 1 &&
        EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)tr->key, (int)strlen(tr->key)) == 1 &&
        EVP_DecryptUpdate(c, raw, &n, in + NONCE_LEN, RAW_LEN) == 1 &&
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                            (void *)(uintptr_t)(in + NONCE_LEN + RAW_LEN)) == 1 &&
        EVP_DecryptFinal_ex(c, raw + n, &f) == 1;
    EVP_CIPHER_CTX_free(c);
    if (ok) {
        memcpy(k->name, raw, 16);
        memcpy(k->hmac_key, raw + 16, 32);
        memcpy(k->aes_key, raw + 48, 32);
        k->key_len = 32;
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    return ok;
}

/* Read (creating or rotating as due) the key set; 1 with the keys in place, or 0. */
static int
refresh(ticket_keys_redis *tr)
{
    unsigned char raw[2][RAW_LEN], wrapped[2][WRAPPED_LEN];
    sslplug_ticket_key got[3];
    char period[32], why[256];
    const char *argv[6] = {"EVAL", script, "1", tr->key, period, NULL};
    size_t lens[7] = {4, sizeof(script) - 1, 1, strlen(tr->key), 0, WRAPPED_LEN, WRAPPED_LEN};
    const char *argv_all[7];
    redisReply *reply = NULL;
    size_t count = 0;
    int ok = 0;

    memset(got, 0, sizeof(got));
    snprintf(period, sizeof(period), "%lld", tr->period_s);
    lens[4] = strlen(period);
    if (RAND_bytes(&raw[0][0], sizeof(raw)) != 1 || !seal(tr, raw[0], wrapped[0]) ||
        !seal(tr, raw[1], wrapped[1])) {
        snprintf(why, sizeof(why), "cannot make keys");
        goto done;
    }
    memcpy(argv_all, argv, 5 * sizeof(*argv));
    argv_all[5] = (const char *)wrapped[0];
    argv_all[6] = (const char *)wrapped[1];
    if ((reply = sslplugi_redis_command(tr->redis, 7, argv_all, lens, why, sizeof(why))) == NULL) {
        goto done;
    }
    if (reply->type != REDIS_REPLY_STRING || reply->len < TIME_LEN + 2 * WRAPPED_LEN ||
        (reply->len - TIME_LEN) % WRAPPED_LEN != 0 || reply->len > TIME_LEN + 3 * WRAPPED_LEN) {
        snprintf(why, sizeof(why), "%s does not hold a key set", tr->key);
        goto done;
    }
    count = (reply->len - TIME_LEN) / WRAPPED_LEN;
    for (size_t i = 0; i < count; i++) {
        /* Stored next, current, previous; handed over current first. */
        size_t at = i == 0 ? 1 : i == 1 ? 0 : 2;

        if (!unseal(tr, (const unsigned char *)reply->str + TIME_LEN + i * WRAPPED_LEN, &got[at])) {
            snprintf(why, sizeof(why),
                     "%s does not open under key_file (another key_file, or tampered)", tr->key);
            goto done;
        }
    }
    pthread_mutex_lock(&tr->lock);
    OPENSSL_cleanse(tr->keys, sizeof(tr->keys));
    memcpy(tr->keys, got, sizeof(got));
    tr->count = count;
    pthread_mutex_unlock(&tr->lock);
    atomic_fetch_add(&tr->refreshed, 1);
    ok = 1;
done:
    if (!ok) {
        atomic_fetch_add(&tr->failed, 1);
        tr->services->log(tr->handle, SSLPLUG_LOG_WARNING,
                          "cannot refresh the ticket keys from redis %s (%s): %s",
                          sslplugi_redis_name(tr->redis), why,
                          tr->count > 0 ? "keeping the keys it has"
                                        : "no keys yet, so no tickets (full handshakes)");
    }
    if (reply != NULL) {
        freeReplyObject(reply);
    }
    OPENSSL_cleanse(raw, sizeof(raw));
    OPENSSL_cleanse(got, sizeof(got));
    /* After a failure, try again soon; the backoff of the client bounds the cost. */
    atomic_store(&tr->next_refresh, now_s() + (ok ? tr->refresh_s : 1));
    return ok;
}

/* Checked: reach Redis and read the set, writing nothing; warnings only. */
static void
probe(ticket_keys_redis *tr)
{
    const char *argv[2] = {"GET", tr->key};
    size_t lens[2] = {3, strlen(tr->key)};
    redisReply *reply;
    char why[256];

    if (!sslplugi_redis_probe(tr->redis, why, sizeof(why))) {
        tr->services->log(tr->handle, SSLPLUG_LOG_WARNING,
                          "redis %s does not answer (%s): no tickets until it does",
                          sslplugi_redis_name(tr->redis), why);
        return;
    }
    if ((reply = sslplugi_redis_command(tr->redis, 2, argv, lens, why, sizeof(why))) != NULL) {
        if (reply->type == REDIS_REPLY_NIL) {
            tr->services->log(tr->handle, SSLPLUG_LOG_INFO,
                              "%s does not exist yet: the first server creates it", tr->key);
        } else if (reply->type == REDIS_REPLY_STRING && reply->len >= TIME_LEN + WRAPPED_LEN &&
                   !unseal(tr, (const unsigned char *)reply->str + TIME_LEN, &tr->keys[0])) {
            tr->services->log(tr->handle, SSLPLUG_LOG_WARNING,
                              "%s does not open under key_file: servers with this key_file "
                              "would issue no tickets",
                              tr->key);
        }
        OPENSSL_cleanse(tr->keys, sizeof(tr->keys));
        freeReplyObject(reply);
    }
}

static int
tr_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"redis",    "auth_file", "timeout_ms", "prefix",
                                       "key_file", "period_s",  "refresh_s",  NULL};
    ticket_keys_redis *tr = calloc(1, sizeof(*tr));
    const char *prefix = "sslplug:";
    char *key_file = NULL;
    size_t len = 0;
    sslplugi_cfg cfg;
    int ok = 0;

    if (tr == NULL) {
        return 0;
    }
    tr->services = services;
    tr->handle = handle;
    tr->period_s = 43200;
    tr->refresh_s = 0;
    pthread_mutex_init(&tr->refresh, NULL);
    pthread_mutex_init(&tr->lock, NULL);
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "prefix", SSLPLUGI_OPTIONAL, &prefix) ||
        !sslplugi_cfg_int(&cfg, "period_s", SSLPLUGI_OPTIONAL, 60, 30 * 86400, &tr->period_s) ||
        !sslplugi_cfg_int(&cfg, "refresh_s", SSLPLUGI_OPTIONAL, 1, 86400, &tr->refresh_s) ||
        !sslplugi_cfg_path(&cfg, "key_file", SSLPLUGI_REQUIRED, &key_file) ||
        !sslplugi_secret_read(&cfg, "/key_file", "ticket key sealing file", key_file, tr->seal_key,
                              32, 32, &len) ||
        (tr->redis = sslplugi_redis_new(&cfg)) == NULL) {
        goto done;
    }
    if (tr->refresh_s == 0) {
        /* Often enough that every server sees a rotation long before the next. */
        tr->refresh_s = tr->period_s / 4 < 60 ? tr->period_s / 4 : 60;
    }
    if ((size_t)snprintf(tr->key, sizeof(tr->key), "%sticket_keys", prefix) >= sizeof(tr->key)) {
        sslplugi_cfg_error(&cfg, "prefix", "too long");
        goto done;
    }
    if (sslplugi_cfg_checking(&cfg)) {
        probe(tr);
    } else {
        refresh(tr);
    }
    *state = tr;
    tr = NULL;
    ok = 1;
done:
    free(key_file);
    sslplugi_cfg_close(&cfg);
    tr_fini(tr);
    return ok;
}

static int
tr_keys(void *state, const SSL *ssl, sslplug_ticket_key *keys, size_t max)
{
    ticket_keys_redis *tr = state;
    size_t n;

    (void)ssl;
    if (now_s() >= atomic_load(&tr->next_refresh) && pthread_mutex_trylock(&tr->refresh) == 0) {
        if (now_s() >= atomic_load(&tr->next_refresh)) {
            refresh(tr);
        }
        pthread_mutex_unlock(&tr->refresh);
    }
    pthread_mutex_lock(&tr->lock);
    n = tr->count < max ? tr->count : max;
    memcpy(keys, tr->keys, n * sizeof(*keys));
    pthread_mutex_unlock(&tr->lock);
    return (int)n;
}

/* clang-format off */
static const sslplug_plugin ticket_keys_redis_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "ticket_keys_redis",
    .version = "1.0",
    .init = tr_init,
    .fini = tr_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .ticket_keys = tr_keys,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &ticket_keys_redis_plugin;
}
