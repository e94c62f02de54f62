#define _GNU_SOURCE /* vasprintf, mkdtemp, nftw */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

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
        print_error("tu_host: %s: %s: %s\n", sslplug_strerror(err.code), err.pointer, err.message);
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
        print_error("tu_ctx: %s: %s: %s\n", sslplug_strerror(err.code), err.pointer, err.message);
    }
    assert_non_null(ctx);
    return ctx;
}

sslplug_host *
tu_host_entry(const char *context, const char *type, const char *fmt, ...)
{
    char *entry = NULL;
    sslplug_host *host;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entry, fmt, ap) >= 0);
    va_end(ap);
    host = tu_host("{\"version\": 1, \"context\": {%s}, \"callbacks\": {\"%s\": %s}}", context,
                   type, entry);
    free(entry);
    return host;
}

SSL_CTX *
tu_ctx_entry(tu_report *rep, const char *context, const char *type, const char *fmt, ...)
{
    char *entry = NULL;
    sslplug_host *host;
    SSL_CTX *ctx;
    va_list ap;

    va_start(ap, fmt);
    assert_true(vasprintf(&entry, fmt, ap) >= 0);
    va_end(ap);
    host = tu_host_entry(context, type, "%s", entry);
    free(entry);
    if (rep != NULL) {
        tu_report_attach(host, rep);
    }
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

static int
error_matches(const sslplug_error *err, sslplug_code code, const char *pointer,
              const char *fragment)
{
    return err->code == code && strcmp(err->pointer, pointer) == 0 &&
           (fragment == NULL || strstr(err->message, fragment) != NULL);
}

void
tu_error_assert(const sslplug_error *err, sslplug_code code, const char *pointer,
                const char *fragment)
{
    if (!error_matches(err, code, pointer, fragment)) {
        print_error("got %s at \"%s\": %s\nexpected %s at \"%s\" saying \"%s\"\n",
                    sslplug_strerror(err->code), err->pointer, err->message, sslplug_strerror(code),
                    pointer, fragment != NULL ? fragment : "");
    }
    assert_int_equal(err->code, code);
    assert_string_equal(err->pointer, pointer);
    if (fragment != NULL) {
        assert_non_null(strstr(err->message, fragment));
    }
}

void
tu_ctx_assert_error(sslplug_host *host, sslplug_code code, const char *pointer,
                    const char *fragment)
{
    sslplug_error err;
    SSL_CTX *ctx = sslplug_ctx_new(host, &err);

    SSL_CTX_free(ctx);
    assert_null(ctx);
    tu_error_assert(&err, code, pointer, fragment);
}

void
tu_init_assert_error(const char *context, const char *type, const char *plugin, const char *config,
                     const char *pointer, const char *fragment)
{
    sslplug_host *host =
        tu_host_entry(context, type, "{\"plugin\": \"%s\", \"config\": %s}", plugin, config);
    sslplug_error err;
    SSL_CTX *ctx = sslplug_ctx_new(host, &err);

    if (ctx != NULL || !error_matches(&err, SSLPLUG_E_PLUGIN_INIT, pointer, fragment)) {
        print_error("%s with config %s\n", plugin, config);
    }
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    assert_null(ctx);
    tu_error_assert(&err, SSLPLUG_E_PLUGIN_INIT, pointer, fragment);
}

SSL_CTX *
tu_plain_server_of(const char *name)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char cert[64], key[64];

    assert_non_null(ctx);
    snprintf(cert, sizeof(cert), "%s.crt", name);
    snprintf(key, sizeof(key), "%s.key", strcmp(name, "server") == 0 ? "server-plain" : name);
    assert_int_equal(SSL_CTX_use_certificate_chain_file(ctx, tu_pki(cert)), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki(key), SSL_FILETYPE_PEM), 1);
    return ctx;
}

void
tu_ctx_use_cert(SSL_CTX *ctx, const char *name)
{
    char cert[64], key[64];

    snprintf(cert, sizeof(cert), "%s.crt", name);
    snprintf(key, sizeof(key), "%s.key", name);
    assert_int_equal(SSL_CTX_use_certificate_file(ctx, tu_pki(cert), SSL_FILETYPE_PEM), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, tu_pki(key), SSL_FILETYPE_PEM), 1);
}

