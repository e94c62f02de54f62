/*
 * The callback types of ABI 1.2 (cert, servername, keylog) and info event
 * filters, in both plugin forms, through real handshakes on TLS 1.2 and 1.3;
 * and a plugin built against ABI 1.1 still loading.
 */
#define _GNU_SOURCE /* asprintf, setenv */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};

/* A file's text; "" when it does not exist (nothing was written to it). */
static char *
slurp(const char *path)
{
    char *text = tu_file_read(path, NULL);

    if (text == NULL) {
        text = strdup("");
        assert_non_null(text);
    }
    return text;
}

static int
count_lines(const char *text)
{
    int n = 0;

    for (; *text != '\0'; text++) {
        n += *text == '\n';
    }
    return n;
}

/* One handshake with the SNI name given (NULL: none); 1 when both completed. */
static int
handshake_named(SSL_CTX *server, SSL_CTX *client, const char *name, sslplug_pair *pair)
{
    assert_int_equal(sslplug_pair_init(pair, server, client, name), 1);
    return sslplug_pair_handshake(pair);
}

static char *
peer_subject(SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char *name = peer != NULL ? X509_NAME_oneline(X509_get_subject_name(peer), NULL, 0) : NULL;

    X509_free(peer);
    return name;
}

/* A context from a host that is freed at once: the context keeps what it needs. */
static SSL_CTX *
ctx_of(sslplug_host *host)
{
    SSL_CTX *ctx = tu_ctx(host);

    sslplug_host_free(host);
    return ctx;
}

/* ---- cert ---- */

/* A server that requires a client certificate and trusts only the root CA. */
static SSL_CTX *
root_only_server(const char *protocol)
{
    return ctx_of(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
                          " \"pki/server.crt\", \"private_key\": \"pki/server-plain.key\","
                          " \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\","
                          " \"max_protocol\": \"%s\"}}",
                          protocol));
}

static void
check_chain_sent(sslplug_host *client_host, const char *protocol)
{
    SSL_CTX *server = root_only_server(protocol), *client;
    tu_trace trace = {0};
    sslplug_pair pair;
    STACK_OF(X509) *received;
    char *subject;

    sslplug_host_set_trace(client_host, tu_trace_fn, &trace);
    client = tu_ctx(client_host);
    assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
    subject = peer_subject(pair.server);
    assert_non_null(subject);
    assert_non_null(strstr(subject, "CN=sslplug-chain-client"));
    /* The server got the intermediate from the client: it trusts only the root. */
    received = SSL_get_peer_cert_chain(pair.server);
    assert_non_null(received);
    assert_true(sk_X509_num(received) >= 1);
    assert_int_equal(trace.count[SSLPLUG_CB_CERT], 1);
    assert_true(tu_trace_has(&trace, "side=client -> 1 certificate") == 1);
    OPENSSL_free(subject);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    tu_trace_free(&trace);
}

static void
test_callbacks_ext_cert_abi_client_sends_two_level_chain(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        sslplug_host *host = tu_host(
            "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
            " \"callbacks\": {\"cert\": {\"plugin\": \"%s\", \"config\": {\"chain\": \"%s\","
            " \"key\": \"%s\"}}}}",
            tu_test_plugin("nt_abi"), tu_pki("client-int-chain.pem"), tu_pki("client-int.key"));

        check_chain_sent(host, protocols[i]);
        sslplug_host_free(host);
    }
}

static void
test_callbacks_ext_cert_raw_client_sends_two_level_chain(void **state)
{
    (void)state;
    setenv("NT_RAW_CHAIN", tu_pki("client-int-chain.pem"), 1);
    setenv("NT_RAW_KEY", tu_pki("client-int.key"), 1);
    for (size_t i = 0; i < 2; i++) {
        sslplug_host *host = tu_host(
            "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
            " \"callbacks\": {\"cert\": {\"plugin\": \"%s\", \"symbol\": \"nt_raw_cert\"}}}",
            tu_test_plugin("nt_raw"));

        check_chain_sent(host, protocols[i]);
        sslplug_host_free(host);
    }
    unsetenv("NT_RAW_CHAIN");
    unsetenv("NT_RAW_KEY");
}

