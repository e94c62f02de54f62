/*
 * info: every info entry in order, each only for the events it takes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "binding.h"

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

void
sslplugi_info_cb(const SSL *ssl, int where, int ret)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    char flags[128];

    /* The cheap exit: no entry takes this event (about a dozen per handshake). */
    if (b == NULL || (b->info_events != 0 && (where & (int)b->info_events) == 0)) {
        return;
    }
    for (size_t i = 0; i < b->info_count; i++) {
        const sslplugi_instance *inst = b->info[i];

        if (inst->events != 0 && (where & (int)inst->events) == 0) {
            continue;
        }
        if (b->trace_fn != NULL) {
            where_string(where, flags, sizeof(flags));
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
            inst->fn.info(inst->state, ssl, where, ret);
        } else {
            inst->fn.raw_info(ssl, where, ret);
        }
        sslplugi_call_end(inst);
    }
}
