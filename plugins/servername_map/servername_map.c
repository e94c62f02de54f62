/*
 * servername_map: route each connection by the client's SNI name to one of
 * the configuration's named "contexts" (virtual hosts), keep it on the main
 * context, or refuse it.
 *
 * Names are matched exactly or by a leading "*." label ("*.svc.local"
 * matches "a.svc.local", not "svc.local" nor "a.b.svc.local"), an exact
 * pattern before a "*." one whatever their order, in the host's one form of
 * names (lower case, one trailing dot removed: services->normalise_name),
 * patterns included, so "Secure.Example." reaches the rule for
 * secure.example.  The patterns are indexed at init (name_index.h): a
 * connection costs one or two hash lookups however many there are.  The
 * host switches contexts before any session is looked up, so a session made
 * for one virtual host is never resumed on another.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include <sslplug/plugin.h>

#include "name_pattern.h"
#include "sslplug_plugin_util.h"

typedef struct route {
    char *context; /* NULL: the main context */
} route;

typedef struct servername_map {
    const sslplug_services *services;
    const sslplug_handle *handle;
    route *routes; /* the index's values */
    size_t count;
    sslplugi_name_index *index;
    int reject_unknown;
    int reject_missing;
} servername_map;

static void
sm_fini(void *state)
{
    servername_map *sm = state;

    if (sm == NULL) {
        return;
    }
    for (size_t i = 0; i < sm->count; i++) {
        free(sm->routes[i].context);
    }
    free(sm->routes);
    sslplugi_name_index_free(sm->index);
    free(sm);
}

/* "names": {"pattern": "context name" | ""}; each pattern once, in whatever spelling. */
static int
load_routes(const sslplugi_cfg *cfg, servername_map *sm)
{
    json_t *names = json_object_get(cfg->root, "names");
    const char *pattern;
    json_t *target;

    if (names == NULL) {
        return 1;
    }
    if (!json_is_object(names)) {
        sslplugi_cfg_error(cfg, "names", "expected an object of name patterns, found %s",
                           json_is_array(names) ? "an array" : "another type");
        return 0;
    }
    if ((sm->routes = calloc(json_object_size(names) + 1, sizeof(*sm->routes))) == NULL ||
        (sm->index = sslplugi_name_index_new()) == NULL) {
        return 0;
    }
    json_object_foreach(names, pattern, target) {
        route *r = &sm->routes[sm->count];

        if (!json_is_string(target) || pattern[0] == '\0') {
            sslplugi_cfg_error(cfg, "names",
                               "each name pattern maps to a context name, or \"\" for the main "
                               "context");
            return 0;
        }
        /* An invalid pattern is reported at "/names", where it always was. */
        if (!sslplugi_cfg_name_pattern(cfg, "names", pattern, 1, sm->index, r)) {
            return 0;
        }
        r->context = json_string_length(target) > 0 ? strdup(json_string_value(target)) : NULL;
        sm->count++;
        if (json_string_length(target) > 0 && r->context == NULL) {
            return 0;
        }
    }
    return 1;
}

static int
sm_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"names", "unknown", "missing", NULL};
    static const char *const policies[] = {"accept", "reject", NULL};
    servername_map *sm = calloc(1, sizeof(*sm));
    size_t unknown = 0, missing = 0;
    sslplugi_cfg cfg;
    int ok = 0;

    if (sm == NULL) {
        return 0;
    }
    sm->services = services;
    sm->handle = handle;
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) || !load_routes(&cfg, sm) ||
        !sslplugi_cfg_choice(&cfg, "unknown", SSLPLUGI_OPTIONAL, policies, &unknown) ||
        !sslplugi_cfg_choice(&cfg, "missing", SSLPLUGI_OPTIONAL, policies, &missing)) {
        goto done;
    }
    sm->reject_unknown = unknown == 1;
    sm->reject_missing = missing == 1;
    *state = sm;
    sm = NULL;
    ok = 1;
done:
    sslplugi_cfg_close(&cfg);
    sm_fini(sm);
    return ok;
}

static int
sm_servername(void *state, SSL *ssl, const char *name, const char **context)
{
    const servername_map *sm = state;
    const route *r;

    (void)ssl;
    if (name == NULL) {
        return sm->reject_missing ? SSLPLUG_SNI_REJECT : SSLPLUG_SNI_ACCEPT;
    }
    if (sm->index == NULL || (r = sslplugi_name_index_find(sm->index, name)) == NULL) {
        return sm->reject_unknown ? SSLPLUG_SNI_REJECT : SSLPLUG_SNI_ACCEPT;
    }
    if (r->context == NULL) {
        return SSLPLUG_SNI_ACCEPT;
    }
    *context = r->context;
    return SSLPLUG_SNI_SWITCH;
}

/* clang-format off */
static const sslplug_plugin servername_map_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "servername_map",
    .version = "1.0",
    .init = sm_init,
    .fini = sm_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .servername = sm_servername,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &servername_map_plugin;
}
