/*
 * servername_map: routes among thousands of patterns, exact names before
 * "*." ones, a wildcard matching exactly one label, and patterns given twice
 * in two spellings, through real handshakes.  Which context a connection
 * went to is read from the trace ("name=N -> 2: switch context=C").
 */
#define _GNU_SOURCE /* open_memstream */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXACT 3072  /* nNNNN.many.example */
#define WILD 1024   /* *.wNNNN.many.example */
#define CONTEXTS 31 /* c0 ... c30; prime, so neighbouring patterns differ */

static const char *
exact_context(int i)
{
    static char name[16];

    snprintf(name, sizeof(name), "c%d", i % CONTEXTS);
    return name;
}

static const char *
wild_context(int i)
{
    static char name[16];

    snprintf(name, sizeof(name), "c%d", (i * 7 + 3) % CONTEXTS);
    return name;
}

/*
 * The configuration: CONTEXTS named contexts, EXACT names and WILD "*."
 * patterns, and pairs of an exact name beside a wildcard over it in either
 * order: www.both1 (exact first) and www.both2 (wildcard first).
 */
static char *
many_config(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    fputs("{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT "}, \"contexts\": {", f);
    for (int i = 0; i < CONTEXTS; i++) {
        fprintf(f, "%s\"c%d\": {}", i > 0 ? ", " : "", i);
    }
    fputs("}, \"callbacks\": {\"servername\": {\"plugin\": \"servername_map\", \"config\": "
          "{\"unknown\": \"reject\", \"names\": {",
          f);
    for (int i = 0; i < EXACT; i++) {
        fprintf(f, "\"n%04d.many.example\": \"%s\", ", i, exact_context(i));
    }
    for (int i = 0; i < WILD; i++) {
        fprintf(f, "\"*.w%04d.many.example\": \"%s\", ", i, wild_context(i));
    }
    fputs("\"www.both1.example\": \"c1\", \"*.both1.example\": \"c2\", "
          "\"*.both2.example\": \"c3\", \"www.both2.example\": \"c4\", "
          "\"main.many.example\": \"\"}}}}}",
          f);
    assert_int_equal(fclose(f), 0);
    return text;
}

/*
 * A handshake for name (which the host traces as traced), routed to
 * context: a named context, "" for the main one, NULL for a rejection.
 */
static void
expect_route(SSL_CTX *server, const tu_report *rep, const char *name, const char *traced,
             const char *context)
{
    SSL_CTX *client = tu_plain_client(0);
    sslplug_pair pair;
    char needle[512];
    int before, ok;

    if (context == NULL) {
        snprintf(needle, sizeof(needle), ": name=%s -> 1: reject\n", traced);
    } else if (context[0] == '\0') {
        snprintf(needle, sizeof(needle), ": name=%s -> 0: accept\n", traced);
    } else {
        snprintf(needle, sizeof(needle), ": name=%s -> 2: switch context=%s\n", traced, context);
    }
    before = tu_trace_has(&rep->trace, needle);
    assert_int_equal(sslplug_pair_init(&pair, server, client, name), 1);
    ok = sslplug_pair_handshake(&pair);
    if (tu_trace_has(&rep->trace, needle) != before + 1 || ok != (context != NULL)) {
        print_error("name %s: expected \"%s\" (handshake %s); trace ends:\n%s\n", name, needle,
                    ok ? "completed" : "failed",
                    rep->trace.len > 400 ? rep->trace.text + rep->trace.len - 400
                                         : rep->trace.text);
    }
    assert_int_equal(tu_trace_has(&rep->trace, needle), before + 1);
    assert_int_equal(ok, context != NULL);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(client);
}

/* One server for the tests of the many patterns: building it is most of their cost. */
typedef struct many {
    tu_report rep;
    SSL_CTX *server;
} many;

static int
many_setup(void **state)
{
    many *m = calloc(1, sizeof(*m));
    char *config = many_config();
    sslplug_host *host;

    assert_non_null(m);
    *state = m;
    host = tu_host("%s", config);
    tu_report_attach(host, &m->rep);
    m->server = tu_ctx(host);
    sslplug_host_free(host);
    free(config);
    return 0;
}

static int
many_teardown(void **state)
{
    many *m = *state;

    if (m != NULL) {
        SSL_CTX_free(m->server);
        tu_report_free(&m->rep);
        free(m);
    }
    return 0;
}

