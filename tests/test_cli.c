/*
 * The sslplug tool, run as a user would: exit codes, error formats, the
 * demo's trace, inspect's view of both plugin forms.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include "sslplug/plugin.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

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
    assert_int_equal(tu_run(NULL, "%s check --timeout 0 x.json", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s check --timeout 2s x.json", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s check x.json --timeout", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s check --lint x.json", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s handshake onlyone.json", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s inspect", SSLPLUG_TEST_CLI), 2);
    assert_int_equal(tu_run(NULL, "%s demo extra", SSLPLUG_TEST_CLI), 2);
}

/* One convention for every verb: an unknown option is a usage error that names it. */
static void
test_cli_every_verb_names_an_unknown_option(void **state)
{
    static const char *const verbs[] = {"check a.json", "inspect x",    "handshake a b",
                                        "demo",         "serve a.json", "connect a.json h:1"};
    char *out = NULL, *expect = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        int rc = tu_run(&out, "%s %s --frob=1", SSLPLUG_TEST_CLI, verbs[i]);

        assert_true(asprintf(&expect, "sslplug %.*s: unknown option --frob",
                             (int)strcspn(verbs[i], " "), verbs[i]) > 0);
        if (rc != 2 || strstr(out, expect) == NULL) {
            print_error("sslplug %s --frob=1: exit %d:\n%s\n", verbs[i], rc, out);
        }
        assert_int_equal(rc, 2);
        assert_non_null(strstr(out, expect));
        free(expect);
        free(out);
    }
    /* --opt=value is --opt value. */
    assert_int_equal(tu_run(&out, "%s check --timeout=30 %s/client.json", SSLPLUG_TEST_CLI,
                            SSLPLUG_TEST_DEMO_DIR),
                     0);
    free(out);
    assert_int_equal(tu_run(&out, "%s check --timeout=0 %s/client.json", SSLPLUG_TEST_CLI,
                            SSLPLUG_TEST_DEMO_DIR),
                     2);
    assert_non_null(strstr(out, "--timeout: expected a whole number from 1 to"));
    free(out);
}

static void
test_cli_version(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s --version", SSLPLUG_TEST_CLI), 0);
    assert_non_null(strstr(out, "sslplug 0.1.0\n"));
    assert_non_null(strstr(out, "library: libsslplug.so.0, version 0.1.0\n"));
    assert_non_null(strstr(out, "plugin ABI: 1.4"));
    assert_non_null(strstr(out, "OpenSSL: OpenSSL 3."));
    free(out);
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

/* A client configuration whose second info entry is crash_init with these config members. */
static char *
crash_config(const char *dir, const char *members)
{
    char *json = NULL, *conf;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\"},"
                         " \"callbacks\": {\"info\": [{\"plugin\": \"info_log\"},"
                         " {\"plugin\": \"%s\", \"config\": {%s}}]}}",
                         tu_test_plugin("crash_init"), members) >= 0);
    conf = tu_write(dir, "crash.json", json, 0644);
    free(json);
    return conf;
}

