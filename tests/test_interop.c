/*
 * sslplug over real sockets against the real openssl s_server and s_client
 * on 127.0.0.1, TLS 1.2 and 1.3: `sslplug connect` sending a client
 * certificate through its plugin and refusing a server through a verify
 * plugin; `sslplug serve` unlocking its encrypted key through a password
 * plugin and requiring a client certificate; reload on SIGHUP; the ABI 1.4
 * types (alpn_map per SNI name with s_client and curl, ocsp_staple_file
 * re-read under s_client -status, a client status plugin against
 * s_server -status_file, verify_connection and verify_spiffe).
 *
 * Every process is started with fork/exec, its stdout and stderr read
 * through one pipe with poll() against a deadline, and killed and reaped in
 * the teardown whatever the test's outcome (support/proc.h); stdin stays a
 * pipe, since s_client and s_server end at the end of their input.  Ports are never guessed:
 * servers listen on port 0 and print the port they got.
 */
#define _GNU_SOURCE /* asprintf */
#include "proc.h"
#include "testutil.h"

#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <openssl/ocsp.h>

typedef struct fixture {
    tu_procs procs;
    char *dir; /* configurations */
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    tu_procs_init(&f->procs);
    f->dir = tu_tmpdir();
    *state = f;
    return 0;
}

/* Runs after every test, also one whose assertion failed: nothing is left behind. */
static int
teardown(void **state)
{
    fixture *f = *state;

    tu_procs_end(&f->procs);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static char *config(fixture *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static char *
config(fixture *f, const char *name, const char *fmt, ...)
{
    char *json = NULL, *path;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&json, fmt, ap) >= 0);
    va_end(ap);
    path = tu_write(f->dir, name, json, 0644);
    free(json);
    return path;
}

/*
 * openssl s_server on a free port: -rev sends each line back reversed.
 * Without require_client_cert, the NULL ends argv before -Verify.
 */
static tu_proc *
start_s_server(fixture *f, const char *version, int require_client_cert)
{
    const char *argv[] = {"openssl",
                          "s_server",
                          "-accept",
                          "127.0.0.1:0",
                          "-naccept",
                          "1",
                          "-rev",
                          "-cert",
                          tu_pki("server.crt"),
                          "-key",
                          tu_pki("server-plain.key"),
                          version,
                          require_client_cert ? "-Verify" : NULL,
                          "1",
                          "-CAfile",
                          tu_pki("ca.crt"),
                          NULL};

    return tu_proc_start_piped(&f->procs, argv, NULL);
}

/* sslplug serve --once on a free port. */
static tu_proc *
start_serve(fixture *f, const char *conf)
{
    const char *argv[] = {SSLPLUG_TEST_CLI, "serve", conf, "--port", "0", "--once", NULL};

    return tu_proc_start_piped(&f->procs, argv, NULL);
}

static tu_proc *
start_connect(fixture *f, const char *conf, const char *target)
{
    const char *argv[] = {SSLPLUG_TEST_CLI, "connect",   conf, target,
                          "--servername",   "localhost", NULL};

    return tu_proc_start_piped(&f->procs, argv, NULL);
}

static char *
server_config(fixture *f)
{
    return config(f, "server.json",
                  "{\"version\": 1, \"context\": {\"role\": \"server\","
                  " \"certificate\": \"%s\", \"private_key\": \"%s\", \"ca_file\": \"%s\","
                  " \"verify\": \"require\"},"
                  " \"callbacks\": {"
                  "  \"password\": {\"plugin\": \"password_file\", \"config\": {\"path\": \"%s\"}},"
                  "  \"verify\": {\"plugin\": \"verify_log\"}}}",
                  tu_pki("server.crt"), tu_pki("server.key"), tu_pki("ca.crt"),
                  tu_pki("server.pass"));
}

/* ---- sslplug connect against openssl s_server ---- */

static void
connect_sends_client_cert(void **state, const char *flag, const char *version)
{
    fixture *f = *state;
    char *conf = config(f, "client.json",
                        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                        " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\","
                        "  \"config\": {\"certificate\": \"%s\", \"private_key\": \"%s\"}},"
                        "  \"verify\": {\"plugin\": \"verify_log\"}}}",
                        tu_pki("ca.crt"), tu_pki("client.crt"), tu_pki("client.key"));
    tu_proc *server = start_s_server(f, flag, 1);
    char *target = tu_proc_address_after(server, "ACCEPT 127.0.0.1:");
    tu_proc *client = start_connect(f, conf, target);

    assert_int_equal(tu_proc_wait_exit(client), 0);
    tu_proc_assert_output(client,
                          "[client] client_cert client_cert_file (/callbacks/client_cert): -> 1 "
                          "sending /O=sslplug demo/CN=sslplug-client",
                          1);
    tu_proc_assert_output(client, "[client] verify      verify_log (/callbacks/verify): depth=0",
                          1);
    tu_proc_assert_output(client,
                          "handshake: ok\npeer: /O=sslplug demo/CN=localhost\nverify: 0 (ok)\n", 1);
    tu_proc_assert_output(client, version, 1);
    /* s_server -rev answers the line reversed. */
    tu_proc_assert_output(client, "reply: gulplss morf olleh\n", 1);
    /* The server verified and accepted the certificate the plugin sent. */
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "Peer certificate: O = sslplug demo, CN = sslplug-client", 1);
    tu_proc_assert_output(server, "Verification: OK", 1);
    free(target);
    free(conf);
}

