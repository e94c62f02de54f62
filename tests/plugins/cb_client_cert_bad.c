/*
 * cb_client_cert_bad: a client_cert entry that breaks the callback's
 * contract in one configured way, always handing over fresh references so
 * that a host which does not free what it refuses leaks.
 *
 * Config: {"mode": M, "certificate": PEM, "private_key": PEM}, paths
 * relative to the configuration; the files are read at init.
 *   "send"      return 1 with both (a mismatched pair makes the mismatch case)
 *   "two"       return 2 with both set
 *   "minus_one" return -1 with both set (OpenSSL's "suspend the handshake")
 *   "null_cert" return 1 with only the key
 *   "null_key"  return 1 with only the certificate
 *   "zero"      return 0 ("send none") with both set anyway
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

typedef enum mode {
    MODE_SEND,
    MODE_TWO,
    MODE_MINUS_ONE,
    MODE_NULL_CERT,
    MODE_NULL_KEY,
    MODE_ZERO
} mode;

typedef struct bad {
    mode mode;
    X509 *cert;
    EVP_PKEY *key;
} bad;

static void
bad_free(bad *b)
{
    if (b != NULL) {
        X509_free(b->cert);
        EVP_PKEY_free(b->key);
        free(b);
    }
}

static int
parse_mode(const char *name, mode *out)
{
    static const char *const names[] = {"send",      "two",      "minus_one",
                                        "null_cert", "null_key", "zero"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (mode)i;
            return 1;
        }
    }
    return 0;
}

/* Open the file named by config key `key`; NULL after reporting. */
static BIO *
open_config_file(const sslplug_services *services, sslplug_handle *handle, const char *json,
                 const char *key)
{
    char value[PATH_MAX], path[PATH_MAX], pointer[64];
    BIO *bio;

    snprintf(pointer, sizeof(pointer), "/%s", key);
    if (!cb_config_string(json, key, value, sizeof(value)) ||
        !services->resolve_path(handle, value, path, sizeof(path))) {
        services->error(handle, pointer, "expected a path");
        return NULL;
    }
    if ((bio = BIO_new_file(path, "r")) == NULL) {
        services->error(handle, pointer, "cannot open %s", path);
    }
    return bio;
}

static int
bad_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    char name[32];
    BIO *cert_bio = NULL, *key_bio = NULL;
    bad *b = calloc(1, sizeof(*b));
    int ok = 0;

    if (b == NULL) {
        services->error(handle, NULL, "out of memory");
        goto done;
    }
    if (!cb_config_string(config_json, "mode", name, sizeof(name)) || !parse_mode(name, &b->mode)) {
        services->error(handle, "/mode", "expected a known mode");
        goto done;
    }
    if ((cert_bio = open_config_file(services, handle, config_json, "certificate")) == NULL ||
        (key_bio = open_config_file(services, handle, config_json, "private_key")) == NULL) {
        goto done;
    }
    b->cert = PEM_read_bio_X509(cert_bio, NULL, NULL, NULL);
    b->key = PEM_read_bio_PrivateKey(key_bio, NULL, NULL, NULL);
    ERR_clear_error();
    if (b->cert == NULL || b->key == NULL) {
        services->error(handle, NULL, "cannot read the certificate or key");
        goto done;
    }
    *state = b;
    b = NULL;
    ok = 1;
done:
    BIO_free(cert_bio);
    BIO_free(key_bio);
    bad_free(b);
    return ok;
}

static void
bad_fini(void *state)
{
    bad_free(state);
}

static int
bad_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    const bad *b = state;

    (void)ssl;
    if (b->mode != MODE_NULL_CERT && X509_up_ref(b->cert)) {
        *cert = b->cert;
    }
    if (b->mode != MODE_NULL_KEY && EVP_PKEY_up_ref(b->key)) {
        *pkey = b->key;
    }
    switch (b->mode) {
    case MODE_TWO:
        return 2;
    case MODE_MINUS_ONE:
        return -1;
    case MODE_ZERO:
        return 0;
    case MODE_SEND:
    case MODE_NULL_CERT:
    case MODE_NULL_KEY:
    default:
        return 1;
    }
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cb_client_cert_bad",
    .version = "1.0",
    .init = bad_init,
    .fini = bad_fini,
    .client_cert = bad_client_cert,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
