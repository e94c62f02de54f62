/*
 * The interposed OpenSSL functions.
 *
 * SSL_CTX_new_ex makes the context, then binds the configured callbacks of
 * both sides into it (sslplug_ctx_apply_roles: each connection runs its
 * side's), and remembers in the context's ex_data what sslplug bound: the
 * host's own setter calls go through the functions below and are captured
 * while inj_capturing is set.  Programs set their own callbacks afterwards
 * (curl SSL_CTX_set_verify(ctx, mode, NULL), s_client verify, info and
 * keylog, nginx verify and info): each setter then keeps the program's
 * callback beside sslplug's and installs a composition that calls both, so
 * nothing the configuration bound is undone.  The getters answer with the
 * program's own callbacks, and a program handing back what a getter gave
 * it (Python does) is recognised.
 *
 * Who decides on a certificate (inj_verify_cb): sslplug's verify pipeline
 * runs first on OpenSSL's verdict; the program's callback, if any, runs
 * next on the pipeline's verdict.  Under "enforce" a rejection by the
 * pipeline is final, even where the program asked not to verify
 * (SSL_VERIFY_NONE, curl -k): a client then gets SSL_VERIFY_CLIENT_ONCE,
 * a flag that makes an OpenSSL client act on the verdict and changes
 * nothing on a server, and the program's "no verification" is emulated by
 * accepting whatever the pipeline accepts.  Under "app" the pipeline's
 * rejection reaches the program as OpenSSL's (the store's error is set,
 * SSL_get_verify_result tells it) and the program's rules decide.
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "inject.h"

#define INJ_EXPORT __attribute__((visibility("default")))

_Thread_local inj_capture *inj_capturing;

/* A context made while this library was loaded: what sslplug and the program bound. */
typedef struct inj_ctx {
    inj_capture host;
    size_t verify_entries[2]; /* per side: the verify entries of the configuration bound */
    int enforce[2];
    int server_sid; /* a server configuration is bound: its digest joins the program's ids */
    SSL_verify_cb prog_verify;
    inj_info_fn prog_info;
    SSL_CTX_keylog_cb_func prog_keylog;
    inj_client_cert_fn prog_client_cert;
    inj_cert_fn prog_cert;
    void *prog_cert_arg;
} inj_ctx;

/* What a program set on one connection, over its context's. */
typedef struct inj_ssl {
    int has_verify;
    SSL_verify_cb verify;
    int has_info;
    inj_info_fn info;
} inj_ssl;

static atomic_int ctx_index = -1, ssl_index = -1;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void
free_rec(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    free(ptr);
}

static void
make_indexes(void)
{
    atomic_store(&ctx_index, SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, free_rec));
    atomic_store(&ssl_index, SSL_get_ex_new_index(0, NULL, NULL, NULL, free_rec));
}

static const inj_real *
R(void)
{
    return inj_real_get(NULL);
}

static inj_ctx *
ctx_rec(const SSL_CTX *ctx)
{
    int idx = atomic_load_explicit(&ctx_index, memory_order_acquire);

    return ctx != NULL && idx >= 0 ? SSL_CTX_get_ex_data(ctx, idx) : NULL;
}

static inj_ctx *
ssl_ctx_rec(const SSL *ssl)
{
    return ssl != NULL ? ctx_rec(SSL_get_SSL_CTX(ssl)) : NULL;
}

static inj_ssl *
ssl_rec(const SSL *ssl)
{
    int idx = atomic_load_explicit(&ssl_index, memory_order_acquire);

    return ssl != NULL && idx >= 0 ? SSL_get_ex_data(ssl, idx) : NULL;
}

static inj_ssl *
ssl_rec_make(SSL *ssl)
{
    inj_ssl *sr = ssl_rec(ssl);

    if (sr == NULL && (sr = calloc(1, sizeof(*sr))) != NULL &&
        !SSL_set_ex_data(ssl, atomic_load(&ssl_index), sr)) {
        free(sr);
        sr = NULL;
    }
    return sr;
}