/* Control: the leaf alone (client_cert_file) cannot be verified by this server. */
static void
test_callbacks_ext_cert_leaf_without_chain_fails(void **state)
{
    SSL_CTX *server = root_only_server("TLSv1.3");
    SSL_CTX *client = ctx_of(tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
        " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\", \"config\":"
        " {\"certificate\": \"pki/client-int.crt\", \"private_key\": \"pki/client-int.key\"}}}}"));
    sslplug_pair pair;

    (void)state;
    assert_int_equal(handshake_named(server, client, "localhost", &pair), 0);
    assert_int_equal(SSL_get_verify_result(pair.server),
                     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

/* On a server, cert supplies the certificate the configuration does not name. */
static void
test_callbacks_ext_cert_server_side_supplies_certificate(void **state)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}, \"callbacks\": {\"cert\":"
                " {\"plugin\": \"%s\", \"config\": {\"chain\": \"%s\", \"key\": \"%s\"}}}}",
                tu_test_plugin("nt_abi"), tu_pki("server.crt"), tu_pki("server-plain.key"));
    SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(1);
    sslplug_pair pair;
    char *subject;

    (void)state;
    assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
    subject = peer_subject(pair.client);
    assert_non_null(strstr(subject, "CN=localhost"));
    OPENSSL_free(subject);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
}

/* A result other than 1 aborts; a negative one must not suspend the handshake. */
static void
test_callbacks_ext_cert_bad_result_aborts(void **state)
{
    static const int results[] = {0, -1, 2};

    (void)state;
    for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
        tu_trace trace = {0};
        sslplug_host *host = tu_host(
            "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
            " \"pki/server.crt\", \"private_key\": \"pki/server-plain.key\"},"
            " \"callbacks\": {\"cert\": {\"plugin\": \"%s\", \"config\": {\"cert_result\": %d}}}}",
            tu_test_plugin("nt_abi"), results[i]);
        SSL_CTX *server, *client = tu_plain_client(1);
        sslplug_pair pair;

        sslplug_host_set_trace(host, tu_trace_fn, &trace);
        server = tu_ctx(host);
        assert_int_equal(handshake_named(server, client, "localhost", &pair), 0);
        assert_int_equal(pair.server_done, 0);
        /* Failed, not waiting for a retry. */
        assert_true(strlen(pair.server_error) > 0);
        assert_true(tu_trace_has(&trace, "aborting") == 1);
        sslplug_pair_cleanup(&pair);
        SSL_CTX_free(server);
        SSL_CTX_free(client);
        sslplug_host_free(host);
        tu_trace_free(&trace);
    }
}

/* ---- servername ---- */

static sslplug_host *
sni_server(const char *protocol, const char *alt_verify, tu_trace *trace)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\", \"ca_file\": \"pki/ca.crt\","
        " \"max_protocol\": \"%s\"},"
        " \"contexts\": {\"alt\": {\"certificate\": \"pki/alt.crt\", \"private_key\":"
        " \"pki/alt.key\", \"verify\": \"%s\"}},"
        " \"callbacks\": {\"servername\": {\"plugin\": \"%s\", \"config\": {\"switch_name\":"
        " \"alt.example\", \"switch_to\": \"alt\", \"reject_name\": \"bad.example\"}}}}",
        protocol, alt_verify, tu_test_plugin("nt_abi"));

    if (trace != NULL) {
        sslplug_host_set_trace(host, tu_trace_fn, trace);
    }
    return host;
}

static void
test_callbacks_ext_servername_switches_certificate(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        tu_trace trace = {0};
        sslplug_host *host = sni_server(protocols[i], "none", &trace);
        SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(1);
        sslplug_pair pair;
        char *subject;

        /* alt.example: served from the "alt" context, and the client checks that name. */
        assert_int_equal(handshake_named(server, client, "alt.example", &pair), 1);
        subject = peer_subject(pair.client);
        assert_non_null(strstr(subject, "CN=alt.example"));
        OPENSSL_free(subject);
        sslplug_pair_cleanup(&pair);
        assert_true(tu_trace_has(&trace, "name=alt.example -> 2: switch context=alt") == 1);

        /* localhost: the main context. */
        assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
        subject = peer_subject(pair.client);
        assert_non_null(strstr(subject, "CN=localhost"));
        OPENSSL_free(subject);
        sslplug_pair_cleanup(&pair);

        SSL_CTX_free(server);
        SSL_CTX_free(client);
        sslplug_host_free(host);
        tu_trace_free(&trace);
    }
}

