/*
 * Live reload and thread safety: contexts keep the generation they were
 * made with, a failed reload changes nothing, and eight threads doing real
 * handshakes with plugins of all four types while another thread reloads
 * between two plugin sets see no failure and no handshake that mixes
 * generations.  Plus: creating and freeing many contexts does not grow the
 * heap.
 */
#define _GNU_SOURCE /* asprintf, mallinfo2 */
#include "testutil.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 8
#define RELOADS 16
#define MAX_GENERATIONS (RELOADS + 2)

/* valgrind is ~50x slower: CI's valgrind pass sets this to keep the test bounded. */
static int
slow(void)
{
    return getenv("SSLPLUG_TEST_SLOW") != NULL;
}

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- configurations ---- */

static char *
server_json(int set_b)
{
    char *json = NULL;
    const char *rl = tu_test_plugin("rl_plugin");
    const char *pass = tu_pki("server.pass");

    if (!set_b) {
        assert_true(
            asprintf(&json,
                     "{\"version\": 1, \"context\": {\"role\": \"server\","
                     " \"certificate\": \"%s\", \"private_key\": \"%s\", \"ca_file\": \"%s\","
                     " \"verify\": \"require\"}, \"callbacks\": {"
                     " \"password\": {\"plugin\": \"password_file\", \"config\": {\"path\":"
                     " \"%s\"}},"
                     " \"verify\": {\"plugin\": \"verify_log\", \"config\": {\"level\":"
                     " \"debug\"}},"
                     " \"info\": {\"plugin\": \"info_log\", \"config\": {\"level\":"
                     " \"debug\"}}}}",
                     tu_pki("server.crt"), tu_pki("server.key"), tu_pki("ca.crt"), pass) >= 0);
    } else {
        assert_true(
            asprintf(&json,
                     "{\"version\": 1, \"context\": {\"role\": \"server\","
                     " \"certificate\": \"%s\", \"private_key\": \"%s\", \"ca_file\": \"%s\","
                     " \"verify\": \"require\"}, \"callbacks\": {"
                     " \"password\": {\"plugin\": \"%s\", \"config\": {\"password_file\":"
                     " \"%s\"}},"
                     " \"verify\": {\"plugin\": \"%s\", \"config\": {\"password_file\":"
                     " \"%s\"}},"
                     " \"info\": {\"plugin\": \"%s\", \"config\": {\"password_file\":"
                     " \"%s\"}}}}",
                     tu_pki("server.crt"), tu_pki("server.key"), tu_pki("ca.crt"), rl, pass, rl,
                     pass, rl, pass) >= 0);
    }
    return json;
}

/* Replace the file atomically, as an administrator's deploy tool would. */
static void
write_config(const char *dir, const char *path, int set_b)
{
    char *json = server_json(set_b);
    char *tmp = tu_write(dir, "server.json.tmp", json, 0644);

    assert_int_equal(rename(tmp, path), 0);
    free(tmp);
    free(json);
}

static sslplug_host *
client_host(void)
{
    return tu_host("{\"version\": 1, \"context\": {\"role\": \"client\", \"ca_file\":"
                   " \"pki/ca.crt\"}, \"callbacks\": {"
                   " \"client_cert\": {\"plugin\": \"client_cert_file\", \"config\":"
                   " {\"certificate\": \"pki/client.crt\", \"private_key\": \"pki/client.key\"}},"
                   " \"verify\": {\"plugin\": \"verify_log\", \"config\": {\"level\": \"debug\"}},"
                   " \"info\": {\"plugin\": \"info_log\", \"config\": {\"level\": \"debug\"}}}}");
}

/* ---- per-thread trace checking ---- */

typedef struct recorder {
    unsigned long generation; /* of the first event seen */
    int events;
    int mixed;       /* events of another generation */
    int wrong_label; /* a plugin of the other set */
} recorder;

static _Thread_local recorder *tl_recorder;

/* Generation 1 and every odd one run set A (bundled plugins), even ones set B. */
static int
label_fits(unsigned long generation, const char *label)
{
    int set_b = generation % 2 == 0;

    return set_b == (strcmp(label, "rl_plugin") == 0);
}

static void
record(const sslplug_trace_event *ev, void *arg)
{
    recorder *r = tl_recorder;

    (void)arg;
    if (r == NULL) {
        return;
    }
    if (r->events++ == 0) {
        r->generation = ev->generation;
    } else if (ev->generation != r->generation) {
        r->mixed++;
    }
    r->wrong_label += !label_fits(ev->generation, ev->plugin);
}

/* ---- stress ---- */

typedef struct shared {
    sslplug_host *server;
    sslplug_host *client;
    int iterations;
    atomic_int failures;
    atomic_int handshakes;
    atomic_int workers_left;
    atomic_int served[MAX_GENERATIONS + 1];
} shared;

