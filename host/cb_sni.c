/*
 * servername: accept, reject with unrecognized_name, or switch the
 * connection to one of the configuration's named contexts.  A switch copies
 * what SSL_set_SSL_CTX leaves behind (verification mode, callback, depth,
 * options), so a virtual host that requires client certificates gets them
 * checked; each named context has its own session id context, so a session
 * made for another name is not resumed (the nginx CVE-2025-23419 class).
 */
#include <stdio.h>
#include <string.h>

#include "binding.h"

static SSL_CTX *
find_context(const sslplugi_binding *b, const char *name)
{
    for (size_t i = 0; name != NULL && i < b->sub_count; i++) {
        if (strcmp(b->subs[i].name, name) == 0) {
            return b->subs[i].ctx;
        }
    }
    return NULL;
}

static int
switch_context(SSL *ssl, SSL_CTX *target)
{
    if (SSL_set_SSL_CTX(ssl, target) != target) {
        return 0;
    }
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(target), SSL_CTX_get_verify_callback(target));
    SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(target));
    SSL_set_options(ssl, SSL_CTX_get_options(target));
    return 1;
}

int
sslplugi_servername_cb(SSL *ssl, int *alert, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const char *target_name = NULL, *outcome;
    const sslplugi_instance *inst;
    SSL_CTX *target = NULL;
    int r, result;

    (void)arg;
    if (b == NULL || b->servername == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    inst = b->servername;
    sslplugi_call_begin(inst);
    if (inst->abi) {
        r = inst->fn.servername(inst->state, ssl, name, &target_name);
    } else {
        r = inst->fn.raw_servername(ssl, alert, NULL);
    }
    sslplugi_call_end(inst);
    if (!inst->abi) {
        /* OpenSSL's own results; anything unknown is a rejection. */
        result =
            r == SSL_TLSEXT_ERR_OK || r == SSL_TLSEXT_ERR_NOACK ? r : SSL_TLSEXT_ERR_ALERT_FATAL;
        if (result == SSL_TLSEXT_ERR_ALERT_FATAL && r != SSL_TLSEXT_ERR_ALERT_FATAL) {
            *alert = SSL_AD_UNRECOGNIZED_NAME;
        }
        outcome = result == SSL_TLSEXT_ERR_ALERT_FATAL ? "reject" : "accept";
    } else if (r == SSLPLUG_SNI_ACCEPT) {
        result = SSL_TLSEXT_ERR_OK;
        outcome = "accept";
    } else if (r == SSLPLUG_SNI_SWITCH && (target = find_context(b, target_name)) != NULL &&
               switch_context(ssl, target)) {
        result = SSL_TLSEXT_ERR_OK;
        outcome = "switch";
    } else {
        /* A rejection, or a switch to a context that does not exist: fail closed. */
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        result = SSL_TLSEXT_ERR_ALERT_FATAL;
        outcome = r == SSLPLUG_SNI_SWITCH ? "reject (no such context)" : "reject";
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "name=%s -> %d: %s%s%s", name != NULL ? name : "(none)", r,
                       outcome, target_name != NULL && inst->abi ? " context=" : "",
                       target_name != NULL && inst->abi ? target_name : "");
    }
    return result;
}
