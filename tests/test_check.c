/*
 * sslplug_host_check: a context made and freed with plugins told they are
 * checked (services->checking, ABI 1.3), and the lints, each warning at
 * the JSON pointer of the key at fault.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <openssl/ocsp.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* The warnings of one check, one line each: "POINTER CODE MESSAGE\n". */
typedef struct warnings {
    int count;
    char text[16384];
} warnings;

static void
collect(const sslplug_error *w, void *arg)
{
    warnings *ws = arg;
    size_t used = strlen(ws->text);

    /* Shaped like an error: a source, no position. */
    assert_true(w->source[0] != '\0');
    assert_int_equal(w->line, 0);
    assert_int_equal(w->column, 0);
    snprintf(ws->text + used, sizeof(ws->text) - used, "%s %d %s\n", w->pointer, (int)w->code,
             w->message);
    ws->count++;
}

/* Check host, which must pass, into ws; the host is freed. */
static void
check_ok(sslplug_host *host, warnings *ws)
{
    sslplug_error err;

    memset(ws, 0, sizeof(*ws));
    if (!sslplug_host_check(host, collect, ws, &err)) {
        print_error("%s: %s: %s\n", err.source, err.pointer, err.message);
    }
    assert_int_equal(err.code, SSLPLUG_OK);
    sslplug_host_free(host);
}

/* ws holds a warning "POINTER CODE ..." whose message contains fragment. */
static void
assert_warning(const warnings *ws, const char *pointer, sslplug_code code, const char *fragment)
{
    char *head = NULL;
    const char *line = ws->text;
    int found = 0;

    assert_true(asprintf(&head, "%s %d ", pointer, (int)code) >= 0);
    for (; line != NULL && *line != '\0' && !found;
         line = strchr(line, '\n'), line += line != NULL) {
        const char *end = strchr(line, '\n');
        char *one = strndup(line, end != NULL ? (size_t)(end - line) : strlen(line));

        found = strncmp(one, head, strlen(head)) == 0 && strstr(one, fragment) != NULL;
        free(one);
    }
    if (!found) {
        print_error("no warning \"%s... %s\" among:\n%s", head, fragment, ws->text);
    }
    assert_true(found);
    free(head);
}

/* ---- the lints ---- */

static void
test_check_warns_server_without_certificate(void **state)
{
    warnings ws;

    (void)state;
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}}"), &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/context", SSLPLUG_E_CERTIFICATE, "no shared cipher");

    /* A cert callback may set one per connection: no warning then. */
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}, \"callbacks\": "
                     "{\"cert\": {\"plugin\": \"client_cert_select\", \"config\": {\"pairs\": "
                     "[{\"cert\": \"pki/server.crt\", \"key\": \"pki/server-plain.key\"}]}}}}"),
             &ws);
    assert_int_equal(ws.count, 0);
}

/* A servername callback and named contexts: each context without a certificate is named. */
static void
test_check_warns_named_context_without_certificate(void **state)
{
    static const char sni[] = "\"callbacks\": {\"servername\": {\"plugin\": \"servername_map\", "
                              "\"config\": {\"names\": {\"a.example\": \"a~b/c\"}}}}";
    warnings ws;

    (void)state;
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}, "
                     "\"contexts\": {\"a~b/c\": {\"min_protocol\": \"TLSv1.3\"}}, %s}",
                     sni),
             &ws);
    assert_int_equal(ws.count, 2);
    assert_warning(&ws, "/context", SSLPLUG_E_CERTIFICATE, "no shared cipher");
    /* The name is escaped as RFC 6901 says. */
    assert_warning(&ws, "/contexts/a~0b~1c", SSLPLUG_E_CERTIFICATE, "no shared cipher");

    /* The named context has its own: only the main one is warned about. */
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}, \"contexts\": "
                     "{\"a~b/c\": {\"certificate\": \"pki/alt.crt\", \"private_key\": "
                     "\"pki/alt.key\"}}, %s}",
                     sni),
             &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/context", SSLPLUG_E_CERTIFICATE, "no shared cipher");

    /*
     * Configuration order is not name order: "zeta" comes first and lacks
     * a certificate, "alpha" has one.  The warning is zeta's, and only it.
     */
    check_ok(
        tu_host("{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
                " \"pki/server.crt\", \"private_key\": \"pki/server-plain.key\"},"
                " \"contexts\": {\"zeta\": {\"min_protocol\": \"TLSv1.3\", \"certificate\":"
                " \"pki/expired.crt\", \"private_key\": \"pki/expired.key\"}, \"alpha\": {}},"
                " \"callbacks\": {\"servername\": {\"plugin\": \"servername_map\","
                " \"config\": {\"names\": {\"a.example\": \"alpha\", \"z.example\": \"zeta\"}}}}}"),
        &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/contexts/zeta/certificate", SSLPLUG_E_CERTIFICATE, "expired");
}

