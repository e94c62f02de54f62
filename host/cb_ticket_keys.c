/*
 * ticket_keys: the keys of session tickets, from a plugin, so that the
 * servers of a fleet encrypt and decrypt each other's tickets.  The first
 * key encrypts, every key decrypts, and a ticket under any key but the
 * first is renewed.  Keys live on this stack for one call and are wiped;
 * the trace shows their names only.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "binding.h"
#include "types.h"

#define NAME_HEX (2 * 16 + 1)

static void
name_hex(const unsigned char name[16], char out[NAME_HEX])
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < 16; i++) {
        out[2 * i] = digits[name[i] >> 4];
        out[2 * i + 1] = digits[name[i] & 15];
    }
    out[32] = '\0';
}

/* Set up ectx and hctx with k (iv given); 1, or 0 when the key or OpenSSL refuses. */
static int
use_key(const sslplug_ticket_key *k, unsigned char *iv, EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx,
        int enc)
{
    const EVP_CIPHER *cipher = k->key_len == 32   ? EVP_aes_256_cbc()
                               : k->key_len == 16 ? EVP_aes_128_cbc()
                                                  : NULL;
    static char digest[] = "SHA256";
    OSSL_PARAM params[3];

    if (cipher == NULL) {
        return 0;
    }
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
                                                  (void *)(uintptr_t)k->hmac_key, k->key_len);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[2] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(hctx, params) != 1) {
        return 0;
    }
    return enc ? EVP_EncryptInit_ex(ectx, cipher, NULL, k->aes_key, iv) == 1
               : EVP_DecryptInit_ex(ectx, cipher, NULL, k->aes_key, iv) == 1;
}

static int
abi_keys(const sslplugi_binding *b, const sslplugi_instance *inst, SSL *ssl, unsigned char *name,
         unsigned char *iv, EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc)
{
    sslplug_ticket_key keys[SSLPLUG_TICKET_KEYS_MAX];
    char hex[NAME_HEX] = "", first[NAME_HEX] = "";
    const char *what = "";
    int n, r = 0;
    size_t i = 0;

    memset(keys, 0, sizeof(keys));
    sslplugi_call_begin(inst);
    n = SSLPLUGI_FN(inst, int (*)(void *, const SSL *, sslplug_ticket_key *, size_t))(
        inst->state, ssl, keys, SSLPLUG_TICKET_KEYS_MAX);
    sslplugi_call_end(inst);
    if (n <= 0 || n > SSLPLUG_TICKET_KEYS_MAX) {
        what = n > SSLPLUG_TICKET_KEYS_MAX ? ": more keys than room, none used" : ": no keys";
        n = 0;
    } else if (enc) {
        /* A fresh IV per ticket, as OpenSSL's own keys get. */
        if (RAND_bytes(iv, 16) == 1 && use_key(&keys[0], iv, ectx, hctx, 1)) {
            memcpy(name, keys[0].name, 16);
            r = 1;
        } else {
            what = ": the first key is unusable, no ticket";
        }
    } else {
        for (i = 0; i < (size_t)n && memcmp(name, keys[i].name, 16) != 0; i++) {
            continue;
        }
        if (i == (size_t)n) {
            what = ": no such key, full handshake";
        } else if (!use_key(&keys[i], iv, ectx, hctx, 0)) {
            what = ": the key is unusable, full handshake";
        } else {
            r = i == 0 ? 1 : 2;
            what = i == 0 ? "" : ": renewed under the first key";
        }
    }
    if (b->trace_fn != NULL) {
        /* An encryption that failed left OpenSSL's name buffer unwritten. */
        if (!enc || r != 0) {
            name_hex(name, hex);
        }
        if (n > 0) {
            name_hex(keys[0].name, first);
        }
        sslplugi_trace(b, inst, ssl, "%s key=%s (%d keys, first %s) -> %d%s",
                       enc ? "encrypt" : "decrypt", r == 0 && enc ? "(none)" : hex, n,
                       n > 0 ? first : "(none)", r, what);
    }
    OPENSSL_cleanse(keys, sizeof(keys));
    ERR_clear_error();
    return r;
}

static int
ticket_key_cb(SSL *ssl, unsigned char *name, unsigned char *iv, EVP_CIPHER_CTX *ectx,
              EVP_MAC_CTX *hctx, int enc)
{
    const sslplugi_binding *b = sslplugi_binding_of(ssl);
    const sslplugi_instance *inst;
    char hex[NAME_HEX] = "";
    int r;

    if (b == NULL || (inst = sslplugi_one(b, SSLPLUG_CB_TICKET_KEYS)) == NULL) {
        return 0;
    }
    if (inst->abi) {
        return abi_keys(b, inst, ssl, name, iv, ectx, hctx, enc);
    }
    sslplugi_call_begin(inst);
    r = SSLPLUGI_FN(inst, sslplug_raw_ticket_keys_fn)(ssl, name, iv, ectx, hctx, enc);
    sslplugi_call_end(inst);
    if (b->trace_fn != NULL) {
        if (!enc || r > 0) {
            name_hex(name, hex);
        }
        sslplugi_trace(b, inst, ssl, "%s key=%s -> %d%s", enc ? "encrypt" : "decrypt",
                       r > 0 ? hex : "(none)", r,
                       r < 0 || r > 2 || (enc && r == 2) ? " (counts as 0: no ticket / full "
                                                           "handshake)"
                                                         : "");
    }
    /* A key source never fails a handshake: it only costs the resumption. */
    return r == 1 || (!enc && r == 2) ? r : 0;
}

int
sslplugi_ticket_keys_bind(SSL_CTX *ctx, sslplugi_binding *b, const sslplugi_context_conf *conf,
                          int own_ctx, sslplug_error *err)
{
    (void)conf;
    (void)own_ctx;
    if (b->slot[SSLPLUG_CB_TICKET_KEYS].count > 0 &&
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_key_cb) != 1) {
        sslplugi_error_set(err, SSLPLUG_E_TLS, "/callbacks/ticket_keys",
                           "OpenSSL refused the ticket key callback");
        return 0;
    }
    return 1;
}

/*
 * Tickets that are never issued need no keys.  The main context's word: a
 * named context may turn them off for its names while the others use them.
 */
int
sslplugi_ticket_keys_check(const sslplugi_config *c, size_t count, sslplug_error *err)
{
    if (count > 0 && c->context.session_tickets == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CONFIG, "/context/session_tickets",
                           "false: no ticket is issued or accepted, so the ticket_keys entry "
                           "would never be called");
        return 0;
    }
    return 1;
}
