/*
 * sslplug connect: a TLS client on a real socket, for trying a client
 * configuration against a real server (openssl s_server, sslplug serve).
 * Connects, handshakes with every callback call traced on stdout, sends one
 * line, reads one line back, and prints what it learnt about the peer.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"

/* Bounds: the TCP connect to each address, then everything after it. */
#define CONNECT_TIMEOUT_MS 10000
#define CONNECT_IO_TIMEOUT_MS 30000

#define CONNECT_LINE "hello from sslplug\n"

static const char usage_text[] = "usage: sslplug connect CONFIG HOST:PORT [--servername NAME]\n";

static SSL_CTX *
client_ctx(const char *config)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(config, &err);
    SSL_CTX *ctx = NULL;

    if (host != NULL) {
        /* The tag is a string literal: it outlives every context. */
        sslplug_host_set_trace(host, cli_print_trace, (void *)(uintptr_t) "client");
        sslplug_host_set_log(host, cli_print_log, (void *)(uintptr_t) "client");
        ctx = sslplug_ctx_new(host, &err);
    }
    sslplug_host_free(host);
    if (ctx == NULL) {
        cli_print_error(stdout, &err);
        return NULL;
    }
    if (SSL_CTX_get_ssl_method(ctx) == TLS_server_method()) {
        printf("%s: /context/role: connect needs a client configuration (role \"client\")\n",
               config);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* Handshake, one line each way, close_notify.  Returns 1 when all but the close worked. */
static int
talk(SSL *ssl, const char *servername)
{
    cli_net_wait wait = {cli_net_now_ms() + CONNECT_IO_TIMEOUT_MS, -1, NULL};
    char why[CLI_NET_WHY_MAX], reply[4096];
    int n;

    if (servername != NULL &&
        (SSL_set_tlsext_host_name(ssl, servername) != 1 || SSL_set1_host(ssl, servername) != 1)) {
        printf("connect: cannot use servername \"%s\"\n", servername);
        return 0;
    }
    if (!cli_net_ssl(ssl, CLI_NET_CONNECT, NULL, 0, &wait, why, sizeof(why))) {
        printf("handshake: failed: %s\n", why);
        cli_print_peer(ssl);
        return 0;
    }
    printf("handshake: ok\n");
    cli_print_peer(ssl);
    if (!cli_net_ssl(ssl, CLI_NET_WRITE, (void *)(uintptr_t)CONNECT_LINE, (int)strlen(CONNECT_LINE),
                     &wait, why, sizeof(why))) {
        printf("send: failed: %s\n", why);
        return 0;
    }
    cli_print_text("sent", CONNECT_LINE, strlen(CONNECT_LINE));
    if ((n = cli_net_read_line(ssl, reply, sizeof(reply), &wait, why, sizeof(why))) <= 0) {
        printf("reply: failed: %s\n", why);
        return 0;
    }
    cli_print_text("reply", reply, (size_t)n);
    /* close_notify is a courtesy; a server that already left changes nothing. */
    cli_net_ssl(ssl, CLI_NET_SHUTDOWN, NULL, 0, &wait, why, sizeof(why));
    return 1;
}

static int
run(const char *config, const char *target, const char *servername)
{
    char host[256], port[32], name[CLI_NET_NAME_MAX], why[CLI_NET_WHY_MAX];
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    int fd = -1, rc = CLI_FAIL;

    /* Keep the trace in order with what plugins write to stderr. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A server that closes early must not kill us in the middle of a write. */
    signal(SIGPIPE, SIG_IGN);
    if (!cli_net_split(target, host, sizeof(host), port, sizeof(port))) {
        fprintf(stderr, "sslplug connect: \"%s\" is not HOST:PORT\n%s", target, usage_text);
        return CLI_USAGE;
    }
    if ((ctx = client_ctx(config)) == NULL) {
        goto done;
    }
    fd = cli_net_connect(host, port, CONNECT_TIMEOUT_MS, name, sizeof(name), why, sizeof(why));
    if (fd < 0) {
        printf("connect: %s\n", why);
        goto done;
    }
    printf("connected to %s\n", name);
    if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
        printf("connect: cannot create the connection: %s\n", cli_openssl_reason());
        goto done;
    }
    rc = talk(ssl, servername) ? CLI_OK : CLI_FAIL;
done:
    SSL_free(ssl);
    if (fd >= 0) {
        close(fd);
    }
    SSL_CTX_free(ctx);
    return rc;
}

int
cli_connect(int argc, char **argv)
{
    const char *args[2], *servername = NULL;
    int n = 0;

    if (cli_wants_help(argc, argv)) {
        printf("%s\n"
               "Connect to HOST:PORT (\"[ADDR]:PORT\" for an IPv6 address) with a context made\n"
               "from CONFIG, a client configuration; every callback call is printed.  After\n"
               "the handshake, send \"hello from sslplug\" and a newline, read one line back\n"
               "(an echo server such as `sslplug serve` returns it; `openssl s_server -rev`\n"
               "reversed), and print:\n\n"
               "  peer: SUBJECT          the server's certificate subject, or (none)\n"
               "  verify: CODE (TEXT)    the verification result (0 is ok)\n"
               "  protocol: VERSION      and cipher: NAME\n\n"
               "  --servername NAME  send NAME as SNI and check the server's certificate\n"
               "                     against it (without it, only the chain is verified)\n\n"
               "Exit 0 when the handshake completed and a line came back, 1 otherwise.  The\n"
               "TCP connect is bounded by %d s per address, the rest by %d s.\n",
               usage_text, CONNECT_TIMEOUT_MS / 1000, CONNECT_IO_TIMEOUT_MS / 1000);
        return CLI_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--servername") == 0 && i + 1 < argc) {
            servername = argv[++i];
        } else if (argv[i][0] != '-' && n < 2) {
            args[n++] = argv[i];
        } else {
            n = -1;
            break;
        }
    }
    if (n != 2) {
        fputs(usage_text, stderr);
        return CLI_USAGE;
    }
    return run(args[0], args[1], servername);
}
