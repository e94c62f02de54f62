/*
 * An existing OpenSSL server that takes its TLS policy from sslplug.
 *
 *     embed_server CONFIG [PORT]
 *
 * It listens on 127.0.0.1:PORT (default 0: any free port, printed as
 * "listening on 127.0.0.1:PORT"), accepts one connection, reads a line and
 * sends it back.  Everything except the block marked "sslplug" is plain
 * OpenSSL and sockets, as the server had it before: sslplug_ctx_apply adds
 * the configuration's settings (certificate, key, CA, verification) and
 * plugin callbacks to the context the application made itself.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sslplug/sslplug.h>

static int
listen_on(unsigned short port)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 1) != 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
        perror("embed_server: listen");
        exit(1);
    }
    printf("listening on 127.0.0.1:%u\n", (unsigned)ntohs(sin.sin_port));
    fflush(stdout);
    return fd;
}

int
main(int argc, char **argv)
{
    SSL_CTX *ctx;
    SSL *ssl = NULL;
    char line[1024];
    int lfd, fd = -1, n, rc = 1;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: embed_server CONFIG [PORT]\n");
        return 2;
    }
    ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)) {
        ERR_print_errors_fp(stderr);
        return 1;
    }

    /* ---- sslplug: the configuration's settings and plugins, onto our context ---- */
    {
        sslplug_error err;
        sslplug_host *host = sslplug_host_load(argv[1], &err);
        int ok = host != NULL && sslplug_ctx_apply(host, ctx, &err);

        sslplug_host_free(host); /* the context keeps what it needs */
        if (!ok) {
            fprintf(stderr, "embed_server: %s: %s%s%s\n", err.source, err.pointer,
                    err.pointer[0] != '\0' ? ": " : "", err.message);
            SSL_CTX_free(ctx);
            return 1;
        }
    }
    /* ---- end of sslplug ---- */

    lfd = listen_on(argc == 3 ? (unsigned short)strtoul(argv[2], NULL, 10) : 0);
    if ((fd = accept(lfd, NULL, NULL)) < 0 || (ssl = SSL_new(ctx)) == NULL ||
        SSL_set_fd(ssl, fd) != 1) {
        perror("embed_server: accept");
        goto done;
    }
    if (SSL_accept(ssl) != 1) {
        fprintf(stderr, "embed_server: handshake failed\n");
        ERR_print_errors_fp(stderr);
        goto done;
    }
    printf("handshake: ok, %s\n", SSL_get_version(ssl));
    if ((n = SSL_read(ssl, line, (int)sizeof(line))) <= 0 || SSL_write(ssl, line, n) != n) {
        fprintf(stderr, "embed_server: echo failed\n");
        goto done;
    }
    printf("echoed %d bytes\n", n);
    SSL_shutdown(ssl);
    rc = 0;
done:
    SSL_free(ssl);
    if (fd >= 0) {
        close(fd);
    }
    close(lfd);
    SSL_CTX_free(ctx);
    return rc;
}
