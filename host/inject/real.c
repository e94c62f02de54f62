/*
 * OpenSSL's own functions behind the interposed ones.  SSL_CTX_new jumps to
 * SSL_CTX_new_ex inside libssl, so interposing SSL_CTX_new_ex alone sees
 * every context once.  Each function is taken from the next object after
 * this one with OpenSSL 3's symbol version, and must be the one the
 * process's libssl.so.3 (the one libsslplug links) exports: a program
 * carrying another copy would get contexts from one libssl and callbacks
 * from another.
 */
#define _GNU_SOURCE /* dlvsym, RTLD_NEXT, RTLD_NOLOAD */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inject.h"

#define OPENSSL_SYMVER "OPENSSL_3.0.0"

static inj_real real;
static const char *real_why;
static pthread_once_t real_once = PTHREAD_ONCE_INIT;

/* The table's members, each with its name. */
#define REAL(name)                                                                                 \
    {                                                                                              \
#name, offsetof(inj_real, name)                                                            \
    }
static const struct {
    const char *name;
    size_t offset;
} table[] = {
    REAL(SSL_CTX_new_ex),
    REAL(SSL_CTX_set_verify),
    REAL(SSL_set_verify),
    REAL(SSL_CTX_get_verify_mode),
    REAL(SSL_get_verify_mode),
    REAL(SSL_CTX_get_verify_callback),
    REAL(SSL_get_verify_callback),
    REAL(SSL_CTX_set_info_callback),
    REAL(SSL_CTX_get_info_callback),
    REAL(SSL_set_info_callback),
    REAL(SSL_get_info_callback),
    REAL(SSL_CTX_set_keylog_callback),
    REAL(SSL_CTX_get_keylog_callback),
    REAL(SSL_CTX_set_client_cert_cb),
    REAL(SSL_CTX_get_client_cert_cb),
    REAL(SSL_CTX_set_cert_cb),
    REAL(SSL_CTX_callback_ctrl),
    REAL(SSL_CTX_set_cert_verify_callback),
    REAL(SSL_CTX_set_session_id_context),
    REAL(SSL_set_session_id_context),
    REAL(SSL_CTX_set_alpn_select_cb),
    REAL(SSL_CTX_sess_set_new_cb),
    REAL(SSL_CTX_sess_set_get_cb),
    REAL(SSL_CTX_sess_set_remove_cb),
    REAL(SSL_CTX_set_tlsext_ticket_key_evp_cb),
};

static void
resolve(void)
{
    void *libssl = dlopen("libssl.so.3", RTLD_LAZY | RTLD_NOLOAD);

    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        void *next = dlvsym(RTLD_NEXT, table[i].name, OPENSSL_SYMVER);
        void *ours = libssl != NULL ? dlvsym(libssl, table[i].name, OPENSSL_SYMVER) : NULL;

        if (next == NULL) {
            /* Nothing to forward to: this process cannot be running OpenSSL 3 calls. */
            fprintf(stderr, "sslplug-inject: %s@" OPENSSL_SYMVER " not found: %s\n", table[i].name,
                    dlerror());
            abort();
        }
        if (next != ours && real_why == NULL) {
            real_why = libssl == NULL ? "libssl.so.3 is not loaded in this process"
                                      : "the program's OpenSSL is not the libssl.so.3 libsslplug "
                                        "uses (another copy comes first)";
        }
        memcpy((char *)&real + table[i].offset, &next, sizeof(next));
    }
    /* The handle keeps nothing extra loaded: libsslplug needs libssl.so.3 anyway. */
    if (libssl != NULL) {
        dlclose(libssl);
    }
}

const inj_real *
inj_real_get(const char **why)
{
    pthread_once(&real_once, resolve);
    if (why != NULL) {
        *why = real_why;
    }
    return &real;
}
