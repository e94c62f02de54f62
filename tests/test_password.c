/*
 * Reading the configured private key through the password callback, with
 * real OpenSSL and the real encrypted server key: both plugin forms, the
 * attempt/candidate protocol, policing of what a callback returns, the
 * error codes and messages that tell a wrong password from a broken
 * callback, and that no password reaches a trace, a log or an error.
 */
#define _GNU_SOURCE /* setenv, vasprintf */
#include "testutil.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#define WRONG_PASSWORD "not-the-server-password"
/* The host's limit on candidates from one source (binding.c). */
#define MAX_ATTEMPTS 32

/* What one sslplug context reported: its trace and its plugins' log lines. */
typedef struct rec {
    tu_trace trace;
    tu_log log;
    int password_with_ssl; /* password events that named a connection */
} rec;

static void
rec_trace(const sslplug_trace_event *ev, void *arg)
{
    rec *r = arg;

    if (ev->type == SSLPLUG_CB_PASSWORD && ev->ssl != NULL) {
        r->password_with_ssl++;
    }
    tu_trace_fn(ev, &r->trace);
}

static void
rec_free(rec *r)
{
    tu_trace_free(&r->trace);
    tu_log_free(&r->log);
    memset(r, 0, sizeof(*r));
}

/*
 * A server context for pki/<key> with the password entry fmt describes,
 * traced and logged into r.  Returns the
 * context or NULL with err filled.  proto goes first inside "context".
 */
static SSL_CTX *server_ctx(rec *r, sslplug_error *err, const char *proto, const char *key,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static SSL_CTX *
server_ctx(rec *r, sslplug_error *err, const char *proto, const char *key, const char *fmt, ...)
{
    char *entry = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entry, fmt, ap) >= 0);
    va_end(ap);
    host = tu_host("{\"version\": 1, \"context\": {%s\"role\": \"server\", "
                   "\"certificate\": \"pki/server.crt\", \"private_key\": \"pki/%s\"}, "
                   "\"callbacks\": {\"password\": %s}}",
                   proto, key, entry);
    free(entry);
    sslplug_host_set_trace(host, rec_trace, r);
    sslplug_host_set_log(host, tu_log_fn, &r->log);
    ctx = sslplug_ctx_new(host, err);
    sslplug_host_free(host);
    return ctx;
}

/* No password, right or wrong, in the trace, the log or the error. */
static void
assert_no_secret(const rec *r, const sslplug_error *err)
{
    static const char *const secrets[] = {WRONG_PASSWORD, "wrong-0", "wrong-1"};

    for (size_t i = 0; i <= sizeof(secrets) / sizeof(secrets[0]); i++) {
        const char *s = i == 0 ? tu_server_password() : secrets[i - 1];

        assert_true(strlen(s) > 0);
        assert_true(r->trace.text == NULL || strstr(r->trace.text, s) == NULL);
        assert_true(r->log.text == NULL || strstr(r->log.text, s) == NULL);
        assert_true(err == NULL || strstr(err->message, s) == NULL);
    }
}

/* A verifying client completes a handshake with server: its key is usable. */
static void
assert_serves(SSL_CTX *server, int version)
{
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;
    int ok = tu_handshake(server, client, &pair);

    if (!ok) {
        print_error("handshake failed: server: %s; client: %s\n", pair.server_error,
                    pair.client_error);
    }
    assert_true(ok);
    assert_int_equal(SSL_version(pair.client), version);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_OK);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
}

/* The trace line of a successful first attempt by `label` at `pointer`. */
static void
assert_unlocked_first_time(const rec *r, const char *label, const char *pointer)
{
    char line[256];

    snprintf(line, sizeof(line), "password %s %s: attempt=0 size=", label, pointer);
    assert_int_equal(r->trace.count[SSLPLUG_CB_PASSWORD], 1);
    assert_int_equal(tu_trace_has(&r->trace, line), 1);
    snprintf(line, sizeof(line), "rwflag=0 -> length %zu\n", strlen(tu_server_password()));
    assert_int_equal(tu_trace_has(&r->trace, line), 1);
    assert_int_equal(r->password_with_ssl, 0);
}

