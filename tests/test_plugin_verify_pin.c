/*
 * verify_pin through real handshakes: the leaf's or any chain
 * certificate's public key against configured pins, "override" with and
 * without may_override, and every config error init reports.  Expected
 * pins come from the openssl command line (curl's recipe), not from the
 * plugin's own code.
 */
#define _GNU_SOURCE /* asprintf, vasprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

/* A client trusting pki/ca.crt with the given verify entry, recorded into r. */
static SSL_CTX *
client_with(tu_report *r, const char *entry)
{
    return tu_ctx_entry(r, TU_CLIENT_CONTEXT, "verify", "%s", entry);
}

/* A plain server presenting the chain in cert_file with key_file (absolute paths). */
static SSL_CTX *
serve_files(const char *cert_file, const char *key_file)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, cert_file), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM), 1);
    return ctx;
}

/* One handshake; asserts its outcome and the client's verify result. */
static void
expect(SSL_CTX *server, SSL_CTX *client, int expected, long result)
{
    sslplug_pair pair;

    tu_handshake_expect(server, client, &pair, expected);
    assert_int_equal(SSL_get_verify_result(pair.client), result);
    sslplug_pair_cleanup(&pair);
}

/* A client with `entry` against a server presenting pki/<name>.crt. */
static void
against(tu_report *r, const char *name, int expected, long result, const char *entry)
{
    SSL_CTX *server = tu_plain_server_of(name);
    SSL_CTX *client = client_with(r, entry);

    expect(server, client, expected, result);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

/* A whole PEM file of the build-time PKI, which must not be empty. */
static char *
pki_text(const char *file)
{
    char *text = tu_file_read(tu_pki(file), NULL);

    assert_non_null(text);
    assert_true(strlen(text) > 0);
    return text;
}

/* ---- on top of a verified chain ---- */

static void
test_verify_pin_leaf_pin_accepts(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry, "{\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"]}}",
                         pin) >= 0);
    against(&r, "server", 1, X509_V_OK, entry);
    assert_int_equal(tu_trace_has(&r.trace, "depth=0 subject=/O=sslplug demo/CN=localhost ok=1 "
                                            "error=X509_V_OK -> 1\n"),
                     1);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

static void
test_verify_pin_second_of_several_pins_accepts(void **state)
{
    tu_report r = {0};
    char *other = tu_cert_pin(tu_pki("client.crt"));
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\", \"%s\"]}}",
                         other, pin) >= 0);
    against(&r, "server", 1, X509_V_OK, entry);
    free(entry);
    free(other);
    free(pin);
    tu_report_free(&r);
}

static void
test_verify_pin_wrong_pin_rejects_and_logs_the_leaf_pin(void **state)
{
    tu_report r = {0};
    char *other = tu_cert_pin(tu_pki("client.crt"));
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *entry = NULL;
    char *line = NULL;

    (void)state;
    assert_true(asprintf(&entry, "{\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"]}}",
                         other) >= 0);
    against(&r, "server", 0, X509_V_ERR_APPLICATION_VERIFICATION, entry);
    assert_int_equal(tu_trace_has(&r.trace, "depth=0 subject=/O=sslplug demo/CN=localhost ok=1 "
                                            "error=X509_V_OK -> 0: rejected\n"),
                     1);
    assert_true(asprintf(&line,
                         "verify_pin: no pin matches the leaf of the chain: leaf "
                         "\"CN=localhost,O=sslplug demo\" has pin %s\n",
                         pin) >= 0);
    assert_true(tu_log_has(&r.log, line));
    free(line);
    free(entry);
    free(other);
    free(pin);
    tu_report_free(&r);
}

/* A pin cannot rescue what OpenSSL rejected unless the entry says "override". */
static void
test_verify_pin_right_pin_without_override_cannot_accept_self_signed(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("self.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"may_override\": \"any\", "
                         "\"config\": {\"pins\": [\"%s\"]}}",
                         pin) >= 0);
    against(&r, "self", 0, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, entry);
    assert_int_equal(tu_trace_has(&r.trace, "override"), 0);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

/* ---- "depth": "any" ---- */

static void
test_verify_pin_any_depth_accepts_ca_pin(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("ca.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"], "
                         "\"depth\": \"any\"}}",
                         pin) >= 0);
    against(&r, "server", 1, X509_V_OK, entry);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

static void
test_verify_pin_leaf_depth_rejects_ca_pin(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("ca.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"], "
                         "\"depth\": \"leaf\"}}",
                         pin) >= 0);
    against(&r, "server", 0, X509_V_ERR_APPLICATION_VERIFICATION, entry);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