static void
test_check_warns_expired_certificate(void **state)
{
    warnings ws;

    (void)state;
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                     "\"pki/expired.crt\", \"private_key\": \"pki/expired.key\"}}"),
             &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/context/certificate", SSLPLUG_E_CERTIFICATE, "has expired");
    assert_warning(&ws, "/context/certificate", SSLPLUG_E_CERTIFICATE,
                   "notBefore 2020-01-01 00:00:00Z, notAfter 2021-01-01 00:00:00Z");
    assert_warning(&ws, "/context/certificate", SSLPLUG_E_CERTIFICATE, "expired.crt");

    /* In a named context, at its own key; the valid main one is not warned about. */
    check_ok(tu_host("{\"version\": 1, \"context\": {%s}, \"contexts\": {\"old\": "
                     "{\"certificate\": \"pki/expired.crt\", \"private_key\": "
                     "\"pki/expired.key\"}}, \"callbacks\": {\"servername\": {\"plugin\": "
                     "\"servername_map\", \"config\": {\"names\": {\"a.example\": \"old\"}}}}}",
                     TU_SERVER_CONTEXT),
             &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/contexts/old/certificate", SSLPLUG_E_CERTIFICATE, "has expired");
}

/* A self-signed certificate and its key in dir, valid from a year from now. */
static void
write_future_pair(const char *dir, char **crt, char **key)
{
    EVP_PKEY *pkey = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    X509_NAME *name;
    FILE *f;

    assert_non_null(pkey);
    assert_non_null(x);
    assert_int_equal(X509_set_version(x, 2), 1);
    assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
    assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 365L * 24 * 3600));
    assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 2 * 365L * 24 * 3600));
    assert_int_equal(X509_set_pubkey(x, pkey), 1);
    name = X509_get_subject_name(x);
    assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                                (const unsigned char *)"future.example", -1, -1, 0),
                     1);
    assert_int_equal(X509_set_issuer_name(x, name), 1);
    assert_true(X509_sign(x, pkey, EVP_sha256()) > 0);
    *crt = tu_path_join(dir, "future.crt");
    *key = tu_path_join(dir, "future.key");
    assert_non_null(f = fopen(*crt, "w"));
    assert_int_equal(PEM_write_X509(f, x), 1);
    fclose(f);
    assert_non_null(f = fopen(*key, "w"));
    assert_int_equal(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    /* A private key must not be readable by others (test_security). */
    assert_int_equal(chmod(*key, 0600), 0);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

/* An expired staple is not sent, and an expired CRL fails every check against it. */
static void
test_check_warns_expired_staple_and_crl(void **state)
{
    char *dir = tu_tmpdir();
    char *staple = tu_make_ocsp(dir, "old.der", "server.crt", V_OCSP_CERTSTATUS_GOOD, 1);
    char *crl = tu_make_crl(dir, "old-crl.pem", NULL, 1);
    warnings ws;

    (void)state;
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                     "\"pki/server.crt\", \"private_key\": \"pki/server-plain.key\", "
                     "\"ocsp_staple\": \"%s\", \"crl_file\": \"%s\"}}",
                     staple, crl),
             &ws);
    assert_int_equal(ws.count, 2);
    assert_warning(&ws, "/context/ocsp_staple", SSLPLUG_E_CERTIFICATE, "it is not stapled");
    assert_warning(&ws, "/context/crl_file", SSLPLUG_E_CERTIFICATE, "expired at");
    free(staple);
    free(crl);
    tu_rmtree(dir);
}

static void
test_check_warns_not_yet_valid_certificate(void **state)
{
    char *dir = tu_tmpdir();
    char *crt = NULL, *key = NULL;
    warnings ws;

    (void)state;
    write_future_pair(dir, &crt, &key);
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                     "\"%s\", \"private_key\": \"%s\"}}",
                     crt, key),
             &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/context/certificate", SSLPLUG_E_CERTIFICATE, "is not yet valid");
    assert_warning(&ws, "/context/certificate", SSLPLUG_E_CERTIFICATE, "CN=future.example");
    assert_warning(&ws, "/context/certificate", SSLPLUG_E_CERTIFICATE, "notBefore ");
    free(crt);
    free(key);
    tu_rmtree(dir);
}

