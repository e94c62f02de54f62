/*
 * cert_select_sni: the server's chain chosen by the client's SNI name from
 * a directory, through real handshakes.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

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

/* A server presenting pki/self.crt unless cert_select_sni picks a chain; rep may be NULL. */
static SSL_CTX *
server_ctx_report(const char *dir, const char *extra, tu_report *rep)
{
    return tu_ctx_entry(
        rep,
        "\"role\": \"server\", \"certificate\": \"pki/self.crt\", \"private_key\": "
        "\"pki/self.key\"",
        "cert", "{\"plugin\": \"cert_select_sni\", \"config\": {\"dir\": \"%s\"%s}}", dir, extra);
}

static SSL_CTX *
server_ctx(const char *dir, const char *extra)
{
    return server_ctx_report(dir, extra, NULL);
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

/* ---- chains made at test time: thousands, so with OpenSSL's API, not its command line ---- */

typedef struct issuer {
    X509 *ca;
    EVP_PKEY *ca_key;
    EVP_PKEY *key; /* every leaf's: a key per leaf would test nothing more */
    char *key_pem;
    size_t key_len;
    long serial;
    time_t now;
} issuer;

static void
issuer_init(issuer *is)
{
    FILE *f = fopen(tu_pki("ca.crt"), "r");
    BIO *mem = BIO_new(BIO_s_mem());
    char *data;
    long len;

    memset(is, 0, sizeof(*is));
    assert_non_null(f);
    assert_non_null(is->ca = PEM_read_X509(f, NULL, NULL, NULL));
    fclose(f);
    assert_non_null(f = fopen(tu_pki("ca.key"), "r"));
    assert_non_null(is->ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL));
    fclose(f);
    assert_non_null(is->key = EVP_EC_gen("P-256"));
    assert_non_null(mem);
    assert_int_equal(PEM_write_bio_PrivateKey(mem, is->key, NULL, NULL, 0, NULL, NULL), 1);
    len = BIO_get_mem_data(mem, &data);
    assert_true(len > 0);
    is->key_len = (size_t)len;
    assert_non_null(is->key_pem = malloc(is->key_len));
    memcpy(is->key_pem, data, is->key_len);
    BIO_free(mem);
    is->now = time(NULL);
}

static void
issuer_cleanup(issuer *is)
{
    X509_free(is->ca);
    EVP_PKEY_free(is->ca_key);
    EVP_PKEY_free(is->key);
    free(is->key_pem);
}

/*
 * dir/STEM.crt, a leaf signed by the demo CA with subject O=org (and CN=cn
 * unless NULL), subjectAltName sans ("DNS:a,DNS:b"; none when NULL), valid
 * from now + from_days to now + to_days; and dir/STEM.key.
 */
static void
make_chain(issuer *is, const char *dir, const char *stem, const char *org, const char *cn,
           const char *sans, long from_days, long to_days)
{
    X509 *x = X509_new();
    X509_NAME *subject = X509_get_subject_name(x);
    char *path = NULL;
    X509V3_CTX v3;
    FILE *f;

    assert_non_null(x);
    assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), ++is->serial), 1);
    assert_int_equal(X509_set_issuer_name(x, X509_get_subject_name(is->ca)), 1);
    assert_int_equal(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                                                (const unsigned char *)org, -1, -1, 0),
                     1);
    if (cn != NULL) {
        assert_int_equal(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                                                    (const unsigned char *)cn, -1, -1, 0),
                         1);
    }
    assert_non_null(X509_time_adj_ex(X509_getm_notBefore(x), (int)from_days, 0, &is->now));
    assert_non_null(X509_time_adj_ex(X509_getm_notAfter(x), (int)to_days, 0, &is->now));
    assert_int_equal(X509_set_pubkey(x, is->key), 1);
    if (sans != NULL) {
        X509_EXTENSION *ext;

        X509V3_set_ctx(&v3, is->ca, x, NULL, NULL, 0);
        assert_non_null(ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, sans));
        assert_int_equal(X509_add_ext(x, ext, -1), 1);
        X509_EXTENSION_free(ext);
    }
    assert_true(X509_sign(x, is->ca_key, EVP_sha256()) > 0);
    assert_true(asprintf(&path, "%s/%s.crt", dir, stem) > 0);
    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(PEM_write_X509(f, x), 1);
    assert_int_equal(fclose(f), 0);
    path[strlen(path) - 3] = '\0';
    strcat(path, "key");
    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(fwrite(is->key_pem, 1, is->key_len, f), is->key_len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0600), 0);
    free(path);
    X509_free(x);
}

