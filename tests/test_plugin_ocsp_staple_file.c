/*
 * ocsp_staple_file: the response that speaks of the certificate being
 * served, among several files, read again when a file changes, in real
 * handshakes with a client that requires a good staple.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>

static SSL_CTX *
requiring_client(void)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\","
                                 " \"ca_file\": \"pki/ca.crt\", \"ocsp\": \"require\"}}");
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

/* Whether a client requiring a staple, asking for name, completed; its result. */
static int
served(SSL_CTX *server, SSL_CTX *client, const char *name, long *result)
{
    sslplug_pair pair;
    int ok;

    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    ok = sslplug_pair_handshake(&pair);
    *result = SSL_get_verify_result(pair.client);
    sslplug_pair_cleanup(&pair);
    return ok;
}

/*
 * Two certificates (cert_select_sni picks alt.example's), two responses:
 * each name gets the staple of its own certificate.
 */
static void
test_plugin_ocsp_staple_file_per_certificate(void **state)
{
    char *dir = tu_tmpdir(), *vhosts = tu_tmpdir();
    char *mine = tu_make_ocsp(dir, "server.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char *alt = tu_make_ocsp(dir, "alt.der", "alt.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    sslplug_host *host;
    SSL_CTX *server, *client = requiring_client();
    long result;

    (void)state;
    free(tu_file_copy(tu_pki("alt.crt"), vhosts, "alt.crt", 0644));
    free(tu_file_copy(tu_pki("alt.key"), vhosts, "alt.key", 0600));
    host = tu_host("{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT "}, \"callbacks\": {"
                   " \"cert\": {\"plugin\": \"cert_select_sni\", \"config\": {\"dir\": \"%s\"}},"
                   " \"status\": {\"plugin\": \"ocsp_staple_file\", \"config\": {\"files\":"
                   " [\"%s\", \"%s\"]}}}}",
                   vhosts, alt, mine);
    server = tu_ctx(host);
    sslplug_host_free(host);
    /* localhost: the demo certificate, whose response is good. */
    assert_int_equal(served(server, client, "localhost", &result), 1);
    /* alt.example: alt.crt, whose response says revoked (the first file, not the other's). */
    assert_int_equal(served(server, client, "alt.example", &result), 0);
    assert_int_equal(result, X509_V_ERR_CERT_REVOKED);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(alt);
    free(mine);
    tu_rmtree(vhosts);
    tu_rmtree(dir);
}

/* A renewed file is stapled without a reload; an expired one is not stapled. */
static void
test_plugin_ocsp_staple_file_reread_and_expiry(void **state)
{
    char *dir = tu_tmpdir();
    char *file = tu_make_ocsp(dir, "staple.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 1);
    SSL_CTX *server, *client = requiring_client();
    char *renewed;
    long result;

    (void)state;
    server =
        tu_ctx_entry(NULL, TU_SERVER_CONTEXT, "status",
                     "{\"plugin\": \"ocsp_staple_file\", \"config\": {\"files\": [\"%s\"]}}", file);
    /* Stale: nothing stapled, and this client requires a staple. */
    assert_int_equal(served(server, client, "localhost", &result), 0);
    assert_int_equal(result, X509_V_ERR_OCSP_VERIFY_NEEDED);
    renewed = tu_make_ocsp(dir, "new.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    assert_int_equal(rename(renewed, file), 0);
    assert_int_equal(served(server, client, "localhost", &result), 1);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(renewed);
    free(file);
    tu_rmtree(dir);
}

/*
 * A file replaced by junk: its last good response is still stapled, and the
 * trouble is told once, not read and logged again on every handshake.
 */
static void
test_plugin_ocsp_staple_file_broken_file_told_once(void **state)
{
    char *dir = tu_tmpdir();
    char *file = tu_make_ocsp(dir, "staple.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char *junk = tu_write(dir, "junk.der", "junk", 0644);
    SSL_CTX *server, *client = requiring_client();
    tu_report rep = {0};
    long result;

    (void)state;
    server =
        tu_ctx_entry(&rep, TU_SERVER_CONTEXT, "status",
                     "{\"plugin\": \"ocsp_staple_file\", \"config\": {\"files\": [\"%s\"]}}", file);
    assert_int_equal(served(server, client, "localhost", &result), 1);
    assert_int_equal(rename(junk, file), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(served(server, client, "localhost", &result), 1);
    }
    assert_int_equal(tu_log_has(&rep.log, "is not a successful DER OCSP response"), 1);
    assert_int_equal(rep.log.count[SSLPLUG_LOG_WARNING], 1);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_report_free(&rep);
    free(junk);
    free(file);
    tu_rmtree(dir);
}

static void
test_plugin_ocsp_staple_file_config_errors(void **state)
{
    char *dir = tu_tmpdir(), *junk = tu_write(dir, "junk.der", "junk", 0644), *config = NULL;

    (void)state;
    assert_true(asprintf(&config, "{\"files\": [\"%s\"]}", junk) > 0);
    tu_init_assert_error(TU_SERVER_CONTEXT, "status", "ocsp_staple_file", config,
                         "/callbacks/status/config/files/0", "not a successful DER OCSP response");
    tu_init_assert_error(TU_SERVER_CONTEXT, "status", "ocsp_staple_file", "{\"files\": []}",
                         "/callbacks/status/config/files", NULL);
    free(config);
    free(junk);
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_ocsp_staple_file_per_certificate),
        cmocka_unit_test(test_plugin_ocsp_staple_file_reread_and_expiry),
        cmocka_unit_test(test_plugin_ocsp_staple_file_broken_file_told_once),
        cmocka_unit_test(test_plugin_ocsp_staple_file_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
