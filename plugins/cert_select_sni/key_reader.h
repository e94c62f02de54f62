/*
 * Unencrypted PEM private keys, thousands of them: OpenSSL 3.0 builds a
 * decoder for every PEM_read_PrivateKey (about 4.5 M instructions, more
 * than all the rest of loading a chain), so a reader builds one and decodes
 * every key of a directory with it.
 */
#ifndef SSLPLUG_KEY_READER_H
#define SSLPLUG_KEY_READER_H

#include <stdio.h>

#include <openssl/evp.h>

typedef struct sslplugi_key_reader sslplugi_key_reader;

/** A reader; NULL when out of memory. */
sslplugi_key_reader *sslplugi_key_reader_new(void);

/** NULL is a no-op. */
void sslplugi_key_reader_free(sslplugi_key_reader *reader);

/**
 * The private key at the start of f (PEM), never asking for a password:
 * what PEM_read_PrivateKey would read, which is asked again when the shared
 * decoder does not take the file.
 * @returns the key, the caller's; NULL when f holds no unencrypted private key.
 */
EVP_PKEY *sslplugi_key_reader_read(sslplugi_key_reader *reader, FILE *f);

#endif /* SSLPLUG_KEY_READER_H */
