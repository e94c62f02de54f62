/*
 * The verify, info and client_cert trampolines, through real handshakes
 * with real OpenSSL: each callback type in both forms (ABI plugin and raw
 * symbol), the verify pipeline and may_override, client_cert policing, and
 * what the trace says about each call.  Password reading is in
 * test_password.c.
 */
#define _GNU_SOURCE /* setenv, vasprintf */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

/* The chain the server presents: leaf (depth 0) under the demo CA (depth 1). */
#define CHAIN_LENGTH 2

#define SERVER_SUBJECT "/O=sslplug demo/CN=localhost"
#define CLIENT_SUBJECT "/O=sslplug demo/CN=sslplug-client"
#define CA_SUBJECT "/O=sslplug demo/CN=sslplug demo CA"
#define ROGUE_SUBJECT "/O=sslplug elsewhere/CN=localhost"

/* Protocol variants of the main handshake tests: a config fragment and what it gives. */
typedef struct protocol {
    const char *json; /* goes first inside "context" */
    int version;
    const char *name;
} protocol;

static const protocol tls12 = {"\"max_protocol\": \"TLSv1.2\", ", TLS1_2_VERSION, "TLSv1.2"};
static const protocol tls13 = {"", TLS1_3_VERSION, "TLSv1.3"};

/* What one sslplug context reported: its trace, its plugins' log lines. */
typedef struct rec {
    tu_trace trace;
    tu_log log;
    int without_ssl; /* events of a connection callback that carried no SSL */
} rec;

static void
rec_trace(const sslplug_trace_event *ev, void *arg)
{
    rec *r = arg;

    if (ev->type != SSLPLUG_CB_PASSWORD && ev->ssl == NULL) {
        r->without_ssl++;
    }
    tu_trace_fn(ev, &r->trace);
}

static void
rec_free(rec *r)
{
    tu_trace_free(&r->trace);
    tu_log_free(&r->log);
    memset(r, 0, sizeof(*r));
}

/*
 * A context from JSON (relative paths from the demo dir) traced and logged
 * into r.  The host is freed at once: contexts outlive it.
 */
static SSL_CTX *ctx_new(rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static SSL_CTX *
ctx_new(rec *r, const char *fmt, ...)
{
    char *json = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&json, fmt, ap) >= 0);
    va_end(ap);
    host = tu_host("%s", json);
    free(json);
    sslplug_host_set_trace(host, rec_trace, r);
    sslplug_host_set_log(host, tu_log_fn, &r->log);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

/* A verifying client whose only callbacks are the verify entries fmt describes. */
static SSL_CTX *verifying_client(rec *r, const protocol *proto, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static SSL_CTX *
verifying_client(rec *r, const protocol *proto, const char *fmt, ...)
{
    char *entries = NULL;
    SSL_CTX *ctx;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entries, fmt, ap) >= 0);
    va_end(ap);
    ctx = ctx_new(r,
                  "{\"version\": 1, \"context\": {%s" TU_CLIENT_CONTEXT "}, "
                  "\"callbacks\": {\"verify\": %s}}",
                  proto->json, entries);
    free(entries);
    return ctx;
}

/* A plain server presenting pki/<name>.crt; request/require a client cert. */
static SSL_CTX *
plain_server(const char *name, int request, int require)
{
    SSL_CTX *ctx = tu_plain_server_of(name);

    if (request) {
        assert_int_equal(SSL_CTX_load_verify_file(ctx, tu_pki("ca.crt")), 1);
        SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(tu_pki("ca.crt")));
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | (require ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                           NULL);
    }
    return ctx;
}

/* One step of one side: 1 done, 0 wants more, -1 failed; counts WANT_X509_LOOKUP. */
static int
step(SSL *ssl, int *done, int *lookups)
{
    int r;

    if (*done) {
        return 1;
    }
    ERR_clear_error();
    r = SSL_do_handshake(ssl);
    if (r == 1) {
        *done = 1;
        return 1;
    }
    switch (SSL_get_error(ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_WANT_X509_LOOKUP:
        (*lookups)++;
        return 0;
    default:
        ERR_clear_error();
        return -1;
    }
}

/*
 * A handshake driven here rather than by the pair, so that a client
 * suspended for a certificate (SSL_ERROR_WANT_X509_LOOKUP) is seen as such
 * instead of as a failure.  Returns 1 when both sides completed.
 */
static int
handshake_counting_lookups(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair, int *lookups)
{
    *lookups = 0;
    assert_int_equal(sslplug_pair_init(pair, server, client, "localhost"), 1);
    for (int round = 0; round < 64; round++) {
        int c = step(pair->client, &pair->client_done, lookups);
        int s = step(pair->server, &pair->server_done, lookups);

        if (c < 0 || s < 0) {
            return 0;
        }
        if (c == 1 && s == 1) {
            return 1;
        }
    }
    return 0;
}

/* The peer's certificate CN, or NULL (assert) when there is none. */
static void
assert_peer_cn(SSL *ssl, const char *cn)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char name[256] = "";
    int n;

    if (cn == NULL) {
        X509_free(peer);
        assert_null(peer);
        return;
    }
    assert_non_null(peer);
    n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name,
                                  (int)sizeof(name));
    X509_free(peer);
    assert_true(n > 0);
    assert_string_equal(name, cn);
}

