/*
 * Internal helpers shared by the bundled plugins: reading an entry's
 * "config" object, small files and certificate names.  Not installed and not
 * part of the plugin ABI; third-party plugins need only sslplug/plugin.h.
 *
 * Conventions:
 *  - The config getters report a problem through services->error with the
 *    JSON pointer of the key ("/<key>", RFC 6901 escaped) and a message of
 *    the form "...: expected X, found Y", and return 0; they return 1 on
 *    success.  An absent optional key leaves *out untouched, so callers set
 *    the default first.
 *  - Strings a getter returns through `const char **` are borrowed from the
 *    parsed config and valid until sslplugi_cfg_close; strings returned
 *    through `char **` are the caller's to free().
 *  - Nothing here keeps global state; every function is thread safe.
 */
#ifndef SSLPLUG_PLUGIN_UTIL_H
#define SSLPLUG_PLUGIN_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <jansson.h>
#include <openssl/x509.h>

#include <sslplug/plugin.h>

#if defined(__GNUC__)
#define SSLPLUGI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SSLPLUGI_PRINTF(f, a)
#endif

/* Flags for the getters. */
#define SSLPLUGI_OPTIONAL 0u
#define SSLPLUGI_REQUIRED 1u
#define SSLPLUGI_NONEMPTY 2u /* strings and arrays: "" or [] is an error */

/* One entry's config being read during init. */
typedef struct sslplugi_cfg {
    const sslplug_services *services;
    sslplug_handle *handle;
    json_t *root;
} sslplugi_cfg;

/**
 * Check the services table, parse config_json and reject keys not listed.
 * @param keys  NULL-terminated list of the keys the plugin accepts.
 * @returns 1 with cfg ready for the getters, or 0 after reporting (when the
 *          services table is too old to report through, silently).  Call
 *          sslplugi_cfg_close either way.
 */
int sslplugi_cfg_open(sslplugi_cfg *cfg, const sslplug_services *services, sslplug_handle *handle,
                      const char *config_json, const char *const *keys);

/** Release the parsed config; borrowed strings become invalid. */
void sslplugi_cfg_close(sslplugi_cfg *cfg);

/** Report an error about `key` ("": the config object itself; NULL: no key to blame). */
void sslplugi_cfg_error(const sslplugi_cfg *cfg, const char *key, const char *fmt, ...)
    SSLPLUGI_PRINTF(3, 4);

/**
 * Report an error at a ready JSON pointer relative to the config object
 * ("/pairs/1/key"), for places below a key; sslplugi_cfg_error would
 * escape its "/".  NULL: no key to blame.
 */
void sslplugi_cfg_error_at(const sslplugi_cfg *cfg, const char *pointer, const char *fmt, ...)
    SSLPLUGI_PRINTF(3, 4);

/** Report an error about element `index` of the array at `key`: pointer "/<key>/<index>". */
void sslplugi_cfg_element_error(const sslplugi_cfg *cfg, const char *key, size_t index,
                                const char *fmt, ...) SSLPLUGI_PRINTF(4, 5);

/**
 * Append "/" and token, escaped as RFC 6901 says ("~" as "~0", "/" as
 * "~1"), to the JSON pointer in out; truncated to fit outlen.
 */
void sslplugi_pointer_append(char *out, size_t outlen, const char *token);

/**
 * Ask the host whether this (verify) entry may turn a failure with `error`
 * into success, 0 meaning any error at all (services->may_override).
 * @returns 1 or 0 as the host answers, or -1 when its services table is
 *          older than ABI 1.2 and cannot say.
 */
int sslplugi_cfg_may_override(const sslplugi_cfg *cfg, int error);

/**
 * Warn (services->log, SSLPLUG_LOG_WARNING) that the entry of plugin `name`
 * needs `need` in its "may_override" for what its config asks: "<what>;
 * add <need> to the "may_override" of the <name> entry[ in <config file>],
 * or make it "any"".
 */
void sslplugi_cfg_warn_may_override(const sslplugi_cfg *cfg, const char *name, const char *what,
                                    const char *need);

/**
 * For a verify entry of plugin `name` whose config turns "override" on:
 * when the host lets the entry override no failure at all, warn with
 * sslplugi_cfg_warn_may_override that "override" does nothing (verify_pin,
 * verify_tofu).
 */
void sslplugi_cfg_check_override(const sslplugi_cfg *cfg, const char *name);

/**
 * Whether the host loads this entry only to check the configuration
 * (services->checking, ABI 1.3).  Then init validates everything as usual
 * but creates no file and starts no thread; fini has nothing to undo.
 * @returns 1 or 0; 0 on hosts older than 1.3, which have no check mode.
 */
int sslplugi_cfg_checking(const sslplugi_cfg *cfg);

/**
 * For init in check mode, instead of creating the file at path (absolute):
 * whether it could be created, that is whether its directory exists, is a
 * directory and may be written and searched by this process.  Otherwise
 * reports at key "cannot create WHAT PATH: REASON" and returns 0.
 */
