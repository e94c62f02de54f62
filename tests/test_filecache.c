/*
 * Files named by many contexts.  Certificates and keys (host/filecache.c,
 * host/keypair.c): one sslplug_ctx_new reads, parses and unlocks a
 * certificate, key or PKCS#12 bundle once however many named contexts name
 * it, and they present the very same objects; every naming is still
 * checked; a context naming a file of its own gets its own; a file changed
 * before the next context or a reload is read again.  Trust (host/trust.c,
 * host/generation.c): contexts with the same CA and CRL settings share one
 * reading per generation, and each named context's session id context is
 * still the digest of the main one, its name and its trust.  The named
 * contexts are reached as a client reaches them, through servername_map in
 * a real handshake.
 */
#define _GNU_SOURCE /* asprintf, open_memstream */
#include "testutil.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * A server: the main context's members after its role, then named contexts
 * c0 ... c(count-1), each with members, then extra named contexts (a JSON
 * text of members of "contexts", led by a comma, or ""), routed from
 * NAME.example by servername_map (extra_names: those of extra), and the
 * password entry (or NULL); malloc'd.
 */
static char *
server_json(const char *main_members, int count, const char *members, const char *extra,
            const char *const *extra_names, const char *password)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    fprintf(f, "{\"version\": 1, \"context\": {\"role\": \"server\"%s}, \"contexts\": {",
            main_members);
    for (int i = 0; i < count; i++) {
        fprintf(f, "%s\"c%d\": {%s}", i > 0 ? ", " : "", i, members);
    }
    fprintf(f, "%s}, \"callbacks\": {", extra);
    if (password != NULL) {
        fprintf(f, "\"password\": %s, ", password);
    }
    fprintf(f, "\"servername\": {\"plugin\": \"servername_map\", \"config\": {\"names\": {");
    for (int i = 0; i < count; i++) {
        fprintf(f, "%s\"c%d.example\": \"c%d\"", i > 0 ? ", " : "", i, i);
    }
    for (int i = 0; extra_names != NULL && extra_names[i] != NULL; i++) {
        fprintf(f, "%s\"%s.example\": \"%s\"", count > 0 || i > 0 ? ", " : "", extra_names[i],
                extra_names[i]);
    }
    fprintf(f, "}}}}}");
    assert_int_equal(fclose(f), 0);
    return text;
}

/*
 * One handshake for name: the context that served it (a named one after
 * the switch; owned by server) and, if sid is not NULL, the session id
 * context of the session the server made.
 */
static SSL_CTX *
served(SSL_CTX *server, const char *name, unsigned char sid[32])
{
    SSL_CTX *client = tu_plain_client(0), *ctx;
    const unsigned char *id;
    unsigned int id_len = 0;
    sslplug_pair pair;

    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    if (!sslplug_pair_handshake(&pair)) {
        print_error("%s: server: %s; client: %s\n", name, pair.server_error, pair.client_error);
        fail();
    }
    ctx = SSL_get_SSL_CTX(pair.server);
    if (sid != NULL) {
        id = SSL_SESSION_get0_id_context(SSL_get_session(pair.server), &id_len);
        assert_int_equal(id_len, 32);
        memcpy(sid, id, 32);
    }
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
    return ctx;
}

static SSL_CTX *
serving(SSL_CTX *server, const char *name)
{
    return served(server, name, NULL);
}

static void
assert_cn(const X509 *x, const char *cn)
{
    char text[128];

    assert_non_null(x);
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, text,
                                          sizeof(text)) > 0);
    assert_string_equal(text, cn);
}

#define SERVER_FILES ", \"certificate\": \"pki/server.crt\", \"private_key\": \"pki/server.key\""
#define COUNTED_PASSWORD                                                                           \
    "{\"plugin\": \"%s\", \"config\": {\"wrong\": 0, \"file\": \"pki/server.pass\"}}"