static void
assert_version(const sslplug_pair *pair, const protocol *proto)
{
    assert_int_equal(SSL_version(pair->client), proto->version);
}

/* ---- verify, both forms, both sides ---- */

/*
 * Server and client both sslplug contexts with the same verify entry; each
 * side's trace holds one call per certificate of the peer's chain, deepest
 * first, under the entry's pointer and label.
 */
static void
verify_called_per_chain_cert(const protocol *proto, const char *entry, const char *label)
{
    rec sr = {0}, cr = {0};
    sslplug_pair pair;
    char line[512];
    SSL_CTX *server = ctx_new(&sr,
                              "{\"version\": 1, \"context\": {%s\"role\": \"server\", "
                              "\"certificate\": \"pki/server.crt\", "
                              "\"private_key\": \"pki/server-plain.key\", "
                              "\"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"}, "
                              "\"callbacks\": {\"verify\": %s}}",
                              proto->json, entry);
    SSL_CTX *client = ctx_new(&cr,
                              "{\"version\": 1, \"context\": {%s\"role\": \"client\", "
                              "\"certificate\": \"pki/client.crt\", "
                              "\"private_key\": \"pki/client.key\", "
                              "\"ca_file\": \"pki/ca.crt\", \"verify\": \"peer\"}, "
                              "\"callbacks\": {\"verify\": %s}}",
                              proto->json, entry);

    tu_handshake_expect(server, client, &pair, 1);
    assert_version(&pair, proto);
    assert_int_equal(sr.trace.count[SSLPLUG_CB_VERIFY], CHAIN_LENGTH);
    assert_int_equal(cr.trace.count[SSLPLUG_CB_VERIFY], CHAIN_LENGTH);
    snprintf(line, sizeof(line),
             "verify %s /callbacks/verify: depth=1 subject=" CA_SUBJECT
             " ok=1 error=X509_V_OK -> 1\n"
             "verify %s /callbacks/verify: depth=0 subject=" CLIENT_SUBJECT
             " ok=1 error=X509_V_OK -> 1\n",
             label, label);
    assert_non_null(sr.trace.text);
    assert_non_null(strstr(sr.trace.text, line));
    snprintf(line, sizeof(line),
             "verify %s /callbacks/verify: depth=1 subject=" CA_SUBJECT
             " ok=1 error=X509_V_OK -> 1\n"
             "verify %s /callbacks/verify: depth=0 subject=" SERVER_SUBJECT
             " ok=1 error=X509_V_OK -> 1\n",
             label, label);
    assert_non_null(cr.trace.text);
    assert_non_null(strstr(cr.trace.text, line));
    assert_int_equal(sr.without_ssl + cr.without_ssl, 0);
    assert_int_equal(SSL_get_verify_result(pair.server), X509_V_OK);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_OK);
    assert_peer_cn(pair.server, "sslplug-client");
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&sr);
    rec_free(&cr);
}

static void
test_callbacks_verify_abi_called_per_chain_cert_tls13(void **state)
{
    (void)state;
    verify_called_per_chain_cert(&tls13, "{\"plugin\": \"verify_log\"}", "verify_log");
}

static void
test_callbacks_verify_abi_called_per_chain_cert_tls12(void **state)
{
    (void)state;
    verify_called_per_chain_cert(&tls12, "{\"plugin\": \"verify_log\"}", "verify_log");
}

static void
test_callbacks_verify_raw_called_per_chain_cert_tls13(void **state)
{
    (void)state;
    verify_called_per_chain_cert(
        &tls13, "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_verify\"}",
        "raw_example_verify@raw_example.so");
}

static void
test_callbacks_verify_raw_called_per_chain_cert_tls12(void **state)
{
    (void)state;
    verify_called_per_chain_cert(
        &tls12, "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_verify\"}",
        "raw_example_verify@raw_example.so");
}

/* ---- info, both forms, both sides ---- */

static void
info_sees_start_and_done(const protocol *proto, const char *entry, const char *label)
{
    rec sr = {0}, cr = {0};
    sslplug_pair pair;
    char prefix[256];
    SSL_CTX *server = ctx_new(&sr,
                              "{\"version\": 1, \"context\": {%s\"role\": \"server\", "
                              "\"certificate\": \"pki/server.crt\", "
                              "\"private_key\": \"pki/server-plain.key\"}, "
                              "\"callbacks\": {\"info\": %s}}",
                              proto->json, entry);
    SSL_CTX *client = ctx_new(&cr,
                              "{\"version\": 1, \"context\": {%s\"role\": \"client\", "
                              "\"ca_file\": \"pki/ca.crt\"}, \"callbacks\": {\"info\": %s}}",
                              proto->json, entry);

    tu_handshake_expect(server, client, &pair, 1);
    assert_version(&pair, proto);
    snprintf(prefix, sizeof(prefix), "info %s /callbacks/info: ", label);
    for (int i = 0; i < 2; i++) {
        const rec *r = i == 0 ? &sr : &cr;

        assert_true(r->trace.count[SSLPLUG_CB_INFO] > 0);
        assert_int_equal(tu_trace_has(&r->trace, prefix), r->trace.count[SSLPLUG_CB_INFO]);
        assert_true(tu_trace_has(&r->trace, "HANDSHAKE_START") >= 1);
        assert_true(tu_trace_has(&r->trace, "HANDSHAKE_DONE") >= 1);
        assert_int_equal(r->without_ssl, 0);
    }
    assert_true(tu_trace_has(&sr.trace, "ACCEPT") >= 1);
    assert_true(tu_trace_has(&cr.trace, "CONNECT") >= 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&sr);
    rec_free(&cr);
}

