/*
 * The password sources password_exec, password_fd, password_credential and
 * password_prompt, each unlocking the real encrypted server key for a real
 * handshake; every init error with its exact code and JSON pointer; their
 * failure paths at callback time (a program that fails, hangs or prints
 * nothing; a spent or wrong descriptor; a missing credential; no terminal);
 * and the deployment examples in config/deploy/, one per source.
 */
#define _GNU_SOURCE /* setenv, asprintf, vasprintf, posix_openpt, ptsname */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define WRONG_PASSWORD "not-the-server-password"
#define ENTRY "/callbacks/password"
#define DEPLOY_DIR SSLPLUG_TEST_SOURCE_DIR "/../config/deploy"

/*
 * A host for a server with the real encrypted key and the password entry
 * that fmt describes; relative paths in the entry are taken relative to
 * base_dir (NULL: the demo directory).  NULL with err filled when the configuration is refused.
 */
static sslplug_host *server_host(tu_report *r, sslplug_error *err, const char *base_dir,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static sslplug_host *
server_host(tu_report *r, sslplug_error *err, const char *base_dir, const char *fmt, ...)
{
    char *entry = NULL;
    char *json = NULL;
    sslplug_host *host;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entry, fmt, ap) >= 0);
    va_end(ap);
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\", "
                         "\"certificate\": \"%s\", \"private_key\": \"%s\"}, "
                         "\"callbacks\": {\"password\": %s}}",
                         tu_pki("server.crt"), tu_pki("server.key"), entry) >= 0);
    host = sslplug_host_load_string(json, base_dir != NULL ? base_dir : SSLPLUG_TEST_DEMO_DIR, err);
    free(entry);
    free(json);
    if (host != NULL) {
        tu_report_attach(host, r);
    }
    return host;
}

/* As server_host, then one context from it; the host is freed. */
static SSL_CTX *server_ctx(tu_report *r, sslplug_error *err, const char *base_dir, const char *fmt,
                           ...) __attribute__((format(printf, 4, 5)));

static SSL_CTX *
server_ctx(tu_report *r, sslplug_error *err, const char *base_dir, const char *fmt, ...)
{
    char *entry = NULL;
    sslplug_host *host;
    SSL_CTX *ctx = NULL;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entry, fmt, ap) >= 0);
    va_end(ap);
    host = server_host(r, err, base_dir, "%s", entry);
    free(entry);
    if (host != NULL) {
        ctx = sslplug_ctx_new(host, err);
        sslplug_host_free(host);
    }
    return ctx;
}

static void
print_err(const sslplug_error *err)
{
    print_error("%s: %s: %s\n", sslplug_strerror(err->code), err->pointer, err->message);
}

/* A verifying client completes a TLS 1.3 handshake with server. */
static void
assert_serves(SSL_CTX *server)
{
    SSL_CTX *client = tu_plain_client(1);
    sslplug_pair pair;
    int ok = tu_handshake(server, client, &pair);

    if (!ok) {
        print_error("handshake: server: %s; client: %s\n", pair.server_error, pair.client_error);
    }
    assert_true(ok);
    assert_int_equal(SSL_get_verify_result(pair.client), X509_V_OK);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
}

/* Neither password, right or wrong, in the trace, the log or the error. */
static void
assert_no_secret(const tu_report *r, const sslplug_error *err)
{
    const char *secrets[] = {tu_server_password(), WRONG_PASSWORD};

    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        assert_true(r->trace.text == NULL || strstr(r->trace.text, secrets[i]) == NULL);
        assert_true(r->log.text == NULL || strstr(r->log.text, secrets[i]) == NULL);
        assert_true(err == NULL || strstr(err->message, secrets[i]) == NULL);
    }
}

/* The callback failed: the context names the entry, the log the cause. */
static void
assert_password_error(const tu_report *r, const sslplug_error *err, const char *logged)
{
    if (err->code != SSLPLUG_E_PASSWORD || !tu_log_has(&r->log, logged)) {
        print_err(err);
        print_error("log: %s\n", r->log.text != NULL ? r->log.text : "(none)");
    }
    assert_int_equal(err->code, SSLPLUG_E_PASSWORD);
    assert_string_equal(err->pointer, ENTRY);
    assert_true(tu_log_has(&r->log, logged));
    assert_no_secret(r, err);
}

/* The single candidate was wrong: a key error, after "no more" at attempt 1. */
static void
assert_wrong_password(const tu_report *r, const sslplug_error *err)
{
    if (err->code != SSLPLUG_E_PRIVATE_KEY) {
        print_err(err);
    }
    assert_int_equal(err->code, SSLPLUG_E_PRIVATE_KEY);
    assert_string_equal(err->pointer, "/context/private_key");
    assert_non_null(strstr(err->message, "wrong password"));
    assert_int_equal(tu_trace_has(&r->trace, "attempt=1 size="), 1);
    assert_int_equal(tu_trace_has(&r->trace, "no more candidates"), 1);
    assert_no_secret(r, err);
}

/* A context that must have been made; then it serves. */
static void
assert_made_and_serves(SSL_CTX *ctx, const tu_report *r, const sslplug_error *err)
{
    if (ctx == NULL) {
        print_err(err);
        print_error("log: %s\n", r->log.text != NULL ? r->log.text : "(none)");
    }
    assert_non_null(ctx);
    assert_int_equal(tu_trace_has(&r->trace, "attempt=0 size="), 1);
    assert_serves(ctx);
    assert_no_secret(r, err);
}

static int
open_fd_count(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;

    assert_non_null(d);
    while (readdir(d) != NULL) {
        n++;
    }
    closedir(d);
    return n;
}

/* No child of this process is left, running or zombie. */
static void
assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ======================= password_exec ======================= */

/* A script printing the server password, with extra shell lines before. */
static char *
write_script(const char *dir, const char *name, const char *before, const char *password)
{
    char *text = NULL;
    char *path;

    assert_true(asprintf(&text, "#!/bin/sh\n%s\nprintf '%%s\\n' '%s'\n", before, password) >= 0);
    path = tu_write(dir, name, text, 0700);
    free(text);
    return path;
}

static char *
read_text(const char *path)
{
    char *text = tu_file_read(path, NULL);

    assert_non_null(text);
    return text;
}

