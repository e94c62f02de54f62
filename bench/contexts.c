/*
 * The contexts each variant handshakes with.  All three variants build the
 * same contexts as the benchmark's sslplug configurations
 * (config/server.json.in, config/client.json.in) describe: TLS 1.3 only, ECDSA P-256 certificates
 * from the build-time PKI, a server that requires and verifies a client certificate and reads its
 * encrypted key through the password callback, a client that verifies the server as "localhost".
 * They differ only in how the callbacks get there.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "bench.h"

#ifndef BENCH_PKI_DIR
#error "BENCH_PKI_DIR must be defined by the build"
#endif
#ifndef BENCH_CONFIG_DIR
#error "BENCH_CONFIG_DIR must be defined by the build"
#endif

#define PKI(file) BENCH_PKI_DIR "/" file

static bench_cb_state direct_state;
static int direct_loaded;
static sslplug_host *server_host;
static sslplug_host *client_host;

/* The session id context sslplug derives from its configuration: same length here. */
static const unsigned char session_id_context[32] = "sslplug-bench";

const char *
bench_variant_name(bench_variant v)
{
    switch (v) {
    case BENCH_DIRECT:
        return "direct";
    case BENCH_SSLPLUG:
        return "sslplug";
    case BENCH_NONE:
        return "none";
    case BENCH_VARIANTS:
    default:
        return "?";
    }
}

/* ---- variant a: the shared bodies behind OpenSSL's raw signatures ---- */

static int
direct_password(char *buf, int size, int rwflag, void *u)
{
    int r = bench_cb_password(u, 0, buf, size, rwflag);

    return r < 0 ? -1 : r;
}

static int
direct_verify(int ok, X509_STORE_CTX *store)
{
    return bench_cb_verify(&direct_state, ok, store);
}

static void
direct_info(const SSL *ssl, int where, int ret)
{
    bench_cb_info(&direct_state, ssl, where, ret);
}

static int
direct_client_cert(SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    return bench_cb_client_cert(&direct_state, ssl, cert, pkey);
}

int
bench_direct_state_load(void)
{
    char why[256];

    if (direct_loaded) {
        return 1;
    }
    if (!bench_cb_state_init(&direct_state, PKI("server.pass"), PKI("client.crt"),
                             PKI("client.key"), why, sizeof(why))) {
        bench_fail("%s", why);
        bench_cb_state_cleanup(&direct_state);
        return 0;
    }
    direct_loaded = 1;
    return 1;
}

void
bench_direct_state_free(void)
{
    if (direct_loaded) {
        bench_cb_state_cleanup(&direct_state);
        direct_loaded = 0;
    }
}

const bench_cb_state *
bench_direct_state(void)
{
    return &direct_state;
}

/* ---- variant b: sslplug ---- */

static sslplug_host *
host_load(const char *path, sslplug_trace_fn fn, void *arg)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(path, &err);

    if (host == NULL) {
        bench_fail("%s: %s: %s", err.source, err.pointer, err.message);
        return NULL;
    }
    sslplug_host_set_trace(host, fn, arg);
    return host;
}

int
bench_hosts_load_traced(sslplug_trace_fn fn, void *arg)
{
    bench_hosts_free();
    server_host = host_load(BENCH_CONFIG_DIR "/server.json", fn, arg);
    client_host = server_host != NULL ? host_load(BENCH_CONFIG_DIR "/client.json", fn, arg) : NULL;
    if (client_host == NULL) {
        bench_hosts_free();
        return 0;
    }
    return 1;
}

int
bench_hosts_load(void)
{
    return bench_hosts_load_traced(NULL, NULL);
}

void
bench_hosts_free(void)
{
    sslplug_host_free(server_host);
    sslplug_host_free(client_host);
    server_host = NULL;
    client_host = NULL;
}

static SSL_CTX *
sslplug_new(sslplug_host *host)
{
    sslplug_error err;
    SSL_CTX *ctx;

    if (host == NULL) {
        bench_fail("sslplug hosts are not loaded");
        return NULL;
    }
    if ((ctx = sslplug_ctx_new(host, &err)) == NULL) {
        bench_fail("%s: %s: %s", err.source, err.pointer, err.message);
    }
    return ctx;
}

