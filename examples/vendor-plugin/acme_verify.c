/*
 * acme_verify: a verify plugin that refuses peers by name.
 *
 *     "verify": {"plugin": "/opt/acme/acme_verify.so",
 *                "config": {"deny_cn": ["old.example", "test.example"]}}
 *
 * Every certificate of the peer's chain passes through verify(); this one
 * looks only at the leaf (depth 0) and rejects it when its subject's common
 * name is on the deny list.  Everything else keeps the verdict it came with:
 * a verify plugin should never turn a rejection into an acceptance unless
 * the configuration allows it ("may_override"), and the host enforces that.
 *
 * What this file shows, in order: the state one configured entry owns;
 * init, which checks the entry's "config" and reports mistakes with a JSON
 * pointer; the callback; fini; and the descriptor with the entry point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

/* One configured entry's state: made by init, read by verify, freed by fini. */
typedef struct acme_verify {
    const sslplug_services *services; /* valid as long as the state exists */
    const sslplug_handle *handle;     /* identifies this entry when logging */
    char **deny;                      /* common names to refuse */
    size_t deny_count;
} acme_verify;

static void
av_free(acme_verify *av)
{
    if (av == NULL) {
        return;
    }
    for (size_t i = 0; i < av->deny_count; i++) {
        free(av->deny[i]);
    }
    free(av->deny);
    free(av);
}

/* Copy the "deny_cn" array out of the config; report the first bad element. */
static int
read_deny_list(acme_verify *av, sslplug_handle *handle, json_t *list)
{
    size_t i;
    json_t *v;

    if (!json_is_array(list)) {
        av->services->error(handle, "/deny_cn", "must be an array of strings");
        return 0;
    }
    if ((av->deny = calloc(json_array_size(list) + 1, sizeof(char *))) == NULL) {
        av->services->error(handle, NULL, "out of memory");
        return 0;
    }
    json_array_foreach(list, i, v)
    {
        char ptr[32];

        if (!json_is_string(v) || json_string_length(v) == 0) {
            /* The pointer is relative to "config"; the host makes it absolute. */
            snprintf(ptr, sizeof(ptr), "/deny_cn/%zu", i);
            av->services->error(handle, ptr, "must be a non-empty string");
            return 0;
        }
        if ((av->deny[i] = strdup(json_string_value(v))) == NULL) {
            av->services->error(handle, NULL, "out of memory");
            return 0;
        }
        av->deny_count = i + 1;
    }
    return 1;
}

static int
av_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    acme_verify *av = NULL;
    json_t *config = NULL;
    const char *key;
    json_t *value;
    int ok = 0;

    if ((av = calloc(1, sizeof(*av))) == NULL) {
        services->error(handle, NULL, "out of memory");
        return 0;
    }
    av->services = services;
    av->handle = handle;
    /* The host hands over the entry's "config" as compact JSON ("{}" when absent). */
    config = json_loads(config_json, 0, NULL);
    if (!json_is_object(config)) {
        services->error(handle, "", "must be an object");
        goto done;
    }
    /* Refuse keys we do not know: a typo must not silently weaken a policy. */
    json_object_foreach(config, key, value)
    {
        if (strcmp(key, "deny_cn") == 0) {
            if (!read_deny_list(av, handle, value)) {
                goto done;
            }
        } else {
            char ptr[128];

            snprintf(ptr, sizeof(ptr), "/%s", key);
            services->error(handle, ptr, "unknown key");
            goto done;
        }
    }
    *state = av;
    av = NULL;
    ok = 1;
done:
    json_decref(config);
    av_free(av);
    return ok;
}

static void
av_fini(void *state)
{
    av_free(state);
}

/* The leaf's common name, for comparison; NULL when it has none. */
static char *
leaf_cn(X509 *cert)
{
    X509_NAME *name = cert != NULL ? X509_get_subject_name(cert) : NULL;
    int at = name != NULL ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    unsigned char *utf8 = NULL;

    if (at < 0 ||
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at))) < 0) {
        return NULL;
    }
    return (char *)utf8;
}

/*
 * Called for each certificate of the chain, deepest first; ok is the
 * verdict so far.  The state is only read here, so concurrent calls are safe
 * (the descriptor says so with SSLPLUG_PLUGIN_THREAD_SAFE).
 */
static int
av_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const acme_verify *av = state;
    char *cn;

    if (!ok || X509_STORE_CTX_get_error_depth(store) != 0) {
        return ok;
    }
    if ((cn = leaf_cn(X509_STORE_CTX_get_current_cert(store))) == NULL) {
        return ok;
    }
    for (size_t i = 0; i < av->deny_count; i++) {
        if (strcmp(cn, av->deny[i]) == 0) {
            av->services->log(av->handle, SSLPLUG_LOG_WARNING, "refusing CN=%s: on deny_cn", cn);
            ok = 0;
            break;
        }
    }
    if (ok) {
        av->services->log(av->handle, SSLPLUG_LOG_INFO, "accepting CN=%s", cn);
    }
    OPENSSL_free(cn);
    return ok;
}

/*
 * The descriptor.  SSLPLUG_PLUGIN_HEADER records the ABI this file was
 * compiled against and the struct's size; members not named here are NULL
 * or 0, which is what "absent" means to the host.
 */
/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "acme_verify",
    .version = "1.0.0",
    .init = av_init,
    .fini = av_fini,
    .verify = av_verify,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

/* The one exported symbol; hidden visibility keeps everything else private. */
SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
