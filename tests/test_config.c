/*
 * Configuration loading: every case under tests/config/{invalid,valid}/
 * (each bad input beside its expected error, as in jansson's test suites),
 * then what only C can check: file handling, argument errors, NULL error
 * structs, code names, paths relative to the configuration file and
 * defaults that reach the SSL_CTX.
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

#include <openssl/x509_vfy.h>

#define CASES_DIR SSLPLUG_TEST_SOURCE_DIR "/config"
#define CLIENT_JSON "{\"version\": 1, \"context\": {\"role\": \"client\"}}"
/* Mirrors MAX_CONFIG_BYTES in host/host.c. */
#define CONFIG_LIMIT (1024 * 1024)

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

/* The whole of a text file, NUL-terminated; it must hold no NUL of its own. */
static char *
slurp(const char *path)
{
    size_t len = 0;
    char *text = tu_file_read(path, &len);

    if (text == NULL) {
        print_error("cannot open %s\n", path);
    }
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
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

static void
test_config_load_missing_file_is_io_error(void **state)
{
    char *dir = tu_tmpdir();
    char *path = NULL;
    sslplug_error err;

    (void)state;
    assert_true(asprintf(&path, "%s/absent.json", dir) >= 0);
    assert_null(sslplug_host_load(path, &err));
    assert_int_equal(err.code, SSLPLUG_E_IO);
    assert_non_null(strstr(err.message, path));
    assert_string_equal(err.source, path);
    assert_string_equal(err.pointer, "");
    free(path);
    tu_rmtree(dir);
}

static void
test_config_load_directory_is_io_error(void **state)
{
    char *dir = tu_tmpdir();
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load(dir, &err));
    assert_int_equal(err.code, SSLPLUG_E_IO);
    assert_non_null(strstr(err.message, dir));
    assert_string_equal(err.source, dir);
    tu_rmtree(dir);
}

/* A valid configuration padded with trailing spaces to size bytes. */
static char *
padded_config(size_t size)
{
    char *text = malloc(size + 1);

    assert_non_null(text);
    memset(text, ' ', size);
    memcpy(text, CLIENT_JSON, strlen(CLIENT_JSON));
    text[size] = '\0';
    return text;
}

static void
test_config_load_oversized_file_is_io_error(void **state)
{
    char *dir = tu_tmpdir();
    char *text = padded_config(CONFIG_LIMIT + 1);
    char *path = tu_write(dir, "big.json", text, 0644);
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load(path, &err));
    assert_int_equal(err.code, SSLPLUG_E_IO);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "larger than"));
    free(path);
    free(text);
    tu_rmtree(dir);
}

static void
test_config_load_limit_size_file_loads(void **state)
{
    char *dir = tu_tmpdir();
    char *text = padded_config(CONFIG_LIMIT);
    char *path = tu_write(dir, "big.json", text, 0644);
    sslplug_error err;
    sslplug_host *host;

    (void)state;
    host = sslplug_host_load(path, &err);
    if (host == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(host);
    sslplug_host_free(host);
    free(path);
    free(text);
    tu_rmtree(dir);
}

static void
test_config_load_group_writable_file_is_unsafe(void **state)
{
    char *dir = tu_tmpdir();
    char *path =
        tu_write(dir, "tls.json", "{\"version\": 1, \"context\": {\"role\": \"client\"}}\n", 0664);
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load(path, &err));
    assert_int_equal(err.code, SSLPLUG_E_UNSAFE_FILE);
    assert_string_equal(err.source, path);
    assert_non_null(strstr(err.message, path));
    free(path);
    tu_rmtree(dir);
}

static void
test_config_load_insecure_allow_writable_skips_file_check(void **state)
{
    char *dir = tu_tmpdir();
    char *path = tu_write(dir, "tls.json",
                          "{\"version\": 1, \"insecure_allow_writable\": true, \"context\": "
                          "{\"role\": \"client\"}}\n",
                          0666);
    sslplug_error err;
    sslplug_host *host;

    (void)state;
    host = sslplug_host_load(path, &err);
    if (host == NULL) {
        print_error("%s\n", err.message);
    }
    assert_non_null(host);
    sslplug_host_free(host);
    free(path);
    tu_rmtree(dir);
}