static void
test_plugin_servername_map_among_thousands(void **state)
{
    static const int exact[] = {0, 1, 2, 30, 31, 1000, 1536, 2047, 3070, 3071};
    static const int wild[] = {0, 1, 511, 1022, 1023};
    const many *m = *state;
    SSL_CTX *server = m->server;
    const tu_report *rep = &m->rep;
    char name[128];

    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        snprintf(name, sizeof(name), "n%04d.many.example", exact[i]);
        expect_route(server, rep, name, name, exact_context(exact[i]));
    }
    for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        snprintf(name, sizeof(name), "x%d.w%04d.many.example", wild[i], wild[i]);
        expect_route(server, rep, name, name, wild_context(wild[i]));
    }
    /* Spelt another way: the host's form reaches the same pattern. */
    expect_route(server, rep, "N0042.Many.Example.", "n0042.many.example", exact_context(42));
    expect_route(server, rep, "A.W0042.MANY.example", "a.w0042.many.example", wild_context(42));
    /* "" is the main context; names no pattern knows are rejected ("unknown": "reject"). */
    expect_route(server, rep, "main.many.example", "main.many.example", "");
    expect_route(server, rep, "n3072.many.example", "n3072.many.example", NULL);
    expect_route(server, rep, "many.example", "many.example", NULL);
    expect_route(server, rep, "x.n0001.many.example", "x.n0001.many.example", NULL);
}

/* "*.wNNNN.many.example" matches one label more: not the bare parent, not two labels. */
static void
test_plugin_servername_map_wildcard_one_label(void **state)
{
    const many *m = *state;

    expect_route(m->server, &m->rep, "a.w0100.many.example", "a.w0100.many.example",
                 wild_context(100));
    expect_route(m->server, &m->rep, "w0100.many.example", "w0100.many.example", NULL);
    expect_route(m->server, &m->rep, "a.b.w0100.many.example", "a.b.w0100.many.example", NULL);
    expect_route(m->server, &m->rep, "b.a.w0100.many.example", "b.a.w0100.many.example", NULL);
}

/* An exact pattern wins over a "*." one over it, before or after it in the object. */
static void
test_plugin_servername_map_exact_beats_wildcard(void **state)
{
    const many *m = *state;

    expect_route(m->server, &m->rep, "www.both1.example", "www.both1.example", "c1");
    expect_route(m->server, &m->rep, "api.both1.example", "api.both1.example", "c2");
    expect_route(m->server, &m->rep, "www.both2.example", "www.both2.example", "c4");
    expect_route(m->server, &m->rep, "api.both2.example", "api.both2.example", "c3");
}

static void
expect_config_error(const char *names, const char *pointer, const char *fragment)
{
    char config[512];

    snprintf(config, sizeof(config), "{\"names\": {%s}}", names);
    tu_init_assert_error(TU_SERVER_CONTEXT, "servername", "servername_map", config, pointer,
                         fragment);
}

/* A pattern given twice in two spellings is refused at the second one; a bad one at /names. */
static void
test_plugin_servername_map_pattern_twice(void **state)
{
    (void)state;
    expect_config_error("\"a.example\": \"\", \"A.Example.\": \"\"",
                        "/callbacks/servername/config/names/A.Example.", "given twice");
    expect_config_error("\"*.Svc.local\": \"\", \"b.example\": \"\", \"*.svc.local.\": \"\"",
                        "/callbacks/servername/config/names/*.svc.local.", "given twice");
    expect_config_error("\"a..example\": \"\"", "/callbacks/servername/config/names",
                        "is not a host name");
}

/* A name and the wildcard over it are two patterns, not one given twice. */
static void
test_plugin_servername_map_name_and_wildcard_differ(void **state)
{
    tu_report rep = {0};
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {" TU_SERVER_CONTEXT "}, \"contexts\": {\"a\": {}, \"b\": "
        "{}}, \"callbacks\": {\"servername\": {\"plugin\": \"servername_map\", \"config\": "
        "{\"unknown\": \"reject\", \"names\": {\"x.example\": \"a\", \"*.x.example\": \"b\"}}}}}");
    SSL_CTX *server;

    (void)state;
    tu_report_attach(host, &rep);
    server = tu_ctx(host);
    sslplug_host_free(host);
    expect_route(server, &rep, "x.example", "x.example", "a");
    expect_route(server, &rep, "y.x.example", "y.x.example", "b");
    SSL_CTX_free(server);
    tu_report_free(&rep);
}

int
main(void)
{
    const struct CMUnitTest many_tests[] = {
        cmocka_unit_test(test_plugin_servername_map_among_thousands),
        cmocka_unit_test(test_plugin_servername_map_wildcard_one_label),
        cmocka_unit_test(test_plugin_servername_map_exact_beats_wildcard),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_servername_map_pattern_twice),
        cmocka_unit_test(test_plugin_servername_map_name_and_wildcard_differ),
    };
    int failed = cmocka_run_group_tests(many_tests, many_setup, many_teardown);

    return failed + cmocka_run_group_tests(tests, NULL, NULL);
}
