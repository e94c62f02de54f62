/*
 * A plugin that exits with status 0 from an ELF constructor, while it is
 * being loaded and before any sslplug code of it runs: `sslplug check` must
 * not take the clean exit for a clean check.
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

__attribute__((constructor)) static void
exit_on_load(void)
{
    exit(0);
}

static void
ctor_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin ctor_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "crash_ctor",
    .version = "1",
    .info = ctor_info,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &ctor_plugin;
}
