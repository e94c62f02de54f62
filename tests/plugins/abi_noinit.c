/*
 * abi_noinit: a plugin without init or fini, which the ABI allows for a
 * plugin that takes no "config".  Its verify callback counts its calls in a
 * global that the tests read through abi_noinit_verify_calls().
 */
#include <sslplug/plugin.h>

SSLPLUG_PLUGIN_EXPORT int abi_noinit_verify_calls(void);
SSLPLUG_PLUGIN_EXPORT int abi_noinit_nonnull_states(void);

static int verify_calls;
static int nonnull_states;

static int
ani_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)store;
    verify_calls++;
    /* Without init there is no state: the host must hand back NULL. */
    nonnull_states += state != NULL;
    return ok;
}

int
abi_noinit_verify_calls(void)
{
    return verify_calls;
}

int
abi_noinit_nonnull_states(void)
{
    return nonnull_states;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "abi_noinit",
    .version = "1.0",
    .verify = ani_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