static void
test_check_warns_client_that_does_not_verify(void **state)
{
    warnings ws;

    (void)state;
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"verify\": "
                     "\"none\"}}"),
             &ws);
    assert_int_equal(ws.count, 1);
    assert_warning(&ws, "/context/verify", SSLPLUG_E_CONFIG, "does not verify");

    /* A client verifies by default. */
    check_ok(tu_host("{\"version\": 1, \"context\": {\"role\": \"client\"}}"), &ws);
    assert_int_equal(ws.count, 0);
}

static void
test_check_demo_configs_have_no_warnings(void **state)
{
    static const char *const files[] = {"server.json", "client.json"};
    sslplug_error err;
    warnings ws;

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = tu_path_join(SSLPLUG_TEST_DEMO_DIR, files[i]);
        sslplug_host *host = sslplug_host_load(path, &err);

        assert_non_null(host);
        check_ok(host, &ws);
        if (ws.count != 0) {
            print_error("%s:\n%s", path, ws.text);
        }
        assert_int_equal(ws.count, 0);
        free(path);
    }
}

/* The host's own warnings come with their pointer, and not through the log sink. */
static void
test_check_host_warnings_carry_pointers(void **state)
{
    tu_log log = {.with_host = 1};
    sslplug_host *host;
    sslplug_error err;
    warnings ws = {0};
    char *dir, *keys;

    (void)state;
    host = tu_host("{\"version\": 1, \"insecure_allow_writable\": true, \"context\": {%s}, "
                   "\"callbacks\": {\"info\": {\"plugin\": \"chk_no_such_plugin\", "
                   "\"optional\": true}, \"keylog\": {\"plugin\": \"keylog_file\", \"config\": "
                   "{\"path\": \"/nonexistent-dir-for-sslplug/keys.log\"}}}}",
                   TU_CLIENT_CONTEXT);
    sslplug_host_set_log(host, tu_log_fn, &log);
    /* keylog_file cannot make its file there: an error, and the host's warnings before it. */
    assert_int_equal(sslplug_host_check(host, collect, &ws, &err), 0);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, "/callbacks/keylog/config/path",
                    "/nonexistent-dir-for-sslplug");
    sslplug_host_free(host);
    assert_warning(&ws, "/insecure_allow_writable", SSLPLUG_E_UNSAFE_FILE,
                   "insecure_allow_writable is on");
    assert_warning(&ws, "/callbacks/info", SSLPLUG_E_PLUGIN_NOT_FOUND,
                   "optional entry skipped: plugin \"chk_no_such_plugin\" not found");
    assert_false(tu_log_has(&log, "insecure_allow_writable is on"));
    assert_false(tu_log_has(&log, "optional entry"));
    tu_log_free(&log);

    dir = tu_tmpdir();
    keys = tu_path_join(dir, "keys.log");
    host = tu_host("{\"version\": 1, \"context\": {%s}, \"callbacks\": {\"keylog\": {\"plugin\": "
                   "\"keylog_file\", \"config\": {\"path\": \"%s\"}}}}",
                   TU_CLIENT_CONTEXT, keys);
    log = (tu_log){0};
    sslplug_host_set_log(host, tu_log_fn, &log);
    check_ok(host, &ws);
    tu_log_free(&log);
    assert_warning(&ws, "/callbacks/keylog", SSLPLUG_E_CONFIG, "KEY LOGGING IS ON");
    free(keys);
    tu_rmtree(dir);
}

/* Without a warning function, warnings go to the log sink, pointer first. */
static void
test_check_without_warning_fn_logs_warnings(void **state)
{
    tu_log log = {.with_host = 1, .with_level = 1};
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}}");
    sslplug_error err;

    (void)state;
    sslplug_host_set_log(host, tu_log_fn, &log);
    assert_int_equal(sslplug_host_check(host, NULL, NULL, &err), 1);
    tu_log_assert_has(&log, "1 sslplug: /context: a server context with no \"certificate\"");
    tu_log_free(&log);
    sslplug_host_free(host);
}

/* ---- plugins in check mode ---- */