static void
test_filecache_encrypted_key_unlocked_once_for_50_contexts(void **state)
{
    char *password = NULL, *json;
    tu_report rep = {0};
    sslplug_host *host;
    SSL_CTX *server;

    (void)state;
    assert_true(asprintf(&password, COUNTED_PASSWORD, tu_test_plugin("cb_password_count")) > 0);
    json = server_json(SERVER_FILES, 50,
                       "\"certificate\": \"pki/server.crt\", \"private_key\": \"pki/server.key\"",
                       "", NULL, password);
    host = tu_host("%s", json);
    tu_report_attach(host, &rep);
    server = tu_ctx(host);
    /* 51 contexts name the key; the password source is asked once, for the first. */
    assert_int_equal(tu_log_has(&rep.log, "cb_password_count: call attempt="), 1);
    assert_int_equal(rep.trace.count[SSLPLUG_CB_PASSWORD], 1);
    /* And the last of them presents it. */
    assert_cn(SSL_CTX_get0_certificate(serving(server, "c49.example")), "localhost");
    SSL_CTX_free(server);
    sslplug_host_free(host);
    tu_report_free(&rep);
    free(json);
    free(password);
}

static void
test_filecache_named_contexts_present_the_same_objects(void **state)
{
    char *json = server_json(", \"certificate\": \"pki/server.crt\", \"private_key\": "
                             "\"pki/server-plain.key\"",
                             3, "", "", NULL, NULL);
    sslplug_host *host = tu_host("%s", json);
    SSL_CTX *server = tu_ctx(host), *c0, *c2;

    (void)state;
    c0 = serving(server, "c0.example");
    c2 = serving(server, "c2.example");
    /* Two named contexts, switched to for real, and the main one: one X509, one EVP_PKEY. */
    assert_ptr_not_equal(c0, server);
    assert_ptr_not_equal(c0, c2);
    assert_non_null(SSL_CTX_get0_certificate(server));
    assert_ptr_equal(SSL_CTX_get0_certificate(c0), SSL_CTX_get0_certificate(server));
    assert_ptr_equal(SSL_CTX_get0_certificate(c2), SSL_CTX_get0_certificate(server));
    assert_non_null(SSL_CTX_get0_privatekey(server));
    assert_ptr_equal(SSL_CTX_get0_privatekey(c0), SSL_CTX_get0_privatekey(server));
    assert_ptr_equal(SSL_CTX_get0_privatekey(c2), SSL_CTX_get0_privatekey(server));
    SSL_CTX_free(server);
    sslplug_host_free(host);
    free(json);
}

static void
test_filecache_context_with_its_own_file_gets_its_own(void **state)
{
    static const char *const alt[] = {"alt", NULL};
    char *json = server_json(", \"certificate\": \"pki/server.crt\", \"private_key\": "
                             "\"pki/server-plain.key\"",
                             2, "",
                             ", \"alt\": {\"certificate\": \"pki/alt.crt\", \"private_key\": "
                             "\"pki/alt.key\"}",
                             alt, NULL);
    sslplug_host *host = tu_host("%s", json);
    SSL_CTX *server = tu_ctx(host), *own, *shared;

    (void)state;
    own = serving(server, "alt.example");
    shared = serving(server, "c1.example");
    assert_cn(SSL_CTX_get0_certificate(own), "alt.example");
    assert_ptr_not_equal(SSL_CTX_get0_certificate(own), SSL_CTX_get0_certificate(server));
    assert_ptr_not_equal(SSL_CTX_get0_privatekey(own), SSL_CTX_get0_privatekey(server));
    assert_ptr_equal(SSL_CTX_get0_certificate(shared), SSL_CTX_get0_certificate(server));
    SSL_CTX_free(server);
    sslplug_host_free(host);
    free(json);
}

