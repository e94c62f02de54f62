/*
 * cert_select_sni: the server's chain chosen by the client's SNI name from
 * a directory, through real handshakes.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
copy(const char *from, const char *dir, const char *name)
{
    free(tu_file_copy(from, dir, name, 0644));
}

/* vhosts/: localhost (the demo server) and alt (alt.example). */
static char *
vhosts(void)
{
    char *dir = tu_tmpdir();

    copy(tu_pki("server.crt"), dir, "localhost.crt");
    copy(tu_pki("server-plain.key"), dir, "localhost.key");
    copy(tu_pki("alt.crt"), dir, "alt.crt");
    copy(tu_pki("alt.key"), dir, "alt.key");
    return dir;
}

static SSL_CTX *
server_ctx(const char *dir, const char *extra)
{
    return tu_ctx_entry(
        NULL,
        "\"role\": \"server\", \"certificate\": \"pki/self.crt\", \"private_key\": "
        "\"pki/self.key\"",
        "cert", "{\"plugin\": \"cert_select_sni\", \"config\": {\"dir\": \"%s\"%s}}", dir, extra);
}

/* The subject the client saw when asking for name. */
static void
expect_subject(SSL_CTX *server, const char *name, const char *cn)
{
    SSL_CTX *client = tu_plain_client(0);
    sslplug_pair pair;
    X509 *peer;
    char subject[256];

    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    /* Hostname checks are the client's business; this test looks at the subject. */
    SSL_set_verify(pair.client, SSL_VERIFY_NONE, NULL);
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    peer = SSL_get1_peer_certificate(pair.client);
    assert_non_null(peer);
    X509_NAME_oneline(X509_get_subject_name(peer), subject, sizeof(subject));
    if (strstr(subject, cn) == NULL) {
        print_error("name %s: got %s, expected %s\n", name, subject, cn);
    }
    assert_non_null(strstr(subject, cn));
    X509_free(peer);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
}

/* The name as the host hands it: "Alt.Example." is alt.example (services->server_name). */
static void
test_plugin_cert_select_sni_name_normalised(void **state)
{
    char *dir = vhosts();
    SSL_CTX *server = server_ctx(dir, "");

    (void)state;
    expect_subject(server, "alt.example.", "CN=alt.example");
    expect_subject(server, "ALT.Example.", "CN=alt.example");
    SSL_CTX_free(server);
    tu_rmtree(dir);
}

static void
test_plugin_cert_select_sni_picks_chain_by_name(void **state)
{
    char *dir = vhosts();
    SSL_CTX *server = server_ctx(dir, "");

    (void)state;
    expect_subject(server, "alt.example", "CN=alt.example");
    expect_subject(server, "localhost", "CN=localhost");
    /* No match and no "default" chain: the context's own (self-signed) certificate. */
    expect_subject(server, "unknown.example", "O=sslplug self");
    SSL_CTX_free(server);
    tu_rmtree(dir);
}

static void
test_plugin_cert_select_sni_default_chain(void **state)
{
    char *dir = vhosts();
    SSL_CTX *server = server_ctx(dir, ", \"default\": \"alt\"");

    (void)state;
    expect_subject(server, "unknown.example", "CN=alt.example");
    expect_subject(server, "localhost", "CN=localhost");
    SSL_CTX_free(server);
    tu_rmtree(dir);
}

static void
expect_init_error(const char *dir, const char *extra, const char *pointer, const char *words)
{
    sslplug_host *host = tu_host_entry(
        "\"role\": \"server\"", "cert",
        "{\"plugin\": \"cert_select_sni\", \"config\": {\"dir\": \"%s\"%s}}", dir, extra);

    tu_ctx_assert_error(host, SSLPLUG_E_PLUGIN_INIT, pointer, words);
    sslplug_host_free(host);
}

static void
test_plugin_cert_select_sni_init_errors(void **state)
{
    char *dir = vhosts(), *empty = tu_tmpdir();

    (void)state;
    expect_init_error(dir, ", \"default\": \"nope\"", "/callbacks/cert/config/default",
                      "no nope.crt");
    expect_init_error(empty, "", "/callbacks/cert/config/dir", "no NAME.crt");
    expect_init_error("/nonexistent", "", "/callbacks/cert/config/dir", "cannot read directory");
    /* A key that belongs to another certificate. */
    copy(tu_pki("client.key"), dir, "alt.key");
    expect_init_error(dir, "", "/callbacks/cert/config/dir", "does not match");
    tu_rmtree(dir);
    tu_rmtree(empty);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_cert_select_sni_picks_chain_by_name),
        cmocka_unit_test(test_plugin_cert_select_sni_name_normalised),
        cmocka_unit_test(test_plugin_cert_select_sni_default_chain),
        cmocka_unit_test(test_plugin_cert_select_sni_init_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
