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

/* Give up on a password source that keeps offering candidates. */
#define MAX_PASSWORD_ATTEMPTS 32

/* The key being read on this thread, for services->key_file. */
static _Thread_local const char *reading_key;

const char *
sslplugi_key_being_read(void)
{
    return reading_key;
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
    sslplugi_instance *inst = b->password;
    int r;

    if (!inst->abi && attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    sslplugi_call_begin(inst);
    r = inst->abi ? inst->fn.password(inst->state, attempt, buf, size, rwflag)
                  : inst->fn.raw_password(buf, size, rwflag);
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
int
sslplugi_password_cb(char *buf, int size, int rwflag, void *u)
{
    const sslplugi_binding *b = u;
    char why[128];
    int r;

    if (b == NULL || b->password == NULL || size <= 0) {
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
    if (kl->b == NULL || kl->b->password == NULL) {
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

EVP_PKEY *
sslplugi_read_private_key(SSL_CTX *ctx, int fd, const char *file, const char *pointer,
                          sslplug_error *err)
{
    keyload kl;
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    char reason[256];

    memset(&kl, 0, sizeof(kl));
    kl.b = sslplugi_binding_of_ctx(ctx);
    reading_key = file;
    ERR_clear_error();
    if ((bio = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
        close(fd);
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer, "cannot open private key %s: %s",
                           file, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    for (kl.attempt = 0; kl.attempt < MAX_PASSWORD_ATTEMPTS; kl.attempt++) {
        kl.called = 0;
        if (BIO_reset(bio) < 0) {
            sslplugi_error_set(err, SSLPLUG_E_IO, pointer, "cannot rewind %s", file);
            goto done;
        }
        pkey = PEM_read_bio_PrivateKey(bio, NULL, keyload_cb, &kl);
        keyload_forget(&kl);
        if (pkey != NULL) {
            ERR_clear_error();
            goto done;
        }
        switch (kl.failure) {
        case KEYLOAD_NO_SOURCE:
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "private key %s is encrypted and no password callback is "
                               "configured (add callbacks.password)",
                               file);
            goto done;
        case KEYLOAD_BAD_CALLBACK:
            sslplugi_error_set(err, SSLPLUG_E_PASSWORD, kl.b->password->pointer,
                               "password callback %s for private key %s %s", kl.b->password->label,
                               file, kl.why);
            goto done;
        case KEYLOAD_NO_MORE:
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "wrong password for private key %s (%d candidate%s from %s)", file,
                               kl.attempt, kl.attempt == 1 ? "" : "s", kl.b->password->label);
            goto done;
        case KEYLOAD_OK:
        default:
            break;
        }
        if (!kl.called) {
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "cannot read private key %s: %s", file,
                               sslplugi_openssl_reason(reason, sizeof(reason)));
            goto done;
        }
        /* A password was given and the key did not decrypt: a wrong password. */
        ERR_clear_error();
        if (!kl.b->password->abi) {
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "wrong password for private key %s (from %s)", file,
                               kl.b->password->label);
            goto done;
        }
    }
    sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                       "wrong password for private key %s (gave up after %d candidates from %s)",
                       file, MAX_PASSWORD_ATTEMPTS, kl.b->password->label);
done:
    reading_key = NULL;
    keyload_forget(&kl);
    BIO_free(bio);
    return pkey;
}
