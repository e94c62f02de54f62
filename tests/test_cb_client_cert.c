/*
 * The client_cert trampoline under threads: the pair it remembers as
 * matching is read without a lock by every connection and replaced when a
 * plugin hands out another, so four threads shaking hands on one shared
 * client context must each get what a single thread would: every matching
 * pair sent, no mismatching one.  cc_alternate alternates between two pairs
 * (a shared call count, serialised by the host: it is not marked
 * thread-safe), which makes the remembered pair change on every call.
 * Run under ThreadSanitizer and AddressSanitizer, this is what checks the
 * lock-free read (a stale pointer compared after its object was freed).
 */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 4

/* valgrind is ~50x slower: CI's valgrind pass sets this to keep the test bounded. */
static int
rounds(void)
{
    return getenv("SSLPLUG_TEST_SLOW") != NULL ? 5 : 60;
}

typedef struct shared {
    SSL_CTX *server;
    SSL_CTX *client;
    atomic_int sent;     /* handshakes in which the server got the client certificate */
    atomic_int refused;  /* handshakes that failed: no certificate sent */
    atomic_int wrong;    /* a completed handshake without the certificate: never */
    atomic_int mismatch; /* trampoline calls traced as refusing a mismatching pair */
} shared;

static void
count_mismatches(const sslplug_trace_event *ev, void *arg)
{
    shared *sh = arg;

    if (strstr(ev->detail, "the key does not match the certificate") != NULL) {
        atomic_fetch_add(&sh->mismatch, 1);
    }
}

static void *
worker(void *arg)
{
    shared *sh = arg;

    for (int i = 0; i < rounds(); i++) {
        sslplug_pair pair;

        if (!sslplug_pair_init(&pair, sh->server, sh->client, "localhost")) {
            atomic_fetch_add(&sh->wrong, 1);
            continue;
        }
        if (!sslplug_pair_handshake(&pair)) {
            atomic_fetch_add(&sh->refused, 1);
        } else if (SSL_get0_peer_certificate(pair.server) != NULL) {
            atomic_fetch_add(&sh->sent, 1);
        } else {
            atomic_fetch_add(&sh->wrong, 1);
        }
        sslplug_pair_cleanup(&pair);
    }
    return NULL;
}

/* THREADS threads, rounds() handshakes each, on one client context of cc_alternate(key, other). */
static void
run_threads(shared *sh, const char *other_key)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\": \"pki/ca.crt\"},"
        " \"callbacks\": {\"client_cert\": {\"plugin\": \"%s\", \"config\": {\"cert\": \"%s\","
        " \"key\": \"%s\", \"bad_key\": \"%s\"}}}}",
        tu_test_plugin("cc_alternate"), tu_pki("client.crt"), tu_pki("client.key"),
        tu_pki(other_key));
    pthread_t tids[THREADS];

    sslplug_host_set_trace(host, count_mismatches, sh);
    sh->server = tu_plain_server(1);
    sh->client = tu_ctx(host);
    sslplug_host_free(host);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_create(&tids[i], NULL, worker, sh), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(tids[i], NULL), 0);
    }
    SSL_CTX_free(sh->client);
    SSL_CTX_free(sh->server);
    print_message("%d sent, %d refused, %d wrong, %d mismatches traced\n", atomic_load(&sh->sent),
                  atomic_load(&sh->refused), atomic_load(&sh->wrong), atomic_load(&sh->mismatch));
}

/* Two matching pairs, different objects: every call replaces the remembered pair; all are sent. */
static void
test_cb_client_cert_two_matching_pairs_under_threads(void **state)
{
    shared sh = {0};

    (void)state;
    /* The same key file read twice: two EVP_PKEY objects, both matching the certificate. */
    run_threads(&sh, "client.key");
    assert_int_equal(atomic_load(&sh.sent), THREADS * rounds());
    assert_int_equal(atomic_load(&sh.refused) + atomic_load(&sh.wrong), 0);
    assert_int_equal(atomic_load(&sh.mismatch), 0);
}

/* A matching pair and a mismatching one in turn: exactly the matching half is sent. */
static void
test_cb_client_cert_mismatch_never_sent_under_threads(void **state)
{
    shared sh = {0};

    (void)state;
    run_threads(&sh, "rogue.key");
    assert_int_equal(atomic_load(&sh.sent), THREADS * rounds() / 2);
    assert_int_equal(atomic_load(&sh.refused), THREADS * rounds() / 2);
    assert_int_equal(atomic_load(&sh.wrong), 0);
    /* Each mismatching pair was checked, none taken for the remembered one. */
    assert_int_equal(atomic_load(&sh.mismatch), THREADS * rounds() / 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cb_client_cert_two_matching_pairs_under_threads),
        cmocka_unit_test(test_cb_client_cert_mismatch_never_sent_under_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
