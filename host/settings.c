/*
 * The settings of a context, one row each (see settings.h).  "role" is not
 * a row: it is required, and a named context inherits it.
 */
#include <stdlib.h>
#include <string.h>

#include "settings.h"

#define AT(member) offsetof(sslplugi_context_conf, member)

static const char *const verify_names[] = {"none", "peer", "require", NULL};
static const int verify_values[] = {SSLPLUGI_VERIFY_NONE, SSLPLUGI_VERIFY_PEER,
                                    SSLPLUGI_VERIFY_REQUIRE};
static const char *const protocol_names[] = {"TLSv1.2", "TLSv1.3", NULL};
static const int protocol_values[] = {TLS1_2_VERSION, TLS1_3_VERSION};
static const char *const mismatch_names[] = {"reject", "continue", NULL};
static const int mismatch_values[] = {SSLPLUGI_ALPN_REJECT, SSLPLUGI_ALPN_CONTINUE};
static const char *const crl_names[] = {"leaf", "chain", NULL};
static const int crl_values[] = {SSLPLUGI_CRL_LEAF, SSLPLUGI_CRL_CHAIN};
static const char *const ocsp_names[] = {"off", "if_present", "require", NULL};
static const int ocsp_values[] = {SSLPLUGI_OCSP_OFF, SSLPLUGI_OCSP_IF_PRESENT,
                                  SSLPLUGI_OCSP_REQUIRE};

/* The session cache is the main context's: OpenSSL keeps sessions in the context a
 * connection starts on, whatever context it is switched to. */
static const char session_cache[] = "the session cache is the main context's, whichever named "
                                    "context a connection is switched to";

static const sslplugi_setting settings[] = {
    {"certificate", SSLPLUGI_SET_PATH, AT(certificate), SSLPLUGI_SET_STORE_URI, NULL, NULL, 0, 0,
     NULL},
    {"private_key", SSLPLUGI_SET_PATH, AT(private_key), SSLPLUGI_SET_STORE_URI, NULL, NULL, 0, 0,
     NULL},
    {"pkcs12", SSLPLUGI_SET_PATH, AT(pkcs12), 0, NULL, NULL, 0, 0, NULL},
    {"ca_file", SSLPLUGI_SET_PATH, AT(ca_file), 0, NULL, NULL, 0, 0, NULL},
    {"ca_path", SSLPLUGI_SET_PATH, AT(ca_path), 0, NULL, NULL, 0, 0, NULL},
    {"verify", SSLPLUGI_SET_ENUM, AT(verify), 0, verify_names, verify_values, 0, 0, NULL},
    {"verify_depth", SSLPLUGI_SET_INTEGER, AT(verify_depth), 0, NULL, NULL, 0, 100, NULL},
    {"min_protocol", SSLPLUGI_SET_ENUM, AT(min_protocol), 0, protocol_names, protocol_values, 0, 0,
     NULL},
    {"max_protocol", SSLPLUGI_SET_ENUM, AT(max_protocol), 0, protocol_names, protocol_values, 0, 0,
     NULL},
    {"ciphers", SSLPLUGI_SET_STRING, AT(ciphers), 0, NULL, NULL, 0, 0, NULL},
    {"ciphersuites", SSLPLUGI_SET_STRING, AT(ciphersuites), 0, NULL, NULL, 0, 0, NULL},
    {"verify_host", SSLPLUGI_SET_STRING, AT(verify_host), SSLPLUGI_SET_CLIENT, NULL, NULL, 0, 0,
     NULL},
    {"alpn", SSLPLUGI_SET_STRINGS, AT(alpn), 0, NULL, NULL, 1, 255, NULL},
    {"alpn_mismatch", SSLPLUGI_SET_ENUM, AT(alpn_mismatch), SSLPLUGI_SET_SERVER, mismatch_names,
     mismatch_values, 0, 0, NULL},
    {"openssl", SSLPLUGI_SET_PAIRS, AT(openssl), 0, NULL, NULL, 0, 0, NULL},
    {"crl_file", SSLPLUGI_SET_PATH, AT(crl_file), 0, NULL, NULL, 0, 0, NULL},
    {"crl_path", SSLPLUGI_SET_PATH, AT(crl_path), 0, NULL, NULL, 0, 0, NULL},
    {"crl_check", SSLPLUGI_SET_ENUM, AT(crl_check), 0, crl_names, crl_values, 0, 0, NULL},
    {"ocsp_staple", SSLPLUGI_SET_PATH, AT(ocsp_staple), SSLPLUGI_SET_SERVER, NULL, NULL, 0, 0,
     NULL},
    {"ocsp", SSLPLUGI_SET_ENUM, AT(ocsp), SSLPLUGI_SET_CLIENT, ocsp_names, ocsp_values, 0, 0, NULL},
    {"session_tickets", SSLPLUGI_SET_BOOLEAN, AT(session_tickets), 0, NULL, NULL, 0, 0, NULL},
    {"session_timeout", SSLPLUGI_SET_INTEGER, AT(session_timeout), SSLPLUGI_SET_MAIN_ONLY, NULL,
     NULL, 1, 86400 * 365, session_cache},
    {"session_cache_size", SSLPLUGI_SET_INTEGER, AT(session_cache_size), SSLPLUGI_SET_MAIN_ONLY,
     NULL, NULL, 0, 1L << 30, session_cache},
};