static void
test_callbacks_info_abi_sees_handshake_start_and_done_tls13(void **state)
{
    (void)state;
    info_sees_start_and_done(&tls13, "{\"plugin\": \"info_log\"}", "info_log");
}

static void
test_callbacks_info_abi_sees_handshake_start_and_done_tls12(void **state)
{
    (void)state;
    info_sees_start_and_done(&tls12, "{\"plugin\": \"info_log\"}", "info_log");
}

static void
test_callbacks_info_raw_sees_handshake_start_and_done_tls13(void **state)
{
    (void)state;
    info_sees_start_and_done(&tls13,
                             "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_info\"}",
                             "raw_example_info@raw_example.so");
}

static void
test_callbacks_info_raw_sees_handshake_start_and_done_tls12(void **state)
{
    (void)state;
    info_sees_start_and_done(&tls12,
                             "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_info\"}",
                             "raw_example_info@raw_example.so");
}

/* A failed handshake: the info entry sees the alert it sends. */
static void
test_callbacks_info_traces_alert_of_failed_handshake(void **state)
{
    rec cr = {0};
    sslplug_pair pair;
    SSL_CTX *server = plain_server("rogue", 0, 0);
    SSL_CTX *client = ctx_new(&cr, "{\"version\": 1, \"context\": {\"role\": \"client\", "
                                   "\"ca_file\": \"pki/ca.crt\"}, "
                                   "\"callbacks\": {\"info\": {\"plugin\": \"info_log\"}}}");

    (void)state;
    tu_handshake_expect(server, client, &pair, 0);
    assert_true(tu_trace_has(&cr.trace, "HANDSHAKE_START") >= 1);
    assert_int_equal(tu_trace_has(&cr.trace, "HANDSHAKE_DONE"), 0);
    assert_int_equal(tu_trace_has(&cr.trace, "info info_log /callbacks/info: where=0x"),
                     cr.trace.count[SSLPLUG_CB_INFO]);
    assert_int_equal(tu_trace_has(&cr.trace, "WRITE|ALERT alert=fatal:unknown CA\n"), 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&cr);
}

/* ---- client_cert, both forms ---- */

/* A client with the given client_cert entry (or none) against a server requiring one. */
static void
client_cert_against_required(const protocol *proto, const char *entry, const char *label)
{
    rec cr = {0};
    sslplug_pair pair;
    char line[256];
    SSL_CTX *server = plain_server("server", 1, 1);
    SSL_CTX *client =
        ctx_new(&cr,
                "{\"version\": 1, \"context\": {%s\"role\": \"client\", "
                "\"ca_file\": \"pki/ca.crt\"}%s%s%s}",
                proto->json, entry != NULL ? ", \"callbacks\": {\"client_cert\": " : "",
                entry != NULL ? entry : "", entry != NULL ? "}" : "");

    tu_handshake_expect(server, client, &pair, entry != NULL);
    if (entry != NULL) {
        assert_version(&pair, proto);
        assert_peer_cn(pair.server, "sslplug-client");
        assert_int_equal(SSL_get_verify_result(pair.server), X509_V_OK);
        assert_int_equal(cr.trace.count[SSLPLUG_CB_CLIENT_CERT], 1);
        snprintf(line, sizeof(line),
                 "client_cert %s /callbacks/client_cert: -> 1 sending " CLIENT_SUBJECT "\n", label);
        assert_int_equal(tu_trace_has(&cr.trace, line), 1);
        assert_int_equal(cr.without_ssl, 0);
    } else {
        assert_false(pair.server_done);
        assert_peer_cn(pair.server, NULL);
        assert_int_equal(cr.trace.count[SSLPLUG_CB_CLIENT_CERT], 0);
    }
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&cr);
}

static void
test_callbacks_client_cert_abi_satisfies_required_client_auth_tls13(void **state)
{
    (void)state;
    client_cert_against_required(&tls13,
                                 "{\"plugin\": \"client_cert_file\", \"config\": "
                                 "{\"certificate\": \"pki/client.crt\", "
                                 "\"private_key\": \"pki/client.key\"}}",
                                 "client_cert_file");
}

static void
test_callbacks_client_cert_abi_satisfies_required_client_auth_tls12(void **state)
{
    (void)state;
    client_cert_against_required(&tls12,
                                 "{\"plugin\": \"client_cert_file\", \"config\": "
                                 "{\"certificate\": \"pki/client.crt\", "
                                 "\"private_key\": \"pki/client.key\"}}",
                                 "client_cert_file");
}

static void
raw_client_cert_against_required(const protocol *proto)
{
    assert_int_equal(setenv("SSLPLUG_RAW_CERT", tu_pki("client.crt"), 1), 0);
    assert_int_equal(setenv("SSLPLUG_RAW_KEY", tu_pki("client.key"), 1), 0);
    client_cert_against_required(
        proto, "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_client_cert\"}",
        "raw_example_client_cert@raw_example.so");
    unsetenv("SSLPLUG_RAW_CERT");
    unsetenv("SSLPLUG_RAW_KEY");
}

