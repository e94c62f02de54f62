/*
 * alpn_map: the application protocol by SNI name, in real handshakes.
 */
#define _GNU_SOURCE /* open_memstream */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAP                                                                                        \
    "{\"plugin\": \"alpn_map\", \"config\": {\"names\": {\"Alt.Example.\": [\"h2\"],"              \
    " \"*.legacy.example\": [\"http/1.1\"]}, \"default\": [\"h2\", \"http/1.1\"]%s}}"

static SSL_CTX *
map_server(const char *extra)
{
    return tu_ctx_entry(NULL, TU_SERVER_CONTEXT, "alpn", MAP, extra);
}

/* The protocol agreed for name ("" for none), NULL when the handshake failed. */
static char *
agreed(SSL_CTX *server, const char *name, const char *wire, unsigned len)
{
    SSL_CTX *client = tu_plain_client(0);
    char *out;

    assert_int_equal(SSL_CTX_set_alpn_protos(client, (const unsigned char *)wire, len), 0);
    out = tu_alpn_agreed(server, client, name);
    SSL_CTX_free(client);
    return out;
}

static void
expect(SSL_CTX *server, const char *name, const char *wire, unsigned len, const char *proto)
{
    char *got = agreed(server, name, wire, len);

    if (proto == NULL) {
        assert_null(got);
        return;
    }
    if (got == NULL || strcmp(got, proto) != 0) {
        print_error("name %s: agreed %s, expected %s\n", name, got != NULL ? got : "(failed)",
                    proto);
    }
    assert_non_null(got);
    assert_string_equal(got, proto);
    free(got);
}

static void
test_plugin_alpn_map_by_name(void **state)
{
    SSL_CTX *server = map_server("");

    (void)state;
    /* The client prefers http/1.1; the map's order decides. */
    expect(server, "alt.example", "\x08http/1.1\x02h2", 12, "h2");
    expect(server, "ALT.example", "\x08http/1.1\x02h2", 12, "h2");
    expect(server, "old.legacy.example", "\x02h2\x08http/1.1", 12, "http/1.1");
    /* Another name: the default, in its order. */
    expect(server, "localhost", "\x08http/1.1\x02h2", 12, "h2");
    /* Only a protocol the name does not serve: rejected by default. */
    expect(server, "old.legacy.example", "\x02h2", 3, NULL);
    SSL_CTX_free(server);
}

static void
test_plugin_alpn_map_mismatch_none(void **state)
{
    SSL_CTX *server = map_server(", \"mismatch\": \"none\"");

    (void)state;
    expect(server, "old.legacy.example", "\x02h2", 3, "");
    SSL_CTX_free(server);
}

#define EXACT 3072 /* nNNNN.many.example: ["eNNNN"] */
#define WILD 1024  /* *.wNNNN.many.example: ["wNNNN"] */

/* Every pattern its own protocol, so a handshake tells which pattern matched. */
static SSL_CTX *
many_server(void)
{
    char *entry = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&entry, &len);
    SSL_CTX *server;

    assert_non_null(f);
    fputs("{\"plugin\": \"alpn_map\", \"config\": {\"default\": [\"dflt\"], \"names\": {", f);
    for (int i = 0; i < EXACT; i++) {
        fprintf(f, "\"n%04d.many.example\": [\"e%04d\"], ", i, i);
    }
    for (int i = 0; i < WILD; i++) {
        fprintf(f, "\"*.w%04d.many.example\": [\"w%04d\"], ", i, i);
    }
    fputs("\"*.both1.example\": [\"wild1\"], \"www.both1.example\": [\"exact1\"], "
          "\"www.both2.example\": [\"exact2\"], \"*.both2.example\": [\"wild2\"]}}}",
          f);
    assert_int_equal(fclose(f), 0);
    server = tu_ctx_entry(NULL, TU_SERVER_CONTEXT, "alpn", "%s", entry);
    free(entry);
    return server;
}

/*
 * The client offers proto and "dflt": a name routed to any other pattern
 * fails the handshake ("mismatch": "reject"), one routed to none gets dflt.
 */
