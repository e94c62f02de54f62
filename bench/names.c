/*
 * sslplug_bench_names: what a handshake costs against the number of names a
 * server serves (issue #17).  For N = 1, 100, 1,000 and 10,000 names
 * hNNNNN.n.example, each with its own certificate signed by the build's
 * demo CA, three configurations:
 *   sni   cert_select_sni with a directory of N chains;
 *   map   servername_map routing the N names to N named contexts, each with
 *         its own certificate;
 *   both  servername_map routing to N named contexts without certificates of
 *         their own, and cert_select_sni choosing among the N chains.
 * Each is measured in a child process under callgrind: making the context
 * (host load and sslplug_ctx_new, which builds the N named contexts too),
 * then K full TLS 1.3 handshakes for the first name and K for the last (in
 * file and configuration order, the order a linear scan would take).  Only
 * bench_names_setup and bench_names_loop are counted (--toggle-collect),
 * each phase dumped on its own (--dump-before a marker between them).  The
 * client verifies the chain and the name against the demo CA, so a
 * handshake that got the wrong certificate fails.  A native run of the same
 * child gives the CPU time of making the context.  Each handshake figure is
 * also given without glibc's allocator (callgrind_annotate's malloc/
 * functions), whose free lists the setup of N contexts leaves in a
 * different state for each N.  Figures as name=value lines; nothing is
 * asserted.
 */
#define _GNU_SOURCE /* mkdtemp, nftw */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "pair.h"
#include "sslplug/sslplug.h"

#ifndef BENCH_PKI_DIR
#error "BENCH_PKI_DIR must be defined by the build"
#endif

/* gcc may clone a static function (".constprop"), which --toggle-collect would miss. */
#if defined(__GNUC__) && !defined(__clang__)
#define NAMES_COUNTED __attribute__((noinline, noipa))
#else
#define NAMES_COUNTED __attribute__((noinline))
#endif

#define DOMAIN "n.example"

static const long sizes[] = {1, 100, 1000, 10000};
#define SIZES (sizeof(sizes) / sizeof(sizes[0]))
static const char *const paths[] = {"sni", "map", "both"};
#define PATHS (sizeof(paths) / sizeof(paths[0]))

/* ---- output ---- */

static void
out(const char *name, const char *fmt, ...)
{
    va_list ap;

    printf("%s=", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static int
fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("sslplug_bench_names: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 0;
}

static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- certificates: one key for all leaves, each leaf its own name ---- */

typedef struct pki {
    X509 *ca;
    EVP_PKEY *ca_key;
    EVP_PKEY *key; /* every leaf's: generating 10,000 keys adds nothing a handshake sees */
    char *key_pem; /* key as PEM */
    long key_len;
} pki;

static void
pki_free(pki *p)
{
    X509_free(p->ca);
    EVP_PKEY_free(p->ca_key);
    EVP_PKEY_free(p->key);
    if (p->key_pem != NULL) {
        OPENSSL_cleanse(p->key_pem, (size_t)p->key_len);
    }
    free(p->key_pem);
}

static int
pki_load(pki *p)
{
    FILE *f = fopen(BENCH_PKI_DIR "/ca.crt", "r");
    BIO *mem = NULL;
    char *data;
    int ok = 0;

    if (f != NULL) {
        p->ca = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
    }
    if ((f = fopen(BENCH_PKI_DIR "/ca.key", "r")) != NULL) {
        p->ca_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (p->ca == NULL || p->ca_key == NULL) {
        return fail("cannot read the demo CA in %s", BENCH_PKI_DIR);
    }
    if ((p->key = EVP_EC_gen("P-256")) == NULL || (mem = BIO_new(BIO_s_mem())) == NULL ||
        !PEM_write_bio_PrivateKey(mem, p->key, NULL, NULL, 0, NULL, NULL)) {
        fail("cannot make a P-256 key");
        goto done;
    }
    p->key_len = BIO_get_mem_data(mem, &data);
    if ((p->key_pem = malloc((size_t)p->key_len)) == NULL) {
        goto done;
    }
    memcpy(p->key_pem, data, (size_t)p->key_len);
    ok = 1;
done:
    BIO_free(mem);
    return ok;
}

/* A leaf for name, valid from an hour ago for two days, signed by the CA. */
static X509 *
leaf_new(const pki *p, const char *name, long serial)
{
    char san[300];
    X509 *x = X509_new();
    X509_EXTENSION *ext = NULL;
    X509V3_CTX v3;
    int ok = 0;

    snprintf(san, sizeof(san), "DNS:%s", name);
    if (x == NULL || !X509_set_version(x, X509_VERSION_3) ||
        !ASN1_INTEGER_set(X509_get_serialNumber(x), serial + 1) ||
        !X509_set_issuer_name(x, X509_get_subject_name(p->ca)) ||
        !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                    (const unsigned char *)name, -1, -1, 0) ||
        X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
        X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400) == NULL || !X509_set_pubkey(x, p->key)) {
        goto done;
    }
    X509V3_set_ctx(&v3, p->ca, x, NULL, NULL, 0);
    if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san)) == NULL ||
        !X509_add_ext(x, ext, -1) || X509_sign(x, p->ca_key, EVP_sha256()) <= 0) {
        goto done;
    }
    ok = 1;