static void
test_callbacks_client_cert_raw_satisfies_required_client_auth_tls13(void **state)
{
    (void)state;
    raw_client_cert_against_required(&tls13);
}

static void
test_callbacks_client_cert_raw_satisfies_required_client_auth_tls12(void **state)
{
    (void)state;
    raw_client_cert_against_required(&tls12);
}

static void
test_callbacks_client_cert_absent_fails_required_client_auth_tls13(void **state)
{
    (void)state;
    client_cert_against_required(&tls13, NULL, NULL);
}

static void
test_callbacks_client_cert_absent_fails_required_client_auth_tls12(void **state)
{
    (void)state;
    client_cert_against_required(&tls12, NULL, NULL);
}

/* ---- the verify pipeline ---- */

static void
test_callbacks_verify_pipeline_passes_each_verdict_on_in_order(void **state)
{
    rec cr = {0};
    sslplug_pair pair;
    char expected[512];
    SSL_CTX *server = plain_server("server", 0, 0);
    SSL_CTX *client =
        verifying_client(&cr, &tls13,
                         "[{\"plugin\": \"%s\", \"config\": {\"tag\": \"first\"}}, "
                         "{\"plugin\": \"%s\", \"config\": {\"depth\": 0}}, "
                         "{\"plugin\": \"%s\", \"config\": {\"tag\": \"second\"}}]",
                         tu_test_plugin("cb_verify_record"), tu_test_plugin("cb_verify_reject"),
                         tu_test_plugin("cb_verify_record"));

    (void)state;
    tu_handshake_expect(server, client, &pair, 0);
    /* Entry 1 rejects the leaf: entry 2 is handed that rejection and its error. */
    snprintf(expected, sizeof(expected),
             "cb_verify_record: first depth=1 ok=1 error=0\n"
             "cb_verify_record: second depth=1 ok=1 error=0\n"
             "cb_verify_record: first depth=0 ok=1 error=0\n"
             "cb_verify_record: second depth=0 ok=0 error=%d\n",
             X509_V_ERR_APPLICATION_VERIFICATION);
    assert_non_null(cr.log.text);
    assert_string_equal(cr.log.text, expected);
    assert_int_equal(cr.trace.count[SSLPLUG_CB_VERIFY], 6);
    assert_int_equal(
        tu_trace_has(&cr.trace,
                     "cb_verify_reject /callbacks/verify/1: depth=0 subject=" SERVER_SUBJECT
                     " ok=1 error=X509_V_OK -> 0: rejected\n"),
        1);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_ERR_APPLICATION_VERIFICATION);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&cr);
}

/*
 * A client with the verify entries fmt describes against a plain server
 * presenting pki/<server_name>.crt: asserts the outcome and the client's
 * verify result; the trace and log stay in cr for the caller.
 */
static void verify_against(rec *cr, const char *server_name, const protocol *proto, int expected,
                           long result, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
verify_against(rec *cr, const char *server_name, const protocol *proto, int expected, long result,
               const char *fmt, ...)
{
    char *entries = NULL;
    sslplug_pair pair;
    SSL_CTX *server = plain_server(server_name, 0, 0);
    SSL_CTX *client;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entries, fmt, ap) >= 0);
    va_end(ap);
    client = verifying_client(cr, proto, "%s", entries);
    free(entries);
    tu_handshake_expect(server, client, &pair, expected);
    if (expected) {
        assert_version(&pair, proto);
    }
    assert_int_equal(SSL_get_verify_result(pair.client), result);
    assert_int_equal(cr->without_ssl, 0);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

static void
reject_leaf(const protocol *proto)
{
    rec cr = {0};

    verify_against(&cr, "server", proto, 0, X509_V_ERR_APPLICATION_VERIFICATION,
                   "{\"plugin\": \"%s\", \"config\": {\"depth\": 0}}",
                   tu_test_plugin("cb_verify_reject"));
    assert_int_equal(cr.trace.count[SSLPLUG_CB_VERIFY], CHAIN_LENGTH);
    assert_int_equal(tu_trace_has(&cr.trace,
                                  "cb_verify_reject /callbacks/verify: depth=1 subject=" CA_SUBJECT
                                  " ok=1 error=X509_V_OK -> 1\n"),
                     1);
    assert_int_equal(
        tu_trace_has(&cr.trace,
                     "cb_verify_reject /callbacks/verify: depth=0 subject=" SERVER_SUBJECT
                     " ok=1 error=X509_V_OK -> 0: rejected\n"),
        1);
    rec_free(&cr);
}

static void
test_callbacks_verify_reject_fails_with_application_verification_tls13(void **state)
{
    (void)state;
    reject_leaf(&tls13);
}

static void
test_callbacks_verify_reject_fails_with_application_verification_tls12(void **state)
{
    (void)state;
    reject_leaf(&tls12);
}

