/*
 * sslplug serve: a TLS server on a real socket, for trying a server
 * configuration against real clients (openssl s_client, curl, sslplug
 * connect).  Connections are served concurrently, each on its own thread
 * (at most --max-connections at once; each step bounded by --idle-timeout):
 * handshake, read one line and send it back, or answer an HTTP request with
 * a page describing the connection; close.  Each connection's report (its
 * callback trace, peer, verify result, protocol, whether it resumed) is
 * printed as one block when it ends, so concurrent connections do not
 * interleave.  SIGHUP reloads the configuration on a thread of its own (a
 * failed reload keeps the current one; connections in flight keep theirs);
 * SIGTERM and SIGINT stop the server, interrupting the connections in
 * progress.
 */
#define _GNU_SOURCE /* open_memstream */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "cli.h"
#include "net.h"
#include "opts.h"

/* Defaults: connections at once, and how long a peer may keep one step waiting. */
#define SERVE_MAX_CONNECTIONS 16
#define SERVE_IDLE_TIMEOUT_S 30
/* The longest line read; the rest of a longer one is dropped. */
#define SERVE_LINE_MAX 4096

static const char usage_text[] =
    "usage: sslplug serve CONFIG [--port PORT] [--listen ADDR] [--once]\n"
    "                     [--max-connections N] [--idle-timeout SECONDS]\n";

/* Set by the signal handler, then announced through the self-pipe. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static int wake_fd = -1;

typedef struct server {
    const char *config;
    sslplug_host *host;
    pthread_mutex_t lock; /* ctx, gen, active and the reloader's requests */
    pthread_cond_t idle;  /* a connection ended */
    SSL_CTX *ctx;         /* what new connections are made on */
    unsigned long gen;    /* the generation ctx was made from */
    int active;           /* connections being served */
    pthread_t *ended;     /* threads whose connection ended, to be joined */
    size_t ended_count;
    unsigned long next_id;
    int max_conns;
    int idle_ms;
    int lfd;     /* listening socket */
    int wake[2]; /* self-pipe: signals and ended connections wake the accept loop */
    int stop[2]; /* written once when stopping, never drained: every connection sees it */
    /*
     * The reloader: a thread that loads a configuration while the accept
     * loop goes on accepting on the current context, and swaps ctx when the
     * new one is ready.  A 10,000-name configuration takes seconds to load,
     * which the accept loop would otherwise spend not accepting.
     */
    pthread_t reloader;
    int reloader_started;
    pthread_cond_t wake_reloader; /* one of the three below was set */
    int want_reload;              /* SIGHUP: one reload, however many signals came */
    int reloading;                /* a reload is in progress */
    int want_trim;                /* a replaced context was freed: give its memory back */
    int quitting;                 /* the reloader ends once it is idle */
} server;

/* One connection: its socket, and the report printed whole when it ends. */
typedef struct conn {
    server *s;
    SSL *ssl;
    int fd;
    unsigned long id;
    unsigned long gen; /* of the context it was made on */
    char peer[CLI_NET_NAME_MAX];
    FILE *out;
    char *text;
    size_t len;
    int ok;
} conn;

/*
 * The connection this thread serves: callbacks run on the thread that
 * drives the connection, so their trace lines and what plugins log go to
 * its report.
 */
static _Thread_local conn *current;

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

/* Lines of a connection go to its report; the others (a key read at reload) straight out. */
static void
serve_trace(const sslplug_trace_event *ev, void *arg)
{
    (void)arg;
    cli_fprint_trace(current != NULL ? current->out : stdout, "server", ev);
}

static void
serve_log(int level, const char *plugin, const char *message, void *arg)
{
    (void)arg;
    cli_fprint_log(current != NULL ? current->out : stdout, "server", level, plugin, message);
}

/* The SSL_CTX ex_data index that marks the contexts serve made (see context_freed). */
static int ctx_index = -1;

/*
 * Set by context_freed in the thread that frees one of our contexts;
 * looked at once that free has returned (trim_if_freed): OpenSSL frees
 * ex_data first, before the rest of the context and its named contexts.
 */
