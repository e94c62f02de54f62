/*
 * status: OCSP stapling through a plugin.  On a server the plugin supplies
 * the response to staple; on a client it decides on the one stapled, after
 * the context's "ocsp" check (ocsp.c) when one is configured, so it can
 * only reject what that check accepted.  Without this callback the
 * context's "ocsp_staple" and "ocsp" settings do it alone (context.c).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "binding.h"
#include "settings.h"
#include "types.h"

typedef int (*abi_status_fn)(void *, SSL *, const unsigned char *, size_t, unsigned char **,
                             size_t *);

static int
call(const sslplugi_instance *inst, SSL *ssl, const unsigned char *response, size_t len,
     unsigned char **staple, size_t *staple_len)
{
    int r;

    sslplugi_call_begin(inst);
    r = inst->abi
            ? SSLPLUGI_FN(inst, abi_status_fn)(inst->state, ssl, response, len, staple, staple_len)
            : SSLPLUGI_FN(inst, sslplug_raw_status_fn)(ssl, NULL);
    sslplugi_call_end(inst);
    return r;
}

/* A server: the plugin's staple, handed to OpenSSL (which frees it). */
static int
server_status(SSL *ssl, const sslplugi_binding *b, const sslplugi_instance *inst)
{
    unsigned char *staple = NULL;
    size_t len = 0;
    int r = call(inst, ssl, NULL, 0, &staple, &len);

    /* A raw function staples with SSL_set_tlsext_status_ocsp_resp itself. */
    if (!inst->abi) {
        r = r == SSL_TLSEXT_ERR_OK ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK;
    } else if (r == SSLPLUG_STATUS_OK && staple != NULL && len > 0 && len <= LONG_MAX) {
        SSL_set_tlsext_status_ocsp_resp(ssl, staple, (long)len);
        staple = NULL;
        r = SSL_TLSEXT_ERR_OK;
    } else {
        r = SSL_TLSEXT_ERR_NOACK;
    }
    OPENSSL_free(staple);
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "server -> %s", r == SSL_TLSEXT_ERR_OK ? "staple" : "none");
    }
    return r;
}

/* A client: the context's check first, then the plugin's word. */
static int
client_status(SSL *ssl, const sslplugi_binding *b, const sslplugi_instance *inst, int mode)
{
    const unsigned char *response = NULL;
    long len = SSL_get_tlsext_status_ocsp_resp(ssl, &response);
    const char *outcome;
    int r;

    if (mode != 0 && mode != SSLPLUGI_OCSP_OFF && !sslplugi_ocsp_check(ssl, mode)) {
        r = 0;
        outcome = "rejected by the \"ocsp\" check; plugin not asked";
    } else {
        r = call(inst, ssl, len > 0 ? response : NULL, len > 0 ? (size_t)len : 0, NULL, NULL);
        if (!inst->abi) {
            r = r > 0;
        } else {
            r = r == SSLPLUG_STATUS_OK;
        }
        if (!r) {
            /* Say which, for SSL_get_verify_result, unless the plugin set a reason. */
            if (SSL_get_verify_result(ssl) == X509_V_OK) {
                SSL_set_verify_result(ssl, X509_V_ERR_APPLICATION_VERIFICATION);
            }
        }
        outcome = r ? "accept" : "reject";
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "client response=%ld bytes -> %s", len > 0 ? len : 0, outcome);
    }
    return r;
}

static int
status_cb(SSL *ssl, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;

    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_STATUS)) == NULL) {
        return SSL_is_server(ssl) ? SSL_TLSEXT_ERR_NOACK : 0; /* fail closed on a client */
    }
    return SSL_is_server(ssl) ? server_status(ssl, b, inst)
                              : client_status(ssl, b, inst, (int)(intptr_t)arg);
}

int
sslplugi_status_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                     int own_ctx, sslplug_error *err)
{
    (void)own_ctx;
    if (b->slot[SSLPLUG_CB_STATUS].count == 0) {
        return 1;
    }
    /* A client asks for the staple it is to judge; the argument is its "ocsp" mode. */
    if ((conf->role == SSLPLUGI_ROLE_CLIENT &&
         !SSL_CTX_set_tlsext_status_type(ctx, TLSEXT_STATUSTYPE_ocsp)) ||
        !SSL_CTX_set_tlsext_status_cb(ctx, status_cb) ||
        !SSL_CTX_set_tlsext_status_arg(ctx, (void *)(intptr_t)conf->ocsp)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, "/callbacks/status", "refused by OpenSSL");
        return 0;
    }
    return 1;
}

static int
staple_given(const sslplugi_context_conf *conf)
{
    return conf->ocsp_staple != NULL;
}

/* A server's staple comes from one place: the plugin, or "ocsp_staple". */
int
sslplugi_status_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    return count == 0 || sslplugi_settings_refuse(c, staple_given, "ocsp_staple",
                                                  "a status callback supplies the staple", err);
}
