/*
 * The services table the host hands every plugin's init: logging, init
 * errors with JSON pointers, path resolution, and what the host is doing
 * (the configuration file, the key being read, the override policy, whether
 * the entry is only being checked).
 * Grows only at the end, with the ABI minor (see plugin.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void
sslplugi_log_emit(sslplug_log_fn fn, void *arg, int level, const char *plugin, const char *message)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};

    if (fn != NULL) {
        fn(level, plugin, message, arg);
    } else if (level <= SSLPLUG_LOG_INFO) {
        fprintf(stderr, "sslplug: %s: %s: %s\n", plugin,
                names[level < 0                   ? 0
                      : level > SSLPLUG_LOG_DEBUG ? SSLPLUG_LOG_DEBUG
                                                  : level],
                message);
    }
}

static void svc_log(const sslplug_handle *h, int level, const char *fmt, ...) SSLPLUGI_PRINTF(3, 4);
static void svc_error(sslplug_handle *h, const char *pointer, const char *fmt, ...)
    SSLPLUGI_PRINTF(3, 4);

static void
svc_log(const sslplug_handle *h, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sslplugi_log_emit(h->log_fn, h->log_arg, level, h->label, msg);
}

static void
svc_error(sslplug_handle *h, const char *pointer, const char *fmt, ...)
{
    char msg[SSLPLUG_ERROR_MESSAGE_MAX / 2];
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (h->init_err == NULL) {
        svc_log(h, SSLPLUG_LOG_ERROR, "%s", msg);
        return;
    }
    if (pointer != NULL) {
        snprintf(ptr, sizeof(ptr), "%s/config%s", h->pointer, pointer);
    } else {
        snprintf(ptr, sizeof(ptr), "%s", h->pointer);
    }
    sslplugi_error_set(h->init_err, SSLPLUG_E_PLUGIN_INIT, ptr, "plugin %s (%s): %s", h->label,
                       h->file, msg);
}

static int
svc_resolve_path(const sslplug_handle *h, const char *path, char *out, size_t outlen)
{
    char *joined = sslplugi_path_join(h->base_dir, path);
    int ok = joined != NULL && strlen(joined) < outlen;

    if (ok) {
        memcpy(out, joined, strlen(joined) + 1);
    }
    free(joined);
    return ok;
}

static const char *
svc_config_path(const sslplug_handle *h)
{
    return strcmp(h->source, "<string>") == 0 ? "" : h->source;
}

/* The key being read on this thread, for services->key_file. */
static _Thread_local const char *reading_key;

void
sslplugi_services_reading_key(const char *file)
{
    reading_key = file;
}

static const char *
svc_key_file(const sslplug_handle *h)
{
    (void)h;
    return reading_key;
}

int
sslplugi_may_override(const sslplugi_instance *h, int error)
{
    if (h->override_any) {
        return 1;
    }
    for (size_t i = 0; i < h->override_count; i++) {
        if (error == 0 || h->override_codes[i] == error) {
            return 1;
        }
    }
    return 0;
}

static int
svc_checking(const sslplug_handle *h)
{
    return h->checking;
}

static int
svc_server_name(const SSL *ssl, char *out, size_t outlen)
{
    const char *name = ssl != NULL ? SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) : NULL;

    return name != NULL && sslplugi_servername_normalise(name, strlen(name), out, outlen);
}

static int
svc_normalise_name(const char *name, char *out, size_t outlen)
{
    return name != NULL && sslplugi_servername_normalise(name, strlen(name), out, outlen);
}

static const sslplug_services services_table = {
    .size = sizeof(sslplug_services),
    .abi_major = SSLPLUG_ABI_MAJOR,
    .abi_minor = SSLPLUG_ABI_MINOR,
    .log = svc_log,
    .error = svc_error,
    .resolve_path = svc_resolve_path,
    .config_path = svc_config_path,
    .key_file = svc_key_file,
    .may_override = sslplugi_may_override,
    .checking = svc_checking,
    .server_name = svc_server_name,
    .normalise_name = svc_normalise_name,
};

/* Set by sslplug_host_check around the load it makes on this thread. */
static _Thread_local int check_mode;
static _Thread_local sslplugi_warn_sink warn_sink;
static _Thread_local void *warn_arg;

void
sslplugi_warn_collect(sslplugi_warn_sink sink, void *arg)
{
    warn_sink = sink;
    warn_arg = arg;
}

void
sslplugi_warn(sslplug_log_fn log_fn, void *log_arg, sslplug_code code, const char *pointer,
              const char *fmt, ...)
{
    char msg[SSLPLUG_ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (warn_sink != NULL) {
        warn_sink(code, pointer, msg, warn_arg);
    } else if (pointer != NULL) {
        char line[SSLPLUG_ERROR_POINTER_MAX + SSLPLUG_ERROR_MESSAGE_MAX + 2];

        /* The form every message with a location has: "POINTER: message". */
        snprintf(line, sizeof(line), "%s: %s", pointer, msg);
        sslplugi_log_emit(log_fn, log_arg, SSLPLUG_LOG_WARNING, "sslplug", line);
    } else {
        sslplugi_log_emit(log_fn, log_arg, SSLPLUG_LOG_WARNING, "sslplug", msg);
    }
}

void
sslplugi_services_set_checking(int on)
{
    check_mode = on;
}

int
sslplugi_services_checking(void)
{
    return check_mode;
}

const sslplug_services *
sslplugi_services(void)
{
    return &services_table;
}
