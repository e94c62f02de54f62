/*
 * Binding plugins into an SSL_CTX: one binding per context, kept in the
 * context's ex_data (freed with it, dropping its instance references), and
 * the trampolines OpenSSL calls, which find the binding from the context
 * and police what plugins return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "internal.h"

/* Give up on a password source that keeps offering candidates. */
#define MAX_PASSWORD_ATTEMPTS 32

typedef struct binding {
    sslplugi_instance *password;
    sslplugi_instance *client_cert;
    sslplugi_instance **verify;
    size_t verify_count;
    sslplugi_instance **info;
    size_t info_count;
    sslplug_trace_fn trace_fn;
    void *trace_arg;
    unsigned long generation;
} binding;

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void
binding_free(binding *b)
{
    if (b == NULL) {
        return;
    }
    sslplugi_instance_unref(b->password);
    sslplugi_instance_unref(b->client_cert);
    for (size_t i = 0; i < b->verify_count; i++) {
        sslplugi_instance_unref(b->verify[i]);
    }
    for (size_t i = 0; i < b->info_count; i++) {
        sslplugi_instance_unref(b->info[i]);
    }
    free(b->verify);
    free(b->info);
    free(b);
}

static void
ex_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    (void)parent;
    (void)ad;
    (void)idx;
    (void)argl;
    (void)argp;
    binding_free(ptr);
}

static void
ex_init(void)
{
    ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
}

static binding *
binding_of(const SSL *ssl)
{
    if (ssl == NULL || ex_index < 0) {
        return NULL;
    }
    return SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index);
}

static void trace(const binding *b, const sslplugi_instance *inst, const SSL *ssl, const char *fmt,
                  ...) SSLPLUGI_PRINTF(4, 5);