int sslplugi_cfg_creatable(const sslplugi_cfg *cfg, const char *key, const char *what,
                           const char *path);

/** The type of a JSON value as config errors name it: "object", "array", "boolean", ... */
const char *sslplugi_json_type_name(const json_t *value);

/** A string value, borrowed. */
int sslplugi_cfg_string(const sslplugi_cfg *cfg, const char *key, unsigned flags, const char **out);

/** A boolean value, as 0 or 1. */
int sslplugi_cfg_bool(const sslplugi_cfg *cfg, const char *key, unsigned flags, int *out);

/** An integer value within min..max. */
int sslplugi_cfg_int(const sslplugi_cfg *cfg, const char *key, unsigned flags, long long min,
                     long long max, long long *out);

/**
 * An array of strings, copied: *out is a NULL-terminated array owned by the
 * caller (sslplugi_strings_free), *count its length (count may be NULL).
 */
int sslplugi_cfg_strings(const sslplugi_cfg *cfg, const char *key, unsigned flags, char ***out,
                         size_t *count);

/** Free an array from sslplugi_cfg_strings; NULL is a no-op. */
void sslplugi_strings_free(char **strings);

/**
 * A string that must be one of `choices` (NULL-terminated); *index is set
 * to its position.
 */
int sslplugi_cfg_choice(const sslplugi_cfg *cfg, const char *key, unsigned flags,
                        const char *const *choices, size_t *index);

/**
 * A path, resolved with services->resolve_path (relative to the directory
 * of the configuration file).  *out is malloc'd and the caller's.
 */
int sslplugi_cfg_path(const sslplugi_cfg *cfg, const char *key, unsigned flags, char **out);

/**
 * Read an open file to its end into a new NUL-terminated buffer.  The
 * buffer is allocated at max + 1 bytes up front and never reallocated, so a
 * secret is never left behind in freed memory; wipe it with OPENSSL_cleanse
 * before free() when it holds one.
 * @returns 1 with *out and *len set, or 0 with errno set (EFBIG when the
 *          file holds more than max bytes).  The fd is not closed.
 */
int sslplugi_read_fd(int fd, size_t max, char **out, size_t *len);

/** As sslplugi_read_fd, opening path read-only (close-on-exec). */
int sslplugi_read_file(const char *path, size_t max, char **out, size_t *len);

/**
 * Write all of buf to fd, again after a short write or EINTR.
 * @returns 1, or 0 with errno set (EIO when write wrote nothing).
 */
int sslplugi_write_all(int fd, const void *buf, size_t len);

/**
 * Replace the file at path with data, atomically: a temporary file beside
 * it ("PATH.XXXXXX", which a collector of "*.prom" files skips) is written,
 * given mode, fsync'ed when durable is set, and renamed over path, so a
 * reader sees the old file or the new one, never part of one.  On failure
 * the temporary file is removed and path is left as it was.
 * @param durable  1 to fsync before the rename (a store that must survive a
 *                 crash), 0 for a file rewritten again soon anyway.
 * @returns 1, or 0 with why set: "cannot create a temporary file beside
 *          PATH: ...", "cannot write TMP: ...", "cannot rename TMP to
 *          PATH: ..." or "out of memory".
 */
int sslplugi_replace_file(const char *path, const char *data, size_t len, mode_t mode, int durable,
                          char *why, size_t whylen);

/**
 * Log "<what> <name>: <message>" at level through services->log, the
 * message formatted from fmt and ap (cut at 1 KiB): what a plugin says
 * about the one file or program it reads ("password file /etc/key.pass:
 * refused: ...").
 */
void sslplugi_vlog_about(const sslplug_services *services, const sslplug_handle *handle, int level,
                         const char *what, const char *name, const char *fmt, va_list ap)
    SSLPLUGI_PRINTF(6, 0);

/** Thread-safe strerror into buf; returns buf. */
const char *sslplugi_strerror(int errnum, char *buf, size_t len);

/** An X509_NAME as RFC 2253 text into out, truncated to fit; "(none)" for NULL. */
void sslplugi_x509_name(const X509_NAME *name, char *out, size_t outlen);

/** The most recent OpenSSL reason, or "unknown error"; the caller clears the queue. */
const char *sslplugi_ossl_reason(void);

/**
 * Open a PEM file for reading (close-on-exec, never a controlling terminal);
 * on failure report "cannot open WHAT PATH: reason" at the JSON pointer
 * (relative to the entry's config) and return NULL.
 */
FILE *sslplugi_pem_open(const sslplugi_cfg *cfg, const char *pointer, const char *what,
                        const char *path);

/**
 * A pem_password_cb that never lets OpenSSL prompt: returns -1 and, when
 * asked is not NULL, sets *(int *)asked to 1 so the caller can say the key
 * was encrypted.
 */
int sslplugi_refuse_password(char *buf, int size, int rwflag, void *asked);

#endif /* SSLPLUG_PLUGIN_UTIL_H */
