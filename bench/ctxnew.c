/*
 * 4. Context creation: a server context (encrypted key, password, verify
 * and info callbacks) and a client context (verify, info and client_cert
 * callbacks) together, i.e. the four plugins and the encrypted key.
 *
 * Warm: in this process, after a few creations, sslplug_ctx_new on hosts
 * whose plugins are loaded, against the same contexts set up by hand.  The
 * two take turns pair by pair; the median over rounds of each round's ratio
 * is reported.
 *
 * Cold: the first creation in a fresh process (this program run again with
 * --child=cold-*), after OpenSSL itself has been warmed by one context pair
 * without callbacks, so that what is measured is the first load: for
 * sslplug, dlopen of the four plugins, their init and the contexts; by
 * hand, loading the same callback state and building the contexts.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ROUNDS 64
#define MAX_CHILDREN 64

typedef struct ctx_times {
    double server[2][MAX_ROUNDS]; /* microseconds per context, per round */
    double client[2][MAX_ROUNDS];
    double pair[2][MAX_ROUNDS];
    double ratio[MAX_ROUNDS];
} ctx_times;

/* Make and free one pair of variant v; its creation times in *server and *client. */
static int
create_pair(bench_variant v, double *server, double *client)
{
    double t0 = bench_cpu_now(), t1, t2;
    bench_ctxs c;
    int made;

    c.server = bench_server_new(v);
    t1 = bench_cpu_now();
    c.client = c.server != NULL ? bench_client_new(v) : NULL;
    t2 = bench_cpu_now();
    made = c.client != NULL;
    bench_ctxs_free(&c);
    *server = t1 - t0;
    *client = t2 - t1;
    return made;
}

/*
 * One round: k pairs of each variant, taking turns (a b, b a, ...).  The
 * round's ratio is the geometric mean over turns of sslplug/direct, so load
 * from elsewhere, which changes more slowly than a turn, mostly cancels.
 */
static int
round_of_pairs(int k, ctx_times *t, size_t r)
{
    double server[2] = {0.0, 0.0}, client[2] = {0.0, 0.0}, log_ratio = 0.0;

    for (int i = 0; i < k; i++) {
        double pair[2];

        for (int j = 0; j < 2; j++) {
            int v = i % 2 == 0 ? j : 1 - j;
            double s, c;

            if (!create_pair((bench_variant)v, &s, &c)) {
                return 0;
            }
            server[v] += s;
            client[v] += c;
            pair[v] = s + c;
        }
        log_ratio += log(pair[BENCH_SSLPLUG] / pair[BENCH_DIRECT]);
    }
    for (int v = 0; v < 2; v++) {
        t->server[v][r] = server[v] * 1e6 / k;
        t->client[v][r] = client[v] * 1e6 / k;
        t->pair[v][r] = t->server[v][r] + t->client[v][r];
    }
    t->ratio[r] = exp(log_ratio / k);
    return 1;
}

static void
print_times(ctx_times *t, size_t n)
{
    char name[64];

    for (int v = 0; v < 2; v++) {
        const char *vn = bench_variant_name((bench_variant)v);

        snprintf(name, sizeof(name), "ctx_warm_%s_us", vn);
        bench_out(name, "%.1f", bench_median(t->pair[v], n));
        snprintf(name, sizeof(name), "ctx_warm_server_%s_us", vn);
        bench_out(name, "%.1f", bench_median(t->server[v], n));
        snprintf(name, sizeof(name), "ctx_warm_client_%s_us", vn);
        bench_out(name, "%.1f", bench_median(t->client[v], n));
    }
    bench_out("ctx_ratio_min", "%.4f", bench_min(t->ratio, n));
    bench_out("ctx_ratio_max", "%.4f", bench_max(t->ratio, n));
}

static int
warm(const bench_opts *o, double *ratio)
{
    ctx_times *t = calloc(1, sizeof(*t));
    size_t n = (size_t)o->ctx_rounds;
    int ok = 0;

    if (t == NULL || o->ctx_rounds < 1 || o->ctx_rounds > MAX_ROUNDS) {
        goto done;
    }
    /* Warm-up: plugins loaded, OpenSSL's caches filled. */
    if (!round_of_pairs(3, t, 0)) {
        goto done;
    }
    for (size_t r = 0; r < n; r++) {
        if (!round_of_pairs(o->ctx_per_round, t, r)) {
            goto done;
        }
    }
    bench_out("ctx_rounds", "%d", o->ctx_rounds);
    bench_out("ctx_per_round", "%d", o->ctx_per_round);
    print_times(t, n);
    *ratio = bench_median(t->ratio, n);
    bench_out("ctx_ratio", "%.4f", *ratio);
    ok = 1;
done:
    free(t);
    return ok;
}

