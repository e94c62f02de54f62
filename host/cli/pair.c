#include "pair.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

/* A TLS 1.2/1.3 handshake takes a handful of flights; this is a hang guard. */
#define MAX_ROUNDS 64

int
sslplug_pair_init(sslplug_pair *pair, SSL_CTX *server, SSL_CTX *client, const char *servername)
{
    BIO *sbio = NULL, *cbio = NULL;

    memset(pair, 0, sizeof(*pair));
    if ((pair->server = SSL_new(server)) == NULL || (pair->client = SSL_new(client)) == NULL ||
        !BIO_new_bio_pair(&sbio, 0, &cbio, 0)) {
        goto fail;
    }
    SSL_set_bio(pair->server, sbio, sbio);
    SSL_set_bio(pair->client, cbio, cbio);
    SSL_set_accept_state(pair->server);
    SSL_set_connect_state(pair->client);
    if (servername != NULL && (!SSL_set_tlsext_host_name(pair->client, servername) ||
                               !SSL_set1_host(pair->client, servername))) {
        goto fail;
    }
    return 1;
fail:
    sslplug_pair_cleanup(pair);
    return 0;
}

/* One step of one side: 1 done, 0 wants more, -1 failed. */
static int
step(SSL *ssl, int *done, char *error, size_t errlen)
{
    int r;

    if (*done) {
        return 1;
    }
    ERR_clear_error();
    r = SSL_do_handshake(ssl);
    if (r == 1) {
        *done = 1;
        return 1;
    }
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    default: {
        unsigned long e = ERR_peek_error();
        long vr = SSL_get_verify_result(ssl);

        if (e != 0) {
            ERR_error_string_n(e, error, errlen);
        } else {
            snprintf(error, errlen, "handshake failed (no reason queued)");
        }
        if (vr != X509_V_OK) {
            size_t n = strlen(error);
            snprintf(error + n, errlen - n, " (verify result %ld: %s)", vr,
                     X509_verify_cert_error_string(vr));
        }
        ERR_clear_error();
        return -1;
    }
    }
}

int
sslplug_pair_handshake(sslplug_pair *pair)
{
    for (int round = 0; round < MAX_ROUNDS; round++) {
        int c =
            step(pair->client, &pair->client_done, pair->client_error, sizeof(pair->client_error));
        int s =
            step(pair->server, &pair->server_done, pair->server_error, sizeof(pair->server_error));

        if (c < 0 || s < 0) {
            /* Let the other side read the alert the failing side sent. */
            if (c >= 0) {
                step(pair->client, &pair->client_done, pair->client_error,
                     sizeof(pair->client_error));
            }
            if (s >= 0) {
                step(pair->server, &pair->server_done, pair->server_error,
                     sizeof(pair->server_error));
            }
            return 0;
        }
        if (c == 1 && s == 1) {
            return 1;
        }
    }
    snprintf(pair->client_error, sizeof(pair->client_error), "no progress after %d rounds",
             MAX_ROUNDS);
    return 0;
}

void
sslplug_pair_cleanup(sslplug_pair *pair)
{
    SSL_free(pair->server);
    SSL_free(pair->client);
    pair->server = NULL;
    pair->client = NULL;
}
