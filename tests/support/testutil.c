#define _GNU_SOURCE /* vasprintf, mkdtemp, nftw */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>

const char *
tu_pki(const char *file)
{
    /* A few slots so one call can take several paths. */
    static char slots[8][1024];
    static unsigned next;
    char *p = slots[next++ % 8];

    snprintf(p, sizeof(slots[0]), "%s/%s", SSLPLUG_TEST_PKI_DIR, file);
    return p;
}

const char *
tu_test_plugin(const char *name)
{
    static char slots[8][1024];
    static unsigned next;
    char *p = slots[next++ % 8];

    snprintf(p, sizeof(slots[0]), "%s/%s.so", SSLPLUG_TEST_PLUGIN_DIR, name);
    return p;
}

const char *
tu_server_password(void)
{
    static char pass[256];
    FILE *f = fopen(tu_pki("server.pass"), "r");

    assert_non_null(f);
    assert_non_null(fgets(pass, sizeof(pass), f));
    fclose(f);
    pass[strcspn(pass, "\r\n")] = '\0';
    return pass;
}

static sslplug_host *
vhost(sslplug_error *err, const char *fmt, va_list ap)
{
    char *json = NULL;
    sslplug_host *host;

    assert_true(vasprintf(&json, fmt, ap) >= 0);
    host = sslplug_host_load_string(json, SSLPLUG_TEST_DEMO_DIR, err);
    free(json);
    return host;
}

sslplug_host *
tu_host(const char *fmt, ...)
{
    sslplug_error err;
    sslplug_host *host;
    va_list ap;

    va_start(ap, fmt);
    host = vhost(&err, fmt, ap);
    va_end(ap);
    if (host == NULL) {
        print_error("tu_host: %s: %s: %s\n", sslplug_strerror(err.code), err.pointer,
                    err.message);
    }
    assert_non_null(host);
    return host;
}

sslplug_host *
tu_host_try(sslplug_error *err, const char *fmt, ...)
{
    sslplug_host *host;
    va_list ap;

    va_start(ap, fmt);
    host = vhost(err, fmt, ap);
    va_end(ap);
    return host;
}

SSL_CTX *
tu_ctx(sslplug_host *host)
{
    sslplug_error err;
    SSL_CTX *ctx = sslplug_ctx_new(host, &err);

    if (ctx == NULL) {
        print_error("tu_ctx: %s: %s: %s\n", sslplug_strerror(err.code), err.pointer,
                    err.message);
    }
    assert_non_null(ctx);
    return ctx;
}

SSL_CTX *
tu_plain_server(int require_client_cert)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, tu_pki("server.crt")), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki("server-plain.key"), SSL_FILETYPE_PEM),
                     1);
    if (require_client_cert) {
        assert_int_equal(SSL_CTX_load_verify_file(ctx, tu_pki("ca.crt")), 1);
        SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(tu_pki("ca.crt")));
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    }
    return ctx;
}

SSL_CTX *
tu_plain_client(int verify)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    assert_non_null(ctx);
    if (verify) {
        assert_int_equal(SSL_CTX_load_verify_file(ctx, tu_pki("ca.crt")), 1);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

int
tu_handshake(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair)
{
    assert_int_equal(sslplug_pair_init(pair, server, client, "localhost"), 1);
    return sslplug_pair_handshake(pair);
}

void
tu_trace_fn(const sslplug_trace_event *ev, void *arg)
{
    tu_trace *t = arg;
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s %s %s: %s\n", sslplug_cb_type_name(ev->type),
                     ev->plugin, ev->entry, ev->detail);
    char *grown;

    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(line)) {
        n = sizeof(line) - 1;
    }
    grown = realloc(t->text, t->len + (size_t)n + 1);
    assert_non_null(grown);
    memcpy(grown + t->len, line, (size_t)n + 1);
    t->text = grown;
    t->len += (size_t)n;
    if ((unsigned)ev->type < SSLPLUG_CB_COUNT) {
        t->count[ev->type]++;
    }
}

int
tu_trace_has(const tu_trace *t, const char *needle)
{
    int n = 0;

    for (const char *p = t->text; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

void
tu_trace_free(tu_trace *t)
{
    free(t->text);
    memset(t, 0, sizeof(*t));
}

char *
tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *dir = NULL;

    assert_true(asprintf(&dir, "%s/sslplug-test-XXXXXX", base != NULL ? base : "/tmp") >= 0);
    assert_non_null(mkdtemp(dir));
    return dir;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
tu_rmtree(char *dir)
{
    if (dir != NULL) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(dir);
    }
}

char *
tu_write(const char *dir, const char *name, const char *content, unsigned mode)
{
    char *path = NULL;
    int fd;

    assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    assert_int_equal(fchmod(fd, (mode_t)mode), 0);
    close(fd);
    return path;
}

int
tu_run(char **out, const char *fmt, ...)
{
    char *cmd = NULL, *full = NULL;
    char buf[4096];
    size_t len = 0, n;
    FILE *p;
    int status;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&cmd, fmt, ap) >= 0);
    va_end(ap);
    /* Bounded: a hung child fails the test instead of hanging the suite. */
    assert_true(asprintf(&full, "timeout 60 %s 2>&1", cmd) >= 0);
    p = popen(full, "r");
    assert_non_null(p);
    if (out != NULL) {
        *out = calloc(1, 1);
    }
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
        if (out != NULL) {
            char *grown = realloc(*out, len + n + 1);
            assert_non_null(grown);
            memcpy(grown + len, buf, n);
            len += n;
            grown[len] = '\0';
            *out = grown;
        }
    }
    status = pclose(p);
    free(cmd);
    free(full);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