static void
test_exec_unlocks_key_with_minimal_environment(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *ctx, *second;
    char *dir = tu_tmpdir();
    char *before = NULL;
    char *script, *config, *json = NULL, *env, *in, *fds;
    char *env_path = NULL, *in_path = NULL, *fds_path = NULL, *expect = NULL;
    int canary_fd = open("/dev/null", O_RDONLY); /* inheritable: the child must not get it */
    int fds_before;

    (void)state;
    assert_true(canary_fd > 2);
    assert_int_equal(setenv("SSLPLUG_TEST_CANARY", "leak", 1), 0);
    assert_true(asprintf(&env_path, "%s/env.out", dir) >= 0);
    assert_true(asprintf(&in_path, "%s/stdin.out", dir) >= 0);
    assert_true(asprintf(&fds_path, "%s/fds.out", dir) >= 0);
    assert_true(asprintf(&before,
                         "env > '%s'\nreadlink /proc/$$/fd/0 > '%s'\n"
                         "if [ -e /proc/$$/fd/%d ]; then echo leaked; else echo closed; fi > '%s'",
                         env_path, in_path, canary_fd, fds_path) >= 0);
    script = write_script(dir, "pw.sh", before, tu_server_password());
    /* From a file, so SSLPLUG_CONFIG has a value; argv[0] relative to it. */
    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\", "
                         "\"certificate\": \"%s\", \"private_key\": \"%s\"}, "
                         "\"callbacks\": {\"password\": {\"plugin\": \"password_exec\", "
                         "\"config\": {\"argv\": [\"pw.sh\", \"arg one\"], "
                         "\"key_file\": \"keys/server.key\"}}}}",
                         tu_pki("server.crt"), tu_pki("server.key")) >= 0);
    config = tu_write(dir, "tls.json", json, 0600);
    host = sslplug_host_load(config, &err);
    assert_non_null(host);
    tu_report_attach(host, &r);
    ctx = sslplug_ctx_new(host, &err);
    unsetenv("SSLPLUG_TEST_CANARY");
    assert_made_and_serves(ctx, &r, &err);
    assert_no_children();
    /* Once the plugin is loaded (the host keeps its file open), a run leaves no descriptor. */
    fds_before = open_fd_count();
    second = sslplug_ctx_new(host, &err);
    assert_non_null(second);
    assert_int_equal(open_fd_count(), fds_before);
    assert_no_children();
    SSL_CTX_free(second);
    sslplug_host_free(host);

    env = read_text(env_path);
    assert_non_null(strstr(env, "PATH=/usr/bin:/bin\n"));
    assert_true(asprintf(&expect, "SSLPLUG_CONFIG=%s\n", config) >= 0);
    assert_non_null(strstr(env, expect));
    free(expect);
    assert_true(asprintf(&expect, "SSLPLUG_KEY_FILE=%s/keys/server.key\n", dir) >= 0);
    assert_non_null(strstr(env, expect));
    assert_null(strstr(env, "SSLPLUG_TEST_CANARY"));
    assert_null(strstr(env, "HOME="));
    in = read_text(in_path);
    assert_string_equal(in, "/dev/null\n");
    fds = read_text(fds_path);
    assert_string_equal(fds, "closed\n");

    SSL_CTX_free(ctx);
    close(canary_fd);
    tu_report_free(&r);
    free(env);
    free(in);
    free(fds);
    free(expect);
    free(before);
    free(json);
    free(env_path);
    free(in_path);
    free(fds_path);
    free(script);
    free(config);
    tu_rmtree(dir);
}

/* Without key_file, the program learns the key being read from the host (ABI 1.2). */
static void
test_exec_gets_key_file_from_host(void **state)
{
    char *dir = tu_tmpdir();
    char *out_path = NULL, *before = NULL, *script, *got;
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&out_path, "%s/key.out", dir) >= 0);
    assert_true(asprintf(&before, "printf '%%s' \"$SSLPLUG_KEY_FILE\" > '%s'", out_path) >= 0);
    script = write_script(dir, "pw.sh", before, tu_server_password());
    host = tu_host_try(&err,
                       "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
                       " \"pki/server.crt\", \"private_key\": \"pki/server.key\"}, \"callbacks\":"
                       " {\"password\": {\"plugin\": \"password_exec\", \"config\": {\"argv\":"
                       " [\"%s\"]}}}}",
                       script);
    assert_non_null(host);
    ctx = sslplug_ctx_new(host, &err);
    assert_non_null(ctx);
    got = read_text(out_path);
    assert_string_equal(got, tu_pki("server.key"));
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    free(got);
    free(script);
    free(before);
    free(out_path);
    tu_rmtree(dir);
}

/* The password printed without a line break is taken as is; the program's arguments arrive. */
static void
test_exec_passes_arguments_without_shell(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    (void)state;
    /* printf's format is argv[1]: a shell would have expanded "$0" in it. */
    ctx = server_ctx(&r, &err, NULL,
                     "{\"plugin\": \"password_exec\", \"config\": {\"argv\": "
                     "[\"/usr/bin/printf\", \"%%s$0\", \"%s\"], \"timeout_ms\": 60000}}",
                     tu_server_password());
    /* "$0" is literal: the password is followed by those two bytes, so it is wrong. */
    assert_null(ctx);
    assert_wrong_password(&r, &err);
    tu_report_free(&r);

    ctx = server_ctx(&r, &err, NULL,
                     "{\"plugin\": \"password_exec\", \"config\": {\"argv\": "
                     "[\"/usr/bin/printf\", \"%%s\", \"%s\"]}}",
                     tu_server_password());
    assert_made_and_serves(ctx, &r, &err);
    assert_no_children();
    SSL_CTX_free(ctx);
    tu_report_free(&r);
}

static void
test_exec_wrong_password_is_private_key_error(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *script = write_script(dir, "pw.sh", "", WRONG_PASSWORD);
    SSL_CTX *ctx = server_ctx(
        &r, &err, dir, "{\"plugin\": \"password_exec\", \"config\": {\"argv\": [\"%s\"]}}", script);

    (void)state;
    assert_null(ctx);
    assert_wrong_password(&r, &err);
    /* The program ran once: attempt 1 is answered without running it. */
    assert_no_children();
    tu_report_free(&r);
    free(script);
    tu_rmtree(dir);
}

/*
 * A failing program: the context fails with a password error naming it in
 * the log, no child is left, and (asked twice, once the plugin is loaded) no
 * descriptor either.
 */
static void
exec_fails(const char *body, const char *logged)
{
    tu_report r = {0};
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *text = NULL;
    char *needle = NULL;
    char *script;
    sslplug_host *host;
    int fds_before;

    assert_true(asprintf(&text, "#!/bin/sh\n%s\n", body) >= 0);
    script = tu_write(dir, "pw.sh", text, 0700);
    host = server_host(&r, &err, dir,
                       "{\"plugin\": \"password_exec\", \"config\": {\"argv\": [\"%s\"], "
                       "\"timeout_ms\": 60000}}",
                       script);
    assert_non_null(host);
    assert_null(sslplug_ctx_new(host, &err));
    assert_password_error(&r, &err, logged);
    assert_true(asprintf(&needle, "password program %s: ", script) >= 0);
    assert_true(tu_log_has(&r.log, needle));
    assert_no_children();
    fds_before = open_fd_count();
    assert_null(sslplug_ctx_new(host, &err));
    assert_password_error(&r, &err, logged);
    assert_int_equal(open_fd_count(), fds_before);
    assert_no_children();
    sslplug_host_free(host);
    tu_report_free(&r);
    free(needle);
    free(text);
    free(script);
    tu_rmtree(dir);
}

