/*
 * The Debian packages, made and used as a Debian user would: this source
 * tree is configured for /usr in a scratch build, `cpack -G DEB` makes
 * libsslplug0, libsslplug-dev and sslplug, `dpkg -i` installs them into
 * this machine, and the installed files are used: the layout and
 * dependencies, /usr/bin/sslplug (help, demo, check of the installed
 * example configurations), examples/vendor-plugin built against the
 * packages, and a static link finding the packaged plugins.  The group
 * teardown purges the packages and the demo PKI the test made, leaving the
 * machine as it was.
 *
 * Installing into /usr needs root: run as anyone else, the test says so and
 * passes without doing anything.  CI runs as root on a throwaway machine.
 * It also passes, saying why, when sslplug packages or files are already
 * installed (it would replace and then remove them).
 *
 * The build tells this file how to reach it (SslplugInstall.cmake):
 * SSLPLUG_TEST_CMAKE, _CPACK, _TOP_DIR, _MULTIARCH and _VERSION.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Bounds of the slow steps, in seconds: a hang fails the test. */
#define BUILD_S 600
#define STEP_S 300

#define LIBDIR "/usr/lib/" SSLPLUG_TEST_MULTIARCH
#define DEMO "/usr/share/sslplug/demo"
#define PACKAGES "sslplug libsslplug-dev libsslplug0"

static char *scratch;
static int installed; /* dpkg -i ran: the teardown purges */
static int made_pki;  /* the teardown removes DEMO/pki */

/* Run a command line bounded by seconds; its exit status, and (if out) its stdout+stderr. */
static int sh_run(int seconds, char **out, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
sh_run(int seconds, char **out, const char *fmt, ...)
{
    char *cmd = NULL, *full = NULL, *text = NULL;
    size_t len = 0;
    char buf[4096];
    size_t n;
    FILE *p, *o;
    int status;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&cmd, fmt, ap) < 0) {
        va_end(ap);
        return -1;
    }
    va_end(ap);
    /* In single quotes for sh -c: the command lines of this file have none. */
    if (strchr(cmd, '\'') != NULL ||
        asprintf(&full, "timeout %d sh -c '%s' 2>&1", seconds, cmd) < 0 ||
        (o = open_memstream(&text, &len)) == NULL) {
        free(cmd);
        free(full);
        return -1;
    }
    if ((p = popen(full, "r")) == NULL) {
        fclose(o);
        free(text);
        free(cmd);
        free(full);
        return -1;
    }
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
        fwrite(buf, 1, n, o);
    }
    status = pclose(p);
    fclose(o);
    if (out != NULL) {
        *out = text;
    } else {
        free(text);
    }
    free(cmd);
    free(full);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* As sh_run, asserting the exit status (printing the output when it differs). */
static char *run(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
run(int rc, const char *fmt, ...)
{
    char *cmd = NULL, *out = NULL;
    int got;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&cmd, fmt, ap) >= 0);
    va_end(ap);
    got = sh_run(STEP_S, &out, "%s", cmd);
    if (got != rc) {
        print_error("%s\nexit %d, expected %d:\n%s\n", cmd, got, rc, out != NULL ? out : "");
    }
    assert_int_equal(got, rc);
    free(cmd);
    return out;
}

static void
assert_has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL) {
        print_error("expected \"%s\" in:\n%s\n", needle, text);
    }
    assert_non_null(strstr(text, needle));
}

/* A step of the setup: 0, or -1 with its output printed. */
static int
step(int seconds, const char *what, const char *cmd)
{
    char *out = NULL;
    int rc = sh_run(seconds, &out, "%s", cmd);

    if (rc != 0) {
        print_error("%s failed (exit %d):\n%s\n", what, rc, out != NULL ? out : "");
    }
    free(out);
    return rc == 0 ? 0 : -1;
}

static int
group_setup(void **state)
{
    char *cmd = NULL;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int rc = -1;

    (void)state;
    scratch = tu_tmpdir();
    /* The packages of this tree, configured for /usr; no tests or benchmarks to build. */
    if (asprintf(
            &cmd,
            "%s -S %s -B %s/build -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo"
            " -DSSLPLUG_BUILD_TESTS=OFF -DSSLPLUG_BUILD_BENCH=OFF -DSSLPLUG_SANITIZE=",
            SSLPLUG_TEST_CMAKE, SSLPLUG_TEST_TOP_DIR, scratch) < 0 ||
        step(STEP_S, "configure", cmd) != 0) {
        goto done;
    }
    free(cmd);
    if (asprintf(&cmd, "%s --build %s/build -j%ld", SSLPLUG_TEST_CMAKE, scratch,
                 cpus > 0 ? cpus : 2) < 0 ||
        step(BUILD_S, "build", cmd) != 0) {
        goto done;
    }
    free(cmd);
    if (asprintf(&cmd, "cd %s/build && %s -G DEB", scratch, SSLPLUG_TEST_CPACK) < 0 ||
        step(STEP_S, "cpack -G DEB", cmd) != 0) {
        goto done;
    }
    free(cmd);
    installed = 1; /* from here on, whatever dpkg did is undone */
    if (asprintf(&cmd, "dpkg -i %s/build/*.deb", scratch) < 0 ||
        step(STEP_S, "dpkg -i", cmd) != 0) {
        goto done;
    }
    rc = 0;
done:
    free(cmd);
    return rc;
}

