/*
 * cb_verify_reject: a verify entry that rejects the certificate at one
 * depth and passes every other verdict through.  Config: {"depth": N}
 * (default 0) and optionally {"error": CODE}, an X509_V_ERR_* value the
 * entry stores before rejecting, as a plugin with its own reason would.
 */
#include <stdlib.h>

#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

typedef struct reject {
    int depth;
    int error; /* 0: leave the store's error to the host */
} reject;

static int
rej_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    reject *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    r->depth = (int)cb_config_int(config_json, "depth", 0);
    r->error = (int)cb_config_int(config_json, "error", 0);
    *state = r;
    return 1;
}

static void
rej_fini(void *state)
{
    free(state);
}

static int
rej_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const reject *r = state;

    if (X509_STORE_CTX_get_error_depth(store) != r->depth) {
        return ok;
    }
    if (r->error != 0) {
        X509_STORE_CTX_set_error(store, r->error);
    }
    return 0;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cb_verify_reject",
    .version = "1.0",
    .init = rej_init,
    .fini = rej_fini,
    .verify = rej_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
