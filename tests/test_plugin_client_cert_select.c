/*
 * client_cert_select through real handshakes against a server that
 * requires a client certificate from the build's CA: the pair it picks
 * among several (issuer, validity, key), the chain walk through
 * intermediates in the certificate file, "dir" loading in name order,
 * sending none (and saying why) when nothing fits, a server that names no
 * CA, and every init error with its JSON pointer.
 *
 * Certificates the build's PKI lacks (expired, not yet valid, a second
 * client, an intermediate CA and its leaf) are made once per run with the
 * OpenSSL API, signed by pki/ca.key: the openssl CLI of 3.0 cannot backdate.
 */
#define _GNU_SOURCE /* asprintf, vasprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define ENTRY "/callbacks/client_cert"
#define DAY (24L * 60 * 60)

/* The scratch PKI made by setup: <dir>/<name>.crt and <dir>/<name>.key. */
static char *pki_dir;

static const char *
made(const char *name, const char *ext)
{
    static char slots[8][1024];
    static unsigned next;
    char *p = slots[next++ % 8];

    snprintf(p, sizeof(slots[0]), "%s/%s.%s", pki_dir, name, ext);
    return p;
}

/* ---- making certificates ---- */

static X509 *
read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x;

    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *
read_key(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

static void
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);

    assert_non_null(ext);
    assert_int_equal(X509_add_ext(x, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static void
write_pem(const char *path, X509 *cert, EVP_PKEY *key, X509 *also)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    if (cert != NULL) {
        assert_int_equal(PEM_write_X509(f, cert), 1);
    }
    if (also != NULL) {
        assert_int_equal(PEM_write_X509(f, also), 1);
    }
    if (key != NULL) {
        assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    }
    assert_int_equal(fclose(f), 0);
}

/*
 * A certificate for a new P-256 key, valid from `from` to `to` seconds
 * relative to now, issued by issuer/issuer_key; written as name.crt and
 * name.key.  Returns the certificate and key (the caller frees them).
 */
static void
make_cert(const char *name, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, long from, long to,
          int ca, X509 **cert_out, EVP_PKEY **key_out)
{
    static long serial = 1000;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *subject;
    X509V3_CTX v3;

    assert_non_null(key);
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), from));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), to));
    assert_int_equal(X509_set_pubkey(x, key), 1);
    subject = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                                (const unsigned char *)"sslplug demo", -1, -1, 0),
                     1);
    assert_int_equal(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                                (const unsigned char *)cn, -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(issuer)), 1);
    X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
    add_ext(x, &v3, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_ext(x, &v3, NID_key_usage,
            ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
    if (!ca) {
        add_ext(x, &v3, NID_ext_key_usage, "clientAuth");
    }
    add_ext(x, &v3, NID_subject_key_identifier, "hash");
    add_ext(x, &v3, NID_authority_key_identifier, "keyid");
    assert_true(X509_sign(x, issuer_key, EVP_sha256()) > 0);
    write_pem(made(name, "crt"), x, NULL, NULL);
    write_pem(made(name, "key"), NULL, key, NULL);
    *cert_out = x;
    *key_out = key;
}

static int
setup_pki(void **state)
{
    X509 *ca = read_cert(tu_pki("ca.crt"));
    EVP_PKEY *ca_key = read_key(tu_pki("ca.key"));
    X509 *x, *inter, *leaf;
    EVP_PKEY *k, *inter_key, *leaf_key;

    (void)state;
    pki_dir = tu_tmpdir();
    make_cert("expired", "sslplug-expired", ca, ca_key, -30 * DAY, -1 * DAY, 0, &x, &k);
    X509_free(x);
    EVP_PKEY_free(k);
    make_cert("future", "sslplug-future", ca, ca_key, 1 * DAY, 30 * DAY, 0, &x, &k);
    X509_free(x);
    EVP_PKEY_free(k);
    make_cert("second", "sslplug-second", ca, ca_key, -1 * DAY, 30 * DAY, 0, &x, &k);
    X509_free(x);
    EVP_PKEY_free(k);
    make_cert("inter", "sslplug intermediate CA", ca, ca_key, -1 * DAY, 30 * DAY, 1, &inter,
              &inter_key);
    make_cert("leaf", "sslplug-leaf", inter, inter_key, -1 * DAY, 30 * DAY, 0, &leaf, &leaf_key);
    /* The same leaf with its intermediate after it in one file. */
    write_pem(made("chain", "crt"), leaf, NULL, inter);
    write_pem(made("chain", "key"), NULL, leaf_key, NULL);
    X509_free(inter);
    X509_free(leaf);
    EVP_PKEY_free(inter_key);
    EVP_PKEY_free(leaf_key);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return 0;
}

static int
teardown_pki(void **state)
{
    (void)state;
    tu_rmtree(pki_dir);
    pki_dir = NULL;
    return 0;
}

/* ---- hosts, servers and what they report ---- */

/*
 * A client context whose client_cert entry has the config fmt describes;
 * relative paths in it are relative to base_dir (NULL: the demo directory).
 * NULL with err filled when refused.
 */
static SSL_CTX *client_ctx(tu_report *r, sslplug_error *err, const char *base_dir, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

static SSL_CTX *
client_ctx(tu_report *r, sslplug_error *err, const char *base_dir, const char *fmt, ...)
{
    char *config = NULL;
    char *json = NULL;
    sslplug_host *host;
    SSL_CTX *ctx = NULL;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&config, fmt, ap) >= 0);
    va_end(ap);
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                         "\"%s\", \"verify\": \"peer\"}, \"callbacks\": {\"client_cert\": "
                         "{\"plugin\": \"client_cert_select\", \"config\": %s}}}",
                         tu_pki("ca.crt"), config) >= 0);
    host = sslplug_host_load_string(json, base_dir != NULL ? base_dir : SSLPLUG_TEST_DEMO_DIR, err);
    free(config);
    free(json);
    if (host != NULL) {
        tu_report_attach(host, r);
        ctx = sslplug_ctx_new(host, err);
        sslplug_host_free(host);
    }
    return ctx;
}

