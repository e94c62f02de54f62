/*
 * cb_verify_record: a verify entry that changes nothing and reports what it
 * saw.  Each call logs "<tag> depth=N ok=N error=N" through the host's log
 * service, so a test with a log sink can read the pipeline's order and the
 * verdict each entry was handed.  Config: {"tag": "name"} (default "record").
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

typedef struct record {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char tag[32];
} record;

static int
rec_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    record *r = calloc(1, sizeof(*r));

    if (r == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    r->services = services;
    r->handle = handle;
    if (!cb_config_string(config_json, "tag", r->tag, sizeof(r->tag))) {
        strcpy(r->tag, "record");
    }
    *state = r;
    return 1;
}

static void
rec_fini(void *state)
{
    free(state);
}

static int
rec_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const record *r = state;

    r->services->log(r->handle, SSLPLUG_LOG_INFO, "%s depth=%d ok=%d error=%d", r->tag,
                     X509_STORE_CTX_get_error_depth(store), ok, X509_STORE_CTX_get_error(store));
    return ok;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cb_verify_record",
    .version = "1.0",
    .init = rec_init,
    .fini = rec_fini,
    .verify = rec_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
