/*
 * ticket_keys (ABI 1.4) through real handshakes, TLS 1.2 and 1.3: two
 * contexts with the same keys resume each other's tickets; the first key
 * encrypts, the others only decrypt and renew; a ticket whose key left the
 * list is a full handshake; no keys, or a failing source, cost the ticket
 * and never the handshake; the trace shows key names, never keys; and a
 * raw callback with OpenSSL's signature binds as it is.  The keys come
 * from tk_list, which reads its list of labels on every call.
 */
#define _GNU_SOURCE /* asprintf */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

static const char *const protocols[] = {"TLSv1.2", "TLSv1.3"};

typedef struct fixture {
    char *dir;
    char *list; /* tk_list's labels */
} fixture;

static int
setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->dir = tu_tmpdir();
    f->list = tu_write(f->dir, "keys.txt", "", 0600);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fixture *f = *state;

    free(f->list);
    tu_rmtree(f->dir);
    free(f);
    return 0;
}

static void
set_keys(const fixture *f, const char *labels)
{
    free(tu_write(f->dir, "keys.txt", labels, 0600));
}

/* What tk_list derives from a label: SHA-256 of "<what>:<label>". */
static void
derived(const char *what, const char *label, unsigned char out[32])
{
    char text[64];

    snprintf(text, sizeof(text), "%s:%s", what, label);
    SHA256((const unsigned char *)text, strlen(text), out);
}

static void
hex(const unsigned char *bytes, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        sprintf(out + 2 * i, "%02x", bytes[i]);
    }
}

static SSL_CTX *
server(tu_report *rep, const fixture *f, const char *protocol, const char *entry_extra)
{
    sslplug_host *host =
        tu_host("{\"version\": 1, \"context\": {%s, \"max_protocol\": \"%s\"},"
                " \"callbacks\": {\"ticket_keys\": {\"plugin\": \"%s\"%s}}}",
                TU_SERVER_CONTEXT, protocol, tu_test_plugin("tk_list"), entry_extra);
    SSL_CTX *ctx;

    (void)f;
    tu_report_attach(host, rep);
    ctx = tu_ctx(host);
    sslplug_host_free(host);
    return ctx;
}

static SSL_CTX *
abi_server(tu_report *rep, const fixture *f, const char *protocol, int key_len)
{
    char *extra = NULL;
    SSL_CTX *ctx;

    assert_true(asprintf(&extra, ", \"config\": {\"path\": \"%s\", \"key_len\": %d}", f->list,
                         key_len) > 0);
    ctx = server(rep, f, protocol, extra);
    free(extra);
    return ctx;
}

/* One connection offering resume; *out gets the client's session. 1 if resumed. */
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

/* The session's ticket was made under the key of label. */
static void
assert_ticket_under(const SSL_SESSION *sess, const char *label)
{
    const unsigned char *tick = NULL;
    unsigned char name[32];
    size_t len = 0;

    derived("name", label, name);
    SSL_SESSION_get0_ticket(sess, &tick, &len);
    assert_true(len > 16);
    assert_memory_equal(tick, name, 16);
}

/*
 * k1's ticket made on a resumes on b after rotation to [k2, k1] and comes
 * back under k2; after [k3, k2] it is refused (a full handshake) while the
 * renewed one resumes.
 */
static void
test_ticket_keys_rotation(void **state)
{
    fixture *f = *state;

    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0}, rb = {0};
        SSL_CTX *a = abi_server(&ra, f, protocols[i], 32),
                *b = abi_server(&rb, f, protocols[i], 32);
        SSL_CTX *cl = tu_plain_client(1);
        SSL_SESSION *s1 = NULL, *s2 = NULL;

        set_keys(f, "k1\n");
        assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
        assert_ticket_under(s1, "k1");
        set_keys(f, "k2\nk1\n");
        assert_int_equal(connect_once(b, cl, s1, &s2), 1);
        assert_ticket_under(s2, "k2");
        assert_int_equal(tu_trace_has(&rb.trace, "-> 2: renewed under the first key"), 1);
        set_keys(f, "k3\nk2\n");
        assert_int_equal(connect_once(a, cl, s1, NULL), 0);
        assert_true(tu_trace_has(&ra.trace, "-> 0: no such key, full handshake") >= 1);
        assert_int_equal(connect_once(b, cl, s2, NULL), 1);
        SSL_SESSION_free(s1);
        SSL_SESSION_free(s2);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
        tu_report_free(&rb);
    }
}

