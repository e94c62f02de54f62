/*
 * cb_password_count: a well-behaved password source with several candidates
 * that logs every call ("call attempt=N", never a password), so a test can
 * check that the host asks once per attempt however often OpenSSL asks it.
 *
 * Config: {"wrong": N, "file": PATH}.  Attempts 0..N-1 give wrong
 * passwords; attempt N gives the first line of PATH (relative to the
 * configuration) when "file" is set; later attempts answer
 * SSLPLUG_PASSWORD_NO_MORE.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#include "cb_config.h"

typedef struct count {
    const sslplug_services *services;
    const sslplug_handle *handle;
    int wrong;
    char right[256]; /* "" when no file is configured */
} count;

static int
read_first_line(const sslplug_services *services, sslplug_handle *handle, const char *json,
                char *out, size_t outlen)
{
    char value[PATH_MAX], path[PATH_MAX];
    FILE *f;
    int ok;

    if (!cb_config_string(json, "file", value, sizeof(value))) {
        return 1;
    }
    if (!services->resolve_path(handle, value, path, sizeof(path)) ||
        (f = fopen(path, "r")) == NULL) {
        services->error(handle, "/file", "cannot open %s", value);
        return 0;
    }
    ok = fgets(out, (int)outlen, f) != NULL;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    if (!ok || out[0] == '\0') {
        services->error(handle, "/file", "no password in %s", value);
        return 0;
    }
    return 1;
}

static void
count_fini(void *state)
{
    count *c = state;

    if (c != NULL) {
        OPENSSL_cleanse(c->right, sizeof(c->right));
        free(c);
    }
}

static int
count_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
           void **state)
{
    count *c = calloc(1, sizeof(*c));

    if (c == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    c->services = services;
    c->handle = handle;
    c->wrong = (int)cb_config_int(config_json, "wrong", 0);
    if (!read_first_line(services, handle, config_json, c->right, sizeof(c->right))) {
        count_fini(c);
        return 0;
    }
    *state = c;
    return 1;
}

static int
count_password(void *state, int attempt, char *buf, int size, int flag)
{
    const count *c = state;
    size_t len;

    (void)flag;
    c->services->log(c->handle, SSLPLUG_LOG_DEBUG, "call attempt=%d", attempt);
    if (attempt < c->wrong) {
        return snprintf(buf, (size_t)size, "wrong-%d", attempt);
    }
    if (attempt > c->wrong || c->right[0] == '\0') {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    len = strlen(c->right);
    if (len >= (size_t)size) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    memcpy(buf, c->right, len + 1);
    return (int)len;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cb_password_count",
    .version = "1.0",
    .init = count_init,
    .fini = count_fini,
    .password = count_password,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