/* The host is binding ctx (or a scratch context of its own): record, do not compose. */
static inj_capture *
capturing(const SSL_CTX *ctx)
{
    inj_capture *c = inj_capturing;

    return c != NULL && (c->ctx == NULL || c->ctx == ctx) ? c : NULL;
}

static int
side_of(const SSL *ssl)
{
    return SSL_is_server(ssl) ? INJ_SERVER : INJ_CLIENT;
}

/* ---- verify ---- */

/* Whether a rejection of this context's pipeline is final on some side. */
static int
enforcing(const inj_ctx *rec)
{
    return rec->host.verify != NULL &&
           ((rec->enforce[INJ_SERVER] && rec->verify_entries[INJ_SERVER]) ||
            (rec->enforce[INJ_CLIENT] && rec->verify_entries[INJ_CLIENT]));
}

/*
 * The mode given to OpenSSL for the program's mode: an OpenSSL client acts
 * on the verdict under any flag, a server asks for a certificate only with
 * SSL_VERIFY_PEER, so SSL_VERIFY_CLIENT_ONCE alone makes a client enforce
 * and leaves a server as it was.
 */
static int
effective_mode(const inj_ctx *rec, int mode)
{
    return mode == SSL_VERIFY_NONE && enforcing(rec) ? SSL_VERIFY_CLIENT_ONCE : mode;
}

/* The program's mode, from the one OpenSSL has. */
static int
program_mode(const inj_ctx *rec, int mode)
{
    return rec != NULL && mode == SSL_VERIFY_CLIENT_ONCE && enforcing(rec) ? SSL_VERIFY_NONE : mode;
}

static int
inj_verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    const inj_ssl *sr = ssl_rec(ssl);
    SSL_verify_cb prog = sr != NULL && sr->has_verify ? sr->verify
                         : rec != NULL                ? rec->prog_verify
                                                      : NULL;
    int side = ssl != NULL ? side_of(ssl) : INJ_CLIENT;
    int plugins = rec != NULL && rec->host.verify != NULL && rec->verify_entries[side] > 0;
    int mode = ssl != NULL ? program_mode(rec, R()->SSL_get_verify_mode(ssl)) : SSL_VERIFY_PEER;
    int verdict = plugins ? rec->host.verify(ok, store) : ok;
    int result = prog != NULL ? prog(verdict, store) : verdict;

    if (plugins && rec->enforce[side] && !verdict) {
        return 0; /* the pipeline's rejection is final */
    }
    /* The program asked not to verify: OpenSSL would ignore the result. */
    return mode == SSL_VERIFY_NONE ? 1 : result;
}

INJ_EXPORT void
SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb cb)
{
    inj_capture *c = capturing(ctx);
    inj_ctx *rec = ctx_rec(ctx);

    if (c != NULL || rec == NULL || rec->host.verify == NULL) {
        if (c != NULL) {
            c->verify = cb;
        }
        R()->SSL_CTX_set_verify(ctx, mode, cb);
        return;
    }
    if (cb != inj_verify_cb && cb != rec->host.verify) {
        rec->prog_verify = cb;
    }
    R()->SSL_CTX_set_verify(ctx, effective_mode(rec, mode), inj_verify_cb);
}

INJ_EXPORT void
SSL_set_verify(SSL *ssl, int mode, SSL_verify_cb cb)
{
    inj_ctx *rec = ssl_ctx_rec(ssl);
    inj_ssl *sr;

    if (inj_capturing != NULL || rec == NULL || rec->host.verify == NULL ||
        (sr = ssl_rec_make(ssl)) == NULL) {
        R()->SSL_set_verify(ssl, rec != NULL ? effective_mode(rec, mode) : mode,
                            rec != NULL && rec->host.verify != NULL ? inj_verify_cb : cb);
        return;
    }
    if (cb != inj_verify_cb && cb != rec->host.verify) {
        sr->verify = cb;
    } else if (!sr->has_verify) {
        sr->verify = rec->prog_verify;
    }
    sr->has_verify = 1;
    R()->SSL_set_verify(ssl, effective_mode(rec, mode), inj_verify_cb);
}

