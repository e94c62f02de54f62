/*
 * Configuration format version 1: JSON in, plain C structs out.  This is the
 * only file that includes <jansson.h>; nothing is loaded or opened here.
 * Every error names the JSON pointer of the node at fault.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "internal.h"
#include "settings.h"
#include "types.h"

#define PTR_MAX SSLPLUG_ERROR_POINTER_MAX

static void
ptr_index(char *out, const char *parent, size_t index)
{
    snprintf(out, PTR_MAX, "%s/%zu", parent, index);
}

static const char *
json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "an unknown value";
    }
}

/* The types whose rows carry flag, as "info" or "info, verify", for messages. */
static void
types_taking(unsigned flag, char *out, size_t len)
{
    size_t n = 0;

    out[0] = '\0';
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        const sslplugi_type *row = sslplugi_type_of((sslplug_cb_type)t);

        if ((row->takes & flag) != 0 && n < len) {
            n += (size_t)snprintf(out + n, len - n, "%s%s", n > 0 ? ", " : "", row->name);
        }
    }
}

static int
type_error(sslplug_error *err, const char *ptr, const char *expected, const json_t *found)
{
    sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr, "expected %s, found %s", expected,
                       json_type_name(found));
    return 0;
}

/*
 * Refuse keys of obj that are not in allowed (NULL-terminated), naming the
 * keys that are: users see what they meant, and tests/test_schema.c reads
 * the list to compare it with the JSON Schema's.
 */
static int
check_keys(const json_t *obj, const char *ptr, const char *const *allowed, sslplug_error *err)
{
    const char *key;
    json_t *value;
    char child[PTR_MAX];
    char expected[512];

    json_object_foreach((json_t *)(uintptr_t)obj, key, value) {
        size_t i, n = 0;

        for (i = 0; allowed[i] != NULL; i++) {
            if (strcmp(key, allowed[i]) == 0) {
                break;
            }
        }
        if (allowed[i] != NULL) {
            continue;
        }
        expected[0] = '\0';
        for (i = 0; allowed[i] != NULL && n < sizeof(expected); i++) {
            n += (size_t)snprintf(expected + n, sizeof(expected) - n, "%s\"%s\"", i > 0 ? ", " : "",
                                  allowed[i]);
        }
        sslplugi_pointer_child(child, ptr, key);
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "unknown key \"%s\": expected one of %s",
                           key, expected);
        return 0;
    }
    return 1;
}

/* An optional non-empty string member; *out is a copy or stays NULL. */
static int
get_string(const json_t *obj, const char *ptr, const char *key, char **out, sslplug_error *err)
{
    json_t *v = json_object_get(obj, key);
    char child[PTR_MAX];

    if (v == NULL) {
        return 1;
    }
    sslplugi_pointer_child(child, ptr, key);
    if (!json_is_string(v)) {
        return type_error(err, child, "a string", v);
    }
    if (json_string_length(v) == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "must not be empty");
        return 0;
    }
    free(*out);
    if ((*out = strdup(json_string_value(v))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
        return 0;
    }
    return 1;
}

/* A string member that must be one of names[]; *out gets values[i]. */
static int
get_enum(const json_t *obj, const char *ptr, const char *key, const char *const *names,
         const int *values, int *out, sslplug_error *err)
{
    json_t *v = json_object_get(obj, key);
    char child[PTR_MAX];
    char expected[160] = "";

    if (v == NULL) {
        return 1;
    }
    sslplugi_pointer_child(child, ptr, key);
    for (size_t i = 0; names[i] != NULL; i++) {
        if (json_is_string(v) && strcmp(json_string_value(v), names[i]) == 0) {
            *out = values[i];
            return 1;
        }
        size_t n = strlen(expected);
        snprintf(expected + n, sizeof(expected) - n, "%s\"%s\"", i > 0 ? ", " : "", names[i]);
    }
    if (!json_is_string(v)) {
        return type_error(err, child, "a string", v);
    }
    sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "expected one of %s, found \"%s\"", expected,
                       json_string_value(v));
    return 0;
}

static int
get_integer(const json_t *v, const char *ptr, long min, long max, long *out, sslplug_error *err)
{
    if (!json_is_integer(v)) {
        return type_error(err, ptr, "an integer", v);
    }
    if (json_integer_value(v) < min || json_integer_value(v) > max) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                           "must be between %ld and %ld, found %" JSON_INTEGER_FORMAT, min, max,
                           json_integer_value(v));
        return 0;
    }
    *out = (long)json_integer_value(v);
    return 1;
}