done:
    X509_EXTENSION_free(ext);
    if (!ok) {
        X509_free(x);
        x = NULL;
    }
    return x;
}

static int
write_text(const char *path, const char *data, size_t len, mode_t mode)
{
    FILE *f = fopen(path, "w");
    int ok;

    if (f == NULL) {
        return fail("cannot create %s: %s", path, strerror(errno));
    }
    ok = fwrite(data, 1, len, f) == len;
    ok = fclose(f) == 0 && ok;
    return ok && chmod(path, mode) == 0 ? 1 : fail("cannot write %s", path);
}

/* dir/c/hNNNNN.crt and .key for i < n. */
static int
write_chains(const pki *p, const char *dir, long n)
{
    char path[4096], name[64];

    snprintf(path, sizeof(path), "%s/c", dir);
    if (mkdir(path, 0700) != 0) {
        return fail("cannot create %s: %s", path, strerror(errno));
    }
    for (long i = 0; i < n; i++) {
        X509 *x;
        FILE *f;
        int ok;

        snprintf(name, sizeof(name), "h%05ld." DOMAIN, i);
        if ((x = leaf_new(p, name, i)) == NULL) {
            return fail("cannot make a certificate for %s", name);
        }
        snprintf(path, sizeof(path), "%s/c/h%05ld.crt", dir, i);
        ok = (f = fopen(path, "w")) != NULL && PEM_write_X509(f, x);
        ok = f != NULL && fclose(f) == 0 && ok;
        X509_free(x);
        snprintf(path, sizeof(path), "%s/c/h%05ld.key", dir, i);
        if (!ok || !write_text(path, p->key_pem, (size_t)p->key_len, 0600)) {
            return fail("cannot write chain %ld in %s", i, dir);
        }
    }
    return 1;
}

/* ---- configurations ---- */

#define MAIN_CONTEXT                                                                               \
    "\"context\": {\"role\": \"server\", \"certificate\": \"" BENCH_PKI_DIR "/server.crt\", "      \
    "\"private_key\": \"" BENCH_PKI_DIR "/server-plain.key\"}"
#define SNI_ENTRY "\"cert\": {\"plugin\": \"cert_select_sni\", \"config\": {\"dir\": \"c\"}}"

/*
 * dir/NAME.json: "contexts" (with their own certificates when own_certs)
 * and a servername_map routing every name to its context, when with_map;
 * cert_select_sni, when with_sni.  Short names and no spaces in the long
 * lists: the host reads no configuration over 1 MiB, and 10,000 contexts
 * with their own files come close.
 */