static _Thread_local int context_gone;

static void
context_freed(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    /* NULL: a named context, or one refused before it was marked. */
    if (ptr != NULL) {
        context_gone = 1;
    }
}

/*
 * After a free that may have dropped the last reference to a replaced
 * context (the last connection on an old generation ended): its memory went
 * back to malloc, which keeps it, and the resident size would stay at that
 * of two generations.  The reloader hands it back to the system.
 */
static void
trim_if_freed(server *s)
{
    if (!context_gone) {
        return;
    }
    context_gone = 0;
    pthread_mutex_lock(&s->lock);
    s->want_trim = 1;
    pthread_cond_signal(&s->wake_reloader);
    pthread_mutex_unlock(&s->lock);
}

/* A context from the host's current generation, refusing a client configuration; NULL with err. */
static SSL_CTX *
server_ctx(server *s, sslplug_error *err)
{
    SSL_CTX *ctx = sslplug_ctx_new(s->host, err);

    if (ctx == NULL) {
        return NULL;
    }
    if (SSL_CTX_get_ssl_method(ctx) == TLS_client_method()) {
        memset(err, 0, sizeof(*err));
        err->code = SSLPLUG_E_CONFIG;
        snprintf(err->source, sizeof(err->source), "%s", s->config);
        snprintf(err->pointer, sizeof(err->pointer), "/context/role");
        snprintf(err->message, sizeof(err->message),
                 "serve needs a server configuration (role \"server\")");
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (!SSL_CTX_set_ex_data(ctx, ctx_index, s)) {
        /* Served all the same; only its memory is not handed back when it goes. */
        ERR_clear_error();
    }
    return ctx;
}

/*
 * Load the configuration again and, once a context of the new generation
 * is made, make it the one new connections get.  Runs on the reloader:
 * meanwhile the accept loop accepts on the current context, and
 * connections in flight hold their own reference to the one they started
 * on (their generation).
 */
static void
reload(server *s)
{
    sslplug_error err;
    unsigned long serving, gen;
    SSL_CTX *ctx, *old;

    pthread_mutex_lock(&s->lock);
    serving = s->gen;
    pthread_mutex_unlock(&s->lock);
    printf("reload: loading %s, generation %lu serving meanwhile\n", s->config, serving);
    if (!sslplug_host_reload(s->host, &err) || (ctx = server_ctx(s, &err)) == NULL) {
        printf("reload failed, still serving generation %lu: ", serving);
        cli_print_error(stdout, &err);
        return;
    }
    gen = sslplug_host_generation(s->host);
    pthread_mutex_lock(&s->lock);
    old = s->ctx;
    s->ctx = ctx;
    s->gen = gen;
    pthread_mutex_unlock(&s->lock);
    printf("reloaded: generation %lu\n", gen);
    SSL_CTX_free(old);
    trim_if_freed(s);
}

/* ---- the reloader ---- */

static void *
reloader_thread(void *arg)
{
    server *s = arg;

    pthread_mutex_lock(&s->lock);
    for (;;) {
        if (s->want_reload) {
            s->want_reload = 0;
            s->reloading = 1;
            pthread_mutex_unlock(&s->lock);
            reload(s);
            pthread_mutex_lock(&s->lock);
            s->reloading = 0;
        } else if (s->want_trim) {
            s->want_trim = 0;
            pthread_mutex_unlock(&s->lock);
#ifdef __GLIBC__
            malloc_trim(0);
#endif
            pthread_mutex_lock(&s->lock);
        } else if (s->quitting) {
            break;
        } else {
            pthread_cond_wait(&s->wake_reloader, &s->lock);
        }
    }
    pthread_mutex_unlock(&s->lock);
    ERR_clear_error();
    return NULL;
}

/*
 * A thread with SIGHUP, SIGTERM and SIGINT blocked, so that their handler
 * runs on the accept loop's thread only: the flags it sets are then read on
 * the thread that wrote them (all a sig_atomic_t promises), and no signal
 * interrupts a plugin's reads on another thread.  Returns 1 or 0.
 */
static int
start_unsignalled(pthread_t *tid, void *(*fn)(void *), void *arg)
{
    sigset_t block, old;
    int started;

    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    started = pthread_create(tid, NULL, fn, arg) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return started;
}

static int
reloader_start(server *s)
{
    s->reloader_started = start_unsignalled(&s->reloader, reloader_thread, s);
    if (s->reloader_started) {
        /* What top -H shows, and how sslplug_bench_reload finds its CPU time. */
        pthread_setname_np(s->reloader, "sslplug-reload");
    }
    return s->reloader_started;
}

/*
 * Ask for a reload.  One in progress finishes first: it may have read the
 * file before the edit this request is about, so one more follows it,
 * however many requests came meanwhile.
 */
static void
reloader_request(server *s)
{
    int queued;

    pthread_mutex_lock(&s->lock);
    queued = s->reloading && !s->want_reload;
    s->want_reload = 1;
    pthread_cond_signal(&s->wake_reloader);
    pthread_mutex_unlock(&s->lock);
    if (queued) {
        printf("reload: another one after the one in progress\n");
    }
}

/* Wait for the reloader to end, after the reload in progress if there is one. */
static void
reloader_stop(server *s)
{
    if (!s->reloader_started) {
        return;
    }
    pthread_mutex_lock(&s->lock);
    s->quitting = 1;
    s->want_reload = 0;
    pthread_cond_signal(&s->wake_reloader);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->reloader, NULL);
    s->reloader_started = 0;
}