/* A non-empty array of strings of min to max bytes each. */
static int
get_strings(const json_t *v, const char *ptr, long min, long max, sslplugi_strings *out,
            sslplug_error *err)
{
    char child[PTR_MAX];
    size_t i;
    json_t *item;

    if (!json_is_array(v) || json_array_size(v) == 0) {
        return type_error(err, ptr, "a non-empty array of strings", v);
    }
    if ((out->v = calloc(json_array_size(v) + 1, sizeof(*out->v))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    json_array_foreach(v, i, item) {
        ptr_index(child, ptr, i);
        if (!json_is_string(item)) {
            return type_error(err, child, "a string", item);
        }
        if ((long)json_string_length(item) < min || (long)json_string_length(item) > max) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "must be %ld to %ld bytes long, found %zu", min, max,
                               json_string_length(item));
            return 0;
        }
        if ((out->v[out->n] = strdup(json_string_value(item))) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
            return 0;
        }
        out->n++;
    }
    return 1;
}

/* An object whose values are strings, kept in the order written. */
static int
get_pairs(const json_t *v, const char *ptr, sslplugi_pairs *out, sslplug_error *err)
{
    char child[PTR_MAX];
    const char *key;
    json_t *value;

    if (!json_is_object(v)) {
        return type_error(err, ptr, "an object of names and string values", v);
    }
    if ((out->names = calloc(json_object_size(v) + 1, sizeof(*out->names))) == NULL ||
        (out->values = calloc(json_object_size(v) + 1, sizeof(*out->values))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    json_object_foreach((json_t *)(uintptr_t)v, key, value) {
        sslplugi_pointer_child(child, ptr, key);
        if (!json_is_string(value)) {
            return type_error(err, child, "a string", value);
        }
        if ((out->names[out->n] = strdup(key)) == NULL ||
            (out->values[out->n] = strdup(json_string_value(value))) == NULL) {
            free(out->names[out->n]);
            out->names[out->n] = NULL;
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
            return 0;
        }
        out->n++;
    }
    return 1;
}

/*
 * The SSL_CONF commands that say what sslplug's own keys say: through
 * "openssl" they would undo, after sslplug set them and past its checks,
 * what the configuration asks for ("VerifyMode": "-Peer" under "verify":
 * "require" would verify nothing).  SSL_CONF matches names in any case.
 */
static int
openssl_owned(const sslplugi_pairs *pairs, const char *ptr, sslplug_error *err)
{
    static const char *const owned[][2] = {
        {"VerifyMode", "\"verify\""},
        {"MinProtocol", "\"min_protocol\""},
        {"MaxProtocol", "\"max_protocol\""},
        {"Protocol", "\"min_protocol\" and \"max_protocol\""},
    };
    char child[PTR_MAX];

    for (size_t i = 0; i < pairs->n; i++) {
        for (size_t j = 0; j < sizeof(owned) / sizeof(owned[0]); j++) {
            if (strcasecmp(pairs->names[i], owned[j][0]) == 0) {
                sslplugi_pointer_child(child, ptr, pairs->names[i]);
                sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                                   "%s is sslplug's own setting here: use %s", owned[j][0],
                                   owned[j][1]);
                return 0;
            }
        }
    }
    return 1;
}

/* One setting of obj into c, as its row says; a value given replaces an inherited one. */
static int
parse_setting(const json_t *obj, const char *ptr, const sslplugi_setting *row,
              sslplugi_context_conf *c, sslplug_error *err)
{
    json_t *v = json_object_get(obj, row->name);
    char child[PTR_MAX];

    if (v == NULL) {
        return 1;
    }
    sslplugi_pointer_child(child, ptr, row->name);
    switch (row->kind) {
    case SSLPLUGI_SET_STRING:
    case SSLPLUGI_SET_PATH:
        return get_string(obj, ptr, row->name, SSLPLUGI_SETTING(c, row, char *), err);
    case SSLPLUGI_SET_ENUM:
        return get_enum(obj, ptr, row->name, row->names, row->values, SSLPLUGI_SETTING(c, row, int),
                        err);
    case SSLPLUGI_SET_INTEGER:
        return get_integer(v, child, row->min, row->max, SSLPLUGI_SETTING(c, row, long), err);
    case SSLPLUGI_SET_BOOLEAN:
        if (!json_is_boolean(v)) {
            return type_error(err, child, "a boolean", v);
        }
        *SSLPLUGI_SETTING(c, row, int) = json_is_true(v);
        return 1;
    case SSLPLUGI_SET_STRINGS: {
        sslplugi_strings *strings = SSLPLUGI_SETTING(c, row, sslplugi_strings);

        for (size_t i = 0; i < strings->n; i++) {
            free(strings->v[i]);
        }
        free(strings->v);
        memset(strings, 0, sizeof(*strings));
        return get_strings(v, child, row->min, row->max, strings, err);
    }
    case SSLPLUGI_SET_PAIRS: {
        sslplugi_pairs *pairs = SSLPLUGI_SETTING(c, row, sslplugi_pairs);

        for (size_t i = 0; i < pairs->n; i++) {
            free(pairs->names[i]);
            free(pairs->values[i]);
        }
        free(pairs->names);
        free(pairs->values);
        memset(pairs, 0, sizeof(*pairs));
        return get_pairs(v, child, pairs, err) && openssl_owned(pairs, child, err);
    }
    default:
        sslplugi_error_set(err, SSLPLUG_E_INTERNAL, child, "a setting of an unknown kind");
        return 0;
    }
}

/*
 * Where a setting given in obj may be: a client's not on a server, and
 * neither a client's nor the main context's alone in a named context (sub).
 */
static int
check_where(const json_t *obj, const char *ptr, int sub, sslplugi_role role, sslplug_error *err)
{
    size_t count;
    const sslplugi_setting *rows = sslplugi_settings(&count);
    char child[PTR_MAX];

    for (size_t i = 0; i < count; i++) {
        const sslplugi_setting *row = &rows[i];

        if (json_object_get(obj, row->name) == NULL) {
            continue;
        }
        sslplugi_pointer_child(child, ptr, row->name);
        if ((row->where & SSLPLUGI_SET_CLIENT) != 0 && (sub || role != SSLPLUGI_ROLE_CLIENT)) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               sub ? "%s is a client's setting, and named contexts serve"
                                   : "%s is a client's setting; role is \"server\"",
                               row->name);
            return 0;
        }
        if ((row->where & SSLPLUGI_SET_SERVER) != 0 && role != SSLPLUGI_ROLE_SERVER) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "%s is a server's setting; role is \"client\"", row->name);
            return 0;
        }
        if ((row->where & SSLPLUGI_SET_MAIN_ONLY) != 0 && sub) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "%s is given in the main context only: %s", row->name,
                               row->why_main);
            return 0;
        }
    }
    return 1;
}