const sslplugi_setting *
sslplugi_settings(size_t *count)
{
    *count = sizeof(settings) / sizeof(settings[0]);
    return settings;
}

void
sslplugi_settings_init(sslplugi_context_conf *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const sslplugi_setting *row = &settings[i];

        if (row->kind == SSLPLUGI_SET_INTEGER) {
            *SSLPLUGI_SETTING(c, row, long) = -1;
        } else if (row->kind == SSLPLUGI_SET_BOOLEAN) {
            *SSLPLUGI_SETTING(c, row, int) = -1;
        }
    }
}

static char **
copy_strings(char *const *v, size_t n)
{
    char **out = calloc(n + 1, sizeof(*out));

    for (size_t i = 0; out != NULL && i < n; i++) {
        if ((out[i] = strdup(v[i])) == NULL) {
            for (size_t k = 0; k < i; k++) {
                free(out[k]);
            }
            free(out);
            out = NULL;
        }
    }
    return out;
}

static void
free_strings(char **v, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

/* Forget (not free) what a row's member points to. */
static void
clear_owned(sslplugi_context_conf *c, const sslplugi_setting *row)
{
    switch (row->kind) {
    case SSLPLUGI_SET_STRING:
    case SSLPLUGI_SET_PATH:
        *SSLPLUGI_SETTING(c, row, char *) = NULL;
        break;
    case SSLPLUGI_SET_STRINGS:
        memset(SSLPLUGI_SETTING(c, row, sslplugi_strings), 0, sizeof(sslplugi_strings));
        break;
    case SSLPLUGI_SET_PAIRS:
        memset(SSLPLUGI_SETTING(c, row, sslplugi_pairs), 0, sizeof(sslplugi_pairs));
        break;
    case SSLPLUGI_SET_ENUM:
    case SSLPLUGI_SET_INTEGER:
    case SSLPLUGI_SET_BOOLEAN:
    default:
        break;
    }
}

int
sslplugi_settings_copy(sslplugi_context_conf *dst, const sslplugi_context_conf *src)
{
    int ok = 1;

    /* The values as they are, then nothing shared: a failure half-way frees only copies. */
    *dst = *src;
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        clear_owned(dst, &settings[i]);
    }
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const sslplugi_setting *row = &settings[i];

        switch (row->kind) {
        case SSLPLUGI_SET_STRING:
        case SSLPLUGI_SET_PATH: {
            char *const *from = SSLPLUGI_SETTING_OF(src, row, char *);
            char **to = SSLPLUGI_SETTING(dst, row, char *);

            *to = *from != NULL ? strdup(*from) : NULL;
            ok &= *from == NULL || *to != NULL;
            break;
        }
        case SSLPLUGI_SET_STRINGS: {
            const sslplugi_strings *from = SSLPLUGI_SETTING_OF(src, row, sslplugi_strings);
            sslplugi_strings *to = SSLPLUGI_SETTING(dst, row, sslplugi_strings);

            to->v = from->n > 0 ? copy_strings(from->v, from->n) : NULL;
            ok &= from->n == 0 || to->v != NULL;
            to->n = to->v != NULL ? from->n : 0;
            break;
        }
        case SSLPLUGI_SET_PAIRS: {
            const sslplugi_pairs *from = SSLPLUGI_SETTING_OF(src, row, sslplugi_pairs);
            sslplugi_pairs *to = SSLPLUGI_SETTING(dst, row, sslplugi_pairs);

            to->names = from->n > 0 ? copy_strings(from->names, from->n) : NULL;
            to->values = from->n > 0 ? copy_strings(from->values, from->n) : NULL;
            if (from->n > 0 && (to->names == NULL || to->values == NULL)) {
                free_strings(to->names, to->names != NULL ? from->n : 0);
                free_strings(to->values, to->values != NULL ? from->n : 0);
                to->names = to->values = NULL;
                ok = 0;
            }
            to->n = to->names != NULL ? from->n : 0;
            break;
        }
        case SSLPLUGI_SET_ENUM:
        case SSLPLUGI_SET_INTEGER:
        case SSLPLUGI_SET_BOOLEAN:
        default:
            break;
        }
    }
    if (!ok) {
        sslplugi_settings_free(dst);
    }
    return ok;
}

