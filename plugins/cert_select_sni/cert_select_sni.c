/*
 * cert_select_sni: a server's certificate chosen per SNI name from a
 * directory of chains, the way a virtual-hosting front end does it.
 *
 * At init every NAME.crt (leaf first, then its intermediates) with a
 * matching NAME.key in "dir" is loaded; a pair that cannot be used is an
 * init error, so a broken deployment is found before the first client.
 * Every name a leaf serves by X509_check_host's rules (leaf_names.h) goes
 * into one index (name_index.h), so that a handshake costs one or two hash
 * lookups however many chains there are: the chain of the exact name, else
 * the chain of the "*." pattern one label up, set with its intermediates;
 * without one, the chain named "default", or the context's own certificate
 * when there is none.  Two chains claiming one pattern are decided at init
 * by prefer() and logged, never by file order.
 */
#define _GNU_SOURCE /* scandir, alphasort */

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "cert_key.h"
#include "key_reader.h"
#include "leaf_names.h"
#include "name_index.h"
#include "name_pattern.h"
#include "sslplug_plugin_util.h"

typedef struct chain {
    char name[256]; /* file stem */
    X509 *leaf;
    STACK_OF(X509) *intermediates;
    EVP_PKEY *key;
    unsigned char sha256[32]; /* of the leaf: the last word between two chains */
    int valid;                /* within the leaf's validity period at init */
    int names;                /* patterns indexed for it */
} chain;

typedef struct cert_select_sni {
    const sslplug_services *services;
    const sslplug_handle *handle;
    chain *chains;
    size_t count;
    const chain *fallback;
    sslplugi_name_index *index; /* pattern -> chain */
} cert_select_sni;

static void
cs_fini(void *state)
{
    cert_select_sni *cs = state;

    if (cs == NULL) {
        return;
    }
    for (size_t i = 0; i < cs->count; i++) {
        X509_free(cs->chains[i].leaf);
        sk_X509_pop_free(cs->chains[i].intermediates, X509_free);
        EVP_PKEY_free(cs->chains[i].key);
    }
    free(cs->chains);
    sslplugi_name_index_free(cs->index);
    free(cs);
}

static int
load_chain(const sslplugi_cfg *cfg, const char *dir, const char *stem, time_t now,
           sslplugi_key_reader *keys, chain *c)
{
    char path[4096];
    FILE *f;

    snprintf(c->name, sizeof(c->name), "%s", stem);
    snprintf(path, sizeof(path), "%s/%s.crt", dir, stem);
    /* The leaf, then every intermediate after it, each settled for the threads. */
    if (!sslplugi_pem_read_certs(cfg, "/dir", path, &c->leaf, &c->intermediates, INT_MAX)) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s/%s.key", dir, stem);
    if ((f = sslplugi_pem_open(cfg, "/dir", "private key", path)) == NULL) {
        return 0;
    }
    c->key = sslplugi_key_reader_read(keys, f);
    fclose(f);
    if (c->key == NULL) {
        ERR_clear_error();
        sslplugi_cfg_error(cfg, "dir", "cannot read unencrypted private key %s", path);
        return 0;
    }
    if (X509_check_private_key(c->leaf, c->key) != 1) {
        ERR_clear_error();
        sslplugi_cfg_error(cfg, "dir", "%s/%s.key does not match %s/%s.crt", dir, stem, dir, stem);
        return 0;
    }
    if (!X509_digest(c->leaf, EVP_sha256(), c->sha256, NULL)) {
        sslplugi_cfg_error(cfg, "dir", "cannot digest %s/%s.crt", dir, stem);
        return 0;
    }
    /* X509_cmp_time: -1 for a time before now, 1 after, 0 for an unreadable one. */
    c->valid = X509_cmp_time(X509_get0_notBefore(c->leaf), &now) < 0 &&
               X509_cmp_time(X509_get0_notAfter(c->leaf), &now) > 0;
    return 1;
}

