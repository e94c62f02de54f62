/*
 * The settings a server's TLS block needs (issue #15), each in real
 * handshakes: ALPN, OpenSSL's own settings, revocation lists, OCSP stapling
 * and its checking, session settings, keys from PKCS#12 bundles and
 * OSSL_STORE URIs.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ocsp.h>

/* A context from JSON (relative paths from the demo directory); the host is freed at once. */
static SSL_CTX *ctx_of(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static SSL_CTX *
ctx_of(const char *fmt, ...)
{
    char *json = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&json, fmt, ap) > 0);
    va_end(ap);
    host = tu_host("%s", json);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    free(json);
    return ctx;
}

#define SERVER                                                                                     \
    "\"role\": \"server\", \"certificate\": \"pki/server.crt\", \"private_key\": "                 \
    "\"pki/server-plain.key\""
#define CLIENT "\"role\": \"client\", \"ca_file\": \"pki/ca.crt\""

/* The error making a context from this JSON gives. */
static void
expect_error(sslplug_code code, const char *pointer, const char *fragment, const char *json)
{
    sslplug_host *host = tu_host("%s", json);

    tu_ctx_assert_error(host, code, pointer, fragment);
    sslplug_host_free(host);
}

/* ---- ALPN ---- */

static void
test_settings_alpn_server_preference(void **state)
{
    SSL_CTX *server =
        ctx_of("{\"version\": 1, \"context\": {" SERVER ", \"alpn\": [\"h2\", \"http/1.1\"]}}");
    SSL_CTX *client =
        ctx_of("{\"version\": 1, \"context\": {" CLIENT ", \"alpn\": [\"http/1.1\", \"h2\"]}}");
    const unsigned char *proto;
    unsigned len = 0;
    sslplug_pair pair;

    (void)state;
    tu_handshake_expect(server, client, &pair, 1);
    /* The server's order wins over the client's. */
    SSL_get0_alpn_selected(pair.client, &proto, &len);
    assert_int_equal(len, 2);
    assert_memory_equal(proto, "h2", 2);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_settings_alpn_no_overlap(void **state)
{
    SSL_CTX *reject = ctx_of("{\"version\": 1, \"context\": {" SERVER ", \"alpn\": [\"h2\"]}}");
    SSL_CTX *cont = ctx_of("{\"version\": 1, \"context\": {" SERVER
                           ", \"alpn\": [\"h2\"], \"alpn_mismatch\": \"continue\"}}");
    SSL_CTX *client = ctx_of("{\"version\": 1, \"context\": {" CLIENT ", \"alpn\": [\"imap\"]}}");
    const unsigned char *proto = NULL;
    unsigned len = 0;
    sslplug_pair pair;

    (void)state;
    tu_handshake_expect(reject, client, &pair, 0);
    assert_non_null(strstr(pair.client_error, "no application protocol"));
    sslplug_pair_cleanup(&pair);
    tu_handshake_expect(cont, client, &pair, 1);
    SSL_get0_alpn_selected(pair.client, &proto, &len);
    assert_int_equal(len, 0);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(cont);
    SSL_CTX_free(reject);
}

static void
test_settings_alpn_misuse_refused(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(tu_host_try(&err, "{\"version\": 1, \"context\": {" SERVER ", \"alpn\": []}}"));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/alpn", "non-empty array");
    assert_null(tu_host_try(&err, "{\"version\": 1, \"context\": {" SERVER ", \"alpn\": [\"\"]}}"));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/alpn/0", "1 to 255 bytes");
    assert_null(tu_host_try(&err, "{\"version\": 1, \"context\": {" SERVER
                                  ", \"alpn_mismatch\": \"continue\"}}"));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/alpn_mismatch", "give \"alpn\"");
    assert_null(tu_host_try(&err, "{\"version\": 1, \"context\": {" CLIENT
                                  ", \"alpn\": [\"h2\"], \"alpn_mismatch\": \"continue\"}}"));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/alpn_mismatch", "a server's setting");
}

/* ---- OpenSSL's own settings ---- */

