/*
 * verify_connection: one decision per handshake about the peer as a whole
 * (Go's VerifyConnection): the verified chain, the server name, the ALPN
 * protocol and the version.  It is bound as the context's certificate
 * verification (SSL_CTX_set_cert_verify_callback), which first runs
 * OpenSSL's verification with the verify pipeline (cb_verify.c) exactly as
 * without it; the plugin is asked only when that accepted the chain, so it
 * can reject but never accept what the pipeline rejected.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "binding.h"
#include "types.h"

typedef int (*abi_verify_connection_fn)(void *, SSL *, STACK_OF(X509) *, const char *, const char *,
                                        int, const char **);

static int
verify_connection_cb(X509_STORE_CTX *store, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    const unsigned char *proto = NULL;
    const char *sni, *reason = NULL;
    char alpn[256] = "", name[256], why[256] = "";
    unsigned proto_len = 0;
    int ok, r;

    (void)arg;
    if (b != NULL && b->role_member && sslplugi_one(b, SSLPLUG_CB_VERIFY_CONNECTION) == NULL) {
        /* A side of roles.c without an entry: the context-wide callback is the other side's. */
        return X509_verify_cert(store);
    }
    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_VERIFY_CONNECTION)) == NULL) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return 0; /* not our context any more: fail closed */
    }
    /* The certificates, one by one, through OpenSSL and the verify entries. */
    if ((ok = X509_verify_cert(store)) <= 0) {
        if (b->trace_fn != NULL) {
            sslplugi_trace(b, inst, ssl, "not called: the chain was rejected (%s)",
                           X509_verify_cert_error_string(X509_STORE_CTX_get_error(store)));
        }
        return ok;
    }
    SSL_get0_alpn_selected(ssl, &proto, &proto_len);
    if (proto_len > 0) {
        snprintf(alpn, sizeof(alpn), "%.*s", (int)proto_len, (const char *)proto);
    }
    /* A server hands on the SNI name in the host's one form, as servername plugins get it. */
    sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (sni != NULL && SSL_is_server(ssl)) {
        sni = sslplugi_servername_normalise(sni, strlen(sni), name, sizeof(name)) ? name : NULL;
    }
    sslplugi_call_begin(inst);
    r = SSLPLUGI_FN(inst, abi_verify_connection_fn)(
        inst->state, ssl, X509_STORE_CTX_get0_chain(store), sni, proto_len > 0 ? alpn : NULL,
        SSL_version(ssl), &reason);
    /*
     * The reason is valid only until the call ends: a plugin that is not
     * thread-safe may keep it in its state, which the next call (on another
     * thread, once the lock is released) overwrites.
     */
    if (reason != NULL) {
        snprintf(why, sizeof(why), "%s", reason);
        reason = why;
    }
    sslplugi_call_end(inst);
    r = r == 1;
    if (!r) {
        char msg[512];

        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        /* The reason is the plugin's word to the operator: in the log, not only the trace. */
        snprintf(msg, sizeof(msg), "the connection is rejected: %s",
                 reason != NULL ? reason : "(no reason given)");
        sslplugi_log_emit(inst->log_fn, inst->log_arg, SSLPLUG_LOG_WARNING, inst->label, msg);
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "chain=%d name=%s alpn=%s version=%s -> %s%s%s",
                       sk_X509_num(X509_STORE_CTX_get0_chain(store)), sni != NULL ? sni : "(none)",
                       proto_len > 0 ? alpn : "(none)", SSL_get_version(ssl),
                       r ? "accept" : "reject", reason != NULL ? ": " : "",
                       reason != NULL ? reason : "");
    }
    return r;
}

int
sslplugi_verify_connection_bind(SSL_CTX *ctx, sslplugi_binding *b,
                                const sslplugi_context_conf *conf, int own_ctx, sslplug_error *err)
{
    (void)conf;
    (void)own_ctx;
    (void)err;
    if (b->slot[SSLPLUG_CB_VERIFY_CONNECTION].count > 0) {
        SSL_CTX_set_cert_verify_callback(ctx, verify_connection_cb, NULL);
    }
    return 1;
}

int
sslplugi_verify_connection_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    return count == 0 || sslplugi_check_verifies(c, "a verify_connection callback is", err);
}
