/*
 * verify_name through real handshakes: host names, "*.domain" patterns and
 * IP addresses on a client checking servers; exact subjects and
 * subjectAltName entries on a server checking client certificates; and
 * every config error init reports.
 */
#define _GNU_SOURCE /* asprintf, vasprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

/* An sslplug context of `context` whose only callback is the verify_name config. */
static SSL_CTX *
ctx_with(tu_report *r, const char *context, const char *config)
{
    return tu_ctx_entry(r, context, "verify",
                        "{\"plugin\": \"verify_name\", \"may_override\": \"any\", \"config\": %s}",
                        config);
}

/* One handshake; asserts its outcome and the verifying side's result. */
static void
expect(SSL_CTX *server, SSL_CTX *client, int server_verifies, int expected, long result)
{
    sslplug_pair pair;

    tu_handshake_expect(server, client, &pair, expected);
    assert_int_equal(SSL_get_verify_result(server_verifies ? pair.server : pair.client), result);
    sslplug_pair_cleanup(&pair);
}

/* A verifying client with this verify_name config against pki/<name>.crt. */
static void
client_against(const char *name, const char *config, int expected, long result)
{
    tu_report r = {0};
    SSL_CTX *server = tu_plain_server_of(name);
    SSL_CTX *client = ctx_with(&r, TU_CLIENT_CONTEXT, config);

    expect(server, client, 0, expected, result);
    /* A rejection is logged with the subject it saw; an acceptance is silent. */
    assert_int_equal(tu_log_has(&r.log, "verify_name: leaf \"") > 0, !expected);
    assert_int_equal(tu_trace_has(&r.trace, "-> 0: rejected"), !expected);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_report_free(&r);
}

/* A server requiring client certificates, with this config, against a client sending
 * pki/<name>.crt. */
static void
server_against(const char *name, const char *config, int expected, long result)
{
    tu_report r = {0};
    SSL_CTX *server = ctx_with(
        &r, TU_SERVER_CONTEXT ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"", config);
    SSL_CTX *client = tu_plain_client(1);

    tu_ctx_use_cert(client, name);
    expect(server, client, 1, expected, result);
    assert_int_equal(tu_log_has(&r.log, "verify_name: leaf \"") > 0, !expected);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_report_free(&r);
}

/* ---- clients checking servers ---- */

static void
test_verify_name_host_match_accepts(void **state)
{
    (void)state;
    client_against("server", "{\"hosts\": [\"api.example.com\", \"localhost\"]}", 1, X509_V_OK);
}

static void
test_verify_name_host_match_ignores_case(void **state)
{
    (void)state;
    client_against("server", "{\"hosts\": [\"LocalHost\"]}", 1, X509_V_OK);
}

static void
test_verify_name_host_mismatch_rejects(void **state)
{
    tu_report r = {0};
    SSL_CTX *server = tu_plain_server_of("server");
    SSL_CTX *client = ctx_with(&r, TU_CLIENT_CONTEXT, "{\"hosts\": [\"api.example.com\"]}");

    (void)state;
    expect(server, client, 0, 0, X509_V_ERR_HOSTNAME_MISMATCH);
    assert_true(tu_log_has(&r.log,
                           "verify_name: leaf \"CN=localhost,O=sslplug demo\" carries none of "
                           "the allowed names: rejected\n"));
    assert_int_equal(tu_trace_has(&r.trace, "depth=0 subject=/O=sslplug demo/CN=localhost ok=1 "
                                            "error=X509_V_OK -> 0: rejected\n"),
                     1);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_report_free(&r);
}

static void
test_verify_name_wildcard_matches_one_label(void **state)
{
    (void)state;
    /* svc.crt names api.svc.local (and localhost, which the client asks for). */
    client_against("svc", "{\"hosts\": [\"*.svc.local\"]}", 1, X509_V_OK);
    client_against("svc", "{\"hosts\": [\"*.SVC.Local\"]}", 1, X509_V_OK);
}

