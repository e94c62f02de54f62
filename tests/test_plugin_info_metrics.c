/*
 * info_metrics through real handshakes: the counts in the file written at
 * fini after good and failing handshakes on either side, the file checked
 * line by line against the Prometheus text format by a small parser, the
 * periodic write (interval_s 1, waited for with a bound, never timed), the
 * entry label and its escaping, and every config error init reports.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/x509_vfy.h>

/* ---- a small parser of the Prometheus text exposition format ---- */

typedef struct sample {
    char *series; /* name{labels} as written */
    char *family;
    double value;
} sample;

typedef struct family {
    char *name;
    int help, type;
} family;

typedef struct prom {
    sample *samples;
    size_t n;
    family *families;
    size_t nf;
} prom;

static int
name_start(int c)
{
    return isalpha(c) || c == '_' || c == ':';
}

static int
name_char(int c)
{
    return isalnum(c) || c == '_' || c == ':';
}

/* A metric name at p; returns its length (0: none). */
static size_t
metric_name(const char *p)
{
    size_t n = 0;

    if (!name_start((unsigned char)p[0])) {
        return 0;
    }
    while (name_char((unsigned char)p[n])) {
        n++;
    }
    return n;
}

static family *
family_of(prom *p, const char *name, size_t len)
{
    family *grown;

    for (size_t i = 0; i < p->nf; i++) {
        if (strlen(p->families[i].name) == len && strncmp(p->families[i].name, name, len) == 0) {
            return &p->families[i];
        }
    }
    grown = realloc(p->families, (p->nf + 1) * sizeof(*grown));
    assert_non_null(grown);
    p->families = grown;
    p->families[p->nf] = (family){strndup(name, len), 0, 0};
    assert_non_null(p->families[p->nf].name);
    return &p->families[p->nf++];
}

/* {label="value",...}: label names [a-zA-Z_][a-zA-Z0-9_]*, values with \\ \" \n escapes only. */
static const char *
labels(const char *p)
{
    assert_int_equal(*p, '{');
    p++;
    while (*p != '}') {
        assert_true(isalpha((unsigned char)*p) || *p == '_');
        while (isalnum((unsigned char)*p) || *p == '_') {
            p++;
        }
        assert_int_equal(*p++, '=');
        assert_int_equal(*p++, '"');
        while (*p != '"') {
            assert_true(*p != '\0' && *p != '\n');
            if (*p == '\\') {
                p++;
                assert_true(*p == '\\' || *p == '"' || *p == 'n');
            }
            p++;
        }
        p++;
        if (*p == ',') {
            p++;
        } else {
            assert_int_equal(*p, '}');
        }
    }
    return p + 1;
}

/*
 * Parse and check text: every line a "# HELP name text", "# TYPE name
 * counter" or a sample "name{labels} value"; HELP and TYPE at most once per
 * family and before its samples; each series once; the last line ends in a
 * newline.  Fails the test on any violation.
 */
static prom
prom_parse(const char *text)
{
    prom p = {NULL, 0, NULL, 0};
    const char *line = text;

    assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
    while (*line != '\0') {
        const char *end = strchr(line, '\n');
        size_t n;

        assert_non_null(end);
        if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
            int help = line[2] == 'H';
            family *f;

            n = metric_name(line + 7);
            assert_true(n > 0);
            assert_int_equal(line[7 + n], ' ');
            f = family_of(&p, line + 7, n);
            if (help) {
                assert_int_equal(f->help, 0);
                assert_true(end > line + 8 + n); /* some help text */
                f->help = 1;
            } else {
                assert_int_equal(f->type, 0);
                assert_true(end - (line + 8 + n) == 7 && strncmp(line + 8 + n, "counter", 7) == 0);
                f->type = 1;
            }
        } else {
            const char *after, *value;
            char *stop = NULL;
            sample *grown;
            family *f;

            n = metric_name(line);
            assert_true(n > 0);
            f = family_of(&p, line, n);
            assert_int_equal(f->type, 1); /* TYPE before samples */
            after = line[n] == '{' ? labels(line + n) : line + n;
            assert_int_equal(*after, ' ');
            value = after + 1;
            grown = realloc(p.samples, (p.n + 1) * sizeof(*grown));
            assert_non_null(grown);
            p.samples = grown;
            p.samples[p.n].series = strndup(line, (size_t)(after - line));
            p.samples[p.n].family = f->name;
            p.samples[p.n].value = strtod(value, &stop);
            assert_true(stop == end); /* the value and nothing else (no timestamps here) */
            for (size_t i = 0; i < p.n; i++) {
                assert_string_not_equal(p.samples[i].series, p.samples[p.n].series);
            }
            p.n++;
        }
        line = end + 1;
    }
    for (size_t i = 0; i < p.nf; i++) {
        assert_true(p.families[i].help && p.families[i].type);
    }
    return p;
}

