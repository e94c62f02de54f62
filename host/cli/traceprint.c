/*
 * The trace and log sinks of the verbs that run connections: one line per
 * callback call or plugin message, tagged with the side ("server",
 * "client") passed as the sink's argument.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "sslplug/plugin.h" /* SSLPLUG_LOG_* */

#include "cli.h"

void
cli_fprint_trace(FILE *out, const char *tag, const sslplug_trace_event *ev)
{
    fprintf(out, "[%s] %-11s %s (%s): %s\n", tag, sslplug_cb_type_name(ev->type), ev->plugin,
            ev->entry, ev->detail);
}

void
cli_print_trace(const sslplug_trace_event *ev, void *arg)
{
    cli_fprint_trace(stdout, arg, ev);
}

void
cli_fprint_log(FILE *out, const char *tag, int level, const char *plugin, const char *message)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};

    /* The host's own progress lines are for `sslplug check`, not the trace. */
    if (level >= SSLPLUG_LOG_DEBUG && strcmp(plugin, "sslplug") == 0) {
        return;
    }
    fprintf(out, "[%s]   %s %s: %s\n", tag,
            names[level < 0                   ? 0
                  : level > SSLPLUG_LOG_DEBUG ? SSLPLUG_LOG_DEBUG
                                              : level],
            plugin, message);
}

void
cli_print_log(int level, const char *plugin, const char *message, void *arg)
{
    cli_fprint_log(stdout, arg, level, plugin, message);
}

void
cli_print_peer(FILE *out, const SSL *ssl)
{
    X509 *peer = SSL_get1_peer_certificate(ssl);
    char name[256] = "(none)";
    long vr = SSL_get_verify_result(ssl);
    const unsigned char *alpn = NULL;
    unsigned alpn_len = 0;

    if (peer != NULL) {
        X509_NAME_oneline(X509_get_subject_name(peer), name, sizeof(name));
    }
    fprintf(out, "peer: %s\n", name);
    fprintf(out, "verify: %ld (%s)\n", vr, X509_verify_cert_error_string(vr));
    fprintf(out, "protocol: %s\n", SSL_get_version(ssl));
    fprintf(out, "cipher: %s\n", SSL_get_cipher_name(ssl));
    fprintf(out, "resumed: %s\n", SSL_session_reused(ssl) ? "yes" : "no");
    SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
    if (alpn_len > 0) {
        fprintf(out, "alpn: %.*s\n", (int)alpn_len, (const char *)alpn);
    }
    X509_free(peer);
}

static void
print_time(FILE *out, const char *label, const ASN1_TIME *t)
{
    BIO *bio = BIO_new_fp(out, BIO_NOCLOSE);

    fprintf(out, "  %s: ", label);
    fflush(out);
    if (bio != NULL) {
        ASN1_TIME_print(bio, t);
        BIO_free(bio);
    }
    fprintf(out, "\n");
}

void
cli_print_chain(FILE *out, const SSL *ssl)
{
    STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
    BIO *bio;

    fprintf(out, "chain: %d certificate%s\n", chain != NULL ? sk_X509_num(chain) : 0,
            chain != NULL && sk_X509_num(chain) == 1 ? "" : "s");
    for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
        X509 *x = sk_X509_value(chain, i);
        char subject[256], issuer[256];

        X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
        X509_NAME_oneline(X509_get_issuer_name(x), issuer, sizeof(issuer));
        fprintf(out, "%d: subject: %s\n  issuer: %s\n", i, subject, issuer);
        print_time(out, "not before", X509_get0_notBefore(x));
        print_time(out, "not after", X509_get0_notAfter(x));
        fflush(out);
        if ((bio = BIO_new_fp(out, BIO_NOCLOSE)) != NULL) {
            PEM_write_bio_X509(bio, x);
            BIO_free(bio);
        }
    }
}

void
cli_print_text(FILE *out, const char *label, const char *text, size_t len)
{
    if (len > 0 && text[len - 1] == '\n') {
        len--;
    }
    if (len > 0 && text[len - 1] == '\r') {
        len--;
    }
    fprintf(out, "%s: ", label);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        fputc(c >= 0x20 && c < 0x7f ? c : '.', out);
    }
    fputc('\n', out);
}

const char *
cli_openssl_reason(void)
{
    const char *reason = ERR_reason_error_string(ERR_peek_last_error());

    return reason != NULL ? reason : "unknown error";
}
