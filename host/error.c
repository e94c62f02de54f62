/*
 * The caller-owned error struct and the one table of code names.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "internal.h"

static const char *const code_names[] = {
    [SSLPLUG_OK] = "success",
    [SSLPLUG_E_NOMEM] = "out of memory",
    [SSLPLUG_E_ARGUMENT] = "invalid argument",
    [SSLPLUG_E_IO] = "cannot read file",
    [SSLPLUG_E_PARSE] = "configuration is not valid JSON",
    [SSLPLUG_E_CONFIG] = "invalid configuration",
    [SSLPLUG_E_PLUGIN_NOT_FOUND] = "plugin not found",
    [SSLPLUG_E_PLUGIN_LOAD] = "plugin cannot be loaded",
    [SSLPLUG_E_SYMBOL] = "symbol not found in plugin",
    [SSLPLUG_E_ABI] = "incompatible plugin ABI",
    [SSLPLUG_E_PLUGIN_TYPE] = "plugin does not provide the callback type",
    [SSLPLUG_E_PLUGIN_INIT] = "plugin initialisation failed",
    [SSLPLUG_E_TLS] = "TLS context setting refused",
    [SSLPLUG_E_CERTIFICATE] = "certificate error",
    [SSLPLUG_E_PRIVATE_KEY] = "private key error",
    [SSLPLUG_E_PASSWORD] = "password callback failed",
    [SSLPLUG_E_UNSAFE_FILE] = "unsafe file ownership, permissions or location",
    [SSLPLUG_E_INTEGRITY] = "plugin integrity check failed",
    [SSLPLUG_E_INTERNAL] = "internal error",
};

const char *
sslplug_strerror(sslplug_code code)
{
    if ((unsigned)code >= sizeof(code_names) / sizeof(code_names[0]) || code_names[code] == NULL) {
        return "unknown error";
    }
    return code_names[code];
}

void
sslplugi_error_clear(sslplug_error *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
    err->code = SSLPLUG_OK;
}

void
sslplugi_error_set_source(sslplug_error *err, const char *source)
{
    if (err == NULL || source == NULL) {
        return;
    }
    snprintf(err->source, sizeof(err->source), "%s", source);
}

void
sslplugi_error_vset(sslplug_error *err, sslplug_code code, const char *pointer, const char *fmt,
                    va_list ap)
{
    if (err == NULL) {
        return;
    }
    err->code = code;
    snprintf(err->pointer, sizeof(err->pointer), "%s", pointer != NULL ? pointer : "");
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

void
sslplugi_error_set(sslplug_error *err, sslplug_code code, const char *pointer, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sslplugi_error_vset(err, code, pointer, fmt, ap);
    va_end(ap);
}

/*
 * The most specific reason OpenSSL's error queue holds: the system error
 * (errno) an entry carries, else the first entry (the cause, pushed first),
 * followed by the last (where it surfaced) when they differ:
 * "No such file or directory (system library, then x509 certificate
 * routines: system lib)" rather than "x509 certificate routines::system lib".
 */
const char *
sslplugi_openssl_reason(char *buf, size_t len)
{
    unsigned long e, first = 0, last = 0, sys = 0;

    while ((e = ERR_get_error()) != 0) {
        if (first == 0) {
            first = e;
        }
        if (sys == 0 && ERR_SYSTEM_ERROR(e)) {
            sys = e;
        }
        last = e;
    }
    if (first == 0) {
        snprintf(buf, len, "no reason given by OpenSSL");
    } else if (sys != 0) {
        const char *where = ERR_lib_error_string(last);
        const char *what = ERR_reason_error_string(last);

        snprintf(buf, len, "%s", strerror(ERR_GET_REASON(sys)));
        if (last != sys && what != NULL) {
            size_t n = strlen(buf);

            snprintf(buf + n, len - n, " (%s: %s)", where != NULL ? where : "OpenSSL", what);
        }
    } else {
        const char *lib = ERR_lib_error_string(first), *what = ERR_reason_error_string(first);

        snprintf(buf, len, "%s%s%s", what != NULL ? what : "unknown error",
                 lib != NULL ? " in " : "", lib != NULL ? lib : "");
        if (last != first && ERR_reason_error_string(last) != NULL) {
            size_t n = strlen(buf);

            snprintf(buf + n, len - n, ", then %s", ERR_reason_error_string(last));
        }
    }
    ERR_clear_error();
    return buf;
}

char *
sslplugi_pointer_child(char *out, const char *parent, const char *token)
{
    size_t n = (size_t)snprintf(out, SSLPLUG_ERROR_POINTER_MAX, "%s/", parent);

    for (const char *k = token; *k != '\0' && n + 3 < SSLPLUG_ERROR_POINTER_MAX; k++) {
        if (*k == '~' || *k == '/') {
            out[n++] = '~';
            out[n++] = *k == '~' ? '0' : '1';
        } else {
            out[n++] = *k;
        }
    }
    out[n < SSLPLUG_ERROR_POINTER_MAX ? n : SSLPLUG_ERROR_POINTER_MAX - 1] = '\0';
    return out;
}

size_t
sslplug_error_format(const sslplug_error *err, char *buf, size_t len)
{
    const char *source;
    int n;

    if (err == NULL || buf == NULL || len == 0) {
        return 0;
    }
    source = err->source[0] != '\0' ? err->source : "sslplug";
    if (err->line > 0) {
        n = snprintf(buf, len, "%s:%d:%d: %s", source, err->line, err->column, err->message);
    } else if (err->pointer[0] != '\0') {
        n = snprintf(buf, len, "%s: %s: %s", source, err->pointer, err->message);
    } else {
        n = snprintf(buf, len, "%s: %s", source, err->message);
    }
    return n < 0 ? 0 : (size_t)n;
}
