/*
 * The callback types, each described once (types.c), read by every module
 * that deals in types: the configuration parser (key, one entry or a list,
 * which entry keys it takes, roles, unsafe combinations), the loader (the
 * descriptor member, the ABI minor that introduced it), the binding (the
 * function that binds it into an SSL_CTX), type names, inspect and the
 * trace.  Nothing outside the type's own cb_<type>.c switches on a type.
 *
 * To add a callback type:
 *  1. plugin.h: the descriptor member (at the end, SSLPLUG_ABI_MINOR bumped)
 *     and the raw typedef;
 *  2. sslplug.h: the enum value, before SSLPLUG_CB_COUNT;
 *  3. types.c: one row, and the declaration of its functions below;
 *  4. cb_<type>.c: the trampoline(s), the bind function and, if using the
 *     type can make a configuration unsafe, the check;
 *  5. tests/test_cb_<type>.c;
 *  6. config/sslplug.schema.json: the "callbacks" entry;
 *  and the documentation: sslplug-plugin(7), sslplug.json(5), the README.
 */
#ifndef SSLPLUG_HOST_TYPES_H
#define SSLPLUG_HOST_TYPES_H

#include "internal.h"

typedef struct sslplugi_binding sslplugi_binding;

/* Roles a type may be configured in. */
#define SSLPLUGI_SERVER 1u
#define SSLPLUGI_CLIENT 2u

/* The entry keys beyond the common ones a type takes. */
#define SSLPLUGI_TAKES_EVENTS 1u    /* "events": info */
#define SSLPLUGI_TAKES_OVERRIDES 2u /* "may_override": verify */
#define SSLPLUGI_MAY_BE_OPTIONAL                                                                   \
    4u /* "optional": true; only types whose absence weakens nothing                               \
        */
#define SSLPLUGI_TAKES_INTERNAL_CACHE 8u /* "internal_cache": session_store */

/*
 * Bind the binding's instances of this type (b->slot[type], possibly none)
 * into ctx, configured as conf says; own_ctx: sslplug made the context.
 * Called for every type on every context.  Returns 1, or 0 with err.
 */
typedef int sslplugi_bind_fn(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                             int own_ctx, sslplug_error *err);
/*
 * Refuse a configuration in which this type, configured count times (0
 * included), would do less than the configuration says.  Returns 1, or 0
 * with err at the pointer of the key to change.
 */
typedef int sslplugi_check_fn(const sslplugi_config *c, size_t count, sslplug_error *err);

typedef struct sslplugi_type {
    const char *name;         /* the key under "callbacks", and the type's name everywhere */
    size_t member;            /* offsetof(sslplug_plugin, <member>): the ABI form's function */
    uint16_t abi_minor;       /* the plugin ABI minor that introduced it */
    int many;                 /* an entry or a list of entries */
    unsigned roles;           /* SSLPLUGI_SERVER | SSLPLUGI_CLIENT */
    unsigned takes;           /* SSLPLUGI_TAKES_*, SSLPLUGI_MAY_BE_OPTIONAL */
    const char *raw;          /* the raw form's C signature, OpenSSL's own; NULL: no raw form */
    const char *no_raw;       /* raw == NULL: why there is none, for the error */
    int sends_certificate;    /* can give the certificate the context presents (lints) */
    sslplugi_check_fn *check; /* NULL: nothing makes it unsafe */
    sslplugi_bind_fn *bind;
} sslplugi_type;

/* The row of type t (0 <= t < SSLPLUG_CB_COUNT). */
const sslplugi_type *sslplugi_type_of(sslplug_cb_type t);

/* The function a descriptor (zero-extended to this host's size) gives for t, or NULL. */
void (*sslplugi_type_function(const sslplug_plugin *d, sslplug_cb_type t))(void);

/*
 * Refuse a configuration whose main or a named context does not verify its
 * peer: what ("verify callbacks are") would then decide nothing (cb_verify.c).
 */
int sslplugi_check_verifies(const sslplugi_config *c, const char *what, sslplug_error *err);

/* Each type's functions, defined in its cb_<type>.c. */
sslplugi_bind_fn sslplugi_password_bind, sslplugi_verify_bind, sslplugi_info_bind,
    sslplugi_client_cert_bind, sslplugi_cert_bind, sslplugi_servername_bind, sslplugi_keylog_bind,
    sslplugi_alpn_bind, sslplugi_status_bind, sslplugi_verify_connection_bind,
    sslplugi_session_store_bind, sslplugi_ticket_keys_bind;
sslplugi_check_fn sslplugi_verify_check, sslplugi_client_cert_check, sslplugi_servername_check,
    sslplugi_alpn_check, sslplugi_status_check, sslplugi_verify_connection_check,
    sslplugi_session_store_check, sslplugi_ticket_keys_check;

#endif /* SSLPLUG_HOST_TYPES_H */
