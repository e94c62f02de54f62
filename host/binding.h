/*
 * The binding of one SSL_CTX, shared by binding.c (which attaches it) and
 * the trampolines (cb_*.c), which find it from the connection.
 */
#ifndef SSLPLUG_HOST_BINDING_H
#define SSLPLUG_HOST_BINDING_H

#include "internal.h"

typedef struct sslplugi_subctx {
    char *name;
    SSL_CTX *ctx;
} sslplugi_subctx;

typedef struct sslplugi_binding {
    sslplugi_instance *password;
    sslplugi_instance *client_cert;
    sslplugi_instance *cert;
    sslplugi_instance *servername;
    sslplugi_instance *keylog;
    sslplugi_instance **verify;
    size_t verify_count;
    sslplugi_instance **info;
    size_t info_count;
    unsigned info_events;  /* union of the info entries' events; 0 when one takes all */
    sslplugi_subctx *subs; /* named contexts the servername callback may switch to */
    size_t sub_count;
    int is_subcontext; /* this binding belongs to one of those */
    int client;        /* a client context: check sessions handed to it */
    char *verify_host; /* client: the SNI sent when the application sends none */
    unsigned char session_id_context[32];
    sslplug_trace_fn trace_fn;
    void *trace_arg;
    unsigned long generation;
} sslplugi_binding;

/* The binding of the connection's current context, or NULL. */
sslplugi_binding *sslplugi_binding_of(const SSL *ssl);
sslplugi_binding *sslplugi_binding_of_ctx(const SSL_CTX *ctx);

/* One trace event; call only when b->trace_fn is set. */
void sslplugi_trace(const sslplugi_binding *b, const sslplugi_instance *inst, const SSL *ssl,
                    const char *fmt, ...) SSLPLUGI_PRINTF(4, 5);

/* Plugins not marked thread-safe get one call at a time per state. */
static inline void
sslplugi_call_begin(const sslplugi_instance *inst)
{
    if (inst->call_lock != NULL) {
        pthread_mutex_lock(inst->call_lock);
    }
}

static inline void
sslplugi_call_end(const sslplugi_instance *inst)
{
    if (inst->call_lock != NULL) {
        pthread_mutex_unlock(inst->call_lock);
    }
}

/* The trampolines OpenSSL calls. */
int sslplugi_password_cb(char *buf, int size, int rwflag, void *u);
int sslplugi_verify_cb(int ok, X509_STORE_CTX *store);
void sslplugi_info_cb(const SSL *ssl, int where, int ret);
int sslplugi_client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey);
int sslplugi_cert_cb(SSL *ssl, void *arg);
int sslplugi_servername_cb(SSL *ssl, int *alert, void *arg);
int sslplugi_client_hello_cb(SSL *ssl, int *alert, void *arg);
void sslplugi_keylog_cb(const SSL *ssl, const char *line);

#endif /* SSLPLUG_HOST_BINDING_H */
