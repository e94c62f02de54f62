/*
 * verify_tofu: trust on first use, as ssh's known_hosts.  The first time a
 * peer name is seen, the leaf's public key pin is recorded in a JSON store;
 * afterwards a different key under that name is rejected.  The store is
 * shared safely by threads and processes: readers and writers take flock()
 * on a lock file beside it, and every update replaces the file atomically
 * (a temporary file renamed over it).  When the entry is only checked,
 * nothing is created: the store is read, and its directory must be writable.
 */
#define _DEFAULT_SOURCE /* flock */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <sslplug/plugin.h>

#include "spki_pin.h"
#include "sslplug_plugin_util.h"

/* A store larger than this is refused rather than read (about 100,000 names). */
#define STORE_MAX (8u * 1024 * 1024)
#define NAME_MAX_LEN 256

typedef struct verify_tofu {
    const sslplug_services *services;
    const sslplug_handle *handle;
    char *store;
    char *lock;
    int override;
} verify_tofu;

/* ---- the store ---- */

/*
 * Lock the store: LOCK_SH to read, LOCK_EX to update; create: make the lock
 * file if there is none.  Returns the fd to close, or -1.
 */
static int
store_lock(const verify_tofu *vt, int how, int create, char *why, size_t whylen)
{
    char errbuf[128];
    int fd = open(vt->lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0644);

    if (fd < 0) {
        snprintf(why, whylen, "cannot open lock file %s: %s", vt->lock,
                 sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return -1;
    }
    while (flock(fd, how) != 0) {
        if (errno != EINTR) {
            snprintf(why, whylen, "cannot lock %s: %s", vt->lock,
                     sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* The store as a JSON object of name -> pin; an absent file is an empty store.  Under a lock. */
static json_t *
store_read(const verify_tofu *vt, char *why, size_t whylen)
{
    char errbuf[128];
    json_error_t jerr;
    const char *name;
    json_t *root, *pin;
    char *text = NULL;
    size_t len = 0;

    if (!sslplugi_read_file(vt->store, STORE_MAX, &text, &len)) {
        if (errno == ENOENT) {
            return json_object();
        }
        snprintf(why, whylen, "cannot read store %s: %s", vt->store,
                 sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return NULL;
    }
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (root == NULL) {
        snprintf(why, whylen, "store %s is not valid JSON: line %d: %s", vt->store, jerr.line,
                 jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(why, whylen, "store %s: expected an object of name -> pin", vt->store);
        json_decref(root);
        return NULL;
    }
    json_object_foreach(root, name, pin) {
        unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN];

        if (!json_is_string(pin) || !sslplugi_pin_parse(json_string_value(pin), digest)) {
            snprintf(why, whylen, "store %s: the entry of \"%s\" is not a sha256// pin", vt->store,
                     name);
            json_decref(root);
            return NULL;
        }
    }
    return root;
}

/* Replace the store with root (a temporary file beside it, renamed over it).  Under LOCK_EX. */
static int
store_write(const verify_tofu *vt, const json_t *root, char *why, size_t whylen)
{
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    size_t len = text != NULL ? strlen(text) : 0;
    char *line = text != NULL ? realloc(text, len + 2) : NULL;
    int ok;

    if (line == NULL) {
        free(text);
        snprintf(why, whylen, "out of memory");
        return 0;
    }
    line[len++] = '\n';
    line[len] = '\0';
    ok = sslplugi_replace_file(vt->store, line, len, 0644, 1, why, whylen);
    free(line);
    return ok;
}

/*
 * The pin recorded for name into recorded ("" when there is none), and
 * with record set, the pin recorded for it if there was none; all under
 * one lock, so that two processes meeting a new name at once agree on the
 * first.  Returns 1, or 0 with why set.
 */
static int
store_lookup(const verify_tofu *vt, const char *name, const char *pin, int record,
             char recorded[SSLPLUGI_PIN_TEXT_MAX], char *why, size_t whylen)
{
    int lock = store_lock(vt, record ? LOCK_EX : LOCK_SH, 1, why, whylen);
    json_t *root = NULL;
    const json_t *entry;
    int ok = 0;

    recorded[0] = '\0';
    if (lock < 0 || (root = store_read(vt, why, whylen)) == NULL) {
        goto done;
    }
    entry = json_object_get(root, name);
    if (entry != NULL) {
        snprintf(recorded, SSLPLUGI_PIN_TEXT_MAX, "%s", json_string_value(entry));
    } else if (record) {
        if (json_object_set_new(root, name, json_string(pin)) != 0) {
            snprintf(why, whylen, "out of memory");
            goto done;
        }
        if (!store_write(vt, root, why, whylen)) {
            goto done;
        }
    }
    ok = 1;

done:
    json_decref(root);
    if (lock >= 0) {
        close(lock); /* releases the lock */
    }
    return ok;
}

/* ---- the decision ---- */

/*
 * Who the peer is: on a client, the name it asked for (SNI, else the host
 * the verify parameters check); on a server, the client certificate's
 * common name.  Lower-cased host names; 0 when there is none.
 */
static int
peer_name(X509_STORE_CTX *store, X509 *leaf, char *out, size_t outlen)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    const char *name = NULL;

    if (ssl == NULL) {
        return 0;
    }
    if (!SSL_is_server(ssl)) {
        name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        if (name == NULL || name[0] == '\0') {
            name = X509_VERIFY_PARAM_get0_host(SSL_get0_param(ssl), 0);
        }
        if (name == NULL || name[0] == '\0' || strlen(name) >= outlen) {
            return 0;
        }
        for (size_t i = 0; name[i] != '\0'; i++) {
            out[i] = (char)tolower((unsigned char)name[i]);
        }
        out[strlen(name)] = '\0';
        return 1;
    }
    return X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, out,
                                     (int)outlen) > 0 &&
           strlen(out) > 0;
}

/* Accept (1) or reject (0) the leaf under its peer name; record a first contact when asked. */
static int
decide(const verify_tofu *vt, X509_STORE_CTX *store, int record)
{
    X509 *leaf = X509_STORE_CTX_get0_cert(store);
    unsigned char digest[SSLPLUGI_PIN_DIGEST_LEN];
    char name[NAME_MAX_LEN];
    char pin[SSLPLUGI_PIN_TEXT_MAX];
    char recorded[SSLPLUGI_PIN_TEXT_MAX];
    char why[512];

    if (leaf == NULL || !sslplugi_pin_digest(leaf, digest)) {
        vt->services->log(vt->handle, SSLPLUG_LOG_ERROR, "cannot compute the leaf's pin: rejected");
        return 0;
    }
    if (!peer_name(store, leaf, name, sizeof(name))) {
        vt->services->log(vt->handle, SSLPLUG_LOG_ERROR,
                          "no peer name to record the key under (a client must set SNI or a "
                          "verify host; a client certificate needs a CN): rejected");
        return 0;
    }
    sslplugi_pin_format(digest, pin);
    if (!store_lookup(vt, name, pin, record, recorded, why, sizeof(why))) {
        vt->services->log(vt->handle, SSLPLUG_LOG_ERROR, "%s: rejected", why);
        return 0;
    }
    if (recorded[0] == '\0') {
        if (record) {
            vt->services->log(vt->handle, SSLPLUG_LOG_INFO,
                              "first contact with \"%s\": recorded %s in %s", name, pin, vt->store);
        }
        return 1;
    }
    if (strcmp(recorded, pin) == 0) {
        return 1;
    }
    vt->services->log(vt->handle, SSLPLUG_LOG_WARNING,
                      "the key of \"%s\" changed: recorded %s, presented %s: rejected (remove "
                      "the entry from %s if the change is expected)",
                      name, recorded, pin, vt->store);
    return 0;
}

/*
 * Judged at depth 0, where a first contact is recorded.  Without override
 * a failure is passed on (and nothing recorded); with it, a failure
 * anywhere is answered with the verdict on the leaf's key, recording only
 * at depth 0.
 */
static int
vt_verify(void *state, int ok, X509_STORE_CTX *store)
{
    const verify_tofu *vt = state;
    int depth = X509_STORE_CTX_get_error_depth(store);
    int r;

    if (ok && depth > 0) {
        return 1;
    }
    if (!ok && !vt->override) {
        return 0;
    }
    r = decide(vt, store, depth == 0);
    if (ok && !r) {
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    }
    return r;
}

/* ---- lifecycle ---- */

static void
vt_free(verify_tofu *vt)
{
    if (vt != NULL) {
        free(vt->store);
        free(vt->lock);
        free(vt);
    }
}

/*
 * At init: the lock file can be made and an existing store is readable and
 * well-formed.  Checked (services->checking), nothing is made: the lock is
 * taken if its file exists, and the store's directory, where the lock, the
 * store and its temporary file go, must be writable.
 */
static int
check_store(const sslplugi_cfg *cfg, const verify_tofu *vt, int checking)
{
    char why[512] = "";
    int use_lock = !checking || access(vt->lock, F_OK) == 0;
    int lock = -1;
    json_t *root = NULL;

    if (checking && !sslplugi_cfg_creatable(cfg, "store", "store", vt->store)) {
        return 0;
    }
    if (!use_lock || (lock = store_lock(vt, LOCK_SH, !checking, why, sizeof(why))) >= 0) {
        root = store_read(vt, why, sizeof(why));
    }
    if (lock >= 0) {
        close(lock);
    }
    if (root == NULL) {
        sslplugi_cfg_error(cfg, "store", "%s", why);
        return 0;
    }
    json_decref(root);
    return 1;
}

static int
vt_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"store", "override", NULL};
    sslplugi_cfg cfg;
    verify_tofu *vt = NULL;
    size_t len;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys)) {
        goto done;
    }
    if ((vt = calloc(1, sizeof(*vt))) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    if (!sslplugi_cfg_path(&cfg, "store", SSLPLUGI_REQUIRED, &vt->store) ||
        !sslplugi_cfg_bool(&cfg, "override", SSLPLUGI_OPTIONAL, &vt->override)) {
        goto done;
    }
    len = strlen(vt->store) + sizeof(".lock");
    if ((vt->lock = malloc(len)) == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    snprintf(vt->lock, len, "%s.lock", vt->store);
    if (!check_store(&cfg, vt, sslplugi_cfg_checking(&cfg))) {
        goto done;
    }
    if (vt->override) {
        sslplugi_cfg_check_override(&cfg, "verify_tofu");
    }
    vt->services = services;
    vt->handle = handle;
    *state = vt;
    vt = NULL;
    ok = 1;

done:
    vt_free(vt);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
vt_fini(void *state)
{
    vt_free(state);
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "verify_tofu",
    .version = "1.0",
    .init = vt_init,
    .fini = vt_fini,
    .verify = vt_verify,
    /* State is fixed at init; the store is shared through file locks. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