/*
 * One handshake for name: the leaf sent must carry O=org.  With verify the
 * client checks the chain against the demo CA and the name against the leaf
 * (X509_check_host), so it also proves that the chain serves that name.
 */
static void
expect_chain(SSL_CTX *server, const char *name, const char *org, int verify)
{
    SSL_CTX *client = tu_plain_client(verify);
    sslplug_pair pair;
    char got[256] = "";
    X509 *peer;
    int ok;

    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    if (!verify) {
        SSL_set_verify(pair.client, SSL_VERIFY_NONE, NULL);
    }
    ok = sslplug_pair_handshake(&pair);
    if (ok && (peer = SSL_get0_peer_certificate(pair.client)) != NULL) {
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_organizationName, got,
                                  sizeof(got));
    }
    if (!ok || strcmp(got, org) != 0) {
        print_error("name %s: %s, O=%s; expected O=%s (client: %s)\n", name,
                    ok ? "completed" : "failed", got, org, pair.client_error);
    }
    assert_true(ok);
    assert_string_equal(got, org);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
}

#define MANY 3000

/*
 * MANY chains "chain-NNNN" (files cNNNN): seven in ten serve
 * hNNNN.many.example and alternative-NNNN.many.example (names alike up to
 * the number) by subjectAltName, and carry a commonName cnNNNN.many.example
 * that is therefore not served; two in ten serve *.wNNNN.many.example; one
 * in ten has no subjectAltName and serves its commonName hNNNN.many.example.
 */
static char *
many_chains(void)
{
    char *dir = tu_tmpdir(), stem[16], org[32], cn[64], sans[128];
    issuer is;

    issuer_init(&is);
    for (int i = 0; i < MANY; i++) {
        snprintf(stem, sizeof(stem), "c%04d", i);
        snprintf(org, sizeof(org), "chain-%04d", i);
        if (i % 10 < 7) {
            snprintf(cn, sizeof(cn), "cn%04d.many.example", i);
            snprintf(sans, sizeof(sans), "DNS:h%04d.many.example,DNS:alternative-%04d.many.example",
                     i, i);
        } else if (i % 10 < 9) {
            snprintf(cn, sizeof(cn), "cn%04d.many.example", i);
            snprintf(sans, sizeof(sans), "DNS:*.w%04d.many.example", i);
        } else {
            snprintf(cn, sizeof(cn), "h%04d.many.example", i);
        }
        make_chain(&is, dir, stem, org, cn, i % 10 < 9 ? sans : NULL, -1, 30);
    }
    issuer_cleanup(&is);
    return dir;
}

typedef struct many {
    char *dir;
    SSL_CTX *server;
} many;

static int
many_setup(void **state)
{
    many *m = calloc(1, sizeof(*m));

    assert_non_null(m);
    *state = m;
    m->dir = many_chains();
    m->server = server_ctx(m->dir, "");
    return 0;
}

static int
many_teardown(void **state)
{
    many *m = *state;

    if (m != NULL) {
        SSL_CTX_free(m->server);
        tu_rmtree(m->dir);
        free(m);
    }
    return 0;
}

/* Exact, second subjectAltName, wildcard and commonName-only names among MANY chains. */
static void
test_plugin_cert_select_sni_among_thousands(void **state)
{
    static const int sans[] = {0, 1, 6, 1000, 1234, 2995, 2996};
    static const int wild[] = {7, 8, 1507, 2997, 2998};
    static const int cns[] = {9, 19, 1509, 2999};
    const many *m = *state;
    char name[64], org[32];

    for (size_t i = 0; i < sizeof(sans) / sizeof(sans[0]); i++) {
        snprintf(org, sizeof(org), "chain-%04d", sans[i]);
        snprintf(name, sizeof(name), "h%04d.many.example", sans[i]);
        expect_chain(m->server, name, org, 1);
        snprintf(name, sizeof(name), "alternative-%04d.many.example", sans[i]);
        expect_chain(m->server, name, org, 1);
    }
    for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        snprintf(org, sizeof(org), "chain-%04d", wild[i]);
        snprintf(name, sizeof(name), "x%d.w%04d.many.example", wild[i], wild[i]);
        expect_chain(m->server, name, org, 1);
    }
    for (size_t i = 0; i < sizeof(cns) / sizeof(cns[0]); i++) {
        snprintf(org, sizeof(org), "chain-%04d", cns[i]);
        snprintf(name, sizeof(name), "h%04d.many.example", cns[i]);
        expect_chain(m->server, name, org, 1);
    }
    /* The host's form of the name: "H0042.Many.Example." is h0042.many.example. */
    expect_chain(m->server, "H0042.Many.Example.", "chain-0042", 0);
}

