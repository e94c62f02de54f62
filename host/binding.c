/*
 * Binding plugins into an SSL_CTX: one binding per context, kept in the
 * context's ex_data (freed with it, dropping its instance references and
 * its named sub-contexts).  The trampolines live in cb_*.c and find the
 * binding from the connection's current context.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

static void
binding_free(sslplugi_binding *b)
{
    if (b == NULL) {
        return;
    }
    sslplugi_instance_unref(b->password);
    sslplugi_instance_unref(b->client_cert);
    sslplugi_instance_unref(b->cert);
    sslplugi_instance_unref(b->servername);
    sslplugi_instance_unref(b->keylog);
    for (size_t i = 0; i < b->verify_count; i++) {
        sslplugi_instance_unref(b->verify[i]);
    }
    for (size_t i = 0; i < b->info_count; i++) {
        sslplugi_instance_unref(b->info[i]);
    }
    for (size_t i = 0; i < b->sub_count; i++) {
        free(b->subs[i].name);
        SSL_CTX_free(b->subs[i].ctx);
    }
    free(b->subs);
    free(b->verify_host);
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

sslplugi_binding *
sslplugi_binding_of_ctx(const SSL_CTX *ctx)
{
    if (ctx == NULL || ex_index < 0) {
        return NULL;
    }
    return SSL_CTX_get_ex_data(ctx, ex_index);
}

sslplugi_binding *
sslplugi_binding_of(const SSL *ssl)
{
    return ssl != NULL ? sslplugi_binding_of_ctx(SSL_get_SSL_CTX(ssl)) : NULL;
}

void
sslplugi_trace(const sslplugi_binding *b, const sslplugi_instance *inst, const SSL *ssl,
               const char *fmt, ...)
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

/* Sort the generation's instances into the binding, taking a reference on each. */
static int
collect(sslplugi_binding *b, sslplugi_instance *const *instances, size_t count)
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
        case SSLPLUG_CB_CERT:
            b->cert = inst;
            break;
        case SSLPLUG_CB_SERVERNAME:
            b->servername = inst;
            break;
        case SSLPLUG_CB_KEYLOG:
            b->keylog = inst;
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
    /* The events any info entry takes; one entry taking all (0) makes it all. */
    for (size_t i = 0; i < b->info_count; i++) {
        if (b->info[i]->events == 0) {
            b->info_events = 0;
            break;
        }
        b->info_events |= b->info[i]->events;
    }
    return 1;
}

static int
verify_mode(const sslplugi_context_conf *conf)
{
    switch (conf->verify) {
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

/* Key logging writes secrets somewhere: say so every time a context gets it. */
static void
warn_keylog(const sslplugi_instance *inst)
{
    sslplugi_warn(inst->log_fn, inst->log_arg, SSLPLUG_E_CONFIG, inst->pointer,
                  "KEY LOGGING IS ON (plugin %s): TLS secrets of every connection of this "
                  "context are handed to the plugin; anyone who reads them can decrypt the "
                  "traffic",
                  inst->label);
}

int
sslplugi_bind(SSL_CTX *ctx, int own_ctx, const sslplugi_generation *gen,
              const sslplugi_context_conf *conf, sslplug_trace_fn trace_fn, void *trace_arg,
              sslplug_error *err)
{
    sslplugi_binding *b = NULL;

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
        SSL_CTX_set_default_passwd_cb(ctx, sslplugi_password_cb);
        SSL_CTX_set_default_passwd_cb_userdata(ctx, b);
    }
    if (conf->verify != SSLPLUGI_VERIFY_UNSET) {
        SSL_CTX_set_verify(ctx, verify_mode(conf), b->verify_count > 0 ? sslplugi_verify_cb : NULL);
    }
    /* A client needs the info trampoline even without info entries: see cb_info.c. */
    b->client = conf->role == SSLPLUGI_ROLE_CLIENT;
    if (b->client && conf->verify_host != NULL &&
        (b->verify_host = strdup(conf->verify_host)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        return 0;
    }
    memcpy(b->session_id_context, gen->session_id_context, sizeof(b->session_id_context));
    if (b->info_count > 0 || b->client) {
        SSL_CTX_set_info_callback(ctx, sslplugi_info_cb);
    }
    if (b->client_cert != NULL) {
        SSL_CTX_set_client_cert_cb(ctx, sslplugi_client_cert_cb);
    }
    if (b->cert != NULL) {
        SSL_CTX_set_cert_cb(ctx, sslplugi_cert_cb, NULL);
    }
    if (b->servername != NULL && b->servername->abi) {
        /* Before session lookup: see cb_sni.c. */
        SSL_CTX_set_client_hello_cb(ctx, sslplugi_client_hello_cb, NULL);
    } else if (b->servername != NULL) {
        SSL_CTX_set_tlsext_servername_callback(ctx, sslplugi_servername_cb);
    }
    if (b->keylog != NULL) {
        SSL_CTX_set_keylog_callback(ctx, sslplugi_keylog_cb);
        warn_keylog(b->keylog);
    }
    return 1;
}

int
sslplugi_bind_subcontext(SSL_CTX *main, const char *name, SSL_CTX *sub, sslplug_error *err)
{
    sslplugi_binding *b = sslplugi_binding_of_ctx(main),
                     *sub_binding = sslplugi_binding_of_ctx(sub);
    sslplugi_subctx *grown;
    char *copy = strdup(name);

    if (b == NULL || sub_binding == NULL || copy == NULL ||
        (grown = realloc(b->subs, (b->sub_count + 1) * sizeof(*grown))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        free(copy);
        SSL_CTX_free(sub);
        return 0;
    }
    sub_binding->is_subcontext = 1;
    b->subs = grown;
    b->subs[b->sub_count].name = copy;
    b->subs[b->sub_count].ctx = sub;
    b->sub_count++;
    return 1;
}
