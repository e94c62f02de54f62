/*
 * What the password_* plugins do alike with a password once they have it,
 * whatever its source: cut the line break it was typed or stored with, and
 * hand it to OpenSSL's buffer; and which key it is for.
 */
#ifndef SSLPLUG_PASSWORD_H
#define SSLPLUG_PASSWORD_H

#include <stddef.h>

#include <sslplug/plugin.h>

/**
 * Remove one final line break, "\n" or "\r\n", from the len bytes at data,
 * writing NUL over what it removes.  @returns the length without it.
 */
size_t sslplugi_strip_line_end(char *data, size_t len);

/**
 * Copy a password of len bytes (which need not be NUL-terminated) into
 * OpenSSL's buffer buf of size bytes, NUL-terminated, for a password
 * callback to return.
 * @returns len, or SSLPLUG_PASSWORD_ERROR with buf untouched when it does
 *          not fit (size <= 0, or len >= size); the caller says so in the log.
 */
int sslplugi_password_copy(char *buf, int size, const char *password, size_t len);

/**
 * From a password callback: the private key file the host is reading
 * (services->key_file), or NULL when the application reads the key itself
 * or the host is older than ABI 1.2.  Borrowed for the call.
 */
const char *sslplugi_key_file(const sslplug_services *services, const sslplug_handle *handle);

#endif /* SSLPLUG_PASSWORD_H */
