/*
 * sslplug_bench_reload: what a reload (SIGHUP) of a large configuration
 * costs the handshakes `sslplug serve` does meanwhile, and its memory.
 *
 * It writes a configuration of N named contexts (10,000 by default), each
 * presenting the build-time demo certificate, and a servername_map routing
 * one SNI name to each, into a scratch directory; starts the built `sslplug
 * serve` on it (127.0.0.1, a port of the kernel's); drives full TLS 1.3
 * handshakes from client threads over TCP, each to a random one of the
 * names, recording each one's latency (connect to handshake done, as the
 * client sees it); sends SIGHUP in the middle; and samples serve's
 * resident size (/proc/PID/status VmRSS) throughout.  Reported: latency
 * p50/p99/max of the handshakes outside the reload window and of those
 * overlapping it (from the SIGHUP to "reloaded: generation 2" in serve's
 * output), the reload's duration and the CPU time of serve's reload thread,
 * the longest time no handshake completed, and the resident size before,
 * at its peak, and at the end.  Latency is wall time: a pause is what this
 * is about.  Every wait is bounded; serve is stopped (SIGTERM, then
 * SIGKILL) and reaped, and the scratch directory removed, on every path.
 *
 *   sslplug_bench_reload [--quick] [--names=N] [--clients=N] [--interval-ms=MS]
 *                        [--before-s=S] [--after-s=S] [--cli=PATH]
 */
#define _GNU_SOURCE /* mkdtemp, asprintf */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"

#ifndef BENCH_PKI_DIR
#error "BENCH_PKI_DIR must be defined by the build"
#endif
#ifndef BENCH_SSLPLUG_CLI
#error "BENCH_SSLPLUG_CLI must be defined by the build"
#endif

/* Bounds on the waits: serve's start-up and reload of 10,000 names take seconds, not minutes. */
#define START_TIMEOUT_S 300.0
#define RELOAD_TIMEOUT_S 300.0
#define STOP_TIMEOUT_S 30.0
/* One client step (connect, handshake, echo) may take this long before it counts as failed. */
#define CLIENT_IO_TIMEOUT_S 10
#define MAX_CLIENTS 16
#define RSS_PERIOD_MS 10
#define RSS_MAX_SAMPLES 100000
#define SAMPLES_PER_CLIENT 200000

typedef struct opts {
    int names;
    int clients;
    int interval_ms; /* pause between two handshakes of one client */
    double warm_s;   /* handshakes before this are not counted */
    double before_s; /* counted handshakes before the SIGHUP */
    double after_s;  /* after the reload is done */
    const char *cli;
} opts;

static void
sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        continue;
    }
}

/* ---- the configuration ---- */

/*
 * dir/server.json: N named contexts c0..c(N-1), each naming the demo
 * certificate and key (through the links s.crt and s.key in dir, which
 * keeps 10,000 of them under the host's 1 MiB limit on a configuration),
 * and servername_map routing n<i>.test to c<i>, rejecting other names.
 */
static int
write_config(const char *dir, int names, char *path, size_t len)
{
    char link[4096];
    FILE *f;

    snprintf(link, sizeof(link), "%s/s.crt", dir);
    if (symlink(BENCH_PKI_DIR "/server.crt", link) != 0) {
        bench_fail("symlink %s: %s", link, strerror(errno));
        return 0;
    }
    snprintf(link, sizeof(link), "%s/s.key", dir);
    if (symlink(BENCH_PKI_DIR "/server-plain.key", link) != 0) {
        bench_fail("symlink %s: %s", link, strerror(errno));
        return 0;
    }
    snprintf(path, len, "%s/server.json", dir);
    if ((f = fopen(path, "w")) == NULL) {
        bench_fail("cannot write %s: %s", path, strerror(errno));
        return 0;
    }
    fprintf(f, "{\"version\":1,\"context\":{\"role\":\"server\",\"certificate\":\"s.crt\","
               "\"private_key\":\"s.key\"},\n\"contexts\":{");
    for (int i = 0; i < names; i++) {
        fprintf(f, "%s\n\"c%d\":{\"certificate\":\"s.crt\",\"private_key\":\"s.key\"}",
                i > 0 ? "," : "", i);
    }
    fprintf(f, "},\n\"callbacks\":{\"servername\":{\"plugin\":\"servername_map\",\"config\":{"
               "\"unknown\":\"reject\",\"names\":{");
    for (int i = 0; i < names; i++) {
        fprintf(f, "%s\n\"n%d.test\":\"c%d\"", i > 0 ? "," : "", i, i);
    }
    fprintf(f, "}}}}}\n");
    if (fclose(f) != 0) {
        bench_fail("cannot write %s", path);
        return 0;
    }
    return 1;
}

