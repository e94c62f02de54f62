/*
 * abi_initfail: init always fails.  Given a "path" key in its config it
 * blames that key through services->error; without one it fails without
 * saying why, as a careless plugin would.
 */
#include <string.h>

#include <sslplug/plugin.h>

static int
aif_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    *state = NULL;
    if (strstr(config_json, "\"path\"") != NULL) {
        services->error(handle, "/path", "cannot use path from config %s", config_json);
    }
    return 0;
}

static int
aif_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    return ok;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "abi_initfail",
    .version = "1.0",
    .init = aif_init,
    .verify = aif_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
