/*
 * verify_name: the peer's leaf certificate must carry one of the configured
 * names: host names and IP addresses (X509_check_host / X509_check_ip_asc,
 * plus "*.domain" patterns), exact subjects, or subjectAltName entries.
 * An allowlist on top of OpenSSL's verification: it can only reject.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "sslplug_plugin_util.h"

/* RFC 2253 subjects longer than this never match (they are cut when printed). */
#define SUBJECT_MAX 1024

/* One "sans" entry: a subjectAltName type and its value. */
typedef struct san {
    int type;             /* GEN_DNS, GEN_IPADD, GEN_EMAIL, GEN_URI */
    char *text;           /* the value after "DNS:" etc. */
    unsigned char ip[16]; /* GEN_IPADD: the address, 4 or 16 bytes */
    int ip_len;
} san;

typedef struct verify_name {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char **hosts; /* names, or "*.domain" patterns */
    char **ips;
    char **subjects;
    san *sans;
    size_t san_count;
    int mismatch_error; /* what SSL_get_verify_result says after a rejection */
} verify_name;

/* "*.domain": does name consist of exactly one label followed by ".domain"? */
static int
one_label_under(const char *name, size_t name_len, const char *pattern)
{
    const char *suffix = pattern + 1; /* ".domain" */
    size_t suffix_len = strlen(suffix);
    size_t label_len;

    if (name_len <= suffix_len) {
        return 0;
    }
    label_len = name_len - suffix_len;
    if (strncasecmp(name + label_len, suffix, suffix_len) != 0) {
        return 0;
    }
    return memchr(name, '.', label_len) == NULL;
}

/* An ASN1 string usable as text: no embedded NUL. */
static int
asn1_text(const ASN1_STRING *s, const char **text, size_t *len)
{
    const unsigned char *data = ASN1_STRING_get0_data(s);
    int n = ASN1_STRING_length(s);

    if (data == NULL || n <= 0 || memchr(data, '\0', (size_t)n) != NULL) {
        return 0;
    }
    *text = (const char *)data;
    *len = (size_t)n;
    return 1;
}

/*
 * A "*.domain" pattern against the certificate's DNS names, or its common
 * names when it has no DNS name (as X509_check_host does by default).
 */
static int
pattern_matches(X509 *leaf, const GENERAL_NAMES *names, const char *pattern)
{
    const X509_NAME *subject = X509_get_subject_name(leaf);
    int have_dns = 0;
    const char *text;
    size_t len;

    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gen = sk_GENERAL_NAME_value(names, i);

        if (gen->type != GEN_DNS) {
            continue;
        }
        have_dns = 1;
        if (asn1_text(gen->d.dNSName, &text, &len) && one_label_under(text, len, pattern)) {
            return 1;
        }
    }
    if (have_dns) {
        return 0;
    }
    for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
        const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));

        if (asn1_text(cn, &text, &len) && one_label_under(text, len, pattern)) {
            return 1;
        }
    }
    return 0;
}

static int
san_matches(const GENERAL_NAMES *names, const san *want)
{
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *gen = sk_GENERAL_NAME_value(names, i);
        const char *text;
        size_t len;

        if (gen->type != want->type) {
            continue;
        }
        switch (gen->type) {
        case GEN_IPADD:
            if (ASN1_STRING_length(gen->d.iPAddress) == want->ip_len &&
                memcmp(ASN1_STRING_get0_data(gen->d.iPAddress), want->ip, (size_t)want->ip_len) ==
                    0) {
                return 1;
            }
            break;
        case GEN_DNS:
        case GEN_EMAIL:
            /* ia5String covers dNSName and rfc822Name alike. */
            if (asn1_text(gen->d.ia5, &text, &len) && len == strlen(want->text) &&
                strncasecmp(text, want->text, len) == 0) {
                return 1;
            }
            break;
        case GEN_URI:
            if (asn1_text(gen->d.uniformResourceIdentifier, &text, &len) &&
                len == strlen(want->text) && memcmp(text, want->text, len) == 0) {
                return 1;
            }
            break;
        default:
            break;
        }
    }
    return 0;
}