static void
trace(const binding *b, const sslplugi_instance *inst, const SSL *ssl, const char *fmt, ...)
{
    sslplug_trace_event ev;
    char detail[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    ev.type = inst->type;
    ev.entry = inst->pointer;
    ev.plugin = inst->label;
    ev.ssl = ssl;
    ev.detail = detail;
    ev.generation = b->generation;
    b->trace_fn(&ev, b->trace_arg);
}

/* Plugins not marked thread-safe get one call at a time per state. */
static void
call_begin(const sslplugi_instance *inst)
{
    if (inst->call_lock != NULL) {
        pthread_mutex_lock(inst->call_lock);
    }
}

static void
call_end(const sslplugi_instance *inst)
{
    if (inst->call_lock != NULL) {
        pthread_mutex_unlock(inst->call_lock);
    }
}

/* ---- password ---- */

/*
 * Ask the password source for candidate `attempt` and police the answer:
 * returns the length, SSLPLUG_PASSWORD_NO_MORE, or SSLPLUG_PASSWORD_ERROR
 * with the reason in why.  The buffer is wiped on every failure.
 */
static int
call_password(const binding *b, int attempt, char *buf, int size, int rwflag, char *why,
              size_t whylen)
{
    sslplugi_instance *inst = b->password;
    int r;

    if (!inst->abi && attempt > 0) {
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    call_begin(inst);
    r = inst->abi ? inst->fn.password(inst->state, attempt, buf, size, rwflag)
                  : inst->fn.raw_password(buf, size, rwflag);
    call_end(inst);
    if (r == SSLPLUG_PASSWORD_NO_MORE && inst->abi && attempt > 0) {
        if (b->trace_fn != NULL) {
            trace(b, inst, NULL, "attempt=%d size=%d -> no more candidates", attempt, size);
        }
        OPENSSL_cleanse(buf, (size_t)size);
        return SSLPLUG_PASSWORD_NO_MORE;
    }
    if (r < 0 || r >= size) {
        snprintf(why, whylen, "returned %d, outside 0..%d for a buffer of %d bytes", r, size - 1,
                 size);
        if (r < 0) {
            snprintf(why, whylen, "returned %d: no password available", r);
        }
        if (b->trace_fn != NULL) {
            trace(b, inst, NULL, "attempt=%d size=%d -> %d: rejected, %s", attempt, size, r, why);
        }
        OPENSSL_cleanse(buf, (size_t)size);
        return SSLPLUG_PASSWORD_ERROR;
    }
    buf[r] = '\0';
    if (b->trace_fn != NULL) {
        trace(b, inst, NULL, "attempt=%d size=%d rwflag=%d -> length %d", attempt, size, rwflag, r);
    }
    return r;
}

/* Bound on the context, for keys the application reads through it later. */
static int
password_ctx_cb(char *buf, int size, int rwflag, void *u)
{
    const binding *b = u;
    char why[128];
    int r;

    if (b == NULL || b->password == NULL || size <= 0) {
        return -1; /* never fall back to OpenSSL's terminal prompt */
    }
    r = call_password(b, 0, buf, size, rwflag, why, sizeof(why));
    return r < 0 ? -1 : r;
}

typedef enum keyload_failure {
    KEYLOAD_OK = 0,
    KEYLOAD_NO_SOURCE,
    KEYLOAD_NO_MORE,
    KEYLOAD_BAD_CALLBACK
} keyload_failure;

/* One read of the configured key: the candidate is asked for once per attempt. */
typedef struct keyload {
    const binding *b;
    int attempt;
    int called;
    keyload_failure failure;
    char *cache;
    int cache_len;
    char why[128];
} keyload;

static int
keyload_cb(char *buf, int size, int rwflag, void *u)
{
    keyload *kl = u;
    int r;

    kl->called = 1;
    if (kl->b == NULL || kl->b->password == NULL) {
        kl->failure = KEYLOAD_NO_SOURCE;
        return -1;
    }
    if (kl->failure != KEYLOAD_OK || size <= 0) {
        return -1;
    }
    /* OpenSSL may ask several times for one key; the source is asked once. */
    if (kl->cache == NULL) {
        r = call_password(kl->b, kl->attempt, buf, size, rwflag, kl->why, sizeof(kl->why));
        if (r < 0) {
            kl->failure = r == SSLPLUG_PASSWORD_NO_MORE ? KEYLOAD_NO_MORE : KEYLOAD_BAD_CALLBACK;
            return -1;
        }
        if ((kl->cache = OPENSSL_malloc((size_t)r + 1)) == NULL) {
            OPENSSL_cleanse(buf, (size_t)size);
            kl->failure = KEYLOAD_BAD_CALLBACK;
            snprintf(kl->why, sizeof(kl->why), "out of memory");
            return -1;
        }
        memcpy(kl->cache, buf, (size_t)r + 1);
        kl->cache_len = r;
        return r;
    }
    if (kl->cache_len >= size) {
        kl->failure = KEYLOAD_BAD_CALLBACK;
        snprintf(kl->why, sizeof(kl->why),
                 "password of %d bytes does not fit OpenSSL's buffer of %d bytes", kl->cache_len,
                 size);
        return -1;
    }
    memcpy(buf, kl->cache, (size_t)kl->cache_len + 1);
    return kl->cache_len;
}

static void
keyload_forget(keyload *kl)
{
    if (kl->cache != NULL) {
        OPENSSL_clear_free(kl->cache, (size_t)kl->cache_len + 1);
        kl->cache = NULL;
    }
    kl->cache_len = 0;
}

EVP_PKEY *
sslplugi_read_private_key(SSL_CTX *ctx, const char *file, const char *pointer, sslplug_error *err)
{
    keyload kl;
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    char reason[256];

    memset(&kl, 0, sizeof(kl));
    kl.b = ex_index >= 0 ? SSL_CTX_get_ex_data(ctx, ex_index) : NULL;
    ERR_clear_error();
    if ((bio = BIO_new_file(file, "r")) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer, "cannot open private key %s: %s",
                           file, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    for (kl.attempt = 0; kl.attempt < MAX_PASSWORD_ATTEMPTS; kl.attempt++) {
        kl.called = 0;
        if (BIO_reset(bio) < 0) {
            sslplugi_error_set(err, SSLPLUG_E_IO, pointer, "cannot rewind %s", file);
            goto done;
        }
        pkey = PEM_read_bio_PrivateKey(bio, NULL, keyload_cb, &kl);
        keyload_forget(&kl);
        if (pkey != NULL) {
            ERR_clear_error();
            goto done;
        }
        switch (kl.failure) {
        case KEYLOAD_NO_SOURCE:
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "private key %s is encrypted and no password callback is "
                               "configured (add callbacks.password)",
                               file);
            goto done;
        case KEYLOAD_BAD_CALLBACK:
            sslplugi_error_set(err, SSLPLUG_E_PASSWORD, kl.b->password->pointer,
                               "password callback %s for private key %s %s", kl.b->password->label,
                               file, kl.why);
            goto done;
        case KEYLOAD_NO_MORE:
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "wrong password for private key %s (%d candidate%s from %s)", file,
                               kl.attempt, kl.attempt == 1 ? "" : "s", kl.b->password->label);
            goto done;
        case KEYLOAD_OK:
        default:
            break;
        }
        if (!kl.called) {
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "cannot read private key %s: %s", file,
                               sslplugi_openssl_reason(reason, sizeof(reason)));
            goto done;
        }
        /* A password was given and the key did not decrypt: a wrong password. */
        ERR_clear_error();
        if (!kl.b->password->abi) {
            sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                               "wrong password for private key %s (from %s)", file,
                               kl.b->password->label);
            goto done;
        }
    }
    sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, pointer,
                       "wrong password for private key %s (gave up after %d candidates from %s)",
                       file, MAX_PASSWORD_ATTEMPTS, kl.b->password->label);
