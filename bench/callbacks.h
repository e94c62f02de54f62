/*
 * The benchmark's four callback bodies, compiled both into sslplug_bench
 * (variant a binds them with OpenSSL's setters through thin static
 * adapters) and into the bench_* plugins (variant b, where the descriptor
 * points straight at them), so both variants run the same callback code and
 * differ only in how OpenSSL reaches it.
 *
 * Every body has the ABI plugin signature (state first).  The state is
 * loaded once, before any context is made; the callbacks only read it,
 * apart from the info counter, which is atomic so the plugin contract on
 * threads holds.
 */
#ifndef SSLPLUG_BENCH_CALLBACKS_H
#define SSLPLUG_BENCH_CALLBACKS_H

#include <stdatomic.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

typedef struct bench_cb_state {
    char password[256]; /* NUL-terminated; wiped by bench_cb_state_cleanup */
    int password_len;   /* -1 when no password file was given */
    X509 *cert;         /* client certificate, NULL when none was given */
    EVP_PKEY *pkey;
    atomic_ulong info_calls;
    atomic_ulong verify_calls;
    atomic_ulong client_cert_calls;
} bench_cb_state;

/**
 * Load what the callbacks hand out.  Each path may be NULL.
 * @param why  receives the reason on failure.
 * @returns 1, or 0; call bench_cb_state_cleanup either way.
 */
int bench_cb_state_init(bench_cb_state *st, const char *password_file, const char *cert_file,
                        const char *key_file, char *why, size_t whylen);
void bench_cb_state_cleanup(bench_cb_state *st);

/* password: the password read at init, once (attempt 0). */
int bench_cb_password(void *state, int attempt, char *buf, int size, int flag);
/* verify: OpenSSL's verdict, unchanged. */
int bench_cb_verify(void *state, int ok, X509_STORE_CTX *store);
/* info: counts calls. */
void bench_cb_info(void *state, const SSL *ssl, int where, int ret);
/* client_cert: new references to the pair loaded at init. */
int bench_cb_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey);

#endif /* SSLPLUG_BENCH_CALLBACKS_H */