static void
test_config_load_null_or_empty_path_is_argument_error(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load(NULL, &err));
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    assert_null(sslplug_host_load("", &err));
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
}

static void
test_config_load_string_null_json_is_argument_error(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load_string(NULL, "/", &err));
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    assert_string_equal(err.source, "<string>");
}

static void
test_config_load_string_bad_base_dir_is_argument_error(void **state)
{
    static const char json[] = "{\"version\": 1, \"context\": {\"role\": \"client\"}}";
    static const char *const dirs[] = {"relative/dir", ".", ""};
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load_string(json, NULL, &err));
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        assert_null(sslplug_host_load_string(json, dirs[i], &err));
        assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    }
}

static void
test_config_load_string_parse_error_has_position(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(sslplug_host_load_string("{\"version\": 1,\n\n  \"context\" {}}", "/", &err));
    assert_int_equal(err.code, SSLPLUG_E_PARSE);
    assert_string_equal(err.source, "<string>");
    assert_int_equal(err.line, 3);
    assert_true(err.column > 0);
}

static void
test_config_error_null_accepted_everywhere(void **state)
{
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_null(sslplug_host_load(NULL, NULL));
    assert_null(sslplug_host_load("/nonexistent/sslplug.json", NULL));
    assert_null(sslplug_host_load(CASES_DIR "/invalid/json-truncated/config.json", NULL));
    assert_null(sslplug_host_load(CASES_DIR "/invalid/role-missing/config.json", NULL));
    assert_null(sslplug_host_load(CASES_DIR "/invalid/plugin-not-found-bare/config.json", NULL));
    assert_null(sslplug_host_load_string(NULL, NULL, NULL));
    assert_null(sslplug_host_load_string("{", "/", NULL));
    assert_null(sslplug_host_load_string(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"verify\": \"none\"}, "
        "\"callbacks\": {\"verify\": {\"plugin\": \"verify_log\"}}}",
        "/", NULL));
    assert_null(sslplug_ctx_new(NULL, NULL));
    assert_int_equal(sslplug_ctx_apply(NULL, NULL, NULL), 0);

    host = sslplug_host_load_string(CLIENT_JSON, "/", NULL);
    assert_non_null(host);
    ctx = sslplug_ctx_new(host, NULL);
    assert_non_null(ctx);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    sslplug_host_free(NULL);
}

static void
test_config_error_code_ok_after_success(void **state)
{
    sslplug_error err;
    sslplug_host *host;

    (void)state;
    memset(&err, 0x5a, sizeof(err));
    err.code = SSLPLUG_E_INTERNAL;
    host = sslplug_host_load_string(CLIENT_JSON, "/", &err);
    assert_non_null(host);
    assert_int_equal(err.code, SSLPLUG_OK);
    sslplug_host_free(host);
}

static void
test_config_strerror_names_every_code(void **state)
{
    (void)state;
    /* SSLPLUG_E_INTERNAL is the last code: this covers codes added later too. */
    for (int i = SSLPLUG_OK; i <= SSLPLUG_E_INTERNAL; i++) {
        const char *s = sslplug_strerror((sslplug_code)i);

        assert_non_null(s);
        assert_true(s[0] != '\0');
        assert_string_not_equal(s, "unknown error");
        for (int j = SSLPLUG_OK; j < i; j++) {
            assert_string_not_equal(s, sslplug_strerror((sslplug_code)j));
        }
    }
}

static void
test_config_strerror_out_of_range_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(sslplug_strerror((sslplug_code)(SSLPLUG_E_INTERNAL + 1)), "unknown error");
    assert_string_equal(sslplug_strerror((sslplug_code)1000), "unknown error");
    assert_string_equal(sslplug_strerror((sslplug_code)-1), "unknown error");
}

