/*
 * `cmake --install` of this very build into a scratch prefix, and the
 * installed SDK used the way its users would: the layout; the plugin author
 * kit (examples/vendor-plugin) built with pkg-config and with find_package
 * and loaded by the installed `sslplug`; the embedding example built
 * against the shared library (pkg-config) and the static one (find_package),
 * serving the installed demo configuration (bundled plugins by bare name)
 * and talked to with the installed `sslplug connect`; the installed demo
 * configurations with the installed plugins, and `sslplug demo` before and
 * after the PKI is made.
 *
 * The build tells this file how to reach it (SslplugInstall.cmake):
 * SSLPLUG_TEST_CMAKE, _BUILD_DIR, _TOP_DIR, _LIBDIR, _SANITIZE, _VERSION,
 * _SOVERSION and _STATIC.
 */
#define _GNU_SOURCE /* asprintf, pipe2 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Bound on a server's startup and exit: a hang fails the test. */
#define WAIT_MS 30000

/* The installation, shared by every test of the group. */
static char *scratch; /* tu_tmpdir(): the prefix and the example builds */
static char *prefix;

/* A server started by a test, killed and reaped by the teardown. */
typedef struct server {
    pid_t pid;
    int out;
    char text[8192];
    size_t len;
} server;

static const char *path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* prefix + "/" + the formatted rest, in one of a few static slots. */
static const char *
path(const char *fmt, ...)
{
    static char slots[8][2048];
    static unsigned next;
    char *p = slots[next++ % 8];
    char rest[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    snprintf(p, sizeof(slots[0]), "%s/%s", prefix, rest);
    return p;
}

static int
group_setup(void **state)
{
    char *out = NULL, real[PATH_MAX];
    int rc;

    (void)state;
    scratch = tu_tmpdir();
    /* Real: the CLI prints its demo directory resolved. */
    if (realpath(scratch, real) == NULL || asprintf(&prefix, "%s/prefix", real) < 0) {
        return -1;
    }
    /* An install inside the build tree would pass for the build tree itself. */
    if (strncmp(prefix, SSLPLUG_TEST_BUILD_DIR "/", strlen(SSLPLUG_TEST_BUILD_DIR) + 1) == 0) {
        print_error("TMPDIR is inside the build tree; cannot test an install there\n");
        return -1;
    }
    rc = tu_run(&out, "%s --install %s --prefix %s", SSLPLUG_TEST_CMAKE, SSLPLUG_TEST_BUILD_DIR,
                prefix);
    if (rc != 0) {
        print_error("cmake --install failed (%d):\n%s\n", rc, out);
    }
    free(out);
    return rc == 0 ? 0 : -1;
}

static int
group_teardown(void **state)
{
    (void)state;
    tu_rmtree(scratch);
    free(prefix);
    return 0;
}

static int
setup(void **state)
{
    server *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    s->out = -1;
    *state = s;
    return 0;
}

static int
teardown(void **state)
{
    server *s = *state;

    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR) {
            continue;
        }
    }
    if (s->out >= 0) {
        close(s->out);
    }
    free(s);
    return 0;
}

static void
assert_file(const char *p, mode_t type)
{
    struct stat st;

    if (lstat(p, &st) != 0 || (st.st_mode & S_IFMT) != type) {
        print_error("missing or not the expected type: %s\n", p);
    }
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(st.st_mode & S_IFMT, type);
    /* The host refuses plugins and configurations writable by others. */
    if (type != S_IFLNK) {
        assert_int_equal(st.st_mode & 022, 0);
    }
}

static void
assert_has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL) {
        print_error("expected \"%s\" in:\n%s\n", needle, text);
    }
    assert_non_null(strstr(text, needle));
}

/* Run a command line, expect exit status rc, return its output. */
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
    got = tu_run(&out, "%s", cmd);
    if (got != rc) {
        print_error("%s\nexit %d, expected %d:\n%s\n", cmd, got, rc, out);
    }
    assert_int_equal(got, rc);
    free(cmd);
    return out;
}

