/*
 * A Redis client for the fleet plugins, on hiredis: one connection, used
 * by one caller at a time (a mutex), every connect and command bounded by
 * timeout_ms, AUTH after each connect, and after a failure no new attempt
 * before a backoff (50 ms, doubling to 2 s) has passed, so that a Redis
 * that is down or slow costs each handshake at most one timeout and most
 * of them nothing.  It logs when Redis becomes unreachable and when it is
 * back, through the entry's log service.  Internal (prefix sslplugi_).
 */
#ifndef SSLPLUG_FLEET_REDIS_H
#define SSLPLUG_FLEET_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "sslplug_plugin_util.h"

typedef struct sslplugi_redis sslplugi_redis;

/**
 * Read the common keys of a Redis plugin's config: "redis" (HOST:PORT,
 * [IPv6]:PORT, or a unix socket path: any value with a '/', relative to the
 * configuration file), "auth_file" (optional: "PASSWORD" or "USER
 * PASSWORD" on one line, read as a secret), "timeout_ms" (1..10000,
 * default 50).  Nothing is connected yet.
 * @returns a new client, or NULL after reporting at the key at fault.
 */
sslplugi_redis *sslplugi_redis_new(const sslplugi_cfg *cfg);

/** Close and free; NULL is a no-op.  Wipes the password. */
void sslplugi_redis_free(sslplugi_redis *r);

/** "127.0.0.1:6379" or "unix:/run/redis.sock", for messages. */
const char *sslplugi_redis_name(const sslplugi_redis *r);

/**
 * Run one command (binary-safe arguments), connecting first when needed.
 * @returns the reply (the caller frees it with freeReplyObject), or NULL
 *          when Redis cannot be reached, timed out, refused AUTH or
 *          answered with an error; why then says what happened.  In backoff
 *          it fails at once.
 */
redisReply *sslplugi_redis_command(sslplugi_redis *r, int argc, const char **argv,
                                   const size_t *lens, char *why, size_t whylen);

/**
 * For checks (services->checking): connect, AUTH and PING, writing
 * nothing.  @returns 1, or 0 with why set.
 */
int sslplugi_redis_probe(sslplugi_redis *r, char *why, size_t whylen);

#endif /* SSLPLUG_FLEET_REDIS_H */