/* 48-byte nginx keys: AES-128 and a 16-byte HMAC key. */
static void
test_ticket_keys_short_keys(void **state)
{
    fixture *f = *state;

    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0}, rb = {0};
        SSL_CTX *a = abi_server(&ra, f, protocols[i], 16),
                *b = abi_server(&rb, f, protocols[i], 16);
        SSL_CTX *cl = tu_plain_client(1);
        SSL_SESSION *s1 = NULL;

        set_keys(f, "short\n");
        assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
        assert_int_equal(connect_once(b, cl, s1, NULL), 1);
        SSL_SESSION_free(s1);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
        tu_report_free(&rb);
    }
}

/* No keys, a failing source or an unusable key: no ticket, and the handshake still succeeds. */
static void
test_ticket_keys_none_costs_only_the_ticket(void **state)
{
    static const char *const lists[] = {"", "fail\n"};
    fixture *f = *state;

    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 2; k++) {
            tu_report ra = {0};
            SSL_CTX *a = abi_server(&ra, f, protocols[i], 32);
            SSL_CTX *cl = tu_plain_client(1);
            SSL_SESSION *s1 = NULL;

            set_keys(f, lists[k]);
            assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
            assert_int_equal(SSL_SESSION_has_ticket(s1), 0);
            assert_true(tu_trace_has(&ra.trace, "encrypt key=(none) (0 keys, first (none)) -> 0: "
                                                "no keys") >= 1);
            assert_int_equal(connect_once(a, cl, s1, NULL), 0);
            SSL_SESSION_free(s1);
            SSL_CTX_free(a);
            SSL_CTX_free(cl);
            tu_report_free(&ra);
        }
    }
    {
        tu_report ra = {0};
        SSL_CTX *a = abi_server(&ra, f, "TLSv1.3", 24);
        SSL_CTX *cl = tu_plain_client(1);
        SSL_SESSION *s1 = NULL;

        set_keys(f, "odd\n");
        assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
        assert_true(tu_trace_has(&ra.trace, "the first key is unusable, no ticket") >= 1);
        SSL_SESSION_free(s1);
        SSL_CTX_free(a);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
    }
}

/* The trace names the keys and shows no key material. */
static void
test_ticket_keys_trace_shows_names_only(void **state)
{
    fixture *f = *state;
    tu_report ra = {0};
    SSL_CTX *a = abi_server(&ra, f, "TLSv1.2", 32);
    SSL_CTX *cl = tu_plain_client(1);
    SSL_SESSION *s1 = NULL;
    unsigned char bytes[32];
    char text[65];

    set_keys(f, "k1\n");
    assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
    derived("name", "k1", bytes);
    hex(bytes, 16, text);
    assert_true(tu_trace_has(&ra.trace, text) >= 1);
    derived("aes", "k1", bytes);
    hex(bytes, 32, text);
    assert_int_equal(tu_trace_has(&ra.trace, text), 0);
    hex(bytes, 8, text);
    assert_int_equal(tu_trace_has(&ra.trace, text), 0);
    derived("hmac", "k1", bytes);
    hex(bytes, 8, text);
    assert_int_equal(tu_trace_has(&ra.trace, text), 0);
    SSL_SESSION_free(s1);
    SSL_CTX_free(a);
    SSL_CTX_free(cl);
    tu_report_free(&ra);
}

/* A raw key callback (OpenSSL's signature) shared by two contexts. */
static void
test_ticket_keys_raw(void **state)
{
    fixture *f = *state;

    for (size_t i = 0; i < 2; i++) {
        tu_report ra = {0}, rb = {0};
        SSL_CTX *a = server(&ra, f, protocols[i], ", \"symbol\": \"tk_raw\"");
        SSL_CTX *b = server(&rb, f, protocols[i], ", \"symbol\": \"tk_raw\"");
        SSL_CTX *cl = tu_plain_client(1);
        SSL_SESSION *s1 = NULL;

        assert_int_equal(connect_once(a, cl, NULL, &s1), 0);
        assert_ticket_under(s1, "raw");
        assert_int_equal(connect_once(b, cl, s1, NULL), 1);
        assert_true(tu_trace_has(&rb.trace, "decrypt key=") >= 1);
        SSL_SESSION_free(s1);
        SSL_CTX_free(a);
        SSL_CTX_free(b);
        SSL_CTX_free(cl);
        tu_report_free(&ra);
        tu_report_free(&rb);
    }
}

static void
test_ticket_keys_server_only(void **state)
{
    sslplug_error err;

    (void)state;
    assert_null(tu_host_try(&err,
                            "{\"version\": 1, \"context\": {" TU_CLIENT_CONTEXT "}, \"callbacks\":"
                            " {\"ticket_keys\": {\"plugin\": \"%s\"}}}",
                            tu_test_plugin("tk_list")));
    tu_error_assert(&err, SSLPLUG_E_CONFIG, "/callbacks/ticket_keys", "only called on a server");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ticket_keys_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_short_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_none_costs_only_the_ticket, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_trace_shows_names_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ticket_keys_server_only, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
