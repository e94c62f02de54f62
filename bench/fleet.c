/*
 * sslplug_bench_fleet: what resuming through session_redis costs, in one
 * run: TLS 1.3 handshakes over a BIO pair (sslplug_pair) on one server
 * configuration, four ways, taking turns in small steps so that load from
 * elsewhere lands on all of them alike:
 *   full      no session offered: a full handshake;
 *   internal  resumed from OpenSSL's internal cache (stateful tickets,
 *             SSL_OP_NO_TICKET, as a session_store sets);
 *   unix      resumed through session_redis, "internal_cache": false,
 *             Redis on a unix socket;
 *   tcp       the same, Redis on 127.0.0.1.
 * Each resumption offers the session the previous one left (the chain a
 * returning client follows).  Wall time per handshake (Redis works in
 * another process, so CPU time of this thread would hide it): handshakes
 * per second and p50/p99 per variant, and the latency a resumption through
 * Redis adds to one from the internal cache.  It starts its own
 * redis-server (unix socket and a free port, in a scratch directory) and
 * stops it.  Figures as name=value lines; nothing is asserted.
 */
#define _GNU_SOURCE /* mkdtemp, asprintf */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "pair.h"
#include "sslplug/sslplug.h"

enum { FULL, INTERNAL, UNIX_SOCKET, TCP, VARIANTS };
static const char *const names[VARIANTS] = {"full", "internal", "redis_unix", "redis_tcp"};

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);

    qsort(v, n, sizeof(*v), cmp);
    return v[i];
}

static int
free_port(void)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sin, &len) == 0) {
        port = ntohs(sin.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static int
write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "wb")) == NULL) {
        return 0;
    }
    ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    return ok && chmod(path, 0600) == 0;
}

/* redis-server on dir/redis.sock and 127.0.0.1:port; its pid, ready, or -1. */
static pid_t
start_redis(const char *dir, int port)
{
    char conf[4096], sock[4096], text[8192], cmd[8300];
    pid_t pid;

    snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
    snprintf(text, sizeof(text),
             "port %d\nbind 127.0.0.1\nunixsocket %s\nunixsocketperm 700\nsave \"\"\n"
             "appendonly no\ndir %s\nloglevel warning\n",
             port, sock, dir);
    snprintf(conf, sizeof(conf), "%s/redis.conf", dir);
    if (!write_file(dir, "redis.conf", text, strlen(text))) {
        return -1;
    }
    if ((pid = fork()) == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL ||
            freopen("/dev/null", "w", stderr) == NULL) {
            _exit(127);
        }
        execlp("redis-server", "redis-server", conf, (char *)NULL);
        _exit(127);
    }
    /* Ready once it answers; bounded. */
    snprintf(cmd, sizeof(cmd), "redis-cli -s %s ping > /dev/null 2>&1", sock);
    for (int i = 0; pid > 0 && i < 100; i++) {
        if (system(cmd) == 0) {
            return pid;
        }
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    return -1;
}

static SSL_CTX *
server_ctx(const char *dir, const char *store)
{
    char *json = NULL;
    sslplug_error err;
    sslplug_host *host;
    SSL_CTX *ctx = NULL;

    if (asprintf(&json,
                 "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
                 " \"%s/server.crt\", \"private_key\": \"%s/server-plain.key\", \"min_protocol\":"
                 " \"TLSv1.3\"}%s%s%s}",
                 BENCH_PKI_DIR, BENCH_PKI_DIR, store != NULL ? ", \"callbacks\": {" : "",
                 store != NULL ? store : "", store != NULL ? "}" : "") < 0) {
        return NULL;
    }
    if ((host = sslplug_host_load_string(json, dir, &err)) == NULL ||
        (ctx = sslplug_ctx_new(host, &err)) == NULL) {
        fprintf(stderr, "bench_fleet: %s: %s\n", err.pointer, err.message);
    }
    sslplug_host_free(host);
    free(json);
    return ctx;
}

