/*
 * Configuration loading: every case under tests/config/{invalid,valid}/
 * (each bad input beside its expected error, as in jansson's test suites).
 */
#define _GNU_SOURCE /* asprintf, scandir */
#include "testutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES_DIR SSLPLUG_TEST_SOURCE_DIR "/config"

static const struct {
    const char *name;
    sslplug_code code;
} code_names[] = {
    {"SSLPLUG_OK", SSLPLUG_OK},
    {"SSLPLUG_E_NOMEM", SSLPLUG_E_NOMEM},
    {"SSLPLUG_E_ARGUMENT", SSLPLUG_E_ARGUMENT},
    {"SSLPLUG_E_IO", SSLPLUG_E_IO},
    {"SSLPLUG_E_PARSE", SSLPLUG_E_PARSE},
    {"SSLPLUG_E_CONFIG", SSLPLUG_E_CONFIG},
    {"SSLPLUG_E_PLUGIN_NOT_FOUND", SSLPLUG_E_PLUGIN_NOT_FOUND},
    {"SSLPLUG_E_PLUGIN_LOAD", SSLPLUG_E_PLUGIN_LOAD},
    {"SSLPLUG_E_SYMBOL", SSLPLUG_E_SYMBOL},
    {"SSLPLUG_E_ABI", SSLPLUG_E_ABI},
    {"SSLPLUG_E_PLUGIN_TYPE", SSLPLUG_E_PLUGIN_TYPE},
    {"SSLPLUG_E_PLUGIN_INIT", SSLPLUG_E_PLUGIN_INIT},
    {"SSLPLUG_E_TLS", SSLPLUG_E_TLS},
    {"SSLPLUG_E_CERTIFICATE", SSLPLUG_E_CERTIFICATE},
    {"SSLPLUG_E_PRIVATE_KEY", SSLPLUG_E_PRIVATE_KEY},
    {"SSLPLUG_E_PASSWORD", SSLPLUG_E_PASSWORD},
    {"SSLPLUG_E_UNSAFE_FILE", SSLPLUG_E_UNSAFE_FILE},
    {"SSLPLUG_E_INTEGRITY", SSLPLUG_E_INTEGRITY},
    {"SSLPLUG_E_INTERNAL", SSLPLUG_E_INTERNAL},
};

#define CODE_COUNT (sizeof(code_names) / sizeof(code_names[0]))

static const char *
code_name(sslplug_code code)
{
    for (size_t i = 0; i < CODE_COUNT; i++) {
        if (code_names[i].code == code) {
            return code_names[i].name;
        }
    }
    return "(not a sslplug_code)";
}

/* What a case's "expect" file says; has_* are 0 for lines left out. */
typedef struct expect {
    sslplug_code code;
    int has_code;
    char pointer[SSLPLUG_ERROR_POINTER_MAX];
    int has_pointer;
    int line, has_line;
    int column, has_column;
    char message[SSLPLUG_ERROR_MESSAGE_MAX];
    int has_message;
} expect;

static int
parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || v < 0 || v > INT_MAX) {
        return 0;
    }
    *out = (int)v;
    return 1;
}

/* One "key value" line; the value is the rest of the line and may be empty. */
static int
parse_expect_line(char *line, expect *ex)
{
    char *value = strchr(line, ' ');

    if (value != NULL) {
        *value++ = '\0';
    } else {
        value = line + strlen(line);
    }
    if (strcmp(line, "code") == 0) {
        for (size_t i = 0; i < CODE_COUNT; i++) {
            if (strcmp(value, code_names[i].name) == 0) {
                ex->code = code_names[i].code;
                ex->has_code = 1;
            }
        }
        return ex->has_code;
    }
    if (strcmp(line, "pointer") == 0) {
        snprintf(ex->pointer, sizeof(ex->pointer), "%s", value);
        return ex->has_pointer = 1;
    }
    if (strcmp(line, "message") == 0) {
        snprintf(ex->message, sizeof(ex->message), "%s", value);
        return ex->has_message = *value != '\0';
    }
    if (strcmp(line, "line") == 0) {
        return ex->has_line = parse_int(value, &ex->line);
    }
    if (strcmp(line, "column") == 0) {
        return ex->has_column = parse_int(value, &ex->column);
    }
    return 0;
}

