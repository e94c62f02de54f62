/*
 * The benchmark's plugins: bench_password, bench_verify, bench_info and
 * bench_client_cert, one module per callback type, all built from this
 * file (BENCH_PLUGIN_TYPE picks the callback the descriptor offers) around
 * the same bodies sslplug_bench binds directly (../callbacks.c).
 *
 * config (every key optional, relative paths taken from the config file):
 *     {"password_file": "...", "certificate": "...", "private_key": "..."}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <sslplug/plugin.h>

#include "callbacks.h"

#define BENCH_PASSWORD 0
#define BENCH_VERIFY 1
#define BENCH_INFO 2
#define BENCH_CLIENT_CERT 3

#if !defined(BENCH_PLUGIN_TYPE)
#error "BENCH_PLUGIN_TYPE must be defined by the build"
#elif BENCH_PLUGIN_TYPE == BENCH_PASSWORD
#define BENCH_PLUGIN_NAME "bench_password"
#elif BENCH_PLUGIN_TYPE == BENCH_VERIFY
#define BENCH_PLUGIN_NAME "bench_verify"
#elif BENCH_PLUGIN_TYPE == BENCH_INFO
#define BENCH_PLUGIN_NAME "bench_info"
#elif BENCH_PLUGIN_TYPE == BENCH_CLIENT_CERT
#define BENCH_PLUGIN_NAME "bench_client_cert"
#else
#error "unknown BENCH_PLUGIN_TYPE"
#endif

/* Resolve the string at key into out ("" when absent); 0 after reporting. */
static int
config_path(const sslplug_services *services, sslplug_handle *handle, const json_t *root,
            const char *key, char *out, size_t outlen)
{
    const json_t *v = json_object_get(root, key);
    char ptr[64];

    out[0] = '\0';
    if (v == NULL) {
        return 1;
    }
    snprintf(ptr, sizeof(ptr), "/%s", key);
    if (!json_is_string(v)) {
        services->error(handle, ptr, "expected a string");
        return 0;
    }
    if (!services->resolve_path(handle, json_string_value(v), out, outlen)) {
        services->error(handle, ptr, "path too long");
        return 0;
    }
    return 1;
}

static int
bench_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
           void **state)
{
    char pass[1024], cert[1024], key[1024], why[256];
    bench_cb_state *st = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    int ok = 0;

    if (services->size < sizeof(sslplug_services)) {
        return 0;
    }
    if ((root = json_loads(config_json, 0, &jerr)) == NULL || !json_is_object(root)) {
        services->error(handle, "", "expected an object");
        goto done;
    }
    if (!config_path(services, handle, root, "password_file", pass, sizeof(pass)) ||
        !config_path(services, handle, root, "certificate", cert, sizeof(cert)) ||
        !config_path(services, handle, root, "private_key", key, sizeof(key))) {
        goto done;
    }
    if ((st = malloc(sizeof(*st))) == NULL) {
        services->error(handle, NULL, "out of memory");
        goto done;
    }
    if (!bench_cb_state_init(st, pass[0] != '\0' ? pass : NULL, cert[0] != '\0' ? cert : NULL,
                             key[0] != '\0' ? key : NULL, why, sizeof(why))) {
        services->error(handle, NULL, "%s", why);
        bench_cb_state_cleanup(st);
        free(st);
        goto done;
    }
    *state = st;
    ok = 1;
done:
    json_decref(root);
    return ok;
}

static void
bench_fini(void *state)
{
    bench_cb_state *st = state;

    if (st != NULL) {
        bench_cb_state_cleanup(st);
        free(st);
    }
}

static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = BENCH_PLUGIN_NAME,
    .version = "1",
    .init = bench_init,
    .fini = bench_fini,
    .password = BENCH_PLUGIN_TYPE == BENCH_PASSWORD ? bench_cb_password : NULL,
    .verify = BENCH_PLUGIN_TYPE == BENCH_VERIFY ? bench_cb_verify : NULL,
    .info = BENCH_PLUGIN_TYPE == BENCH_INFO ? bench_cb_info : NULL,
    .client_cert = BENCH_PLUGIN_TYPE == BENCH_CLIENT_CERT ? bench_cb_client_cert : NULL,
    /* The bodies only read their state and count with atomics: no host lock needed. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