static int
group_teardown(void **state)
{
    char *out = NULL;
    int rc = 0;

    (void)state;
    if (made_pki && sh_run(STEP_S, NULL, "rm -rf " DEMO "/pki") != 0) {
        rc = -1;
    }
    /* --purge, not -r: nothing of the packages stays behind, not even their dpkg status. */
    if (installed && sh_run(STEP_S, &out, "dpkg --purge " PACKAGES) != 0) {
        print_error("dpkg --purge failed:\n%s\n", out != NULL ? out : "");
        rc = -1;
    }
    free(out);
    out = NULL;
    if (installed && (sh_run(STEP_S, &out,
                             "dpkg-query -W -f=\"\\${db:Status-Abbrev}\\${Package}\\n\" " PACKAGES
                             " 2>/dev/null | grep -v ^un; test ! -e /usr/share/sslplug") != 0 ||
                      (out != NULL && out[0] != '\0'))) {
        print_error("left behind after the purge:\n%s\n", out != NULL ? out : "");
        rc = -1;
    }
    free(out);
    if (scratch != NULL) {
        tu_rmtree(scratch);
    }
    return rc;
}

/* Installed where Debian puts things, with the dependencies between the packages. */
static void
test_package_layout_and_dependencies(void **state)
{
    static const char *const files[][2] = {
        {"libsslplug0", LIBDIR "/libsslplug.so." SSLPLUG_TEST_VERSION},
        {"libsslplug0", LIBDIR "/libsslplug.so.0"},
        {"libsslplug-dev", LIBDIR "/libsslplug.so"},
        {"libsslplug-dev", LIBDIR "/libsslplug.a"},
        {"libsslplug-dev", "/usr/include/sslplug/sslplug.h"},
        {"libsslplug-dev", "/usr/include/sslplug/plugin.h"},
        {"libsslplug-dev", LIBDIR "/pkgconfig/sslplug.pc"},
        {"libsslplug-dev", LIBDIR "/pkgconfig/sslplug-plugin.pc"},
        {"libsslplug-dev", LIBDIR "/cmake/sslplug/sslplugConfig.cmake"},
        {"libsslplug-dev", "/usr/share/man/man7/sslplug-plugin.7"},
        {"libsslplug-dev", "/usr/share/doc/sslplug/examples/vendor-plugin/CMakeLists.txt"},
        {"sslplug", "/usr/bin/sslplug"},
        {"sslplug", LIBDIR "/sslplug/plugins/password_file.so"},
        {"sslplug", LIBDIR "/sslplug/plugins/verify_log.so"},
        {"sslplug", "/usr/share/sslplug/sslplug.schema.json"},
        {"sslplug", DEMO "/server.json"},
        {"sslplug", DEMO "/client.json"},
        {"sslplug", DEMO "/mkpki.sh"},
        {"sslplug", DEMO "/examples/sni-virtual-hosts.json"},
        {"sslplug", "/usr/share/man/man1/sslplug.1"},
        {"sslplug", "/usr/share/man/man5/sslplug.json.5"},
    };
    static const char deb_version[] = SSLPLUG_TEST_VERSION "-1";
    char *out, *expect = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        out = run(0, "dpkg -S %s", files[i][1]);
        assert_true(asprintf(&expect, "%s: %s\n", files[i][0], files[i][1]) > 0);
        assert_has(out, expect);
        assert_int_equal(access(files[i][1], F_OK), 0);
        free(expect);
        free(out);
    }
    /* The tool and the headers need this very library; dpkg-shlibdeps found the rest. */
    out = run(0, "dpkg-query -W -f=\"\\${Depends}\" sslplug");
    assert_true(asprintf(&expect, "libsslplug0 (= %s)", deb_version) > 0);
    assert_has(out, expect);
    assert_has(out, "libssl3");
    free(out);
    out = run(0, "dpkg-query -W -f=\"\\${Depends}\" libsslplug-dev");
    assert_has(out, expect);
    assert_has(out, "libssl-dev");
    assert_has(out, "libjansson-dev");
    free(out);
    free(expect);
    out = run(0, "dpkg-query -W -f=\"\\${Depends}\" libsslplug0");
    assert_has(out, "libssl3");
    assert_has(out, "libjansson4");
    free(out);
    /* Packages built against it will depend on it. */
    out = run(0, "cat /var/lib/dpkg/info/libsslplug0:*.shlibs /var/lib/dpkg/info/libsslplug0.shlibs"
                 " 2>/dev/null; true");
    assert_has(out, "libsslplug 0 libsslplug0 (>= " SSLPLUG_TEST_VERSION ")");
    free(out);
}

