/*
 * The settings of a context ("context", and each of "contexts"), one row
 * each (settings.c): the key, the kind of value and where in
 * sslplugi_context_conf it goes, and where it may be given.  The parser
 * (config.c), the copy and free of a named context's settings, and the
 * resolution of relative paths (paths.c) read the rows; what each setting
 * does to an SSL_CTX is context.c's, and how it reaches a connection after
 * a servername switch too (sslplugi_context_switch).
 *
 * To add a setting: the sslplugi_context_conf member (internal.h), one row,
 * what context.c does with it (and on a switch), its test in
 * tests/test_named_contexts.c (or why it is not per named context: the
 * where flags), the schema, sslplug.json(5).
 */
#ifndef SSLPLUG_HOST_SETTINGS_H
#define SSLPLUG_HOST_SETTINGS_H

#include "internal.h"

/* The kinds of value, and the member type each is stored in. */
typedef enum sslplugi_setting_kind {
    SSLPLUGI_SET_STRING,  /* char *, non-empty */
    SSLPLUGI_SET_PATH,    /* char *, a file or directory: made absolute (paths.c) */
    SSLPLUGI_SET_ENUM,    /* int: values[i] for names[i]; 0 when not given */
    SSLPLUGI_SET_INTEGER, /* long, min to max; -1 when not given */
    SSLPLUGI_SET_BOOLEAN, /* int, 0 or 1; -1 when not given */
    SSLPLUGI_SET_STRINGS, /* sslplugi_strings, a non-empty array of non-empty strings */
    SSLPLUGI_SET_PAIRS    /* sslplugi_pairs, an object of string values, in order */
} sslplugi_setting_kind;

/* Where a setting may be given (otherwise: anywhere). */
#define SSLPLUGI_SET_CLIENT 1u    /* only a client's: not on a server, not in named contexts */
#define SSLPLUGI_SET_SERVER 2u    /* only a server's */
#define SSLPLUGI_SET_MAIN_ONLY 4u /* the main context's: named contexts share it */
/* Not where, what: a PATH that may also be an OSSL_STORE URI (keypair.c), left as written. */
#define SSLPLUGI_SET_STORE_URI 8u

typedef struct sslplugi_setting {
    const char *name;
    sslplugi_setting_kind kind;
    size_t offset; /* of the member in sslplugi_context_conf */
    unsigned where;
    const char *const *names; /* ENUM: NULL-terminated */
    const int *values;        /* ENUM: never 0 */
    long min, max;            /* INTEGER */
    const char *why_main;     /* MAIN_ONLY: why, for the message in a named context */
} sslplugi_setting;

/* Every setting, in the order the parser reads them; *count gets their number. */
const sslplugi_setting *sslplugi_settings(size_t *count);

/* A context's settings as "not given" (see each kind). */
void sslplugi_settings_init(sslplugi_context_conf *c);
/* dst = a deep copy of src; 0 when out of memory (dst is then freed). */
int sslplugi_settings_copy(sslplugi_context_conf *dst, const sslplugi_context_conf *src);
void sslplugi_settings_free(sslplugi_context_conf *c);
/*
 * The first context (the main one, then each named one) for which given
 * holds: 1 with the pointer of its KEY in ptr, or 0 when none does.  Named
 * contexts hold what they inherit too, so a setting of the main context is
 * found there first.
 */
int sslplugi_settings_where(const sslplugi_config *c,
                            int (*given)(const sslplugi_context_conf *conf), const char *key,
                            char ptr[SSLPLUG_ERROR_POINTER_MAX]);
/*
 * A callback that takes over a context setting: when some context (the main
 * one, then each named one) gives that setting (given(conf) is nonzero),
 * an error at that context's KEY saying why, and 0.
 */
int sslplugi_settings_refuse(const sslplugi_config *c,
                             int (*given)(const sslplugi_context_conf *conf), const char *key,
                             const char *why, sslplug_error *err);

/* The member of a row in c, and in a const c. */
#define SSLPLUGI_SETTING(c, row, type) ((type *)(void *)((char *)(c) + (row)->offset))
#define SSLPLUGI_SETTING_OF(c, row, type)                                                          \
    ((type const *)(const void *)((const char *)(c) + (row)->offset))

#endif /* SSLPLUG_HOST_SETTINGS_H */
