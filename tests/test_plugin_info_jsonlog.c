/*
 * info_jsonlog through real handshakes: every line read back with jansson
 * and its fields checked (start, done with protocol, cipher, peer subject
 * and verify result, alerts), the peer address over real sockets, escaping
 * of what a client controls, standard output, many threads writing one
 * file, and every config error init reports.
 */
#define _GNU_SOURCE /* asprintf, vasprintf */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/x509_vfy.h>

/* One parsed line. */
typedef struct line {
    json_t *obj;
} line;

/* A string member, or NULL when absent or not a string. */
static const char *
str(const line *l, const char *key)
{
    const json_t *v = json_object_get(l->obj, key);

    return v != NULL && json_is_string(v) ? json_string_value(v) : NULL;
}

/* The lines of a log file, each parsed; fails the test on any line that is not a JSON object. */
typedef struct lines {
    line *v;
    size_t n;
} lines;

static lines
read_lines(const char *path)
{
    lines ls = {NULL, 0};
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;

    assert_non_null(f);
    while ((len = getline(&buf, &cap, f)) > 0) {
        json_error_t err;
        json_t *obj;
        line *grown;

        /* Whole lines only: each ends in a newline and parses by itself. */
        assert_int_equal(buf[len - 1], '\n');
        buf[len - 1] = '\0';
        obj = json_loads(buf, 0, &err);
        if (obj == NULL || !json_is_object(obj)) {
            print_error("line %zu is not a JSON object: %s (%s)\n", ls.n + 1, buf, err.text);
        }
        assert_non_null(obj);
        assert_true(json_is_object(obj));
        grown = realloc(ls.v, (ls.n + 1) * sizeof(*ls.v));
        assert_non_null(grown);
        ls.v = grown;
        ls.v[ls.n++].obj = obj;
    }
    free(buf);
    fclose(f);
    return ls;
}

static void
lines_free(lines *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        json_decref(ls->v[i].obj);
    }
    free(ls->v);
    ls->v = NULL;
    ls->n = 0;
}

/* Lines of this side and event. */
static size_t
count(const lines *ls, const char *side, const char *event)
{
    size_t n = 0;

    for (size_t i = 0; i < ls->n; i++) {
        const char *s = str(&ls->v[i], "side"), *e = str(&ls->v[i], "event");

        n += s != NULL && e != NULL && strcmp(s, side) == 0 && strcmp(e, event) == 0;
    }
    return n;
}

/* The first line of this side and event. */
static const line *
find(const lines *ls, const char *side, const char *event)
{
    for (size_t i = 0; i < ls->n; i++) {
        const char *s = str(&ls->v[i], "side"), *e = str(&ls->v[i], "event");

        if (s != NULL && e != NULL && strcmp(s, side) == 0 && strcmp(e, event) == 0) {
            return &ls->v[i];
        }
    }
    fail_msg("no %s line for %s", event, side);
    return NULL;
}

/* Members every line has: an RFC 3339 UTC time with milliseconds, side, event. */
static void
assert_common(const line *l)
{
    const char *time = str(l, "time");
    int year, mon, day, h, m, s, ms;
    char z = '\0';

    assert_non_null(time);
    assert_int_equal(strlen(time), strlen("2026-01-01T00:00:00.000Z"));
    assert_int_equal(
        sscanf(time, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &year, &mon, &day, &h, &m, &s, &ms, &z), 8);
    assert_int_equal(z, 'Z');
    assert_true(year >= 2024);
    assert_non_null(str(l, "side"));
    assert_non_null(str(l, "event"));
}

/* ---- contexts ---- */

/* The entry logging into path. */
#define JSONLOG_ENTRY "{\"plugin\": \"info_jsonlog\", \"config\": {\"path\": \"%s\"}}"

/* A server with the demo certificate and extra context members, logging into path. */
static SSL_CTX *
logging_server(const char *path, const char *extra)
{
    char *context = NULL;
    SSL_CTX *ctx;

    assert_true(asprintf(&context, "%s%s", TU_SERVER_CONTEXT, extra) >= 0);
    ctx = tu_ctx_entry(NULL, context, "info", JSONLOG_ENTRY, path);
    free(context);
    return ctx;
}

/* A client verifying the server against pki/<ca>, logging into path. */
static SSL_CTX *
logging_client(const char *path, const char *ca)
{
    char *context = NULL;
    SSL_CTX *ctx;

    assert_true(asprintf(&context,
                         "\"role\": \"client\", \"ca_file\": \"pki/%s\", \"verify\": \"peer\"",
                         ca) >= 0);
    ctx = tu_ctx_entry(NULL, context, "info", JSONLOG_ENTRY, path);
    free(context);
    return ctx;
}

