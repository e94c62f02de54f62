/*
 * session_store (ABI 1.4) through real handshakes, TLS 1.2 and 1.3: two
 * contexts made from the same configuration share sessions through a store
 * (ss_memory, one table for the process), as two servers of a fleet do
 * through Redis; a context of another verification policy does not resume
 * them; bytes from the store that are not a session of that id and that
 * namespace are refused; a store that fails costs a full handshake only.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};

/* A server that requires and verifies a client certificate, with a store. */
static SSL_CTX *
server(tu_report *rep, const char *protocol, const char *level, const char *store_config,
       const char *extra)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {%s, \"ca_file\": \"pki/ca.crt\", \"verify\":"
        " \"require\", \"max_protocol\": \"%s\"}, \"callbacks\": {\"verify\": {\"plugin\":"
        " \"verify_log\", \"config\": {\"level\": \"%s\"}}, \"session_store\":"
        " {\"plugin\": \"%s\", \"config\": %s%s}}}",
        TU_SERVER_CONTEXT, protocol, level, tu_test_plugin("ss_memory"), store_config, extra);
    SSL_CTX *ctx;

    tu_report_attach(host, rep);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

static SSL_CTX *
client(void)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
                " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\", \"config\":"
                " {\"certificate\": \"pki/client.crt\", \"private_key\": \"pki/client.key\"}}}}");
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

/* One connection offering resume (NULL: none); *out gets the client's session. 1 if resumed. */
static int
connect_once(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *resume, SSL_SESSION **out)
{
    sslplug_pair pair;
    char byte;
    int reused;

    assert_int_equal(sslplug_pair_init(&pair, sctx, cctx, "localhost"), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    /* TLS 1.3 sends the session after the handshake: let the client read it. */
    assert_int_equal(SSL_write(pair.server, "x", 1), 1);
    assert_int_equal(SSL_read(pair.client, &byte, 1), 1);
    reused = SSL_session_reused(pair.client);
    assert_int_equal(SSL_session_reused(pair.server), reused);
    if (out != NULL) {
        *out = SSL_get1_session(pair.client);
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return reused;
}

/* A session made by server a resumes on b (same configuration), never on c (another policy). */
static void
test_session_store_shared_across_contexts(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0}, rb = {0}, rc = {0};
        SSL_CTX *a = server(&ra, protocols[i], "info", "{}", "");
        SSL_CTX *b = server(&rb, protocols[i], "info", "{}", "");
        SSL_CTX *c = server(&rc, protocols[i], "debug", "{}", "");
        SSL_CTX *cl = client();
        SSL_SESSION *sess = NULL;
        int verified;

        assert_int_equal(connect_once(a, cl, NULL, &sess), 0);
        assert_non_null(sess);
        /* TLS 1.3 issues two (stateful) tickets: two sessions. */
        assert_true(tu_trace_has(&ra.trace, ": stored") >= 1);
        /* b never saw the session: it comes from the store, and b's verify plugin does not run. */
        assert_int_equal(connect_once(b, cl, sess, NULL), 1);
        assert_true(tu_trace_has(&rb.trace, ": found") == 1);
        assert_int_equal(rb.trace.count[SSLPLUG_CB_VERIFY], 0);
        /* c's policy differs: its namespace holds nothing; a full handshake, verified by c. */
        assert_int_equal(connect_once(c, cl, sess, NULL), 0);
        assert_int_equal(tu_trace_has(&rc.trace, ": not found"), 1);
        verified = rc.trace.count[SSLPLUG_CB_VERIFY];
        assert_true(verified > 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(c);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
        tu_report_free(&rb);
        tu_report_free(&rc);
    }
}

/*
 * A store that hands back whatever it has under the id, whatever the
 * namespace: the host refuses another configuration's session even so.
 */
static void
test_session_store_refuses_other_namespace(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0}, rc = {0};
        SSL_CTX *a = server(&ra, protocols[i], "info", "{\"ignore_ns\": 1}", "");
        SSL_CTX *c = server(&rc, protocols[i], "debug", "{\"ignore_ns\": 1}", "");
        SSL_CTX *cl = client();
        SSL_SESSION *sess = NULL;

        assert_int_equal(connect_once(a, cl, NULL, &sess), 0);
        assert_int_equal(connect_once(c, cl, sess, NULL), 0);
        assert_int_equal(tu_trace_has(&rc.trace, "refused, a session of another configuration"), 1);
        assert_true(rc.trace.count[SSLPLUG_CB_VERIFY] > 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(a);
        SSL_CTX_free(c);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
        tu_report_free(&rc);
    }
}