static void
prom_free(prom *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->samples[i].series);
    }
    for (size_t i = 0; i < p->nf; i++) {
        free(p->families[i].name);
    }
    free(p->samples);
    free(p->families);
    memset(p, 0, sizeof(*p));
}

/* The value of a series, or -1 when it is absent. */
static double
value_of(const prom *p, const char *series)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->samples[i].series, series) == 0) {
            return p->samples[i].value;
        }
    }
    return -1;
}

/* Samples of one family. */
static size_t
samples_of(const prom *p, const char *name)
{
    size_t n = 0;

    for (size_t i = 0; i < p->n; i++) {
        n += strcmp(p->samples[i].family, name) == 0;
    }
    return n;
}

/* ---- helpers ---- */

static prom
read_metrics(const char *path)
{
    char *text = tu_file_read(path, NULL);
    prom p;

    assert_non_null(text);
    p = prom_parse(text);
    free(text);
    return p;
}

/* An sslplug server counting into `path` with extra config members; the host is freed. */
static SSL_CTX *
metered_server(const char *path, const char *context_extra, const char *config_extra)
{
    char *context = NULL;
    SSL_CTX *ctx;

    assert_true(asprintf(&context, "%s%s", TU_SERVER_CONTEXT, context_extra) >= 0);
    ctx = tu_ctx_entry(NULL, context, "info",
                       "{\"plugin\": \"info_metrics\", \"config\": {\"path\": \"%s\"%s}}", path,
                       config_extra);
    free(context);
    return ctx;
}

/* A plain client trusting pki/<ca>. */
static SSL_CTX *
client_trusting(const char *ca)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_load_verify_file(ctx, tu_pki(ca)), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

static int
handshake(SSL_CTX *server, SSL_CTX *client)
{
    sslplug_pair pair;
    int ok = tu_handshake(server, client, &pair);

    sslplug_pair_cleanup(&pair);
    return ok;
}

#define STARTED "sslplug_handshakes_started_total"
#define COMPLETED "sslplug_handshakes_completed_total"
#define FAILED "sslplug_handshakes_failed_total"
#define ALERTS "sslplug_alerts_total"

/* ---- counts ---- */

static void
test_info_metrics_counts_written_at_fini(void **state)
{
    char *dir = tu_tmpdir();
    char *path = tu_path_join(dir, "tls.prom");
    SSL_CTX *server = metered_server(path, "", ", \"name\": \"edge\"");
    SSL_CTX *good = client_trusting("ca.crt");
    SSL_CTX *bad = client_trusting("other-ca.crt");
    char *listing = NULL;
    prom p;

    (void)state;
    /* Init writes zeros at once, so the series exist before the first handshake. */
    p = read_metrics(path);
    assert_true(value_of(&p, STARTED "{entry=\"edge\"}") == 0);
    assert_int_equal(samples_of(&p, ALERTS), 0);
    prom_free(&p);

    for (int i = 0; i < 3; i++) {
        assert_int_equal(handshake(server, good), 1);
    }
    /* The client does not trust the server's CA: it sends a fatal unknown_ca alert. */
    assert_int_equal(handshake(server, bad), 0);
    SSL_CTX_free(server); /* the last context of the entry: fini writes the final counts */

    p = read_metrics(path);
    assert_int_equal(p.n, 4);
    assert_int_equal(p.nf, 4);
    assert_true(value_of(&p, STARTED "{entry=\"edge\"}") == 4);
    assert_true(value_of(&p, COMPLETED "{entry=\"edge\"}") == 3);
    assert_true(value_of(&p, FAILED "{entry=\"edge\"}") == 1);
    assert_true(value_of(&p, ALERTS "{entry=\"edge\",description=\"unknown_ca\"}") == 1);
    prom_free(&p);
    /* Every write was a temporary file renamed over the target: none is left. */
    assert_int_equal(tu_run(&listing, "ls -A %s", dir), 0);
    assert_string_equal(listing, "tls.prom\n");

    SSL_CTX_free(good);
    SSL_CTX_free(bad);
    free(listing);
    free(path);
    tu_rmtree(dir);
}