static void
test_settings_openssl_groups_in_force(void **state)
{
    SSL_CTX *server =
        ctx_of("{\"version\": 1, \"context\": {" SERVER ", \"openssl\": {\"Groups\": \"P-384\"}}}");
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    tu_handshake_expect(server, client, &pair, 1);
    assert_int_equal(SSL_get_negotiated_group(pair.client), NID_secp384r1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
}

static void
test_settings_openssl_errors_name_the_key(void **state)
{
    (void)state;
    expect_error(SSLPLUG_E_CONFIG, "/context/openssl/NoSuchSetting",
                 "not an OpenSSL setting for a server",
                 "{\"version\": 1, \"context\": {" SERVER
                 ", \"openssl\": {\"Groups\": \"P-256\", \"NoSuchSetting\": \"1\"}}}");
    expect_error(SSLPLUG_E_TLS, "/context/openssl/Groups", "OpenSSL refused Groups \"nonsense\"",
                 "{\"version\": 1, \"context\": {" SERVER
                 ", \"openssl\": {\"Groups\": \"nonsense\"}}}");
    /* Files go through sslplug's keys and their checks. */
    expect_error(SSLPLUG_E_CONFIG, "/context/openssl/Certificate", "not an OpenSSL setting",
                 "{\"version\": 1, \"context\": {" SERVER
                 ", \"openssl\": {\"Certificate\": \"pki/server.crt\"}}}");
}

/* ---- revocation lists ---- */

/* A server requiring client certificates, trusting the CA, with the CRL members given. */
static SSL_CTX *
crl_server(const char *crl_members)
{
    return ctx_of("{\"version\": 1, \"context\": {" SERVER ", \"ca_file\": \"pki/ca.crt\","
                  " \"verify\": \"require\"%s}}",
                  crl_members);
}

static SSL_CTX *
certified_client(void)
{
    SSL_CTX *client = tu_plain_client(1);

    tu_ctx_use_cert(client, "client");
    return client;
}

static void
test_settings_crl_revokes_client_then_reload_accepts(void **state)
{
    char *dir = tu_tmpdir(), *crl = tu_make_crl(dir, "crl.pem", "client.crt", 0), *json = NULL;
    char *conf;
    SSL_CTX *server, *client = certified_client();
    sslplug_error err;
    sslplug_host *host;
    sslplug_pair pair;

    (void)state;
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                         "\"%s\", \"private_key\": \"%s\", \"ca_file\": \"%s\", \"verify\": "
                         "\"require\", \"crl_file\": \"crl.pem\", \"crl_check\": \"leaf\"}}",
                         tu_pki("server.crt"), tu_pki("server-plain.key"), tu_pki("ca.crt")) > 0);
    conf = tu_write(dir, "server.json", json, 0644);
    assert_non_null(host = sslplug_host_load(conf, &err));
    server = tu_ctx(host);
    tu_handshake_expect(server, client, &pair, 0);
    assert_int_equal(SSL_get_verify_result(pair.server), X509_V_ERR_CERT_REVOKED);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    /* The same file name now lists nothing: after a reload, the client is accepted. */
    free(tu_make_crl(dir, "crl.pem", NULL, 0));
    assert_int_equal(sslplug_host_reload(host, &err), 1);
    server = tu_ctx(host);
    tu_handshake_expect(server, client, &pair, 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    sslplug_host_free(host);
    SSL_CTX_free(client);
    free(conf);
    free(json);
    free(crl);
    tu_rmtree(dir);
}

static void
test_settings_crl_path_and_chain(void **state)
{
    char *dir = tu_tmpdir(), *crl = tu_make_crl(dir, "any-name.pem", "client.crt", 0);
    char *members = NULL;
    SSL_CTX *server, *client = certified_client();
    sslplug_pair pair;

    (void)state;
    assert_true(asprintf(&members, ", \"crl_path\": \"%s\", \"crl_check\": \"chain\"", dir) > 0);
    server = crl_server(members);
    tu_handshake_expect(server, client, &pair, 0);
    assert_int_equal(SSL_get_verify_result(pair.server), X509_V_ERR_CERT_REVOKED);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(members);
    free(crl);
    tu_rmtree(dir);
}

