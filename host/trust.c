/*
 * What a context trusts and what it holds revoked: its CA file and CRLs,
 * read once per generation from checked files (once for all the contexts
 * that give the same CA and CRL settings) and applied to every context
 * made from it, and a digest of everything verification depends on (the CA
 * file's bytes, every file of the CA directory, every CRL file) that goes
 * into the session id context.  Verify callbacks do
 * not run on resumption, so a session verified under a CA that is no longer
 * trusted must never be resumed: a server whose CA file now holds another
 * CA gets another session id context, even with the same configuration.
 */
#define _GNU_SOURCE /* scandir, alphasort */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "internal.h"

/* A CA bundle is a few hundred KiB; refuse to slurp something absurd. */
#define MAX_TRUST_FILE_BYTES (16 * 1024 * 1024)

/* The whole of an open file, malloc'd; NULL with errno set. */
static unsigned char *
read_fd(int fd, size_t *len)
{
    struct stat st;
    unsigned char *buf;
    size_t n = 0;
    ssize_t r;

    if (fstat(fd, &st) != 0) {
        return NULL;
    }
    if (st.st_size > MAX_TRUST_FILE_BYTES) {
        errno = EFBIG;
        return NULL;
    }
    if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
        return NULL;
    }
    while (n < (size_t)st.st_size && (r = read(fd, buf + n, (size_t)st.st_size - n)) > 0) {
        n += (size_t)r;
    }
    if (n != (size_t)st.st_size) {
        free(buf);
        errno = errno != 0 ? errno : EIO;
        return NULL;
    }
    *len = n;
    return buf;
}

/* One labelled, length-prefixed part of the digest, so no two inputs run together. */
static int
digest_part(EVP_MD_CTX *md, const char *label, const void *data, size_t len)
{
    uint64_t n = len;

    return EVP_DigestUpdate(md, label, strlen(label) + 1) && EVP_DigestUpdate(md, &n, sizeof(n)) &&
           EVP_DigestUpdate(md, data, len);
}

/* The client CA names a server sends: each certificate's subject, once. */
static STACK_OF(X509_NAME) *
ca_names(const STACK_OF(X509_INFO) *infos)
{
    STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();

    for (int i = 0; names != NULL && i < sk_X509_INFO_num(infos); i++) {
        const X509_INFO *info = sk_X509_INFO_value(infos, i);
        const X509_NAME *subject;
        X509_NAME *copy;
        int seen = 0;

        if (info->x509 == NULL) {
            continue;
        }
        subject = X509_get_subject_name(info->x509);
        for (int k = 0; k < sk_X509_NAME_num(names) && !seen; k++) {
            seen = X509_NAME_cmp(sk_X509_NAME_value(names, k), subject) == 0;
        }
        if (seen) {
            continue;
        }
        if ((copy = X509_NAME_dup(subject)) == NULL || !sk_X509_NAME_push(names, copy)) {
            X509_NAME_free(copy);
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            names = NULL;
        }
    }
    return names;
}