static SSL_CTX *
must(SSL_CTX *ctx, const sslplug_error *err)
{
    if (ctx == NULL) {
        print_error("%s: %s: %s\n", sslplug_strerror(err->code), err->pointer, err->message);
    }
    assert_non_null(ctx);
    return ctx;
}

/* {"cert": "<made or pki path>.crt", "key": "...key"} */
static char *
pair_json(const char *cert, const char *key)
{
    char *s = NULL;

    assert_true(asprintf(&s, "{\"cert\": \"%s\", \"key\": \"%s\"}", cert, key) >= 0);
    return s;
}

/*
 * Handshake with a server requiring a client certificate from the build's
 * CA (its CA list names that CA only).  Returns 1 when it completed, with
 * the common name of the certificate the server got in cn ("" for none).
 */
static int
handshake_with(SSL_CTX *server, SSL_CTX *client, char *cn, size_t cnlen)
{
    sslplug_pair pair;
    X509 *peer;
    int ok = tu_handshake(server, client, &pair);

    cn[0] = '\0';
    peer = SSL_get0_peer_certificate(pair.server);
    if (peer != NULL) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, (int)cnlen);
    }
    sslplug_pair_cleanup(&pair);
    return ok;
}

static int
handshake(SSL_CTX *client, char *cn, size_t cnlen)
{
    SSL_CTX *server = tu_plain_server(1);
    int ok = handshake_with(server, client, cn, cnlen);

    SSL_CTX_free(server);
    return ok;
}

/* ---- choosing ---- */

