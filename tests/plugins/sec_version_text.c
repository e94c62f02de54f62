/*
 * sec_version_text: an ordinary info plugin on the process's shared
 * libcrypto that logs the OpenSSL version it was built against, so its
 * file holds OPENSSL_VERSION_TEXT ("OpenSSL 3.0.x DD Mon YYYY").  That
 * text alone says nothing about a copy of OpenSSL inside: it must load.
 */
#include <openssl/opensslv.h>

#include <sslplug/plugin.h>

static int
svt_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    (void)config_json;
    *state = NULL;
    services->log(handle, SSLPLUG_LOG_INFO, "sec_version_text built with %s", OPENSSL_VERSION_TEXT);
    return 1;
}

static void
svt_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "sec_version_text",
    .version = "1.0",
    .init = svt_init,
    .info = svt_info,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
