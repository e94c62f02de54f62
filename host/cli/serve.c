/*
 * sslplug serve: a TLS echo server on a real socket, for trying a server
 * configuration against real clients (openssl s_client, sslplug connect).
 * One connection at a time: accept, handshake, read a line, send it back,
 * close, with every callback call traced on stdout.  SIGHUP reloads the
 * configuration (a failed reload keeps the current one); SIGTERM and SIGINT
 * stop the server between or during connections.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "cli.h"
#include "net.h"

/* Bound on one connection, accept to close: a stalled client is dropped. */
#define SERVE_CONN_TIMEOUT_MS 30000
/* The longest line echoed; the rest of a longer one is dropped. */
#define SERVE_LINE_MAX 4096

static const char usage_text[] =
    "usage: sslplug serve CONFIG [--port PORT] [--listen ADDR] [--once]\n";

/* Set by the signal handler, then announced through the self-pipe. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static int wake_fd = -1;

typedef struct server {
    const char *config;
    sslplug_host *host;
    SSL_CTX *ctx; /* from the host's current generation */
    int lfd;      /* listening socket */
    int wake[2];  /* self-pipe: the handler writes, poll() reads */
} server;

static void
on_signal(int sig)
{
    int saved = errno;
    ssize_t n;

    if (sig == SIGHUP) {
        reload_requested = 1;
    } else {
        stop_requested = 1;
    }
    /* A full pipe already holds a wakeup. */
    n = write(wake_fd, "!", 1);
    (void)n;
    errno = saved;
}

static int
install_signals(void)
{
    struct sigaction sa;
    static const int sigs[] = {SIGHUP, SIGTERM, SIGINT};

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocked call returns, and the loop looks at the flags. */
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        if (sigaction(sigs[i], &sa, NULL) != 0) {
            return 0;
        }
    }
    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL) == 0;
}

