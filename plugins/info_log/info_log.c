/*
 * info_log: one log line per info callback, to see a handshake's progress
 * (and where it failed) without a debugger or packet capture.
 */
#include <stdarg.h>
#include <stdio.h>

#include <openssl/ssl.h>

#include <sslplug/plugin.h>

#include "log_entry.h"
#include "sslplug_plugin_util.h"

/* A log line built in pieces; silently truncated, a log line is no contract. */
typedef struct line {
    char buf[512];
    size_t len;
} line;

static void line_add(line *l, const char *fmt, ...) SSLPLUGI_PRINTF(2, 3);

static void
line_add(line *l, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (l->len >= sizeof(l->buf) - 1) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    l->len += (size_t)n;
    if (l->len > sizeof(l->buf) - 1) {
        l->len = sizeof(l->buf) - 1;
    }
}

/* Single bits only: composites like SSL_CB_ACCEPT_LOOP print as their parts. */
static const struct {
    int flag;
    const char *name;
} where_names[] = {
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

static void
add_where(line *l, int where)
{
    unsigned rest = (unsigned)where;
    const char *sep = " ";

    line_add(l, "where=0x%x", (unsigned)where);
    for (size_t i = 0; i < sizeof(where_names) / sizeof(where_names[0]); i++) {
        if (where & where_names[i].flag) {
            line_add(l, "%s%s", sep, where_names[i].name);
            rest &= ~(unsigned)where_names[i].flag;
            sep = "|";
        }
    }
    if (rest != 0) {
        line_add(l, "%s0x%x", sep, rest);
    }
}

static const char *
exit_result(int ret)
{
    if (ret > 0) {
        return "ok";
    }
    if (ret == 0) {
        return "failed";
    }
    /* < 0 covers both "would block" and fatal errors; SSL_get_error tells. */
    return "would block or error";
}

static void
il_info(void *state, const SSL *ssl, int where, int ret)
{
    const sslplugi_log_entry *il = state;
    line l = {.len = 0};

    line_add(&l, "%s: ", ssl == NULL ? "?" : SSL_is_server(ssl) ? "server" : "client");
    add_where(&l, where);
    if (ssl != NULL) {
        line_add(&l, " state=\"%s\"", SSL_state_string_long(ssl));
    }
    if (where & SSL_CB_ALERT) {
        line_add(&l, " alert %s %s: %s", (where & SSL_CB_READ) ? "read" : "write",
                 SSL_alert_type_string_long(ret), SSL_alert_desc_string_long(ret));
    } else if (where & SSL_CB_EXIT) {
        line_add(&l, " ret=%d (%s)", ret, exit_result(ret));
    }
    if ((where & SSL_CB_HANDSHAKE_DONE) && ssl != NULL) {
        const SSL_CIPHER *cipher = SSL_get_current_cipher(ssl);
        line_add(&l, " protocol=%s cipher=%s", SSL_get_version(ssl),
                 cipher != NULL ? SSL_CIPHER_get_name(cipher) : "(none)");
    }
    il->services->log(il->handle, il->level, "%s", l.buf);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "info_log",
    .version = "1.0",
    .init = sslplugi_log_entry_init,
    .fini = sslplugi_log_entry_fini,
    .info = il_info,
    /* Callbacks only read state fixed at init (or lock it themselves). */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
