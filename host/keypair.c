/*
 * The certificate and private key a context presents: a PEM chain and key
 * file, OSSL_STORE URIs (file:, or a provider's scheme such as pkcs11: where
 * one is configured), or a PKCS#12 bundle.  Whatever is locked is unlocked
 * through the password source, candidate by candidate (cb_password.c);
 * files are checked as the files a context names are (filecheck.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/store.h>
#include <openssl/ui.h>

#include "internal.h"

/* The most a PKCS#12 bundle holds; a larger file is not one. */
#define MAX_BUNDLE_BYTES (1024 * 1024)

static const char *
pointer_of(char *buf, const char *base, const char *key)
{
    sslplugi_pointer_child(buf, base, key);
    return buf;
}

/*
 * The file a "file:" URI names ("file:/x", "file:///x", "file://localhost/x"),
 * or NULL for a URI of another scheme, which names no file to check.
 */
static const char *
uri_file(const char *uri)
{
    if (strncmp(uri, "file:", 5) != 0) {
        return NULL;
    }
    uri += 5;
    if (strncmp(uri, "//localhost/", 12) == 0) {
        return uri + 11;
    }
    if (strncmp(uri, "///", 3) == 0) {
        return uri + 2;
    }
    return uri[0] == '/' ? uri : NULL;
}

/* A store URI naming a file is checked as the file would be. */
static int
check_uri(const char *uri, const sslplugi_data_file *kind, int check, const char *ptr,
          sslplug_error *err)
{
    const char *file = uri_file(uri);
    int fd;

    if (strncmp(uri, "file:", 5) == 0 && file == NULL) {
        sslplugi_error_set(err, kind->code, ptr,
                           "%s: a file: URI names an absolute path (file:/path or file:///path)",
                           uri);
        return 0;
    }
    if (file == NULL) {
        return 1;
    }
    if ((fd = sslplugi_file_open_data(file, kind, check, ptr, err)) < 0) {
        return 0;
    }
    close(fd);
    return 1;
}

/* What a store URI holds of one kind, passwords through the source. */
typedef struct store_load {
    const char *uri;
    int want; /* OSSL_STORE_INFO_CERT or OSSL_STORE_INFO_PKEY */
    STACK_OF(X509) *certs;
    EVP_PKEY *pkey;
} store_load;

static int
store_try(pem_password_cb *cb, void *cbarg, void *arg)
{
    store_load *s = arg;
    UI_METHOD *ui = UI_UTIL_wrap_read_pem_callback(cb, 0);
    OSSL_STORE_CTX *store = NULL;
    OSSL_STORE_INFO *info;
    int ok = 0;

    if (ui == NULL || (store = OSSL_STORE_open(s->uri, ui, cbarg, NULL, NULL)) == NULL ||
        !OSSL_STORE_expect(store, s->want)) {
        goto done;
    }
    while (!OSSL_STORE_eof(store) && (info = OSSL_STORE_load(store)) != NULL) {
        if (s->want == OSSL_STORE_INFO_CERT && OSSL_STORE_INFO_get_type(info) == s->want) {
            X509 *x = OSSL_STORE_INFO_get1_CERT(info);

            if (x == NULL || !sk_X509_push(s->certs, x)) {
                X509_free(x);
                OSSL_STORE_INFO_free(info);
                goto done;
            }
        } else if (s->want == OSSL_STORE_INFO_PKEY && s->pkey == NULL &&
                   OSSL_STORE_INFO_get_type(info) == s->want) {
            s->pkey = OSSL_STORE_INFO_get1_PKEY(info);
        }
        OSSL_STORE_INFO_free(info);
    }
    ok = s->want == OSSL_STORE_INFO_CERT ? sk_X509_num(s->certs) > 0 : s->pkey != NULL;
done:
    OSSL_STORE_close(store);
    UI_destroy_method(ui);
    return ok;
}

static int
use_chain(SSL_CTX *ctx, STACK_OF(X509) *certs)
{
    if (!SSL_CTX_use_certificate(ctx, sk_X509_value(certs, 0)) || !SSL_CTX_clear_chain_certs(ctx)) {
        return 0;
    }
    for (int i = 1; i < sk_X509_num(certs); i++) {
        if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(certs, i))) {
            return 0;
        }
    }
    return 1;
}

static int
set_certificate(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    store_load s = {c->certificate, OSSL_STORE_INFO_CERT, NULL, NULL};
    int fd, ok = 0;

    pointer_of(ptr, base, "certificate");
    if (sslplugi_is_store_uri(c->certificate)) {
        if (!check_uri(c->certificate, &sslplugi_certificate_file, c->check_files, ptr, err) ||
            (s.certs = sk_X509_new_null()) == NULL) {
            goto done;
        }
        ERR_clear_error();
        if (!sslplugi_unlock(ctx, "certificate", c->certificate, ptr, store_try, &s, err)) {
            goto done;
        }
        if (!use_chain(ctx, s.certs)) {
            sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot use certificate %s: %s",
                               c->certificate, sslplugi_openssl_reason(reason, sizeof(reason)));
            goto done;
        }
        ok = 1;
        goto done;
    }
    /*
     * Checked, then read by name: the directory checks keep others from
     * putting another file under that name in between.
     */
    if ((fd = sslplugi_file_open_data(c->certificate, &sslplugi_certificate_file, c->check_files,
                                      ptr, err)) < 0) {
        goto done;
    }
    close(fd);
    ERR_clear_error();
    if (!SSL_CTX_use_certificate_chain_file(ctx, c->certificate)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot use certificate %s: %s",
                           c->certificate, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    ok = 1;
done:
    sk_X509_pop_free(s.certs, X509_free);
    return ok;
}

