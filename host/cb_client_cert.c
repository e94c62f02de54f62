/*
 * client_cert: the certificate and key a plugin hands OpenSSL when a server
 * asks this client for one, policed so that a bad answer sends nothing and
 * never suspends the handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "binding.h"
#include "types.h"

/*
 * Whether key belongs to cert.  X509_check_private_key is the dearest part
 * of the trampoline (about 9,000 instructions, bench/README.md), and
 * plugins that load their pair once return the same two objects every time:
 * the last pair that passed is remembered, with references so that its
 * addresses cannot be reused by other objects, and not checked again.
 *
 * Every client connection of the configuration asks, so the remembered
 * pair is read without a lock, as a sequence lock: pair_seq is odd while a
 * writer (holding pair_lock) changes the pair, and a read during which it
 * changed is not trusted.  A pair read with pair_seq even and unchanged
 * was the remembered one throughout, kept alive by its references, so
 * equal pointers are the same objects.
 */
static int
pair_known(sslplugi_instance *inst, X509 *cert, EVP_PKEY *key)
{
    unsigned seq = atomic_load(&inst->pair_seq);
    int same = atomic_load(&inst->good_cert) == cert && atomic_load(&inst->good_key) == key;

    return same && seq % 2 == 0 && atomic_load(&inst->pair_seq) == seq;
}

static int
pair_matches(sslplugi_instance *inst, X509 *cert, EVP_PKEY *key)
{
    X509 *old_cert;
    EVP_PKEY *old_key;
    unsigned seq;

    if (pair_known(inst, cert, key)) {
        return 1;
    }
    if (X509_check_private_key(cert, key) != 1 || !X509_up_ref(cert)) {
        return 0;
    }
    if (!EVP_PKEY_up_ref(key)) {
        X509_free(cert);
        return 1; /* it matches; it is just not remembered */
    }
    pthread_mutex_lock(&inst->pair_lock);
    seq = atomic_load(&inst->pair_seq);
    atomic_store(&inst->pair_seq, seq + 1);
    old_cert = atomic_exchange(&inst->good_cert, cert);
    old_key = atomic_exchange(&inst->good_key, key);
    atomic_store(&inst->pair_seq, seq + 2);
    pthread_mutex_unlock(&inst->pair_lock);
    /* A reader still comparing with these sees pair_seq changed. */
    X509_free(old_cert);
    EVP_PKEY_free(old_key);
    return 1;
}

static int
client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    sslplugi_instance *inst;
    const char *why = NULL;
    char subject[256] = "";
    int r;

    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_CLIENT_CERT)) == NULL) {
        return 0;
    }
    *x509 = NULL;
    *pkey = NULL;
    sslplugi_call_begin(inst);
    r = inst->abi ? SSLPLUGI_FN(inst, int (*)(void *, SSL *, X509 **, EVP_PKEY **))(inst->state,
                                                                                    ssl, x509, pkey)
                  : SSLPLUGI_FN(inst, sslplug_raw_client_cert_fn)(ssl, x509, pkey);
    sslplugi_call_end(inst);
    if (r != 0 && r != 1) {
        why = "result is neither 0 nor 1: sending no certificate";
    } else if (r == 1 && (*x509 == NULL || *pkey == NULL)) {
        why = "returned 1 without both a certificate and a key: sending none";
    } else if (r == 1 && !pair_matches(inst, *x509, *pkey)) {
        why = "the key does not match the certificate: sending none";
    }
    if (b->trace_fn != NULL) {
        /* Only the trace wants the subject: not on the untraced path. */
        if (r == 1 && why == NULL) {
            X509_NAME_oneline(X509_get_subject_name(*x509), subject, sizeof(subject));
        }
        sslplugi_trace(b, inst, ssl, "-> %d%s%s%s%s", r, why != NULL ? ": " : "",
                       why != NULL ? why : "", subject[0] != '\0' ? " sending " : "", subject);
    }
    if (r == 1 && why == NULL) {
        return 1;
    }
    /* OpenSSL frees what we hand back; whatever is not sent is freed here. */
    X509_free(*x509);
    EVP_PKEY_free(*pkey);
    *x509 = NULL;
    *pkey = NULL;
    ERR_clear_error();
    return 0;
}

int
sslplugi_client_cert_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                          int own_ctx, sslplug_error *err)
{
    (void)conf;
    (void)own_ctx;
    (void)err;
    if (b->slot[SSLPLUG_CB_CLIENT_CERT].count > 0) {
        SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
    }
    return 1;
}

/* OpenSSL never calls client_cert on a client that has a certificate of its own. */
int
sslplugi_client_cert_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    if (count > 0 && c->context.certificate != NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/callbacks/client_cert",
                           "OpenSSL never calls client_cert when context.certificate is set; "
                           "configure one of them");
        return 0;
    }
    return 1;
}
