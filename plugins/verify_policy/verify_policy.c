/*
 * verify_policy: reject chains that break organisational rules OpenSSL's
 * security level does not express (key sizes per algorithm, SHA-1
 * signatures, the leaf's lifetime and extended key usage), saying which
 * rule and setting a fitting X509_V_ERR_* code.  It can only reject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

#define SECONDS_PER_DAY 86400

typedef struct verify_policy {
    const sslplug_services *services;
    const sslplug_handle *handle;
    long long min_rsa_bits; /* 0: no rule */
    long long min_ec_bits;  /* 0: no rule */
    int forbid_sha1;
    long long max_validity_days; /* 0: no rule */
    uint32_t require_eku;        /* XKU_SSL_SERVER, XKU_SSL_CLIENT, or 0 */
    const char *eku_name;
} verify_policy;

/* A broken rule: the code for the store and a sentence for the log. */
typedef struct breach {
    int error;
    char why[256];
} breach;

/* Key sizes, for every certificate of the chain. */
static int
check_key(const verify_policy *p, X509 *cert, int depth, breach *b)
{
    EVP_PKEY *pkey = X509_get0_pubkey(cert);
    const char *rule = NULL, *alg = NULL;
    long long min = 0;
    int bits;

    if (pkey == NULL) {
        return 1; /* OpenSSL has already failed such a certificate */
    }
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS:
        rule = "min_rsa_bits";
        alg = "RSA";
        min = p->min_rsa_bits;
        break;
    case EVP_PKEY_EC:
        rule = "min_ec_bits";
        alg = "EC";
        min = p->min_ec_bits;
        break;
    default:
        return 1; /* the rules name RSA and EC only */
    }
    bits = EVP_PKEY_get_bits(pkey);
    if (bits >= min) {
        return 1;
    }
    b->error = depth == 0 ? X509_V_ERR_EE_KEY_TOO_SMALL : X509_V_ERR_CA_KEY_TOO_SMALL;
    snprintf(b->why, sizeof(b->why), "%s: a %d-bit %s key, expected at least %lld", rule, bits, alg,
             min);
    return 0;
}

/* The signature on every certificate but a self-signed one at the top (nobody relies on it). */
static int
check_signature(const verify_policy *p, X509_STORE_CTX *store, X509 *cert, int depth, breach *b)
{
    static const int weak[] = {NID_sha1, NID_md5, NID_md5_sha1, NID_md4, NID_md2, NID_mdc2};
    STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(store);
    int mdnid = NID_undef;

    if (!p->forbid_sha1) {
        return 1;
    }
    if (chain != NULL && depth == sk_X509_num(chain) - 1 &&
        (X509_get_extension_flags(cert) & EXFLAG_SS) != 0) {
        return 1;
    }
    if (!X509_get_signature_info(cert, &mdnid, NULL, NULL, NULL)) {
        return 1; /* no digest to judge (Ed25519, or OpenSSL does not know it) */
    }
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
        if (mdnid == weak[i]) {
            b->error = X509_V_ERR_CA_MD_TOO_WEAK;
            snprintf(b->why, sizeof(b->why), "forbid_sha1: signed with %s", OBJ_nid2sn(mdnid));
            return 0;
        }
    }
    return 1;
}

static int
check_validity(const verify_policy *p, X509 *leaf, breach *b)
{
    int days = 0, secs = 0;
    long long total;

    if (p->max_validity_days == 0) {
        return 1;
    }
    if (!ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(leaf), X509_get0_notAfter(leaf))) {
        b->error = X509_V_ERR_APPLICATION_VERIFICATION;
        snprintf(b->why, sizeof(b->why), "max_validity_days: unreadable validity period");
        return 0;
    }
    total = (long long)days * SECONDS_PER_DAY + secs;
    if (total <= p->max_validity_days * SECONDS_PER_DAY) {
        return 1;
    }
    b->error = X509_V_ERR_APPLICATION_VERIFICATION;
    snprintf(b->why, sizeof(b->why),
             "max_validity_days: valid for %lld days, expected at most %lld",
             (total + SECONDS_PER_DAY - 1) / SECONDS_PER_DAY, p->max_validity_days);
    return 0;
}

