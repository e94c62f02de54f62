/*
 * The sslplug tool, run as a user would: exit codes, error formats, the
 * demo's trace, inspect's view of both plugin forms.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include "sslplug/plugin.h"

#include <stdlib.h>
#include <string.h>

static void
test_cli_demo_traces_all_four_types(void **state)
{
    char *out = NULL;
    int rc = tu_run(&out, "%s demo", SSLPLUG_TEST_CLI);

    (void)state;
    if (rc != 0) {
        print_error("%s\n", out);
    }
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "[server] password"));
    assert_non_null(strstr(out, "[server] verify"));
    assert_non_null(strstr(out, "[client] verify"));
    assert_non_null(strstr(out, "[client] info"));
    assert_non_null(strstr(out, "[client] client_cert"));
    assert_non_null(strstr(out, "handshake: ok"));
    /* The password is traced by length only. */
    assert_null(strstr(out, tu_server_password()));
    free(out);
}

static void
test_cli_usage_errors_exit_2(void **state)
{
    (void)state;
    assert_int_equal(tu_run(NULL, "%s", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s frobnicate", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s check", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s handshake onlyone.json", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s inspect", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s demo extra", SSLPLUG_TEST_CLI), 2);
}

static void
test_cli_every_verb_has_help(void **state)
{
    static const char *const verbs[] = {"check", "inspect", "handshake", "demo"};
    char *out = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        assert_int_equal(tu_run(&out, "%s %s --help", SSLPLUG_TEST_CLI, verbs[i]), 0);
        assert_non_null(strstr(out, "usage: sslplug"));
        free(out);
    }
}

static void
test_cli_check_reports_line_and_column(void **state)
{
    char *dir = tu_tmpdir();
    char *conf = tu_write(dir, "bad.json", "{\"version\": 1,\n  \"context\": {,}\n}\n", 0644);
    char *out = NULL, *expect = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf), 1);
    assert_true(asprintf(&expect, "%s:2:", conf) >= 0);
    assert_non_null(strstr(out, expect));
    free(out);
    free(expect);
    free(conf);
    tu_rmtree(dir);
}

static void
test_cli_check_reports_json_pointer(void **state)
{
    char *dir = tu_tmpdir();
    char *conf = tu_write(dir, "bad.json",
                          "{\"version\": 1, \"context\": {\"role\": \"client\"},"
                          " \"callbacks\": {\"verify\": [{\"plugin\": \"verify_log\"},"
                          " {\"plugin\": \"verify_log\", \"colour\": 1}]}}",
                          0644);
    char *out = NULL, *expect = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf), 1);
    assert_true(asprintf(&expect, "%s: /callbacks/verify/1/colour: unknown key", conf) >= 0);
    assert_non_null(strstr(out, expect));
    free(out);
    free(expect);
    free(conf);
    tu_rmtree(dir);
}

static void
test_cli_check_accepts_demo_configs(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s check %s/server.json %s/client.json", SSLPLUG_TEST_CLI,
                            SSLPLUG_TEST_DEMO_DIR, SSLPLUG_TEST_DEMO_DIR),
                     0);
    assert_int_equal(tu_trace_has(&(tu_trace){.text = out}, ": ok\n"), 2);
    free(out);
}

static void
test_cli_check_accepts_example_configs(void **state)
{
    static const char *const examples[] = {"sni-virtual-hosts.json", "cert-select-sni.json",
                                           "keylog.json", "info-events.json"};
    char *out = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        int rc = tu_run(&out, "%s check %s/examples/%s", SSLPLUG_TEST_CLI, SSLPLUG_TEST_DEMO_DIR,
                        examples[i]);

        if (rc != 0) {
            print_error("%s\n", out);
        }
        assert_int_equal(rc, 0);
        assert_non_null(strstr(out, ": ok\n"));
        free(out);
    }
}

/* The virtual host of the SNI example requires a client certificate; the demo client has one. */
static void
test_cli_handshake_sni_example_switches_host(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(tu_run(&out,
                            "%s handshake %s/examples/sni-virtual-hosts.json %s/client.json "
                            "--servername alt.example",
                            SSLPLUG_TEST_CLI, SSLPLUG_TEST_DEMO_DIR, SSLPLUG_TEST_DEMO_DIR),
                     0);
    assert_non_null(strstr(out, "name=alt.example -> 2: switch context=partners"));
    assert_non_null(strstr(out, "client: peer certificate /O=sslplug demo/CN=alt.example"));
    /* partners requires a client certificate, and the server checked it. */
    assert_non_null(strstr(out, "server: peer certificate /O=sslplug demo/CN=sslplug-client"));
    free(out);
    assert_int_equal(tu_run(&out,
                            "%s handshake %s/examples/sni-virtual-hosts.json %s/client.json "
                            "--servername unknown.example",
                            SSLPLUG_TEST_CLI, SSLPLUG_TEST_DEMO_DIR, SSLPLUG_TEST_DEMO_DIR),
                     1);
    assert_non_null(strstr(out, "unrecognized name"));
    free(out);
}

