/*
 * sslplug connect: a TLS client on a real socket, for trying a client
 * configuration against a real server (openssl s_server, nginx, sslplug
 * serve).  Connects, handshakes with every callback call traced on stdout,
 * checks the server's name (HOST, as curl does, unless told otherwise),
 * then sends a line and reads one back, or makes an HTTP request and prints
 * the response's status line and headers; optionally connects again
 * offering the session, to show whether the server resumes it.
 */
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#include "cli.h"
#include "net.h"
#include "opts.h"

/* Defaults: the whole exchange, and the TCP connect to each address within it. */
#define CONNECT_TIMEOUT_S 30
#define CONNECT_TCP_TIMEOUT_MS 10000
/* What is printed of an HTTP response's body. */
#define CONNECT_BODY_MAX 4096

static const char usage_text[] =
    "usage: sslplug connect CONFIG HOST:PORT [--servername NAME] [--no-verify-host]\n"
    "                       [--send TEXT | --http PATH] [--showcerts] [--reconnect]\n"
    "                       [--timeout SECONDS]\n";

typedef struct options {
    const char *config;
    const char *target;
    const char *servername; /* SNI and the name checked; default HOST */
    int no_verify_host;
    const char *send;
    const char *http;
    int showcerts;
    int reconnect;
    long timeout_s;
} options;

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
        cli_print_error(stderr, &err);
        return NULL;
    }
    if (SSL_CTX_get_ssl_method(ctx) == TLS_server_method()) {
        fprintf(stderr,
                "%s: /context/role: connect needs a client configuration (role \"client\")\n",
                config);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int
is_ip_literal(const char *name)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/*
 * The name the server must prove: --servername, else the configuration's
 * verify_host, else HOST; an IP address is checked as one and not sent as
 * SNI (RFC 6066 forbids it).  Returns 1, or 0 when it cannot be used.
 */
static int
set_name(SSL *ssl, const options *o, const char *host)
{
    const char *name = o->servername != NULL ? o->servername : host;
    const X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    int configured = X509_VERIFY_PARAM_get0_host((X509_VERIFY_PARAM *)(uintptr_t)param, 0) != NULL;

    if (is_ip_literal(name)) {
        if (o->no_verify_host || (configured && o->servername == NULL)) {
            return 1;
        }
        printf("verify host: %s (an IP address)\n", name);
        return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) == 1;
    }
    if (SSL_set_tlsext_host_name(ssl, name) != 1) {
        return 0;
    }
    if (o->no_verify_host) {
        printf("verify host: off (--no-verify-host)\n");
        return 1;
    }
    if (configured && o->servername == NULL) {
        printf("verify host: %s (the configuration's verify_host)\n",
               X509_VERIFY_PARAM_get0_host((X509_VERIFY_PARAM *)(uintptr_t)param, 0));
        return 1;
    }
    printf("verify host: %s\n", name);
    return SSL_set1_host(ssl, name) == 1;
}

/* "GET PATH", then the status line and headers printed; 1 for a status below 400. */
static int
http_get(SSL *ssl, const options *o, const char *host, const cli_net_wait *wait)
{
    cli_net_reader *r = calloc(1, sizeof(*r));
    char line[4096], why[CLI_NET_WHY_MAX], *req = NULL;
    size_t shown = 0;
    int n, status = 0, ok = 0;

    if (r == NULL) {
        printf("http: out of memory\n");
        return 0;
    }
    r->ssl = ssl;
    n = snprintf(NULL, 0,
                 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sslplug\r\n"
                 "Connection: close\r\n\r\n",
                 o->http, host);
    if (n < 0 || (req = malloc((size_t)n + 1)) == NULL) {
        printf("http: out of memory\n");
        goto done;
    }
    snprintf(req, (size_t)n + 1,
             "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: sslplug\r\n"
             "Connection: close\r\n\r\n",
             o->http, host);
    if (!cli_net_ssl(ssl, CLI_NET_WRITE, req, n, wait, why, sizeof(why))) {
        printf("http: sending the request failed: %s\n", why);
        goto done;
    }
    cli_print_text(stdout, "request", req, strcspn(req, "\r"));
    if (cli_net_read_line(r, line, sizeof(line), wait, why, sizeof(why)) <= 0 ||
        sscanf(line, "HTTP/%*d.%*d %d", &status) != 1) {
        printf("http: no response: %s\n", why);
        goto done;
    }
    cli_print_text(stdout, "status", line, strlen(line));
    while ((n = cli_net_read_line(r, line, sizeof(line), wait, why, sizeof(why))) > 0 &&
           strcmp(line, "\r\n") != 0 && strcmp(line, "\n") != 0) {
        cli_print_text(stdout, "header", line, (size_t)n);
    }
    /* The body, as far as it is text worth showing. */
    while (shown < CONNECT_BODY_MAX &&
           (n = cli_net_read_line(r, line, sizeof(line), wait, why, sizeof(why))) > 0) {
        cli_print_text(stdout, "body", line, (size_t)n);
        shown += (size_t)n;
    }
    ok = status < 400;
    if (!ok) {
        printf("http: status %d\n", status);
    }
done:
    free(req);
    free(r);
    return ok;
}

