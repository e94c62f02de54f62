/*
 * `sslplug serve` reloading beside its connections (SIGHUP): while a
 * reload is in progress new connections are accepted and served on the
 * current generation; a connection that started before the reload
 * finished ends on the generation it started on; a SIGHUP during a reload
 * makes one more reload after it; SIGTERM during a reload stops the server
 * cleanly once the reload is done; a reload that fails after a while leaves
 * the generation that served meanwhile serving.
 *
 * The reload is held in progress by the rl_gate test plugin, whose init
 * returns only once the test creates a file (and fails when the file says
 * "fail"): every ordering below is made
 * by the test, none is guessed from timings.  Real processes, a port chosen
 * by the kernel (--port 0), every wait bounded (TU_WAIT_MS), every process
 * killed and reaped in the teardown.
 */
#define _GNU_SOURCE /* asprintf */
#include "proc.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>

/* How long one TLS step of the in-process client may wait: bounded, never a measurement. */
#define CLIENT_TIMEOUT_S 10

typedef struct fixture {
    tu_procs procs;
    char *dir;
    char *config; /* the server's configuration file, rewritten by the tests */
    char *client; /* a client configuration for `sslplug connect` */
    char *gate;   /* rl_gate's file: created, the reload held by it finishes */
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    tu_procs_init(&f->procs);
    f->dir = tu_tmpdir();
    f->config = tu_path_join(f->dir, "server.json");
    f->gate = tu_path_join(f->dir, "gate");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;

    tu_procs_end(&f->procs);
    tu_rmtree(f->dir);
    free(f->config);
    free(f->client);
    free(f->gate);
    free(f);
    return 0;
}

/*
 * The server's configuration, replaced atomically as a deploy tool would:
 * the demo certificate, and with gated an info entry of rl_gate, whose
 * init waits for f->gate.
 */
static void
write_config(fixture *f, int gated)
{
    char *json = NULL, *tmp;
    char info[1024] = "";

    if (gated) {
        snprintf(info, sizeof(info),
                 ", \"callbacks\": {\"info\": {\"plugin\": \"%s\","
                 " \"config\": {\"gate\": \"%s\", \"wait_ms\": %d}}}",
                 tu_test_plugin("rl_gate"), f->gate, TU_WAIT_MS);
    }
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\","
                         " \"certificate\": \"%s\", \"private_key\": \"%s\"}%s}",
                         tu_pki("server.crt"), tu_pki("server-plain.key"), info) > 0);
    tmp = tu_write(f->dir, "server.json.tmp", json, 0644);
    assert_int_equal(rename(tmp, f->config), 0);
    free(tmp);
    free(json);
}

/* Let the gated reload finish: content "fail" makes rl_gate's init fail. */
static void
open_gate(fixture *f, const char *content)
{
    free(tu_write(f->dir, "gate", content, 0644));
}

/* sslplug serve on the current configuration, on a port of the kernel's; *port receives it. */
static tu_proc *
start_serve(fixture *f, int *port)
{
    const char *argv[] = {SSLPLUG_TEST_CLI, "serve", f->config, "--port", "0", NULL};
    tu_proc *p = tu_proc_start(&f->procs, argv, NULL);

    *port = tu_proc_port_after(p, "listening on 127.0.0.1:");
    return p;
}

/* SIGHUP, then wait until the gated reload is in progress (rl_gate's init is waiting). */
static void
start_gated_reload(fixture *f, tu_proc *server)
{
    char *waiting = NULL;

    write_config(f, 1);
    assert_int_equal(kill(server->pid, SIGHUP), 0);
    assert_true(asprintf(&waiting, "rl_gate: waiting for %s\n", f->gate) > 0);
    if (!tu_proc_wait_for(server, waiting)) {
        print_error("the reload did not start:\n%s\n", server->text);
        fail();
    }
    free(waiting);
}

static void
stop_serve(tu_proc *server)
{
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "stopped\n", 1);
}