static int
leaf_matches(const verify_name *vn, X509 *leaf)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int match = 0;

    for (char **h = vn->hosts; !match && h != NULL && *h != NULL; h++) {
        match = (*h)[0] == '*' ? pattern_matches(leaf, names, *h)
                               : X509_check_host(leaf, *h, 0, 0, NULL) == 1;
    }
    for (char **ip = vn->ips; !match && ip != NULL && *ip != NULL; ip++) {
        match = X509_check_ip_asc(leaf, *ip, 0) == 1;
    }
    if (!match && vn->subjects != NULL) {
        char subject[SUBJECT_MAX];

        sslplugi_x509_name(X509_get_subject_name(leaf), subject, sizeof(subject));
        for (char **s = vn->subjects; !match && *s != NULL; s++) {
            match = strcmp(subject, *s) == 0;
        }
    }
    for (size_t i = 0; !match && i < vn->san_count; i++) {
        match = san_matches(names, &vn->sans[i]);
    }
    GENERAL_NAMES_free(names);
    return match;
}

/* The leaf is judged at depth 0; failures are passed on, never overridden. */
static int
vn_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const verify_name *vn = state;
    X509 *leaf;
    char subject[SUBJECT_MAX];

    if (!ok || X509_STORE_CTX_get_error_depth(store) > 0) {
        return ok;
    }
    leaf = X509_STORE_CTX_get0_cert(store);
    if (leaf != NULL && leaf_matches(vn, leaf)) {
        return 1;
    }
    sslplugi_x509_name(leaf != NULL ? X509_get_subject_name(leaf) : NULL, subject, sizeof(subject));
    vn->services->log(vn->handle, SSLPLUG_LOG_WARNING,
                      "leaf \"%s\" carries none of the allowed names: rejected", subject);
    X509_STORE_CTX_set_error(store, vn->mismatch_error);
    return 0;
}

static void
vn_free(verify_name *vn)
{
    if (vn == NULL) {
        return;
    }
    sslplugi_strings_free(vn->hosts);
    sslplugi_strings_free(vn->ips);
    sslplugi_strings_free(vn->subjects);
    for (size_t i = 0; i < vn->san_count; i++) {
        free(vn->sans[i].text);
    }
    free(vn->sans);
    free(vn);
}

/* A bare name, or "*." and a domain of at least two labels; no other "*". */
static int
valid_host(const char *h)
{
    const char *rest = h;

    if (strncmp(h, "*.", 2) == 0) {
        rest = h + 2;
        if (strchr(rest, '.') == NULL) {
            return 0;
        }
    }
    return rest[0] != '\0' && rest[0] != '.' && strchr(rest, '*') == NULL &&
           rest[strlen(rest) - 1] != '.' && strstr(rest, "..") == NULL;
}

static int
valid_ip(const char *text, unsigned char *out, int *out_len)
{
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(text);
    int n = ip != NULL ? ASN1_STRING_length(ip) : 0;
    int ok = ip != NULL && (n == 4 || n == 16);

    if (ok && out != NULL) {
        memcpy(out, ASN1_STRING_get0_data(ip), (size_t)n);
        *out_len = n;
    }
    ASN1_OCTET_STRING_free(ip);
    return ok;
}

static int
read_names(const sslplugi_cfg *cfg, verify_name *vn)
{
    if (!sslplugi_cfg_strings(cfg, "hosts", SSLPLUGI_NONEMPTY, &vn->hosts, NULL) ||
        !sslplugi_cfg_strings(cfg, "ips", SSLPLUGI_NONEMPTY, &vn->ips, NULL) ||
        !sslplugi_cfg_strings(cfg, "subjects", SSLPLUGI_NONEMPTY, &vn->subjects, NULL)) {
        return 0;
    }
    for (size_t i = 0; vn->hosts != NULL && vn->hosts[i] != NULL; i++) {
        if (!valid_host(vn->hosts[i])) {
            sslplugi_cfg_element_error(
                cfg, "hosts", i,
                "not a host name: expected a name or \"*.\" and a domain of at least "
                "two labels, found \"%s\"",
                vn->hosts[i]);
            return 0;
        }
    }
    for (size_t i = 0; vn->ips != NULL && vn->ips[i] != NULL; i++) {
        if (!valid_ip(vn->ips[i], NULL, NULL)) {
            sslplugi_cfg_element_error(
                cfg, "ips", i, "not an IP address: expected IPv4 or IPv6 text, found \"%s\"",
                vn->ips[i]);
            return 0;
        }
    }
    for (size_t i = 0; vn->subjects != NULL && vn->subjects[i] != NULL; i++) {
        if (vn->subjects[i][0] == '\0') {
            sslplugi_cfg_element_error(cfg, "subjects", i,
                                       "empty subject: expected an RFC 2253 name such as "
                                       "\"CN=client,O=example\", found \"\"");
            return 0;
        }
    }
    return 1;
}