static void
test_callbacks_verify_reject_keeps_plugin_error(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "server", &tls13, 0, X509_V_ERR_CERT_REVOKED,
                   "{\"plugin\": \"%s\", \"config\": {\"depth\": 0, \"error\": %d}}",
                   tu_test_plugin("cb_verify_reject"), X509_V_ERR_CERT_REVOKED);
    assert_int_equal(tu_trace_has(&cr.trace, "depth=0 subject=" SERVER_SUBJECT
                                             " ok=1 error=X509_V_OK -> 0: rejected\n"),
                     1);
    rec_free(&cr);
}

static void
test_callbacks_verify_reject_at_depth_one_stops_the_chain(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "server", &tls13, 0, X509_V_ERR_APPLICATION_VERIFICATION,
                   "{\"plugin\": \"%s\", \"config\": {\"depth\": 1}}",
                   tu_test_plugin("cb_verify_reject"));
    assert_int_equal(cr.trace.count[SSLPLUG_CB_VERIFY], 1);
    assert_int_equal(tu_trace_has(&cr.trace, "depth=1 subject=" CA_SUBJECT
                                             " ok=1 error=X509_V_OK -> 0: rejected\n"),
                     1);
    rec_free(&cr);
}

/*
 * Against the rogue server (CN=localhost under an untrusted CA) OpenSSL
 * reports two errors at depth 0, in this order; an override must be
 * allowed for each.
 */
#define ROGUE_FIRST "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
#define ROGUE_SECOND "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE"

static void
override_listed_codes(const protocol *proto)
{
    rec cr = {0};

    verify_against(&cr, "rogue", proto, 1, X509_V_OK,
                   "{\"plugin\": \"%s\", \"may_override\": [\"" ROGUE_FIRST "\", \"" ROGUE_SECOND
                   "\"]}",
                   tu_test_plugin("cb_verify_accept"));
    assert_int_equal(tu_trace_has(&cr.trace,
                                  "depth=0 subject=" ROGUE_SUBJECT " ok=0 error=" ROGUE_FIRST
                                  " -> 1: override allowed by may_override\n"),
                     1);
    assert_int_equal(tu_trace_has(&cr.trace,
                                  "depth=0 subject=" ROGUE_SUBJECT " ok=0 error=" ROGUE_SECOND
                                  " -> 1: override allowed by may_override\n"),
                     1);
    assert_int_equal(tu_trace_has(&cr.trace, "override not allowed"), 0);
    rec_free(&cr);
}

static void
test_callbacks_verify_override_listed_codes_accepts_rogue_tls13(void **state)
{
    (void)state;
    override_listed_codes(&tls13);
}

static void
test_callbacks_verify_override_listed_codes_accepts_rogue_tls12(void **state)
{
    (void)state;
    override_listed_codes(&tls12);
}

static void
test_callbacks_verify_override_any_accepts_rogue(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls13, 1, X509_V_OK,
                   "[{\"plugin\": \"%s\", \"may_override\": \"any\"}, {\"plugin\": \"%s\"}]",
                   tu_test_plugin("cb_verify_accept"), tu_test_plugin("cb_verify_record"));
    assert_int_equal(tu_trace_has(&cr.trace, "override allowed by may_override"), 2);
    /* The entry after the override is handed success, with the error cleared. */
    assert_non_null(cr.log.text);
    assert_true(tu_trace_has(&cr.trace, "cb_verify_record /callbacks/verify/1: ") >= 2);
    assert_null(strstr(cr.log.text, "ok=0"));
    assert_non_null(strstr(cr.log.text, "cb_verify_record: record depth=0 ok=1 error=0\n"));
    rec_free(&cr);
}

static void
test_callbacks_verify_override_any_accepts_self_signed(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "self", &tls12, 1, X509_V_OK,
                   "{\"plugin\": \"%s\", \"may_override\": \"any\"}",
                   tu_test_plugin("cb_verify_accept"));
    assert_int_equal(tu_trace_has(&cr.trace, "ok=0 error=X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT -> "
                                             "1: override allowed by may_override\n"),
                     1);
    rec_free(&cr);
}

static void
test_callbacks_verify_override_needs_every_code_listed(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls13, 0, X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
                   "{\"plugin\": \"%s\", \"may_override\": [\"" ROGUE_FIRST "\"]}",
                   tu_test_plugin("cb_verify_accept"));
    assert_int_equal(tu_trace_has(&cr.trace, "error=" ROGUE_FIRST " -> 1: override allowed"), 1);
    assert_int_equal(tu_trace_has(&cr.trace, "error=" ROGUE_SECOND " -> 0: override not allowed"),
                     1);
    rec_free(&cr);
}

static void
test_callbacks_verify_override_without_may_override_is_rejected(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls13, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "{\"plugin\": \"%s\"}", tu_test_plugin("cb_verify_accept"));
    assert_int_equal(
        tu_trace_has(&cr.trace, "cb_verify_accept /callbacks/verify: depth=0 subject=" ROGUE_SUBJECT
                                " ok=0 error=" ROGUE_FIRST " -> 0: override not allowed"),
        1);
    assert_int_equal(tu_trace_has(&cr.trace, "override allowed"), 0);
    rec_free(&cr);
}

