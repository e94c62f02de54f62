/*
 * An index of host names and "*." patterns, for the plugins that choose by
 * server name (cert_select_sni, servername_map, alpn_map).  Built at init,
 * then only read: a lookup is one hash lookup of the name and, when that
 * finds nothing, one of its parent (the name without its first label), so
 * a handshake costs the same among ten names or ten thousand.
 *
 * A pattern is a name ("a.example") or "*." and a name ("*.example"), which
 * matches one label more than the name: a.example, not example nor
 * a.b.example, as X509_check_host does.  Patterns and names compare byte for
 * byte, so both must be in one form first: the host's (lower case, no
 * trailing dot: name_pattern.h).
 *
 * The index owns its copies of the patterns; the values are the caller's.
 * Reading one index from several threads at once is safe once it is built:
 * a lookup of OpenSSL 3.0's LHASH writes only its statistics counters, which
 * it bumps atomically, and its error flag, only when set (never, after a
 * build that succeeded).
 */
#ifndef SSLPLUG_NAME_INDEX_H
#define SSLPLUG_NAME_INDEX_H

typedef struct sslplugi_name_index sslplugi_name_index;

/** A new, empty index; NULL when out of memory. */
sslplugi_name_index *sslplugi_name_index_new(void);

/** Free the index and its copies of the patterns, not the values; NULL is a no-op. */
void sslplugi_name_index_free(sslplugi_name_index *index);

/**
 * The value slot of a pattern, added (holding NULL) when the index does not
 * have it yet, so that the caller decides what a second claim on a pattern
 * means: an error, or a choice between two values.
 * @param pattern  a name or "*." and a name, in the host's form; copied.
 * @returns the slot, valid until sslplugi_name_index_free; NULL when out of
 *          memory.  A value stored there must not be NULL.
 */
void **sslplugi_name_index_slot(sslplugi_name_index *index, const char *pattern);

/** The value of the pattern that is exactly name, or NULL. */
void *sslplugi_name_index_exact(const sslplugi_name_index *index, const char *name);

/**
 * The value of the "*." pattern that matches name (the pattern of its
 * parent), or NULL; NULL too for a name of one label or an empty first label.
 */
void *sslplugi_name_index_wildcard(const sslplugi_name_index *index, const char *name);

/** The exact pattern's value, else the "*." pattern's, else NULL: exact names win. */
void *sslplugi_name_index_find(const sslplugi_name_index *index, const char *name);

#endif /* SSLPLUG_NAME_INDEX_H */