/* ---- both forms unlock the key ---- */

static void
abi_unlocks(const char *proto, int version)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    assert_int_equal(setenv("CB_TEST_PASSWORD", tu_server_password(), 1), 0);
    ctx = server_ctx(&r, &err, proto, "server.key",
                     "{\"plugin\": \"password_env\", \"config\": {\"variable\": "
                     "\"CB_TEST_PASSWORD\"}}");
    unsetenv("CB_TEST_PASSWORD");
    if (ctx == NULL) {
        print_error("%s: %s\n", sslplug_strerror(err.code), err.message);
    }
    assert_non_null(ctx);
    assert_int_equal(err.code, SSLPLUG_OK);
    assert_unlocked_first_time(&r, "password_env", "/callbacks/password");
    assert_serves(ctx, version);
    assert_no_secret(&r, &err);
    SSL_CTX_free(ctx);
    rec_free(&r);
}

static void
test_password_abi_unlocks_encrypted_key_tls13(void **state)
{
    (void)state;
    abi_unlocks("", TLS1_3_VERSION);
}

static void
test_password_abi_unlocks_encrypted_key_tls12(void **state)
{
    (void)state;
    abi_unlocks("\"max_protocol\": \"TLSv1.2\", ", TLS1_2_VERSION);
}

static void
raw_unlocks(const char *proto, int version)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    assert_int_equal(setenv("SSLPLUG_RAW_PASSWORD", tu_server_password(), 1), 0);
    ctx = server_ctx(&r, &err, proto, "server.key",
                     "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_password\"}");
    unsetenv("SSLPLUG_RAW_PASSWORD");
    if (ctx == NULL) {
        print_error("%s: %s\n", sslplug_strerror(err.code), err.message);
    }
    assert_non_null(ctx);
    assert_unlocked_first_time(&r, "raw_example_password@raw_example.so", "/callbacks/password");
    assert_serves(ctx, version);
    assert_no_secret(&r, &err);
    SSL_CTX_free(ctx);
    rec_free(&r);
}

static void
test_password_raw_unlocks_encrypted_key_tls13(void **state)
{
    (void)state;
    raw_unlocks("", TLS1_3_VERSION);
}

static void
test_password_raw_unlocks_encrypted_key_tls12(void **state)
{
    (void)state;
    raw_unlocks("\"max_protocol\": \"TLSv1.2\", ", TLS1_2_VERSION);
}

/* ---- a wrong password is a key error, not a callback error ---- */

static void
assert_key_error(const sslplug_error *err, const char *what)
{
    if (err->code != SSLPLUG_E_PRIVATE_KEY) {
        print_error("%s: %s\n", sslplug_strerror(err->code), err->message);
    }
    assert_int_equal(err->code, SSLPLUG_E_PRIVATE_KEY);
    assert_string_equal(err->pointer, "/context/private_key");
    assert_non_null(strstr(err->message, tu_pki("server.key")));
    assert_non_null(strstr(err->message, what));
}

static void
test_password_abi_wrong_password_is_private_key_error(void **state)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    (void)state;
    assert_int_equal(setenv("CB_TEST_PASSWORD", WRONG_PASSWORD, 1), 0);
    ctx = server_ctx(&r, &err, "", "server.key",
                     "{\"plugin\": \"password_env\", \"config\": {\"variable\": "
                     "\"CB_TEST_PASSWORD\"}}");
    unsetenv("CB_TEST_PASSWORD");
    assert_null(ctx);
    assert_key_error(&err, "wrong password");
    assert_non_null(strstr(err.message, "password_env"));
    /* One candidate, then password_env has no more. */
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 2);
    assert_int_equal(tu_trace_has(&r.trace, "attempt=0 size="), 1);
    assert_int_equal(tu_trace_has(&r.trace, "attempt=1 size="), 1);
    assert_int_equal(tu_trace_has(&r.trace, " -> no more candidates\n"), 1);
    assert_no_secret(&r, &err);
    rec_free(&r);
}

