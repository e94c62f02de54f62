/*
 * abi_major: a well-formed descriptor that claims the next ABI major
 * version.  The host must refuse it before calling anything in it.
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

static int
am_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    abort(); /* never bound: the descriptor is refused */
    return ok;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_MAGIC, SSLPLUG_ABI_MAJOR + 1, 0, (uint32_t)sizeof(sslplug_plugin),
    .name = "abi_major",
    .version = "1.0",
    .verify = am_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
