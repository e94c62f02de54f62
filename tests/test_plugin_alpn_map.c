/*
 * alpn_map: the application protocol by SNI name, in real handshakes.
 */
#include "testutil.h"

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
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_alpn_map_by_name),
        cmocka_unit_test(test_plugin_alpn_map_mismatch_none),
        cmocka_unit_test(test_plugin_alpn_map_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