static void
test_interop_connect_client_cert_tls12(void **state)
{
    connect_sends_client_cert(state, "-tls1_2", "protocol: TLSv1.2\n");
}

static void
test_interop_connect_client_cert_tls13(void **state)
{
    connect_sends_client_cert(state, "-tls1_3", "protocol: TLSv1.3\n");
}

static void
connect_verify_plugin_rejects(void **state, const char *flag, const char *version)
{
    fixture *f = *state;
    char *conf = config(f, "client.json",
                        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                        " \"callbacks\": {\"verify\": [{\"plugin\": \"verify_log\"},"
                        "  {\"plugin\": \"%s\", \"config\": {\"depth\": 0}}]}}",
                        tu_pki("ca.crt"), tu_test_plugin("cb_verify_reject"));
    tu_proc *server = start_s_server(f, flag, 0);
    char *target = tu_proc_address_after(server, "ACCEPT 127.0.0.1:");
    tu_proc *client = start_connect(f, conf, target);

    assert_int_equal(tu_proc_wait_exit(client), 1);
    /* OpenSSL accepted the chain; the plugin refused the leaf. */
    tu_proc_assert_output(client,
                          "verify_log (/callbacks/verify/0): depth=0 subject=/O=sslplug "
                          "demo/CN=localhost ok=1 error=X509_V_OK -> 1",
                          1);
    tu_proc_assert_output(client,
                          "cb_verify_reject (/callbacks/verify/1): depth=0 subject=/O=sslplug "
                          "demo/CN=localhost ok=1 error=X509_V_OK -> 0",
                          1);
    tu_proc_assert_output(client, "handshake: failed: certificate verify failed\n", 1);
    tu_proc_assert_output(client, "verify: 50 (application verification failure)\n", 1);
    tu_proc_assert_output(client, version, 1);
    assert_null(strstr(client->text, "reply:"));
    /* The server saw the client abort the handshake. */
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "CONNECTION FAILURE", 1);
    free(target);
    free(conf);
}

static void
test_interop_connect_verify_plugin_rejects_tls12(void **state)
{
    connect_verify_plugin_rejects(state, "-tls1_2", "protocol: TLSv1.2\n");
}

static void
test_interop_connect_verify_plugin_rejects_tls13(void **state)
{
    connect_verify_plugin_rejects(state, "-tls1_3", "protocol: TLSv1.3\n");
}

/* ---- openssl s_client against sslplug serve ---- */

/* Without with_cert, the NULL ends argv before -cert. */
static tu_proc *
start_s_client(fixture *f, const char *target, const char *flag, int with_cert)
{
    const char *argv[] = {"openssl",
                          "s_client",
                          "-connect",
                          target,
                          "-servername",
                          "localhost",
                          "-verify_hostname",
                          "localhost",
                          "-CAfile",
                          tu_pki("ca.crt"),
                          "-verify_return_error",
                          "-ign_eof",
                          flag,
                          with_cert ? "-cert" : NULL,
                          tu_pki("client.crt"),
                          "-key",
                          tu_pki("client.key"),
                          NULL};

    return tu_proc_start_piped(&f->procs, argv, NULL);
}

static void
s_client_with_cert(void **state, const char *flag, const char *version)
{
    fixture *f = *state;
    char *conf = server_config(f);
    tu_proc *server = start_serve(f, conf);
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    tu_proc *client = start_s_client(f, target, flag, 1);

    tu_proc_send(client, "ping from s_client\n");
    assert_int_equal(tu_proc_wait_exit(server), 0);
    /* The encrypted key was unlocked by the plugin, and its password never shown. */
    tu_proc_assert_output(server,
                          "[server] password    password_file (/callbacks/password): attempt=0", 1);
    assert_null(strstr(server->text, tu_server_password()));
    tu_proc_assert_output(server,
                          "[server] verify      verify_log (/callbacks/verify): depth=0 "
                          "subject=/O=sslplug demo/CN=sslplug-client ok=1",
                          1);
    tu_proc_assert_output(server,
                          "handshake: ok\npeer: /O=sslplug demo/CN=sslplug-client\n"
                          "verify: 0 (ok)\n",
                          1);
    tu_proc_assert_output(server, version, 1);
    tu_proc_assert_output(server, "echo: ping from s_client\n", 1);
    /* s_client trusted the server and got its line back. */
    assert_int_equal(tu_proc_wait_exit(client), 0);
    tu_proc_assert_output(client, "Verify return code: 0 (ok)", 1);
    tu_proc_assert_output(client, "ping from s_client", 1);
    free(target);
    free(conf);
}

static void
test_interop_s_client_with_cert_tls12(void **state)
{
    s_client_with_cert(state, "-tls1_2", "protocol: TLSv1.2\n");
}

static void
test_interop_s_client_with_cert_tls13(void **state)
{
    s_client_with_cert(state, "-tls1_3", "protocol: TLSv1.3\n");
}