static void
test_password_raw_wrong_password_is_private_key_error(void **state)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    (void)state;
    assert_int_equal(setenv("SSLPLUG_RAW_PASSWORD", WRONG_PASSWORD, 1), 0);
    ctx = server_ctx(&r, &err, "", "server.key",
                     "{\"plugin\": \"raw_example\", \"symbol\": \"raw_example_password\"}");
    unsetenv("SSLPLUG_RAW_PASSWORD");
    assert_null(ctx);
    assert_key_error(&err, "wrong password");
    assert_non_null(strstr(err.message, "raw_example_password@raw_example.so"));
    /* A raw callback has no attempt argument: it is asked once. */
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 1);
    assert_no_secret(&r, &err);
    rec_free(&r);
}

/* ---- a misbehaving callback is a password error ---- */

static void
assert_callback_error(const rec *r, const sslplug_error *err, const char *label, const char *why)
{
    if (err->code != SSLPLUG_E_PASSWORD) {
        print_error("%s: %s\n", sslplug_strerror(err->code), err->message);
    }
    assert_int_equal(err->code, SSLPLUG_E_PASSWORD);
    assert_string_equal(err->pointer, "/callbacks/password");
    assert_non_null(strstr(err->message, label));
    assert_non_null(strstr(err->message, tu_pki("server.key")));
    assert_non_null(strstr(err->message, why));
    /* Refused at once: no second attempt after a broken answer. */
    assert_int_equal(r->trace.count[SSLPLUG_CB_PASSWORD], 1);
    assert_int_equal(tu_trace_has(&r->trace, ": rejected, "), 1);
    assert_no_secret(r, err);
}

static void
bad_mode(const char *mode, const char *why)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx = server_ctx(&r, &err, "", "server.key",
                              "{\"plugin\": \"%s\", \"config\": {\"mode\": \"%s\"}}",
                              tu_test_plugin("cb_password_bad"), mode);

    assert_null(ctx);
    assert_callback_error(&r, &err, "cb_password_bad", why);
    assert_int_equal(tu_log_has(&r.log, "cb_password_bad: call attempt=0 size="), 1);
    rec_free(&r);
}

static void
test_password_abi_oversize_length_is_password_error(void **state)
{
    (void)state;
    bad_mode("oversize", "outside 0..");
}

static void
test_password_abi_length_equal_to_size_is_password_error(void **state)
{
    (void)state;
    bad_mode("exact_size", "outside 0..");
}

static void
test_password_abi_error_result_is_password_error(void **state)
{
    (void)state;
    bad_mode("negative", "returned -1: no password available");
}

static void
test_password_abi_undefined_negative_is_password_error(void **state)
{
    (void)state;
    bad_mode("minus_seven", "returned -7");
}

static void
raw_bad(const char *symbol, const char *why)
{
    rec r = {0};
    sslplug_error err;
    char label[128];
    SSL_CTX *ctx =
        server_ctx(&r, &err, "", "server.key", "{\"plugin\": \"%s\", \"symbol\": \"%s\"}",
                   tu_test_plugin("cb_password_bad"), symbol);

    assert_null(ctx);
    snprintf(label, sizeof(label), "%s@cb_password_bad.so", symbol);
    assert_callback_error(&r, &err, label, why);
    rec_free(&r);
}

static void
test_password_raw_oversize_length_is_password_error(void **state)
{
    (void)state;
    raw_bad("cb_password_bad_raw_oversize", "outside 0..");
}

static void
test_password_raw_negative_is_password_error(void **state)
{
    (void)state;
    raw_bad("cb_password_bad_raw_negative", "returned -1");
}

/* An empty password is a valid answer, and a wrong one. */
static void
test_password_abi_empty_password_is_private_key_error(void **state)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx = server_ctx(&r, &err, "", "server.key",
                              "{\"plugin\": \"%s\", \"config\": {\"mode\": \"empty\"}}",
                              tu_test_plugin("cb_password_bad"));

    (void)state;
    assert_null(ctx);
    assert_key_error(&err, "wrong password");
    assert_int_equal(tu_trace_has(&r.trace, "attempt=0 size="), 1);
    rec_free(&r);
}