static void
test_callbacks_verify_override_of_another_code_is_rejected(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls12, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "{\"plugin\": \"%s\", \"may_override\": [\"X509_V_ERR_CERT_HAS_EXPIRED\"]}",
                   tu_test_plugin("cb_verify_accept"));
    assert_int_equal(tu_trace_has(&cr.trace, "error=" ROGUE_FIRST " -> 0: override not allowed"),
                     1);
    assert_int_equal(tu_trace_has(&cr.trace, "override allowed"), 0);
    rec_free(&cr);
}

static void
test_callbacks_verify_reject_after_override_still_rejects(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls13, 0, X509_V_ERR_APPLICATION_VERIFICATION,
                   "[{\"plugin\": \"%s\", \"may_override\": \"any\"}, "
                   "{\"plugin\": \"%s\", \"config\": {\"depth\": 0}}]",
                   tu_test_plugin("cb_verify_accept"), tu_test_plugin("cb_verify_reject"));
    assert_int_equal(
        tu_trace_has(&cr.trace,
                     "cb_verify_accept /callbacks/verify/0: depth=0 subject=" ROGUE_SUBJECT
                     " ok=0 error=" ROGUE_FIRST " -> 1: override allowed by may_override\n"
                     "verify cb_verify_reject /callbacks/verify/1: "
                     "depth=0 subject=" ROGUE_SUBJECT " ok=1 error=X509_V_OK -> 0: rejected\n"),
        1);
    rec_free(&cr);
}

static void
test_callbacks_verify_raw_passes_openssl_verdict_on_rogue(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls13, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_verify\"}");
    assert_int_equal(tu_trace_has(&cr.trace, "verify raw_example_verify@raw_example.so "
                                             "/callbacks/verify: depth=0 subject=" ROGUE_SUBJECT
                                             " ok=0 error=" ROGUE_FIRST " -> 0\n"),
                     1);
    assert_int_equal(cr.trace.count[SSLPLUG_CB_VERIFY], 1);
    rec_free(&cr);
}

/* The raw form is policed like the ABI form: accepting is not overriding. */
static void
test_callbacks_verify_raw_accept_without_may_override_is_rejected(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls13, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   "{\"plugin\": \"%s\", \"symbol\": \"cb_verify_accept_raw\"}",
                   tu_test_plugin("cb_verify_accept"));
    assert_int_equal(tu_trace_has(&cr.trace,
                                  "verify cb_verify_accept_raw@cb_verify_accept.so "
                                  "/callbacks/verify: depth=0 subject=" ROGUE_SUBJECT
                                  " ok=0 error=" ROGUE_FIRST " -> 0: override not allowed"),
                     1);
    rec_free(&cr);
}

static void
test_callbacks_verify_raw_accept_with_may_override_accepts_rogue(void **state)
{
    rec cr = {0};

    (void)state;
    verify_against(&cr, "rogue", &tls12, 1, X509_V_OK,
                   "{\"plugin\": \"%s\", \"symbol\": \"cb_verify_accept_raw\", "
                   "\"may_override\": \"any\"}",
                   tu_test_plugin("cb_verify_accept"));
    assert_int_equal(tu_trace_has(&cr.trace, "override allowed by may_override"), 2);
    assert_int_equal(tu_trace_has(&cr.trace, "override not allowed"), 0);
    rec_free(&cr);
}

/* ---- client_cert policing ---- */

/*
 * cb_client_cert_bad in `mode` with client.crt and pki/<key>: the host
 * must send no certificate, never suspend the handshake, say why in the
 * trace, and free what it refused (the leak check is valgrind's or ASan's).
 * Against a server that requires a certificate the handshake fails; against
 * one that only asks for it, it succeeds without a client certificate.
 */
static void
client_cert_refused(const char *mode, const char *key, const char *why)
{
    static const protocol *const protos[] = {&tls13, &tls12};

    for (size_t p = 0; p < sizeof(protos) / sizeof(protos[0]); p++) {
        for (int require = 0; require <= 1; require++) {
            rec cr = {0};
            sslplug_pair pair;
            int lookups;
            SSL_CTX *server = plain_server("server", 1, require);
            SSL_CTX *client =
                ctx_new(&cr,
                        "{\"version\": 1, \"context\": {%s\"role\": \"client\", "
                        "\"ca_file\": \"pki/ca.crt\"}, \"callbacks\": {\"client_cert\": "
                        "{\"plugin\": \"%s\", \"config\": {\"mode\": \"%s\", "
                        "\"certificate\": \"pki/client.crt\", \"private_key\": \"pki/%s\"}}}}",
                        protos[p]->json, tu_test_plugin("cb_client_cert_bad"), mode, key);
            int ok = handshake_counting_lookups(server, client, &pair, &lookups);

            if (ok == require) {
                print_error("mode %s, %s, require=%d: handshake %s\n", mode, protos[p]->name,
                            require, ok ? "succeeded" : "failed");
            }
            assert_int_equal(ok, !require);
            assert_int_equal(pair.server_done, !require);
            assert_int_equal(lookups, 0);
            assert_peer_cn(pair.server, NULL);
            assert_int_equal(cr.trace.count[SSLPLUG_CB_CLIENT_CERT], 1);
            assert_int_equal(tu_trace_has(&cr.trace, why), 1);
            assert_int_equal(tu_trace_has(&cr.trace, "sending /"), 0);
            assert_int_equal(cr.without_ssl, 0);
            sslplug_pair_cleanup(&pair);
            SSL_CTX_free(server);
            SSL_CTX_free(client);
            rec_free(&cr);
        }
    }
}