/* The demo PKI the README says to make, made once for the tests that need it. */
static void
make_demo_pki(void)
{
    static int made;

    if (!made) {
        free(run(0, "sh %s %s", path("share/sslplug/demo/mkpki.sh"),
                 path("share/sslplug/demo/pki")));
        made = 1;
    }
}

static void
test_install_layout(void **state)
{
    static const char *const plugins[] = {"client_cert_file", "info_log",    "password_env",
                                          "password_file",    "raw_example", "verify_log"};
    const char *lib = SSLPLUG_TEST_LIBDIR;
    char *out;

    (void)state;
    assert_file(path("bin/sslplug"), S_IFREG);
    assert_int_equal(access(path("bin/sslplug"), X_OK), 0);
    assert_file(path("%s/libsslplug.so.%s", lib, SSLPLUG_TEST_VERSION), S_IFREG);
    assert_file(path("%s/libsslplug.so.%s", lib, SSLPLUG_TEST_SOVERSION), S_IFLNK);
    assert_file(path("%s/libsslplug.so", lib), S_IFLNK);
    if (SSLPLUG_TEST_STATIC) {
        assert_file(path("%s/libsslplug.a", lib), S_IFREG);
    }
    assert_file(path("include/sslplug/sslplug.h"), S_IFREG);
    assert_file(path("include/sslplug/plugin.h"), S_IFREG);
    assert_file(path("%s/sslplug/plugins", lib), S_IFDIR);
    for (size_t i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++) {
        assert_file(path("%s/sslplug/plugins/%s.so", lib, plugins[i]), S_IFREG);
    }
    /* Test and benchmark plugins stay in the build tree. */
    assert_int_equal(access(path("%s/sslplug/plugins/cb_verify_reject.so", lib), F_OK), -1);
    assert_file(path("share/sslplug/sslplug.schema.json"), S_IFREG);
    assert_file(path("share/sslplug/demo/server.json"), S_IFREG);
    assert_file(path("share/sslplug/demo/client.json"), S_IFREG);
    assert_file(path("share/sslplug/demo/mkpki.sh"), S_IFREG);
    assert_file(path("share/sslplug/demo/examples"), S_IFDIR);
    assert_file(path("share/sslplug/demo/examples/sni-virtual-hosts.json"), S_IFREG);
    assert_file(path("share/man/man1/sslplug.1"), S_IFREG);
    assert_file(path("share/man/man1/sslplug-run.1"), S_IFREG);
    assert_file(path("%s/sslplug/libsslplug-inject.so", lib), S_IFREG);
    assert_file(path("share/man/man5/sslplug.json.5"), S_IFREG);
    assert_file(path("share/man/man7/sslplug-plugin.7"), S_IFREG);
    assert_file(path("%s/pkgconfig/sslplug.pc", lib), S_IFREG);
    assert_file(path("%s/pkgconfig/sslplug-plugin.pc", lib), S_IFREG);
    assert_file(path("%s/cmake/sslplug/sslplugConfig.cmake", lib), S_IFREG);
    assert_file(path("%s/cmake/sslplug/sslplugConfigVersion.cmake", lib), S_IFREG);

    /* SONAME and version; the CLI finds its library relative to itself. */
    out = run(0, "readelf -d %s", path("%s/libsslplug.so.%s", lib, SSLPLUG_TEST_VERSION));
    assert_has(out, "Library soname: [libsslplug.so." SSLPLUG_TEST_SOVERSION "]");
    free(out);
    out = run(0, "readelf -d %s", path("bin/sslplug"));
    assert_has(out, "[$ORIGIN/../" SSLPLUG_TEST_LIBDIR "]");
    free(out);
    out = run(0, "ldd %s", path("bin/sslplug"));
    /* Found through $ORIGIN: the installed library, not the build tree's. */
    assert_has(out, path("bin/../%s/libsslplug.so.%s", lib, SSLPLUG_TEST_SOVERSION));
    free(out);
}