static void
test_settings_crl_misuse_refused(void **state)
{
    char *dir = tu_tmpdir(), *json = NULL;
    sslplug_error err;

    (void)state;
    assert_null(
        tu_host_try(&err, "{\"version\": 1, \"context\": {" SERVER ", \"crl_check\": \"leaf\"}}"));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/crl_check", "give crl_file or crl_path");
    /* A certificate where CRLs belong. */
    assert_true(asprintf(&json, "{\"version\": 1, \"context\": {" SERVER ", \"crl_file\": \"%s\"}}",
                         tu_pki("ca.crt")) > 0);
    expect_error(SSLPLUG_E_CERTIFICATE, "/context/crl_file", "holds a certificate", json);
    free(json);
    tu_rmtree(dir);
}

/* ---- OCSP ---- */

/* A server stapling file, and a client with "ocsp" mode. */
static SSL_CTX *
stapling_server(const char *file)
{
    return ctx_of("{\"version\": 1, \"context\": {" SERVER ", \"ocsp_staple\": \"%s\"}}", file);
}

static SSL_CTX *
ocsp_client(const char *mode)
{
    return ctx_of("{\"version\": 1, \"context\": {" CLIENT ", \"ocsp\": \"%s\"}}", mode);
}

/* The outcome of a handshake, and the client's verification result. */
static int
ocsp_outcome(SSL_CTX *server, SSL_CTX *client, long *result)
{
    sslplug_pair pair;
    int ok = tu_handshake(server, client, &pair);

    *result = SSL_get_verify_result(pair.client);
    sslplug_pair_cleanup(&pair);
    return ok;
}

/* An application's status callback that accepts whatever it is given. */
static int
app_status_cb(SSL *ssl, void *arg)
{
    (void)ssl;
    (void)arg;
    return 1;
}

/*
 * A context of the application's that has its own status callback:
 * "require" is the configuration's word all the same, and a server with no
 * staple is refused.
 */
static void
test_settings_ocsp_require_over_application_status_cb(void **state)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {" CLIENT ", \"ocsp\": \"require\"}}");
    SSL_CTX *client = SSL_CTX_new(TLS_client_method()), *server = tu_plain_server(0);
    sslplug_error err;
    long result;

    (void)state;
    assert_non_null(client);
    assert_int_equal(SSL_CTX_set_tlsext_status_cb(client, app_status_cb), 1);
    assert_int_equal(sslplug_ctx_apply(host, client, &err), 1);
    assert_int_equal(ocsp_outcome(server, client, &result), 0);
    assert_int_equal(result, X509_V_ERR_OCSP_VERIFY_NEEDED);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    sslplug_host_free(host);
}

