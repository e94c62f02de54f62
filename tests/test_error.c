/*
 * How errors read: one format for every error (sslplug_error_format), and
 * the most specific cause OpenSSL knows (the system error first).
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

static void
test_error_format_three_forms(void **state)
{
    sslplug_error err;
    char text[SSLPLUG_ERROR_TEXT_MAX];
    size_t n;

    (void)state;
    memset(&err, 0, sizeof(err));
    snprintf(err.source, sizeof(err.source), "/etc/app/tls.json");
    snprintf(err.message, sizeof(err.message), "expected an object");
    err.line = 3;
    err.column = 7;
    n = sslplug_error_format(&err, text, sizeof(text));
    assert_string_equal(text, "/etc/app/tls.json:3:7: expected an object");
    assert_int_equal(n, strlen(text));
    err.line = 0;
    snprintf(err.pointer, sizeof(err.pointer), "/context/role");
    sslplug_error_format(&err, text, sizeof(text));
    assert_string_equal(text, "/etc/app/tls.json: /context/role: expected an object");
    /* An empty pointer is left out, not printed as ": :". */
    err.pointer[0] = '\0';
    sslplug_error_format(&err, text, sizeof(text));
    assert_string_equal(text, "/etc/app/tls.json: expected an object");
    err.source[0] = '\0';
    sslplug_error_format(&err, text, sizeof(text));
    assert_string_equal(text, "sslplug: expected an object");
}

static void
test_error_format_cut_and_null(void **state)
{
    sslplug_error err;
    char small[8];

    (void)state;
    memset(&err, 0, sizeof(err));
    snprintf(err.source, sizeof(err.source), "a.json");
    snprintf(err.message, sizeof(err.message), "a long message");
    /* As snprintf: the whole length, the text cut and terminated. */
    assert_int_equal(sslplug_error_format(&err, small, sizeof(small)),
                     strlen("a.json: a long message"));
    assert_string_equal(small, "a.json:");
    assert_int_equal(sslplug_error_format(NULL, small, sizeof(small)), 0);
}

/* A missing CA file says so, not "x509 certificate routines::system lib". */
static void
test_error_missing_file_says_why(void **state)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\","
                                 " \"ca_file\": \"pki/no-such-ca.crt\"}}");

    (void)state;
    tu_ctx_assert_error(host, SSLPLUG_E_CERTIFICATE, "/context/ca_file",
                        "no-such-ca.crt: No such file or directory");
    sslplug_host_free(host);
}

/* A file that is not PEM names the cause OpenSSL found first. */
static void
test_error_openssl_cause_first(void **state)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"server\","
                                 " \"certificate\": \"server.json\", \"private_key\":"
                                 " \"pki/server-plain.key\"}}");

    (void)state;
    tu_ctx_assert_error(host, SSLPLUG_E_CERTIFICATE, "/context/certificate", "no start line");
    sslplug_host_free(host);
}

static void
test_error_version(void **state)
{
    (void)state;
    assert_string_equal(sslplug_version(), "0.1.0");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_format_three_forms),
        cmocka_unit_test(test_error_format_cut_and_null),
        cmocka_unit_test(test_error_missing_file_says_why),
        cmocka_unit_test(test_error_openssl_cause_first),
        cmocka_unit_test(test_error_version),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