static void
test_callbacks_ext_servername_rejects_name_with_alert(void **state)
{
    tu_trace trace = {0};
    sslplug_host *host = sni_server("TLSv1.3", "none", &trace);
    SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(0);
    sslplug_pair pair;

    (void)state;
    assert_int_equal(handshake_named(server, client, "bad.example", &pair), 0);
    assert_non_null(strstr(pair.client_error, "unrecognized name"));
    assert_true(tu_trace_has(&trace, "name=bad.example -> 1: reject") == 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
    tu_trace_free(&trace);
}

static void
test_callbacks_ext_servername_switch_to_missing_context_rejects(void **state)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\"}, \"contexts\": {},"
        " \"callbacks\": {\"servername\": {\"plugin\": \"%s\", \"config\": {\"switch_name\":"
        " \"alt.example\", \"switch_to\": \"nowhere\"}}}}",
        tu_test_plugin("nt_abi"));
    SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(0);
    sslplug_pair pair;

    (void)state;
    assert_int_equal(handshake_named(server, client, "alt.example", &pair), 0);
    assert_non_null(strstr(pair.client_error, "unrecognized name"));
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
}

static void
test_callbacks_ext_servername_raw_rejects_name(void **state)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\"}, \"callbacks\": {\"servername\":"
        " {\"plugin\": \"%s\", \"symbol\": \"nt_raw_servername\"}}}",
        tu_test_plugin("nt_raw"));
    SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    setenv("NT_RAW_REJECT", "bad.example", 1);
    assert_int_equal(handshake_named(server, client, "bad.example", &pair), 0);
    assert_non_null(strstr(pair.client_error, "unrecognized name"));
    sslplug_pair_cleanup(&pair);
    assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
    sslplug_pair_cleanup(&pair);
    unsetenv("NT_RAW_REJECT");
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
}

/* The virtual host that requires client certificates gets them checked after a switch. */
static void
test_callbacks_ext_servername_switch_applies_context_verify(void **state)
{
    sslplug_host *host = sni_server("TLSv1.3", "require", NULL);
    sslplug_host *with_cert =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
                " \"callbacks\": {\"client_cert\": {\"plugin\": \"client_cert_file\", \"config\":"
                " {\"certificate\": \"pki/client.crt\", \"private_key\": \"pki/client.key\"}}}}");
    SSL_CTX *server = tu_ctx(host), *bare = tu_plain_client(1), *certified = tu_ctx(with_cert);
    sslplug_pair pair;
    char *subject;

    (void)state;
    /* Main context: no client certificate asked for. */
    assert_int_equal(handshake_named(server, bare, "localhost", &pair), 1);
    sslplug_pair_cleanup(&pair);
    /* alt requires one: a client without fails, a client with one is verified. */
    assert_int_equal(handshake_named(server, bare, "alt.example", &pair), 0);
    sslplug_pair_cleanup(&pair);
    assert_int_equal(handshake_named(server, certified, "alt.example", &pair), 1);
    subject = peer_subject(pair.server);
    assert_non_null(strstr(subject, "CN=sslplug-client"));
    OPENSSL_free(subject);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(bare);
    SSL_CTX_free(certified);
    sslplug_host_free(host);
    sslplug_host_free(with_cert);
}

/*
 * The name a plugin gets is normalised by the host: "alt.example." and
 * "ALT.Example" are alt.example, so a virtual host that requires client
 * certificates cannot be reached on the main context by spelling its name
 * another way (servername_map's "unknown" is "accept"); a name that is not a
 * host name is refused before any plugin sees it.
 */