static void
test_install_pkgconfig_points_into_prefix(void **state)
{
    const char *env = path("%s/pkgconfig", SSLPLUG_TEST_LIBDIR);
    char *out;
    char dir[2048];
    struct stat st;

    (void)state;
    out = run(0, "env PKG_CONFIG_PATH=%s pkg-config --variable=plugindir sslplug", env);
    snprintf(dir, sizeof(dir), "%.*s/password_file.so", (int)strcspn(out, "\n"), out);
    assert_int_equal(stat(dir, &st), 0);
    free(out);
    out = run(0, "env PKG_CONFIG_PATH=%s pkg-config --modversion sslplug", env);
    assert_has(out, SSLPLUG_TEST_VERSION);
    free(out);
    out = run(0, "env PKG_CONFIG_PATH=%s pkg-config --libs sslplug", env);
    assert_has(out, "-lsslplug");
    free(out);
    /* Plugins link no sslplug library. */
    out = run(0, "env PKG_CONFIG_PATH=%s pkg-config --cflags --libs sslplug-plugin", env);
    assert_has(out, "-fvisibility=hidden");
    assert_null(strstr(out, "-lsslplug"));
    free(out);
}

/* Configure and build an example against the installation. */
static char *
build_example(const char *example, const char *options, int sanitize)
{
    char *dir = NULL, *out, *cache = NULL, *san = NULL;
    const char *flags = "-Werror";

    /* A sanitized libsslplug needs a sanitized executable; plugins do not. */
    if (sanitize && SSLPLUG_TEST_SANITIZE[0] != '\0') {
        assert_true(asprintf(&san, "-Werror -fsanitize=%s", SSLPLUG_TEST_SANITIZE) > 0);
        flags = san;
    }
    assert_true(asprintf(&dir, "%s/build-%s-%d", scratch, example, rand()) > 0);
    out = run(0,
              "env PKG_CONFIG_PATH=%s/%s/pkgconfig %s -S %s/examples/%s -B %s "
              "-DCMAKE_PREFIX_PATH=%s -DCMAKE_BUILD_TYPE=RelWithDebInfo %s "
              "'-DCMAKE_C_FLAGS=%s' '-DCMAKE_CXX_FLAGS=%s' '-DCMAKE_EXE_LINKER_FLAGS=%s'",
              prefix, SSLPLUG_TEST_LIBDIR, SSLPLUG_TEST_CMAKE, SSLPLUG_TEST_TOP_DIR, example, dir,
              prefix, options, flags, flags, san != NULL ? san + strlen("-Werror ") : "");
    free(out);
    out = run(0, "%s --build %s", SSLPLUG_TEST_CMAKE, dir);
    free(out);
    /* It found this installation, not another one. */
    assert_true(asprintf(&cache, "%s/CMakeCache.txt", dir) > 0);
    out = run(0, "grep -E '^(sslplug_DIR|SSLPLUG_PREFIX|SSLPLUG_PLUGIN_PREFIX):' %s", cache);
    assert_has(out, prefix);
    free(out);
    free(cache);
    free(san);
    return dir;
}

static char *write_config(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static char *
write_config(const char *name, const char *fmt, ...)
{
    char *json = NULL, *p;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&json, fmt, ap) >= 0);
    va_end(ap);
    p = tu_write(scratch, name, json, 0644);
    free(json);
    return p;
}

/* A server configuration using only installed plugins, named by path. */
static char *
installed_server_config(const char *name, const char *info_plugin)
{
    return write_config(name,
                        "{\"version\": 1, \"context\": {\"role\": \"server\","
                        " \"certificate\": \"%s\", \"private_key\": \"%s\"},"
                        " \"callbacks\": {\"password\": {\"plugin\": \"%s\","
                        "  \"config\": {\"path\": \"%s\"}}, \"info\": {\"plugin\": \"%s\"}}}",
                        tu_pki("server.crt"), tu_pki("server.key"),
                        path("%s/sslplug/plugins/password_file.so", SSLPLUG_TEST_LIBDIR),
                        tu_pki("server.pass"), info_plugin);
}

