/*
 * nt_abi11: a plugin built against ABI 1.1, before cert, servername, keylog
 * and info_events existed.  It keeps its own copy of the 1.1 descriptor
 * shape (what a vendor's old build would carry) and must still load and
 * work on a newer host, which reads only the fields inside its size.
 */
#include <stdint.h>

#include <openssl/ssl.h>

#include <sslplug/plugin.h>

typedef struct descriptor_1_1 {
    uint32_t magic;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t size;
    const char *name;
    const char *version;
    int (*init)(const sslplug_services *, sslplug_handle *, const char *, void **);
    void (*fini)(void *);
    int (*password)(void *, int, char *, int, int);
    int (*verify)(void *, int, X509_STORE_CTX *);
    void (*info)(void *, const SSL *, int, int);
    int (*client_cert)(void *, SSL *, X509 **, EVP_PKEY **);
    uint32_t flags;
} descriptor_1_1;

static int
old_verify(void *state, int ok, X509_STORE_CTX *store)
{
    (void)state;
    (void)store;
    return ok;
}

static const descriptor_1_1 old_descriptor = {
    SSLPLUG_PLUGIN_MAGIC,
    1,
    1,
    (uint32_t)sizeof(descriptor_1_1),
    "nt_abi11",
    "1.1",
    NULL,
    NULL,
    NULL,
    old_verify,
    NULL,
    NULL,
    SSLPLUG_PLUGIN_THREAD_SAFE,
};

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    /* The host reads old_descriptor.size bytes; that is the point of the test. */
    return (const sslplug_plugin *)(const void *)&old_descriptor;
}
