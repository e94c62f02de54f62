/*
 * password: reading the configured private key through the password
 * source, one candidate per attempt, each asked for once however often
 * OpenSSL asks; and the context's default password callback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "binding.h"
#include "types.h"

/* Give up on a password source that keeps offering candidates. */
#define MAX_PASSWORD_ATTEMPTS 32

/* The password source bound into b, or NULL. */
static sslplugi_instance *
password_of(const sslplugi_binding *b)
{
    return b != NULL ? sslplugi_one(b, SSLPLUG_CB_PASSWORD) : NULL;
}

/*
 * Ask the password source for candidate `attempt` and police the answer:
 * returns the length, SSLPLUG_PASSWORD_NO_MORE, or SSLPLUG_PASSWORD_ERROR
 * with the reason in why.  The buffer is wiped on every failure.
 */
static int
call_password(const sslplugi_binding *b, int attempt, char *buf, int size, int rwflag, char *why,
              size_t whylen)
{
    sslplugi_instance *inst = password_of(b);
    int r;

    if (!inst->abi && attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    sslplugi_call_begin(inst);
    r = inst->abi ? SSLPLUGI_FN(inst, int (*)(void *, int, char *, int, int))(inst->state, attempt,
                                                                              buf, size, rwflag)
                  : SSLPLUGI_FN(inst, sslplug_raw_password_fn)(buf, size, rwflag);
    sslplugi_call_end(inst);
    if (r == SSLPLUG_PASSWORD_NO_MORE && inst->abi && attempt > 0) {
        if (b->trace_fn != NULL) {
            sslplugi_trace(b, inst, NULL, "attempt=%d size=%d -> no more candidates", attempt,
                           size);
        }
        OPENSSL_cleanse(buf, (size_t)size);
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (r < 0 || r >= size) {
        if (r < 0) {
            snprintf(why, whylen, "returned %d: no password available", r);
        } else {
            snprintf(why, whylen, "returned %d, outside 0..%d for a buffer of %d bytes", r,
                     size - 1, size);
        }
        if (b->trace_fn != NULL) {
            sslplugi_trace(b, inst, NULL, "attempt=%d size=%d -> %d: rejected, %s", attempt, size,
                           r, why);
        }
        OPENSSL_cleanse(buf, (size_t)size);
        return SSLPLUG_PASSWORD_ERROR;
    }
    buf[r] = '\0';
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, NULL, "attempt=%d size=%d rwflag=%d -> length %d", attempt, size,
                       rwflag, r);
    }
    return r;
}

/* Bound on the context, for keys the application reads through it later. */
static int
password_cb(char *buf, int size, int rwflag, void *u)
{
    const sslplugi_binding *b = u;
    char why[128];
    int r;

    if (password_of(b) == NULL || size <= 0) {
        return -1; /* never fall back to OpenSSL's terminal prompt */
    }
    r = call_password(b, 0, buf, size, rwflag, why, sizeof(why));
    return r < 0 ? -1 : r;
}

typedef enum keyload_failure {
    KEYLOAD_OK = 0,
    KEYLOAD_NO_SOURCE,
    KEYLOAD_NO_MORE,
    KEYLOAD_BAD_CALLBACK
} keyload_failure;

/* One read of the configured key: the candidate is asked for once per attempt. */
typedef struct keyload {
    const sslplugi_binding *b;
    int attempt;
    int called;
    keyload_failure failure;
    char *cache;
    int cache_len;
    char why[128];
} keyload;

static int
keyload_cb(char *buf, int size, int rwflag, void *u)
{
    keyload *kl = u;
    int r;

    kl->called = 1;
    if (password_of(kl->b) == NULL) {
        kl->failure = KEYLOAD_NO_SOURCE;
        return -1;
    }
    if (kl->failure != KEYLOAD_OK || size <= 0) {
        return -1;
    }
    /* OpenSSL may ask several times for one key; the source is asked once. */
    if (kl->cache == NULL) {
        r = call_password(kl->b, kl->attempt, buf, size, rwflag, kl->why, sizeof(kl->why));
        if (r < 0) {
            kl->failure = r == SSLPLUG_PASSWORD_NO_MORE ? KEYLOAD_NO_MORE : KEYLOAD_BAD_CALLBACK;
            return -1;
        }
        if ((kl->cache = OPENSSL_malloc((size_t)r + 1)) == NULL) {
            OPENSSL_cleanse(buf, (size_t)size);
            kl->failure = KEYLOAD_BAD_CALLBACK;
            snprintf(kl->why, sizeof(kl->why), "out of memory");
            return -1;
        }
        memcpy(kl->cache, buf, (size_t)r + 1);
        kl->cache_len = r;
        return r;
    }
    if (kl->cache_len >= size) {
        kl->failure = KEYLOAD_BAD_CALLBACK;
        snprintf(kl->why, sizeof(kl->why),
                 "password of %d bytes does not fit OpenSSL's buffer of %d bytes", kl->cache_len,
                 size);
        return -1;
    }
    memcpy(buf, kl->cache, (size_t)kl->cache_len + 1);
    return kl->cache_len;
}