static void
expect_route(SSL_CTX *server, const char *name, const char *proto)
{
    char wire[64];
    size_t n = strlen(proto);

    assert_true(n < 32);
    wire[0] = (char)n;
    memcpy(wire + 1, proto, n);
    memcpy(wire + 1 + n,
           "\x04"
           "dflt",
           5);
    expect(server, name, wire, (unsigned)(n + 6), proto);
}

static void
test_plugin_alpn_map_among_thousands(void **state)
{
    static const int exact[] = {0, 1, 2, 1000, 2047, 3070, 3071};
    static const int wild[] = {0, 1, 511, 1022, 1023};
    SSL_CTX *server = many_server();
    char name[64], proto[16];

    (void)state;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        snprintf(name, sizeof(name), "n%04d.many.example", exact[i]);
        snprintf(proto, sizeof(proto), "e%04d", exact[i]);
        expect_route(server, name, proto);
    }
    for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
        snprintf(name, sizeof(name), "x.w%04d.many.example", wild[i]);
        snprintf(proto, sizeof(proto), "w%04d", wild[i]);
        expect_route(server, name, proto);
    }
    expect_route(server, "N0042.MANY.example.", "e0042");
    expect_route(server, "Abc.W0042.many.example", "w0042");
    /* One label more only: neither the bare parent nor two labels; nothing else matches. */
    expect_route(server, "w0042.many.example", "dflt");
    expect_route(server, "a.b.w0042.many.example", "dflt");
    expect_route(server, "n3072.many.example", "dflt");
    expect_route(server, "x.n0001.many.example", "dflt");
    SSL_CTX_free(server);
}

/* An exact pattern wins over a "*." one over it, before or after it in the object. */
static void
test_plugin_alpn_map_exact_beats_wildcard(void **state)
{
    SSL_CTX *server = many_server();

    (void)state;
    expect_route(server, "www.both1.example", "exact1");
    expect_route(server, "api.both1.example", "wild1");
    expect_route(server, "www.both2.example", "exact2");
    expect_route(server, "api.both2.example", "wild2");
    SSL_CTX_free(server);
}

static void
test_plugin_alpn_map_config_errors(void **state)
{
    (void)state;
    tu_init_assert_error(TU_SERVER_CONTEXT, "alpn", "alpn_map",
                         "{\"names\": {\"bad..name\": [\"h2\"]}}",
                         "/callbacks/alpn/config/names/bad..name", "not a host name");
    tu_init_assert_error(TU_SERVER_CONTEXT, "alpn", "alpn_map", "{\"names\": {\"a.example\": []}}",
                         "/callbacks/alpn/config/names/a.example", "non-empty array");
    tu_init_assert_error(TU_SERVER_CONTEXT, "alpn", "alpn_map", "{\"default\": [\"\"]}",
                         "/callbacks/alpn/config/default", "1 to 255 bytes");
    tu_init_assert_error(TU_SERVER_CONTEXT, "alpn", "alpn_map", "{\"mismatch\": \"maybe\"}",
                         "/callbacks/alpn/config/mismatch", NULL);
    /* One pattern in two spellings: refused at the second. */
    tu_init_assert_error(TU_SERVER_CONTEXT, "alpn", "alpn_map",
                         "{\"names\": {\"Alt.Example.\": [\"h2\"], \"b.example\": [\"h2\"], "
                         "\"alt.example\": [\"http/1.1\"]}}",
                         "/callbacks/alpn/config/names/alt.example", "given twice");
    tu_init_assert_error(TU_SERVER_CONTEXT, "alpn", "alpn_map",
                         "{\"names\": {\"*.x.example\": [\"h2\"], \"*.X.Example\": [\"h2\"]}}",
                         "/callbacks/alpn/config/names/*.X.Example", "given twice");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_alpn_map_by_name),
        cmocka_unit_test(test_plugin_alpn_map_mismatch_none),
        cmocka_unit_test(test_plugin_alpn_map_among_thousands),
        cmocka_unit_test(test_plugin_alpn_map_exact_beats_wildcard),
        cmocka_unit_test(test_plugin_alpn_map_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
