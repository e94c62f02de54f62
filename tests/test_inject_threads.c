/*
 * The injection code in-process, where sanitizers can see it: this program
 * links libsslplug-inject.so's objects and exports their functions
 * (ENABLE_EXPORTS), so its SSL_CTX_new_ex interposes libssl's exactly as
 * the preloaded library does in other programs.  16 threads make their
 * first contexts at the same moment: the configuration is loaded once (one
 * init of its plugin), every context gets the callbacks, and each thread's
 * handshake runs them.  CI runs it under ThreadSanitizer and
 * AddressSanitizer+UBSan.
 *
 * The environment is read when the program starts, so main sets it and
 * runs this program again.
 */
#define _GNU_SOURCE /* dlvsym, RTLD_NEXT, RTLD_NOLOAD */
#include "testutil.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 16

/* Computed before the threads start: tu_pki's buffers are not shared safely. */
static char ca_file[1024], cert_file[1024], key_file[1024];

typedef struct worker {
    pthread_barrier_t *start;
    SSL_CTX *ctx;
    int handshake_ok;
} worker;

/* What OpenSSL really has as the context's verify callback (the getter is interposed). */
static SSL_verify_cb
real_verify_callback(const SSL_CTX *ctx)
{
    SSL_verify_cb (*get)(const SSL_CTX *) = NULL;
    void *sym = dlvsym(RTLD_NEXT, "SSL_CTX_get_verify_callback", "OPENSSL_3.0.0");

    memcpy(&get, &sym, sizeof(get));
    return get != NULL ? get(ctx) : NULL;
}

static long
counter(const char *tag, const char *what)
{
    void *h = dlopen(tu_test_plugin("abi_counter"), RTLD_NOW | RTLD_NOLOAD);
    long (*get)(const char *, const char *) = NULL;
    void *sym = h != NULL ? dlsym(h, "abi_counter_get") : NULL;
    long n;

    memcpy(&get, &sym, sizeof(get));
    n = get != NULL ? get(tag, what) : -1;
    if (h != NULL) {
        dlclose(h);
    }
    return n;
}

static void *
work(void *arg)
{
    worker *w = arg;
    SSL_CTX *server;
    sslplug_pair pair;

    pthread_barrier_wait(w->start);
    w->ctx = SSL_CTX_new(TLS_client_method());
    if (w->ctx == NULL) {
        return NULL;
    }
    /* What a program does with its context: its own trust and verification. */
    SSL_CTX_load_verify_file(w->ctx, ca_file);
    SSL_CTX_set_verify(w->ctx, SSL_VERIFY_PEER, NULL);
    server = SSL_CTX_new(TLS_server_method());
    if (server != NULL && SSL_CTX_use_certificate_chain_file(server, cert_file) == 1 &&
        SSL_CTX_use_PrivateKey_file(server, key_file, SSL_FILETYPE_PEM) == 1 &&
        sslplug_pair_init(&pair, server, w->ctx, "localhost")) {
        w->handshake_ok = sslplug_pair_handshake(&pair);
        sslplug_pair_cleanup(&pair);
    }
    SSL_CTX_free(server);
    return NULL;
}

static void
test_inject_threads_first_contexts_at_once(void **state)
{
    pthread_t threads[THREADS];
    worker workers[THREADS];
    pthread_barrier_t start;

    (void)state;
    snprintf(ca_file, sizeof(ca_file), "%s", tu_pki("ca.crt"));
    snprintf(cert_file, sizeof(cert_file), "%s", tu_pki("server.crt"));
    snprintf(key_file, sizeof(key_file), "%s", tu_pki("server-plain.key"));
    assert_int_equal(pthread_barrier_init(&start, NULL, THREADS), 0);
    for (int i = 0; i < THREADS; i++) {
        workers[i] = (worker){&start, NULL, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    }
    pthread_barrier_destroy(&start);
    for (int i = 0; i < THREADS; i++) {
        assert_non_null(workers[i].ctx);
        /* Injected: OpenSSL holds sslplug's verify callback, not the program's NULL. */
        assert_non_null(real_verify_callback(workers[i].ctx));
        assert_null(SSL_CTX_get_verify_callback(workers[i].ctx));
        assert_int_equal(SSL_CTX_get_verify_mode(workers[i].ctx), SSL_VERIFY_PEER);
        assert_true(workers[i].handshake_ok);
        SSL_CTX_free(workers[i].ctx);
    }
    /* Loaded once for all: one init, and the info entry ran on every handshake. */
    assert_int_equal(counter(NULL, "inits"), 1);
    assert_true(counter("threads", "info") >= THREADS);
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inject_threads_first_contexts_at_once),
    };
    char *dir, *conf, *json = NULL, *pin;
    int rc, status;
    pid_t child;

    (void)argc;
    if (getenv("SSLPLUG_INJECT_CONFIG") != NULL) {
        return cmocka_run_group_tests(tests, NULL, NULL);
    }
    dir = tu_tmpdir();
    assert_true(
        asprintf(&json,
                 "{\"version\": 1, \"context\": {\"role\": \"client\"}, \"callbacks\": {"
                 " \"verify\": {\"plugin\": \"verify_pin\", \"config\": {\"pins\": [\"%s\"]}},"
                 " \"info\": {\"plugin\": \"%s\", \"config\": {\"tag\": \"threads\"}}}}",
                 pin = tu_cert_pin(tu_pki("server.crt")), tu_test_plugin("abi_counter")) > 0);
    conf = tu_write(dir, "client.json", json, 0644);
    setenv("SSLPLUG_INJECT_CONFIG", conf, 1);
    fflush(NULL);
    if ((child = fork()) == 0) {
        /* argv[0], not /proc/self/exe: under valgrind that is valgrind's own binary. */
        execv(strchr(argv[0], '/') != NULL ? argv[0] : "/proc/self/exe", argv);
        _exit(127);
    }
    rc = child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status)
                                                                               : 1;
    tu_rmtree(dir);
    free(pin);
    free(conf);
    free(json);
    return rc;
}
