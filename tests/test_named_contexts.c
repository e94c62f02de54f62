/*
 * Named contexts (virtual hosts): after a servername switch, every setting
 * the named context gives is in force on the connection, not only its
 * certificate.  One test per context key, each through a real switch: the
 * main context says one thing, the named context "alt" another, and the
 * handshake for alt.example shows alt's value (the one for localhost, the
 * main one).  A last test keeps this list complete: every key the JSON
 * Schema gives a context has its test here.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <sys/stat.h>

/*
 * A server: the main context's extra members, then alt's, both
 * comma-led JSON members ("" for none).  alt.example switches to "alt"
 * (the nt_abi test plugin).
 */
static SSL_CTX *
vhost_server(const char *main_extra, const char *alt_extra)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\"%s},"
        " \"contexts\": {\"alt\": {\"certificate\": \"pki/alt.crt\", \"private_key\":"
        " \"pki/alt.key\"%s}},"
        " \"callbacks\": {\"servername\": {\"plugin\": \"%s\", \"config\": {\"switch_name\":"
        " \"alt.example\", \"switch_to\": \"alt\"}}}}",
        main_extra, alt_extra, tu_test_plugin("nt_abi"));
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

/* As vhost_server, with alt's members exactly as given (no certificate of its own). */
static SSL_CTX *
ctx_with_alt(const char *alt_members)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\"}, \"contexts\": {\"alt\": {%s}},"
        " \"callbacks\": {\"servername\": {\"plugin\": \"%s\", \"config\": {\"switch_name\":"
        " \"alt.example\", \"switch_to\": \"alt\"}}}}",
        alt_members, tu_test_plugin("nt_abi"));
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

/* One handshake for name; 1 when both sides completed.  The caller cleans up. */
static int
connect_as(SSL_CTX *server, SSL_CTX *client, const char *name, sslplug_pair *pair)
{
    assert_int_equal(sslplug_pair_init(pair, server, client, name), 1);
    return sslplug_pair_handshake(pair);
}

/* The outcome for localhost (main) and alt.example (alt), as 1/0 each. */
static void
expect_outcomes(SSL_CTX *server, SSL_CTX *client, int main_ok, int alt_ok)
{
    sslplug_pair pair;

    assert_int_equal(connect_as(server, client, "localhost", &pair), main_ok);
    sslplug_pair_cleanup(&pair);
    assert_int_equal(connect_as(server, client, "alt.example", &pair), alt_ok);
    sslplug_pair_cleanup(&pair);
}

static SSL_CTX *
client_max(int version)
{
    SSL_CTX *client = tu_plain_client(1);

    assert_int_equal(SSL_CTX_set_max_proto_version(client, version), 1);
    return client;
}

/* A client presenting pki/FILE (a chain, leaf first) with pki/KEY. */
static SSL_CTX *
client_with_chain(const char *file, const char *key)
{
    SSL_CTX *client = tu_plain_client(1);

    assert_int_equal(SSL_CTX_use_certificate_chain_file(client, tu_pki(file)), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(client, tu_pki(key), SSL_FILETYPE_PEM), 1);
    return client;
}