/* 1 when path holds a well-formed expect file; code and pointer are required. */
static int
read_expect(const char *path, expect *ex)
{
    FILE *f = fopen(path, "r");
    char line[SSLPLUG_ERROR_MESSAGE_MAX + 32], copy[sizeof(line)];
    int ok = f != NULL;

    memset(ex, 0, sizeof(*ex));
    while (ok && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        snprintf(copy, sizeof(copy), "%s", line);
        if (line[0] != '\0' && !parse_expect_line(line, ex)) {
            print_error("%s: bad line \"%s\"\n", path, copy);
            ok = 0;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return ok && ex->has_code && ex->has_pointer;
}

/* Compare err with ex; print every difference, naming the case.  Returns 1 on a match. */
static int
matches(const char *name, const sslplug_error *err, const expect *ex)
{
    int ok = 1;

    if (err->code != ex->code) {
        print_error("invalid/%s: code %s, expected %s (%s)\n", name, code_name(err->code),
                    code_name(ex->code), err->message);
        ok = 0;
    }
    if (strcmp(err->pointer, ex->pointer) != 0) {
        print_error("invalid/%s: pointer \"%s\", expected \"%s\"\n", name, err->pointer,
                    ex->pointer);
        ok = 0;
    }
    if (ex->has_line && err->line != ex->line) {
        print_error("invalid/%s: line %d, expected %d\n", name, err->line, ex->line);
        ok = 0;
    }
    if (ex->has_column && err->column != ex->column) {
        print_error("invalid/%s: column %d, expected %d\n", name, err->column, ex->column);
        ok = 0;
    }
    if (ex->has_message && strstr(err->message, ex->message) == NULL) {
        print_error("invalid/%s: message \"%s\" lacks \"%s\"\n", name, err->message, ex->message);
        ok = 0;
    }
    return ok;
}

/* The whole of a small text file, NUL-terminated; it must hold no NUL of its own. */
static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = calloc(1, 64 * 1024 + 1);
    size_t n;

    if (f == NULL) {
        print_error("cannot open %s\n", path);
    }
    assert_non_null(f);
    assert_non_null(buf);
    n = fread(buf, 1, 64 * 1024, f);
    assert_true(n < 64 * 1024);
    assert_int_equal(strlen(buf), n);
    fclose(f);
    return buf;
}

/*
 * Copy a case's config.json to stage/NAME/config.json with mode 0644: the
 * loader refuses group-writable configuration files, and a checkout made
 * under umask 002 would otherwise fail every case that gets that far.
 */
static char *
stage_case(const char *stage, const char *kind, const char *name)
{
    char *src = NULL, *dir = NULL, *text, *path;

    assert_true(asprintf(&src, "%s/%s/%s/config.json", CASES_DIR, kind, name) >= 0);
    assert_true(asprintf(&dir, "%s/%s", stage, name) >= 0);
    assert_int_equal(mkdir(dir, 0700), 0);
    text = slurp(src);
    path = tu_write(dir, "config.json", text, 0644);
    free(text);
    free(dir);
    free(src);
    return path;
}

/* Run one invalid case; 1 when it fails exactly as its expect file says. */
static int
check_invalid_case(const char *name, const char *config)
{
    char *expect_path = NULL;
    sslplug_host *host;
    sslplug_error err;
    expect ex;
    int ok = 0;

    assert_true(asprintf(&expect_path, "%s/invalid/%s/expect", CASES_DIR, name) >= 0);
    if (!read_expect(expect_path, &ex)) {
        print_error("invalid/%s: missing or malformed expect file\n", name);
        goto done;
    }
    host = sslplug_host_load(config, &err);
    if (host != NULL) {
        print_error("invalid/%s: loaded, expected %s at \"%s\"\n", name, code_name(ex.code),
                    ex.pointer);
        sslplug_host_free(host);
        goto done;
    }
    ok = matches(name, &err, &ex);
    if (strcmp(err.source, config) != 0) {
        print_error("invalid/%s: source \"%s\", expected \"%s\"\n", name, err.source, config);
        ok = 0;
    }
done:
    free(expect_path);
    return ok;
}

static int
check_valid_case(const char *name, const char *config)
{
    sslplug_host *host;
    sslplug_error err;

    host = sslplug_host_load(config, &err);
    if (host == NULL) {
        print_error("valid/%s: %s at \"%s\": %s\n", name, code_name(err.code), err.pointer,
                    err.message);
    } else if (err.code != SSLPLUG_OK) {
        print_error("valid/%s: loaded, but err.code is %s\n", name, code_name(err.code));
        sslplug_host_free(host);
        host = NULL;
    }
    sslplug_host_free(host);
    return host != NULL;
}

static int
not_hidden(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

/* Run check on every case directory under CASES_DIR/kind; returns how many there were. */
static int
walk_cases(const char *kind, int (*check)(const char *name, const char *config), int *failed)
{
    char *dir = NULL, *stage = tu_tmpdir();
    struct dirent **names = NULL;
    int n;

    assert_true(asprintf(&dir, "%s/%s", CASES_DIR, kind) >= 0);
    n = scandir(dir, &names, not_hidden, alphasort);
    if (n < 0) {
        print_error("cannot list %s\n", dir);
    }
    assert_true(n >= 0);
    *failed = 0;
    for (int i = 0; i < n; i++) {
        char *config = stage_case(stage, kind, names[i]->d_name);

        *failed += !check(names[i]->d_name, config);
        free(config);
        free(names[i]);
    }
    free(names);
    free(dir);
    tu_rmtree(stage);
    return n;
}

static void
test_config_invalid_cases_fail_as_expected(void **state)
{
    int failed;
    int n = walk_cases("invalid", check_invalid_case, &failed);

    (void)state;
    /* A walk that found nothing would pass vacuously. */
    assert_true(n >= 35);
    assert_int_equal(failed, 0);
}

static void
test_config_valid_cases_load(void **state)
{
    int failed;
    int n = walk_cases("valid", check_valid_case, &failed);

    (void)state;
    assert_true(n >= 10);
    assert_int_equal(failed, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_invalid_cases_fail_as_expected),
        cmocka_unit_test(test_config_valid_cases_load),
    };

    /* Plugin lookups must not depend on the caller's environment. */
    unsetenv("SSLPLUG_PLUGIN_PATH");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