/*
 * Against a chain OpenSSL rejected, "any" with override follows only
 * certificates that signed the path: the rogue leaf sent with its real
 * issuer (other-ca) is accepted on other-ca's pin; sent with the demo CA
 * tacked on, the demo CA's pin proves nothing.
 */
static void
override_any_depth_with_chain(const char *extra_ca, const char *pinned_ca, int expected,
                              long result)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    char *rogue = pki_text("rogue.crt");
    char *extra = pki_text(extra_ca);
    char *chain = NULL;
    char *chain_file;
    char *pin = tu_cert_pin(tu_pki(pinned_ca));
    char *entry = NULL;
    SSL_CTX *server, *client;

    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"may_override\": \"any\", \"config\": "
                         "{\"pins\": [\"%s\"], \"depth\": \"any\", \"override\": true}}",
                         pin) >= 0);
    assert_true(asprintf(&chain, "%s%s", rogue, extra) >= 0);
    chain_file = tu_write(dir, "chain.pem", chain, 0600);
    server = serve_files(chain_file, tu_pki("rogue.key"));
    client = client_with(&r, entry);
    expect(server, client, expected, result);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(entry);
    free(pin);
    free(chain);
    free(extra);
    free(rogue);
    free(chain_file);
    tu_rmtree(dir);
    tu_report_free(&r);
}

static void
test_verify_pin_any_depth_override_follows_signing_issuer(void **state)
{
    (void)state;
    override_any_depth_with_chain("other-ca.crt", "other-ca.crt", 1, X509_V_OK);
}

static void
test_verify_pin_any_depth_override_ignores_ca_that_did_not_sign(void **state)
{
    (void)state;
    override_any_depth_with_chain("ca.crt", "ca.crt", 0,
                                  X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

/* ---- "override" of a self-signed service ---- */

static void
test_verify_pin_override_with_may_override_accepts_self_signed(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("self.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"may_override\": "
                         "[\"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT\"], "
                         "\"config\": {\"pins\": [\"%s\"], \"override\": true}}",
                         pin) >= 0);
    against(&r, "self", 1, X509_V_OK, entry);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT -> "
                                            "1: override allowed by may_override\n"),
                     1);
    assert_true(tu_log_has(&r.log,
                           "verify_pin: pinned: overriding error 18 (self-signed certificate) "
                           "at depth 0\n"));
    free(entry);
    free(pin);
    tu_report_free(&r);
}

static void
test_verify_pin_override_without_may_override_is_rejected(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("self.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", "
                         "\"config\": {\"pins\": [\"%s\"], \"override\": true}}",
                         pin) >= 0);
    against(&r, "self", 0, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, entry);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT -> "
                                            "0: override not allowed"),
                     1);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

/*
 * "override" where may_override allows no failure at all: one warning at
 * init, saying what to add to which entry; none where something is allowed.
 */
static void
test_verify_pin_override_without_may_override_warns_at_init(void **state)
{
    static const char warning[] =
        "1 verify_pin: \"override\" is on, but the host lets this entry override no failure; "
        "add the codes to override (such as \"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT\") to the "
        "\"may_override\" of the verify_pin entry, or make it \"any\"\n";
    static const struct {
        const char *entry_extra, *config_extra;
        int warned;
    } cases[] = {
        {"", ", \"override\": true", 1},
        {", \"may_override\": [\"X509_V_ERR_CERT_HAS_EXPIRED\"]", ", \"override\": true", 0},
        {", \"may_override\": \"any\"", ", \"override\": true", 0},
        {"", "", 0},
        {"", ", \"override\": false", 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_report r = {.log.with_level = 1};
        SSL_CTX *client =
            tu_ctx_entry(&r, TU_CLIENT_CONTEXT, "verify",
                         "{\"plugin\": \"verify_pin\"%s, \"config\": {\"pins\": "
                         "[\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]%s}}",
                         cases[i].entry_extra, cases[i].config_extra);

        if (tu_log_has(&r.log, warning) != cases[i].warned) {
            print_error("case %zu: log:\n%s\n", i, r.log.text != NULL ? r.log.text : "(none)");
        }
        assert_int_equal(tu_log_has(&r.log, warning), cases[i].warned);
        assert_int_equal(r.log.count[SSLPLUG_LOG_WARNING], cases[i].warned);
        SSL_CTX_free(client);
        tu_report_free(&r);
    }
}

static void
test_verify_pin_override_of_unpinned_self_signed_is_rejected(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"may_override\": \"any\", "
                         "\"config\": {\"pins\": [\"%s\"], \"override\": true}}",
                         pin) >= 0);
    against(&r, "self", 0, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, entry);
    assert_int_equal(tu_trace_has(&r.trace, "override allowed"), 0);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

