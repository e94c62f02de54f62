/*
 * The README's walkthroughs, run as written against `cmake --install` of
 * this build into a scratch prefix.  Every block of "Using sslplug in your
 * application" and "Writing a plugin" that a reader copies is marked
 * <!-- walkthrough: NAME --> just above its fence; this file takes the
 * blocks from README.md, puts the scratch prefix where they say
 * /opt/sslplug, writes the files they name and runs their commands in
 * order, one shell per group of steps, as a reader would.  A marked block
 * that is missing fails the test: the README and this file change together.
 *
 * Also: sslplugConfig.cmake works under the caller's policies, however old.
 *
 * The build tells this file how to reach it (SslplugInstall.cmake):
 * SSLPLUG_TEST_CMAKE, _BUILD_DIR, _TOP_DIR, _LIBDIR, _SANITIZE and _STATIC.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where the README installs sslplug; replaced by the scratch prefix. */
#define README_PREFIX "/opt/sslplug"

static char *scratch; /* tu_tmpdir(): the prefix and the walkthroughs' directories */
static char *prefix;
static char *readme;

/* Every marked block, in README order. */
static const char *const blocks[] = {
    "demo-pki",       "myapp.c",        "myapp-shared", "myapp-static",
    "my_verify.c",    "CMakeLists.txt", "plugin-cmake", "plugin-cc",
    "plugin-inspect", "my-client.json", "plugin-run",
};

static void
assert_has(const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL) {
        print_error("expected \"%s\" in:\n%s\n", needle, text);
    }
    assert_non_null(strstr(text, needle));
}

/* text with README_PREFIX replaced by the scratch prefix (and its lib by LIBDIR); malloc'd. */
static char *
substitute(const char *text, size_t len)
{
    static const char lib[] = "/lib";
    size_t plen = strlen(README_PREFIX);
    size_t cap = len * 4 + strlen(prefix) + 4096;
    char *out = malloc(cap), *o = out;
    const char *p = text, *end = text + len;

    assert_non_null(out);
    while (p < end) {
        const char *at = strstr(p, README_PREFIX);

        if (at == NULL || at >= end) {
            at = end;
        }
        memcpy(o, p, (size_t)(at - p));
        o += at - p;
        if (at == end) {
            break;
        }
        p = at + plen;
        /* PREFIX/lib is the library directory: lib/x86_64-linux-gnu under /usr. */
        if (strncmp(p, lib, sizeof(lib) - 1) == 0 && !isalnum((unsigned char)p[4]) && p[4] != '_') {
            o += sprintf(o, "%s/%s", prefix, SSLPLUG_TEST_LIBDIR);
            p += sizeof(lib) - 1;
        } else {
            o += sprintf(o, "%s", prefix);
        }
        assert_true((size_t)(o - out) < cap - strlen(prefix) - 64);
    }
    *o = '\0';
    return out;
}

/* The fenced block marked <!-- walkthrough: name -->, substituted; fails the test if absent. */
static char *
block(const char *name)
{
    char marker[256];
    const char *at, *body, *end;

    snprintf(marker, sizeof(marker), "<!-- walkthrough: %s -->\n", name);
    if ((at = strstr(readme, marker)) == NULL) {
        print_error("README.md has no block marked %s", marker);
        fail();
    }
    if (strstr(at + 1, marker) != NULL) {
        print_error("README.md marks two blocks %s", marker);
        fail();
    }
    at += strlen(marker);
    if (strncmp(at, "```", 3) != 0 || (body = strchr(at, '\n')) == NULL) {
        print_error("README.md: %s is not followed by a fenced block\n", marker);
        fail();
    }
    body++;
    end = strncmp(body, "```", 3) == 0 ? body : strstr(body - 1, "\n```");
    if (end == NULL) {
        print_error("README.md: the block marked %s is not closed\n", marker);
        fail();
    }
    if (end != body) {
        end++; /* keep the block's last newline */
    }
    return substitute(body, (size_t)(end - body));
}

/* A directory of the scratch tree, made if absent; malloc'd. */
static char *
workdir(const char *name)
{
    char *dir = tu_path_join(scratch, name);

    assert_true(mkdir(dir, 0755) == 0 || access(dir, F_OK) == 0);
    return dir;
}

/* Write the marked block name into dir/file. */
static void
write_block(const char *dir, const char *name, const char *file)
{
    char *text = block(name);

    free(tu_write(dir, file, text, 0644));
    free(text);
}