static int
read_sans(const sslplugi_cfg *cfg, verify_name *vn)
{
    static const struct {
        const char *prefix;
        int type;
    } kinds[] = {{"DNS:", GEN_DNS}, {"IP:", GEN_IPADD}, {"email:", GEN_EMAIL}, {"URI:", GEN_URI}};
    char **texts = NULL;
    size_t count = 0;
    int ok = 0;

    if (!sslplugi_cfg_strings(cfg, "sans", SSLPLUGI_NONEMPTY, &texts, &count)) {
        return 0;
    }
    if (texts == NULL) {
        return 1; /* absent */
    }
    if ((vn->sans = calloc(count, sizeof(*vn->sans))) == NULL) {
        sslplugi_cfg_error(cfg, "sans", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        san *s = &vn->sans[i];
        const char *value = NULL;

        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && value == NULL; k++) {
            if (strncmp(texts[i], kinds[k].prefix, strlen(kinds[k].prefix)) == 0) {
                s->type = kinds[k].type;
                value = texts[i] + strlen(kinds[k].prefix);
            }
        }
        if (value == NULL || value[0] == '\0' ||
            (s->type == GEN_IPADD && !valid_ip(value, s->ip, &s->ip_len))) {
            sslplugi_cfg_element_error(
                cfg, "sans", i,
                "not a subjectAltName: expected \"DNS:name\", \"IP:address\", "
                "\"email:address\" or \"URI:uri\", found \"%s\"",
                texts[i]);
            goto done;
        }
        if ((s->text = strdup(value)) == NULL) {
            sslplugi_cfg_error(cfg, "sans", "out of memory");
            goto done;
        }
        vn->san_count = i + 1;
    }
    ok = 1;

done:
    sslplugi_strings_free(texts);
    return ok;
}

/* A code that says what did not match, for SSL_get_verify_result. */
static int
mismatch_error(const verify_name *vn)
{
    if (vn->subjects == NULL && vn->sans == NULL) {
        if (vn->ips == NULL) {
            return X509_V_ERR_HOSTNAME_MISMATCH;
        }
        if (vn->hosts == NULL) {
            return X509_V_ERR_IP_ADDRESS_MISMATCH;
        }
    }
    return X509_V_ERR_APPLICATION_VERIFICATION;
}

static int
vn_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"hosts", "ips", "subjects", "sans", NULL};
    sslplugi_cfg cfg;
    verify_name *vn = NULL;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys)) {
        goto done;
    }
    if ((vn = calloc(1, sizeof(*vn))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (!read_names(&cfg, vn) || !read_sans(&cfg, vn)) {
        goto done;
    }
    if (vn->hosts == NULL && vn->ips == NULL && vn->subjects == NULL && vn->sans == NULL) {
        sslplugi_cfg_error(&cfg, "",
                           "no names to allow: expected at least one of \"hosts\", \"ips\", "
                           "\"subjects\", \"sans\"");
        goto done;
    }
    vn->services = services;
    vn->handle = handle;
    vn->mismatch_error = mismatch_error(vn);
    *state = vn;
    vn = NULL;
    ok = 1;

done:
    vn_free(vn);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
vn_fini(void *state)
{
    vn_free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_name",
    .version = "1.0",
    .init = vn_init,
    .fini = vn_fini,
    .verify = vn_verify,
    /* Callbacks only read state fixed at init. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