static void
test_select_picks_acceptable_pair_among_several(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char cn[128];
    char *rogue = pair_json(tu_pki("rogue.crt"), tu_pki("rogue.key"));
    char *mismatched = pair_json(tu_pki("client.crt"), tu_pki("rogue.key"));
    char *expired = pair_json(made("expired", "crt"), made("expired", "key"));
    char *good = pair_json(tu_pki("client.crt"), tu_pki("client.key"));
    char *second = pair_json(made("second", "crt"), made("second", "key"));
    char *needle = NULL;
    SSL_CTX *client;

    (void)state;
    client = must(client_ctx(&r, &err, NULL, "{\"pairs\": [%s, %s, %s, %s, %s]}", rogue, mismatched,
                             expired, good, second),
                  &err);
    assert_true(handshake(client, cn, sizeof(cn)));
    assert_string_equal(cn, "sslplug-client");

    assert_true(asprintf(&needle,
                         "pair 0 (%s): skipped: issuer not acceptable: "
                         "\"CN=untrusted CA,O=sslplug elsewhere\"",
                         tu_pki("rogue.crt")) >= 0);
    tu_log_assert_has(&r.log, needle);
    free(needle);
    assert_true(asprintf(&needle, "pair 1 (%s): skipped: key mismatch: private key %s",
                         tu_pki("client.crt"), tu_pki("rogue.key")) >= 0);
    tu_log_assert_has(&r.log, needle);
    free(needle);
    assert_true(asprintf(&needle, "pair 2 (%s): skipped: expired: valid until ",
                         made("expired", "crt")) >= 0);
    tu_log_assert_has(&r.log, needle);
    free(needle);
    assert_true(asprintf(&needle, "pair 3 (%s): sending \"CN=sslplug-client,O=sslplug demo\"",
                         tu_pki("client.crt")) >= 0);
    tu_log_assert_has(&r.log, needle);
    free(needle);
    /* The first fitting pair is taken: the one after it is not even looked at. */
    assert_null(strstr(r.log.text, "pair 4 "));
    /* The mismatch was already reported when the pairs were loaded. */
    tu_log_assert_has(&r.log, "does not match certificate");
    assert_int_equal(
        tu_trace_has(&r.trace, "client_cert client_cert_select " ENTRY ": -> 1 sending "), 1);

    SSL_CTX_free(client);
    free(rogue);
    free(mismatched);
    free(expired);
    free(good);
    free(second);
    tu_report_free(&r);
}

/* Only what differs between the first two pairs decides; the valid one is sent. */
static void
one_skipped(const char *bad_cert, const char *bad_key, const char *reason)
{
    tu_report r = {0};
    sslplug_error err;
    char cn[128];
    char *bad = pair_json(bad_cert, bad_key);
    char *good = pair_json(tu_pki("client.crt"), tu_pki("client.key"));
    char *needle = NULL;
    SSL_CTX *client = must(client_ctx(&r, &err, NULL, "{\"pairs\": [%s, %s]}", bad, good), &err);

    assert_true(handshake(client, cn, sizeof(cn)));
    assert_string_equal(cn, "sslplug-client");
    assert_true(asprintf(&needle, "pair 0 (%s): skipped: %s", bad_cert, reason) >= 0);
    tu_log_assert_has(&r.log, needle);
    tu_log_assert_has(&r.log, "pair 1 (");
    SSL_CTX_free(client);
    free(needle);
    free(bad);
    free(good);
    tu_report_free(&r);
}

static void
test_select_skips_key_mismatched_pair(void **state)
{
    (void)state;
    one_skipped(made("second", "crt"), tu_pki("client.key"), "key mismatch");
}

static void
test_select_skips_expired_certificate(void **state)
{
    (void)state;
    one_skipped(made("expired", "crt"), made("expired", "key"), "expired: valid until ");
}

static void
test_select_skips_not_yet_valid_certificate(void **state)
{
    (void)state;
    one_skipped(made("future", "crt"), made("future", "key"), "not yet valid: valid from ");
}

static void
test_select_skips_unacceptable_issuer(void **state)
{
    (void)state;
    one_skipped(tu_pki("rogue.crt"), tu_pki("rogue.key"), "issuer not acceptable");
}

static void
test_select_sends_none_when_nothing_fits(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char cn[128];
    char *rogue = pair_json(tu_pki("rogue.crt"), tu_pki("rogue.key"));
    char *expired = pair_json(made("expired", "crt"), made("expired", "key"));
    char *future = pair_json(made("future", "crt"), made("future", "key"));
    char *mismatched = pair_json(tu_pki("client.crt"), made("second", "key"));
    SSL_CTX *client;

    (void)state;
    client = must(client_ctx(&r, &err, NULL, "{\"pairs\": [%s, %s, %s, %s]}", rogue, expired,
                             future, mismatched),
                  &err);
    /* The server requires a certificate: without one the handshake fails. */
    assert_false(handshake(client, cn, sizeof(cn)));
    assert_string_equal(cn, "");
    tu_log_assert_has(&r.log, "pair 0 (");
    tu_log_assert_has(&r.log, "skipped: issuer not acceptable");
    tu_log_assert_has(&r.log, "skipped: expired");
    tu_log_assert_has(&r.log, "skipped: not yet valid");
    tu_log_assert_has(&r.log, "skipped: key mismatch");
    tu_log_assert_has(&r.log, "none of the 4 pairs fits: sending no certificate");
    assert_int_equal(tu_trace_has(&r.trace, "client_cert client_cert_select " ENTRY ": -> 0\n"), 1);
    SSL_CTX_free(client);
    free(rogue);
    free(expired);
    free(future);
    free(mismatched);
    tu_report_free(&r);
}