static void
test_filecache_group_writable_key_refused_for_named_contexts(void **state)
{
    char *dir = tu_tmpdir();
    char *key = tu_file_copy(tu_pki("server-plain.key"), dir, "shared.key", 0660);
    char *members = NULL, *json, *main_members = NULL;
    sslplug_host *host;

    (void)state;
    assert_true(asprintf(&members, "\"certificate\": \"pki/server.crt\", \"private_key\": \"%s\"",
                         key) > 0);
    json = server_json(", \"certificate\": \"pki/server.crt\", \"private_key\": "
                       "\"pki/server-plain.key\"",
                       50, members, "", NULL, NULL);
    host = tu_host("%s", json);
    /* The mode bits are what is checked (the suite may run as root). */
    tu_ctx_assert_error(host, SSLPLUG_E_UNSAFE_FILE, "/contexts/c0/private_key", key);
    tu_ctx_assert_error(host, SSLPLUG_E_UNSAFE_FILE, "/contexts/c0/private_key",
                        "writable by group or others (mode 0660)");
    sslplug_host_free(host);
    free(json);
    /* The main context naming it too: refused there first. */
    assert_true(asprintf(&main_members, ", %s", members) > 0);
    json = server_json(main_members, 50, members, "", NULL, NULL);
    host = tu_host("%s", json);
    tu_ctx_assert_error(host, SSLPLUG_E_UNSAFE_FILE, "/context/private_key", key);
    sslplug_host_free(host);
    free(json);
    free(main_members);
    free(members);
    free(key);
    tu_rmtree(dir);
}

/*
 * The same key file (one device and inode), read already for the main
 * context, reached by named contexts through a link in a directory others
 * may write to: each naming is checked, so they are refused.
 */
static void
test_filecache_key_read_already_still_checked_per_naming(void **state)
{
    char *safe = tu_tmpdir(), *open_dir = tu_tmpdir();
    char *key = tu_file_copy(tu_pki("server-plain.key"), safe, "server.key", 0600);
    char *link = tu_path_join(open_dir, "server.key");
    char *main_members = NULL, *members = NULL, *json;
    sslplug_host *host;

    (void)state;
    assert_int_equal(symlink(key, link), 0);
    assert_int_equal(chmod(open_dir, 0770), 0);
    assert_true(asprintf(&main_members,
                         ", \"certificate\": \"pki/server.crt\", \"private_key\": \"%s\"",
                         key) > 0);
    assert_true(asprintf(&members, "\"certificate\": \"pki/server.crt\", \"private_key\": \"%s\"",
                         link) > 0);
    json = server_json(main_members, 50, members, "", NULL, NULL);
    host = tu_host("%s", json);
    tu_ctx_assert_error(host, SSLPLUG_E_UNSAFE_FILE, "/contexts/c0/private_key",
                        "writable by group or others (mode 0770) without the sticky bit");
    sslplug_host_free(host);
    free(json);
    free(members);
    free(main_members);
    free(link);
    free(key);
    tu_rmtree(open_dir);
    tu_rmtree(safe);
}

/* A configuration file in dir naming dir/cert.pem and dir/key.pem in the main and 10 named
 * contexts. */
static char *
write_config(const char *dir, const char *password)
{
    char *cert = tu_path_join(dir, "cert.pem"), *key = tu_path_join(dir, "key.pem");
    char *files = NULL, *main_members = NULL, *json, *path;

    assert_true(asprintf(&files, "\"certificate\": \"%s\", \"private_key\": \"%s\"", cert, key) >
                0);
    assert_true(asprintf(&main_members, ", %s", files) > 0);
    json = server_json(main_members, 10, files, "", NULL, password);
    path = tu_write(dir, "server.json", json, 0600);
    free(json);
    free(main_members);
    free(files);
    free(key);
    free(cert);
    return path;
}

/* dir/cert.pem and dir/key.pem as the PKI's NAME.crt and KEY, written anew. */
static void
install_pair(const char *dir, const char *name, const char *key)
{
    char crt[64];

    snprintf(crt, sizeof(crt), "%s.crt", name);
    free(tu_file_copy(tu_pki(crt), dir, "cert.pem", 0644));
    free(tu_file_copy(tu_pki(key), dir, "key.pem", 0600));
}

