/*
 * verify_tofu through real handshakes: the first contact recorded in the
 * store (its exact content), the same key accepted again, a changed key
 * under the same name rejected, atomic updates that leave no temporary
 * file, two processes recording at once, "override" for self-signed
 * peers, servers recording client certificates, and every config error
 * init reports.
 */
#define _GNU_SOURCE /* asprintf, vasprintf */
#include "testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/x509_vfy.h>

/* For contexts whose log a test does not read: keeps the test output clean. */
static void
quiet_log(int level, const char *plugin, const char *message, void *arg)
{
    (void)level;
    (void)plugin;
    (void)message;
    (void)arg;
}

static int
count(const char *haystack, const char *needle)
{
    int n = 0;

    for (const char *p = haystack; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

/*
 * A configuration whose directory is dir (the store path "known.json" is
 * relative to it), so the host is loaded with dir as its base.  Returns
 * NULL with err filled when the context cannot be made.
 */
static SSL_CTX *
tofu_ctx_try(tu_report *r, const char *dir, const char *context, const char *entry_extra,
             const char *config, sslplug_error *err)
{
    char *json = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {%s}, \"callbacks\": {\"verify\": "
                         "{\"plugin\": \"verify_tofu\"%s, \"config\": %s}}}",
                         context, entry_extra, config) >= 0);
    host = sslplug_host_load_string(json, dir, err);
    free(json);
    assert_non_null(host);
    if (r != NULL) {
        tu_report_attach(host, r);
    } else {
        sslplug_host_set_log(host, quiet_log, NULL);
    }
    ctx = sslplug_ctx_new(host, err);
    sslplug_host_free(host);
    return ctx;
}

/* A verifying client trusting ca_file (absolute) with verify_tofu on dir/known.json. */
static SSL_CTX *
tofu_client(tu_report *r, const char *dir, const char *ca_file, const char *entry_extra,
            const char *config_extra)
{
    sslplug_error err;
    char *context = NULL, *config = NULL;
    SSL_CTX *ctx;

    assert_true(asprintf(&context,
                         "\"role\": \"client\", \"ca_file\": \"%s\", \"verify\": \"peer\"",
                         ca_file) >= 0);
    assert_true(asprintf(&config, "{\"store\": \"known.json\"%s}", config_extra) >= 0);
    ctx = tofu_ctx_try(r, dir, context, entry_extra, config, &err);
    if (ctx == NULL) {
        print_error("%s: %s: %s\n", sslplug_strerror(err.code), err.pointer, err.message);
    }
    assert_non_null(ctx);
    free(context);
    free(config);
    return ctx;
}

/*
 * One handshake with the client asking for `sni` (SNI only, no host name
 * check, so any name will do; NULL: no name at all).  Returns 1 when both
 * sides completed; *result is the client's verify result.
 */
static int
handshake_as(SSL_CTX *server, SSL_CTX *client, const char *sni, long *result)
{
    sslplug_pair pair;
    int ok;

    if (sslplug_pair_init(&pair, server, client, NULL) != 1) {
        return -1;
    }
    if (sni != NULL && SSL_set_tlsext_host_name(pair.client, sni) != 1) {
        sslplug_pair_cleanup(&pair);
        return -1;
    }
    ok = sslplug_pair_handshake(&pair);
    *result = SSL_get_verify_result(pair.client);
    sslplug_pair_cleanup(&pair);
    return ok;
}

/* Server `name` to client with SNI "localhost": asserts outcome and verify result. */
static void
expect(const char *name, SSL_CTX *client, int expected, long result)
{
    SSL_CTX *server = tu_plain_server_of(name);
    long got = -1;

    assert_int_equal(handshake_as(server, client, "localhost", &got), expected);
    assert_int_equal(got, result);
    SSL_CTX_free(server);
}