/* ---- cold ---- */

/* Run this program with --child=<mode>; the value of "us=" it prints, or -1. */
static double
run_child(const char *self, const char *mode, double *host_load_us)
{
    char arg[64], out[512];
    size_t len = 0;
    ssize_t got;
    int fds[2], status;
    double us = -1.0;
    const char *p;
    pid_t pid;

    snprintf(arg, sizeof(arg), "--child=%s", mode);
    if (pipe(fds) != 0 || (pid = fork()) < 0) {
        bench_fail("cannot start a child: %s", strerror(errno));
        return -1.0;
    }
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0) {
            _exit(127);
        }
        execl(self, self, arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (len < sizeof(out) - 1 && ((got = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0 ||
                                     (got < 0 && errno == EINTR))) {
        len += got > 0 ? (size_t)got : 0;
    }
    out[len] = '\0';
    close(fds[0]);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bench_fail("child %s failed", mode);
        return -1.0;
    }
    if ((p = strstr(out, "us=")) != NULL && (p == out || p[-1] == '\n')) {
        us = strtod(p + 3, NULL);
    }
    if (host_load_us != NULL && (p = strstr(out, "host_load_us=")) != NULL) {
        *host_load_us = strtod(p + 13, NULL);
    }
    return us;
}

static int
cold(const bench_opts *o)
{
    static const char *const modes[2] = {"cold-direct", "cold-sslplug"};
    double us[2][MAX_CHILDREN], load[MAX_CHILDREN];
    size_t n = (size_t)o->cold_children;

    if (o->cold_children < 1 || o->cold_children > MAX_CHILDREN) {
        return 0;
    }
    for (size_t r = 0; r < n; r++) {
        for (int i = 0; i < 2; i++) {
            int v = r % 2 == 0 ? i : 1 - i;

            us[v][r] = run_child(o->self, modes[v], v == BENCH_SSLPLUG ? &load[r] : NULL);
            if (us[v][r] < 0.0) {
                return 0;
            }
        }
    }
    bench_out("ctx_cold_children", "%d", o->cold_children);
    bench_out("ctx_cold_direct_us", "%.1f", bench_median(us[BENCH_DIRECT], n));
    bench_out("ctx_cold_sslplug_us", "%.1f", bench_median(us[BENCH_SSLPLUG], n));
    bench_out("host_load_us", "%.1f", bench_median(load, n));
    return 1;
}

BENCH_NOINLINE int
bench_ctx_loop(bench_variant v, long n)
{
    for (long i = 0; i < n; i++) {
        bench_ctxs c;

        if (!bench_ctxs_new(v, &c)) {
            return 0;
        }
        bench_ctxs_free(&c);
    }
    return 1;
}

int
bench_ctx_creation(const bench_opts *o, double *ratio)
{
    return warm(o, ratio) && cold(o);
}

int
bench_cold_child(const char *mode)
{
    int sslplug = strcmp(mode, "cold-sslplug") == 0;
    bench_ctxs c = {NULL, NULL};
    double t0, t1, t2;

    if (!sslplug && strcmp(mode, "cold-direct") != 0) {
        bench_fail("unknown child mode %s", mode);
        return 0;
    }
    /* Warm OpenSSL (providers, decoders, the PKI files) without any callback state. */
    if (!bench_direct_state_load() || !bench_ctxs_new(BENCH_NONE, &c)) {
        return 0;
    }
    bench_ctxs_free(&c);
    bench_direct_state_free();
    t0 = bench_cpu_now();
    if (sslplug && !bench_hosts_load()) {
        return 0;
    }
    t1 = bench_cpu_now();
    if ((!sslplug && !bench_direct_state_load()) ||
        !bench_ctxs_new(sslplug ? BENCH_SSLPLUG : BENCH_DIRECT, &c)) {
        return 0;
    }
    t2 = bench_cpu_now();
    bench_ctxs_free(&c);
    bench_out("us", "%.1f", (t2 - t1) * 1e6);
    if (sslplug) {
        bench_out("host_load_us", "%.1f", (t1 - t0) * 1e6);
    }
    bench_hosts_free();
    bench_direct_state_free();
    return 1;
}
