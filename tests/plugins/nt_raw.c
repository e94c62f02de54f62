/*
 * nt_raw: the new callback types as plain functions with OpenSSL's own
 * signatures, bound with "symbol".  Settings come from the environment:
 * NT_RAW_CHAIN and NT_RAW_KEY (cert), NT_RAW_REJECT (servername rejects that
 * name), NT_RAW_KEYLOG (file the keylog lines are appended to).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#define EXPORT __attribute__((visibility("default")))

EXPORT int nt_raw_cert(SSL *ssl, void *arg);
EXPORT int nt_raw_servername(SSL *ssl, int *alert, void *arg);
EXPORT void nt_raw_keylog(const SSL *ssl, const char *line);

int
nt_raw_cert(SSL *ssl, void *arg)
{
    const char *chain = getenv("NT_RAW_CHAIN"), *key = getenv("NT_RAW_KEY");
    int ok;

    (void)arg;
    if (chain == NULL || key == NULL) {
        return 1; /* nothing to set */
    }
    ok = SSL_use_certificate_chain_file(ssl, chain) == 1 &&
         SSL_use_PrivateKey_file(ssl, key, SSL_FILETYPE_PEM) == 1;
    return ok;
}

int
nt_raw_servername(SSL *ssl, int *alert, void *arg)
{
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const char *reject = getenv("NT_RAW_REJECT");

    (void)arg;
    if (name != NULL && reject != NULL && strcmp(name, reject) == 0) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    return SSL_TLSEXT_ERR_OK;
}

void
nt_raw_keylog(const SSL *ssl, const char *line)
{
    const char *file = getenv("NT_RAW_KEYLOG");
    FILE *f;

    (void)ssl;
    if (file != NULL && (f = fopen(file, "a")) != NULL) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
}