static void
keyload_forget(keyload *kl)
{
    if (kl->cache != NULL) {
        OPENSSL_clear_free(kl->cache, (size_t)kl->cache_len + 1);
        kl->cache = NULL;
    }
    kl->cache_len = 0;
}

int
sslplugi_unlock(SSL_CTX *ctx, const char *what, const char *file, const char *pointer,
                sslplugi_unlock_fn *fn, void *arg, sslplug_error *err)
{
    keyload kl;
    char reason[256];
    int ok = 0;

    memset(&kl, 0, sizeof(kl));
    kl.b = sslplugi_binding_of_ctx(ctx);
    sslplugi_services_reading_key(file);
    ERR_clear_error();
    for (kl.attempt = 0; kl.attempt < MAX_PASSWORD_ATTEMPTS; kl.attempt++) {
        kl.called = 0;
        ok = fn(keyload_cb, &kl, arg);
        keyload_forget(&kl);
        if (ok) {
            ERR_clear_error();
            goto done;
        }
        switch (kl.failure) {
        case KEYLOAD_NO_SOURCE:
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "%s %s is encrypted and no password callback is configured (add "
                               "callbacks.password)",
                               what, file);
            goto done;
        case KEYLOAD_BAD_CALLBACK:
            sslplugi_error_set(err, SSLPLUG_E_PASSWORD, password_of(kl.b)->pointer,
                               "password callback %s for %s %s %s", password_of(kl.b)->label, what,
                               file, kl.why);
            goto done;
        case KEYLOAD_NO_MORE:
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "wrong password for %s %s (%d candidate%s from %s)", what, file,
                               kl.attempt, kl.attempt == 1 ? "" : "s", password_of(kl.b)->label);
            goto done;
        case KEYLOAD_OK:
        default:
            break;
        }
        if (!kl.called) {
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer, "cannot read %s %s: %s", what,
                               file, sslplugi_openssl_reason(reason, sizeof(reason)));
            goto done;
        }
        /* A password was given and the key did not decrypt: a wrong password. */
        ERR_clear_error();
        if (!password_of(kl.b)->abi) {
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "wrong password for %s %s (from %s)", what, file,
                               password_of(kl.b)->label);
            goto done;
        }
    }
    sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                       "wrong password for %s %s (gave up after %d candidates from %s)", what, file,
                       MAX_PASSWORD_ATTEMPTS, password_of(kl.b)->label);
done:
    sslplugi_services_reading_key(NULL);
    keyload_forget(&kl);
    return ok;
}

typedef struct pem_key {
    BIO *bio;
    EVP_PKEY *pkey;
} pem_key;

static int
pem_try(pem_password_cb *cb, void *cbarg, void *arg)
{
    pem_key *k = arg;

    if (BIO_reset(k->bio) < 0) {
        return 0;
    }
    k->pkey = PEM_read_bio_PrivateKey(k->bio, NULL, cb, cbarg);
    return k->pkey != NULL;
}

EVP_PKEY *
sslplugi_read_private_key(SSL_CTX *ctx, int fd, const char *file, const char *pointer,
                          sslplug_error *err)
{
    pem_key k = {NULL, NULL};
    char reason[256];

    if ((k.bio = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
        close(fd);
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer, "cannot open private key %s: %s",
                           file, sslplugi_openssl_reason(reason, sizeof(reason)));
        return NULL;
    }
    sslplugi_unlock(ctx, "private key", file, pointer, pem_try, &k, err);
    BIO_free(k.bio);
    return k.pkey;
}

int
sslplugi_password_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                       int own_ctx, sslplug_error *err)
{
    (void)conf;
    (void)err;
    /* On a context of our own, never let OpenSSL prompt on a terminal. */
    if (b->slot[SSLPLUG_CB_PASSWORD].count > 0 || own_ctx) {
        SSL_CTX_set_default_passwd_cb(ctx, password_cb);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, b);
    }
    return 1;
}
