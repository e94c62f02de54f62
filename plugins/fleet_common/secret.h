/*
 * Secret files of the fleet plugins (session keys, ticket keys, Redis
 * passwords), read under the rules the host applies to a private key: a
 * regular file owned by root or the effective user, writable by neither
 * group nor others and not readable by others (0600, or 0640 for a group
 * such as ssl-cert), and every directory above it owned by root or the
 * effective user and writable by neither group nor others unless sticky.
 * Internal to the bundled plugins (prefix sslplugi_).
 */
#ifndef SSLPLUG_FLEET_SECRET_H
#define SSLPLUG_FLEET_SECRET_H

#include <stddef.h>

#include "sslplug_plugin_util.h"

/**
 * Read the secret file at path (absolute) into out: between min and max
 * bytes.  what names it in messages ("session key file").
 * @param pointer  the JSON pointer of the key that names it, relative to
 *                 the entry's config ("/key_file", "/files/1").
 * @returns 1 with *len set, or 0 after reporting at pointer.  out is wiped
 *          on failure.
 */
int sslplugi_secret_read(const sslplugi_cfg *cfg, const char *pointer, const char *what,
                         const char *path, unsigned char *out, size_t min, size_t max, size_t *len);

#endif /* SSLPLUG_FLEET_SECRET_H */