/* The check of conf (and of the demo client after it) fails with expect, naming the entry. */
static void
check_fails(const char *conf, const char *options, const char *expect, const char *entry)
{
    char *out = NULL, *ok = NULL, *loading = NULL;
    int rc = tu_run(&out, "%s check %s %s %s/client.json", SSLPLUG_TEST_CLI, options, conf,
                    SSLPLUG_TEST_DEMO_DIR);

    if (rc != 1 || strstr(out, expect) == NULL) {
        print_error("exit %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, expect));
    /* The entry being loaded is named, and the tool went on to the next file. */
    assert_true(asprintf(&loading, "while loading %s (", entry) >= 0);
    assert_non_null(strstr(out, loading));
    assert_non_null(strstr(out, "client.json: ok"));
    assert_true(asprintf(&ok, "%s: ok", conf) >= 0);
    assert_null(strstr(out, ok));
    free(loading);
    free(ok);
    free(out);
}

static void
check_crash(const char *how, const char *expect)
{
    char *dir = tu_tmpdir();
    char *members = NULL, *conf;

    assert_true(asprintf(&members, "\"how\": \"%s\"", how) >= 0);
    conf = crash_config(dir, members);
    check_fails(conf, "", expect, "/callbacks/info/1");
    free(members);
    free(conf);
    tu_rmtree(dir);
}

static void
test_cli_check_survives_plugin_crash_in_init(void **state)
{
    (void)state;
    check_crash("segv", "crashed (signal 11");
    check_crash("abort", "crashed (signal 6");
}

/* exit(0) in init is not a clean check: there was no verdict. */
static void
test_cli_check_fails_when_init_exits_0(void **state)
{
    (void)state;
    check_crash("exit", "exited (status 0) without reporting a verdict");
}

/* Nor is exit(0) in an ELF constructor, which runs while the file is loaded. */
static void
test_cli_check_fails_when_constructor_exits_0(void **state)
{
    char *dir = tu_tmpdir();
    char *json = NULL, *conf;

    (void)state;
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"client\"},"
                         " \"callbacks\": {\"info\": {\"plugin\": \"%s\"}}}",
                         tu_test_plugin("crash_ctor")) >= 0);
    conf = tu_write(dir, "ctor.json", json, 0644);
    check_fails(conf, "", "exited (status 0) without reporting a verdict", "/callbacks/info");
    free(conf);
    free(json);
    tu_rmtree(dir);
}

/* "PID PGID" from a pidfile crash_init wrote; 0 when there is none. */
static int
read_pids(const char *path, pid_t *pid, pid_t *pgid)
{
    char *text = tu_file_read(path, NULL);
    long a = 0, b = 0;
    int ok = text != NULL && sscanf(text, "%ld %ld", &a, &b) == 2 && a > 1 && b > 1;

    free(text);
    *pid = (pid_t)a;
    *pgid = (pid_t)b;
    return ok;
}

/*
 * Reap pid, which became this process's child (a subreaper) when its parent
 * died, waiting at most bound_s seconds; 1 with its status when reaped.
 */
static int
reap_within(pid_t pid, int bound_s, int *status)
{
    for (int i = 0; i < bound_s * 100; i++) {
        pid_t r = waitpid(pid, status, WNOHANG);

        if (r == pid) {
            return 1;
        }
        if (r < 0) {
            return 0;
        }
        usleep(10000);
    }
    return 0;
}

/*
 * An init that leaves a child running (holding the report pipe, stdout and
 * stderr) must not keep check waiting: the verdict comes, then the whole
 * process group of the check is killed.
 */
