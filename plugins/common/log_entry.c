/* The state of info_log and verify_log entries; see log_entry.h. */
#include "log_entry.h"

#include <stdlib.h>

#include "sslplug_plugin_util.h"

int
sslplugi_log_entry_init(const sslplug_services *services, sslplug_handle *handle,
                        const char *config_json, void **state)
{
    static const char *const keys[] = {"level", NULL};
    static const char *const levels[] = {"debug", "info", NULL};
    static const int level_values[] = {SSLPLUG_LOG_DEBUG, SSLPLUG_LOG_INFO};
    sslplugi_cfg cfg;
    sslplugi_log_entry *le = NULL;
    size_t level = 1;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_choice(&cfg, "level", SSLPLUGI_OPTIONAL, levels, &level)) {
        goto done;
    }
    le = calloc(1, sizeof(*le));
    if (le == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    le->services = services;
    le->handle = handle;
    le->level = level_values[level];
    *state = le;
    ok = 1;

done:
    sslplugi_cfg_close(&cfg);
    return ok;
}

void
sslplugi_log_entry_fini(void *state)
{
    free(state);
}