static int
load_ca_file(sslplugi_trust *t, const sslplugi_context_conf *c, const char *base, EVP_MD_CTX *md,
             sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX], reason[256];
    const char *ptr = sslplugi_pointer_child(ptrbuf, base, "ca_file");
    unsigned char *bytes = NULL;
    BIO *bio = NULL;
    size_t len = 0;
    int fd, ok = 0;

    if ((fd = sslplugi_file_open_data(c->ca_file, &sslplugi_ca_file, c->check_files, ptr, err)) <
        0) {
        return 0;
    }
    if ((bytes = read_fd(fd, &len)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot read CA file %s: %s",
                           c->ca_file, strerror(errno));
        goto done;
    }
    if (!digest_part(md, "ca_file", bytes, len)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "cannot digest CA file %s", c->ca_file);
        goto done;
    }
    ERR_clear_error();
    if ((bio = BIO_new_mem_buf(bytes, (int)len)) == NULL ||
        (t->ca = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL ||
        sk_X509_INFO_num(t->ca) == 0) {
        sslplugi_error_set(
            err, SSLPLUG_E_CERTIFICATE, ptr, "cannot load CA file %s: %s", c->ca_file,
            ERR_peek_last_error() != 0 ? sslplugi_openssl_reason(reason, sizeof(reason))
                                       : "no PEM certificate or CRL in it");
        goto done;
    }
    if ((t->names = ca_names(t->ca)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        goto done;
    }
    /*
     * These certificates are shared by every context of the generation, on
     * every thread: OpenSSL caches a certificate's decoded extensions the
     * first time it looks (X509_check_purpose fills the cache), and two
     * handshakes doing that at once race inside it.  Fill it now.
     */
    for (int i = 0; i < sk_X509_INFO_num(t->ca); i++) {
        X509 *x = sk_X509_INFO_value(t->ca, i)->x509;

        if (x != NULL) {
            (void)X509_check_purpose(x, -1, 0);
        }
    }
    ok = 1;
done:
    BIO_free(bio);
    free(bytes);
    close(fd);
    return ok;
}

static int
not_dot(const struct dirent *d)
{
    return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/*
 * OpenSSL reads a CA directory when it verifies, so it is not loaded here;
 * but it is checked (nobody else may add a CA to it) and digested: every
 * regular file's name and bytes, in name order.
 */
static int
digest_ca_path(const sslplugi_context_conf *c, const char *base, EVP_MD_CTX *md, sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX], probe[PATH_MAX];
    const char *ptr = sslplugi_pointer_child(ptrbuf, base, "ca_path");
    struct dirent **names = NULL;
    struct stat st;
    int dfd, count = -1, ok = 0;

    if ((dfd = open(c->ca_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(dfd, &st) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot use CA directory %s: %s",
                           c->ca_path, strerror(errno));
        goto done;
    }
    if (c->check_files && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, ptr,
                           "CA directory %s is writable by group or others (mode %04o): they "
                           "could add a CA",
                           c->ca_path, (unsigned)(st.st_mode & 07777));
        goto done;
    }
    snprintf(probe, sizeof(probe), "%s/.", c->ca_path);
    if (c->check_files && !sslplugi_file_check_dirs(probe, ptr, err)) {
        goto done;
    }
    if ((count = scandir(c->ca_path, &names, not_dot, alphasort)) < 0) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot list CA directory %s: %s",
                           c->ca_path, strerror(errno));
        goto done;
    }
    for (int i = 0; i < count; i++) {
        unsigned char *bytes;
        size_t len = 0;
        int fd = openat(dfd, names[i]->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (fd >= 0) {
                close(fd);
            }
            continue;
        }
        if (c->check_files && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, ptr,
                               "%s in CA directory %s is writable by group or others (mode %04o)",
                               names[i]->d_name, c->ca_path, (unsigned)(st.st_mode & 07777));
            close(fd);
            goto done;
        }
        bytes = read_fd(fd, &len);
        close(fd);
        if (bytes == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_IO, ptr, "cannot read %s in CA directory %s: %s",
                               names[i]->d_name, c->ca_path, strerror(errno));
            goto done;
        }
        ok = digest_part(md, "ca_path", names[i]->d_name, strlen(names[i]->d_name)) &&
             digest_part(md, "bytes", bytes, len);
        free(bytes);
        if (!ok) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "cannot digest CA directory %s",
                               c->ca_path);
            goto done;
        }
    }
    ok = 1;
done:
    for (int i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    if (dfd >= 0) {
        close(dfd);
    }
    return ok;
}