/* A source that never says SSLPLUG_PASSWORD_NO_MORE is given up on. */
static void
test_password_abi_endless_candidates_are_given_up(void **state)
{
    rec r = {0};
    sslplug_error err;
    char needle[64];
    SSL_CTX *ctx = server_ctx(&r, &err, "", "server.key",
                              "{\"plugin\": \"%s\", \"config\": {\"mode\": \"endless\"}}",
                              tu_test_plugin("cb_password_bad"));

    (void)state;
    assert_null(ctx);
    assert_key_error(&err, "gave up");
    assert_int_equal(tu_log_has(&r.log, "cb_password_bad: call attempt="), MAX_ATTEMPTS);
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], MAX_ATTEMPTS);
    snprintf(needle, sizeof(needle), "call attempt=%d size=", MAX_ATTEMPTS - 1);
    assert_int_equal(tu_log_has(&r.log, needle), 1);
    assert_no_secret(&r, &err);
    rec_free(&r);
}

/* ---- no source for an encrypted key, and no terminal prompt ---- */

/* What the child of the no-prompt test reports through a pipe. */
typedef struct no_prompt_result {
    int ctx_made;       /* sslplug_ctx_new returned a context */
    sslplug_error err;  /* its error */
    int later_read_ok;  /* the application's own later read of the key succeeded */
    int plain_ctx_made; /* the context for the unencrypted key was made */
} no_prompt_result;

/* Read exactly len bytes from fd; 1 on success. */
static int
read_all(int fd, void *buf, size_t len)
{
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n <= 0) {
            return 0;
        }
        p += n;
        len -= (size_t)n;
    }
    return 1;
}

/*
 * In the child: no controlling terminal, stdin at EOF, stderr to a pipe and
 * a time limit, so a prompt is seen or hangs only until the alarm.
 */