static void
s_client_without_cert_refused(void **state, const char *flag, const char *alert)
{
    fixture *f = *state;
    char *conf = server_config(f);
    tu_proc *server = start_serve(f, conf);
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    tu_proc *client = start_s_client(f, target, flag, 0);

    tu_proc_send(client, "ping from s_client\n");
    /* "verify": "require": no certificate, no connection. */
    assert_int_equal(tu_proc_wait_exit(server), 1);
    tu_proc_assert_output(
        server, "handshake: failed: peer did not return a certificate\npeer: (none)\n", 1);
    assert_null(strstr(server->text, "echo:"));
    assert_int_equal(tu_proc_wait_exit(client), 1);
    tu_proc_assert_output(client, alert, 1);
    assert_null(strstr(client->text, "ping from s_client"));
    free(target);
    free(conf);
}

static void
test_interop_s_client_without_cert_refused_tls12(void **state)
{
    s_client_without_cert_refused(state, "-tls1_2", "alert handshake failure");
}

static void
test_interop_s_client_without_cert_refused_tls13(void **state)
{
    s_client_without_cert_refused(state, "-tls1_3", "alert certificate required");
}

/* ---- a virtual host's settings over a real socket ---- */

/* curl (HTTP/2 offered) to https://NAME:PORT/ through --resolve; -k: no verification. */
static tu_proc *
curl_h2(fixture *f, const char *target, const char *name, int insecure)
{
    char *resolve = NULL, *url = NULL;
    const char *argv[] = {
        "curl",      "-sv", "--http2", "--max-time",           "20", "--cacert", tu_pki("ca.crt"),
        "--resolve", NULL,  NULL,      insecure ? "-k" : NULL, NULL};
    tu_proc *p;

    assert_true(asprintf(&resolve, "%s:%s:127.0.0.1", name, strchr(target, ':') + 1) > 0);
    assert_true(asprintf(&url, "https://%s:%s/", name, strchr(target, ':') + 1) > 0);
    argv[8] = resolve;
    argv[9] = url;
    p = tu_proc_start_piped(&f->procs, argv, NULL);
    tu_proc_wait_exit(p);
    free(url);
    free(resolve);
    return p;
}

/* openssl s_client to target as name, extra arguments until NULL; sends a line, returns its exit.
 */
static int
s_client_run(fixture *f, const char *target, const char *name, tu_proc **out, ...)
{
    const char *argv[24] = {"openssl", "s_client", "-connect",       target,    "-servername",
                            name,      "-CAfile",  tu_pki("ca.crt"), "-ign_eof"};
    size_t n = 9;
    va_list ap;
    const char *a;

    va_start(ap, out);
    while ((a = va_arg(ap, const char *)) != NULL && n < sizeof(argv) / sizeof(argv[0]) - 1) {
        argv[n++] = a;
    }
    va_end(ap);
    argv[n] = NULL;
    *out = tu_proc_start_piped(&f->procs, argv, NULL);
    tu_proc_send(*out, "ping\n");
    return tu_proc_wait_exit(*out);
}

/*
 * A TLS 1.2 s_client asking for name, against `sslplug serve --once` whose
 * virtual host alt.example says "min_protocol": "TLSv1.3": its exit status.
 */
static int
s_client_tls12_to_vhost(fixture *f, const char *name)
{
    char *conf = config(f, "vhost.json",
                        "{\"version\": 1, \"context\": {\"role\": \"server\","
                        " \"certificate\": \"%s\", \"private_key\": \"%s\"},"
                        " \"contexts\": {\"alt\": {\"certificate\": \"%s\","
                        " \"private_key\": \"%s\", \"min_protocol\": \"TLSv1.3\"}},"
                        " \"callbacks\": {\"servername\": {\"plugin\": \"servername_map\","
                        " \"config\": {\"names\": {\"alt.example\": \"alt\"}}}}}",
                        tu_pki("server.crt"), tu_pki("server-plain.key"), tu_pki("alt.crt"),
                        tu_pki("alt.key"));
    tu_proc *server = start_serve(f, conf);
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    tu_proc *client;
    int rc = s_client_run(f, target, name, &client, "-tls1_2", NULL);

    tu_proc_wait_exit(server);
    free(target);
    free(conf);
    return rc;
}

static void
test_interop_vhost_protocol_range_after_switch(void **state)
{
    fixture *f = *state;

    /* The main context takes TLS 1.2; after the switch to alt, TLS 1.2 is refused. */
    assert_int_equal(s_client_tls12_to_vhost(f, "localhost"), 0);
    tu_proc_assert_output(&f->procs.p[1], "Protocol  : TLSv1.2", 1);
    assert_int_not_equal(s_client_tls12_to_vhost(f, "alt.example"), 0);
    tu_proc_assert_output(&f->procs.p[2], "handshake: failed", 1);
}

/* ---- sslplug serve: concurrency, HTTP; sslplug connect: names, HTTP, resumption ---- */

static char *
plain_server_config(fixture *f, const char *cert, const char *key, const char *protocol)
{
    return config(f, "plain.json",
                  "{\"version\": 1, \"context\": {\"role\": \"server\","
                  " \"certificate\": \"%s\", \"private_key\": \"%s\", \"max_protocol\": \"%s\"}}",
                  tu_pki(cert), tu_pki(key), protocol);
}

static char *
plain_client_config(fixture *f)
{
    return config(f, "client.json",
                  "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"}}",
                  tu_pki("ca.crt"));
}

