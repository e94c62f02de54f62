/* The names a leaf serves, by X509_check_host's rules (leaf_names.h). */
#include "leaf_names.h"

#include <string.h>

#include <openssl/x509v3.h>

#include "name_pattern.h"

/* One name as the certificate has it (not NUL-terminated): to fn as a pattern, or why not. */
static int
one_name(const sslplug_services *services, const unsigned char *data, int len,
         sslplugi_leaf_name_fn fn, void *arg)
{
    char text[SSLPLUGI_NAME_MAX], pattern[SSLPLUGI_NAME_MAX];
    const char *why = NULL, *star;

    if (len <= 0 || (size_t)len >= sizeof(text) || memchr(data, '\0', (size_t)len) != NULL) {
        return fn(arg, "(empty, too long or holding a NUL)", NULL, "not a host name");
    }
    memcpy(text, data, (size_t)len);
    text[len] = '\0';
    star = strchr(text, '*');
    if (text[len - 1] == '.') {
        why = "it ends with a dot, which X509_check_host never matches";
    } else if (star != NULL && (star != text || text[1] != '.' || strchr(text + 1, '*') != NULL)) {
        why = "only a \"*.\" wildcard of the whole first label is served";
    } else if (star != NULL && strchr(text + 2, '.') == NULL) {
        why = "a wildcard needs two labels after \"*.\" (X509_check_host takes it literally)";
    } else if (!sslplugi_name_pattern(services, text, pattern, sizeof(pattern))) {
        why = "not a host name";
    }
    return fn(arg, text, why == NULL ? pattern : NULL, why);
}

/* The DNS subjectAltNames; *count receives how many there are. */
static int
dns_names(const sslplug_services *services, X509 *leaf, sslplugi_leaf_name_fn fn, void *arg,
          int *count)
{
    GENERAL_NAMES *sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int ok = 1;

    *count = 0;
    for (int i = 0; ok && i < sk_GENERAL_NAME_num(sans); i++) {
        const GENERAL_NAME *gen = sk_GENERAL_NAME_value(sans, i);

        if (gen->type == GEN_DNS) {
            (*count)++;
            ok = one_name(services, ASN1_STRING_get0_data(gen->d.dNSName),
                          ASN1_STRING_length(gen->d.dNSName), fn, arg);
        }
    }
    GENERAL_NAMES_free(sans);
    return ok;
}

int
sslplugi_leaf_names(const sslplug_services *services, X509 *leaf, sslplugi_leaf_name_fn fn,
                    void *arg)
{
    const X509_NAME *subject = X509_get_subject_name(leaf);
    int count, ok;

    if (!dns_names(services, leaf, fn, arg, &count)) {
        return 0;
    }
    /* As X509_check_host: the subject's commonNames only without a DNS subjectAltName. */
    ok = 1;
    for (int i = -1;
         ok && count == 0 && (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
        unsigned char *utf8 = NULL;
        int len =
            ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i)));

        ok = len < 0 ? fn(arg, "(a commonName not in UTF-8)", NULL, "not a host name")
                     : one_name(services, utf8, len, fn, arg);
        OPENSSL_free(utf8);
    }
    return ok;
}

int
sslplugi_wildcard_label(const char *name)
{
    const char *p = name;

    for (; *p != '\0' && *p != '.'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-')) {
            return 0;
        }
    }
    return p != name && *p == '.';
}
