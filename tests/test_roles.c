/*
 * sslplug_ctx_apply_roles: one context made with TLS_method(), the server's
 * configuration for the connections that accept on it and the client's for
 * those that connect, chosen per connection; the context's own settings
 * left alone; sessions resumed only under the configuration that made them.
 */
#include "testutil.h"

#include <string.h>

/* One TLS_method() context serving both sides: the demo server certificate, the demo CA. */
static SSL_CTX *
both_sides_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());

    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, tu_pki("server.crt")), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki("server-plain.key"), SSL_FILETYPE_PEM),
                     1);
    assert_int_equal(SSL_CTX_load_verify_file(ctx, tu_pki("ca.crt")), 1);
    SSL_CTX_set_max_proto_version(ctx,
                                  TLS1_2_VERSION); /* sessions at once, no tickets to wait for */
    return ctx;
}

static sslplug_host *
server_host(tu_report *rep)
{
    sslplug_host *h = tu_host_entry("\"role\": \"server\"", "info",
                                    "{\"plugin\": \"info_log\", \"events\": [\"handshake_done\"]}");

    tu_report_attach(h, rep);
    return h;
}

static sslplug_host *
client_host(tu_report *rep, const char *tag)
{
    sslplug_host *h = tu_host_entry(TU_CLIENT_CONTEXT, "verify",
                                    "{\"plugin\": \"%s\", \"config\": {\"tag\": \"%s\"}}",
                                    tu_test_plugin("cb_verify_record"), tag);

    tu_report_attach(h, rep);
    return h;
}

/* One handshake on ctx offering sess (NULL: none); whether it resumed; its session in *out. */
static int
connect_with(SSL_CTX *ctx, SSL_CTX *server_ctx, SSL_SESSION *sess, SSL_SESSION **out)
{
    sslplug_pair pair;
    int resumed;

    assert_int_equal(sslplug_pair_init(&pair, server_ctx, ctx, "localhost"), 1);
    /* Only the connecting side verifies: the mode is per connection, the callback sslplug's. */
    SSL_set_verify(pair.client, SSL_VERIFY_PEER, SSL_CTX_get_verify_callback(ctx));
    if (sess != NULL) {
        assert_int_equal(SSL_set_session(pair.client, sess), 1);
    }
    if (!sslplug_pair_handshake(&pair)) {
        print_error("handshake failed: server: %s; client: %s\n", pair.server_error,
                    pair.client_error);
        fail();
    }
    resumed = SSL_session_reused(pair.client);
    if (out != NULL) {
        *out = SSL_get1_session(pair.client);
    }
    /* A connection freed without a clean shutdown has its session dropped. */
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return resumed;
}

static void
test_roles_each_connection_runs_its_sides_configuration(void **state)
{
    tu_report srv = {0}, cli = {0};
    sslplug_host *server = server_host(&srv), *client = client_host(&cli, "c");
    SSL_CTX *ctx = both_sides_ctx();
    sslplug_error err;

    (void)state;
    assert_int_equal(sslplug_ctx_apply_roles(server, client, ctx, 0, &err), 1);
    /* The mode is the application's; sslplug's callback is the context's. */
    assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
    assert_non_null(SSL_CTX_get_verify_callback(ctx));
    assert_int_equal(connect_with(ctx, ctx, NULL, NULL), 0);
    /* The accepting side ran the server's info entry only, the connecting side the client's verify.
     */
    assert_true(srv.trace.count[SSLPLUG_CB_INFO] > 0);
    assert_int_equal(srv.trace.count[SSLPLUG_CB_VERIFY], 0);
    assert_int_equal(cli.trace.count[SSLPLUG_CB_VERIFY], 2);
    assert_int_equal(cli.trace.count[SSLPLUG_CB_INFO], 0);
    SSL_CTX_free(ctx);
    sslplug_host_free(server);
    sslplug_host_free(client);
    tu_report_free(&srv);
    tu_report_free(&cli);
}

/*
 * The server's configuration has a verify_connection entry, the client's
 * none: OpenSSL's cert-verify callback is the context's, and the connecting
 * side still verifies as its own configuration says.
 */
