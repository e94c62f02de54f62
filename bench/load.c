/*
 * sslplug_bench_load: what loading a configuration with many named
 * contexts (virtual hosts) costs, for 100, 1,000 and 10,000 of them.  The
 * configurations are written at run time into a scratch directory: a
 * server whose main context and every named context "hN" name the same
 * certificate, the same encrypted private key (unlocked by the bundled
 * password_file plugin) and the same CA file of the build-time PKI, and a
 * servername_map routing hN.x to hN.  Two things are measured, each
 * in a fresh process so that its peak resident set is its own:
 *   api    sslplug_host_load, then one sslplug_ctx_new (which builds every
 *          named context), then freeing both: this program run again as
 *          --child, which times each step with its own CPU clock;
 *   check  `sslplug check CONFIG` (which checks in a child of its own).
 * CPU time (user + system, from wait4, children included) and peak RSS
 * (ru_maxrss) per run; runs of every size take turns, so load from
 * elsewhere lands on all alike, and the median of the runs is reported.
 * Targets: 10,000 contexts in under 10 times the CPU time of 1,000, and
 * under 200 MB.  Figures as name=value lines; nothing is asserted.
 *
 *   sslplug_bench_load [--quick] [--runs=N] [--counts=N,N,...]
 *   sslplug_bench_load --child CONFIG     (for itself)
 */
#define _GNU_SOURCE /* mkdtemp, wait4 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "sslplug/sslplug.h"

#ifndef BENCH_PKI_DIR
#error "BENCH_PKI_DIR must be defined by the build"
#endif
#ifndef BENCH_CLI
#error "BENCH_CLI must be defined by the build"
#endif

#define PKI(file) BENCH_PKI_DIR "/" file
#define MAX_COUNTS 8
#define MAX_RUNS 15

enum { API, CHECK, MODES };
static const char *const mode_names[MODES] = {"api", "check"};

/* One run: CPU seconds and peak RSS of the process, and the child's own steps (api only). */
typedef struct figure {
    double cpu_s;
    double wall_s;
    long rss_kib;
    double load_s, ctx_s, free_s;
} figure;

static double
clock_s(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* ---- the child: one load, one context ---- */

static int
child_main(const char *config)
{
    double t0 = clock_s(CLOCK_PROCESS_CPUTIME_ID), t1, t2, t3;
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(config, &err);
    SSL_CTX *ctx = NULL;

    t1 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (host != NULL) {
        ctx = sslplug_ctx_new(host, &err);
    }
    t2 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (ctx == NULL) {
        char text[SSLPLUG_ERROR_TEXT_MAX];

        sslplug_error_format(&err, text, sizeof(text));
        fprintf(stderr, "sslplug_bench_load: %s\n", text);
    }
    SSL_CTX_free(ctx);
    sslplug_host_free(host);
    t3 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    /* The parent reads the steps from stdout. */
    printf("%.6f %.6f %.6f\n", t1 - t0, t2 - t1, t3 - t2);
    return ctx != NULL ? 0 : 1;
}

/* ---- the configurations ---- */

/*
 * The PKI's files under one-letter names in dir, as symbolic links (the
 * host checks both the link and the file): 10,000 contexts naming three
 * files each by absolute path would not fit in the 1 MiB a configuration
 * may have.
 */
static int
link_pki(const char *dir)
{
    static const char *const files[][2] = {
        {"c", PKI("server.crt")}, {"k", PKI("server.key")}, {"a", PKI("ca.crt")}};
    char path[4096];

    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i][0]);
        if (symlink(files[i][1], path) != 0) {
            perror("sslplug_bench_load: symlink");
            return 0;
        }
    }
    return 1;
}