/* sslplug serve (not --once) on a free port, with extra options. */
static tu_proc *
start_serve_many(fixture *f, const char *conf, const char *opt, const char *value)
{
    const char *argv[] = {SSLPLUG_TEST_CLI, "serve", conf, "--port=0", opt, value, NULL};

    return tu_proc_start_piped(&f->procs, argv, NULL);
}

/* A TCP connection that never says anything; the caller closes it. */
static int
idle_socket(const char *target)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    sin.sin_port = htons((uint16_t)atoi(strchr(target, ':') + 1));
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    return fd;
}

/* One client does not hold up the next: a silent connection stays open while another is served. */
static void
test_interop_serve_connections_concurrently(void **state)
{
    fixture *f = *state;
    char *conf = plain_server_config(f, "server.crt", "server-plain.key", "TLSv1.3");
    char *client = plain_client_config(f);
    tu_proc *server = start_serve_many(f, conf, "--idle-timeout", "60");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    int silent = idle_socket(target);
    char *out = NULL;

    /* With one connection at a time, this would wait 60 s behind the silent one. */
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --timeout 10",
                            SSLPLUG_TEST_CLI, client, target),
                     0);
    assert_non_null(strstr(out, "reply: hello from sslplug"));
    assert_true(tu_proc_wait_for(server, "echo: hello from sslplug\n"));
    close(silent);
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    free(out);
    free(target);
    free(client);
    free(conf);
}

/* A connection that says nothing is dropped after the idle timeout. */
static void
test_interop_serve_idle_timeout_drops_silent_client(void **state)
{
    fixture *f = *state;
    char *conf = plain_server_config(f, "server.crt", "server-plain.key", "TLSv1.3");
    tu_proc *server = start_serve_many(f, conf, "--idle-timeout", "1");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    int silent = idle_socket(target);

    assert_true(tu_proc_wait_for(server, "handshake: failed: timed out\n"));
    assert_true(tu_proc_wait_for(server, "connection #1 closed\n"));
    close(silent);
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    free(target);
    free(conf);
}

/* curl gets a page describing its connection. */
static void
test_interop_serve_answers_curl(void **state)
{
    fixture *f = *state;
    char *conf = plain_server_config(f, "server.crt", "server-plain.key", "TLSv1.3");
    tu_proc *server = start_serve(f, conf);
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    const char *argv[] = {"curl",           "-sS",       "--max-time", "20", "--cacert",
                          tu_pki("ca.crt"), "--resolve", NULL,         NULL, NULL};
    char *resolve = NULL, *url = NULL;
    tu_proc *curl;

    assert_true(asprintf(&resolve, "localhost:%s:127.0.0.1", strchr(target, ':') + 1) > 0);
    assert_true(asprintf(&url, "https://localhost:%s/", strchr(target, ':') + 1) > 0);
    argv[7] = resolve;
    argv[8] = url;
    curl = tu_proc_start_piped(&f->procs, argv, NULL);
    assert_int_equal(tu_proc_wait_exit(curl), 0);
    tu_proc_assert_output(curl, "protocol: TLSv1.3\n", 1);
    tu_proc_assert_output(curl, "resumed: no\n", 1);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "http: GET / HTTP/1.1\n", 1);
    tu_proc_assert_output(server, "http: answered 200\n", 1);
    free(url);
    free(resolve);
    free(target);
    free(conf);
}

/* --http: the status line and headers; a status of 400 or more is a failure. */
static void
test_interop_connect_http_status(void **state)
{
    fixture *f = *state;
    char *conf = plain_server_config(f, "server.crt", "server-plain.key", "TLSv1.3");
    char *client = plain_client_config(f);
    tu_proc *server = start_serve_many(f, conf, "--max-connections", "4");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    char *out = NULL;

    assert_int_equal(tu_run(&out, "%s connect %s %s --servername=localhost --http /",
                            SSLPLUG_TEST_CLI, client, target),
                     0);
    assert_non_null(strstr(out, "status: HTTP/1.1 200 OK\n"));
    assert_non_null(strstr(out, "header: Content-Type: text/plain\n"));
    assert_non_null(strstr(out, "body: protocol: TLSv1.3\n"));
    free(out);
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --http /missing",
                            SSLPLUG_TEST_CLI, client, target),
                     1);
    assert_non_null(strstr(out, "status: HTTP/1.1 404 Not Found\n"));
    assert_non_null(strstr(out, "http: status 404\n"));
    free(out);
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    free(target);
    free(client);
    free(conf);
}

/* --reconnect offers the first session; the server resumes it (TLS 1.2 and 1.3). */
static void
test_interop_connect_reconnect_resumes(void **state)
{
    static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};
    fixture *f = *state;
    char *client = plain_client_config(f);

    for (size_t i = 0; i < 2; i++) {
        char *conf = plain_server_config(f, "server.crt", "server-plain.key", protocols[i]);
        tu_proc *server = start_serve_many(f, conf, "--max-connections", "2");
        char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
        char *out = NULL;

        assert_int_equal(tu_run(&out, "%s connect %s %s --servername localhost --reconnect",
                                SSLPLUG_TEST_CLI, client, target),
                         0);
        if (strstr(out, "reconnect: the server resumed the session\n") == NULL) {
            print_error("%s\n", out);
        }
        assert_non_null(strstr(out, "reconnect: the server resumed the session\n"));
        assert_true(tu_proc_wait_for(server, "resumed: yes\n"));
        assert_int_equal(kill(server->pid, SIGTERM), 0);
        assert_int_equal(tu_proc_wait_exit(server), 0);
        free(out);
        free(target);
        free(conf);
    }
    free(client);
}

