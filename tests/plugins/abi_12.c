/*
 * abi_12: a plugin built against plugin.h 1.2, before services->checking:
 * its descriptor says minor 2 (its size did not change in 1.3), and it
 * uses only services members of 1.2.  A 1.3 host must load it as before,
 * also when it only checks the configuration.
 */
#include <stddef.h>

#include <sslplug/plugin.h>

static int
a12_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    (void)config_json;
    services->log(handle, SSLPLUG_LOG_INFO, "abi_12 init on host %u.%u",
                  (unsigned)services->abi_major, (unsigned)services->abi_minor);
    *state = NULL;
    return 1;
}

static void
a12_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

static const sslplug_plugin descriptor = {
    .magic = SSLPLUG_PLUGIN_MAGIC,
    .abi_major = 1,
    .abi_minor = 2,
    /* The 1.2 descriptor ended with keylog, as the 1.3 one does. */
    .size =
        (uint32_t)(offsetof(sslplug_plugin, keylog) + sizeof(((const sslplug_plugin *)0)->keylog)),
    .name = "abi_12",
    .version = "1.2",
    .init = a12_init,
    .info = a12_info,
};

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
