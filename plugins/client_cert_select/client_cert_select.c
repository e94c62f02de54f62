/*
 * client_cert_select: answer a server's certificate request with the first
 * of several certificate/key pairs that the server can accept, the way
 * Apache's mod_ssl picks a proxy client certificate: the pair's issuer
 * chain leads to a CA the server named, the certificate is valid now, and
 * its key matches.  When nothing fits, no certificate is sent, and the log
 * says why each pair was passed over.
 *
 * Every file is read at init, so an unreadable pair is a configuration
 * error, not a handshake that silently goes without a certificate.
 * cs_select() decides from the loaded pairs and the server's CA names
 * alone, with no SSL object, so that other callback types can reuse it.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sslplug/plugin.h>

#include "cert_key.h"
#include "sslplug_plugin_util.h"

#define POINTER_MAX 128
#define PATH_BYTES 4096
#define NAME_TEXT 256
/* Certificates read from one file: the leaf and the intermediates after it. */
#define CHAIN_MAX 16

typedef struct cs_pair {
    char *cert_path;
    char *key_path;
    X509 *cert;
    STACK_OF(X509) *extra; /* the other certificates of cert_path, for the issuer walk */
    EVP_PKEY *key;
    int key_matches;
    char subject[NAME_TEXT];
} cs_pair;

typedef struct client_cert_select {
    const sslplug_services *services;
    const sslplug_handle *handle;
    cs_pair *pairs;
    size_t npairs;
} client_cert_select;

/* Where a pair came from, for init errors. */
typedef struct pair_source {
    char cert_pointer[POINTER_MAX]; /* "/pairs/1/cert", or "/dir" */
    char key_pointer[POINTER_MAX];
} pair_source;

static void
pair_clear(cs_pair *p)
{
    free(p->cert_path);
    free(p->key_path);
    X509_free(p->cert);
    sk_X509_pop_free(p->extra, X509_free);
    EVP_PKEY_free(p->key);
    memset(p, 0, sizeof(*p));
}

static void
cs_free(client_cert_select *cs)
{
    if (cs == NULL) {
        return;
    }
    for (size_t i = 0; i < cs->npairs; i++) {
        pair_clear(&cs->pairs[i]);
    }
    free(cs->pairs);
    free(cs);
}

/*
 * Read one pair into p, which owns cert_path and key_path already.  A key
 * that does not match is not an error here: the pair is kept, logged, and
 * passed over at every selection with the reason.
 */
static int
load_pair(const sslplugi_cfg *cfg, const pair_source *src, cs_pair *p)
{
    /* The certificate, then up to CHAIN_MAX - 1 more after it in its file. */
    if (!sslplugi_pem_read_certs(cfg, src->cert_pointer, p->cert_path, &p->cert, &p->extra,
                                 CHAIN_MAX - 1) ||
        (p->key = sslplugi_pem_read_key(cfg, src->key_pointer, p->key_path)) == NULL) {
        return 0;
    }
    ERR_set_mark();
    p->key_matches = X509_check_private_key(p->cert, p->key) == 1;
    ERR_pop_to_mark();
    sslplugi_x509_name(X509_get_subject_name(p->cert), p->subject, sizeof(p->subject));
    if (!p->key_matches) {
        cfg->services->log(cfg->handle, SSLPLUG_LOG_WARNING,
                           "private key %s does not match certificate %s: this pair will never "
                           "be sent",
                           p->key_path, p->cert_path);
    }
    return 1;
}

/* Append a pair taking ownership of both paths (freed on failure too). */
static int
add_pair(client_cert_select *cs, const sslplugi_cfg *cfg, const pair_source *src, char *cert_path,
         char *key_path)
{
    cs_pair *grown = realloc(cs->pairs, (cs->npairs + 1) * sizeof(*cs->pairs));
    cs_pair *p;

    if (grown == NULL) {
        free(cert_path);
        free(key_path);
        sslplugi_cfg_error(cfg, NULL, "out of memory");
        return 0;
    }
    cs->pairs = grown;
    p = &cs->pairs[cs->npairs++];
    memset(p, 0, sizeof(*p));
    p->cert_path = cert_path;
    p->key_path = key_path;
    return load_pair(cfg, src, p);
}