/* serve started on the ungated configuration, then a gated reload in progress; *port set. */
static tu_proc *
serve_reloading(fixture *f, int *port)
{
    tu_proc *server;

    write_config(f, 0);
    server = start_serve(f, port);
    start_gated_reload(f, server);
    return server;
}

/* `sslplug connect` to port: must be answered. */
static void
connect_once(fixture *f, int port)
{
    char *out = NULL;
    int rc;

    if (f->client == NULL) {
        char *json = NULL;

        assert_true(asprintf(&json,
                             "{\"version\": 1, \"context\": {\"role\": \"client\","
                             " \"ca_file\": \"%s\"}}",
                             tu_pki("ca.crt")) > 0);
        f->client = tu_write(f->dir, "client.json", json, 0644);
        free(json);
    }
    rc = tu_run(&out, "%s connect %s 127.0.0.1:%d --servername localhost --timeout %d",
                SSLPLUG_TEST_CLI, f->client, port, CLIENT_TIMEOUT_S);
    if (rc != 0 || strstr(out, "reply: hello from sslplug\n") == NULL) {
        print_error("sslplug connect exited %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "reply: hello from sslplug\n"));
    free(out);
}

/* ---- an in-process client that can hold its connection open ---- */

typedef struct client {
    SSL_CTX *ctx;
    SSL *ssl;
    int fd;
} client;

/* Connect to port and complete the handshake (the server has made the connection by then). */
static void
client_open(client *c, int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {CLIENT_TIMEOUT_S, 0};

    c->ctx = tu_plain_client(1);
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    /* Blocking, each read and write bounded. */
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), 0);
    sin.sin_port = htons((uint16_t)port);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    c->ssl = SSL_new(c->ctx);
    assert_non_null(c->ssl);
    assert_int_equal(SSL_set_fd(c->ssl, c->fd), 1);
    assert_int_equal(SSL_set_tlsext_host_name(c->ssl, "localhost"), 1);
    assert_int_equal(SSL_set1_host(c->ssl, "localhost"), 1);
    if (SSL_connect(c->ssl) != 1) {
        print_error("handshake with sslplug serve failed: %s\n",
                    ERR_error_string(ERR_get_error(), NULL));
        fail();
    }
}

/* Send line and read it back. */
static void
client_echo(client *c, const char *line)
{
    char buf[256];
    size_t got = 0;
    int n;

    assert_int_equal(SSL_write(c->ssl, line, (int)strlen(line)), (int)strlen(line));
    while (got < strlen(line) && (n = SSL_read(c->ssl, buf + got, (int)(sizeof(buf) - got))) > 0) {
        got += (size_t)n;
    }
    assert_int_equal(got, strlen(line));
    assert_memory_equal(buf, line, got);
}

static void
client_close(client *c)
{
    SSL_free(c->ssl);
    close(c->fd);
    SSL_CTX_free(c->ctx);
}

/*
 * The report of connection #id in the server's output, once it closed:
 * from "connection #ID from" to "connection #ID closed", malloc'd.
 */
static char *
report_of(tu_proc *server, int id)
{
    char head[64], tail[64];
    const char *from, *to;
    char *text;

    snprintf(head, sizeof(head), "connection #%d from ", id);
    snprintf(tail, sizeof(tail), "connection #%d closed\n", id);
    assert_true(tu_proc_wait_for(server, tail));
    from = strstr(server->text, head);
    to = strstr(server->text, tail);
    assert_non_null(from);
    assert_true(to > from);
    text = strndup(from, (size_t)(to - from) + strlen(tail));
    assert_non_null(text);
    return text;
}

/* Connection #id ran generation gen, with (info 1) or without rl_gate's info callback. */
static void
assert_report(tu_proc *server, int id, unsigned long gen, int info)
{
    char *text = report_of(server, id);
    char want[64];

    snprintf(want, sizeof(want), "(generation %lu)\n", gen);
    if (strstr(text, want) == NULL || (strstr(text, "[server] info") != NULL) != info) {
        print_error("expected generation %lu %s its info callback in:\n%s\n", gen,
                    info ? "with" : "without", text);
    }
    assert_non_null(strstr(text, want));
    assert_int_equal(strstr(text, "[server] info") != NULL, info);
    free(text);
}

