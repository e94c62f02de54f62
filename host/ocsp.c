/*
 * OCSP stapling.  A server staples the DER response of its "ocsp_staple"
 * file: read again whenever the file changes (another inode, size or
 * modification time), and not stapled once it has expired, so a renewed
 * file is picked up without a reload and a stale one is never sent.  A
 * client with "ocsp" asks for a staple and verifies it against the chain it
 * verified (OCSP_basic_verify with the context's store): a revoked
 * certificate, or with "require" a missing, bad or stale response, ends the
 * handshake, and the verification result says which.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>

#include "internal.h"

/* Clock skew allowed on thisUpdate/nextUpdate, as OpenSSL's own tools allow. */
#define OCSP_LEEWAY_S 300
/* The largest response a file may hold. */
#define MAX_STAPLE_BYTES (256 * 1024)

struct sslplugi_staple {
    char *file;
    int check_files;
    pthread_mutex_t lock; /* the cached response, read again when the file changes */
    unsigned char *der;
    size_t len;
    ASN1_TIME *next_update; /* NULL: none given (stapled as long as the file stays) */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

/* The earliest nextUpdate of the single responses (a copy), or NULL when none has one. */
static int
parse_response(const unsigned char *der, size_t len, ASN1_TIME **next, char *why, size_t whylen)
{
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    OCSP_BASICRESP *bs = NULL;
    int ok = 0;

    *next = NULL;
    if (resp == NULL || p != der + len) {
        snprintf(why, whylen, "not a DER OCSP response");
        goto done;
    }
    if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
        (bs = OCSP_response_get1_basic(resp)) == NULL) {
        snprintf(why, whylen, "an OCSP response of status \"%s\", not a basic response",
                 OCSP_response_status_str(OCSP_response_status(resp)));
        goto done;
    }
    for (int i = 0; i < OCSP_resp_count(bs); i++) {
        ASN1_GENERALIZEDTIME *nu = NULL;

        OCSP_single_get0_status(OCSP_resp_get0(bs, i), NULL, NULL, NULL, &nu);
        if (nu != NULL && (*next == NULL || ASN1_TIME_compare(nu, *next) < 0)) {
            ASN1_TIME_free(*next);
            if ((*next = ASN1_STRING_dup(nu)) == NULL) {
                snprintf(why, whylen, "out of memory");
                goto done;
            }
        }
    }
    ok = 1;
done:
    if (!ok) {
        ASN1_TIME_free(*next);
        *next = NULL;
    }
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return ok;
}

/* Read the file again if it changed; under s->lock.  Returns 1, or 0 with why. */
static int
refresh(sslplugi_staple *s, char *why, size_t whylen)
{
    static const sslplugi_data_file kind = {"OCSP response", 0, SSLPLUG_E_CERTIFICATE};
    sslplug_error err;
    unsigned char *der = NULL;
    struct stat st;
    ASN1_TIME *next;
    ssize_t r;
    size_t n = 0;
    int fd;

    if (stat(s->file, &st) != 0) {
        snprintf(why, whylen, "cannot stat %s: %s", s->file, strerror(errno));
        return 0;
    }
    if (s->der != NULL && st.st_dev == s->dev && st.st_ino == s->ino && st.st_size == s->size &&
        st.st_mtim.tv_sec == s->mtime.tv_sec && st.st_mtim.tv_nsec == s->mtime.tv_nsec) {
        return 1;
    }
    if ((fd = sslplugi_file_open_data(s->file, &kind, s->check_files, NULL, &err)) < 0) {
        snprintf(why, whylen, "%s", err.message);
        return 0;
    }
    if (fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > MAX_STAPLE_BYTES ||
        (der = malloc((size_t)st.st_size)) == NULL) {
        snprintf(why, whylen, "%s: empty, too large or unreadable", s->file);
        close(fd);
        return 0;
    }
    while (n < (size_t)st.st_size && (r = read(fd, der + n, (size_t)st.st_size - n)) > 0) {
        n += (size_t)r;
    }
    close(fd);
    if (n != (size_t)st.st_size || !parse_response(der, n, &next, why, whylen)) {
        if (n != (size_t)st.st_size) {
            snprintf(why, whylen, "cannot read %s", s->file);
        }
        free(der);
        return 0;
    }
    free(s->der);
    ASN1_TIME_free(s->next_update);
    s->der = der;
    s->len = n;
    s->next_update = next;
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    s->size = st.st_size;
    s->mtime = st.st_mtim;
    return 1;
}

sslplugi_staple *
sslplugi_staple_new(const char *file, int check_files, const char *pointer, sslplug_error *err)
{
    sslplugi_staple *s = calloc(1, sizeof(*s));
    char why[SSLPLUG_ERROR_MESSAGE_MAX / 2];

    if (s == NULL || (s->file = strdup(file)) == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
        if (s != NULL) {
            free(s->file);
        }
        free(s);
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, pointer, "out of memory");
        return NULL;
    }
    s->check_files = check_files;
    /* The file must be a response now; later it may be replaced by a newer one. */
    if (!refresh(s, why, sizeof(why))) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, pointer, "cannot staple %s: %s", file, why);
        sslplugi_staple_free(s);
        return NULL;
    }
    return s;
}

void
sslplugi_staple_free(sslplugi_staple *s)
{
    if (s == NULL) {
        return;
    }
    pthread_mutex_destroy(&s->lock);
    ASN1_TIME_free(s->next_update);
    free(s->der);
    free(s->file);
    free(s);
}