/* ---- variants a and c: written by hand, in the order sslplug applies settings ---- */

static int
openssl_failed(const char *what)
{
    char reason[256] = "no reason queued";
    unsigned long e = ERR_get_error();

    if (e != 0) {
        ERR_error_string_n(e, reason, sizeof(reason));
    }
    ERR_clear_error();
    bench_fail("%s: %s", what, reason);
    return 0;
}

/* c reads the encrypted key with the password given as data: no callback. */
static EVP_PKEY *
read_server_key(bench_variant v)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = BIO_new_file(PKI("server.key"), "r");

    if (bio != NULL) {
        if (v == BENCH_DIRECT) {
            pkey = PEM_read_bio_PrivateKey(bio, NULL, direct_password, &direct_state);
        } else {
            pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, direct_state.password);
        }
        BIO_free(bio);
    }
    return pkey;
}

static SSL_CTX *
server_by_hand(bench_variant v)
{
    int callbacks = v == BENCH_DIRECT;
    STACK_OF(X509_NAME) *names = NULL;
    EVP_PKEY *pkey = NULL;
    SSL_CTX *ctx = NULL;

    if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
        openssl_failed("SSL_CTX_new");
        goto fail;
    }
    if (callbacks) {
        SSL_CTX_set_default_passwd_cb(ctx, direct_password);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, &direct_state);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       callbacks ? direct_verify : NULL);
    if (callbacks) {
        SSL_CTX_set_info_callback(ctx, direct_info);
    }
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_load_verify_file(ctx, PKI("ca.crt")) ||
        (names = SSL_load_client_CA_file(PKI("ca.crt"))) == NULL) {
        openssl_failed("server trust settings");
        goto fail;
    }
    SSL_CTX_set_client_CA_list(ctx, names);
    if (!SSL_CTX_set_session_id_context(ctx, session_id_context, sizeof(session_id_context)) ||
        !SSL_CTX_use_certificate_chain_file(ctx, PKI("server.crt")) ||
        (pkey = read_server_key(v)) == NULL || !SSL_CTX_use_PrivateKey(ctx, pkey) ||
        !SSL_CTX_check_private_key(ctx)) {
        openssl_failed("server certificate and key");
        goto fail;
    }
    EVP_PKEY_free(pkey);
    return ctx;
fail:
    EVP_PKEY_free(pkey);
    SSL_CTX_free(ctx);
    return NULL;
}

static SSL_CTX *
client_by_hand(bench_variant v)
{
    int callbacks = v == BENCH_DIRECT;
    SSL_CTX *ctx = NULL;

    if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
        openssl_failed("SSL_CTX_new");
        goto fail;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, callbacks ? direct_verify : NULL);
    if (callbacks) {
        SSL_CTX_set_info_callback(ctx, direct_info);
        SSL_CTX_set_client_cert_cb(ctx, direct_client_cert);
    }
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
        !SSL_CTX_load_verify_file(ctx, PKI("ca.crt"))) {
        openssl_failed("client trust settings");
        goto fail;
    }
    if (!callbacks && (!SSL_CTX_use_certificate(ctx, direct_state.cert) ||
                       !SSL_CTX_use_PrivateKey(ctx, direct_state.pkey))) {
        openssl_failed("client certificate and key");
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *
bench_server_new(bench_variant v)
{
    return v == BENCH_SSLPLUG ? sslplug_new(server_host) : server_by_hand(v);
}

SSL_CTX *
bench_client_new(bench_variant v)
{
    return v == BENCH_SSLPLUG ? sslplug_new(client_host) : client_by_hand(v);
}

int
bench_ctxs_new(bench_variant v, bench_ctxs *out)
{
    out->server = bench_server_new(v);
    out->client = out->server != NULL ? bench_client_new(v) : NULL;
    if (out->client == NULL) {
        bench_ctxs_free(out);
        return 0;
    }
    return 1;
}

void
bench_ctxs_free(bench_ctxs *c)
{
    SSL_CTX_free(c->server);
    SSL_CTX_free(c->client);
    c->server = NULL;
    c->client = NULL;
}
