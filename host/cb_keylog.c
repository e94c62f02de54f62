/*
 * keylog: NSS key log lines to the plugin.  The trace shows the label only:
 * the rest of the line is secret.
 */
#include <stdio.h>
#include <string.h>

#include "binding.h"

void
sslplugi_keylog_cb(const SSL *ssl, const char *line)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;

    if (b == NULL || b->keylog == NULL) {
        return;
    }
    inst = b->keylog;
    if (b->trace_fn != NULL) {
        sslplugi_trace(b, inst, ssl, "label=%.*s (%zu bytes, secret not traced)",
                       (int)strcspn(line, " "), line, strlen(line));
    }
    sslplugi_call_begin(inst);
    if (inst->abi) {
        inst->fn.keylog(inst->state, ssl, line);
    } else {
        inst->fn.raw_keylog(ssl, line);
    }
    sslplugi_call_end(inst);
}
