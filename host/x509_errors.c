/*
 * X509_V_ERR_* names, so a configuration can say which verification errors
 * an entry may override.  The table is generated at build time from the
 * x509_vfy.h OpenSSL is built with, so it never drifts from the library.
 */
#include <string.h>

#include <openssl/x509_vfy.h>

#include "internal.h"

static const struct {
    const char *name;
    int code;
} x509_errors[] = {
#include "x509_errors.inc"
};

#define X509_ERROR_COUNT (sizeof(x509_errors) / sizeof(x509_errors[0]))

int
sslplugi_x509_error_code(const char *name, int *code)
{
    for (size_t i = 0; i < X509_ERROR_COUNT; i++) {
        if (strcmp(x509_errors[i].name, name) == 0) {
            *code = x509_errors[i].code;
            return 1;
        }
    }
    return 0;
}

const char *
sslplugi_x509_error_name(int code)
{
    for (size_t i = 0; i < X509_ERROR_COUNT; i++) {
        if (x509_errors[i].code == code) {
            return x509_errors[i].name;
        }
    }
    return "X509_V_ERR_(unknown)";
}
