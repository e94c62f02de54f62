/*
 * verify: the pipeline of verify entries and its override policy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "binding.h"
#include "types.h"

static void
trace_verify(const sslplugi_binding *b, const sslplugi_instance *inst, X509_STORE_CTX *store,
             const SSL *ssl, int in, int out, int error, const char *note)
{
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    char subject[256] = "(none)";

    if (cert != NULL) {
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    }
    sslplugi_trace(b, inst, ssl, "depth=%d subject=%s ok=%d error=%s -> %d%s%s",
                   X509_STORE_CTX_get_error_depth(store), subject, in,
                   sslplugi_x509_error_name(error), out, note[0] != '\0' ? ": " : "", note);
}

/*
 * The pipeline: each entry gets the previous verdict; by default an entry
 * may only reject.  Turning a failure into success needs "may_override" for
 * the error at hand, and clears the store's error; a rejection leaves an
 * error in the store so SSL_get_verify_result tells the truth.
 */
static int
verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const sslplugi_binding *b = sslplugi_binding_of(ssl);

    if (b == NULL) {
        return 0; /* not our context any more: fail closed */
    }
    for (size_t i = 0; i < b->slot[SSLPLUG_CB_VERIFY].count; i++) {
        const sslplugi_instance *inst = b->slot[SSLPLUG_CB_VERIFY].inst[i];
        int error = X509_STORE_CTX_get_error(store);
        const char *note = "";
        int r;

        sslplugi_call_begin(inst);
        r = inst->abi
                ? SSLPLUGI_FN(inst, int (*)(void *, int, X509_STORE_CTX *))(inst->state, ok, store)
                : SSLPLUGI_FN(inst, sslplug_raw_verify_fn)(ok, store);
        sslplugi_call_end(inst);
        r = r == 1;
        if (!ok && r) {
            if (error != X509_V_OK ? sslplugi_may_override(inst, error) : inst->override_any) {
                X509_STORE_CTX_set_error(store, X509_V_OK);
                note = "override allowed by may_override";
            } else {
                r = 0;
                note = "override not allowed (no may_override for this error): rejected";
            }
        } else if (ok && !r) {
            if (X509_STORE_CTX_get_error(store) == X509_V_OK) {
                X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
            }
            note = "rejected";
        }
        if (b->trace_fn != NULL) {
            trace_verify(b, inst, store, ssl, ok, r, error, note);
        }
        ok = r;
    }
    return ok;
}

static int
verify_mode(const sslplugi_context_conf *conf)
{
    switch (conf->verify) {
    case SSLPLUGI_VERIFY_PEER:
        return SSL_VERIFY_PEER;
    case SSLPLUGI_VERIFY_REQUIRE:
        return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case SSLPLUGI_VERIFY_NONE:
    case SSLPLUGI_VERIFY_UNSET:
    default:
        return SSL_VERIFY_NONE;
    }
}

/* The verification mode is the context's, so it is set with or without entries. */
int
sslplugi_verify_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                     int own_ctx, sslplug_error *err)
{
    (void)own_ctx;
    (void)err;
    if (conf->verify != SSLPLUGI_VERIFY_UNSET) {
        SSL_CTX_set_verify(ctx, verify_mode(conf),
                           b->slot[SSLPLUG_CB_VERIFY].count > 0 ? verify_cb : NULL);
    }
    return 1;
}

int
sslplugi_check_verifies(const sslplugi_config *c, const char *what, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];

    if (c->context.verify == SSLPLUGI_VERIFY_NONE) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/context/verify",
                           "%s configured but verification is \"none\"%s: their verdict would be "
                           "ignored; set \"peer\" or \"require\"",
                           what, c->verify_defaulted ? " (the server default)" : "");
        return 0;
    }
    for (size_t i = 0; i < c->sub_count; i++) {
        if (c->subs[i].conf.verify == SSLPLUGI_VERIFY_NONE) {
            sslplugi_pointer_child(ptr, c->subs[i].pointer, "verify");
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                               "%s configured but this context does not verify: their verdict "
                               "would be ignored",
                               what);
            return 0;
        }
    }
    return 1;
}

/* Verify callbacks whose verdict would be ignored: verification is off somewhere. */
int
sslplugi_verify_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    return count == 0 || sslplugi_check_verifies(c, "verify callbacks are", err);
}

static int
refuse_every_peer_cb(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
}

void
sslplugi_refuse_every_peer(SSL_CTX *ctx)
{
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       refuse_every_peer_cb);
}
