/*
 * sslplug_bench_inject: what libsslplug-inject.so costs a program that
 * never heard of sslplug.  The program is this one, a plain OpenSSL client
 * in the manner of curl: per context, SSL_CTX_new(TLS_client_method()),
 * its own CA file and SSL_VERIFY_PEER; per handshake, a full TLS 1.3
 * handshake over a BIO pair against a plain server context.  It is run as
 * child processes, without the library (a) and with it preloaded and a
 * client configuration binding a verify and an info plugin (b, the
 * bench_verify and bench_info plugins of bench/README.md), taking turns.
 * Each child measures its own CPU time (CLOCK_PROCESS_CPUTIME_ID) over a
 * fixed count after a warm-up (in b the warm-up includes the one load of
 * the configuration); each round gives a ratio, and the median over rounds
 * is reported with the minimum and maximum.
 *
 *   sslplug_bench_inject [--quick]
 *   sslplug_bench_inject --child=ctx|hs --count=N        (for itself)
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "pair.h"

#define MAX_ROUNDS 64

static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What the program does for each context it makes. */
static SSL_CTX *
program_client(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL || SSL_CTX_load_verify_file(ctx, BENCH_PKI_DIR "/ca.crt") != 1) {
        fprintf(stderr, "cannot make the client context\n");
        exit(1);
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    return ctx;
}

static int
child(const char *what, long count)
{
    SSL_CTX *server = NULL, *client = NULL;
    long warm = count / 10 + 5;
    double t0 = 0.0;

    if (strcmp(what, "ctx") == 0) {
        for (long i = 0; i < warm + count; i++) {
            if (i == warm) {
                t0 = cpu_now();
            }
            SSL_CTX_free(program_client());
        }
        printf("cpu_us=%.3f\n", (cpu_now() - t0) * 1e6 / (double)count);
        return 0;
    }
    server = SSL_CTX_new(TLS_server_method());
    if (server == NULL ||
        SSL_CTX_use_certificate_chain_file(server, BENCH_PKI_DIR "/server.crt") != 1 ||
        SSL_CTX_use_PrivateKey_file(server, BENCH_PKI_DIR "/server-plain.key", SSL_FILETYPE_PEM) !=
            1) {
        fprintf(stderr, "cannot make the server context\n");
        return 1;
    }
    client = program_client();
    for (long i = 0; i < warm + count; i++) {
        sslplug_pair pair;

        if (i == warm) {
            t0 = cpu_now();
        }
        if (!sslplug_pair_init(&pair, server, client, "localhost") ||
            !sslplug_pair_handshake(&pair)) {
            fprintf(stderr, "handshake %ld failed\n", i);
            return 1;
        }
        sslplug_pair_cleanup(&pair);
    }
    printf("cpu_us=%.3f\n", (cpu_now() - t0) * 1e6 / (double)count);
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    return 0;
}

/* Run this program as a child measuring what; its CPU microseconds per operation, or -1. */
static double
run_child(const char *self, const char *what, long count, int injected)
{
    char mode[32], n[32], buf[256];
    int out[2], status;
    double us = -1.0;
    ssize_t len;
    pid_t pid;

    snprintf(mode, sizeof(mode), "--child=%s", what);
    snprintf(n, sizeof(n), "--count=%ld", count);
    if (pipe(out) != 0) {
        return -1.0;
    }
    fflush(NULL);
    if ((pid = fork()) == 0) {
        dup2(out[1], 1);
        close(out[0]);
        if (injected) {
            setenv("LD_PRELOAD", BENCH_INJECT_LIB, 1);
            setenv("SSLPLUG_INJECT_CONFIG", BENCH_INJECT_CONFIG, 1);
        }
        execl(self, self, mode, n, (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    len = read(out[0], buf, sizeof(buf) - 1);
    close(out[0]);
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    if (len > 0) {
        buf[len] = '\0';
        if (sscanf(buf, "cpu_us=%lf", &us) != 1) {
            us = -1.0;
        }
    }
    return us;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/*
 * rounds rounds of a and b taking turns (a b, b a, ...); prints each
 * variant's median cost and the median, minimum and maximum of the rounds'
 * ratios (b/a for contexts, a/b for handshakes: throughput).
 */
static double
measure(const char *self, const char *what, long count, int rounds, int throughput)
{
    double a[MAX_ROUNDS], b[MAX_ROUNDS], ratio[MAX_ROUNDS];

    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int injected = (r + k) % 2;
            double us = run_child(self, what, count, injected);

            if (us <= 0.0) {
                fprintf(stderr, "sslplug_bench_inject: child %s (%s) failed\n", what,
                        injected ? "injected" : "plain");
                exit(1);
            }
            (injected ? b : a)[r] = us;
        }
        ratio[r] = throughput ? a[r] / b[r] : b[r] / a[r];
    }
    qsort(a, (size_t)rounds, sizeof(double), cmp_double);
    qsort(b, (size_t)rounds, sizeof(double), cmp_double);
    qsort(ratio, (size_t)rounds, sizeof(double), cmp_double);
    printf("inject_%s_plain_us=%.2f\n", what, a[rounds / 2]);
    printf("inject_%s_injected_us=%.2f\n", what, b[rounds / 2]);
    printf("inject_%s_ratio=%.4f (rounds %.4f-%.4f)\n", what, ratio[rounds / 2], ratio[0],
           ratio[rounds - 1]);
    fflush(stdout);
    return ratio[rounds / 2];
}

int
main(int argc, char **argv)
{
    const char *what = NULL;
    long count = 0;
    int quick = 0, rounds;
    double ctx, hs;

    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--child=", 8) == 0) {
            what = argv[i] + 8;
        } else if (strncmp(argv[i], "--count=", 8) == 0) {
            count = strtol(argv[i] + 8, NULL, 10);
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else {
            fprintf(stderr, "usage: sslplug_bench_inject [--quick]\n");
            return 2;
        }
    }
    if (what != NULL) {
        return child(what, count > 0 ? count : 100);
    }
    rounds = quick ? 3 : 15;
    ctx = measure(argv[0], "ctx", quick ? 200 : 2000, rounds, 0);
    hs = measure(argv[0], "hs", quick ? 30 : 300, rounds, 1);
    printf("target_inject_ctx_ratio_le_1.10=%s\n", ctx <= 1.10 ? "met" : "MISSED");
    printf("target_inject_hs_ratio_ge_0.99=%s\n", hs >= 0.99 ? "met" : "MISSED");
    printf("bench_inject: ctx_ratio=%.4f hs_ratio=%.4f\n", ctx, hs);
    return 0;
}