static char *
vendor_client_config(const char *name, const char *build, const char *deny)
{
    return write_config(name,
                        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"%s\"},"
                        " \"callbacks\": {\"verify\": {\"plugin\": \"%s/acme_verify.so\","
                        "  \"config\": {\"deny_cn\": [%s]}},"
                        "  \"info\": {\"plugin\": \"%s/acme_info.so\"}}}",
                        tu_pki("ca.crt"), build, deny, build);
}

/* The installed sslplug loads the vendor's plugins and calls them. */
static void
check_vendor_plugins(const char *build)
{
    char *info = NULL, *sconf, *cconf, *deny, *bad, *out;
    const char *cli = path("bin/sslplug");

    assert_true(asprintf(&info, "%s/acme_info.so", build) > 0);
    sconf = installed_server_config("vendor-server.json", info);
    cconf = vendor_client_config("vendor-client.json", build, "\"old.example\"");
    deny = vendor_client_config("vendor-deny.json", build, "\"old.example\", \"localhost\"");
    bad = vendor_client_config("vendor-bad.json", build, "\"ok\", 7");

    out = run(0, "%s inspect %s/acme_verify.so", cli, build);
    assert_has(out, "name: acme_verify");
    assert_has(out, "(compatible)");
    free(out);
    out = run(0, "%s check %s %s", cli, sconf, cconf);
    assert_int_equal(tu_trace_has(&(tu_trace){.text = out}, ": ok\n"), 2);
    free(out);

    out = run(0, "%s handshake %s %s --servername localhost", cli, sconf, cconf);
    assert_has(out, "[client] verify      acme_verify (/callbacks/verify): depth=0");
    assert_has(out, "acme_verify: accepting CN=localhost");
    assert_has(out,
               "[client] info        acme_info (/callbacks/info): where=0x0020 HANDSHAKE_DONE");
    assert_has(out,
               "[server] info        acme_info (/callbacks/info): where=0x0020 HANDSHAKE_DONE");
    assert_has(out, "acme_info: handshake #1 done: TLSv1.3");
    assert_has(out, "handshake: ok");
    free(out);

    /* The plugin's own policy: a denied name fails the handshake. */
    out = run(1, "%s handshake %s %s --servername localhost", cli, sconf, deny);
    assert_has(out, "acme_verify: refusing CN=localhost: on deny_cn");
    assert_has(out, "handshake: failed");
    free(out);

    /* The example's client of the installed demo server, as its README runs it. */
    make_demo_pki();
    out = run(0, "%s check %s/demo-client.json", cli, build);
    assert_has(out, "demo-client.json: ok");
    free(out);
    out = run(0, "%s handshake %s %s/demo-client.json --servername localhost", cli,
              path("share/sslplug/demo/server.json"), build);
    assert_has(out, "[client] client_cert client_cert_file");
    assert_has(out, "acme_verify: accepting CN=localhost");
    assert_has(out, "acme_info: handshake #1 done");
    assert_has(out, "handshake: ok");
    free(out);

    /* Its config errors come back with an absolute JSON pointer. */
    out = run(1, "%s check %s", cli, bad);
    assert_has(out, "/callbacks/verify/config/deny_cn/1");
    assert_has(out, "must be a non-empty string");
    free(out);

    free(info);
    free(sconf);
    free(cconf);
    free(deny);
    free(bad);
}

static void
test_install_vendor_plugins_with_pkgconfig(void **state)
{
    char *build = build_example("vendor-plugin", "-DACME_USE_PKGCONFIG=ON", 0);

    (void)state;
    check_vendor_plugins(build);
    free(build);
}

