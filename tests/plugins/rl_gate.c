/*
 * A plugin whose init takes as long as the test wants: it logs "waiting
 * for GATE" and returns only once the file GATE exists (or fails after
 * wait_ms), so a test can hold a reload of `sslplug serve` in progress for
 * exactly as long as it needs, without guessing at timings; when GATE says
 * "fail", init fails (a reload that fails after a while).  Its info
 * callback does nothing: the host's trace of the call shows which
 * generation a connection runs.
 * Config: {"gate": "/abs/path", "wait_ms": 20000}.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sslplug/plugin.h>

/* What a test may wait at most: the bound of every wait in the tests' helpers. */
#define GATE_WAIT_MAX_MS 60000

/* The string value of "key" in the (flat, test-written) config, into out; 0 when absent. */
static int
config_string(const char *config_json, const char *key, char *out, size_t len)
{
    const char *p = strstr(config_json, key);
    size_t n;

    if (p == NULL || (p = strchr(p + strlen(key), '"')) == NULL) {
        return 0;
    }
    n = strcspn(p + 1, "\"");
    if (n == 0 || n >= len) {
        return 0;
    }
    memcpy(out, p + 1, n);
    out[n] = '\0';
    return 1;
}

/* The gate says "fail". */
static int
told_to_fail(const char *gate)
{
    char text[8] = "";
    FILE *f = fopen(gate, "r");

    if (f == NULL) {
        return 0;
    }
    if (fgets(text, sizeof(text), f) == NULL) {
        text[0] = '\0';
    }
    fclose(f);
    return strncmp(text, "fail", 4) == 0;
}

static int
gate_init(const sslplug_services *svc, sslplug_handle *handle, const char *config_json,
          void **state)
{
    const char *w = strstr(config_json, "\"wait_ms\":");
    long wait_ms = w != NULL ? strtol(w + strlen("\"wait_ms\":"), NULL, 10) : 20000;
    struct timespec tick = {0, 10 * 1000 * 1000};
    char gate[512];

    if (!config_string(config_json, "\"gate\":", gate, sizeof(gate))) {
        svc->error(handle, "/gate", "expected a path");
        return 0;
    }
    if (wait_ms <= 0 || wait_ms > GATE_WAIT_MAX_MS) {
        svc->error(handle, "/wait_ms", "expected 1 to %d", GATE_WAIT_MAX_MS);
        return 0;
    }
    svc->log(handle, SSLPLUG_LOG_INFO, "waiting for %s", gate);
    for (long waited = 0; access(gate, F_OK) != 0; waited += 10) {
        if (waited >= wait_ms) {
            svc->error(handle, "/gate", "%s did not appear within %ld ms", gate, wait_ms);
            return 0;
        }
        nanosleep(&tick, NULL);
    }
    if (told_to_fail(gate)) {
        svc->error(handle, "", "told to fail");
        return 0;
    }
    svc->log(handle, SSLPLUG_LOG_INFO, "%s is there", gate);
    *state = NULL;
    return 1;
}

static void
gate_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin gate_descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "rl_gate",
    .version = "1",
    .init = gate_init,
    .info = gate_info,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &gate_descriptor;
}