char *
tu_cert_pin(const char *cert_path)
{
    char *out = NULL;
    char *pin = NULL;

    assert_int_equal(tu_run(&out,
                            "openssl x509 -in %s -pubkey -noout | openssl pkey -pubin -outform der "
                            "| openssl dgst -sha256 -binary | openssl enc -base64",
                            cert_path),
                     0);
    out[strcspn(out, "\r\n")] = '\0';
    assert_int_equal(strlen(out), 44);
    assert_true(asprintf(&pin, "sha256//%s", out) >= 0);
    free(out);
    return pin;
}

/*
 * Fill OpenSSL 3.0's cache of decoded extensions of every certificate in
 * ctx's store now: threads verifying against one store race inside it when
 * two fill it at once (as host/trust.c does for sslplug's own stores).
 */
static void
settle_store(SSL_CTX *ctx)
{
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx));

    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

        if (x != NULL) {
            (void)X509_check_purpose(x, -1, 0);
        }
    }
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
        settle_store(ctx);
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
        settle_store(ctx);
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

char *
tu_alpn_agreed(SSL_CTX *server, SSL_CTX *client, const char *name)
{
    const unsigned char *p = NULL;
    unsigned len = 0;
    sslplug_pair pair;
    char *out = NULL;

    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    if (sslplug_pair_handshake(&pair)) {
        SSL_get0_alpn_selected(pair.client, &p, &len);
        out = len > 0 ? strndup((const char *)p, len) : strdup("");
        assert_non_null(out);
    }
    sslplug_pair_cleanup(&pair);
    return out;
}

void
tu_handshake_expect(SSL_CTX *server, SSL_CTX *client, sslplug_pair *pair, int expected)
{
    int ok = tu_handshake(server, client, pair);

    if (ok != expected) {
        print_error("handshake %s: server: %s; client: %s\n", ok ? "succeeded" : "failed",
                    pair->server_error, pair->client_error);
    }
    assert_int_equal(ok, expected);
}

/* Append the n bytes of line (and a NUL) to *text of *len bytes. */
static void
append(char **text, size_t *len, const char *line, size_t n)
{
    char *grown = realloc(*text, *len + n + 1);

    assert_non_null(grown);
    memcpy(grown + *len, line, n);
    grown[*len + n] = '\0';
    *text = grown;
    *len += n;
}