static void
test_verify_name_wildcard_mismatch_rejects(void **state)
{
    (void)state;
    client_against("server", "{\"hosts\": [\"*.svc.local\"]}", 0, X509_V_ERR_HOSTNAME_MISMATCH);
    client_against("svc", "{\"hosts\": [\"*.other.local\"]}", 0, X509_V_ERR_HOSTNAME_MISMATCH);
    /* A pattern wants a label below its domain: api.svc.local is not below itself. */
    client_against("svc", "{\"hosts\": [\"*.api.svc.local\"]}", 0, X509_V_ERR_HOSTNAME_MISMATCH);
}

static void
test_verify_name_ip_match_accepts(void **state)
{
    (void)state;
    client_against("server", "{\"ips\": [\"10.0.0.1\", \"127.0.0.1\"]}", 1, X509_V_OK);
}

static void
test_verify_name_ip_mismatch_rejects(void **state)
{
    (void)state;
    client_against("server", "{\"ips\": [\"10.0.0.1\", \"::1\"]}", 0,
                   X509_V_ERR_IP_ADDRESS_MISMATCH);
}

static void
test_verify_name_any_list_may_match(void **state)
{
    (void)state;
    client_against("server", "{\"hosts\": [\"api.example.com\"], \"ips\": [\"127.0.0.1\"]}", 1,
                   X509_V_OK);
    client_against("server", "{\"hosts\": [\"api.example.com\"], \"ips\": [\"10.0.0.1\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
}

/* An allowlist cannot accept what OpenSSL rejected, even where it may override. */
static void
test_verify_name_passes_openssl_rejection_on(void **state)
{
    tu_report r = {0};
    SSL_CTX *server = tu_plain_server_of("rogue");
    SSL_CTX *client = ctx_with(&r, TU_CLIENT_CONTEXT, "{\"hosts\": [\"localhost\"]}");

    (void)state;
    expect(server, client, 0, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_int_equal(tu_trace_has(&r.trace,
                                  "depth=0 subject=/O=sslplug elsewhere/CN=localhost "
                                  "ok=0 error=X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY "
                                  "-> 0\n"),
                     1);
    assert_false(tu_log_has(&r.log, "verify_name"));
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_report_free(&r);
}

/* ---- servers checking client certificates ---- */

static void
test_verify_name_subject_match_accepts_client(void **state)
{
    (void)state;
    server_against("client", "{\"subjects\": [\"CN=sslplug-client,O=sslplug demo\"]}", 1,
                   X509_V_OK);
}

static void
test_verify_name_subject_mismatch_rejects_client(void **state)
{
    (void)state;
    server_against("client", "{\"subjects\": [\"CN=sslplug-client2,O=sslplug demo\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    /* Exact: the CN alone, or another order, is not the subject. */
    server_against("client", "{\"subjects\": [\"CN=sslplug-client\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    server_against("client", "{\"subjects\": [\"O=sslplug demo,CN=sslplug-client\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
}

static void
test_verify_name_san_match_accepts_client(void **state)
{
    (void)state;
    server_against("client2", "{\"sans\": [\"DNS:client2.example.com\"]}", 1, X509_V_OK);
    server_against("client2", "{\"sans\": [\"DNS:Client2.Example.COM\"]}", 1, X509_V_OK);
    server_against("client2", "{\"sans\": [\"IP:10.0.0.2\"]}", 1, X509_V_OK);
    server_against("client2", "{\"sans\": [\"email:CLIENT2@example.com\"]}", 1, X509_V_OK);
    server_against("client2", "{\"sans\": [\"URI:spiffe://example.com/client2\"]}", 1, X509_V_OK);
}

static void
test_verify_name_san_mismatch_rejects_client(void **state)
{
    (void)state;
    server_against("client2", "{\"sans\": [\"DNS:client.example.com\", \"IP:10.0.0.3\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    /* The type counts: the DNS name as a URI, the IP address as a name. */
    server_against("client2", "{\"sans\": [\"URI:client2.example.com\", \"DNS:10.0.0.2\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    /* URIs are compared exactly. */
    server_against("client2", "{\"sans\": [\"URI:SPIFFE://example.com/client2\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
    /* client.crt has no subjectAltName at all. */
    server_against("client", "{\"sans\": [\"DNS:client2.example.com\"]}", 0,
                   X509_V_ERR_APPLICATION_VERIFICATION);
}

/* ---- config errors ---- */

static void
test_verify_name_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *fragment;
    } cases[] = {
        {"{}", "/callbacks/verify/config", "no names to allow: expected at least one of"},
        {"{\"hosts\": []}", "/callbacks/verify/config/hosts", "empty array"},
        {"{\"hosts\": \"localhost\"}", "/callbacks/verify/config/hosts",
         "wrong type: expected array of strings, found string"},
        {"{\"hosts\": [\"localhost\", null]}", "/callbacks/verify/config/hosts/1",
         "wrong type: expected string, found null"},
        {"{\"hosts\": [\"localhost\", \"*.local\"]}", "/callbacks/verify/config/hosts/1",
         "not a host name: expected a name or \"*.\" and a domain of at least two labels, "
         "found \"*.local\""},
        {"{\"hosts\": [\"a*.svc.local\"]}", "/callbacks/verify/config/hosts/0", "not a host name"},
        {"{\"hosts\": [\"*.*.svc.local\"]}", "/callbacks/verify/config/hosts/0", "not a host name"},
        {"{\"hosts\": [\"\"]}", "/callbacks/verify/config/hosts/0", "not a host name"},
        {"{\"hosts\": [\"example..com\"]}", "/callbacks/verify/config/hosts/0", "not a host name"},
        {"{\"ips\": [\"127.0.0.1\", \"localhost\"]}", "/callbacks/verify/config/ips/1",
         "not an IP address: expected IPv4 or IPv6 text, found \"localhost\""},
        {"{\"ips\": [\"300.0.0.1\"]}", "/callbacks/verify/config/ips/0", "not an IP address"},
        {"{\"subjects\": [\"CN=a\", \"\"]}", "/callbacks/verify/config/subjects/1",
         "empty subject"},
        {"{\"subjects\": {}}", "/callbacks/verify/config/subjects",
         "wrong type: expected array of strings, found object"},
        {"{\"sans\": [\"DNS:a.example\", \"dns:b.example\"]}", "/callbacks/verify/config/sans/1",
         "not a subjectAltName: expected \"DNS:name\", \"IP:address\", \"email:address\" or "
         "\"URI:uri\", found \"dns:b.example\""},
        {"{\"sans\": [\"IP:10.0.0.256\"]}", "/callbacks/verify/config/sans/0",
         "not a subjectAltName"},
        {"{\"sans\": [\"URI:\"]}", "/callbacks/verify/config/sans/0", "not a subjectAltName"},
        {"{\"hosts\": [\"localhost\"], \"names\": []}", "/callbacks/verify/config/names",
         "unknown key \"names\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_init_assert_error(TU_CLIENT_CONTEXT, "verify", "verify_name", cases[i].config,
                             cases[i].pointer, cases[i].fragment);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_name_host_match_accepts),
        cmocka_unit_test(test_verify_name_host_match_ignores_case),
        cmocka_unit_test(test_verify_name_host_mismatch_rejects),
        cmocka_unit_test(test_verify_name_wildcard_matches_one_label),
        cmocka_unit_test(test_verify_name_wildcard_mismatch_rejects),
        cmocka_unit_test(test_verify_name_ip_match_accepts),
        cmocka_unit_test(test_verify_name_ip_mismatch_rejects),
        cmocka_unit_test(test_verify_name_any_list_may_match),
        cmocka_unit_test(test_verify_name_passes_openssl_rejection_on),
        cmocka_unit_test(test_verify_name_subject_match_accepts_client),
        cmocka_unit_test(test_verify_name_subject_mismatch_rejects_client),
        cmocka_unit_test(test_verify_name_san_match_accepts_client),
        cmocka_unit_test(test_verify_name_san_mismatch_rejects_client),
        cmocka_unit_test(test_verify_name_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