/* Rules between the settings of one context, once inheritance is done. */
static int
check_settings(const json_t *obj, const char *ptr, sslplugi_context_conf *c, sslplug_error *err)
{
    char child[PTR_MAX];

    if (c->min_protocol != 0 && c->max_protocol != 0 && c->min_protocol > c->max_protocol) {
        sslplugi_pointer_child(child, ptr, "min_protocol");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "min_protocol is newer than max_protocol");
        return 0;
    }
    if ((json_object_get(obj, "certificate") == NULL) !=
        (json_object_get(obj, "private_key") == NULL)) {
        sslplugi_pointer_child(child, ptr,
                               json_object_get(obj, "certificate") == NULL ? "private_key"
                                                                           : "certificate");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "\"certificate\" and \"private_key\" go together");
        return 0;
    }
    if (json_object_get(obj, "pkcs12") != NULL && json_object_get(obj, "certificate") != NULL) {
        sslplugi_pointer_child(child, ptr, "pkcs12");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "a PKCS#12 bundle holds the certificate and the key: leave out "
                           "\"certificate\" and \"private_key\"");
        return 0;
    }
    /* What a named context gives replaces what it would inherit. */
    if (json_object_get(obj, "pkcs12") != NULL) {
        free(c->certificate);
        free(c->private_key);
        c->certificate = c->private_key = NULL;
    } else if (json_object_get(obj, "certificate") != NULL) {
        free(c->pkcs12);
        c->pkcs12 = NULL;
    }
    if (c->crl_check != 0 && c->crl_file == NULL && c->crl_path == NULL) {
        sslplugi_pointer_child(child, ptr, "crl_check");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "crl_check needs revocation lists: give crl_file or crl_path");
        return 0;
    }
    if (c->alpn_mismatch != 0 && c->alpn.n == 0) {
        sslplugi_pointer_child(child, ptr, "alpn_mismatch");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "alpn_mismatch says what to do when no protocol of \"alpn\" is "
                           "shared; give \"alpn\"");
        return 0;
    }
    return 1;
}

/*
 * The context settings of obj at ptr into c.  For a named sub-context (sub)
 * c starts as a copy of the main context: keys present override it, "role"
 * is inherited and may not be given.
 */
static int
parse_context(const json_t *obj, const char *ptr, int sub, sslplugi_context_conf *c,
              sslplug_error *err)
{
    static const char *const roles[] = {"server", "client", NULL};
    static const int role_values[] = {SSLPLUGI_ROLE_SERVER, SSLPLUGI_ROLE_CLIENT};
    const char *keys[64];
    size_t count, n = 0;
    const sslplugi_setting *rows = sslplugi_settings(&count);
    char child[PTR_MAX];
    int role = -1;

    if (!json_is_object(obj)) {
        return type_error(err, ptr, "an object", obj);
    }
    if (!sub) {
        keys[n++] = "role";
    }
    for (size_t i = 0; i < count && n + 1 < sizeof(keys) / sizeof(keys[0]); i++) {
        keys[n++] = rows[i].name;
    }
    keys[n] = NULL;
    if (!check_keys(obj, ptr, keys, err) ||
        !get_enum(obj, ptr, "role", roles, role_values, &role, err)) {
        return 0;
    }
    if (!sub && role < 0) {
        sslplugi_pointer_child(child, ptr, "role");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "missing: \"role\" must be \"server\" or \"client\"");
        return 0;
    }
    if (!sub) {
        c->role = (sslplugi_role)role;
    }
    for (size_t i = 0; i < count; i++) {
        if (!parse_setting(obj, ptr, &rows[i], c, err)) {
            return 0;
        }
    }
    return check_where(obj, ptr, sub, c->role, err) && check_settings(obj, ptr, c, err);
}