static void
test_cli_inspect_abi_plugin(void **state)
{
    char *out = NULL, *abi = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s inspect password_file", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "kind: sslplug plugin"));
    assert_true(asprintf(&abi, "abi: %d.%d", SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR) >= 0);
    assert_non_null(strstr(out, abi));
    free(abi);
    assert_non_null(strstr(out, "(compatible)"));
    assert_non_null(strstr(out, "name: password_file"));
    assert_non_null(strstr(out, "types: password"));
    free(out);
}

static void
test_cli_inspect_raw_plugin_lists_functions(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s inspect raw_example", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "kind: raw"));
    assert_non_null(strstr(out, "raw_example_verify"));
    assert_non_null(strstr(out, "raw_example_client_cert"));
    free(out);
}

static void
test_cli_inspect_missing_plugin_fails(void **state)
{
    (void)state;
    assert_int_equal(tu_run(NULL, "%s inspect no_such_plugin_here", SSLPLUG_TEST_CLI), 1);
}

static void
test_cli_handshake_failure_exits_1_with_reason(void **state)
{
    char *dir = tu_tmpdir();
    char *out = NULL;
    /* A client that trusts another CA rejects the demo server. */
    char *client = NULL;

    (void)state;
    assert_true(asprintf(&client,
                         "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                         "\"%s\"}}",
                         tu_pki("other-ca.crt")) >= 0);
    free(tu_write(dir, "client.json", client, 0644));
    assert_int_equal(tu_run(&out, "%s handshake %s/server.json %s/client.json", SSLPLUG_TEST_CLI,
                            SSLPLUG_TEST_DEMO_DIR, dir),
                     1);
    assert_non_null(strstr(out, "handshake: failed"));
    assert_non_null(strstr(out, "certificate verify failed"));
    free(out);
    free(client);
    tu_rmtree(dir);
}

/*
 * A plugin file cut short is an error naming it, not a SIGBUS inside
 * dlopen (exit 135): handshake loads in the tool's own process.
 */
static void
test_cli_handshake_truncated_plugin_exits_1(void **state)
{
    char *dir = tu_tmpdir();
    char *src = NULL, *cut, *json = NULL, *out = NULL;
    int rc;

    (void)state;
    assert_true(asprintf(&src, "%s/info_log.so", sslplug_builtin_plugin_dir()) >= 0);
    cut = tu_file_copy_head(src, dir, "cli_cut.so", 1000, 0755);
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                         "\"%s\"}, \"callbacks\": {\"info\": {\"plugin\": \"%s\"}}}",
                         tu_pki("ca.crt"), cut) >= 0);
    free(tu_write(dir, "client.json", json, 0644));
    rc = tu_run(&out, "%s handshake %s/server.json %s/client.json", SSLPLUG_TEST_CLI,
                SSLPLUG_TEST_DEMO_DIR, dir);
    if (rc != 1) {
        print_error("exit %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "/callbacks/info/plugin: cannot load plugin"));
    assert_non_null(strstr(out, cut));
    assert_non_null(strstr(out, "past the end of the file"));
    free(out);
    free(json);
    free(cut);
    free(src);
    tu_rmtree(dir);
}

static void
check_crash(const char *how, const char *expect)
{
    char *dir = tu_tmpdir();
    char *json = NULL, *conf, *out = NULL;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\"},"
                         " \"callbacks\": {\"info\": [{\"plugin\": \"info_log\"},"
                         " {\"plugin\": \"%s\", \"config\": {\"how\": \"%s\"}}]}}",
                         tu_test_plugin("crash_init"), how) >= 0);
    conf = tu_write(dir, "crash.json", json, 0644);
    assert_int_equal(
        tu_run(&out, "%s check %s %s/client.json", SSLPLUG_TEST_CLI, conf, SSLPLUG_TEST_DEMO_DIR),
        1);
    assert_non_null(strstr(out, expect));
    /* The entry being loaded is named, and the tool went on to the next file. */
    assert_non_null(strstr(out, "while loading /callbacks/info/1"));
    assert_non_null(strstr(out, "client.json: ok"));
    free(out);
    free(conf);
    free(json);
    tu_rmtree(dir);
}

static void
test_cli_check_survives_plugin_crash_in_init(void **state)
{
    (void)state;
    check_crash("segv", "crashed (signal 11");
    check_crash("abort", "crashed (signal 6");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_demo_traces_all_four_types),
        cmocka_unit_test(test_cli_usage_errors_exit_2),
        cmocka_unit_test(test_cli_every_verb_has_help),
        cmocka_unit_test(test_cli_check_reports_line_and_column),
        cmocka_unit_test(test_cli_check_reports_json_pointer),
        cmocka_unit_test(test_cli_check_accepts_demo_configs),
        cmocka_unit_test(test_cli_check_accepts_example_configs),
        cmocka_unit_test(test_cli_handshake_sni_example_switches_host),
        cmocka_unit_test(test_cli_inspect_abi_plugin),
        cmocka_unit_test(test_cli_inspect_raw_plugin_lists_functions),
        cmocka_unit_test(test_cli_inspect_missing_plugin_fails),
        cmocka_unit_test(test_cli_handshake_failure_exits_1_with_reason),
        cmocka_unit_test(test_cli_check_survives_plugin_crash_in_init),
        cmocka_unit_test(test_cli_handshake_truncated_plugin_exits_1),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