/* A CA file trusting both the demo CA and other-ca (which issued rogue.crt). */
static char *
both_cas(const char *dir)
{
    char *ca = tu_file_read(tu_pki("ca.crt"), NULL);
    char *other = tu_file_read(tu_pki("other-ca.crt"), NULL);
    char *both = NULL;
    char *path;

    assert_non_null(ca);
    assert_non_null(other);
    assert_true(asprintf(&both, "%s%s", ca, other) >= 0);
    path = tu_write(dir, "both-cas.pem", both, 0644);
    free(ca);
    free(other);
    free(both);
    return path;
}

/* The store's exact text with one entry. */
static char *
store_text(const char *name, const char *pin)
{
    char *text = NULL;

    assert_true(asprintf(&text, "{\n  \"%s\": \"%s\"\n}\n", name, pin) >= 0);
    return text;
}

/* The names in dir, sorted, one per line. */
static char *
listing(const char *dir)
{
    char *out = NULL;

    assert_int_equal(tu_run(&out, "ls -A %s", dir), 0);
    return out;
}

/* ---- first contact, same key, changed key ---- */

static void
test_verify_tofu_first_contact_records_then_same_key_accepted(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    char *store = tu_path_join(dir, "known.json");
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *want = store_text("localhost", pin);
    char *line = NULL;
    char *text;
    SSL_CTX *client = tofu_client(&r, dir, tu_pki("ca.crt"), "", "");

    (void)state;
    text = tu_file_read(store, NULL);
    assert_null(text); /* init makes only the lock file */
    expect("server", client, 1, X509_V_OK);
    text = tu_file_read(store, NULL);
    assert_non_null(text);
    assert_string_equal(text, want);
    free(text);
    assert_true(asprintf(&line,
                         "verify_tofu: first contact with \"localhost\": recorded %s in %s\n", pin,
                         store) >= 0);
    assert_true(tu_log_has(&r.log, line));

    /* Again, from a new context: accepted, nothing recorded or logged. */
    SSL_CTX_free(client);
    tu_report_free(&r);
    client = tofu_client(&r, dir, tu_pki("ca.crt"), "", "");
    expect("server", client, 1, X509_V_OK);
    assert_null(r.log.text);
    text = tu_file_read(store, NULL);
    assert_string_equal(text, want);
    free(text);

    SSL_CTX_free(client);
    free(line);
    free(want);
    free(pin);
    free(store);
    tu_rmtree(dir);
    tu_report_free(&r);
}

static void
test_verify_tofu_changed_key_rejected(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    char *cas = both_cas(dir);
    char *store = tu_path_join(dir, "known.json");
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *rogue = tu_cert_pin(tu_pki("rogue.crt"));
    char *want = store_text("localhost", pin);
    char *line = NULL;
    char *text;
    SSL_CTX *client = tofu_client(&r, dir, cas, "", "");

    (void)state;
    expect("server", client, 1, X509_V_OK);
    /* rogue.crt names localhost too, and the client trusts its CA: only the key differs. */
    expect("rogue", client, 0, X509_V_ERR_APPLICATION_VERIFICATION);
    assert_true(asprintf(&line,
                         "verify_tofu: the key of \"localhost\" changed: recorded %s, "
                         "presented %s: rejected",
                         pin, rogue) >= 0);
    assert_true(tu_log_has(&r.log, line));
    assert_int_equal(tu_trace_has(&r.trace, "depth=0 subject=/O=sslplug elsewhere/CN=localhost "
                                            "ok=1 error=X509_V_OK -> 0: rejected\n"),
                     1);
    text = tu_file_read(store, NULL);
    assert_string_equal(text, want);
    free(text);
    /* The recorded key is still welcome. */
    expect("server", client, 1, X509_V_OK);

    SSL_CTX_free(client);
    free(line);
    free(want);
    free(rogue);
    free(pin);
    free(store);
    free(cas);
    tu_rmtree(dir);
    tu_report_free(&r);
}

