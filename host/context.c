/*
 * What a context's settings (settings.c) do to an SSL_CTX: protocol range,
 * ciphers, trust and revocation checks, the certificate and key
 * (keypair.c), ALPN, sessions, stapling (ocsp.c) and OpenSSL's own
 * settings, and how they reach a connection switched to a named context.
 * The verification mode and the callbacks are the binding's (types.c).
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "binding.h"
#include "internal.h"

/* The JSON pointer of a setting below base ("/context" or "/contexts/NAME"). */
#define P(key) sslplugi_pointer_child(ptrbuf, base, key)

static int
set_protocols(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    char reason[256];

    if (c->min_protocol != 0 && !SSL_CTX_set_min_proto_version(ctx, c->min_protocol)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("min_protocol"), "refused by OpenSSL: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->max_protocol != 0 && !SSL_CTX_set_max_proto_version(ctx, c->max_protocol)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("max_protocol"), "refused by OpenSSL: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->ciphers != NULL && !SSL_CTX_set_cipher_list(ctx, c->ciphers)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("ciphers"), "no usable cipher in \"%s\": %s",
                           c->ciphers, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->ciphersuites != NULL && !SSL_CTX_set_ciphersuites(ctx, c->ciphersuites)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("ciphersuites"),
                           "no usable TLS 1.3 ciphersuite in \"%s\": %s", c->ciphersuites,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    return 1;
}

static int
set_trust(SSL_CTX *ctx, const sslplugi_context_conf *c, const sslplugi_trust *trust,
          const char *base, const unsigned char *sid_ctx, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    int verifying = c->verify == SSLPLUGI_VERIFY_PEER || c->verify == SSLPLUGI_VERIFY_REQUIRE;
    char reason[256];

    /* The CA file as the generation read and digested it (trust.c), not as it is now. */
    if (!sslplugi_trust_apply(ctx, trust, verifying && c->role == SSLPLUGI_ROLE_SERVER)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, P("ca_file"), "cannot use CA file %s: %s",
                           c->ca_file, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->ca_path != NULL && !SSL_CTX_load_verify_dir(ctx, c->ca_path)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, P("ca_path"),
                           "cannot use CA directory %s: %s", c->ca_path,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    /* A verifying client with no CA of its own trusts the system store. */
    if (verifying && c->role == SSLPLUGI_ROLE_CLIENT && c->ca_file == NULL && c->ca_path == NULL &&
        !SSL_CTX_set_default_verify_paths(ctx)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, base,
                           "cannot load the system's default CA store: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->verify_depth >= 0) {
        SSL_CTX_set_verify_depth(ctx, (int)c->verify_depth);
    }
    /*
     * CRLs are in the store (trust.c); this says whose revocation is checked,
     * replacing what a named context took over from its main one ("leaf"
     * under a main "chain" means the leaf only).
     */
    if (c->crl_check != 0) {
        X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);

        X509_VERIFY_PARAM_clear_flags(param, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
        X509_VERIFY_PARAM_set_flags(
            param, X509_V_FLAG_CRL_CHECK |
                       (c->crl_check == SSLPLUGI_CRL_CHAIN ? X509_V_FLAG_CRL_CHECK_ALL : 0));
    }
    /*
     * Every connection starts with this name to check (SSL_set1_host
     * replaces it per connection); it is sent as SNI when the application
     * sends none (cb_info.c).
     */
    if (c->verify_host != NULL &&
        !X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), c->verify_host, 0)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("verify_host"), "cannot use \"%s\": %s",
                           c->verify_host, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    /*
     * Sessions are only resumed under the configuration that made them:
     * verify callbacks do not run on resumption.  A server compares it on
     * lookup; a client's sessions carry it too, and the info trampoline
     * drops a foreign one before the ClientHello (cb_info.c).
     */
    if (!SSL_CTX_set_session_id_context(ctx, sid_ctx, 32)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, base, "cannot set the session id context");
        return 0;
    }
    return 1;
}

/* ---- what a context keeps of its settings, freed with it ---- */