/* ---- one handshake, both sides ---- */

static void
test_info_jsonlog_handshake_lines_of_both_sides(void **state)
{
    char *dir = tu_tmpdir();
    char *log = tu_path_join(dir, "tls.log");
    SSL_CTX *server = logging_server(log, ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"peer\"");
    SSL_CTX *client = logging_client(log, "ca.crt");
    sslplug_pair pair;
    const char *cipher;
    const line *l;
    lines ls;

    (void)state;
    tu_ctx_use_cert(client, "client");
    assert_int_equal(tu_handshake(server, client, &pair), 1);
    cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(pair.client)); /* a static string */
    sslplug_pair_cleanup(&pair);
    ls = read_lines(log);

    /* Exactly the three kinds of events, one start and one done per side. */
    assert_int_equal(ls.n, 4);
    for (size_t i = 0; i < ls.n; i++) {
        assert_common(&ls.v[i]);
        /* Over a BIO pair there is no socket, so no peer address. */
        assert_null(json_object_get(ls.v[i].obj, "peer"));
    }
    assert_int_equal(count(&ls, "server", "handshake_start"), 1);
    assert_int_equal(count(&ls, "client", "handshake_start"), 1);
    assert_int_equal(count(&ls, "server", "handshake_done"), 1);
    assert_int_equal(count(&ls, "client", "handshake_done"), 1);

    l = find(&ls, "client", "handshake_done");
    assert_string_equal(str(l, "protocol"), "TLSv1.3");
    assert_non_null(str(l, "cipher"));
    assert_string_equal(str(l, "cipher"), cipher);
    assert_string_equal(str(l, "peer_subject"), "CN=localhost,O=sslplug demo");
    assert_int_equal(json_integer_value(json_object_get(l->obj, "verify_result")), X509_V_OK);
    assert_string_equal(str(l, "verify_error"), "ok");
    assert_true(json_is_false(json_object_get(l->obj, "resumed")));

    l = find(&ls, "server", "handshake_done");
    assert_string_equal(str(l, "protocol"), "TLSv1.3");
    assert_string_equal(str(l, "servername"), "localhost");
    assert_string_equal(str(l, "peer_subject"), "CN=sslplug-client,O=sslplug demo");
    assert_int_equal(json_integer_value(json_object_get(l->obj, "verify_result")), X509_V_OK);

    /* Nothing but these members at start. */
    l = find(&ls, "server", "handshake_start");
    assert_int_equal(json_object_size(l->obj), 3);

    lines_free(&ls);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(log);
    tu_rmtree(dir);
}

/* A client that does not trust the server: the alert it sends, the one the server receives. */
static void
test_info_jsonlog_failed_handshake_logs_alerts(void **state)
{
    char *dir = tu_tmpdir();
    char *log = tu_path_join(dir, "tls.log");
    SSL_CTX *server = logging_server(log, ", \"max_protocol\": \"TLSv1.2\"");
    SSL_CTX *client = logging_client(log, "other-ca.crt");
    sslplug_pair pair;
    const line *l;
    lines ls;

    (void)state;
    assert_int_equal(tu_handshake(server, client, &pair), 0);
    sslplug_pair_cleanup(&pair);
    ls = read_lines(log);
    for (size_t i = 0; i < ls.n; i++) {
        assert_common(&ls.v[i]);
    }
    assert_int_equal(count(&ls, "client", "handshake_done"), 0);
    assert_int_equal(count(&ls, "server", "handshake_done"), 0);
    assert_int_equal(count(&ls, "client", "alert"), 1);
    assert_int_equal(count(&ls, "server", "alert"), 1);

    l = find(&ls, "client", "alert");
    assert_string_equal(str(l, "direction"), "sent");
    assert_string_equal(str(l, "level"), "fatal");
    assert_string_equal(str(l, "description"), "unknown_ca");
    assert_int_equal(json_integer_value(json_object_get(l->obj, "code")), 48);
    l = find(&ls, "server", "alert");
    assert_string_equal(str(l, "direction"), "received");
    assert_string_equal(str(l, "level"), "fatal");
    assert_string_equal(str(l, "description"), "unknown_ca");

    lines_free(&ls);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(log);
    tu_rmtree(dir);
}