/* Garbage, an unanswered GET, and a GET that needs more room. */
static void
check_store_answer(const char *config, const char *trace, int resumes)
{
    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0}, rb = {0};
        SSL_CTX *a = server(&ra, protocols[i], "info", config, "");
        SSL_CTX *b = server(&rb, protocols[i], "info", config, "");
        SSL_CTX *cl = client();
        SSL_SESSION *sess = NULL;

        assert_int_equal(connect_once(a, cl, NULL, &sess), 0);
        assert_int_equal(connect_once(b, cl, sess, NULL), resumes);
        if (tu_trace_has(&rb.trace, trace) == 0) {
            print_error("no \"%s\" in:\n%s\n", trace, rb.trace.text);
        }
        assert_true(tu_trace_has(&rb.trace, trace) > 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
        tu_report_free(&rb);
    }
}

static void
test_session_store_refuses_garbage(void **state)
{
    (void)state;
    check_store_answer("{\"garbage\": 1}", "-> 10: refused, not a session", 0);
}

static void
test_session_store_failure_is_a_full_handshake(void **state)
{
    (void)state;
    check_store_answer("{\"fail\": 1}", "-> -1: the store cannot answer", 0);
}

static void
test_session_store_asked_again_with_more_room(void **state)
{
    (void)state;
    check_store_answer("{\"ask_more\": 1}", ": found", 1);
}

/*
 * With "internal_cache": false every resumption goes to the store, also on
 * the context that made the session; with the internal cache in front, the
 * second one does not.
 */
static void
test_session_store_internal_cache_off(void **state)
{
    (void)state;
    for (size_t off = 0; off < 2; off++) {
        tu_report ra = {0};
        SSL_CTX *a = server(&ra, "TLSv1.2", "info", "{}",
                            off ? ", \"internal_cache\": false" : ", \"internal_cache\": true");
        SSL_CTX *cl = client();
        SSL_SESSION *sess = NULL;

        assert_int_equal(connect_once(a, cl, NULL, &sess), 0);
        assert_int_equal(connect_once(a, cl, sess, NULL), 1);
        assert_int_equal(tu_trace_has(&ra.trace, ": found"), off ? 1 : 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(a);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
    }
}

/* Without ticket_keys, tickets are off: TLS 1.2 resumes by session id, TLS 1.3 statefully. */
static void
test_session_store_turns_tickets_off(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0};
        SSL_CTX *a = server(&ra, protocols[i], "info", "{}", "");
        SSL_CTX *cl = client();
        SSL_SESSION *sess = NULL;

        assert_true((SSL_CTX_get_options(a) & SSL_OP_NO_TICKET) != 0);
        assert_int_equal(connect_once(a, cl, NULL, &sess), 0);
        assert_int_equal(tu_trace_has(&ra.trace, "not stored"), 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(a);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
    }
}

static void
test_session_store_config_errors(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {%s}, \"callbacks\": {\"session_store\":"
                            " {\"plugin\": \"%s\", \"symbol\": \"ss_store\"}}}",
                            TU_SERVER_CONTEXT, tu_test_plugin("ss_memory")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/session_store/symbol",
                    "session_store has no raw form");
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT "}, \"callbacks\":"
                            " {\"session_store\": {\"plugin\": \"%s\"}}}",
                            tu_test_plugin("ss_memory")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/session_store", "only called on a server");
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {%s}, \"callbacks\": {\"keylog\":"
                            " {\"plugin\": \"keylog_file\", \"internal_cache\": false}}}",
                            TU_SERVER_CONTEXT));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/keylog/internal_cache",
                    "only session_store entries take \"internal_cache\"");
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {%s}, \"callbacks\": {\"session_store\":"
                            " {\"plugin\": \"%s\", \"internal_cache\": 0}}}",
                            TU_SERVER_CONTEXT, tu_test_plugin("ss_memory")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/session_store/internal_cache",
                    "expected a boolean");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_store_shared_across_contexts),
        cmocka_unit_test(test_session_store_refuses_other_namespace),
        cmocka_unit_test(test_session_store_refuses_garbage),
        cmocka_unit_test(test_session_store_failure_is_a_full_handshake),
        cmocka_unit_test(test_session_store_asked_again_with_more_room),
        cmocka_unit_test(test_session_store_internal_cache_off),
        cmocka_unit_test(test_session_store_turns_tickets_off),
        cmocka_unit_test(test_session_store_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