/* "contexts": {"name": {settings}} — virtual hosts a servername callback switches to. */
static int
parse_contexts(const json_t *obj, sslplugi_config *c, sslplug_error *err)
{
    char child[PTR_MAX];
    const char *name;
    json_t *v;

    if (!json_is_object(obj)) {
        return type_error(err, "/contexts", "an object of named contexts", obj);
    }
    c->subs = calloc(json_object_size(obj) + 1, sizeof(*c->subs));
    if (c->subs == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, "/contexts", "out of memory");
        return 0;
    }
    json_object_foreach((json_t *)(uintptr_t)obj, name, v) {
        sslplugi_named_context *sub = &c->subs[c->sub_count];

        sslplugi_pointer_child(child, "/contexts", name);
        if (name[0] == '\0') {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "a context needs a non-empty name");
            return 0;
        }
        memcpy(sub->pointer, child, sizeof(sub->pointer));
        if ((sub->name = strdup(name)) == NULL ||
            !sslplugi_settings_copy(&sub->conf, &c->context)) {
            free(sub->name);
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
            return 0;
        }
        c->sub_count++;
        if (!parse_context(v, child, 1, &sub->conf, err)) {
            return 0;
        }
    }
    return 1;
}

static int
parse_may_override(const json_t *v, const char *ptr, sslplugi_entry *e, sslplug_error *err)
{
    char child[PTR_MAX];
    size_t i;
    json_t *item;

    if (json_is_string(v) && strcmp(json_string_value(v), "any") == 0) {
        e->override_any = 1;
        return 1;
    }
    if (!json_is_array(v)) {
        return type_error(err, ptr, "\"any\" or a non-empty array of X509_V_ERR_* names", v);
    }
    if (json_array_size(v) == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                           "empty array: an entry that may override nothing leaves the key out");
        return 0;
    }
    e->override_codes = calloc(json_array_size(v), sizeof(int));
    if (e->override_codes == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    json_array_foreach(v, i, item) {
        int code;

        ptr_index(child, ptr, i);
        if (!json_is_string(item)) {
            return type_error(err, child, "an X509_V_ERR_* name", item);
        }
        if (!sslplugi_x509_error_code(json_string_value(item), &code) || code == X509_V_OK) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "unknown verification error \"%s\" (expected an X509_V_ERR_* "
                               "name from OpenSSL's x509_vfy.h)",
                               json_string_value(item));
            return 0;
        }
        e->override_codes[e->override_count++] = code;
    }
    return 1;
}

/* "events" of an info entry: which where-flags the plugin is called for. */
static int
parse_events(const json_t *v, const char *ptr, sslplug_cb_type type, sslplugi_entry *e,
             sslplug_error *err)
{
    static const struct {
        const char *name;
        unsigned mask;
    } names[] = {
        {"handshake_start", SSLPLUG_EVENT_HANDSHAKE_START},
        {"handshake_done", SSLPLUG_EVENT_HANDSHAKE_DONE},
        {"alert", SSLPLUG_EVENT_ALERT},
        {"loop", SSLPLUG_EVENT_LOOP},
        {"exit", SSLPLUG_EVENT_EXIT},
        {"read", SSLPLUG_EVENT_READ},
        {"write", SSLPLUG_EVENT_WRITE},
    };
    char child[PTR_MAX], item_ptr[PTR_MAX], takers[128];
    size_t i, k;
    json_t *item;

    sslplugi_pointer_child(child, ptr, "events");
    if ((sslplugi_type_of(type)->takes & SSLPLUGI_TAKES_EVENTS) == 0) {
        types_taking(SSLPLUGI_TAKES_EVENTS, takers, sizeof(takers));
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "only %s entries take \"events\"", takers);
        return 0;
    }
    if (!json_is_array(v) || json_array_size(v) == 0) {
        return type_error(err, child, "a non-empty array of event names", v);
    }
    json_array_foreach(v, i, item) {
        ptr_index(item_ptr, child, i);
        for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            if (json_is_string(item) && strcmp(json_string_value(item), names[k].name) == 0) {
                e->events |= names[k].mask;
                break;
            }
        }
        if (k == sizeof(names) / sizeof(names[0])) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, item_ptr,
                               "expected one of \"handshake_start\", \"handshake_done\", "
                               "\"alert\", \"loop\", \"exit\", \"read\", \"write\"");
            return 0;
        }
    }
    return 1;
}

