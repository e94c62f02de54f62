#include "callbacks.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include <sslplug/plugin.h>

static int
read_password(bench_cb_state *st, const char *file, char *why, size_t whylen)
{
    FILE *f = fopen(file, "r");
    size_t n;

    if (f == NULL) {
        snprintf(why, whylen, "cannot open password file %s", file);
        return 0;
    }
    n = fread(st->password, 1, sizeof(st->password) - 1, f);
    fclose(f);
    while (n > 0 && (st->password[n - 1] == '\n' || st->password[n - 1] == '\r')) {
        n--;
    }
    st->password[n] = '\0';
    st->password_len = (int)n;
    return 1;
}

static int
read_pair(bench_cb_state *st, const char *cert_file, const char *key_file, char *why, size_t whylen)
{
    BIO *bio = NULL;
    int ok = 0;

    if ((bio = BIO_new_file(cert_file, "r")) == NULL ||
        (st->cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) == NULL) {
        snprintf(why, whylen, "cannot read certificate %s", cert_file);
        goto done;
    }
    BIO_free(bio);
    if ((bio = BIO_new_file(key_file, "r")) == NULL ||
        (st->pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
        snprintf(why, whylen, "cannot read private key %s", key_file);
        goto done;
    }
    ok = 1;
done:
    BIO_free(bio);
    return ok;
}

int
bench_cb_state_init(bench_cb_state *st, const char *password_file, const char *cert_file,
                    const char *key_file, char *why, size_t whylen)
{
    memset(st, 0, sizeof(*st));
    st->password_len = -1;
    atomic_init(&st->info_calls, 0);
    atomic_init(&st->verify_calls, 0);
    atomic_init(&st->client_cert_calls, 0);
    if (password_file != NULL && !read_password(st, password_file, why, whylen)) {
        return 0;
    }
    if ((cert_file == NULL) != (key_file == NULL)) {
        snprintf(why, whylen, "a certificate needs a private key and the other way round");
        return 0;
    }
    return cert_file == NULL || read_pair(st, cert_file, key_file, why, whylen);
}

void
bench_cb_state_cleanup(bench_cb_state *st)
{
    OPENSSL_cleanse(st->password, sizeof(st->password));
    X509_free(st->cert);
    EVP_PKEY_free(st->pkey);
    st->cert = NULL;
    st->pkey = NULL;
}

int
bench_cb_password(void *state, int attempt, char *buf, int size, int flag)
{
    const bench_cb_state *st = state;

    (void)flag;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (st->password_len < 0 || st->password_len >= size) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    memcpy(buf, st->password, (size_t)st->password_len + 1);
    return st->password_len;
}

int
bench_cb_verify(void *state, int ok, X509_STORE_CTX *store)
{
    bench_cb_state *st = state;

    (void)store;
    atomic_fetch_add_explicit(&st->verify_calls, 1, memory_order_relaxed);
    return ok;
}

void
bench_cb_info(void *state, const SSL *ssl, int where, int ret)
{
    bench_cb_state *st = state;

    (void)ssl;
    (void)where;
    (void)ret;
    atomic_fetch_add_explicit(&st->info_calls, 1, memory_order_relaxed);
}

int
bench_cb_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    bench_cb_state *st = state;

    (void)ssl;
    atomic_fetch_add_explicit(&st->client_cert_calls, 1, memory_order_relaxed);
    if (st->cert == NULL || !X509_up_ref(st->cert)) {
        return 0;
    }
    if (!EVP_PKEY_up_ref(st->pkey)) {
        X509_free(st->cert);
        return 0;
    }
    *cert = st->cert;
    *pkey = st->pkey;
    return 1;
}