done:
    keyload_forget(&kl);
    BIO_free(bio);
    return pkey;
}

/* ---- verify ---- */

static int
override_allowed(const sslplugi_instance *inst, int error)
{
    if (inst->override_any) {
        return 1;
    }
    for (size_t i = 0; i < inst->override_count; i++) {
        if (inst->override_codes[i] == error) {
            return 1;
        }
    }
    return 0;
}

static void
trace_verify(const binding *b, const sslplugi_instance *inst, X509_STORE_CTX *store, const SSL *ssl,
             int in, int out, int error, const char *note)
{
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    char subject[256] = "(none)";

    if (cert != NULL) {
        X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof(subject));
    }
    trace(b, inst, ssl, "depth=%d subject=%s ok=%d error=%s -> %d%s%s",
          X509_STORE_CTX_get_error_depth(store), subject, in, sslplugi_x509_error_name(error), out,
          note[0] != '\0' ? ": " : "", note);
}

/*
 * The pipeline: each entry gets the previous verdict; by default an entry
 * may only reject.  Turning a failure into success needs "may_override" for
 * the error at hand, and clears the store's error; a rejection leaves an
 * error in the store so SSL_get_verify_result tells the truth.
 */
static int
verify_cb(int ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const binding *b = binding_of(ssl);

    if (b == NULL) {
        return 0; /* not our context any more: fail closed */
    }
    for (size_t i = 0; i < b->verify_count; i++) {
        const sslplugi_instance *inst = b->verify[i];
        int error = X509_STORE_CTX_get_error(store);
        const char *note = "";
        int r;

        call_begin(inst);
        r = inst->abi ? inst->fn.verify(inst->state, ok, store) : inst->fn.raw_verify(ok, store);
        call_end(inst);
        r = r == 1;
        if (!ok && r) {
            if (override_allowed(inst, error)) {
                X509_STORE_CTX_set_error(store, X509_V_OK);
                note = "override allowed by may_override";
            } else {
                r = 0;
                note = "override not allowed (no may_override for this error): rejected";
            }
        } else if (ok && !r) {
            if (X509_STORE_CTX_get_error(store) == X509_V_OK) {
                X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
            }
            note = "rejected";
        }
        if (b->trace_fn != NULL) {
            trace_verify(b, inst, store, ssl, ok, r, error, note);
        }
        ok = r;
    }
    return ok;
}

/* ---- info ---- */

static void
where_string(int where, char *buf, size_t len)
{
    static const struct {
        int flag;
        const char *name;
    } flags[] = {
        {SSL_ST_CONNECT, "CONNECT"},
        {SSL_ST_ACCEPT, "ACCEPT"},
        {SSL_CB_LOOP, "LOOP"},
        {SSL_CB_EXIT, "EXIT"},
        {SSL_CB_READ, "READ"},
        {SSL_CB_WRITE, "WRITE"},
        {SSL_CB_ALERT, "ALERT"},
        {SSL_CB_HANDSHAKE_START, "HANDSHAKE_START"},
        {SSL_CB_HANDSHAKE_DONE, "HANDSHAKE_DONE"},
    };
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]) && n < len; i++) {
        if (where & flags[i].flag) {
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n > 0 ? "|" : "", flags[i].name);
        }
    }
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
    const binding *b = binding_of(ssl);
    char flags[128];

    if (b == NULL) {
        return;
    }
    for (size_t i = 0; i < b->info_count; i++) {
        const sslplugi_instance *inst = b->info[i];

        if (b->trace_fn != NULL) {
            where_string(where, flags, sizeof(flags));
            if (where & SSL_CB_ALERT) {
                trace(b, inst, ssl, "where=0x%04x %s alert=%s:%s", (unsigned)where, flags,
                      SSL_alert_type_string_long(ret), SSL_alert_desc_string_long(ret));
            } else {
                trace(b, inst, ssl, "where=0x%04x %s ret=%d state=%s", (unsigned)where, flags, ret,
                      SSL_state_string_long(ssl));
            }
        }
        call_begin(inst);
        if (inst->abi) {
            inst->fn.info(inst->state, ssl, where, ret);
        } else {
            inst->fn.raw_info(ssl, where, ret);
        }
        call_end(inst);
    }
}

/* ---- client_cert ---- */

