/*
 * Host name rules of the plugins that route by server name (cert_select_sni,
 * servername_map, alpn_map): a pattern is a name or "*." and a name,
 * matching the name or one more label before it ("*.svc.local" matches
 * a.svc.local, not svc.local nor a.b.svc.local).  Patterns and names are
 * both in the host's one form (lower case, no trailing dot:
 * services->normalise_name and ->server_name), so they compare byte for
 * byte; name_index.h finds them.
 */
#ifndef SSLPLUG_NAME_PATTERN_H
#define SSLPLUG_NAME_PATTERN_H

#include <stddef.h>

#include <sslplug/plugin.h>

#include "name_index.h"
#include "sslplug_plugin_util.h"

/* Room for any pattern in the host's form: "*.", 253 bytes of name, NUL. */
#define SSLPLUGI_NAME_MAX 256

/**
 * The pattern in the host's form into out (outlen bytes).  On a host older
 * than ABI 1.3, which has no normalise_name, the pattern lower-cased and
 * without one trailing dot, its labels unchecked.
 * @returns 1, or 0 for a pattern that is not a host name or "*." and one,
 *          or does not fit.
 */
int sslplugi_name_pattern(const sslplug_services *services, const char *pattern, char *out,
                          size_t outlen);

/**
 * For a plugin whose config maps name patterns to values (servername_map,
 * alpn_map): add the member `pattern` (as written) of the object at `key`
 * to index, with value (not NULL).  Reports, and returns 0, for a pattern
 * that is not a host name or "*." and one (at "/<key>/<pattern>", or at
 * "/<key>" with bad_at_key), and for one that is an earlier member's
 * pattern spelt another way ("A.Example." after "a.example", at
 * "/<key>/<pattern>"); out of memory too.  Returns 1 when added.
 */
int sslplugi_cfg_name_pattern(const sslplugi_cfg *cfg, const char *key, const char *pattern,
                              int bad_at_key, sslplugi_name_index *index, void *value);

/**
 * The connection's server name in the host's form into out (outlen bytes);
 * NULL when there is none.  On a host older than ABI 1.3,
 * SSL_get_servername lower-cased and without one trailing dot.
 */
const char *sslplugi_server_name(const sslplug_services *services, const SSL *ssl, char *out,
                                 size_t outlen);

#endif /* SSLPLUG_NAME_PATTERN_H */