/* Names are per peer: the rogue key under another name is a first contact. */
static void
test_verify_tofu_names_are_separate(void **state)
{
    char *dir = tu_tmpdir();
    char *cas = both_cas(dir);
    char *store = tu_path_join(dir, "known.json");
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *rogue = tu_cert_pin(tu_pki("rogue.crt"));
    char *want = NULL;
    char *text;
    SSL_CTX *client = tofu_client(NULL, dir, cas, "", "");
    SSL_CTX *server = tu_plain_server_of("server");
    SSL_CTX *other = tu_plain_server_of("rogue");
    long result = -1;

    (void)state;
    assert_int_equal(handshake_as(server, client, "a.example", &result), 1);
    assert_int_equal(handshake_as(other, client, "B.Example", &result), 1);
    assert_int_equal(handshake_as(other, client, "a.example", &result), 0);
    assert_int_equal(result, X509_V_ERR_APPLICATION_VERIFICATION);
    /* Host names are recorded lower-cased, sorted. */
    assert_true(asprintf(&want, "{\n  \"a.example\": \"%s\",\n  \"b.example\": \"%s\"\n}\n", pin,
                         rogue) >= 0);
    text = tu_file_read(store, NULL);
    assert_string_equal(text, want);
    free(text);

    SSL_CTX_free(server);
    SSL_CTX_free(other);
    SSL_CTX_free(client);
    free(want);
    free(rogue);
    free(pin);
    free(store);
    free(cas);
    tu_rmtree(dir);
}

/* ---- the store file ---- */

static void
test_verify_tofu_store_written_atomically(void **state)
{
    char *dir = tu_tmpdir();
    char *cas = both_cas(dir);
    char *before, *after;
    SSL_CTX *client = tofu_client(NULL, dir, cas, "", "");
    SSL_CTX *server = tu_plain_server_of("server");
    long result = -1;
    char name[32];

    (void)state;
    before = listing(dir);
    assert_string_equal(before, "both-cas.pem\nknown.json.lock\n");
    for (int i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "host%d.example", i);
        assert_int_equal(handshake_as(server, client, name, &result), 1);
    }
    /* Five updates, each a temporary file renamed over the store: none left behind. */
    after = listing(dir);
    assert_string_equal(after, "both-cas.pem\nknown.json\nknown.json.lock\n");

    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(before);
    free(after);
    free(cas);
    tu_rmtree(dir);
}

#define CHILD_NAMES 10

/* A child process: record CHILD_NAMES names "p<child>-<i>"; exits 0 when all were accepted. */
static void
record_in_child(const char *dir, int child, int start_fd)
{
    char *json = NULL;
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *client = NULL, *server = NULL;
    char name[32], go;
    int failures = 0;

    /* No cmocka here: an assertion would unwind into the parent's copy of the test runner. */
    if (read(start_fd, &go, 1) < 0) {
        _exit(3);
    }
    if (asprintf(&json,
                 "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\", "
                 "\"verify\": \"peer\"}, \"callbacks\": {\"verify\": {\"plugin\": "
                 "\"verify_tofu\", \"config\": {\"store\": \"known.json\"}}}}",
                 tu_pki("ca.crt")) < 0 ||
        (host = sslplug_host_load_string(json, dir, &err)) == NULL) {
        _exit(4);
    }
    sslplug_host_set_log(host, quiet_log, NULL);
    client = sslplug_ctx_new(host, &err);
    sslplug_host_free(host);
    free(json);
    server = SSL_CTX_new(TLS_server_method());
    if (client == NULL || server == NULL ||
        SSL_CTX_use_certificate_chain_file(server, tu_pki("server.crt")) != 1 ||
        SSL_CTX_use_PrivateKey_file(server, tu_pki("server-plain.key"), SSL_FILETYPE_PEM) != 1) {
        _exit(5);
    }
    for (int i = 0; i < CHILD_NAMES; i++) {
        long result = -1;

        snprintf(name, sizeof(name), "p%d-%d", child, i);
        failures += handshake_as(server, client, name, &result) != 1;
    }
    SSL_CTX_free(server);
    SSL_CTX_free(client);
    _exit(failures == 0 ? 0 : 10 + failures);
}