static void
test_filecache_changed_files_read_again_on_reload(void **state)
{
    char *dir = tu_tmpdir(), *path;
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *first, *second;
    const X509 *old;

    (void)state;
    install_pair(dir, "server", "server-plain.key");
    path = write_config(dir, NULL);
    host = sslplug_host_load(path, &err);
    assert_non_null(host);
    first = tu_ctx(host);
    old = SSL_CTX_get0_certificate(first);
    assert_cn(old, "localhost");
    /* Renewed, as a certificate robot does, then reloaded. */
    install_pair(dir, "alt", "alt.key");
    assert_int_equal(sslplug_host_reload(host, &err), 1);
    second = tu_ctx(host);
    assert_cn(SSL_CTX_get0_certificate(second), "alt.example");
    assert_ptr_not_equal(SSL_CTX_get0_certificate(second), old);
    /* The new reading is shared again; the old contexts keep what they had. */
    assert_ptr_equal(SSL_CTX_get0_certificate(serving(second, "c7.example")),
                     SSL_CTX_get0_certificate(second));
    assert_ptr_equal(SSL_CTX_get0_certificate(serving(first, "c7.example")), old);
    assert_cn(old, "localhost");
    SSL_CTX_free(first);
    SSL_CTX_free(second);
    sslplug_host_free(host);
    free(path);
    tu_rmtree(dir);
}

/* What a build read is the build's: the next context reads the files and asks again. */
static void
test_filecache_next_context_reads_and_unlocks_again(void **state)
{
    char *dir = tu_tmpdir(), *path, *password = NULL;
    tu_report rep = {0};
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *first, *second;

    (void)state;
    install_pair(dir, "server", "server.key");
    assert_true(asprintf(&password,
                         "{\"plugin\": \"%s\", \"config\": {\"wrong\": 0, \"file\": \"%s\"}}",
                         tu_test_plugin("cb_password_count"), tu_pki("server.pass")) > 0);
    path = write_config(dir, password);
    host = sslplug_host_load(path, &err);
    assert_non_null(host);
    tu_report_attach(host, &rep);
    first = tu_ctx(host);
    assert_int_equal(tu_log_has(&rep.log, "call attempt=0"), 1);
    second = tu_ctx(host);
    assert_int_equal(tu_log_has(&rep.log, "call attempt=0"), 2);
    assert_ptr_not_equal(SSL_CTX_get0_certificate(second), SSL_CTX_get0_certificate(first));
    assert_ptr_equal(SSL_CTX_get0_certificate(serving(second, "c3.example")),
                     SSL_CTX_get0_certificate(second));
    SSL_CTX_free(first);
    SSL_CTX_free(second);
    sslplug_host_free(host);
    tu_report_free(&rep);
    free(password);
    free(path);
    tu_rmtree(dir);
}

static void
test_filecache_pkcs12_bundle_opened_once(void **state)
{
    char *dir = tu_tmpdir(), *p12 = tu_path_join(dir, "server.p12"), *out = NULL;
    char *password = NULL, *members = NULL, *main_members = NULL, *json;
    tu_report rep = {0};
    sslplug_host *host;
    SSL_CTX *server;

    (void)state;
    assert_int_equal(
        tu_run(&out, "openssl pkcs12 -export -in %s -inkey %s -out %s -passout file:%s",
               tu_pki("server.crt"), tu_pki("server-plain.key"), p12, tu_pki("server.pass")),
        0);
    free(out);
    assert_int_equal(chmod(p12, 0600), 0);
    assert_true(asprintf(&password, COUNTED_PASSWORD, tu_test_plugin("cb_password_count")) > 0);
    assert_true(asprintf(&members, "\"pkcs12\": \"%s\"", p12) > 0);
    assert_true(asprintf(&main_members, ", %s", members) > 0);
    json = server_json(main_members, 20, members, "", NULL, password);
    host = tu_host("%s", json);
    tu_report_attach(host, &rep);
    server = tu_ctx(host);
    assert_int_equal(tu_log_has(&rep.log, "call attempt="), 1);
    assert_cn(SSL_CTX_get0_certificate(server), "localhost");
    assert_ptr_equal(SSL_CTX_get0_certificate(serving(server, "c19.example")),
                     SSL_CTX_get0_certificate(server));
    assert_ptr_equal(SSL_CTX_get0_privatekey(serving(server, "c19.example")),
                     SSL_CTX_get0_privatekey(server));
    SSL_CTX_free(server);
    sslplug_host_free(host);
    tu_report_free(&rep);
    free(json);
    free(main_members);
    free(members);
    free(password);
    free(p12);
    tu_rmtree(dir);
}

