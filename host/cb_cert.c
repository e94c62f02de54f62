/*
 * cert: a full chain and key a plugin sets on the connection, on either
 * side, before the certificate is sent; any result but 1 aborts, and the
 * callback can never suspend the handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "binding.h"
#include "types.h"

static int
cert_cb(SSL *ssl, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    char subject[256] = "(none)";
    STACK_OF(X509) *chain = NULL;
    X509 *leaf;
    int r;

    (void)arg;
    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_CERT)) == NULL) {
        /* Not our context any more: fail closed; or a side of roles.c without one. */
        return b != NULL && b->role_member;
    }
    sslplugi_call_begin(inst);
    r = inst->abi ? SSLPLUGI_FN(inst, int (*)(void *, SSL *))(inst->state, ssl)
                  : SSLPLUGI_FN(inst, sslplug_raw_cert_fn)(ssl, NULL);
    sslplugi_call_end(inst);
    if (b->trace_fn != NULL) {
        if ((leaf = SSL_get_certificate(ssl)) != NULL) {
            X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof(subject));
        }
        SSL_get0_chain_certs(ssl, &chain);
        sslplugi_trace(b, inst, ssl, "side=%s -> %d%s certificate %s chain %d%s",
                       SSL_is_server(ssl) ? "server" : "client", r, r == 1 ? "" : ": aborting,",
                       subject, chain != NULL ? sk_X509_num(chain) : 0,
                       r == 1 || r == 0 ? "" : " (a result other than 0 or 1 counts as 0)");
    }
    /* Never a negative result: that would suspend the handshake. */
    return r == 1 ? 1 : 0;
}

int
sslplugi_cert_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                   int own_ctx, sslplug_error *err)
{
    (void)conf;
    (void)own_ctx;
    (void)err;
    if (b->slot[SSLPLUG_CB_CERT].count > 0) {
        SSL_CTX_set_cert_cb(ctx, cert_cb, NULL);
    }
    return 1;
}
