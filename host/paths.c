/*
 * Every relative path in a configuration is relative to the directory of
 * the configuration file, never to the working directory; bare plugin names
 * are looked up in plugin_path, SSLPLUG_PLUGIN_PATH, then the built-in
 * plugin directory.
 */
#define _GNU_SOURCE /* secure_getenv */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "settings.h"

char *
sslplugi_path_join(const char *base_dir, const char *path)
{
    size_t blen, plen;
    char *out;

    if (path[0] == '/') {
        return strdup(path);
    }
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
    }
    blen = strlen(base_dir);
    plen = strlen(path);
    if ((out = malloc(blen + plen + 2)) == NULL) {
        return NULL;
    }
    memcpy(out, base_dir, blen);
    out[blen] = '/';
    memcpy(out + blen + 1, path, plen + 1);
    return out;
}

/*
 * "scheme:..." (an OSSL_STORE URI such as file:/etc/key.pem or pkcs11:...):
 * a scheme of letters, digits, '+', '-', '.' before the first ':' and no
 * '/' before it.  Such a value is not a path to resolve.
 */
int
sslplugi_is_store_uri(const char *value)
{
    const char *colon = strchr(value, ':'), *slash = strchr(value, '/');

    if (colon == NULL || colon == value || (slash != NULL && slash < colon)) {
        return 0;
    }
    for (const char *p = value; p < colon; p++) {
        if (!isalnum((unsigned char)*p) && *p != '+' && *p != '-' && *p != '.') {
            return 0;
        }
    }
    return 1;
}

static int
make_absolute(const sslplugi_config *c, char **path, const char *pointer, sslplug_error *err)
{
    char *abs;

    if (*path == NULL) {
        return 1;
    }
    if ((abs = sslplugi_path_join(c->base_dir, *path)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, pointer, "out of memory");
        return 0;
    }
    free(*path);
    *path = abs;
    return 1;
}

static int
is_regular_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Try dir/name.so; on a hit, *found owns the path. */
static int
try_dir(const char *dir, const char *file, char **found, sslplug_error *err, const char *pointer)
{
    char *candidate = sslplugi_path_join(dir, file);

    if (candidate == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, pointer, "out of memory");
        return -1;
    }
    if (is_regular_file(candidate)) {
        *found = candidate;
        return 1;
    }
    free(candidate);
    return 0;
}

static int
search_env_path(const char *file, char **found, sslplug_error *err, const char *pointer)
{
    /* secure_getenv: a setuid program must not take plugin code from its caller. */
    const char *env = secure_getenv("SSLPLUG_PLUGIN_PATH");
    char *copy, *save = NULL;
    int r = 0;

    if (env == NULL || *env == '\0') {
        return 0;
    }
    if ((copy = strdup(env)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, pointer, "out of memory");
        return -1;
    }
    for (char *dir = strtok_r(copy, ":", &save); dir != NULL && r == 0;
         dir = strtok_r(NULL, ":", &save)) {
        /* Relative entries would depend on the working directory: skip them. */
        if (dir[0] == '/') {
            r = try_dir(dir, file, found, err, pointer);
        }
    }
    free(copy);
    return r;
}

/*
 * A bare name "x" means x.so ("x.so" is taken as written), looked up in
 * dirs, then SSLPLUG_PLUGIN_PATH, then the built-in plugin directory.  The
 * file name looked for is left in file.  Returns 1 with *found, 0 when not
 * found, -1 on error.
 */
static int
find_bare(char *const *dirs, size_t count, const char *name, char *file, size_t filelen,
          char **found, sslplug_error *err, const char *pointer)
{
    size_t len = strlen(name);
    int r = 0;

    if (len > 3 && strcmp(name + len - 3, ".so") == 0) {
        snprintf(file, filelen, "%s", name);
    } else if ((size_t)snprintf(file, filelen, "%s.so", name) >= filelen) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, pointer, "plugin name too long");
        return -1;
    }
    for (size_t i = 0; i < count && r == 0; i++) {
        r = try_dir(dirs[i], file, found, err, pointer);
    }
    if (r == 0) {
        r = search_env_path(file, found, err, pointer);
    }
    if (r == 0) {
        r = try_dir(sslplug_builtin_plugin_dir(), file, found, err, pointer);
    }
    return r;
}