/* The CRLs of PEM bytes into t->crls; a certificate among them is an error (what names them). */
static int
add_crls(sslplugi_trust *t, const unsigned char *bytes, size_t len, const char *what,
         const char *ptr, sslplug_error *err)
{
    char reason[256];
    BIO *bio = BIO_new_mem_buf(bytes, (int)len);
    STACK_OF(X509_INFO) *infos = NULL;
    int found = 0, ok = 0;

    ERR_clear_error();
    if (bio == NULL || (infos = PEM_X509_INFO_read_bio(bio, NULL, NULL, NULL)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot read %s: %s", what,
                           sslplugi_openssl_reason(reason, sizeof(reason)));
        goto done;
    }
    for (int i = 0; i < sk_X509_INFO_num(infos); i++) {
        X509_INFO *info = sk_X509_INFO_value(infos, i);

        if (info->x509 != NULL) {
            sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr,
                               "%s holds a certificate: CRLs only (a CA goes in ca_file)", what);
            goto done;
        }
        if (info->crl != NULL) {
            if (!sk_X509_CRL_push(t->crls, info->crl)) {
                sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
                goto done;
            }
            info->crl = NULL;
            found++;
        }
    }
    if (found == 0) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "%s holds no PEM CRL", what);
        goto done;
    }
    ok = 1;
done:
    sk_X509_INFO_pop_free(infos, X509_INFO_free);
    BIO_free(bio);
    return ok;
}

/* One CRL file: checked like a CA file, digested, its CRLs kept. */
static int
load_crl_file(sslplugi_trust *t, const char *file, int dirfd, int check, EVP_MD_CTX *md,
              const char *ptr, sslplug_error *err)
{
    unsigned char *bytes = NULL;
    char what[PATH_MAX + 16];
    size_t len = 0;
    int fd, ok = 0;

    snprintf(what, sizeof(what), "CRL file %s", file);
    fd = dirfd < 0 ? sslplugi_file_open_data(file, &sslplugi_ca_file, check, ptr, err)
                   : openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (dirfd >= 0) {
            sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot open %s: %s", what,
                               strerror(errno));
        }
        return 0;
    }
    if ((bytes = read_fd(fd, &len)) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot read %s: %s", what,
                           strerror(errno));
        goto done;
    }
    if (!digest_part(md, "crl", file, strlen(file)) || !digest_part(md, "bytes", bytes, len)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "cannot digest %s", what);
        goto done;
    }
    ok = add_crls(t, bytes, len, what, ptr, err);
done:
    free(bytes);
    close(fd);
    return ok;
}

/*
 * crl_file, and every regular file of crl_path (read now, unlike a CA
 * directory: a CRL directory is not a trust anchor store, and what is
 * revoked must be what the digest says).
 */
static int
load_crls(sslplugi_trust *t, const sslplugi_context_conf *c, const char *base, EVP_MD_CTX *md,
          sslplug_error *err)
{
    char ptrbuf[SSLPLUG_ERROR_POINTER_MAX], probe[PATH_MAX];
    struct dirent **names = NULL;
    struct stat st;
    int dfd = -1, count = -1, ok = 0;
    const char *ptr;

    if (c->crl_file == NULL && c->crl_path == NULL) {
        return 1;
    }
    if ((t->crls = sk_X509_CRL_new_null()) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, base, "out of memory");
        return 0;
    }
    if (c->crl_file != NULL &&
        !load_crl_file(t, c->crl_file, -1, c->check_files, md,
                       sslplugi_pointer_child(ptrbuf, base, "crl_file"), err)) {
        return 0;
    }
    if (c->crl_path == NULL) {
        return 1;
    }
    ptr = sslplugi_pointer_child(ptrbuf, base, "crl_path");
    if ((dfd = open(c->crl_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(dfd, &st) != 0) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot use CRL directory %s: %s",
                           c->crl_path, strerror(errno));
        goto done;
    }
    snprintf(probe, sizeof(probe), "%s/.", c->crl_path);
    if (c->check_files &&
        ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || !sslplugi_file_check_dirs(probe, ptr, err))) {
        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, ptr,
                               "CRL directory %s is writable by group or others (mode %04o)",
                               c->crl_path, (unsigned)(st.st_mode & 07777));
        }
        goto done;
    }
    if ((count = scandir(c->crl_path, &names, not_dot, alphasort)) < 0) {
        sslplugi_error_set(err, SSLPLUG_E_CERTIFICATE, ptr, "cannot list CRL directory %s: %s",
                           c->crl_path, strerror(errno));
        goto done;
    }
    for (int i = 0; i < count; i++) {
        if (fstatat(dfd, names[i]->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (c->check_files && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
            sslplugi_error_set(err, SSLPLUG_E_UNSAFE_FILE, ptr,
                               "%s in CRL directory %s is writable by group or others (mode %04o)",
                               names[i]->d_name, c->crl_path, (unsigned)(st.st_mode & 07777));
            goto done;
        }
        if (!load_crl_file(t, names[i]->d_name, dfd, c->check_files, md, ptr, err)) {
            goto done;
        }
    }
    ok = 1;
done:
    for (int i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    if (dfd >= 0) {
        close(dfd);
    }
    return ok;
}

int
sslplugi_trust_load(sslplugi_trust *t, const sslplugi_context_conf *c, const char *base,
                    sslplug_error *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = 0;

    memset(t, 0, sizeof(*t));
    if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, base, "out of memory");
        goto done;
    }
    if ((c->ca_file != NULL && !load_ca_file(t, c, base, md, err)) ||
        (c->ca_path != NULL && !digest_ca_path(c, base, md, err)) ||
        !load_crls(t, c, base, md, err)) {
        goto done;
    }
    if (!EVP_DigestFinal_ex(md, t->digest, NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, base, "cannot digest the trust settings");
        goto done;
    }
    ok = 1;
done:
    EVP_MD_CTX_free(md);
    if (!ok) {
        sslplugi_trust_clear(t);
    }
    return ok;
}

