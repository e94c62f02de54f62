/*
 * ticket_keys_file: nginx's key files, through real handshakes.  The
 * layout is proven by opening a ticket here with OpenSSL's primitives and
 * nginx's offsets (80 bytes: name, HMAC, AES-256; 48 bytes: name, AES-128,
 * HMAC); a ticket under k1 resumes after rotation to [k2, k1] (a reload)
 * and comes back under k2, and is refused after [k3, k2]; files are held
 * to a private key's rules.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

typedef struct fixture {
    char *dir;
    char *conf;
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = tu_tmpdir();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;

    free(f->conf);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

/* A key file of len random bytes (80 or 48), mode; its bytes in out. */
static void
key_file(const fixture *f, const char *name, size_t len, unsigned mode, unsigned char *out)
{
    char *path = tu_write(f->dir, name, "", 0600);
    FILE *fp = fopen(path, "wb");

    assert_int_equal(RAND_bytes(out, (int)len), 1);
    assert_non_null(fp);
    assert_int_equal(fwrite(out, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(chmod(path, mode), 0);
    free(path);
}

/* The configuration (a file, so it can be reloaded) naming files, a JSON array's members. */
static sslplug_host *
host_of(fixture *f, const char *files, const char *protocol)
{
    char *json = NULL;
    sslplug_error err;
    sslplug_host *host;

    assert_true(asprintf(&json,
                         "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\":"
                         " \"%s\", \"private_key\": \"%s\", \"max_protocol\": \"%s\"},"
                         " \"callbacks\": {\"ticket_keys\": {\"plugin\": \"ticket_keys_file\","
                         " \"config\": {\"files\": [%s]}}}}",
                         tu_pki("server.crt"), tu_pki("server-plain.key"), protocol, files) > 0);
    free(f->conf);
    f->conf = tu_write(f->dir, "server.json", json, 0644);
    free(json);
    host = sslplug_host_load(f->conf, &err);
    if (host == NULL) {
        print_error("%s: %s\n", err.pointer, err.message);
    }
    assert_non_null(host);
    return host;
}

static int
connect_once(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *resume, SSL_SESSION **out)
{
    sslplug_pair pair;
    char byte;
    int reused;

    assert_int_equal(sslplug_pair_init(&pair, sctx, cctx, "localhost"), 1);
    if (resume != NULL) {
        assert_int_equal(SSL_set_session(pair.client, resume), 1);
    }
    assert_int_equal(sslplug_pair_handshake(&pair), 1);
    assert_int_equal(SSL_write(pair.server, "x", 1), 1);
    assert_int_equal(SSL_read(pair.client, &byte, 1), 1);
    reused = SSL_session_reused(pair.client);
    if (out != NULL) {
        *out = SSL_get1_session(pair.client);
    }
    SSL_set_shutdown(pair.client, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_set_shutdown(pair.server, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    sslplug_pair_cleanup(&pair);
    return reused;
}

/*
 * Open a ticket (key name, IV, ciphertext, HMAC-SHA256 of all before) with
 * nginx's offsets in the key file's bytes.
 */
static void
assert_ticket_opens(const SSL_SESSION *sess, const unsigned char *file, size_t file_len)
{
    const unsigned char *hmac_key = file + 16, *aes_key = file + 48, *tick = NULL;
    size_t key_len = 32, len = 0, ct_len;
    unsigned char mac[32], plain[4096];
    unsigned int mac_len = 0;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;

    if (file_len == 48) {
        aes_key = file + 16;
        hmac_key = file + 32;
        key_len = 16;
    }
    SSL_SESSION_get0_ticket(sess, &tick, &len);
    assert_true(len > 16 + 16 + 32);
    assert_memory_equal(tick, file, 16);
    assert_non_null(HMAC(EVP_sha256(), hmac_key, (int)key_len, tick, len - 32, mac, &mac_len));
    assert_memory_equal(mac, tick + len - 32, 32);
    ct_len = len - 16 - 16 - 32;
    assert_true(ct_len < sizeof(plain));
    assert_non_null(c);
    assert_int_equal(EVP_DecryptInit_ex(c, key_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc(),
                                        NULL, aes_key, tick + 16),
                     1);
    assert_int_equal(EVP_DecryptUpdate(c, plain, &n, tick + 32, (int)ct_len), 1);
    assert_int_equal(EVP_DecryptFinal_ex(c, plain + n, &fin), 1);
    /* The plaintext is the session's DER: a SEQUENCE. */
    assert_int_equal(plain[0], 0x30);
    EVP_CIPHER_CTX_free(c);
}

static void
check_layout(fixture *f, size_t len)
{
    static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};
    unsigned char k1[80];

    key_file(f, "k1.key", len, 0600, k1);
    for (size_t i = 0; i < 2; i++) {
        sslplug_host *host = host_of(f, "\"k1.key\"", protocols[i]);
        SSL_CTX *a = tu_ctx(host), *b = tu_ctx(host), *cl = tu_plain_client(1);
        SSL_SESSION *s1 = NULL;

        assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
        assert_ticket_opens(s1, k1, len);
        assert_int_equal(connect_once(b, cl, s1, NULL), 1);
        SSL_SESSION_free(s1);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(cl);
        sslplug_host_free(host);
    }
}

static void
test_ticket_keys_file_layout_80(void **state)
{
    check_layout(*state, 80);
}

static void
test_ticket_keys_file_layout_48(void **state)
{
    check_layout(*state, 48);
}

/* previous.key becomes a copy of current.key. */
static void
rotate(const fixture *f)
{
    char *current = tu_path_join(f->dir, "current.key");

    free(tu_file_copy(current, f->dir, "previous.key", 0600));
    free(current);
}

/*
 * [k1] -> [k2, k1]: resumed and renewed under k2; -> [k3, k2]: k1's ticket
 * is refused.  Rotation as an administrator does it: the configuration
 * keeps naming current.key and previous.key (an edited configuration is
 * another policy, whose session id context refuses every session), their
 * contents move, and the configuration is reloaded.
 */
static void
test_ticket_keys_file_rotation_on_reload(void **state)
{
    static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};
    fixture *f = *state;
    unsigned char k1[80], k2[80], k3[80];
    sslplug_error err;

    for (size_t i = 0; i < 2; i++) {
        sslplug_host *host;
        SSL_CTX *ctx, *cl = tu_plain_client(1);
        SSL_SESSION *s1 = NULL, *s2 = NULL;

        key_file(f, "current.key", 80, 0600, k1);
        key_file(f, "previous.key", 80, 0600, k3);
        host = host_of(f, "\"current.key\", \"previous.key\"", protocols[i]);
        ctx = tu_ctx(host);
        assert_int_equal(connect_once(ctx, cl, NULL, &s1), 0);
        assert_ticket_opens(s1, k1, 80);
        SSL_CTX_free(ctx);

        rotate(f);
        key_file(f, "current.key", 80, 0600, k2);
        assert_int_equal(sslplug_host_reload(host, &err), 1);
        ctx = tu_ctx(host);
        assert_int_equal(connect_once(ctx, cl, s1, &s2), 1);
        assert_ticket_opens(s2, k2, 80);
        SSL_CTX_free(ctx);

        rotate(f);
        key_file(f, "current.key", 80, 0600, k3);
        assert_int_equal(sslplug_host_reload(host, &err), 1);
        ctx = tu_ctx(host);
        assert_int_equal(connect_once(ctx, cl, s1, NULL), 0);
        assert_int_equal(connect_once(ctx, cl, s2, NULL), 1);
        SSL_SESSION_free(s1);
        SSL_SESSION_free(s2);
        SSL_CTX_free(ctx);
        SSL_CTX_free(cl);
        sslplug_host_free(host);
    }
}

/* A key file readable by others, of another size, or missing: refused at its pointer. */
static void
test_ticket_keys_file_refuses_bad_files(void **state)
{
    fixture *f = *state;
    unsigned char buf[80];
    char *files = NULL;

    key_file(f, "open.key", 80, 0644, buf);
    key_file(f, "short.key", 47, 0600, buf);
    key_file(f, "mid.key", 64, 0600, buf);
    key_file(f, "good.key", 80, 0600, buf);
    assert_true(
        asprintf(&files, "{\"files\": [\"%s/good.key\", \"%s/open.key\"]}", f->dir, f->dir) > 0);
    tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", files,
                         "/callbacks/ticket_keys/config/files/1", "is readable by others");
    free(files);
    assert_true(asprintf(&files, "{\"files\": [\"%s/short.key\"]}", f->dir) > 0);
    tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", files,
                         "/callbacks/ticket_keys/config/files/0", "holds 47 bytes");
    free(files);
    assert_true(asprintf(&files, "{\"files\": [\"%s/mid.key\"]}", f->dir) > 0);
    tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", files,
                         "/callbacks/ticket_keys/config/files/0", "expected 80 (AES-256) or 48");
    free(files);
    assert_true(
        asprintf(&files, "{\"files\": [\"%s/good.key\", \"%s/good.key\"]}", f->dir, f->dir) > 0);
    tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", files,
                         "/callbacks/ticket_keys/config/files/1", "has the name of /files/0");
    free(files);
    /* A directory others could put another key in; a FIFO in the key's place. */
    {
        char *sub = tu_path_join(f->dir, "shared"), *good = tu_path_join(f->dir, "good.key");
        char *fifo = NULL;

        assert_int_equal(mkdir(sub, 0700), 0);
        free(tu_file_copy(good, sub, "good.key", 0600));
        free(good);
        assert_int_equal(chmod(sub, 0775), 0);
        assert_true(asprintf(&files, "{\"files\": [\"%s/good.key\"]}", sub) > 0);
        tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", files,
                             "/callbacks/ticket_keys/config/files/0",
                             "is writable by group or others (mode 0775) without the sticky bit");
        free(files);
        assert_int_equal(chmod(sub, 0700), 0);
        assert_true(asprintf(&fifo, "%s/fifo.key", sub) > 0);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_true(asprintf(&files, "{\"files\": [\"%s\"]}", fifo) > 0);
        tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", files,
                             "/callbacks/ticket_keys/config/files/0", "is not a regular file");
        free(files);
        free(fifo);
        free(sub);
    }
    tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file",
                         "{\"files\": [\"/nonexistent/k.key\"]}",
                         "/callbacks/ticket_keys/config/files/0", "cannot open ticket key file");
    tu_init_assert_error(TU_SERVER_CONTEXT, "ticket_keys", "ticket_keys_file", "{\"files\": []}",
                         "/callbacks/ticket_keys/config/files", NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ticket_keys_file_layout_80, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_file_layout_48, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_file_rotation_on_reload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_file_refuses_bad_files, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