static void
test_callbacks_ext_servername_names_normalised(void **state)
{
    static const char *const spellings[] = {"alt.example", "alt.example.", "ALT.Example",
                                            "Alt.Example."};
    static const char *const invalid[] = {"alt..example", "alt.example..", "bad name", "-",
                                          "a-.example",   "a\x01b"};
    tu_trace trace = {0};
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\", \"ca_file\": \"pki/ca.crt\"},"
        " \"contexts\": {\"secure\": {\"certificate\": \"pki/alt.crt\", \"private_key\":"
        " \"pki/alt.key\", \"verify\": \"require\"}},"
        " \"callbacks\": {\"servername\": {\"plugin\": \"servername_map\", \"config\":"
        " {\"names\": {\"alt.example\": \"secure\"}, \"unknown\": \"accept\"}}}}");
    SSL_CTX *server, *bare = tu_plain_client(0);
    sslplug_pair pair;

    (void)state;
    sslplug_host_set_trace(host, tu_trace_fn, &trace);
    server = tu_ctx(host);
    /* Control: another name is served by the main context, without a client certificate. */
    assert_int_equal(handshake_named(server, bare, "localhost", &pair), 1);
    sslplug_pair_cleanup(&pair);
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        /* Switched to "secure", which requires a certificate this client does not have. */
        assert_int_equal(handshake_named(server, bare, spellings[i], &pair), 0);
        sslplug_pair_cleanup(&pair);
    }
    assert_int_equal(tu_trace_has(&trace, "name=alt.example -> 2: switch context=secure"), 4);
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        assert_int_equal(handshake_named(server, bare, invalid[i], &pair), 0);
        assert_non_null(strstr(pair.client_error, "unrecognized name"));
        sslplug_pair_cleanup(&pair);
    }
    assert_int_equal(tu_trace_has(&trace, "name is not a valid host name: reject"), 6);
    SSL_CTX_free(server);
    SSL_CTX_free(bare);
    sslplug_host_free(host);
    tu_trace_free(&trace);
}

#define MAP_SERVER_FMT                                                                             \
    "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","    \
    " \"private_key\": \"pki/server-plain.key\"},"                                                 \
    " \"contexts\": {\"alt\": {\"certificate\": \"pki/alt.crt\", \"private_key\":"                 \
    " \"pki/alt.key\"}},"                                                                          \
    " \"callbacks\": {\"servername\": {\"plugin\": \"servername_map\", \"config\":"                \
    " {\"names\": {\"%s\": \"alt\"}, \"unknown\": \"reject\"}}}}"

/* servername_map's own patterns are normalised as names are; an invalid one is refused. */
static void
test_callbacks_ext_servername_map_patterns_normalised(void **state)
{
    sslplug_host *host = tu_host(MAP_SERVER_FMT, "ALT.Example.");
    SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(0);
    sslplug_pair pair;
    char *subject;

    (void)state;
    assert_int_equal(handshake_named(server, client, "alt.example", &pair), 1);
    subject = peer_subject(pair.client);
    assert_non_null(strstr(subject, "CN=alt.example"));
    OPENSSL_free(subject);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
    host = tu_host(MAP_SERVER_FMT, "bad..example");
    tu_ctx_assert_error(host, SSLPLUG_E_PLUGIN_INIT, "/callbacks/servername/config/names",
                        "\"bad..example\" is not a host name");
    sslplug_host_free(host);
}

/* A session made for one name is not resumed for another (CVE-2025-23419 class). */
static int
connect_session(SSL_CTX *server, SSL_CTX *client, const char *name, SSL_SESSION *resume,
                SSL_SESSION **out)
{
    sslplug_pair pair;
    char byte;
    int reused;

    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    assert_int_equal(SSL_write(pair.server, "x", 1), 1);
    assert_int_equal(SSL_read(pair.client, &byte, 1), 1);
    reused = SSL_session_reused(pair.client);
    if (out != NULL) {
        *out = SSL_get1_session(pair.client);
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return reused;
}

static void
test_callbacks_ext_servername_session_not_resumed_across_names(void **state)
{
    (void)state;
    for (size_t i = 0; i < 2; i++) {
        sslplug_host *host = sni_server(protocols[i], "none", NULL);
        SSL_CTX *server = tu_ctx(host), *client = tu_plain_client(0);
        SSL_SESSION *sess = NULL;

        assert_int_equal(connect_session(server, client, "localhost", NULL, &sess), 0);
        assert_non_null(sess);
        /* Control: the same name resumes. */
        assert_int_equal(connect_session(server, client, "localhost", sess, NULL), 1);
        /* Another name, switched to another context: a full handshake. */
        assert_int_equal(connect_session(server, client, "alt.example", sess, NULL), 0);
        SSL_SESSION_free(sess);
        SSL_CTX_free(server);
        SSL_CTX_free(client);
        sslplug_host_free(host);
    }
}

/* ---- keylog ---- */

static void
check_keylog_lines(const char *file, SSL *client)
{
    unsigned char random[SSL3_RANDOM_SIZE];
    char hex[2 * SSL3_RANDOM_SIZE + 1];
    char *text = slurp(file), *line, *save = NULL;
    int lines = 0;

    assert_int_equal(SSL_get_client_random(client, random, sizeof(random)), sizeof(random));
    for (size_t i = 0; i < sizeof(random); i++) {
        snprintf(hex + 2 * i, 3, "%02x", random[i]);
    }
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char label[64], field[256];

        /* NSS format: LABEL <client random> <secret> */
        assert_int_equal(sscanf(line, "%63s %255s", label, field), 2);
        assert_string_equal(field, hex);
        lines++;
    }
    assert_true(lines >= 1);
    free(text);
}

