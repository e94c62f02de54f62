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

const char *
sslplugi_openssl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_peek_last_error();

    if (e == 0) {
        snprintf(buf, len, "no reason given by OpenSSL");
    } else {
        ERR_error_string_n(e, buf, len);
    }
    ERR_clear_error();
    return buf;
}

void
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
}
