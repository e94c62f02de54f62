/*
 * One context, two configurations: sslplug_ctx_apply_roles.  The context's
 * binding holds no instance of its own, only the server's and the client's
 * bindings (binding.h, roles[]); the trampolines take the one of the
 * connection's side (bound.c), so each type's bind function and trampoline
 * stay as they are.  A side without a configuration gets an empty binding:
 * its connections run no plugin and are let be.
 */
#include <stdio.h>
#include <string.h>

#include "binding.h"
#include "types.h"

/* Which of roles[] a side is, and the role its configuration must say. */
enum { SIDE_SERVER = 0, SIDE_CLIENT = 1 };

static int
check_host(sslplugi_generation *gen, int side, sslplug_error *err)
{
    static const sslplugi_role wanted[] = {SSLPLUGI_ROLE_SERVER, SSLPLUGI_ROLE_CLIENT};
    static const char *const names[] = {"server", "client"};
    const sslplugi_config *c = gen->config;

    sslplugi_error_set_source(err, c->source);
    if (c->context.role != wanted[side]) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, "/context/role",
                           "given as the %s configuration, but its role is \"%s\"", names[side],
                           names[!side]);
        return 0;
    }
    if (c->sub_count > 0 || c->has_contexts) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/contexts",
                           "named contexts are not supported on a context of two "
                           "configurations (sslplug_ctx_apply_roles)");
        return 0;
    }
    return 1;
}

/* Bind one side; its verify trampoline, when it has verify entries, into *verify_cb. */
static int
bind_side(SSL_CTX *ctx, sslplugi_binding *parent, int side, sslplug_host *host,
          sslplugi_generation *gen, unsigned flags, SSL_verify_cb *verify_cb, sslplug_error *err)
{
    const sslplugi_context_conf *conf = gen != NULL ? &gen->config->context : NULL;
    sslplugi_binding *b;

    if (gen != NULL && !check_host(gen, side, err)) {
        return 0;
    }
    if (gen != NULL && !sslplugi_generation_load(gen, host->log_fn, host->log_arg, err)) {
        sslplugi_error_set_source(err, gen->config->source);
        return 0;
    }
    b = sslplugi_binding_new(gen, conf, host != NULL ? host->trace_fn : NULL,
                             host != NULL ? host->trace_arg : NULL, err);
    if (b == NULL) {
        return 0;
    }
    b->role_member = 1;
    parent->roles[side] = b;
    if (gen == NULL) {
        return 1;
    }
    if (!sslplugi_binding_bind_types(ctx, b, conf, 0, err)) {
        return 0;
    }
    if (b->slot[SSLPLUG_CB_VERIFY].count > 0) {
        *verify_cb = SSL_CTX_get_verify_callback(ctx);
    }
    if ((flags & SSLPLUG_ROLES_ADD_TRUST) != 0 && !sslplugi_trust_apply(ctx, &gen->trust[0], 0)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, "/context/ca_file",
                           "cannot add CA file %s to the context's trust", conf->ca_file);
        return 0;
    }
    return 1;
}

int
sslplug_ctx_apply_roles(sslplug_host *server, sslplug_host *client, SSL_CTX *ctx, unsigned flags,
                        sslplug_error *err)
{
    sslplug_host *hosts[2] = {server, client};
    sslplugi_generation *gens[2] = {NULL, NULL};
    SSL_verify_cb app_cb, verify_cb = NULL;
    sslplugi_binding *parent;
    int app_mode, ok = 0;

    sslplugi_error_clear(err);
    if ((server == NULL && client == NULL) || ctx == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ARGUMENT, NULL,
                           "a context and at least one configuration are needed");
        return 0;
    }
    for (int side = 0; side < 2; side++) {
        gens[side] = hosts[side] != NULL ? sslplugi_host_current(hosts[side]) : NULL;
    }
    /* Each side's verify bind sets the mode too: the context's own is put back. */
    app_mode = SSL_CTX_get_verify_mode(ctx);
    app_cb = SSL_CTX_get_verify_callback(ctx);
    if ((parent = sslplugi_binding_new(NULL, NULL, NULL, NULL, err)) == NULL ||
        !sslplugi_binding_attach(ctx, parent, err)) {
        goto done;
    }
    /* Client first: a server's password source, bound last, is the context's. */
    if (!bind_side(ctx, parent, SIDE_CLIENT, client, gens[SIDE_CLIENT], flags, &verify_cb, err) ||
        !bind_side(ctx, parent, SIDE_SERVER, server, gens[SIDE_SERVER], flags, &verify_cb, err)) {
        goto done;
    }
    SSL_CTX_set_verify(ctx, app_mode, verify_cb != NULL ? verify_cb : app_cb);
    /* The server's digest guards the sessions it resumes; client sessions get theirs (cb_info.c).
     */
    if (!SSL_CTX_set_session_id_context(
            ctx,
            parent->roles[gens[SIDE_SERVER] != NULL ? SIDE_SERVER : SIDE_CLIENT]
                ->session_id_context,
            sizeof(parent->session_id_context))) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, NULL, "cannot set the session id context");
        goto done;
    }
    ok = 1;
done:
    if (!ok && parent != NULL) {
        /* As sslplug_ctx_apply: a half-bound context of the application refuses every peer. */
        sslplugi_refuse_every_peer(ctx);
    }
    sslplugi_generation_unref(gens[0]);
    sslplugi_generation_unref(gens[1]);
    return ok;
}

size_t
sslplug_host_entry_count(sslplug_host *host, sslplug_cb_type type)
{
    sslplugi_generation *gen;
    size_t n;

    if (host == NULL) {
        return 0;
    }
    gen = sslplugi_host_current(host);
    n = sslplugi_config_count(gen->config, type);
    sslplugi_generation_unref(gen);
    return n;
}

static void
merge(sslplug_inject_settings *out, const sslplugi_inject_keys *k)
{
    if (k->verify >= 0) {
        out->verify = (sslplug_inject_verify)k->verify;
    }
    if (k->on_error_warn >= 0) {
        out->on_error_warn = k->on_error_warn;
    }
    if (k->add_ca_file >= 0) {
        out->add_ca_file = k->add_ca_file;
    }
    if (k->enabled >= 0) {
        out->enabled = k->enabled;
    }
}

int
sslplug_host_inject_settings(sslplug_host *host, const char *program, sslplug_inject_settings *out)
{
    const sslplugi_inject_conf *in;
    sslplugi_generation *gen;
    int found = 0;

    memset(out, 0, sizeof(*out));
    out->verify = SSLPLUG_INJECT_ENFORCE;
    out->enabled = 1;
    if (host == NULL) {
        return 0;
    }
    gen = sslplugi_host_current(host);
    if ((in = gen->config->inject) != NULL) {
        merge(out, &in->keys);
        for (size_t i = 0; program != NULL && i < in->program_count && !found; i++) {
            if (strcmp(in->program_names[i], program) == 0) {
                merge(out, &in->program_keys[i]);
                found = 1;
            }
        }
    }
    sslplugi_generation_unref(gen);
    return found;
}
