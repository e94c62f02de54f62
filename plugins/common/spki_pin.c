/* SPKI pins in curl's format; see spki_pin.h. */
#include "spki_pin.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* Base64 of 32 bytes: 43 characters and one "=". */
#define PIN_BASE64_LEN 44

int
sslplugi_pin_digest(const X509 *cert, unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN])
{
    unsigned char *der = NULL;
    unsigned int len = 0;
    int n;
    int ok;

    n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    if (n <= 0) {
        return 0;
    }
    ok = EVP_Digest(der, (size_t)n, digest, &len, EVP_sha256(), NULL) == 1 &&
         len == SSLPLUGI_PIN_DIGEST_LEN;
    OPENSSL_free(der);
    return ok;
}

void
sslplugi_pin_format(const unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN],
                    char out[SSLPLUGI_PIN_TEXT_MAX])
{
    size_t prefix = strlen(SSLPLUGI_PIN_PREFIX);

    memcpy(out, SSLPLUGI_PIN_PREFIX, prefix);
    EVP_EncodeBlock((unsigned char *)out + prefix, digest, SSLPLUGI_PIN_DIGEST_LEN);
}

int
sslplugi_pin_parse(const char *text, unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN])
{
    size_t prefix = strlen(SSLPLUGI_PIN_PREFIX);
    unsigned char decoded[SSLPLUGI_PIN_DIGEST_LEN + 2];
    char again[SSLPLUGI_PIN_TEXT_MAX];
    const char *b64;

    if (strncmp(text, SSLPLUGI_PIN_PREFIX, prefix) != 0) {
        return 0;
    }
    b64 = text + prefix;
    if (strlen(b64) != PIN_BASE64_LEN) {
        return 0;
    }
    /* EVP_DecodeBlock counts the padding as data: 44 characters give 33 bytes. */
    if (EVP_DecodeBlock(decoded, (const unsigned char *)b64, PIN_BASE64_LEN) !=
        SSLPLUGI_PIN_DIGEST_LEN + 1) {
        return 0;
    }
    /* Only the canonical spelling: re-encoding must give the text back. */
    sslplugi_pin_format(decoded, again);
    if (strcmp(again, text) != 0) {
        return 0;
    }
    memcpy(digest, decoded, SSLPLUGI_PIN_DIGEST_LEN);
    return 1;
}