static void
test_install_vendor_plugins_with_find_package(void **state)
{
    char *build = build_example("vendor-plugin", "-DACME_USE_PKGCONFIG=OFF", 0);

    (void)state;
    check_vendor_plugins(build);
    free(build);
}

/* Installed, no PKI is shipped: the demo says how to make one, not what failed to open. */
static void
test_install_demo_without_pki_says_what_to_run(void **state)
{
    char *out, *hint = NULL;

    (void)state;
    assert_int_equal(access(path("share/sslplug/demo/pki"), F_OK), -1);
    out = run(1, "%s demo", path("bin/sslplug"));
    assert_true(asprintf(&hint, "sh %s/share/sslplug/demo/mkpki.sh %s/share/sslplug/demo/pki\n",
                         prefix, prefix) > 0);
    assert_has(out, hint);
    assert_null(strstr(out, "cannot open"));
    free(hint);
    free(out);
}

/* The shipped demo configurations work with the shipped plugins and mkpki.sh. */
static void
test_install_demo_configs_run(void **state)
{
    char *out;

    (void)state;
    make_demo_pki();
    /* Bare plugin names: the plugins installed beside the running library. */
    out = run(0, "%s handshake %s %s --servername localhost", path("bin/sslplug"),
              path("share/sslplug/demo/server.json"), path("share/sslplug/demo/client.json"));
    assert_has(out, "[server] password    password_file");
    assert_has(out, "[client] client_cert client_cert_file");
    assert_has(out, "handshake: ok");
    free(out);
    out = run(0, "%s demo", path("bin/sslplug"));
    assert_has(out, "handshake: ok");
    free(out);
}

/* config/examples, installed beside the demo: their ../pki is the demo PKI. */
static void
test_install_example_configs_check(void **state)
{
    static const char *const examples[] = {"cert-select-sni", "info-events", "keylog",
                                           "sni-virtual-hosts"};
    char *out;

    (void)state;
    make_demo_pki();
    for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
        out = run(0, "%s check %s", path("bin/sslplug"),
                  path("share/sslplug/demo/examples/%s.json", examples[i]));
        assert_has(out, ".json: ok\n");
        free(out);
    }
    out = run(0, "%s handshake %s %s --servername alt.example", path("bin/sslplug"),
              path("share/sslplug/demo/examples/sni-virtual-hosts.json"),
              path("share/sslplug/demo/client.json"));
    assert_has(out, "servername_map");
    assert_has(out, "handshake: ok");
    free(out);
}

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append what the server wrote; 0 at EOF, at the deadline or with the buffer full. */
static int
read_more(server *s, long long deadline)
{
    struct pollfd pfd = {s->out, POLLIN, 0};
    long long left = deadline - now_ms();
    ssize_t n;

    if (left <= 0 || s->len + 1 >= sizeof(s->text)) {
        return 0;
    }
    switch (poll(&pfd, 1, left > WAIT_MS ? WAIT_MS : (int)left)) {
    case -1:
        return errno == EINTR;
    case 0:
        return 0;
    default:
        break;
    }
    if ((n = read(s->out, s->text + s->len, sizeof(s->text) - 1 - s->len)) <= 0) {
        return 0;
    }
    s->len += (size_t)n;
    s->text[s->len] = '\0';
    return 1;
}