static void
test_callbacks_ext_keylog_lines_carry_client_random(void **state)
{
    (void)state;
    for (size_t form = 0; form < 2; form++) {
        for (size_t i = 0; i < 2; i++) {
            char *dir = tu_tmpdir();
            char *file = NULL;
            sslplug_host *host;
            SSL_CTX *client, *server = tu_plain_server(0);
            sslplug_pair pair;

            assert_true(asprintf(&file, "%s/keys.log", dir) >= 0);
            if (form == 0) {
                host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\":"
                               " \"pki/ca.crt\", \"max_protocol\": \"%s\"}, \"callbacks\":"
                               " {\"keylog\": {\"plugin\": \"%s\", \"config\": {\"keylog_file\":"
                               " \"%s\"}}}}",
                               protocols[i], tu_test_plugin("nt_abi"), file);
            } else {
                setenv("NT_RAW_KEYLOG", file, 1);
                host =
                    tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\":"
                            " \"pki/ca.crt\", \"max_protocol\": \"%s\"}, \"callbacks\":"
                            " {\"keylog\": {\"plugin\": \"%s\", \"symbol\": \"nt_raw_keylog\"}}}",
                            protocols[i], tu_test_plugin("nt_raw"));
            }
            client = tu_ctx(host);
            assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
            check_keylog_lines(file, pair.client);
            sslplug_pair_cleanup(&pair);
            SSL_CTX_free(server);
            SSL_CTX_free(client);
            sslplug_host_free(host);
            unsetenv("NT_RAW_KEYLOG");
            free(file);
            tu_rmtree(dir);
        }
    }
}

static void
test_callbacks_ext_keylog_warns_at_every_context(void **state)
{
    char *dir = tu_tmpdir(), *file = NULL;
    tu_log log = {.with_host = 1, .with_level = 1};
    sslplug_host *host;

    (void)state;
    assert_true(asprintf(&file, "%s/keys.log", dir) >= 0);
    host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\":"
                   " {\"keylog\": {\"plugin\": \"%s\", \"config\": {\"keylog_file\": \"%s\"}}}}",
                   tu_test_plugin("nt_abi"), file);
    sslplug_host_set_log(host, tu_log_fn, &log);
    SSL_CTX_free(tu_ctx(host));
    SSL_CTX_free(tu_ctx(host));
    assert_int_equal(tu_log_has(&log, "1 sslplug: /callbacks/keylog: KEY LOGGING IS ON"), 2);
    sslplug_host_free(host);
    tu_log_free(&log);
    free(file);
    tu_rmtree(dir);
}

/* ---- info event filters ---- */

static int
info_calls(const char *events_json)
{
    char *dir = tu_tmpdir(), *file = NULL, *text;
    sslplug_host *host;
    SSL_CTX *client, *server = tu_plain_server(0);
    sslplug_pair pair;
    int lines;

    assert_true(asprintf(&file, "%s/info.log", dir) >= 0);
    host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\":"
                   " \"pki/ca.crt\"}, \"callbacks\": {\"info\": {\"plugin\": \"%s\","
                   " \"config\": {\"info_file\": \"%s\"}%s}}}",
                   tu_test_plugin("nt_abi"), file, events_json);
    client = tu_ctx(host);
    assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
    sslplug_pair_cleanup(&pair);
    text = slurp(file);
    lines = count_lines(text);
    free(text);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
    free(file);
    tu_rmtree(dir);
    return lines;
}

static void
test_callbacks_ext_info_events_filter_calls(void **state)
{
    (void)state;
    /* The plugin's own default: handshake done only. */
    assert_int_equal(info_calls(""), 1);
    /* The entry's choice overrides it. */
    assert_int_equal(info_calls(", \"events\": [\"handshake_start\", \"handshake_done\"]"), 2);
    /* loop events are many per handshake. */
    assert_true(info_calls(", \"events\": [\"loop\"]") > 5);
}

/* ---- ABI compatibility and configuration ---- */

