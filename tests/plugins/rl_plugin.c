/*
 * The second plugin set of the reload stress test: password, verify and
 * info in one ABI plugin that is NOT marked thread-safe, with deliberately
 * unsynchronised state, so a ThreadSanitizer run proves the host serialises
 * calls into it.  Config: {"password_file": "/abs/path"}.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

typedef struct rl_state {
    char password[256];
    unsigned long calls; /* unsynchronised on purpose */
} rl_state;

static int
rl_init(const sslplug_services *svc, sslplug_handle *handle, const char *config_json, void **state)
{
    const char *key = "\"password_file\":\"";
    const char *p = strstr(config_json, key);
    char path[512];
    rl_state *st;
    FILE *f;
    size_t n;

    if (p == NULL || (n = strcspn(p + strlen(key), "\"")) >= sizeof(path)) {
        svc->error(handle, "/password_file", "expected a path");
        return 0;
    }
    memcpy(path, p + strlen(key), n);
    path[n] = '\0';
    if ((st = calloc(1, sizeof(*st))) == NULL || (f = fopen(path, "r")) == NULL) {
        free(st);
        svc->error(handle, "/password_file", "cannot read %s", path);
        return 0;
    }
    if (fgets(st->password, sizeof(st->password), f) == NULL) {
        st->password[0] = '\0';
    }
    fclose(f);
    st->password[strcspn(st->password, "\r\n")] = '\0';
    *state = st;
    return 1;
}

static void
rl_fini(void *state)
{
    OPENSSL_cleanse(state, sizeof(rl_state));
    free(state);
}

static int
rl_password(void *state, int attempt, char *buf, int size, int flag)
{
    rl_state *st = state;
    size_t len = strlen(st->password);

    (void)flag;
    st->calls++;
    if (attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (len + 1 > (size_t)size) {
        return SSLPLUG_PASSWORD_ERROR;
    }
    memcpy(buf, st->password, len + 1);
    return (int)len;
}

static int
rl_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)store;
    ((rl_state *)state)->calls++;
    return ok;
}

static void
rl_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)ssl;
    (void)where;
    (void)ret;
    ((rl_state *)state)->calls++;
}

/* clang-format off */
static const sslplug_plugin rl_descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "rl_plugin",
    .version = "1",
    .init = rl_init,
    .fini = rl_fini,
    .password = rl_password,
    .verify = rl_verify,
    .info = rl_info,
    .flags = 0, /* not thread-safe: the host must serialise */
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &rl_descriptor;
}