/* "internal_cache" of a session_store entry: false takes OpenSSL's own cache out of the way. */
static int
parse_internal_cache(const json_t *v, const char *ptr, sslplug_cb_type type, sslplugi_entry *e,
                     sslplug_error *err)
{
    char child[PTR_MAX], takers[128];

    sslplugi_pointer_child(child, ptr, "internal_cache");
    if ((sslplugi_type_of(type)->takes & SSLPLUGI_TAKES_INTERNAL_CACHE) == 0) {
        types_taking(SSLPLUGI_TAKES_INTERNAL_CACHE, takers, sizeof(takers));
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "only %s entries take \"internal_cache\"",
                           takers);
        return 0;
    }
    if (!json_is_boolean(v)) {
        return type_error(err, child, "a boolean", v);
    }
    e->no_internal_cache = json_is_false(v);
    return 1;
}

/* A pin: 64 hex digits, as `sslplug inspect --sha256` prints them. */
static int
parse_sha256(const json_t *v, const char *ptr, sslplugi_entry *e, sslplug_error *err)
{
    char child[PTR_MAX];
    unsigned char *bin = NULL;
    long len = 0;

    sslplugi_pointer_child(child, ptr, "sha256");
    if (!json_is_string(v)) {
        return type_error(err, child, "64 hexadecimal digits", v);
    }
    if (json_string_length(v) == 64) {
        bin = OPENSSL_hexstr2buf(json_string_value(v), &len);
    }
    if (bin == NULL || len != 32) {
        OPENSSL_free(bin);
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "expected 64 hexadecimal digits (a SHA-256 digest), found \"%s\"",
                           json_string_value(v));
        return 0;
    }
    memcpy(e->sha256, bin, sizeof(e->sha256));
    e->has_sha256 = 1;
    OPENSSL_free(bin);
    return 1;
}

static int
parse_entry(const json_t *obj, const char *ptr, sslplug_cb_type type, sslplugi_entry *e,
            sslplug_error *err)
{
    /*
     * "optional", "events" and "internal_cache" are accepted everywhere so
     * misuse gets a message, not "unknown"; "may_override" only where the
     * type takes it.
     */
    static const char *const keys[] = {"plugin",       "symbol",      "config", "sha256",
                                       "optional",     "thread_safe", "events", "internal_cache",
                                       "may_override", NULL};
    static const char *const no_overrides[] = {"plugin", "symbol",         "config",
                                               "sha256", "optional",       "thread_safe",
                                               "events", "internal_cache", NULL};
    const sslplugi_type *row = sslplugi_type_of(type);
    const char *const *allowed = (row->takes & SSLPLUGI_TAKES_OVERRIDES) != 0 ? keys : no_overrides;
    json_t *cfg, *mo, *v;
    char child[PTR_MAX], names[128];

    e->type = type;
    if ((e->pointer = strdup(ptr)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    if (!json_is_object(obj)) {
        return type_error(err, ptr, "an object with \"plugin\"", obj);
    }
    if (!check_keys(obj, ptr, allowed, err) || !get_string(obj, ptr, "plugin", &e->plugin, err) ||
        !get_string(obj, ptr, "symbol", &e->symbol, err)) {
        return 0;
    }
    if (e->plugin == NULL) {
        sslplugi_pointer_child(child, ptr, "plugin");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "missing: every entry names a plugin");
        return 0;
    }
    if (e->symbol != NULL && row->raw == NULL) {
        sslplugi_pointer_child(child, ptr, "symbol");
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "%s has no raw form (%s): bind an sslplug plugin, without \"symbol\"",
                           row->name, row->no_raw != NULL ? row->no_raw : "OpenSSL has none");
        return 0;
    }
    cfg = json_object_get(obj, "config");
    sslplugi_pointer_child(child, ptr, "config");
    if (cfg != NULL && e->symbol != NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                           "a raw \"symbol\" entry takes no \"config\"; drop one of them");
        return 0;
    }
    if (cfg != NULL && !json_is_object(cfg)) {
        return type_error(err, child, "an object", cfg);
    }
    if (e->symbol == NULL) {
        e->config_json = cfg != NULL ? json_dumps(cfg, JSON_COMPACT) : strdup("{}");
        if (e->config_json == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
            return 0;
        }
    }
    if ((v = json_object_get(obj, "events")) != NULL && !parse_events(v, ptr, type, e, err)) {
        return 0;
    }
    if ((v = json_object_get(obj, "thread_safe")) != NULL) {
        sslplugi_pointer_child(child, ptr, "thread_safe");
        if (!json_is_boolean(v)) {
            return type_error(err, child, "a boolean", v);
        }
        if (e->symbol == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "only raw \"symbol\" entries say this; an sslplug plugin declares "
                               "it in its descriptor");
            return 0;
        }
        e->thread_safe = json_is_true(v);
    }
    if ((v = json_object_get(obj, "optional")) != NULL) {
        sslplugi_pointer_child(child, ptr, "optional");
        if (!json_is_boolean(v)) {
            return type_error(err, child, "a boolean", v);
        }
        e->optional = json_is_true(v);
        if (e->optional && (row->takes & SSLPLUGI_MAY_BE_OPTIONAL) == 0) {
            types_taking(SSLPLUGI_MAY_BE_OPTIONAL, names, sizeof(names));
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "only %s entries may be optional: a missing %s plugin would "
                               "weaken the context",
                               names, row->name);
            return 0;
        }
    }
    if ((v = json_object_get(obj, "internal_cache")) != NULL &&
        !parse_internal_cache(v, ptr, type, e, err)) {
        return 0;
    }
    if ((v = json_object_get(obj, "sha256")) != NULL && !parse_sha256(v, ptr, e, err)) {
        return 0;
    }
    if ((mo = json_object_get(obj, "may_override")) != NULL) {
        sslplugi_pointer_child(child, ptr, "may_override");
        return parse_may_override(mo, child, e, err);
    }
    return 1;
}