static int
write_config(const char *dir, const char *name, long n, int with_map, int own_certs, int with_sni)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), "%s/%s.json", dir, name);
    if ((f = fopen(path, "w")) == NULL) {
        return fail("cannot create %s: %s", path, strerror(errno));
    }
    fputs("{\"version\": 1, " MAIN_CONTEXT, f);
    if (with_map) {
        fputs(", \"contexts\": {", f);
        for (long i = 0; i < n; i++) {
            if (own_certs) {
                fprintf(f,
                        "%s\"h%05ld\":{\"certificate\":\"c/h%05ld.crt\",\"private_key\":\"c/"
                        "h%05ld.key\"}",
                        i > 0 ? "," : "", i, i, i);
            } else {
                fprintf(f, "%s\"h%05ld\":{}", i > 0 ? "," : "", i);
            }
        }
        fputs("}", f);
    }
    fputs(", \"callbacks\": {", f);
    if (with_map) {
        fputs("\"servername\": {\"plugin\": \"servername_map\", \"config\": {\"unknown\": "
              "\"reject\", \"names\": {",
              f);
        for (long i = 0; i < n; i++) {
            fprintf(f, "%s\"h%05ld." DOMAIN "\":\"h%05ld\"", i > 0 ? "," : "", i, i);
        }
        fputs("}}}", f);
    }
    fprintf(f, "%s%s}}\n", with_map && with_sni ? ", " : "", with_sni ? SNI_ENTRY : "");
    ok = ferror(f) == 0;
    return fclose(f) == 0 && ok ? 1 : fail("cannot write %s", path);
}

/* root/nN: the chains and the three configurations. */
static int
make_case(const pki *p, const char *root, long n, char *dir, size_t dirlen)
{
    snprintf(dir, dirlen, "%s/n%ld", root, n);
    if (mkdir(dir, 0700) != 0) {
        return fail("cannot create %s: %s", dir, strerror(errno));
    }
    return write_chains(p, dir, n) && write_config(dir, "sni", n, 0, 0, 1) &&
           write_config(dir, "map", n, 1, 1, 0) && write_config(dir, "both", n, 1, 0, 1);
}

/* ---- the child: one configuration, counted ---- */

typedef struct names_ctxs {
    SSL_CTX *server;
    SSL_CTX *client;
} names_ctxs;

/* Host load and the server context, with its named contexts: what callgrind counts first. */
NAMES_COUNTED static SSL_CTX *
bench_names_setup(const char *config)
{
    sslplug_error err;
    sslplug_host *host = sslplug_host_load(config, &err);
    SSL_CTX *ctx = host != NULL ? sslplug_ctx_new(host, &err) : NULL;

    if (ctx == NULL) {
        fail("%s: %s: %s", err.source, err.pointer, err.message);
    }
    sslplug_host_free(host);
    return ctx;
}

/* One full handshake for name; with check, the leaf the client got must be name's. */
static int
one_handshake(const names_ctxs *c, const char *name, int check)
{
    sslplug_pair pair;
    char cn[256] = "";
    int ok;

    if (!sslplug_pair_init(&pair, c->server, c->client, name)) {
        return fail("cannot make a connection pair");
    }
    ok = sslplug_pair_handshake(&pair);
    if (!ok) {
        fail("%s: handshake failed: client: %s; server: %s", name, pair.client_error,
             pair.server_error);
    } else if (check) {
        X509 *peer = SSL_get0_peer_certificate(pair.client);

        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
        if (SSL_version(pair.client) != TLS1_3_VERSION || SSL_session_reused(pair.client) ||
            strcmp(cn, name) != 0) {
            ok = fail("%s: not a full TLS 1.3 handshake with that name's certificate (CN=%s)", name,
                      cn);
        }
    }
    sslplug_pair_cleanup(&pair);
    return ok;
}

/*
 * Called between the counted phases: callgrind dumps what the phase before
 * counted when it is entered (--dump-before; --dump-after on a toggled
 * function loses the other function's toggle in valgrind 3.19).
 */
NAMES_COUNTED static void
bench_names_phase_done(void)
{
    __asm__ volatile("");
}

NAMES_COUNTED static int
bench_names_loop(const names_ctxs *c, const char *name, long k)
{
    for (long i = 0; i < k; i++) {
        if (!one_handshake(c, name, 0)) {
            return 0;
        }
    }
    return 1;
}