/* Start the embedding example; returns the port it printed. */
static const char *
start_embed(server *s, const char *exe, const char *conf)
{
    static const char prefix_line[] = "listening on 127.0.0.1:";
    static char port[16];
    long long deadline = now_ms() + WAIT_MS;
    const char *at;
    int out[2];

    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    fflush(NULL);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        if (dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0) {
            _exit(127);
        }
        /* main() ignores SIGPIPE; the child gets the default back. */
        signal(SIGPIPE, SIG_DFL);
        execl(exe, exe, conf, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    s->out = out[0];
    while ((at = strstr(s->text, prefix_line)) == NULL || strchr(at, '\n') == NULL) {
        if (!read_more(s, deadline)) {
            print_error("embed_server did not start:\n%s\n", s->text);
            fail();
        }
    }
    at += strlen(prefix_line);
    snprintf(port, sizeof(port), "%.*s", (int)strcspn(at, "\n"), at);
    return port;
}

/* Read the rest of the server's output and reap it: its exit status, -1 if it hangs. */
static int
finish_embed(server *s)
{
    long long deadline = now_ms() + WAIT_MS;
    int status;

    while (read_more(s, deadline)) {
        continue;
    }
    for (;;) {
        pid_t r = waitpid(s->pid, &status, WNOHANG);

        if (r == s->pid) {
            s->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        if ((r < 0 && errno != EINTR) || now_ms() >= deadline) {
            print_error("embed_server still running:\n%s\n", s->text);
            return -1; /* the teardown kills it */
        }
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    }
}

/*
 * The embedding example serves the installed demo server configuration,
 * which names the bundled plugins by bare name: shared or static, the
 * application finds the plugins of the prefix sslplug was installed into.
 * The installed demo client talks to it (the demo server requires its
 * client certificate).
 */
static void
embed_serves(server *s, const char *options, int expect_shared)
{
    char *build = build_example("embed", options, 1);
    char *exe = NULL, *out;
    const char *sconf = path("share/sslplug/demo/server.json");
    const char *cconf = path("share/sslplug/demo/client.json");
    const char *port;

    assert_true(asprintf(&exe, "%s/embed_server", build) > 0);
    out = run(0, "readelf -d %s", exe);
    if (expect_shared) {
        assert_has(out, "[libsslplug.so." SSLPLUG_TEST_SOVERSION "]");
    } else {
        assert_null(strstr(out, "libsslplug"));
    }
    free(out);

    make_demo_pki();
    /* Not through the environment: from what the library knows. */
    unsetenv("SSLPLUG_PLUGIN_PATH");
    port = start_embed(s, exe, sconf);
    out = run(0, "%s connect %s 127.0.0.1:%s --servername localhost", path("bin/sslplug"), cconf,
              port);
    assert_has(out, "verify: 0 (ok)");
    assert_has(out, "reply: hello from sslplug\n");
    free(out);
    assert_int_equal(finish_embed(s), 0);
    assert_has(s->text, "handshake: ok");
    assert_has(s->text, "echoed 19 bytes");
    /* The plugins the configuration added to the application's context ran. */
    assert_has(s->text, "info_log");
    assert_has(s->text, "verify_log: info: depth=0 ok=1 subject=\"CN=sslplug-client");
    free(exe);
    free(build);
}

static void
test_install_embed_shared_with_pkgconfig(void **state)
{
    embed_serves(*state, "-DEMBED_USE_PKGCONFIG=ON", 1);
}

static void
test_install_embed_static_with_find_package(void **state)
{
    if (!SSLPLUG_TEST_STATIC) {
        skip();
    }
    embed_serves(*state, "-DEMBED_STATIC=ON", 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_install_layout),
        cmocka_unit_test(test_install_pkgconfig_points_into_prefix),
        /* Before any test makes the demo PKI. */
        cmocka_unit_test(test_install_demo_without_pki_says_what_to_run),
        cmocka_unit_test(test_install_vendor_plugins_with_pkgconfig),
        cmocka_unit_test(test_install_vendor_plugins_with_find_package),
        cmocka_unit_test(test_install_demo_configs_run),
        cmocka_unit_test(test_install_example_configs_check),
        cmocka_unit_test_setup_teardown(test_install_embed_shared_with_pkgconfig, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_embed_static_with_find_package, setup,
                                        teardown),
    };

    /* Whatever the caller's umask, built plugins must pass the host's file checks. */
    umask(022);
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