/* One entry (object) or, where many is set, an object or a non-empty array. */
static int
parse_entries(const json_t *v, const char *key, sslplug_cb_type type, int many, sslplugi_config *c,
              sslplug_error *err)
{
    char ptr[PTR_MAX], child[PTR_MAX];
    size_t count = json_is_array(v) ? json_array_size(v) : 1;
    sslplugi_entry *grown;

    sslplugi_pointer_child(ptr, "/callbacks", key);
    if (json_is_array(v) && !many) {
        return type_error(err, ptr, "one entry object (only one is allowed)", v);
    }
    if (json_is_array(v) && count == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr, "empty array: leave the key out instead");
        return 0;
    }
    grown = realloc(c->entries, (c->entry_count + count) * sizeof(*grown));
    if (grown == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    c->entries = grown;
    memset(c->entries + c->entry_count, 0, count * sizeof(*grown));
    for (size_t i = 0; i < count; i++) {
        sslplugi_entry *e = &c->entries[c->entry_count++];

        if (json_is_array(v)) {
            ptr_index(child, ptr, i);
        } else {
            snprintf(child, sizeof(child), "%s", ptr);
        }
        if (!parse_entry(json_is_array(v) ? json_array_get(v, i) : v, child, type, e, err)) {
            return 0;
        }
    }
    return 1;
}

static int
parse_callbacks(const json_t *obj, sslplugi_config *c, sslplug_error *err)
{
    const char *keys[SSLPLUG_CB_COUNT + 1];

    if (!json_is_object(obj)) {
        return type_error(err, "/callbacks", "an object", obj);
    }
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        keys[t] = sslplugi_type_of((sslplug_cb_type)t)->name;
    }
    keys[SSLPLUG_CB_COUNT] = NULL;
    if (!check_keys(obj, "/callbacks", keys, err)) {
        return 0;
    }
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        const sslplugi_type *row = sslplugi_type_of((sslplug_cb_type)t);
        json_t *v = json_object_get(obj, row->name);

        if (v != NULL && !parse_entries(v, row->name, (sslplug_cb_type)t, row->many, c, err)) {
            return 0;
        }
    }
    return 1;
}

/* plugin_path and allowed_dirs: arrays of directory names. */
static int
parse_dirs(const json_t *v, const char *ptr, char ***out, size_t *count, sslplug_error *err)
{
    char child[PTR_MAX];
    size_t i;
    json_t *item;

    if (!json_is_array(v)) {
        return type_error(err, ptr, "an array of directories", v);
    }
    if ((*out = calloc(json_array_size(v) + 1, sizeof(char *))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    json_array_foreach(v, i, item) {
        ptr_index(child, ptr, i);
        if (!json_is_string(item)) {
            return type_error(err, child, "a non-empty string", item);
        }
        if (json_string_length(item) == 0) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child, "must not be empty");
            return 0;
        }
        if (((*out)[i] = strdup(json_string_value(item))) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
            return 0;
        }
        (*count)++;
    }
    return 1;
}

/* Each type in the roles it is called in, and its own rules (types.c). */
static int
check_types(const sslplugi_config *c, sslplug_error *err)
{
    static const char *const role_names[] = {"server", "client"};
    unsigned role = c->context.role == SSLPLUGI_ROLE_SERVER ? SSLPLUGI_SERVER : SSLPLUGI_CLIENT;
    char ptr[PTR_MAX];

    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        const sslplugi_type *row = sslplugi_type_of((sslplug_cb_type)t);
        size_t count = sslplugi_config_count(c, (sslplug_cb_type)t);

        if (count > 0 && (row->roles & role) == 0) {
            sslplugi_pointer_child(ptr, "/callbacks", row->name);
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                               "a %s callback is only called on a %s; role is \"%s\"", row->name,
                               role_names[role == SSLPLUGI_SERVER],
                               role_names[role != SSLPLUGI_SERVER]);
            return 0;
        }
        if (row->check != NULL && !row->check(c, count, err)) {
            return 0;
        }
    }
    return 1;
}

