/*
 * tk_list: ticket keys named in a file the test rewrites between
 * handshakes, read on every call: one label per line, the first key
 * encrypts.  Each key is derived from its label (name, AES and HMAC keys
 * are SHA-256 of "name:", "aes:" and "hmac:" and the label), so tests can
 * compute them too.  Config: {"path": "/abs/keys.txt", "key_len": 32}.  A
 * file holding "fail" makes the callback return -1.  tk_raw is a raw
 * callback (OpenSSL's signature) with the one key of label "raw".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sslplug/plugin.h>

#include "cb_config.h"

typedef struct list {
    char path[512];
    long key_len;
} list;

static void
derive(const char *label, sslplug_ticket_key *k, size_t key_len)
{
    unsigned char md[32];
    char text[128];

    snprintf(text, sizeof(text), "name:%s", label);
    SHA256((const unsigned char *)text, strlen(text), md);
    memcpy(k->name, md, 16);
    snprintf(text, sizeof(text), "aes:%s", label);
    SHA256((const unsigned char *)text, strlen(text), k->aes_key);
    snprintf(text, sizeof(text), "hmac:%s", label);
    SHA256((const unsigned char *)text, strlen(text), k->hmac_key);
    k->key_len = (uint32_t)key_len;
}

static int
tk_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    list *l = calloc(1, sizeof(*l));

    if (l == NULL || !cb_config_string(config_json, "path", l->path, sizeof(l->path))) {
        services->error(handle, "/path", "a path is needed");
        free(l);
        return 0;
    }
    l->key_len = cb_config_int(config_json, "key_len", 32);
    *state = l;
    return 1;
}

static void
tk_fini(void *state)
{
    free(state);
}

static int
tk_keys(void *state, const SSL *ssl, sslplug_ticket_key *keys, size_t max)
{
    const list *l = state;
    FILE *f = fopen(l->path, "r");
    char line[128];
    size_t n = 0;

    (void)ssl;
    if (f == NULL) {
        return 0;
    }
    while (n < max && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "fail") == 0) {
            fclose(f);
            return -1;
        }
        if (line[0] != '\0') {
            derive(line, &keys[n++], (size_t)l->key_len);
        }
    }
    fclose(f);
    return (int)n;
}

SSLPLUG_PLUGIN_EXPORT int tk_raw(SSL *ssl, unsigned char name[16], unsigned char *iv,
                                 EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx, int enc);

int
tk_raw(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx,
       int enc)
{
    static char digest[] = "SHA256";
    sslplug_ticket_key k;
    OSSL_PARAM params[3];

    (void)ssl;
    derive("raw", &k, 32);
    if (!enc && memcmp(name, k.name, 16) != 0) {
        return 0;
    }
    if (enc && RAND_bytes(iv, 16) != 1) {
        return -1;
    }
    memcpy(name, k.name, 16);
    params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k.hmac_key, 32);
    params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[2] = OSSL_PARAM_construct_end();
    if (EVP_MAC_CTX_set_params(hctx, params) != 1) {
        return -1;
    }
    return (enc ? EVP_EncryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k.aes_key, iv)
                : EVP_DecryptInit_ex(ectx, EVP_aes_256_cbc(), NULL, k.aes_key, iv)) == 1
               ? 1
               : -1;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "tk_list",
    .version = "1.0",
    .init = tk_init,
    .fini = tk_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .ticket_keys = tk_keys,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