/* A required, non-empty path member of a pair object, resolved; *out is malloc'd. */
static int
pair_path(const sslplugi_cfg *cfg, const json_t *obj, const char *member, const char *pointer,
          char **out)
{
    char resolved[PATH_BYTES];
    const json_t *v = json_object_get(obj, member);

    if (v == NULL) {
        sslplugi_cfg_error_at(cfg, pointer, "required key \"%s\" is missing: expected string",
                              member);
        return 0;
    }
    if (!json_is_string(v)) {
        sslplugi_cfg_error_at(cfg, pointer, "wrong type: expected string, found %s",
                              sslplugi_json_type_name(v));
        return 0;
    }
    if (json_string_length(v) == 0) {
        sslplugi_cfg_error_at(cfg, pointer,
                              "empty string: expected a non-empty string, found \"\"");
        return 0;
    }
    if (!cfg->services->resolve_path(cfg->handle, json_string_value(v), resolved,
                                     sizeof(resolved))) {
        sslplugi_cfg_error_at(cfg, pointer, "path \"%s\" is too long once resolved",
                              json_string_value(v));
        return 0;
    }
    if ((*out = strdup(resolved)) == NULL) {
        sslplugi_cfg_error_at(cfg, pointer, "out of memory");
        return 0;
    }
    return 1;
}

