/*
 * insp_crash_entry: an sslplug plugin whose entry crashes.  Reading its
 * descriptor runs the entry, so `sslplug inspect` must do it in a child
 * and report the crash, not die of it.
 */
#include <signal.h>

#include <sslplug/plugin.h>

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    raise(SIGSEGV);
    return NULL;
}