/* /usr/bin/sslplug: help, the demo before and after its PKI, the installed examples. */
static void
test_package_tool_runs(void **state)
{
    static const char *const examples[] = {"sni-virtual-hosts", "cert-select-sni", "info-events"};
    char *out;

    (void)state;
    out = run(0, "/usr/bin/sslplug --help");
    assert_has(out, "sslplug check");
    free(out);
    out = run(1, "/usr/bin/sslplug demo");
    assert_has(out, "sh " DEMO "/mkpki.sh " DEMO "/pki\n");
    free(out);

    assert_int_equal(access(DEMO "/pki", F_OK), -1);
    made_pki = 1;
    free(run(0, "sh " DEMO "/mkpki.sh " DEMO "/pki"));
    out = run(0, "/usr/bin/sslplug demo");
    assert_has(out, "[server] password    password_file");
    assert_has(out, "handshake: ok");
    free(out);
    /* keylog.json is left out: it writes its log file beside itself. */
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        out = run(0, "/usr/bin/sslplug check " DEMO "/examples/%s.json", examples[i]);
        assert_has(out, ".json: ok");
        free(out);
    }
}

/* The packaged plugin kit builds against the packages alone and its plugins load. */
static void
test_package_vendor_plugin_builds(void **state)
{
    char *out;

    (void)state;
    if (!made_pki) {
        skip(); /* test_package_tool_runs makes the PKI */
    }
    free(run(0,
             "%s -S /usr/share/doc/sslplug/examples/vendor-plugin -B %s/vendor"
             " -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-Werror",
             SSLPLUG_TEST_CMAKE, scratch));
    free(run(0, "%s --build %s/vendor", SSLPLUG_TEST_CMAKE, scratch));
    out = run(0, "grep ^sslplug_DIR: %s/vendor/CMakeCache.txt", scratch);
    assert_has(out, LIBDIR "/cmake/sslplug");
    free(out);
    out = run(0, "/usr/bin/sslplug inspect %s/vendor/acme_verify.so", scratch);
    assert_has(out, "name: acme_verify");
    assert_has(out, "(compatible)");
    free(out);
    out = run(0,
              "/usr/bin/sslplug handshake " DEMO "/server.json %s/vendor/demo-client.json"
              " --servername localhost",
              scratch);
    assert_has(out, "acme_verify: accepting CN=localhost");
    assert_has(out, "handshake: ok");
    free(out);
}

/* A program linked with the packaged libsslplug.a looks for plugins where the package put them. */
static void
test_package_static_link_finds_packaged_plugins(void **state)
{
    static const char prog[] = "#include <stdio.h>\n"
                               "#include <sslplug/sslplug.h>\n"
                               "int main(void) { puts(sslplug_builtin_plugin_dir()); return 0; }\n";
    char *src, *out;

    (void)state;
    src = tu_write(scratch, "builtin.c", prog, 0644);
    free(run(0,
             "cc -o %s/builtin %s $(pkg-config --cflags sslplug) " LIBDIR "/libsslplug.a"
             " $(pkg-config --libs jansson libssl libcrypto) -ldl -pthread",
             scratch, src));
    out = run(0, "readelf -d %s/builtin", scratch);
    assert_null(strstr(out, "libsslplug"));
    free(out);
    out = run(0, "%s/builtin", scratch);
    assert_string_equal(out, LIBDIR "/sslplug/plugins\n");
    free(out);
    free(src);
}

/* 1 when packages or files of sslplug are on this machine already. */
static int
already_installed(void)
{
    char *out = NULL;
    int found;

    sh_run(STEP_S, &out,
           "dpkg-query -W -f=\"\\${db:Status-Abbrev}\\${Package}\\n\" " PACKAGES
           " 2>/dev/null | grep -v ^un; ls -d /usr/bin/sslplug /usr/share/sslplug " LIBDIR
           "/libsslplug.so* 2>/dev/null");
    found = out != NULL && out[0] != '\0';
    if (found) {
        printf("test_package: skipped: sslplug is installed on this machine already:\n%s", out);
    }
    free(out);
    return found;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_package_layout_and_dependencies),
        cmocka_unit_test(test_package_tool_runs),
        cmocka_unit_test(test_package_vendor_plugin_builds),
        cmocka_unit_test(test_package_static_link_finds_packaged_plugins),
    };
    int lock;

    if (geteuid() != 0) {
        printf("test_package: skipped: it installs the .deb packages into this machine with "
               "dpkg -i, which needs root (CI runs it as root)\n");
        return 0;
    }
    if (access("/usr/bin/dpkg", X_OK) != 0) {
        printf("test_package: skipped: no dpkg, not a Debian system\n");
        return 0;
    }
    /* Two build trees' suites at once would install over each other. */
    lock = open("/run/lock/sslplug-test-package.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
        printf("test_package: skipped: another test_package is installing packages\n");
        return 0;
    }
    if (already_installed()) {
        return 0;
    }
    /* Whatever the caller's umask, installed and built files must pass the host's checks. */
    umask(022);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
