/*
 * abi_size_small: a descriptor whose size stops before `version`, so not
 * even the members every ABI version has are inside it.
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

static int
ass_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    abort(); /* never bound: the descriptor is refused */
    return ok;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_MAGIC, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR,
    (uint32_t)offsetof(sslplug_plugin, version),
    .name = "abi_size_small",
    .version = "1.0",
    .verify = ass_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
