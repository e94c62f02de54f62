/*
 * ocsp_staple_file: a server staples, for the certificate it is about to
 * send, the OCSP response among "files" that speaks of that certificate
 * (its serial number and issuer), so one entry serves a server with several
 * certificates (cert_select_sni, named contexts).  Each file is read again
 * when it changes (inode, size or modification time), and a response past
 * its nextUpdate is not stapled.  Provides the status callback (ABI 1.4);
 * on a client it accepts whatever the context's "ocsp" check accepted.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/ocsp.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

/* The largest response file read. */
#define MAX_RESPONSE_BYTES (256 * 1024)

typedef struct response {
    char *path;
    unsigned char *der;
    size_t len;
    OCSP_BASICRESP *basic; /* parsed from der */
    struct stat seen;      /* of the file when it was last read, usable or not */
    int bad;               /* the file as seen could not be used (der: the last good one) */
    int missing;           /* the file could not be found at the last look */
} response;

typedef struct staple_file {
    const sslplug_services *services;
    const sslplug_handle *handle;
    pthread_mutex_t lock; /* the responses, read again as their files change */
    response *responses;
    size_t count;
} staple_file;

static void
response_clear(response *r)
{
    free(r->der);
    OCSP_BASICRESP_free(r->basic);
    r->der = NULL;
    r->basic = NULL;
    r->len = 0;
}

static void
sf_fini(void *state)
{
    staple_file *sf = state;

    if (sf == NULL) {
        return;
    }
    for (size_t i = 0; i < sf->count; i++) {
        response_clear(&sf->responses[i]);
        free(sf->responses[i].path);
    }
    free(sf->responses);
    pthread_mutex_destroy(&sf->lock);
    free(sf);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Read r's file again if it changed: 1 when it is usable or unchanged; 0
 * when it cannot be used, with why; -1 for the same trouble as at the last
 * look, already told (a broken file is neither read nor logged again on
 * every handshake until it changes).
 */
static int
refresh(response *r, char *why, size_t whylen)
{
    OCSP_RESPONSE *resp = NULL;
    const unsigned char *p;
    char *der = NULL;
    struct stat st;
    size_t len = 0;

    if (stat(r->path, &st) != 0) {
        snprintf(why, whylen, "cannot stat %s", r->path);
        if (r->missing) {
            return -1;
        }
        r->missing = 1;
        return 0;
    }
    r->missing = 0;
    if ((r->der != NULL || r->bad) && same_file(&st, &r->seen)) {
        return r->bad ? -1 : 1;
    }
    r->seen = st;
    r->bad = 1; /* until it parses */
    if (!sslplugi_read_file(r->path, MAX_RESPONSE_BYTES, &der, &len)) {
        snprintf(why, whylen, "cannot read %s", r->path);
        return 0;
    }
    p = (const unsigned char *)der;
    if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL ||
        p != (const unsigned char *)der + len ||
        OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        snprintf(why, whylen, "%s is not a successful DER OCSP response", r->path);
        OCSP_RESPONSE_free(resp);
        free(der);
        return 0;
    }
    response_clear(r);
    r->basic = OCSP_response_get1_basic(resp);
    OCSP_RESPONSE_free(resp);
    r->der = (unsigned char *)der;
    r->len = len;
    r->bad = r->basic == NULL;
    return !r->bad;
}

static int
sf_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"files", NULL};
    staple_file *sf = calloc(1, sizeof(*sf));
    char **files = NULL, why[512];
    size_t n = 0;
    sslplugi_cfg cfg;
    int ok = 0;

    if (sf == NULL || pthread_mutex_init(&sf->lock, NULL) != 0) {
        free(sf);
        return 0;
    }
    sf->services = services;
    sf->handle = handle;
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_strings(&cfg, "files", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &files, &n)) {
        goto done;
    }
    if ((sf->responses = calloc(n, sizeof(*sf->responses))) == NULL) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];

        if (!services->resolve_path(handle, files[i], path, sizeof(path)) ||
            (sf->responses[i].path = strdup(path)) == NULL) {
            sslplugi_cfg_element_error(&cfg, "files", i, "path too long");
            goto done;
        }
        sf->count++;
        /* Each must be a response now; later it may be replaced by a newer one. */
        if (refresh(&sf->responses[i], why, sizeof(why)) != 1) {
            sslplugi_cfg_element_error(&cfg, "files", i, "%s", why);
            goto done;
        }
    }
    *state = sf;
    sf = NULL;
    ok = 1;
done:
    sslplugi_strings_free(files);
    sslplugi_cfg_close(&cfg);
    sf_fini(sf);
    return ok;
}

/*
 * Whether a single response of basic speaks of cert: the same serial
 * number, and the hash of the same issuer name in the response's digest.
 */
static int
speaks_of(OCSP_BASICRESP *basic, X509 *cert, int fresh_only)
{
    for (int i = 0; i < OCSP_resp_count(basic); i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(basic, i);
        const OCSP_CERTID *id = OCSP_SINGLERESP_get0_id(single);
        ASN1_OCTET_STRING *name_hash = NULL;
        ASN1_OBJECT *md_oid = NULL;
        ASN1_INTEGER *serial = NULL;
        ASN1_GENERALIZEDTIME *next = NULL;
        unsigned char hash[EVP_MAX_MD_SIZE];
        unsigned int hash_len = 0;
        const EVP_MD *md;

        if (!OCSP_id_get0_info(&name_hash, &md_oid, NULL, &serial, (OCSP_CERTID *)(uintptr_t)id) ||
            (md = EVP_get_digestbyobj(md_oid)) == NULL ||
            ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(cert)) != 0 ||
            !X509_NAME_digest(X509_get_issuer_name(cert), md, hash, &hash_len) ||
            (size_t)ASN1_STRING_length(name_hash) != hash_len ||
            memcmp(ASN1_STRING_get0_data(name_hash), hash, hash_len) != 0) {
            continue;
        }
        OCSP_single_get0_status(single, NULL, NULL, NULL, &next);
        return !fresh_only || next == NULL || X509_cmp_current_time(next) > 0;
    }
    return 0;
}

static int
sf_status(void *state, SSL *ssl, const unsigned char *response_der, size_t len,
          unsigned char **staple, size_t *staple_len)
{
    staple_file *sf = state;
    X509 *cert = SSL_get_certificate(ssl);
    char why[512];
    int found = 0;

    (void)response_der;
    (void)len;
    if (!SSL_is_server(ssl)) {
        return SSLPLUG_STATUS_OK;
    }
    if (cert == NULL) {
        return SSLPLUG_STATUS_NONE;
    }
    pthread_mutex_lock(&sf->lock);
    for (size_t i = 0; i < sf->count && !found; i++) {
        response *r = &sf->responses[i];

        /* A file that cannot be read now keeps its last good response, until it expires. */
        if (refresh(r, why, sizeof(why)) == 0) {
            sf->services->log(sf->handle, SSLPLUG_LOG_WARNING, "%s", why);
        }
        if (r->basic != NULL && speaks_of(r->basic, cert, 1) &&
            (*staple = OPENSSL_memdup(r->der, r->len)) != NULL) {
            *staple_len = r->len;
            found = 1;
        }
    }
    pthread_mutex_unlock(&sf->lock);
    return found ? SSLPLUG_STATUS_OK : SSLPLUG_STATUS_NONE;
}

/* clang-format off */
static const sslplug_plugin ocsp_staple_file_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "ocsp_staple_file",
    .version = "1.0",
    .init = sf_init,
    .fini = sf_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .status = sf_status,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &ocsp_staple_file_plugin;
}
