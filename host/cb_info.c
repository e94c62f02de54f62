/*
 * info: every info entry in order, each only for the events it takes; and,
 * on a client, the resumption guard at the start of each handshake.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "binding.h"
#include "types.h"

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

/*
 * A client resumes whatever session the application hands it.  Verify
 * callbacks do not run on resumption, so a session made under another
 * configuration (its id context is another digest) is dropped here, before
 * the ClientHello is written: the handshake is then a full one, verified by
 * this configuration's plugins.
 */
static void
drop_foreign_session(const sslplugi_binding *b, const SSL *ssl)
{
    SSL_SESSION *sess = SSL_get_session(ssl);
    const unsigned char *id;
    unsigned int len = 0;

    if (sess == NULL) {
        return;
    }
    id = SSL_SESSION_get0_id_context(sess, &len);
    if (len == sizeof(b->session_id_context) &&
        memcmp(id, b->session_id_context, sizeof(b->session_id_context)) == 0) {
        return;
    }
    /* OpenSSL hands info callbacks a const SSL; the handshake has not begun. */
    SSL_set_session((SSL *)(uintptr_t)ssl, NULL);
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_slot *info;
    char flags[128] = "";

    if (b == NULL) {
        return;
    }
    info = &b->slot[SSLPLUG_CB_INFO];
    if (b->client && (where & SSL_CB_HANDSHAKE_START) != 0) {
        drop_foreign_session(b, ssl);
        /* Roles (roles.c): the context's id is the server's; this side's sessions carry its own. */
        if (b->role_member) {
            SSL_set_session_id_context((SSL *)(uintptr_t)ssl, b->session_id_context,
                                       sizeof(b->session_id_context));
        }
        /* verify_host is also the SNI, unless the application named a server itself. */
        if (b->verify_host != NULL && SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) == NULL) {
            SSL_set_tlsext_host_name((SSL *)(uintptr_t)ssl, b->verify_host);
        }
    }
    /* The cheap exit: no entry takes this event (about a dozen per handshake). */
    if (info->count == 0 || (b->info_events != 0 && (where & (int)b->info_events) == 0)) {
        return;
    }
    for (size_t i = 0; i < info->count; i++) {
        const sslplugi_instance *inst = info->inst[i];

        if (inst->events != 0 && (where & (int)inst->events) == 0) {
            continue;
        }
        if (b->trace_fn != NULL) {
            if (flags[0] == '\0') {
                where_string(where, flags, sizeof(flags));
            }
            if (where & SSL_CB_ALERT) {
                sslplugi_trace(b, inst, ssl, "where=0x%04x %s alert=%s:%s", (unsigned)where, flags,
                               SSL_alert_type_string_long(ret), SSL_alert_desc_string_long(ret));
            } else {
                sslplugi_trace(b, inst, ssl, "where=0x%04x %s ret=%d state=%s", (unsigned)where,
                               flags, ret, SSL_state_string_long(ssl));
            }
        }
        sslplugi_call_begin(inst);
        if (inst->abi) {
            SSLPLUGI_FN(inst, void (*)(void *, const SSL *, int, int))
            (inst->state, ssl, where, ret);
        } else {
            SSLPLUGI_FN(inst, sslplug_raw_info_fn)(ssl, where, ret);
        }
        sslplugi_call_end(inst);
    }
}

/* A client needs the trampoline even without info entries: it guards resumption. */
int
sslplugi_info_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                   int own_ctx, sslplug_error *err)
{
    const sslplugi_slot *info = &b->slot[SSLPLUG_CB_INFO];

    (void)conf;
    (void)own_ctx;
    (void)err;
    /* The events any info entry takes; one entry taking all (0) makes it all. */
    b->info_events = 0;
    for (size_t i = 0; i < info->count; i++) {
        if (info->inst[i]->events == 0) {
            b->info_events = 0;
            break;
        }
        b->info_events |= info->inst[i]->events;
    }
    if (info->count > 0 || b->client) {
        SSL_CTX_set_info_callback(ctx, info_cb);
    }
    return 1;
}