static void
test_named_contexts_min_protocol(void **state)
{
    SSL_CTX *server = vhost_server("", ", \"min_protocol\": \"TLSv1.3\"");
    SSL_CTX *client = client_max(TLS1_2_VERSION);

    (void)state;
    /* A TLS 1.2 client: served by the main context, refused by alt. */
    expect_outcomes(server, client, 1, 0);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_max_protocol(void **state)
{
    SSL_CTX *server = vhost_server("", ", \"max_protocol\": \"TLSv1.2\"");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    assert_int_equal(connect_as(server, client, "localhost", &pair), 1);
    assert_int_equal(SSL_version(pair.client), TLS1_3_VERSION);
    sslplug_pair_cleanup(&pair);
    assert_int_equal(connect_as(server, client, "alt.example", &pair), 1);
    assert_int_equal(SSL_version(pair.client), TLS1_2_VERSION);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

/* The cipher the client negotiated for name, copied into out. */
static void
negotiated_cipher(SSL_CTX *server, SSL_CTX *client, const char *name, char *out, size_t len)
{
    sslplug_pair pair;

    assert_int_equal(connect_as(server, client, name, &pair), 1);
    snprintf(out, len, "%s", SSL_get_cipher_name(pair.client));
    sslplug_pair_cleanup(&pair);
}

static void
test_named_contexts_ciphers(void **state)
{
    SSL_CTX *server = vhost_server("", ", \"ciphers\": \"ECDHE-ECDSA-AES128-GCM-SHA256\"");
    SSL_CTX *client = client_max(TLS1_2_VERSION);
    char cipher[64];

    (void)state;
    /* The server follows the client's order within its own list. */
    assert_int_equal(SSL_CTX_set_cipher_list(client, "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                                     "ECDHE-ECDSA-AES128-GCM-SHA256"),
                     1);
    negotiated_cipher(server, client, "localhost", cipher, sizeof(cipher));
    assert_string_equal(cipher, "ECDHE-ECDSA-AES256-GCM-SHA384");
    negotiated_cipher(server, client, "alt.example", cipher, sizeof(cipher));
    assert_string_equal(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_ciphersuites(void **state)
{
    SSL_CTX *server = vhost_server("", ", \"ciphersuites\": \"TLS_CHACHA20_POLY1305_SHA256\"");
    SSL_CTX *client = tu_plain_client(1);
    char cipher[64];

    (void)state;
    assert_int_equal(SSL_CTX_set_ciphersuites(client, "TLS_AES_256_GCM_SHA384:"
                                                      "TLS_CHACHA20_POLY1305_SHA256"),
                     1);
    negotiated_cipher(server, client, "localhost", cipher, sizeof(cipher));
    assert_string_equal(cipher, "TLS_AES_256_GCM_SHA384");
    negotiated_cipher(server, client, "alt.example", cipher, sizeof(cipher));
    assert_string_equal(cipher, "TLS_CHACHA20_POLY1305_SHA256");
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_verify(void **state)
{
    SSL_CTX *server = vhost_server(", \"ca_file\": \"pki/ca.crt\"", ", \"verify\": \"require\"");
    SSL_CTX *bare = tu_plain_client(1);
    SSL_CTX *certified = client_with_chain("client.crt", "client.key");

    (void)state;
    /* The main context asks for no certificate; alt requires one. */
    expect_outcomes(server, bare, 1, 0);
    expect_outcomes(server, certified, 1, 1);
    SSL_CTX_free(bare);
    SSL_CTX_free(certified);
    SSL_CTX_free(server);
}

static void
test_named_contexts_verify_depth(void **state)
{
    /* client-int-chain.pem: leaf, int-ca; the root is ca: a path of depth 2. */
    SSL_CTX *server = vhost_server(", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"",
                                   ", \"verify_depth\": 0");
    SSL_CTX *client = client_with_chain("client-int-chain.pem", "client-int.key");

    (void)state;
    expect_outcomes(server, client, 1, 0);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_ca_file(void **state)
{
    /* The main context trusts only other-ca, alt the demo CA that issued client.crt. */
    SSL_CTX *server = vhost_server(", \"ca_file\": \"pki/other-ca.crt\", \"verify\": \"require\"",
                                   ", \"ca_file\": \"pki/ca.crt\"");
    SSL_CTX *client = client_with_chain("client.crt", "client.key");

    (void)state;
    expect_outcomes(server, client, 0, 1);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_ca_path(void **state)
{
    char *dir = tu_tmpdir(), *copy = tu_file_copy(tu_pki("ca.crt"), dir, "ca.pem", 0644);
    char alt[512];
    SSL_CTX *server, *client;

    (void)state;
    assert_int_equal(tu_run(NULL, "openssl rehash %s", dir), 0);
    snprintf(alt, sizeof(alt), ", \"ca_path\": \"%s\", \"ca_file\": \"%s\"", dir,
             tu_pki("other-ca.crt"));
    /* alt finds the demo CA in its directory; the main context trusts only other-ca. */
    server = vhost_server(", \"ca_file\": \"pki/other-ca.crt\", \"verify\": \"require\"", alt);
    client = client_with_chain("client.crt", "client.key");
    expect_outcomes(server, client, 0, 1);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    free(copy);
    tu_rmtree(dir);
}

static void
test_named_contexts_certificate(void **state)
{
    SSL_CTX *server = vhost_server("", "");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;
    X509 *peer;
    char cn[128];

    (void)state;
    assert_int_equal(connect_as(server, client, "alt.example", &pair), 1);
    peer = SSL_get1_peer_certificate(pair.client);
    assert_non_null(peer);
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
    assert_string_equal(cn, "alt.example");
    X509_free(peer);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

/* A client offering these protocols, in this order. */
static SSL_CTX *
client_alpn(const unsigned char *wire, unsigned len)
{
    SSL_CTX *client = tu_plain_client(1);

    assert_int_equal(SSL_CTX_set_alpn_protos(client, wire, len), 0);
    return client;
}

static void
selected(SSL_CTX *server, SSL_CTX *client, const char *name, const char *expect)
{
    const unsigned char *proto = NULL;
    unsigned len = 0;
    sslplug_pair pair;

    assert_int_equal(connect_as(server, client, name, &pair), 1);
    SSL_get0_alpn_selected(pair.client, &proto, &len);
    assert_int_equal(len, strlen(expect));
    assert_memory_equal(proto, expect, len);
    sslplug_pair_cleanup(&pair);
}

static void
test_named_contexts_alpn(void **state)
{
    SSL_CTX *server = vhost_server(", \"alpn\": [\"http/1.1\"]", ", \"alpn\": [\"h2\"]");
    SSL_CTX *client = client_alpn((const unsigned char *)"\x02h2\x08http/1.1", 12);

    (void)state;
    selected(server, client, "localhost", "http/1.1");
    selected(server, client, "alt.example", "h2");
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_alpn_mismatch(void **state)
{
    SSL_CTX *server = vhost_server(", \"alpn\": [\"h2\"]", ", \"alpn_mismatch\": \"continue\"");
    SSL_CTX *client = client_alpn((const unsigned char *)"\x04imap", 5);

    (void)state;
    expect_outcomes(server, client, 0, 1);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_openssl(void **state)
{
    SSL_CTX *server = vhost_server("", ", \"openssl\": {\"Groups\": \"P-384\"}");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    assert_int_equal(connect_as(server, client, "localhost", &pair), 1);
    assert_int_not_equal(SSL_get_negotiated_group(pair.client), NID_secp384r1);
    sslplug_pair_cleanup(&pair);
    assert_int_equal(connect_as(server, client, "alt.example", &pair), 1);
    assert_int_equal(SSL_get_negotiated_group(pair.client), NID_secp384r1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

/* The main context verifies clients against the demo CA; alt gets the CRL members. */
static void
crl_switch(const char *main_extra, const char *alt_extra)
{
    char main_members[512];
    SSL_CTX *server, *client = client_with_chain("client.crt", "client.key");

    snprintf(main_members, sizeof(main_members),
             ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"%s", main_extra);
    server = vhost_server(main_members, alt_extra);
    /* client.crt is revoked by alt's list only. */
    expect_outcomes(server, client, 1, 0);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_crl_file(void **state)
{
    char *dir = tu_tmpdir(), *crl = tu_make_crl(dir, "crl.pem", "client.crt", 0);
    char alt[512];

    (void)state;
    snprintf(alt, sizeof(alt), ", \"crl_file\": \"%s\", \"crl_check\": \"leaf\"", crl);
    crl_switch("", alt);
    free(crl);
    tu_rmtree(dir);
}

static void
test_named_contexts_crl_path(void **state)
{
    char *dir = tu_tmpdir(), *crl = tu_make_crl(dir, "crl.pem", "client.crt", 0);
    char alt[512];

    (void)state;
    snprintf(alt, sizeof(alt), ", \"crl_path\": \"%s\", \"crl_check\": \"chain\"", dir);
    crl_switch("", alt);
    free(crl);
    tu_rmtree(dir);
}

static void
test_named_contexts_crl_check(void **state)
{
    char *dir = tu_tmpdir(), *crl = tu_make_crl(dir, "crl.pem", "client.crt", 0);
    char both[512];

    (void)state;
    /* Both contexts hold the list; only alt checks it. */
    snprintf(both, sizeof(both), ", \"crl_file\": \"%s\"", crl);
    crl_switch(both, ", \"crl_check\": \"leaf\"");
    free(crl);
    tu_rmtree(dir);
}

/* "leaf" in a named context under a main "chain": the leaf only, after the switch. */
static void
test_named_contexts_crl_check_leaf_under_chain(void **state)
{
    char *dir = tu_tmpdir(), *crl = tu_make_crl(dir, "crl.pem", "client.crt", 0);
    char main_members[512];
    SSL_CTX *server, *client = client_with_chain("client.crt", "client.key");
    sslplug_pair pair;
    unsigned long flags;

    (void)state;
    snprintf(main_members, sizeof(main_members),
             ", \"ca_file\": \"pki/ca.crt\", \"crl_file\": \"%s\", \"crl_check\": \"chain\"", crl);
    server = vhost_server(main_members, ", \"crl_check\": \"leaf\"");
    (void)connect_as(server, client, "localhost", &pair);
    flags = X509_VERIFY_PARAM_get_flags(SSL_get0_param(pair.server));
    assert_true((flags & X509_V_FLAG_CRL_CHECK) != 0 && (flags & X509_V_FLAG_CRL_CHECK_ALL) != 0);
    sslplug_pair_cleanup(&pair);
    (void)connect_as(server, client, "alt.example", &pair);
    flags = X509_VERIFY_PARAM_get_flags(SSL_get0_param(pair.server));
    assert_true((flags & X509_V_FLAG_CRL_CHECK) != 0);
    assert_true((flags & X509_V_FLAG_CRL_CHECK_ALL) == 0);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    free(crl);
    tu_rmtree(dir);
}

static void
test_named_contexts_ocsp_staple(void **state)
{
    char *dir = tu_tmpdir();
    char *good = tu_make_ocsp(dir, "alt.der", "alt.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char alt[512];
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\","
                                 " \"ca_file\": \"pki/ca.crt\", \"ocsp\": \"require\"}}");
    SSL_CTX *client = tu_ctx(host), *server;

    (void)state;
    sslplug_host_free(host);
    snprintf(alt, sizeof(alt), ", \"ocsp_staple\": \"%s\"", good);
    server = vhost_server("", alt);
    /* Only alt staples: a client that requires a staple is served by alt only. */
    expect_outcomes(server, client, 0, 1);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(good);
    tu_rmtree(dir);
}

static void
test_named_contexts_session_tickets(void **state)
{
    SSL_CTX *server =
        vhost_server(", \"max_protocol\": \"TLSv1.2\"", ", \"session_tickets\": false");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    assert_int_equal(connect_as(server, client, "localhost", &pair), 1);
    assert_int_equal(SSL_SESSION_has_ticket(SSL_get_session(pair.client)), 1);
    sslplug_pair_cleanup(&pair);
    assert_int_equal(connect_as(server, client, "alt.example", &pair), 1);
    assert_int_equal(SSL_SESSION_has_ticket(SSL_get_session(pair.client)), 0);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_named_contexts_pkcs12(void **state)
{
    char *dir = tu_tmpdir(), *p12 = tu_path_join(dir, "alt.p12"), *out = NULL;
    char alt[512];
    SSL_CTX *server, *client = tu_plain_client(1);
    sslplug_pair pair;
    X509 *peer;
    char cn[128];

    (void)state;
    assert_int_equal(tu_run(&out, "openssl pkcs12 -export -in %s -inkey %s -out %s -passout pass:",
                            tu_pki("alt.crt"), tu_pki("alt.key"), p12),
                     0);
    free(out);
    assert_int_equal(chmod(p12, 0600), 0);
    /* alt's bundle replaces the certificate and key it would inherit. */
    snprintf(alt, sizeof(alt), "\"pkcs12\": \"%s\"", p12);
    server = ctx_with_alt(alt);
    assert_int_equal(connect_as(server, client, "alt.example", &pair), 1);
    peer = SSL_get1_peer_certificate(pair.client);
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
    assert_string_equal(cn, "alt.example");
    X509_free(peer);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(p12);
    tu_rmtree(dir);
}

/*
 * sslplug_ctx_apply on the application's context: what the application set
 * and the configuration leaves alone stays in force after a switch.
 */
static void
test_named_contexts_keep_application_settings(void **state)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\"},"
        " \"contexts\": {\"alt\": {\"certificate\": \"pki/alt.crt\", \"private_key\":"
        " \"pki/alt.key\"}},"
        " \"callbacks\": {\"servername\": {\"plugin\": \"%s\", \"config\": {\"switch_name\":"
        " \"alt.example\", \"switch_to\": \"alt\"}}}}",
        tu_test_plugin("nt_abi"));
    SSL_CTX *server = SSL_CTX_new(TLS_server_method());
    SSL_CTX *client = client_max(TLS1_2_VERSION);
    sslplug_error err;

    (void)state;
    assert_non_null(server);
    assert_int_equal(SSL_CTX_set_min_proto_version(server, TLS1_3_VERSION), 1);
    assert_int_equal(sslplug_ctx_apply(host, server, &err), 1);
    expect_outcomes(server, client, 0, 0);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    sslplug_host_free(host);
}

/*
 * Keys a named context cannot give: "role" is the main context's, and named
 * contexts serve, while verify_host is a client's.
 */
static const char *const not_per_context[] = {
    "role",
    "verify_host",
    "ocsp", /* a client's */
    "session_timeout",
    "session_cache_size", /* the main context's session cache */
};

/* The keys this file tests, each through a switch (private_key goes with certificate). */
static const char *const tested[] = {
    "min_protocol", "max_protocol",  "ciphers",         "ciphersuites", "verify",
    "verify_depth", "ca_file",       "ca_path",         "certificate",  "private_key",
    "alpn",         "alpn_mismatch", "openssl",         "crl_file",     "crl_path",
    "crl_check",    "ocsp_staple",   "session_tickets", "pkcs12",
};

static int
listed(const char *key, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (strcmp(key, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static void
test_named_contexts_every_schema_key_is_tested(void **state)
{
    char *path = tu_path_join(SSLPLUG_TEST_SOURCE_DIR, "../config/sslplug.schema.json");
    json_error_t jerr;
    json_t *schema = json_load_file(path, 0, &jerr), *props;
    const char *key;
    json_t *value;
    int missing = 0;

    (void)state;
    assert_non_null(schema);
    props =
        json_object_get(json_object_get(json_object_get(schema, "$defs"), "context"), "properties");
    assert_non_null(props);
    json_object_foreach(props, key, value) {
        if (listed(key, not_per_context, sizeof(not_per_context) / sizeof(not_per_context[0]))) {
            continue;
        }
        if (!listed(key, tested, sizeof(tested) / sizeof(tested[0]))) {
            print_error("context key \"%s\" has no switch test in test_named_contexts.c\n", key);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
    json_decref(schema);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named_contexts_min_protocol),
        cmocka_unit_test(test_named_contexts_max_protocol),
        cmocka_unit_test(test_named_contexts_ciphers),
        cmocka_unit_test(test_named_contexts_ciphersuites),
        cmocka_unit_test(test_named_contexts_verify),
        cmocka_unit_test(test_named_contexts_verify_depth),
        cmocka_unit_test(test_named_contexts_ca_file),
        cmocka_unit_test(test_named_contexts_ca_path),
        cmocka_unit_test(test_named_contexts_certificate),
        cmocka_unit_test(test_named_contexts_alpn),
        cmocka_unit_test(test_named_contexts_alpn_mismatch),
        cmocka_unit_test(test_named_contexts_openssl),
        cmocka_unit_test(test_named_contexts_crl_file),
        cmocka_unit_test(test_named_contexts_crl_path),
        cmocka_unit_test(test_named_contexts_crl_check),
        cmocka_unit_test(test_named_contexts_crl_check_leaf_under_chain),
        cmocka_unit_test(test_named_contexts_ocsp_staple),
        cmocka_unit_test(test_named_contexts_session_tickets),
        cmocka_unit_test(test_named_contexts_pkcs12),
        cmocka_unit_test(test_named_contexts_keep_application_settings),
        cmocka_unit_test(test_named_contexts_every_schema_key_is_tested),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
