/*
 * client_cert_file: answer a server's certificate request with a
 * certificate and key read from PEM files at init.
 *
 * Everything that can go wrong with the files (missing, not PEM, encrypted
 * key, key not matching the certificate) is found at init, where it can be
 * reported against the config, rather than mid-handshake, where the server
 * would only see that no certificate came.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <sslplug/plugin.h>

#include "cert_key.h"
#include "sslplug_plugin_util.h"

typedef struct client_cert_file {
    const sslplug_services *services;
    const sslplug_handle *handle;
    X509 *cert;
    EVP_PKEY *key;
    char subject[256];
} client_cert_file;

static void
cc_free(client_cert_file *cc)
{
    if (cc == NULL) {
        return;
    }
    X509_free(cc->cert);
    EVP_PKEY_free(cc->key);
    free(cc);
}

static int
cc_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"certificate", "private_key", NULL};
    sslplugi_cfg cfg;
    client_cert_file *cc = NULL;
    char *cert_path = NULL;
    char *key_path = NULL;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_path(&cfg, "certificate", SSLPLUGI_REQUIRED, &cert_path) ||
        !sslplugi_cfg_path(&cfg, "private_key", SSLPLUGI_REQUIRED, &key_path)) {
        goto done;
    }
    cc = calloc(1, sizeof(*cc));
    if (cc == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (!sslplugi_pem_read_certs(&cfg, "/certificate", cert_path, &cc->cert, NULL, 0) ||
        (cc->key = sslplugi_pem_read_key(&cfg, "/private_key", key_path)) == NULL) {
        goto done;
    }
    ERR_set_mark();
    if (!X509_check_private_key(cc->cert, cc->key)) {
        sslplugi_cfg_error(&cfg, "private_key", "private key %s does not match certificate %s: %s",
                           key_path, cert_path, sslplugi_ossl_reason());
        ERR_pop_to_mark();
        goto done;
    }
    ERR_pop_to_mark();
    cc->services = services;
    cc->handle = handle;
    sslplugi_x509_name(X509_get_subject_name(cc->cert), cc->subject, sizeof(cc->subject));

    *state = cc;
    cc = NULL;
    ok = 1;

done:
    cc_free(cc);
    free(cert_path);
    free(key_path);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
cc_fini(void *state)
{
    cc_free(state);
}

static int
cc_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    const client_cert_file *cc = state;

    (void)ssl;
    if (!sslplugi_cert_key_get1(cc->cert, cc->key, cert, pkey)) {
        return 0;
    }
    cc->services->log(cc->handle, SSLPLUG_LOG_DEBUG, "sending client certificate \"%s\"",
                      cc->subject);
    return 1;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "client_cert_file",
    .version = "1.0",
    .init = cc_init,
    .fini = cc_fini,
    .client_cert = cc_client_cert,
    /* Callbacks only read state fixed at init (or lock it themselves). */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