/*
 * The settings callbacks read on every connection (ALPN, the staple) and
 * what a switch applies again (the SSL_CONF commands), in the context's
 * ex_data, so they live exactly as long as the context.
 */
typedef struct context_state {
    unsigned char *alpn; /* the protocols in wire form (length-prefixed), in preference order */
    unsigned alpn_len;
    int alpn_continue; /* no protocol shared: go on without ALPN */
    sslplugi_pairs openssl;
    int server;
    sslplugi_staple *staple;
} context_state;

static int state_index = -1;
static pthread_once_t state_once = PTHREAD_ONCE_INIT;

static void
state_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    context_state *st = ptr;

    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    if (st == NULL) {
        return;
    }
    free(st->alpn);
    for (size_t i = 0; i < st->openssl.n; i++) {
        free(st->openssl.names[i]);
        free(st->openssl.values[i]);
    }
    free(st->openssl.names);
    free(st->openssl.values);
    sslplugi_staple_free(st->staple);
    free(st);
}

static void
state_init(void)
{
    state_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, state_free);
}

static context_state *
state_of(const SSL_CTX *ctx)
{
    return state_index >= 0 ? SSL_CTX_get_ex_data(ctx, state_index) : NULL;
}

/* The context's state, made on first use; NULL when out of memory. */
static context_state *
state_new(SSL_CTX *ctx)
{
    context_state *st;

    if (pthread_once(&state_once, state_init) != 0 || state_index < 0) {
        return NULL;
    }
    if ((st = state_of(ctx)) != NULL) {
        return st;
    }
    if ((st = calloc(1, sizeof(*st))) == NULL) {
        return NULL;
    }
    if (!SSL_CTX_set_ex_data(ctx, state_index, st)) {
        free(st);
        return NULL;
    }
    return st;
}

/* ---- ALPN ---- */

/* A server picks the first of its own protocols the client offers. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
            unsigned int inlen, void *arg)
{
    const context_state *st = state_of(SSL_get_SSL_CTX(ssl));

    (void)arg;
    if (st == NULL || st->alpn == NULL) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    for (unsigned i = 0; i < st->alpn_len; i += 1u + st->alpn[i]) {
        for (unsigned k = 0; k < inlen; k += 1u + in[k]) {
            if (in[k] == st->alpn[i] && k + 1u + in[k] <= inlen &&
                memcmp(in + k + 1, st->alpn + i + 1, in[k]) == 0) {
                *out = in + k + 1;
                *outlen = in[k];
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    /* OpenSSL sends no_application_protocol for a fatal result. */
    return st->alpn_continue ? SSL_TLSEXT_ERR_NOACK : SSL_TLSEXT_ERR_ALERT_FATAL;
}

static int
set_alpn(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    context_state *st;
    size_t len = 0;

    if (c->alpn.n == 0) {
        return 1;
    }
    for (size_t i = 0; i < c->alpn.n; i++) {
        len += 1 + strlen(c->alpn.v[i]);
    }
    if ((st = state_new(ctx)) == NULL || (st->alpn = malloc(len)) == NULL || len > UINT_MAX) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, P("alpn"), "out of memory");
        return 0;
    }
    st->alpn_len = 0;
    for (size_t i = 0; i < c->alpn.n; i++) {
        size_t n = strlen(c->alpn.v[i]);

        st->alpn[st->alpn_len] = (unsigned char)n;
        memcpy(st->alpn + st->alpn_len + 1, c->alpn.v[i], n);
        st->alpn_len += (unsigned)(1 + n);
    }
    st->alpn_continue = c->alpn_mismatch == SSLPLUGI_ALPN_CONTINUE;
    if (c->role == SSLPLUGI_ROLE_SERVER) {
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
        return 1;
    }
    /* 0 is success here, unlike everywhere else in OpenSSL. */
    if (SSL_CTX_set_alpn_protos(ctx, st->alpn, st->alpn_len) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("alpn"), "refused by OpenSSL");
        return 0;
    }
    return 1;
}

/* ---- everything else OpenSSL can set: SSL_CONF commands ---- */