/* Occurrences of needle in text (NULL: none). */
static int
occurrences(const char *text, const char *needle)
{
    int n = 0;

    for (const char *p = text; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

void
tu_trace_fn(const sslplug_trace_event *ev, void *arg)
{
    tu_trace *t = arg;
    char line[1024];
    int n = snprintf(line, sizeof(line), "%s %s %s: %s\n", sslplug_cb_type_name(ev->type),
                     ev->plugin, ev->entry, ev->detail);

    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof(line)) {
        n = sizeof(line) - 1;
    }
    append(&t->text, &t->len, line, (size_t)n);
    if ((unsigned)ev->type < SSLPLUG_CB_COUNT) {
        t->count[ev->type]++;
    }
}

int
tu_trace_has(const tu_trace *t, const char *needle)
{
    return occurrences(t->text, needle);
}

void
tu_trace_free(tu_trace *t)
{
    free(t->text);
    memset(t, 0, sizeof(*t));
}

void
tu_log_fn(int level, const char *plugin, const char *message, void *arg)
{
    tu_log *log = arg;
    char *line = NULL;
    int n;

    if (!log->with_host && strcmp(plugin, "sslplug") == 0) {
        return;
    }
    if (log->with_level) {
        n = asprintf(&line, "%d %s: %s\n", level, plugin, message);
    } else {
        n = asprintf(&line, "%s: %s\n", plugin, message);
    }
    assert_true(n >= 0);
    append(&log->text, &log->len, line, (size_t)n);
    free(line);
    if (level >= 0 && level <= SSLPLUG_LOG_DEBUG) {
        log->count[level]++;
    }
}

int
tu_log_has(const tu_log *log, const char *needle)
{
    return occurrences(log->text, needle);
}

void
tu_log_assert_has(const tu_log *log, const char *needle)
{
    if (log->text == NULL || strstr(log->text, needle) == NULL) {
        print_error("not in the log: %s\nlog:\n%s\n", needle,
                    log->text != NULL ? log->text : "(none)");
    }
    assert_non_null(log->text);
    assert_non_null(strstr(log->text, needle));
}

void
tu_log_free(tu_log *log)
{
    free(log->text);
    memset(log, 0, sizeof(*log));
}

void
tu_report_attach(sslplug_host *host, tu_report *rep)
{
    sslplug_host_set_trace(host, tu_trace_fn, &rep->trace);
    sslplug_host_set_log(host, tu_log_fn, &rep->log);
}

void
tu_report_free(tu_report *rep)
{
    tu_trace_free(&rep->trace);
    tu_log_free(&rep->log);
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
    char *path = tu_path_join(dir, name);
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    assert_int_equal(fchmod(fd, (mode_t)mode), 0);
    close(fd);
    return path;
}

char *
tu_path_join(const char *dir, const char *name)
{
    char *path = NULL;

    assert_true(asprintf(&path, "%s/%s", dir, name) >= 0);
    return path;
}

char *
tu_file_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char buf[8192];
    char *text = NULL;
    size_t used = 0, n;

    if (f == NULL) {
        return NULL;
    }
    append(&text, &used, "", 0);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        append(&text, &used, buf, n);
    }
    assert_int_equal(ferror(f), 0);
    fclose(f);
    if (len != NULL) {
        *len = used;
    }
    return text;
}

char *
tu_file_copy(const char *from, const char *dir, const char *name, unsigned mode)
{
    char *to = tu_path_join(dir, name);
    char buf[8192];
    FILE *in = fopen(from, "rb");
    FILE *out;
    size_t n;

    assert_non_null(in);
    out = fopen(to, "wb");
    assert_non_null(out);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        assert_int_equal(fwrite(buf, 1, n, out), n);
    }
    assert_int_equal(ferror(in), 0);
    fclose(in);
    assert_int_equal(fchmod(fileno(out), (mode_t)mode), 0);
    assert_int_equal(fclose(out), 0);
    return to;
}

char *
tu_file_copy_head(const char *from, const char *dir, const char *name, size_t len, unsigned mode)
{
    size_t size = 0;
    char *content = tu_file_read(from, &size);
    char *to = tu_path_join(dir, name);
    FILE *out;

    assert_non_null(content);
    assert_true(len <= size);
    out = fopen(to, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(content, 1, len, out), len);
    assert_int_equal(fchmod(fileno(out), (mode_t)mode), 0);
    assert_int_equal(fclose(out), 0);
    free(content);
    return to;
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
            append(out, &len, buf, n);
        }
    }
    status = pclose(p);
    free(cmd);
    free(full);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- revocation data signed by the demo CA ---- */