static void
test_filecache_store_uris_read_once(void **state)
{
    char *members = NULL, *main_members = NULL, *json;
    sslplug_host *host;
    SSL_CTX *server, *c4;

    (void)state;
    assert_true(asprintf(&members, "\"certificate\": \"file:%s\", \"private_key\": \"file:%s\"",
                         tu_pki("server.crt"), tu_pki("server-plain.key")) > 0);
    assert_true(asprintf(&main_members, ", %s", members) > 0);
    json = server_json(main_members, 5, members, "", NULL, NULL);
    host = tu_host("%s", json);
    server = tu_ctx(host);
    c4 = serving(server, "c4.example");
    assert_cn(SSL_CTX_get0_certificate(c4), "localhost");
    assert_ptr_equal(SSL_CTX_get0_certificate(c4), SSL_CTX_get0_certificate(server));
    assert_ptr_equal(SSL_CTX_get0_privatekey(c4), SSL_CTX_get0_privatekey(server));
    SSL_CTX_free(server);
    sslplug_host_free(host);
    free(json);
    free(main_members);
    free(members);
}

/* ---- trust: contexts with the same CA and CRL settings share one reading ---- */

#define TRUST_MAIN                                                                                 \
    ", \"certificate\": \"pki/server.crt\", \"private_key\": \"pki/server-plain.key\""

/*
 * The demo server with main_members, c0 ... c(count-1) with members, and
 * "own" with own (NULL: nothing of its own).
 */
static sslplug_host *
trust_host(const char *main_members, int count, const char *members, const char *own)
{
    static const char *const own_name[] = {"own", NULL};
    char *all = NULL, *extra = NULL, *json;
    sslplug_host *host;

    assert_true(asprintf(&all, "%s%s", TRUST_MAIN, main_members) > 0);
    assert_true(asprintf(&extra, ", \"own\": {%s}", own != NULL ? own : "") > 0);
    json = server_json(all, count, members, extra, own_name, NULL);
    host = tu_host("%s", json);
    free(json);
    free(extra);
    free(all);
    return host;
}

/* The one CA certificate in ctx's store. */
static X509 *
store_ca(SSL_CTX *ctx)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));
    X509 *found = NULL;
    int certs = 0;

    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

        if (x != NULL) {
            found = x;
            certs++;
        }
    }
    assert_int_equal(certs, 1);
    return found;
}

static void
test_trust_same_settings_share_one_reading(void **state)
{
    /* c0 ... c9 inherit the main context's CA file; c10 ... c19 name it themselves. */
    sslplug_host *host = trust_host(", \"ca_file\": \"pki/ca.crt\"", 10, "", NULL);
    sslplug_host *named = trust_host("", 20, "\"ca_file\": \"pki/ca.crt\"", NULL);
    SSL_CTX *server = tu_ctx(host), *server2 = tu_ctx(named);
    X509 *ca = store_ca(server);

    (void)state;
    assert_ptr_equal(store_ca(serving(server, "c0.example")), ca);
    assert_ptr_equal(store_ca(serving(server, "c9.example")), ca);
    assert_ptr_equal(store_ca(serving(server2, "c3.example")),
                     store_ca(serving(server2, "c19.example")));
    /* Two hosts are two generations: each read its own. */
    assert_ptr_not_equal(store_ca(serving(server2, "c3.example")), ca);
    SSL_CTX_free(server);
    SSL_CTX_free(server2);
    sslplug_host_free(host);
    sslplug_host_free(named);
}

