/*
 * sslplug_bench_inject: what libsslplug-inject.so costs a program that
 * never heard of sslplug.  The program is this one, a plain OpenSSL client
 * in the manner of curl: per context, SSL_CTX_new(TLS_client_method()),
 * its own CA file and SSL_VERIFY_PEER; per handshake, a full TLS 1.3
 * handshake over a BIO pair against a plain server context.  It is run as
 * two child processes alive at once, without the library (a) and with it
 * preloaded and a client configuration binding a verify and an info
 * plugin (b, the bench_verify and bench_info plugins of bench/README.md),
 * taking turns chunk by chunk.  Each child measures its own CPU time
 * (CLOCK_PROCESS_CPUTIME_ID) per chunk after a warm-up (in b the warm-up
 * includes the one load of the configuration); each round gives a ratio,
 * and the median over rounds is reported with the minimum and maximum.
 *
 *   sslplug_bench_inject [--quick]
 *   sslplug_bench_inject --child=ctx|hs        (for itself: chunk sizes on stdin)
 */
#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <fcntl.h>
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

/* The measured work: count contexts, or count handshakes on warm contexts. */
static void
work(const char *what, long count, SSL_CTX *server, SSL_CTX *client)
{
    for (long i = 0; i < count; i++) {
        sslplug_pair pair;

        if (strcmp(what, "ctx") == 0) {
            SSL_CTX_free(program_client());
            continue;
        }
        if (!sslplug_pair_init(&pair, server, client, "localhost") ||
            !sslplug_pair_handshake(&pair)) {
            fprintf(stderr, "handshake %ld failed\n", i);
            exit(1);
        }
        sslplug_pair_cleanup(&pair);
    }
}

/*
 * A child: warm up (in b this loads the configuration, once), then for
 * every line "N" on stdin do N operations and answer their CPU
 * microseconds per operation.
 */
static int
child(const char *what)
{
    SSL_CTX *server = SSL_CTX_new(TLS_server_method()), *client = program_client();
    char line[64];

    if (server == NULL ||
        SSL_CTX_use_certificate_chain_file(server, BENCH_PKI_DIR "/server.crt") != 1 ||
        SSL_CTX_use_PrivateKey_file(server, BENCH_PKI_DIR "/server-plain.key", SSL_FILETYPE_PEM) !=
            1) {
        fprintf(stderr, "cannot make the server context\n");
        return 1;
    }
    work(what, 20, server, client);
    while (fgets(line, sizeof(line), stdin) != NULL) {
        long count = strtol(line, NULL, 10);
        double t0 = cpu_now();

        work(what, count, server, client);
        printf("cpu_us=%.3f\n", (cpu_now() - t0) * 1e6 / (double)count);
        fflush(stdout);
    }
    SSL_CTX_free(client);
    SSL_CTX_free(server);
    return 0;
}

typedef struct kid {
    pid_t pid;
    FILE *to, *from;
} kid;

static void
kid_start(kid *k, const char *self, const char *what, int injected)
{
    char mode[32];
    int in[2], out[2];

    snprintf(mode, sizeof(mode), "--child=%s", what);
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        exit(1);
    }
    fflush(NULL);
    if ((k->pid = fork()) == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[1]);
        close(out[0]);
        if (injected) {
            setenv("LD_PRELOAD", BENCH_INJECT_LIB, 1);
            setenv("SSLPLUG_INJECT_CONFIG", BENCH_INJECT_CONFIG, 1);
        }
        execl(self, self, mode, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    k->to = fdopen(in[1], "w");
    k->from = fdopen(out[0], "r");
}

static double
kid_run(kid *k, long count)
{
    char line[64];
    double us = -1.0;

    fprintf(k->to, "%ld\n", count);
    fflush(k->to);
    if (fgets(line, sizeof(line), k->from) == NULL || sscanf(line, "cpu_us=%lf", &us) != 1) {
        fprintf(stderr, "sslplug_bench_inject: a child failed\n");
        exit(1);
    }
    return us;
}

static void
kid_stop(kid *k)
{
    int status;

    fclose(k->to);
    fclose(k->from);
    while (waitpid(k->pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/*
 * Two children alive at once, a (plain) and b (injected), taking turns in
 * chunks of count (a b, b a, ...), so that load from elsewhere lands on
 * both alike.  Prints each one's median cost and the median, minimum and
 * maximum of the rounds' ratios (b/a for contexts, a/b for handshakes:
 * throughput).
 */
static double
measure(const char *self, const char *what, long count, int rounds, int throughput)
{
    double a[MAX_ROUNDS], b[MAX_ROUNDS], ratio[MAX_ROUNDS];
    kid kids[2];

    kid_start(&kids[0], self, what, 0);
    kid_start(&kids[1], self, what, 1);
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            int injected = (r + k) % 2;

            (injected ? b : a)[r] = kid_run(&kids[injected], count);
        }
        ratio[r] = throughput ? a[r] / b[r] : b[r] / a[r];
    }
    kid_stop(&kids[0]);
    kid_stop(&kids[1]);
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
    (void)count;
    if (what != NULL) {
        return child(what);
    }
    rounds = quick ? 5 : 41;
    ctx = measure(argv[0], "ctx", quick ? 100 : 400, rounds, 0);
    hs = measure(argv[0], "hs", quick ? 20 : 150, rounds, 1);
    printf("target_inject_ctx_ratio_le_1.10=%s\n", ctx <= 1.10 ? "met" : "MISSED");
    printf("target_inject_hs_ratio_ge_0.99=%s\n", hs >= 0.99 ? "met" : "MISSED");
    printf("bench_inject: ctx_ratio=%.4f hs_ratio=%.4f\n", ctx, hs);
    return 0;
}
