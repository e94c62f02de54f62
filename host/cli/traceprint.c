/*
 * The trace and log sinks of the verbs that run connections: one line per
 * callback call or plugin message, tagged with the side ("server",
 * "client") passed as the sink's argument.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "cli.h"

void
cli_print_trace(const sslplug_trace_event *ev, void *arg)
{
    printf("[%s] %-11s %s (%s): %s\n", (const char *)arg, sslplug_cb_type_name(ev->type),
           ev->plugin, ev->entry, ev->detail);
}

void
cli_print_log(int level, const char *plugin, const char *message, void *arg)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};

    /* The host's own progress lines are for `sslplug check`, not the trace. */
    if (level >= SSLPLUG_LOG_DEBUG && strcmp(plugin, "sslplug") == 0) {
        return;
    }
    printf("[%s]   %s %s: %s\n", (const char *)arg,
           names[level < 0                   ? 0
                 : level > SSLPLUG_LOG_DEBUG ? SSLPLUG_LOG_DEBUG
                                             : level],
           plugin, message);
}

void
cli_print_peer(const SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char name[256] = "(none)";
    long vr = SSL_get_verify_result(ssl);

    if (peer != NULL) {
        X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    }
    printf("peer: %s\n", name);
    printf("verify: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
    printf("protocol: %s\n", SSL_get_version(ssl));
    printf("cipher: %s\n", SSL_get_cipher_name(ssl));
    X509_free(peer);
}

void
cli_print_text(const char *label, const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\n') {
        len--;
    }
    printf("%s: ", label);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        putchar(c >= 0x20 && c < 0x7f ? c : '.');
    }
    putchar('\n');
}

const char *
cli_openssl_reason(void)
{
    const char *reason = ERR_reason_error_string(ERR_peek_last_error());

    return reason != NULL ? reason : "unknown error";
}
