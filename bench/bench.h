/*
 * sslplug_bench internals: the contexts of each variant, the measuring
 * helpers and one function per measurement.  Every figure is printed on
 * stdout as a name=value line as soon as it is known.
 */
#ifndef SSLPLUG_BENCH_H
#define SSLPLUG_BENCH_H

#include <stddef.h>

#include <openssl/ssl.h>

#include <sslplug/sslplug.h>

#include "callbacks.h"

#if defined(__GNUC__)
#define BENCH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BENCH_NOINLINE __attribute__((noinline))
#else
#define BENCH_PRINTF(f, a)
#define BENCH_NOINLINE
#endif

/* How the four callbacks reach OpenSSL. */
typedef enum bench_variant {
    BENCH_DIRECT = 0, /* a: static functions bound with OpenSSL's setters */
    BENCH_SSLPLUG,    /* b: the same bodies as plugins, through sslplug_ctx_new */
    BENCH_NONE,       /* c: no callbacks; the client certificate set on the context */
    BENCH_VARIANTS
} bench_variant;

/* "direct", "sslplug", "none". */
const char *bench_variant_name(bench_variant v);

/* A server and a client context of one variant: what a handshake needs. */
typedef struct bench_ctxs {
    SSL_CTX *server;
    SSL_CTX *client;
} bench_ctxs;

typedef struct bench_opts {
    int quick;
    int run_callgrind;
    const char *self; /* this executable, for child processes and callgrind.sh */
    /* handshake throughput */
    int hs_rounds;
    double hs_round_s;
    /* dispatch */
    int dispatch_rounds;
    double dispatch_round_s;
    /* context creation */
    int ctx_rounds;
    int ctx_per_round;
    int cold_children;
    /* memory */
    int heap_contexts;
    int mem_warmup;
    int mem_cycles;        /* sslplug: the figure judged */
    int mem_direct_cycles; /* by hand: for comparison, fewer to save time */
    /* instruction counts */
    long callgrind_handshakes;
    long callgrind_contexts;
} bench_opts;

/* ---- contexts.c ---- */

/* Load what the directly bound callbacks hand out; once per process. */
int bench_direct_state_load(void);
void bench_direct_state_free(void);
const bench_cb_state *bench_direct_state(void);

/* Parse the benchmark's server and client configurations (no plugin loaded yet). */
int bench_hosts_load(void);
/* As bench_hosts_load, with a trace sink on both hosts. */
int bench_hosts_load_traced(sslplug_trace_fn fn, void *arg);
void bench_hosts_free(void);

/* One context of variant v; NULL after printing why. */
SSL_CTX *bench_server_new(bench_variant v);
SSL_CTX *bench_client_new(bench_variant v);
/* Both; 1 or 0.  bench_ctxs_free(NULL members) is fine. */
int bench_ctxs_new(bench_variant v, bench_ctxs *out);
void bench_ctxs_free(bench_ctxs *c);

/* ---- util.c ---- */

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);
/*
 * CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): what every
 * ratio is taken from, because on a shared machine wall time also counts
 * the time other processes held the CPU.
 */
double bench_cpu_now(void);
/* Median of v[0..n), which is sorted in place. */
double bench_median(double *v, size_t n);
double bench_min(const double *v, size_t n);
double bench_max(const double *v, size_t n);
/* Resident set size of this process in KiB, from /proc/self/statm. */
long bench_rss_kib(void);
/* Heap bytes in use (mallinfo2: arena chunks plus mmapped chunks). */
long bench_heap_bytes(void);
/* Print one name=value line and flush, so progress shows. */
void bench_out(const char *name, const char *fmt, ...) BENCH_PRINTF(2, 3);
void bench_fail(const char *fmt, ...) BENCH_PRINTF(1, 2);

/* ---- handshake.c ---- */

/*
 * n full handshakes between fresh connections of c: the unit callgrind.sh
 * counts (--toggle-collect=bench_handshake_loop).  Returns 1, or 0 when one
 * failed (after printing why).
 */
int bench_handshake_loop(const bench_ctxs *c, long n);
/* 1: throughput; *ratio receives b/a. */
int bench_handshakes(const bench_opts *o, double *ratio);
/*
 * callgrind.sh's target: after warming up, n handshakes of variant v
 * (bench_handshake_loop), or with contexts set, n creations of v's contexts
 * (bench_ctx_loop).  Nothing is printed.
 */
int bench_callgrind_mode(bench_variant v, int contexts, long n);

/* ---- dispatch.c ---- */

/* 3: ns per callback call, trampoline against direct. */
int bench_dispatch(const bench_opts *o);

/* ---- ctxnew.c ---- */

/* Make and free n server and client context pairs: the unit callgrind.sh --ctx counts. */
int bench_ctx_loop(bench_variant v, long n);
/* 4: context creation, warm and cold; *ratio receives warm sslplug/direct. */
int bench_ctx_creation(const bench_opts *o, double *ratio);
/* The child side of the cold measurement: "cold-direct" or "cold-sslplug". */
int bench_cold_child(const char *mode);

/* ---- memory.c ---- */

/* 5: heap per context and resident memory across create/free cycles; *grew set when it grew. */
int bench_memory(const bench_opts *o, int *grew);

#endif /* SSLPLUG_BENCH_H */