/* --child=PATH --dir=DIR --names=N --count=K */
static int
child(const char *path, const char *dir, long n, long k)
{
    char config[4096], first[64], last[64];
    names_ctxs c = {NULL, NULL};
    double t0, t1;
    int ok = 0;

    snprintf(config, sizeof(config), "%s/%s.json", dir, path);
    snprintf(first, sizeof(first), "h%05d." DOMAIN, 0);
    snprintf(last, sizeof(last), "h%05ld." DOMAIN, n - 1);
    t0 = cpu_now();
    c.server = bench_names_setup(config);
    t1 = cpu_now();
    bench_names_phase_done();
    if (c.server == NULL || (c.client = SSL_CTX_new(TLS_client_method())) == NULL ||
        !SSL_CTX_load_verify_file(c.client, BENCH_PKI_DIR "/ca.crt")) {
        goto done;
    }
    SSL_CTX_set_verify(c.client, SSL_VERIFY_PEER, NULL);
    /* The right certificate for both names, then warm both paths up, uncounted. */
    if (!one_handshake(&c, first, 1) || !one_handshake(&c, last, 1) ||
        !one_handshake(&c, first, 0) || !one_handshake(&c, last, 0)) {
        goto done;
    }
    out("setup_cpu_s", "%.3f", t1 - t0);
    t0 = cpu_now();
    if (!bench_names_loop(&c, first, k)) {
        goto done;
    }
    t1 = cpu_now();
    bench_names_phase_done();
    out("hs_cpu_us_first", "%.1f", (t1 - t0) * 1e6 / (double)k);
    t0 = cpu_now();
    if (!bench_names_loop(&c, last, k)) {
        goto done;
    }
    t1 = cpu_now();
    bench_names_phase_done();
    out("hs_cpu_us_last", "%.1f", (t1 - t0) * 1e6 / (double)k);
    ok = 1;
done:
    SSL_CTX_free(c.server);
    SSL_CTX_free(c.client);
    return ok;
}

/* ---- the driver ---- */

typedef struct figures {
    double setup_cpu_s;
    double setup_instr;
    double first; /* instructions per handshake */
    double last;
    double first_alloc; /* of which in glibc's allocator */
    double last_alloc;
} figures;

/* Run self as a child for path on dir, under callgrind when cg_out is set; its stdout to log. */
static int
run_child(const char *self, const char *path, const char *dir, long n, long k, const char *cg_out,
          const char *log)
{
    char a_path[64], a_dir[4200], a_n[64], a_k[64], a_out[4200];
    pid_t pid;
    int status;

    snprintf(a_path, sizeof(a_path), "--child=%s", path);
    snprintf(a_dir, sizeof(a_dir), "--dir=%s", dir);
    snprintf(a_n, sizeof(a_n), "--names=%ld", n);
    snprintf(a_k, sizeof(a_k), "--count=%ld", k);
    snprintf(a_out, sizeof(a_out), "--callgrind-out-file=%s", cg_out != NULL ? cg_out : "");
    fflush(stdout);
    if ((pid = fork()) < 0) {
        return fail("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        if (freopen(log, "w", stdout) == NULL || dup2(STDOUT_FILENO, STDERR_FILENO) < 0) {
            _exit(127);
        }
        if (cg_out == NULL) {
            execl(self, self, a_path, a_dir, a_n, a_k, (char *)NULL);
        } else {
            execlp("valgrind", "valgrind", "--tool=callgrind", a_out, "--collect-atstart=no",
                   "--toggle-collect=bench_names_setup", "--toggle-collect=bench_names_loop",
                   "--dump-before=bench_names_phase_done", self, a_path, a_dir, a_n, a_k,
                   (char *)NULL);
        }
        _exit(127);
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return fail("%s with %ld names failed (log: %s)", path, n, log);
    }
    return 1;
}

/* The events counted in one callgrind dump file, or -1. */
static double
dump_total(const char *file)
{
    char line[512];
    double total = -1;
    FILE *f = fopen(file, "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "summary:", 8) == 0 || strncmp(line, "totals:", 7) == 0) {
            total = strtod(line + (line[0] == 's' ? 8 : 7), NULL);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return total;
}

/*
 * The instructions of one dump spent in glibc's allocator (functions in its
 * malloc/ sources, as callgrind_annotate lists them, exclusive), or -1.
 * They depend on the state of malloc's free lists, which the setup of N
 * contexts leaves different for every N: the figure the names themselves
 * cost is the rest.
 */
static double
dump_alloc(const char *file)
{
    char cmd[4400], line[1024];
    double sum = 0;
    FILE *p;

    if (strchr(file, '\'') != NULL) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "callgrind_annotate --threshold=100 '%s' 2>/dev/null", file);
    if ((p = popen(cmd, "r")) == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), p) != NULL) {
        char *end;
        double v;

        if (strstr(line, "/malloc/") == NULL) {
            continue;
        }
        /* "  2,553,560 ( 1.54%)  ./malloc/./malloc/malloc.c:_int_malloc [...]" */
        v = 0;
        for (end = line; *end == ' '; end++) {
        }
        for (; (*end >= '0' && *end <= '9') || *end == ','; end++) {
            if (*end != ',') {
                v = v * 10 + (*end - '0');
            }
        }
        sum += v;
    }
    return pclose(p) == 0 && sum > 0 ? sum : -1;
}

