/*
 * 5. Memory.  Heap per context: mallinfo2's bytes in use before and after
 * making heap_contexts contexts that are kept alive, divided by their
 * number.  Growth: resident size (/proc/self/statm) and heap in use after a
 * warm-up, and again after mem_cycles create/free cycles of a server and a
 * client context.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

/* Heap growth a process may show without leaking: allocator bookkeeping. */
#define HEAP_SLACK_BYTES 4096L
/* Resident growth tolerated: page-granular allocator noise. */
#define RSS_SLACK_KIB 256L

typedef SSL_CTX *(*ctx_new_fn)(bench_variant v);

/* Mean heap bytes per context of one side; -1 on failure. */
static long
heap_per_context(bench_variant v, ctx_new_fn make, int count)
{
    SSL_CTX **ctxs = calloc((size_t)count, sizeof(*ctxs));
    long before, after = -1;

    if (ctxs == NULL) {
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        SSL_CTX_free(make(v));
    }
    before = bench_heap_bytes();
    for (int i = 0; i < count; i++) {
        if ((ctxs[i] = make(v)) == NULL) {
            goto done;
        }
    }
    after = bench_heap_bytes();
done:
    for (int i = 0; i < count; i++) {
        SSL_CTX_free(ctxs[i]);
    }
    free(ctxs);
    return after < 0 ? -1 : (after - before) / count;
}

static int
heap(const bench_opts *o)
{
    long bytes[2][2]; /* [variant][server, client] */
    char name[64];

    for (int v = 0; v < 2; v++) {
        const char *vn = bench_variant_name((bench_variant)v);

        bytes[v][0] = heap_per_context((bench_variant)v, bench_server_new, o->heap_contexts);
        bytes[v][1] = heap_per_context((bench_variant)v, bench_client_new, o->heap_contexts);
        if (bytes[v][0] < 0 || bytes[v][1] < 0) {
            return 0;
        }
        snprintf(name, sizeof(name), "heap_server_ctx_%s_bytes", vn);
        bench_out(name, "%ld", bytes[v][0]);
        snprintf(name, sizeof(name), "heap_client_ctx_%s_bytes", vn);
        bench_out(name, "%ld", bytes[v][1]);
    }
    bench_out("heap_ctx_sslplug_minus_direct_bytes", "%ld",
              bytes[BENCH_SSLPLUG][0] + bytes[BENCH_SSLPLUG][1] - bytes[BENCH_DIRECT][0] -
                  bytes[BENCH_DIRECT][1]);
    return 1;
}

static int
cycles(bench_variant v, int n)
{
    for (int i = 0; i < n; i++) {
        bench_ctxs c;

        if (!bench_ctxs_new(v, &c)) {
            return 0;
        }
        bench_ctxs_free(&c);
    }
    return 1;
}

/* 1 when it held steady, 0 when it grew, -1 on failure. */
static int
growth(const bench_opts *o, bench_variant v, int n)
{
    const char *vn = bench_variant_name(v);
    long rss0, heap0, rss1, heap1;
    char name[64];

    if (!cycles(v, o->mem_warmup)) {
        return -1;
    }
    rss0 = bench_rss_kib();
    heap0 = bench_heap_bytes();
    if (!cycles(v, n)) {
        return -1;
    }
    rss1 = bench_rss_kib();
    heap1 = bench_heap_bytes();
    snprintf(name, sizeof(name), "mem_%s_cycles", vn);
    bench_out(name, "%d", n);
    snprintf(name, sizeof(name), "mem_%s_rss_before_kib", vn);
    bench_out(name, "%ld", rss0);
    snprintf(name, sizeof(name), "mem_%s_rss_after_kib", vn);
    bench_out(name, "%ld", rss1);
    snprintf(name, sizeof(name), "mem_%s_rss_growth_kib", vn);
    bench_out(name, "%ld", rss1 - rss0);
    snprintf(name, sizeof(name), "mem_%s_heap_growth_bytes", vn);
    bench_out(name, "%ld", heap1 - heap0);
    return heap1 - heap0 <= HEAP_SLACK_BYTES && rss1 - rss0 <= RSS_SLACK_KIB;
}

int
bench_memory(const bench_opts *o, int *grew)
{
    int steady;

    if (o->heap_contexts < 1 || !heap(o)) {
        return 0;
    }
    /* sslplug first: it is the one judged, on a heap the direct cycles have not shaped. */
    if ((steady = growth(o, BENCH_SSLPLUG, o->mem_cycles)) < 0 ||
        growth(o, BENCH_DIRECT, o->mem_direct_cycles) < 0) {
        return 0;
    }
    *grew = !steady;
    return 1;
}