static void
test_exec_nonzero_exit_is_password_error(void **state)
{
    (void)state;
    exec_fails("printf 'half a password\\n'\nexit 3", "exited with status 3: expected 0");
}

static void
test_exec_killed_by_signal_is_password_error(void **state)
{
    (void)state;
    exec_fails("kill -TERM $$", "killed by signal 15");
}

static void
test_exec_empty_output_is_password_error(void **state)
{
    (void)state;
    exec_fails("exit 0", "printed no password");
}

static void
test_exec_only_newline_is_password_error(void **state)
{
    (void)state;
    exec_fails("echo", "printed no password");
}

static void
test_exec_oversize_output_is_password_error(void **state)
{
    (void)state;
    exec_fails("head -c 5000 /dev/zero | tr '\\0' x", "printed more than 4096 bytes");
}

static void
test_exec_nul_byte_is_password_error(void **state)
{
    (void)state;
    exec_fails("printf 'ab\\000cd\\n'", "printed a NUL byte");
}

static void
test_exec_timeout_kills_and_reaps(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    sslplug_host *host;
    int fds_before;

    (void)state;
    host = server_host(&r, &err, NULL,
                       "{\"plugin\": \"password_exec\", \"config\": {\"argv\": [\"/bin/sleep\", "
                       "\"30\"], \"timeout_ms\": 200}}");
    assert_non_null(host);
    assert_null(sslplug_ctx_new(host, &err));
    assert_password_error(&r, &err, "password program /bin/sleep: timed out after 200 ms: killed");
    assert_no_children();
    fds_before = open_fd_count();
    assert_null(sslplug_ctx_new(host, &err));
    assert_password_error(&r, &err, "timed out after 200 ms: killed");
    assert_no_children();
    assert_int_equal(open_fd_count(), fds_before);
    sslplug_host_free(host);
    tu_report_free(&r);
}

/* What /proc says of pid: 1 running (or sleeping), 0 gone or a zombie. */
static int
alive(pid_t pid)
{
    char path[64], buf[512];
    const char *state;
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((f = fopen(path, "r")) == NULL) {
        return 0;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    state = strrchr(buf, ')');
    return state != NULL && state[1] == ' ' && state[2] != 'Z' && state[2] != 'X';
}

/* Whatever the program started is in its process group and dies with it. */
static void
test_exec_timeout_kills_process_group(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *text = NULL, *pidfile = NULL, *pidtext;
    char *script;
    SSL_CTX *ctx;
    long pid;
    int waited;

    (void)state;
    assert_true(asprintf(&pidfile, "%s/bg.pid", dir) >= 0);
    assert_true(asprintf(&text, "#!/bin/sh\nsleep 30 &\necho $! > '%s'\nwait\n", pidfile) >= 0);
    script = tu_write(dir, "pw.sh", text, 0700);
    /* Long enough for the script to start its background job and say so, even under valgrind. */
    ctx = server_ctx(&r, &err, dir,
                     "{\"plugin\": \"password_exec\", \"config\": {\"argv\": [\"%s\"], "
                     "\"timeout_ms\": 3000}}",
                     script);
    assert_null(ctx);
    assert_password_error(&r, &err, "timed out after 3000 ms: killed");
    assert_no_children();
    pidtext = read_text(pidfile);
    pid = strtol(pidtext, NULL, 10);
    assert_true(pid > 1);
    /* SIGKILL is final but not instantaneous; allow the kernel a generous while. */
    for (waited = 0; alive((pid_t)pid) && waited < 10000; waited += 10) {
        sleep_ms(10);
    }
    assert_false(alive((pid_t)pid));
    tu_report_free(&r);
    free(pidtext);
    free(pidfile);
    free(text);
    free(script);
    tu_rmtree(dir);
}

/* A program that vanished after init fails at the next context, not at init. */
static void
test_exec_program_removed_after_init_is_password_error(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *dir = tu_tmpdir();
    char *script = write_script(dir, "pw.sh", "", tu_server_password());
    sslplug_host *host = server_host(&r, &err, dir,
                                     "{\"plugin\": \"password_exec\", \"config\": {\"argv\": "
                                     "[\"pw.sh\"]}}");
    SSL_CTX *first, *second;

    (void)state;
    assert_non_null(host);
    first = sslplug_ctx_new(host, &err);
    assert_made_and_serves(first, &r, &err);
    assert_int_equal(unlink(script), 0);
    second = sslplug_ctx_new(host, &err);
    assert_null(second);
    assert_password_error(&r, &err, "cannot run: No such file or directory");
    assert_no_children();
    SSL_CTX_free(first);
    sslplug_host_free(host);
    tu_report_free(&r);
    free(script);
    tu_rmtree(dir);
}

/* One bad config: the init error with its exact pointer. */
static void
exec_config_error(const char *base_dir, const char *config, const char *pointer, const char *what)
{
    tu_report r = {0};
    sslplug_error err;
    SSL_CTX *ctx =
        server_ctx(&r, &err, base_dir, "{\"plugin\": \"password_exec\", \"config\": %s}", config);

    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, what);
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 0);
    tu_report_free(&r);
}

static void
test_exec_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *what;
    } cases[] = {
        {"{}", ENTRY "/config/argv", "required key \"argv\" is missing"},
        {"{\"argv\": []}", ENTRY "/config/argv", "empty array"},
        {"{\"argv\": \"/bin/true\"}", ENTRY "/config/argv", "expected array of strings"},
        {"{\"argv\": [\"/bin/true\", 3]}", ENTRY "/config/argv/1",
         "expected string, found integer"},
        {"{\"argv\": [\"\"]}", ENTRY "/config/argv/0", "expected the program's path"},
        {"{\"argv\": [\"/nonexistent/prog\"]}", ENTRY "/config/argv/0",
         "cannot run program /nonexistent/prog: No such file or directory"},
        {"{\"argv\": [\"/bin/true\"], \"timeout_ms\": 0}", ENTRY "/config/timeout_ms",
         "out of range: expected 1..600000, found 0"},
        {"{\"argv\": [\"/bin/true\"], \"timeout_ms\": \"5\"}", ENTRY "/config/timeout_ms",
         "expected integer, found string"},
        {"{\"argv\": [\"/bin/true\"], \"key_file\": \"\"}", ENTRY "/config/key_file",
         "empty string"},
        {"{\"argv\": [\"/bin/true\"], \"shell\": true}", ENTRY "/config/shell",
         "unknown key \"shell\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        exec_config_error(NULL, cases[i].config, cases[i].pointer, cases[i].what);
    }
}

