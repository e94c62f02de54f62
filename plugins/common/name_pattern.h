/*
 * Host name rules of the plugins that route by server name (servername_map,
 * alpn_map): a pattern is a name or "*." and a name, matching the name or
 * one more label before it ("*.svc.local" matches a.svc.local, not
 * svc.local nor a.b.svc.local).  Patterns and names are both in the host's
 * one form (lower case, no trailing dot: services->normalise_name and
 * ->server_name), so they compare byte for byte.
 */
#ifndef SSLPLUG_NAME_PATTERN_H
#define SSLPLUG_NAME_PATTERN_H

#include <sslplug/plugin.h>

/*
 * The pattern in the host's form, malloc'd; NULL for a pattern that is not a
 * host name or "*." and one (or out of memory).  On a host older than ABI
 * 1.3, which hands names as clients send them, the pattern lower-cased.
 */
char *sslplugi_name_pattern(const sslplug_services *services, const char *pattern);

/* Whether a normalised name matches a pattern from sslplugi_name_pattern. */
int sslplugi_name_matches(const char *pattern, const char *name);

/*
 * The connection's server name in the host's form into out (outlen bytes);
 * NULL when there is none.  An older host's SSL_get_servername as it is.
 */
const char *sslplugi_server_name(const sslplug_services *services, const SSL *ssl, char *out,
                                 size_t outlen);

#endif /* SSLPLUG_NAME_PATTERN_H */
