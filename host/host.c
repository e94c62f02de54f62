/*
 * Host lifecycle: load a configuration, hand out contexts, reload, free.
 * The host points at its current generation (generation.c); the host lock
 * only guards that pointer and is never held while plugin code runs.
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

#include "binding.h"
#include "internal.h"

/* A configuration is a few KiB; refuse to slurp something absurd. */
#define MAX_CONFIG_BYTES (1024 * 1024)

/* real: the path of the file read (real_len bytes), for the directory checks. */
static char *
read_file(const char *path, size_t *len, struct stat *st, char *real, size_t real_len,
          sslplug_error *err)
{
    char *buf = NULL;
    size_t n = 0;
    ssize_t r;
    int fd = -1;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 || fstat(fd, st) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot open %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!sslplugi_file_real_path(fd, real, real_len)) {
        sslplugi_error_set(err, SSLPLUG_E_IO, NULL, "cannot tell which file %s is: %s", path,
                           strerror(errno));
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

/*
 * Parse a configuration into a configuration struct with every path
 * resolved.  st and real: the configuration file's, checked like a
 * plugin's unless the configuration opts out; NULL for a string.
 */
static sslplugi_config *
parse(const char *json, size_t len, const char *source, const char *base_dir, const struct stat *st,
      const char *real, sslplug_error *err)
{
    sslplugi_config *config = NULL;

    if (!sslplugi_config_parse(json, len, source, base_dir, &config, err)) {
        goto fail;
    }
    /* The configuration file gets a plugin's owner and writability checks. */
    if (st != NULL && !config->insecure_allow_writable &&
        !sslplugi_file_check_opened(source, real, st, SSLPLUGI_FILE_OWNED, "configuration", NULL,
                                    err)) {
        goto fail;
    }
    if (!sslplugi_paths_resolve(config, err)) {
        goto fail;
    }
    return config;
fail:
    sslplugi_config_free(config);
    sslplugi_error_set_source(err, source);
    return NULL;
}

static sslplugi_config *
parse_file(const char *path, sslplug_error *err)
{
    sslplugi_config *config = NULL;
    char *json = NULL, *dir = NULL;
    char real[PATH_MAX];
    struct stat st;
    size_t len = 0;

    if ((json = read_file(path, &len, &st, real, sizeof(real), err)) == NULL ||
        (dir = config_dir(path, err)) == NULL) {
        sslplugi_error_set_source(err, path);
        goto done;
    }
    config = parse(json, len, path, dir, &st, real, err);
done:
    free(json);
    free(dir);
    return config;
}

static sslplug_host *
host_new(sslplugi_config *config, const char *path, sslplug_error *err)
{
    sslplug_host *host = calloc(1, sizeof(*host));

    if (host == NULL || pthread_mutex_init(&host->lock, NULL) != 0) {
        free(host);
        host = NULL;
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto fail;
    }
    if (path != NULL && (host->path = strdup(path)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto fail;
    }
    if ((host->gen = sslplugi_generation_new(config, 1, err)) == NULL) {
        goto fail;
    }
    host->next_number = 2;
    return host;
fail:
    sslplugi_error_set_source(err, config->source);
    sslplugi_config_free(config);
    if (host != NULL) {
        pthread_mutex_destroy(&host->lock);
        free(host->path);
        free(host);
    }
    return NULL;
}

sslplug_host *
sslplug_host_load(const char *path, sslplug_error *err)
{
    sslplugi_config *config;

    sslplugi_error_clear(err);
    if (path == NULL || *path == '\0') {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no configuration path given");
        return NULL;
    }
    if ((config = parse_file(path, err)) == NULL) {
        return NULL;
    }
    return host_new(config, path, err);
}

sslplug_host *
sslplug_host_load_string(const char *json, const char *base_dir, sslplug_error *err)
{
    sslplugi_config *config;

    sslplugi_error_clear(err);
    sslplugi_error_set_source(err, "<string>");
    if (json == NULL || base_dir == NULL || base_dir[0] != '/') {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "a configuration string and an absolute base directory are needed");
        return NULL;
    }
    if ((config = parse(json, strlen(json), "<string>", base_dir, NULL, NULL, err)) == NULL) {
        return NULL;
    }
    return host_new(config, NULL, err);
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

static sslplugi_generation *
current(sslplug_host *host)
{
    sslplugi_generation *gen;

    pthread_mutex_lock(&host->lock);
    gen = host->gen;
    sslplugi_generation_ref(gen);
    pthread_mutex_unlock(&host->lock);
    return gen;
}

sslplugi_generation *
sslplugi_host_current(sslplug_host *host)
{
    return current(host);
}

int
sslplug_host_reload(sslplug_host *host, sslplug_error *err)
{
    sslplugi_generation *gen = NULL, *old;
    sslplugi_config *config;
    unsigned long number;

    sslplugi_error_clear(err);
    if (host == NULL || host->path == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "only a host loaded from a file can be reloaded");
        return 0;
    }
    if ((config = parse_file(host->path, err)) == NULL) {
        return 0;
    }
    pthread_mutex_lock(&host->lock);
    number = host->next_number++;
    pthread_mutex_unlock(&host->lock);
    if ((gen = sslplugi_generation_new(config, number, err)) == NULL) {
        sslplugi_config_free(config);
        sslplugi_error_set_source(err, host->path);
        return 0;
    }
    /* Load everything before the swap: a failed reload changes nothing. */
    if (!sslplugi_generation_load(gen, host->log_fn, host->log_arg, err)) {
        sslplugi_error_set_source(err, host->path);
        sslplugi_generation_unref(gen);
        return 0;
    }
    pthread_mutex_lock(&host->lock);
    old = host->gen;
    host->gen = gen;
    pthread_mutex_unlock(&host->lock);
    sslplugi_generation_unref(old);
    return 1;
}

unsigned long
sslplug_host_generation(sslplug_host *host)
{
    unsigned long number = 0;

    if (host != NULL) {
        pthread_mutex_lock(&host->lock);
        number = host->gen->number;
        pthread_mutex_unlock(&host->lock);
    }
    return number;
}

/*
 * The named contexts a servername callback may switch to: each built like
 * the main one, with its own settings and its own session id context
 * (digest of the main one and the name), owned by the main context.
 */
static int
build_subcontexts(sslplug_host *host, SSL_CTX *main, const sslplugi_generation *gen,
                  sslplugi_filecache *files, sslplug_error *err)
{
    const sslplugi_config *c = gen->config;
    unsigned char sid[32];
    char ptr[SSLPLUG_ERROR_POINTER_MAX];

    for (size_t i = 0; i < c->sub_count; i++) {
        const sslplugi_named_context *sub = &c->subs[i];
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
        int ok = md != NULL && ctx != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
                 EVP_DigestUpdate(md, gen->session_id_context, sizeof(gen->session_id_context)) &&
                 EVP_DigestUpdate(md, sub->name, strlen(sub->name) + 1) &&
                 EVP_DigestUpdate(md, gen->trust[1 + i].digest, sizeof(gen->trust[1 + i].digest)) &&
                 EVP_DigestFinal_ex(md, sid, NULL);

        EVP_MD_CTX_free(md);
        snprintf(ptr, sizeof(ptr), "%s", sub->pointer);
        if (!ok) {
            sslplugi_error_set(err, SSLPLUG_E_TLS, ptr, "cannot create the context");
        }
        if (ok && !sslplugi_context_inherit(ctx, main)) {
            sslplugi_error_set(err, SSLPLUG_E_TLS, ptr, "cannot copy the main context's settings");
            ok = 0;
        }
        if (!ok || !sslplugi_bind(ctx, 1, gen, &sub->conf, host->trace_fn, host->trace_arg, err) ||
            !sslplugi_context_configure(ctx, &sub->conf, &gen->trust[1 + i], ptr, sid, files,
                                        err)) {
            SSL_CTX_free(ctx);
            return 0;
        }
        /* Its own: a session store looks a switched connection's sessions up under it. */
        memcpy(sslplugi_binding_of_ctx(ctx)->session_id_context, sid, sizeof(sid));
        if (!sslplugi_bind_subcontext(main, sub->name, ctx, err)) {
            return 0;
        }
    }
    sslplugi_subcontexts_ready(main);
    return 1;
}

static int
configure(sslplug_host *host, SSL_CTX *ctx, int own_ctx, sslplug_error *err)
{
    sslplugi_generation *gen = current(host);
    const sslplugi_config *c = gen->config;
    /* The main context and its named ones read each file they share once. */
    sslplugi_filecache *files = sslplugi_filecache_new();
    int bound = 0, ok;

    if (files == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
    }
    ok = files != NULL && sslplugi_generation_load(gen, host->log_fn, host->log_arg, err) &&
         (bound = sslplugi_bind(ctx, own_ctx, gen, &c->context, host->trace_fn, host->trace_arg,
                                err)) &&
         sslplugi_context_configure(ctx, &c->context, &gen->trust[0], "/context",
                                    gen->session_id_context, files, err) &&
         build_subcontexts(host, ctx, gen, files, err);
    sslplugi_filecache_free(files);
    if (!ok) {
        sslplugi_error_set_source(err, c->source);
    }
    /*
     * An application's context that was partly configured must not serve
     * as if it were: whatever the caller does with it, every peer is
     * refused (a context of our own is freed instead).
     */
    if (!ok && bound && !own_ctx) {
        sslplugi_refuse_every_peer(ctx);
    }
    sslplugi_generation_unref(gen);
    return ok;
}

SSL_CTX *
sslplug_ctx_new(sslplug_host *host, sslplug_error *err)
{
    SSL_CTX *ctx = NULL;
    sslplugi_generation *gen;
    int server;
    char reason[256];

    sslplugi_error_clear(err);
    if (host == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no host given");
        return NULL;
    }
    gen = current(host);
    server = gen->config->context.role == SSLPLUGI_ROLE_SERVER;
    sslplugi_generation_unref(gen);
    ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ctx == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, NULL, "SSL_CTX_new failed: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return NULL;
    }
    if (!configure(host, ctx, 1, err)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

int
sslplug_ctx_apply(sslplug_host *host, SSL_CTX *ctx, sslplug_error *err)
{
    sslplugi_error_clear(err);
    if (host == NULL || ctx == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no host or context given");
        return 0;
    }
    return configure(host, ctx, 0, err);
}

void
sslplug_host_free(sslplug_host *host)
{
    if (host == NULL) {
        return;
    }
    sslplugi_generation_unref(host->gen);
    pthread_mutex_destroy(&host->lock);
    free(host->path);
    free(host);
}

const char *
sslplug_version(void)
{
    return SSLPLUG_VERSION;
}
