/*
 * One hiredis connection with bounded waits, AUTH and backoff (redis.h).
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <openssl/crypto.h>

#include "redis.h"
#include "secret.h"

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 2000
#define AUTH_MAX 512

struct sslplugi_redis {
    const sslplug_services *services;
    const sslplug_handle *handle;
    pthread_mutex_t lock; /* everything below */
    char *host;           /* NULL for a unix socket */
    int port;
    char *path;     /* the unix socket, or NULL */
    char name[300]; /* for messages */
    struct timeval timeout;
    char *user;           /* NULL: AUTH PASSWORD */
    char *password;       /* NULL: no AUTH */
    redisContext *ctx;    /* NULL when not connected */
    long long retry_at;   /* monotonic ms before which no connection is tried */
    long backoff_ms;      /* the next backoff */
    int down;             /* the last attempt failed; logged once per outage */
    unsigned long failed; /* operations failed in this outage */
};

static long long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "HOST:PORT" or "[V6]:PORT" into r; 1, or 0 when it is neither. */
static int
parse_address(sslplugi_redis *r, const char *text)
{
    const char *colon = strrchr(text, ':');
    const char *host = text;
    size_t host_len;
    char *end = NULL;
    long port;

    if (colon == NULL || colon == text) {
        return 0;
    }
    host_len = (size_t)(colon - text);
    if (text[0] == '[') {
        if (host_len < 3 || text[host_len - 1] != ']') {
            return 0;
        }
        host++;
        host_len -= 2;
    }
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (errno != 0 || end == colon + 1 || *end != '\0' || port < 1 || port > 65535) {
        return 0;
    }
    if ((r->host = strndup(host, host_len)) == NULL) {
        return 0;
    }
    r->port = (int)port;
    snprintf(r->name, sizeof(r->name), "%s", text);
    return 1;
}

/* auth_file: "PASSWORD" or "USER PASSWORD", one line. */
static int
read_auth(sslplugi_redis *r, const sslplugi_cfg *cfg, const char *path)
{
    unsigned char buf[AUTH_MAX + 1];
    size_t len = 0;
    char *text, *space;
    int ok = 0;

    if (!sslplugi_secret_read(cfg, "/auth_file", "Redis password file", path, buf, 1, AUTH_MAX,
                              &len)) {
        return 0;
    }
    /* A NUL would cut the password short without saying so. */
    int has_nul = memchr(buf, '\0', len) != NULL;

    buf[len] = '\0';
    text = (char *)buf;
    text[strcspn(text, "\r\n")] = '\0';
    if (text[0] == '\0' || has_nul) {
        sslplugi_cfg_error(cfg, "auth_file",
                           "Redis password file %s holds no password on its "
                           "first line: expected PASSWORD or USER PASSWORD",
                           path);
        goto done;
    }
    if ((space = strchr(text, ' ')) != NULL) {
        *space = '\0';
        if (space[1] == '\0' || (r->user = strdup(text)) == NULL ||
            (r->password = strdup(space + 1)) == NULL) {
            sslplugi_cfg_error(cfg, "auth_file",
                               "Redis password file %s: expected PASSWORD or USER PASSWORD", path);
            goto done;
        }
    } else if ((r->password = strdup(text)) == NULL) {
        sslplugi_cfg_error(cfg, "auth_file", "out of memory");
        goto done;
    }
    ok = 1;
done:
    OPENSSL_cleanse(buf, sizeof(buf));
    return ok;
}

