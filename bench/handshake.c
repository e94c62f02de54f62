/*
 * 1. Handshake throughput: full TLS 1.3 handshakes between fresh
 * connections of one server and one client context, over a BIO pair, for
 * the three variants taking turns (see run_rounds).  Each round runs the
 * same number of handshakes per variant and gives its own b/a; the median
 * over rounds is reported.  Rates are per CPU second of this thread; per
 * wall second is printed too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/objects.h>

#include "bench.h"
#include "pair.h"

#define SERVERNAME "localhost"

#define CHECK 1    /* fail unless it was what the benchmark means to measure */
#define DESCRIBE 2 /* print what was negotiated */

static void
describe(SSL *client)
{
    int group = (int)SSL_get_negotiated_group(client);
    const char *name = group > 0 ? OBJ_nid2sn(group) : NULL;

    bench_out("hs_protocol", "%s", SSL_get_version(client));
    bench_out("hs_cipher", "%s", SSL_get_cipher_name(client));
    bench_out("hs_group", "%s", name != NULL ? name : "unknown");
}

/* One handshake on fresh connections; how: CHECK, DESCRIBE or 0. */
static int
one_handshake(const bench_ctxs *c, int how)
{
    sslplug_pair pair;
    int ok;

    if (!sslplug_pair_init(&pair, c->server, c->client, SERVERNAME)) {
        bench_fail("cannot make a connection pair");
        return 0;
    }
    ok = sslplug_pair_handshake(&pair);
    if (!ok) {
        bench_fail("handshake failed: client: %s; server: %s", pair.client_error,
                   pair.server_error);
    } else if ((how & CHECK) &&
               (SSL_version(pair.client) != TLS1_3_VERSION || SSL_session_reused(pair.client) ||
                SSL_get0_peer_certificate(pair.server) == NULL)) {
        bench_fail("not a full TLS 1.3 handshake with a client certificate");
        ok = 0;
    } else if (how & DESCRIBE) {
        describe(pair.client);
    }
    sslplug_pair_cleanup(&pair);
    return ok;
}

BENCH_NOINLINE int
bench_handshake_loop(const bench_ctxs *c, long n)
{
    for (long i = 0; i < n; i++) {
        if (!one_handshake(c, 0)) {
            return 0;
        }
    }
    return 1;
}

/* ---- how often each callback runs per handshake, in a and in b ---- */

typedef struct census {
    unsigned long calls[SSLPLUG_CB_COUNT];
} census;

static void
census_trace(const sslplug_trace_event *ev, void *arg)
{
    census *c = arg;

    if (ev->type >= 0 && ev->type < SSLPLUG_CB_COUNT) {
        c->calls[ev->type]++;
    }
}

static void
print_census(const char *name, unsigned long info, unsigned long verify, unsigned long client_cert)
{
    bench_out(name, "info:%lu,verify:%lu,client_cert:%lu", info, verify, client_cert);
}

/*
 * Count in a with the shared counters and in b with sslplug's trace (on
 * contexts of their own: tracing is not what b is measured with).  Both
 * must agree, or a and b would not be doing the same work.
 */
static int
count_callbacks(void)
{
    const bench_cb_state *st = bench_direct_state();
    bench_ctxs a = {NULL, NULL}, b = {NULL, NULL};
    unsigned long info, verify, client_cert;
    census cen;
    int ok = 0;

    memset(&cen, 0, sizeof(cen));
    if (!bench_ctxs_new(BENCH_DIRECT, &a) || !bench_hosts_load_traced(census_trace, &cen) ||
        !bench_ctxs_new(BENCH_SSLPLUG, &b)) {
        goto done;
    }
    info = atomic_load(&st->info_calls);
    verify = atomic_load(&st->verify_calls);
    client_cert = atomic_load(&st->client_cert_calls);
    memset(&cen, 0, sizeof(cen));
    if (!one_handshake(&a, CHECK | DESCRIBE) || !one_handshake(&b, CHECK)) {
        goto done;
    }
    info = atomic_load(&st->info_calls) - info;
    verify = atomic_load(&st->verify_calls) - verify;
    client_cert = atomic_load(&st->client_cert_calls) - client_cert;
    print_census("callbacks_per_handshake_direct", info, verify, client_cert);
    print_census("callbacks_per_handshake_sslplug", cen.calls[SSLPLUG_CB_INFO],
                 cen.calls[SSLPLUG_CB_VERIFY], cen.calls[SSLPLUG_CB_CLIENT_CERT]);
    if (info != cen.calls[SSLPLUG_CB_INFO] || verify != cen.calls[SSLPLUG_CB_VERIFY] ||
        client_cert != cen.calls[SSLPLUG_CB_CLIENT_CERT] || client_cert != 1) {
        bench_fail("a and b do not run the same callbacks");
        goto done;
    }
    ok = 1;
done:
    bench_ctxs_free(&a);
    bench_ctxs_free(&b);
    /* The measured hosts carry no trace. */
    return bench_hosts_load() && ok;
}

/* ---- throughput ---- */

#define MAX_ROUNDS 128

typedef struct hs_results {
    /* handshakes per CPU second and per wall second, per round */
    double cpu[BENCH_VARIANTS][MAX_ROUNDS];
    double wall[BENCH_VARIANTS][MAX_ROUNDS];
    double ba[MAX_ROUNDS]; /* b/a per round, paired (see run_rounds) */
    double ca[MAX_ROUNDS]; /* c/a the same way */
    double ba_wall[MAX_ROUNDS];
} hs_results;