INJ_EXPORT int
SSL_CTX_get_verify_mode(const SSL_CTX *ctx)
{
    return program_mode(ctx_rec(ctx), R()->SSL_CTX_get_verify_mode(ctx));
}

INJ_EXPORT int
SSL_get_verify_mode(const SSL *ssl)
{
    return program_mode(ssl_ctx_rec(ssl), R()->SSL_get_verify_mode(ssl));
}

INJ_EXPORT SSL_verify_cb
SSL_CTX_get_verify_callback(const SSL_CTX *ctx)
{
    const inj_ctx *rec = ctx_rec(ctx);

    return rec != NULL && rec->host.verify != NULL && capturing(ctx) == NULL
               ? rec->prog_verify
               : R()->SSL_CTX_get_verify_callback(ctx);
}

INJ_EXPORT SSL_verify_cb
SSL_get_verify_callback(const SSL *ssl)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    const inj_ssl *sr = ssl_rec(ssl);
    SSL_verify_cb cb = R()->SSL_get_verify_callback(ssl);

    if (sr != NULL && sr->has_verify) {
        return sr->verify;
    }
    return cb == inj_verify_cb ? (rec != NULL ? rec->prog_verify : NULL) : cb;
}

/* ---- what the program's choice replaces: recorded from the host, warned about ---- */

static const struct {
    unsigned bit;
    const char *key; /* for inj_warn_once */
    const char *text;
} replaced_text[] = {
    {INJ_BOUND_CERT_VERIFY, "cert_verify",
     "the program verifies certificates itself (SSL_CTX_set_cert_verify_callback): the "
     "configuration's verify_connection entry does not run, nor its verify entries unless the "
     "program calls X509_verify_cert"},
    {INJ_BOUND_ALPN, "alpn",
     "the program chooses its own ALPN protocol (SSL_CTX_set_alpn_select_cb): the "
     "configuration's alpn (context or callback) does not decide it"},
    {INJ_BOUND_STATUS, "status",
     "the program handles OCSP itself (SSL_CTX_set_tlsext_status_cb): the configuration's "
     "status entry, ocsp_staple or ocsp check does not run"},
    {INJ_BOUND_SESSIONS, "sessions",
     "the program keeps its own session cache (SSL_CTX_sess_set_*_cb): the configuration's "
     "session_store entry does not run"},
    {INJ_BOUND_TICKET_KEYS, "ticket_keys",
     "the program keeps its own session ticket keys: the configuration's ticket_keys entry "
     "does not run"},
};

/*
 * A setter whose callback replaces one sslplug may have bound: the host's
 * own call is recorded; a program's replaces it (the program's choice wins,
 * as it must where the two cannot both run), with a warning once.
 */
static void
replacing(const SSL_CTX *ctx, unsigned bit, int program_sets_one)
{
    inj_capture *c = capturing(ctx);
    const inj_ctx *rec;

    if (c != NULL) {
        c->replaced |= bit;
        return;
    }
    if (!program_sets_one || (rec = ctx_rec(ctx)) == NULL) {
        return;
    }
    if (bit == INJ_BOUND_CERT_VERIFY && rec->host.verify != NULL &&
        (rec->host.replaced & bit) == 0) {
        inj_warn_once("cert_verify_pipeline",
                      "the program verifies certificates itself "
                      "(SSL_CTX_set_cert_verify_callback): the configuration's verify plugins run "
                      "only if it calls X509_verify_cert");
        return;
    }
    for (size_t i = 0; i < sizeof(replaced_text) / sizeof(replaced_text[0]); i++) {
        if (replaced_text[i].bit == bit && (rec->host.replaced & bit) != 0) {
            inj_warn_once(replaced_text[i].key, "%s", replaced_text[i].text);
        }
    }
}