/* What a client sends as its server name reaches the log escaped, and only as valid UTF-8. */
static void
test_info_jsonlog_escapes_client_controlled_text(void **state)
{
    static const char *const sent[] = {"quote\"back\\slash", "tab\there", "bad\xff\xfe utf8",
                                       "caf\xc3\xa9"};
    static const char *const logged[] = {"quote\"back\\slash", "tab\there", "bad?? utf8",
                                         "caf\xc3\xa9"};
    char *dir = tu_tmpdir();
    char *log = tu_path_join(dir, "tls.log");
    SSL_CTX *server = logging_server(log, "");
    SSL_CTX *client = tu_plain_client(0);
    lines ls;

    (void)state;
    for (size_t i = 0; i < sizeof(sent) / sizeof(sent[0]); i++) {
        sslplug_pair pair;

        assert_int_equal(sslplug_pair_init(&pair, server, client, NULL), 1);
        assert_int_equal(SSL_set_tlsext_host_name(pair.client, sent[i]), 1);
        assert_int_equal(sslplug_pair_handshake(&pair), 1);
        sslplug_pair_cleanup(&pair);
    }
    ls = read_lines(log);
    assert_int_equal(ls.n, 2 * (sizeof(sent) / sizeof(sent[0])));
    for (size_t i = 0, done = 0; i < ls.n; i++) {
        if (strcmp(str(&ls.v[i], "event"), "handshake_done") == 0) {
            assert_string_equal(str(&ls.v[i], "servername"), logged[done]);
            done++;
        }
    }
    lines_free(&ls);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(log);
    tu_rmtree(dir);
}

/* ---- the peer address, over real sockets ---- */

typedef struct accept_job {
    SSL *ssl;
    int ok;
} accept_job;

static void *
accept_thread(void *arg)
{
    accept_job *job = arg;

    job->ok = SSL_accept(job->ssl) == 1;
    return NULL;
}

static void
test_info_jsonlog_peer_address_of_socket(void **state)
{
    char *dir = tu_tmpdir();
    char *log = tu_path_join(dir, "tls.log");
    SSL_CTX *server = logging_server(log, "");
    SSL_CTX *client = logging_client(log, "ca.crt");
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct sockaddr_in client_addr;
    socklen_t len = sizeof(addr);
    int listener, cfd, sfd;
    accept_job job = {NULL, 0};
    pthread_t thread;
    SSL *cssl;
    char want[64];
    const line *l;
    lines ls;

    (void)state;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(listener >= 0);
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(listener, 1), 0);
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(cfd >= 0);
    assert_int_equal(connect(cfd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    sfd = accept(listener, NULL, NULL);
    assert_true(sfd >= 0);
    len = sizeof(client_addr);
    assert_int_equal(getsockname(cfd, (struct sockaddr *)&client_addr, &len), 0);

    job.ssl = SSL_new(server);
    cssl = SSL_new(client);
    assert_non_null(job.ssl);
    assert_non_null(cssl);
    assert_int_equal(SSL_set_fd(job.ssl, sfd), 1);
    assert_int_equal(SSL_set_fd(cssl, cfd), 1);
    assert_int_equal(SSL_set_tlsext_host_name(cssl, "localhost"), 1);
    assert_int_equal(pthread_create(&thread, NULL, accept_thread, &job), 0);
    assert_int_equal(SSL_connect(cssl), 1);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_true(job.ok);
    SSL_free(cssl);
    SSL_free(job.ssl);
    close(cfd);
    close(sfd);
    close(listener);

    ls = read_lines(log);
    assert_int_equal(ls.n, 4);
    /* The server sees the client's address and port, the client the server's. */
    snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)ntohs(client_addr.sin_port));
    l = find(&ls, "server", "handshake_start");
    assert_string_equal(str(l, "peer"), want);
    l = find(&ls, "server", "handshake_done");
    assert_string_equal(str(l, "peer"), want);
    snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)ntohs(addr.sin_port));
    l = find(&ls, "client", "handshake_done");
    assert_string_equal(str(l, "peer"), want);

    lines_free(&ls);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(log);
    tu_rmtree(dir);
}

/* ---- "-": standard output ---- */

