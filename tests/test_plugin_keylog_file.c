/*
 * keylog_file: NSS key log lines of real handshakes, and the file rules
 * that keep the secrets to the owner.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static sslplug_host *
keylog_host(const char *path, const char *protocol)
{
    char *context = NULL;
    sslplug_host *host;

    assert_true(
        asprintf(&context,
                 "\"role\": \"client\", \"ca_file\": \"pki/ca.crt\", \"max_protocol\": \"%s\"",
                 protocol) >= 0);
    host = tu_host_entry(context, "keylog",
                         "{\"plugin\": \"keylog_file\", \"config\": {\"path\": \"%s\"}}", path);
    free(context);
    return host;
}

static void
test_plugin_keylog_file_writes_lines_with_client_random(void **state)
{
    static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        char *dir = tu_tmpdir(), *path = NULL, line[1024], hex[65];
        unsigned char random[32];
        sslplug_host *host;
        SSL_CTX *client, *server = tu_plain_server(0);
        sslplug_pair pair;
        struct stat st;
        FILE *f;
        int lines = 0;

        assert_true(asprintf(&path, "%s/keys.log", dir) >= 0);
        host = keylog_host(path, protocols[i]);
        client = tu_ctx(host);
        assert_int_equal(tu_handshake(server, client, &pair), 1);
        assert_int_equal(SSL_get_client_random(pair.client, random, sizeof(random)), 32);
        for (size_t k = 0; k < sizeof(random); k++) {
            snprintf(hex + 2 * k, 3, "%02x", random[k]);
        }
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        f = fopen(path, "r");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f) != NULL) {
            char label[64], field[128];

            assert_int_equal(sscanf(line, "%63s %127s", label, field), 2);
            assert_string_equal(field, hex);
            lines++;
        }
        fclose(f);
        /* TLS 1.2: CLIENT_RANDOM; TLS 1.3: five traffic and exporter secrets. */
        assert_int_equal(lines, i == 0 ? 1 : 5);
        sslplug_pair_cleanup(&pair);
        SSL_CTX_free(client);
        SSL_CTX_free(server);
        sslplug_host_free(host);
        free(path);
        tu_rmtree(dir);
    }
}

static void
expect_init_error(const char *path, const char *pointer, const char *words)
{
    sslplug_host *host = keylog_host(path, "TLSv1.3");

    tu_ctx_assert_error(host, SSLPLUG_E_PLUGIN_INIT, pointer, words);
    sslplug_host_free(host);
}

static void
test_plugin_keylog_file_refuses_unsafe_files(void **state)
{
    char *dir = tu_tmpdir(), *link = NULL;
    char *open_file = tu_write(dir, "open.log", "", 0644);

    (void)state;
    expect_init_error(open_file, "/callbacks/keylog/config/path", "open to group or others");
    assert_true(asprintf(&link, "%s/link.log", dir) >= 0);
    assert_int_equal(symlink(open_file, link), 0);
    expect_init_error(link, "/callbacks/keylog/config/path", "cannot open key log file");
    expect_init_error(dir, "/callbacks/keylog/config/path", "cannot open key log file");
    free(link);
    free(open_file);
    tu_rmtree(dir);
}

static void
test_plugin_keylog_file_config_errors(void **state)
{
    (void)state;
    tu_init_assert_error("\"role\": \"client\"", "keylog", "keylog_file", "{\"file\": \"x\"}",
                         "/callbacks/keylog/config/file", NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plugin_keylog_file_writes_lines_with_client_random),
        cmocka_unit_test(test_plugin_keylog_file_refuses_unsafe_files),
        cmocka_unit_test(test_plugin_keylog_file_config_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