static void
test_roles_side_without_verify_connection_verifies_as_usual(void **state)
{
    tu_report cli = {0};
    sslplug_host *server = tu_host_entry(
        "\"role\": \"server\", \"verify\": \"peer\", \"ca_file\": \"pki/ca.crt\"",
        "verify_connection",
        "{\"plugin\": \"verify_spiffe\", \"config\": {\"trust_domain\": \"example.org\"}}");
    sslplug_host *client = client_host(&cli, "c");
    SSL_CTX *ctx = both_sides_ctx();
    sslplug_error err;

    (void)state;
    assert_int_equal(sslplug_ctx_apply_roles(server, client, ctx, 0, &err), 1);
    assert_int_equal(connect_with(ctx, ctx, NULL, NULL), 0);
    assert_int_equal(cli.trace.count[SSLPLUG_CB_VERIFY], 2);
    SSL_CTX_free(ctx);
    sslplug_host_free(server);
    sslplug_host_free(client);
    tu_report_free(&cli);
}

static void
test_roles_refuse_a_configuration_of_the_wrong_role(void **state)
{
    tu_report a = {0}, b = {0};
    sslplug_host *server = server_host(&a), *client = client_host(&b, "c");
    SSL_CTX *ctx = both_sides_ctx();
    sslplug_error err;

    (void)state;
    assert_int_equal(sslplug_ctx_apply_roles(client, NULL, ctx, 0, &err), 0);
    tu_error_assert(&err, SSLPLUG_E_ARGUMENT, "/context/role", "given as the server configuration");
    SSL_CTX_free(ctx);
    ctx = both_sides_ctx();
    assert_int_equal(sslplug_ctx_apply_roles(NULL, NULL, ctx, 0, &err), 0);
    tu_error_assert(&err, SSLPLUG_E_ARGUMENT, "", NULL);
    SSL_CTX_free(ctx);
    sslplug_host_free(server);
    sslplug_host_free(client);
    tu_report_free(&a);
    tu_report_free(&b);
}

/*
 * A client connection marks its session with the client configuration's
 * digest, not the context's (the server's): it resumes on the same
 * context, and a session made under another client configuration is
 * dropped before the ClientHello, so its handshake is a full one.
 */
static void
test_roles_client_sessions_carry_their_configuration(void **state)
{
    tu_report srv = {0}, one = {0}, two = {0};
    sslplug_host *server = server_host(&srv), *client = client_host(&one, "one"),
                 *other = client_host(&two, "two");
    SSL_CTX *ctx = both_sides_ctx(), *ctx2 = both_sides_ctx();
    SSL_SESSION *sess = NULL, *again = NULL, *foreign = NULL;

    (void)state;
    assert_int_equal(sslplug_ctx_apply_roles(server, client, ctx, 0, NULL), 1);
    assert_int_equal(sslplug_ctx_apply_roles(server, other, ctx2, 0, NULL), 1);
    assert_int_equal(connect_with(ctx, ctx, NULL, &sess), 0);
    assert_non_null(sess);
    assert_int_equal(connect_with(ctx, ctx, sess, &again), 1);
    /* ctx2's client configuration differs: the session is not resumed, and verify runs. */
    assert_int_equal(connect_with(ctx2, ctx, sess, &foreign), 0);
    assert_int_equal(two.trace.count[SSLPLUG_CB_VERIFY], 2);
    SSL_SESSION_free(sess);
    SSL_SESSION_free(again);
    SSL_SESSION_free(foreign);
    SSL_CTX_free(ctx);
    SSL_CTX_free(ctx2);
    sslplug_host_free(server);
    sslplug_host_free(client);
    sslplug_host_free(other);
    tu_report_free(&srv);
    tu_report_free(&one);
    tu_report_free(&two);
}

static void
test_roles_add_trust_only_when_asked(void **state)
{
    tu_report rep = {0};
    sslplug_host *client = client_host(&rep, "c");
    SSL_CTX *plain = SSL_CTX_new(TLS_method()), *widened = SSL_CTX_new(TLS_method());

    (void)state;
    assert_int_equal(sslplug_ctx_apply_roles(NULL, client, plain, 0, NULL), 1);
    assert_int_equal(sslplug_ctx_apply_roles(NULL, client, widened, SSLPLUG_ROLES_ADD_TRUST, NULL),
                     1);
    assert_int_equal(sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(plain))), 0);
    assert_true(sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(widened))) > 0);
    SSL_CTX_free(plain);
    SSL_CTX_free(widened);
    sslplug_host_free(client);
    tu_report_free(&rep);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_each_connection_runs_its_sides_configuration),
        cmocka_unit_test(test_roles_side_without_verify_connection_verifies_as_usual),
        cmocka_unit_test(test_roles_refuse_a_configuration_of_the_wrong_role),
        cmocka_unit_test(test_roles_client_sessions_carry_their_configuration),
        cmocka_unit_test(test_roles_add_trust_only_when_asked),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