/*
 * Run the marked sh blocks names (NULL-terminated) in order in one shell in
 * dir, expecting exit status 0; returns the output.  A sanitized libsslplug
 * needs a sanitized program: when the build is one, `cc` gets the flags
 * (what test_install does for the examples).
 */
static char *
run_blocks(const char *dir, const char *const *names)
{
    char *script = NULL, *out = NULL, *path;
    size_t len = 0;
    FILE *f = open_memstream(&script, &len);
    int rc;

    assert_non_null(f);
    fprintf(f, "set -e\ncd '%s'\n", dir);
    if (SSLPLUG_TEST_SANITIZE[0] != '\0') {
        fprintf(f, "cc() { command cc -fsanitize=%s \"$@\"; }\n", SSLPLUG_TEST_SANITIZE);
    }
    for (size_t i = 0; names[i] != NULL; i++) {
        char *text = block(names[i]);

        fprintf(f, "echo '=== walkthrough: %s'\n%s", names[i], text);
        free(text);
    }
    fclose(f);
    path = tu_write(dir, "walkthrough.sh", script, 0644);
    rc = tu_run(&out, "sh %s", path);
    if (rc != 0) {
        print_error("%s\nexit %d:\n%s\n", script, rc, out);
    }
    assert_int_equal(rc, 0);
    free(path);
    free(script);
    return out;
}

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