static int
handshake_once(shared *sh, SSL_CTX *client)
{
    recorder rec = {0};
    sslplug_error err;
    sslplug_pair pair;
    SSL_CTX *server;
    int ok;

    tl_recorder = &rec;
    server = sslplug_ctx_new(sh->server, &err);
    if (server == NULL) {
        tl_recorder = NULL;
        print_error("ctx_new: %s\n", err.message);
        return 0;
    }
    ok = sslplug_pair_init(&pair, server, client, "localhost") && sslplug_pair_handshake(&pair);
    if (!ok) {
        print_error("handshake: server %s / client %s\n", pair.server_error, pair.client_error);
    }
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(server);
    tl_recorder = NULL;
    if (rec.events == 0 || rec.mixed != 0 || rec.wrong_label != 0 ||
        rec.generation > MAX_GENERATIONS) {
        print_error("generation %lu: %d events, %d of another generation, %d of the other set\n",
                    rec.generation, rec.events, rec.mixed, rec.wrong_label);
        return 0;
    }
    atomic_fetch_add(&sh->served[rec.generation], 1);
    return ok;
}

static void *
worker(void *arg)
{
    shared *sh = arg;
    sslplug_error err;
    SSL_CTX *client = sslplug_ctx_new(sh->client, &err);

    for (int i = 0; client != NULL && i < sh->iterations; i++) {
        /* Spread the handshakes over the generations; bounded: 60 s at most. */
        unsigned long want = 1 + (unsigned long)(i * RELOADS / sh->iterations);
        int waited = 0;

        while (sslplug_host_generation(sh->server) < want && waited++ < 60000) {
            sleep_ms(1);
        }
        if (!handshake_once(sh, client)) {
            atomic_fetch_add(&sh->failures, 1);
        }
        atomic_fetch_add(&sh->handshakes, 1);
    }
    if (client == NULL) {
        atomic_fetch_add(&sh->failures, 1);
    }
    SSL_CTX_free(client);
    atomic_fetch_sub(&sh->workers_left, 1);
    return NULL;
}

static void
test_reload_stress_eight_threads_two_plugin_sets(void **state)
{
    char *dir = tu_tmpdir();
    char *path = NULL;
    pthread_t threads[WORKERS];
    shared sh;
    sslplug_error err;
    int reloads = 0, generations = 0;

    (void)state;
    memset(&sh, 0, sizeof(sh));
    assert_true(asprintf(&path, "%s/server.json", dir) >= 0);
    write_config(dir, path, 0);
    sh.server = sslplug_host_load(path, &err);
    assert_non_null(sh.server);
    sh.client = client_host();
    sslplug_host_set_trace(sh.server, record, NULL);
    sh.iterations = slow() ? 3 : 24;
    atomic_init(&sh.workers_left, WORKERS);
    for (int i = 0; i < WORKERS; i++) {
        assert_int_equal(pthread_create(&threads[i], NULL, worker, &sh), 0);
    }
    /* This thread reloads, alternating the plugin sets, every few milliseconds. */
    while (reloads < RELOADS) {
        write_config(dir, path, (reloads + 1) % 2);
        if (!sslplug_host_reload(sh.server, &err)) {
            print_error("reload: %s\n", err.message);
            atomic_fetch_add(&sh.failures, 1);
            break;
        }
        reloads++;
        sleep_ms(2);
    }
    for (int i = 0; i < WORKERS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    }
    for (int g = 1; g <= MAX_GENERATIONS; g++) {
        generations += atomic_load(&sh.served[g]) > 0;
    }
    print_message("%d handshakes by %d threads over %d generations, %d reloads\n",
                  atomic_load(&sh.handshakes), WORKERS, generations, reloads);
    assert_int_equal(atomic_load(&sh.failures), 0);
    assert_int_equal(atomic_load(&sh.handshakes), WORKERS * sh.iterations);
    assert_int_equal(reloads, RELOADS);
    assert_int_equal(sslplug_host_generation(sh.server), 1 + RELOADS);
    /* Both plugin sets served handshakes. */
    assert_true(generations >= 2);
    sslplug_host_free(sh.server);
    sslplug_host_free(sh.client);
    free(path);
    tu_rmtree(dir);
}

/* ---- semantics ---- */

static void
test_reload_existing_context_keeps_its_generation(void **state)
{
    char *dir = tu_tmpdir();
    char *path = NULL;
    sslplug_error err;
    sslplug_host *server, *client;
    SSL_CTX *old_ctx, *new_ctx, *cctx;
    recorder rec = {0};
    sslplug_pair pair;

    (void)state;
    assert_true(asprintf(&path, "%s/server.json", dir) >= 0);
    write_config(dir, path, 0);
    server = sslplug_host_load(path, &err);
    assert_non_null(server);
    sslplug_host_set_trace(server, record, NULL);
    client = client_host();
    cctx = tu_ctx(client);
    old_ctx = tu_ctx(server);
    assert_int_equal(sslplug_host_generation(server), 1);

    write_config(dir, path, 1);
    assert_int_equal(sslplug_host_reload(server, &err), 1);
    assert_int_equal(sslplug_host_generation(server), 2);

    /* The old context still runs set A, as generation 1. */
    tl_recorder = &rec;
    assert_int_equal(tu_handshake(old_ctx, cctx, &pair), 1);
    sslplug_pair_cleanup(&pair);
    assert_true(rec.events > 0);
    assert_int_equal(rec.generation, 1);
    assert_int_equal(rec.mixed + rec.wrong_label, 0);

    /* A new context runs set B, as generation 2. */
    memset(&rec, 0, sizeof(rec));
    new_ctx = tu_ctx(server);
    assert_int_equal(tu_handshake(new_ctx, cctx, &pair), 1);
    sslplug_pair_cleanup(&pair);
    tl_recorder = NULL;
    assert_int_equal(rec.generation, 2);
    assert_int_equal(rec.mixed + rec.wrong_label, 0);

    /* The host can go first: both generations live on in their contexts. */
    sslplug_host_free(server);
    assert_int_equal(tu_handshake(old_ctx, cctx, &pair), 1);
    sslplug_pair_cleanup(&pair);
    SSL_CTX_free(old_ctx);
    SSL_CTX_free(new_ctx);
    SSL_CTX_free(cctx);
    sslplug_host_free(client);
    free(path);
    tu_rmtree(dir);
}

