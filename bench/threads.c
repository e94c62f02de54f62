/*
 * sslplug_bench_threads: handshake throughput with 1, 2 and 4 threads
 * sharing one server and one client context, callbacks bound by hand (a,
 * direct) against the same callbacks as thread-safe plugins (b, sslplug):
 * the contexts of sslplug_bench (contexts.c), full TLS 1.3 handshakes over
 * in-process BIO pairs (sslplug_pair), as handshake.c does, one pair per
 * thread at a time.  At each thread count, two measurements:
 *
 *  - paired (the CPU ratio, thr_ratio_cpu): every thread alternates one
 *    handshake of a and one of b, each timed on its own CPU clock
 *    (CLOCK_THREAD_CPUTIME_ID); a round's b/a is the geometric mean over
 *    all threads' pairs of t_a / t_b.  Neighbouring handshakes of a thread
 *    see the same machine, so what other threads and processes do cancels.
 *  - turns (wall throughput): the variants take turns (a b, b a, ...); in a
 *    turn every thread does the same number of handshakes of one variant,
 *    started together; a turn gives its threads' summed CPU time and its
 *    wall time, and a round's b/a is of handshakes per CPU second
 *    (thr_ratio_cpu_turns) and per wall second (thr_ratio_wall).  A lock
 *    that b's threads wait on would show here, as wall time.
 *
 * Medians over rounds, with the rounds' minimum and maximum.  On a machine
 * with fewer CPUs than threads the threads cannot all run at once: CPU time
 * per handshake is what still compares the two, and wall time shows what
 * the machine gave.  --aa makes b a second direct pair: what the method
 * reads when there is no difference.
 *
 * What the host locks: the census runs callgrind on one thread's
 * handshakes of each variant (--callgrind-mode, bench_threads_loop only)
 * and counts, per handshake, the calls to pthread mutex and rwlock locks
 * and to OpenSSL's CRYPTO_THREAD_*_lock, and which of them libsslplug's or
 * the plugins' own functions make.
 *
 *   sslplug_bench_threads [--quick] [--no-census] [--aa]
 *   sslplug_bench_threads --callgrind-mode=a|b [--count=N]   (for itself)
 */
#define _GNU_SOURCE /* mkdtemp */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "pair.h"

#define MAX_THREADS 4
#define MAX_ROUNDS 128
#define TARGET_RATIO 0.98

static const int thread_counts[] = {1, 2, 4};
#define THREAD_COUNTS ((int)(sizeof(thread_counts) / sizeof(thread_counts[0])))

/* ---- the work ---- */

