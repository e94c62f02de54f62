/*
 * A plugin whose init crashes (config {"how": "segv"|"abort"}) or hangs
 * ({"how": "hang"}): `sslplug check` must survive it and say so.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sslplug/plugin.h>

static int
crash_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
           void **state)
{
    (void)services;
    (void)handle;
    *state = NULL;
    if (strstr(config_json, "hang") != NULL) {
        for (;;) {
            pause();
        }
    }
    if (strstr(config_json, "abort") != NULL) {
        abort();
    }
    raise(SIGSEGV);
    return 0;
}

static void
crash_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin crash_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "crash_init",
    .version = "1",
    .init = crash_init,
    .info = crash_info,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &crash_plugin;
}
