/* Host name patterns (name_pattern.h). */
#include "name_pattern.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

int
sslplugi_name_pattern(const sslplug_services *services, const char *pattern, char *out,
                      size_t outlen)
{
    int wild = strncmp(pattern, "*.", 2) == 0;

    if (!SSLPLUG_SERVICES_HAS(services, normalise_name)) {
        size_t i = 0;
        int fits;

        for (; pattern[i] != '\0' && i + 1 < outlen; i++) {
            out[i] = (char)tolower((unsigned char)pattern[i]);
        }
        out[i] = '\0';
        fits = pattern[i] == '\0' && i > 0;
        if (i > 1 && out[i - 1] == '.') {
            out[i - 1] = '\0';
        }
        return fits;
    }
    if (outlen < 3 || !services->normalise_name(pattern + (wild ? 2 : 0), out + (wild ? 2 : 0),
                                                outlen - (wild ? 2 : 0))) {
        return 0;
    }
    if (wild) {
        out[0] = '*';
        out[1] = '.';
    }
    return 1;
}

int
sslplugi_cfg_name_pattern(const sslplugi_cfg *cfg, const char *key, const char *pattern,
                          int bad_at_key, sslplugi_name_index *index, void *value)
{
    char normal[SSLPLUGI_NAME_MAX], where[2 * SSLPLUGI_NAME_MAX] = "";
    void **slot;

    sslplugi_pointer_append(where, sizeof(where), key);
    if (!sslplugi_name_pattern(cfg->services, pattern, normal, sizeof(normal))) {
        if (!bad_at_key) {
            sslplugi_pointer_append(where, sizeof(where), pattern);
        }
        sslplugi_cfg_error_at(cfg, where, "\"%s\" is not a host name or a \"*.\" pattern of one",
                              pattern);
        return 0;
    }
    sslplugi_pointer_append(where, sizeof(where), pattern);
    if ((slot = sslplugi_name_index_slot(index, normal)) == NULL) {
        sslplugi_cfg_error_at(cfg, where, "out of memory");
        return 0;
    }
    /* JSON keys are unique, so an existing slot is the same pattern in another spelling. */
    if (*slot != NULL) {
        sslplugi_cfg_error_at(cfg, where,
                              "\"%s\" is the pattern %s given twice (names compare in lower case, "
                              "without a trailing dot)",
                              pattern, normal);
        return 0;
    }
    *slot = value;
    return 1;
}

const char *
sslplugi_server_name(const sslplug_services *services, const SSL *ssl, char *out, size_t outlen)
{
    const char *raw;

    if (SSLPLUG_SERVICES_HAS(services, server_name)) {
        return services->server_name(ssl, out, outlen) ? out : NULL;
    }
    /* An older host: the form patterns get there (lower case, no trailing dot, labels unchecked).
     */
    raw = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    return raw != NULL && sslplugi_name_pattern(services, raw, out, outlen) ? out : NULL;
}
