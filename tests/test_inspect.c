/*
 * sslplug inspect, run as a user would, on plugin files that must not be
 * trusted: it applies the loader's file checks, reads what it can from the
 * file without running any of its code, and runs the plugin's entry (for
 * the descriptor) only in a child whose crash it reports.
 *
 * The suite runs as root: unsafe files are made with the mode bits and
 * owners the checks look at (chmod, chown to FOREIGN_UID).
 */
#define _GNU_SOURCE /* asprintf, setenv */
#include "testutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An owner that is neither root nor the effective user. */
#define FOREIGN_UID 12345

static int
dir_setup(void **state)
{
    char *dir = tu_tmpdir();
    char *real = realpath(dir, NULL);

    assert_non_null(real);
    free(dir);
    *state = real;
    return 0;
}

static int
dir_teardown(void **state)
{
    tu_rmtree(*state);
    return unsetenv("SSLPLUG_TEST_MARKER");
}

static char *
bundled(const char *name)
{
    char *path = NULL;

    assert_true(asprintf(&path, "%s/%s.so", sslplug_builtin_plugin_dir(), name) >= 0);
    return path;
}

/* sslplug inspect ARGS; returns the exit status, output in *out. */
static int
inspect(char **out, const char *args)
{
    return tu_run(out, "%s inspect %s", SSLPLUG_TEST_CLI, args);
}

static void
assert_has(const char *out, const char *needle)
{
    if (strstr(out, needle) == NULL) {
        print_error("output:\n%s\ndoes not contain \"%s\"\n", out, needle);
    }
    assert_non_null(strstr(out, needle));
}

/* inspect refuses path (also with --sha256), exit 1, naming it and the rule. */
static void
assert_inspect_refuses(const char *path, const char *rule)
{
    char *out = NULL, *args = NULL;

    assert_int_equal(inspect(&out, path), 1);
    assert_has(out, path);
    assert_has(out, rule);
    assert_null(strstr(out, "kind:"));
    free(out);
    assert_true(asprintf(&args, "--sha256 %s", path) >= 0);
    assert_int_equal(inspect(&out, args), 1);
    assert_has(out, rule);
    assert_null(strstr(out, "sha256: "));
    free(out);
    free(args);
}

static void
test_inspect_world_writable_plugin_refused(void **state)
{
    char *src = bundled("info_log");
    char *plugin = tu_file_copy(src, *state, "w.so", 0777);

    assert_inspect_refuses(plugin, "is writable by group or others (mode 0777)");
    free(plugin);
    free(src);
}

/* The rest of the loader's rules, through the same function. */
static void
test_inspect_foreign_owner_symlink_and_open_dir_refused(void **state)
{
    const char *dir = *state;
    char *src = bundled("info_log");
    char *theirs = tu_file_copy(src, dir, "theirs.so", 0644);
    char *mine = tu_file_copy(src, dir, "mine.so", 0644);
    char *link = tu_path_join(dir, "link.so");
    char *open_dir = tu_path_join(dir, "open");
    char *inside = NULL, *which = NULL;

    assert_int_equal(chown(theirs, FOREIGN_UID, FOREIGN_UID), 0);
    assert_inspect_refuses(theirs, "is owned by uid 12345, not root or the effective user");
    assert_int_equal(symlink(mine, link), 0);
    assert_inspect_refuses(link, "it is a symbolic link");
    assert_int_equal(mkdir(open_dir, 0700), 0);
    inside = tu_file_copy(src, open_dir, "in.so", 0644);
    assert_int_equal(chmod(open_dir, 0777), 0);
    assert_true(asprintf(&which, "directory %s above %s is writable by group or others", open_dir,
                         inside) >= 0);
    assert_inspect_refuses(inside, which);
    assert_int_equal(chmod(open_dir, 0700), 0);
    free(which);
    free(inside);
    free(open_dir);
    free(link);
    free(mine);
    free(theirs);
    free(src);
}

/*
 * A raw plugin whose constructor leaves a marker: its functions, SHA-256,
 * needed libraries and OpenSSL verdict come from the file, and nothing of
 * it runs, in inspect's process or any other.
 */
static void
test_inspect_raw_plugin_described_without_running_it(void **state)
{
    const char *dir = *state;
    char *marker = tu_path_join(dir, "marker");
    char *out = NULL, *args = NULL;

    assert_int_equal(setenv("SSLPLUG_TEST_MARKER", marker, 1), 0);
    assert_int_equal(inspect(&out, tu_test_plugin("insp_marker")), 0);
    assert_has(out, "kind: raw");
    assert_has(out, "  insp_marker_verify\n");
    assert_has(out, "needs: ");
    assert_has(out, "openssl: this process's");
    free(out);
    assert_true(asprintf(&args, "--sha256 %s", tu_test_plugin("insp_marker")) >= 0);
    assert_int_equal(inspect(&out, args), 0);
    assert_has(out, "sha256: ");
    if (access(marker, F_OK) == 0) {
        print_error("the plugin's constructor ran\n");
    }
    assert_int_not_equal(access(marker, F_OK), 0);
    free(out);
    free(args);
    free(marker);
}