/* With override, a verified pinned chain is accepted as before, and an unpinned one rejected. */
static void
test_verify_pin_override_still_rejects_unpinned_verified_chain(void **state)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki("self.crt"));
    char *entry = NULL;

    (void)state;
    assert_true(asprintf(&entry,
                         "{\"plugin\": \"verify_pin\", \"may_override\": \"any\", "
                         "\"config\": {\"pins\": [\"%s\"], \"override\": true}}",
                         pin) >= 0);
    against(&r, "server", 0, X509_V_ERR_APPLICATION_VERIFICATION, entry);
    free(entry);
    free(pin);
    tu_report_free(&r);
}

/* ---- a server pinning its clients ---- */

static void
server_pinning_client(const char *pinned, int expected)
{
    tu_report r = {0};
    char *pin = tu_cert_pin(tu_pki(pinned));
    SSL_CTX *server = tu_ctx_entry(
        &r, TU_SERVER_CONTEXT ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"", "verify",
        "{\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"]}}", pin);
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;

    tu_ctx_use_cert(client, "client");
    assert_int_equal(tu_handshake(server, client, &pair), expected);
    assert_int_equal(SSL_get_verify_result(pair.server),
                     expected ? X509_V_OK : X509_V_ERR_APPLICATION_VERIFICATION);
    assert_int_equal(tu_log_has(&r.log, "leaf \"CN=sslplug-client,O=sslplug demo\" has pin") > 0,
                     !expected);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(pin);
    tu_report_free(&r);
}

static void
test_verify_pin_server_accepts_pinned_client(void **state)
{
    (void)state;
    server_pinning_client("client.crt", 1);
}

static void
test_verify_pin_server_rejects_unpinned_client(void **state)
{
    (void)state;
    server_pinning_client("client-int.crt", 0);
}

/* ---- config errors ---- */

static void
test_verify_pin_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *fragment;
    } cases[] = {
        {"{}", "/callbacks/verify/config/pins", "required key \"pins\" is missing"},
        {"{\"pins\": \"sha256//x\"}", "/callbacks/verify/config/pins",
         "wrong type: expected array of strings, found string"},
        {"{\"pins\": []}", "/callbacks/verify/config/pins", "empty array"},
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", 7]}",
         "/callbacks/verify/config/pins/1", "wrong type: expected string, found integer"},
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\", "
         "\"sha1//AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]}",
         "/callbacks/verify/config/pins/1", "not a pin: expected \"sha256//\""},
        /* 31 bytes, not 32 */
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\"]}",
         "/callbacks/verify/config/pins/0", "found \"sha256//AAAA"},
        /* not base64 */
        {"{\"pins\": [\"sha256//!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"]}",
         "/callbacks/verify/config/pins/0", "not a pin"},
        /* non-canonical: the unused low bits of the last character are set */
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\"]}",
         "/callbacks/verify/config/pins/0", "not a pin"},
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"], "
         "\"depth\": \"chain\"}",
         "/callbacks/verify/config/depth",
         "unknown value: expected one of \"leaf\", \"any\", found \"chain\""},
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"], "
         "\"override\": \"yes\"}",
         "/callbacks/verify/config/override", "wrong type: expected boolean, found string"},
        {"{\"pins\": [\"sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"], \"pin\": 1}",
         "/callbacks/verify/config/pin", "unknown key \"pin\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_init_assert_error(TU_CLIENT_CONTEXT, "verify", "verify_pin", cases[i].config,
                             cases[i].pointer, cases[i].fragment);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_pin_leaf_pin_accepts),
        cmocka_unit_test(test_verify_pin_second_of_several_pins_accepts),
        cmocka_unit_test(test_verify_pin_wrong_pin_rejects_and_logs_the_leaf_pin),
        cmocka_unit_test(test_verify_pin_right_pin_without_override_cannot_accept_self_signed),
        cmocka_unit_test(test_verify_pin_any_depth_accepts_ca_pin),
        cmocka_unit_test(test_verify_pin_leaf_depth_rejects_ca_pin),
        cmocka_unit_test(test_verify_pin_any_depth_override_follows_signing_issuer),
        cmocka_unit_test(test_verify_pin_any_depth_override_ignores_ca_that_did_not_sign),
        cmocka_unit_test(test_verify_pin_override_with_may_override_accepts_self_signed),
        cmocka_unit_test(test_verify_pin_override_without_may_override_is_rejected),
        cmocka_unit_test(test_verify_pin_override_without_may_override_warns_at_init),
        cmocka_unit_test(test_verify_pin_override_of_unpinned_self_signed_is_rejected),
        cmocka_unit_test(test_verify_pin_override_still_rejects_unpinned_verified_chain),
        cmocka_unit_test(test_verify_pin_server_accepts_pinned_client),
        cmocka_unit_test(test_verify_pin_server_rejects_unpinned_client),
        cmocka_unit_test(test_verify_pin_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
