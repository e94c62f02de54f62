/*
 * verify_spiffe: accept a peer only by its SPIFFE ID, as a service mesh
 * does (Envoy's SPIFFE validator): the leaf of the verified chain carries
 * exactly one URI SAN, a SPIFFE ID (spiffe://TRUST-DOMAIN/PATH) in the
 * configured trust domain whose path lies under one of the configured
 * prefixes.  Provides the verify_connection callback (ABI 1.4), so it
 * decides only about chains the verify pipeline accepted.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

typedef struct spiffe {
    char *trust_domain;
    char **prefixes; /* NULL: any path */
} spiffe;

/* The SPIFFE ID specification's bounds: the whole ID, and its trust domain. */
#define ID_MAX 2048
#define TRUST_DOMAIN_MAX 255

static void
sp_fini(void *state)
{
    spiffe *sp = state;

    if (sp == NULL) {
        return;
    }
    free(sp->trust_domain);
    sslplugi_strings_free(sp->prefixes);
    free(sp);
}

/* A trust domain as the SPIFFE specification allows: lower case letters, digits, '.', '-', '_'. */
static int
valid_trust_domain(const char *td, size_t len)
{
    if (len == 0 || len > TRUST_DOMAIN_MAX) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = td[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              c == '_')) {
            return 0;
        }
    }
    return 1;
}

/*
 * A path as the specification allows: empty, or segments "/SEGMENT" of
 * letters, digits, '.', '-', '_', none empty, "." or "..".  So no query,
 * fragment, percent-encoding or trailing '/', and no "/ns/prod/../admin"
 * that a prefix test would place under "/ns/prod/".
 */
static int
valid_path(const char *path)
{
    const char *p = path;

    while (*p != '\0') {
        const char *seg = ++p; /* past the '/' */

        for (; *p != '\0' && *p != '/'; p++) {
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_')) {
                return 0;
            }
        }
        if (p == seg || (p - seg == 1 && seg[0] == '.') ||
            (p - seg == 2 && seg[0] == '.' && seg[1] == '.')) {
            return 0;
        }
    }
    return 1;
}

static int
sp_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"trust_domain", "path_prefixes", NULL};
    spiffe *sp = calloc(1, sizeof(*sp));
    const char *td = NULL;
    size_t n = 0;
    sslplugi_cfg cfg;
    int ok = 0;

    if (sp == NULL) {
        return 0;
    }
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_string(&cfg, "trust_domain", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &td) ||
        !sslplugi_cfg_strings(&cfg, "path_prefixes", SSLPLUGI_OPTIONAL | SSLPLUGI_NONEMPTY,
                              &sp->prefixes, &n)) {
        goto done;
    }
    if (!valid_trust_domain(td, strlen(td))) {
        sslplugi_cfg_error(&cfg, "trust_domain",
                           "\"%s\" is not a SPIFFE trust domain (lower case letters, digits, "
                           "'.', '-', '_')",
                           td);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (sp->prefixes[i][0] != '/') {
            sslplugi_cfg_element_error(&cfg, "path_prefixes", i,
                                       "a path prefix starts with '/', found \"%s\"",
                                       sp->prefixes[i]);
            goto done;
        }
    }
    if ((sp->trust_domain = strdup(td)) == NULL) {
        goto done;
    }
    *state = sp;
    sp = NULL;
    ok = 1;
done:
    sslplugi_cfg_close(&cfg);
    sp_fini(sp);
    return ok;
}

/*
 * The leaf's URI SANs: how many, and the first, whole; "" when it does not
 * fit in len or holds a NUL (it is then judged by no shorter text).
 */
static int
uri_sans(X509 *leaf, char *first, size_t len)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int count = 0;

    first[0] = '\0';
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);

        if (gn->type != GEN_URI) {
            continue;
        }
        if (count++ == 0) {
            const ASN1_IA5STRING *uri = gn->d.uniformResourceIdentifier;
            const unsigned char *data = ASN1_STRING_get0_data(uri);
            int n = ASN1_STRING_length(uri);

            if (n > 0 && (size_t)n < len && memchr(data, '\0', (size_t)n) == NULL) {
                memcpy(first, data, (size_t)n);
                first[n] = '\0';
            }
        }
    }
    GENERAL_NAMES_free(names);
    return count;
}

static int
under_prefix(char *const *prefixes, const char *path)
{
    if (prefixes == NULL) {
        return 1;
    }
    for (size_t i = 0; prefixes[i] != NULL; i++) {
        if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

static int
sp_verify_connection(void *state, SSL *ssl, STACK_OF(X509) *chain, const char *servername,
                     const char *alpn, int version, const char **reason)
{
    /* One per thread: the host copies it before another call can run on this one. */
    static _Thread_local char why[ID_MAX + 128];
    const spiffe *sp = state;
    char uri[ID_MAX + 1];
    const char *rest, *path;
    size_t td_len;
    int count;

    (void)ssl;
    (void)servername;
    (void)alpn;
    (void)version;
    *reason = why;
    if (sk_X509_num(chain) < 1) {
        snprintf(why, sizeof(why), "no certificate");
        return 0;
    }
    if ((count = uri_sans(sk_X509_value(chain, 0), uri, sizeof(uri))) != 1) {
        snprintf(why, sizeof(why),
                 count == 0 ? "the certificate has no URI SAN: no SPIFFE ID"
                            : "the certificate has %d URI SANs: a SPIFFE ID is exactly one",
                 count);
        return 0;
    }
    if (uri[0] == '\0') {
        snprintf(why, sizeof(why), "its URI SAN is empty, longer than %d bytes or holds a NUL",
                 ID_MAX);
        return 0;
    }
    if (strncmp(uri, "spiffe://", 9) != 0) {
        snprintf(why, sizeof(why), "%s is not a SPIFFE ID", uri);
        return 0;
    }
    rest = uri + 9;
    path = rest + strcspn(rest, "/");
    td_len = (size_t)(path - rest);
    if (!valid_trust_domain(rest, td_len) || !valid_path(path)) {
        snprintf(why, sizeof(why), "%s is not a valid SPIFFE ID", uri);
        return 0;
    }
    if (td_len != strlen(sp->trust_domain) || memcmp(rest, sp->trust_domain, td_len) != 0) {
        snprintf(why, sizeof(why), "%s is in trust domain \"%.*s\", not \"%s\"", uri, (int)td_len,
                 rest, sp->trust_domain);
        return 0;
    }
    if (*path == '\0' || !under_prefix(sp->prefixes, path)) {
        snprintf(why, sizeof(why), "%s: its path is under none of the prefixes", uri);
        return 0;
    }
    *reason = NULL;
    return 1;
}

/* Thread-safe: the state is only read, and the reason is per thread. */
/* clang-format off */
static const sslplug_plugin verify_spiffe_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_spiffe",
    .version = "1.0",
    .init = sp_init,
    .fini = sp_fini,
    .verify_connection = sp_verify_connection,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &verify_spiffe_plugin;
}
