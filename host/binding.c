/*
 * Binding plugins into an SSL_CTX: one binding per context, kept in the
 * context's ex_data (freed with it, dropping its instance references and
 * its named sub-contexts).  Each type binds its own instances (the bind
 * function of its row, types.c); nothing here is written per type.
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"
#include "types.h"

static int ex_index = -1;
static pthread_once_t ex_once = PTHREAD_ONCE_INIT;

void
sslplugi_binding_free(sslplugi_binding *b)
{
    if (b == NULL) {
        return;
    }
    sslplugi_binding_free(b->roles[0]);
    sslplugi_binding_free(b->roles[1]);
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        for (size_t i = 0; i < b->slot[t].count; i++) {
            sslplugi_instance_unref(b->slot[t].inst[i]);
        }
        free(b->slot[t].inst);
    }
    for (size_t i = 0; i < b->sub_count; i++) {
        free(b->subs[i].name);
        SSL_CTX_free(b->subs[i].ctx);
    }
    free(b->subs);
    free(b->verify_host);
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
    sslplugi_binding_free(ptr);
}

static void
ex_init(void)
{
    ex_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, ex_free);
    sslplugi_bound_set_index(ex_index);
}

/* Sort the generation's instances into the slots of their types, taking a reference on each. */
static int
collect(sslplugi_binding *b, sslplugi_instance *const *instances, size_t count)
{
    size_t n[SSLPLUG_CB_COUNT] = {0};

    for (size_t i = 0; i < count; i++) {
        n[instances[i]->type]++;
    }
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        if (n[t] > 0 && (b->slot[t].inst = calloc(n[t], sizeof(*b->slot[t].inst))) == NULL) {
            return 0;
        }
    }
    for (size_t i = 0; i < count; i++) {
        sslplugi_slot *slot = &b->slot[instances[i]->type];

        sslplugi_instance_ref(instances[i]);
        slot->inst[slot->count++] = instances[i];
    }
    return 1;
}

sslplugi_binding *
sslplugi_binding_new(const sslplugi_generation *gen, const sslplugi_context_conf *conf,
                     sslplug_trace_fn trace_fn, void *trace_arg, sslplug_error *err)
{
    sslplugi_binding *b = NULL;

    if (pthread_once(&ex_once, ex_init) != 0 || ex_index < 0) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, NULL, "cannot allocate SSL_CTX ex_data index");
        return NULL;
    }
    if ((b = calloc(1, sizeof(*b))) == NULL ||
        (gen != NULL && !collect(b, gen->instances, gen->instance_count))) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        sslplugi_binding_free(b);
        return NULL;
    }
    b->trace_fn = trace_fn;
    b->trace_arg = trace_arg;
    if (gen == NULL) {
        return b; /* a side without a configuration: no callback, no session check */
    }
    b->generation = gen->number;
    b->client = conf->role == SSLPLUGI_ROLE_CLIENT;
    memcpy(b->session_id_context, gen->session_id_context, sizeof(b->session_id_context));
    if (b->client && conf->verify_host != NULL &&
        (b->verify_host = strdup(conf->verify_host)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        sslplugi_binding_free(b);
        return NULL;
    }
    return b;
}

int
sslplugi_binding_attach(SSL_CTX *ctx, sslplugi_binding *b, sslplug_error *err)
{
    if (SSL_CTX_get_ex_data(ctx, ex_index) != NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "this SSL_CTX is already configured by sslplug");
        sslplugi_binding_free(b);
        return 0;
    }
    if (!SSL_CTX_set_ex_data(ctx, ex_index, b)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "cannot attach binding to SSL_CTX");
        sslplugi_binding_free(b);
        return 0;
    }
    return 1;
}

int
sslplugi_binding_bind_types(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                            int own_ctx, sslplug_error *err)
{
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        if (!sslplugi_type_of((sslplug_cb_type)t)->bind(ctx, b, conf, own_ctx, err)) {
            return 0;
        }
    }
    return 1;
}

int
sslplugi_bind(SSL_CTX *ctx, int own_ctx, const sslplugi_generation *gen,
              const sslplugi_context_conf *conf, sslplug_trace_fn trace_fn, void *trace_arg,
              sslplug_error *err)
{
    sslplugi_binding *b = sslplugi_binding_new(gen, conf, trace_fn, trace_arg, err);

    /* From attach on, the context owns b and frees it with itself. */
    return b != NULL && sslplugi_binding_attach(ctx, b, err) &&
           sslplugi_binding_bind_types(ctx, b, conf, own_ctx, err);
}

int
sslplugi_bind_subcontext(SSL_CTX *main, const char *name, SSL_CTX *sub, sslplug_error *err)
{
    sslplugi_binding *b = sslplugi_binding_of_ctx(main),
                     *sub_binding = sslplugi_binding_of_ctx(sub);
    sslplugi_subctx *grown;
    char *copy = strdup(name);

    size_t capacity = b != NULL && b->sub_count == b->sub_capacity ? 2 * b->sub_capacity + 8 : 0;

    if (b == NULL || sub_binding == NULL || copy == NULL ||
        (capacity > 0 && (grown = realloc(b->subs, capacity * sizeof(*grown))) == NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        free(copy);
        SSL_CTX_free(sub);
        return 0;
    }
    if (capacity > 0) {
        b->subs = grown;
        b->sub_capacity = capacity;
    }
    sub_binding->is_subcontext = 1;
    b->subs[b->sub_count].name = copy;
    b->subs[b->sub_count].ctx = sub;
    b->sub_count++;
    return 1;
}
