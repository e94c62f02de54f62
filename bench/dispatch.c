/*
 * 3. Dispatch cost: the callback pointers OpenSSL would call, taken from a
 * direct context and from an sslplug context with SSL_CTX_get_*_callback,
 * called in a tight loop with a real SSL (and, for verify, a real
 * X509_STORE_CTX carrying that SSL, as OpenSSL sets it up).  The difference
 * is what the trampoline adds per call: finding the binding through the
 * context's ex_data and policing the result.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/x509_vfy.h>

#include "bench.h"

/* Turns per round. */
#define CHUNKS 20

typedef enum kind { KIND_INFO = 0, KIND_VERIFY, KIND_CLIENT_CERT, KINDS } kind;

static const char *const kind_names[KINDS] = {"info", "verify", "client_cert"};

/* What OpenSSL would hold for one variant. */
typedef struct target {
    bench_ctxs ctxs;
    SSL *ssl; /* a client connection */
    X509_STORE_CTX *store;
    void (*info)(const SSL *, int, int);
    int (*verify)(int, X509_STORE_CTX *);
    int (*client_cert)(SSL *, X509 **, EVP_PKEY **);
} target;

static void
target_free(target *t)
{
    X509_STORE_CTX_free(t->store);
    SSL_free(t->ssl);
    bench_ctxs_free(&t->ctxs);
    memset(t, 0, sizeof(*t));
}

static int
target_new(target *t, bench_variant v)
{
    memset(t, 0, sizeof(*t));
    if (!bench_ctxs_new(v, &t->ctxs) || (t->ssl = SSL_new(t->ctxs.client)) == NULL ||
        (t->store = X509_STORE_CTX_new()) == NULL ||
        !X509_STORE_CTX_init(t->store, SSL_CTX_get_cert_store(t->ctxs.client),
                             bench_direct_state()->cert, NULL) ||
        !X509_STORE_CTX_set_ex_data(t->store, SSL_get_ex_data_X509_STORE_CTX_idx(), t->ssl)) {
        bench_fail("cannot set up the %s dispatch target", bench_variant_name(v));
        target_free(t);
        return 0;
    }
    t->info = SSL_CTX_get_info_callback(t->ctxs.client);
    t->verify = SSL_CTX_get_verify_callback(t->ctxs.client);
    t->client_cert = SSL_CTX_get_client_cert_cb(t->ctxs.client);
    if (t->info == NULL || t->verify == NULL || t->client_cert == NULL) {
        bench_fail("the %s client context lacks a callback", bench_variant_name(v));
        target_free(t);
        return 0;
    }
    return 1;
}

/* CPU seconds for n calls; -1 when a callback answered wrongly. */
static BENCH_NOINLINE double
time_calls(const target *t, kind k, long n)
{
    double t0 = bench_cpu_now();
    X509 *cert;
    EVP_PKEY *pkey;

    for (long i = 0; i < n; i++) {
        switch (k) {
        case KIND_INFO:
            t->info(t->ssl, SSL_CB_CONNECT_LOOP, 1);
            break;
        case KIND_VERIFY:
            if (t->verify(1, t->store) != 1) {
                return -1.0;
            }
            break;
        case KIND_CLIENT_CERT:
            cert = NULL;
            pkey = NULL;
            if (t->client_cert(t->ssl, &cert, &pkey) != 1) {
                return -1.0;
            }
            X509_free(cert);
            EVP_PKEY_free(pkey);
            break;
        case KINDS:
        default:
            return -1.0;
        }
    }
    return bench_cpu_now() - t0;
}

static int
measure_kind(const bench_opts *o, const target *targets, kind k)
{
    double ns[2][32], diff[32], probe;
    size_t rounds = (size_t)o->dispatch_rounds;
    long chunk, n;
    char name[64];

    /* Size the rounds from a probe of the slower, sslplug side. */
    if ((probe = time_calls(&targets[BENCH_SSLPLUG], k, 1000)) <= 0.0) {
        bench_fail("%s callback failed", kind_names[k]);
        return 0;
    }
    chunk = (long)(o->dispatch_round_s / CHUNKS / (probe / 1000.0));
    chunk = chunk < 100 ? 100 : chunk;
    n = chunk * CHUNKS;
    for (size_t r = 0; r < rounds; r++) {
        double sum[2] = {0.0, 0.0};

        /* Direct and sslplug take turns chunk by chunk, so load from elsewhere hits both. */
        for (int c = 0; c < CHUNKS; c++) {
            for (int i = 0; i < 2; i++) {
                int v = c % 2 == 0 ? i : 1 - i;
                double t = time_calls(&targets[v], k, chunk);

                if (t < 0.0) {
                    bench_fail("%s callback failed", kind_names[k]);
                    return 0;
                }
                sum[v] += t;
            }
        }
        for (int v = 0; v < 2; v++) {
            ns[v][r] = sum[v] * 1e9 / (double)n;
        }
        diff[r] = ns[BENCH_SSLPLUG][r] - ns[BENCH_DIRECT][r];
    }
    snprintf(name, sizeof(name), "dispatch_%s_calls_per_round", kind_names[k]);
    bench_out(name, "%ld", n);
    snprintf(name, sizeof(name), "dispatch_%s_direct_ns", kind_names[k]);
    bench_out(name, "%.2f", bench_median(ns[BENCH_DIRECT], rounds));
    snprintf(name, sizeof(name), "dispatch_%s_sslplug_ns", kind_names[k]);
    bench_out(name, "%.2f", bench_median(ns[BENCH_SSLPLUG], rounds));
    snprintf(name, sizeof(name), "dispatch_%s_overhead_ns", kind_names[k]);
    bench_out(name, "%.2f", bench_median(diff, rounds));
    return 1;
}

int
bench_dispatch(const bench_opts *o)
{
    target targets[2];
    int ok = 0;

    memset(targets, 0, sizeof(targets));
    if (o->dispatch_rounds < 1 || o->dispatch_rounds > 32 ||
        !target_new(&targets[BENCH_DIRECT], BENCH_DIRECT) ||
        !target_new(&targets[BENCH_SSLPLUG], BENCH_SSLPLUG)) {
        goto done;
    }
    bench_out("dispatch_rounds", "%d", o->dispatch_rounds);
    for (int k = 0; k < KINDS; k++) {
        if (!measure_kind(o, targets, (kind)k)) {
            goto done;
        }
    }
    ok = 1;
done:
    target_free(&targets[BENCH_DIRECT]);
    target_free(&targets[BENCH_SSLPLUG]);
    return ok;
}