static void
no_prompt_child(int result_fd, int stderr_fd)
{
    no_prompt_result res;
    sslplug_host *host;
    SSL_CTX *ctx;
    int devnull = open("/dev/null", O_RDONLY);

    memset(&res, 0, sizeof(res));
    alarm(60);
    setsid();
    if (devnull < 0 || dup2(devnull, STDIN_FILENO) < 0 || dup2(stderr_fd, STDERR_FILENO) < 0) {
        _exit(3);
    }
    close(devnull);
    host = sslplug_host_load_string("{\"version\": 1, \"context\": {\"role\": \"server\", "
                                    "\"certificate\": \"pki/server.crt\", "
                                    "\"private_key\": \"pki/server.key\"}}",
                                    SSLPLUG_TEST_DEMO_DIR, &res.err);
    ctx = host != NULL ? sslplug_ctx_new(host, &res.err) : NULL;
    res.ctx_made = ctx != NULL;
    SSL_CTX_free(ctx);
    sslplug_host_free(host);

    /* A context of sslplug's own never prompts, even for keys read later. */
    host = sslplug_host_load_string("{\"version\": 1, \"context\": {\"role\": \"server\", "
                                    "\"certificate\": \"pki/server.crt\", "
                                    "\"private_key\": \"pki/server-plain.key\"}}",
                                    SSLPLUG_TEST_DEMO_DIR, NULL);
    ctx = host != NULL ? sslplug_ctx_new(host, NULL) : NULL;
    res.plain_ctx_made = ctx != NULL;
    if (ctx != NULL) {
        res.later_read_ok =
            SSL_CTX_use_PrivateKey_file(ctx, tu_pki("server.key"), SSL_FILETYPE_PEM) == 1;
        ERR_clear_error();
    }
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    _exit(write(result_fd, &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 4);
}

static void
test_password_encrypted_key_without_source_fails_without_prompt(void **state)
{
    int result_pipe[2], stderr_pipe[2];
    no_prompt_result res;
    char output[4096];
    ssize_t n;
    int status;
    pid_t pid;

    (void)state;
    assert_int_equal(pipe(result_pipe), 0);
    assert_int_equal(pipe(stderr_pipe), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(result_pipe[0]);
        close(stderr_pipe[0]);
        no_prompt_child(result_pipe[1], stderr_pipe[1]);
    }
    close(result_pipe[1]);
    close(stderr_pipe[1]);
    assert_int_equal(read_all(result_pipe[0], &res, sizeof(res)), 1);
    n = read(stderr_pipe[0], output, sizeof(output) - 1);
    output[n > 0 ? n : 0] = '\0';
    close(result_pipe[0]);
    close(stderr_pipe[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* not killed by the alarm: nothing waited for input */
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_null(strstr(output, "pass phrase"));

    assert_false(res.ctx_made);
    assert_key_error(&res.err, "encrypted");
    assert_non_null(strstr(res.err.message, "no password callback"));
    assert_true(res.plain_ctx_made);
    assert_false(res.later_read_ok);
}

/* ---- when the callback is not called, and later reads ---- */

static void
test_password_plain_key_never_calls_callback(void **state)
{
    rec r = {0};
    sslplug_error err;
    /* A callback that would fail the context if it were asked. */
    SSL_CTX *ctx = server_ctx(&r, &err, "", "server-plain.key",
                              "{\"plugin\": \"%s\", \"config\": {\"mode\": \"negative\"}}",
                              tu_test_plugin("cb_password_bad"));

    (void)state;
    assert_non_null(ctx);
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 0);
    assert_int_equal(tu_log_has(&r.log, "call attempt="), 0);
    assert_serves(ctx, TLS1_3_VERSION);
    SSL_CTX_free(ctx);
    rec_free(&r);
}

/* The callback stays bound on the context for keys the application reads itself. */
static void
test_password_context_callback_unlocks_later_reads(void **state)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    (void)state;
    assert_int_equal(setenv("CB_TEST_PASSWORD", tu_server_password(), 1), 0);
    ctx = server_ctx(&r, &err, "", "server-plain.key",
                     "{\"plugin\": \"password_env\", \"config\": {\"variable\": "
                     "\"CB_TEST_PASSWORD\"}}");
    assert_non_null(ctx);
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 0);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki("server.key"), SSL_FILETYPE_PEM), 1);
    unsetenv("CB_TEST_PASSWORD");
    assert_unlocked_first_time(&r, "password_env", "/callbacks/password");
    assert_serves(ctx, TLS1_3_VERSION);
    assert_no_secret(&r, &err);
    SSL_CTX_free(ctx);
    rec_free(&r);
}

/* ---- candidates ---- */

static void
test_password_file_second_line_unlocks_key(void **state)
{
    rec r = {0};
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *content = NULL;
    char *path;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&content, "%s\n%s\n", WRONG_PASSWORD, tu_server_password()) >= 0);
    path = tu_write(dir, "server.pass", content, 0600);
    ctx = server_ctx(&r, &err, "", "server.key",
                     "{\"plugin\": \"password_file\", \"config\": {\"path\": \"%s\"}}", path);
    if (ctx == NULL) {
        print_error("%s: %s\n", sslplug_strerror(err.code), err.message);
    }
    assert_non_null(ctx);
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 2);
    assert_int_equal(tu_trace_has(&r.trace, "password password_file /callbacks/password: "
                                            "attempt=0 size="),
                     1);
    assert_int_equal(tu_trace_has(&r.trace, "password password_file /callbacks/password: "
                                            "attempt=1 size="),
                     1);
    assert_serves(ctx, TLS1_3_VERSION);
    assert_no_secret(&r, &err);
    SSL_CTX_free(ctx);
    rec_free(&r);
    OPENSSL_cleanse(content, strlen(content));
    free(content);
    free(path);
    tu_rmtree(dir);
}

