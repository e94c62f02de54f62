/*
 * The "context" section of a configuration: protocol range, ciphers,
 * certificate and key, trust anchors, verification depth.  Verification
 * mode and callbacks are set by binding.c, which owns the trampolines.
 */
#include <stdio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "internal.h"

/* The JSON pointer of a setting below base ("/context" or "/contexts/NAME"). */
#define P(key) pointer_of(ptrbuf, base, key)

static const char *
pointer_of(char *buf, const char *base, const char *key)
{
    snprintf(buf, SSLPLUG_ERROR_POINTER_MAX, "%s/%s", base, key);
    return buf;
}

static int
set_protocols(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    char reason[256];

    if (c->min_protocol != 0 && !SSL_CTX_set_min_proto_version(ctx, c->min_protocol)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("min_protocol"), "refused by OpenSSL: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->max_protocol != 0 && !SSL_CTX_set_max_proto_version(ctx, c->max_protocol)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("max_protocol"), "refused by OpenSSL: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->ciphers != NULL && !SSL_CTX_set_cipher_list(ctx, c->ciphers)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("ciphers"), "no usable cipher in \"%s\": %s",
                           c->ciphers, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->ciphersuites != NULL && !SSL_CTX_set_ciphersuites(ctx, c->ciphersuites)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("ciphersuites"),
                           "no usable TLS 1.3 ciphersuite in \"%s\": %s", c->ciphersuites,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    return 1;
}

static int
set_keypair(SSL_CTX *ctx, const sslplugi_context_conf *c, const char *base, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    EVP_PKEY *pkey = NULL;
    char reason[256];
    int fd, ok = 0;

    if (c->certificate == NULL) {
        return 1;
    }
    /*
     * Checked, then read by name: the directory checks keep others from
     * putting another file under that name in between.
     */
    if ((fd = sslplugi_file_open_data(c->certificate, &sslplugi_certificate_file, c->check_files,
                                      P("certificate"), err)) < 0) {
        goto done;
    }
    close(fd);
    ERR_clear_error();
    if (!SSL_CTX_use_certificate_chain_file(ctx, c->certificate)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, P("certificate"),
                           "cannot use certificate %s: %s", c->certificate,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    if ((fd = sslplugi_file_open_data(c->private_key, &sslplugi_key_file, c->check_files,
                                      P("private_key"), err)) < 0 ||
        (pkey = sslplugi_read_private_key(ctx, fd, c->private_key, P("private_key"), err)) ==
            NULL) {
        goto done;
    }
    if (!SSL_CTX_use_PrivateKey(ctx, pkey) || !SSL_CTX_check_private_key(ctx)) {
        sslplugi_error_set(err, SSLPLUG_E_PRIVATE_KEY, P("private_key"),
                           "private key %s does not match certificate %s: %s", c->private_key,
                           c->certificate, sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    ok = 1;
done:
    EVP_PKEY_free(pkey);
    return ok;
}

static int
set_trust(SSL_CTX *ctx, const sslplugi_context_conf *c, const sslplugi_trust *trust,
          const char *base, const unsigned char *sid_ctx, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX];
    int verifying = c->verify == SSLPLUGI_VERIFY_PEER || c->verify == SSLPLUGI_VERIFY_REQUIRE;
    char reason[256];

    /* The CA file as the generation read and digested it (trust.c), not as it is now. */
    if (!sslplugi_trust_apply(ctx, trust, verifying && c->role == SSLPLUGI_ROLE_SERVER)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, P("ca_file"), "cannot use CA file %s: %s",
                           c->ca_file, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->ca_path != NULL && !SSL_CTX_load_verify_dir(ctx, c->ca_path)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, P("ca_path"),
                           "cannot use CA directory %s: %s", c->ca_path,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    /* A verifying client with no CA of its own trusts the system store. */
    if (verifying && c->role == SSLPLUGI_ROLE_CLIENT && c->ca_file == NULL && c->ca_path == NULL &&
        !SSL_CTX_set_default_verify_paths(ctx)) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, base,
                           "cannot load the system's default CA store: %s",
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    if (c->verify_depth >= 0) {
        SSL_CTX_set_verify_depth(ctx, (int)c->verify_depth);
    }
    /*
     * Every connection starts with this name to check (SSL_set1_host
     * replaces it per connection); it is sent as SNI when the application
     * sends none (cb_info.c).
     */
    if (c->verify_host != NULL &&
        !X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), c->verify_host, 0)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, P("verify_host"), "cannot use \"%s\": %s",
                           c->verify_host, sslplugi_openssl_reason(reason, sizeof(reason)));
        return 0;
    }
    /*
     * Sessions are only resumed under the configuration that made them:
     * verify callbacks do not run on resumption.  A server compares it on
     * lookup; a client's sessions carry it too, and the info trampoline
     * drops a foreign one before the ClientHello (cb_info.c).
     */
    if (!SSL_CTX_set_session_id_context(ctx, sid_ctx, 32)) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, base, "cannot set the session id context");
        return 0;
    }
    return 1;
}

int
sslplugi_context_configure(SSL_CTX *ctx, const sslplugi_context_conf *conf,
                           const sslplugi_trust *trust, const char *base,
                           const unsigned char *sid_ctx, sslplug_error *err)
{
    return set_protocols(ctx, conf, base, err) && set_trust(ctx, conf, trust, base, sid_ctx, err) &&
           set_keypair(ctx, conf, base, err);
}

/*
 * A named context starts from what the context it belongs to says where the
 * configuration says nothing (the application's protocol range, options and
 * verification parameters, for a context given to sslplug_ctx_apply), so a
 * switch never loosens a setting the configuration left to the application.
 */
int
sslplugi_context_inherit(SSL_CTX *sub, SSL_CTX *main)
{
    SSL_CTX_set_options(sub, SSL_CTX_get_options(main));
    return SSL_CTX_set_min_proto_version(sub, SSL_CTX_get_min_proto_version(main)) &&
           SSL_CTX_set_max_proto_version(sub, SSL_CTX_get_max_proto_version(main)) &&
           SSL_CTX_set1_param(sub, SSL_CTX_get0_param(main));
}

/*
 * Move a connection to a named context, with every setting of that context
 * in force.  SSL_set_SSL_CTX moves the certificate chain and key and the
 * session id context; the connection reads its trust store, client CA
 * names and cipher lists from whichever context it is on when it needs
 * them.  What SSL_new copied into the connection is copied again here: the
 * protocol range (the version is chosen after the client hello callback),
 * the verification mode and callback, the verification parameters (depth,
 * flags) and the options.  tests/test_named_contexts.c proves each key
 * through a real switch.
 */
int
sslplugi_context_switch(SSL *ssl, SSL_CTX *target)
{
    uint64_t options = SSL_CTX_get_options(target);

    if (SSL_set_SSL_CTX(ssl, target) != target) {
        return 0;
    }
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(target), SSL_CTX_get_verify_callback(target));
    SSL_clear_options(ssl, SSL_get_options(ssl) & ~options);
    SSL_set_options(ssl, options);
    return SSL_set_min_proto_version(ssl, SSL_CTX_get_min_proto_version(target)) &&
           SSL_set_max_proto_version(ssl, SSL_CTX_get_max_proto_version(target)) &&
           SSL_set1_param(ssl, SSL_CTX_get0_param(target));
}