/* One handshake resuming *sess (NULL: none); *sess gets the next; its wall time, or -1. */
static double
one(SSL_CTX *server, SSL_CTX *client, SSL_SESSION **sess, int *resumed)
{
    sslplug_pair pair;
    double t0 = now_s(), t;
    char byte;
    int ok;

    if (!sslplug_pair_init(&pair, server, client, "localhost")) {
        return -1;
    }
    if (*sess != NULL) {
        SSL_set_session(pair.client, *sess);
    }
    ok = sslplug_pair_handshake(&pair) && SSL_write(pair.server, "x", 1) == 1 &&
         SSL_read(pair.client, &byte, 1) == 1;
    t = now_s() - t0;
    *resumed = ok && SSL_session_reused(pair.client);
    if (ok && *sess != NULL) {
        SSL_SESSION_free(*sess);
        *sess = SSL_get1_session(pair.client);
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return ok ? t : -1;
}

int
main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    int rounds = quick ? 3 : 30, per_round = quick ? 20 : 100, port = free_port(), rc = 1;
    char tmpl[] = "/tmp/sslplug-bench-fleet-XXXXXX", *dir = mkdtemp(tmpl), store[4][1024];
    unsigned char key[32];
    SSL_CTX *servers[VARIANTS] = {NULL}, *client = NULL;
    SSL_SESSION *sess[VARIANTS] = {NULL};
    double *lat[VARIANTS] = {NULL}, total[VARIANTS] = {0};
    size_t n[VARIANTS] = {0}, missed[VARIANTS] = {0};
    pid_t redis = -1;

    if (dir == NULL || port < 0 || RAND_bytes(key, sizeof(key)) != 1 ||
        !write_file(dir, "sessions.key", key, sizeof(key)) ||
        (redis = start_redis(dir, port)) < 0) {
        fprintf(stderr, "bench_fleet: cannot start redis-server (installed?)\n");
        goto done;
    }
    snprintf(store[UNIX_SOCKET], sizeof(store[0]),
             "\"session_store\": {\"plugin\": \"session_redis\", \"internal_cache\": false,"
             " \"config\": {\"redis\": \"%s/redis.sock\", \"key_file\": \"sessions.key\","
             " \"stats_interval_s\": 0}}",
             dir);
    snprintf(store[TCP], sizeof(store[0]),
             "\"session_store\": {\"plugin\": \"session_redis\", \"internal_cache\": false,"
             " \"config\": {\"redis\": \"127.0.0.1:%d\", \"key_file\": \"sessions.key\","
             " \"stats_interval_s\": 0, \"prefix\": \"tcp:\"}}",
             port);
    servers[FULL] = server_ctx(dir, NULL);
    servers[INTERNAL] = server_ctx(dir, NULL);
    servers[UNIX_SOCKET] = server_ctx(dir, store[UNIX_SOCKET]);
    servers[TCP] = server_ctx(dir, store[TCP]);
    client = SSL_CTX_new(TLS_client_method());
    if (servers[FULL] == NULL || servers[INTERNAL] == NULL || servers[UNIX_SOCKET] == NULL ||
        servers[TCP] == NULL || client == NULL ||
        SSL_CTX_load_verify_locations(client, BENCH_PKI_DIR "/ca.crt", NULL) != 1) {
        goto done;
    }
    /* Stateful TLS 1.3 sessions in OpenSSL's cache, as the store variants have them in Redis. */
    SSL_CTX_set_options(servers[INTERNAL], SSL_OP_NO_TICKET);
    SSL_CTX_set_verify(client, SSL_VERIFY_PEER, NULL);
    for (int v = 0; v < VARIANTS; v++) {
        int resumed;

        if ((lat[v] = calloc((size_t)(rounds * per_round), sizeof(double))) == NULL) {
            goto done;
        }
        /* The first session of the chain, and a warm-up. */
        if (v != FULL) {
            sslplug_pair pair;
            char byte;

            if (!sslplug_pair_init(&pair, servers[v], client, "localhost") ||
                !sslplug_pair_handshake(&pair) || SSL_write(pair.server, "x", 1) != 1 ||
                SSL_read(pair.client, &byte, 1) != 1) {
                goto done;
            }
            sess[v] = SSL_get1_session(pair.client);
            SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
            SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
            sslplug_pair_cleanup(&pair);
        }
        for (int i = 0; i < 10; i++) {
            if (one(servers[v], client, &sess[v], &resumed) < 0) {
                goto done;
            }
        }
    }
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < VARIANTS; k++) {
            int v = (r + k) % VARIANTS;

            for (int i = 0; i < per_round; i++) {
                int resumed = 0;
                double t = one(servers[v], client, &sess[v], &resumed);

                if (t < 0) {
                    goto done;
                }
                missed[v] += v != FULL && !resumed;
                lat[v][n[v]++] = t;
                total[v] += t;
            }
        }
    }
    printf("fleet_handshakes_per_variant=%zu\n", n[FULL]);
    for (int v = 0; v < VARIANTS; v++) {
        printf("fleet_hs_per_s_%s=%.1f\n", names[v], (double)n[v] / total[v]);
        printf("fleet_not_resumed_%s=%zu\n", names[v], v == FULL ? n[v] : missed[v]);
    }
    printf("fleet_ratio_internal_full=%.3f\n", total[FULL] / total[INTERNAL]);
    printf("fleet_ratio_redis_unix_internal=%.3f\n", total[INTERNAL] / total[UNIX_SOCKET]);
    printf("fleet_ratio_redis_tcp_internal=%.3f\n", total[INTERNAL] / total[TCP]);
    printf("fleet_ratio_redis_unix_full=%.3f\n", total[FULL] / total[UNIX_SOCKET]);
    printf("fleet_ratio_redis_tcp_full=%.3f\n", total[FULL] / total[TCP]);
    {
        double p50[VARIANTS], p99[VARIANTS];

        for (int v = 0; v < VARIANTS; v++) {
            p50[v] = pct(lat[v], n[v], 0.50) * 1e6;
            p99[v] = pct(lat[v], n[v], 0.99) * 1e6;
            printf("fleet_latency_us_%s p50=%.1f p99=%.1f\n", names[v], p50[v], p99[v]);
        }
        printf("fleet_added_us_redis_unix p50=%.1f p99=%.1f\n", p50[UNIX_SOCKET] - p50[INTERNAL],
               p99[UNIX_SOCKET] - p99[INTERNAL]);
        printf("fleet_added_us_redis_tcp p50=%.1f p99=%.1f\n", p50[TCP] - p50[INTERNAL],
               p99[TCP] - p99[INTERNAL]);
    }
    fflush(stdout);
    rc = 0;
done:
    for (int v = 0; v < VARIANTS; v++) {
        SSL_SESSION_free(sess[v]);
        SSL_CTX_free(servers[v]);
        free(lat[v]);
    }
    SSL_CTX_free(client);
    if (redis > 0) {
        kill(redis, SIGTERM);
        waitpid(redis, NULL, 0);
    }
    if (dir != NULL) {
        char cmd[4200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_fleet: cannot remove %s\n", dir);
        }
    }
    return rc;
}
