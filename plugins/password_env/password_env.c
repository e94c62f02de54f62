/*
 * password_env: the private key's password from an environment variable.
 *
 * Without "unset" the variable is read each time a key is read, so a
 * changed value is seen by the next context.  With "unset" it is read once,
 * at init, overwritten where it lies and removed from the environment, so
 * that neither child processes nor /proc/PID/environ show it; the copy is
 * kept (and wiped at fini) for later contexts.
 */
#define _DEFAULT_SOURCE /* environ */

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "password.h"
#include "sslplug_plugin_util.h"

extern char **environ;

/*
 * The process's initial environment is what /proc/PID/environ shows, and
 * unsetenv only drops the pointer to it: overwrite the value where it lies
 * (every entry of that name) before the variable is removed.
 */
static void
wipe_variable(const char *name)
{
    size_t len = strlen(name);

    for (char **e = environ; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=') {
            char *value = *e + len + 1;

            OPENSSL_cleanse(value, strlen(value));
        }
    }
}

typedef struct password_env {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char *variable;
    char *cached; /* the value read at init with "unset", else NULL */
    size_t cached_len;
} password_env;

static void
pe_free(password_env *pe)
{
    if (pe == NULL) {
        return;
    }
    if (pe->cached != NULL) {
        OPENSSL_cleanse(pe->cached, pe->cached_len);
        free(pe->cached);
    }
    free(pe->variable);
    free(pe);
}

static int
pe_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"variable", "unset", NULL};
    sslplugi_cfg cfg;
    password_env *pe = NULL;
    const char *variable = NULL;
    const char *value;
    int unset = 0;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "variable", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &variable) ||
        !sslplugi_cfg_bool(&cfg, "unset", SSLPLUGI_OPTIONAL, &unset)) {
        goto done;
    }
    if (strchr(variable, '=') != NULL) {
        sslplugi_cfg_error(&cfg, "variable",
                           "invalid variable name: expected a name without '=', found \"%s\"",
                           variable);
        goto done;
    }

    pe = calloc(1, sizeof(*pe));
    if (pe == NULL || (pe->variable = strdup(variable)) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    pe->services = services;
    pe->handle = handle;

    if (unset) {
        /* Fail now: once removed, the variable can never be read later. */
        value = getenv(variable);
        if (value == NULL) {
            sslplugi_cfg_error(&cfg, "variable", "environment variable %s is not set", variable);
            goto done;
        }
        pe->cached_len = strlen(value);
        pe->cached = malloc(pe->cached_len + 1);
        if (pe->cached == NULL) {
            sslplugi_cfg_error(&cfg, NULL, "out of memory");
            goto done;
        }
        memcpy(pe->cached, value, pe->cached_len + 1);
        wipe_variable(variable);
        if (unsetenv(variable) != 0) {
            sslplugi_cfg_error(&cfg, "variable", "cannot remove environment variable %s", variable);
            goto done;
        }
    }

    *state = pe;
    pe = NULL;
    ok = 1;

done:
    pe_free(pe);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
pe_fini(void *state)
{
    pe_free(state);
}

static int
pe_password(void *state, int attempt, char *buf, int size, int flag)
{
    const password_env *pe = state;
    const char *value;
    size_t len;
    int ret;

    (void)flag;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (pe->cached != NULL) {
        value = pe->cached;
        len = pe->cached_len;
    } else {
        value = getenv(pe->variable);
        if (value == NULL) {
            pe->services->log(pe->handle, SSLPLUG_LOG_ERROR, "environment variable %s is not set",
                              pe->variable);
            return SSLPLUG_PASSWORD_ERROR;
        }
        len = strlen(value);
    }
    ret = sslplugi_password_copy(buf, size, value, len);
    if (ret < 0) {
        pe->services->log(pe->handle, SSLPLUG_LOG_ERROR,
                          "password in environment variable %s does not fit in the %d-byte buffer",
                          pe->variable, size);
    }
    return ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "password_env",
    .version = "1.0",
    .init = pe_init,
    .fini = pe_fini,
    .password = pe_password,
    /* Callbacks only read state fixed at init (or lock it themselves). */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
