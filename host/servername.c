/*
 * Server names in one form: what the host hands servername plugins and what
 * services->server_name and ->normalise_name give the others, so a rule and
 * a name compare byte for byte and no spelling of a name slips past a rule
 * for it ("Secure.Example." is secure.example).
 */
#include <stddef.h>

#include "internal.h"

int
sslplugi_servername_normalise(const char *in, size_t len, char *out, size_t outlen)
{
    size_t label = 0;

    /* "example.com." is the absolute form of "example.com": one name, one match. */
    if (len > 0 && in[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len > 253 || len >= outlen) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)in[i];

        /* A label neither begins nor ends with a hyphen (RFC 952, 1123). */
        if (ch == '-' && (label == 0 || i + 1 == len || in[i + 1] == '.')) {
            return 0;
        }
        if (ch == '.') {
            if (label == 0) {
                return 0;
            }
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
            label++;
        } else if (ch >= 'A' && ch <= 'Z') {
            ch = (unsigned char)(ch - 'A' + 'a');
            label++;
        } else {
            return 0;
        }
        if (label > 63) {
            return 0;
        }
        out[i] = (char)ch;
    }
    out[len] = '\0';
    return label > 0;
}
