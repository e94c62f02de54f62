/*
 * ldr_data_symbol: a raw plugin whose callback-looking name is a data
 * object (what a stale header or a typo makes of it), beside a real
 * function.  Binding the data object must be refused at load time: called
 * as a function, it crashes the first handshake.
 */
#include <openssl/x509_vfy.h>

#define LDR_EXPORT __attribute__((visibility("default")))

LDR_EXPORT int ldr_data_verify[4] = {1, 1, 1, 1};

LDR_EXPORT int ldr_data_real_verify(int ok, X509_STORE_CTX *store);

int
ldr_data_real_verify(int ok, X509_STORE_CTX *store)
{
    (void)store;
    return ok;
}