/* The program file's type, mode and owner, as an administrator would be told. */
static void
test_exec_refuses_unsafe_or_unusable_program(void **state)
{
    char *dir = tu_tmpdir();
    char *plain = tu_write(dir, "plain", "#!/bin/sh\n", 0600);
    char *shared = tu_write(dir, "shared", "#!/bin/sh\n", 0757);
    char *foreign = tu_write(dir, "foreign", "#!/bin/sh\n", 0755);
    char *config = NULL;

    (void)state;
    /* Root can chown: a program owned by nobody would be theirs to replace. */
    assert_int_equal(chown(foreign, 65534, 65534), 0);
    exec_config_error(dir, "{\"argv\": [\"plain\"]}", ENTRY "/config/argv/0",
                      "is not executable: mode 0600");
    exec_config_error(dir, "{\"argv\": [\"shared\"]}", ENTRY "/config/argv/0",
                      "is writable by group or others: mode 0757");
    exec_config_error(dir, "{\"argv\": [\"foreign\"]}", ENTRY "/config/argv/0",
                      "is owned by uid 65534");
    assert_true(asprintf(&config, "{\"argv\": [\"%s\"]}", dir) >= 0);
    exec_config_error(NULL, config, ENTRY "/config/argv/0", "is not a regular file");
    free(config);
    free(plain);
    free(shared);
    free(foreign);
    tu_rmtree(dir);
}

/* ======================= password_fd ======================= */

/* A pipe holding content, its write end closed: the read end. */
static int
pipe_with(const char *content, size_t len)
{
    int p[2];

    assert_int_equal(pipe(p), 0);
    assert_int_equal(write(p[1], content, len), (ssize_t)len);
    close(p[1]);
    return p[0];
}

static int
fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

static void
test_fd_unlocks_key_reads_once_and_closes(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *line = NULL;
    sslplug_host *host;
    SSL_CTX *first, *second;
    int fd;

    (void)state;
    assert_true(asprintf(&line, "%s\n", tu_server_password()) >= 0);
    fd = pipe_with(line, strlen(line));
    host =
        server_host(&r, &err, NULL, "{\"plugin\": \"password_fd\", \"config\": {\"fd\": %d}}", fd);
    assert_non_null(host);
    first = sslplug_ctx_new(host, &err);
    assert_made_and_serves(first, &r, &err);
    assert_false(fd_is_open(fd));
    /* The descriptor is spent; the next context uses the kept password. */
    second = sslplug_ctx_new(host, &err);
    assert_non_null(second);
    assert_int_equal(tu_trace_has(&r.trace, "attempt=0 size="), 2);
    assert_serves(second);
    SSL_CTX_free(first);
    SSL_CTX_free(second);
    sslplug_host_free(host);
    OPENSSL_cleanse(line, strlen(line));
    free(line);
    tu_report_free(&r);
}

static void
test_fd_wrong_password_is_private_key_error(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    int fd = pipe_with(WRONG_PASSWORD "\n", strlen(WRONG_PASSWORD) + 1);
    SSL_CTX *ctx =
        server_ctx(&r, &err, NULL, "{\"plugin\": \"password_fd\", \"config\": {\"fd\": %d}}", fd);

    (void)state;
    assert_null(ctx);
    assert_wrong_password(&r, &err);
    assert_false(fd_is_open(fd));
    tu_report_free(&r);
}

/* Content that is not one password: an init error at /fd, and the descriptor is spent. */
static void
fd_bad_content(const char *content, size_t len, const char *what)
{
    tu_report r = {0};
    sslplug_error err;
    int fd = pipe_with(content, len);
    SSL_CTX *ctx =
        server_ctx(&r, &err, NULL, "{\"plugin\": \"password_fd\", \"config\": {\"fd\": %d}}", fd);

    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, ENTRY "/config/fd", what);
    assert_false(fd_is_open(fd));
    assert_int_equal(r.trace.count[SSLPLUG_CB_PASSWORD], 0);
    tu_report_free(&r);
}

static void
test_fd_bad_content_is_init_error(void **state)
{
    char big[5000];

    (void)state;
    memset(big, 'x', sizeof(big));
    fd_bad_content("", 0, "is empty: expected a password");
    fd_bad_content("\n", 1, "is empty: expected a password");
    fd_bad_content("one\ntwo\n", 8, "holds more than one line");
    fd_bad_content("ab\0cd\n", 6, "holds a NUL byte");
    fd_bad_content(big, sizeof(big), "holds more than 4096 bytes");
}

static void
test_fd_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *what;
    } cases[] = {
        {"{}", ENTRY "/config/fd", "required key \"fd\" is missing"},
        {"{\"fd\": -1}", ENTRY "/config/fd", "out of range: expected 0..1048576, found -1"},
        {"{\"fd\": \"3\"}", ENTRY "/config/fd", "expected integer, found string"},
        {"{\"fd\": 3, \"path\": \"x\"}", ENTRY "/config/path", "unknown key \"path\""},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_report r = {0};
        sslplug_error err;
        SSL_CTX *ctx = server_ctx(&r, &err, NULL, "{\"plugin\": \"password_fd\", \"config\": %s}",
                                  cases[i].config);

        assert_null(ctx);
        tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, cases[i].pointer, cases[i].what);
        tu_report_free(&r);
    }
}

static void
test_fd_not_open_is_init_error(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    SSL_CTX *ctx;

    (void)state;
    close(900);
    assert_false(fd_is_open(900));
    ctx = server_ctx(&r, &err, NULL, "{\"plugin\": \"password_fd\", \"config\": {\"fd\": 900}}");
    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, ENTRY "/config/fd",
                    "file descriptor 900 is not open");
    tu_report_free(&r);
}

/* A terminal would block init; it is refused and left open. */
static void
test_fd_terminal_is_refused_and_left_open(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    SSL_CTX *ctx;
    int master, slave;

    (void)state;
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(slave >= 0);
    ctx = server_ctx(&r, &err, NULL, "{\"plugin\": \"password_fd\", \"config\": {\"fd\": %d}}",
                     slave);
    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, ENTRY "/config/fd", "is a terminal");
    assert_true(fd_is_open(slave));
    close(slave);
    close(master);
    tu_report_free(&r);
}