/*
 * The variants take turns handshake by handshake in a rotating order
 * (a b c, b c a, c a b, ...: no variant runs twice in a row, so none finds
 * its own data still in cache more often than another), each handshake
 * timed on its own.  Load from elsewhere comes and goes over milliseconds,
 * so the handshakes of one turn see nearly the same machine: a round's b/a
 * is the geometric mean over its turns of t_a / t_b, which cancels most of
 * that load, where a ratio of the round's totals would keep it.
 */
static int
run_rounds(const bench_opts *o, const bench_ctxs *ctxs, long per_round, hs_results *r)
{
    for (int round = 0; round < o->hs_rounds; round++) {
        double cpu[BENCH_VARIANTS] = {0.0}, wall[BENCH_VARIANTS] = {0.0};
        double log_ba = 0.0, log_ca = 0.0;

        for (long i = 0; i < per_round; i++) {
            double t[BENCH_VARIANTS];

            for (int j = 0; j < BENCH_VARIANTS; j++) {
                int v = (int)((i + j) % BENCH_VARIANTS);
                double w0 = bench_now(), c0 = bench_cpu_now();

                if (!one_handshake(&ctxs[v], 0)) {
                    return 0;
                }
                t[v] = bench_cpu_now() - c0;
                cpu[v] += t[v];
                wall[v] += bench_now() - w0;
            }
            log_ba += log(t[BENCH_DIRECT] / t[BENCH_SSLPLUG]);
            log_ca += log(t[BENCH_DIRECT] / t[BENCH_NONE]);
        }
        for (int v = 0; v < BENCH_VARIANTS; v++) {
            r->cpu[v][round] = (double)per_round / cpu[v];
            r->wall[v][round] = (double)per_round / wall[v];
        }
        r->ba[round] = exp(log_ba / (double)per_round);
        r->ca[round] = exp(log_ca / (double)per_round);
        r->ba_wall[round] = r->wall[BENCH_SSLPLUG][round] / r->wall[BENCH_DIRECT][round];
    }
    return 1;
}

static void
print_rates(hs_results *r, size_t n)
{
    char name[64];

    for (int v = 0; v < BENCH_VARIANTS; v++) {
        const char *vn = bench_variant_name((bench_variant)v);

        snprintf(name, sizeof(name), "hs_per_cpu_s_%s", vn);
        bench_out(name, "%.1f", bench_median(r->cpu[v], n));
        snprintf(name, sizeof(name), "hs_per_s_%s", vn);
        bench_out(name, "%.1f", bench_median(r->wall[v], n));
    }
    bench_out("hs_ratio_none_direct", "%.4f", bench_median(r->ca, n));
    bench_out("handshake_ratio_wall", "%.4f", bench_median(r->ba_wall, n));
    bench_out("handshake_ratio_min", "%.4f", bench_min(r->ba, n));
    bench_out("handshake_ratio_max", "%.4f", bench_max(r->ba, n));
}

int
bench_handshakes(const bench_opts *o, double *ratio)
{
    bench_ctxs ctxs[BENCH_VARIANTS];
    hs_results *r = NULL;
    size_t n = (size_t)o->hs_rounds;
    long warm = o->quick ? 10 : 50, per_round;
    double c0, rate;
    int ok = 0;

    memset(ctxs, 0, sizeof(ctxs));
    if (o->hs_rounds < 1 || o->hs_rounds > MAX_ROUNDS || (r = calloc(1, sizeof(*r))) == NULL ||
        !count_callbacks()) {
        goto done;
    }
    for (int v = 0; v < BENCH_VARIANTS; v++) {
        if (!bench_ctxs_new((bench_variant)v, &ctxs[v])) {
            goto done;
        }
    }
    c0 = bench_cpu_now();
    for (int v = 0; v < BENCH_VARIANTS; v++) {
        if (!bench_handshake_loop(&ctxs[v], warm)) {
            goto done;
        }
    }
    rate = (double)(warm * BENCH_VARIANTS) / (bench_cpu_now() - c0);
    per_round = (long)(rate * o->hs_round_s);
    per_round = per_round < 10 ? 10 : per_round;
    if (!run_rounds(o, ctxs, per_round, r)) {
        goto done;
    }
    bench_out("hs_rounds", "%d", o->hs_rounds);
    bench_out("hs_per_round_per_variant", "%ld", per_round);
    print_rates(r, n);
    *ratio = bench_median(r->ba, n);
    bench_out("handshake_ratio", "%.4f", *ratio);
    ok = 1;
done:
    for (int v = 0; v < BENCH_VARIANTS; v++) {
        bench_ctxs_free(&ctxs[v]);
    }
    free(r);
    return ok;
}

int
bench_callgrind_mode(bench_variant v, int contexts, long n)
{
    bench_ctxs c[BENCH_VARIANTS];
    int ok = 1;

    /*
     * Every variant's contexts are made and used once whichever is counted,
     * so each run reaches the counted loop with the same heap history and
     * warm caches; otherwise malloc's free lists differ between runs and
     * their search costs swamp what is measured.
     */
    memset(c, 0, sizeof(c));
    for (int i = 0; i < BENCH_VARIANTS && ok; i++) {
        ok = bench_ctxs_new((bench_variant)i, &c[i]) && one_handshake(&c[i], CHECK);
    }
    if (ok) {
        ok = contexts ? bench_ctx_loop(v, n) : bench_handshake_loop(&c[v], n);
    }
    for (int i = 0; i < BENCH_VARIANTS; i++) {
        bench_ctxs_free(&c[i]);
    }
    return ok;
}
