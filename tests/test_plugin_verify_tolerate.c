/*
 * verify_tolerate through real handshakes: an expired server certificate
 * tolerated only with may_override, failures outside the list still
 * rejected (also beside a tolerated one), and every config error init
 * reports.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

/* What one sslplug context reported: its trace and its plugins' log lines. */
typedef struct rec {
    tu_trace trace;
    char *log;
    size_t log_len;
} rec;

static void
rec_log(int level, const char *plugin, const char *message, void *arg)
{
    rec *r = arg;
    char *line = NULL;
    char *grown;
    int n;

    if (strcmp(plugin, "sslplug") == 0) {
        return;
    }
    /* The level is part of what is checked: "tolerated" lines are info. */
    n = asprintf(&line, "%s[%d]: %s\n", plugin, level, message);
    assert_true(n >= 0);
    grown = realloc(r->log, r->log_len + (size_t)n + 1);
    assert_non_null(grown);
    memcpy(grown + r->log_len, line, (size_t)n + 1);
    r->log = grown;
    r->log_len += (size_t)n;
    free(line);
}

static void
rec_free(rec *r)
{
    tu_trace_free(&r->trace);
    free(r->log);
    memset(r, 0, sizeof(*r));
}

static int
log_count(const rec *r, const char *needle)
{
    int n = 0;

    for (const char *p = r->log; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

/* A plain server presenting pki/<name>.crt. */
static SSL_CTX *
serve(const char *name)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char cert[64], key[64];

    assert_non_null(ctx);
    snprintf(cert, sizeof(cert), "%s.crt", name);
    snprintf(key, sizeof(key), "%s.key", strcmp(name, "server") == 0 ? "server-plain" : name);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, tu_pki(cert)), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki(key), SSL_FILETYPE_PEM), 1);
    return ctx;
}

/*
 * A client trusting pki/ca.crt with verify_tolerate (errors: the JSON
 * array given, may_override: the JSON value given or none) against a
 * server presenting pki/<name>.crt; asserts the outcome and verify result.
 */
static void
against(rec *r, const char *name, const char *errors, const char *may_override, int expected,
        long result)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", "
                "\"ca_file\": \"pki/ca.crt\", \"verify\": \"peer\"}, "
                "\"callbacks\": {\"verify\": {\"plugin\": \"verify_tolerate\"%s%s, "
                "\"config\": {\"errors\": %s}}}}",
                may_override != NULL ? ", \"may_override\": " : "",
                may_override != NULL ? may_override : "", errors);
    SSL_CTX *server = serve(name);
    SSL_CTX *client;
    sslplug_pair pair;
    int ok;

    sslplug_host_set_trace(host, tu_trace_fn, &r->trace);
    sslplug_host_set_log(host, rec_log, r);
    client = tu_ctx(host);
    sslplug_host_free(host);
    ok = tu_handshake(server, client, &pair);
    if (ok != expected) {
        print_error("handshake %s: server: %s; client: %s\n", ok ? "succeeded" : "failed",
                    pair.server_error, pair.client_error);
    }
    assert_int_equal(ok, expected);
    assert_int_equal(SSL_get_verify_result(pair.client), result);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    SSL_CTX_free(client);
}

#define EXPIRED "X509_V_ERR_CERT_HAS_EXPIRED"
#define ROGUE_FIRST "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY"
#define ROGUE_SECOND "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE"

static void
test_verify_tolerate_expired_accepted_with_may_override(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "expired", "[\"" EXPIRED "\"]", "[\"" EXPIRED "\"]", 1, X509_V_OK);
    assert_int_equal(log_count(&r, "verify_tolerate[2]: tolerated " EXPIRED " at depth 0\n"), 1);
    assert_int_equal(tu_trace_has(&r.trace,
                                  "depth=0 subject=/O=sslplug policy/CN=localhost ok=0 "
                                  "error=" EXPIRED " -> 1: override allowed by may_override\n"),
                     1);
    rec_free(&r);
}

static void
test_verify_tolerate_expired_rejected_without_may_override(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "expired", "[\"" EXPIRED "\"]", NULL, 0, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=" EXPIRED " -> 0: override not allowed"),
                     1);
    rec_free(&r);
}

/* may_override for other codes than the one at hand is no permission either. */
static void
test_verify_tolerate_expired_rejected_with_may_override_for_other_codes(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "expired", "[\"" EXPIRED "\"]", "[\"X509_V_ERR_CERT_NOT_YET_VALID\"]", 0,
            X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(tu_trace_has(&r.trace, "override allowed"), 0);
    rec_free(&r);
}

static void
test_verify_tolerate_expired_rejected_when_not_listed(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "expired", "[\"X509_V_ERR_CERT_NOT_YET_VALID\"]", "\"any\"", 0,
            X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(log_count(&r, "tolerated"), 0);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=" EXPIRED " -> 0\n"), 1);
    rec_free(&r);
}

