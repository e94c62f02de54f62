/*
 * abi_minor_newer: a descriptor from a future minor version of the ABI.  A
 * host must not guess at members it does not know, so it refuses it.
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

static int
amn_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    abort(); /* never bound: the descriptor is refused */
    return ok;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_MAGIC, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR + 1,
    (uint32_t)sizeof(sslplug_plugin),
    .name = "abi_minor_newer",
    .version = "1.0",
    .verify = amn_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
