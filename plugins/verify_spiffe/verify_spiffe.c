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
#include <strings.h>

#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

typedef struct spiffe {
    char *trust_domain;
    char **prefixes;  /* NULL: any path */
    char reason[512]; /* not used concurrently: see flags */
} spiffe;

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
valid_trust_domain(const char *td)
{
    if (td[0] == '\0') {
        return 0;
    }
    for (const char *p = td; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
              *p == '_')) {
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
    if (!valid_trust_domain(td)) {
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

/* The leaf's URI SANs: how many, and the first. */
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

            snprintf(first, len, "%.*s", ASN1_STRING_length(uri),
                     (const char *)ASN1_STRING_get0_data(uri));
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
    spiffe *sp = state;
    char uri[1024], td[256];
    const char *rest, *path;
    int count;

    (void)ssl;
    (void)servername;
    (void)alpn;
    (void)version;
    *reason = sp->reason;
    if (sk_X509_num(chain) < 1) {
        snprintf(sp->reason, sizeof(sp->reason), "no certificate");
        return 0;
    }
    if ((count = uri_sans(sk_X509_value(chain, 0), uri, sizeof(uri))) != 1) {
        snprintf(sp->reason, sizeof(sp->reason),
                 count == 0 ? "the certificate has no URI SAN: no SPIFFE ID"
                            : "the certificate has %d URI SANs: a SPIFFE ID is exactly one",
                 count);
        return 0;
    }
    if (strncasecmp(uri, "spiffe://", 9) != 0) {
        snprintf(sp->reason, sizeof(sp->reason), "%s is not a SPIFFE ID", uri);
        return 0;
    }
    rest = uri + 9;
    path = strchr(rest, '/');
    snprintf(td, sizeof(td), "%.*s", path != NULL ? (int)(path - rest) : (int)strlen(rest), rest);
    if (strcmp(td, sp->trust_domain) != 0) {
        snprintf(sp->reason, sizeof(sp->reason), "%s is in trust domain \"%s\", not \"%s\"", uri,
                 td, sp->trust_domain);
        return 0;
    }
    if (path == NULL || !under_prefix(sp->prefixes, path)) {
        snprintf(sp->reason, sizeof(sp->reason), "%s: its path is under none of the prefixes", uri);
        return 0;
    }
    *reason = NULL;
    return 1;
}

/*
 * Not thread-safe: the reason is written into the state, so the host calls
 * one connection at a time (the check is short).
 */
/* clang-format off */
static const sslplug_plugin verify_spiffe_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_spiffe",
    .version = "1.0",
    .init = sp_init,
    .fini = sp_fini,
    .verify_connection = sp_verify_connection,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &verify_spiffe_plugin;
}