/*
 * connect checks the server's name by default, as curl does: HOST (a name
 * or an IP address), or --servername; --no-verify-host checks the chain
 * only.  alt.crt is valid for alt.example only.
 */
static void
test_interop_connect_verifies_host_by_default(void **state)
{
    fixture *f = *state;
    char *conf = plain_server_config(f, "alt.crt", "alt.key", "TLSv1.3");
    char *client = plain_client_config(f);
    tu_proc *server = start_serve_many(f, conf, "--max-connections", "4");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    char *out = NULL;

    assert_int_equal(tu_run(&out, "%s connect %s %s", SSLPLUG_TEST_CLI, client, target), 1);
    assert_non_null(strstr(out, "verify host: 127.0.0.1 (an IP address)\n"));
    assert_non_null(strstr(out, "handshake: failed"));
    assert_non_null(strstr(out, "IP address mismatch"));
    free(out);
    assert_int_equal(
        tu_run(&out, "%s connect %s %s --servername localhost", SSLPLUG_TEST_CLI, client, target),
        1);
    assert_non_null(strstr(out, "hostname mismatch"));
    free(out);
    assert_int_equal(tu_run(&out, "%s connect %s %s --servername alt.example --showcerts",
                            SSLPLUG_TEST_CLI, client, target),
                     0);
    assert_non_null(
        strstr(out, "chain: 1 certificate\n0: subject: /O=sslplug demo/CN=alt.example"));
    assert_non_null(strstr(out, "-----BEGIN CERTIFICATE-----"));
    free(out);
    assert_int_equal(
        tu_run(&out, "%s connect %s %s --no-verify-host", SSLPLUG_TEST_CLI, client, target), 0);
    assert_non_null(strstr(out, "verify: 0 (ok)\n"));
    free(out);
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    free(target);
    free(client);
    free(conf);
}

/* ---- a server's TLS block: ALPN, OpenSSL settings, stapling ---- */

/* A server configuration: the demo certificate, these context members, these callbacks. */
static char *
block_config(fixture *f, const char *members, const char *callbacks)
{
    return config(f, "block.json",
                  "{\"version\": 1, \"context\": {\"role\": \"server\","
                  " \"certificate\": \"%s\", \"private_key\": \"%s\"%s}, \"callbacks\": {%s}}",
                  tu_pki("server.crt"), tu_pki("server-plain.key"), members, callbacks);
}

/* sslplug serve --once with the demo certificate and these context members. */
static tu_proc *
serve_with(fixture *f, const char *members)
{
    char *conf = block_config(f, members, "");
    tu_proc *p = start_serve(f, conf);

    free(conf);
    return p;
}

/* curl negotiates h2 through the server's "alpn"; the server reports it. */
static void
test_interop_curl_gets_h2_through_alpn(void **state)
{
    fixture *f = *state;
    tu_proc *server = serve_with(f, ", \"alpn\": [\"h2\", \"http/1.1\"]");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    tu_proc *curl = curl_h2(f, target, "localhost", 0);

    tu_proc_assert_output(curl, "ALPN: server accepted h2", 1);
    tu_proc_wait_exit(server);
    tu_proc_assert_output(server, "alpn: h2\n", 1);
    free(target);
}

/* "openssl" settings are in force, as openssl s_client sees them. */
static void
test_interop_openssl_groups_seen_by_s_client(void **state)
{
    fixture *f = *state;
    tu_proc *server = serve_with(f, ", \"openssl\": {\"Groups\": \"P-384\"}");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    tu_proc *client;

    assert_int_equal(s_client_run(f, target, "localhost", &client, NULL), 0);
    tu_proc_assert_output(client, "Server Temp Key: ECDH, secp384r1", 1);
    tu_proc_wait_exit(server);
    free(target);
}

/* openssl s_client -status prints the response the server staples from its file. */
static void
test_interop_s_client_sees_staple(void **state)
{
    fixture *f = *state;
    char *staple = tu_make_ocsp(f->dir, "staple.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char *members = NULL;
    tu_proc *server, *client;
    char *target;

    assert_true(asprintf(&members, ", \"ocsp_staple\": \"%s\"", staple) > 0);
    server = serve_with(f, members);
    target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    assert_int_equal(s_client_run(f, target, "localhost", &client, "-status", NULL), 0);
    tu_proc_assert_output(client, "OCSP Response Status: successful", 1);
    tu_proc_assert_output(client, "Cert Status: good", 1);
    tu_proc_wait_exit(server);
    free(target);
    free(members);
    free(staple);
}

/* ---- the ABI 1.4 types: alpn, status, verify_connection ---- */

/* alpn_map: h2 for one SNI name, http/1.1 for another, whatever the client prefers. */
static void
test_interop_alpn_map_by_name(void **state)
{
    fixture *f = *state;
    char *conf = block_config(f, "",
                              "\"alpn\": {\"plugin\": \"alpn_map\", \"config\": {"
                              " \"names\": {\"legacy.example\": [\"http/1.1\"]},"
                              " \"default\": [\"h2\", \"http/1.1\"]}}");
    tu_proc *server = start_serve_many(f, conf, "--idle-timeout", "20");
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    tu_proc *client;

    assert_int_equal(s_client_run(f, target, "localhost", &client, "-alpn", "http/1.1,h2", NULL),
                     0);
    tu_proc_assert_output(client, "ALPN protocol: h2\n", 1);
    assert_int_equal(
        s_client_run(f, target, "legacy.example", &client, "-alpn", "h2,http/1.1", NULL), 0);
    tu_proc_assert_output(client, "ALPN protocol: http/1.1\n", 1);
    tu_proc_assert_output(curl_h2(f, target, "localhost", 0), "ALPN: server accepted h2", 1);
    tu_proc_assert_output(curl_h2(f, target, "legacy.example", 1), "ALPN: server accepted http/1.1",
                          1);
    assert_true(tu_proc_wait_for(server, "connection #4 closed\n"));
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "alpn: h2\n", 1);
    tu_proc_assert_output(server, "alpn: http/1.1\n", 1);
    free(target);
    free(conf);
}

