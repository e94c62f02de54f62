/*
 * An info plugin (ABI 1.3) that logs at init and fini whether the host says
 * it is being checked (services->checking), asking the table it kept.
 */
#include <stdlib.h>

#include <sslplug/plugin.h>

typedef struct chk_state {
    const sslplug_services *services;
    const sslplug_handle *handle;
} chk_state;

static const char *
answer(const sslplug_services *services, const sslplug_handle *handle)
{
    if (!SSLPLUG_SERVICES_HAS(services, checking)) {
        return "absent";
    }
    return services->checking(handle) ? "1" : "0";
}

static int
chk_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    chk_state *st = calloc(1, sizeof(*st));

    (void)config_json;
    if (st == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    st->services = services;
    st->handle = handle;
    services->log(handle, SSLPLUG_LOG_INFO, "init checking=%s", answer(services, handle));
    *state = st;
    return 1;
}

static void
chk_fini(void *state)
{
    chk_state *st = state;

    st->services->log(st->handle, SSLPLUG_LOG_INFO, "fini checking=%s",
                      answer(st->services, st->handle));
    free(st);
}

static void
chk_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin chk_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "chk_checking",
    .version = "1",
    .init = chk_init,
    .fini = chk_fini,
    .info = chk_info,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &chk_plugin;
}