static void
test_verify_tofu_two_processes_record_concurrently(void **state)
{
    char *dir = tu_tmpdir();
    char *store = tu_path_join(dir, "known.json");
    char *pin = tu_cert_pin(tu_pki("server.crt"));
    char *text, *entry = NULL;
    pid_t pids[2];
    int start[2];

    (void)state;
    assert_int_equal(pipe(start), 0);
    for (int c = 0; c < 2; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            close(start[1]);
            record_in_child(dir, c, start[0]);
        }
    }
    /* Both children are waiting on the pipe; closing it starts them together. */
    close(start[0]);
    close(start[1]);
    for (int c = 0; c < 2; c++) {
        int status = 0;

        assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    text = tu_file_read(store, NULL);
    assert_non_null(text);
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < CHILD_NAMES; i++) {
            assert_true(asprintf(&entry, "\"p%d-%d\": \"%s\"", c, i, pin) >= 0);
            if (strstr(text, entry) == NULL) {
                print_error("store lacks %s:\n%s\n", entry, text);
            }
            assert_non_null(strstr(text, entry));
            free(entry);
        }
    }
    assert_int_equal(count(text, "sha256//"), 2 * CHILD_NAMES);
    free(text);
    text = listing(dir);
    assert_string_equal(text, "known.json\nknown.json.lock\n");

    free(text);
    free(pin);
    free(store);
    tu_rmtree(dir);
}

/* ---- OpenSSL's failures, and override ---- */