/* Rules that span sections: settings whose combination would do less than it says. */
static int
check_consistency(sslplugi_config *c, sslplug_error *err)
{
    c->verify_defaulted = c->context.verify == SSLPLUGI_VERIFY_UNSET;
    if (c->verify_defaulted) {
        /* A client that does not check the server is never a safe default. */
        c->context.verify =
            c->context.role == SSLPLUGI_ROLE_CLIENT ? SSLPLUGI_VERIFY_PEER : SSLPLUGI_VERIFY_NONE;
    }
    for (size_t i = 0; i < c->sub_count; i++) {
        if (c->subs[i].conf.verify == SSLPLUGI_VERIFY_UNSET) {
            c->subs[i].conf.verify = c->context.verify;
        }
    }
    if (c->context.verify_host != NULL && c->context.verify == SSLPLUGI_VERIFY_NONE) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/context/verify_host",
                           "verify_host is only checked when the server is verified; verify is "
                           "\"none\"");
        return 0;
    }
    return check_types(c, err);
}

static int
digest_config(const json_t *root, sslplugi_config *c, sslplug_error *err)
{
    char *canon = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0;

    if (canon == NULL || md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
        !EVP_DigestUpdate(md, c->base_dir, strlen(c->base_dir) + 1) ||
        !EVP_DigestUpdate(md, canon, strlen(canon)) || !EVP_DigestFinal_ex(md, c->digest, NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, "", "cannot digest the configuration");
        goto done;
    }
    ok = 1;
done:
    EVP_MD_CTX_free(md);
    free(canon);
    return ok;
}

/* The keys of "inject" or of one of its "programs" (program: "enabled" too). */
static int
parse_inject_keys(const json_t *obj, const char *ptr, int program, sslplugi_inject_keys *k,
                  sslplug_error *err)
{
    static const char *const keys[] = {"verify", "on_error", "add_ca_file", "programs", NULL};
    static const char *const program_keys[] = {"verify", "on_error", "add_ca_file", "enabled",
                                               NULL};
    static const char *const verify_names[] = {"enforce", "app", NULL};
    static const int verify_values[] = {SSLPLUG_INJECT_ENFORCE, SSLPLUG_INJECT_APP};
    static const char *const error_names[] = {"fail", "warn", NULL};
    static const int error_values[] = {0, 1};
    static const char *const flags[] = {"add_ca_file", "enabled"};
    int *flag_out[] = {&k->add_ca_file, &k->enabled};
    char child[PTR_MAX];

    k->verify = k->on_error_warn = k->add_ca_file = k->enabled = -1;
    if (!json_is_object(obj)) {
        return type_error(err, ptr, "an object", obj);
    }
    if (!check_keys(obj, ptr, program ? program_keys : keys, err) ||
        !get_enum(obj, ptr, "verify", verify_names, verify_values, &k->verify, err) ||
        !get_enum(obj, ptr, "on_error", error_names, error_values, &k->on_error_warn, err)) {
        return 0;
    }
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        json_t *v = json_object_get(obj, flags[i]);

        if (v == NULL) {
            continue;
        }
        sslplugi_pointer_child(child, ptr, flags[i]);
        if (!json_is_boolean(v)) {
            return type_error(err, child, "a boolean", v);
        }
        *flag_out[i] = json_is_true(v);
    }
    return 1;
}

/* "inject": what only libsslplug-inject.so reads (sslplug-run(1)), into its own struct. */
static int
parse_inject(const json_t *obj, sslplugi_config *c, sslplug_error *err)
{
    sslplugi_inject_conf *in = calloc(1, sizeof(*in));
    char child[PTR_MAX];
    const char *name;
    json_t *programs, *v;

    if ((c->inject = in) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, "/inject", "out of memory");
        return 0;
    }
    if (!parse_inject_keys(obj, "/inject", 0, &in->keys, err)) {
        return 0;
    }
    if ((programs = json_object_get(obj, "programs")) == NULL) {
        return 1;
    }
    if (!json_is_object(programs)) {
        return type_error(err, "/inject/programs", "an object of executable names", programs);
    }
    in->program_names = calloc(json_object_size(programs) + 1, sizeof(char *));
    in->program_keys = calloc(json_object_size(programs) + 1, sizeof(*in->program_keys));
    if (in->program_names == NULL || in->program_keys == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, "/inject/programs", "out of memory");
        return 0;
    }
    json_object_foreach((json_t *)(uintptr_t)programs, name, v) {
        sslplugi_pointer_child(child, "/inject/programs", name);
        if (name[0] == '\0' || strchr(name, '/') != NULL) {
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, child,
                               "expected an executable name without a directory");
            return 0;
        }
        if ((in->program_names[in->program_count] = strdup(name)) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, child, "out of memory");
            return 0;
        }
        if (!parse_inject_keys(v, child, 1, &in->program_keys[in->program_count++], err)) {
            return 0;
        }
    }
    return 1;
}