static int
group_setup(void **state)
{
    char real[PATH_MAX], *out = NULL, *file;
    int rc;

    (void)state;
    scratch = tu_tmpdir();
    if (realpath(scratch, real) == NULL || asprintf(&prefix, "%s/prefix", real) < 0) {
        return -1;
    }
    if (strncmp(prefix, SSLPLUG_TEST_BUILD_DIR "/", strlen(SSLPLUG_TEST_BUILD_DIR) + 1) == 0) {
        print_error("TMPDIR is inside the build tree; cannot test an install there\n");
        return -1;
    }
    file = tu_path_join(SSLPLUG_TEST_TOP_DIR, "README.md");
    readme = tu_file_read(file, NULL);
    free(file);
    if (readme == NULL) {
        print_error("cannot read README.md\n");
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
    free(readme);
    return 0;
}

/* The walkthroughs need the demo PKI; the README's Install says how to make it. */
static void
make_demo_pki(void)
{
    static const char *const names[] = {"demo-pki", NULL};
    static int made;

    if (!made) {
        char *dir = workdir("pki-step");

        free(run_blocks(dir, names));
        free(dir);
        made = 1;
    }
}

static void
test_walkthrough_readme_marks_every_block(void **state)
{
    int missing = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        char marker[256];

        snprintf(marker, sizeof(marker), "<!-- walkthrough: %s -->\n```", blocks[i]);
        if (strstr(readme, marker) == NULL) {
            print_error("README.md: no fenced block marked <!-- walkthrough: %s -->\n", blocks[i]);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

/* "Writing a plugin", steps 2 to 5 with the cc build, as written. */
static void
test_walkthrough_plugin_with_cc(void **state)
{
    static const char *const steps[] = {"plugin-cc", "plugin-inspect", "plugin-run", NULL};
    char *dir = workdir("plugin-cc");
    char *out;

    (void)state;
    make_demo_pki();
    write_block(dir, "my_verify.c", "my_verify.c");
    write_block(dir, "my-client.json", "my-client.json");
    out = run_blocks(dir, steps);
    assert_has(out, "name: my_verify");
    assert_has(out, "(compatible)");
    assert_has(out, "my-client.json: ok");
    /* The callback ran on the demo server's chain, and the handshake completed. */
    assert_has(out, "my_verify: depth 0: ok=1");
    assert_has(out, "handshake: ok");
    free(out);
    free(dir);
}

/* The same with the README's CMakeLists.txt: build/my_verify.so, as the README says. */
static void
test_walkthrough_plugin_with_cmake(void **state)
{
    static const char *const steps[] = {"plugin-cmake", NULL};
    char *dir = workdir("plugin-cmake");
    char *out, *json, *at, *conf;

    (void)state;
    make_demo_pki();
    write_block(dir, "my_verify.c", "my_verify.c");
    write_block(dir, "CMakeLists.txt", "CMakeLists.txt");
    free(run_blocks(dir, steps));
    out = run(0, "%s/bin/sslplug inspect %s/build/my_verify.so", prefix, dir);
    assert_has(out, "name: my_verify");
    assert_has(out, "(compatible)");
    free(out);

    /* my-client.json with "build/my_verify.so", the one change the README names. */
    json = block("my-client.json");
    assert_non_null(at = strstr(json, "\"./my_verify.so\""));
    assert_true(asprintf(&conf, "%.*s\"build/my_verify.so\"%s", (int)(at - json), json,
                         at + strlen("\"./my_verify.so\"")) > 0);
    free(tu_write(dir, "my-client.json", conf, 0644));
    out = run(0,
              "%s/bin/sslplug handshake %s/share/sslplug/demo/server.json %s/my-client.json "
              "--servername localhost",
              prefix, prefix, dir);
    assert_has(out, "my_verify: depth 0: ok=1");
    assert_has(out, "handshake: ok");
    free(out);
    free(conf);
    free(json);
    free(dir);
}

/* "Using sslplug in your application": the program, shared and static, on the demo server. */
static void
test_walkthrough_application(void **state)
{
    static const char *const steps[] = {"myapp-shared", "myapp-static", NULL};
    char *dir = workdir("app");
    char *snippet, *src = NULL, *out, *line, *save = NULL;
    char *includes = NULL, *body = NULL;
    size_t ilen = 0, blen = 0;
    FILE *inc, *bod;

    (void)state;
    if (!SSLPLUG_TEST_STATIC) {
        skip();
    }
    make_demo_pki();
    /* As the README says: the #include lines on top, the rest in main. */
    snippet = block("myapp.c");
    assert_non_null(inc = open_memstream(&includes, &ilen));
    assert_non_null(bod = open_memstream(&body, &blen));
    for (line = strtok_r(snippet, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        fprintf(strncmp(line, "#include", 8) == 0 ? inc : bod, "%s\n", line);
    }
    fclose(inc);
    fclose(bod);
    assert_true(asprintf(&src, "%s\nint\nmain(int argc, char **argv)\n{\n%s    return 0;\n}\n",
                         includes, body) > 0);
    free(tu_write(dir, "myapp.c", src, 0644));

    out = run_blocks(dir, steps);
    /* Both found the bundled plugins the demo server names by bare name. */
    assert_int_equal(tu_trace_has(&(tu_trace){.text = out}, "server.json: context made\n"), 2);
    free(out);
    out = run(0, "readelf -d %s/myapp", dir);
    assert_has(out, "[libsslplug.so.");
    free(out);
    out = run(0, "readelf -d %s/myapp-static", dir);
    assert_null(strstr(out, "libsslplug"));
    free(out);

    free(src);
    free(includes);
    free(body);
    free(snippet);
    free(dir);
}

/*
 * sslplugConfig.cmake runs under its caller's policies: it must work for a
 * project that declares an old minimum (CMP0057, if(IN_LIST), is OLD
 * before 3.3) or none at all (the README's CMakeLists.txt without its
 * first line).
 */
static void
test_walkthrough_package_under_caller_policies(void **state)
{
    char *dir = workdir("policies");
    char *old = workdir("policies/old"), *none = workdir("policies/none");
    char *text, *first, *out;

    (void)state;
    free(tu_write(old, "CMakeLists.txt",
                  SSLPLUG_TEST_STATIC ? "cmake_minimum_required(VERSION 3.1)\n"
                                        "project(old_policies LANGUAGES C)\n"
                                        "find_package(sslplug CONFIG REQUIRED COMPONENTS static)\n"
                                      : "cmake_minimum_required(VERSION 3.1)\n"
                                        "project(old_policies LANGUAGES C)\n"
                                        "find_package(sslplug CONFIG REQUIRED)\n",
                  0644));
    out =
        run(0, "%s -S %s -B %s/build -DCMAKE_PREFIX_PATH=%s", SSLPLUG_TEST_CMAKE, old, old, prefix);
    free(out);

    text = block("CMakeLists.txt");
    assert_non_null(first = strstr(text, "cmake_minimum_required"));
    assert_non_null(first = strchr(first, '\n'));
    free(tu_write(none, "CMakeLists.txt", first + 1, 0644));
    write_block(none, "my_verify.c", "my_verify.c");
    out = run(0, "%s -Wno-dev -S %s -B %s/build -DCMAKE_PREFIX_PATH=%s", SSLPLUG_TEST_CMAKE, none,
              none, prefix);
    free(out);
    free(text);
    free(old);
    free(none);
    free(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walkthrough_readme_marks_every_block),
        cmocka_unit_test(test_walkthrough_plugin_with_cc),
        cmocka_unit_test(test_walkthrough_plugin_with_cmake),
        cmocka_unit_test(test_walkthrough_application),
        cmocka_unit_test(test_walkthrough_package_under_caller_policies),
    };

    /* Whatever the caller's umask, built plugins must pass the host's file checks. */
    umask(022);
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