/* n full handshakes on fresh connections of c; 1, or 0 after printing why. */
static int
handshakes(const bench_ctxs *c, long n)
{
    for (long i = 0; i < n; i++) {
        sslplug_pair pair;
        int ok;

        if (!sslplug_pair_init(&pair, c->server, c->client, "localhost")) {
            bench_fail("cannot make a connection pair");
            return 0;
        }
        if (!(ok = sslplug_pair_handshake(&pair))) {
            bench_fail("handshake failed: client: %s; server: %s", pair.client_error,
                       pair.server_error);
        }
        sslplug_pair_cleanup(&pair);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* The measured handshakes, the one function callgrind counts (warm-ups call handshakes()). */
int bench_threads_loop(const bench_ctxs *c, long n);

BENCH_NOINLINE int
bench_threads_loop(const bench_ctxs *c, long n)
{
    return handshakes(c, n);
}

/* ---- a pool of threads that shake hands in turns ---- */

typedef struct pool pool;

typedef struct worker {
    pool *p;
    int index;
    pthread_t tid;
    double cpu;    /* CPU seconds of its last turn */
    double log_ab; /* paired turn: sum over its pairs of log(t_a / t_b) */
    long pairs;
    int ok;
} worker;

struct pool {
    int threads;
    pthread_mutex_t lock;
    pthread_cond_t go;      /* turn changed, or quit */
    pthread_cond_t done;    /* pending reached 0 */
    unsigned long turn;     /* under lock: the turn to do */
    int pending;            /* under lock: threads still doing it */
    int quit;               /* under lock */
    const bench_ctxs *ctxs; /* the turn's contexts, or NULL: a paired turn on both of pair */
    const bench_ctxs *pair[2];
    long per_thread;
    worker w[MAX_THREADS];
};

/*
 * A paired turn: n pairs of one handshake of a and one of b, in turns (a b,
 * b a, ...; threads start on different ones), each timed on the thread's
 * own CPU clock.  Neighbouring handshakes of one thread see the same
 * machine, so their ratio cancels what other threads and processes do.
 */
static int
paired(worker *w, long n)
{
    const pool *p = w->p;

    w->log_ab = 0.0;
    w->pairs = 0;
    for (long i = 0; i < n; i++) {
        double t[2];

        for (int j = 0; j < 2; j++) {
            int v = (int)((i + j + w->index) % 2);
            double c0 = bench_cpu_now();

            if (!handshakes(p->pair[v], 1)) {
                return 0;
            }
            t[v] = bench_cpu_now() - c0;
        }
        w->log_ab += log(t[0] / t[1]);
        w->pairs++;
    }
    return 1;
}

static void *
worker_main(void *arg)
{
    worker *w = arg;
    pool *p = w->p;
    unsigned long seen = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        double c0;

        while (p->turn == seen && !p->quit) {
            pthread_cond_wait(&p->go, &p->lock);
        }
        if (p->quit) {
            break;
        }
        seen = p->turn;
        pthread_mutex_unlock(&p->lock);
        c0 = bench_cpu_now();
        w->ok =
            p->ctxs != NULL ? bench_threads_loop(p->ctxs, p->per_thread) : paired(w, p->per_thread);
        w->cpu = bench_cpu_now() - c0;
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0) {
            pthread_cond_signal(&p->done);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Stop and join the first n threads. */
static void
pool_end(pool *p, int n)
{
    pthread_mutex_lock(&p->lock);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < n; i++) {
        pthread_join(p->w[i].tid, NULL);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
}

static int
pool_start(pool *p, int threads, const bench_ctxs *a, const bench_ctxs *b)
{
    memset(p, 0, sizeof(*p));
    p->threads = threads;
    p->pair[0] = a;
    p->pair[1] = b;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < threads; i++) {
        p->w[i].p = p;
        p->w[i].index = i;
        if (pthread_create(&p->w[i].tid, NULL, worker_main, &p->w[i]) != 0) {
            bench_fail("cannot start %d threads", threads);
            pool_end(p, i);
            return 0;
        }
    }
    return 1;
}

/*
 * One turn, every thread starting together: per_thread handshakes of c, or
 * with c NULL per_thread pairs (paired).  CPU (summed over the threads) and
 * wall seconds out.
 */
static int
pool_turn(pool *p, const bench_ctxs *c, long per_thread, double *cpu, double *wall)
{
    double w0 = bench_now();
    int ok = 1;

    pthread_mutex_lock(&p->lock);
    p->ctxs = c;
    p->per_thread = per_thread;
    p->pending = p->threads;
    p->turn++;
    pthread_cond_broadcast(&p->go);
    while (p->pending > 0) {
        pthread_cond_wait(&p->done, &p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    *wall = bench_now() - w0;
    *cpu = 0.0;
    for (int i = 0; i < p->threads; i++) {
        *cpu += p->w[i].cpu;
        ok = ok && p->w[i].ok;
    }
    return ok;
}

/* ---- throughput ---- */

typedef struct plan {
    int turn_rounds;   /* rounds of one turn of a and one of b */
    long per_turn;     /* handshakes per thread per turn */
    int paired_rounds; /* rounds of one paired turn */
    long per_paired;   /* pairs per thread per paired turn */
} plan;

typedef struct figures {
    double cpu_rate[BENCH_VARIANTS][MAX_ROUNDS]; /* handshakes per CPU second */
    double wall_rate[BENCH_VARIANTS][MAX_ROUNDS];
    double ratio_cpu[MAX_ROUNDS]; /* b/a of each round of turns */
    double ratio_wall[MAX_ROUNDS];
    double ratio_paired[MAX_ROUNDS]; /* b/a of each paired round */
} figures;

/* name_tTHREADS=v with decimals decimals. */
static void
out_t(const char *name, int threads, int decimals, double v)
{
    char full[96];

    snprintf(full, sizeof(full), "%s_t%d", name, threads);
    bench_out(full, "%.*f", decimals, v);
}

/* The median of v[0..n) (sorted in place), printed with the minimum and maximum. */
static double
out_ratio(const char *name, int threads, double *v, int n)
{
    char full[96];
    double med = bench_median(v, (size_t)n);

    snprintf(full, sizeof(full), "%s_t%d", name, threads);
    bench_out(full, "%.4f (rounds %.4f-%.4f)", med, bench_min(v, (size_t)n),
              bench_max(v, (size_t)n));
    return med;
}

/* Rounds of turns (a b, b a, ...), then paired rounds. */
static int
rounds_at(pool *p, const bench_ctxs *ctxs, const plan *pl, figures *f)
{
    static const bench_variant compared[] = {BENCH_DIRECT, BENCH_SSLPLUG};
    double cpu, wall;
    int ok = 1;

    for (int r = 0; r < pl->turn_rounds && ok; r++) {
        for (int i = 0; i < 2 && ok; i++) {
            bench_variant v = compared[(r + i) % 2];

            ok = pool_turn(p, &ctxs[v], pl->per_turn, &cpu, &wall);
            f->cpu_rate[v][r] = (double)(pl->per_turn * p->threads) / cpu;
            f->wall_rate[v][r] = (double)(pl->per_turn * p->threads) / wall;
        }
        f->ratio_cpu[r] = f->cpu_rate[BENCH_SSLPLUG][r] / f->cpu_rate[BENCH_DIRECT][r];
        f->ratio_wall[r] = f->wall_rate[BENCH_SSLPLUG][r] / f->wall_rate[BENCH_DIRECT][r];
    }
    for (int r = 0; r < pl->paired_rounds && ok; r++) {
        double log_ab = 0.0;
        long pairs = 0;

        ok = pool_turn(p, NULL, pl->per_paired, &cpu, &wall);
        for (int i = 0; i < p->threads; i++) {
            log_ab += p->w[i].log_ab;
            pairs += p->w[i].pairs;
        }
        f->ratio_paired[r] = exp(log_ab / (double)pairs);
    }
    return ok;
}

/*
 * Everything at one thread count.  Its paired and turn CPU ratios go to
 * ratio[0] and ratio[1], the wall ratio to ratio[2], the median wall rates
 * to rate[v].
 */
static int
measure_threads(const bench_ctxs *ctxs, int threads, const plan *pl, double ratio[3],
                double rate[BENCH_VARIANTS])
{
    static figures f;
    double cpu, wall;
    pool p;
    int ok;

    if (!pool_start(&p, threads, &ctxs[BENCH_DIRECT], &ctxs[BENCH_SSLPLUG])) {
        return 0;
    }
    /* One turn of each and a paired one first, unmeasured: each thread warms its caches. */
    ok = pool_turn(&p, &ctxs[BENCH_DIRECT], pl->per_turn, &cpu, &wall) &&
         pool_turn(&p, &ctxs[BENCH_SSLPLUG], pl->per_turn, &cpu, &wall) &&
         pool_turn(&p, NULL, pl->per_paired / 4 + 1, &cpu, &wall) && rounds_at(&p, ctxs, pl, &f);
    pool_end(&p, threads);
    if (!ok) {
        return 0;
    }
    for (int v = BENCH_DIRECT; v <= BENCH_SSLPLUG; v++) {
        char name[64];

        snprintf(name, sizeof(name), "thr_hs_per_cpu_s_%s", bench_variant_name((bench_variant)v));
        out_t(name, threads, 1, bench_median(f.cpu_rate[v], (size_t)pl->turn_rounds));
        snprintf(name, sizeof(name), "thr_hs_per_s_%s", bench_variant_name((bench_variant)v));
        rate[v] = bench_median(f.wall_rate[v], (size_t)pl->turn_rounds);
        out_t(name, threads, 1, rate[v]);
    }
    ratio[0] = out_ratio("thr_ratio_cpu", threads, f.ratio_paired, pl->paired_rounds);
    ratio[1] = out_ratio("thr_ratio_cpu_turns", threads, f.ratio_cpu, pl->turn_rounds);
    ratio[2] = out_ratio("thr_ratio_wall", threads, f.ratio_wall, pl->turn_rounds);
    return 1;
}

/* aa: "sslplug" is a second direct pair (an A/A run: what the method reads for no difference). */
static int
run_throughput(int quick, int aa, double ratios[THREAD_COUNTS][3])
{
    bench_ctxs ctxs[BENCH_VARIANTS];
    double rate1[BENCH_VARIANTS] = {0.0}, c0, rate;
    plan pl;
    int ok = 0;

    memset(ctxs, 0, sizeof(ctxs));
    if (!bench_ctxs_new(BENCH_DIRECT, &ctxs[BENCH_DIRECT]) ||
        !bench_ctxs_new(aa ? BENCH_DIRECT : BENCH_SSLPLUG, &ctxs[BENCH_SSLPLUG])) {
        goto done;
    }
    bench_out("thr_mode", "%s", aa ? "A/A (both direct)" : "direct/sslplug");
    c0 = bench_cpu_now();
    if (!handshakes(&ctxs[BENCH_DIRECT], 20) || !handshakes(&ctxs[BENCH_SSLPLUG], 20)) {
        goto done;
    }
    rate = 40.0 / (bench_cpu_now() - c0);
    /* Short turns: fewer CPUs given to this process in one turn than in the next is noise. */
    pl.turn_rounds = quick ? 5 : 120;
    pl.per_turn = (long)(rate * 0.025);
    pl.paired_rounds = quick ? 3 : 25;
    pl.per_paired = (long)(rate * (quick ? 0.02 : 0.05));
    pl.per_turn = pl.per_turn < 5 ? 5 : pl.per_turn;
    pl.per_paired = pl.per_paired < 5 ? 5 : pl.per_paired;
    bench_out("thr_turn_rounds", "%d", pl.turn_rounds);
    bench_out("thr_handshakes_per_thread_per_turn", "%ld", pl.per_turn);
    bench_out("thr_paired_rounds", "%d", pl.paired_rounds);
    bench_out("thr_pairs_per_thread_per_round", "%ld", pl.per_paired);
    for (int i = 0; i < THREAD_COUNTS; i++) {
        double rate_t[BENCH_VARIANTS] = {0.0};
        int t = thread_counts[i];

        if (!measure_threads(ctxs, t, &pl, ratios[i], rate_t)) {
            goto done;
        }
        if (t == 1) {
            memcpy(rate1, rate_t, sizeof(rate1));
        } else {
            out_t("thr_wall_scaling_direct", t, 3, rate_t[BENCH_DIRECT] / rate1[BENCH_DIRECT]);
            out_t("thr_wall_scaling_sslplug", t, 3, rate_t[BENCH_SSLPLUG] / rate1[BENCH_SSLPLUG]);
        }
    }
    ok = 1;
done:
    bench_ctxs_free(&ctxs[BENCH_DIRECT]);
    bench_ctxs_free(&ctxs[BENCH_SSLPLUG]);
    return ok;
}

/* ---- what is locked: callgrind's call counts ---- */

/* The lock functions counted: a callee whose name holds one of these. */
static const char *const lock_fns[] = {
    "pthread_mutex_lock",      "pthread_mutex_trylock",    "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock",   "pthread_rwlock_tryrdlock", "pthread_rwlock_trywrlock",
    "CRYPTO_THREAD_read_lock", "CRYPTO_THREAD_write_lock",
};
#define LOCK_FNS ((int)(sizeof(lock_fns) / sizeof(lock_fns[0])))
#define MAX_SSLPLUG_CALLERS 32

typedef struct census {
    double total[LOCK_FNS];   /* calls per handshake, from anywhere */
    double sslplug[LOCK_FNS]; /* from a function of libsslplug or of a bench plugin */
    struct {
        char caller[128];
        int fn;
        double calls;
    } by[MAX_SSLPLUG_CALLERS];
    int by_count;
} census;

static int
lock_fn_of(const char *name)
{
    for (int i = 0; i < LOCK_FNS; i++) {
        if (strstr(name, lock_fns[i]) != NULL) {
            return i;
        }
    }
    return -1;
}

/* Whether an object file is sslplug's: the library or one of the benchmark's plugins. */
static int
is_sslplug_object(const char *ob)
{
    return strstr(ob, "libsslplug") != NULL || strstr(ob, "/bench/plugins/") != NULL;
}

static void
census_add(census *c, const char *caller, int fn, double calls)
{
    for (int i = 0; i < c->by_count; i++) {
        if (c->by[i].fn == fn && strcmp(c->by[i].caller, caller) == 0) {
            c->by[i].calls += calls;
            return;
        }
    }
    if (c->by_count < MAX_SSLPLUG_CALLERS) {
        snprintf(c->by[c->by_count].caller, sizeof(c->by[0].caller), "%s", caller);
        c->by[c->by_count].fn = fn;
        c->by[c->by_count].calls = calls;
        c->by_count++;
    }
}

/*
 * Read a callgrind output written with --compress-strings=no: "ob=" and
 * "fn=" name the caller, "cfn=" the callee and the next "calls=N" how often
 * it was called from there.
 */
static int
census_read(const char *path, long handshakes, census *c)
{
    char line[4096], ob[1024] = "", fn[1024] = "";
    int callee = -1;
    FILE *f = fopen(path, "r");

    if (f == NULL) {
        bench_fail("cannot read %s", path);
        return 0;
    }
    memset(c, 0, sizeof(*c));
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "ob=", 3) == 0) {
            snprintf(ob, sizeof(ob), "%s", line + 3);
        } else if (strncmp(line, "fn=", 3) == 0) {
            snprintf(fn, sizeof(fn), "%s", line + 3);
            callee = -1;
        } else if (strncmp(line, "cfn=", 4) == 0) {
            callee = lock_fn_of(line + 4);
        } else if (strncmp(line, "calls=", 6) == 0 && callee >= 0) {
            double calls = strtod(line + 6, NULL) / (double)handshakes;

            c->total[callee] += calls;
            if (is_sslplug_object(ob)) {
                c->sslplug[callee] += calls;
                census_add(c, fn, callee, calls);
            }
            callee = -1;
        }
    }
    fclose(f);
    return 1;
}

/* callgrind on this program in mode a or b: the output's path in out (under dir). */
static int
census_run(const char *self, const char *dir, const char *mode, long n, char *out, size_t len)
{
    char file[PATH_MAX + 64], modearg[64], count[64], log[PATH_MAX + 64];
    int status;
    pid_t pid;

    snprintf(out, len, "%s/callgrind.%s.out", dir, mode);
    snprintf(file, sizeof(file), "--callgrind-out-file=%s", out);
    snprintf(log, sizeof(log), "%s/callgrind.%s.log", dir, mode);
    snprintf(modearg, sizeof(modearg), "--callgrind-mode=%s", mode);
    snprintf(count, sizeof(count), "--count=%ld", n);
    fflush(NULL);
    if ((pid = fork()) < 0) {
        bench_fail("fork: %s", strerror(errno));
        return 0;
    }
    if (pid == 0) {
        FILE *l = freopen(log, "w", stderr);

        (void)l;
        if (freopen("/dev/null", "w", stdout) == NULL) {
            _exit(127);
        }
        execlp("valgrind", "valgrind", "--tool=callgrind", file, "--collect-atstart=no",
               "--toggle-collect=bench_threads_loop", "--compress-strings=no", "--compress-pos=no",
               self, modearg, count, (char *)NULL);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        continue;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        bench_fail("valgrind --tool=callgrind %s %s failed (see %s)", self, modearg, log);
        return 0;
    }
    return 1;
}

static void
print_census(const char *variant, const census *c)
{
    char name[96];

    for (int i = 0; i < LOCK_FNS; i++) {
        snprintf(name, sizeof(name), "locks_per_hs_%s_%s", variant, lock_fns[i]);
        bench_out(name, "%.2f", c->total[i]);
    }
    for (int i = 0; i < LOCK_FNS; i++) {
        snprintf(name, sizeof(name), "locks_per_hs_%s_from_sslplug_%s", variant, lock_fns[i]);
        bench_out(name, "%.2f", c->sslplug[i]);
    }
    for (int i = 0; i < c->by_count; i++) {
        snprintf(name, sizeof(name), "locks_per_hs_%s_caller", variant);
        bench_out(name, "%s -> %s: %.2f", c->by[i].caller, lock_fns[c->by[i].fn], c->by[i].calls);
    }
}

static int
run_census(const char *self, int quick)
{
    char dir[] = "/tmp/sslplug-bench-threads.XXXXXX", out_a[PATH_MAX], out_b[PATH_MAX];
    long n = quick ? 5 : 40;
    census a, b;
    int ok = 0;

    if (system("valgrind --version >/dev/null 2>&1") != 0) {
        bench_out("locks_census", "NA (no valgrind)");
        return 1;
    }
    if (mkdtemp(dir) == NULL) {
        bench_fail("mkdtemp: %s", strerror(errno));
        return 0;
    }
    if (census_run(self, dir, "a", n, out_a, sizeof(out_a)) &&
        census_run(self, dir, "b", n, out_b, sizeof(out_b)) && census_read(out_a, n, &a) &&
        census_read(out_b, n, &b)) {
        double diff = 0.0;

        bench_out("locks_census_handshakes", "%ld", n);
        print_census("direct", &a);
        print_census("sslplug", &b);
        for (int i = 0; i < LOCK_FNS; i++) {
            diff += b.total[i] - a.total[i];
        }
        bench_out("locks_per_hs_sslplug_minus_direct", "%.2f", diff);
        ok = 1;
    }
    for (int i = 0; i < 2; i++) {
        char path[PATH_MAX + 64];

        snprintf(path, sizeof(path), "%s/callgrind.%s.out", dir, i == 0 ? "a" : "b");
        unlink(path);
        snprintf(path, sizeof(path), "%s/callgrind.%s.log", dir, i == 0 ? "a" : "b");
        unlink(path);
    }
    rmdir(dir);
    return ok;
}

/* callgrind's target: every variant's contexts made and used once, then n handshakes of v. */
static int
callgrind_mode(bench_variant v, long n)
{
    bench_ctxs c[BENCH_VARIANTS];
    int ok = 1;

    memset(c, 0, sizeof(c));
    for (int i = 0; i < BENCH_VARIANTS && ok; i++) {
        ok = bench_ctxs_new((bench_variant)i, &c[i]) && handshakes(&c[i], 1);
    }
    if (ok) {
        ok = bench_threads_loop(&c[v], n);
    }
    for (int i = 0; i < BENCH_VARIANTS; i++) {
        bench_ctxs_free(&c[i]);
    }
    return ok;
}

int
main(int argc, char **argv)
{
    static char self[PATH_MAX];
    double ratios[THREAD_COUNTS][3];
    const char *cg = NULL;
    int quick = 0, want_census = 1, aa = 0, ok;
    long count = 40;
    ssize_t len;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--no-census") == 0) {
            want_census = 0;
        } else if (strcmp(argv[i], "--aa") == 0) {
            aa = 1;
            want_census = 0;
        } else if (strncmp(argv[i], "--callgrind-mode=", 17) == 0) {
            cg = argv[i] + 17;
        } else if (strncmp(argv[i], "--count=", 8) == 0) {
            count = strtol(argv[i] + 8, NULL, 10);
        } else {
            fprintf(stderr, "usage: sslplug_bench_threads [--quick] [--no-census] [--aa]\n"
                            "       sslplug_bench_threads --callgrind-mode=a|b [--count=N]\n");
            return 2;
        }
    }
    if ((len = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
        bench_fail("cannot find this executable: %s", strerror(errno));
        return 1;
    }
    self[len] = '\0';
    if (!bench_direct_state_load() || !bench_hosts_load()) {
        return 1;
    }
    if (cg != NULL) {
        ok = (strcmp(cg, "a") == 0 || strcmp(cg, "b") == 0) &&
             callgrind_mode(strcmp(cg, "a") == 0 ? BENCH_DIRECT : BENCH_SSLPLUG, count);
    } else {
        bench_out("thr_openssl", "%s", OpenSSL_version(OPENSSL_VERSION));
        bench_out("thr_cpus_online", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
        ok = run_throughput(quick, aa, ratios) && (!want_census || run_census(self, quick));
        for (int i = 0; ok && i < THREAD_COUNTS; i++) {
            char name[64];

            snprintf(name, sizeof(name), "target_thr_ratio_cpu_t%d", thread_counts[i]);
            bench_out(name, "%s", ratios[i][0] >= TARGET_RATIO ? "met" : "MISSED");
        }
        if (ok) {
            printf("bench_threads: ratio_cpu t1=%.4f t2=%.4f t4=%.4f; ratio_wall t1=%.4f t2=%.4f "
                   "t4=%.4f\n",
                   ratios[0][0], ratios[1][0], ratios[2][0], ratios[0][2], ratios[1][2],
                   ratios[2][2]);
        }
    }
    bench_hosts_free();
    bench_direct_state_free();
    return ok ? 0 : 1;
}
