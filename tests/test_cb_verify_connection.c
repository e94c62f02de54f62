/*
 * The verify_connection callback type (ABI 1.4), in real handshakes: called
 * once per handshake with the verified chain, the server name, the ALPN
 * protocol and the version; it rejects with a reason; it is never asked
 * about (so can never accept) a chain the verify pipeline rejected.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* A client verifying the demo server, offering h2, with t14 as verify_connection. */
static SSL_CTX *
vc_client(tu_report *rep, const char *config)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT
                                 ", \"alpn\": [\"h2\"]}, \"callbacks\": {\"verify_connection\":"
                                 " {\"plugin\": \"%s\", \"config\": %s}}}",
                                 tu_test_plugin("t14"), config);
    SSL_CTX *ctx;

    tu_report_attach(host, rep);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

static SSL_CTX *
h2_server(void)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT ", \"alpn\": [\"h2\"]}}");
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

static void
test_cb_verify_connection_sees_the_handshake(void **state)
{
    tu_report rep = {0};
    SSL_CTX *server = h2_server(), *client = vc_client(&rep, "{}");
    sslplug_pair pair;

    (void)state;
    tu_handshake_expect(server, client, &pair, 1);
    sslplug_pair_cleanup(&pair);
    tu_log_assert_has(&rep.log, "t14: verify_connection chain=2 leaf=/O=sslplug demo/CN=localhost"
                                " name=localhost alpn=h2 version=0x0304");
    assert_int_equal(tu_log_has(&rep.log, "verify_connection chain="), 1);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
}

static void
test_cb_verify_connection_rejects_with_reason(void **state)
{
    tu_report rep = {0};
    SSL_CTX *server = h2_server(), *client = vc_client(&rep, "{\"vc_reject\": \"not our tenant\"}");
    sslplug_pair pair;

    (void)state;
    tu_handshake_expect(server, client, &pair, 0);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_ERR_APPLICATION_VERIFICATION);
    sslplug_pair_cleanup(&pair);
    tu_log_assert_has(&rep.log, "the connection is rejected: not our tenant");
    assert_true(tu_trace_has(&rep.trace, "-> reject: not our tenant"));
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
}

/* A server the pipeline rejects (rogue.crt, from a CA nobody trusts): the plugin is not asked. */
static void
test_cb_verify_connection_cannot_accept_a_rejected_chain(void **state)
{
    tu_report rep = {0};
    SSL_CTX *server = tu_plain_server_of("rogue"), *client = vc_client(&rep, "{}");
    sslplug_pair pair;

    (void)state;
    tu_handshake_expect(server, client, &pair, 0);
    assert_int_not_equal(SSL_get_verify_result(pair.client), X509_V_OK);
    sslplug_pair_cleanup(&pair);
    assert_false(tu_log_has(&rep.log, "verify_connection chain="));
    assert_true(tu_trace_has(&rep.trace, "not called: the chain was rejected"));
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
}

static void
test_cb_verify_connection_misuse_refused(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT
                            "}, \"callbacks\": {\"verify_connection\": {\"plugin\": \"%s\"}}}",
                            tu_test_plugin("t14")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/verify", "verification is \"none\"");
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT
                            "}, \"callbacks\": {\"verify_connection\": {\"plugin\": \"%s\","
                            " \"symbol\": \"t14_raw_status\"}}}",
                            tu_test_plugin("t14")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/verify_connection/symbol",
                    "has no raw form");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cb_verify_connection_sees_the_handshake),
        cmocka_unit_test(test_cb_verify_connection_rejects_with_reason),
        cmocka_unit_test(test_cb_verify_connection_cannot_accept_a_rejected_chain),
        cmocka_unit_test(test_cb_verify_connection_misuse_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
