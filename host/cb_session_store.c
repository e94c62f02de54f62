/*
 * session_store: an external session cache (a fleet's shared one).  The
 * host does every OpenSSL call: the plugin stores and returns the bytes of
 * i2d_SSL_SESSION under the context's session id context (the namespace)
 * and the session id; what comes back is only resumed when it is a session
 * of that id and that namespace.  A store that fails or answers nothing
 * makes a full handshake, never a failed one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>

#include "binding.h"
#include "settings.h"
#include "types.h"

/* The room of the first GET; a larger session is asked for again with its size. */
#define FIRST_GET_ROOM 16384

/* The first bytes of a session id, for the trace (ids are public: they travel in clear). */
static void
id_hex(const unsigned char *id, size_t len, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    size_t n = len < 8 ? len : 8;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[2 * n] = '\0';
}

static int
call_store(const sslplugi_instance *inst, sslplug_session *s)
{
    int r;

    sslplugi_call_begin(inst);
    r = SSLPLUGI_FN(inst, int (*)(void *, sslplug_session *))(inst->state, s);
    sslplugi_call_end(inst);
    return r;
}

static int
new_cb(SSL *ssl, SSL_SESSION *sess)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    sslplug_session s = {.size = sizeof(s), .op = SSLPLUG_SESSION_NEW};
    unsigned int id_len = 0, ns_len = 0;
    unsigned char *der = NULL, *p;
    char hex[17];
    long lifetime;
    int len, r;

    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_SESSION_STORE)) == NULL) {
        return 0;
    }
    s.id = SSL_SESSION_get_id(sess, &id_len);
    s.ns = SSL_SESSION_get0_id_context(sess, &ns_len);
    s.id_len = id_len;
    s.ns_len = ns_len;
    id_hex(s.id, s.id_len, hex);
    /*
     * A TLS 1.3 session in a stateless ticket travels whole to the client;
     * its id is a placeholder no client will offer.
     */
    if (SSL_version(ssl) >= TLS1_3_VERSION && (SSL_get_options(ssl) & SSL_OP_NO_TICKET) == 0) {
        if (b->trace_fn != NULL) {
            sslplugi_trace(b, inst, ssl, "new id=%s: in a stateless ticket, not stored", hex);
        }
        return 0;
    }
    lifetime = SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess) - (long)time(NULL);
    if (id_len == 0 || ns_len == 0 || lifetime <= 0 || (len = i2d_SSL_SESSION(sess, NULL)) <= 0 ||
        (der = malloc((size_t)len)) == NULL) {
        ERR_clear_error();
        return 0;
    }
    p = der;
    if (i2d_SSL_SESSION(sess, &p) != len) {
        ERR_clear_error();
        free(der);
        return 0;
    }
    s.der = der;
    s.der_len = (size_t)len;
    s.lifetime = lifetime;
    r = call_store(inst, &s);
    /* The encoding holds the master secret. */
    OPENSSL_cleanse(der, (size_t)len);
    free(der);
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "new id=%s %d bytes lifetime=%lds -> %d: %s", hex, len,
                       lifetime, r, r == 1 ? "stored" : "not stored");
    }
    /* The host keeps no reference to the session. */
    return 0;
}

/*
 * The session the store gave, or NULL (with the reason in why) when its
 * bytes are not a session of this id in this namespace: a store's bytes
 * are not trusted to be what was asked for.
 */
static SSL_SESSION *
session_of(const unsigned char *der, size_t len, const sslplug_session *s, const char **why)
{
    const unsigned char *p = der, *got;
    unsigned int got_len = 0;
    SSL_SESSION *sess = d2i_SSL_SESSION(NULL, &p, (long)len);

    if (sess == NULL || p != der + len) {
        *why = "not a session";
    } else if ((got = SSL_SESSION_get_id(sess, &got_len)) == NULL || got_len != s->id_len ||
               memcmp(got, s->id, s->id_len) != 0) {
        *why = "a session of another id";
    } else if ((got = SSL_SESSION_get0_id_context(sess, &got_len)) == NULL ||
               got_len != s->ns_len || memcmp(got, s->ns, s->ns_len) != 0) {
        *why = "a session of another configuration (session id context)";
    } else {
        return sess;
    }
    SSL_SESSION_free(sess);
    ERR_clear_error();
    return NULL;
}

