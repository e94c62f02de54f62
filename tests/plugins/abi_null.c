/* abi_null: an entry point that has no descriptor to give. */
#include <stddef.h>

#include <sslplug/plugin.h>

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return NULL;
}