INJ_EXPORT void
SSL_CTX_set_cert_verify_callback(SSL_CTX *ctx, inj_cert_verify_fn cb, void *arg)
{
    replacing(ctx, INJ_BOUND_CERT_VERIFY, cb != NULL);
    R()->SSL_CTX_set_cert_verify_callback(ctx, cb, arg);
}

INJ_EXPORT void
SSL_CTX_set_alpn_select_cb(SSL_CTX *ctx, SSL_CTX_alpn_select_cb_func cb, void *arg)
{
    replacing(ctx, INJ_BOUND_ALPN, cb != NULL);
    R()->SSL_CTX_set_alpn_select_cb(ctx, cb, arg);
}

INJ_EXPORT void
SSL_CTX_sess_set_new_cb(SSL_CTX *ctx, inj_sess_new_fn cb)
{
    replacing(ctx, INJ_BOUND_SESSIONS, cb != NULL);
    R()->SSL_CTX_sess_set_new_cb(ctx, cb);
}

INJ_EXPORT void
SSL_CTX_sess_set_get_cb(SSL_CTX *ctx, inj_sess_get_fn cb)
{
    replacing(ctx, INJ_BOUND_SESSIONS, cb != NULL);
    R()->SSL_CTX_sess_set_get_cb(ctx, cb);
}

INJ_EXPORT void
SSL_CTX_sess_set_remove_cb(SSL_CTX *ctx, inj_sess_remove_fn cb)
{
    replacing(ctx, INJ_BOUND_SESSIONS, cb != NULL);
    R()->SSL_CTX_sess_set_remove_cb(ctx, cb);
}

INJ_EXPORT int
SSL_CTX_set_tlsext_ticket_key_evp_cb(SSL_CTX *ctx, inj_ticket_key_fn cb)
{
    replacing(ctx, INJ_BOUND_TICKET_KEYS, cb != NULL);
    return R()->SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, cb);
}

/* ---- info: sslplug's first (the client resumption guard starts each handshake) ---- */

static void
inj_info_cb(const SSL *ssl, int where, int ret)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    const inj_ssl *sr = ssl_rec(ssl);
    inj_info_fn prog = sr != NULL && sr->has_info ? sr->info : rec != NULL ? rec->prog_info : NULL;

    if (rec != NULL && rec->host.info != NULL) {
        rec->host.info(ssl, where, ret);
    }
    if (prog != NULL) {
        prog(ssl, where, ret);
    }
}

INJ_EXPORT void
SSL_CTX_set_info_callback(SSL_CTX *ctx, inj_info_fn cb)
{
    inj_capture *c = capturing(ctx);
    inj_ctx *rec = ctx_rec(ctx);

    if (c != NULL || rec == NULL || rec->host.info == NULL) {
        if (c != NULL) {
            c->info = cb;
        }
        R()->SSL_CTX_set_info_callback(ctx, cb);
        return;
    }
    if (cb != inj_info_cb && cb != rec->host.info) {
        rec->prog_info = cb;
    }
    R()->SSL_CTX_set_info_callback(ctx, rec->prog_info != NULL ? inj_info_cb : rec->host.info);
}

/* A connection's own info callback makes OpenSSL skip the context's: it gets the composition. */
INJ_EXPORT void
SSL_set_info_callback(SSL *ssl, inj_info_fn cb)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    inj_ssl *sr;

    if (rec == NULL || rec->host.info == NULL || (sr = ssl_rec_make(ssl)) == NULL) {
        R()->SSL_set_info_callback(ssl, cb);
        return;
    }
    if (cb != inj_info_cb && cb != rec->host.info) {
        sr->has_info = cb != NULL;
        sr->info = cb;
    }
    R()->SSL_set_info_callback(ssl, sr->has_info ? inj_info_cb : NULL);
}