static X509 *
read_cert(const char *file)
{
    FILE *f = fopen(tu_pki(file), "r");
    X509 *x;

    assert_non_null(f);
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *
read_key(const char *file)
{
    FILE *f = fopen(tu_pki(file), "r");
    EVP_PKEY *k;

    assert_non_null(f);
    k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(k);
    return k;
}

char *
tu_make_crl(const char *dir, const char *name, const char *revoked, int stale)
{
    X509 *ca = read_cert("ca.crt");
    EVP_PKEY *key = read_key("ca.key");
    X509_CRL *crl = X509_CRL_new();
    ASN1_TIME *last = ASN1_TIME_adj(NULL, time(NULL), stale ? -3 : 0, -3600);
    ASN1_TIME *next = ASN1_TIME_adj(NULL, time(NULL), stale ? -2 : 1, 0);
    char *path = tu_path_join(dir, name);
    FILE *f;

    assert_non_null(crl);
    assert_int_equal(X509_CRL_set_version(crl, 1), 1);
    assert_int_equal(X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)), 1);
    assert_int_equal(X509_CRL_set1_lastUpdate(crl, last), 1);
    assert_int_equal(X509_CRL_set1_nextUpdate(crl, next), 1);
    if (revoked != NULL) {
        X509 *victim = read_cert(revoked);
        X509_REVOKED *r = X509_REVOKED_new();

        assert_non_null(r);
        assert_int_equal(X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(victim)), 1);
        assert_int_equal(X509_REVOKED_set_revocationDate(r, last), 1);
        assert_int_equal(X509_CRL_add0_revoked(crl, r), 1);
        X509_free(victim);
    }
    assert_true(X509_CRL_sign(crl, key, EVP_sha256()) > 0);
    assert_non_null(f = fopen(path, "w"));
    assert_int_equal(PEM_write_X509_CRL(f, crl), 1);
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
    ASN1_TIME_free(last);
    ASN1_TIME_free(next);
    X509_CRL_free(crl);
    EVP_PKEY_free(key);
    X509_free(ca);
    return path;
}

char *
tu_make_ocsp(const char *dir, const char *name, const char *cert, int status, int stale)
{
    X509 *ca = read_cert("ca.crt"), *x = read_cert(cert);
    EVP_PKEY *key = read_key("ca.key");
    OCSP_BASICRESP *bs = OCSP_BASICRESP_new();
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, x, ca);
    time_t now = time(NULL);
    /* A stale response: valid for an hour, two days ago. */
    ASN1_TIME *thisupd = ASN1_TIME_adj(NULL, now, stale ? -2 : 0, -60);
    ASN1_TIME *nextupd = ASN1_TIME_adj(NULL, now, stale ? -2 : 1, stale ? 3600 : 0);
    ASN1_TIME *revtime = ASN1_TIME_adj(NULL, now, 0, -7200);
    OCSP_RESPONSE *resp;
    unsigned char *der = NULL;
    char *path = tu_path_join(dir, name);
    int len;
    FILE *f;

    assert_non_null(bs);
    assert_non_null(id);
    assert_non_null(OCSP_basic_add1_status(
        bs, id, status,
        status == V_OCSP_CERTSTATUS_REVOKED ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : -1,
        status == V_OCSP_CERTSTATUS_REVOKED ? revtime : NULL, thisupd, nextupd));
    assert_int_equal(OCSP_basic_sign(bs, ca, key, EVP_sha256(), NULL, 0), 1);
    assert_non_null(resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs));
    assert_true((len = i2d_OCSP_RESPONSE(resp, &der)) > 0);
    assert_non_null(f = fopen(path, "wb"));
    assert_int_equal(fwrite(der, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    assert_int_equal(chmod(path, 0644), 0);
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    ASN1_TIME_free(thisupd);
    ASN1_TIME_free(nextupd);
    ASN1_TIME_free(revtime);
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    EVP_PKEY_free(key);
    X509_free(x);
    X509_free(ca);
    return path;
}

void
tu_make_client_cert(const char *dir, const char *name, const char *sans)
{
    char *ext = NULL, *out = NULL;

    assert_true(asprintf(&ext,
                         "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                         "extendedKeyUsage=clientAuth\n%s%s\n",
                         sans[0] != '\0' ? "subjectAltName=" : "", sans) > 0);
    free(tu_write(dir, "ext.cnf", ext, 0644));
    if (tu_run(&out,
               "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "
               "/CN=%s -keyout %s/%s.key -out %s/%s.csr && openssl x509 -req -in %s/%s.csr -CA %s "
               "-CAkey %s -CAcreateserial -CAserial %s/serial -days 2 -extfile %s/ext.cnf -out "
               "%s/%s.crt",
               name, dir, name, dir, name, dir, name, tu_pki("ca.crt"), tu_pki("ca.key"), dir, dir,
               dir, name) != 0) {
        print_error("%s\n", out);
        fail();
    }
    free(out);
    free(ext);
}