/* An intermediate after the leaf in its file leads to the CA the server named. */
/* The chain a cert/client_cert entry sends to a server that trusts only the root. */
static int
chain_handshake(const char *type, char *cn, size_t cnlen)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
        " \"callbacks\": {\"%s\": {\"plugin\": \"client_cert_select\", \"config\": {\"pairs\":"
        " [{\"cert\": \"pki/client-int-chain.pem\", \"key\": \"pki/client-int.key\"}]}}}}",
        type);
    SSL_CTX *client = tu_ctx(host);
    int ok = handshake(client, cn, cnlen);

    SSL_CTX_free(client);
    sslplug_host_free(host);
    return ok;
}

/* As a cert callback (ABI 1.2) the intermediates go along; as client_cert only the leaf. */
static void
test_select_cert_type_sends_full_chain(void **state)
{
    char cn[128];

    (void)state;
    assert_true(chain_handshake("cert", cn, sizeof(cn)));
    assert_string_equal(cn, "sslplug-chain-client");
    assert_false(chain_handshake("client_cert", cn, sizeof(cn)));
}

static void
test_select_walks_intermediates_in_certificate_file(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char cn[128];
    char *alone = pair_json(made("leaf", "crt"), made("leaf", "key"));
    char *chained = pair_json(made("chain", "crt"), made("chain", "key"));
    SSL_CTX *client, *server;

    (void)state;
    client = must(client_ctx(&r, &err, NULL, "{\"pairs\": [%s, %s]}", alone, chained), &err);
    /* The server names only the root; it can build the chain from its own store. */
    server = tu_plain_server(1);
    {
        X509 *inter = read_cert(made("inter", "crt"));

        assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(server), inter), 1);
        X509_free(inter);
    }
    assert_true(handshake_with(server, client, cn, sizeof(cn)));
    assert_string_equal(cn, "sslplug-leaf");
    tu_log_assert_has(&r.log, "pair 0 (");
    tu_log_assert_has(&r.log,
                      "skipped: issuer not acceptable: \"CN=sslplug intermediate CA,O=sslplug "
                      "demo\" leads to none of the 1 CA names the server sent");
    tu_log_assert_has(&r.log, "pair 1 (");
    tu_log_assert_has(&r.log, "sending \"CN=sslplug-leaf,O=sslplug demo\"");
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(alone);
    free(chained);
    tu_report_free(&r);
}

/*
 * "dir" (relative to the configuration): NAME.crt or NAME.pem with NAME.key,
 * in name order, after the explicit "pairs"; a certificate without a key is
 * not a pair.
 */
