/*
 * sec_digest_openssl: an info plugin whose init hashes its configuration
 * with EVP_Digest and SHA256 and logs the result.  Built as every test
 * plugin is, against the process's shared libcrypto, it must load.  The
 * end of tests/CMakeLists.txt also links this file with libcrypto.a hidden
 * (-Wl,--exclude-libs,ALL) into sec_hidden_digest: a static copy that
 * exports nothing and, calling no OpenSSL_version*, carries no version
 * text either; the host must refuse that one before any of it runs.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <sslplug/plugin.h>

static int
sdo_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
         void **state)
{
    unsigned char md[SHA256_DIGEST_LENGTH], again[SHA256_DIGEST_LENGTH];
    unsigned int len = 0;

    *state = NULL;
    if (!EVP_Digest(config_json, strlen(config_json), md, &len, EVP_sha256(), NULL) ||
        SHA256((const unsigned char *)config_json, strlen(config_json), again) == NULL ||
        memcmp(md, again, sizeof(md)) != 0) {
        services->error(handle, NULL, "sec_digest_openssl: the two digests differ");
        return 0;
    }
    services->log(handle, SSLPLUG_LOG_INFO,
                  "sec_digest_openssl initialised (%u-byte digest %02x%02x...)", len, md[0], md[1]);
    return 1;
}

static void
sdo_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "sec_digest_openssl",
    .version = "1.0",
    .init = sdo_init,
    .info = sdo_info,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