/* Remove the scratch directory and what this program put in it. */
static void
remove_dir(const char *dir)
{
    static const char *const files[] = {"server.json", "serve.log", "s.crt", "s.key"};
    char path[4096];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    if (rmdir(dir) != 0) {
        bench_fail("cannot remove %s: %s", dir, strerror(errno));
    }
}

/* ---- sslplug serve ---- */

/* serve on config, its stdout and stderr to log; the pid, or -1. */
static pid_t
serve_start(const char *cli, const char *config, const char *log)
{
    pid_t pid;

    fflush(NULL);
    if ((pid = fork()) < 0) {
        bench_fail("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int in = open("/dev/null", O_RDONLY | O_CLOEXEC);

        if (out < 0 || in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
            _exit(127);
        }
        execl(cli, "sslplug", "serve", config, "--port", "0", "--max-connections", "64",
              "--idle-timeout", "10", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* serve's process: reaped at most once. */
typedef struct serve_proc {
    pid_t pid; /* -1: not started */
    int exited;
    int status; /* exit status once exited (128 + signal when killed) */
} serve_proc;

/* Whether serve has exited (reaping it the first time). */
static int
serve_exited(serve_proc *p)
{
    int status;
    pid_t r;

    if (p->exited) {
        return 1;
    }
    while ((r = waitpid(p->pid, &status, WNOHANG)) < 0 && errno == EINTR) {
        continue;
    }
    if (r == p->pid) {
        p->exited = 1;
        p->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return p->exited;
}

/* SIGTERM, up to STOP_TIMEOUT_S for it to exit, then SIGKILL; reaped either way.  Exit status. */
static int
serve_stop(serve_proc *p)
{
    double deadline = bench_now() + STOP_TIMEOUT_S;
    int status;

    if (!serve_exited(p)) {
        kill(p->pid, SIGTERM);
    }
    while (!serve_exited(p)) {
        if (bench_now() > deadline) {
            bench_fail("serve did not stop within %.0f s: killed", STOP_TIMEOUT_S);
            kill(p->pid, SIGKILL);
            while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
                continue;
            }
            p->exited = 1;
            p->status = -1;
        }
        sleep_s(0.01);
    }
    return p->status;
}

/* serve's output, read as it grows. */
typedef struct watch {
    int fd;
    char *buf;
    size_t len, cap;
} watch;

static void
watch_read(watch *w)
{
    char chunk[65536];
    ssize_t n;

    while ((n = read(w->fd, chunk, sizeof(chunk))) > 0) {
        if (w->len + (size_t)n + 1 > w->cap) {
            size_t cap = 2 * (w->len + (size_t)n + 1);
            char *grown = realloc(w->buf, cap);

            if (grown == NULL) {
                return;
            }
            w->buf = grown;
            w->cap = cap;
        }
        memcpy(w->buf + w->len, chunk, (size_t)n);
        w->len += (size_t)n;
        w->buf[w->len] = '\0';
    }
}

/*
 * Wait until serve's output from offset from holds one of the needles;
 * returns its index and the time it was seen in *when, or -1 when serve
 * exited or the time ran out.
 */
static int
watch_wait(watch *w, size_t from, const char *const *needles, double timeout_s, serve_proc *p,
           double *when)
{
    double deadline = bench_now() + timeout_s;

    for (;;) {
        watch_read(w);
        for (int i = 0; needles[i] != NULL && w->buf != NULL; i++) {
            if (strstr(w->buf + from, needles[i]) != NULL) {
                *when = bench_now();
                return i;
            }
        }
        if (bench_now() > deadline) {
            bench_fail("no \"%s\" from serve within %.0f s", needles[0], timeout_s);
            return -1;
        }
        if (serve_exited(p)) {
            bench_fail("serve exited early:\n%s", w->buf != NULL ? w->buf + from : "");
            return -1;
        }
        sleep_s(0.002);
    }
}

/* Occurrences of needle in serve's output. */
static long
watch_count(const watch *w, const char *needle)
{
    long n = 0;

    for (const char *p = w->buf; p != NULL && (p = strstr(p, needle)) != NULL; p++) {
        n++;
    }
    return n;
}

/* ---- what serve uses: resident size, and the reload thread's CPU time ---- */

static long
vmrss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

typedef struct rss_log {
    pid_t pid;
    atomic_int stop;
    size_t n;
    double t[RSS_MAX_SAMPLES];
    long kib[RSS_MAX_SAMPLES];
} rss_log;

static void *
rss_thread(void *arg)
{
    rss_log *r = arg;

    while (!atomic_load(&r->stop) && r->n < RSS_MAX_SAMPLES) {
        long kib = vmrss_kib(r->pid);

        if (kib > 0) {
            r->t[r->n] = bench_now();
            r->kib[r->n] = kib;
            r->n++;
        }
        sleep_s(RSS_PERIOD_MS / 1000.0);
    }
    return NULL;
}

/* The CPU seconds of serve's thread named name ("sslplug-reload"), or -1 when there is none. */
static double
thread_cpu_s(pid_t pid, const char *name)
{
    char path[300], text[1024];
    double cpu = -1.0;
    struct dirent *e;
    DIR *d;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    if ((d = opendir(path)) == NULL) {
        return -1.0;
    }
    while (cpu < 0.0 && (e = readdir(d)) != NULL) {
        unsigned long utime, stime;
        const char *p;

        snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
        if ((f = fopen(path, "r")) == NULL) {
            continue;
        }
        text[0] = '\0';
        if (fgets(text, sizeof(text), f) == NULL || strncmp(text, name, strlen(name)) != 0) {
            fclose(f);
            continue;
        }
        fclose(f);
        snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, e->d_name);
        if ((f = fopen(path, "r")) == NULL) {
            continue;
        }
        /* After the name in parentheses: state, then 10 fields, then utime and stime. */
        if (fgets(text, sizeof(text), f) != NULL && (p = strrchr(text, ')')) != NULL &&
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) ==
                2) {
            cpu = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
        }
        fclose(f);
    }
    closedir(d);
    return cpu;
}

/* ---- clients ---- */

typedef struct sample {
    double start; /* connect() called */
    double done;  /* handshake complete (or failed) */
    int ok;       /* handshake and echo both succeeded */
} sample;

typedef struct client {
    pthread_t tid;
    const opts *o;
    SSL_CTX *ctx;
    int port;
    unsigned rng;
    atomic_int *stop;
    sample *s;
    size_t n;
    char why[256]; /* the first failure */
} client;

static unsigned
next_rand(unsigned *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void
note_failure(client *c, const char *what)
{
    unsigned long e = ERR_get_error();
    int saved = errno;
    char reason[160];

    if (c->why[0] == '\0') {
        if (e != 0) {
            ERR_error_string_n(e, reason, sizeof(reason));
        } else if (strerror_r(saved, reason, sizeof(reason)) != 0) {
            snprintf(reason, sizeof(reason), "errno %d", saved);
        }
        snprintf(c->why, sizeof(c->why), "%s: %s", what, reason);
    }
    ERR_clear_error();
}

/* One connection: TCP connect, handshake with SNI n<name>.test, echo one line, close. */
static void
one_connection(client *c, int name, sample *s)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {CLIENT_IO_TIMEOUT_S, 0};
    char sni[32], buf[64];
    SSL *ssl = NULL;
    int fd, n;

    s->start = bench_now();
    s->ok = 0;
    sin.sin_port = htons((uint16_t)c->port);
    snprintf(sni, sizeof(sni), "n%d.test", name);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
        connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        note_failure(c, "connect");
        goto done;
    }
    if ((ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
        !SSL_set_tlsext_host_name(ssl, sni) || !SSL_set1_host(ssl, "localhost") ||
        SSL_connect(ssl) != 1) {
        note_failure(c, "handshake");
        goto done;
    }
    s->done = bench_now();
    if (SSL_write(ssl, "ping\n", 5) != 5 || (n = SSL_read(ssl, buf, sizeof(buf))) != 5 ||
        memcmp(buf, "ping\n", 5) != 0) {
        note_failure(c, "echo");
        goto done;
    }
    s->ok = 1;
done:
    if (!s->ok && s->done < s->start) {
        s->done = bench_now();
    }
    SSL_free(ssl);
    if (fd >= 0) {
        close(fd);
    }
}

static void *
client_thread(void *arg)
{
    client *c = arg;

    while (!atomic_load(c->stop) && c->n < SAMPLES_PER_CLIENT) {
        sample *s = &c->s[c->n++];

        s->done = 0.0;
        one_connection(c, (int)(next_rand(&c->rng) % (unsigned)c->o->names), s);
        if (c->o->interval_ms > 0) {
            sleep_s(c->o->interval_ms / 1000.0);
        }
    }
    ERR_clear_error();
    return NULL;
}

/* ---- figures ---- */

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* p (0..1) of the sorted v[0..n). */
static double
quantile(const double *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);

    return n == 0 ? 0.0 : v[i < n ? i : n - 1];
}

typedef struct window {
    double *lat;
    size_t n;
    double first, last; /* of the handshakes in it */
} window;

static void
print_window(const char *name, window *w)
{
    qsort(w->lat, w->n, sizeof(*w->lat), cmp_double);
    printf("reload_hs_%s=%zu\n", name, w->n);
    printf("reload_lat_%s_p50_ms=%.2f\n", name, quantile(w->lat, w->n, 0.50) * 1e3);
    printf("reload_lat_%s_p99_ms=%.2f\n", name, quantile(w->lat, w->n, 0.99) * 1e3);
    printf("reload_lat_%s_max_ms=%.2f\n", name, w->n > 0 ? w->lat[w->n - 1] * 1e3 : 0.0);
}

/*
 * Latency inside and outside [hup, done]: a handshake overlapping it counts
 * as during.  Also the longest time no handshake ended (completed or
 * failed), which needs no window: a serve that printed "reloaded" before it
 * was done (as serve before the reload thread did) still shows its pause
 * there; and failures (a client gives up after CLIENT_IO_TIMEOUT_S).
 */
static int
report_latency(client *cs, int nc, double begin, double hup, double done, double end)
{
    window in = {0}, out = {0};
    size_t total = 0, k = 0, failures = 0;
    double *ends, gap = 0.0, gap_at = 0.0;

    for (int i = 0; i < nc; i++) {
        total += cs[i].n;
    }
    in.lat = calloc(total + 1, sizeof(double));
    out.lat = calloc(total + 1, sizeof(double));
    ends = calloc(total + 1, sizeof(double));
    if (in.lat == NULL || out.lat == NULL || ends == NULL) {
        free(in.lat);
        free(out.lat);
        free(ends);
        return 0;
    }
    for (int i = 0; i < nc; i++) {
        for (size_t j = 0; j < cs[i].n; j++) {
            const sample *s = &cs[i].s[j];

            /* Those in flight when the clients stopped count too: a stall ends them late. */
            if (s->start < begin || s->start > end) {
                continue;
            }
            ends[k++] = s->done;
            if (!s->ok) {
                failures++;
                continue;
            }
            if (s->start < done && s->done > hup) {
                in.lat[in.n++] = s->done - s->start;
            } else {
                out.lat[out.n++] = s->done - s->start;
            }
        }
    }
    qsort(ends, k, sizeof(*ends), cmp_double);
    for (size_t i = 1; i < k; i++) {
        if (ends[i] - ends[i - 1] > gap) {
            gap = ends[i] - ends[i - 1];
            gap_at = ends[i - 1];
        }
    }
    print_window("outside", &out);
    print_window("during", &in);
    printf("reload_hs_per_s_outside=%.1f\n", (double)out.n / ((end - begin) - (done - hup)));
    printf("reload_hs_per_s_during=%.1f\n", done > hup ? (double)in.n / (done - hup) : 0.0);
    printf("reload_longest_gap_ms=%.2f (at %+.3f s from the SIGHUP)\n", gap * 1e3, gap_at - hup);
    printf("reload_failures=%zu\n", failures);
    for (int i = 0; i < nc; i++) {
        if (cs[i].why[0] != '\0') {
            printf("reload_first_failure_client%d=%s\n", i, cs[i].why);
        }
    }
    free(in.lat);
    free(out.lat);
    free(ends);
    return failures == 0;
}

/* Resident size: median of the second before the SIGHUP, peak after it, median of the last. */
static void
report_rss(const rss_log *r, double hup, double done, double end)
{
    double before[RSS_MAX_SAMPLES / 10], after[RSS_MAX_SAMPLES / 10];
    size_t nb = 0, na = 0;
    long peak = 0;
    double peak_at = 0.0, back_at = -1.0;

    for (size_t i = 0; i < r->n; i++) {
        if (r->t[i] >= hup - 1.0 && r->t[i] < hup && nb < sizeof(before) / sizeof(before[0])) {
            before[nb++] = (double)r->kib[i];
        }
        if (r->t[i] >= end - 1.0 && r->t[i] <= end && na < sizeof(after) / sizeof(after[0])) {
            after[na++] = (double)r->kib[i];
        }
        if (r->t[i] >= hup && r->kib[i] > peak) {
            peak = r->kib[i];
            peak_at = r->t[i];
        }
    }
    qsort(before, nb, sizeof(double), cmp_double);
    qsort(after, na, sizeof(double), cmp_double);
    /* Back: the first sample after the peak within 10 % of the size before. */
    for (size_t i = 0; nb > 0 && i < r->n; i++) {
        if (r->t[i] > peak_at && (double)r->kib[i] <= 1.1 * quantile(before, nb, 0.5)) {
            back_at = r->t[i];
            break;
        }
    }
    printf("reload_rss_before_kib=%.0f\n", quantile(before, nb, 0.5));
    printf("reload_rss_peak_kib=%ld (at %+.3f s from the SIGHUP)\n", peak, peak_at - hup);
    printf("reload_rss_after_kib=%.0f\n", quantile(after, na, 0.5));
    if (back_at >= 0.0) {
        printf("reload_rss_back_s=%+.3f (within 10 %% of before, from the end of the reload)\n",
               back_at - done);
    } else {
        printf("reload_rss_back_s=never\n");
    }
}

/* ---- the run ---- */

static SSL_CTX *
client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx == NULL || SSL_CTX_load_verify_file(ctx, BENCH_PKI_DIR "/ca.crt") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    /* Every handshake full: nothing to resume. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    return ctx;
}

/* Drive the clients around one SIGHUP and report; serve runs as pid with its output in w. */
static int
measure(const opts *o, serve_proc *p, watch *w, int port)
{
    static const char *const swapped[] = {"reloaded: generation 2\n", "reload failed", NULL};
    static client cs[MAX_CLIENTS];
    static rss_log rss;
    atomic_int stop;
    SSL_CTX *ctx = client_ctx();
    double t0, begin, hup, done = 0.0, end, cpu0, cpu1;
    pthread_t rss_tid;
    int started = 0, rss_started = 0, ok = 0;
    size_t from;

    atomic_init(&stop, 0);
    memset(&rss, 0, sizeof(rss));
    rss.pid = p->pid;
    atomic_init(&rss.stop, 0);
    if (ctx == NULL) {
        bench_fail("cannot make the client context");
        return 0;
    }
    rss_started = pthread_create(&rss_tid, NULL, rss_thread, &rss) == 0;
    t0 = bench_now();
    for (; started < o->clients; started++) {
        client *c = &cs[started];

        memset(c, 0, sizeof(*c));
        c->o = o;
        c->ctx = ctx;
        c->port = port;
        c->rng = 0x9e3779b9u * (unsigned)(started + 1);
        c->stop = &stop;
        if ((c->s = calloc(SAMPLES_PER_CLIENT, sizeof(*c->s))) == NULL ||
            pthread_create(&c->tid, NULL, client_thread, c) != 0) {
            free(c->s);
            bench_fail("cannot start client %d", started);
            goto done;
        }
    }
    begin = t0 + o->warm_s;
    sleep_s(o->warm_s + o->before_s);
    cpu0 = thread_cpu_s(p->pid, "sslplug-reload");
    watch_read(w);
    from = w->len;
    hup = bench_now();
    if (kill(p->pid, SIGHUP) != 0 ||
        watch_wait(w, from, swapped, RELOAD_TIMEOUT_S, p, &done) != 0) {
        bench_fail("the reload did not succeed:\n%s", w->buf != NULL ? w->buf + from : "");
        goto done;
    }
    sleep_s(o->after_s);
    end = bench_now();
    cpu1 = thread_cpu_s(p->pid, "sslplug-reload");
    atomic_store(&stop, 1);
    for (int i = 0; i < started; i++) {
        pthread_join(cs[i].tid, NULL);
    }
    started = 0;
    atomic_store(&rss.stop, 1);
    pthread_join(rss_tid, NULL);
    rss_started = 0;

    printf("reload_s=%.3f\n", done - hup);
    if (cpu0 >= 0.0 && cpu1 >= 0.0) {
        printf("reload_thread_cpu_s=%.2f\n", cpu1 - cpu0);
    } else {
        printf("reload_thread_cpu_s=NA (no thread named sslplug-reload)\n");
    }
    ok = report_latency(cs, o->clients, begin, hup, done, end);
    report_rss(&rss, hup, done, end);
    watch_read(w);
    printf("reload_conns_gen1=%ld\n", watch_count(w, "(generation 1)\n"));
    printf("reload_conns_gen2=%ld\n", watch_count(w, "(generation 2)\n"));
done:
    atomic_store(&stop, 1);
    for (int i = 0; i < started; i++) {
        pthread_join(cs[i].tid, NULL);
    }
    for (int i = 0; i < o->clients; i++) {
        free(cs[i].s);
        cs[i].s = NULL;
    }
    if (rss_started) {
        atomic_store(&rss.stop, 1);
        pthread_join(rss_tid, NULL);
    }
    SSL_CTX_free(ctx);
    return ok;
}

static int
run(const opts *o)
{
    static const char *const listening[] = {"listening on 127.0.0.1:", NULL};
    char dir[] = "/tmp/sslplug-bench-reload.XXXXXX", config[4096], log[4096];
    watch w = {-1, NULL, 0, 0};
    serve_proc p = {-1, 0, 0};
    double t0, t1;
    int ok = 0, port, status;

    if (mkdtemp(dir) == NULL) {
        bench_fail("mkdtemp: %s", strerror(errno));
        return 0;
    }
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    if (!write_config(dir, o->names, config, sizeof(config))) {
        goto done;
    }
    t0 = bench_now();
    if ((p.pid = serve_start(o->cli, config, log)) < 0) {
        goto done;
    }
    /* The child creates the log; wait for it to be there, bounded like the rest. */
    while ((w.fd = open(log, O_RDONLY | O_CLOEXEC)) < 0 && bench_now() - t0 < START_TIMEOUT_S &&
           !serve_exited(&p)) {
        sleep_s(0.01);
    }
    if (w.fd < 0 || watch_wait(&w, 0, listening, START_TIMEOUT_S, &p, &t1) != 0) {
        bench_fail("serve did not start");
        goto done;
    }
    port = atoi(strstr(w.buf, listening[0]) + strlen(listening[0]));
    printf("reload_names=%d\n", o->names);
    printf("reload_clients=%d\n", o->clients);
    printf("reload_interval_ms=%d\n", o->interval_ms);
    printf("reload_serve_start_s=%.3f\n", t1 - t0);
    printf("reload_rss_loaded_kib=%ld\n", vmrss_kib(p.pid));
    fflush(stdout);
    ok = measure(o, &p, &w, port);
done:
    if (p.pid > 0 && (status = serve_stop(&p)) != 0) {
        bench_fail("serve exited with status %d", status);
        ok = 0;
    }
    if (w.fd >= 0) {
        close(w.fd);
    }
    free(w.buf);
    remove_dir(dir);
    return ok;
}

static int
parse_args(int argc, char **argv, opts *o)
{
    *o = (opts){10000, 2, 5, 2.0, 5.0, 5.0, BENCH_SSLPLUG_CLI};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--quick") == 0) {
            o->names = 1000;
            o->warm_s = 0.5;
            o->before_s = 1.0;
            o->after_s = 1.5;
        } else if (strncmp(a, "--names=", 8) == 0) {
            o->names = atoi(a + 8);
        } else if (strncmp(a, "--clients=", 10) == 0) {
            o->clients = atoi(a + 10);
        } else if (strncmp(a, "--interval-ms=", 14) == 0) {
            o->interval_ms = atoi(a + 14);
        } else if (strncmp(a, "--before-s=", 11) == 0) {
            o->before_s = atof(a + 11);
        } else if (strncmp(a, "--after-s=", 10) == 0) {
            o->after_s = atof(a + 10);
        } else if (strncmp(a, "--cli=", 6) == 0) {
            o->cli = a + 6;
        } else {
            return 0;
        }
    }
    return o->names >= 1 && o->names <= 12000 && o->clients >= 1 && o->clients <= MAX_CLIENTS &&
           o->interval_ms >= 0 && o->before_s >= 1.0 && o->after_s >= 1.0;
}

int
main(int argc, char **argv)
{
    opts o;

    if (!parse_args(argc, argv, &o)) {
        fprintf(stderr, "usage: sslplug_bench_reload [--quick] [--names=N] [--clients=N] "
                        "[--interval-ms=MS]\n"
                        "                            [--before-s=S] [--after-s=S] [--cli=PATH]\n");
        return 2;
    }
    /* A client writing to a connection serve dropped must fail that handshake, not the run. */
    signal(SIGPIPE, SIG_IGN);
    printf("reload_cli=%s\n", o.cli);
    printf("reload_openssl=%s\n", OpenSSL_version(OPENSSL_VERSION));
    printf("reload_cpus_online=%ld\n", sysconf(_SC_NPROCESSORS_ONLN));
    return run(&o) ? 0 : 1;
}