INJ_EXPORT inj_info_fn
SSL_CTX_get_info_callback(SSL_CTX *ctx)
{
    const inj_ctx *rec = ctx_rec(ctx);

    return rec != NULL && rec->host.info != NULL && capturing(ctx) == NULL
               ? rec->prog_info
               : R()->SSL_CTX_get_info_callback(ctx);
}

INJ_EXPORT inj_info_fn
SSL_get_info_callback(const SSL *ssl)
{
    const inj_ssl *sr = ssl_rec(ssl);
    inj_info_fn cb = R()->SSL_get_info_callback(ssl);

    if (sr != NULL && sr->has_info) {
        return sr->info;
    }
    return cb == inj_info_cb ? NULL : cb;
}

/* ---- keylog ---- */

static void
inj_keylog_cb(const SSL *ssl, const char *line)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);

    if (rec == NULL) {
        return;
    }
    if (rec->host.keylog != NULL) {
        rec->host.keylog(ssl, line);
    }
    if (rec->prog_keylog != NULL) {
        rec->prog_keylog(ssl, line);
    }
}

INJ_EXPORT void
SSL_CTX_set_keylog_callback(SSL_CTX *ctx, SSL_CTX_keylog_cb_func cb)
{
    inj_capture *c = capturing(ctx);
    inj_ctx *rec = ctx_rec(ctx);

    if (c != NULL || rec == NULL || rec->host.keylog == NULL) {
        if (c != NULL) {
            c->keylog = cb;
        }
        R()->SSL_CTX_set_keylog_callback(ctx, cb);
        return;
    }
    if (cb != inj_keylog_cb && cb != rec->host.keylog) {
        rec->prog_keylog = cb;
    }
    R()->SSL_CTX_set_keylog_callback(ctx,
                                     rec->prog_keylog != NULL ? inj_keylog_cb : rec->host.keylog);
}

INJ_EXPORT SSL_CTX_keylog_cb_func
SSL_CTX_get_keylog_callback(const SSL_CTX *ctx)
{
    const inj_ctx *rec = ctx_rec(ctx);

    return rec != NULL && rec->host.keylog != NULL && capturing(ctx) == NULL
               ? rec->prog_keylog
               : R()->SSL_CTX_get_keylog_callback(ctx);
}

/* ---- client_cert: the plugin's certificate, else the program's ---- */

static int
inj_client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    int r =
        rec != NULL && rec->host.client_cert != NULL ? rec->host.client_cert(ssl, x509, pkey) : 0;

    if (r == 1 || rec == NULL || rec->prog_client_cert == NULL) {
        return r;
    }
    return rec->prog_client_cert(ssl, x509, pkey);
}

INJ_EXPORT void
SSL_CTX_set_client_cert_cb(SSL_CTX *ctx, inj_client_cert_fn cb)
{
    inj_capture *c = capturing(ctx);
    inj_ctx *rec = ctx_rec(ctx);

    if (c != NULL || rec == NULL || rec->host.client_cert == NULL) {
        if (c != NULL) {
            c->client_cert = cb;
        }
        R()->SSL_CTX_set_client_cert_cb(ctx, cb);
        return;
    }
    if (cb != inj_client_cert_cb && cb != rec->host.client_cert) {
        rec->prog_client_cert = cb;
    }
    R()->SSL_CTX_set_client_cert_cb(ctx, rec->prog_client_cert != NULL ? inj_client_cert_cb
                                                                       : rec->host.client_cert);
}

INJ_EXPORT inj_client_cert_fn
SSL_CTX_get_client_cert_cb(SSL_CTX *ctx)
{
    const inj_ctx *rec = ctx_rec(ctx);

    return rec != NULL && rec->host.client_cert != NULL && capturing(ctx) == NULL
               ? rec->prog_client_cert
               : R()->SSL_CTX_get_client_cert_cb(ctx);
}