static void
test_callbacks_client_cert_result_two_sends_none(void **state)
{
    (void)state;
    client_cert_refused("two", "client.key",
                        "client_cert cb_client_cert_bad /callbacks/client_cert: -> 2: result is "
                        "neither 0 nor 1: sending no certificate\n");
}

static void
test_callbacks_client_cert_result_minus_one_never_suspends(void **state)
{
    (void)state;
    client_cert_refused("minus_one", "client.key",
                        "client_cert cb_client_cert_bad /callbacks/client_cert: -> -1: result is "
                        "neither 0 nor 1: sending no certificate\n");
}

static void
test_callbacks_client_cert_null_cert_sends_none(void **state)
{
    (void)state;
    client_cert_refused("null_cert", "client.key",
                        "-> 1: returned 1 without both a certificate and a key: sending none\n");
}

static void
test_callbacks_client_cert_null_key_sends_none(void **state)
{
    (void)state;
    client_cert_refused("null_key", "client.key",
                        "-> 1: returned 1 without both a certificate and a key: sending none\n");
}

static void
test_callbacks_client_cert_mismatched_key_sends_none(void **state)
{
    (void)state;
    client_cert_refused("send", "rogue.key",
                        "-> 1: the key does not match the certificate: sending none\n");
}

static void
test_callbacks_client_cert_result_zero_with_objects_sends_none(void **state)
{
    (void)state;
    client_cert_refused("zero", "client.key",
                        "client_cert cb_client_cert_bad /callbacks/client_cert: -> 0\n");
}

/*
 * The host remembers the last pair that matched, to skip the dear check:
 * the same instance returning the good pair, then a bad key, then the good
 * pair again is obeyed, refused, and obeyed.
 */
static void
test_callbacks_client_cert_mismatch_caught_after_good_pair(void **state)
{
    static const int expected[] = {1, 0, 1, 0};
    tu_trace trace = {0};
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
        " \"callbacks\": {\"client_cert\": {\"plugin\": \"%s\", \"config\": {\"cert\": \"%s\","
        " \"key\": \"%s\", \"bad_key\": \"%s\"}}}}",
        tu_test_plugin("cc_alternate"), tu_pki("client.crt"), tu_pki("client.key"),
        tu_pki("rogue.key"));
    SSL_CTX *server = tu_plain_server(1), *client;
    sslplug_pair pair;

    (void)state;
    sslplug_host_set_trace(host, tu_trace_fn, &trace);
    client = tu_ctx(host);
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        assert_int_equal(tu_handshake(server, client, &pair), expected[i]);
        sslplug_pair_cleanup(&pair);
    }
    assert_int_equal(tu_trace_has(&trace, "the key does not match the certificate"), 2);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    sslplug_host_free(host);
    tu_trace_free(&trace);
}

/* The control for the cases above: the same plugin with a matching pair is obeyed. */
static void
test_callbacks_client_cert_matching_pair_is_sent(void **state)
{
    rec cr = {0};
    sslplug_pair pair;
    int lookups;
    SSL_CTX *server = plain_server("server", 1, 1);
    SSL_CTX *client = ctx_new(&cr,
                              "{\"version\": 1, \"context\": {\"role\": \"client\", "
                              "\"ca_file\": \"pki/ca.crt\"}, \"callbacks\": {\"client_cert\": "
                              "{\"plugin\": \"%s\", \"config\": {\"mode\": \"send\", "
                              "\"certificate\": \"pki/client.crt\", "
                              "\"private_key\": \"pki/client.key\"}}}}",
                              tu_test_plugin("cb_client_cert_bad"));

    (void)state;
    assert_int_equal(handshake_counting_lookups(server, client, &pair, &lookups), 1);
    assert_int_equal(lookups, 0);
    assert_peer_cn(pair.server, "sslplug-client");
    assert_int_equal(tu_trace_has(&cr.trace, "-> 1 sending " CLIENT_SUBJECT "\n"), 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&cr);
}

/* ---- the trace ---- */

