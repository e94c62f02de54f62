/*
 * abi_size_large: a descriptor that claims to be larger than any the host
 * knows at this minor version.  The claimed bytes really exist (the struct
 * is padded out), so a host that read them anyway would not crash; it must
 * refuse the size instead.
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

static int
asl_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    abort(); /* never bound: the descriptor is refused */
    return ok;
}

static const struct {
    sslplug_plugin d;
    void *tail[2];
} image = {
    .d =
        {
            SSLPLUG_PLUGIN_MAGIC,
            SSLPLUG_ABI_MAJOR,
            SSLPLUG_ABI_MINOR,
            (uint32_t)sizeof(sslplug_plugin) + 2 * sizeof(void *),
            .name = "abi_size_large",
            .version = "1.0",
            .verify = asl_verify,
        },
    .tail = {NULL, NULL},
};

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &image.d;
}
