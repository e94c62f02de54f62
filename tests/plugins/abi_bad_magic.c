/*
 * abi_bad_magic: the entry point returns something that is not an sslplug
 * descriptor (wrong magic, everything else plausible).
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

static int
abm_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    abort(); /* never bound: the descriptor is refused */
    return ok;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    0xdeadbeefu, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR, (uint32_t)sizeof(sslplug_plugin),
    .name = "abi_bad_magic",
    .version = "1.0",
    .verify = abm_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
