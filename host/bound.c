/*
 * From a connection to the binding of its current context, and the trace:
 * what every trampoline needs, apart from how bindings are made and freed
 * (binding.c), so that the trampolines depend on nothing that loads.
 */
#include <stdio.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "binding.h"

static int ex_index = -1;

void
sslplugi_bound_set_index(int index)
{
    ex_index = index;
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
    sslplugi_binding *b = ssl != NULL ? sslplugi_binding_of_ctx(SSL_get_SSL_CTX(ssl)) : NULL;

    /* A context of two configurations (roles.c): the one of this connection's side. */
    if (b != NULL && b->roles[0] != NULL) {
        return b->roles[SSL_is_server(ssl) ? 0 : 1];
    }
    return b;
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

static int
subctx_cmp(const void *a, const void *b)
{
    return strcmp(((const sslplugi_subctx *)a)->name, ((const sslplugi_subctx *)b)->name);
}

void
sslplugi_subcontexts_ready(SSL_CTX *main)
{
    sslplugi_binding *b = sslplugi_binding_of_ctx(main);

    if (b != NULL && b->sub_count > 1) {
        qsort(b->subs, b->sub_count, sizeof(*b->subs), subctx_cmp);
    }
}

SSL_CTX *
sslplugi_subcontext_find(const sslplugi_binding *b, const char *name)
{
    sslplugi_subctx key = {(char *)(uintptr_t)name, NULL};
    const sslplugi_subctx *hit;

    if (name == NULL || b->sub_count == 0) {
        return NULL;
    }
    hit = bsearch(&key, b->subs, b->sub_count, sizeof(*b->subs), subctx_cmp);
    return hit != NULL ? hit->ctx : NULL;
}
