/*
 * ldr_data_entry: exports sslplug_plugin_entry as a data object, not the
 * function plugin.h declares (so this file does not include it).  The host
 * calls the entry while loading: it must refuse the object instead.
 */
__attribute__((visibility("default"))) void *sslplug_plugin_entry[4] = {0, 0, 0, 0};