/* ---- tests ---- */

/* Until the new configuration is loaded, connections are served on the current one. */
static void
test_serve_reload_accepts_while_loading(void **state)
{
    fixture *f = *state;
    tu_proc *server;
    int port;

    server = serve_reloading(f, &port);
    /* The accept loop does not wait for the reload: this is answered now, on generation 1. */
    connect_once(f, port);
    assert_report(server, 1, 1, 0);
    tu_proc_assert_output(server, "reloaded: generation", 0);

    open_gate(f, "");
    assert_true(tu_proc_wait_for(server, "reloaded: generation 2\n"));
    connect_once(f, port);
    assert_report(server, 2, 2, 1);
    stop_serve(server);
}

/* A connection made before the reload finished ends on its generation, after the swap. */
static void
test_serve_reload_connection_keeps_its_generation(void **state)
{
    fixture *f = *state;
    tu_proc *server;
    client held, later;
    int port;

    server = serve_reloading(f, &port);
    client_open(&held, port);

    open_gate(f, "");
    assert_true(tu_proc_wait_for(server, "reloaded: generation 2\n"));
    client_open(&later, port);
    client_echo(&later, "after the reload\n");
    client_close(&later);
    client_echo(&held, "held across the reload\n");
    client_close(&held);

    /* #1, held: generation 1 to its end, not one call of generation 2's info callback. */
    assert_report(server, 1, 1, 0);
    assert_report(server, 2, 2, 1);
    tu_proc_assert_output(server, "echo: held across the reload\n", 1);
    stop_serve(server);
}

/* A SIGHUP during a reload is not lost: one more reload follows it. */
static void
test_serve_reload_during_reload_makes_one_more(void **state)
{
    fixture *f = *state;
    tu_proc *server;
    int port;

    server = serve_reloading(f, &port);
    /* The edit this one is about may have come after the reload in progress read the file. */
    assert_int_equal(kill(server->pid, SIGHUP), 0);
    assert_true(tu_proc_wait_for(server, "reload: another one after the one in progress\n"));

    open_gate(f, "");
    assert_true(tu_proc_wait_for(server, "reloaded: generation 2\n"));
    assert_true(tu_proc_wait_for(server, "reloaded: generation 3\n"));
    connect_once(f, port);
    assert_report(server, 1, 3, 1);
    stop_serve(server);
    tu_proc_assert_output(server, "generation 4", 0);
}

/* SIGTERM during a reload: the server stops once the reload is done, with status 0. */
static void
test_serve_reload_stop_waits_for_reload(void **state)
{
    fixture *f = *state;
    tu_proc *server;
    int port;

    server = serve_reloading(f, &port);
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    open_gate(f, "");
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "stopped\n", 1);
}

/* A reload that fails after a while: the generation that served meanwhile goes on serving. */
static void
test_serve_reload_failure_keeps_serving(void **state)
{
    fixture *f = *state;
    tu_proc *server;
    int port;

    server = serve_reloading(f, &port);
    connect_once(f, port);

    open_gate(f, "fail");
    assert_true(tu_proc_wait_for(server, "reload failed, still serving generation 1: "));
    assert_true(tu_proc_wait_for(server, "/callbacks/info/config: plugin rl_gate ("));
    assert_true(tu_proc_wait_for(server, "): told to fail\n"));
    connect_once(f, port);
    assert_report(server, 1, 1, 0);
    assert_report(server, 2, 1, 0);
    stop_serve(server);
    tu_proc_assert_output(server, "reloaded:", 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_serve_reload_accepts_while_loading, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_reload_connection_keeps_its_generation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_serve_reload_during_reload_makes_one_more, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_serve_reload_stop_waits_for_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_serve_reload_failure_keeps_serving, setup, teardown),
    };

    /* A child that dies while we write to it must fail a test, not kill the runner. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
