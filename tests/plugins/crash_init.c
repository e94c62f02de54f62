/*
 * A plugin whose init misbehaves the ways `sslplug check` must survive,
 * chosen by config {"how": ...}:
 *   "segv", "abort"  crash;
 *   "hang"           wait for ever;
 *   "exit"           exit(0), as if all had gone well;
 *   "fork"           leave a child behind that sleeps 300 s holding every
 *                    descriptor, and succeed;
 *   "ignore_alarm"   ignore SIGALRM and wait for ever;
 *   "fake"           print "CONFIG: ok" and a JSON verdict to stdout, as
 *                    the tool would, then exit(0).
 * With "pidfile", "fork" writes "CHILD PGID\n" there (the child's pid and
 * process group) and "ignore_alarm" writes "PID PGID\n" (its own), before
 * anything else, so a test can make sure the process is gone.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

static void
write_pidfile(const char *config_json, pid_t pid)
{
    char path[4096];
    FILE *f;

    if (cb_config_string(config_json, "pidfile", path, sizeof(path)) &&
        (f = fopen(path, "w")) != NULL) {
        fprintf(f, "%ld %ld\n", (long)pid, (long)getpgrp());
        fclose(f);
    }
}

static int
crash_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
           void **state)
{
    char how[32] = "segv";
    pid_t child;

    *state = NULL;
    cb_config_string(config_json, "how", how, sizeof(how));
    if (strcmp(how, "hang") == 0) {
        for (;;) {
            pause();
        }
    }
    if (strcmp(how, "abort") == 0) {
        abort();
    }
    if (strcmp(how, "exit") == 0) {
        exit(0);
    }
    if (strcmp(how, "fake") == 0) {
        printf("%s: ok\n{\"verdict\": \"ok\"}\n", services->config_path(handle));
        fflush(stdout);
        exit(0);
    }
    if (strcmp(how, "fork") == 0) {
        if ((child = fork()) == 0) {
            sleep(300);
            _exit(0);
        }
        write_pidfile(config_json, child);
        return child > 0;
    }
    if (strcmp(how, "ignore_alarm") == 0) {
        write_pidfile(config_json, getpid());
        signal(SIGALRM, SIG_IGN);
        for (;;) {
            pause();
        }
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
