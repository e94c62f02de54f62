/*
 * The certificate and private key a context presents: a PEM chain and key
 * file, OSSL_STORE URIs (file:, or a provider's scheme such as pkcs11: where
 * one is configured), or a PKCS#12 bundle.  Whatever is locked is unlocked
 * through the password source, candidate by candidate (cb_password.c);
 * files are checked as the files a context names are (filecheck.c), every
 * time a context names them.  What a file holds is read once per build of
 * contexts (filecache.c): the named contexts that name the main context's
 * certificate and key present the very same X509 and EVP_PKEY objects, and
 * an encrypted key is unlocked once.
 */
#include <errno.h>
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

/* Open a file a context names, checked, and tell which file it is; the fd, or -1 with err. */
static int
open_file(const char *file, const sslplugi_data_file *kind, int check, const char *ptr,
          struct stat *st, sslplug_error *err)
{
    int fd = sslplugi_file_open_data(file, kind, check, ptr, err);

    if (fd >= 0 && fstat(fd, st) != 0) {
        sslplugi_error_set(err, kind->code, ptr, "cannot stat %s %s: %s", kind->what, file,
                           strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * A store URI naming a file is checked as the file would be; *id is then
 * that file's identity, else NULL (a URI of another scheme names no file).
 */
static int
check_uri(const char *uri, const sslplugi_data_file *kind, int check, const char *ptr,
          struct stat *st, const struct stat **id, sslplug_error *err)
{
    const char *file = uri_file(uri);
    int fd;

    *id = NULL;
    if (strncmp(uri, "file:", 5) == 0 && file == NULL) {
        sslplugi_error_set(err, kind->code, ptr,
                           "%s: a file: URI names an absolute path (file:/path or file:///path)",
                           uri);
        return 0;
    }
    if (file == NULL) {
        return 1;
    }
    if ((fd = open_file(file, kind, check, ptr, st, err)) < 0) {
        return 0;
    }
    close(fd);
    *id = st;
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

/* ---- what a file holds, read once per build ---- */

/* Certificates in PEM never ask for a password: nothing prompts for one. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/*
 * A PEM chain (the leaf, then the certificates sent with it) from the
 * checked descriptor fd, which it closes: what
 * SSL_CTX_use_certificate_chain_file reads, without opening the file again.
 */
static int
read_chain(SSL_CTX *ctx, int fd, const char *file, const char *ptr, sslplugi_loaded *out,
           sslplug_error *err)
{
    /* Buffered: a fd BIO reads a line a byte at a time. */
    BIO *raw = BIO_new_fd(fd, BIO_CLOSE), *buffer = BIO_new(BIO_f_buffer()), *bio;
    char reason[256];
    unsigned long e;
    X509 *x = NULL;
    int ok = 0;

    (void)ctx;
    ERR_clear_error();
    if (raw == NULL) {
        close(fd);
    }
    if (raw == NULL || buffer == NULL || (out->certs = sk_X509_new_null()) == NULL) {
        BIO_free(raw);
        BIO_free(buffer);
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    bio = BIO_push(buffer, raw);
    if ((x = PEM_read_bio_X509_AUX(bio, NULL, no_password, NULL)) == NULL) {
        goto done;
    }
    do {
        if (!sk_X509_push(out->certs, x)) {
            X509_free(x);
            goto done;
        }
    } while ((x = PEM_read_bio_X509(bio, NULL, no_password, NULL)) != NULL);
    /* The end of the file reads as "no start line"; anything else is a bad chain. */
    e = ERR_peek_last_error();
    if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
        ERR_clear_error();
        ok = 1;
    }
done:
    if (!ok) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot use certificate %s: %s", file,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        sslplugi_loaded_clear(out);
    }
    BIO_free_all(bio);
    return ok;
}

/* A private key in PEM (encrypted or not) from the checked descriptor fd, which it closes. */
static int
read_key(SSL_CTX *ctx, int fd, const char *file, const char *ptr, sslplugi_loaded *out,
         sslplug_error *err)
{
    return (out->pkey = sslplugi_read_private_key(ctx, fd, file, ptr, err)) != NULL;
}

/* A PKCS#12 bundle being opened, and what it gave. */
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

/*
 * A PKCS#12 bundle from the checked descriptor fd, which it closes: its
 * certificate first, then the others, and its key, into out.
 */
static int
read_bundle(SSL_CTX *ctx, int fd, const char *file, const char *ptr, sslplugi_loaded *out,
            sslplug_error *err)
{
    char reason[256];
    bundle b = {NULL, NULL, NULL, NULL};
    BIO *bio = NULL;
    int ok = 0;

    ERR_clear_error();
    if ((bio = BIO_new_fd(fd, BIO_CLOSE)) == NULL) {
        close(fd);
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        goto done;
    }
    if ((b.p12 = d2i_PKCS12_bio(bio, NULL)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr, "%s is not a PKCS#12 bundle: %s", file,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    if (!sslplugi_unlock(ctx, "PKCS#12 bundle", file, ptr, bundle_try, &b, err)) {
        goto done;
    }
    if (b.cert == NULL || b.pkey == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr, "PKCS#12 bundle %s holds no %s", file,
                           b.cert == NULL ? "certificate" : "private key");
        goto done;
    }
    if ((out->certs = sk_X509_new_null()) == NULL || !sk_X509_push(out->certs, b.cert)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        goto done;
    }
    b.cert = NULL;
    while (sk_X509_num(b.chain) > 0) {
        if (!sk_X509_push(out->certs, sk_X509_value(b.chain, 0))) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
            goto done;
        }
        (void)sk_X509_shift(b.chain);
    }
    out->pkey = b.pkey;
    b.pkey = NULL;
    ok = 1;
done:
    if (!ok) {
        sslplugi_loaded_clear(out);
    }
    EVP_PKEY_free(b.pkey);
    X509_free(b.cert);
    sk_X509_pop_free(b.chain, X509_free);
    PKCS12_free(b.p12);
    BIO_free(bio);
    return ok;
}

/*
 * The ways a file a context names is read: the rules it is checked by and
 * what reads it from the checked descriptor (closing it), unlocking through
 * ctx's password source.
 */
typedef int read_fn(SSL_CTX *ctx, int fd, const char *file, const char *ptr, sslplugi_loaded *out,
                    sslplug_error *err);

typedef struct reading {
    sslplugi_read kind;
    const sslplugi_data_file *rules;
    read_fn *read;
} reading;

static const reading readings[] = {
    {SSLPLUGI_READ_CERTS, &sslplugi_certificate_file, read_chain},
    {SSLPLUGI_READ_KEY, &sslplugi_key_file, read_key},
    /* A bundle holds the private key: the private key's rules. */
    {SSLPLUGI_READ_PKCS12, &sslplugi_key_file, read_bundle},
};

static const reading *
reading_of(sslplugi_read kind)
{
    for (size_t i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
        if (readings[i].kind == kind) {
            return &readings[i];
        }
    }
    return NULL;
}

/* Keep what was read in the build's cache; the kept entry, or NULL with err. */
static const sslplugi_loaded *
keep(sslplugi_filecache *files, sslplugi_read kind, const char *name, const struct stat *id,
     sslplugi_loaded *loaded, const char *ptr, sslplug_error *err)
{
    const sslplugi_loaded *kept = sslplugi_filecache_keep(files, kind, name, id, loaded);

    if (kept == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
    }
    return kept;
}

/*
 * What a file holds, read as kind: checked at every naming, then taken
 * from the build's cache when this very file was read already, else read
 * from the descriptor that was checked and kept.  Borrowed from files.
 */
static const sslplugi_loaded *
load_file(SSL_CTX *ctx, const char *file, sslplugi_read kind, int check, sslplugi_filecache *files,
          const char *ptr, sslplug_error *err)
{
    const reading *how = reading_of(kind);
    sslplugi_loaded loaded = {NULL, NULL};
    const sslplugi_loaded *found;
    struct stat st;
    int fd;

    /*
     * Checked, then read from the descriptor checked: the directory checks
     * keep others from putting another file under that name in between.
     */
    if ((fd = open_file(file, how->rules, check, ptr, &st, err)) < 0) {
        return NULL;
    }
    if ((found = sslplugi_filecache_find(files, kind, file, &st)) != NULL) {
        close(fd);
        return found;
    }
    if (!how->read(ctx, fd, file, ptr, &loaded, err)) {
        return NULL;
    }
    return keep(files, kind, file, &st, &loaded, ptr, err);
}

/* What a store URI holds of one kind (a chain, or a key), as load_file says. */
static const sslplugi_loaded *
load_uri(SSL_CTX *ctx, const char *uri, sslplugi_read kind, int check, sslplugi_filecache *files,
         const char *ptr, sslplug_error *err)
{
    int cert = kind == SSLPLUGI_READ_CERTS;
    store_load s = {uri, cert ? OSSL_STORE_INFO_CERT : OSSL_STORE_INFO_PKEY, NULL, NULL};
    const sslplugi_loaded *found;
    sslplugi_loaded loaded;
    const struct stat *id;
    struct stat st;

    if (!check_uri(uri, reading_of(kind)->rules, check, ptr, &st, &id, err)) {
        return NULL;
    }
    if ((found = sslplugi_filecache_find(files, kind, uri, id)) != NULL) {
        return found;
    }
    if (cert && (s.certs = sk_X509_new_null()) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    if (!sslplugi_unlock(ctx, cert ? "certificate" : "private key", uri, ptr, store_try, &s, err)) {
        sk_X509_pop_free(s.certs, X509_free);
        EVP_PKEY_free(s.pkey);
        return NULL;
    }
    loaded.certs = s.certs;
    loaded.pkey = s.pkey;
    return keep(files, kind, uri, id, &loaded, ptr, err);
}

/* A certificate or a key: a file, or a store URI. */
static const sslplugi_loaded *
load(SSL_CTX *ctx, const char *name, sslplugi_read kind, int check, sslplugi_filecache *files,
     const char *ptr, sslplug_error *err)
{
    return sslplugi_is_store_uri(name) ? load_uri(ctx, name, kind, check, files, ptr, err)
                                       : load_file(ctx, name, kind, check, files, ptr, err);
}

/* ---- what a context presents ---- */

static int
set_certificate(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base,
                sslplugi_filecache *files, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    const sslplugi_loaded *chain;

    sslplugi_pointer_child(ptr, base, "certificate");
    if ((chain = load(ctx, c->certificate, SSLPLUGI_READ_CERTS, c->check_files, files, ptr, err)) ==
        NULL) {
        return 0;
    }
    ERR_clear_error();
    if (!use_chain(ctx, chain->certs)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot use certificate %s: %s",
                           c->certificate, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    return 1;
}

static int
set_pkcs12(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base,
           sslplugi_filecache *files, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    const sslplugi_loaded *b;
    STACK_OF(X509) *others = NULL;
    int ok = 0;

    sslplugi_pointer_child(ptr, base, "pkcs12");
    if ((b = load_file(ctx, c->pkcs12, SSLPLUGI_READ_PKCS12, c->check_files, files, ptr, err)) ==
        NULL) {
        return 0;
    }
    /* The certificates after the first, borrowed: the context takes its own references. */
    if (sk_X509_num(b->certs) > 1 &&
        ((others = sk_X509_dup(b->certs)) == NULL || sk_X509_shift(others) == NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        goto done;
    }
    ERR_clear_error();
    if (!SSL_CTX_use_cert_and_key(ctx, sk_X509_value(b->certs, 0), b->pkey, others, 1)) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr,
                           "the key and certificate of PKCS#12 bundle %s do not go together: %s",
                           c->pkcs12, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    ok = 1;
done:
    sk_X509_free(others);
    return ok;
}

int
sslplugi_keypair_configure(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base,
                           sslplugi_filecache *files, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    const sslplugi_loaded *key;

    if (c->pkcs12 != NULL) {
        return set_pkcs12(ctx, c, base, files, err);
    }
    if (c->certificate == NULL) {
        return 1;
    }
    sslplugi_pointer_child(ptr, base, "private_key");
    if (!set_certificate(ctx, c, base, files, err) ||
        (key = load(ctx, c->private_key, SSLPLUGI_READ_KEY, c->check_files, files, ptr, err)) ==
            NULL) {
        return 0;
    }
    ERR_clear_error();
    if (!SSL_CTX_use_PrivateKey(ctx, key->pkey) || !SSL_CTX_check_private_key(ctx)) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, ptr,
                           "private key %s does not match certificate %s: %s", c->private_key,
                           c->certificate, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    return 1;
}
