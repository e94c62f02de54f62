/*
 * The alpn callback type (ABI 1.4), both forms, in real handshakes: the
 * plugin chooses; the host refuses a protocol the client did not offer;
 * a server may not have both the callback and context.alpn.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* A server whose alpn entry is t14 with this config object. */
static SSL_CTX *
alpn_server(tu_report *rep, const char *config)
{
    return tu_ctx_entry(rep, TU_SERVER_CONTEXT, "alpn", "{\"plugin\": \"%s\", \"config\": %s}",
                        tu_test_plugin("t14"), config);
}

static SSL_CTX *
offering(const unsigned char *wire, unsigned len)
{
    SSL_CTX *client = tu_plain_client(1);

    assert_int_equal(SSL_CTX_set_alpn_protos(client, wire, len), 0);
    return client;
}

/* The protocol the handshake agreed ("" for none), or NULL when it failed. */
static char *
agreed(SSL_CTX *server, SSL_CTX *client)
{
    return tu_alpn_agreed(server, client, "localhost");
}

static void
test_cb_alpn_plugin_chooses(void **state)
{
    tu_report rep = {0};
    SSL_CTX *server = alpn_server(&rep, "{\"pick\": \"http/1.1\"}");
    SSL_CTX *client = offering((const unsigned char *)"\x02h2\x08http/1.1", 12);
    char *proto;

    (void)state;
    proto = agreed(server, client);
    assert_non_null(proto);
    assert_string_equal(proto, "http/1.1");
    assert_true(tu_log_has(&rep.log, "t14: alpn offered 12 bytes"));
    assert_true(tu_trace_has(&rep.trace, "offered 12 bytes -> select http/1.1"));
    free(proto);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
}

static void
test_cb_alpn_none_and_reject(void **state)
{
    SSL_CTX *none = alpn_server(NULL, "{\"alpn_result\": \"none\"}");
    SSL_CTX *reject = alpn_server(NULL, "{\"alpn_result\": \"reject\"}");
    SSL_CTX *client = offering((const unsigned char *)"\x02h2", 3);
    char *proto;

    (void)state;
    proto = agreed(none, client);
    assert_non_null(proto);
    assert_string_equal(proto, "");
    free(proto);
    assert_null(agreed(reject, client));
    SSL_CTX_free(client);
    SSL_CTX_free(reject);
    SSL_CTX_free(none);
}

/* A protocol the client did not offer is refused, whatever the plugin says. */
static void
test_cb_alpn_unoffered_choice_refused(void **state)
{
    tu_report rep = {0};
    SSL_CTX *server = alpn_server(&rep, "{\"bogus\": \"1\"}");
    SSL_CTX *client = offering((const unsigned char *)"\x08http/1.1", 9);

    (void)state;
    assert_null(agreed(server, client));
    assert_true(tu_trace_has(&rep.trace, "not a protocol the client offered, rejected"));
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
}

static void
test_cb_alpn_raw_form(void **state)
{
    SSL_CTX *server =
        tu_ctx_entry(NULL, TU_SERVER_CONTEXT, "alpn",
                     "{\"plugin\": \"%s\", \"symbol\": \"t14_raw_alpn\"}", tu_test_plugin("t14"));
    SSL_CTX *client = offering((const unsigned char *)"\x02h2\x08http/1.1", 12);
    char *proto;

    (void)state;
    proto = agreed(server, client);
    assert_non_null(proto);
    assert_string_equal(proto, "http/1.1");
    free(proto);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_cb_alpn_misuse_refused(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(
        tu_host_try(&err,
                    "{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT
                    ", \"alpn\": [\"h2\"]}, \"callbacks\": {\"alpn\": {\"plugin\": \"%s\"}}}",
                    tu_test_plugin("t14")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/alpn", "would be ignored");
    /* A named context's list is as unreachable as the main one's. */
    assert_null(
        tu_host_try(&err,
                    "{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT
                    "}, \"contexts\": {\"v/1\": {\"alpn\": [\"h2\"]}},"
                    " \"callbacks\": {\"alpn\": {\"plugin\": \"%s\"}, \"servername\": {\"plugin\":"
                    " \"servername_map\", \"config\": {\"names\": {\"v.example\": \"v/1\"}}}}}",
                    tu_test_plugin("t14")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/contexts/v~11/alpn", "would be ignored");
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT
                            "}, \"callbacks\": {\"alpn\": {\"plugin\": \"%s\"}}}",
                            tu_test_plugin("t14")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/alpn", "only called on a server");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cb_alpn_plugin_chooses),
        cmocka_unit_test(test_cb_alpn_none_and_reject),
        cmocka_unit_test(test_cb_alpn_unoffered_choice_refused),
        cmocka_unit_test(test_cb_alpn_raw_form),
        cmocka_unit_test(test_cb_alpn_misuse_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