/* A server's status callback: the response, if it is readable and not expired. */
static int
staple_cb(SSL *ssl, void *arg)
{
    sslplugi_staple *s = arg;
    unsigned char *copy = NULL;
    char why[256];
    size_t len = 0;

    pthread_mutex_lock(&s->lock);
    /* A file that cannot be read now keeps the last good response, until it expires. */
    (void)refresh(s, why, sizeof(why));
    if (s->der != NULL && (s->next_update == NULL || X509_cmp_current_time(s->next_update) > 0) &&
        (copy = OPENSSL_memdup(s->der, s->len)) != NULL) {
        len = s->len;
    }
    pthread_mutex_unlock(&s->lock);
    if (copy == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    /* OpenSSL owns the copy from here. */
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len);
    return SSL_TLSEXT_ERR_OK;
}

int
sslplugi_staple_bind(SSL_CTX *ctx, sslplugi_staple *s)
{
    return SSL_CTX_set_tlsext_status_cb(ctx, staple_cb) && SSL_CTX_set_tlsext_status_arg(ctx, s);
}

/* ---- a client checking the staple ---- */

/* End the handshake: why goes to the error queue, the code to the verification result. */
static int
refuse(SSL *ssl, long code, const char *why)
{
    SSL_set_verify_result(ssl, code);
    ERR_raise_data(ERR_LIB_SSL, SSL_R_INVALID_STATUS_RESPONSE, "%s", why);
    return 0;
}

/* The certificate that issued the leaf: the next in the verified chain, else the store's. */
static X509 *
issuer_of(SSL *ssl, X509 *leaf)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(ssl);
    X509_STORE_CTX *sctx;
    X509 *issuer = NULL;

    if (chain != NULL && sk_X509_num(chain) > 1) {
        issuer = sk_X509_value(chain, 1);
        return X509_up_ref(issuer) ? issuer : NULL;
    }
    if ((sctx = X509_STORE_CTX_new()) != NULL &&
        X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), leaf, NULL)) {
        X509_STORE_CTX_get1_issuer(&issuer, sctx, leaf);
    }
    X509_STORE_CTX_free(sctx);
    return issuer;
}

int
sslplugi_ocsp_check(SSL *ssl, int mode)
{
    int require = mode == SSLPLUGI_OCSP_REQUIRE;
    const unsigned char *der = NULL, *p;
    long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
    OCSP_RESPONSE *resp = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    X509 *leaf = SSL_get0_peer_certificate(ssl), *issuer = NULL;
    ASN1_GENERALIZEDTIME *thisupd, *nextupd;
    int status = -1, reason, r = 0;

    if (der == NULL || len <= 0) {
        return require ? refuse(ssl, X509_V_ERR_OCSP_VERIFY_NEEDED,
                                "no OCSP response stapled, and \"ocsp\" is \"require\"")
                       : 1;
    }
    p = der;
    if ((resp = d2i_OCSP_RESPONSE(NULL, &p, len)) == NULL ||
        OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
        (bs = OCSP_response_get1_basic(resp)) == NULL) {
        r = refuse(ssl, X509_V_ERR_OCSP_VERIFY_FAILED, "the stapled OCSP response is malformed");
        goto done;
    }
    if (leaf == NULL || (issuer = issuer_of(ssl, leaf)) == NULL ||
        (id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL) {
        r = refuse(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                   "the server's certificate or its issuer is not known to check the OCSP "
                   "response against");
        goto done;
    }
    if (OCSP_basic_verify(bs, SSL_get_peer_cert_chain(ssl),
                          SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), 0) <= 0) {
        r = refuse(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                   "the stapled OCSP response is not signed by the certificate's issuer or its "
                   "responder");
        goto done;
    }
    if (!OCSP_resp_find_status(bs, id, &status, &reason, NULL, &thisupd, &nextupd)) {
        r = refuse(ssl, X509_V_ERR_OCSP_CERT_UNKNOWN,
                   "the stapled OCSP response says nothing of the server's certificate");
        goto done;
    }
    if (!OCSP_check_validity(thisupd, nextupd, OCSP_LEEWAY_S, -1)) {
        r = refuse(ssl, X509_V_ERR_OCSP_VERIFY_FAILED,
                   "the stapled OCSP response is stale (outside thisUpdate..nextUpdate)");
        goto done;
    }
    switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
        r = 1;
        break;
    case V_OCSP_CERTSTATUS_REVOKED:
        r = refuse(ssl, X509_V_ERR_CERT_REVOKED,
                   "the stapled OCSP response says the server's certificate is revoked");
        break;
    case V_OCSP_CERTSTATUS_UNKNOWN:
    default:
        r = refuse(ssl, X509_V_ERR_OCSP_CERT_UNKNOWN,
                   "the stapled OCSP response says the server's certificate is unknown");
        break;
    }
done:
    OCSP_CERTID_free(id);
    X509_free(issuer);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    return r;
}

static int
status_cb(SSL *ssl, void *arg)
{
    return sslplugi_ocsp_check(ssl, (int)(intptr_t)arg);
}

int
sslplugi_ocsp_check_bind(SSL_CTX *ctx, int mode)
{
    if (mode == SSLPLUGI_OCSP_OFF) {
        return 1;
    }
    return SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp) &&
           SSL_CTX_set_tlsext_status_cb(ctx, status_cb) &&
           SSL_CTX_set_tlsext_status_arg(ctx, (void *)(intptr_t)mode);
}