/* Descriptor 0 is read, then pointed at /dev/null rather than closed. */
static void
test_fd_stdin_is_replaced_by_dev_null(void **state)
{
    char *line = NULL;
    int status;
    pid_t pid;

    (void)state;
    assert_true(asprintf(&line, "%s\n", tu_server_password()) >= 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sslplug_host *host;
        SSL_CTX *ctx = NULL;
        char target[64] = "";
        int fd = pipe_with(line, strlen(line));
        int code = 0;

        alarm(60);
        if (dup2(fd, STDIN_FILENO) != STDIN_FILENO) {
            _exit(10);
        }
        close(fd);
        host = sslplug_host_load_string(
            "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
            "\"pki/server.crt\", \"private_key\": \"pki/server.key\"}, \"callbacks\": "
            "{\"password\": {\"plugin\": \"password_fd\", \"config\": {\"fd\": 0}}}}",
            SSLPLUG_TEST_DEMO_DIR, NULL);
        if (host == NULL || (ctx = sslplug_ctx_new(host, NULL)) == NULL) {
            code = 11;
        } else if (readlink("/proc/self/fd/0", target, sizeof(target) - 1) < 0 ||
                   strcmp(target, "/dev/null") != 0) {
            code = 12;
        }
        SSL_CTX_free(ctx);
        sslplug_host_free(host);
        free(line);
        _exit(code);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    OPENSSL_cleanse(line, strlen(line));
    free(line);
}

/* ======================= password_credential ======================= */

/* A credentials directory holding name with content; setenv'd. */
static char *
credentials(const char *name, const char *content)
{
    char *dir = tu_tmpdir();

    if (name != NULL) {
        free(tu_write(dir, name, content, 0400));
    }
    assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
    return dir;
}

static void
test_credential_unlocks_key(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *line = NULL;
    char *dir;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&line, "%s\n", tu_server_password()) >= 0);
    dir = credentials("key-pass", line);
    ctx = server_ctx(&r, &err, NULL,
                     "{\"plugin\": \"password_credential\", \"config\": {\"name\": \"key-pass\"}}");
    unsetenv("CREDENTIALS_DIRECTORY");
    assert_made_and_serves(ctx, &r, &err);
    SSL_CTX_free(ctx);
    OPENSSL_cleanse(line, strlen(line));
    free(line);
    tu_report_free(&r);
    tu_rmtree(dir);
}

static void
test_credential_wrong_password_is_private_key_error(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *dir = credentials("key-pass", WRONG_PASSWORD);
    SSL_CTX *ctx =
        server_ctx(&r, &err, NULL,
                   "{\"plugin\": \"password_credential\", \"config\": {\"name\": \"key-pass\"}}");

    (void)state;
    unsetenv("CREDENTIALS_DIRECTORY");
    assert_null(ctx);
    assert_wrong_password(&r, &err);
    tu_report_free(&r);
    tu_rmtree(dir);
}

static void
credential_init_error(const char *config, const char *pointer, const char *what)
{
    tu_report r = {0};
    sslplug_error err;
    SSL_CTX *ctx =
        server_ctx(&r, &err, NULL, "{\"plugin\": \"password_credential\", \"config\": %s}", config);

    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, what);
    tu_report_free(&r);
}

static void
test_credential_unset_directory_is_init_error(void **state)
{
    (void)state;
    unsetenv("CREDENTIALS_DIRECTORY");
    credential_init_error("{\"name\": \"key-pass\"}", ENTRY,
                          "CREDENTIALS_DIRECTORY is not set: expected a systemd service with "
                          "LoadCredential=key-pass:");
    assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "relative/creds", 1), 0);
    credential_init_error("{\"name\": \"key-pass\"}", ENTRY,
                          "CREDENTIALS_DIRECTORY is \"relative/creds\": expected an absolute path");
    unsetenv("CREDENTIALS_DIRECTORY");
}

static void
test_credential_missing_file_is_init_error(void **state)
{
    char *dir = credentials("other", "x\n");
    char *expect = NULL;

    (void)state;
    assert_true(asprintf(&expect, "credential %s/key-pass: No such file or directory", dir) >= 0);
    credential_init_error("{\"name\": \"key-pass\"}", ENTRY "/config/name", expect);
    free(expect);
    unsetenv("CREDENTIALS_DIRECTORY");
    tu_rmtree(dir);
}

static void
test_credential_directory_entry_is_init_error(void **state)
{
    char *dir = credentials(NULL, NULL);
    char *sub = NULL;

    (void)state;
    assert_true(asprintf(&sub, "%s/key-pass", dir) >= 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    credential_init_error("{\"name\": \"key-pass\"}", ENTRY "/config/name", "not a regular file");
    unsetenv("CREDENTIALS_DIRECTORY");
    free(sub);
    tu_rmtree(dir);
}

static void
test_credential_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *what;
    } cases[] = {
        {"{\"name\": \"a/b\"}", ENTRY "/config/name", "invalid credential name \"a/b\""},
        {"{\"name\": \"../key-pass\"}", ENTRY "/config/name", "invalid credential name"},
        {"{\"name\": \".\"}", ENTRY "/config/name", "invalid credential name \".\""},
        {"{\"name\": \"..\"}", ENTRY "/config/name", "invalid credential name \"..\""},
        {"{\"name\": \"\"}", ENTRY "/config/name", "empty string"},
        {"{}", ENTRY "/config/name", "required key \"name\" is missing"},
        {"{\"name\": 1}", ENTRY "/config/name", "expected string, found integer"},
        {"{\"name\": \"k\", \"dir\": \"/x\"}", ENTRY "/config/dir", "unknown key \"dir\""},
    };
    /* Set and holding the file, so only the config is to blame. */
    char *dir = credentials("key-pass", "x\n");

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        credential_init_error(cases[i].config, cases[i].pointer, cases[i].what);
    }
    unsetenv("CREDENTIALS_DIRECTORY");
    tu_rmtree(dir);
}

/* Read at each key read: a credential gone or emptied since init fails that context. */
static void
test_credential_read_failures_are_password_errors(void **state)
{
    tu_report r = {0};
    sslplug_error err;
    char *line = NULL;
    char *dir, *path = NULL;
    sslplug_host *host;
    SSL_CTX *first, *second;

    (void)state;
    assert_true(asprintf(&line, "%s\n", tu_server_password()) >= 0);
    dir = credentials("key-pass", line);
    assert_true(asprintf(&path, "%s/key-pass", dir) >= 0);
    host = server_host(&r, &err, NULL,
                       "{\"plugin\": \"password_credential\", \"config\": {\"name\": "
                       "\"key-pass\"}}");
    assert_non_null(host);
    first = sslplug_ctx_new(host, &err);
    assert_made_and_serves(first, &r, &err);

    free(tu_write(dir, "key-pass", "\n", 0400));
    second = sslplug_ctx_new(host, &err);
    assert_null(second);
    assert_password_error(&r, &err, "/key-pass: empty: expected a password");

    assert_int_equal(unlink(path), 0);
    second = sslplug_ctx_new(host, &err);
    assert_null(second);
    assert_password_error(&r, &err, "/key-pass: cannot open: No such file or directory");

    unsetenv("CREDENTIALS_DIRECTORY");
    SSL_CTX_free(first);
    sslplug_host_free(host);
    OPENSSL_cleanse(line, strlen(line));
    free(line);
    free(path);
    tu_report_free(&r);
    tu_rmtree(dir);
}