/* Copy a file of the build-time PKI into dir under name. */
static void
copy_pki(const char *file, const char *dir, const char *name)
{
    free(tu_file_copy(tu_pki(file), dir, name, 0644));
}

static int
ctx_cert_count(SSL_CTX *ctx)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));

    return objs != NULL ? sk_X509_OBJECT_num(objs) : 0;
}

static void
test_config_relative_paths_follow_config_dir(void **state)
{
    char saved[PATH_MAX];
    char *confdir = tu_tmpdir(), *elsewhere = tu_tmpdir();
    char *conf = tu_write(confdir, "tls.json",
                          "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                          "\"ca.crt\"}}\n",
                          0644);
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_non_null(getcwd(saved, sizeof(saved)));
    copy_pki("ca.crt", confdir, "ca.crt");
    /* Were the working directory used, this file would make the context fail. */
    free(tu_write(elsewhere, "ca.crt", "not a certificate\n", 0644));

    assert_int_equal(chdir(elsewhere), 0);
    host = sslplug_host_load(conf, &err);
    assert_non_null(host);
    ctx = sslplug_ctx_new(host, &err);
    if (ctx == NULL) {
        print_error("%s: %s\n", err.pointer, err.message);
    }
    assert_non_null(ctx);
    assert_int_equal(ctx_cert_count(ctx), 1);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);

    /* A relative configuration path, and a chdir between load and use. */
    assert_int_equal(chdir(confdir), 0);
    host = sslplug_host_load("tls.json", &err);
    assert_non_null(host);
    assert_int_equal(chdir(elsewhere), 0);
    ctx = sslplug_ctx_new(host, &err);
    if (ctx == NULL) {
        print_error("%s: %s\n", err.pointer, err.message);
    }
    assert_non_null(ctx);
    assert_int_equal(ctx_cert_count(ctx), 1);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);

    assert_int_equal(chdir(saved), 0);
    free(conf);
    tu_rmtree(confdir);
    tu_rmtree(elsewhere);
}

/* "ca:x.crt" is a file name for ca_file (only certificate and private_key take URIs). */
static void
test_config_colon_in_a_file_name_is_no_uri(void **state)
{
    char saved[PATH_MAX];
    char *confdir = tu_tmpdir(), *elsewhere = tu_tmpdir();
    char *conf = tu_write(confdir, "tls.json",
                          "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": "
                          "\"ca:x.crt\"}}\n",
                          0644);
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_non_null(getcwd(saved, sizeof(saved)));
    copy_pki("ca.crt", confdir, "ca:x.crt");
    free(tu_write(elsewhere, "ca:x.crt", "not a certificate\n", 0644));
    assert_int_equal(chdir(elsewhere), 0);
    host = sslplug_host_load(conf, &err);
    assert_non_null(host);
    ctx = sslplug_ctx_new(host, &err);
    if (ctx == NULL) {
        print_error("%s: %s\n", err.pointer, err.message);
    }
    assert_non_null(ctx);
    assert_int_equal(ctx_cert_count(ctx), 1);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    assert_int_equal(chdir(saved), 0);
    free(conf);
    tu_rmtree(confdir);
    tu_rmtree(elsewhere);
}

static void
test_config_load_string_paths_follow_base_dir(void **state)
{
    char *dir = tu_tmpdir();
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    copy_pki("ca.crt", dir, "trust.pem");
    host = sslplug_host_load_string(
        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"trust.pem\"}}", dir,
        &err);
    assert_non_null(host);
    ctx = sslplug_ctx_new(host, &err);
    assert_non_null(ctx);
    assert_int_equal(ctx_cert_count(ctx), 1);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    tu_rmtree(dir);
}