/* ---- cert: the plugin's, then the program's; both must succeed ---- */

static int
inj_cert_cb(SSL *ssl, void *arg)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    int r;

    (void)arg;
    if (rec == NULL) {
        return 0;
    }
    if (rec->host.cert != NULL && (r = rec->host.cert(ssl, rec->host.cert_arg)) != 1) {
        return r;
    }
    return rec->prog_cert != NULL ? rec->prog_cert(ssl, rec->prog_cert_arg) : 1;
}

INJ_EXPORT void
SSL_CTX_set_cert_cb(SSL_CTX *ctx, inj_cert_fn cb, void *arg)
{
    inj_capture *c = capturing(ctx);
    inj_ctx *rec = ctx_rec(ctx);

    if (c != NULL || rec == NULL || rec->host.cert == NULL) {
        if (c != NULL) {
            c->cert = cb;
            c->cert_arg = arg;
        }
        R()->SSL_CTX_set_cert_cb(ctx, cb, arg);
        return;
    }
    if (cb != inj_cert_cb) {
        rec->prog_cert = cb;
        rec->prog_cert_arg = arg;
    }
    if (rec->prog_cert != NULL) {
        R()->SSL_CTX_set_cert_cb(ctx, inj_cert_cb, NULL);
    } else {
        R()->SSL_CTX_set_cert_cb(ctx, rec->host.cert, rec->host.cert_arg);
    }
}

/* ---- server names: the program's choice wins ---- */

INJ_EXPORT long
SSL_CTX_callback_ctrl(SSL_CTX *ctx, int cmd, void (*fp)(void))
{
    const inj_ctx *rec = ctx_rec(ctx);

    /* The status and (legacy) ticket key callbacks are set through here too. */
    if (cmd == SSL_CTRL_SET_TLSEXT_STATUS_REQ_CB) {
        replacing(ctx, INJ_BOUND_STATUS, fp != NULL);
    } else if (cmd == SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB) {
        replacing(ctx, INJ_BOUND_TICKET_KEYS, fp != NULL);
    }
    if (cmd == SSL_CTRL_SET_TLSEXT_SERVERNAME_CB && fp != NULL && rec != NULL &&
        capturing(ctx) == NULL && inj_state_get()->servername_entries > 0) {
        inj_warn_once("servername",
                      "the program chooses its own virtual hosts (servername callback): the "
                      "configuration's /callbacks/servername entry does not decide them");
    }
    return R()->SSL_CTX_callback_ctrl(ctx, cmd, fp);
}

/* ---- session id contexts: the program's, joined with the server configuration's digest ---- */

static int
join_sid(const inj_ctx *rec, const unsigned char *sid, unsigned len, unsigned char out[32])
{
    static const char label[] = "sslplug-inject session id context";
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    uint32_t n = len;
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, label, sizeof(label)) && EVP_DigestUpdate(md, &n, sizeof(n)) &&
             EVP_DigestUpdate(md, sid, len) &&
             EVP_DigestUpdate(md, rec->host.sid, rec->host.sid_len) &&
             EVP_DigestFinal_ex(md, out, NULL);

    EVP_MD_CTX_free(md);
    return ok;
}

INJ_EXPORT int
SSL_CTX_set_session_id_context(SSL_CTX *ctx, const unsigned char *sid, unsigned len)
{
    inj_capture *c = capturing(ctx);
    const inj_ctx *rec = ctx_rec(ctx);
    unsigned char joined[32];

    if (c != NULL && len <= sizeof(c->sid)) {
        memcpy(c->sid, sid, len);
        c->sid_len = len;
    }
    if (c == NULL && rec != NULL && rec->server_sid && len <= SSL_MAX_SID_CTX_LENGTH) {
        return join_sid(rec, sid, len, joined) &&
               R()->SSL_CTX_set_session_id_context(ctx, joined, sizeof(joined));
    }
    return R()->SSL_CTX_set_session_id_context(ctx, sid, len);
}

