/*
 * cb_verify_accept: a verify entry that accepts every certificate, whatever
 * the verdict so far: the test of may_override, which alone decides whether
 * such an answer may turn a failure into success.  No config.  The same
 * answer is exported raw as cb_verify_accept_raw.
 */
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

__attribute__((visibility("default"))) int cb_verify_accept_raw(int ok, X509_STORE_CTX *store);

int
cb_verify_accept_raw(int ok, X509_STORE_CTX *store)
{
    (void)ok;
    (void)store;
    return 1;
}

static int
acc_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)ok;
    (void)store;
    return 1;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cb_verify_accept",
    .version = "1.0",
    .verify = acc_verify,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