static char *
write_config(const char *dir, long n)
{
    static const char files[] = "\"certificate\":\"c\",\"private_key\":\"k\",\"ca_file\":\"a\"";
    char *path = NULL;
    FILE *f;
    int ok;

    if (asprintf(&path, "%s/load-%ld.json", dir, n) < 0) {
        return NULL;
    }
    if ((f = fopen(path, "w")) == NULL) {
        free(path);
        return NULL;
    }
    fprintf(f,
            "{\"version\":1,\"context\":{\"role\":\"server\",%s,\"verify\":\"require\"},\n"
            "\"contexts\":{",
            files);
    for (long i = 0; i < n; i++) {
        fprintf(f, "%s\"h%ld\":{%s}", i > 0 ? ",\n" : "", i, files);
    }
    fprintf(
        f,
        "},\n\"callbacks\":{\"password\":{\"plugin\":\"password_file\",\"config\":"
        "{\"path\":\"" PKI(
            "server.pass") "\"}},\n"
                           "\"servername\":{\"plugin\":\"servername_map\",\"config\":{\"names\":{");
    for (long i = 0; i < n; i++) {
        fprintf(f, "%s\"h%ld.x\":\"h%ld\"", i > 0 ? "," : "", i, i);
    }
    fprintf(f, "}}}}}\n");
    ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        free(path);
        return NULL;
    }
    return path;
}

/* ---- the parent: one run in a fresh process ---- */

static int
run(int mode, const char *config, figure *fig)
{
    int out[2] = {-1, -1}, status = 0, devnull;
    double wall = clock_s(CLOCK_MONOTONIC);
    struct rusage ru;
    char text[256] = "";
    ssize_t got = 0, r;
    pid_t pid;

    if (pipe(out) != 0 || (pid = fork()) < 0) {
        perror("sslplug_bench_load");
        return 0;
    }
    if (pid == 0) {
        devnull = open("/dev/null", O_WRONLY);
        dup2(mode == API ? out[1] : devnull, STDOUT_FILENO);
        if (mode == CHECK) {
            dup2(devnull, STDERR_FILENO);
        }
        close(out[0]);
        close(out[1]);
        if (mode == API) {
            execl("/proc/self/exe", "sslplug_bench_load", "--child", config, (char *)NULL);
        } else {
            execl(BENCH_CLI, BENCH_CLI, "check", "--timeout", "3600", config, (char *)NULL);
        }
        _exit(127);
    }
    close(out[1]);
    while ((size_t)got < sizeof(text) - 1 &&
           (r = read(out[0], text + got, sizeof(text) - 1 - (size_t)got)) > 0) {
        got += r;
    }
    close(out[0]);
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("sslplug_bench_load: wait4");
        return 0;
    }
    fig->wall_s = clock_s(CLOCK_MONOTONIC) - wall;
    fig->cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                 (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    fig->rss_kib = ru.ru_maxrss;
    fig->load_s = fig->ctx_s = fig->free_s = 0.0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "sslplug_bench_load: %s of %s failed (status %d)\n", mode_names[mode],
                config, status);
        return 0;
    }
    if (mode == API && sscanf(text, "%lf %lf %lf", &fig->load_s, &fig->ctx_s, &fig->free_s) != 3) {
        fprintf(stderr, "sslplug_bench_load: no figures from the child\n");
        return 0;
    }
    return 1;
}

/* ---- options and the report ---- */

typedef struct opts {
    long counts[MAX_COUNTS];
    int count_n;
    int runs;
} opts;

static int
parse_counts(const char *list, opts *o)
{
    char *end;

    o->count_n = 0;
    while (*list != '\0' && o->count_n < MAX_COUNTS) {
        long n = strtol(list, &end, 10);

        if (end == list || n < 0 || (*end != ',' && *end != '\0')) {
            return 0;
        }
        o->counts[o->count_n++] = n;
        list = *end == ',' ? end + 1 : end;
    }
    return o->count_n > 0 && *list == '\0';
}

static int
parse_opts(int argc, char **argv, opts *o)
{
    static const long defaults[] = {100, 1000, 10000};

    memcpy(o->counts, defaults, sizeof(defaults));
    o->count_n = 3;
    o->runs = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            o->counts[0] = 100;
            o->counts[1] = 1000;
            o->count_n = 2;
            o->runs = 1;
        } else if (strncmp(argv[i], "--runs=", 7) == 0) {
            o->runs = atoi(argv[i] + 7);
        } else if (strncmp(argv[i], "--counts=", 9) == 0) {
            if (!parse_counts(argv[i] + 9, o)) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    return o->runs >= 1 && o->runs <= MAX_RUNS;
}