/* ======================= password_prompt ======================= */

/* What a prompting child reports through a pipe. */
typedef struct prompt_result {
    int ctx_made;
    sslplug_error err;
    int echo_after;    /* ECHO set on the terminal after the context was made: 1, else 0 */
    int logged_no_tty; /* the plugin logged "no controlling terminal" */
} prompt_result;

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

static void
child_log(int level, const char *plugin, const char *message, void *arg)
{
    prompt_result *res = arg;

    (void)level;
    (void)plugin;
    if (strstr(message, "no controlling terminal") != NULL) {
        res->logged_no_tty = 1;
    }
}

/*
 * In a forked child: a new session, with tty_path (if any) as its
 * controlling terminal, makes a context whose password comes from
 * password_prompt, and reports.  Never returns.
 */
static void
prompt_child(const char *tty_path, int result_fd)
{
    prompt_result res;
    struct termios t;
    sslplug_host *host;
    SSL_CTX *ctx = NULL;
    int tty = -1;

    memset(&res, 0, sizeof(res));
    res.echo_after = -1;
    alarm(60); /* whatever happens, the child does not outlive the test */
    if (setsid() < 0) {
        _exit(20);
    }
    if (tty_path != NULL) {
        /* A session leader's first terminal opened becomes its controlling one. */
        tty = open(tty_path, O_RDWR);
        if (tty < 0 || ioctl(tty, TIOCSCTTY, 0) != 0) {
            _exit(21);
        }
    }
    host = sslplug_host_load_string(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": "
        "\"pki/server.crt\", \"private_key\": \"pki/server.key\"}, \"callbacks\": "
        "{\"password\": {\"plugin\": \"password_prompt\", \"config\": {\"prompt\": "
        "\"Key pass phrase: \"}}}}",
        SSLPLUG_TEST_DEMO_DIR, &res.err);
    if (host == NULL) {
        _exit(22);
    }
    sslplug_host_set_log(host, child_log, &res);
    ctx = sslplug_ctx_new(host, &res.err);
    res.ctx_made = ctx != NULL;
    if (tty >= 0 && tcgetattr(tty, &t) == 0) {
        res.echo_after = (t.c_lflag & ECHO) != 0;
    }
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    if (tty >= 0) {
        close(tty);
    }
    _exit(write(result_fd, &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 23);
}

/*
 * Read from the master into out until needle shows (needle NULL: until the
 * other side is gone).  Every wait is bounded; returns 1 when found/ended.
 */
static int
read_master(int master, char *out, size_t outlen, size_t *used, const char *needle)
{
    for (;;) {
        struct pollfd p = {master, POLLIN, 0};
        ssize_t n;

        if (needle != NULL && strstr(out, needle) != NULL) {
            return 1;
        }
        if (poll(&p, 1, 30000) <= 0) {
            return 0;
        }
        n = read(master, out + *used, outlen - 1 - *used);
        if (n <= 0) {
            /* EIO: every slave descriptor is closed, the child is done. */
            return needle == NULL;
        }
        *used += (size_t)n;
        out[*used] = '\0';
        if (*used == outlen - 1) {
            return 0;
        }
    }
}

/*
 * Run prompt_child on a new pseudo-terminal and type `typed` once the prompt
 * shows.  Returns what the terminal showed after the prompt in after.
 */
static void
prompt_on_pty(const char *typed, prompt_result *res, char *after, size_t afterlen)
{
    char shown[4096] = "";
    size_t used = 0;
    int result_pipe[2];
    int status;
    int master;
    char *slave_path;
    pid_t pid;

    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave_path = strdup(ptsname(master));
    assert_non_null(slave_path);
    assert_int_equal(pipe2(result_pipe, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(master);
        close(result_pipe[0]);
        prompt_child(slave_path, result_pipe[1]);
    }
    close(result_pipe[1]);
    free(slave_path);

    /* Echo goes off before the prompt is written: typing after it is safe. */
    if (!read_master(master, shown, sizeof(shown), &used, "Key pass phrase: ")) {
        kill(pid, SIGKILL);
    } else {
        assert_int_equal(write(master, typed, strlen(typed)), (ssize_t)strlen(typed));
        read_master(master, shown, sizeof(shown), &used, NULL);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_non_null(strstr(shown, "Key pass phrase: "));
    snprintf(after, afterlen, "%s",
             strstr(shown, "Key pass phrase: ") + strlen("Key pass phrase: "));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(read_all(result_pipe[0], res, sizeof(*res)), 1);
    close(result_pipe[0]);
    close(master);
}

static void
test_prompt_asks_on_terminal_with_echo_off(void **state)
{
    prompt_result res;
    char after[4096];
    char *typed = NULL;

    (void)state;
    assert_true(asprintf(&typed, "%s\n", tu_server_password()) >= 0);
    prompt_on_pty(typed, &res, after, sizeof(after));
    if (!res.ctx_made) {
        print_err(&res.err);
    }
    assert_true(res.ctx_made);
    /* Nothing typed came back: only the plugin's own line break. */
    assert_null(strstr(after, tu_server_password()));
    assert_string_equal(after, "\r\n");
    assert_int_equal(res.echo_after, 1);
    free(typed);
}

static void
test_prompt_wrong_answer_is_private_key_error(void **state)
{
    prompt_result res;
    char after[4096];

    (void)state;
    prompt_on_pty(WRONG_PASSWORD "\n", &res, after, sizeof(after));
    assert_false(res.ctx_made);
    assert_int_equal(res.err.code, SSLPLUG_E_PRIVATE_KEY);
    assert_null(strstr(after, WRONG_PASSWORD));
    assert_int_equal(res.echo_after, 1);
}

/* End of file instead of an answer: an error, and the terminal is restored all the same. */
static void
test_prompt_end_of_file_restores_echo(void **state)
{
    prompt_result res;
    char after[4096];

    (void)state;
    prompt_on_pty("\x04", &res, after, sizeof(after));
    assert_false(res.ctx_made);
    assert_int_equal(res.err.code, SSLPLUG_E_PASSWORD);
    assert_string_equal(res.err.pointer, ENTRY);
    assert_int_equal(res.echo_after, 1);
}

static void
test_prompt_without_terminal_fails_at_once(void **state)
{
    prompt_result res;
    int result_pipe[2];
    int status;
    pid_t pid;

    (void)state;
    assert_int_equal(pipe2(result_pipe, O_CLOEXEC), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(result_pipe[0]);
        prompt_child(NULL, result_pipe[1]);
    }
    close(result_pipe[1]);
    assert_int_equal(read_all(result_pipe[0], &res, sizeof(res)), 1);
    close(result_pipe[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status)); /* not killed by its alarm: nothing waited */
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_false(res.ctx_made);
    assert_int_equal(res.err.code, SSLPLUG_E_PASSWORD);
    assert_string_equal(res.err.pointer, ENTRY);
    assert_true(res.logged_no_tty);
}

static void
test_prompt_config_errors(void **state)
{
    static const struct {
        const char *config, *pointer, *what;
    } cases[] = {
        {"{\"prompt\": 1}", ENTRY "/config/prompt", "expected string, found integer"},
        {"{\"prompt\": \"x\", \"echo\": true}", ENTRY "/config/echo", "unknown key \"echo\""},
    };
    char *long_prompt = calloc(1, 600);

    (void)state;
    assert_non_null(long_prompt);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tu_report r = {0};
        sslplug_error err;
        SSL_CTX *ctx = server_ctx(
            &r, &err, NULL, "{\"plugin\": \"password_prompt\", \"config\": %s}", cases[i].config);

        assert_null(ctx);
        tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, cases[i].pointer, cases[i].what);
        tu_report_free(&r);
    }
    memset(long_prompt, 'p', 599);
    {
        tu_report r = {0};
        sslplug_error err;
        SSL_CTX *ctx = server_ctx(&r, &err, NULL,
                                  "{\"plugin\": \"password_prompt\", \"config\": {\"prompt\": "
                                  "\"%s\"}}",
                                  long_prompt);

        assert_null(ctx);
        tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, ENTRY "/config/prompt",
                        "too long: expected at most 512 bytes, found 599");
        tu_report_free(&r);
    }
    free(long_prompt);
}