/* A context from the host's current generation, refusing a client configuration. */
static SSL_CTX *
server_ctx(server *s)
{
    sslplug_error err;
    SSL_CTX *ctx = sslplug_ctx_new(s->host, &err);

    if (ctx == NULL) {
        cli_print_error(stdout, &err);
        return NULL;
    }
    if (SSL_CTX_get_ssl_method(ctx) == TLS_client_method()) {
        printf("%s: /context/role: serve needs a server configuration (role \"server\")\n",
               s->config);
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void
reload(server *s)
{
    sslplug_error err;
    SSL_CTX *ctx;

    if (!sslplug_host_reload(s->host, &err)) {
        printf("reload failed, still serving generation %lu: ", sslplug_host_generation(s->host));
        cli_print_error(stdout, &err);
        return;
    }
    printf("reloaded: generation %lu\n", sslplug_host_generation(s->host));
    if ((ctx = server_ctx(s)) == NULL) {
        printf("reload: no context from the new configuration, keeping the previous one\n");
        return;
    }
    SSL_CTX_free(s->ctx);
    s->ctx = ctx;
}

/* One connection, start to close.  Returns 1 when the handshake and the echo succeeded. */
static int
serve_one(server *s, int fd, const char *peer)
{
    cli_net_wait wait = {cli_net_now_ms() + SERVE_CONN_TIMEOUT_MS, s->wake[0], &stop_requested};
    char line[SERVE_LINE_MAX];
    char why[CLI_NET_WHY_MAX];
    SSL *ssl = NULL;
    int n, ok = 0;

    printf("connection from %s\n", peer);
    if ((ssl = SSL_new(s->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
        printf("connection: cannot create: %s\n", cli_openssl_reason());
        goto done;
    }
    if (!cli_net_ssl(ssl, CLI_NET_ACCEPT, NULL, 0, &wait, why, sizeof(why))) {
        printf("handshake: failed: %s\n", why);
        cli_print_peer(ssl);
        goto done;
    }
    printf("handshake: ok\n");
    cli_print_peer(ssl);
    if ((n = cli_net_read_line(ssl, line, sizeof(line), &wait, why, sizeof(why))) <= 0) {
        printf("echo: failed: %s\n", why);
        goto done;
    }
    if (!cli_net_ssl(ssl, CLI_NET_WRITE, line, n, &wait, why, sizeof(why))) {
        printf("echo: failed: %s\n", why);
        goto done;
    }
    cli_print_text("echo", line, (size_t)n);
    ok = 1;
    /* close_notify is a courtesy; a peer that already left changes nothing. */
    cli_net_ssl(ssl, CLI_NET_SHUTDOWN, NULL, 0, &wait, why, sizeof(why));
done:
    printf("connection closed\n");
    SSL_free(ssl);
    close(fd);
    ERR_clear_error();
    return ok;
}

/* Serve until stopped, or after one connection with once.  Returns the exit status. */
static int
serve_loop(server *s, int once)
{
    for (;;) {
        struct pollfd fds[2] = {{s->lfd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
        char peer[CLI_NET_NAME_MAX], why[CLI_NET_WHY_MAX];
        int fd, ok;

        /* Flags first, then poll: a signal in between leaves a byte in the pipe. */
        if (stop_requested) {
            printf("stopped\n");
            return CLI_OK;
        }
        if (reload_requested) {
            reload_requested = 0;
            reload(s);
        }
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            printf("serve: poll: %s\n", strerror(errno));
            return CLI_FAIL;
        }
        if (fds[1].revents != 0) {
            cli_net_drain(s->wake[0]);
        }
        if ((fds[0].revents & POLLIN) == 0) {
            continue;
        }
        if ((fd = cli_net_accept(s->lfd, peer, sizeof(peer), why, sizeof(why))) < 0) {
            /* The client gave up before it was accepted: wait for the next. */
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
                errno == EINTR) {
                continue;
            }
            printf("serve: %s\n", why);
            return CLI_FAIL;
        }
        ok = serve_one(s, fd, peer);
        if (once) {
            return ok ? CLI_OK : CLI_FAIL;
        }
    }
}

static int
run(const char *config, const char *addr, const char *port, int once)
{
    server s = {config, NULL, NULL, -1, {-1, -1}};
    char name[CLI_NET_NAME_MAX], why[CLI_NET_WHY_MAX];
    sslplug_error err;
    int rc = CLI_FAIL;

    /* Keep the trace in order with what plugins write to stderr. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!cli_net_self_pipe(s.wake)) {
        printf("serve: pipe: %s\n", strerror(errno));
        goto done;
    }
    wake_fd = s.wake[1];
    if (!install_signals()) {
        printf("serve: sigaction: %s\n", strerror(errno));
        goto done;
    }
    if ((s.host = sslplug_host_load(config, &err)) == NULL) {
        cli_print_error(stdout, &err);
        goto done;
    }
    /* The tag is a string literal: it outlives every context. */
    sslplug_host_set_trace(s.host, cli_print_trace, (void *)(uintptr_t) "server");
    sslplug_host_set_log(s.host, cli_print_log, (void *)(uintptr_t) "server");
    if ((s.ctx = server_ctx(&s)) == NULL) {
        goto done;
    }
    if ((s.lfd = cli_net_listen(addr, port, name, sizeof(name), why, sizeof(why))) < 0) {
        printf("serve: %s\n", why);
        goto done;
    }
    printf("listening on %s\n", name);
    fflush(stdout);
    rc = serve_loop(&s, once);
done:
    if (s.lfd >= 0) {
        close(s.lfd);
    }
    SSL_CTX_free(s.ctx);
    sslplug_host_free(s.host);
    /* Signals may still arrive while exiting: the handler must find the pipe open. */
    signal(SIGHUP, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    wake_fd = -1;
    for (int i = 0; i < 2; i++) {
        if (s.wake[i] >= 0) {
            close(s.wake[i]);
        }
    }
    return rc;
}

/* A decimal port 0..65535. */
static int
valid_port(const char *p)
{
    char *end;
    long v;

    if (p[0] < '0' || p[0] > '9') {
        return 0;
    }
    v = strtol(p, &end, 10);
    return *end == '\0' && v >= 0 && v <= 65535;
}

int
cli_serve(int argc, char **argv)
{
    const char *config = NULL, *addr = "127.0.0.1", *port = "4433";
    int once = 0;

    if (cli_wants_help(argc, argv)) {
        printf("%s\n"
               "Accept TLS connections on ADDR:PORT (default 127.0.0.1:4433; port 0 picks a\n"
               "free one) with a context made from CONFIG, a server configuration.  Each\n"
               "connection is handled in turn: handshake, read one line, send it back, close.\n"
               "Every callback call is printed, then the peer certificate and verify result.\n"
               "\"listening on ADDR:PORT\" is printed once the socket is ready.\n\n"
               "  --port PORT    port to listen on\n"
               "  --listen ADDR  numeric IPv4 or IPv6 address to listen on\n"
               "  --once         exit after the first connection: 0 when its handshake and\n"
               "                 echo succeeded, 1 otherwise\n\n"
               "SIGHUP reloads CONFIG: later connections use a context from the new\n"
               "configuration, or the old one when the reload fails.  SIGTERM and SIGINT stop\n"
               "the server (exit 0).  A connection that stalls is dropped after %d s.\n",
               usage_text, SERVE_CONN_TIMEOUT_MS / 1000);
        return CLI_OK;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc && valid_port(argv[i + 1])) {
            port = argv[++i];
        } else if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
            addr = argv[++i];
        } else if (strcmp(argv[i], "--once") == 0) {
            once = 1;
        } else if (argv[i][0] != '-' && config == NULL) {
            config = argv[i];
        } else {
            config = NULL;
            break;
        }
    }
    if (config == NULL) {
        fputs(usage_text, stderr);
        return CLI_USAGE;
    }
    return run(config, addr, port, once);
}