/* The lines of the report that describe the connection, also the body of the HTTP answer. */
static char *
describe(SSL *ssl, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);

    if (f == NULL) {
        return NULL;
    }
    cli_print_peer(f, ssl);
    fclose(f);
    return text;
}

static int
is_http_request(const char *line)
{
    static const char *const methods[] = {"GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS "};

    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if (strncmp(line, methods[i], strlen(methods[i])) == 0) {
            return strstr(line, " HTTP/1.") != NULL;
        }
    }
    return 0;
}

/*
 * Read the request's headers, then answer: "/" with a page describing the
 * connection (200), anything else 404, so a client can tell the two apart.
 */
static int
answer_http(conn *c, cli_net_reader *r, const cli_net_wait *wait, const char *request)
{
    static const char missing[] = "sslplug serve has one page: /\n";
    const char *path = strchr(request, ' ');
    char line[SERVE_LINE_MAX], why[CLI_NET_WHY_MAX], head[256];
    int found = path != NULL && strncmp(path, " / HTTP/1.", 10) == 0;
    size_t body_len = 0;
    char *body;
    int n, ok;

    do {
        if ((n = cli_net_read_line(r, line, sizeof(line), wait, why, sizeof(why))) <= 0) {
            fprintf(c->out, "http: failed reading the request: %s\n", why);
            return 0;
        }
    } while (strcmp(line, "\r\n") != 0 && strcmp(line, "\n") != 0);
    if ((body = found ? describe(c->ssl, &body_len) : strdup(missing)) == NULL) {
        fprintf(c->out, "http: out of memory\n");
        return 0;
    }
    if (!found) {
        body_len = strlen(body);
    }
    n = snprintf(head, sizeof(head),
                 "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n",
                 found ? "200 OK" : "404 Not Found", body_len);
    ok = cli_net_ssl(c->ssl, CLI_NET_WRITE, head, n, wait, why, sizeof(why)) &&
         (strncmp(request, "HEAD ", 5) == 0 ||
          cli_net_ssl(c->ssl, CLI_NET_WRITE, body, (int)body_len, wait, why, sizeof(why)));
    free(body);
    cli_print_text(c->out, "http", request, strlen(request));
    fprintf(c->out, "http: %s\n", !ok ? why : found ? "answered 200" : "answered 404");
    return ok;
}