static EVP_PKEY *
read_key(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *ptr, sslplug_error *err)
{
    store_load s = {c->private_key, OSSL_STORE_INFO_PKEY, NULL, NULL};
    int fd;

    if (sslplugi_is_store_uri(c->private_key)) {
        if (!check_uri(c->private_key, &sslplugi_key_file, c->check_files, ptr, err) ||
            !sslplugi_unlock(ctx, "private key", c->private_key, ptr, store_try, &s, err)) {
            EVP_PKEY_free(s.pkey);
            return NULL;
        }
        return s.pkey;
    }
    if ((fd = sslplugi_file_open_data(c->private_key, &sslplugi_key_file, c->check_files, ptr,
                                      err)) < 0) {
        return NULL;
    }
    return sslplugi_read_private_key(ctx, fd, c->private_key, ptr, err);
}

/* ---- PKCS#12 ---- */

typedef struct bundle {
    PKCS12 *p12;
    EVP_PKEY *pkey;
    X509 *cert;
    STACK_OF(X509) *chain;
} bundle;

/* An unprotected bundle opens without asking; a protected one with the candidate. */
static int
bundle_try(pem_password_cb *cb, void *cbarg, void *arg)
{
    bundle *b = arg;
    char pass[1024];
    int len, ok;

    if (!PKCS12_mac_present(b->p12) || PKCS12_verify_mac(b->p12, NULL, 0) ||
        PKCS12_verify_mac(b->p12, "", 0)) {
        return PKCS12_parse(b->p12, PKCS12_verify_mac(b->p12, NULL, 0) ? NULL : "", &b->pkey,
                            &b->cert, &b->chain);
    }
    if ((len = cb(pass, (int)sizeof(pass), 0, cbarg)) < 0) {
        return 0;
    }
    ok = PKCS12_verify_mac(b->p12, pass, len) &&
         PKCS12_parse(b->p12, pass, &b->pkey, &b->cert, &b->chain);
    OPENSSL_cleanse(pass, sizeof(pass));
    return ok;
}

static int
set_pkcs12(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    bundle b = {NULL, NULL, NULL, NULL};
    BIO *bio = NULL;
    int fd, ok = 0;

    pointer_of(ptr, base, "pkcs12");
    /* A bundle holds the private key: the private key's rules. */
    if ((fd = sslplugi_file_open_data(c->pkcs12, &sslplugi_key_file, c->check_files, ptr, err)) <
        0) {
        return 0;
    }
    ERR_clear_error();
    if ((bio = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
        close(fd);
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        goto done;
    }
    if ((b.p12 = d2i_PKCS12_bio(bio, NULL)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr, "%s is not a PKCS#12 bundle: %s",
                           c->pkcs12, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    if (!sslplugi_unlock(ctx, "PKCS#12 bundle", c->pkcs12, ptr, bundle_try, &b, err)) {
        goto done;
    }
    if (b.cert == NULL || b.pkey == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr, "PKCS#12 bundle %s holds no %s",
                           c->pkcs12, b.cert == NULL ? "certificate" : "private key");
        goto done;
    }
    if (!SSL_CTX_use_cert_and_key(ctx, b.cert, b.pkey, b.chain, 1)) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr,
                           "the key and certificate of PKCS#12 bundle %s do not go together: %s",
                           c->pkcs12, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    ok = 1;
done:
    EVP_PKEY_free(b.pkey);
    X509_free(b.cert);
    sk_X509_pop_free(b.chain, X509_free);
    PKCS12_free(b.p12);
    BIO_free(bio);
    return ok;
}

int
sslplugi_keypair_configure(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base,
                           sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    EVP_PKEY *pkey = NULL;
    int ok = 0;

    if (c->pkcs12 != NULL) {
        return set_pkcs12(ctx, c, base, err);
    }
    if (c->certificate == NULL) {
        return 1;
    }
    pointer_of(ptr, base, "private_key");
    if (!set_certificate(ctx, c, base, err) || (pkey = read_key(ctx, c, ptr, err)) == NULL) {
        goto done;
    }
    if (!SSL_CTX_use_PrivateKey(ctx, pkey) || !SSL_CTX_check_private_key(ctx)) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr,
                           "private key %s does not match certificate %s: %s", c->private_key,
                           c->certificate, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    ok = 1;
done:
    EVP_PKEY_free(pkey);
    return ok;
}
