/*
 * sec_other_libcrypto: an info plugin linked against a second libcrypto,
 * soname libcrypto.so.1.1 (a stub, tests/support/sec_libcrypto_stub.c,
 * built by the end of tests/CMakeLists.txt), beside the process's one.
 * The host must refuse it from its DT_NEEDED before loading it.
 */
#include <sslplug/plugin.h>

/* Defined by the stub library. */
unsigned long sec_stub_version(void);

static int
sol_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    (void)config_json;
    *state = NULL;
    services->error(handle, NULL, "sec_other_libcrypto was initialised (stub %lx)",
                    sec_stub_version());
    return 0;
}

static void
sol_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "sec_other_libcrypto",
    .version = "1.0",
    .init = sol_init,
    .info = sol_info,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
