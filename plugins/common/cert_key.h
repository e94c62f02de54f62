/*
 * A certificate and its private key as the client certificate plugins hold
 * them (client_cert_file, client_cert_select): read from PEM files at init,
 * with errors against the config, and handed to OpenSSL per handshake; and
 * what every plugin that shares certificates among threads does to them
 * first (cert_select_sni too).
 */
#ifndef SSLPLUG_CERT_KEY_H
#define SSLPLUG_CERT_KEY_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sslplug_plugin_util.h"

/**
 * Fill OpenSSL's cache of x's decoded extensions now.  OpenSSL 3.0 fills it
 * the first time a handshake looks (building or checking a chain), and two
 * handshakes doing that at once on one X509 race inside it: one frees and
 * replaces the key identifiers the other is comparing.  Every certificate a
 * plugin loads at init and hands to handshakes on several threads goes
 * through this first; NULL is a no-op.
 */
void sslplugi_x509_settle(X509 *x);

/**
 * Read the first certificate of the PEM file at path into *cert and, when
 * chain is not NULL, up to max more after it into a new stack *chain (the
 * intermediates sent along), each settled (sslplugi_x509_settle).  Errors at pointer (relative to
 * the entry's config): "cannot open certificate PATH: ...", "cannot read certificate PATH: REASON",
 * "out of memory".  OpenSSL's error queue is left as it was.
 * @returns 1, or 0 after reporting; what was read by then is in *cert and
 *          *chain either way, the caller's to free.
 */
int sslplugi_pem_read_certs(const sslplugi_cfg *cfg, const char *pointer, const char *path,
                            X509 **cert, STACK_OF(X509) **chain, int max);

/**
 * Read the unencrypted private key of the PEM file at path; OpenSSL never
 * prompts for a password.  Errors at pointer: "cannot open private key
 * PATH: ...", "private key PATH is encrypted: expected an unencrypted key",
 * "cannot read private key PATH: REASON".  The error queue is left as it was.
 * @returns the key, or NULL after reporting.
 */
EVP_PKEY *sslplugi_pem_read_key(const sslplugi_cfg *cfg, const char *pointer, const char *path);

/**
 * For a client_cert callback: a new reference to cert and to key in
 * *out_cert and *out_key, for OpenSSL to free.
 * @returns 1, or 0 with neither taken.
 */
int sslplugi_cert_key_get1(X509 *cert, EVP_PKEY *key, X509 **out_cert, EVP_PKEY **out_key);

#endif /* SSLPLUG_CERT_KEY_H */
