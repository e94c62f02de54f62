/* Host name patterns (name_pattern.h). */
#include "name_pattern.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
sslplugi_name_pattern(const sslplug_services *services, const char *pattern)
{
    int wild = strncmp(pattern, "*.", 2) == 0;
    char name[256];

    if (!SSLPLUG_SERVICES_HAS(services, normalise_name)) {
        char *copy = strdup(pattern);

        for (char *p = copy; p != NULL && *p != '\0'; p++) {
            *p = (char)tolower((unsigned char)*p);
        }
        return copy;
    }
    if (!services->normalise_name(pattern + (wild ? 2 : 0), name + 2, sizeof(name) - 2)) {
        return NULL;
    }
    name[0] = '*';
    name[1] = '.';
    return strdup(wild ? name : name + 2);
}

int
sslplugi_name_matches(const char *pattern, const char *name)
{
    const char *dot;

    if (strncmp(pattern, "*.", 2) != 0) {
        return strcmp(pattern, name) == 0;
    }
    /* One label, at least one character, before the rest of the pattern. */
    dot = strchr(name, '.');
    return dot != NULL && dot != name && strcmp(dot + 1, pattern + 2) == 0;
}

const char *
sslplugi_server_name(const sslplug_services *services, const SSL *ssl, char *out, size_t outlen)
{
    const char *raw;

    if (SSLPLUG_SERVICES_HAS(services, server_name)) {
        return services->server_name(ssl, out, outlen) ? out : NULL;
    }
    raw = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (raw == NULL || (size_t)snprintf(out, outlen, "%s", raw) >= outlen) {
        return NULL;
    }
    return out;
}
