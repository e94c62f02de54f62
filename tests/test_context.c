/*
 * Settings of the "context" section in real handshakes, where they do more
 * than OpenSSL's setter says: verify_host, the name a client expects of its
 * server (checked, and sent as SNI unless the application sends its own).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* A handshake in which the application names no server: the configuration's name is all. */
static int
handshake_unnamed(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair)
{
    assert_int_equal(sslplug_pair_init(pair, server, client, NULL), 1);
    return sslplug_pair_handshake(pair);
}

static SSL_CTX *
client_expecting(const char *name)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\","
                                 " \"ca_file\": \"pki/ca.crt\", \"verify_host\": \"%s\"}}",
                                 name);
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

static void
test_context_verify_host_checked_and_sent(void **state)
{
    SSL_CTX *server = tu_plain_server(0), *client = client_expecting("localhost");
    sslplug_pair pair;

    (void)state;
    assert_int_equal(handshake_unnamed(server, client, &pair), 1);
    assert_string_equal(SSL_get_servername(pair.server, TLSEXT_NAMETYPE_host_name), "localhost");
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_context_verify_host_mismatch_refused(void **state)
{
    SSL_CTX *server = tu_plain_server(0), *client = client_expecting("alt.example");
    sslplug_pair pair;

    (void)state;
    assert_int_equal(handshake_unnamed(server, client, &pair), 0);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_ERR_HOSTNAME_MISMATCH);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

/* The application's own name, per connection, wins over the configuration's. */
static void
test_context_verify_host_application_name_wins(void **state)
{
    SSL_CTX *server = tu_plain_server(0), *client = client_expecting("alt.example");
    sslplug_pair pair;

    (void)state;
    assert_int_equal(sslplug_pair_init(&pair, server, client, "localhost"), 1);
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    assert_string_equal(SSL_get_servername(pair.server, TLSEXT_NAMETYPE_host_name), "localhost");
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
expect_refused(const char *json, const char *pointer, const char *fragment)
{
    sslplug_error err;

    assert_null(tu_host_try(&err, "%s", json));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, pointer, fragment);
}

static void
test_context_verify_host_misuse_refused(void **state)
{
    (void)state;
    expect_refused("{\"version\": 1, \"context\": {\"role\": \"server\", \"verify_host\": \"a\"}}",
                   "/context/verify_host", "role is \"server\"");
    expect_refused("{\"version\": 1, \"context\": {\"role\": \"client\", \"verify\": \"none\","
                   " \"verify_host\": \"a\"}}",
                   "/context/verify_host", "verify is \"none\"");
    expect_refused("{\"version\": 1, \"context\": {\"role\": \"client\", \"verify_host\": \"\"}}",
                   "/context/verify_host", "must not be empty");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_context_verify_host_checked_and_sent),
        cmocka_unit_test(test_context_verify_host_mismatch_refused),
        cmocka_unit_test(test_context_verify_host_application_name_wins),
        cmocka_unit_test(test_context_verify_host_misuse_refused),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
