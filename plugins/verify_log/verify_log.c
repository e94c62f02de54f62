/*
 * verify_log: log each certificate of the peer's chain with the verdict so
 * far, and pass the verdict through unchanged.  Chained before or after a
 * deciding verify entry, it shows what that entry saw.
 */
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

#include "log_entry.h"
#include "sslplug_plugin_util.h"

static int
vl_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const sslplugi_log_entry *vl = state;
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

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_log",
    .version = "1.0",
    .init = sslplugi_log_entry_init,
    .fini = sslplugi_log_entry_fini,
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