static void
test_password_file_all_lines_wrong_is_private_key_error(void **state)
{
    rec r = {0};
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *path = tu_write(dir, "server.pass", WRONG_PASSWORD "\nwrong-1\n", 0600);
    SSL_CTX *ctx =
        server_ctx(&r, &err, "", "server.key",
                   "{\"plugin\": \"password_file\", \"config\": {\"path\": \"%s\"}}", path);

    (void)state;
    assert_null(ctx);
    assert_key_error(&err, "wrong password");
    assert_non_null(strstr(err.message, "2 candidates"));
    assert_int_equal(tu_trace_has(&r.trace, "attempt=0 size="), 1);
    assert_int_equal(tu_trace_has(&r.trace, "attempt=1 size="), 1);
    assert_int_equal(tu_trace_has(&r.trace, "attempt=2 size="), 1);
    assert_int_equal(tu_trace_has(&r.trace, "no more candidates"), 1);
    assert_no_secret(&r, &err);
    rec_free(&r);
    free(path);
    tu_rmtree(dir);
}

/* However often OpenSSL asks while reading one key, the source is asked once per attempt. */
static void
test_password_source_asked_once_per_attempt(void **state)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx = server_ctx(&r, &err, "", "server.key",
                              "{\"plugin\": \"%s\", \"config\": {\"wrong\": 2, "
                              "\"file\": \"pki/server.pass\"}}",
                              tu_test_plugin("cb_password_count"));

    (void)state;
    assert_non_null(ctx);
    assert_non_null(r.log.text);
    assert_string_equal(r.log.text, "cb_password_count: call attempt=0\n"
                                    "cb_password_count: call attempt=1\n"
                                    "cb_password_count: call attempt=2\n");
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 3);
    assert_serves(ctx, TLS1_3_VERSION);
    assert_no_secret(&r, &err);
    SSL_CTX_free(ctx);
    rec_free(&r);
}

static void
test_password_source_out_of_candidates_is_private_key_error(void **state)
{
    rec r = {0};
    sslplug_error err;
    SSL_CTX *ctx =
        server_ctx(&r, &err, "", "server.key", "{\"plugin\": \"%s\", \"config\": {\"wrong\": 2}}",
                   tu_test_plugin("cb_password_count"));

    (void)state;
    assert_null(ctx);
    assert_key_error(&err, "wrong password");
    assert_non_null(strstr(err.message, "2 candidates from cb_password_count"));
    assert_non_null(r.log.text);
    assert_string_equal(r.log.text, "cb_password_count: call attempt=0\n"
                                    "cb_password_count: call attempt=1\n"
                                    "cb_password_count: call attempt=2\n");
    assert_no_secret(&r, &err);
    rec_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_abi_unlocks_encrypted_key_tls13),
        cmocka_unit_test(test_password_abi_unlocks_encrypted_key_tls12),
        cmocka_unit_test(test_password_raw_unlocks_encrypted_key_tls13),
        cmocka_unit_test(test_password_raw_unlocks_encrypted_key_tls12),
        cmocka_unit_test(test_password_abi_wrong_password_is_private_key_error),
        cmocka_unit_test(test_password_raw_wrong_password_is_private_key_error),
        cmocka_unit_test(test_password_abi_oversize_length_is_password_error),
        cmocka_unit_test(test_password_abi_length_equal_to_size_is_password_error),
        cmocka_unit_test(test_password_abi_error_result_is_password_error),
        cmocka_unit_test(test_password_abi_undefined_negative_is_password_error),
        cmocka_unit_test(test_password_raw_oversize_length_is_password_error),
        cmocka_unit_test(test_password_raw_negative_is_password_error),
        cmocka_unit_test(test_password_abi_empty_password_is_private_key_error),
        cmocka_unit_test(test_password_abi_endless_candidates_are_given_up),
        cmocka_unit_test(test_password_encrypted_key_without_source_fails_without_prompt),
        cmocka_unit_test(test_password_plain_key_never_calls_callback),
        cmocka_unit_test(test_password_context_callback_unlocks_later_reads),
        cmocka_unit_test(test_password_file_second_line_unlocks_key),
        cmocka_unit_test(test_password_file_all_lines_wrong_is_private_key_error),
        cmocka_unit_test(test_password_source_asked_once_per_attempt),
        cmocka_unit_test(test_password_source_out_of_candidates_is_private_key_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
