/*
 * verify_pin: accept a peer only if its certificate's public key is one of
 * the configured pins (curl's --pinnedpubkey format), on top of OpenSSL's
 * verification; with "override", also a pinned peer OpenSSL rejected (a
 * self-signed service), where the entry's may_override allows it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "spki_pin.h"
#include "sslplug_plugin_util.h"

/* A chain longer than this is not followed further (OpenSSL's default depth is 100). */
#define MAX_PATH 32

typedef struct verify_pin {
    const sslplug_services *services;
    const sslplug_handle *handle;
    unsigned char (*pins)[SSLPLUGI_PIN_DIGEST_LEN];
    size_t pin_count;
    int any_depth; /* "depth": "any" */
    int override;
} verify_pin;

/* 1 if cert's key is pinned, 0 if not, -1 when its digest cannot be had. */
static int
cert_pinned(const verify_pin *vp, const X509 *cert)
{
    unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN];

    if (!sslplugi_pin_digest(cert, digest)) {
        return -1;
    }
    for (size_t i = 0; i < vp->pin_count; i++) {
        if (memcmp(digest, vp->pins[i], sizeof(digest)) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The certificate in chain or untrusted that issued and signed cert, or NULL. */
static X509 *
find_issuer(X509 *cert, STACK_OF(X509) *const stacks[2])
{
    for (int s = 0; s < 2; s++) {
        for (int i = 0; stacks[s] != NULL && i < sk_X509_num(stacks[s]); i++) {
            X509 *c = sk_X509_value(stacks[s], i);

            if (c != cert && X509_check_issued(c, cert) == X509_V_OK &&
                X509_verify(cert, X509_get0_pubkey(c)) == 1) {
                return c;
            }
        }
    }
    return NULL;
}

/*
 * "any": is a certificate on the path from the leaf up pinned?  The path
 * follows issuers whose signature checks, through the verified chain and
 * what the peer sent: a pinned CA certificate the peer merely sent along,
 * without it having signed the path, proves nothing.  This matters when
 * verification failed (the chain is then only what the peer sent) and when
 * an earlier entry overrode an error in the chain.
 */
static int
path_pinned(const verify_pin *vp, X509_STORE_CTX *store)
{
    STACK_OF(X509) *const stacks[2] = {X509_STORE_CTX_get0_chain(store),
                                       X509_STORE_CTX_get0_untrusted(store)};
    X509 *cert = X509_STORE_CTX_get0_cert(store);

    for (int n = 0; cert != NULL && n < MAX_PATH; n++) {
        int r = cert_pinned(vp, cert);

        if (r != 0) {
            return r;
        }
        if (X509_check_issued(cert, cert) == X509_V_OK) {
            break; /* self-issued: the top */
        }
        cert = find_issuer(cert, stacks);
    }
    return 0;
}

static void
log_unpinned(const verify_pin *vp, X509_STORE_CTX *store)
{
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN];
    char pin[SSLPLUGI_PIN_TEXT_MAX] = "(unknown)";
    char subject[256];

    if (leaf != NULL && sslplugi_pin_digest(leaf, digest)) {
        sslplugi_pin_format(digest, pin);
    }
    sslplugi_x509_name(leaf != NULL ? X509_get_subject_name(leaf) : NULL, subject, sizeof(subject));
    vp->services->log(vp->handle, SSLPLUG_LOG_WARNING,
                      "no pin matches %s chain: leaf \"%s\" has pin %s",
                      vp->any_depth ? "any certificate of the" : "the leaf of the", subject, pin);
}

/*
 * The decision is made at depth 0, when the whole chain has been seen;
 * above it a good verdict is passed on.  A failure anywhere is only turned
 * into success with "override", for a pinned chain.
 */
static int
vp_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const verify_pin *vp = state;
    int depth = X509_STORE_CTX_get_error_depth(store);
    int pinned;

    if (ok && depth > 0) {
        return 1;
    }
    if (!ok && !vp->override) {
        return 0;
    }
    pinned =
        vp->any_depth ? path_pinned(vp, store) : cert_pinned(vp, X509_STORE_CTX_get0_cert(store));
    if (pinned < 0) {
        vp->services->log(vp->handle, SSLPLUG_LOG_ERROR,
                          "cannot compute the public key digest: rejecting");
        pinned = 0;
    }
    if (!ok) {
        if (pinned) {
            int error = X509_STORE_CTX_get_error(store);
            vp->services->log(vp->handle, SSLPLUG_LOG_INFO,
                              "pinned: overriding error %d (%s) at depth %d", error,
                              X509_verify_cert_error_string(error), depth);
        }
        return pinned;
    }
    if (!pinned) {
        log_unpinned(vp, store);
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    }
    return pinned;
}

static void
vp_free(verify_pin *vp)
{
    if (vp != NULL) {
        free(vp->pins);
        free(vp);
    }
}

static int
read_pins(const sslplugi_cfg *cfg, verify_pin *vp)
{
    char **texts = NULL;
    size_t count = 0;
    int ok = 0;

    if (!sslplugi_cfg_strings(cfg, "pins", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &texts, &count)) {
        return 0;
    }
    vp->pins = calloc(count, sizeof(*vp->pins));
    if (vp->pins == NULL) {
        sslplugi_cfg_error(cfg, "pins", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (!sslplugi_pin_parse(texts[i], vp->pins[i])) {
            sslplugi_cfg_element_error(cfg, "pins", i,
                                       "not a pin: expected \"sha256//\" and the 44-character "
                                       "base64 of a SHA-256 digest, found \"%s\"",
                                       texts[i]);
            goto done;
        }
    }
    vp->pin_count = count;
    ok = 1;

done:
    sslplugi_strings_free(texts);
    return ok;
}

static int
vp_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"pins", "depth", "override", NULL};
    static const char *const depths[] = {"leaf", "any", NULL};
    sslplugi_cfg cfg;
    verify_pin *vp = NULL;
    size_t depth = 0;
    int override = 0;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_choice(&cfg, "depth", SSLPLUGI_OPTIONAL, depths, &depth) ||
        !sslplugi_cfg_bool(&cfg, "override", SSLPLUGI_OPTIONAL, &override)) {
        goto done;
    }
    vp = calloc(1, sizeof(*vp));
    if (vp == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (!read_pins(&cfg, vp)) {
        goto done;
    }
    if (override) {
        sslplugi_cfg_check_override(&cfg, "verify_pin");
    }
    vp->services = services;
    vp->handle = handle;
    vp->any_depth = depth == 1;
    vp->override = override;
    *state = vp;
    vp = NULL;
    ok = 1;

done:
    vp_free(vp);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
vp_fini(void *state)
{
    vp_free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_pin",
    .version = "1.0",
    .init = vp_init,
    .fini = vp_fini,
    .verify = vp_verify,
    /* Callbacks only read state fixed at init. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
