/*
 * nt_abi: the ABI 1.2 callback types in one test plugin.  Config keys, read
 * with a small scanner (the host passes compact JSON):
 *   "chain": "/abs.pem", "key": "/abs.key"  cert: use this chain and key
 *   "cert_result": n                         cert: return n (default 1)
 *   "switch_name": "a", "switch_to": "ctx"   servername: switch a to ctx
 *   "reject_name": "b"                       servername: reject b
 *   "keylog_file": "/abs"                    keylog: append each line
 *   "info_file": "/abs"                      info: append "where\n" per call
 * Its info callback defaults to handshake-done events only (info_events).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

typedef struct nt_state {
    char switch_name[128], switch_to[128], reject_name[128];
    char keylog_file[512], info_file[512];
    int cert_result;
    X509 *leaf;
    STACK_OF(X509) *chain;
    EVP_PKEY *key;
} nt_state;

/* The string value of "key" in compact JSON, or "" (no escapes in test values). */
static void
scan(const char *json, const char *key, char *out, size_t len)
{
    char pattern[64];
    const char *p;
    size_t n;

    out[0] = '\0';
    snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
    if ((p = strstr(json, pattern)) == NULL) {
        return;
    }
    p += strlen(pattern);
    n = strcspn(p, "\"");
    if (n < len) {
        memcpy(out, p, n);
        out[n] = '\0';
    }
}

static int
load_chain(nt_state *st, const char *chain_file, const char *key_file)
{
    FILE *f = fopen(chain_file, "r");
    X509 *x;

    if (f == NULL || (st->leaf = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        return 0;
    }
    /* Shared by every thread's handshakes: OpenSSL's extension cache filled now (plugin(7)). */
    (void)X509_check_purpose(st->leaf, -1, 0);
    st->chain = sk_X509_new_null();
    while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
        (void)X509_check_purpose(x, -1, 0);
        sk_X509_push(st->chain, x);
    }
    fclose(f);
    ERR_clear_error();
    if ((f = fopen(key_file, "r")) == NULL) {
        return 0;
    }
    st->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    return st->key != NULL;
}

static void
nt_fini(void *state)
{
    nt_state *st = state;

    X509_free(st->leaf);
    sk_X509_pop_free(st->chain, X509_free);
    EVP_PKEY_free(st->key);
    free(st);
}

static int
nt_init(const sslplug_services *svc, sslplug_handle *handle, const char *config_json, void **state)
{
    nt_state *st = calloc(1, sizeof(*st));
    char chain[512], key[512], result[16];

    if (st == NULL) {
        return 0;
    }
    scan(config_json, "switch_name", st->switch_name, sizeof(st->switch_name));
    scan(config_json, "switch_to", st->switch_to, sizeof(st->switch_to));
    scan(config_json, "reject_name", st->reject_name, sizeof(st->reject_name));
    scan(config_json, "keylog_file", st->keylog_file, sizeof(st->keylog_file));
    scan(config_json, "info_file", st->info_file, sizeof(st->info_file));
    scan(config_json, "chain", chain, sizeof(chain));
    scan(config_json, "key", key, sizeof(key));
    st->cert_result = 1;
    if (strstr(config_json, "\"cert_result\":") != NULL) {
        snprintf(result, sizeof(result), "%s", strstr(config_json, "\"cert_result\":") + 14);
        st->cert_result = atoi(result);
    }
    if (chain[0] != '\0' && !load_chain(st, chain, key)) {
        svc->error(handle, "/chain", "cannot load %s with %s", chain, key);
        nt_fini(st);
        return 0;
    }
    *state = st;
    return 1;
}

static int
nt_cert(void *state, SSL *ssl)
{
    nt_state *st = state;

    if (st->leaf != NULL && !SSL_use_cert_and_key(ssl, st->leaf, st->key, st->chain, 1)) {
        return 0;
    }
    return st->cert_result;
}

static int
nt_servername(void *state, SSL *ssl, const char *name, const char **context)
{
    nt_state *st = state;

    (void)ssl;
    if (name != NULL && strcmp(name, st->reject_name) == 0) {
        return SSLPLUG_SNI_REJECT;
    }
    if (name != NULL && strcmp(name, st->switch_name) == 0) {
        *context = st->switch_to;
        return SSLPLUG_SNI_SWITCH;
    }
    return SSLPLUG_SNI_ACCEPT;
}

static void
append(const char *file, const char *line)
{
    FILE *f = fopen(file, "a");

    if (f != NULL) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
}

static void
nt_keylog(void *state, const SSL *ssl, const char *line)
{
    (void)ssl;
    append(((nt_state *)state)->keylog_file, line);
}

static void
nt_info(void *state, const SSL *ssl, int where, int ret)
{
    char line[32];

    (void)ssl;
    (void)ret;
    snprintf(line, sizeof(line), "0x%x", (unsigned)where);
    append(((nt_state *)state)->info_file, line);
}

/* clang-format off */
static const sslplug_plugin nt_descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "nt_abi",
    .version = "1",
    .init = nt_init,
    .fini = nt_fini,
    .info = nt_info,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .info_events = SSLPLUG_EVENT_HANDSHAKE_DONE,
    .cert = nt_cert,
    .servername = nt_servername,
    .keylog = nt_keylog,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &nt_descriptor;
}
