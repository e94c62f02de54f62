/*
 * t14: the ABI 1.4 callback types in one test plugin, each logging what it
 * was given (services->log) so a test can see the call.  Config keys:
 *   "pick": "h2"          alpn: select this protocol (it must be offered)
 *   "bogus": "1"          alpn: select a protocol that is not in the list
 *   "alpn_result": "none" alpn: return SSLPLUG_ALPN_NONE ("reject": REJECT)
 *   "staple": "/abs.der"  status, server: staple this file
 *   "status_reject": "1"  status, client: reject whatever was stapled
 *   "status_revoked": "1" status, client: reject a staple that says "revoked"
 *                         (read by the plugin itself, with the "ocsp" setting off)
 *   "vc_reject": "why"    verify_connection: reject with this reason
 * A raw form of alpn and status: t14_raw_alpn (selects "http/1.1") and
 * t14_raw_status (a client accepting anything).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

typedef struct t14 {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char pick[64], alpn_result[16], staple[512], vc_reject[128];
    int bogus, status_reject, status_revoked;
} t14;

static int
t_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
       void **state)
{
    t14 *t = calloc(1, sizeof(*t));
    char flag[8];

    if (t == NULL) {
        return 0;
    }
    t->services = services;
    t->handle = handle;
    cb_config_string(config_json, "pick", t->pick, sizeof(t->pick));
    cb_config_string(config_json, "alpn_result", t->alpn_result, sizeof(t->alpn_result));
    cb_config_string(config_json, "staple", t->staple, sizeof(t->staple));
    cb_config_string(config_json, "vc_reject", t->vc_reject, sizeof(t->vc_reject));
    t->bogus = cb_config_string(config_json, "bogus", flag, sizeof(flag));
    t->status_reject = cb_config_string(config_json, "status_reject", flag, sizeof(flag));
    t->status_revoked = cb_config_string(config_json, "status_revoked", flag, sizeof(flag));
    *state = t;
    return 1;
}

static void
t_fini(void *state)
{
    free(state);
}

static int
t_alpn(void *state, SSL *ssl, const unsigned char *offered, unsigned int len,
       const unsigned char **out, unsigned char *outlen)
{
    static const unsigned char elsewhere[] = "h2";
    const t14 *t = state;

    (void)ssl;
    t->services->log(t->handle, SSLPLUG_LOG_INFO, "alpn offered %u bytes", len);
    if (strcmp(t->alpn_result, "none") == 0) {
        return SSLPLUG_ALPN_NONE;
    }
    if (strcmp(t->alpn_result, "reject") == 0) {
        return SSLPLUG_ALPN_REJECT;
    }
    if (t->bogus) {
        *out = elsewhere;
        *outlen = 2;
        return SSLPLUG_ALPN_SELECT;
    }
    for (unsigned i = 0; i < len; i += 1u + offered[i]) {
        if (offered[i] == strlen(t->pick) && memcmp(offered + i + 1, t->pick, offered[i]) == 0) {
            *out = offered + i + 1;
            *outlen = offered[i];
            return SSLPLUG_ALPN_SELECT;
        }
    }
    return SSLPLUG_ALPN_REJECT;
}

/* Whether a DER OCSP response says "revoked" of any certificate it is about. */
static int
says_revoked(const unsigned char *der, size_t len)
{
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &der, (long)len);
    OCSP_BASICRESP *basic = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;
    int revoked = 0;

    for (int i = 0; basic != NULL && i < OCSP_resp_count(basic); i++) {
        revoked |= OCSP_single_get0_status(OCSP_resp_get0(basic, i), NULL, NULL, NULL, NULL) ==
                   V_OCSP_CERTSTATUS_REVOKED;
    }
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(resp);
    return revoked;
}

static int
t_status(void *state, SSL *ssl, const unsigned char *response, size_t len, unsigned char **staple,
         size_t *staple_len)
{
    const t14 *t = state;
    FILE *f;
    long n;

    if (!SSL_is_server(ssl)) {
        t->services->log(t->handle, SSLPLUG_LOG_INFO, "status client response %zu bytes%s", len,
                         response == NULL ? " (none)" : "");
        if (t->status_revoked && response != NULL && says_revoked(response, len)) {
            t->services->log(t->handle, SSLPLUG_LOG_INFO, "status client: the staple says revoked");
            return SSLPLUG_STATUS_REJECT;
        }
        return t->status_reject ? SSLPLUG_STATUS_REJECT : SSLPLUG_STATUS_OK;
    }
    if (t->staple[0] == '\0' || (f = fopen(t->staple, "rb")) == NULL) {
        return SSLPLUG_STATUS_NONE;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    if (n <= 0 || (*staple = OPENSSL_malloc((size_t)n)) == NULL ||
        fread(*staple, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return SSLPLUG_STATUS_NONE;
    }
    fclose(f);
    *staple_len = (size_t)n;
    t->services->log(t->handle, SSLPLUG_LOG_INFO, "status server stapled %ld bytes", n);
    return SSLPLUG_STATUS_OK;
}

static int
t_verify_connection(void *state, SSL *ssl, STACK_OF(X509) *chain, const char *servername,
                    const char *alpn, int version, const char **reason)
{
    const t14 *t = state;
    char subject[256] = "(none)";

    (void)ssl;
    if (sk_X509_num(chain) > 0) {
        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, 0)), subject, sizeof(subject));
    }
    t->services->log(t->handle, SSLPLUG_LOG_INFO,
                     "verify_connection chain=%d leaf=%s name=%s alpn=%s version=0x%04x",
                     sk_X509_num(chain), subject, servername != NULL ? servername : "(none)",
                     alpn != NULL ? alpn : "(none)", (unsigned)version);
    if (t->vc_reject[0] != '\0') {
        *reason = t->vc_reject;
        return 0;
    }
    return 1;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "t14",
    .version = "1.0",
    .init = t_init,
    .fini = t_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .alpn = t_alpn,
    .status = t_status,
    .verify_connection = t_verify_connection,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}

/* Raw forms, OpenSSL's own signatures. */
SSLPLUG_PLUGIN_EXPORT int t14_raw_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                       const unsigned char *in, unsigned int inlen, void *arg);
SSLPLUG_PLUGIN_EXPORT int t14_raw_status(SSL *ssl, void *arg);

int
t14_raw_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
             unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
        if (in[i] == 8 && memcmp(in + i + 1, "http/1.1", 8) == 0) {
            *out = in + i + 1;
            *outlen = 8;
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

int
t14_raw_status(SSL *ssl, void *arg)
{
    (void)ssl;
    (void)arg;
    return 1;
}