static void
test_settings_ocsp_good_revoked_stale(void **state)
{
    char *dir = tu_tmpdir();
    char *good = tu_make_ocsp(dir, "good.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    char *revoked = tu_make_ocsp(dir, "revoked.der", "server.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    char *stale = tu_make_ocsp(dir, "stale.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 1);
    SSL_CTX *require = ocsp_client("require");
    SSL_CTX *s_good = stapling_server(good), *s_revoked = stapling_server(revoked);
    SSL_CTX *s_stale = stapling_server(stale), *s_none = tu_plain_server(0);
    long result;

    (void)state;
    assert_int_equal(ocsp_outcome(s_good, require, &result), 1);
    assert_int_equal(result, X509_V_OK);
    assert_int_equal(ocsp_outcome(s_revoked, require, &result), 0);
    assert_int_equal(result, X509_V_ERR_CERT_REVOKED);
    /* An expired response is not stapled at all: "require" then finds none. */
    assert_int_equal(ocsp_outcome(s_stale, require, &result), 0);
    assert_int_equal(result, X509_V_ERR_OCSP_VERIFY_NEEDED);
    assert_int_equal(ocsp_outcome(s_none, require, &result), 0);
    assert_int_equal(result, X509_V_ERR_OCSP_VERIFY_NEEDED);
    SSL_CTX_free(s_none);
    SSL_CTX_free(s_stale);
    SSL_CTX_free(s_revoked);
    SSL_CTX_free(s_good);
    SSL_CTX_free(require);
    free(good);
    free(revoked);
    free(stale);
    tu_rmtree(dir);
}

static void
test_settings_ocsp_if_present(void **state)
{
    char *dir = tu_tmpdir();
    char *revoked = tu_make_ocsp(dir, "revoked.der", "server.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    SSL_CTX *client = ocsp_client("if_present");
    SSL_CTX *s_none = tu_plain_server(0), *s_revoked = stapling_server(revoked);
    long result;

    (void)state;
    assert_int_equal(ocsp_outcome(s_none, client, &result), 1);
    assert_int_equal(ocsp_outcome(s_revoked, client, &result), 0);
    assert_int_equal(result, X509_V_ERR_CERT_REVOKED);
    SSL_CTX_free(s_revoked);
    SSL_CTX_free(s_none);
    SSL_CTX_free(client);
    free(revoked);
    tu_rmtree(dir);
}

/*
 * Responses made the way an operator makes them, by openssl ocsp from an
 * index file (the OpenSSL CA's database): good, then the same certificate
 * marked revoked.
 */
static char *
openssl_ocsp_response(const char *dir, const char *name, int revoked)
{
    char *out = NULL, *serial, *subject, *index = NULL, *path = tu_path_join(dir, name);
    char *nl;

    assert_int_equal(tu_run(&out, "openssl x509 -in %s -noout -serial", tu_pki("server.crt")), 0);
    serial = strdup(strchr(out, '=') + 1);
    free(out);
    assert_int_equal(
        tu_run(&out, "openssl x509 -in %s -noout -subject -nameopt compat", tu_pki("server.crt")),
        0);
    subject = strdup(strchr(out, '=') + 1);
    free(out);
    if ((nl = strchr(serial, '\n')) != NULL) {
        *nl = '\0';
    }
    if ((nl = strchr(subject, '\n')) != NULL) {
        *nl = '\0';
    }
    assert_true(asprintf(&index, "%s\t301231235959Z\t%s\t%s\tunknown\t%s\n", revoked ? "R" : "V",
                         revoked ? "240101000000Z,keyCompromise" : "", serial, subject) > 0);
    free(tu_write(dir, "index.txt", index, 0644));
    assert_int_equal(tu_run(&out, "openssl ocsp -issuer %s -cert %s -no_nonce -reqout %s/req.der",
                            tu_pki("ca.crt"), tu_pki("server.crt"), dir),
                     0);
    free(out);
    assert_int_equal(tu_run(&out,
                            "openssl ocsp -index %s/index.txt -rsigner %s -rkey %s -CA %s -reqin "
                            "%s/req.der -respout %s -ndays 1",
                            dir, tu_pki("ca.crt"), tu_pki("ca.key"), tu_pki("ca.crt"), dir, path),
                     0);
    free(out);
    free(index);
    free(subject);
    free(serial);
    return path;
}

static void
test_settings_ocsp_responses_from_openssl_ocsp(void **state)
{
    char *dir = tu_tmpdir();
    char *good = openssl_ocsp_response(dir, "good.der", 0);
    char *revoked = openssl_ocsp_response(dir, "revoked.der", 1);
    SSL_CTX *client = ocsp_client("require");
    SSL_CTX *s_good = stapling_server(good), *s_revoked = stapling_server(revoked);
    long result;

    (void)state;
    assert_int_equal(ocsp_outcome(s_good, client, &result), 1);
    assert_int_equal(ocsp_outcome(s_revoked, client, &result), 0);
    assert_int_equal(result, X509_V_ERR_CERT_REVOKED);
    SSL_CTX_free(s_revoked);
    SSL_CTX_free(s_good);
    SSL_CTX_free(client);
    free(good);
    free(revoked);
    tu_rmtree(dir);
}

/* A staple of another certificate's status proves nothing of the server's. */
static void
test_settings_ocsp_response_for_another_certificate(void **state)
{
    char *dir = tu_tmpdir();
    char *other = tu_make_ocsp(dir, "other.der", "client.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    SSL_CTX *client = ocsp_client("require"), *server = stapling_server(other);
    long result;

    (void)state;
    assert_int_equal(ocsp_outcome(server, client, &result), 0);
    assert_int_equal(result, X509_V_ERR_OCSP_CERT_UNKNOWN);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(other);
    tu_rmtree(dir);
}

/* The file is read again when it changes: no reload, no new context. */
static void
test_settings_ocsp_staple_reread(void **state)
{
    char *dir = tu_tmpdir();
    char *staple = tu_make_ocsp(dir, "staple.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 0);
    SSL_CTX *client = ocsp_client("require"), *server = stapling_server(staple);
    char *tmp;
    long result;

    (void)state;
    assert_int_equal(ocsp_outcome(server, client, &result), 1);
    tmp = tu_make_ocsp(dir, "new.der", "server.crt", V_OCSP_CERTSTATUS_REVOKED, 0);
    assert_int_equal(rename(tmp, staple), 0);
    assert_int_equal(ocsp_outcome(server, client, &result), 0);
    assert_int_equal(result, X509_V_ERR_CERT_REVOKED);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(tmp);
    free(staple);
    tu_rmtree(dir);
}

static void
test_settings_ocsp_misuse_refused(void **state)
{
    char *dir = tu_tmpdir(), *junk = tu_write(dir, "junk.der", "not DER", 0644), *json = NULL;
    sslplug_error err;

    (void)state;
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {" SERVER ", \"ocsp_staple\": \"%s\"}}",
                         junk) > 0);
    expect_error(SSLPLUG_E_CERTIFICATE, "/context/ocsp_staple", "not a DER OCSP response", json);
    assert_null(
        tu_host_try(&err, "{\"version\": 1, \"context\": {" SERVER ", \"ocsp\": \"require\"}}"));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/context/ocsp", "a client's setting");
    free(json);
    free(junk);
    tu_rmtree(dir);
}

/* ---- sessions ---- */

/* One TLS 1.2 connection; returns its client session (a reference). */
static SSL_SESSION *
session_from(SSL_CTX *server, SSL_CTX *client, SSL_SESSION *resume, int *reused,
             long *server_timeout)
{
    sslplug_pair pair;
    SSL_SESSION *sess;

    assert_int_equal(sslplug_pair_init(&pair, server, client, "localhost"), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    *reused = SSL_session_reused(pair.client);
    sess = SSL_get1_session(pair.client);
    if (server_timeout != NULL) {
        *server_timeout = SSL_SESSION_get_timeout(SSL_get_session(pair.server));
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return sess;
}

static void
test_settings_sessions(void **state)
{
    SSL_CTX *no_tickets = ctx_of("{\"version\": 1, \"context\": {" SERVER
                                 ", \"max_protocol\": \"TLSv1.2\", \"session_tickets\": false,"
                                 " \"session_timeout\": 60}}");
    SSL_CTX *no_cache = ctx_of("{\"version\": 1, \"context\": {" SERVER
                               ", \"max_protocol\": \"TLSv1.2\", \"session_tickets\": false,"
                               " \"session_cache_size\": 0}}");
    SSL_CTX *client = tu_plain_client(1);
    SSL_SESSION *sess, *again;
    long timeout = 0;
    int reused;

    (void)state;
    sess = session_from(no_tickets, client, NULL, &reused, &timeout);
    assert_int_equal(SSL_SESSION_has_ticket(sess), 0);
    /* The server's sessions expire after its session_timeout. */
    assert_int_equal(timeout, 60);
    assert_int_equal(SSL_CTX_get_timeout(no_tickets), 60);
    /* Resumed by session id, from the internal cache. */
    again = session_from(no_tickets, client, sess, &reused, NULL);
    assert_int_equal(reused, 1);
    SSL_SESSION_free(again);
    SSL_SESSION_free(sess);
    /* Without tickets and without the cache, nothing resumes. */
    sess = session_from(no_cache, client, NULL, &reused, NULL);
    again = session_from(no_cache, client, sess, &reused, NULL);
    assert_int_equal(reused, 0);
    SSL_SESSION_free(again);
    SSL_SESSION_free(sess);
    SSL_CTX_free(client);
    SSL_CTX_free(no_cache);
    SSL_CTX_free(no_tickets);
}

/* ---- keys that are not PEM files ---- */

static void
test_settings_pkcs12_with_password_source(void **state)
{
    char *dir = tu_tmpdir(), *p12 = tu_path_join(dir, "server.p12"), *pass;
    SSL_CTX *server, *client = tu_plain_client(1);
    sslplug_pair pair;
    char *out = NULL;

    (void)state;
    pass = tu_write(dir, "p12.pass", "p12-secret\n", 0600);
    assert_int_equal(tu_run(&out,
                            "openssl pkcs12 -export -in %s -inkey %s -certfile %s -out %s "
                            "-passout pass:p12-secret",
                            tu_pki("server.crt"), tu_pki("server-plain.key"), tu_pki("ca.crt"),
                            p12),
                     0);
    free(out);
    assert_int_equal(chmod(p12, 0600), 0);
    server = ctx_of("{\"version\": 1, \"context\": {\"role\": \"server\", \"pkcs12\": \"%s\"},"
                    " \"callbacks\": {\"password\": {\"plugin\": \"password_file\", \"config\":"
                    " {\"path\": \"%s\"}}}}",
                    p12, pass);
    tu_handshake_expect(server, client, &pair, 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    /* A wrong password is the password's failure, naming the bundle. */
    free(tu_write(dir, "p12.pass", "wrong\n", 0600));
    {
        char *json = NULL;

        assert_true(asprintf(&json,
                             "{\"version\": 1, \"context\": {\"role\": \"server\", \"pkcs12\": "
                             "\"%s\"}, \"callbacks\": {\"password\": {\"plugin\": "
                             "\"password_file\", \"config\": {\"path\": \"%s\"}}}}",
                             p12, pass) > 0);
        expect_error(SSLPLUG_E_PRIVATE_KEY, "/context/pkcs12", "wrong password for PKCS#12 bundle",
                     json);
        free(json);
    }
    SSL_CTX_free(client);
    free(pass);
    free(p12);
    tu_rmtree(dir);
}

static void
test_settings_store_uris(void **state)
{
    SSL_CTX *server, *client = tu_plain_client(1);
    sslplug_pair pair;

    (void)state;
    /* file: URIs through OSSL_STORE; the encrypted key through the password source. */
    server =
        ctx_of("{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
               "\"file:%s\", \"private_key\": \"file://%s\"}, \"callbacks\": {\"password\":"
               " {\"plugin\": \"password_file\", \"config\": {\"path\": \"pki/server.pass\"}}}}",
               tu_pki("server.crt"), tu_pki("server.key"));
    tu_handshake_expect(server, client, &pair, 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    expect_error(SSLPLUG_E_CERTIFICATE, "/context/certificate", "names an absolute path",
                 "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                 "\"file:relative.pem\", \"private_key\": \"pki/server-plain.key\"}}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_settings_alpn_server_preference),
        cmocka_unit_test(test_settings_alpn_no_overlap),
        cmocka_unit_test(test_settings_alpn_misuse_refused),
        cmocka_unit_test(test_settings_openssl_groups_in_force),
        cmocka_unit_test(test_settings_openssl_errors_name_the_key),
        cmocka_unit_test(test_settings_crl_revokes_client_then_reload_accepts),
        cmocka_unit_test(test_settings_crl_path_and_chain),
        cmocka_unit_test(test_settings_crl_misuse_refused),
        cmocka_unit_test(test_settings_ocsp_good_revoked_stale),
        cmocka_unit_test(test_settings_ocsp_require_over_application_status_cb),
        cmocka_unit_test(test_settings_ocsp_if_present),
        cmocka_unit_test(test_settings_ocsp_responses_from_openssl_ocsp),
        cmocka_unit_test(test_settings_ocsp_response_for_another_certificate),
        cmocka_unit_test(test_settings_ocsp_staple_reread),
        cmocka_unit_test(test_settings_ocsp_misuse_refused),
        cmocka_unit_test(test_settings_sessions),
        cmocka_unit_test(test_settings_pkcs12_with_password_source),
        cmocka_unit_test(test_settings_store_uris),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