char *
sslplug_plugin_locate(const char *name)
{
    char file[512];
    char *found = NULL;

    if (name == NULL || name[0] == '\0') {
        return NULL;
    }
    if (strchr(name, '/') != NULL) {
        return is_regular_file(name) ? strdup(name) : NULL;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        find_bare(NULL, 0, name, file, sizeof(file), &found, NULL, NULL) != 1) {
        return NULL;
    }
    return found;
}

static int
resolve_plugin(const sslplugi_config *c, sslplugi_entry *e, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    char file[512];
    int r;

    snprintf(ptr, sizeof(ptr), "%s/plugin", e->pointer);
    if (strchr(e->plugin, '/') != NULL) {
        if ((e->file = sslplugi_path_join(c->base_dir, e->plugin)) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
            return 0;
        }
        if (!is_regular_file(e->file)) {
            sslplugi_error_set(err, SSLPLUG_E_PLUGIN_NOT_FOUND, ptr,
                               "plugin file %s does not exist or is not a regular file", e->file);
            return 0;
        }
        return 1;
    }
    if (strcmp(e->plugin, ".") == 0 || strcmp(e->plugin, "..") == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr, "\"%s\" is not a plugin name", e->plugin);
        return 0;
    }
    if ((r = find_bare(c->plugin_path, c->plugin_path_count, e->plugin, file, sizeof(file),
                       &e->file, err, ptr)) < 0) {
        return 0;
    }
    if (r == 0) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_NOT_FOUND, ptr,
                           "plugin \"%s\" not found: no %s in plugin_path (%zu director%s), "
                           "SSLPLUG_PLUGIN_PATH or %s",
                           e->plugin, file, c->plugin_path_count,
                           c->plugin_path_count == 1 ? "y" : "ies", sslplug_builtin_plugin_dir());
    }
    return r == 1;
}

/* Every file and directory a context names: the rows of kind PATH (settings.c). */
static int
resolve_context(const sslplugi_config *c, sslplugi_context_conf *ctx, const char *base_ptr,
                sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    size_t count;
    const sslplugi_setting *rows = sslplugi_settings(&count);

    for (size_t i = 0; i < count; i++) {
        char **path = SSLPLUGI_SETTING(ctx, &rows[i], char *);

        /* Only the keys that load through OSSL_STORE take "scheme:..." as a URI. */
        if (rows[i].kind != SSLPLUGI_SET_PATH || *path == NULL ||
            ((rows[i].where & SSLPLUGI_SET_STORE_URI) != 0 && sslplugi_is_store_uri(*path))) {
            continue;
        }
        sslplugi_pointer_child(ptr, base_ptr, rows[i].name);
        if (!make_absolute(c, path, ptr, err)) {
            return 0;
        }
    }
    return 1;
}

int
sslplugi_paths_resolve(sslplugi_config *c, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];

    if (!resolve_context(c, &c->context, "/context", err)) {
        return 0;
    }
    for (size_t i = 0; i < c->sub_count; i++) {
        snprintf(ptr, sizeof(ptr), "%s", c->subs[i].pointer);
        if (!resolve_context(c, &c->subs[i].conf, ptr, err)) {
            return 0;
        }
    }
    for (size_t i = 0; i < c->plugin_path_count; i++) {
        snprintf(ptr, sizeof(ptr), "/plugin_path/%zu", i);
        if (!make_absolute(c, &c->plugin_path[i], ptr, err)) {
            return 0;
        }
    }
    for (size_t i = 0; i < c->allowed_dir_count; i++) {
        snprintf(ptr, sizeof(ptr), "/allowed_dirs/%zu", i);
        if (!make_absolute(c, &c->allowed_dirs[i], ptr, err)) {
            return 0;
        }
    }
    for (size_t i = 0; i < c->entry_count; i++) {
        sslplug_error entry_err = {0};

        /* An optional entry that is not found is skipped when plugins load. */
        if (!resolve_plugin(c, &c->entries[i], &entry_err) && !c->entries[i].optional) {
            if (err != NULL) {
                *err = entry_err;
            }
            return 0;
        }
    }
    return 1;
}