static void
test_info_jsonlog_dash_writes_to_stdout(void **state)
{
    char *dir = tu_tmpdir();
    char *out = tu_path_join(dir, "stdout.log");
    SSL_CTX *server = logging_server("-", "");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;
    int saved, fd, ok, still_open;
    lines ls;

    (void)state;
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(saved >= 0);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
    ok = tu_handshake(server, client, &pair);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server); /* the last context: fini runs, and must leave stdout open */
    still_open = fcntl(STDOUT_FILENO, F_GETFL) != -1;
    assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
    close(saved);
    close(fd);
    assert_int_equal(ok, 1);
    assert_true(still_open);

    ls = read_lines(out);
    assert_int_equal(ls.n, 2);
    assert_int_equal(count(&ls, "server", "handshake_start"), 1);
    assert_int_equal(count(&ls, "server", "handshake_done"), 1);
    lines_free(&ls);
    SSL_CTX_free(client);
    free(out);
    tu_rmtree(dir);
}

/* ---- many threads, one file ---- */

#define THREADS 4
#define HANDSHAKES 25

typedef struct worker {
    SSL_CTX *server;
    SSL_CTX *client;
    int completed;
} worker;

static void *
handshakes(void *arg)
{
    worker *w = arg;

    /* No cmocka in threads: count, and let the main thread assert. */
    for (int i = 0; i < HANDSHAKES; i++) {
        sslplug_pair pair;

        if (sslplug_pair_init(&pair, w->server, w->client, "localhost") == 1) {
            w->completed += sslplug_pair_handshake(&pair);
            sslplug_pair_cleanup(&pair);
        }
    }
    return NULL;
}

static void
test_info_jsonlog_threads_write_whole_lines(void **state)
{
    char *dir = tu_tmpdir();
    char *log = tu_path_join(dir, "tls.log");
    SSL_CTX *server = logging_server(log, "");
    SSL_CTX *client = logging_client(log, "ca.crt");
    pthread_t threads[THREADS];
    worker workers[THREADS];
    lines ls;

    (void)state;
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){server, client, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, handshakes, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(workers[t].completed, HANDSHAKES);
    }
    /* read_lines fails on any line that is not one whole JSON object. */
    ls = read_lines(log);
    assert_int_equal(ls.n, (size_t)THREADS * HANDSHAKES * 4);
    for (size_t i = 0; i < ls.n; i++) {
        assert_common(&ls.v[i]);
    }
    assert_int_equal(count(&ls, "server", "handshake_start"), THREADS * HANDSHAKES);
    assert_int_equal(count(&ls, "server", "handshake_done"), THREADS * HANDSHAKES);
    assert_int_equal(count(&ls, "client", "handshake_start"), THREADS * HANDSHAKES);
    assert_int_equal(count(&ls, "client", "handshake_done"), THREADS * HANDSHAKES);

    lines_free(&ls);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(log);
    tu_rmtree(dir);
}

/* ---- config errors ---- */

static void
expect_init_error(const char *config, const char *pointer, const char *fragment)
{
    tu_init_assert_error("\"role\": \"client\"", "info", "info_jsonlog", config, pointer, fragment);
}

static void
test_info_jsonlog_config_errors(void **state)
{
    char *dir = tu_tmpdir();
    char *missing = NULL, *directory = NULL;

    (void)state;
    assert_true(asprintf(&missing, "{\"path\": \"%s/no/such/dir/tls.log\"}", dir) >= 0);
    assert_true(asprintf(&directory, "{\"path\": \"%s\"}", dir) >= 0);
    expect_init_error("{}", "/callbacks/info/config/path", "required key \"path\" is missing");
    expect_init_error("{\"path\": 1}", "/callbacks/info/config/path",
                      "wrong type: expected string, found integer");
    expect_init_error("{\"path\": \"\"}", "/callbacks/info/config/path", "empty string");
    expect_init_error(missing, "/callbacks/info/config/path",
                      "for appending: No such file or directory");
    expect_init_error(directory, "/callbacks/info/config/path", "for appending: Is a directory");
    expect_init_error("{\"path\": \"-\", \"level\": \"info\"}", "/callbacks/info/config/level",
                      "unknown key \"level\": expected one of \"path\"");
    free(missing);
    free(directory);
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_jsonlog_handshake_lines_of_both_sides),
        cmocka_unit_test(test_info_jsonlog_failed_handshake_logs_alerts),
        cmocka_unit_test(test_info_jsonlog_escapes_client_controlled_text),
        cmocka_unit_test(test_info_jsonlog_peer_address_of_socket),
        cmocka_unit_test(test_info_jsonlog_dash_writes_to_stdout),
        cmocka_unit_test(test_info_jsonlog_threads_write_whole_lines),
        cmocka_unit_test(test_info_jsonlog_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
