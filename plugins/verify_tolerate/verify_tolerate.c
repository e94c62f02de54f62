/*
 * verify_tolerate: accept chains whose only verification failures are in a
 * configured set of X509_V_ERR_* codes (an expired certificate of a device
 * nobody can renew), and say in the log which failure it let through.  The
 * entry needs "may_override" for the same codes: the host decides whether
 * an override counts, the plugin only asks for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

/* Generated from OpenSSL's x509_vfy.h at build time (cmake/x509_errors.cmake). */
static const struct {
    const char *name;
    int code;
} x509_errors[] = {
#include "x509_errors.inc"
};

#define X509_ERROR_COUNT (sizeof(x509_errors) / sizeof(x509_errors[0]))

typedef struct verify_tolerate {
    const sslplug_services *services;
    const sslplug_handle *handle;
    int *codes;
    size_t count;
} verify_tolerate;

static const char *
error_name(int code)
{
    for (size_t i = 0; i < X509_ERROR_COUNT; i++) {
        if (x509_errors[i].code == code) {
            return x509_errors[i].name;
        }
    }
    return "X509_V_ERR_(unknown)";
}

static int
error_code(const char *name, int *code)
{
    for (size_t i = 0; i < X509_ERROR_COUNT; i++) {
        if (strcmp(x509_errors[i].name, name) == 0) {
            *code = x509_errors[i].code;
            return 1;
        }
    }
    return 0;
}

/*
 * OpenSSL calls once per failure, with that failure in the store: each is
 * tolerated on its own, so a chain with one failure outside the set is
 * still rejected.
 */
static int
vt_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const verify_tolerate *vt = state;
    int error;

    if (ok) {
        return 1;
    }
    error = X509_STORE_CTX_get_error(store);
    for (size_t i = 0; i < vt->count; i++) {
        if (vt->codes[i] == error) {
            vt->services->log(vt->handle, SSLPLUG_LOG_INFO, "tolerated %s at depth %d",
                              error_name(error), X509_STORE_CTX_get_error_depth(store));
            return 1;
        }
    }
    return 0;
}

static void
vt_free(verify_tolerate *vt)
{
    if (vt != NULL) {
        free(vt->codes);
        free(vt);
    }
}

static int
read_errors(const sslplugi_cfg *cfg, verify_tolerate *vt)
{
    char **names = NULL;
    size_t count = 0;
    int ok = 0;

    if (!sslplugi_cfg_strings(cfg, "errors", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &names,
                              &count)) {
        return 0;
    }
    if ((vt->codes = calloc(count, sizeof(*vt->codes))) == NULL) {
        sslplugi_cfg_error(cfg, "errors", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        if (!error_code(names[i], &vt->codes[i]) || vt->codes[i] == X509_V_OK) {
            sslplugi_cfg_element_error(cfg, "errors", i,
                                       "unknown verification error: expected an X509_V_ERR_* name "
                                       "such as \"X509_V_ERR_CERT_HAS_EXPIRED\", found \"%s\"",
                                       names[i]);
            goto done;
        }
    }
    vt->count = count;
    for (size_t i = 0; i < count; i++) {
        if (sslplugi_cfg_may_override(cfg, vt->codes[i]) == 0) {
            char what[256];
            char need[128];

            snprintf(what, sizeof(what),
                     "\"errors\" lists %s, but the host will not let this entry override it",
                     names[i]);
            snprintf(need, sizeof(need), "\"%s\"", names[i]);
            sslplugi_cfg_warn_may_override(cfg, "verify_tolerate", what, need);
        }
    }
    ok = 1;

done:
    sslplugi_strings_free(names);
    return ok;
}

static int
vt_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"errors", NULL};
    sslplugi_cfg cfg;
    verify_tolerate *vt = NULL;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys)) {
        goto done;
    }
    if ((vt = calloc(1, sizeof(*vt))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (!read_errors(&cfg, vt)) {
        goto done;
    }
    vt->services = services;
    vt->handle = handle;
    *state = vt;
    vt = NULL;
    ok = 1;

done:
    vt_free(vt);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
vt_fini(void *state)
{
    vt_free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_tolerate",
    .version = "1.0",
    .init = vt_init,
    .fini = vt_fini,
    .verify = vt_verify,
    /* Callbacks only read state fixed at init. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
