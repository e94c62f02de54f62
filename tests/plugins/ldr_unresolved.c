/*
 * ldr_unresolved: a plugin that needs a function nothing defines.  Linked
 * as a module, the reference stays undefined; the host's RTLD_NOW must turn
 * that into a load error instead of a crash in the middle of a handshake.
 */
#include <sslplug/plugin.h>

/* Defined nowhere, on purpose. */
extern int ldr_unresolved_nowhere(int ok);

static int
lu_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    return ldr_unresolved_nowhere(ok);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "ldr_unresolved",
    .version = "1.0",
    .verify = lu_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
