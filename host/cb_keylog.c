/*
 * keylog: NSS key log lines to the plugin.  The trace shows the label only:
 * the rest of the line is secret.
 */
#include <stdio.h>
#include <string.h>

#include "binding.h"
#include "types.h"

static void
keylog_cb(const SSL *ssl, const char *line)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;

    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_KEYLOG)) == NULL) {
        return;
    }
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "label=%.*s (%zu bytes, secret not traced)",
                       (int)strcspn(line, " "), line, strlen(line));
    }
    sslplugi_call_begin(inst);
    if (inst->abi) {
        SSLPLUGI_FN(inst, void (*)(void *, const SSL *, const char *))(inst->state, ssl, line);
    } else {
        SSLPLUGI_FN(inst, sslplug_raw_keylog_fn)(ssl, line);
    }
    sslplugi_call_end(inst);
}

/* Key logging writes secrets somewhere: say so every time a context gets it. */
int
sslplugi_keylog_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                     int own_ctx, sslplug_error *err)
{
    const sslplugi_instance *inst = sslplugi_one(b, SSLPLUG_CB_KEYLOG);

    (void)conf;
    (void)own_ctx;
    (void)err;
    if (inst != NULL) {
        SSL_CTX_set_keylog_callback(ctx, keylog_cb);
        sslplugi_warn(inst->log_fn, inst->log_arg, SSLPLUG_E_CONFIG, inst->pointer,
                      "KEY LOGGING IS ON (plugin %s): TLS secrets of every connection of this "
                      "context are handed to the plugin; anyone who reads them can decrypt the "
                      "traffic",
                      inst->label);
    }
    return 1;
}