sslplugi_redis *
sslplugi_redis_new(const sslplugi_cfg *cfg)
{
    sslplugi_redis *r = calloc(1, sizeof(*r));
    const char *address = NULL;
    char *auth = NULL;
    long long timeout_ms = 50;

    if (r == NULL) {
        sslplugi_cfg_error(cfg, NULL, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    r->services = cfg->services;
    r->handle = cfg->handle;
    r->backoff_ms = BACKOFF_FIRST_MS;
    if (!sslplugi_cfg_string(cfg, "redis", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &address) ||
        !sslplugi_cfg_int(cfg, "timeout_ms", SSLPLUGI_OPTIONAL, 1, 10000, &timeout_ms) ||
        !sslplugi_cfg_path(cfg, "auth_file", SSLPLUGI_OPTIONAL, &auth)) {
        goto fail;
    }
    r->timeout.tv_sec = (time_t)(timeout_ms / 1000);
    r->timeout.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
    if (strchr(address, '/') != NULL) {
        if (!sslplugi_cfg_path(cfg, "redis", SSLPLUGI_REQUIRED, &r->path)) {
            goto fail;
        }
        snprintf(r->name, sizeof(r->name), "unix:%s", r->path);
    } else if (!parse_address(r, address)) {
        sslplugi_cfg_error(cfg, "redis",
                           "expected HOST:PORT, [IPv6]:PORT or a unix socket path, found \"%s\"",
                           address);
        goto fail;
    }
    if (auth != NULL && !read_auth(r, cfg, auth)) {
        goto fail;
    }
    free(auth);
    return r;
fail:
    free(auth);
    sslplugi_redis_free(r);
    return NULL;
}

void
sslplugi_redis_free(sslplugi_redis *r)
{
    if (r == NULL) {
        return;
    }
    if (r->ctx != NULL) {
        redisFree(r->ctx);
    }
    if (r->password != NULL) {
        OPENSSL_cleanse(r->password, strlen(r->password));
    }
    free(r->password);
    free(r->user);
    free(r->host);
    free(r->path);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

const char *
sslplugi_redis_name(const sslplugi_redis *r)
{
    return r->name;
}

static void
drop(sslplugi_redis *r)
{
    if (r->ctx != NULL) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
}

/* A reply that is an error, as text for why; NULL when it is none. */
static const char *
reply_error(const redisReply *reply)
{
    return reply != NULL && reply->type == REDIS_REPLY_ERROR ? reply->str : NULL;
}

static int
connect_locked(sslplugi_redis *r, char *why, size_t whylen)
{
    redisReply *reply;

    r->ctx = r->path != NULL ? redisConnectUnixWithTimeout(r->path, r->timeout)
                             : redisConnectWithTimeout(r->host, r->port, r->timeout);
    if (r->ctx == NULL || r->ctx->err != 0) {
        snprintf(why, whylen, "connect: %s", r->ctx != NULL ? r->ctx->errstr : "out of memory");
        drop(r);
        return 0;
    }
    if (redisSetTimeout(r->ctx, r->timeout) != REDIS_OK) {
        snprintf(why, whylen, "cannot set the command timeout");
        drop(r);
        return 0;
    }
    if (r->password == NULL) {
        return 1;
    }
    reply = r->user != NULL ? redisCommand(r->ctx, "AUTH %s %s", r->user, r->password)
                            : redisCommand(r->ctx, "AUTH %s", r->password);
    if (reply == NULL || reply_error(reply) != NULL) {
        snprintf(why, whylen, "AUTH: %s",
                 reply != NULL               ? reply->str
                 : r->ctx->errstr[0] != '\0' ? r->ctx->errstr
                                             : "failed");
        if (reply != NULL) {
            freeReplyObject(reply);
        }
        drop(r);
        return 0;
    }
    freeReplyObject(reply);
    return 1;
}

/* An operation failed: log the first failure of an outage, and back off. */
static void
failed_locked(sslplugi_redis *r, const char *why, int backoff)
{
    r->failed++;
    if (!r->down) {
        r->down = 1;
        r->services->log(r->handle, SSLPLUG_LOG_WARNING,
                         "redis %s unavailable (%s): handshakes go on as full handshakes, "
                         "retrying with backoff",
                         r->name, why);
    }
    if (backoff) {
        r->retry_at = now_ms() + r->backoff_ms;
        r->backoff_ms = r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
    }
}

static void
succeeded_locked(sslplugi_redis *r)
{
    if (r->down) {
        r->services->log(r->handle, SSLPLUG_LOG_INFO,
                         "redis %s reachable again, after %lu failed operations", r->name,
                         r->failed);
    }
    r->down = 0;
    r->failed = 0;
    r->backoff_ms = BACKOFF_FIRST_MS;
}

redisReply *
sslplugi_redis_command(sslplugi_redis *r, int argc, const char **argv, const size_t *lens,
                       char *why, size_t whylen)
{
    redisReply *reply = NULL;

    pthread_mutex_lock(&r->lock);
    if (r->ctx == NULL) {
        if (now_ms() < r->retry_at) {
            snprintf(why, whylen, "unavailable, in backoff");
            failed_locked(r, why, 0);
            goto done;
        }
        if (!connect_locked(r, why, whylen)) {
            failed_locked(r, why, 1);
            goto done;
        }
    }
    reply = redisCommandArgv(r->ctx, argc, argv, lens);
    if (reply == NULL) {
        /* Timed out or lost: the connection is out of step, start again. */
        snprintf(why, whylen, "%s", r->ctx->errstr[0] != '\0' ? r->ctx->errstr : "no reply");
        drop(r);
        failed_locked(r, why, 1);
        goto done;
    }
    if (reply_error(reply) != NULL) {
        snprintf(why, whylen, "%s", reply->str);
        freeReplyObject(reply);
        reply = NULL;
        failed_locked(r, why, 0);
        goto done;
    }
    succeeded_locked(r);
done:
    pthread_mutex_unlock(&r->lock);
    return reply;
}

int
sslplugi_redis_probe(sslplugi_redis *r, char *why, size_t whylen)
{
    static const char *const ping[] = {"PING"};
    static const size_t ping_len[] = {4};
    redisReply *reply = NULL;
    int ok;

    why[0] = '\0';
    pthread_mutex_lock(&r->lock);
    ok = connect_locked(r, why, whylen) &&
         (reply = redisCommandArgv(r->ctx, 1, (const char **)(uintptr_t)ping, ping_len)) != NULL &&
         reply_error(reply) == NULL;
    if (!ok && why[0] == '\0') {
        snprintf(why, whylen, "PING: %s",
                 reply != NULL    ? reply->str
                 : r->ctx != NULL ? r->ctx->errstr
                                  : "failed");
    }
    if (reply != NULL) {
        freeReplyObject(reply);
    }
    drop(r);
    pthread_mutex_unlock(&r->lock);
    return ok;
}