/* ocsp_staple_file under s_client -status: a renewed file is served without a restart. */
static void
test_interop_ocsp_staple_file_rereads(void **state)
{
    fixture *f = *state;
    char *staple = tu_make_ocsp(f->dir, "staple.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char *revoked = tu_make_ocsp(f->dir, "revoked.der", "server.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    char *callbacks = NULL, *conf;
    tu_proc *server, *client;
    char *target;

    assert_true(asprintf(&callbacks,
                         "\"status\": {\"plugin\": \"ocsp_staple_file\", \"config\": {\"files\":"
                         " [\"%s\"]}}",
                         staple) > 0);
    conf = block_config(f, "", callbacks);
    server = start_serve_many(f, conf, "--idle-timeout", "20");
    target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    assert_int_equal(s_client_run(f, target, "localhost", &client, "-status", NULL), 0);
    tu_proc_assert_output(client, "OCSP Response Status: successful", 1);
    tu_proc_assert_output(client, "Cert Status: good", 1);
    /* What a renewal job does: a new file renamed over the old one. */
    assert_int_equal(rename(revoked, staple), 0);
    assert_int_equal(s_client_run(f, target, "localhost", &client, "-status", NULL), 0);
    tu_proc_assert_output(client, "Cert Status: revoked", 1);
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    free(target);
    free(conf);
    free(callbacks);
    free(revoked);
    free(staple);
}

/* openssl s_server stapling status_file; sslplug connect with a client status plugin. */
static tu_proc *
connect_to_stapling_server(fixture *f, const char *status_file, const char *client_conf)
{
    const char *argv[] = {"openssl",
                          "s_server",
                          "-accept",
                          "127.0.0.1:0",
                          "-naccept",
                          "1",
                          "-rev",
                          "-cert",
                          tu_pki("server.crt"),
                          "-key",
                          tu_pki("server-plain.key"),
                          "-status_file",
                          status_file,
                          NULL};
    tu_proc *server = tu_proc_start_piped(&f->procs, argv, NULL);
    char *target = tu_proc_address_after(server, "ACCEPT 127.0.0.1:");
    tu_proc *client = start_connect(f, client_conf, target);

    tu_proc_wait_exit(client);
    free(target);
    return client;
}

/* A client's status plugin reads the staple itself and refuses a revoked one. */
static void
test_interop_client_status_plugin_rejects_revoked(void **state)
{
    fixture *f = *state;
    char *good = tu_make_ocsp(f->dir, "good.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char *revoked = tu_make_ocsp(f->dir, "revoked.der", "server.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    char *conf = config(f, "client.json",
                        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                        " \"callbacks\": {\"status\": {\"plugin\": \"%s\","
                        "  \"config\": {\"status_revoked\": \"1\"}}}}",
                        tu_pki("ca.crt"), tu_test_plugin("t14"));
    tu_proc *client = connect_to_stapling_server(f, good, conf);

    assert_int_equal(client->status, 0);
    tu_proc_assert_output(client, "reply: ", 1);
    client = connect_to_stapling_server(f, revoked, conf);
    assert_int_not_equal(client->status, 0);
    tu_proc_assert_output(client, "the staple says revoked", 1);
    tu_proc_assert_output(client, "handshake: failed", 1);
    free(conf);
    free(revoked);
    free(good);
}

/*
 * verify_connection against openssl s_server: called once, with the chain,
 * the SNI name and the ALPN of this handshake; its reason is in the output.
 */
static void
test_interop_verify_connection_sees_the_handshake(void **state)
{
    fixture *f = *state;
    const char *argv[] = {"openssl",
                          "s_server",
                          "-accept",
                          "127.0.0.1:0",
                          "-naccept",
                          "1",
                          "-rev",
                          "-cert",
                          tu_pki("server.crt"),
                          "-key",
                          tu_pki("server-plain.key"),
                          "-alpn",
                          "h2",
                          NULL};
    char *accept =
        config(f, "accept.json",
               "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\","
               " \"alpn\": [\"h2\", \"http/1.1\"]},"
               " \"callbacks\": {\"verify_connection\": {\"plugin\": \"%s\"}}}",
               tu_pki("ca.crt"), tu_test_plugin("t14"));
    char *reject =
        config(f, "reject.json",
               "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
               " \"callbacks\": {\"verify_connection\": {\"plugin\": \"%s\","
               "  \"config\": {\"vc_reject\": \"not this service\"}}}}",
               tu_pki("ca.crt"), tu_test_plugin("t14"));
    tu_proc *server = tu_proc_start_piped(&f->procs, argv, NULL);
    char *target = tu_proc_address_after(server, "ACCEPT 127.0.0.1:");
    tu_proc *client = start_connect(f, accept, target);

    assert_int_equal(tu_proc_wait_exit(client), 0);
    tu_proc_assert_output(client,
                          "verify_connection chain=2 leaf=/O=sslplug demo/CN=localhost"
                          " name=localhost alpn=h2 version=0x0304",
                          1);
    assert_int_equal(tu_trace_has(&(tu_trace){.text = client->text}, "verify_connection chain="),
                     1);
    tu_proc_wait_exit(server);
    free(target);

    server = tu_proc_start_piped(&f->procs, argv, NULL);
    target = tu_proc_address_after(server, "ACCEPT 127.0.0.1:");
    client = start_connect(f, reject, target);
    assert_int_not_equal(tu_proc_wait_exit(client), 0);
    tu_proc_assert_output(client, "not this service", 1);
    tu_proc_assert_output(client, "handshake: failed", 1);
    tu_proc_wait_exit(server);
    free(target);
    free(reject);
    free(accept);
}

/* verify_spiffe on sslplug serve: a prod SPIFFE ID gets in, another trust domain does not. */
static void
test_interop_verify_spiffe_admits_by_id(void **state)
{
    fixture *f = *state;
    char *members = NULL, *conf;
    char *web_crt = tu_path_join(f->dir, "web.crt"), *web_key = tu_path_join(f->dir, "web.key");
    char *far_crt = tu_path_join(f->dir, "far.crt"), *far_key = tu_path_join(f->dir, "far.key");
    tu_proc *server, *client;
    char *target;

    assert_true(
        asprintf(&members, ", \"ca_file\": \"%s\", \"verify\": \"require\"", tu_pki("ca.crt")) > 0);
    conf = block_config(f, members,
                        "\"verify_connection\": {\"plugin\": \"verify_spiffe\", \"config\": {"
                        " \"trust_domain\": \"example.org\", \"path_prefixes\": [\"/ns/prod/\"]}}");
    tu_make_client_cert(f->dir, "web", "URI:spiffe://example.org/ns/prod/sa/web");
    tu_make_client_cert(f->dir, "far", "URI:spiffe://example.com/ns/prod/sa/web");
    server = start_serve_many(f, conf, "--idle-timeout", "20");
    target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    assert_int_equal(
        s_client_run(f, target, "localhost", &client, "-cert", web_crt, "-key", web_key, NULL), 0);
    assert_true(tu_proc_wait_for(server, "echo: ping\n"));
    s_client_run(f, target, "localhost", &client, "-cert", far_crt, "-key", far_key, NULL);
    assert_true(tu_proc_wait_for(server, "connection #2 closed\n"));
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server,
                          "-> reject: spiffe://example.com/ns/prod/sa/web is in trust domain"
                          " \"example.com\", not \"example.org\"",
                          1);
    assert_int_equal(tu_trace_has(&(tu_trace){.text = server->text}, "echo: ping\n"), 1);
    free(target);
    free(far_key);
    free(far_crt);
    free(web_key);
    free(web_crt);
    free(conf);
    free(members);
}

/* ---- sslplug serve: reload, stop; sslplug connect: errors ---- */

static char *
reload_config(fixture *f, int with_info)
{
    return config(f, "server.json",
                  "{\"version\": 1, \"context\": {\"role\": \"server\","
                  " \"certificate\": \"%s\", \"private_key\": \"%s\"},"
                  " \"callbacks\": {"
                  "  \"password\": {\"plugin\": \"password_file\", \"config\": {\"path\": \"%s\"}}"
                  "  %s}}",
                  tu_pki("server.crt"), tu_pki("server.key"), tu_pki("server.pass"),
                  with_info ? ", \"info\": {\"plugin\": \"info_log\"}" : "");
}

/* One `sslplug connect` to target; returns its output. */
static char *
connect_once(const char *conf, const char *target)
{
    char *out = NULL;
    int rc =
        tu_run(&out, "%s connect %s %s --servername localhost", SSLPLUG_TEST_CLI, conf, target);

    if (rc != 0) {
        print_error("%s\n", out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "reply: hello from sslplug\n"));
    return out;
}

static void
test_interop_serve_reloads_on_sighup(void **state)
{
    fixture *f = *state;
    char *conf = reload_config(f, 0);
    char *client = config(f, "client.json",
                          "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                          "\"%s\"}}",
                          tu_pki("ca.crt"));
    const char *argv[] = {SSLPLUG_TEST_CLI, "serve", conf, "--port", "0", NULL};
    tu_proc *server = tu_proc_start_piped(&f->procs, argv, NULL);
    char *target = tu_proc_address_after(server, "listening on 127.0.0.1:");
    char *out;

    /* Generation 1 has no info callback. */
    free(connect_once(client, target));
    assert_true(tu_proc_wait_for(server, "echo: hello from sslplug\n"));
    assert_null(strstr(server->text, "[server] info"));

    /* Generation 2 adds one; only connections after the reload get it. */
    free(reload_config(f, 1));
    assert_int_equal(kill(server->pid, SIGHUP), 0);
    assert_true(tu_proc_wait_for(server, "reloaded: generation 2\n"));
    out = connect_once(client, target);
    free(out);
    assert_true(tu_proc_wait_for(server, "[server] info        info_log"));

    /* A broken configuration is refused and the server goes on with generation 2. */
    free(config(f, "server.json", "{\"version\": 1, \"context\": {\"role\": \"sever\"}}"));
    assert_int_equal(kill(server->pid, SIGHUP), 0);
    assert_true(tu_proc_wait_for(server, "reload failed, still serving generation 2: "));
    assert_true(tu_proc_wait_for(server, "/context/role"));
    free(connect_once(client, target));

    /* SIGTERM: a clean exit. */
    assert_int_equal(kill(server->pid, SIGTERM), 0);
    assert_int_equal(tu_proc_wait_exit(server), 0);
    tu_proc_assert_output(server, "stopped\n", 1);
    free(target);
    free(client);
    free(conf);
}

static void
test_interop_connect_refused_port_fails(void **state)
{
    fixture *f = *state;
    char *conf =
        config(f, "client.json",
               "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"}}",
               tu_pki("ca.crt"));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    char *out = NULL;

    /* A port that is bound but not listening refuses connections. */
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    assert_int_equal(tu_run(&out, "%s connect %s 127.0.0.1:%u", SSLPLUG_TEST_CLI, conf,
                            (unsigned)ntohs(sin.sin_port)),
                     1);
    close(fd);
    assert_non_null(strstr(out, "connect: cannot connect to 127.0.0.1:"));
    assert_non_null(strstr(out, "Connection refused"));
    free(out);
    free(conf);
}