/* The side that sends the alert counts the failure too; the entry label defaults to "default". */
static void
test_info_metrics_client_counts_alert_it_sends(void **state)
{
    char *dir = tu_tmpdir();
    char *path = tu_path_join(dir, "client.prom");
    SSL_CTX *client =
        tu_ctx_entry(NULL, TU_CLIENT_CONTEXT, "info",
                     "{\"plugin\": \"info_metrics\", \"config\": {\"path\": \"%s\"}}", path);
    SSL_CTX *good = tu_plain_server(0);
    SSL_CTX *rogue = SSL_CTX_new(TLS_server_method());
    prom p;

    (void)state;
    assert_non_null(rogue);
    tu_ctx_use_cert(rogue, "rogue");
    assert_int_equal(handshake(good, client), 1);
    assert_int_equal(handshake(rogue, client), 0);
    assert_int_equal(handshake(rogue, client), 0);
    SSL_CTX_free(client);

    p = read_metrics(path);
    assert_true(value_of(&p, STARTED "{entry=\"default\"}") == 3);
    assert_true(value_of(&p, COMPLETED "{entry=\"default\"}") == 1);
    assert_true(value_of(&p, FAILED "{entry=\"default\"}") == 2);
    assert_true(value_of(&p, ALERTS "{entry=\"default\",description=\"unknown_ca\"}") == 2);
    assert_int_equal(samples_of(&p, ALERTS), 1);
    prom_free(&p);

    SSL_CTX_free(good);
    SSL_CTX_free(rogue);
    free(path);
    tu_rmtree(dir);
}

/* A server requiring a certificate the client does not have: the server's alert, counted there. */
static void
test_info_metrics_server_counts_alert_it_sends(void **state)
{
    char *dir = tu_tmpdir();
    char *path = tu_path_join(dir, "tls.prom");
    SSL_CTX *server =
        metered_server(path, ", \"ca_file\": \"pki/ca.crt\", \"verify\": \"require\"", "");
    SSL_CTX *client = client_trusting("ca.crt");
    prom p;

    (void)state;
    assert_int_equal(handshake(server, client), 0);
    SSL_CTX_free(server);

    p = read_metrics(path);
    assert_true(value_of(&p, STARTED "{entry=\"default\"}") == 1);
    assert_true(value_of(&p, COMPLETED "{entry=\"default\"}") == 0);
    assert_true(value_of(&p, FAILED "{entry=\"default\"}") == 1);
    assert_true(value_of(&p, ALERTS "{entry=\"default\",description=\"certificate_required\"}") ==
                1);
    prom_free(&p);

    SSL_CTX_free(client);
    free(path);
    tu_rmtree(dir);
}

/* Each entry counts for itself, under its own name. */
static void
test_info_metrics_entries_count_separately(void **state)
{
    char *dir = tu_tmpdir();
    char *one = tu_path_join(dir, "one.prom");
    char *two = tu_path_join(dir, "two.prom");
    SSL_CTX *first = tu_ctx_entry(NULL, TU_SERVER_CONTEXT, "info",
                                  "[{\"plugin\": \"info_metrics\", "
                                  "\"config\": {\"path\": \"%s\", \"name\": \"one\"}}, "
                                  "{\"plugin\": \"info_metrics\", "
                                  "\"config\": {\"path\": \"%s\", \"name\": \"two\"}}]",
                                  one, two);
    SSL_CTX *client = client_trusting("ca.crt");
    prom p;

    (void)state;
    assert_int_equal(handshake(first, client), 1);
    assert_int_equal(handshake(first, client), 1);
    SSL_CTX_free(first);

    p = read_metrics(one);
    assert_true(value_of(&p, STARTED "{entry=\"one\"}") == 2);
    assert_true(value_of(&p, STARTED "{entry=\"two\"}") == -1);
    prom_free(&p);
    p = read_metrics(two);
    assert_true(value_of(&p, COMPLETED "{entry=\"two\"}") == 2);
    prom_free(&p);

    SSL_CTX_free(client);
    free(one);
    free(two);
    tu_rmtree(dir);
}

static void
test_info_metrics_entry_label_is_escaped(void **state)
{
    char *dir = tu_tmpdir();
    char *path = tu_path_join(dir, "tls.prom");
    SSL_CTX *server = metered_server(path, "", ", \"name\": \"a \\\"quoted\\\" \\\\ name\\n\"");
    prom p;

    (void)state;
    SSL_CTX_free(server);
    /* prom_parse fails on a label value with a raw quote, newline or unknown escape. */
    p = read_metrics(path);
    assert_true(value_of(&p, STARTED "{entry=\"a \\\"quoted\\\" \\\\ name\\n\"}") == 0);
    prom_free(&p);
    free(path);
    tu_rmtree(dir);
}

/* ---- the periodic write ---- */

