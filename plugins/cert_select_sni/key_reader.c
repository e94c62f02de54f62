/* Many private keys through one OpenSSL decoder (key_reader.h). */
#include "key_reader.h"

#include <stdlib.h>

#include <openssl/decoder.h>
#include <openssl/pem.h>

#include "sslplug_plugin_util.h"

struct sslplugi_key_reader {
    OSSL_DECODER_CTX *decoder; /* NULL: PEM_read_PrivateKey for each key */
    EVP_PKEY *key;             /* where the decoder puts what it decodes */
};

sslplugi_key_reader *
sslplugi_key_reader_new(void)
{
    sslplugi_key_reader *reader = calloc(1, sizeof(*reader));

    if (reader == NULL) {
        return NULL;
    }
    /* The decoder PEM_read_PrivateKey makes, kept: same input, same selection. */
    reader->decoder = OSSL_DECODER_CTX_new_for_pkey(&reader->key, "PEM", NULL, NULL,
                                                    EVP_PKEY_KEYPAIR, NULL, NULL);
    if (reader->decoder != NULL &&
        !OSSL_DECODER_CTX_set_pem_password_cb(reader->decoder, sslplugi_refuse_password, NULL)) {
        OSSL_DECODER_CTX_free(reader->decoder);
        reader->decoder = NULL;
    }
    return reader;
}

void
sslplugi_key_reader_free(sslplugi_key_reader *reader)
{
    if (reader != NULL) {
        OSSL_DECODER_CTX_free(reader->decoder);
        EVP_PKEY_free(reader->key);
        free(reader);
    }
}

EVP_PKEY *
sslplugi_key_reader_read(sslplugi_key_reader *reader, FILE *f)
{
    BIO *bio = reader->decoder != NULL ? BIO_new_fp(f, BIO_NOCLOSE) : NULL;
    EVP_PKEY *key = NULL;

    if (bio != NULL && OSSL_DECODER_from_bio(reader->decoder, bio)) {
        key = reader->key;
    }
    EVP_PKEY_free(key != NULL ? NULL : reader->key);
    reader->key = NULL;
    BIO_free(bio);
    /* What the decoder refused, PEM_read_PrivateKey may still read (an engine's key, say). */
    if (key == NULL && fseek(f, 0, SEEK_SET) == 0) {
        key = PEM_read_PrivateKey(f, NULL, sslplugi_refuse_password, NULL);
    }
    return key;
}