static int
parse_root(const json_t *root, sslplugi_config *c, sslplug_error *err)
{
    static const char *const keys[] = {
        "version", "plugin_path", "allowed_dirs", "insecure_allow_writable",
        "context", "contexts",    "callbacks",    "inject",
        NULL};
    json_t *v;

    if (!json_is_object(root)) {
        return type_error(err, "", "an object", root);
    }
    if (!check_keys(root, "", keys, err)) {
        return 0;
    }
    v = json_object_get(root, "version");
    if (v == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/version", "missing: expected \"version\": 1");
        return 0;
    }
    if (!json_is_integer(v)) {
        return type_error(err, "/version", "the integer 1", v);
    }
    if (json_integer_value(v) != 1) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/version",
                           "unsupported version %" JSON_INTEGER_FORMAT " (expected 1)",
                           json_integer_value(v));
        return 0;
    }
    if ((v = json_object_get(root, "plugin_path")) != NULL &&
        !parse_dirs(v, "/plugin_path", &c->plugin_path, &c->plugin_path_count, err)) {
        return 0;
    }
    if ((v = json_object_get(root, "allowed_dirs")) != NULL &&
        !parse_dirs(v, "/allowed_dirs", &c->allowed_dirs, &c->allowed_dir_count, err)) {
        return 0;
    }
    /* Present but empty still restricts: to the built-in plugin directory. */
    c->restrict_dirs = json_object_get(root, "plugin_path") != NULL ||
                       json_object_get(root, "allowed_dirs") != NULL;
    if ((v = json_object_get(root, "insecure_allow_writable")) != NULL) {
        if (!json_is_boolean(v)) {
            return type_error(err, "/insecure_allow_writable", "a boolean", v);
        }
        c->insecure_allow_writable = json_is_true(v);
    }
    if ((v = json_object_get(root, "context")) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/context",
                           "missing: a \"context\" with at least \"role\"");
        return 0;
    }
    if (!parse_context(v, "/context", 0, &c->context, err)) {
        return 0;
    }
    if ((v = json_object_get(root, "contexts")) != NULL && !parse_contexts(v, c, err)) {
        return 0;
    }
    c->has_contexts = v != NULL;
    if ((v = json_object_get(root, "callbacks")) != NULL && !parse_callbacks(v, c, err)) {
        return 0;
    }
    if ((v = json_object_get(root, "inject")) != NULL && !parse_inject(v, c, err)) {
        return 0;
    }
    c->context.check_files = !c->insecure_allow_writable;
    for (size_t i = 0; i < c->sub_count; i++) {
        c->subs[i].conf.check_files = c->context.check_files;
    }
    return check_consistency(c, err) && digest_config(root, c, err);
}

int
sslplugi_config_parse(const char *json, size_t len, const char *source, const char *base_dir,
                      sslplugi_config **out, sslplug_error *err)
{
    sslplugi_config *c = NULL;
    json_t *root = NULL;
    json_error_t jerr;
    int ok = 0;

    *out = NULL;
    if ((c = calloc(1, sizeof(*c))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    sslplugi_settings_init(&c->context);
    if ((c->source = strdup(source)) == NULL || (c->base_dir = strdup(base_dir)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PARSE, NULL, "%s", jerr.text);
        if (err != NULL) {
            err->line = jerr.line;
            err->column = jerr.column;
        }
        goto done;
    }
    if (!parse_root(root, c, err)) {
        goto done;
    }
    *out = c;
    c = NULL;
    ok = 1;
done:
    json_decref(root);
    sslplugi_config_free(c);
    return ok;
}

void
sslplugi_config_free(sslplugi_config *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->entry_count; i++) {
        sslplugi_entry *e = &c->entries[i];

        free(e->pointer);
        free(e->plugin);
        free(e->file);
        free(e->symbol);
        free(e->config_json);
        free(e->override_codes);
    }
    free(c->entries);
    for (size_t i = 0; i < c->plugin_path_count; i++) {
        free(c->plugin_path[i]);
    }
    free(c->plugin_path);
    for (size_t i = 0; i < c->allowed_dir_count; i++) {
        free(c->allowed_dirs[i]);
    }
    free(c->allowed_dirs);
    sslplugi_settings_free(&c->context);
    for (size_t i = 0; i < c->sub_count; i++) {
        free(c->subs[i].name);
        sslplugi_settings_free(&c->subs[i].conf);
    }
    free(c->subs);
    if (c->inject != NULL) {
        for (size_t i = 0; i < c->inject->program_count; i++) {
            free(c->inject->program_names[i]);
        }
        free(c->inject->program_names);
        free(c->inject->program_keys);
        free(c->inject);
    }
    free(c->source);
    free(c->base_dir);
    free(c);
}
