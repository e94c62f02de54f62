/*
 * Verify callbacks do not run on a resumed session, so a session made under
 * one verification policy must never be resumed under another: the server's
 * session id context is a digest of the configuration and plugin files.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#define SERVER_FMT                                                                                 \
    "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","    \
    " \"private_key\": \"pki/server-plain.key\", \"ca_file\": \"pki/ca.crt\", \"max_protocol\":"   \
    " \"%s\", \"verify\": \"require\"}, \"callbacks\": {\"verify\": {\"plugin\": \"verify_log\","  \
    " \"config\": {\"level\": \"%s\"}}}}"

#define CLIENT_FMT                                                                                 \
    "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"           \
    " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\", \"config\":"             \
    " {\"certificate\": \"pki/client.crt\", \"private_key\": \"pki/client.key\"}}}}"

typedef struct server {
    sslplug_host *host;
    SSL_CTX *ctx;
    tu_trace trace;
} server;

static void
server_make(server *s, const char *protocol, const char *level)
{
    memset(s, 0, sizeof(*s));
    s->host = tu_host(SERVER_FMT, protocol, level);
    sslplug_host_set_trace(s->host, tu_trace_fn, &s->trace);
    s->ctx = tu_ctx(s->host);
    /* Stateful sessions, so a shared session cache is what is exercised. */
    SSL_CTX_set_options(s->ctx, SSL_OP_NO_TICKET);
}

static void
server_free(server *s)
{
    SSL_CTX_free(s->ctx);
    sslplug_host_free(s->host);
    tu_trace_free(&s->trace);
}

/* One connection; returns 1 when it completed; *reused says whether it resumed. */
static int
connect_once(server *s, SSL_CTX *client, SSL_SESSION *resume, SSL_SESSION **client_sess,
             SSL_SESSION **server_sess, int *reused)
{
    sslplug_pair pair;
    char byte;
    int ok;

    assert_int_equal(sslplug_pair_init(&pair, s->ctx, client, "localhost"), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    ok = sslplug_pair_handshake(&pair);
    if (ok) {
        /* TLS 1.3 sends the session after the handshake: let the client read it. */
        assert_int_equal(SSL_write(pair.server, "x", 1), 1);
        assert_int_equal(SSL_read(pair.client, &byte, 1), 1);
        *reused = SSL_session_reused(pair.client);
        if (client_sess != NULL) {
            *client_sess = SSL_get1_session(pair.client);
        }
        if (server_sess != NULL) {
            *server_sess = SSL_get1_session(pair.server);
        }
        /* A connection freed without a clean shutdown has its session dropped. */
        SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    }
    sslplug_pair_cleanup(&pair);
    return ok;
}

static void
check_policy_change(const char *protocol)
{
    server a, same, other;
    sslplug_host *chost = tu_host(CLIENT_FMT);
    SSL_CTX *client = tu_ctx(chost);
    SSL_SESSION *csess = NULL, *ssess = NULL, *copy;
    int reused = -1, verified;

    server_make(&a, protocol, "info");
    server_make(&same, protocol, "info");
    server_make(&other, protocol, "debug");

    assert_int_equal(connect_once(&a, client, NULL, &csess, &ssess, &reused), 1);
    assert_int_equal(reused, 0);
    assert_non_null(csess);
    assert_non_null(ssess);
    verified = a.trace.count[SSLPLUG_CB_VERIFY];
    assert_true(verified > 0);

    /* Control: the same context resumes, and its verify plugin does not run. */
    assert_int_equal(connect_once(&a, client, csess, NULL, NULL, &reused), 1);
    assert_int_equal(reused, 1);
    assert_int_equal(a.trace.count[SSLPLUG_CB_VERIFY], verified);

    /*
     * A cache shared across identical configurations may resume.  (A session
     * object lives in one cache at a time: each gets its own copy.)
     */
    copy = SSL_SESSION_dup(ssess);
    assert_non_null(copy);
    assert_int_equal(SSL_CTX_add_session(same.ctx, copy), 1);
    SSL_SESSION_free(copy);
    assert_int_equal(connect_once(&same, client, csess, NULL, NULL, &reused), 1);
    assert_int_equal(reused, 1);

    /* Another verification policy: a full handshake, and its plugin runs. */
    copy = SSL_SESSION_dup(ssess);
    assert_non_null(copy);
    assert_int_equal(SSL_CTX_add_session(other.ctx, copy), 1);
    SSL_SESSION_free(copy);
    assert_int_equal(connect_once(&other, client, csess, NULL, NULL, &reused), 1);
    assert_int_equal(reused, 0);
    assert_true(other.trace.count[SSLPLUG_CB_VERIFY] > 0);

    SSL_SESSION_free(csess);
    SSL_SESSION_free(ssess);
    server_free(&a);
    server_free(&same);
    server_free(&other);
    SSL_CTX_free(client);
    sslplug_host_free(chost);
}

static void
test_resumption_refused_across_verify_configs_tls13(void **state)
{
    (void)state;
    check_policy_change("TLSv1.3");
}

static void
test_resumption_refused_across_verify_configs_tls12(void **state)
{
    (void)state;
    check_policy_change("TLSv1.2");
}

/* A client context of this configuration, tracing into trace. */
static SSL_CTX *
client_of(const char *level, tu_trace *trace)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\","
                                 " \"ca_file\": \"pki/ca.crt\"}, \"callbacks\": {\"verify\":"
                                 " {\"plugin\": \"verify_log\", \"config\": {\"level\": \"%s\"}}}}",
                                 level);
    SSL_CTX *ctx;

    sslplug_host_set_trace(host, tu_trace_fn, trace);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