static void
test_callbacks_ext_abi_1_1_plugin_still_loads(void **state)
{
    tu_trace trace = {0};
    sslplug_error err;
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
                " \"callbacks\": {\"verify\": {\"plugin\": \"%s\"}}}",
                tu_test_plugin("nt_abi11"));
    SSL_CTX *client, *server = tu_plain_server(0);
    sslplug_pair pair;

    (void)state;
    sslplug_host_set_trace(host, tu_trace_fn, &trace);
    client = tu_ctx(host);
    assert_int_equal(handshake_named(server, client, "localhost", &pair), 1);
    assert_int_equal(trace.count[SSLPLUG_CB_VERIFY], 2);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    sslplug_host_free(host);

    /* Members past its size are absent: it offers no cert callback. */
    host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\":"
                   " {\"cert\": {\"plugin\": \"%s\"}}}",
                   tu_test_plugin("nt_abi11"));
    assert_null(sslplug_ctx_new(host, &err));
    assert_int_equal(err.code, SSLPLUG_E_PLUGIN_TYPE);
    assert_string_equal(err.pointer, "/callbacks/cert/plugin");
    assert_non_null(strstr(err.message, "provides no cert callback (it provides: verify)"));
    sslplug_host_free(host);
    SSL_CTX_free(server);
    tu_trace_free(&trace);
}

static void
expect_config_error(const char *json, const char *pointer)
{
    sslplug_error err;
    sslplug_host *host = tu_host_try(&err, "%s", json);

    if (host != NULL) {
        sslplug_host_free(host);
    }
    assert_null(host);
    assert_int_equal(err.code, SSLPLUG_E_CONFIG);
    assert_string_equal(err.pointer, pointer);
}

static void
test_callbacks_ext_config_errors(void **state)
{
    (void)state;
    expect_config_error("{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\":"
                        " {\"servername\": {\"plugin\": \"info_log\"}}}",
                        "/callbacks/servername");
    expect_config_error("{\"version\": 1, \"context\": {\"role\": \"server\"},"
                        " \"contexts\": {\"a\": {}}}",
                        "/contexts");
    expect_config_error("{\"version\": 1, \"context\": {\"role\": \"server\"}, \"contexts\":"
                        " {\"a\": {\"role\": \"client\"}}, \"callbacks\": {\"servername\":"
                        " {\"plugin\": \"info_log\"}}}",
                        "/contexts/a/role");
    expect_config_error("{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\":"
                        " {\"verify\": {\"plugin\": \"verify_log\", \"events\": [\"loop\"]}}}",
                        "/callbacks/verify/events");
    expect_config_error("{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\":"
                        " {\"info\": {\"plugin\": \"info_log\", \"events\": [\"loop\", \"lop\"]}}}",
                        "/callbacks/info/events/1");
    expect_config_error("{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\":"
                        " {\"keylog\": [{\"plugin\": \"info_log\"}]}}",
                        "/callbacks/keylog");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_callbacks_ext_cert_abi_client_sends_two_level_chain),
        cmocka_unit_test(test_callbacks_ext_cert_raw_client_sends_two_level_chain),
        cmocka_unit_test(test_callbacks_ext_cert_leaf_without_chain_fails),
        cmocka_unit_test(test_callbacks_ext_cert_server_side_supplies_certificate),
        cmocka_unit_test(test_callbacks_ext_cert_bad_result_aborts),
        cmocka_unit_test(test_callbacks_ext_servername_switches_certificate),
        cmocka_unit_test(test_callbacks_ext_servername_rejects_name_with_alert),
        cmocka_unit_test(test_callbacks_ext_servername_switch_to_missing_context_rejects),
        cmocka_unit_test(test_callbacks_ext_servername_raw_rejects_name),
        cmocka_unit_test(test_callbacks_ext_servername_switch_applies_context_verify),
        cmocka_unit_test(test_callbacks_ext_servername_names_normalised),
        cmocka_unit_test(test_callbacks_ext_servername_map_patterns_normalised),
        cmocka_unit_test(test_callbacks_ext_servername_session_not_resumed_across_names),
        cmocka_unit_test(test_callbacks_ext_keylog_lines_carry_client_random),
        cmocka_unit_test(test_callbacks_ext_keylog_warns_at_every_context),
        cmocka_unit_test(test_callbacks_ext_info_events_filter_calls),
        cmocka_unit_test(test_callbacks_ext_abi_1_1_plugin_still_loads),
        cmocka_unit_test(test_callbacks_ext_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