static void
test_verify_tofu_without_override_passes_failure_on_and_records_nothing(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    char *store = tu_path_join(dir, "known.json");
    char *text;
    SSL_CTX *client = tofu_client(&r, dir, tu_pki("ca.crt"), ", \"may_override\": \"any\"", "");

    (void)state;
    expect("self", client, 0, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    text = tu_file_read(store, NULL);
    assert_null(text);
    assert_false(tu_log_has(&r.log, "first contact"));

    SSL_CTX_free(client);
    free(store);
    tu_rmtree(dir);
    tu_report_free(&r);
}

static void
test_verify_tofu_override_trusts_self_signed_on_first_use(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    char *store = tu_path_join(dir, "known.json");
    char *pin = tu_cert_pin(tu_pki("self.crt"));
    char *want = store_text("localhost", pin);
    char *text;
    SSL_CTX *client = tofu_client(
        &r, dir, tu_pki("ca.crt"),
        ", \"may_override\": [\"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT\"]", ", \"override\": true");

    (void)state;
    expect("self", client, 1, X509_V_OK);
    assert_int_equal(tu_trace_has(&r.trace, "error=X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT -> 1: "
                                            "override allowed by may_override\n"),
                     1);
    text = tu_file_read(store, NULL);
    assert_string_equal(text, want);
    free(text);
    expect("self", client, 1, X509_V_OK);
    /* Another self-signed key under the same name: not overridden. */
    expect("rogue", client, 0, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_true(tu_log_has(&r.log, "verify_tofu: the key of \"localhost\" changed"));

    SSL_CTX_free(client);
    free(want);
    free(pin);
    free(store);
    tu_rmtree(dir);
    tu_report_free(&r);
}

static void
test_verify_tofu_override_without_may_override_is_rejected(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    SSL_CTX *client = tofu_client(&r, dir, tu_pki("ca.crt"), "", ", \"override\": true");

    (void)state;
    expect("self", client, 0, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
    assert_int_equal(tu_trace_has(&r.trace, "error=X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT -> 0: "
                                            "override not allowed"),
                     1);

    SSL_CTX_free(client);
    tu_rmtree(dir);
    tu_report_free(&r);
}

/*
 * "override" where may_override allows no failure at all: one warning at
 * init, saying what to add to which entry; none where something is allowed.
 */
static void
test_verify_tofu_override_without_may_override_warns_at_init(void **state)
{
    static const char warning[] =
        "1 verify_tofu: \"override\" is on, but the host lets this entry override no failure; "
        "add the codes to override (such as \"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT\") to the "
        "\"may_override\" of the verify_tofu entry, or make it \"any\"\n";
    static const struct {
        const char *entry_extra, *config_extra;
        int warned;
    } cases[] = {
        {"", ", \"override\": true", 1},
        {", \"may_override\": [\"X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT\"]", ", \"override\": true",
         0},
        {", \"may_override\": \"any\"", ", \"override\": true", 0},
        {"", "", 0},
    };
    char *dir = tu_tmpdir();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_report r = {.log.with_level = 1};
        SSL_CTX *client =
            tofu_client(&r, dir, tu_pki("ca.crt"), cases[i].entry_extra, cases[i].config_extra);

        if (tu_log_has(&r.log, warning) != cases[i].warned) {
            print_error("case %zu: log:\n%s\n", i, r.log.text != NULL ? r.log.text : "(none)");
        }
        assert_int_equal(tu_log_has(&r.log, warning), cases[i].warned);
        assert_int_equal(r.log.count[SSLPLUG_LOG_WARNING], cases[i].warned);
        SSL_CTX_free(client);
        tu_report_free(&r);
    }
    tu_rmtree(dir);
}

/* ---- peer names ---- */

static void
test_verify_tofu_no_peer_name_rejects(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    char *store = tu_path_join(dir, "known.json");
    SSL_CTX *client = tofu_client(&r, dir, tu_pki("ca.crt"), "", "");
    SSL_CTX *server = tu_plain_server_of("server");
    long result = -1;
    char *text;

    (void)state;
    assert_int_equal(handshake_as(server, client, NULL, &result), 0);
    assert_int_equal(result, X509_V_ERR_APPLICATION_VERIFICATION);
    assert_true(tu_log_has(&r.log, "verify_tofu: no peer name to record the key under"));
    text = tu_file_read(store, NULL);
    assert_null(text);

    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(store);
    tu_rmtree(dir);
    tu_report_free(&r);
}

/* A server records its clients under their certificate's common name. */
static void
test_verify_tofu_server_records_client_cn(void **state)
{
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *store = tu_path_join(dir, "known.json");
    char *pin = tu_cert_pin(tu_pki("client.crt"));
    char *want = store_text("sslplug-client", pin);
    char *context = NULL;
    char *text;
    SSL_CTX *server, *client;
    sslplug_pair pair;

    (void)state;
    assert_true(asprintf(&context,
                         "\"role\": \"server\", \"certificate\": \"%s\", \"private_key\": \"%s\", "
                         "\"ca_file\": \"%s\", \"verify\": \"require\"",
                         tu_pki("server.crt"), tu_pki("server-plain.key"), tu_pki("ca.crt")) >= 0);
    server = tofu_ctx_try(NULL, dir, context, "", "{\"store\": \"known.json\"}", &err);
    assert_non_null(server);
    client = tu_plain_client(1);
    tu_ctx_use_cert(client, "client");
    assert_int_equal(tu_handshake(server, client, &pair), 1);
    assert_int_equal(SSL_get_verify_result(pair.server), X509_V_OK);
    sslplug_pair_cleanup(&pair);
    text = tu_file_read(store, NULL);
    assert_string_equal(text, want);
    free(text);

    SSL_CTX_free(server);
    SSL_CTX_free(client);
    free(context);
    free(want);
    free(pin);
    free(store);
    tu_rmtree(dir);
}

/* A store damaged after init fails closed. */
static void
test_verify_tofu_damaged_store_rejects(void **state)
{
    tu_report r = {0};
    char *dir = tu_tmpdir();
    SSL_CTX *client = tofu_client(&r, dir, tu_pki("ca.crt"), "", "");
    char *store = tu_write(dir, "known.json", "{\"localhost\": ", 0644);

    (void)state;
    expect("server", client, 0, X509_V_ERR_APPLICATION_VERIFICATION);
    assert_true(tu_log_has(&r.log, "is not valid JSON"));

    SSL_CTX_free(client);
    free(store);
    tu_rmtree(dir);
    tu_report_free(&r);
}

/* ---- config errors ---- */

static void
expect_init_error(const char *dir, const char *config, const char *pointer, const char *fragment)
{
    sslplug_error err;
    char *context = NULL;
    SSL_CTX *ctx;

    assert_true(asprintf(&context,
                         "\"role\": \"client\", \"ca_file\": \"%s\", \"verify\": \"peer\"",
                         tu_pki("ca.crt")) >= 0);
    ctx = tofu_ctx_try(NULL, dir, context, "", config, &err);
    free(context);

    SSL_CTX_free(ctx);
    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, fragment);
}

static void
test_verify_tofu_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *fragment;
    } cases[] = {
        {"{}", "/callbacks/verify/config/store", "required key \"store\" is missing"},
        {"{\"store\": 1}", "/callbacks/verify/config/store",
         "wrong type: expected string, found integer"},
        {"{\"store\": \"\"}", "/callbacks/verify/config/store", "empty string"},
        {"{\"store\": \"missing/known.json\"}", "/callbacks/verify/config/store",
         "cannot open lock file"},
        {"{\"store\": \"bad-json.json\"}", "/callbacks/verify/config/store",
         "bad-json.json is not valid JSON"},
        {"{\"store\": \"array.json\"}", "/callbacks/verify/config/store",
         "array.json: expected an object of name -> pin"},
        {"{\"store\": \"bad-pin.json\"}", "/callbacks/verify/config/store",
         "bad-pin.json: the entry of \"localhost\" is not a sha256// pin"},
        {"{\"store\": \"known.json\", \"override\": \"no\"}", "/callbacks/verify/config/override",
         "wrong type: expected boolean, found string"},
        {"{\"store\": \"known.json\", \"path\": \"x\"}", "/callbacks/verify/config/path",
         "unknown key \"path\""},
    };
    char *dir = tu_tmpdir();
    char *files[3];

    (void)state;
    files[0] = tu_write(dir, "bad-json.json", "{\"localhost\": ", 0644);
    files[1] = tu_write(dir, "array.json", "[]", 0644);
    files[2] = tu_write(dir, "bad-pin.json", "{\"localhost\": \"sha256//x\"}", 0644);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_init_error(dir, cases[i].config, cases[i].pointer, cases[i].fragment);
    }
    for (size_t i = 0; i < 3; i++) {
        free(files[i]);
    }
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_tofu_first_contact_records_then_same_key_accepted),
        cmocka_unit_test(test_verify_tofu_changed_key_rejected),
        cmocka_unit_test(test_verify_tofu_names_are_separate),
        cmocka_unit_test(test_verify_tofu_store_written_atomically),
        cmocka_unit_test(test_verify_tofu_two_processes_record_concurrently),
        cmocka_unit_test(test_verify_tofu_without_override_passes_failure_on_and_records_nothing),
        cmocka_unit_test(test_verify_tofu_override_trusts_self_signed_on_first_use),
        cmocka_unit_test(test_verify_tofu_override_without_may_override_is_rejected),
        cmocka_unit_test(test_verify_tofu_override_without_may_override_warns_at_init),
        cmocka_unit_test(test_verify_tofu_no_peer_name_rejects),
        cmocka_unit_test(test_verify_tofu_server_records_client_cn),
        cmocka_unit_test(test_verify_tofu_damaged_store_rejects),
        cmocka_unit_test(test_verify_tofu_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
