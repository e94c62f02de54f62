/*
 * sec_static_openssl: an otherwise ordinary info plugin that carries its own
 * copy of OpenSSL, which the host must refuse (objects of one copy crash the
 * other).  The block at the end of tests/CMakeLists.txt links libcrypto.a
 * into it; where no PIC libcrypto.a exists, SEC_FAKE_OPENSSL makes it export
 * its own OpenSSL_version_num instead, the symbol the host's check looks up.
 * Its code must never run: init and info fail the test loudly if they do.
 */
#include <stdlib.h>

#include <openssl/crypto.h>

#include <sslplug/plugin.h>

#ifdef SEC_FAKE_OPENSSL
/* A second definition, exported, as a static libcrypto would bring one. */
__attribute__((visibility("default"))) unsigned long
OpenSSL_version_num(void)
{
    return 0x30000000UL;
}
#endif

static int
sso_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    (void)config_json;
    *state = NULL;
    /* The reference pulls the archive's version object into the module. */
    services->error(handle, NULL, "sec_static_openssl was initialised with OpenSSL %lx",
                    OpenSSL_version_num());
    return 0;
}

static void
sso_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
    abort();
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "sec_static_openssl",
    .version = "1.0",
    .init = sso_init,
    .info = sso_info,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