static void
test_verify_tolerate_error_outside_list_rejects(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "rogue", "[\"" EXPIRED "\"]", "\"any\"", 0,
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_int_equal(log_count(&r, "tolerated"), 0);
    rec_free(&r);
}

/* The rogue chain fails twice at depth 0: tolerating one failure is not enough. */
static void
test_verify_tolerate_second_failure_outside_list_rejects(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "rogue", "[\"" ROGUE_FIRST "\"]", "\"any\"", 0,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    assert_int_equal(log_count(&r, "tolerated " ROGUE_FIRST " at depth 0\n"), 1);
    assert_int_equal(log_count(&r, "tolerated " ROGUE_SECOND), 0);
    rec_free(&r);
}

static void
test_verify_tolerate_every_failure_listed_accepts(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "rogue", "[\"" ROGUE_SECOND "\", \"" ROGUE_FIRST "\"]", "\"any\"", 1, X509_V_OK);
    assert_int_equal(log_count(&r, "tolerated " ROGUE_FIRST " at depth 0\n"), 1);
    assert_int_equal(log_count(&r, "tolerated " ROGUE_SECOND " at depth 0\n"), 1);
    rec_free(&r);
}

static void
test_verify_tolerate_passes_good_chain_silently(void **state)
{
    rec r = {0};

    (void)state;
    against(&r, "server", "[\"" EXPIRED "\"]", "\"any\"", 1, X509_V_OK);
    assert_null(r.log);
    assert_int_equal(tu_trace_has(&r.trace, "ok=1 error=X509_V_OK -> 1\n"), 2);
    rec_free(&r);
}

/* ---- config errors ---- */

static void
expect_init_error(const char *config, const char *pointer, const char *fragment)
{
    sslplug_error err;
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", "
                                 "\"ca_file\": \"pki/ca.crt\", \"verify\": \"peer\"}, "
                                 "\"callbacks\": {\"verify\": {\"plugin\": \"verify_tolerate\", "
                                 "\"config\": %s}}}",
                                 config);
    SSL_CTX *ctx = sslplug_ctx_new(host, &err);

    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    assert_null(ctx);
    if (err.code != SSLPLUG_E_PLUGIN_INIT || strcmp(err.pointer, pointer) != 0 ||
        strstr(err.message, fragment) == NULL) {
        print_error("config %s: got %s at \"%s\": %s\n", config, sslplug_strerror(err.code),
                    err.pointer, err.message);
    }
    assert_int_equal(err.code, SSLPLUG_E_PLUGIN_INIT);
    assert_string_equal(err.pointer, pointer);
    assert_non_null(strstr(err.message, fragment));
}

static void
test_verify_tolerate_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *fragment;
    } cases[] = {
        {"{}", "/callbacks/verify/config/errors", "required key \"errors\" is missing"},
        {"{\"errors\": []}", "/callbacks/verify/config/errors", "empty array"},
        {"{\"errors\": \"" EXPIRED "\"}", "/callbacks/verify/config/errors",
         "wrong type: expected array of strings, found string"},
        {"{\"errors\": [\"" EXPIRED "\", 10]}", "/callbacks/verify/config/errors/1",
         "wrong type: expected string, found integer"},
        {"{\"errors\": [\"" EXPIRED "\", \"X509_V_ERR_CERT_HAS_EXPIRD\"]}",
         "/callbacks/verify/config/errors/1",
         "unknown verification error: expected an X509_V_ERR_* name such as "
         "\"X509_V_ERR_CERT_HAS_EXPIRED\", found \"X509_V_ERR_CERT_HAS_EXPIRD\""},
        {"{\"errors\": [\"X509_V_OK\"]}", "/callbacks/verify/config/errors/0",
         "unknown verification error"},
        {"{\"errors\": [\"cert_has_expired\"]}", "/callbacks/verify/config/errors/0",
         "unknown verification error"},
        {"{\"errors\": [\"" EXPIRED "\"], \"error\": 1}", "/callbacks/verify/config/error",
         "unknown key \"error\": expected one of \"errors\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_init_error(cases[i].config, cases[i].pointer, cases[i].fragment);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_tolerate_expired_accepted_with_may_override),
        cmocka_unit_test(test_verify_tolerate_expired_rejected_without_may_override),
        cmocka_unit_test(test_verify_tolerate_expired_rejected_with_may_override_for_other_codes),
        cmocka_unit_test(test_verify_tolerate_expired_rejected_when_not_listed),
        cmocka_unit_test(test_verify_tolerate_error_outside_list_rejects),
        cmocka_unit_test(test_verify_tolerate_second_failure_outside_list_rejects),
        cmocka_unit_test(test_verify_tolerate_every_failure_listed_accepts),
        cmocka_unit_test(test_verify_tolerate_passes_good_chain_silently),
        cmocka_unit_test(test_verify_tolerate_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
