/*
 * abi_old: a plugin built against an older, smaller edition of the ABI, as
 * if plugin.h had ended its descriptor after `verify`.  It carries its own
 * copy of that shorter struct and sets `size` to its sizeof.
 *
 * To prove the host reads nothing past `size`, the descriptor is followed in
 * memory by function pointers exactly where a current descriptor has `info`
 * and `client_cert`.  A host that read beyond `size` would find them and
 * bind them; they abort if ever called.
 */
#include <stdlib.h>
#include <string.h>

#include <sslplug/plugin.h>

SSLPLUG_PLUGIN_EXPORT int abi_old_count(const char *what);

/* The descriptor as the older header declared it: no info, no client_cert. */
typedef struct abi_old_descriptor {
    uint32_t magic;
    uint16_t abi_major;
    uint16_t abi_minor;
    uint32_t size;
    const char *name;
    const char *version;
    int (*init)(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
                void **state);
    void (*fini)(void *state);
    int (*password)(void *state, int attempt, char *buf, int size, int flag);
    int (*verify)(void *state, int ok, X509_STORE_CTX *store);
} abi_old_descriptor;

typedef struct abi_old_image {
    abi_old_descriptor d;
    void (*past_info)(void *state, const SSL *ssl, int where, int ret);
    int (*past_client_cert)(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey);
} abi_old_image;

_Static_assert(offsetof(abi_old_image, past_info) == offsetof(sslplug_plugin, info),
               "past_info must lie where a current descriptor has info");
_Static_assert(offsetof(abi_old_image, past_client_cert) == offsetof(sslplug_plugin, client_cert),
               "past_client_cert must lie where a current descriptor has client_cert");

typedef struct old_state {
    int verify_calls;
} old_state;

static int inits, finis, verify_calls;

static int
ao_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    old_state *s = calloc(1, sizeof(*s));

    (void)config_json;
    if (s == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    inits++;
    *state = s;
    return 1;
}

static void
ao_fini(void *state)
{
    finis++;
    free(state);
}

static int
ao_verify(void *state, int ok, X509_STORE_CTX *store)
{
    old_state *s = state;

    (void)store;
    s->verify_calls++;
    verify_calls++;
    return ok;
}

static void
trap_info(void *state, const SSL *ssl, int where, int ret)
{
    (void)state;
    (void)ssl;
    (void)where;
    (void)ret;
    abort();
}

static int
trap_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    (void)state;
    (void)ssl;
    (void)cert;
    (void)pkey;
    abort();
    return 0;
}

static const abi_old_image image = {
    .d =
        {
            .magic = SSLPLUG_PLUGIN_MAGIC,
            .abi_major = SSLPLUG_ABI_MAJOR,
            .abi_minor = 0,
            .size = (uint32_t)sizeof(abi_old_descriptor),
            .name = "abi_old",
            .version = "0.9",
            .init = ao_init,
            .fini = ao_fini,
            .verify = ao_verify,
        },
    .past_info = trap_info,
    .past_client_cert = trap_client_cert,
};

int
abi_old_count(const char *what)
{
    if (strcmp(what, "inits") == 0) {
        return inits;
    }
    if (strcmp(what, "finis") == 0) {
        return finis;
    }
    if (strcmp(what, "verify") == 0) {
        return verify_calls;
    }
    return -1;
}

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    /* The host sees the older struct through the current type; it must honour size. */
    const void *d = &image.d;

    return d;
}
