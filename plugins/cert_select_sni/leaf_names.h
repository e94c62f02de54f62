/*
 * The names a leaf certificate serves, by the rules X509_check_host applies
 * with no flags, as patterns in the host's form (name_pattern.h), so that
 * cert_select_sni can index them at init instead of asking X509_check_host
 * about every chain at every handshake:
 *  - its DNS subjectAltNames; its subject's commonNames only when it has
 *    no DNS subjectAltName;
 *  - "*.example.com" matches one label more, and only when at least two
 *    labels follow the "*." (X509_check_host takes "*.com" literally);
 *  - the label a wildcard matches holds only letters, digits and hyphens
 *    (sslplugi_wildcard_label).
 * Not served (X509_check_host would accept them, certificate authorities no
 * longer issue them, and an index cannot find them): partial-label
 * wildcards ("f*.example.com").  Never matched by either: a name with a
 * trailing dot, or that is not a host name.
 */
#ifndef SSLPLUG_LEAF_NAMES_H
#define SSLPLUG_LEAF_NAMES_H

#include <openssl/x509.h>

#include <sslplug/plugin.h>

/*
 * Called once per name of the leaf: pattern is the name in the host's form
 * ("*." and a name for a wildcard), or NULL when the name is not served, with
 * why saying why.  text is the name as the certificate has it.  Returns 1 to
 * go on, 0 to stop.
 */
typedef int (*sslplugi_leaf_name_fn)(void *arg, const char *text, const char *pattern,
                                     const char *why);

/**
 * Call fn for each name leaf carries (see above).
 * @returns 1, or 0 when fn stopped or memory ran out.
 */
int sslplugi_leaf_names(const sslplug_services *services, X509 *leaf, sslplugi_leaf_name_fn fn,
                        void *arg);

/** Whether the first label of name may be matched by a "*." wildcard (X509_check_host). */
int sslplugi_wildcard_label(const char *name);

#endif /* SSLPLUG_LEAF_NAMES_H */