static void
test_cli_check_kills_process_group_left_by_init(void **state)
{
    char *dir = tu_tmpdir();
    char *pidfile = tu_path_join(dir, "pids");
    char *members = NULL, *conf, *out = NULL, *ok = NULL;
    pid_t pid = 0, pgid = 0;
    int rc, have, reaped, status = 0, group_gone;

    (void)state;
    /* Orphans of the check become ours, so they can be reaped and their end seen. */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    assert_true(asprintf(&members, "\"how\": \"fork\", \"pidfile\": \"%s\"", pidfile) >= 0);
    conf = crash_config(dir, members);
    rc = tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf);
    have = read_pids(pidfile, &pid, &pgid);
    reaped = have && reap_within(pid, 10, &status);
    if (have && !reaped) {
        kill(pid, SIGKILL);
        reap_within(pid, 10, &status);
    }
    group_gone = have && kill(-pgid, 0) != 0 && errno == ESRCH;
    if (have && !group_gone) {
        kill(-pgid, SIGKILL);
    }
    prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);

    if (rc != 0) {
        print_error("exit %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 0);
    assert_true(asprintf(&ok, "%s: ok\n", conf) >= 0);
    assert_non_null(strstr(out, ok));
    assert_true(have);
    assert_true(reaped);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_true(group_gone);
    free(ok);
    free(out);
    free(conf);
    free(members);
    free(pidfile);
    tu_rmtree(dir);
}

/*
 * The deadline is the parent's, not an alarm in the child: an init that
 * ignores SIGALRM and waits for ever is killed at --timeout.
 */
static void
test_cli_check_timeout_kills_init_ignoring_sigalrm(void **state)
{
    char *dir = tu_tmpdir();
    char *pidfile = tu_path_join(dir, "pids");
    char *members = NULL, *conf;
    pid_t pid = 0, pgid = 0;
    int have, alive;

    (void)state;
    assert_true(asprintf(&members, "\"how\": \"ignore_alarm\", \"pidfile\": \"%s\"", pidfile) >= 0);
    conf = crash_config(dir, members);
    check_fails(conf, "--timeout 2", "did not finish in 2 s", "/callbacks/info/1");
    have = read_pids(pidfile, &pid, &pgid);
    alive = have && kill(pid, 0) == 0;
    if (alive) {
        kill(pid, SIGKILL);
    }
    assert_true(have);
    assert_false(alive);
    free(conf);
    free(members);
    free(pidfile);
    tu_rmtree(dir);
}

/* ---- lints, --strict, --json ---- */

/* stdout of `sslplug check ARGS` alone (stderr dropped), and its exit status. */
static int
check_stdout(char **out, const char *args)
{
    return tu_run(out, "sh -c 'exec 2>/dev/null; exec %s check %s'", SSLPLUG_TEST_CLI, args);
}

/* A server without a certificate: the lint warns at /context, and the check passes. */
static void
test_cli_check_prints_lint_warning_with_pointer(void **state)
{
    char *dir = tu_tmpdir();
    char *conf =
        tu_write(dir, "nocert.json", "{\"version\": 1, \"context\": {\"role\": \"server\"}}", 0644);
    char *out = NULL, *expect = NULL, *ok = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf), 0);
    assert_true(asprintf(&expect, "%s: warning: /context: a server context with no", conf) >= 0);
    assert_true(asprintf(&ok, "%s: ok\n", conf) >= 0);
    assert_non_null(strstr(out, expect));
    assert_non_null(strstr(out, ok));
    free(out);
    free(ok);
    free(expect);
    free(conf);
    tu_rmtree(dir);
}

static void
test_cli_check_strict_fails_on_warning(void **state)
{
    char *dir = tu_tmpdir();
    char *conf = tu_write(dir, "noverify.json",
                          "{\"version\": 1, \"context\": {\"role\": \"client\", \"verify\": "
                          "\"none\"}}",
                          0644);
    char *out = NULL, *expect = NULL;

    (void)state;
    assert_int_equal(tu_run(&out, "%s check --strict %s %s/client.json", SSLPLUG_TEST_CLI, conf,
                            SSLPLUG_TEST_DEMO_DIR),
                     1);
    assert_true(asprintf(&expect, "%s: warning: /context/verify: ", conf) >= 0);
    assert_non_null(strstr(out, expect));
    free(expect);
    assert_true(asprintf(&expect, "%s: failed: 1 warning and --strict\n", conf) >= 0);
    assert_non_null(strstr(out, expect));
    assert_non_null(strstr(out, "client.json: ok\n"));
    free(out);
    /* Without warnings, --strict passes. */
    assert_int_equal(tu_run(&out, "%s check --strict %s/client.json %s/server.json",
                            SSLPLUG_TEST_CLI, SSLPLUG_TEST_DEMO_DIR, SSLPLUG_TEST_DEMO_DIR),
                     0);
    free(out);
    free(expect);
    free(conf);
    tu_rmtree(dir);
}

/* A plugin's own output never reaches the tool's stdout, so it cannot fake a verdict. */
static void
test_cli_check_stdout_holds_only_the_report(void **state)
{
    char *dir = tu_tmpdir();
    char *conf = crash_config(dir, "\"how\": \"fake\"");
    char *out = NULL, *fake = NULL;

    (void)state;
    assert_int_equal(check_stdout(&out, conf), 1);
    assert_true(asprintf(&fake, "%s: ok", conf) >= 0);
    assert_null(strstr(out, fake));
    assert_null(strstr(out, "{\"verdict\""));
    assert_non_null(strstr(out, "exited (status 0) without reporting a verdict"));
    free(fake);
    free(out);
    free(conf);
    tu_rmtree(dir);
}