/* What no chain serves gets the context's own certificate (no "default" chain here). */
static void
test_plugin_cert_select_sni_among_thousands_unserved(void **state)
{
    const many *m = *state;

    /* A commonName is not served beside a DNS subjectAltName (X509_check_host). */
    expect_chain(m->server, "cn0000.many.example", "sslplug self", 0);
    expect_chain(m->server, "cn0007.many.example", "sslplug self", 0);
    /* "*.w0007.many.example": one label more, not the bare parent, not two labels. */
    expect_chain(m->server, "w0007.many.example", "sslplug self", 0);
    expect_chain(m->server, "a.b.w0007.many.example", "sslplug self", 0);
    /* The label a wildcard matches has letters, digits and hyphens only (X509_check_host). */
    expect_chain(m->server, "a_b.w0007.many.example", "sslplug self", 0);
    expect_chain(m->server, "h3000.many.example", "sslplug self", 0);
    expect_chain(m->server, "x.h0001.many.example", "sslplug self", 0);
}

/*
 * Chains claiming one name, in either file order: the one valid now, then
 * the one expiring later, then the smaller SHA-256 of the leaf; an exact
 * name before a wildcard.  Each tie is logged at init.
 */
static void
test_plugin_cert_select_sni_tie_rule(void **state)
{
    char *dir = tu_tmpdir();
    const char *digest_a, *digest_b;
    tu_report rep = {0};
    unsigned char da[32], db[32];
    SSL_CTX *server;
    issuer is;
    FILE *f;
    X509 *x;

    (void)state;
    issuer_init(&is);
    /* A renewed certificate beside the old one takes over, whichever file comes first. */
    make_chain(&is, dir, "a-old", "a-old", NULL, "DNS:tie1.example", -10, 30);
    make_chain(&is, dir, "z-renewed", "z-renewed", NULL, "DNS:tie1.example", -1, 90);
    make_chain(&is, dir, "a-renewed", "a-renewed", NULL, "DNS:tie2.example", -1, 90);
    make_chain(&is, dir, "z-old", "z-old", NULL, "DNS:tie2.example", -10, 30);
    /* Valid now beats a later expiry: not yet valid, expired. */
    make_chain(&is, dir, "a-future", "a-future", NULL, "DNS:tie3.example", 1, 400);
    make_chain(&is, dir, "z-current", "z-current", NULL, "DNS:tie3.example", -1, 30);
    make_chain(&is, dir, "a-current", "a-current", NULL, "DNS:tie4.example", -1, 30);
    make_chain(&is, dir, "z-expired", "z-expired", NULL, "DNS:tie4.example", -60, -1);
    /* The same validity: the smaller SHA-256 of the leaf. */
    make_chain(&is, dir, "twin-a", "twin-a", NULL, "DNS:tie5.example", -1, 30);
    make_chain(&is, dir, "twin-b", "twin-b", NULL, "DNS:tie5.example", -1, 30);
    /* Wildcards tie as names do; an exact name beats the wildcard over it. */
    make_chain(&is, dir, "a-wild-old", "a-wild-old", NULL, "DNS:*.tie6.example", -10, 30);
    make_chain(&is, dir, "b-wild-new", "b-wild-new", NULL, "DNS:*.tie6.example", -1, 90);
    make_chain(&is, dir, "c-exact", "c-exact", NULL, "DNS:www.tie6.example", -10, 20);
    issuer_cleanup(&is);

    for (int i = 0; i < 2; i++) {
        char *path = NULL;

        assert_true(asprintf(&path, "%s/twin-%c.crt", dir, i == 0 ? 'a' : 'b') > 0);
        assert_non_null(f = fopen(path, "r"));
        assert_non_null(x = PEM_read_X509(f, NULL, NULL, NULL));
        fclose(f);
        assert_int_equal(X509_digest(x, EVP_sha256(), i == 0 ? da : db, NULL), 1);
        X509_free(x);
        free(path);
    }
    digest_a = memcmp(da, db, sizeof(da)) < 0 ? "twin-a" : "twin-b";
    digest_b = memcmp(da, db, sizeof(da)) < 0 ? "twin-b" : "twin-a";

    server = server_ctx_report(dir, "", &rep);
    expect_chain(server, "tie1.example", "z-renewed", 1);
    expect_chain(server, "tie2.example", "a-renewed", 1);
    expect_chain(server, "tie3.example", "z-current", 1);
    expect_chain(server, "tie4.example", "a-current", 1);
    expect_chain(server, "tie5.example", digest_a, 1);
    expect_chain(server, "x.tie6.example", "b-wild-new", 1);
    expect_chain(server, "www.tie6.example", "c-exact", 1);
    tu_log_assert_has(&rep.log, "name tie1.example is claimed by chains a-old and z-renewed: "
                                "z-renewed serves it (it expires later)");
    tu_log_assert_has(&rep.log, "name tie3.example is claimed by chains a-future and z-current: "
                                "z-current serves it (the only one valid now)");
    tu_log_assert_has(&rep.log, "name tie4.example is claimed by chains a-current and "
                                "z-expired: a-current serves it (the only one valid now)");
    tu_log_assert_has(&rep.log, "the smaller SHA-256 of the leaf");
    tu_log_assert_has(&rep.log, "name *.tie6.example is claimed by chains a-wild-old and "
                                "b-wild-new: b-wild-new serves it");
    tu_log_assert_has(&rep.log, "chain a-old serves no name");
    tu_log_assert_has(&rep.log, "chain z-expired serves no name");
    /* An exact name over a wildcard is no tie, and the twin that lost serves nothing. */
    assert_int_equal(tu_log_has(&rep.log, "www.tie6.example is claimed"), 0);
    assert_int_equal(tu_log_has(&rep.log, "chain c-exact serves no name"), 0);
    {
        char needle[64];

        snprintf(needle, sizeof(needle), "chain %s serves no name", digest_b);
        tu_log_assert_has(&rep.log, needle);
    }
    SSL_CTX_free(server);
    tu_report_free(&rep);
    tu_rmtree(dir);
}