/*
 * One of ctx or ssl.  The flags are those of a configuration file's
 * section, for the role: no file commands (Certificate, VerifyCAFile...),
 * which go through sslplug's own keys and their checks.
 */
static int
apply_commands(SSL_CTX *ctx, SSL *ssl, const sslplugi_pairs *cmds, int server, const char *base,
               sslplug_error *err)
{
    SSL_CONF_CTX *cctx = SSL_CONF_CTX_new();
    char ptr[SSLPLUG_ERROR_POINTER_MAX], at[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    int ok = 0;

    if (cctx == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, base, "out of memory");
        return 0;
    }
    SSL_CONF_CTX_set_flags(cctx, SSL_CONF_FLAG_FILE |
                                     (server ? SSL_CONF_FLAG_SERVER : SSL_CONF_FLAG_CLIENT));
    if (ssl != NULL) {
        SSL_CONF_CTX_set_ssl(cctx, ssl);
    } else {
        SSL_CONF_CTX_set_ssl_ctx(cctx, ctx);
    }
    sslplugi_pointer_child(at, base != NULL ? base : "", "openssl");
    for (size_t i = 0; i < cmds->n; i++) {
        int r;

        ERR_clear_error();
        r = SSL_CONF_cmd(cctx, cmds->names[i], cmds->values[i]);
        sslplugi_pointer_child(ptr, at, cmds->names[i]);
        if (r == -2) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                               "\"%s\" is not an OpenSSL setting for a %s (SSL_CONF_cmd); files "
                               "are named by sslplug's own keys",
                               cmds->names[i], server ? "server" : "client");
            goto done;
        }
        if (r <= 0) {
            sslplugi_error_set(err, SSLPLUG_E_TLS, ptr, "OpenSSL refused %s \"%s\": %s",
                               cmds->names[i], cmds->values[i],
                               sslplugi_openssl_reason(reason, sizeof(reason)));
            goto done;
        }
    }
    if (!SSL_CONF_CTX_finish(cctx)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, at, "OpenSSL refused the settings: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    ok = 1;
done:
    SSL_CONF_CTX_free(cctx);
    return ok;
}

static int
set_openssl(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    context_state *st;

    if (c->openssl.n == 0) {
        return 1;
    }
    if (!apply_commands(ctx, NULL, &c->openssl, c->role == SSLPLUGI_ROLE_SERVER, base, err)) {
        return 0;
    }
    /* Kept, to be applied again to a connection switched to this context. */
    if ((st = state_new(ctx)) == NULL ||
        (st->openssl.names = calloc(c->openssl.n, sizeof(char *))) == NULL ||
        (st->openssl.values = calloc(c->openssl.n, sizeof(char *))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, P("openssl"), "out of memory");
        return 0;
    }
    st->server = c->role == SSLPLUGI_ROLE_SERVER;
    for (size_t i = 0; i < c->openssl.n; i++) {
        if ((st->openssl.names[i] = strdup(c->openssl.names[i])) == NULL ||
            (st->openssl.values[i] = strdup(c->openssl.values[i])) == NULL) {
            free(st->openssl.names[i]);
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, P("openssl"), "out of memory");
            return 0;
        }
        st->openssl.n++;
    }
    return 1;
}

/* ---- sessions and stapling ---- */

