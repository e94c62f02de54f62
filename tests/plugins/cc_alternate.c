/*
 * cc_alternate: a client_cert plugin that alternates between its matching
 * pair (the same objects every time) and the same certificate with a key
 * that does not match, so a test can show the host's memory of the last
 * good pair never lets a mismatch through.  Config (compact JSON, scanned):
 * {"cert": "/abs.crt", "key": "/abs.key", "bad_key": "/abs.key"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

typedef struct alt_state {
    X509 *cert;
    EVP_PKEY *key, *bad_key;
    unsigned long calls;
} alt_state;

static void
scan(const char *json, const char *key, char *out, size_t len)
{
    char pattern[64];
    const char *p;
    size_t n;

    out[0] = '\0';
    snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
    if ((p = strstr(json, pattern)) != NULL) {
        p += strlen(pattern);
        n = strcspn(p, "\"");
        if (n < len) {
            memcpy(out, p, n);
            out[n] = '\0';
        }
    }
}

static EVP_PKEY *
read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f != NULL ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;

    if (f != NULL) {
        fclose(f);
    }
    return k;
}

static void
alt_fini(void *state)
{
    alt_state *st = state;

    X509_free(st->cert);
    EVP_PKEY_free(st->key);
    EVP_PKEY_free(st->bad_key);
    free(st);
}

static int
alt_init(const sslplug_services *svc, sslplug_handle *handle, const char *config_json, void **state)
{
    alt_state *st = calloc(1, sizeof(*st));
    char cert[512], key[512], bad[512];
    FILE *f;

    if (st == NULL) {
        return 0;
    }
    scan(config_json, "cert", cert, sizeof(cert));
    scan(config_json, "key", key, sizeof(key));
    scan(config_json, "bad_key", bad, sizeof(bad));
    if ((f = fopen(cert, "r")) != NULL) {
        st->cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    /* Shared by every thread's handshakes: OpenSSL's extension cache filled now (plugin(7)). */
    if (st->cert != NULL) {
        (void)X509_check_purpose(st->cert, -1, 0);
    }
    st->key = read_key(key);
    st->bad_key = read_key(bad);
    if (st->cert == NULL || st->key == NULL || st->bad_key == NULL) {
        svc->error(handle, "", "cannot load %s, %s, %s", cert, key, bad);
        alt_fini(st);
        return 0;
    }
    *state = st;
    return 1;
}

static int
alt_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    alt_state *st = state;
    EVP_PKEY *key = st->calls++ % 2 == 0 ? st->key : st->bad_key;

    (void)ssl;
    X509_up_ref(st->cert);
    EVP_PKEY_up_ref(key);
    *cert = st->cert;
    *pkey = key;
    return 1;
}

/* clang-format off */
static const sslplug_plugin alt_descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cc_alternate",
    .version = "1",
    .init = alt_init,
    .fini = alt_fini,
    .client_cert = alt_client_cert,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &alt_descriptor;
}