static int
client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey)
{
    const binding *b = binding_of(ssl);
    const sslplugi_instance *inst;
    const char *why = NULL;
    char subject[256] = "";
    int r;

    if (b == NULL || b->client_cert == NULL) {
        return 0;
    }
    inst = b->client_cert;
    *x509 = NULL;
    *pkey = NULL;
    call_begin(inst);
    r = inst->abi ? inst->fn.client_cert(inst->state, ssl, x509, pkey)
                  : inst->fn.raw_client_cert(ssl, x509, pkey);
    call_end(inst);
    if (r != 0 && r != 1) {
        why = "result is neither 0 nor 1: sending no certificate";
    } else if (r == 1 && (*x509 == NULL || *pkey == NULL)) {
        why = "returned 1 without both a certificate and a key: sending none";
    } else if (r == 1 && X509_check_private_key(*x509, *pkey) != 1) {
        why = "the key does not match the certificate: sending none";
    }
    if (r == 1 && why == NULL) {
        X509_NAME_oneline(X509_get_subject_name(*x509), subject, sizeof(subject));
    }
    if (b->trace_fn != NULL) {
        trace(b, inst, ssl, "-> %d%s%s%s%s", r, why != NULL ? ": " : "", why != NULL ? why : "",
              subject[0] != '\0' ? " sending " : "", subject);
    }
    if (r == 1 && why == NULL) {
        return 1;
    }
    /* OpenSSL frees what we hand back; whatever is not sent is freed here. */
    X509_free(*x509);
    EVP_PKEY_free(*pkey);
    *x509 = NULL;
    *pkey = NULL;
    ERR_clear_error();
    return 0;
}

/* ---- attaching ---- */

static int
collect(binding *b, sslplugi_instance *const *instances, size_t count)
{
    size_t nv = 0, ni = 0;

    for (size_t i = 0; i < count; i++) {
        nv += instances[i]->type == SSLPLUG_CB_VERIFY;
        ni += instances[i]->type == SSLPLUG_CB_INFO;
    }
    if ((nv > 0 && (b->verify = calloc(nv, sizeof(*b->verify))) == NULL) ||
        (ni > 0 && (b->info = calloc(ni, sizeof(*b->info))) == NULL)) {
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        sslplugi_instance *inst = instances[i];

        sslplugi_instance_ref(inst);
        switch (inst->type) {
        case SSLPLUG_CB_PASSWORD:
            b->password = inst;
            break;
        case SSLPLUG_CB_CLIENT_CERT:
            b->client_cert = inst;
            break;
        case SSLPLUG_CB_VERIFY:
            b->verify[b->verify_count++] = inst;
            break;
        case SSLPLUG_CB_INFO:
            b->info[b->info_count++] = inst;
            break;
        case SSLPLUG_CB_COUNT:
        default:
            sslplugi_instance_unref(inst);
            break;
        }
    }
    return 1;
}

static int
verify_mode(const sslplugi_config *config)
{
    switch (config->context.verify) {
    case SSLPLUGI_VERIFY_PEER:
        return SSL_VERIFY_PEER;
    case SSLPLUGI_VERIFY_REQUIRE:
        return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case SSLPLUGI_VERIFY_NONE:
    case SSLPLUGI_VERIFY_UNSET:
    default:
        return SSL_VERIFY_NONE;
    }
}

int
sslplugi_bind(SSL_CTX *ctx, int own_ctx, const sslplugi_generation *gen, sslplug_trace_fn trace_fn,
              void *trace_arg, sslplug_error *err)
{
    const sslplugi_config *config = gen->config;
    binding *b = NULL;

    if (pthread_once(&ex_once, ex_init) != 0 || ex_index < 0) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, NULL, "cannot allocate SSL_CTX ex_data index");
        return 0;
    }
    if (SSL_CTX_get_ex_data(ctx, ex_index) != NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "this SSL_CTX is already configured by sslplug");
        return 0;
    }
    if ((b = calloc(1, sizeof(*b))) == NULL || !collect(b, gen->instances, gen->instance_count)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        binding_free(b);
        return 0;
    }
    b->trace_fn = trace_fn;
    b->trace_arg = trace_arg;
    b->generation = gen->number;
    if (!SSL_CTX_set_ex_data(ctx, ex_index, b)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "cannot attach binding to SSL_CTX");
        binding_free(b);
        return 0;
    }
    /* From here the context owns b and frees it with itself. */
    if (b->password != NULL || own_ctx) {
        /* On a context of our own, never let OpenSSL prompt on a terminal. */
        SSL_CTX_set_default_passwd_cb(ctx, password_ctx_cb);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, b);
    }
    if (config->context.verify != SSLPLUGI_VERIFY_UNSET) {
        SSL_CTX_set_verify(ctx, verify_mode(config), b->verify_count > 0 ? verify_cb : NULL);
    }
    if (b->info_count > 0) {
        SSL_CTX_set_info_callback(ctx, info_cb);
    }
    if (b->client_cert != NULL) {
        SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
    }
    return 1;
}