static int
load_listed(client_cert_select *cs, const sslplugi_cfg *cfg, json_t *pairs)
{
    size_t i;
    json_t *item;

    if (!json_is_array(pairs)) {
        sslplugi_cfg_error_at(cfg, "/pairs", "wrong type: expected array of objects, found %s",
                              sslplugi_json_type_name(pairs));
        return 0;
    }
    if (json_array_size(pairs) == 0) {
        sslplugi_cfg_error_at(cfg, "/pairs",
                              "empty array: expected at least one {\"cert\", \"key\"} object");
        return 0;
    }
    json_array_foreach(pairs, i, item) {
        pair_source src;
        char pointer[POINTER_MAX];
        char *cert_path = NULL;
        char *key_path = NULL;
        const char *member;
        json_t *value;

        snprintf(pointer, sizeof(pointer), "/pairs/%zu", i);
        if (!json_is_object(item)) {
            sslplugi_cfg_error_at(cfg, pointer, "wrong type: expected object, found %s",
                                  sslplugi_json_type_name(item));
            return 0;
        }
        json_object_foreach(item, member, value) {
            if (strcmp(member, "cert") != 0 && strcmp(member, "key") != 0) {
                sslplugi_pointer_append(pointer, sizeof(pointer), member);
                sslplugi_cfg_error_at(
                    cfg, pointer, "unknown key \"%s\": expected one of \"cert\", \"key\"", member);
                return 0;
            }
        }
        snprintf(src.cert_pointer, sizeof(src.cert_pointer), "/pairs/%zu/cert", i);
        snprintf(src.key_pointer, sizeof(src.key_pointer), "/pairs/%zu/key", i);
        if (!pair_path(cfg, item, "cert", src.cert_pointer, &cert_path) ||
            !pair_path(cfg, item, "key", src.key_pointer, &key_path) ||
            !add_pair(cs, cfg, &src, cert_path, key_path)) {
            /* add_pair owns both paths once called; before that they are ours. */
            if (key_path == NULL) {
                free(cert_path);
            }
            return 0;
        }
    }
    return 1;
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "x.crt" or "x.pem" (not hidden): the length of "x", else 0. */
static size_t
cert_stem(const char *name)
{
    size_t len = strlen(name);

    if (name[0] == '.' || len <= 4) {
        return 0;
    }
    if (strcmp(name + len - 4, ".crt") == 0 || strcmp(name + len - 4, ".pem") == 0) {
        return len - 4;
    }
    return 0;
}

static int
is_regular(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *
join(const char *dir, const char *name, size_t namelen, const char *suffix)
{
    size_t len = strlen(dir) + 1 + namelen + strlen(suffix) + 1;
    char *s = malloc(len);

    if (s != NULL) {
        snprintf(s, len, "%s/%.*s%s", dir, (int)namelen, name, suffix);
    }
    return s;
}

/* Every x.crt / x.pem with an x.key beside it, in byte order of the names. */
static int
load_dir(client_cert_select *cs, const sslplugi_cfg *cfg, const char *dir)
{
    char errbuf[256];
    pair_source src;
    DIR *d = NULL;
    struct dirent *e;
    char **names = NULL;
    size_t count = 0;
    size_t before = cs->npairs;
    int ok = 0;

    snprintf(src.cert_pointer, sizeof(src.cert_pointer), "/dir");
    snprintf(src.key_pointer, sizeof(src.key_pointer), "/dir");
    if ((d = opendir(dir)) == NULL) {
        sslplugi_cfg_error_at(cfg, "/dir", "cannot open directory %s: %s", dir,
                              sslplugi_strerror(errno, errbuf, sizeof(errbuf)));
        return 0;
    }
    while ((e = readdir(d)) != NULL) {
        char **grown;

        if (cert_stem(e->d_name) == 0) {
            continue;
        }
        grown = realloc(names, (count + 1) * sizeof(*names));
        if (grown == NULL || (grown[count] = strdup(e->d_name)) == NULL) {
            names = grown != NULL ? grown : names;
            sslplugi_cfg_error_at(cfg, "/dir", "out of memory");
            goto done;
        }
        names = grown;
        count++;
    }
    if (count > 0) {
        qsort(names, count, sizeof(*names), compare_names);
    }
    for (size_t i = 0; i < count; i++) {
        size_t stem = cert_stem(names[i]);
        char *cert_path = join(dir, names[i], strlen(names[i]), "");
        char *key_path = join(dir, names[i], stem, ".key");

        if (cert_path == NULL || key_path == NULL) {
            free(cert_path);
            free(key_path);
            sslplugi_cfg_error_at(cfg, "/dir", "out of memory");
            goto done;
        }
        if (!is_regular(cert_path) || !is_regular(key_path)) {
            cfg->services->log(cfg->handle, SSLPLUG_LOG_DEBUG,
                               "%s: no regular file %s beside it, not a pair", cert_path, key_path);
            free(cert_path);
            free(key_path);
            continue;
        }
        if (!add_pair(cs, cfg, &src, cert_path, key_path)) {
            goto done;
        }
    }
    if (cs->npairs == before) {
        sslplugi_cfg_error_at(
            cfg, "/dir",
            "no certificate/key pair in %s: expected NAME.crt or NAME.pem with NAME.key", dir);
        goto done;
    }
    ok = 1;

done:
    for (size_t i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    closedir(d);
    return ok;
}

static int
cs_init(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
        void **state)
{
    static const char *const keys[] = {"dir", "pairs", NULL};
    sslplugi_cfg cfg;
    client_cert_select *cs = NULL;
    json_t *pairs;
    char *dir = NULL;
    int ok = 0;

    if (!sslplugi_cfg_open(&cfg, services, handle, config_json, keys) ||
        !sslplugi_cfg_path(&cfg, "dir", SSLPLUGI_OPTIONAL, &dir)) {
        goto done;
    }
    pairs = json_object_get(cfg.root, "pairs");
    if (dir == NULL && pairs == NULL) {
        sslplugi_cfg_error(&cfg, "", "no pairs configured: expected \"dir\", \"pairs\" or both");
        goto done;
    }
    cs = calloc(1, sizeof(*cs));
    if (cs == NULL) {
        sslplugi_cfg_error(&cfg, NULL, "out of memory");
        goto done;
    }
    cs->services = services;
    cs->handle = handle;
    /* The explicit list first, in its order; then the directory, in name order. */
    if ((pairs != NULL && !load_listed(cs, &cfg, pairs)) ||
        (dir != NULL && !load_dir(cs, &cfg, dir))) {
        goto done;
    }

    *state = cs;
    cs = NULL;
    ok = 1;

done:
    cs_free(cs);
    free(dir);
    sslplugi_cfg_close(&cfg);
    return ok;
}

static void
cs_fini(void *state)
{
    cs_free(state);
}

/* ---- selection ---- */

static int
name_listed(const X509_NAME *name, const STACK_OF(X509_NAME) *names)
{
    for (int i = 0; i < sk_X509_NAME_num(names); i++) {
        if (X509_NAME_cmp(name, sk_X509_NAME_value(names, i)) == 0) {
            return 1;
        }
    }
    return 0;
}

/*
 * Walk from the certificate up through the certificates of its own file:
 * acceptable as soon as one on the way was issued by a CA the server named.
 */
static int
chain_acceptable(const cs_pair *p, const STACK_OF(X509_NAME) *names)
{
    X509 *cur = p->cert;

    for (int depth = 0; depth <= sk_X509_num(p->extra); depth++) {
        X509 *next = NULL;

        if (name_listed(X509_get_issuer_name(cur), names)) {
            return 1;
        }
        for (int i = 0; i < sk_X509_num(p->extra) && next == NULL; i++) {
            X509 *candidate = sk_X509_value(p->extra, i);

            if (candidate != cur && X509_check_issued(candidate, cur) == X509_V_OK) {
                next = candidate;
            }
        }
        if (next == NULL) {
            return 0;
        }
        cur = next;
    }
    return 0;
}

static void
asn1_time_text(const ASN1_TIME *t, char *out, size_t outlen)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL;
    long n;

    snprintf(out, outlen, "(unreadable time)");
    if (bio != NULL && ASN1_TIME_print(bio, t) == 1 && (n = BIO_get_mem_data(bio, &data)) > 0) {
        snprintf(out, outlen, "%.*s", (int)n, data);
    }
    BIO_free(bio);
}

static void skip(const client_cert_select *cs, size_t i, const char *fmt, ...)
    SSLPLUGI_PRINTF(3, 4);

static void
skip(const client_cert_select *cs, size_t i, const char *fmt, ...)
{
    char reason[768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    cs->services->log(cs->handle, SSLPLUG_LOG_INFO, "pair %zu (%s): skipped: %s", i,
                      cs->pairs[i].cert_path, reason);
}

/*
 * The first usable pair for a server that named `names` as acceptable CAs:
 * issued (through the certificates of its file) by one of them, valid now,
 * and with a key that matches.  A server that names no CA accepts any
 * issuer, as in Apache.  Logs why each pair before the chosen one was
 * skipped.  Returns the pair's index, or -1 when none fits.
 */
static long
cs_select(const client_cert_select *cs, const STACK_OF(X509_NAME) *names)
{
    int any_issuer = names == NULL || sk_X509_NAME_num(names) == 0;
    char text[NAME_TEXT];

    for (size_t i = 0; i < cs->npairs; i++) {
        const cs_pair *p = &cs->pairs[i];

        if (!any_issuer && !chain_acceptable(p, names)) {
            sslplugi_x509_name(X509_get_issuer_name(p->cert), text, sizeof(text));
            skip(cs, i,
                 "issuer not acceptable: \"%s\" leads to none of the %d CA names the "
                 "server sent",
                 text, sk_X509_NAME_num(names));
            continue;
        }
        if (X509_cmp_current_time(X509_get0_notBefore(p->cert)) >= 0) {
            asn1_time_text(X509_get0_notBefore(p->cert), text, sizeof(text));
            skip(cs, i, "not yet valid: valid from %s", text);
            continue;
        }
        if (X509_cmp_current_time(X509_get0_notAfter(p->cert)) <= 0) {
            asn1_time_text(X509_get0_notAfter(p->cert), text, sizeof(text));
            skip(cs, i, "expired: valid until %s", text);
            continue;
        }
        if (!p->key_matches) {
            skip(cs, i, "key mismatch: private key %s does not match the certificate", p->key_path);
            continue;
        }
        return (long)i;
    }
    return -1;
}

/* The pair to send to this server, or NULL; says why in the log either way. */
static const cs_pair *
choose(const client_cert_select *cs, const SSL *ssl)
{
    const STACK_OF(X509_NAME) *names = SSL_get_client_CA_list(ssl);
    long chosen;

    if (names == NULL || sk_X509_NAME_num(names) == 0) {
        cs->services->log(cs->handle, SSLPLUG_LOG_INFO,
                          "the server named no acceptable CAs: any issuer will do");
    }
    chosen = cs_select(cs, names);
    if (chosen < 0) {
        cs->services->log(cs->handle, SSLPLUG_LOG_INFO,
                          "none of the %zu pairs fits: sending no certificate", cs->npairs);
        return NULL;
    }
    cs->services->log(cs->handle, SSLPLUG_LOG_INFO, "pair %ld (%s): sending \"%s\"", chosen,
                      cs->pairs[chosen].cert_path, cs->pairs[chosen].subject);
    return &cs->pairs[chosen];
}

/* client_cert: the legacy callback sends the leaf only. */
static int
cs_client_cert(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey)
{
    const cs_pair *p = choose(state, ssl);

    return p != NULL && sslplugi_cert_key_get1(p->cert, p->key, cert, pkey);
}

/*
 * cert (ABI 1.2): the same choice, sent with the intermediates from the
 * pair's certificate file, so servers that trust only the root accept it.
 * Nothing fitting is not an error: the client goes on without a certificate.
 */
static int
cs_cert(void *state, SSL *ssl)
{
    const cs_pair *p;

    if (SSL_is_server(ssl) || (p = choose(state, ssl)) == NULL) {
        return 1;
    }
    return SSL_use_cert_and_key(ssl, p->cert, p->key, p->extra, 1) == 1;
}

/* clang-format off */
static const sslplug_plugin descriptor = {
    SSLPLUG_PLUGIN_HEADER,
    .name = "client_cert_select",
    .version = "1.0",
    .init = cs_init,
    .fini = cs_fini,
    .client_cert = cs_client_cert,
    /* The pairs are fixed at init; certificates and keys are reference-counted. */
    .flags = SSLPLUG_PLUGIN_THREAD_SAFE,
    .cert = cs_cert,
};
/* clang-format on */

const sslplug_plugin *
sslplug_plugin_entry(void)
{
    return &descriptor;
}