static void
test_trust_own_settings_own_reading(void **state)
{
    sslplug_host *host =
        trust_host(", \"ca_file\": \"pki/ca.crt\"", 3, "", "\"ca_file\": \"pki/other-ca.crt\"");
    sslplug_host *crl =
        trust_host(", \"ca_file\": \"pki/ca.crt\"", 3, "", "\"crl_file\": \"pki/../pki/ca.crt\"");
    SSL_CTX *server = tu_ctx(host), *own;
    sslplug_error err;

    (void)state;
    own = serving(server, "own.example");
    assert_ptr_not_equal(store_ca(own), store_ca(server));
    assert_cn(store_ca(own), "untrusted CA");
    assert_ptr_equal(store_ca(serving(server, "c2.example")), store_ca(server));
    SSL_CTX_free(server);
    sslplug_host_free(host);
    /* Another CRL setting is another trust: read, and refused here (a CA is no CRL). */
    assert_null(sslplug_ctx_new(crl, &err));
    tu_error_assert(&err, SSLPLUG_E_CERTIFICATE, "/contexts/own/crl_file", "holds a certificate");
    sslplug_host_free(crl);
}

static void
test_trust_shared_ca_file_checked(void **state)
{
    char *dir = tu_tmpdir();
    char *ca = tu_file_copy(tu_pki("ca.crt"), dir, "ca.crt", 0664);
    char *members = NULL;
    sslplug_host *host;

    (void)state;
    assert_true(asprintf(&members, "\"ca_file\": \"%s\"", ca) > 0);
    host = trust_host("", 50, members, NULL);
    tu_ctx_assert_error(host, SSLPLUG_E_UNSAFE_FILE, "/contexts/c0/ca_file",
                        "writable by group or others (mode 0664)");
    sslplug_host_free(host);
    free(members);
    free(ca);
    tu_rmtree(dir);
}

/* What trust.c digests of a context whose only trust setting is ca_file. */
static void
ca_file_digest(const char *file, unsigned char out[32])
{
    size_t len = 0;
    char *bytes = tu_file_read(file, &len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint64_t n = len;

    /* A labelled, length-prefixed part: the label and its NUL, the length, the bytes. */
    assert_non_null(bytes);
    assert_non_null(md);
    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(md, "ca_file", sizeof("ca_file")), 1);
    assert_int_equal(EVP_DigestUpdate(md, &n, sizeof(n)), 1);
    assert_int_equal(EVP_DigestUpdate(md, bytes, len), 1);
    assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
    EVP_MD_CTX_free(md);
    free(bytes);
}

/* A named context's session id context: SHA-256(main's, its name and NUL, its trust digest). */
static void
expected_sid(const unsigned char main_sid[32], const char *name, const unsigned char trust[32],
             unsigned char out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    assert_non_null(md);
    assert_int_equal(EVP_DigestInit_ex(md, EVP_sha256(), NULL), 1);
    assert_int_equal(EVP_DigestUpdate(md, main_sid, 32), 1);
    assert_int_equal(EVP_DigestUpdate(md, name, strlen(name) + 1), 1);
    assert_int_equal(EVP_DigestUpdate(md, trust, 32), 1);
    assert_int_equal(EVP_DigestFinal_ex(md, out, NULL), 1);
    EVP_MD_CTX_free(md);
}