/* One connection from client to server; returns whether it resumed. */
static int
client_connect(SSL_CTX *sctx, SSL_CTX *client, SSL_SESSION *resume, SSL_SESSION **out)
{
    sslplug_pair pair;
    char byte;
    int reused;

    assert_int_equal(sslplug_pair_init(&pair, sctx, client, "localhost"), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    assert_int_equal(SSL_write(pair.server, "x", 1), 1);
    assert_int_equal(SSL_read(pair.client, &byte, 1), 1);
    reused = SSL_session_reused(pair.client);
    if (out != NULL) {
        *out = SSL_get1_session(pair.client);
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return reused;
}

/*
 * The application hands a client a session made under another client
 * configuration: the client does a full handshake, verified by its own
 * plugins, instead of resuming.
 */
static void
test_resumption_client_refuses_session_of_other_config(void **state)
{
    static const long protocols[] = {TLS1_2_VERSION, TLS1_3_VERSION};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tu_trace ta = {0}, tb = {0};
        SSL_CTX *sctx = tu_plain_server(0);
        SSL_CTX *a = client_of("info", &ta), *b = client_of("debug", &tb);
        SSL_SESSION *sess = NULL;
        int verified;

        SSL_CTX_set_max_proto_version(sctx, protocols[i]);
        assert_int_equal(client_connect(sctx, a, NULL, &sess), 0);
        assert_non_null(sess);
        /* Control: the same configuration resumes, and its verify plugin does not run. */
        verified = ta.count[SSLPLUG_CB_VERIFY];
        assert_int_equal(client_connect(sctx, a, sess, NULL), 1);
        assert_int_equal(ta.count[SSLPLUG_CB_VERIFY], verified);
        /* Another configuration: a full handshake, and its verify plugin runs. */
        assert_int_equal(client_connect(sctx, b, sess, NULL), 0);
        assert_true(tb.count[SSLPLUG_CB_VERIFY] > 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(sctx);
        tu_trace_free(&ta);
        tu_trace_free(&tb);
    }
}

/*
 * What is trusted is part of the session id context: a server whose CA
 * file (or CA directory) now holds another CA does not resume a session
 * verified under the one it held, even from a shared cache with the same
 * configuration text.  trust: the "ca_file" or "ca_path" member.
 */
static void
check_trust_change(const char *protocol, int use_dir)
{
    char *dir = tu_tmpdir(), *ca = tu_file_copy(tu_pki("ca.crt"), dir, "ca.pem", 0644);
    char *json = NULL;
    sslplug_host *chost = tu_host(CLIENT_FMT);
    SSL_CTX *client = tu_ctx(chost);
    SSL_SESSION *csess = NULL, *ssess = NULL, *copy;
    server a, same, changed;
    int reused = -1;

    if (use_dir) {
        assert_int_equal(tu_run(NULL, "openssl rehash %s", dir), 0);
    }
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
                         " \"pki/server.crt\", \"private_key\": \"pki/server-plain.key\","
                         " \"%s\": \"%s\", \"max_protocol\": \"%s\", \"verify\": \"require\"}}",
                         use_dir ? "ca_path" : "ca_file", use_dir ? dir : ca, protocol) > 0);
    memset(&a, 0, sizeof(a));
    a.host = tu_host("%s", json);
    a.ctx = tu_ctx(a.host);
    SSL_CTX_set_options(a.ctx, SSL_OP_NO_TICKET);
    same = a;
    same.host = tu_host("%s", json);
    same.ctx = tu_ctx(same.host);
    SSL_CTX_set_options(same.ctx, SSL_OP_NO_TICKET);
    assert_int_equal(connect_once(&a, client, NULL, &csess, &ssess, &reused), 1);
    assert_int_equal(reused, 0);

    /* Control: the same trust, shared cache: resumed. */
    copy = SSL_SESSION_dup(ssess);
    assert_int_equal(SSL_CTX_add_session(same.ctx, copy), 1);
    SSL_SESSION_free(copy);
    assert_int_equal(connect_once(&same, client, csess, NULL, NULL, &reused), 1);
    assert_int_equal(reused, 1);

    /* The CA that issued the client certificate is replaced by another one. */
    free(tu_file_copy(tu_pki("other-ca.crt"), dir, "ca.pem", 0644));
    if (use_dir) {
        assert_int_equal(tu_run(NULL, "openssl rehash %s", dir), 0);
    }
    memset(&changed, 0, sizeof(changed));
    changed.host = tu_host("%s", json);
    changed.ctx = tu_ctx(changed.host);
    SSL_CTX_set_options(changed.ctx, SSL_OP_NO_TICKET);
    copy = SSL_SESSION_dup(ssess);
    assert_int_equal(SSL_CTX_add_session(changed.ctx, copy), 1);
    SSL_SESSION_free(copy);
    /* Not resumed: a full handshake, in which the client's certificate is refused. */
    reused = -1;
    assert_int_equal(connect_once(&changed, client, csess, NULL, NULL, &reused), 0);
    assert_int_equal(reused, -1);

    SSL_SESSION_free(csess);
    SSL_SESSION_free(ssess);
    server_free(&a);
    server_free(&same);
    server_free(&changed);
    SSL_CTX_free(client);
    sslplug_host_free(chost);
    free(json);
    free(ca);
    tu_rmtree(dir);
}

static void
test_resumption_refused_after_ca_file_change(void **state)
{
    (void)state;
    check_trust_change("TLSv1.2", 0);
    check_trust_change("TLSv1.3", 0);
}

static void
test_resumption_refused_after_ca_path_change(void **state)
{
    (void)state;
    check_trust_change("TLSv1.2", 1);
    check_trust_change("TLSv1.3", 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumption_refused_across_verify_configs_tls13),
        cmocka_unit_test(test_resumption_refused_across_verify_configs_tls12),
        cmocka_unit_test(test_resumption_client_refuses_session_of_other_config),
        cmocka_unit_test(test_resumption_refused_after_ca_file_change),
        cmocka_unit_test(test_resumption_refused_after_ca_path_change),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
