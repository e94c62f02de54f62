/*
 * static_tls: a program with its own static OpenSSL (Debian's libssl.a and
 * libcrypto.a), for test_inject: sslplug run warns that it cannot see its
 * contexts, and indeed the context it makes gets no callback.
 */
#include <stdio.h>

#include <openssl/ssl.h>

int
main(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    printf("static_tls: context made, verify callback: %s\n",
           ctx != NULL && SSL_CTX_get_verify_callback(ctx) != NULL ? "set" : "none");
    SSL_CTX_free(ctx);
    return ctx == NULL;
}