static void
test_check_tells_plugins_they_are_checked(void **state)
{
    tu_log log = {0};
    sslplug_host *host;
    SSL_CTX *ctx;
    warnings ws;
    sslplug_error err;

    (void)state;
    host = tu_host_entry(TU_CLIENT_CONTEXT, "info", "{\"plugin\": \"%s\"}",
                         tu_test_plugin("chk_checking"));
    sslplug_host_set_log(host, tu_log_fn, &log);
    memset(&ws, 0, sizeof(ws));
    assert_int_equal(sslplug_host_check(host, collect, &ws, &err), 1);
    /* Checked, and finalised before the check returns: the table it kept still says so. */
    assert_string_equal(log.text, "chk_checking: init checking=1\nchk_checking: fini checking=1\n");

    /* The same host then serves: its plugins are loaded anew, for use. */
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    SSL_CTX_free(ctx);
    assert_string_equal(log.text, "chk_checking: init checking=1\nchk_checking: fini checking=1\n"
                                  "chk_checking: init checking=0\nchk_checking: fini checking=0\n");
    tu_log_free(&log);
}

/* A plugin built against plugin.h 1.2 loads on this 1.3 host, for use and for a check. */
static void
test_check_abi_1_2_plugin_loads_on_a_newer_host(void **state)
{
    tu_log log = {0};
    sslplug_host *host;
    sslplug_error err;
    SSL_CTX *ctx;
    char *expect = NULL;

    (void)state;
    host =
        tu_host_entry(TU_CLIENT_CONTEXT, "info", "{\"plugin\": \"%s\"}", tu_test_plugin("abi_12"));
    sslplug_host_set_log(host, tu_log_fn, &log);
    assert_int_equal(sslplug_host_check(host, NULL, NULL, &err), 1);
    ctx = tu_ctx(host);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    assert_true(asprintf(&expect, "abi_12: abi_12 init on host %d.%d\n", SSLPLUG_ABI_MAJOR,
                         SSLPLUG_ABI_MINOR) >= 0);
    assert_true(SSLPLUG_ABI_MINOR >= 3);
    assert_int_equal(tu_log_has(&log, expect), 2);
    free(expect);
    tu_log_free(&log);
}

/* The bundled plugins that write files, each with the config key of its output. */
static const struct writer {
    const char *type;
    const char *plugin;
    const char *key;
    const char *file;
} writers[] = {
    {"info", "info_jsonlog", "path", "handshakes.jsonl"},
    {"info", "info_metrics", "path", "sslplug.prom"},
    {"keylog", "keylog_file", "path", "keys.log"},
    {"verify", "verify_tofu", "store", "known_hosts.json"},
};

/* A client configuration with w writing to path. */
static sslplug_host *
writer_host(const struct writer *w, const char *path, sslplug_error *err)
{
    sslplug_host *host =
        tu_host_try(err,
                    "{\"version\": 1, \"context\": {%s}, \"callbacks\": "
                    "{\"%s\": {\"plugin\": \"%s\", \"config\": {\"%s\": \"%s\"}}}}",
                    TU_CLIENT_CONTEXT, w->type, w->plugin, w->key, path);

    assert_non_null(host);
    return host;
}

/* Entries in dir besides . and .. */
static int
entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

static void
silent(int level, const char *plugin, const char *message, void *arg)
{
    (void)level;
    (void)plugin;
    (void)message;
    (void)arg;
}

/*
 * Checked, the plugins that write files create nothing, yet still report a
 * path whose directory is missing or is no directory; for use, they do
 * write there (so the check looked at the right place).
 */
