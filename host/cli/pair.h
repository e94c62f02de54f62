/*
 * An in-process TLS handshake between two contexts over a BIO pair: no
 * sockets, no threads, bounded.  Used by `sslplug handshake`, the tests and
 * the benchmarks.  Internal: not installed.
 */
#ifndef SSLPLUG_PAIR_H
#define SSLPLUG_PAIR_H

#include <openssl/ssl.h>

typedef struct sslplug_pair {
    SSL *server;
    SSL *client;
    int server_done; /* SSL_do_handshake returned 1 */
    int client_done;
    char server_error[256]; /* OpenSSL's reason when that side failed */
    char client_error[256];
} sslplug_pair;

/*
 * Make both connections.  servername, if not NULL, is sent as SNI and
 * checked against the server's certificate by the client.  Returns 1 or 0.
 */
int sslplug_pair_init(sslplug_pair *pair, SSL_CTX *server, SSL_CTX *client, const char *servername);

/* Drive both sides until each completes or fails.  Returns 1 when both completed. */
int sslplug_pair_handshake(sslplug_pair *pair);

/* Free both connections; the pair may be initialised again. */
void sslplug_pair_cleanup(sslplug_pair *pair);

#endif /* SSLPLUG_PAIR_H */