/* The purpose must be stated: no extension (any purpose) or anyExtendedKeyUsage is not enough. */
static int
check_eku(const verify_policy *p, X509 *leaf, breach *b)
{
    if (p->require_eku == 0) {
        return 1;
    }
    if ((X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) == 0) {
        b->error = X509_V_ERR_INVALID_PURPOSE;
        snprintf(b->why, sizeof(b->why), "require_eku: no extendedKeyUsage, expected %s",
                 p->eku_name);
        return 0;
    }
    if ((X509_get_extended_key_usage(leaf) & p->require_eku) == 0) {
        b->error = X509_V_ERR_INVALID_PURPOSE;
        snprintf(b->why, sizeof(b->why), "require_eku: extendedKeyUsage lacks %s", p->eku_name);
        return 0;
    }
    return 1;
}

static int
vpol_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const verify_policy *p = state;
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    int depth = X509_STORE_CTX_get_error_depth(store);
    breach b;
    char subject[256];

    if (!ok || cert == NULL) {
        return 0;
    }
    if (check_key(p, cert, depth, &b) && check_signature(p, store, cert, depth, &b) &&
        (depth > 0 || (check_validity(p, cert, &b) && check_eku(p, cert, &b)))) {
        return 1;
    }
    sslplugi_x509_name(X509_get_subject_name(cert), subject, sizeof(subject));
    p->services->log(p->handle, SSLPLUG_LOG_WARNING, "depth %d \"%s\" breaks rule %s: rejected",
                     depth, subject, b.why);
    X509_STORE_CTX_set_error(store, b.error);
    return 0;
}

static int
vpol_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
          void **state)
{
    static const char *const keys[] = {"min_rsa_bits",      "min_ec_bits", "forbid_sha1",
                                       "max_validity_days", "require_eku", NULL};
    static const char *const ekus[] = {"serverAuth", "clientAuth", NULL};
    static const uint32_t eku_bits[] = {XKU_SSL_SERVER, XKU_SSL_CLIENT};
    sslplugi_cfg cfg;
    verify_policy *p = NULL;
    size_t eku = SIZE_MAX;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys)) {
        goto done;
    }
    if ((p = calloc(1, sizeof(*p))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (!sslplugi_cfg_int(&cfg, "min_rsa_bits", SSLPLUGI_OPTIONAL, 512, 16384, &p->min_rsa_bits) ||
        !sslplugi_cfg_int(&cfg, "min_ec_bits", SSLPLUGI_OPTIONAL, 160, 571, &p->min_ec_bits) ||
        !sslplugi_cfg_bool(&cfg, "forbid_sha1", SSLPLUGI_OPTIONAL, &p->forbid_sha1) ||
        !sslplugi_cfg_int(&cfg, "max_validity_days", SSLPLUGI_OPTIONAL, 1, 36500,
                          &p->max_validity_days) ||
        !sslplugi_cfg_choice(&cfg, "require_eku", SSLPLUGI_OPTIONAL, ekus, &eku)) {
        goto done;
    }
    if (json_object_size(cfg.root) == 0) {
        sslplugi_cfg_error(&cfg, "",
                           "no rule configured: expected at least one of \"min_rsa_bits\", "
                           "\"min_ec_bits\", \"forbid_sha1\", \"max_validity_days\", "
                           "\"require_eku\"");
        goto done;
    }
    if (eku != SIZE_MAX) {
        p->require_eku = eku_bits[eku];
        p->eku_name = ekus[eku];
    }
    p->services = services;
    p->handle = handle;
    *state = p;
    p = NULL;
    ok = 1;

done:
    free(p);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
vpol_fini(void *state)
{
    free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_policy",
    .version = "1.0",
    .init = vpol_init,
    .fini = vpol_fini,
    .verify = vpol_verify,
    /* Callbacks only read state fixed at init. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
