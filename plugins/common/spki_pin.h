/*
 * SubjectPublicKeyInfo pins in curl's --pinnedpubkey format: "sha256//"
 * followed by the base64 of the SHA-256 of the certificate's DER-encoded
 * SubjectPublicKeyInfo.  Shared by verify_pin and verify_tofu (whose store
 * holds pins in this format).
 */
#ifndef SSLPLUG_SPKI_PIN_H
#define SSLPLUG_SPKI_PIN_H

#include <openssl/x509.h>

#define SSLPLUGI_PIN_DIGEST_LEN 32
#define SSLPLUGI_PIN_PREFIX "sha256//"
/* "sha256//" + 44 characters of base64 + NUL. */
#define SSLPLUGI_PIN_TEXT_MAX 53

/** The SHA-256 of cert's DER SubjectPublicKeyInfo.  @returns 1, or 0 on failure. */
int sslplugi_pin_digest(const X509 *cert, unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN]);

/** A digest as pin text into out. */
void sslplugi_pin_format(const unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN],
                         char out[SSLPLUGI_PIN_TEXT_MAX]);

/**
 * Parse pin text: exactly "sha256//" and the canonical base64 of 32 bytes.
 * @returns 1 with digest filled in, or 0 when text is not such a pin.
 */
int sslplugi_pin_parse(const char *text, unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN]);

#endif /* SSLPLUG_SPKI_PIN_H */