/* Handshake, then one line echoed or one HTTP request answered; the result in c->ok. */
static void
converse(conn *c)
{
    /*
     * Only the stop pipe says when to give up: stop_requested is written by
     * the signal handler on another thread, where reading it would be a
     * data race (a sig_atomic_t is atomic only for its own thread).
     */
    cli_net_wait wait = {0, c->s->stop[0], NULL, c->s->idle_ms, 1};
    cli_net_reader *r = calloc(1, sizeof(*r));
    char line[SERVE_LINE_MAX], why[CLI_NET_WHY_MAX];
    int n;

    if (r == NULL) {
        fprintf(c->out, "connection: out of memory\n");
        return;
    }
    r->ssl = c->ssl;
    if (!cli_net_ssl(c->ssl, CLI_NET_ACCEPT, NULL, 0, &wait, why, sizeof(why))) {
        fprintf(c->out, "handshake: failed: %s\n", why);
        cli_print_peer(c->out, c->ssl);
        goto done;
    }
    fprintf(c->out, "handshake: ok\n");
    cli_print_peer(c->out, c->ssl);
    if ((n = cli_net_read_line(r, line, sizeof(line), &wait, why, sizeof(why))) <= 0) {
        fprintf(c->out, "echo: failed: %s\n", why);
        goto done;
    }
    if (is_http_request(line)) {
        c->ok = answer_http(c, r, &wait, line);
    } else if (!cli_net_ssl(c->ssl, CLI_NET_WRITE, line, n, &wait, why, sizeof(why))) {
        fprintf(c->out, "echo: failed: %s\n", why);
    } else {
        cli_print_text(c->out, "echo", line, (size_t)n);
        c->ok = 1;
    }
    /* close_notify is a courtesy; a peer that already left changes nothing. */
    if (c->ok) {
        cli_net_ssl(c->ssl, CLI_NET_SHUTDOWN, NULL, 0, &wait, why, sizeof(why));
    }
done:
    free(r);
}

static void
conn_free(conn *c)
{
    if (c->out != NULL) {
        fclose(c->out);
    }
    free(c->text);
    SSL_free(c->ssl);
    trim_if_freed(c->s);
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c);
}

/* Serve c to the end and print its report in one piece.  Returns whether it succeeded. */
static int
serve_conn(conn *c, int threaded)
{
    server *s = c->s;
    ssize_t n;
    int ok;

    current = c;
    converse(c);
    current = NULL;
    fprintf(c->out, "connection #%lu closed\n", c->id);
    fclose(c->out);
    c->out = NULL;
    /* One write per report: stdout is shared with the other connections. */
    flockfile(stdout);
    fwrite(c->text, 1, c->len, stdout);
    fflush(stdout);
    funlockfile(stdout);
    ok = c->ok;
    ERR_clear_error();
    conn_free(c);
    /* The accept loop may be waiting for room. */
    n = write(s->wake[1], "!", 1);
    (void)n;
    /* Last: once active drops, a stopping server may return and free s. */
    pthread_mutex_lock(&s->lock);
    if (threaded) {
        s->ended[s->ended_count++] = pthread_self();
    }
    s->active--;
    pthread_cond_broadcast(&s->idle);
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void *
conn_thread(void *arg)
{
    ERR_clear_error();
    serve_conn(arg, 1);
    return NULL;
}

/* Join the threads whose connections ended, so none outlives the server. */
static void
reap(server *s)
{
    pthread_mutex_lock(&s->lock);
    while (s->ended_count > 0) {
        pthread_t tid = s->ended[--s->ended_count];

        pthread_mutex_unlock(&s->lock);
        pthread_join(tid, NULL);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
}

/* A connection for an accepted socket, on the context current now; NULL on failure. */
static conn *
conn_new(server *s, int fd, const char *peer)
{
    conn *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        close(fd);
        return NULL;
    }
    c->s = s;
    c->fd = fd;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    pthread_mutex_lock(&s->lock);
    c->id = ++s->next_id;
    c->gen = s->gen;
    c->ssl = SSL_new(s->ctx);
    pthread_mutex_unlock(&s->lock);
    if ((c->out = open_memstream(&c->text, &c->len)) == NULL || c->ssl == NULL ||
        SSL_set_fd(c->ssl, fd) != 1) {
        printf("connection from %s: cannot create: %s\n", peer, cli_openssl_reason());
        conn_free(c);
        return NULL;
    }
    fprintf(c->out, "connection #%lu from %s (generation %lu)\n", c->id, peer, c->gen);
    return c;
}

/* Start serving fd on a thread of its own. */
static void
start_conn(server *s, int fd, const char *peer)
{
    conn *c = conn_new(s, fd, peer);
    pthread_t tid;

    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&s->lock);
    s->active++;
    pthread_mutex_unlock(&s->lock);
    if (!start_unsignalled(&tid, conn_thread, c)) {
        printf("connection from %s: cannot start a thread\n", peer);
        pthread_mutex_lock(&s->lock);
        s->active--;
        pthread_mutex_unlock(&s->lock);
        conn_free(c);
    }
}

