/*
 * Host lifecycle: load a configuration, make instances of its plugins on
 * first use, hand out contexts, free.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "internal.h"

/* A configuration is a few KiB; refuse to slurp something absurd. */
#define MAX_CONFIG_BYTES (1024 * 1024)

/* st: the configuration file's, checked like a plugin's unless the config opts out. */
static sslplug_host *
host_new(const char *json, size_t len, const char *source, const char *base_dir,
         const struct stat *st, sslplug_error *err)
{
    sslplug_host *host = NULL;
    sslplugi_config *config = NULL;

    if (!sslplugi_config_parse(json, len, source, base_dir, &config, err)) {
        goto fail;
    }
    if (st != NULL && !config->insecure_allow_writable &&
        !sslplugi_file_check_stat(st, source, NULL, err)) {
        goto fail;
    }
    if (!sslplugi_paths_resolve(config, err)) {
        goto fail;
    }
    if ((host = calloc(1, sizeof(*host))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto fail;
    }
    if (pthread_mutex_init(&host->lock, NULL) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_INTERNAL, NULL, "cannot create a mutex");
        free(host);
        host = NULL;
        goto fail;
    }
    host->config = config;
    return host;
fail:
    sslplugi_config_free(config);
    sslplugi_error_set_source(err, source);
    return NULL;
}

static char *
read_file(const char *path, size_t *len, struct stat *st, sslplug_error *err)
{
    char *buf = NULL;
    size_t n = 0;
    ssize_t r;
    int fd = -1;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 || fstat(fd, st) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st->st_mode)) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "%s is not a regular file", path);
        goto fail;
    }
    if (st->st_size > MAX_CONFIG_BYTES) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "%s is larger than %d bytes", path,
                           MAX_CONFIG_BYTES);
        goto fail;
    }
    if ((buf = malloc((size_t)st->st_size + 1)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto fail;
    }
    while (n < (size_t)st->st_size && (r = read(fd, buf + n, (size_t)st->st_size - n)) > 0) {
        n += (size_t)r;
    }
    if (n != (size_t)st->st_size) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot read %s: %s", path,
                           errno != 0 ? strerror(errno) : "file changed while read");
        goto fail;
    }
    close(fd);
    *len = n;
    return buf;
fail:
    if (fd >= 0) {
        close(fd);
    }
    free(buf);
    return NULL;
}

/* The directory of path, made absolute so a later chdir changes nothing. */
static char *
config_dir(const char *path, sslplug_error *err)
{
    const char *slash = strrchr(path, '/');
    char cwd[PATH_MAX];
    char *dir = NULL;

    if (slash == path) {
        dir = strdup("/");
    } else if (slash != NULL && path[0] == '/') {
        dir = strndup(path, (size_t)(slash - path));
    } else {
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot get the working directory: %s",
                               strerror(errno));
            return NULL;
        }
        size_t len = strlen(cwd) + strlen(path) + 2;
        if ((dir = malloc(len)) != NULL) {
            snprintf(dir, len, "%s/%.*s", cwd, slash != NULL ? (int)(slash - path) : 0, path);
            if (slash == NULL) {
                dir[strlen(cwd)] = '\0';
            }
        }
    }
    if (dir == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
    }
    return dir;
}

sslplug_host *
sslplug_host_load(const char *path, sslplug_error *err)
{
    sslplug_host *host = NULL;
    char *json = NULL, *dir = NULL;
    struct stat st;
    size_t len = 0;

    sslplugi_error_clear(err);
    if (path == NULL || *path == '\0') {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no configuration path given");
        return NULL;
    }
    if ((json = read_file(path, &len, &st, err)) == NULL || (dir = config_dir(path, err)) == NULL) {
        sslplugi_error_set_source(err, path);
        goto done;
    }
    host = host_new(json, len, path, dir, &st, err);
done:
    free(json);
    free(dir);
    return host;
}

sslplug_host *
sslplug_host_load_string(const char *json, const char *base_dir, sslplug_error *err)
{
    sslplugi_error_clear(err);
    sslplugi_error_set_source(err, "<string>");
    if (json == NULL || base_dir == NULL || base_dir[0] != '/') {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "a configuration string and an absolute base directory are needed");
        return NULL;
    }
    return host_new(json, strlen(json), "<string>", base_dir, NULL, err);
}

void
sslplug_host_set_trace(sslplug_host *host, sslplug_trace_fn fn, void *arg)
{
    if (host != NULL) {
        host->trace_fn = fn;
        host->trace_arg = arg;
    }
}

void
sslplug_host_set_log(sslplug_host *host, sslplug_log_fn fn, void *arg)
{
    if (host != NULL) {
        host->log_fn = fn;
        host->log_arg = arg;
    }
}

/*
 * Verify callbacks do not run on resumption, so a session may only be
 * resumed under the same configuration and the same plugin files.
 */
