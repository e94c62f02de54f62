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

/*
 * A client trusting pki/ca.crt with verify_tolerate (errors: the JSON
 * array given, may_override: the JSON value given or none) against a
 * server presenting pki/<name>.crt; asserts the outcome and verify result.
 */
static void
against(tu_report *r, const char *name, const char *errors, const char *may_override, int expected,
        long result)
{
    SSL_CTX *server = tu_plain_server_of(name);
    SSL_CTX *client;
    sslplug_pair pair;

    /* The level is part of what is checked: "tolerated" lines are info. */
    r->log.with_level = 1;
    client = tu_ctx_entry(r, TU_CLIENT_CONTEXT, "verify",
                          "{\"plugin\": \"verify_tolerate\"%s%s, \"config\": {\"errors\": %s}}",
                          may_override != NULL ? ", \"may_override\": " : "",
                          may_override != NULL ? may_override : "", errors);
    tu_handshake_expect(server, client, &pair, expected);
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
    tu_report r = {0};

    (void)state;
    against(&r, "expired", "[\"" EXPIRED "\"]", "[\"" EXPIRED "\"]", 1, X509_V_OK);
    assert_int_equal(tu_log_has(&r.log, "2 verify_tolerate: tolerated " EXPIRED " at depth 0\n"),
                     1);
    assert_int_equal(tu_trace_has(&r.trace,
                                  "depth=0 subject=/O=sslplug policy/CN=localhost ok=0 "
                                  "error=" EXPIRED " -> 1: override allowed by may_override\n"),
                     1);
    tu_report_free(&r);
}

static void
test_verify_tolerate_expired_rejected_without_may_override(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "expired", "[\"" EXPIRED "\"]", NULL, 0, X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=" EXPIRED " -> 0: override not allowed"),
                     1);
    tu_report_free(&r);
}

/* may_override for other codes than the one at hand is no permission either. */
static void
test_verify_tolerate_expired_rejected_with_may_override_for_other_codes(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "expired", "[\"" EXPIRED "\"]", "[\"X509_V_ERR_CERT_NOT_YET_VALID\"]", 0,
            X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(tu_trace_has(&r.trace, "override allowed"), 0);
    tu_report_free(&r);
}

static void
test_verify_tolerate_expired_rejected_when_not_listed(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "expired", "[\"X509_V_ERR_CERT_NOT_YET_VALID\"]", "\"any\"", 0,
            X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(tu_log_has(&r.log, "tolerated"), 0);
    assert_int_equal(tu_trace_has(&r.trace, "ok=0 error=" EXPIRED " -> 0\n"), 1);
    tu_report_free(&r);
}

static void
test_verify_tolerate_error_outside_list_rejects(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "rogue", "[\"" EXPIRED "\"]", "\"any\"", 0,
            X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_int_equal(tu_log_has(&r.log, "tolerated"), 0);
    tu_report_free(&r);
}

/* The rogue chain fails twice at depth 0: tolerating one failure is not enough. */
static void
test_verify_tolerate_second_failure_outside_list_rejects(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "rogue", "[\"" ROGUE_FIRST "\"]", "\"any\"", 0,
            X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE);
    assert_int_equal(tu_log_has(&r.log, "tolerated " ROGUE_FIRST " at depth 0\n"), 1);
    assert_int_equal(tu_log_has(&r.log, "tolerated " ROGUE_SECOND), 0);
    tu_report_free(&r);
}

static void
test_verify_tolerate_every_failure_listed_accepts(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "rogue", "[\"" ROGUE_SECOND "\", \"" ROGUE_FIRST "\"]", "\"any\"", 1, X509_V_OK);
    assert_int_equal(tu_log_has(&r.log, "tolerated " ROGUE_FIRST " at depth 0\n"), 1);
    assert_int_equal(tu_log_has(&r.log, "tolerated " ROGUE_SECOND " at depth 0\n"), 1);
    tu_report_free(&r);
}

static void
test_verify_tolerate_passes_good_chain_silently(void **state)
{
    tu_report r = {0};

    (void)state;
    against(&r, "server", "[\"" EXPIRED "\"]", "\"any\"", 1, X509_V_OK);
    assert_null(r.log.text);
    assert_int_equal(tu_trace_has(&r.trace, "ok=1 error=X509_V_OK -> 1\n"), 2);
    tu_report_free(&r);
}

/*
 * A listed error that may_override does not allow: one warning at init for
 * each, naming the code to add to which entry; none for allowed codes.
 */
static void
test_verify_tolerate_warns_at_init_for_codes_not_allowed(void **state)
{
    static const struct {
        const char *may_override;
        int expired, not_yet_valid;
    } cases[] = {
        {NULL, 1, 1},
        {"[\"" EXPIRED "\"]", 0, 1},
        {"[\"" EXPIRED "\", \"X509_V_ERR_CERT_NOT_YET_VALID\"]", 0, 0},
        {"\"any\"", 0, 0},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_report r = {.log.with_level = 1};
        const char *mo = cases[i].may_override;
        SSL_CTX *client = tu_ctx_entry(
            &r, TU_CLIENT_CONTEXT, "verify",
            "{\"plugin\": \"verify_tolerate\"%s%s, \"config\": {\"errors\": [\"" EXPIRED
            "\", \"X509_V_ERR_CERT_NOT_YET_VALID\"]}}",
            mo != NULL ? ", \"may_override\": " : "", mo != NULL ? mo : "");

        if (r.log.count[SSLPLUG_LOG_WARNING] != cases[i].expired + cases[i].not_yet_valid) {
            print_error("case %zu: log:\n%s\n", i, r.log.text != NULL ? r.log.text : "(none)");
        }
        assert_int_equal(tu_log_has(&r.log, "1 verify_tolerate: \"errors\" lists " EXPIRED
                                            ", but the host will not let this entry override "
                                            "it; add \"" EXPIRED "\" to the \"may_override\" of "
                                            "the verify_tolerate entry, or make it \"any\"\n"),
                         cases[i].expired);
        assert_int_equal(tu_log_has(&r.log, "1 verify_tolerate: \"errors\" lists "
                                            "X509_V_ERR_CERT_NOT_YET_VALID, but the host will not "
                                            "let this entry override it; add "
                                            "\"X509_V_ERR_CERT_NOT_YET_VALID\" to the "
                                            "\"may_override\" of the verify_tolerate entry, or "
                                            "make it \"any\"\n"),
                         cases[i].not_yet_valid);
        assert_int_equal(r.log.count[SSLPLUG_LOG_WARNING],
                         cases[i].expired + cases[i].not_yet_valid);
        SSL_CTX_free(client);
        tu_report_free(&r);
    }
}

/* ---- config errors ---- */

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
        tu_init_assert_error(TU_CLIENT_CONTEXT, "verify", "verify_tolerate", cases[i].config,
                             cases[i].pointer, cases[i].fragment);
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
        cmocka_unit_test(test_verify_tolerate_warns_at_init_for_codes_not_allowed),
        cmocka_unit_test(test_verify_tolerate_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