/* The member key of obj, which must be a string. */
static const char *
json_text(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    assert_true(json_is_string(v));
    return json_string_value(v);
}

/*
 * One JSON document for the run, whatever plugins print, with each
 * configuration's verdict, errors and warnings (pointer, line, column,
 * message).  A file name that is not UTF-8 is still valid JSON.
 */
static void
test_cli_check_json_document(void **state)
{
    char *dir = tu_tmpdir();
    char *nocert =
        tu_write(dir, "nocert.json", "{\"version\": 1, \"context\": {\"role\": \"server\"}}", 0644);
    char *bad = tu_write(dir, "bad\xff.json", "{\"version\": 1,\n  \"context\": {,}\n}\n", 0644);
    char *fake = crash_config(dir, "\"how\": \"fake\"");
    char *args = NULL, *out = NULL;
    const json_t *configs, *c, *w, *e;
    json_error_t jerr;
    json_t *doc;

    (void)state;
    assert_true(asprintf(&args, "--json %s %s %s %s/client.json", nocert, bad, fake,
                         SSLPLUG_TEST_DEMO_DIR) >= 0);
    assert_int_equal(check_stdout(&out, args), 1);
    doc = json_loads(out, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        print_error("not JSON (%s at %d:%d):\n%s\n", jerr.text, jerr.line, jerr.column, out);
    }
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
    assert_string_equal(json_text(doc, "verdict"), "failed");
    configs = json_object_get(doc, "configs");
    assert_int_equal(json_array_size(configs), 4);

    c = json_array_get(configs, 0);
    assert_string_equal(json_text(c, "config"), nocert);
    assert_string_equal(json_text(c, "verdict"), "ok");
    assert_int_equal(json_array_size(json_object_get(c, "errors")), 0);
    w = json_array_get(json_object_get(c, "warnings"), 0);
    assert_string_equal(json_text(w, "pointer"), "/context");
    assert_int_equal(json_integer_value(json_object_get(w, "code")), SSLPLUG_E_CERTIFICATE);
    assert_non_null(strstr(json_text(w, "message"), "no shared cipher"));

    c = json_array_get(configs, 1);
    assert_non_null(strstr(json_text(c, "config"), "bad\xef\xbf\xbd.json"));
    assert_string_equal(json_text(c, "verdict"), "failed");
    e = json_array_get(json_object_get(c, "errors"), 0);
    assert_int_equal(json_integer_value(json_object_get(e, "code")), SSLPLUG_E_PARSE);
    assert_int_equal(json_integer_value(json_object_get(e, "line")), 2);
    assert_true(json_integer_value(json_object_get(e, "column")) > 0);

    c = json_array_get(configs, 2);
    assert_string_equal(json_text(c, "verdict"), "failed");
    e = json_array_get(json_object_get(c, "errors"), 0);
    assert_string_equal(json_text(e, "pointer"), "/callbacks/info/1");
    assert_non_null(strstr(json_text(e, "message"), "without reporting a verdict"));

    c = json_array_get(configs, 3);
    assert_string_equal(json_text(c, "verdict"), "ok");
    json_decref(doc);
    free(out);

    /* No file is a usage error, with no document. */
    assert_int_equal(check_stdout(&out, "--json --strict"), 2);
    assert_string_equal(out, "");
    free(out);
    /* --strict turns the warning into a failure, in the document too. */
    free(args);
    assert_true(asprintf(&args, "--strict --json %s", nocert) >= 0);
    assert_int_equal(check_stdout(&out, args), 1);
    assert_non_null(doc = json_loads(out, 0, &jerr));
    assert_string_equal(json_text(doc, "verdict"), "failed");
    assert_true(json_is_true(json_object_get(doc, "strict")));
    c = json_array_get(json_object_get(doc, "configs"), 0);
    assert_string_equal(json_text(c, "verdict"), "failed");
    json_decref(doc);
    free(out);
    free(args);
    free(fake);
    free(bad);
    free(nocert);
    tu_rmtree(dir);
}

/* The bundled plugins that write files, and the config key of each one's output. */
static const struct {
    const char *type;
    const char *plugin;
    const char *key;
} file_writers[] = {
    {"info", "info_jsonlog", "path"},
    {"info", "info_metrics", "path"},
    {"keylog", "keylog_file", "path"},
    {"verify", "verify_tofu", "store"},
};