/* ======================= config/deploy ======================= */

static const char *const deploy_sources[] = {
    "password_env", "password_file",       "password_exec",
    "password_fd",  "password_credential", "password_prompt",
};

/* config/deploy/<source>.json copied into dir (a checkout's modes may be loose). */
static char *
copy_deploy(const char *dir, const char *source)
{
    char *from = NULL;
    char *name = NULL;
    char *text;
    char *path;

    assert_true(asprintf(&from, "%s/%s.json", DEPLOY_DIR, source) >= 0);
    assert_true(asprintf(&name, "%s.json", source) >= 0);
    text = read_text(from);
    path = tu_write(dir, name, text, 0644);
    free(text);
    free(from);
    free(name);
    return path;
}

/* Each example is a valid configuration naming its own source. */
static void
test_deploy_examples_load(void **state)
{
    char *dir = tu_tmpdir();

    (void)state;
    for (size_t i = 0; i < sizeof(deploy_sources) / sizeof(deploy_sources[0]); i++) {
        char *path = copy_deploy(dir, deploy_sources[i]);
        char *text = read_text(path);
        char *needle = NULL;
        sslplug_error err;
        sslplug_host *host = sslplug_host_load(path, &err);

        if (host == NULL) {
            print_err(&err);
        }
        assert_non_null(host);
        assert_true(asprintf(&needle, "\"plugin\": \"%s\"", deploy_sources[i]) >= 0);
        assert_non_null(strstr(text, needle));
        sslplug_host_free(host);
        free(needle);
        free(text);
        free(path);
    }
    tu_rmtree(dir);
}

/* The text of a file with its "password" line taken out. */
static char *
without_password_line(const char *text)
{
    const char *line = strstr(text, "\"password\":");
    const char *start, *end;
    char *out;

    assert_non_null(line);
    assert_null(strstr(line + 1, "\"password\":"));
    for (start = line; start > text && start[-1] != '\n'; start--) {
    }
    end = strchr(line, '\n');
    assert_non_null(end);
    out = malloc(strlen(text) + 1);
    assert_non_null(out);
    memcpy(out, text, (size_t)(start - text));
    strcpy(out + (start - text), end + 1);
    return out;
}

/* Swapping the source is a one-line edit: the examples differ in nothing else. */
static void
test_deploy_examples_differ_only_in_password_entry(void **state)
{
    char *first = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(deploy_sources) / sizeof(deploy_sources[0]); i++) {
        char *path = NULL;
        char *text, *rest;

        assert_true(asprintf(&path, "%s/%s.json", DEPLOY_DIR, deploy_sources[i]) >= 0);
        text = read_text(path);
        rest = without_password_line(text);
        if (first == NULL) {
            first = rest;
        } else {
            assert_string_equal(rest, first);
            free(rest);
        }
        free(text);
        free(path);
    }
    free(first);
}

/*
 * A deployment directory in dir: the copied example, pki/ pointing at the
 * build's PKI, and what the source needs.  Then `sslplug check` on it.
 */
static void
deploy_check(const char *dir, const char *source, const char *prefix, const char *suffix)
{
    char *config = copy_deploy(dir, source);
    char *out = NULL;
    int status = tu_run(&out, "%s%s check %s%s", prefix, SSLPLUG_TEST_CLI, config, suffix);

    if (status != 0 || strstr(out, ": ok\n") == NULL) {
        print_error("%s: exit %d: %s\n", source, status, out);
    }
    assert_int_equal(status, 0);
    assert_non_null(strstr(out, ": ok\n"));
    assert_null(strstr(out, tu_server_password()));
    free(out);
    free(config);
}

static void
test_deploy_examples_pass_check(void **state)
{
    char *dir = tu_tmpdir();
    char *pki = NULL, *creds = NULL, *prefix = NULL, *suffix = NULL, *line = NULL;
    char *helper;

    (void)state;
    assert_true(asprintf(&pki, "%s/pki", dir) >= 0);
    assert_int_equal(symlink(SSLPLUG_TEST_PKI_DIR, pki), 0);
    assert_true(asprintf(&line, "%s\n", tu_server_password()) >= 0);

    /* password_env: the variable is read, then removed, by the plugin. */
    assert_int_equal(setenv("MYAPP_KEY_PASSWORD", tu_server_password(), 1), 0);
    deploy_check(dir, "password_env", "", "");
    unsetenv("MYAPP_KEY_PASSWORD");

    deploy_check(dir, "password_file", "", "");

    /* password_exec: the helper finds the password next to the key it is told about. */
    helper = tu_write(dir, "key-password",
                      "#!/bin/sh\nexec cat \"${SSLPLUG_KEY_FILE%.key}.pass\"\n", 0700);
    deploy_check(dir, "password_exec", "", "");
    free(helper);

    /* password_fd: descriptor 3 opened by the shell that runs the tool. */
    assert_true(asprintf(&suffix, " 3<%s/server.pass", SSLPLUG_TEST_PKI_DIR) >= 0);
    deploy_check(dir, "password_fd", "", suffix);

    /* password_credential: what systemd would set up. */
    assert_true(asprintf(&creds, "%s/creds", dir) >= 0);
    assert_int_equal(mkdir(creds, 0700), 0);
    free(tu_write(creds, "server-key-password", line, 0400));
    assert_true(asprintf(&prefix, "env CREDENTIALS_DIRECTORY=%s ", creds) >= 0);
    deploy_check(dir, "password_credential", prefix, "");

    OPENSSL_cleanse(line, strlen(line));
    free(line);
    free(pki);
    free(creds);
    free(prefix);
    free(suffix);
    tu_rmtree(dir);
}

