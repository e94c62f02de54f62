/*
 * The status callback type (ABI 1.4), in real handshakes: a server's plugin
 * supplies the staple; a client's decides on it, after the context's "ocsp"
 * check, so it can only reject what that check accepted.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>

/* The client's verification result after one handshake, and whether it completed. */
static int
outcome(SSL_CTX *server, SSL_CTX *client, long *result)
{
    sslplug_pair pair;
    int ok = tu_handshake(server, client, &pair);

    *result = SSL_get_verify_result(pair.client);
    sslplug_pair_cleanup(&pair);
    return ok;
}

static SSL_CTX *
ocsp_client(const char *mode)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT ", \"ocsp\": \"%s\"}}", mode);
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

/* A server's plugin staples; a client requiring a staple gets it. */
static void
test_cb_status_server_plugin_staples(void **state)
{
    char *dir = tu_tmpdir();
    char *good = tu_make_ocsp(dir, "good.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    tu_report rep = {0};
    SSL_CTX *server = tu_ctx_entry(&rep, TU_SERVER_CONTEXT, "status",
                                   "{\"plugin\": \"%s\", \"config\": {\"staple\": \"%s\"}}",
                                   tu_test_plugin("t14"), good);
    SSL_CTX *client = ocsp_client("require");
    long result;

    (void)state;
    assert_int_equal(outcome(server, client, &result), 1);
    assert_true(tu_log_has(&rep.log, "t14: status server stapled"));
    assert_true(tu_trace_has(&rep.trace, "server -> staple"));
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
    free(good);
    tu_rmtree(dir);
}

/* A client's plugin sees the staple and may reject it. */
static void
test_cb_status_client_plugin_decides(void **state)
{
    char *dir = tu_tmpdir(), *members = NULL;
    char *good = tu_make_ocsp(dir, "good.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    sslplug_host *host;
    SSL_CTX *server, *accepting, *rejecting;
    tu_report rep = {0};
    long result;

    (void)state;
    assert_true(asprintf(&members, ", \"ocsp_staple\": \"%s\"", good) > 0);
    host = tu_host("{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT "%s}}", members);
    server = tu_ctx(host);
    sslplug_host_free(host);
    accepting = tu_ctx_entry(&rep, TU_CLIENT_CONTEXT, "status", "{\"plugin\": \"%s\"}",
                             tu_test_plugin("t14"));
    rejecting = tu_ctx_entry(NULL, TU_CLIENT_CONTEXT, "status",
                             "{\"plugin\": \"%s\", \"config\": {\"status_reject\": \"1\"}}",
                             tu_test_plugin("t14"));
    assert_int_equal(outcome(server, accepting, &result), 1);
    assert_true(tu_log_has(&rep.log, "t14: status client response "));
    assert_int_equal(outcome(server, rejecting, &result), 0);
    assert_int_equal(result, X509_V_ERR_APPLICATION_VERIFICATION);
    SSL_CTX_free(rejecting);
    SSL_CTX_free(accepting);
    SSL_CTX_free(server);
    tu_report_free(&rep);
    free(members);
    free(good);
    tu_rmtree(dir);
}

/* With "ocsp", a revoked staple is refused before the plugin, which cannot accept it. */
static void
test_cb_status_plugin_cannot_accept_what_ocsp_rejects(void **state)
{
    char *dir = tu_tmpdir(), *members = NULL;
    char *revoked = tu_make_ocsp(dir, "revoked.der", "server.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    tu_report rep = {0};
    sslplug_host *host;
    SSL_CTX *server, *client;
    long result;

    (void)state;
    assert_true(asprintf(&members, ", \"ocsp_staple\": \"%s\"", revoked) > 0);
    host = tu_host("{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT "%s}}", members);
    server = tu_ctx(host);
    sslplug_host_free(host);
    /* t14 accepts every staple; "ocsp": "require" does not accept this one. */
    host = tu_host("{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT
                   ", \"ocsp\": \"require\"}, \"callbacks\": {\"status\": {\"plugin\": \"%s\"}}}",
                   tu_test_plugin("t14"));
    tu_report_attach(host, &rep);
    client = tu_ctx(host);
    sslplug_host_free(host);
    assert_int_equal(outcome(server, client, &result), 0);
    assert_int_equal(result, X509_V_ERR_CERT_REVOKED);
    assert_true(tu_trace_has(&rep.trace, "rejected by the \"ocsp\" check; plugin not asked"));
    assert_false(tu_log_has(&rep.log, "t14: status client"));
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    tu_report_free(&rep);
    free(members);
    free(revoked);
    tu_rmtree(dir);
}

static void
test_cb_status_raw_and_misuse(void **state)
{
    sslplug_error err;
    SSL_CTX *client;

    (void)state;
    client =
        tu_ctx_entry(NULL, TU_CLIENT_CONTEXT, "status",
                     "{\"plugin\": \"%s\", \"symbol\": \"t14_raw_status\"}", tu_test_plugin("t14"));
    SSL_CTX_free(client);
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT
                            ", \"ocsp_staple\": \"x.der\"}, \"callbacks\": {\"status\":"
                            " {\"plugin\": \"%s\"}}}",
                            tu_test_plugin("t14")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/ocsp_staple", "would be ignored");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cb_status_server_plugin_staples),
        cmocka_unit_test(test_cb_status_client_plugin_decides),
        cmocka_unit_test(test_cb_status_plugin_cannot_accept_what_ocsp_rejects),
        cmocka_unit_test(test_cb_status_raw_and_misuse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