/* A setting of the key: given or not, then its bytes and a NUL. */
static void
key_part(unsigned char *key, size_t *at, const char *value)
{
    size_t n = value != NULL ? strlen(value) + 1 : 0;

    key[(*at)++] = value != NULL;
    if (n > 0) {
        memcpy(key + *at, value, n);
        *at += n;
    }
}

unsigned char *
sslplugi_trust_key(const sslplugi_context_conf *c, size_t *len)
{
    /* Everything sslplugi_trust_load reads of a context's settings, and nothing else. */
    const char *const parts[] = {c->ca_file, c->ca_path, c->crl_file, c->crl_path};
    size_t size = 1, at = 0;
    unsigned char *key;

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        size += 1 + (parts[i] != NULL ? strlen(parts[i]) + 1 : 0);
    }
    if ((key = malloc(size)) == NULL) {
        return NULL;
    }
    key[at++] = (unsigned char)(c->check_files != 0);
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        key_part(key, &at, parts[i]);
    }
    *len = at;
    return key;
}

void
sslplugi_trust_share(sslplugi_trust *t, const sslplugi_trust *from)
{
    *t = *from;
    t->borrowed = 1;
}

void
sslplugi_trust_clear(sslplugi_trust *t)
{
    if (!t->borrowed) {
        sk_X509_INFO_pop_free(t->ca, X509_INFO_free);
        sk_X509_NAME_pop_free(t->names, X509_NAME_free);
        sk_X509_CRL_pop_free(t->crls, X509_CRL_free);
    }
    t->ca = NULL;
    t->names = NULL;
    t->crls = NULL;
    t->borrowed = 0;
}

int
sslplugi_trust_apply(SSL_CTX *ctx, const sslplugi_trust *t, int send_names)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ctx);
    STACK_OF(X509_NAME) *names;

    for (int i = 0; i < sk_X509_INFO_num(t->ca); i++) {
        const X509_INFO *info = sk_X509_INFO_value(t->ca, i);

        if ((info->x509 != NULL && !X509_STORE_add_cert(store, info->x509)) ||
            (info->crl != NULL && !X509_STORE_add_crl(store, info->crl))) {
            return 0;
        }
    }
    for (int i = 0; i < sk_X509_CRL_num(t->crls); i++) {
        if (!X509_STORE_add_crl(store, sk_X509_CRL_value(t->crls, i))) {
            return 0;
        }
    }
    if (send_names && t->names != NULL) {
        if ((names = SSL_dup_CA_list(t->names)) == NULL) {
            return 0;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    return 1;
}