static void
test_check_plugins_validate_paths_but_create_nothing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(writers) / sizeof(writers[0]); i++) {
        const struct writer *w = &writers[i];
        char *dir = tu_tmpdir();
        char *out = tu_path_join(dir, "out");
        char *path = tu_path_join(out, w->file);
        char *missing = NULL, *under_file = NULL, *pointer = NULL;
        sslplug_host *host;
        sslplug_error err;
        SSL_CTX *ctx;

        assert_int_equal(mkdir(out, 0755), 0);
        host = writer_host(w, path, &err);
        sslplug_host_set_log(host, silent, NULL);
        if (!sslplug_host_check(host, NULL, NULL, &err)) {
            print_error("%s: %s: %s\n", w->plugin, err.pointer, err.message);
        }
        assert_int_equal(err.code, SSLPLUG_OK);
        if (entries(out) != 0) {
            print_error("%s: check left files in %s\n", w->plugin, out);
        }
        assert_int_equal(entries(out), 0);
        ctx = tu_ctx(host);
        SSL_CTX_free(ctx);
        sslplug_host_free(host);
        assert_true(entries(out) > 0);

        assert_true(asprintf(&pointer, "/callbacks/%s/config/%s", w->type, w->key) >= 0);
        assert_true(asprintf(&missing, "%s/missing/%s", out, w->file) >= 0);
        host = writer_host(w, missing, &err);
        sslplug_host_set_log(host, silent, NULL);
        assert_int_equal(sslplug_host_check(host, NULL, NULL, &err), 0);
        tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, "/missing");
        sslplug_host_free(host);

        free(tu_write(out, "regular", "", 0644));
        assert_true(asprintf(&under_file, "%s/regular/%s", out, w->file) >= 0);
        host = writer_host(w, under_file, &err);
        sslplug_host_set_log(host, silent, NULL);
        assert_int_equal(sslplug_host_check(host, NULL, NULL, &err), 0);
        tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, "/regular");
        sslplug_host_free(host);

        free(pointer);
        free(missing);
        free(under_file);
        free(path);
        free(out);
        tu_rmtree(dir);
    }
}

/* An existing key log file is held to the same rules when checked, and left as it is. */
static void
test_check_keylog_file_still_refuses_unsafe_file(void **state)
{
    char *dir = tu_tmpdir();
    char *keys = tu_write(dir, "keys.log", "", 0644);
    sslplug_host *host;
    sslplug_error err;
    struct stat st;

    (void)state;
    host = writer_host(&writers[2], keys, &err);
    sslplug_host_set_log(host, silent, NULL);
    assert_int_equal(sslplug_host_check(host, NULL, NULL, &err), 0);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, "/callbacks/keylog/config/path",
                    "open to group or others (mode 0644)");
    sslplug_host_free(host);
    assert_int_equal(stat(keys, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    free(keys);
    tu_rmtree(dir);
}

/* ---- errors ---- */

static void
test_check_fails_as_ctx_new_does(void **state)
{
    static const char json[] =
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
        "\"pki/server.crt\", \"private_key\": \"pki/client.key\"}}";
    sslplug_error by_check, by_ctx;
    sslplug_host *host = tu_host("%s", json);

    (void)state;
    assert_int_equal(sslplug_host_check(host, NULL, NULL, &by_check), 0);
    sslplug_host_free(host);
    host = tu_host("%s", json);
    assert_null(sslplug_ctx_new(host, &by_ctx));
    sslplug_host_free(host);
    tu_error_assert(&by_check, SSLPLUG_E_PRIVATE_KEY, "/context/private_key", "does not match");
    assert_int_equal(by_check.code, by_ctx.code);
    assert_string_equal(by_check.pointer, by_ctx.pointer);
    assert_string_equal(by_check.message, by_ctx.message);
}

/* Plugins loaded for use are not checked again as if they were not. */
static void
test_check_refuses_host_in_use(void **state)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {%s}}", TU_CLIENT_CONTEXT);
    SSL_CTX *ctx = tu_ctx(host);
    sslplug_error err;

    (void)state;
    assert_int_equal(sslplug_host_check(host, NULL, NULL, &err), 0);
    tu_error_assert(&err, SSLPLUG_E_ARGUMENT, "", "loaded for use already");
    assert_int_equal(sslplug_host_check(NULL, NULL, NULL, &err), 0);
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_warns_server_without_certificate),
        cmocka_unit_test(test_check_warns_named_context_without_certificate),
        cmocka_unit_test(test_check_warns_expired_certificate),
        cmocka_unit_test(test_check_warns_not_yet_valid_certificate),
        cmocka_unit_test(test_check_warns_expired_staple_and_crl),
        cmocka_unit_test(test_check_warns_client_that_does_not_verify),
        cmocka_unit_test(test_check_demo_configs_have_no_warnings),
        cmocka_unit_test(test_check_host_warnings_carry_pointers),
        cmocka_unit_test(test_check_without_warning_fn_logs_warnings),
        cmocka_unit_test(test_check_tells_plugins_they_are_checked),
        cmocka_unit_test(test_check_abi_1_2_plugin_loads_on_a_newer_host),
        cmocka_unit_test(test_check_plugins_validate_paths_but_create_nothing),
        cmocka_unit_test(test_check_keylog_file_still_refuses_unsafe_file),
        cmocka_unit_test(test_check_fails_as_ctx_new_does),
        cmocka_unit_test(test_check_refuses_host_in_use),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