/* "key=value" from a child's log, or -1. */
static double
log_value(const char *log, const char *key)
{
    char line[512];
    size_t len = strlen(key);
    double v = -1;
    FILE *f = fopen(log, "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, key, len) == 0 && line[len] == '=') {
            v = strtod(line + len + 1, NULL);
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return v;
}

static int
measure(const char *self, const char *path, const char *dir, long n, long k, int callgrind,
        figures *fig)
{
    char log[4200], cg[4200], dump[4300], name[128];

    snprintf(log, sizeof(log), "%s/%s-native.log", dir, path);
    if (!run_child(self, path, dir, n, k, NULL, log)) {
        return 0;
    }
    fig->setup_cpu_s = log_value(log, "setup_cpu_s");
    snprintf(name, sizeof(name), "names_setup_cpu_s_%s_%ld", path, n);
    out(name, "%.3f", fig->setup_cpu_s);
    if (!callgrind) {
        return 1;
    }
    snprintf(log, sizeof(log), "%s/%s-callgrind.log", dir, path);
    snprintf(cg, sizeof(cg), "%s/%s.cg", dir, path);
    if (!run_child(self, path, dir, n, k, cg, log)) {
        return 0;
    }
    /* Dumps 1, 2, 3: the setup, the first name's handshakes, the last name's. */
    snprintf(dump, sizeof(dump), "%s.1", cg);
    fig->setup_instr = dump_total(dump);
    snprintf(dump, sizeof(dump), "%s.2", cg);
    fig->first = dump_total(dump) / (double)k;
    fig->first_alloc = dump_alloc(dump) / (double)k;
    snprintf(dump, sizeof(dump), "%s.3", cg);
    fig->last = dump_total(dump) / (double)k;
    fig->last_alloc = dump_alloc(dump) / (double)k;
    if (fig->setup_instr <= 0 || fig->first <= 0 || fig->last <= 0) {
        return fail("%s with %ld names: no callgrind dumps in %s", path, n, cg);
    }
    if (fig->first_alloc <= 0 || fig->last_alloc <= 0) {
        return fail("%s with %ld names: callgrind_annotate found no allocator in %s", path, n, cg);
    }
    snprintf(name, sizeof(name), "names_setup_instr_%s_%ld", path, n);
    out(name, "%.0f", fig->setup_instr);
    snprintf(name, sizeof(name), "names_instr_per_hs_%s_%ld_first", path, n);
    out(name, "%.0f", fig->first);
    snprintf(name, sizeof(name), "names_instr_per_hs_%s_%ld_last", path, n);
    out(name, "%.0f", fig->last);
    snprintf(name, sizeof(name), "names_malloc_per_hs_%s_%ld_first", path, n);
    out(name, "%.0f", fig->first_alloc);
    snprintf(name, sizeof(name), "names_malloc_per_hs_%s_%ld_last", path, n);
    out(name, "%.0f", fig->last_alloc);
    return 1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
load_average(const char *when)
{
    char text[128] = "?";
    FILE *f = fopen("/proc/loadavg", "r");

    if (f != NULL) {
        if (fgets(text, sizeof(text), f) != NULL) {
            text[strcspn(text, "\n")] = '\0';
        }
        fclose(f);
    }
    out(when, "%s", text);
}

/* How far v is from base, in per cent; its line printed as names_vs_1_pct_<what>. */
static double
vs_base(const char *what, double v, double base)
{
    char name[160];
    double pct = (v - base) * 100 / base;

    snprintf(name, sizeof(name), "names_vs_1_pct_%s", what);
    out(name, "%+.3f", pct);
    return pct;
}

/*
 * Per path, how far each N's figures are from N = 1's, loop by loop: the
 * second loop of a process costs a little more than the first whatever the
 * name (about 0.05 %, seen with N = 1, where both loops shake hands for one
 * name), so the last name is held against N = 1's second loop.  Twice: all
 * instructions, and those outside glibc's allocator (dump_alloc).  A target
 * line per path and kind; 1 when every figure is within 0.5 %.
 */
static int
report(figures fig[PATHS][SIZES], size_t sizes_run)
{
    int all = 1;

    for (size_t p = 0; p < PATHS; p++) {
        const figures *b = &fig[p][0];
        int met = 1, met_rest = 1;

        for (size_t s = 0; s < sizes_run; s++) {
            const figures *f = &fig[p][s];
            char what[128];
            double d[4];

            snprintf(what, sizeof(what), "%s_%ld_first", paths[p], sizes[s]);
            d[0] = vs_base(what, f->first, b->first);
            snprintf(what, sizeof(what), "%s_%ld_last", paths[p], sizes[s]);
            d[1] = vs_base(what, f->last, b->last);
            snprintf(what, sizeof(what), "%s_%ld_first_outside_malloc", paths[p], sizes[s]);
            d[2] = vs_base(what, f->first - f->first_alloc, b->first - b->first_alloc);
            snprintf(what, sizeof(what), "%s_%ld_last_outside_malloc", paths[p], sizes[s]);
            d[3] = vs_base(what, f->last - f->last_alloc, b->last - b->last_alloc);
            for (int i = 0; i < 4; i++) {
                int within = d[i] <= 0.5 && d[i] >= -0.5;

                if (i < 2) {
                    met = met && within;
                } else {
                    met_rest = met_rest && within;
                }
            }
        }
        printf("target_names_%s=%s\n", paths[p], met ? "met" : "MISSED");
        printf("target_names_%s_outside_malloc=%s\n", paths[p], met_rest ? "met" : "MISSED");
        all = all && met && met_rest;
    }
    return all;
}

static int
usage(void)
{
    fprintf(stderr, "usage: sslplug_bench_names [--quick] [--no-callgrind] [--max=N] "
                    "[--count=K] [--keep]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *c_path = NULL, *c_dir = NULL, *tmp = getenv("TMPDIR");
    long c_names = 0, count = 20, max = 10000;
    int callgrind = 1, keep = 0, ok = 0;
    static figures fig[PATHS][SIZES];
    char root[4096], dir[4200];
    size_t sizes_run = 0;
    pki p = {0};

    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--child=", 8) == 0) {
            c_path = argv[i] + 8;
        } else if (strncmp(argv[i], "--dir=", 6) == 0) {
            c_dir = argv[i] + 6;
        } else if (strncmp(argv[i], "--names=", 8) == 0) {
            c_names = strtol(argv[i] + 8, NULL, 10);
        } else if (strncmp(argv[i], "--count=", 8) == 0) {
            count = strtol(argv[i] + 8, NULL, 10);
        } else if (strncmp(argv[i], "--max=", 6) == 0) {
            max = strtol(argv[i] + 6, NULL, 10);
        } else if (strcmp(argv[i], "--quick") == 0) {
            max = 100;
            count = 3;
        } else if (strcmp(argv[i], "--no-callgrind") == 0) {
            callgrind = 0;
        } else if (strcmp(argv[i], "--keep") == 0) {
            keep = 1;
        } else {
            return usage();
        }
    }
    if (count < 1) {
        return usage();
    }
    if (c_path != NULL) {
        return c_dir != NULL && c_names > 0 && child(c_path, c_dir, c_names, count) ? 0 : 1;
    }
    snprintf(root, sizeof(root), "%s/sslplug-names-XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(root) == NULL) {
        fail("mkdtemp: %s", strerror(errno));
        return 1;
    }
    load_average("names_load_average_start");
    out("names_handshakes_per_loop", "%ld", count);
    if (!pki_load(&p)) {
        goto done;
    }
    for (size_t s = 0; s < SIZES && sizes[s] <= max; s++, sizes_run++) {
        if (!make_case(&p, root, sizes[s], dir, sizeof(dir))) {
            goto done;
        }
        for (size_t q = 0; q < PATHS; q++) {
            if (!measure(argv[0], paths[q], dir, sizes[s], count, callgrind, &fig[q][s])) {
                goto done;
            }
        }
    }
    if (callgrind) {
        report(fig, sizes_run);
    }
    load_average("names_load_average_end");
    ok = 1;
done:
    pki_free(&p);
    if (keep) {
        out("names_scratch_dir", "%s", root);
    } else {
        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
    return ok ? 0 : 1;
}