static int
session_context(const sslplugi_config *c, sslplugi_instance *const *made, size_t count,
                unsigned char out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, c->digest, sizeof(c->digest));

    for (size_t i = 0; ok && i < count; i++) {
        ok = EVP_DigestUpdate(md, made[i]->file_sha256, sizeof(made[i]->file_sha256));
    }
    ok = ok && EVP_DigestFinal_ex(md, out, NULL);
    EVP_MD_CTX_free(md);
    return ok;
}

static void
host_warn(const sslplug_host *host, const char *message)
{
    sslplugi_log_emit(host->log_fn, host->log_arg, SSLPLUG_LOG_WARNING, "sslplug", message);
}

/*
 * Load and initialise every configured plugin once: all or nothing, except
 * that an optional (info) entry that fails is skipped with a warning.
 */
static int
host_instances(sslplug_host *host, sslplug_error *err)
{
    const sslplugi_config *c = host->config;
    sslplugi_instance **made = NULL;
    char warning[SSLPLUG_ERROR_MESSAGE_MAX + SSLPLUG_ERROR_POINTER_MAX + 64];
    size_t count = 0;
    int ok = 0;

    pthread_mutex_lock(&host->lock);
    if (host->loaded) {
        ok = 1;
        goto done;
    }
    if (c->insecure_allow_writable) {
        host_warn(host, "insecure_allow_writable is on: plugin and configuration files are not "
                        "checked for ownership and permissions (development only)");
    }
    if (c->entry_count > 0 && (made = calloc(c->entry_count, sizeof(*made))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < c->entry_count; i++) {
        sslplug_error entry_err;

        /* A debug line per entry: `sslplug check` names the entry a crash happened in. */
        snprintf(warning, sizeof(warning), "loading %s (%s)", c->entries[i].pointer,
                 c->entries[i].file != NULL ? c->entries[i].file : c->entries[i].plugin);
        sslplugi_log_emit(host->log_fn, host->log_arg, SSLPLUG_LOG_DEBUG, "sslplug", warning);
        made[count] =
            sslplugi_instance_new(c, &c->entries[i], host->log_fn, host->log_arg, &entry_err);
        if (made[count] != NULL) {
            count++;
            continue;
        }
        if (c->entries[i].optional) {
            snprintf(warning, sizeof(warning), "optional entry %s skipped: %s",
                     c->entries[i].pointer, entry_err.message);
            host_warn(host, warning);
            continue;
        }
        if (err != NULL) {
            *err = entry_err;
        }
        for (size_t j = 0; j < count; j++) {
            sslplugi_instance_unref(made[j]);
        }
        free(made);
        made = NULL;
        goto done;
    }
    if (!session_context(c, made, count, host->session_id_context)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "cannot digest the configuration");
        for (size_t j = 0; j < count; j++) {
            sslplugi_instance_unref(made[j]);
        }
        free(made);
        goto done;
    }
    host->instances = made;
    host->instance_count = count;
    host->loaded = 1;
    ok = 1;
done:
    pthread_mutex_unlock(&host->lock);
    return ok;
}

static int
configure(sslplug_host *host, SSL_CTX *ctx, int own_ctx, sslplug_error *err)
{
    return host_instances(host, err) &&
           sslplugi_bind(ctx, own_ctx, host->config, host->instances, host->instance_count,
                         host->trace_fn, host->trace_arg, err) &&
           sslplugi_context_configure(ctx, host->config, host->session_id_context, err);
}

SSL_CTX *
sslplug_ctx_new(sslplug_host *host, sslplug_error *err)
{
    SSL_CTX *ctx = NULL;
    char reason[256];

    sslplugi_error_clear(err);
    if (host == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no host given");
        return NULL;
    }
    ctx = SSL_CTX_new(host->config->context.role == SSLPLUGI_ROLE_SERVER ? TLS_server_method()
                                                                         : TLS_client_method());
    if (ctx == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, NULL, "SSL_CTX_new failed: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        goto fail;
    }
    if (!configure(host, ctx, 1, err)) {
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    sslplugi_error_set_source(err, host->config->source);
    return NULL;
}

int
sslplug_ctx_apply(sslplug_host *host, SSL_CTX *ctx, sslplug_error *err)
{
    sslplugi_error_clear(err);
    if (host == NULL || ctx == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no host or context given");
        return 0;
    }
    if (!configure(host, ctx, 0, err)) {
        sslplugi_error_set_source(err, host->config->source);
        return 0;
    }
    return 1;
}

void
sslplug_host_free(sslplug_host *host)
{
    if (host == NULL) {
        return;
    }
    for (size_t i = 0; i < host->instance_count; i++) {
        sslplugi_instance_unref(host->instances[i]);
    }
    free(host->instances);
    sslplugi_config_free(host->config);
    pthread_mutex_destroy(&host->lock);
    free(host);
}
