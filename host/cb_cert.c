/*
 * client_cert and cert: certificates a plugin hands to OpenSSL, policed so
 * that a bad answer sends nothing (or aborts) and never suspends the
 * handshake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "binding.h"

/*
 * Whether key belongs to cert.  X509_check_private_key is the dearest part
 * of the trampoline (about 9,000 instructions, bench/README.md), and
 * plugins that load their pair once return the same two objects every time:
 * the last pair that passed is remembered, with references so that its
 * addresses cannot be reused by other objects, and not checked again.
 */
static int
pair_matches(sslplugi_instance *inst, X509 *cert, EVP_PKEY *key)
{
    int known;

    pthread_mutex_lock(&inst->pair_lock);
    known = inst->good_cert == cert && inst->good_key == key;
    pthread_mutex_unlock(&inst->pair_lock);
    if (known) {
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
    X509_free(inst->good_cert);
    EVP_PKEY_free(inst->good_key);
    inst->good_cert = cert;
    inst->good_key = key;
    pthread_mutex_unlock(&inst->pair_lock);
    return 1;
}

int
sslplugi_client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    sslplugi_instance *inst;
    const char *why = NULL;
    char subject[256] = "";
    int r;

    if (b == NULL || b->client_cert == NULL) {
        return 0;
    }
    inst = b->client_cert;
    *x509 = NULL;
    *pkey = NULL;
    sslplugi_call_begin(inst);
    r = inst->abi ? inst->fn.client_cert(inst->state, ssl, x509, pkey)
                  : inst->fn.raw_client_cert(ssl, x509, pkey);
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
sslplugi_cert_cb(SSL *ssl, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    char subject[256] = "(none)";
    STACK_OF(X509) *chain = NULL;
    X509 *leaf;
    int r;

    (void)arg;
    if (b == NULL || b->cert == NULL) {
        return 0; /* not our context any more: fail closed */
    }
    inst = b->cert;
    sslplugi_call_begin(inst);
    r = inst->abi ? inst->fn.cert(inst->state, ssl) : inst->fn.raw_cert(ssl, NULL);
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