INJ_EXPORT int
SSL_set_session_id_context(SSL *ssl, const unsigned char *sid, unsigned len)
{
    const inj_ctx *rec = ssl_ctx_rec(ssl);
    unsigned char joined[32];

    /* A client's id only marks its sessions, and sslplug sets it per handshake (cb_info.c). */
    if (rec != NULL && rec->server_sid && SSL_is_server(ssl) && len <= SSL_MAX_SID_CTX_LENGTH) {
        return join_sid(rec, sid, len, joined) &&
               R()->SSL_set_session_id_context(ssl, joined, sizeof(joined));
    }
    return R()->SSL_set_session_id_context(ssl, sid, len);
}

/* ---- contexts ---- */

/* Bind the configuration into a new context; 0 when the context must not be used. */
static int
inject(SSL_CTX *ctx)
{
    const inj_state *st = inj_state_get();
    const SSL_METHOD *m = SSL_CTX_get_ssl_method(ctx);
    int client_only = m == TLS_client_method() || m == DTLS_client_method();
    int server_only = m == TLS_server_method() || m == DTLS_server_method();
    sslplug_host *server, *client;
    inj_capture capture = {0};
    unsigned flags = 0;
    sslplug_error err;
    inj_ctx *rec;
    int ok;

    if (!st->ok) {
        if (!st->warn) {
            inj_state_raise(st, NULL);
        }
        return st->warn;
    }
    server = client_only ? NULL : st->host[INJ_SERVER];
    client = server_only ? NULL : st->host[INJ_CLIENT];
    if (server == NULL && client == NULL) {
        return 1;
    }
    pthread_once(&index_once, make_indexes);
    if ((server == NULL || st->settings[INJ_SERVER].add_ca_file) &&
        (client == NULL || st->settings[INJ_CLIENT].add_ca_file)) {
        flags |= SSLPLUG_ROLES_ADD_TRUST;
    }
    if ((rec = calloc(1, sizeof(*rec))) == NULL) {
        inj_state_raise(st, "sslplug-inject: out of memory");
        return 0;
    }
    capture.ctx = ctx;
    inj_capturing = &capture;
    ok = sslplug_ctx_apply_roles(server, client, ctx, flags, &err);
    inj_capturing = NULL;
    if (!ok) {
        char text[SSLPLUG_ERROR_TEXT_MAX];

        free(rec);
        sslplug_error_format(&err, text, sizeof(text));
        inj_warn_once("apply", "%s", text);
        inj_state_raise(st, text);
        return 0;
    }
    rec->host = capture;
    rec->server_sid = server != NULL;
    for (int side = 0; side < 2; side++) {
        int bound = side == INJ_SERVER ? server != NULL : client != NULL;

        rec->verify_entries[side] = bound ? st->verify_entries[side] : 0;
        rec->enforce[side] = st->settings[side].verify == SSLPLUG_INJECT_ENFORCE;
    }
    rec->prog_verify = NULL;
    if (!SSL_CTX_set_ex_data(ctx, atomic_load(&ctx_index), rec)) {
        free(rec);
        inj_state_raise(st, "sslplug-inject: cannot attach to the context");
        return 0;
    }
    /* The pipeline is composed with the program's verification from the start. */
    if (rec->host.verify != NULL) {
        R()->SSL_CTX_set_verify(ctx, effective_mode(rec, R()->SSL_CTX_get_verify_mode(ctx)),
                                inj_verify_cb);
    }
    return 1;
}

INJ_EXPORT SSL_CTX *
SSL_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *meth)
{
    SSL_CTX *ctx = R()->SSL_CTX_new_ex(libctx, propq, meth);

    /* The host's own contexts (while it binds or loads) are its business. */
    if (ctx == NULL || inj_capturing != NULL) {
        return ctx;
    }
    if (!inject(ctx)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}