/* One line out, one line back. */
static int
echo(SSL *ssl, const options *o, const cli_net_wait *wait)
{
    cli_net_reader *r = calloc(1, sizeof(*r));
    char why[CLI_NET_WHY_MAX], reply[4096], *line = NULL;
    size_t len = strlen(o->send);
    int n, ok = 0;

    if (r == NULL || (line = malloc(len + 2)) == NULL) {
        printf("send: out of memory\n");
        goto done;
    }
    r->ssl = ssl;
    memcpy(line, o->send, len);
    line[len++] = '\n';
    line[len] = '\0';
    if (!cli_net_ssl(ssl, CLI_NET_WRITE, line, (int)len, wait, why, sizeof(why))) {
        printf("send: failed: %s\n", why);
        goto done;
    }
    cli_print_text(stdout, "sent", line, len);
    if ((n = cli_net_read_line(r, reply, sizeof(reply), wait, why, sizeof(why))) <= 0) {
        printf("reply: failed: %s\n", why);
        goto done;
    }
    cli_print_text(stdout, "reply", reply, (size_t)n);
    ok = 1;
done:
    free(line);
    free(r);
    return ok;
}

/*
 * One connection: TCP, handshake (offering resume, if any), the exchange,
 * close_notify.  *session gets the session to offer next time.  Returns 1
 * when the handshake and the exchange worked.
 */
static int
one_connection(SSL_CTX *ctx, const options *o, const char *host, const char *port,
               SSL_SESSION *resume, SSL_SESSION **session, int *resumed)
{
    cli_net_wait wait = {cli_net_now_ms() + o->timeout_s * 1000, -1, NULL, 0, 0};
    char name[CLI_NET_NAME_MAX], why[CLI_NET_WHY_MAX];
    long tcp_ms =
        o->timeout_s * 1000 < CONNECT_TCP_TIMEOUT_MS ? o->timeout_s * 1000 : CONNECT_TCP_TIMEOUT_MS;
    SSL *ssl = NULL;
    int fd, ok = 0;

    fd = cli_net_connect(host, port, (int)tcp_ms, name, sizeof(name), why, sizeof(why));
    if (fd < 0) {
        printf("connect: %s\n", why);
        return 0;
    }
    printf("connected to %s\n", name);
    if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
        printf("connect: cannot create the connection: %s\n", cli_openssl_reason());
        goto done;
    }
    if (!set_name(ssl, o, host)) {
        printf("connect: cannot use the name \"%s\"\n",
               o->servername != NULL ? o->servername : host);
        goto done;
    }
    if (resume != NULL && SSL_set_session(ssl, resume) != 1) {
        printf("connect: cannot offer the session\n");
        goto done;
    }
    if (!cli_net_ssl(ssl, CLI_NET_CONNECT, NULL, 0, &wait, why, sizeof(why))) {
        printf("handshake: failed: %s\n", why);
        cli_print_peer(stdout, ssl);
        goto done;
    }
    printf("handshake: ok\n");
    cli_print_peer(stdout, ssl);
    *resumed = SSL_session_reused(ssl);
    if (o->showcerts) {
        cli_print_chain(stdout, ssl);
    }
    ok = o->http != NULL ? http_get(ssl, o, host, &wait) : echo(ssl, o, &wait);
    /* A TLS 1.3 server sends its tickets after the handshake: they have been read by now. */
    if (session != NULL) {
        *session = SSL_get1_session(ssl);
    }
    /* close_notify is a courtesy; a server that already left changes nothing. */
    cli_net_ssl(ssl, CLI_NET_SHUTDOWN, NULL, 0, &wait, why, sizeof(why));
done:
    SSL_free(ssl);
    close(fd);
    return ok;
}