/* The entry runs in a child: its crash is reported, and inspect exits 1 by itself. */
static void
test_inspect_entry_crash_reported_not_suffered(void **state)
{
    char *out = NULL;
    int rc = inspect(&out, tu_test_plugin("insp_crash_entry"));

    (void)state;
    if (rc != 1) {
        print_error("exit %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 1);
    assert_has(out, "kind: sslplug plugin");
    assert_has(out, "the plugin crashed (signal 11, Segmentation fault)");
    free(out);
}

/* A truncated file is an error naming it, not a SIGBUS (exit 135). */
static void
test_inspect_truncated_plugin_reported(void **state)
{
    char *src = bundled("info_log");
    char *cut = tu_file_copy_head(src, *state, "cut.so", 1000, 0644);
    char *out = NULL;
    int rc = inspect(&out, cut);

    if (rc != 1) {
        print_error("exit %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 1);
    assert_has(out, cut);
    assert_has(out, "past the end of the file (1000 bytes)");
    free(out);
    free(cut);
    free(src);
}

/* The file facts of an ordinary plugin: digest as sha256sum says, libraries, verdict. */
static void
test_inspect_abi_plugin_file_facts(void **state)
{
    char *src = bundled("info_log");
    char *out = NULL, *digest = NULL, *sha = NULL;

    (void)state;
    assert_int_equal(tu_run(&digest, "sha256sum %s", src), 0);
    digest[64] = '\0';
    assert_true(asprintf(&sha, "sha256: %s\n", digest) >= 0);
    assert_int_equal(inspect(&out, src), 0);
    assert_has(out, sha);
    /* Sanitizer builds add their runtimes to the list. */
    assert_has(out, "needs: ");
    assert_has(out, " libssl.so.3 ");
    assert_has(out, " libcrypto.so.3 ");
    assert_has(out, "openssl: this process's");
    assert_has(out, "name: info_log");
    free(out);
    free(sha);
    free(digest);
    free(src);
}

/* The one-OpenSSL verdict the loader would give, from the file. */
static void
test_inspect_reports_own_openssl(void **state)
{
    char *out = NULL;

    (void)state;
    assert_int_equal(inspect(&out, tu_test_plugin("sec_static_openssl")), 0);
    assert_has(out, "openssl: refused, it brings its own: it defines and exports ");
    free(out);
}

/* An entry symbol that is data: said so, never called. */
static void
test_inspect_data_entry_reported(void **state)
{
    char *out = NULL;
    int rc = inspect(&out, tu_test_plugin("ldr_data_entry"));

    (void)state;
    if (rc != 0) {
        print_error("exit %d:\n%s\n", rc, out);
    }
    assert_int_equal(rc, 0);
    assert_has(out, "sslplug_plugin_entry is not a function (the loader refuses it)");
    free(out);
}

static int
listed(const char *const *names, const char *name)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        if (strcmp(names[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The public function behind inspect: facts of a raw plugin, and its errors. */
static void
test_inspect_examine_reads_file_facts(void **state)
{
    const char *plugin = tu_test_plugin("ldr_data_symbol");
    sslplug_plugin_facts *facts;
    sslplug_error err;
    char *cut, *src = bundled("info_log");

    facts = sslplug_plugin_examine(plugin, &err);
    assert_non_null(facts);
    assert_int_equal(err.code, SSLPLUG_OK);
    assert_string_equal(facts->file, plugin);
    assert_int_equal(facts->entry, 0);
    /* Functions only: the data object under a callback's name is not one. */
    assert_true(listed(facts->functions, "ldr_data_real_verify"));
    assert_false(listed(facts->functions, "ldr_data_verify"));
    assert_non_null(facts->needed);
    assert_null(facts->openssl);
    sslplug_plugin_facts_free(facts);
    sslplug_plugin_facts_free(NULL);

    facts = sslplug_plugin_examine(src, &err);
    assert_non_null(facts);
    assert_int_equal(facts->entry, 1);
    assert_true(listed(facts->needed, "libcrypto.so.3"));
    assert_true(listed(facts->functions, "sslplug_plugin_entry"));
    sslplug_plugin_facts_free(facts);

    cut = tu_file_copy_head(src, *state, "cut.so", 64, 0644);
    assert_null(sslplug_plugin_examine(cut, &err));
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_LOAD, "", cut);
    assert_string_equal(err.source, cut);
    assert_null(sslplug_plugin_examine(NULL, &err));
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    free(cut);
    free(src);
}

#define INSPECT_TEST(f) cmocka_unit_test_setup_teardown(f, dir_setup, dir_teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        INSPECT_TEST(test_inspect_world_writable_plugin_refused),
        INSPECT_TEST(test_inspect_foreign_owner_symlink_and_open_dir_refused),
        INSPECT_TEST(test_inspect_raw_plugin_described_without_running_it),
        INSPECT_TEST(test_inspect_entry_crash_reported_not_suffered),
        INSPECT_TEST(test_inspect_truncated_plugin_reported),
        INSPECT_TEST(test_inspect_abi_plugin_file_facts),
        INSPECT_TEST(test_inspect_reports_own_openssl),
        INSPECT_TEST(test_inspect_data_entry_reported),
        INSPECT_TEST(test_inspect_examine_reads_file_facts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