/* The count's median CPU seconds and peak RSS (KiB) in one mode, printed. */
static void
report(int mode, long n, figure *figs, int runs, double *cpu, double *rss)
{
    double v[MAX_RUNS], r[MAX_RUNS], steps[3][MAX_RUNS];
    char name[64];

    for (int k = 0; k < runs; k++) {
        v[k] = figs[k].cpu_s;
        r[k] = (double)figs[k].rss_kib;
        steps[0][k] = figs[k].load_s;
        steps[1][k] = figs[k].ctx_s;
        steps[2][k] = figs[k].free_s;
    }
    *cpu = median(v, (size_t)runs);
    *rss = median(r, (size_t)runs);
    snprintf(name, sizeof(name), "load_%s_%ld", mode_names[mode], n);
    printf("%s_cpu_s=%.3f (runs %.3f..%.3f)\n", name, *cpu, v[0], v[runs - 1]);
    printf("%s_rss_mib=%.1f (runs %.1f..%.1f)\n", name, *rss / 1024.0, r[0] / 1024.0,
           r[runs - 1] / 1024.0);
    if (mode == API) {
        printf("%s_steps_s=load %.3f, ctx_new %.3f, free %.3f\n", name,
               median(steps[0], (size_t)runs), median(steps[1], (size_t)runs),
               median(steps[2], (size_t)runs));
    }
    fflush(stdout);
}

/* The targets between 1,000 and 10,000, when both were measured. */
static void
targets(const opts *o, double cpu[MODES][MAX_COUNTS], double rss[MODES][MAX_COUNTS])
{
    int at1k = -1, at10k = -1;

    for (int c = 0; c < o->count_n; c++) {
        at1k = o->counts[c] == 1000 ? c : at1k;
        at10k = o->counts[c] == 10000 ? c : at10k;
    }
    for (int m = 0; m < MODES; m++) {
        if (at1k >= 0 && at10k >= 0) {
            double ratio = cpu[m][at10k] / cpu[m][at1k];

            printf("load_%s_ratio_10000_1000=%.2f\n", mode_names[m], ratio);
            printf("target_load_%s_linear=%s\n", mode_names[m], ratio < 10.0 ? "met" : "MISSED");
        }
        if (at10k >= 0) {
            printf("target_load_%s_rss=%s\n", mode_names[m],
                   rss[m][at10k] < 200.0 * 1024.0 ? "met" : "MISSED");
        }
    }
}

int
main(int argc, char **argv)
{
    static figure figs[MODES][MAX_COUNTS][MAX_RUNS];
    double cpu[MODES][MAX_COUNTS], rss[MODES][MAX_COUNTS];
    char *configs[MAX_COUNTS] = {NULL};
    char dir[] = "/tmp/sslplug-bench-load-XXXXXX";
    int ok = 1;
    opts o;

    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        return child_main(argv[2]);
    }
    if (!parse_opts(argc, argv, &o)) {
        fprintf(stderr, "usage: sslplug_bench_load [--quick] [--runs=N] [--counts=N,N,...]\n");
        return 2;
    }
    if (mkdtemp(dir) == NULL) {
        perror("sslplug_bench_load: mkdtemp");
        return 1;
    }
    printf("openssl=%s\n", OpenSSL_version(OPENSSL_VERSION));
    ok = link_pki(dir);
    for (int c = 0; ok && c < o.count_n; c++) {
        ok = (configs[c] = write_config(dir, o.counts[c])) != NULL;
    }
    /* Every size in turn, run after run. */
    for (int k = 0; ok && k < o.runs; k++) {
        for (int c = 0; ok && c < o.count_n; c++) {
            for (int m = 0; ok && m < MODES; m++) {
                ok = run(m, configs[c], &figs[m][c][k]);
            }
        }
    }
    for (int c = 0; ok && c < o.count_n; c++) {
        for (int m = 0; m < MODES; m++) {
            report(m, o.counts[c], figs[m][c], o.runs, &cpu[m][c], &rss[m][c]);
        }
    }
    if (ok) {
        targets(&o, cpu, rss);
    }
    for (int c = 0; c < o.count_n; c++) {
        if (configs[c] != NULL) {
            unlink(configs[c]);
        }
        free(configs[c]);
    }
    for (const char *f = "cka"; *f != '\0'; f++) {
        char link[sizeof(dir) + 2];

        snprintf(link, sizeof(link), "%s/%c", dir, *f);
        unlink(link);
    }
    rmdir(dir);
    return ok ? 0 : 1;
}
