/*
 * servername: accept, reject with unrecognized_name, or switch the
 * connection to one of the configuration's named contexts.
 *
 * An ABI plugin is called from the client hello callback, before OpenSSL
 * looks up a session to resume: OpenSSL's own servername callback runs
 * after that lookup in TLS 1.2, so a session made for one virtual host
 * would be resumed on another, skipping its client certificate check (the
 * nginx CVE-2025-23419 class).  Switched early, the lookup compares the
 * session with the new context's own session id context and refuses it.
 * A switch puts every setting of the named context in force on the
 * connection (context.c), not only what SSL_set_SSL_CTX moves.
 *
 * Names are normalised once, here, before any plugin sees them: lower case,
 * one trailing dot removed ("secure.example." is secure.example, and must
 * not slip past a rule for it onto the main context), and a name that is not
 * a host name is refused without asking the plugin.
 *
 * A raw function has OpenSSL's servername signature and can only accept or
 * reject, so it is bound as OpenSSL's servername callback; it reads the name
 * itself (SSL_get_servername, not normalised), but an invalid one is refused
 * before it is called.
 */
#include <stdio.h>
#include <string.h>

#include "binding.h"
#include "types.h"

/* What the client's ClientHello says of a server name. */
typedef enum hello_name { NAME_NONE, NAME_VALID, NAME_INVALID } hello_name;

/*
 * The host_name of the server_name extension (RFC 6066), normalised into
 * name: none, a valid host name, or something that is not one (malformed
 * extension, or a name outside the rules above).
 */
static hello_name
hello_servername(SSL *ssl, char *name, size_t len)
{
    const unsigned char *p;
    size_t n, list, name_len;

    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n)) {
        return NAME_NONE;
    }
    if (n < 5) {
        return NAME_INVALID;
    }
    list = (size_t)p[0] << 8 | p[1];
    if (list + 2 != n || list < 3 || p[2] != TLSEXT_NAMETYPE_host_name) {
        return NAME_INVALID;
    }
    name_len = (size_t)p[3] << 8 | p[4];
    if (name_len + 3 > list ||
        !sslplugi_servername_normalise((const char *)p + 5, name_len, name, len)) {
        return NAME_INVALID;
    }
    return NAME_VALID;
}

static int
client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    const char *target_name = NULL, *outcome;
    SSL_CTX *target = NULL;
    char name[256];
    hello_name given;
    int r, result;

    (void)arg;
    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_SERVERNAME)) == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    if (b->is_subcontext) {
        /* A second ClientHello after HelloRetryRequest, already switched. */
        return SSL_CLIENT_HELLO_SUCCESS;
    }
    if ((given = hello_servername(ssl, name, sizeof(name))) == NAME_INVALID) {
        /* No plugin is asked about what is not a host name: fail closed. */
        if (b->trace_fn != NULL) {
            sslplugi_trace(b, inst, ssl, "name is not a valid host name: reject");
        }
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_CLIENT_HELLO_ERROR;
    }
    sslplugi_call_begin(inst);
    r = SSLPLUGI_FN(inst, int (*)(void *, SSL *, const char *, const char **))(
        inst->state, ssl, given == NAME_VALID ? name : NULL, &target_name);
    sslplugi_call_end(inst);
    if (r == SSLPLUG_SNI_ACCEPT) {
        result = SSL_CLIENT_HELLO_SUCCESS;
        outcome = "accept";
    } else if (r == SSLPLUG_SNI_SWITCH &&
               (target = sslplugi_subcontext_find(b, target_name)) != NULL &&
               sslplugi_context_switch(ssl, target)) {
        result = SSL_CLIENT_HELLO_SUCCESS;
        outcome = "switch";
    } else {
        /* A rejection, or a switch to a context that does not exist: fail closed. */
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        result = SSL_CLIENT_HELLO_ERROR;
        outcome = r == SSLPLUG_SNI_SWITCH ? "reject (no such context)" : "reject";
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "name=%s -> %d: %s%s%s", given == NAME_VALID ? name : "(none)",
                       r, outcome, target_name != NULL ? " context=" : "",
                       target_name != NULL ? target_name : "");
    }
    return result;
}

static int
servername_cb(SSL *ssl, int *alert, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const sslplugi_instance *inst;
    char normal[256];
    int r, result;

    (void)arg;
    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_SERVERNAME)) == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    if (name != NULL &&
        !sslplugi_servername_normalise(name, strlen(name), normal, sizeof(normal))) {
        if (b->trace_fn != NULL) {
            sslplugi_trace(b, inst, ssl, "name is not a valid host name: reject");
        }
        *alert = SSL_AD_UNRECOGNIZED_NAME;
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    sslplugi_call_begin(inst);
    r = SSLPLUGI_FN(inst, sslplug_raw_servername_fn)(ssl, alert, NULL);
    sslplugi_call_end(inst);
    /* OpenSSL's own results; anything unknown is a rejection. */
    result = r == SSL_TLSEXT_ERR_OK || r == SSL_TLSEXT_ERR_NOACK ? r : SSL_TLSEXT_ERR_ALERT_FATAL;
    if (result == SSL_TLSEXT_ERR_ALERT_FATAL && r != SSL_TLSEXT_ERR_ALERT_FATAL) {
        *alert = SSL_AD_UNRECOGNIZED_NAME;
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "name=%s -> %d: %s", name != NULL ? name : "(none)", r,
                       result == SSL_TLSEXT_ERR_ALERT_FATAL ? "reject" : "accept");
    }
    return result;
}

int
sslplugi_servername_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                         int own_ctx, sslplug_error *err)
{
    const sslplugi_instance *inst = sslplugi_one(b, SSLPLUG_CB_SERVERNAME);

    (void)conf;
    (void)own_ctx;
    (void)err;
    if (inst != NULL && inst->abi) {
        /* Before session lookup: see the top of this file. */
        SSL_CTX_set_client_hello_cb(ctx, client_hello_cb, NULL);
    } else if (inst != NULL) {
        SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    }
    return 1;
}

/* Named contexts are only reached through a servername callback. */
int
sslplugi_servername_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    if (count == 0 && c->has_contexts) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/contexts",
                           "named contexts are only used by a servername callback, and none is "
                           "configured");
        return 0;
    }
    return 1;
}
