/*
 * libsslplug-inject.so: sslplug for programs that were never written for
 * it, loaded with LD_PRELOAD (sslplug run, sslplug-run(1)).
 *
 *  - real.c       OpenSSL's own functions behind the ones interposed here,
 *                 from the libssl.so.3 libsslplug uses;
 *  - state.c      the process's configuration: read from the environment
 *                 once, loaded once, its failure raised as an OpenSSL error;
 *  - interpose.c  the interposed functions: SSL_CTX_new_ex binds both
 *                 sides' callbacks into each new context
 *                 (sslplug_ctx_apply_roles), and the setters a program calls
 *                 afterwards are composed with what sslplug bound instead of
 *                 undoing it.
 *
 * Only the interposed OpenSSL functions are exported.
 */
#ifndef SSLPLUG_INJECT_H
#define SSLPLUG_INJECT_H

#include <openssl/ssl.h>

#include "sslplug/sslplug.h"

typedef void (*inj_info_fn)(const SSL *ssl, int where, int ret);
typedef int (*inj_client_cert_fn)(SSL *ssl, X509 **x509, EVP_PKEY **pkey);
typedef int (*inj_cert_fn)(SSL *ssl, void *arg);
typedef int (*inj_cert_verify_fn)(X509_STORE_CTX *store, void *arg);
typedef int (*inj_sess_new_fn)(SSL *ssl, SSL_SESSION *sess);
typedef SSL_SESSION *(*inj_sess_get_fn)(SSL *ssl, const unsigned char *id, int len, int *copy);
typedef void (*inj_sess_remove_fn)(SSL_CTX *ctx, SSL_SESSION *sess);
typedef int (*inj_ticket_key_fn)(SSL *ssl, unsigned char *name, unsigned char *iv,
                                 EVP_CIPHER_CTX *ctx, EVP_MAC_CTX *hctx, int enc);

/* ---- real.c ---- */

typedef struct inj_real {
    SSL_CTX *(*SSL_CTX_new_ex)(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *meth);
    void (*SSL_CTX_set_verify)(SSL_CTX *ctx, int mode, SSL_verify_cb cb);
    void (*SSL_set_verify)(SSL *ssl, int mode, SSL_verify_cb cb);
    int (*SSL_CTX_get_verify_mode)(const SSL_CTX *ctx);
    int (*SSL_get_verify_mode)(const SSL *ssl);
    SSL_verify_cb (*SSL_CTX_get_verify_callback)(const SSL_CTX *ctx);
    SSL_verify_cb (*SSL_get_verify_callback)(const SSL *ssl);
    void (*SSL_CTX_set_info_callback)(SSL_CTX *ctx, inj_info_fn cb);
    inj_info_fn (*SSL_CTX_get_info_callback)(SSL_CTX *ctx);
    void (*SSL_set_info_callback)(SSL *ssl, inj_info_fn cb);
    inj_info_fn (*SSL_get_info_callback)(const SSL *ssl);
    void (*SSL_CTX_set_keylog_callback)(SSL_CTX *ctx, SSL_CTX_keylog_cb_func cb);
    SSL_CTX_keylog_cb_func (*SSL_CTX_get_keylog_callback)(const SSL_CTX *ctx);
    void (*SSL_CTX_set_client_cert_cb)(SSL_CTX *ctx, inj_client_cert_fn cb);
    inj_client_cert_fn (*SSL_CTX_get_client_cert_cb)(SSL_CTX *ctx);
    void (*SSL_CTX_set_cert_cb)(SSL_CTX *ctx, inj_cert_fn cb, void *arg);
    long (*SSL_CTX_callback_ctrl)(SSL_CTX *ctx, int cmd, void (*fp)(void));
    void (*SSL_CTX_set_cert_verify_callback)(SSL_CTX *ctx, inj_cert_verify_fn cb, void *arg);
    int (*SSL_CTX_set_session_id_context)(SSL_CTX *ctx, const unsigned char *sid, unsigned len);
    int (*SSL_set_session_id_context)(SSL *ssl, const unsigned char *sid, unsigned len);
    void (*SSL_CTX_set_alpn_select_cb)(SSL_CTX *ctx, SSL_CTX_alpn_select_cb_func cb, void *arg);
    void (*SSL_CTX_sess_set_new_cb)(SSL_CTX *ctx, inj_sess_new_fn cb);
    void (*SSL_CTX_sess_set_get_cb)(SSL_CTX *ctx, inj_sess_get_fn cb);
    void (*SSL_CTX_sess_set_remove_cb)(SSL_CTX *ctx, inj_sess_remove_fn cb);
    int (*SSL_CTX_set_tlsext_ticket_key_evp_cb)(SSL_CTX *ctx, inj_ticket_key_fn cb);
} inj_real;

/*
 * The real functions, looked up once (any thread).  why (may be NULL) is
 * set to NULL, or to the reason (static text) why they are not the
 * libssl.so.3 libsslplug uses: then no context may be injected.
 */
const inj_real *inj_real_get(const char **why);

/* ---- state.c ---- */

/* Sides, as indices: sslplug_ctx_apply_roles's server and client configurations. */
enum { INJ_SERVER = 0, INJ_CLIENT = 1 };

typedef struct inj_state {
    int ok;                /* the configuration loaded (or there is none) */
    int warn;              /* it did not, and on_error says warn: go on without it */
    sslplug_host *host[2]; /* NULL: nothing for that side */
    sslplug_inject_settings settings[2];
    size_t verify_entries[2];                  /* verify entries of each side's configuration */
    size_t servername_entries;                 /* of the server configuration */
    const char *program;                       /* executable name, for messages */
    char message[SSLPLUG_ERROR_TEXT_MAX + 64]; /* why it did not load */
} inj_state;

/* The process's configuration, loaded by the first caller (any thread), once. */
const inj_state *inj_state_get(void);
/* Put st's failure on the thread's OpenSSL error queue (and once on stderr). */
void inj_state_raise(const inj_state *st, const char *message);
/* A warning on stderr, once per key (a static string) in the life of the process. */
void inj_warn_once(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- interpose.c ---- */

/*
 * What the host bound while it bound a context (interpose.c captures it
 * from the setters it calls); only while inj_capturing is set on this
 * thread are contexts made without injection (the host's own scratch ones).
 */
/*
 * Callbacks the program's own setter replaces, with no composition: bits of
 * what the host bound (inj_capture.replaced), each warned about once when a
 * program sets its own.
 */
enum {
    INJ_BOUND_CERT_VERIFY = 1u << 0, /* verify_connection */
    INJ_BOUND_ALPN = 1u << 1,        /* alpn, context.alpn */
    INJ_BOUND_STATUS = 1u << 2,      /* status, context.ocsp_staple, context.ocsp */
    INJ_BOUND_SESSIONS = 1u << 3,    /* session_store */
    INJ_BOUND_TICKET_KEYS = 1u << 4  /* ticket_keys */
};

typedef struct inj_capture {
    SSL_CTX *ctx;
    unsigned replaced; /* INJ_BOUND_* */
    SSL_verify_cb verify;
    inj_info_fn info;
    SSL_CTX_keylog_cb_func keylog;
    inj_client_cert_fn client_cert;
    inj_cert_fn cert;
    void *cert_arg;
    unsigned char sid[SSL_MAX_SID_CTX_LENGTH];
    unsigned sid_len;
} inj_capture;

extern _Thread_local inj_capture *inj_capturing;

#endif /* SSLPLUG_INJECT_H */