static void
test_select_dir_pairs_in_name_order(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char cn[128];
    char *base = tu_tmpdir();
    char *dir = NULL;
    char *rogue = pair_json(tu_pki("rogue.crt"), tu_pki("rogue.key"));
    SSL_CTX *client;

    (void)state;
    assert_true(asprintf(&dir, "%s/certs", base) >= 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    /* Created out of order; "b" sorts before "c" whatever readdir says. */
    free(tu_file_copy(tu_pki("client.crt"), dir, "c-client.crt", 0644));
    free(tu_file_copy(tu_pki("client.key"), dir, "c-client.key", 0644));
    free(tu_file_copy(made("second", "crt"), dir, "b-second.pem", 0644));
    free(tu_file_copy(made("second", "key"), dir, "b-second.key", 0644));
    free(tu_file_copy(made("expired", "crt"), dir, "a-expired.crt", 0644));
    free(tu_file_copy(made("expired", "key"), dir, "a-expired.key", 0644));
    free(tu_file_copy(tu_pki("client.crt"), dir, "0-orphan.crt", 0644));
    free(tu_file_copy(tu_pki("client.key"), dir, "notes.key", 0644));

    client = must(client_ctx(&r, &err, base, "{\"dir\": \"certs\", \"pairs\": [%s]}", rogue), &err);
    assert_true(handshake(client, cn, sizeof(cn)));
    assert_string_equal(cn, "sslplug-second");
    /* pairs first, then a-expired, then b-second; no 0-orphan, no c-client needed. */
    tu_log_assert_has(&r.log, "pair 0 (");
    tu_log_assert_has(&r.log, "rogue.crt): skipped: issuer not acceptable");
    tu_log_assert_has(&r.log, "pair 1 (");
    tu_log_assert_has(&r.log, "/certs/a-expired.crt): skipped: expired");
    tu_log_assert_has(&r.log, "pair 2 (");
    tu_log_assert_has(&r.log, "/certs/b-second.pem): sending \"CN=sslplug-second,O=sslplug demo\"");
    assert_null(strstr(r.log.text, "0-orphan.crt): "));
    SSL_CTX_free(client);
    free(rogue);
    free(dir);
    tu_rmtree(base);
    tu_report_free(&r);
}

static int
accept_any(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1;
}

/* A server that names no CA accepts any issuer: the first usable pair is sent, as in Apache. */
static void
test_select_server_without_ca_names_gets_first_usable_pair(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char cn[128];
    char *expired = pair_json(made("expired", "crt"), made("expired", "key"));
    char *rogue = pair_json(tu_pki("rogue.crt"), tu_pki("rogue.key"));
    char *good = pair_json(tu_pki("client.crt"), tu_pki("client.key"));
    SSL_CTX *server = tu_plain_server(0);
    SSL_CTX *client;

    (void)state;
    SSL_CTX_set_verify(server, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
    client =
        must(client_ctx(&r, &err, NULL, "{\"pairs\": [%s, %s, %s]}", expired, rogue, good), &err);
    assert_true(handshake_with(server, client, cn, sizeof(cn)));
    assert_string_equal(cn, "localhost"); /* rogue.crt */
    tu_log_assert_has(&r.log, "the server named no acceptable CAs: any issuer will do");
    tu_log_assert_has(&r.log, "skipped: expired");
    assert_null(strstr(r.log.text, "issuer not acceptable"));
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(expired);
    free(rogue);
    free(good);
    tu_report_free(&r);
}

/* ---- configuration errors ---- */

static void
config_error(const char *base_dir, const char *config, const char *pointer, const char *what)
{
    tu_report r = {0};
    sslplug_error err;
    SSL_CTX *ctx = client_ctx(&r, &err, base_dir, "%s", config);

    SSL_CTX_free(ctx);
    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, what);
    tu_report_free(&r);
}

static void
test_select_config_errors(void **state)
{
    char *good = pair_json(tu_pki("client.crt"), tu_pki("client.key"));
    char *cfg = NULL;
    char *what = NULL;

    (void)state;
    config_error(NULL, "{}", ENTRY "/config", "expected \"dir\", \"pairs\" or both");
    config_error(NULL, "{\"pair\": []}", ENTRY "/config/pair", "unknown key \"pair\"");
    config_error(NULL, "{\"pairs\": {}}", ENTRY "/config/pairs",
                 "wrong type: expected array of objects, found object");
    config_error(NULL, "{\"pairs\": []}", ENTRY "/config/pairs", "empty array");
    config_error(NULL, "{\"pairs\": [\"client.crt\"]}", ENTRY "/config/pairs/0",
                 "wrong type: expected object, found string");
    config_error(NULL, "{\"pairs\": [{\"cert\": \"pki/client.crt\"}]}", ENTRY "/config/pairs/0/key",
                 "required key \"key\" is missing");
    config_error(NULL, "{\"pairs\": [{\"key\": \"pki/client.key\"}]}", ENTRY "/config/pairs/0/cert",
                 "required key \"cert\" is missing");
    config_error(NULL, "{\"pairs\": [{\"cert\": 5, \"key\": \"pki/client.key\"}]}",
                 ENTRY "/config/pairs/0/cert", "wrong type: expected string, found integer");
    config_error(NULL, "{\"pairs\": [{\"cert\": \"\", \"key\": \"pki/client.key\"}]}",
                 ENTRY "/config/pairs/0/cert", "empty string");
    config_error(NULL,
                 "{\"pairs\": [{\"cert\": \"pki/client.crt\", \"key\": \"pki/client.key\", "
                 "\"a/b\": 1}]}",
                 ENTRY "/config/pairs/0/a~1b", "unknown key \"a/b\"");
    config_error(NULL, "{\"dir\": 3}", ENTRY "/config/dir", "expected string, found integer");

    /* Files: the pointer names the pair's member, the message the file. */
    assert_true(asprintf(&cfg,
                         "{\"pairs\": [%s, {\"cert\": \"pki/client.crt\", \"key\": "
                         "\"pki/missing.key\"}]}",
                         good) >= 0);
    assert_true(asprintf(&what, "cannot open private key %s: No such file or directory",
                         tu_pki("missing.key")) >= 0);
    config_error(NULL, cfg, ENTRY "/config/pairs/1/key", what);
    free(cfg);
    free(what);
    config_error(NULL,
                 "{\"pairs\": [{\"cert\": \"pki/missing.crt\", \"key\": \"pki/client.key\"}]}",
                 ENTRY "/config/pairs/0/cert", "cannot open certificate");
    config_error(NULL, "{\"pairs\": [{\"cert\": \"pki/client.key\", \"key\": \"pki/client.key\"}]}",
                 ENTRY "/config/pairs/0/cert", "cannot read certificate");
    config_error(NULL, "{\"pairs\": [{\"cert\": \"pki/server.crt\", \"key\": \"pki/server.key\"}]}",
                 ENTRY "/config/pairs/0/key", "is encrypted: expected an unencrypted key");
    config_error(NULL, "{\"pairs\": [{\"cert\": \"pki/client.crt\", \"key\": \"pki/client.crt\"}]}",
                 ENTRY "/config/pairs/0/key", "cannot read private key");
    free(good);
}

static void
test_select_dir_errors(void **state)
{
    char *base = tu_tmpdir();
    char *empty = NULL, *broken = NULL, *what = NULL;

    (void)state;
    config_error(base, "{\"dir\": \"missing\"}", ENTRY "/config/dir", "cannot open directory");
    assert_true(asprintf(&empty, "%s/empty", base) >= 0);
    assert_int_equal(mkdir(empty, 0700), 0);
    free(tu_write(empty, "lonely.crt", "x", 0600));
    config_error(base, "{\"dir\": \"empty\"}", ENTRY "/config/dir", "no certificate/key pair in");
    assert_true(asprintf(&broken, "%s/broken", base) >= 0);
    assert_int_equal(mkdir(broken, 0700), 0);
    free(tu_write(broken, "x.crt", "not a certificate\n", 0600));
    free(tu_file_copy(tu_pki("client.key"), broken, "x.key", 0644));
    assert_true(asprintf(&what, "cannot read certificate %s/x.crt", broken) >= 0);
    config_error(base, "{\"dir\": \"broken\"}", ENTRY "/config/dir", what);
    free(what);
    free(empty);
    free(broken);
    tu_rmtree(base);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_picks_acceptable_pair_among_several),
        cmocka_unit_test(test_select_cert_type_sends_full_chain),
        cmocka_unit_test(test_select_skips_key_mismatched_pair),
        cmocka_unit_test(test_select_skips_expired_certificate),
        cmocka_unit_test(test_select_skips_not_yet_valid_certificate),
        cmocka_unit_test(test_select_skips_unacceptable_issuer),
        cmocka_unit_test(test_select_sends_none_when_nothing_fits),
        cmocka_unit_test(test_select_walks_intermediates_in_certificate_file),
        cmocka_unit_test(test_select_dir_pairs_in_name_order),
        cmocka_unit_test(test_select_server_without_ca_names_gets_first_usable_pair),
        cmocka_unit_test(test_select_config_errors),
        cmocka_unit_test(test_select_dir_errors),
    };

    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