static int
is_crt(const struct dirent *d)
{
    size_t n = strlen(d->d_name);

    return n > 4 && strcmp(d->d_name + n - 4, ".crt") == 0 && d->d_name[0] != '.';
}

static int
load_dir(const sslplugi_cfg *cfg, const char *dir, cert_select_sni *cs)
{
    struct dirent **names = NULL;
    char errbuf[256];
    int n = scandir(dir, &names, is_crt, alphasort), ok = 1;
    time_t now = time(NULL);
    sslplugi_key_reader *keys = NULL;

    if (n < 0) {
        sslplugi_cfg_error(cfg, "dir", "cannot read directory %s: %s", dir,
                           sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    if (n == 0) {
        sslplugi_cfg_error(cfg, "dir", "no NAME.crt in %s", dir);
        ok = 0;
    } else if ((cs->chains = calloc((size_t)n, sizeof(*cs->chains))) == NULL ||
               (keys = sslplugi_key_reader_new()) == NULL) {
        sslplugi_cfg_error(cfg, "dir", "out of memory");
        ok = 0;
    }
    for (int i = 0; i < n; i++) {
        if (ok) {
            names[i]->d_name[strlen(names[i]->d_name) - 4] = '\0';
            ok = load_chain(cfg, dir, names[i]->d_name, now, keys, &cs->chains[cs->count]);
            cs->count++;
        }
        free(names[i]);
    }
    free(names);
    sslplugi_key_reader_free(keys);
    return ok;
}

/*
 * Which of two chains claiming one pattern serves it, and why: the one
 * valid now; else the one expiring later, so a renewed certificate dropped
 * beside the old one takes over; else the smaller SHA-256 of the leaf; else
 * (the same leaf twice) the first file name.  Never the file order alone.
 */
static chain *
prefer(chain *a, chain *b, const char **why)
{
    int order;

    if (a->valid != b->valid) {
        *why = "the only one valid now";
        return a->valid ? a : b;
    }
    /* -2: a time that cannot be compared; the digests decide instead. */
    order = ASN1_TIME_compare(X509_get0_notAfter(a->leaf), X509_get0_notAfter(b->leaf));
    if (order == 1 || order == -1) {
        *why = "it expires later";
        return order > 0 ? a : b;
    }
    if ((order = memcmp(a->sha256, b->sha256, sizeof(a->sha256))) != 0) {
        *why = "the same expiry, and the smaller SHA-256 of the leaf";
        return order < 0 ? a : b;
    }
    *why = "the same leaf, and the first file name";
    return strcmp(a->name, b->name) <= 0 ? a : b;
}

typedef struct indexing {
    cert_select_sni *cs;
    chain *c;
} indexing;

/* sslplugi_leaf_name_fn: one name of chain ix->c into the index. */
static int
index_name(void *arg, const char *text, const char *pattern, const char *why)
{
    const indexing *ix = arg;
    const cert_select_sni *cs = ix->cs;
    chain *held, *winner;
    const char *reason;
    void **slot;

    if (pattern == NULL) {
        cs->services->log(cs->handle, SSLPLUG_LOG_WARNING, "chain %s: name %s is not served: %s",
                          ix->c->name, text, why);
        return 1;
    }
    if ((slot = sslplugi_name_index_slot(cs->index, pattern)) == NULL) {
        return 0;
    }
    if ((held = *slot) == ix->c) {
        return 1; /* one leaf naming it twice */
    }
    if (held == NULL) {
        *slot = ix->c;
        ix->c->names++;
        return 1;
    }
    winner = prefer(held, ix->c, &reason);
    cs->services->log(cs->handle, SSLPLUG_LOG_WARNING,
                      "name %s is claimed by chains %s and %s: %s serves it (%s)", pattern,
                      held->name, ix->c->name, winner->name, reason);
    if (winner != held) {
        *slot = winner;
        held->names--;
        winner->names++;
    }
    return 1;
}

/* Every name of every chain, each chain looked at once: linear in the number of names. */
static int
build_index(const sslplugi_cfg *cfg, cert_select_sni *cs)
{
    if ((cs->index = sslplugi_name_index_new()) == NULL) {
        sslplugi_cfg_error(cfg, "dir", "out of memory");
        return 0;
    }
    for (size_t i = 0; i < cs->count; i++) {
        indexing ix = {cs, &cs->chains[i]};

        if (!sslplugi_leaf_names(cs->services, cs->chains[i].leaf, index_name, &ix)) {
            sslplugi_cfg_error(cfg, "dir", "out of memory");
            return 0;
        }
    }
    for (size_t i = 0; i < cs->count; i++) {
        if (cs->chains[i].names == 0 && &cs->chains[i] != cs->fallback) {
            cs->services->log(cs->handle, SSLPLUG_LOG_WARNING,
                              "chain %s serves no name: another chain serves each of its "
                              "leaf's names, or none is served",
                              cs->chains[i].name);
        }
    }
    return 1;
}

static int
cs_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"dir", "default", NULL};
    sslplugi_cfg cfg;
    cert_select_sni *cs = calloc(1, sizeof(*cs));
    const char *fallback = "default";
    char *dir = NULL;
    int ok = 0;

    if (cs == NULL) {
        return 0;
    }
    cs->services = services;
    cs->handle = handle;
    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_path(&cfg, "dir", SSLPLUGI_REQUIRED | SSLPLUGI_NONEMPTY, &dir) ||
        !sslplugi_cfg_string(&cfg, "default", SSLPLUGI_NONEMPTY, &fallback) ||
        !load_dir(&cfg, dir, cs)) {
        goto done;
    }
    for (size_t i = 0; i < cs->count; i++) {
        if (strcmp(cs->chains[i].name, fallback) == 0) {
            cs->fallback = &cs->chains[i];
        }
    }
    if (cs->fallback == NULL && strcmp(fallback, "default") != 0) {
        sslplugi_cfg_error(&cfg, "default", "no %s.crt in %s", fallback, dir);
        goto done;
    }
    if (!build_index(&cfg, cs)) {
        goto done;
    }
    *state = cs;
    cs = NULL;
    ok = 1;
