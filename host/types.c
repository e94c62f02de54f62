/*
 * The callback types, one row each (see types.h for what a row says and
 * how to add a type).  Row order is sslplug_cb_type's, which is also the
 * order of the "callbacks" section.
 */
#include <string.h>

#include "types.h"

static const sslplugi_type types[] = {
    [SSLPLUG_CB_PASSWORD] = {.name = "password",
                             .member = offsetof(sslplug_plugin, password),
                             .abi_minor = 0,
                             .many = 0,
                             .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                             .takes = 0,
                             .raw = "int cb(char *buf, int size, int flag)",
                             .check = NULL,
                             .bind = sslplugi_password_bind},
    [SSLPLUG_CB_VERIFY] = {.name = "verify",
                           .member = offsetof(sslplug_plugin, verify),
                           .abi_minor = 0,
                           .many = 1,
                           .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                           .takes = SSLPLUGI_TAKES_OVERRIDES,
                           .raw = "int cb(int ok, X509_STORE_CTX *store)",
                           .check = sslplugi_verify_check,
                           .bind = sslplugi_verify_bind},
    [SSLPLUG_CB_INFO] = {.name = "info",
                         .member = offsetof(sslplug_plugin, info),
                         .abi_minor = 0,
                         .many = 1,
                         .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                         .takes = SSLPLUGI_TAKES_EVENTS | SSLPLUGI_MAY_BE_OPTIONAL,
                         .raw = "void cb(const SSL *ssl, int where, int ret)",
                         .check = NULL,
                         .bind = sslplugi_info_bind},
    [SSLPLUG_CB_CLIENT_CERT] = {.name = "client_cert",
                                .member = offsetof(sslplug_plugin, client_cert),
                                .abi_minor = 0,
                                .many = 0,
                                .roles = SSLPLUGI_CLIENT,
                                .takes = 0,
                                .raw = "int cb(SSL *ssl, X509 **cert, EVP_PKEY **pkey)",
                                .sends_certificate = 1,
                                .check = sslplugi_client_cert_check,
                                .bind = sslplugi_client_cert_bind},
    [SSLPLUG_CB_CERT] = {.name = "cert",
                         .member = offsetof(sslplug_plugin, cert),
                         .abi_minor = 2,
                         .many = 0,
                         .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                         .takes = 0,
                         .raw = "int cb(SSL *ssl, void *arg)",
                         .sends_certificate = 1,
                         .check = NULL,
                         .bind = sslplugi_cert_bind},
    [SSLPLUG_CB_SERVERNAME] = {.name = "servername",
                               .member = offsetof(sslplug_plugin, servername),
                               .abi_minor = 2,
                               .many = 0,
                               .roles = SSLPLUGI_SERVER,
                               .takes = 0,
                               .raw = "int cb(SSL *ssl, int *alert, void *arg)",
                               .check = sslplugi_servername_check,
                               .bind = sslplugi_servername_bind},
    [SSLPLUG_CB_KEYLOG] = {.name = "keylog",
                           .member = offsetof(sslplug_plugin, keylog),
                           .abi_minor = 2,
                           .many = 0,
                           .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                           .takes = 0,
                           .raw = "void cb(const SSL *ssl, const char *line)",
                           .check = NULL,
                           .bind = sslplugi_keylog_bind},
    [SSLPLUG_CB_ALPN] = {.name = "alpn",
                         .member = offsetof(sslplug_plugin, alpn),
                         .abi_minor = 4,
                         .many = 0,
                         .roles = SSLPLUGI_SERVER,
                         .takes = 0,
                         .raw =
                             "int cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, "
                             "const unsigned char *in, unsigned int inlen, void *arg)",
                         .check = sslplugi_alpn_check,
                         .bind = sslplugi_alpn_bind},
    [SSLPLUG_CB_STATUS] = {.name = "status",
                           .member = offsetof(sslplug_plugin, status),
                           .abi_minor = 4,
                           .many = 0,
                           .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                           .takes = 0,
                           .raw = "int cb(SSL *ssl, void *arg)",
                           .check = sslplugi_status_check,
                           .bind = sslplugi_status_bind},
    [SSLPLUG_CB_VERIFY_CONNECTION] = {.name = "verify_connection",
                                      .member = offsetof(sslplug_plugin, verify_connection),
                                      .abi_minor = 4,
                                      .many = 0,
                                      .roles = SSLPLUGI_SERVER | SSLPLUGI_CLIENT,
                                      .takes = 0,
                                      .raw = NULL,
                                      .no_raw = "OpenSSL's own cert verify callback would "
                                                "replace verification, not follow it",
                                      .check = sslplugi_verify_connection_check,
                                      .bind = sslplugi_verify_connection_bind},
    [SSLPLUG_CB_SESSION_STORE] = {.name = "session_store",
                                  .member = offsetof(sslplug_plugin, session_store),
                                  .abi_minor = 4,
                                  .many = 0,
                                  .roles = SSLPLUGI_SERVER,
                                  .takes = SSLPLUGI_TAKES_INTERNAL_CACHE,
                                  .raw = NULL,
                                  .no_raw = "OpenSSL's new, get and remove session callbacks "
                                            "cannot be one function",
                                  .check = sslplugi_session_store_check,
                                  .bind = sslplugi_session_store_bind},
    [SSLPLUG_CB_TICKET_KEYS] = {.name = "ticket_keys",
                                .member = offsetof(sslplug_plugin, ticket_keys),
                                .abi_minor = 4,
                                .many = 0,
                                .roles = SSLPLUGI_SERVER,
                                .takes = 0,
                                .raw = "int cb(SSL *ssl, unsigned char key_name[16], unsigned char "
                                       "*iv, EVP_CIPHER_CTX *ctx, EVP_MAC_CTX *hctx, int enc)",
                                .check = sslplugi_ticket_keys_check,
                                .bind = sslplugi_ticket_keys_bind},
};

/* A type without its row would load, and never be bound or freed. */
_Static_assert(sizeof(types) / sizeof(types[0]) == SSLPLUG_CB_COUNT,
               "every sslplug_cb_type has a row in types.c");

const sslplugi_type *
sslplugi_type_of(sslplug_cb_type t)
{
    return (unsigned)t < SSLPLUG_CB_COUNT ? &types[t] : NULL;
}

void (*sslplugi_type_function(const sslplug_plugin *d, sslplug_cb_type t))(void)
{
    void (*fn)(void) = NULL;

    if ((unsigned)t < SSLPLUG_CB_COUNT) {
        memcpy(&fn, (const unsigned char *)d + types[t].member, sizeof(fn));
    }
    return fn;
}

const char *
sslplug_cb_type_name(sslplug_cb_type type)
{
    return (unsigned)type < SSLPLUG_CB_COUNT ? types[type].name : "unknown";
}

int
sslplug_plugin_provides(const sslplug_plugin *d, sslplug_cb_type type)
{
    sslplug_plugin view;

    if (d == NULL || (unsigned)type >= SSLPLUG_CB_COUNT || d->magic != SSLPLUG_PLUGIN_MAGIC ||
        d->abi_major != SSLPLUG_ABI_MAJOR ||
        types[type].member + sizeof(void (*)(void)) > d->size) {
        return 0;
    }
    /* Only the members inside the plugin's own size are its. */
    memset(&view, 0, sizeof(view));
    memcpy(&view, d, d->size < sizeof(view) ? d->size : sizeof(view));
    return sslplugi_type_function(&view, type) != NULL;
}