/* Entries in dir besides . and .. */
static int
dir_entries(const char *dir)
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

/* `sslplug check` leaves no file behind, and still reports a missing directory. */
static void
test_cli_check_leaves_no_files_behind(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(file_writers) / sizeof(file_writers[0]); i++) {
        char *dir = tu_tmpdir();
        char *out_dir = tu_path_join(dir, "out");
        char *json = NULL, *conf, *out = NULL, *expect = NULL;
        const char *sub[] = {"out/file", "out/missing/file"};

        assert_int_equal(mkdir(out_dir, 0755), 0);
        for (int bad = 0; bad < 2; bad++) {
            assert_true(asprintf(&json,
                                 "{\"version\": 1, \"context\": {\"role\": \"client\", "
                                 "\"ca_file\": \"%s\"}, \"callbacks\": {\"%s\": {\"plugin\": "
                                 "\"%s\", \"config\": {\"%s\": \"%s\"}}}}",
                                 tu_pki("ca.crt"), file_writers[i].type, file_writers[i].plugin,
                                 file_writers[i].key, sub[bad]) >= 0);
            conf = tu_write(dir, "conf.json", json, 0644);
            assert_int_equal(tu_run(&out, "%s check %s", SSLPLUG_TEST_CLI, conf), bad);
            if (dir_entries(out_dir) != 0) {
                print_error("%s: check left files in %s:\n%s\n", file_writers[i].plugin, out_dir,
                            out);
            }
            assert_int_equal(dir_entries(out_dir), 0);
            assert_true(asprintf(&expect, "%s: /callbacks/%s/config/%s: ", conf,
                                 file_writers[i].type, file_writers[i].key) >= 0);
            assert_true(bad ? strstr(out, expect) != NULL && strstr(out, "/missing") != NULL
                            : strstr(out, ": ok\n") != NULL);
            free(expect);
            free(out);
            free(conf);
            free(json);
        }
        free(out_dir);
        tu_rmtree(dir);
    }
}

/* What `sslplug check` did on a terminal of its own. */
typedef struct pty_run {
    int status;     /* its exit status, -1 when it had to be killed */
    int echo_after; /* the terminal echoed again once it was done */
    char shown[8192];
} pty_run;

/*
 * Run `sslplug check ARGS` as the session leader of a new pseudo-terminal,
 * as from an interactive shell, and type answer once PROMPT shows (answer
 * NULL: type nothing).  Every wait is bounded by 30 s.
 */
static void
check_on_pty(const char *args, const char *prompt, const char *answer, pty_run *run)
{
    char *cmd = NULL, *slave_path;
    size_t used = 0;
    int master, slave, answered = answer == NULL, status = 0, ended = 0;
    struct termios t;
    pid_t pid;

    memset(run, 0, sizeof(*run));
    assert_true(asprintf(&cmd, "exec %s check %s", SSLPLUG_TEST_CLI, args) >= 0);
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave_path = strdup(ptsname(master));
    assert_non_null(slave_path);
    /* Held here too, to read the terminal's settings once the tool is done. */
    slave = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int tty;

        /* A session leader's first terminal opened becomes its controlling one. */
        if (setsid() < 0 || (tty = open(slave_path, O_RDWR)) < 0 || dup2(tty, 0) < 0 ||
            dup2(tty, 1) < 0 || dup2(tty, 2) < 0) {
            _exit(120);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 3000 && !ended; i++) {
        struct pollfd p = {master, POLLIN, 0};

        if (poll(&p, 1, 10) > 0 && (p.revents & POLLIN) != 0 && used < sizeof(run->shown) - 1) {
            ssize_t n = read(master, run->shown + used, sizeof(run->shown) - 1 - used);

            used += n > 0 ? (size_t)n : 0;
            run->shown[used] = '\0';
        }
        if (!answered && strstr(run->shown, prompt) != NULL) {
            assert_int_equal(write(master, answer, strlen(answer)), (ssize_t)strlen(answer));
            answered = 1;
        }
        ended = waitpid(pid, &status, WNOHANG) == pid;
    }
    if (!ended) {
        kill(-pid, SIGKILL);
        waitpid(pid, &status, 0);
        status = -1;
    }
    run->status = status == -1 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    run->echo_after = tcgetattr(slave, &t) == 0 && (t.c_lflag & ECHO) != 0;
    close(slave);
    close(master);
    free(slave_path);
    free(cmd);
}