done:
    sslplugi_cfg_close(&cfg);
    free(dir);
    cs_fini(cs);
    return ok;
}

/* The exact name's chain, else its "*." pattern's (one label up), else the fallback. */
static const chain *
pick(const cert_select_sni *cs, const char *name)
{
    const chain *c = NULL;

    if (name != NULL && (c = sslplugi_name_index_exact(cs->index, name)) == NULL &&
        sslplugi_wildcard_label(name)) {
        c = sslplugi_name_index_wildcard(cs->index, name);
    }
    return c != NULL ? c : cs->fallback;
}

static int
cs_cert(void *state, SSL *ssl)
{
    const cert_select_sni *cs = state;
    char normal[256];
    /* The host's one form of the name: "Alt.Example." picks alt.example's chain. */
    const char *name = sslplugi_server_name(cs->services, ssl, normal, sizeof(normal));
    const chain *c;

    if (!SSL_is_server(ssl)) {
        return 1;
    }
    if ((c = pick(cs, name)) == NULL) {
        cs->services->log(cs->handle, SSLPLUG_LOG_INFO,
                          "no chain for name %s: the context's own certificate is used",
                          name != NULL ? name : "(none)");
        return 1;
    }
    cs->services->log(cs->handle, SSLPLUG_LOG_DEBUG, "name %s: chain %s",
                      name != NULL ? name : "(none)", c->name);
    /* override=1: replace whatever certificate the context carries. */
    return SSL_use_cert_and_key(ssl, c->leaf, c->key, c->intermediates, 1) == 1;
}

/* clang-format off */
static const sslplug_plugin cert_select_sni_plugin = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "cert_select_sni",
    .version = "1.0",
    .init = cs_init,
    .fini = cs_fini,
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .cert = cs_cert,
};
/* clang-format on */

SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &cert_select_sni_plugin;
}