static int
run(const options *o)
{
    char host[256], port[32];
    SSL_SESSION *session = NULL;
    SSL_CTX *ctx = NULL;
    int ok, resumed = 0;

    /* Keep the trace in order with what plugins write to stderr. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* A server that closes early must not kill us in the middle of a write. */
    signal(SIGPIPE, SIG_IGN);
    if (!cli_net_split(o->target, host, sizeof(host), port, sizeof(port))) {
        fprintf(stderr, "sslplug connect: \"%s\" is not HOST:PORT\n%s", o->target, usage_text);
        return CLI_USAGE;
    }
    if ((ctx = client_ctx(o->config)) == NULL) {
        return CLI_FAIL;
    }
    ok = one_connection(ctx, o, host, port, NULL, o->reconnect ? &session : NULL, &resumed);
    if (ok && o->reconnect) {
        int resumable = session != NULL && SSL_SESSION_is_resumable(session);

        printf("reconnect: %s\n", resumable ? "offering the session of the first connection"
                                            : "the server gave no session to resume");
        resumed = 0;
        ok = one_connection(ctx, o, host, port, resumable ? session : NULL, NULL, &resumed);
        if (ok) {
            printf("reconnect: %s\n",
                   resumed ? "the server resumed the session" : "not resumed: a full handshake");
        }
    }
    SSL_SESSION_free(session);
    SSL_CTX_free(ctx);
    return ok ? CLI_OK : CLI_FAIL;
}

int
cli_connect(int argc, char **argv)
{
    options o = {NULL, NULL, NULL, 0, NULL, NULL, 0, 0, CONNECT_TIMEOUT_S};
    const char *pos[2];
    const cli_opt opts[] = {
        {"--servername", CLI_OPT_TEXT, &o.servername, 0, 0},
        {"--no-verify-host", CLI_OPT_FLAG, &o.no_verify_host, 0, 0},
        {"--send", CLI_OPT_TEXT, &o.send, 0, 0},
        {"--http", CLI_OPT_TEXT, &o.http, 0, 0},
        {"--showcerts", CLI_OPT_FLAG, &o.showcerts, 0, 0},
        {"--reconnect", CLI_OPT_FLAG, &o.reconnect, 0, 0},
        {"--timeout", CLI_OPT_NUMBER, &o.timeout_s, 1, 3600},
        {NULL, CLI_OPT_FLAG, NULL, 0, 0},
    };

    if (cli_wants_help(argc, argv)) {
        printf(
            "%s\n"
            "Connect to HOST:PORT (\"[ADDR]:PORT\" for an IPv6 address) with a context made\n"
            "from CONFIG, a client configuration; every callback call is printed.  The\n"
            "server's certificate must be valid for HOST (as curl checks), then one line is\n"
            "sent and one read back (an echo server such as `sslplug serve` returns it;\n"
            "`openssl s_server -rev` reversed), or with --http an HTTP GET is made.  Printed:\n\n"
            "  peer: SUBJECT          the server's certificate subject, or (none)\n"
            "  verify: CODE (TEXT)    the verification result (0 is ok)\n"
            "  protocol: VERSION      cipher: NAME, and resumed: yes|no\n\n"
            "  --servername NAME  send NAME as SNI and check the certificate against it\n"
            "                     instead of HOST (a configuration's verify_host is used\n"
            "                     when there is no --servername)\n"
            "  --no-verify-host   check only the chain, not the name\n"
            "  --send TEXT        the line to send (default \"hello from sslplug\")\n"
            "  --http PATH        GET PATH over HTTP/1.1 and print the status line,\n"
            "                     headers and the start of the body; exit 1 for a status\n"
            "                     of 400 or more\n"
            "  --showcerts        print every certificate the server sent, with PEM\n"
            "  --reconnect        connect again offering the first session, and say\n"
            "                     whether the server resumed it\n"
            "  --timeout SECONDS  bound on each connection (default %d)\n\n"
            "Exit 0 when every connection's handshake and exchange worked, 1 otherwise.\n",
            usage_text, CONNECT_TIMEOUT_S);
        return CLI_OK;
    }
    if (cli_opts_parse(argc, argv, opts, pos, 2, 2, usage_text) < 0) {
        return CLI_USAGE;
    }
    if (o.send != NULL && o.http != NULL) {
        fprintf(stderr, "sslplug connect: --send and --http exclude each other\n%s", usage_text);
        return CLI_USAGE;
    }
    if (o.send == NULL) {
        o.send = "hello from sslplug";
    }
    o.config = pos[0];
    o.target = pos[1];
    return run(&o);
}