static void
test_trust_shared_reading_keeps_session_id_contexts(void **state)
{
    sslplug_host *host =
        trust_host(", \"ca_file\": \"pki/ca.crt\"", 3, "", "\"ca_file\": \"pki/other-ca.crt\"");
    SSL_CTX *server = tu_ctx(host);
    unsigned char main_sid[32], sid[32], other[32], trust[32], expect[32];

    (void)state;
    served(server, "localhost", main_sid);
    /* c1 shares the main context's reading; its digest is the CA file's all the same. */
    ca_file_digest(tu_pki("ca.crt"), trust);
    served(server, "c1.example", sid);
    expected_sid(main_sid, "c1", trust, expect);
    assert_memory_equal(sid, expect, 32);
    served(server, "c2.example", other);
    assert_memory_not_equal(sid, other, 32);
    ca_file_digest(tu_pki("other-ca.crt"), trust);
    served(server, "own.example", sid);
    expected_sid(main_sid, "own", trust, expect);
    assert_memory_equal(sid, expect, 32);
    SSL_CTX_free(server);
    sslplug_host_free(host);
}

#define THREADS 8
#define HANDSHAKES 20

typedef struct worker {
    SSL_CTX *server;
    int index;
    int failures;
} worker;

/* Handshakes with the named context of its own, which presents the shared chain and key. */
static void *
work(void *arg)
{
    worker *w = arg;
    SSL_CTX *client = SSL_CTX_new(TLS_client_method());
    char name[32];

    snprintf(name, sizeof(name), "c%d.example", w->index);
    for (int i = 0; client != NULL && i < HANDSHAKES; i++) {
        sslplug_pair pair;

        /* A client of its own per thread: only the server side is shared. */
        if (!sslplug_pair_init(&pair, w->server, client, name) || !sslplug_pair_handshake(&pair) ||
            SSL_get0_peer_certificate(pair.client) == NULL) {
            w->failures++;
        }
        sslplug_pair_cleanup(&pair);
    }
    w->failures += client == NULL;
    SSL_CTX_free(client);
    return NULL;
}

/*
 * Many threads at once, each on another named context, all presenting one
 * X509 and one EVP_PKEY (and a chain with the intermediate): under
 * ThreadSanitizer, whatever OpenSSL fills in lazily must have been filled at load.
 */
static void
test_filecache_shared_objects_on_many_threads(void **state)
{
    char *json = server_json(", \"certificate\": \"pki/client-int-chain.pem\", \"private_key\": "
                             "\"pki/client-int.key\"",
                             THREADS, "", "", NULL, NULL);
    sslplug_host *host = tu_host("%s", json);
    SSL_CTX *server = tu_ctx(host);
    pthread_t threads[THREADS];
    worker workers[THREADS];

    (void)state;
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){server, t, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(workers[t].failures, 0);
    }
    assert_ptr_equal(SSL_CTX_get0_certificate(serving(server, "c5.example")),
                     SSL_CTX_get0_certificate(server));
    SSL_CTX_free(server);
    sslplug_host_free(host);
    free(json);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filecache_encrypted_key_unlocked_once_for_50_contexts),
        cmocka_unit_test(test_filecache_named_contexts_present_the_same_objects),
        cmocka_unit_test(test_filecache_context_with_its_own_file_gets_its_own),
        cmocka_unit_test(test_filecache_group_writable_key_refused_for_named_contexts),
        cmocka_unit_test(test_filecache_key_read_already_still_checked_per_naming),
        cmocka_unit_test(test_filecache_changed_files_read_again_on_reload),
        cmocka_unit_test(test_filecache_next_context_reads_and_unlocks_again),
        cmocka_unit_test(test_filecache_pkcs12_bundle_opened_once),
        cmocka_unit_test(test_filecache_store_uris_read_once),
        cmocka_unit_test(test_filecache_shared_objects_on_many_threads),
        cmocka_unit_test(test_trust_same_settings_share_one_reading),
        cmocka_unit_test(test_trust_own_settings_own_reading),
        cmocka_unit_test(test_trust_shared_ca_file_checked),
        cmocka_unit_test(test_trust_shared_reading_keeps_session_id_contexts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
