/*
 * verify_log: log each certificate of the peer's chain with the verdict so
 * far, and pass the verdict through unchanged.  Chained before or after a
 * deciding verify entry, it shows what that entry saw.
 */
#include <stdlib.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

typedef struct verify_log {
    const sslplug_services *services;
    const sslplug_handle *handle;
    int level;
} verify_log;

static int
vl_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const verify_log *vl = state;
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    int err = X509_STORE_CTX_get_error(store);
    char subject[256];
    char issuer[256];

    sslplugi_x509_name(cert != NULL ? X509_get_subject_name(cert) : NULL, subject, sizeof(subject));
    sslplugi_x509_name(cert != NULL ? X509_get_issuer_name(cert) : NULL, issuer, sizeof(issuer));
    vl->services->log(vl->handle, vl->level,
                      "depth=%d ok=%d subject=\"%s\" issuer=\"%s\" error=%d (%s)",
                      X509_STORE_CTX_get_error_depth(store), ok, subject, issuer, err,
                      X509_verify_cert_error_string(err));
    return ok;
}

static int
vl_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"level", NULL};
    static const char *const levels[] = {"debug", "info", NULL};
    static const int level_values[] = {SSLPLUG_LOG_DEBUG, SSLPLUG_LOG_INFO};
    sslplugi_cfg cfg;
    verify_log *vl = NULL;
    size_t level = 1;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_choice(&cfg, "level", SSLPLUGI_OPTIONAL, levels, &level)) {
        goto done;
    }
    vl = calloc(1, sizeof(*vl));
    if (vl == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    vl->services = services;
    vl->handle = handle;
    vl->level = level_values[level];
    *state = vl;
    ok = 1;

done:
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
vl_fini(void *state)
{
    free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_log",
    .version = "1.0",
    .init = vl_init,
    .fini = vl_fini,
    .verify = vl_verify,
    /* Callbacks only read state fixed at init (or lock it themselves). */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