static void
test_interop_role_mismatch_fails(void **state)
{
    fixture *f = *state;
    char *server = server_config(f);
    char *out = NULL;

    /* A server configuration cannot connect. */
    assert_int_equal(tu_run(&out, "%s connect %s 127.0.0.1:9", SSLPLUG_TEST_CLI, server), 1);
    assert_non_null(strstr(out, "connect needs a client configuration"));
    free(out);
    free(server);
}

static void
test_interop_usage_and_help(void **state)
{
    static const char *const bad[] = {
        "serve",
        "serve a.json b.json",
        "serve a.json --port",
        "serve a.json --port 70000",
        "serve a.json --port x1",
        "serve a.json --frob",
        "connect",
        "connect a.json",
        "connect a.json 127.0.0.1",
        "connect a.json [::1]4433",
        "connect a.json h:1 --servername",
    };
    char *out = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = tu_run(NULL, "%s %s", SSLPLUG_TEST_CLI, bad[i]);

        if (rc != 2) {
            print_error("sslplug %s: exit %d, expected 2\n", bad[i], rc);
        }
        assert_int_equal(rc, 2);
    }
    /* A usage error says which option and what is wrong with it. */
    assert_int_equal(tu_run(&out, "%s serve a.json --port 99999", SSLPLUG_TEST_CLI), 2);
    assert_non_null(strstr(out, "sslplug serve: --port: expected a whole number from 0 to 65535, "
                                "found \"99999\""));
    free(out);
    assert_int_equal(tu_run(&out, "%s connect a.json h:1 --frob=1", SSLPLUG_TEST_CLI), 2);
    assert_non_null(strstr(out, "sslplug connect: unknown option --frob"));
    free(out);
    assert_int_equal(tu_run(&out, "%s connect a.json h:1 --showcerts=yes", SSLPLUG_TEST_CLI), 2);
    assert_non_null(strstr(out, "sslplug connect: --showcerts takes no value"));
    free(out);
    assert_int_equal(tu_run(&out, "%s serve --help", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "usage: sslplug serve CONFIG"));
    free(out);
    assert_int_equal(tu_run(&out, "%s connect --help", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "usage: sslplug connect CONFIG HOST:PORT"));
    free(out);
    assert_int_equal(tu_run(&out, "%s --help", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "sslplug serve CONFIG"));
    assert_non_null(strstr(out, "sslplug connect CONFIG"));
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_interop_connect_client_cert_tls12, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_client_cert_tls13, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_verify_plugin_rejects_tls12, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_verify_plugin_rejects_tls13, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_s_client_with_cert_tls12, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_s_client_with_cert_tls13, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_s_client_without_cert_refused_tls12, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_s_client_without_cert_refused_tls13, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_vhost_protocol_range_after_switch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_serve_connections_concurrently, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_serve_idle_timeout_drops_silent_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_serve_answers_curl, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_http_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_reconnect_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_verifies_host_by_default, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_curl_gets_h2_through_alpn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_openssl_groups_seen_by_s_client, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_s_client_sees_staple, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_alpn_map_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_ocsp_staple_file_rereads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_client_status_plugin_rejects_revoked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_verify_connection_sees_the_handshake, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_interop_verify_spiffe_admits_by_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_serve_reloads_on_sighup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_connect_refused_port_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_role_mismatch_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interop_usage_and_help, setup, teardown),
    };

    /* A child that dies while we write to it must fail a test, not kill the runner. */
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