void
sslplugi_settings_free(sslplugi_context_conf *c)
{
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const sslplugi_setting *row = &settings[i];

        switch (row->kind) {
        case SSLPLUGI_SET_STRING:
        case SSLPLUGI_SET_PATH: {
            char **s = SSLPLUGI_SETTING(c, row, char *);

            free(*s);
            *s = NULL;
            break;
        }
        case SSLPLUGI_SET_STRINGS: {
            sslplugi_strings *s = SSLPLUGI_SETTING(c, row, sslplugi_strings);

            free_strings(s->v, s->n);
            s->v = NULL;
            s->n = 0;
            break;
        }
        case SSLPLUGI_SET_PAIRS: {
            sslplugi_pairs *p = SSLPLUGI_SETTING(c, row, sslplugi_pairs);

            free_strings(p->names, p->n);
            free_strings(p->values, p->n);
            p->names = p->values = NULL;
            p->n = 0;
            break;
        }
        case SSLPLUGI_SET_ENUM:
        case SSLPLUGI_SET_INTEGER:
        case SSLPLUGI_SET_BOOLEAN:
        default:
            break;
        }
    }
}

int
sslplugi_settings_where(const sslplugi_config *c, int (*given)(const sslplugi_context_conf *conf),
                        const char *key, char ptr[SSLPLUG_ERROR_POINTER_MAX])
{
    if (given(&c->context)) {
        sslplugi_pointer_child(ptr, "/context", key);
        return 1;
    }
    for (size_t i = 0; i < c->sub_count; i++) {
        if (given(&c->subs[i].conf)) {
            sslplugi_pointer_child(ptr, c->subs[i].pointer, key);
            return 1;
        }
    }
    return 0;
}

int
sslplugi_settings_refuse(const sslplugi_config *c, int (*given)(const sslplugi_context_conf *conf),
                         const char *key, const char *why, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];

    if (!sslplugi_settings_where(c, given, key, ptr)) {
        return 1;
    }
    sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                       "%s, so \"%s\" would be ignored; configure one of them", why, key);
    return 0;
}