static void
test_callbacks_trace_names_entry_pointer_and_plugin(void **state)
{
    rec cr = {0};
    sslplug_pair pair;
    SSL_CTX *server = plain_server("server", 1, 1);
    SSL_CTX *client = ctx_new(&cr, "{\"version\": 1, \"context\": {\"role\": \"client\", "
                                   "\"ca_file\": \"pki/ca.crt\"}, \"callbacks\": {"
                                   "\"verify\": [{\"plugin\": \"verify_log\"}, "
                                   "{\"plugin\": \"raw_example\", \"symbol\": "
                                   "\"raw_example_verify\"}], "
                                   "\"info\": {\"plugin\": \"info_log\"}, "
                                   "\"client_cert\": {\"plugin\": \"client_cert_file\", "
                                   "\"config\": {\"certificate\": \"pki/client.crt\", "
                                   "\"private_key\": \"pki/client.key\"}}}}");

    (void)state;
    tu_handshake_expect(server, client, &pair, 1);
    assert_int_equal(tu_trace_has(&cr.trace, "verify verify_log /callbacks/verify/0: depth="),
                     CHAIN_LENGTH);
    assert_int_equal(tu_trace_has(&cr.trace, "verify raw_example_verify@raw_example.so "
                                             "/callbacks/verify/1: depth="),
                     CHAIN_LENGTH);
    assert_int_equal(cr.trace.count[SSLPLUG_CB_VERIFY], 2 * CHAIN_LENGTH);
    assert_true(cr.trace.count[SSLPLUG_CB_INFO] > 0);
    assert_int_equal(tu_trace_has(&cr.trace, "info info_log /callbacks/info: where=0x"),
                     cr.trace.count[SSLPLUG_CB_INFO]);
    assert_int_equal(tu_trace_has(&cr.trace, "client_cert client_cert_file /callbacks/client_cert: "
                                             "-> 1 sending " CLIENT_SUBJECT "\n"),
                     1);
    /* Every line is one event, and every event names its entry. */
    assert_int_equal(tu_trace_has(&cr.trace, "\n"), cr.trace.count[SSLPLUG_CB_VERIFY] +
                                                        cr.trace.count[SSLPLUG_CB_INFO] +
                                                        cr.trace.count[SSLPLUG_CB_CLIENT_CERT]);
    assert_int_equal(tu_trace_has(&cr.trace, " /callbacks/"), tu_trace_has(&cr.trace, "\n"));
    assert_int_equal(cr.without_ssl, 0);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    rec_free(&cr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callbacks_verify_abi_called_per_chain_cert_tls13),
        cmocka_unit_test(test_callbacks_verify_abi_called_per_chain_cert_tls12),
        cmocka_unit_test(test_callbacks_verify_raw_called_per_chain_cert_tls13),
        cmocka_unit_test(test_callbacks_verify_raw_called_per_chain_cert_tls12),
        cmocka_unit_test(test_callbacks_info_abi_sees_handshake_start_and_done_tls13),
        cmocka_unit_test(test_callbacks_info_abi_sees_handshake_start_and_done_tls12),
        cmocka_unit_test(test_callbacks_info_raw_sees_handshake_start_and_done_tls13),
        cmocka_unit_test(test_callbacks_info_raw_sees_handshake_start_and_done_tls12),
        cmocka_unit_test(test_callbacks_info_traces_alert_of_failed_handshake),
        cmocka_unit_test(test_callbacks_client_cert_mismatch_caught_after_good_pair),
        cmocka_unit_test(test_callbacks_client_cert_abi_satisfies_required_client_auth_tls13),
        cmocka_unit_test(test_callbacks_client_cert_abi_satisfies_required_client_auth_tls12),
        cmocka_unit_test(test_callbacks_client_cert_raw_satisfies_required_client_auth_tls13),
        cmocka_unit_test(test_callbacks_client_cert_raw_satisfies_required_client_auth_tls12),
        cmocka_unit_test(test_callbacks_client_cert_absent_fails_required_client_auth_tls13),
        cmocka_unit_test(test_callbacks_client_cert_absent_fails_required_client_auth_tls12),
        cmocka_unit_test(test_callbacks_verify_pipeline_passes_each_verdict_on_in_order),
        cmocka_unit_test(test_callbacks_verify_reject_fails_with_application_verification_tls13),
        cmocka_unit_test(test_callbacks_verify_reject_fails_with_application_verification_tls12),
        cmocka_unit_test(test_callbacks_verify_reject_keeps_plugin_error),
        cmocka_unit_test(test_callbacks_verify_reject_at_depth_one_stops_the_chain),
        cmocka_unit_test(test_callbacks_verify_override_listed_codes_accepts_rogue_tls13),
        cmocka_unit_test(test_callbacks_verify_override_listed_codes_accepts_rogue_tls12),
        cmocka_unit_test(test_callbacks_verify_override_any_accepts_rogue),
        cmocka_unit_test(test_callbacks_verify_override_any_accepts_self_signed),
        cmocka_unit_test(test_callbacks_verify_override_needs_every_code_listed),
        cmocka_unit_test(test_callbacks_verify_override_without_may_override_is_rejected),
        cmocka_unit_test(test_callbacks_verify_override_of_another_code_is_rejected),
        cmocka_unit_test(test_callbacks_verify_reject_after_override_still_rejects),
        cmocka_unit_test(test_callbacks_verify_raw_passes_openssl_verdict_on_rogue),
        cmocka_unit_test(test_callbacks_verify_raw_accept_without_may_override_is_rejected),
        cmocka_unit_test(test_callbacks_verify_raw_accept_with_may_override_accepts_rogue),
        cmocka_unit_test(test_callbacks_client_cert_result_two_sends_none),
        cmocka_unit_test(test_callbacks_client_cert_result_minus_one_never_suspends),
        cmocka_unit_test(test_callbacks_client_cert_null_cert_sends_none),
        cmocka_unit_test(test_callbacks_client_cert_null_key_sends_none),
        cmocka_unit_test(test_callbacks_client_cert_mismatched_key_sends_none),
        cmocka_unit_test(test_callbacks_client_cert_result_zero_with_objects_sends_none),
        cmocka_unit_test(test_callbacks_client_cert_matching_pair_is_sent),
        cmocka_unit_test(test_callbacks_trace_names_entry_pointer_and_plugin),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
