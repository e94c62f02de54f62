/*
 * alpn: a server's choice of application protocol from the client's list,
 * policed so that only a protocol the client offered is ever selected.  A
 * context's "alpn" setting is what happens without this callback
 * (context.c); a server may not have both.
 */
#include <stdio.h>
#include <string.h>

#include "binding.h"
#include "settings.h"
#include "types.h"

/* Whether [out, out + len) is one of the names of the wire list in. */
static int
offered(const unsigned char *in, unsigned inlen, const unsigned char *out, unsigned char len)
{
    for (unsigned i = 0; i < inlen; i += 1u + in[i]) {
        if (in + i + 1 == out && in[i] == len && i + 1u + len <= inlen) {
            return 1;
        }
    }
    return 0;
}

static int
alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
        unsigned int inlen, void *arg)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    const unsigned char *chosen = NULL;
    unsigned char len = 0;
    const char *note = "";
    int r;

    (void)arg;
    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_ALPN)) == NULL) {
        return SSL_TLSEXT_ERR_ALERT_FATAL; /* not our context any more: fail closed */
    }
    sslplugi_call_begin(inst);
    r = inst->abi ? SSLPLUGI_FN(inst, int (*)(void *, SSL *, const unsigned char *, unsigned int,
                                              const unsigned char **, unsigned char *))(
                        inst->state, ssl, in, inlen, &chosen, &len)
                  : SSLPLUGI_FN(inst, sslplug_raw_alpn_fn)(ssl, &chosen, &len, in, inlen, NULL);
    sslplugi_call_end(inst);
    if (r == SSL_TLSEXT_ERR_OK && (chosen == NULL || !offered(in, inlen, chosen, len))) {
        r = SSL_TLSEXT_ERR_ALERT_FATAL;
        note = ": not a protocol the client offered, rejected";
    } else if (r != SSL_TLSEXT_ERR_OK && r != SSL_TLSEXT_ERR_NOACK) {
        r = SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "offered %u bytes -> %s%.*s%s", inlen,
                       r == SSL_TLSEXT_ERR_OK      ? "select "
                       : r == SSL_TLSEXT_ERR_NOACK ? "none"
                                                   : "reject",
                       r == SSL_TLSEXT_ERR_OK ? (int)len : 0,
                       r == SSL_TLSEXT_ERR_OK ? (const char *)chosen : "", note);
    }
    if (r == SSL_TLSEXT_ERR_OK) {
        *out = chosen;
        *outlen = len;
    }
    return r;
}

int
sslplugi_alpn_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                   int own_ctx, sslplug_error *err)
{
    (void)conf;
    (void)own_ctx;
    (void)err;
    if (b->slot[SSLPLUG_CB_ALPN].count > 0) {
        SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
    }
    return 1;
}

static int
alpn_given(const sslplugi_context_conf *conf)
{
    return conf->alpn.n > 0;
}

/* The callback chooses the protocol: a server's "alpn" list would never be read. */
int
sslplugi_alpn_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    return count == 0 || sslplugi_settings_refuse(c, alpn_given, "alpn",
                                                  "an alpn callback chooses the protocol", err);
}