static void
test_config_missing_certificate_names_path_in_config_dir(void **state)
{
    char saved[PATH_MAX];
    char *confdir = tu_tmpdir(), *elsewhere = tu_tmpdir();
    char *conf = tu_write(confdir, "tls.json",
                          "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
                          "\"server.crt\", \"private_key\": \"server.key\"}}\n",
                          0644);
    char *expected = NULL;
    sslplug_error err;
    sslplug_host *host;

    (void)state;
    assert_non_null(getcwd(saved, sizeof(saved)));
    /* A usable pair in the working directory must not be picked up. */
    copy_pki("server.crt", elsewhere, "server.crt");
    copy_pki("server-plain.key", elsewhere, "server.key");
    assert_int_equal(chdir(elsewhere), 0);

    host = sslplug_host_load(conf, &err);
    assert_non_null(host);
    assert_null(sslplug_ctx_new(host, &err));
    assert_int_equal(err.code, SSLPLUG_E_CERTIFICATE);
    assert_string_equal(err.pointer, "/context/certificate");
    assert_string_equal(err.source, conf);
    assert_true(asprintf(&expected, "%s/server.crt", confdir) >= 0);
    assert_non_null(strstr(err.message, expected));
    sslplug_host_free(host);

    assert_int_equal(chdir(saved), 0);
    free(expected);
    free(conf);
    tu_rmtree(confdir);
    tu_rmtree(elsewhere);
}

static void
test_config_client_default_verify_is_peer(void **state)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\"}}");
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_PEER);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

static void
test_config_server_default_verify_is_none(void **state)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"server\"}}");
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

static void
test_config_verify_require_sets_fail_if_no_peer_cert(void **state)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"server\", \"verify\": \"require\", "
                "\"ca_file\": \"%s\"}}",
                tu_pki("ca.crt"));
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    assert_int_equal(SSL_CTX_get_verify_mode(ctx),
                     SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

static void
test_config_client_verify_none_is_kept(void **state)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"verify\": \"none\"}}");
    SSL_CTX *ctx = tu_ctx(host);

    (void)state;
    assert_int_equal(SSL_CTX_get_verify_mode(ctx), SSL_VERIFY_NONE);
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_invalid_cases_fail_as_expected),
        cmocka_unit_test(test_config_valid_cases_load),
        cmocka_unit_test(test_config_load_missing_file_is_io_error),
        cmocka_unit_test(test_config_load_directory_is_io_error),
        cmocka_unit_test(test_config_load_oversized_file_is_io_error),
        cmocka_unit_test(test_config_load_limit_size_file_loads),
        cmocka_unit_test(test_config_load_group_writable_file_is_unsafe),
        cmocka_unit_test(test_config_load_insecure_allow_writable_skips_file_check),
        cmocka_unit_test(test_config_load_null_or_empty_path_is_argument_error),
        cmocka_unit_test(test_config_load_string_null_json_is_argument_error),
        cmocka_unit_test(test_config_load_string_bad_base_dir_is_argument_error),
        cmocka_unit_test(test_config_load_string_parse_error_has_position),
        cmocka_unit_test(test_config_error_null_accepted_everywhere),
        cmocka_unit_test(test_config_error_code_ok_after_success),
        cmocka_unit_test(test_config_strerror_names_every_code),
        cmocka_unit_test(test_config_strerror_out_of_range_is_unknown),
        cmocka_unit_test(test_config_relative_paths_follow_config_dir),
        cmocka_unit_test(test_config_colon_in_a_file_name_is_no_uri),
        cmocka_unit_test(test_config_load_string_paths_follow_base_dir),
        cmocka_unit_test(test_config_missing_certificate_names_path_in_config_dir),
        cmocka_unit_test(test_config_client_default_verify_is_peer),
        cmocka_unit_test(test_config_server_default_verify_is_none),
        cmocka_unit_test(test_config_verify_require_sets_fail_if_no_peer_cert),
        cmocka_unit_test(test_config_client_verify_none_is_kept),
    };

    /* Plugin lookups must not depend on the caller's environment. */
    unsetenv("SSLPLUG_PLUGIN_PATH");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