static void
test_reload_failure_keeps_current_config(void **state)
{
    char *dir = tu_tmpdir();
    char *path = NULL, *broken;
    sslplug_error err;
    sslplug_host *server;
    SSL_CTX *ctx;

    (void)state;
    assert_true(asprintf(&path, "%s/server.json", dir) >= 0);
    write_config(dir, path, 0);
    server = sslplug_host_load(path, &err);
    assert_non_null(server);

    /* Valid JSON naming a plugin that cannot load: the reload fails as a whole. */
    broken = tu_write(dir, "server.json",
                      "{\"version\": 1, \"context\": {\"role\": \"server\"},"
                      " \"callbacks\": {\"info\": {\"plugin\": \"./missing.so\"}}}",
                      0644);
    assert_int_equal(sslplug_host_reload(server, &err), 0);
    assert_int_equal(err.code, SSLPLUG_E_PLUGIN_NOT_FOUND);
    assert_string_equal(err.source, path);
    assert_int_equal(sslplug_host_generation(server), 1);
    free(broken);

    broken = tu_write(dir, "server.json", "{\"version\": 1,", 0644);
    assert_int_equal(sslplug_host_reload(server, &err), 0);
    assert_int_equal(err.code, SSLPLUG_E_PARSE);
    assert_int_equal(sslplug_host_generation(server), 1);

    /* Still the first configuration: the encrypted key is unlocked by password_file. */
    ctx = tu_ctx(server);
    assert_non_null(SSL_CTX_get0_certificate(ctx));
    SSL_CTX_free(ctx);
    sslplug_host_free(server);
    free(broken);
    free(path);
    tu_rmtree(dir);
}

static void
test_reload_string_host_is_refused(void **state)
{
    sslplug_host *host = tu_host("{\"version\": 1, \"context\": {\"role\": \"client\"}}");
    sslplug_error err;

    (void)state;
    assert_int_equal(sslplug_host_reload(host, &err), 0);
    assert_int_equal(err.code, SSLPLUG_E_ARGUMENT);
    assert_int_equal(sslplug_host_generation(host), 1);
    assert_int_equal(sslplug_host_reload(NULL, &err), 0);
    sslplug_host_free(host);
}

/* ---- memory ---- */

static void
test_reload_many_contexts_do_not_grow_heap(void **state)
{
    sslplug_host *host = tu_host(
        "{\"version\": 1, \"context\": {\"role\": \"server\", \"certificate\": \"pki/server.crt\","
        " \"private_key\": \"pki/server-plain.key\", \"ca_file\": \"pki/ca.crt\", \"verify\":"
        " \"require\"}, \"callbacks\": {\"verify\": {\"plugin\": \"verify_log\"},"
        " \"info\": [{\"plugin\": \"info_log\"}, {\"plugin\": \"%s\", \"config\":"
        " {\"password_file\": \"%s\"}}]}}",
        tu_test_plugin("rl_plugin"), tu_pki("server.pass"));
    int total = slow() ? 600 : 10000, warmup = total / 10;
    size_t before = 0, after;
    void *probe = malloc(4096);

    (void)state;
    /* A replacement allocator (ASan, TSan) bypasses glibc's counters: nothing to measure. */
    before = mallinfo2().uordblks;
    free(probe);
    if (before == 0) {
        sslplug_host_free(host);
        skip();
    }
    for (int i = 0; i < total; i++) {
        if (i == warmup) {
            before = mallinfo2().uordblks;
        }
        SSL_CTX_free(tu_ctx(host));
    }
    after = mallinfo2().uordblks;
    print_message("heap in use after %d contexts: %zu bytes, after %d: %zu bytes\n", warmup, before,
                  total, after);
    /* Growth bounded by allocator noise, far below one context per iteration. */
    assert_true(after <= before + 64 * 1024);
    sslplug_host_free(host);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_existing_context_keeps_its_generation),
        cmocka_unit_test(test_reload_failure_keeps_current_config),
        cmocka_unit_test(test_reload_string_host_is_refused),
        cmocka_unit_test(test_reload_stress_eight_threads_two_plugin_sets),
        cmocka_unit_test(test_reload_many_contexts_do_not_grow_heap),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