static void
test_info_metrics_interval_write_without_fini(void **state)
{
    char *dir = tu_tmpdir();
    char *path = tu_path_join(dir, "tls.prom");
    SSL_CTX *server = metered_server(path, "", ", \"interval_s\": 1");
    SSL_CTX *client = client_trusting("ca.crt");
    char *listing = NULL;
    double started = 0;

    (void)state;
    assert_int_equal(handshake(server, client), 1);
    assert_int_equal(handshake(server, client), 1);
    /* Not a speed test: wait (up to a minute) for the writer thread to catch up. */
    for (int i = 0; i < 600 && started != 2; i++) {
        struct timespec pause = {0, 100 * 1000 * 1000};
        prom p = read_metrics(path);

        started = value_of(&p, STARTED "{entry=\"default\"}");
        prom_free(&p);
        if (started != 2) {
            nanosleep(&pause, NULL);
        }
    }
    assert_true(started == 2);
    SSL_CTX_free(server);
    assert_int_equal(tu_run(&listing, "ls -A %s", dir), 0);
    assert_string_equal(listing, "tls.prom\n");

    SSL_CTX_free(client);
    free(listing);
    free(path);
    tu_rmtree(dir);
}

/* ---- config errors ---- */

static void
expect_init_error(const char *config, const char *pointer, const char *fragment)
{
    tu_init_assert_error("\"role\": \"client\"", "info", "info_metrics", config, pointer, fragment);
}

static void
test_info_metrics_config_errors(void **state)
{
    char *dir = tu_tmpdir();
    char *ok = NULL, *missing = NULL, *c = NULL;
    static const struct {
        const char *extra, *pointer, *fragment;
    } cases[] = {
        {", \"interval_s\": 0", "/callbacks/info/config/interval_s",
         "out of range: expected 1..86400, found 0"},
        {", \"interval_s\": 86401", "/callbacks/info/config/interval_s",
         "out of range: expected 1..86400, found 86401"},
        {", \"interval_s\": \"15\"", "/callbacks/info/config/interval_s",
         "wrong type: expected integer, found string"},
        {", \"name\": \"\"", "/callbacks/info/config/name", "empty string"},
        {", \"name\": 7", "/callbacks/info/config/name",
         "wrong type: expected string, found integer"},
        {", \"labels\": {}", "/callbacks/info/config/labels",
         "unknown key \"labels\": expected one of \"path\", \"interval_s\", \"name\""},
    };

    (void)state;
    expect_init_error("{}", "/callbacks/info/config/path", "required key \"path\" is missing");
    expect_init_error("{\"path\": true}", "/callbacks/info/config/path",
                      "wrong type: expected string, found boolean");
    expect_init_error("{\"path\": \"\"}", "/callbacks/info/config/path", "empty string");
    assert_true(asprintf(&missing, "{\"path\": \"%s/no/such/dir/tls.prom\"}", dir) >= 0);
    expect_init_error(missing, "/callbacks/info/config/path",
                      "/no/such/dir/tls.prom: No such file or directory");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_true(asprintf(&c, "{\"path\": \"%s/tls.prom\"%s}", dir, cases[i].extra) >= 0);
        expect_init_error(c, cases[i].pointer, cases[i].fragment);
        free(c);
    }
    /* A failed init starts no thread and leaves no file. */
    assert_true(asprintf(&ok, "%s/tls.prom", dir) >= 0);
    assert_null(tu_file_read(ok, NULL));
    free(ok);
    free(missing);
    tu_rmtree(dir);
}

/*
 * A write that fails after its temporary file was made (here the rename,
 * over a directory) reports why and leaves no temporary file behind.
 */
static void
test_info_metrics_failed_write_leaves_no_temporary_file(void **state)
{
    char *dir = tu_tmpdir();
    char *target = NULL, *config = NULL, *left = NULL;

    (void)state;
    assert_true(asprintf(&target, "%s/tls.prom", dir) >= 0);
    assert_int_equal(mkdir(target, 0755), 0);
    assert_true(asprintf(&config, "{\"path\": \"%s\"}", target) >= 0);
    expect_init_error(config, "/callbacks/info/config/path", "tls.prom: Is a directory");
    assert_int_equal(tu_run(&left, "ls -A %s", dir), 0);
    assert_string_equal(left, "tls.prom\n");
    free(left);
    free(config);
    free(target);
    tu_rmtree(dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_metrics_counts_written_at_fini),
        cmocka_unit_test(test_info_metrics_client_counts_alert_it_sends),
        cmocka_unit_test(test_info_metrics_server_counts_alert_it_sends),
        cmocka_unit_test(test_info_metrics_entries_count_separately),
        cmocka_unit_test(test_info_metrics_entry_label_is_escaped),
        cmocka_unit_test(test_info_metrics_interval_write_without_fini),
        cmocka_unit_test(test_info_metrics_config_errors),
        cmocka_unit_test(test_info_metrics_failed_write_leaves_no_temporary_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
