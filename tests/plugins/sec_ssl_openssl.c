/*
 * sec_ssl_openssl: an info plugin whose init makes and frees an SSL_CTX.
 * Built against the process's shared libssl, it must load.  The end of
 * tests/CMakeLists.txt also links this file with libssl.a and libcrypto.a
 * hidden into sec_hidden_libssl: a second libssl the host must refuse
 * before any of it runs.
 */
#include <openssl/ssl.h>

#include <sslplug/plugin.h>

static int
sso_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    (void)config_json;
    *state = NULL;
    if (ctx == NULL) {
        services->error(handle, NULL, "sec_ssl_openssl: SSL_CTX_new failed");
        return 0;
    }
    SSL_CTX_free(ctx);
    services->log(handle, SSLPLUG_LOG_INFO, "sec_ssl_openssl initialised");
    return 1;
}

static void
sso_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "sec_ssl_openssl",
    .version = "1.0",
    .init = sso_init,
    .info = sso_info,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
