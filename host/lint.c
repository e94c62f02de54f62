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

#include <openssl/ocsp.h>

#include "binding.h"
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

/* Each certificate a context presents (from whatever source) that is out of its validity. */
static void
lint_validity(lint_state *ls, SSL_CTX *ctx, const char *source, const char *pointer)
{
    STACK_OF(X509) *chain = NULL;
    X509 *leaf = SSL_CTX_get0_certificate(ctx);

    SSL_CTX_get0_chain_certs(ctx, &chain);
    /* i = -1 is the leaf; sk_X509_num of no chain is -1. */
    for (int i = -1; leaf != NULL && i < (chain != NULL ? sk_X509_num(chain) : 0); i++) {
        X509 *x = i < 0 ? leaf : sk_X509_value(chain, i);
        int expired = X509_cmp_current_time(X509_get0_notAfter(x)) < 0;
        int early = X509_cmp_current_time(X509_get0_notBefore(x)) > 0;
        char before[64], after[64], subject[256], which[32] = "";

        if (!expired && !early) {
            continue;
        }
        time_text(X509_get0_notBefore(x), before, sizeof(before));
        time_text(X509_get0_notAfter(x), after, sizeof(after));
        X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
        if (i >= 0) {
            snprintf(which, sizeof(which), " (chain certificate %d)", i + 1);
        }
        warn(ls, SSLPLUG_E_CERTIFICATE, pointer,
             "certificate %s%s %s %s: notBefore %s, notAfter %s", source, which, subject,
             expired ? "has expired" : "is not yet valid", before, after);
    }
}

/* A CRL past its nextUpdate still revokes, but OpenSSL then fails every check against it. */
static void
lint_crls(lint_state *ls, const sslplugi_trust *trust, const char *base)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], next[64], issuer[256];

    for (int i = 0; i < sk_X509_CRL_num(trust->crls); i++) {
        const X509_CRL *crl = sk_X509_CRL_value(trust->crls, i);
        const ASN1_TIME *nu = X509_CRL_get0_nextUpdate(crl);

        if (nu == NULL || X509_cmp_current_time(nu) >= 0) {
            continue;
        }
        time_text(nu, next, sizeof(next));
        X509_NAME_oneline(X509_CRL_get_issuer(crl), issuer, sizeof(issuer));
        sslplugi_pointer_child(ptr, base, "crl_file");
        warn(ls, SSLPLUG_E_CERTIFICATE, ptr,
             "the CRL of %s expired at %s: certificates checked against it fail verification",
             issuer, next);
    }
}

/* A staple past its nextUpdate is not sent: clients that require one are refused. */
static void
lint_staple(lint_state *ls, const char *file, const char *base)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    BIO *in = BIO_new_file(file, "rb");
    OCSP_RESPONSE *resp = in != NULL ? d2i_OCSP_RESPONSE_bio(in, NULL) : NULL;
    OCSP_BASICRESP *bs = resp != NULL ? OCSP_response_get1_basic(resp) : NULL;

    for (int i = 0; bs != NULL && i < OCSP_resp_count(bs); i++) {
        ASN1_GENERALIZEDTIME *nu = NULL;
        char next[64];

        OCSP_single_get0_status(OCSP_resp_get0(bs, i), NULL, NULL, NULL, &nu);
        if (nu != NULL && X509_cmp_current_time(nu) < 0) {
            time_text(nu, next, sizeof(next));
            sslplugi_pointer_child(ptr, base, "ocsp_staple");
            warn(ls, SSLPLUG_E_CERTIFICATE, ptr,
                 "the OCSP response in %s expired at %s: it is not stapled until the file is "
                 "renewed",
                 file, next);
            break;
        }
    }
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    BIO_free(in);
    ERR_clear_error();
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

/* One context as made (ctx): the main one at "/context", or a named one at "/contexts/NAME". */
static void
lint_context(lint_state *ls, const sslplugi_config *c, const sslplugi_context_conf *conf,
             const sslplugi_trust *trust, SSL_CTX *ctx, const char *base)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    /* A named context that keeps the main certificate was warned about with it. */
    int inherited = conf != &c->context && SSL_CTX_get0_certificate(ctx) != NULL &&
                    ((conf->certificate != NULL && c->context.certificate != NULL &&
                      strcmp(conf->certificate, c->context.certificate) == 0) ||
                     (conf->pkcs12 != NULL && c->context.pkcs12 != NULL &&
                      strcmp(conf->pkcs12, c->context.pkcs12) == 0));

    if (conf->role == SSLPLUGI_ROLE_SERVER && SSL_CTX_get0_certificate(ctx) == NULL &&
        !has_certificate_callback(c)) {
        warn(ls, SSLPLUG_E_CERTIFICATE, base,
             "a server context with no \"certificate\" and no cert callback: every handshake "
             "fails (\"no shared cipher\")");
    }
    if (!inherited && (conf->pkcs12 != NULL || conf->certificate != NULL)) {
        sslplugi_pointer_child(ptr, base, conf->pkcs12 != NULL ? "pkcs12" : "certificate");
        lint_validity(ls, ctx, conf->pkcs12 != NULL ? conf->pkcs12 : conf->certificate, ptr);
    }
    lint_crls(ls, trust, base);
    if (conf->ocsp_staple != NULL) {
        lint_staple(ls, conf->ocsp_staple, base);
    }
}

static void
lint_config(lint_state *ls, const sslplugi_generation *gen, SSL_CTX *ctx)
{
    const sslplugi_config *c = gen->config;
    const sslplugi_binding *b = sslplugi_binding_of_ctx(ctx);

    lint_context(ls, c, &c->context, &gen->trust[0], ctx, "/context");
    /* The binding keeps its named contexts sorted by name: find each by its name. */
    for (size_t i = 0; b != NULL && i < c->sub_count; i++) {
        SSL_CTX *sub = sslplugi_subcontext_find(b, c->subs[i].name);

        if (sub != NULL) {
            lint_context(ls, c, &c->subs[i].conf, &gen->trust[1 + i], sub, c->subs[i].pointer);
        }
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
        lint_config(&ls, gen, ctx);
    }
    SSL_CTX_free(ctx);
    /* Instances made for a check never serve: fini now, and the next context loads anew. */
    sslplugi_generation_unload(gen);
    sslplugi_generation_unref(gen);
    return ctx != NULL;
}
