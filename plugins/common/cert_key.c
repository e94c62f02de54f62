/* Certificates and keys of the client certificate plugins; see cert_key.h. */
#include "cert_key.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

void
sslplugi_x509_settle(X509 *x)
{
    if (x != NULL) {
        /* Any purpose check fills the cache; -1 checks none, and the answer does not matter. */
        (void)X509_check_purpose(x, -1, 0);
    }
}

int
sslplugi_pem_read_certs(const sslplugi_cfg *cfg, const char *pointer, const char *path, X509 **cert,
                        STACK_OF(X509) **chain, int max)
{
    FILE *f = sslplugi_pem_open(cfg, pointer, "certificate", path);
    X509 *x;
    int ok = 0;

    if (f == NULL) {
        return 0;
    }
    ERR_set_mark();
    *cert = PEM_read_X509(f, NULL, NULL, NULL);
    if (*cert == NULL) {
        sslplugi_cfg_error_at(cfg, pointer, "cannot read certificate %s: %s", path,
                              sslplugi_ossl_reason());
        goto done;
    }
    sslplugi_x509_settle(*cert);
    if (chain != NULL) {
        if ((*chain = sk_X509_new_null()) == NULL) {
            sslplugi_cfg_error_at(cfg, pointer, "out of memory");
            goto done;
        }
        while (sk_X509_num(*chain) < max && (x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
            if (!sk_X509_push(*chain, x)) {
                X509_free(x);
                sslplugi_cfg_error_at(cfg, pointer, "out of memory");
                goto done;
            }
            sslplugi_x509_settle(x);
        }
    }
    ok = 1;

done:
    /* The read that ends the file leaves "no start line" behind. */
    ERR_pop_to_mark();
    fclose(f);
    return ok;
}

EVP_PKEY *
sslplugi_pem_read_key(const sslplugi_cfg *cfg, const char *pointer, const char *path)
{
    FILE *f = sslplugi_pem_open(cfg, pointer, "private key", path);
    EVP_PKEY *key;
    int asked = 0;

    if (f == NULL) {
        return NULL;
    }
    ERR_set_mark();
    key = PEM_read_PrivateKey(f, NULL, sslplugi_refuse_password, &asked);
    if (key == NULL && asked) {
        sslplugi_cfg_error_at(cfg, pointer,
                              "private key %s is encrypted: expected an unencrypted key", path);
    } else if (key == NULL) {
        sslplugi_cfg_error_at(cfg, pointer, "cannot read private key %s: %s", path,
                              sslplugi_ossl_reason());
    }
    ERR_pop_to_mark();
    fclose(f);
    return key;
}

int
sslplugi_cert_key_get1(X509 *cert, EVP_PKEY *key, X509 **out_cert, EVP_PKEY **out_key)
{
    if (!X509_up_ref(cert)) {
        return 0;
    }
    if (!EVP_PKEY_up_ref(key)) {
        X509_free(cert);
        return 0;
    }
    *out_cert = cert;
    *out_key = key;
    return 1;
}
