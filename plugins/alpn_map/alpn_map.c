/*
 * alpn_map: a server's application protocol chosen by the client's SNI
 * name: each name (or "*." pattern) maps to the protocols it serves, in the
 * server's order of preference, and the first of them the client offers is
 * selected.  Names are matched in the host's one form, patterns included
 * (name_pattern.h), an exact pattern before a "*." one; the patterns are
 * indexed at init (name_index.h), so a handshake costs one or two hash
 * lookups however many there are.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdlib.h>
#include <string.h>

#include <sslplug/plugin.h>

#include "name_pattern.h"
#include "sslplug_plugin_util.h"

typedef struct route {
    char **protocols;
} route;

typedef struct alpn_map {
    const sslplug_services *services;
    const sslplug_handle *handle;
    route *routes; /* the index's values */
    size_t count;
    sslplugi_name_index *index;
    route fallback; /* "default"; protocols NULL when not given */
    int reject;     /* no protocol shared: the alert (else: go on without ALPN) */
} alpn_map;

static void
am_fini(void *state)
{
    alpn_map *am = state;

    if (am == NULL) {
        return;
    }
    for (size_t i = 0; i < am->count; i++) {
        sslplugi_strings_free(am->routes[i].protocols);
    }
    sslplugi_strings_free(am->fallback.protocols);
    free(am->routes);
    sslplugi_name_index_free(am->index);
    free(am);
}

/* A non-empty array of protocol names, each 1 to 255 bytes; NULL-terminated copy. */
static int
protocols_of(const sslplugi_cfg *cfg, const char *where, json_t *list, char ***out)
{
    size_t i, n = json_is_array(list) ? json_array_size(list) : 0;
    json_t *item;

    if (n == 0) {
        sslplugi_cfg_error_at(cfg, where, "expected a non-empty array of protocol names, found %s",
                              sslplugi_json_type_name(list));
        return 0;
    }
    if ((*out = calloc(n + 1, sizeof(**out))) == NULL) {
        return 0;
    }
    json_array_foreach(list, i, item) {
        if (!json_is_string(item) || json_string_length(item) == 0 ||
            json_string_length(item) > 255) {
            sslplugi_cfg_error_at(cfg, where, "protocol %zu: expected a name of 1 to 255 bytes", i);
            return 0;
        }
        if (((*out)[i] = strdup(json_string_value(item))) == NULL) {
            return 0;
        }
    }
    return 1;
}

static int
load(const sslplugi_cfg *cfg, alpn_map *am)
{
    json_t *names = json_object_get(cfg->root, "names"), *fallback, *list;
    char where[256];
    const char *pattern;

    if (names != NULL && !json_is_object(names)) {
        sslplugi_cfg_error(cfg, "names", "expected an object of name patterns, found %s",
                           sslplugi_json_type_name(names));
        return 0;
    }
    if (names != NULL &&
        ((am->routes = calloc(json_object_size(names) + 1, sizeof(*am->routes))) == NULL ||
         (am->index = sslplugi_name_index_new()) == NULL)) {
        return 0;
    }
    json_object_foreach(names, pattern, list) {
        route *r = &am->routes[am->count];

        snprintf(where, sizeof(where), "/names");
        sslplugi_pointer_append(where, sizeof(where), pattern);
        if (!sslplugi_cfg_name_pattern(cfg, "names", pattern, 0, am->index, r)) {
            return 0;
        }
        am->count++;
        if (!protocols_of(cfg, where, list, &r->protocols)) {
            return 0;
        }
    }
    if ((fallback = json_object_get(cfg->root, "default")) != NULL &&
        !protocols_of(cfg, "/default", fallback, &am->fallback.protocols)) {
        return 0;
    }
    return 1;
}

static int
am_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"names", "default", "mismatch", NULL};
    static const char *const mismatches[] = {"reject", "none", NULL};
    alpn_map *am = calloc(1, sizeof(*am));
    size_t mismatch = 0;
    sslplugi_cfg cfg;
    int ok = 0;

    if (am == NULL) {
        return 0;
    }
    am->services = services;
    am->handle = handle;
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) || !load(&cfg, am) ||
        !sslplugi_cfg_choice(&cfg, "mismatch", SSLPLUGI_OPTIONAL, mismatches, &mismatch)) {
        goto done;
    }
    am->reject = mismatch == 0;
    *state = am;
    am = NULL;
    ok = 1;
done:
    sslplugi_cfg_close(&cfg);
    am_fini(am);
    return ok;
}

/* The protocols for this connection's name: its route's, else the default's, else NULL. */
static char *const *
protocols_for(const alpn_map *am, const SSL *ssl)
{
    char buf[256];
    const char *name = sslplugi_server_name(am->services, ssl, buf, sizeof(buf));
    const route *r =
        name != NULL && am->index != NULL ? sslplugi_name_index_find(am->index, name) : NULL;

    return r != NULL ? r->protocols : am->fallback.protocols;
}

static int
am_alpn(void *state, SSL *ssl, const unsigned char *offered, unsigned int offered_len,
        const unsigned char **out, unsigned char *outlen)
{
    const alpn_map *am = state;
    char *const *mine = protocols_for(am, ssl);

    if (mine == NULL) {
        return SSLPLUG_ALPN_NONE;
    }
    /* The server's order: the first of its protocols the client offers. */
    for (size_t k = 0; mine[k] != NULL; k++) {
        size_t len = strlen(mine[k]);

        for (unsigned i = 0; i < offered_len; i += 1u + offered[i]) {
            if (offered[i] == len && i + 1u + len <= offered_len &&
                memcmp(offered + i + 1, mine[k], len) == 0) {
                *out = offered + i + 1;
                *outlen = offered[i];
                return SSLPLUG_ALPN_SELECT;
            }
        }
    }
    return am->reject ? SSLPLUG_ALPN_REJECT : SSLPLUG_ALPN_NONE;
}

/* clang-format off */
static const sslplug_plugin alpn_map_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "alpn_map",
    .version = "1.0",
    .init = am_init,
    .fini = am_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .alpn = am_alpn,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &alpn_map_plugin;
}
