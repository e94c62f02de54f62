/*
 * ldr_plain: a plain shared object with no sslplug_plugin_entry, only a
 * function with OpenSSL's verify callback signature, bindable as a raw
 * "symbol" entry.  ldr_plain_verify_calls() tells the tests it ran.
 */
#include <openssl/x509_vfy.h>

#define LDR_EXPORT __attribute__((visibility("default")))

LDR_EXPORT int ldr_plain_verify(int ok, X509_STORE_CTX *store);
LDR_EXPORT int ldr_plain_verify_calls(void);

static int verify_calls;

int
ldr_plain_verify(int ok, X509_STORE_CTX *store)
{
    (void)store;
    verify_calls++;
    return ok;
}

int
ldr_plain_verify_calls(void)
{
    return verify_calls;
}