/* ---- password_env: "unset" leaves nothing in /proc/PID/environ ---- */

/* Whether the bytes of needle occur in the file (read whole, NULs and all). */
static int
file_contains(const char *path, const char *needle)
{
    size_t len = 0;
    char *text = tu_file_read(path, &len);
    size_t n = strlen(needle);
    int found = 0;

    assert_non_null(text);
    for (size_t i = 0; !found && n <= len && i <= len - n; i++) {
        found = memcmp(text + i, needle, n) == 0;
    }
    free(text);
    return found;
}

static void
test_env_unset_leaves_nothing_in_proc_environ(void **state)
{
    char *dir = tu_tmpdir(), *json = NULL, *conf, *assignment = NULL, environ_path[64];
    char path_var[] = "PATH=/usr/bin:/bin", sentinel_var[] = "SSLPLUG_TEST_SENTINEL=still-here";
    char serve[] = "serve", port_opt[] = "--port", port[] = "0", cli[] = SSLPLUG_TEST_CLI;
    char *envv[4] = {path_var, sentinel_var, NULL, NULL};
    char buf[4096] = "";
    size_t used = 0;
    int out[2], status;
    pid_t pid;

    (void)state;
    assert_true(
        asprintf(&json,
                 "{\"version\": 1, \"context\": {\"role\": \"server\","
                 " \"certificate\": \"%s\", \"private_key\": \"%s\"},"
                 " \"callbacks\": {\"password\": {\"plugin\": \"password_env\","
                 " \"config\": {\"variable\": \"SSLPLUG_TEST_KEYPASS\", \"unset\": true}}}}",
                 tu_pki("server.crt"), tu_pki("server.key")) > 0);
    conf = tu_write(dir, "serve.json", json, 0600);
    assert_true(asprintf(&assignment, "SSLPLUG_TEST_KEYPASS=%s", tu_server_password()) > 0);
    envv[2] = assignment;
    assert_int_equal(pipe(out), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {cli, serve, conf, port_opt, port, NULL};

        dup2(out[1], 1);
        dup2(out[1], 2);
        execve(argv[0], argv, envv);
        _exit(127);
    }
    close(out[1]);
    /* Its key is unlocked (the plugin ran) once it listens. */
    while (used < sizeof(buf) - 1 && strstr(buf, "listening on") == NULL) {
        struct pollfd pfd = {out[0], POLLIN, 0};
        ssize_t n;

        buf[used] = '\0';
        if (strstr(buf, "listening on") != NULL || poll(&pfd, 1, 30000) <= 0 ||
            (n = read(out[0], buf + used, sizeof(buf) - 1 - used)) <= 0) {
            break;
        }
        used += (size_t)n;
        buf[used] = '\0';
    }
    buf[used] = '\0';
    if (strstr(buf, "listening on") == NULL) {
        print_error("sslplug serve did not start:\n%s\n", buf);
    }
    snprintf(environ_path, sizeof(environ_path), "/proc/%d/environ", (int)pid);
    /* The control, then the secret: the environment can be read, the password is not in it. */
    int sentinel = file_contains(environ_path, "SSLPLUG_TEST_SENTINEL=still-here");
    int leaked = file_contains(environ_path, tu_server_password());
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(out[0]);
    assert_non_null(strstr(buf, "listening on"));
    assert_true(sentinel);
    assert_false(leaked);
    free(assignment);
    free(conf);
    free(json);
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_env_unset_leaves_nothing_in_proc_environ),
        cmocka_unit_test(test_exec_unlocks_key_with_minimal_environment),
        cmocka_unit_test(test_exec_gets_key_file_from_host),
        cmocka_unit_test(test_exec_passes_arguments_without_shell),
        cmocka_unit_test(test_exec_wrong_password_is_private_key_error),
        cmocka_unit_test(test_exec_nonzero_exit_is_password_error),
        cmocka_unit_test(test_exec_killed_by_signal_is_password_error),
        cmocka_unit_test(test_exec_empty_output_is_password_error),
        cmocka_unit_test(test_exec_only_newline_is_password_error),
        cmocka_unit_test(test_exec_oversize_output_is_password_error),
        cmocka_unit_test(test_exec_nul_byte_is_password_error),
        cmocka_unit_test(test_exec_timeout_kills_and_reaps),
        cmocka_unit_test(test_exec_timeout_kills_process_group),
        cmocka_unit_test(test_exec_program_removed_after_init_is_password_error),
        cmocka_unit_test(test_exec_config_errors),
        cmocka_unit_test(test_exec_refuses_unsafe_or_unusable_program),
        cmocka_unit_test(test_fd_unlocks_key_reads_once_and_closes),
        cmocka_unit_test(test_fd_wrong_password_is_private_key_error),
        cmocka_unit_test(test_fd_bad_content_is_init_error),
        cmocka_unit_test(test_fd_config_errors),
        cmocka_unit_test(test_fd_not_open_is_init_error),
        cmocka_unit_test(test_fd_terminal_is_refused_and_left_open),
        cmocka_unit_test(test_fd_stdin_is_replaced_by_dev_null),
        cmocka_unit_test(test_credential_unlocks_key),
        cmocka_unit_test(test_credential_wrong_password_is_private_key_error),
        cmocka_unit_test(test_credential_unset_directory_is_init_error),
        cmocka_unit_test(test_credential_missing_file_is_init_error),
        cmocka_unit_test(test_credential_directory_entry_is_init_error),
        cmocka_unit_test(test_credential_config_errors),
        cmocka_unit_test(test_credential_read_failures_are_password_errors),
        cmocka_unit_test(test_prompt_asks_on_terminal_with_echo_off),
        cmocka_unit_test(test_prompt_wrong_answer_is_private_key_error),
        cmocka_unit_test(test_prompt_end_of_file_restores_echo),
        cmocka_unit_test(test_prompt_without_terminal_fails_at_once),
        cmocka_unit_test(test_prompt_config_errors),
        cmocka_unit_test(test_deploy_examples_load),
        cmocka_unit_test(test_deploy_examples_differ_only_in_password_entry),
        cmocka_unit_test(test_deploy_examples_pass_check),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
