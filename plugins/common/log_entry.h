/*
 * The state, init and fini of an entry whose only setting is the level its
 * lines are logged at ("level": "debug" or "info", default "info"): shared
 * by info_log and verify_log, which differ only in the callback they log.
 */
#ifndef SSLPLUG_LOG_ENTRY_H
#define SSLPLUG_LOG_ENTRY_H

#include <sslplug/plugin.h>

typedef struct sslplugi_log_entry {
    const sslplug_services *services;
    const sslplug_handle *handle;
    int level; /* SSLPLUG_LOG_DEBUG or SSLPLUG_LOG_INFO */
} sslplugi_log_entry;

/**
 * An sslplug_plugin init: reads {"level"} (any other key is an error) and
 * stores a new sslplugi_log_entry in *state.
 * @returns 1, or 0 after reporting through services->error.
 */
int sslplugi_log_entry_init(const sslplug_services *services, sslplug_handle *handle,
                            const char *config_json, void **state);

/** An sslplug_plugin fini: frees the state of sslplugi_log_entry_init. */
void sslplugi_log_entry_fini(void *state);

#endif /* SSLPLUG_LOG_ENTRY_H */