static SSL_SESSION *
get_cb(SSL *ssl, const unsigned char *id, int id_len, int *copy)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    sslplug_session s = {.size = sizeof(s), .op = SSLPLUG_SESSION_GET};
    SSL_SESSION *sess = NULL;
    const char *why = NULL;
    size_t room = FIRST_GET_ROOM;
    unsigned char *buf = NULL;
    char hex[17];
    int r;

    /* A new reference: OpenSSL takes it over. */
    *copy = 0;
    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_SESSION_STORE)) == NULL || id_len <= 0) {
        return NULL;
    }
    s.ns = b->session_id_context;
    s.ns_len = sizeof(b->session_id_context);
    s.id = id;
    s.id_len = (size_t)id_len;
    id_hex(id, s.id_len, hex);
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((buf = malloc(room)) == NULL) {
            return NULL;
        }
        s.buf = buf;
        s.buf_len = room;
        r = call_store(inst, &s);
        if (r <= (int)room || r > SSLPLUG_SESSION_MAX || attempt == 1) {
            break;
        }
        /* Larger than the room given: once more with as much as it needs (it may hold a part). */
        OPENSSL_cleanse(buf, room);
        free(buf);
        buf = NULL;
        room = (size_t)r;
    }
    if (r > 0 && (size_t)r <= room) {
        sess = session_of(buf, (size_t)r, &s, &why);
    } else if (r > 0) {
        why = "larger than the host reads";
    }
    OPENSSL_cleanse(buf, room);
    free(buf);
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "get id=%s -> %d: %s%s", hex, r,
                       sess != NULL                 ? "found"
                       : r == 0                     ? "not found"
                       : r == SSLPLUG_SESSION_ERROR ? "the store cannot answer"
                       : why != NULL                ? "refused, "
                                                    : "a result below 0 counts as not found",
                       sess == NULL && why != NULL ? why : "");
    }
    return sess;
}

static void
remove_cb(SSL_CTX *ctx, SSL_SESSION *sess)
{
    const sslplugi_binding *b = sslplugi_binding_of_ctx(ctx);
    const sslplugi_instance *inst;
    sslplug_session s = {.size = sizeof(s), .op = SSLPLUG_SESSION_REMOVE};
    unsigned int id_len = 0, ns_len = 0;
    char hex[17];
    int r;

    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_SESSION_STORE)) == NULL) {
        return;
    }
    s.id = SSL_SESSION_get_id(sess, &id_len);
    s.ns = SSL_SESSION_get0_id_context(sess, &ns_len);
    s.id_len = id_len;
    s.ns_len = ns_len;
    /* An expired session is gone from the store by its lifetime already. */
    if (id_len == 0 || ns_len == 0 ||
        SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess) <= (long)time(NULL)) {
        return;
    }
    id_hex(s.id, s.id_len, hex);
    r = call_store(inst, &s);
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, NULL, "remove id=%s -> %d", hex, r);
    }
}

/*
 * The external cache goes behind OpenSSL's internal one, or alone with
 * "internal_cache": false.  Only then are removals passed on: with the
 * internal cache, OpenSSL also calls remove for the sessions it evicts for
 * room and for every session it holds when a context is freed (each reload,
 * each exit), which are no invalidations and would empty a cache other
 * servers share.  Without ticket_keys, tickets are turned off: one under
 * this server's own random key resumes nowhere else (TLS 1.3 then issues
 * stateful tickets, whose ids are looked up in the store).
 */
int
sslplugi_session_store_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                            int own_ctx, sslplug_error *err)
{
    const sslplugi_instance *inst = sslplugi_one(b, SSLPLUG_CB_SESSION_STORE);
    long mode = SSL_SESS_CACHE_SERVER;

    (void)conf;
    (void)own_ctx;
    (void)err;
    if (inst == NULL) {
        return 1;
    }
    if (inst->no_internal_cache) {
        mode |= SSL_SESS_CACHE_NO_INTERNAL;
        SSL_CTX_sess_set_remove_cb(ctx, remove_cb);
    }
    SSL_CTX_set_session_cache_mode(ctx, mode);
    SSL_CTX_sess_set_new_cb(ctx, new_cb);
    SSL_CTX_sess_set_get_cb(ctx, get_cb);
    if (b->slot[SSLPLUG_CB_TICKET_KEYS].count == 0) {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    return 1;
}

/*
 * A store with its sessions made unreachable: "session_cache_size": 0 turns
 * OpenSSL's server cache off, store included (internal_cache: false is what
 * keeps only the store); "session_tickets": true without ticket_keys issues
 * TLS 1.3 tickets under this server's own key, which resume nowhere else.
 */
static int
tickets_on(const sslplugi_context_conf *conf)
{
    return conf->session_tickets == 1;
}

int
sslplugi_session_store_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];

    if (count == 0) {
        return 1;
    }
    if (c->context.session_cache_size == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/context/session_cache_size",
                           "0 turns the session cache off, the session_store with it; to keep "
                           "only the store, say \"internal_cache\": false in its entry");
        return 0;
    }
    if (sslplugi_config_count(c, SSLPLUG_CB_TICKET_KEYS) == 0 &&
        sslplugi_settings_where(c, tickets_on, "session_tickets", ptr)) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                           "with a session_store and no ticket_keys, tickets are sealed with "
                           "this server's own key and resume on no other server: add a "
                           "ticket_keys entry, or leave session_tickets out");
        return 0;
    }
    return 1;
}
