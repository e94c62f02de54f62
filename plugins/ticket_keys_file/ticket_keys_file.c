/*
 * ticket_keys_file: session ticket keys from files in nginx's
 * ssl_session_ticket_key format, so that a fleet (nginx servers included)
 * shares them: 80 bytes (16 name, 32 HMAC, 32 AES: AES-256-CBC) or 48
 * bytes (16 name, 16 AES, 16 HMAC: AES-128-CBC), the first file encrypts,
 * all decrypt.  Each file is read as a secret (a private key's owner and
 * mode rules) at init, so a reload of the configuration re-reads them.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sslplug/plugin.h>

#include "secret.h"
#include "sslplug_plugin_util.h"

typedef struct ticket_keys_file {
    sslplug_ticket_key keys[SSLPLUG_TICKET_KEYS_MAX];
    size_t count;
} ticket_keys_file;

static void
tf_fini(void *state)
{
    if (state != NULL) {
        OPENSSL_cleanse(state, sizeof(ticket_keys_file));
        free(state);
    }
}

/* nginx's layouts (ngx_ssl_session_ticket_keys in ngx_event_openssl.c). */
static void
key_of(const unsigned char *buf, size_t len, sslplug_ticket_key *k)
{
    memcpy(k->name, buf, 16);
    if (len == 80) {
        memcpy(k->hmac_key, buf + 16, 32);
        memcpy(k->aes_key, buf + 48, 32);
        k->key_len = 32;
    } else {
        memcpy(k->aes_key, buf + 16, 16);
        memcpy(k->hmac_key, buf + 32, 16);
        k->key_len = 16;
    }
}

static int
tf_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"files", NULL};
    ticket_keys_file *tf = calloc(1, sizeof(*tf));
    char **files = NULL, pointer[64], path[4096];
    unsigned char buf[80];
    size_t count = 0, len;
    sslplugi_cfg cfg;
    int ok = 0;

    if (tf == NULL) {
        return 0;
    }
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_strings(&cfg, "files", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &files,
                              &count)) {
        goto done;
    }
    if (count > SSLPLUG_TICKET_KEYS_MAX) {
        sslplugi_cfg_error(&cfg, "files", "at most %d files, found %zu", SSLPLUG_TICKET_KEYS_MAX,
                           count);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        snprintf(pointer, sizeof(pointer), "/files/%zu", i);
        if (!services->resolve_path(handle, files[i], path, sizeof(path))) {
            sslplugi_cfg_error_at(&cfg, pointer, "path too long");
            goto done;
        }
        if (!sslplugi_secret_read(&cfg, pointer, "ticket key file", path, buf, 48, 80, &len)) {
            goto done;
        }
        if (len != 48 && len != 80) {
            OPENSSL_cleanse(buf, sizeof(buf));
            sslplugi_cfg_error_at(&cfg, pointer,
                                  "ticket key file %s holds %zu bytes: expected 80 (AES-256) or "
                                  "48 (AES-128), as nginx's ssl_session_ticket_key",
                                  path, len);
            goto done;
        }
        key_of(buf, len, &tf->keys[tf->count]);
        OPENSSL_cleanse(buf, sizeof(buf));
        for (size_t j = 0; j < tf->count; j++) {
            if (memcmp(tf->keys[j].name, tf->keys[tf->count].name, 16) == 0) {
                sslplugi_cfg_error_at(&cfg, pointer,
                                      "ticket key file %s has the name of /files/%zu: names tell "
                                      "keys apart",
                                      path, j);
                goto done;
            }
        }
        tf->count++;
    }
    *state = tf;
    tf = NULL;
    ok = 1;
done:
    sslplugi_strings_free(files);
    sslplugi_cfg_close(&cfg);
    tf_fini(tf);
    return ok;
}

static int
tf_keys(void *state, const SSL *ssl, sslplug_ticket_key *keys, size_t max)
{
    const ticket_keys_file *tf = state;
    size_t n = tf->count < max ? tf->count : max;

    (void)ssl;
    memcpy(keys, tf->keys, n * sizeof(*keys));
    return (int)n;
}

/* clang-format off */
static const sslplug_plugin ticket_keys_file_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "ticket_keys_file",
    .version = "1.0",
    .init = tf_init,
    .fini = tf_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .ticket_keys = tf_keys,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &ticket_keys_file_plugin;
}
