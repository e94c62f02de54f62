/*
 * verify_policy through real handshakes: each rule against a certificate
 * made to break it (tests/pki/mkpki.sh) and against one that keeps it, the
 * code each rule leaves in SSL_get_verify_result, and every config error
 * init reports.  The client runs at OpenSSL security level 0, so what
 * rejects a weak certificate is the policy, not OpenSSL's own checks; each
 * rejection has a control where the same client with the rule relaxed
 * accepts the same certificate.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

/* A plain server presenting pki/<name>.crt, at security level 0 (it may be weak on purpose). */
static SSL_CTX *
serve(const char *name)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char cert[64], key[64];

    assert_non_null(ctx);
    SSL_CTX_set_security_level(ctx, 0);
    snprintf(cert, sizeof(cert), "%s.crt", name);
    snprintf(key, sizeof(key), "%s.key", strcmp(name, "server") == 0 ? "server-plain" : name);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, tu_pki(cert)), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki(key), SSL_FILETYPE_PEM), 1);
    return ctx;
}

/*
 * A security-level-0 client trusting pki/ca.crt with verify_policy `config`
 * against a server presenting pki/<name>.crt: asserts the outcome and
 * verify result; the log (and trace) stay in r.
 */
static void
against(tu_report *r, const char *name, const char *config, int expected, long result)
{
    SSL_CTX *client = tu_ctx_entry(
        r, TU_CLIENT_CONTEXT ", \"ciphers\": \"DEFAULT:@SECLEVEL=0\"", "verify",
        "{\"plugin\": \"verify_policy\", \"may_override\": \"any\", \"config\": %s}", config);
    SSL_CTX *server = serve(name);
    sslplug_pair pair;
    int ok;

    ok = tu_handshake(server, client, &pair);
    if (ok != expected) {
        print_error("%s with %s: handshake %s: server: %s; client: %s\n", name, config,
                    ok ? "succeeded" : "failed", pair.server_error, pair.client_error);
    }
    assert_int_equal(ok, expected);
    assert_int_equal(SSL_get_verify_result(pair.client), result);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

/* Rejected, with the log line naming the rule. */
static void
rejects(const char *name, const char *config, long result, const char *line)
{
    tu_report r = {0};

    against(&r, name, config, 0, result);
    tu_log_assert_has(&r.log, line);
    assert_int_equal(tu_trace_has(&r.trace, "-> 0: rejected\n"), 1);
    tu_report_free(&r);
}

/* Accepted, with nothing logged. */
static void
accepts(const char *name, const char *config)
{
    tu_report r = {0};

    against(&r, name, config, 1, X509_V_OK);
    assert_null(r.log.text);
    tu_report_free(&r);
}

#define POLICY_LEAF "depth 0 \"CN=localhost,O=sslplug policy\" breaks rule "
#define DEMO_LEAF "depth 0 \"CN=localhost,O=sslplug demo\" breaks rule "

static void
test_verify_policy_min_rsa_bits_rejects_small_leaf(void **state)
{
    (void)state;
    rejects("rsa1024", "{\"min_rsa_bits\": 2048}", X509_V_ERR_EE_KEY_TOO_SMALL,
            "verify_policy: " POLICY_LEAF
            "min_rsa_bits: a 1024-bit RSA key, expected at least 2048: rejected\n");
    accepts("rsa1024", "{\"min_rsa_bits\": 1024}");
    /* The RSA rule says nothing about EC keys. */
    accepts("server", "{\"min_rsa_bits\": 4096}");
}

static void
test_verify_policy_min_ec_bits_rejects_small_ca(void **state)
{
    tu_report r = {0};

    (void)state;
    /* The chain is judged deepest first: the P-256 CA breaks the rule before the leaf. */
    against(&r, "server", "{\"min_ec_bits\": 384}", 0, X509_V_ERR_CA_KEY_TOO_SMALL);
    assert_non_null(r.log.text);
    assert_string_equal(r.log.text,
                        "verify_policy: depth 1 \"CN=sslplug demo CA,O=sslplug demo\" "
                        "breaks rule min_ec_bits: a 256-bit EC key, expected at least 384: "
                        "rejected\n");
    assert_int_equal(tu_trace_has(&r.trace, "depth=1 subject=/O=sslplug demo/CN=sslplug demo CA "
                                            "ok=1 error=X509_V_OK -> 0: rejected\n"),
                     1);
    tu_report_free(&r);
    accepts("server", "{\"min_ec_bits\": 256}");
    /* The EC rule says nothing about RSA keys. */
    rejects("rsa1024", "{\"min_ec_bits\": 256, \"min_rsa_bits\": 2048}",
            X509_V_ERR_EE_KEY_TOO_SMALL, POLICY_LEAF "min_rsa_bits");
}

static void
test_verify_policy_forbid_sha1_rejects_sha1_signature(void **state)
{
    (void)state;
    rejects("sha1", "{\"forbid_sha1\": true}", X509_V_ERR_CA_MD_TOO_WEAK,
            "verify_policy: " POLICY_LEAF "forbid_sha1: signed with SHA1: rejected\n");
    accepts("sha1", "{\"forbid_sha1\": false}");
    accepts("server", "{\"forbid_sha1\": true}");
}

static void
test_verify_policy_max_validity_days_rejects_long_leaf(void **state)
{
    (void)state;
    /*
     * long.crt is valid exactly 1826 days; server.crt 3650 days and maybe a
     * second (`openssl x509 -days` reads the clock twice).
     */
    rejects("long", "{\"max_validity_days\": 398}", X509_V_ERR_APPLICATION_VERIFICATION,
            "verify_policy: " POLICY_LEAF
            "max_validity_days: valid for 1826 days, expected at most 398: rejected\n");
    rejects("long", "{\"max_validity_days\": 1825}", X509_V_ERR_APPLICATION_VERIFICATION,
            POLICY_LEAF "max_validity_days: valid for 1826 days, expected at most 1825");
    accepts("long", "{\"max_validity_days\": 1826}");
    rejects("server", "{\"max_validity_days\": 1826}", X509_V_ERR_APPLICATION_VERIFICATION,
            DEMO_LEAF "max_validity_days: valid for 365");
}

/* The rule is for the leaf: the 10-year CA above a 5-year leaf does not break it. */
static void
test_verify_policy_max_validity_days_ignores_ca(void **state)
{
    (void)state;
    accepts("long", "{\"max_validity_days\": 2000}");
}

static void
test_verify_policy_require_eku_rejects_leaf_without_eku(void **state)
{
    (void)state;
    /* OpenSSL takes a leaf without the extension to be good for any purpose; the rule does not. */
    rejects("noeku", "{\"require_eku\": \"serverAuth\"}", X509_V_ERR_INVALID_PURPOSE,
            "verify_policy: " POLICY_LEAF
            "require_eku: no extendedKeyUsage, expected serverAuth: rejected\n");
    accepts("noeku", "{\"min_ec_bits\": 256}");
    accepts("server", "{\"require_eku\": \"serverAuth\"}");
    rejects("server", "{\"require_eku\": \"clientAuth\"}", X509_V_ERR_INVALID_PURPOSE,
            DEMO_LEAF "require_eku: extendedKeyUsage lacks clientAuth: rejected\n");
}

/* On a server, clientAuth for client certificates. */
static void
test_verify_policy_require_eku_client_auth_on_server(void **state)
{
    tu_report r = {0};
    SSL_CTX *server = tu_ctx_entry(
        &r, TU_SERVER_CONTEXT ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"", "verify",
        "{\"plugin\": \"verify_policy\", \"config\": {\"require_eku\": \"clientAuth\", "
        "\"max_validity_days\": 3651}}");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    tu_ctx_use_cert(client, "client");
    assert_int_equal(tu_handshake(server, client, &pair), 1);
    assert_int_equal(SSL_get_verify_result(pair.server), X509_V_OK);
    assert_null(r.log.text);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_report_free(&r);
}

/* Several rules at once: the first broken one is named. */
static void
test_verify_policy_all_rules_together(void **state)
{
    static const char *const all = "{\"min_rsa_bits\": 2048, \"min_ec_bits\": 256, "
                                   "\"forbid_sha1\": true, \"max_validity_days\": 3651, "
                                   "\"require_eku\": \"serverAuth\"}";

    (void)state;
    accepts("server", all);
    rejects("rsa1024", all, X509_V_ERR_EE_KEY_TOO_SMALL, POLICY_LEAF "min_rsa_bits");
    rejects("sha1", all, X509_V_ERR_CA_MD_TOO_WEAK, POLICY_LEAF "forbid_sha1");
    rejects("noeku", all, X509_V_ERR_INVALID_PURPOSE, POLICY_LEAF "require_eku");
}

/* A policy only adds rules: OpenSSL's rejection stands, may_override or not. */
static void
test_verify_policy_passes_openssl_rejection_on(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "expired", "{\"min_ec_bits\": 256}", 0, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_null(r.log.text);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=X509_V_ERR_CERT_HAS_EXPIRED -> 0\n"), 1);
    tu_report_free(&r);
}

/* ---- config errors ---- */

static void
test_verify_policy_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *fragment;
    } cases[] = {
        {"{}", "/callbacks/verify/config", "no rule configured: expected at least one of"},
        {"{\"min_rsa_bits\": \"2048\"}", "/callbacks/verify/config/min_rsa_bits",
         "wrong type: expected integer, found string"},
        {"{\"min_rsa_bits\": 256}", "/callbacks/verify/config/min_rsa_bits",
         "out of range: expected 512..16384, found 256"},
        {"{\"min_ec_bits\": 1024}", "/callbacks/verify/config/min_ec_bits",
         "out of range: expected 160..571, found 1024"},
        {"{\"min_ec_bits\": 256.0}", "/callbacks/verify/config/min_ec_bits",
         "wrong type: expected integer, found real"},
        {"{\"forbid_sha1\": 1}", "/callbacks/verify/config/forbid_sha1",
         "wrong type: expected boolean, found integer"},
        {"{\"max_validity_days\": 0}", "/callbacks/verify/config/max_validity_days",
         "out of range: expected 1..36500, found 0"},
        {"{\"require_eku\": \"codeSigning\"}", "/callbacks/verify/config/require_eku",
         "unknown value: expected one of \"serverAuth\", \"clientAuth\", found \"codeSigning\""},
        {"{\"require_eku\": [\"serverAuth\"]}", "/callbacks/verify/config/require_eku",
         "wrong type: expected string, found array"},
        {"{\"min_dsa_bits\": 2048}", "/callbacks/verify/config/min_dsa_bits",
         "unknown key \"min_dsa_bits\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_init_assert_error(TU_CLIENT_CONTEXT, "verify", "verify_policy", cases[i].config,
                             cases[i].pointer, cases[i].fragment);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_policy_min_rsa_bits_rejects_small_leaf),
        cmocka_unit_test(test_verify_policy_min_ec_bits_rejects_small_ca),
        cmocka_unit_test(test_verify_policy_forbid_sha1_rejects_sha1_signature),
        cmocka_unit_test(test_verify_policy_max_validity_days_rejects_long_leaf),
        cmocka_unit_test(test_verify_policy_max_validity_days_ignores_ca),
        cmocka_unit_test(test_verify_policy_require_eku_rejects_leaf_without_eku),
        cmocka_unit_test(test_verify_policy_require_eku_client_auth_on_server),
        cmocka_unit_test(test_verify_policy_all_rules_together),
        cmocka_unit_test(test_verify_policy_passes_openssl_rejection_on),
        cmocka_unit_test(test_verify_policy_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