/* Stop: interrupt every connection and wait for all to end (each step is bounded). */
static void
drain_connections(server *s)
{
    ssize_t n = write(s->stop[1], "!", 1);

    (void)n;
    pthread_mutex_lock(&s->lock);
    while (s->active > 0) {
        pthread_cond_wait(&s->idle, &s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    reap(s);
}

/* Serve until stopped, or after one connection with once.  Returns the exit status. */
static int
serve_loop(server *s, int once)
{
    for (;;) {
        struct pollfd fds[2] = {{s->wake[0], POLLIN, 0}, {s->lfd, POLLIN, 0}};
        char peer[CLI_NET_NAME_MAX], why[CLI_NET_WHY_MAX];
        nfds_t nfds;
        conn *c;
        int fd;

        /* Flags first, then poll: a signal in between leaves a byte in the pipe. */
        if (stop_requested) {
            drain_connections(s);
            reloader_stop(s);
            printf("stopped\n");
            return CLI_OK;
        }
        if (reload_requested) {
            reload_requested = 0;
            reloader_request(s);
        }
        /* At the limit, accept nothing until a connection ends. */
        pthread_mutex_lock(&s->lock);
        nfds = s->active < s->max_conns ? 2 : 1;
        pthread_mutex_unlock(&s->lock);
        if (poll(fds, nfds, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            printf("serve: poll: %s\n", strerror(errno));
            return CLI_FAIL;
        }
        if (fds[0].revents != 0) {
            cli_net_drain(s->wake[0]);
        }
        reap(s);
        if (nfds < 2 || (fds[1].revents & POLLIN) == 0) {
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
        if (!once) {
            start_conn(s, fd, peer);
        } else if ((c = conn_new(s, fd, peer)) != NULL) {
            s->active++;
            return serve_conn(c, 0) ? CLI_OK : CLI_FAIL;
        } else {
            return CLI_FAIL;
        }
    }
}

static int
run(const char *config, const char *addr, const char *port, int once, int max_conns, int idle_ms)
{
    server s = {.config = config,
                .lock = PTHREAD_MUTEX_INITIALIZER,
                .idle = PTHREAD_COND_INITIALIZER,
                .wake_reloader = PTHREAD_COND_INITIALIZER,
                .max_conns = max_conns,
                .idle_ms = idle_ms,
                .lfd = -1,
                .wake = {-1, -1},
                .stop = {-1, -1}};
    char name[CLI_NET_NAME_MAX], why[CLI_NET_WHY_MAX];
    sslplug_error err;
    int rc = CLI_FAIL;

    /* Keep the trace in order with what plugins write to stderr. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Every iteration of the accept loop joins all ended threads before it accepts one more. */
    if ((s.ended = calloc(2 * (size_t)max_conns + 1, sizeof(*s.ended))) == NULL) {
        fprintf(stderr, "sslplug serve: out of memory\n");
        goto done;
    }
    if (!cli_net_self_pipe(s.wake) || !cli_net_self_pipe(s.stop)) {
        fprintf(stderr, "sslplug serve: pipe: %s\n", strerror(errno));
        goto done;
    }
    wake_fd = s.wake[1];
    if (!install_signals()) {
        fprintf(stderr, "sslplug serve: sigaction: %s\n", strerror(errno));
        goto done;
    }
    if ((s.host = sslplug_host_load(config, &err)) == NULL) {
        cli_print_error(stderr, &err);
        goto done;
    }
    sslplug_host_set_trace(s.host, serve_trace, NULL);
    sslplug_host_set_log(s.host, serve_log, NULL);
    if (ctx_index < 0 &&
        (ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, context_freed)) < 0) {
        fprintf(stderr, "sslplug serve: cannot allocate an SSL_CTX ex_data index\n");
        goto done;
    }
    if ((s.ctx = server_ctx(&s, &err)) == NULL) {
        cli_print_error(stderr, &err);
        goto done;
    }
    s.gen = sslplug_host_generation(s.host);
    if (!reloader_start(&s)) {
        fprintf(stderr, "sslplug serve: cannot start the reload thread\n");
        goto done;
    }
    if ((s.lfd = cli_net_listen(addr, port, name, sizeof(name), why, sizeof(why))) < 0) {
        fprintf(stderr, "sslplug serve: %s\n", why);
        goto done;
    }
    printf("listening on %s\n", name);
    fflush(stdout);
    rc = serve_loop(&s, once);
done:
    reloader_stop(&s);
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
    free(s.ended);
    for (int i = 0; i < 2; i++) {
        if (s.wake[i] >= 0) {
            close(s.wake[i]);
        }
        if (s.stop[i] >= 0) {
            close(s.stop[i]);
        }
    }
    return rc;
}

int
cli_serve(int argc, char **argv)
{
    const char *config = NULL, *addr = "127.0.0.1";
    long port = 4433, max_conns = SERVE_MAX_CONNECTIONS, idle_s = SERVE_IDLE_TIMEOUT_S;
    int once = 0;
    char portbuf[16];
    const cli_opt opts[] = {
        {"--port", CLI_OPT_NUMBER, &port, 0, 65535},
        {"--listen", CLI_OPT_TEXT, &addr, 0, 0},
        {"--once", CLI_OPT_FLAG, &once, 0, 0},
        {"--max-connections", CLI_OPT_NUMBER, &max_conns, 1, 1024},
        {"--idle-timeout", CLI_OPT_NUMBER, &idle_s, 1, 3600},
        {NULL, CLI_OPT_FLAG, NULL, 0, 0},
    };

    if (cli_wants_help(argc, argv)) {
        printf("%s\n"
               "Accept TLS connections on ADDR:PORT (default 127.0.0.1:4433; port 0 picks a\n"
               "free one) with a context made from CONFIG, a server configuration, and serve\n"
               "each on its own thread: handshake, then either read one line and send it back,\n"
               "or answer an HTTP request (curl https://ADDR:PORT/) with a page describing the\n"
               "connection; close.  Each connection's callback trace, peer certificate, verify\n"
               "result, protocol and whether it resumed a session are printed as one block\n"
               "when it ends.  \"listening on ADDR:PORT\" is printed once the socket is ready.\n\n"
               "  --port PORT            port to listen on\n"
               "  --listen ADDR          numeric IPv4 or IPv6 address to listen on\n"
               "  --once                 exit after the first connection: 0 when its\n"
               "                         handshake and echo succeeded, 1 otherwise\n"
               "  --max-connections N    connections served at once (default %d); more wait\n"
               "  --idle-timeout SECONDS how long one step may wait for the peer (default %d)\n\n"
               "SIGHUP reloads CONFIG beside the connections: until the new configuration is\n"
               "loaded, connections are accepted on the current one; after, they get the new\n"
               "one, or the current one still when the reload failed.  Connections keep the\n"
               "configuration they started on.  SIGTERM and SIGINT stop the server (exit 0),\n"
               "interrupting connections in progress, after a reload in progress.\n",
               usage_text, SERVE_MAX_CONNECTIONS, SERVE_IDLE_TIMEOUT_S);
        return CLI_OK;
    }
    if (cli_opts_parse(argc, argv, opts, &config, 1, 1, usage_text) < 0) {
        return CLI_USAGE;
    }
    snprintf(portbuf, sizeof(portbuf), "%ld", port);
    return run(config, addr, portbuf, once, (int)max_conns, (int)idle_s * 1000);
}
