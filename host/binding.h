/*
 * The binding of one SSL_CTX: the instances of each callback type bound
 * into it, kept in the context's ex_data.  binding.c attaches and frees it;
 * the trampolines (cb_<type>.c) find it from the connection (bound.c).
 */
#ifndef SSLPLUG_HOST_BINDING_H
#define SSLPLUG_HOST_BINDING_H

#include "internal.h"

typedef struct sslplugi_subctx {
    char *name;
    SSL_CTX *ctx;
} sslplugi_subctx;

/* The instances of one type, in configuration order. */
typedef struct sslplugi_slot {
    sslplugi_instance **inst;
    size_t count;
} sslplugi_slot;

typedef struct sslplugi_binding {
    sslplugi_slot slot[SSLPLUG_CB_COUNT]; /* indexed by sslplug_cb_type */
    unsigned info_events;  /* union of the info entries' events; 0 when one takes all */
    sslplugi_subctx *subs; /* named contexts the servername callback may switch to, */
    size_t sub_count;      /* sorted by name once all are added (sslplugi_subcontexts_ready) */
    size_t sub_capacity;
    int is_subcontext; /* this binding belongs to one of those */
    int client;        /* a client context: check sessions handed to it */
    char *verify_host; /* client: the SNI sent when the application sends none */
    unsigned char session_id_context[32];
    sslplug_trace_fn trace_fn;
    void *trace_arg;
    unsigned long generation;
    /* sslplug_ctx_apply_roles (roles.c): the bindings of the server's and the client's
       configuration, one chosen per connection by its side; NULL otherwise. */
    struct sslplugi_binding *roles[2];
    int role_member; /* one of those: a type it does not configure lets the connection be */
} sslplugi_binding;

/*
 * A binding for ctx's generation gen with conf's settings, not yet attached
 * (binding.c); NULL with err.  Free it with sslplugi_binding_free until
 * sslplugi_binding_attach hands it to the context.
 */
sslplugi_binding *sslplugi_binding_new(const sslplugi_generation *gen,
                                       const sslplugi_context_conf *conf, sslplug_trace_fn trace_fn,
                                       void *trace_arg, sslplug_error *err);
void sslplugi_binding_free(sslplugi_binding *b);
/* Attach b to ctx (which then owns it, also on failure); 1, or 0 with err. */
int sslplugi_binding_attach(SSL_CTX *ctx, sslplugi_binding *b, sslplug_error *err);
/* Run every type's bind for b on ctx. */
int sslplugi_binding_bind_types(SSL_CTX *ctx, sslplugi_binding *b,
                                const sslplugi_context_conf *conf, int own_ctx, sslplug_error *err);

/*
 * What an application's context keeps when binding or configuring it failed
 * half-way (sslplug_ctx_apply, sslplug_ctx_apply_roles): whatever was bound,
 * no peer passes verification (cb_verify.c).
 */
void sslplugi_refuse_every_peer(SSL_CTX *ctx);

/* The one instance of a type that takes one entry, or NULL. */
static inline sslplugi_instance *
sslplugi_one(const sslplugi_binding *b, sslplug_cb_type type)
{
    return b->slot[type].count > 0 ? b->slot[type].inst[0] : NULL;
}

/* ---- bound.c: from a connection to its binding ---- */

/* The SSL_CTX ex_data index of bindings (binding.c sets it, once). */
void sslplugi_bound_set_index(int index);
/* The binding of the connection's current context, or NULL. */
sslplugi_binding *sslplugi_binding_of(const SSL *ssl);
sslplugi_binding *sslplugi_binding_of_ctx(const SSL_CTX *ctx);

/* One trace event; call only when b->trace_fn is set. */
void sslplugi_trace(const sslplugi_binding *b, const sslplugi_instance *inst, const SSL *ssl,
                    const char *fmt, ...) SSLPLUGI_PRINTF(4, 5);

/* Plugins not marked thread-safe get one call at a time per state. */
static inline void
sslplugi_call_begin(const sslplugi_instance *inst)
{
    if (inst->call_lock != NULL) {
        pthread_mutex_lock(inst->call_lock);
    }
}

static inline void
sslplugi_call_end(const sslplugi_instance *inst)
{
    if (inst->call_lock != NULL) {
        pthread_mutex_unlock(inst->call_lock);
    }
}

/*
 * An instance's function as the type it has: in the ABI form the state comes
 * first; a raw function has OpenSSL's own signature (plugin.h).
 */
#define SSLPLUGI_FN(inst, type) ((type)(inst)->fn)

/* The named context called name (binary search: O(log N) per switch), or NULL. */
SSL_CTX *sslplugi_subcontext_find(const sslplugi_binding *b, const char *name);

#endif /* SSLPLUG_HOST_BINDING_H */