/* A server configuration whose encrypted key is unlocked by password_prompt. */
static char *
prompt_config(const char *dir)
{
    char *json = NULL, *conf;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                         "\"%s\", \"private_key\": \"%s\"}, \"callbacks\": {\"password\": "
                         "{\"plugin\": \"password_prompt\", \"config\": {\"prompt\": "
                         "\"Key pass phrase: \"}}}}",
                         tu_pki("server.crt"), tu_pki("server.key")) >= 0);
    conf = tu_write(dir, "prompt.json", json, 0644);
    free(json);
    return conf;
}

/*
 * The check runs in a process group of its own, yet from an interactive
 * shell it may still prompt: it gets the terminal for the check.
 */
static void
test_cli_check_with_timeout_prompts_on_terminal(void **state)
{
    char *dir = tu_tmpdir();
    char *conf = prompt_config(dir);
    char *args = NULL, *answer = NULL;
    pty_run run;

    (void)state;
    assert_true(asprintf(&args, "--timeout 30 %s", conf) >= 0);
    assert_true(asprintf(&answer, "%s\n", tu_server_password()) >= 0);
    check_on_pty(args, "Key pass phrase: ", answer, &run);
    if (run.status != 0) {
        print_error("exit %d:\n%s\n", run.status, run.shown);
    }
    assert_int_equal(run.status, 0);
    assert_non_null(strstr(run.shown, "prompt.json: ok"));
    assert_null(strstr(run.shown, tu_server_password()));
    assert_true(run.echo_after);
    free(answer);
    free(args);
    free(conf);
    tu_rmtree(dir);
}

/* A check killed at the deadline while it prompts leaves the terminal echoing again. */
static void
test_cli_check_deadline_during_prompt_restores_terminal(void **state)
{
    char *dir = tu_tmpdir();
    char *conf = prompt_config(dir);
    char *args = NULL;
    pty_run run;

    (void)state;
    assert_true(asprintf(&args, "--timeout 2 %s", conf) >= 0);
    check_on_pty(args, "Key pass phrase: ", NULL, &run);
    if (run.status != 1) {
        print_error("exit %d:\n%s\n", run.status, run.shown);
    }
    assert_int_equal(run.status, 1);
    assert_non_null(strstr(run.shown, "Key pass phrase: "));
    assert_non_null(strstr(run.shown, "did not finish in 2 s while loading /callbacks/password ("));
    assert_true(run.echo_after);
    free(args);
    free(conf);
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_demo_traces_all_four_types),
        cmocka_unit_test(test_cli_usage_errors_exit_2),
        cmocka_unit_test(test_cli_every_verb_has_help),
        cmocka_unit_test(test_cli_every_verb_names_an_unknown_option),
        cmocka_unit_test(test_cli_version),
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
        cmocka_unit_test(test_cli_check_fails_when_init_exits_0),
        cmocka_unit_test(test_cli_check_fails_when_constructor_exits_0),
        cmocka_unit_test(test_cli_check_kills_process_group_left_by_init),
        cmocka_unit_test(test_cli_check_timeout_kills_init_ignoring_sigalrm),
        cmocka_unit_test(test_cli_check_prints_lint_warning_with_pointer),
        cmocka_unit_test(test_cli_check_strict_fails_on_warning),
        cmocka_unit_test(test_cli_check_stdout_holds_only_the_report),
        cmocka_unit_test(test_cli_check_json_document),
        cmocka_unit_test(test_cli_check_leaves_no_files_behind),
        cmocka_unit_test(test_cli_check_with_timeout_prompts_on_terminal),
        cmocka_unit_test(test_cli_check_deadline_during_prompt_restores_terminal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
