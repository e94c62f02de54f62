/*
 * verify_spiffe: a server accepting client certificates by SPIFFE ID, in
 * real handshakes with certificates made by the demo CA for the test.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SSL_CTX *
spiffe_server(tu_report *rep)
{
    return tu_ctx_entry(rep,
                        TU_SERVER_CONTEXT ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"",
                        "verify_connection",
                        "{\"plugin\": \"verify_spiffe\", \"config\": {\"trust_domain\":"
                        " \"example.org\", \"path_prefixes\": [\"/ns/prod/\"]}}");
}

/* Whether a client presenting dir/NAME.crt gets in. */
static int
admitted(SSL_CTX *server, const char *dir, const char *name)
{
    SSL_CTX *client = tu_plain_client(1);
    char crt[512], key[512];
    sslplug_pair pair;
    int ok;

    snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
    snprintf(key, sizeof(key), "%s/%s.key", dir, name);
    assert_int_equal(SSL_CTX_use_certificate_file(client, crt, SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(client, key, SSL_FILETYPE_PEM), 1);
    ok = tu_handshake(server, client, &pair);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    return ok;
}

static void
test_plugin_verify_spiffe_decides_by_id(void **state)
{
    char *dir = tu_tmpdir();
    tu_report rep = {0};
    SSL_CTX *server = spiffe_server(&rep);

    (void)state;
    tu_make_client_cert(dir, "web", "URI:spiffe://example.org/ns/prod/sa/web");
    tu_make_client_cert(dir, "foreign", "URI:spiffe://example.com/ns/prod/sa/web");
    tu_make_client_cert(dir, "staging", "URI:spiffe://example.org/ns/staging/sa/web");
    tu_make_client_cert(dir, "plain", "DNS:web.example.org");
    tu_make_client_cert(dir, "two",
                        "URI:spiffe://example.org/ns/prod/a, URI:spiffe://example.org/ns/prod/b");
    assert_int_equal(admitted(server, dir, "web"), 1);
    assert_int_equal(admitted(server, dir, "foreign"), 0);
    tu_log_assert_has(&rep.log, "in trust domain \"example.com\", not \"example.org\"");
    assert_int_equal(admitted(server, dir, "staging"), 0);
    tu_log_assert_has(&rep.log, "its path is under none of the prefixes");
    assert_int_equal(admitted(server, dir, "plain"), 0);
    tu_log_assert_has(&rep.log, "has no URI SAN");
    assert_int_equal(admitted(server, dir, "two"), 0);
    tu_log_assert_has(&rep.log, "has 2 URI SANs");
    SSL_CTX_free(server);
    tu_report_free(&rep);
    tu_rmtree(dir);
}

/*
 * IDs that a prefix test alone would admit under /ns/prod/: the spec's
 * forbidden path segments, a query, percent-encoding, another scheme case.
 */
static void
test_plugin_verify_spiffe_refuses_malformed_ids(void **state)
{
    static const char *const ids[] = {
        "URI:spiffe://example.org/ns/prod/../admin", "URI:spiffe://example.org/ns/prod/./sa",
        "URI:spiffe://example.org/ns/prod//sa",      "URI:spiffe://example.org/ns/prod/sa?x=1",
        "URI:spiffe://example.org/ns/prod/s%61",     "URI:spiffe://example.org/ns/prod/sa/",
        "URI:spiffe://Example.org/ns/prod/sa",       "URI:spiffe://user@example.org/ns/prod/sa",
    };
    char *dir = tu_tmpdir();
    tu_report rep = {0};
    SSL_CTX *server = spiffe_server(&rep);

    (void)state;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char name[16];

        snprintf(name, sizeof(name), "bad%zu", i);
        tu_make_client_cert(dir, name, ids[i]);
        assert_int_equal(admitted(server, dir, name), 0);
        tu_log_assert_has(&rep.log, ids[i] + 4);
    }
    tu_log_assert_has(&rep.log, "is not a valid SPIFFE ID");
    tu_make_client_cert(dir, "upper", "URI:SPIFFE://example.org/ns/prod/sa");
    assert_int_equal(admitted(server, dir, "upper"), 0);
    tu_log_assert_has(&rep.log, "is not a SPIFFE ID");
    SSL_CTX_free(server);
    tu_report_free(&rep);
    tu_rmtree(dir);
}

static void
test_plugin_verify_spiffe_config_errors(void **state)
{
    (void)state;
    tu_init_assert_error(TU_CLIENT_CONTEXT, "verify_connection", "verify_spiffe", "{}",
                         "/callbacks/verify_connection/config/trust_domain", NULL);
    tu_init_assert_error(TU_CLIENT_CONTEXT, "verify_connection", "verify_spiffe",
                         "{\"trust_domain\": \"Example.ORG\"}",
                         "/callbacks/verify_connection/config/trust_domain",
                         "not a SPIFFE trust domain");
    tu_init_assert_error(TU_CLIENT_CONTEXT, "verify_connection", "verify_spiffe",
                         "{\"trust_domain\": \"example.org\", \"path_prefixes\": [\"ns\"]}",
                         "/callbacks/verify_connection/config/path_prefixes/0", "starts with '/'");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_verify_spiffe_decides_by_id),
        cmocka_unit_test(test_plugin_verify_spiffe_refuses_malformed_ids),
        cmocka_unit_test(test_plugin_verify_spiffe_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
