/*
 * sslplug_host_check: a context made and freed with every plugin in check
 * mode (services->checking), then the lints: warnings about what loads
 * fine but will not work, or should not be deployed.  Each warning names
 * the key at fault by its JSON pointer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"
#include "types.h"

/* Distinct warnings remembered: one said for every context made is reported once. */
#define SEEN_MAX 64

typedef struct lint_state {
    const char *source;
    sslplug_warning_fn fn;
    void *arg;
    sslplug_log_fn log_fn; /* the application's sink, for warnings without a collector */
    void *log_arg;
    unsigned long seen[SEEN_MAX];
    size_t seen_count;
} lint_state;

static unsigned long
fnv1a(unsigned long h, const char *s)
{
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3ul;
    }
    return h;
}

static void warn(lint_state *ls, sslplug_code code, const char *pointer, const char *fmt, ...)
    SSLPLUGI_PRINTF(4, 5);

static void
warn(lint_state *ls, sslplug_code code, const char *pointer, const char *fmt, ...)
{
    char line[SSLPLUG_ERROR_POINTER_MAX + SSLPLUG_ERROR_MESSAGE_MAX + 4];
    sslplug_error w;
    unsigned long h;
    va_list ap;

    sslplugi_error_clear(&w);
    va_start(ap, fmt);
    sslplugi_error_vset(&w, code, pointer, fmt, ap);
    va_end(ap);
    sslplugi_error_set_source(&w, ls->source);
    h = fnv1a(fnv1a(0xcbf29ce484222325ul, w.pointer), w.message);
    for (size_t i = 0; i < ls->seen_count; i++) {
        if (ls->seen[i] == h) {
            return;
        }
    }
    if (ls->seen_count < SEEN_MAX) {
        ls->seen[ls->seen_count++] = h;
    }
    if (ls->fn != NULL) {
        ls->fn(&w, ls->arg);
        return;
    }
    snprintf(line, sizeof(line), "%s%s%s", w.pointer, w.pointer[0] != '\0' ? ": " : "", w.message);
    sslplugi_log_emit(ls->log_fn, ls->log_arg, SSLPLUG_LOG_WARNING, "sslplug", line);
}

/* The host's own warnings during the check (generation.c, binding.c). */
static void
host_warning(sslplug_code code, const char *pointer, const char *message, void *arg)
{
    warn(arg, code, pointer, "%s", message);
}

/* ---- the lints ---- */

static void
time_text(const ASN1_TIME *t, char *out, size_t len)
{
    BIO *mem = BIO_new(BIO_s_mem());
    int n = 0;

    if (mem != NULL && ASN1_TIME_print_ex(mem, t, ASN1_DTFLGS_ISO8601)) {
        n = BIO_read(mem, out, (int)len - 1);
    }
    snprintf(out + (n > 0 ? n : 0), len - (size_t)(n > 0 ? n : 0), "%s", n > 0 ? "" : "?");
    BIO_free(mem);
}

/* Every certificate in file (the leaf, then the chain after it) must be valid now. */
static void
lint_validity(lint_state *ls, const char *file, const char *pointer)
{
    BIO *in = BIO_new_file(file, "r");
    X509 *x;

    /* The context read the file a moment ago; if it cannot be read now, that is said elsewhere. */
    for (int i = 0; in != NULL && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL; i++) {
        int expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
        int early = X509_cmp_current_time(X509_get0_notBefore(x)) > 0;

        if (expired || early) {
            char before[64], after[64], subject[256], which[32] = "";

            time_text(X509_get0_notBefore(x), before, sizeof(before));
            time_text(X509_get0_notAfter(x), after, sizeof(after));
            X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
            if (i > 0) {
                snprintf(which, sizeof(which), " (chain certificate %d)", i);
            }
            warn(ls, SSLPLUG_E_CERTIFICATE, pointer,
                 "certificate %s%s %s %s: notBefore %s, notAfter %s", file, which, subject,
                 expired ? "has expired" : "is not yet valid", before, after);
        }
        X509_free(x);
    }
    /* PEM leaves "no start line" in the queue at the end of the file. */
    ERR_clear_error();
    BIO_free(in);
}

static int
has_certificate_callback(const sslplugi_config *c)
{
    for (size_t i = 0; i < c->entry_count; i++) {
        if (sslplugi_type_of(c->entries[i].type)->sends_certificate) {
            return 1;
        }
    }
    return 0;
}

/* One context: the main one at "/context", or a named one at "/contexts/NAME". */
static void
lint_context(lint_state *ls, const sslplugi_config *c, const sslplugi_context_conf *conf,
             const char *base)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    /* A named context that keeps the main certificate was warned about with it. */
    int inherited = conf != &c->context && conf->certificate != NULL &&
                    c->context.certificate != NULL &&
                    strcmp(conf->certificate, c->context.certificate) == 0;

    if (conf->role == SSLPLUGI_ROLE_SERVER && conf->certificate == NULL &&
        !has_certificate_callback(c)) {
        warn(ls, SSLPLUG_E_CERTIFICATE, base,
             "a server context with no \"certificate\" and no cert callback: every handshake "
             "fails (\"no shared cipher\")");
    }
    if (conf->certificate != NULL && !inherited) {
        sslplugi_pointer_child(ptr, base, "certificate");
        lint_validity(ls, conf->certificate, ptr);
    }
}

static void
lint_config(lint_state *ls, const sslplugi_config *c)
{
    lint_context(ls, c, &c->context, "/context");
    for (size_t i = 0; i < c->sub_count; i++) {
        lint_context(ls, c, &c->subs[i].conf, c->subs[i].pointer);
    }
    if (c->context.role == SSLPLUGI_ROLE_CLIENT && c->context.verify == SSLPLUGI_VERIFY_NONE) {
        warn(ls, SSLPLUG_E_CONFIG, "/context/verify",
             "this client does not verify the server (\"verify\": \"none\"): any server, or "
             "anyone in between, is accepted");
    }
}

/* ---- the check ---- */

int
sslplug_host_check(sslplug_host *host, sslplug_warning_fn warning_fn, void *arg, sslplug_error *err)
{
    sslplugi_generation *gen;
    SSL_CTX *ctx;
    lint_state ls;

    sslplugi_error_clear(err);
    if (host == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL, "no host given");
        return 0;
    }
    pthread_mutex_lock(&host->lock);
    gen = host->gen;
    sslplugi_generation_ref(gen);
    pthread_mutex_unlock(&host->lock);
    if (atomic_load_explicit(&gen->loaded, memory_order_acquire)) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "the plugins of this host are loaded for use already: check a host "
                           "before any context is made from it or it is reloaded");
        sslplugi_error_set_source(err, gen->config->source);
        sslplugi_generation_unref(gen);
        return 0;
    }
    memset(&ls, 0, sizeof(ls));
    ls.source = gen->config->source;
    ls.fn = warning_fn;
    ls.arg = arg;
    ls.log_fn = host->log_fn;
    ls.log_arg = host->log_arg;
    /* For this call only: the host's warnings come here, and plugins are told they are checked. */
    sslplugi_warn_collect(host_warning, &ls);
    sslplugi_services_set_checking(1);
    ctx = sslplug_ctx_new(host, err);
    sslplugi_services_set_checking(0);
    sslplugi_warn_collect(NULL, NULL);
    if (ctx != NULL) {
        lint_config(&ls, gen->config);
    }
    SSL_CTX_free(ctx);
    /* Instances made for a check never serve: fini now, and the next context loads anew. */
    sslplugi_generation_unload(gen);
    sslplugi_generation_unref(gen);
    return ctx != NULL;
}