static int
set_sessions(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    const sslplugi_binding *b;
    context_state *st;

    if (c->session_tickets == 0) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    } else if (c->session_tickets == 1) {
        SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    }
    if (c->session_timeout > 0) {
        SSL_CTX_set_timeout(ctx, c->session_timeout);
    }
    /* 0 turns the internal cache off (OpenSSL's own 0 would mean "no limit"). */
    if (c->session_cache_size == 0) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    } else if (c->session_cache_size > 0) {
        SSL_CTX_sess_set_cache_size(ctx, c->session_cache_size);
    }
    if (c->ocsp_staple != NULL) {
        if ((st = state_new(ctx)) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, P("ocsp_staple"), "out of memory");
            return 0;
        }
        if ((st->staple = sslplugi_staple_new(c->ocsp_staple, c->check_files, P("ocsp_staple"),
                                              err)) == NULL) {
            return 0;
        }
        if (!sslplugi_staple_bind(ctx, st->staple)) {
            sslplugi_error_set(err, SSLPLUG_E_TLS, P("ocsp_staple"), "refused by OpenSSL");
            return 0;
        }
    }
    /*
     * A status entry of the configuration (cb_status.c) runs the check
     * itself; otherwise it is bound here, also over a status callback the
     * application set (as verify replaces its verify callback): the
     * configuration's word, not whatever the context holds, decides.
     */
    b = sslplugi_binding_of_ctx(ctx);
    if (c->ocsp != 0 && (b == NULL || sslplugi_one(b, SSLPLUG_CB_STATUS) == NULL) &&
        !sslplugi_ocsp_check_bind(ctx, c->ocsp)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("ocsp"), "refused by OpenSSL");
        return 0;
    }
    return 1;
}

int
sslplugi_context_configure(SSL_CTX *ctx, const sslplugi_context_conf *conf,
                           const sslplugi_trust *trust, const char *base,
                           const unsigned char *sid_ctx, sslplugi_filecache *files,
                           sslplug_error *err)
{
    /* The "openssl" commands last: they say more precisely what they change. */
    return set_protocols(ctx, conf, base, err) && set_trust(ctx, conf, trust, base, sid_ctx, err) &&
           sslplugi_keypair_configure(ctx, conf, base, files, err) &&
           set_alpn(ctx, conf, base, err) && set_sessions(ctx, conf, base, err) &&
           set_openssl(ctx, conf, base, err);
}

/*
 * A named context starts from what the context it belongs to says where the
 * configuration says nothing (the application's protocol range, options and
 * verification parameters, for a context given to sslplug_ctx_apply), so a
 * switch never loosens a setting the configuration left to the application.
 */
int
sslplugi_context_inherit(SSL_CTX *sub, SSL_CTX *main)
{
    SSL_CTX_set_options(sub, SSL_CTX_get_options(main));
    return SSL_CTX_set_min_proto_version(sub, SSL_CTX_get_min_proto_version(main)) &&
           SSL_CTX_set_max_proto_version(sub, SSL_CTX_get_max_proto_version(main)) &&
           SSL_CTX_set1_param(sub, SSL_CTX_get0_param(main));
}

/*
 * Move a connection to a named context, with every setting of that context
 * in force.  SSL_set_SSL_CTX moves the certificate chain and key and the
 * session id context; the connection reads its trust store, client CA
 * names and cipher lists from whichever context it is on when it needs
 * them.  What SSL_new copied into the connection is copied again here: the
 * protocol range (the version is chosen after the client hello callback),
 * the verification mode and callback, the verification parameters (depth,
 * flags) and the options.  tests/test_named_contexts.c proves each key
 * through a real switch.
 */
int
sslplugi_context_switch(SSL *ssl, SSL_CTX *target)
{
    uint64_t options = SSL_CTX_get_options(target);
    const context_state *st;

    if (SSL_set_SSL_CTX(ssl, target) != target) {
        return 0;
    }
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(target), SSL_CTX_get_verify_callback(target));
    SSL_clear_options(ssl, SSL_get_options(ssl) & ~options);
    SSL_set_options(ssl, options);
    /* SSL_set1_param adds the target's flags to the connection's: its flags alone, then. */
    X509_VERIFY_PARAM_clear_flags(SSL_get0_param(ssl),
                                  X509_VERIFY_PARAM_get_flags(SSL_get0_param(ssl)));
    if (!SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(target)) ||
        !SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(target)) ||
        !SSL_set1_param(ssl, SSL_CTX_get0_param(target))) {
        return 0;
    }
    /* The SSL_CONF commands, which set the connection's own copies (groups, sigalgs...). */
    st = state_of(target);
    return st == NULL || st->openssl.n == 0 ||
           apply_commands(NULL, ssl, &st->openssl, st->server, NULL, NULL);
}