/* Names X509_check_host would never match, or an index cannot find, are logged and not served. */
static void
test_plugin_cert_select_sni_names_not_served(void **state)
{
    char *dir = tu_tmpdir();
    tu_report rep = {0};
    SSL_CTX *server;
    issuer is;

    (void)state;
    issuer_init(&is);
    make_chain(&is, dir, "odd", "odd", NULL,
               "DNS:*.tld,DNS:f*.partial.example,DNS:dot.example.,DNS:ok.example", -1, 30);
    issuer_cleanup(&is);
    server = server_ctx_report(dir, "", &rep);
    expect_chain(server, "ok.example", "odd", 1);
    expect_chain(server, "a.tld", "sslplug self", 0);
    expect_chain(server, "foo.partial.example", "sslplug self", 0);
    expect_chain(server, "dot.example", "sslplug self", 0);
    tu_log_assert_has(&rep.log, "chain odd: name *.tld is not served: a wildcard needs two labels");
    tu_log_assert_has(&rep.log, "chain odd: name f*.partial.example is not served: only a");
    tu_log_assert_has(&rep.log, "chain odd: name dot.example. is not served: it ends with a dot");
    SSL_CTX_free(server);
    tu_report_free(&rep);
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
        cmocka_unit_test(test_plugin_cert_select_sni_tie_rule),
        cmocka_unit_test(test_plugin_cert_select_sni_names_not_served),
    };
    const struct CMUnitTest many_tests[] = {
        cmocka_unit_test(test_plugin_cert_select_sni_among_thousands),
        cmocka_unit_test(test_plugin_cert_select_sni_among_thousands_unserved),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    return failed + cmocka_run_group_tests(many_tests, many_setup, many_teardown);
}
