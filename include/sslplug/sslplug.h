/*
 * sslplug: TLS callbacks loaded from plugins named in a JSON configuration.
 *
 * An application loads a configuration into a host, then asks the host for
 * SSL_CTXs with the configured settings applied and the configured plugin
 * callbacks bound:
 *
 *     sslplug_error err;
 *     sslplug_host *host = sslplug_host_load("/etc/app/tls.json", &err);
 *     SSL_CTX *ctx = host != NULL ? sslplug_ctx_new(host, &err) : NULL;
 *     sslplug_host_free(host);          contexts outlive the host
 *     if (ctx == NULL) {
 *         char text[SSLPLUG_ERROR_TEXT_MAX];
 *
 *         sslplug_error_format(&err, text, sizeof(text));
 *         fprintf(stderr, "%s\n", text);
 *     }
 *
 * Conventions (stated once, true for every function below):
 *  - Errors.  Every fallible call takes a caller-owned sslplug_error *,
 *    which may be NULL.  On failure it is filled in; on success its code is
 *    SSLPLUG_OK.  Nothing in it is allocated, so there is nothing to free.
 *  - Returns.  Constructors return a new object or NULL; other calls return
 *    1 on success and 0 on failure.
 *  - NULL.  Free functions accept NULL and do nothing.
 *  - Ownership.  The caller owns what a _new/_load returns.  Strings passed
 *    in are copied.  An SSL_CTX made or configured by sslplug holds its own
 *    references to the plugin entries it uses, so it stays valid after the
 *    host is freed; an entry's state is finalised (fini) after the last
 *    context and host using it are gone.  Plugin code stays mapped for the
 *    life of the process.
 *  - Fail closed.  If any plugin cannot be loaded, bound or initialised, no
 *    context is produced; a context never verifies less than the
 *    configuration says.
 *  - Threads.  No global initialisation is needed.  sslplug_ctx_new,
 *    sslplug_ctx_apply, sslplug_host_reload and sslplug_host_generation may
 *    be called concurrently on one host; call the setters
 *    (sslplug_host_set_*) before that, and sslplug_host_free after.  Trace
 *    and log functions may be called from any thread that drives a
 *    connection, concurrently.
 *  - Secrets.  Passwords pass through buffers that are wiped after use and
 *    are never logged or traced.
 */
#ifndef SSLPLUG_SSLPLUG_H
#define SSLPLUG_SSLPLUG_H

#include <openssl/ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SSLPLUG_BUILDING_LIBRARY) && defined(__GNUC__)
#define SSLPLUG_API __attribute__((visibility("default")))
#else
#define SSLPLUG_API
#endif

/* Error codes.  sslplug_strerror() names each. */
typedef enum sslplug_code {
    SSLPLUG_OK = 0,
    SSLPLUG_E_NOMEM,            /* out of memory */
    SSLPLUG_E_ARGUMENT,         /* invalid argument from the application */
    SSLPLUG_E_IO,               /* a file could not be read */
    SSLPLUG_E_PARSE,            /* the configuration is not valid JSON */
    SSLPLUG_E_CONFIG,           /* valid JSON, but not a valid configuration */
    SSLPLUG_E_PLUGIN_NOT_FOUND, /* a plugin file could not be found */
    SSLPLUG_E_PLUGIN_LOAD,      /* the plugin file is not a loadable shared object for this
                                   host (truncated, damaged, another machine), or dlopen
                                   refused it */
    SSLPLUG_E_SYMBOL,           /* a configured symbol (or sslplug_plugin_entry) is not
                                   exported, or is not a function */
    SSLPLUG_E_ABI,              /* the plugin's descriptor is unusable */
    SSLPLUG_E_PLUGIN_TYPE,      /* the plugin lacks the configured callback type */
    SSLPLUG_E_PLUGIN_INIT,      /* the plugin's init reported an error */
    SSLPLUG_E_TLS,              /* OpenSSL refused a context setting */
    SSLPLUG_E_CERTIFICATE,      /* a certificate or CA file could not be used */
    SSLPLUG_E_PRIVATE_KEY,      /* the private key could not be read: wrong password, no
                                   password source for an encrypted key, bad file,
                                   or a key that does not match the certificate */
    SSLPLUG_E_PASSWORD,         /* the password callback failed or misbehaved */
    SSLPLUG_E_UNSAFE_FILE,      /* a plugin or configuration file, or a directory above it,
                                   is writable by others, owned by another user, a symlink
                                   where none may be, or outside allowed_dirs */
    SSLPLUG_E_INTEGRITY,        /* a plugin's SHA-256 does not match its pin, it brings
                                   its own copy of OpenSSL, or the object loaded cannot be
                                   proven to be the file that was checked */
    SSLPLUG_E_INTERNAL          /* a bug in sslplug */
} sslplug_code;

#define SSLPLUG_ERROR_SOURCE_MAX 256
#define SSLPLUG_ERROR_POINTER_MAX 256
#define SSLPLUG_ERROR_MESSAGE_MAX 1024

/* A caller-owned error. */
typedef struct sslplug_error {
    sslplug_code code;
    /* The configuration file, or "<string>" for sslplug_host_load_string. */
    char source[SSLPLUG_ERROR_SOURCE_MAX];
    /* JSON pointer (RFC 6901) of the offending node, "" when none. */
    char pointer[SSLPLUG_ERROR_POINTER_MAX];
    /* 1-based position in the source where the JSON parser knows it, else 0. */
    int line;
    int column;
    /* The cause, naming the file concerned (plugin, key, certificate). */
    char message[SSLPLUG_ERROR_MESSAGE_MAX];
} sslplug_error;

/* The callback types, in configuration order. */
typedef enum sslplug_cb_type {
    SSLPLUG_CB_PASSWORD = 0,
    SSLPLUG_CB_VERIFY,
    SSLPLUG_CB_INFO,
    SSLPLUG_CB_CLIENT_CERT,
    SSLPLUG_CB_CERT,
    SSLPLUG_CB_SERVERNAME,
    SSLPLUG_CB_KEYLOG,
    SSLPLUG_CB_ALPN,
    SSLPLUG_CB_STATUS,
    SSLPLUG_CB_VERIFY_CONNECTION,
    SSLPLUG_CB_SESSION_STORE,
    SSLPLUG_CB_TICKET_KEYS,
    SSLPLUG_CB_COUNT
} sslplug_cb_type;

/*
 * One callback call, for tracing.  All pointers are borrowed for the
 * duration of the trace call.
 */
typedef struct sslplug_trace_event {
    sslplug_cb_type type;
    const char *entry;        /* JSON pointer of the configured entry */
    const char *plugin;       /* plugin name, or symbol@file for raw plugins */
    const SSL *ssl;           /* the connection, NULL while a key is read */
    const char *detail;       /* arguments that matter and the result, readable */
    unsigned long generation; /* configuration generation of the context */
} sslplug_trace_event;

typedef void (*sslplug_trace_fn)(const sslplug_trace_event *event, void *arg);

/* Messages plugins log (levels as SSLPLUG_LOG_* in plugin.h). */
typedef void (*sslplug_log_fn)(int level, const char *plugin, const char *message, void *arg);

typedef struct sslplug_host sslplug_host;

/**
 * Read and validate a configuration file.  No plugin code runs yet: plugins
 * are located here and loaded by the first sslplug_ctx_new/_apply.
 * @param path  the JSON configuration; relative paths inside it are taken
 *              relative to its directory.
 * @param err   filled in on failure; may be NULL.
 * @returns a new host, or NULL.
 */
SSLPLUG_API sslplug_host *sslplug_host_load(const char *path, sslplug_error *err);

/**
 * As sslplug_host_load, from a string.
 * @param json      the configuration text.
 * @param base_dir  directory that relative paths are taken relative to.
 * @param err       filled in on failure; may be NULL.
 * @returns a new host, or NULL.
 */
SSLPLUG_API sslplug_host *sslplug_host_load_string(const char *json, const char *base_dir,
                                                   sslplug_error *err);

/**
 * Receive a description of every callback call of contexts made from now on.
 * Call before the first sslplug_ctx_new; fn NULL turns tracing off.
 */
SSLPLUG_API void sslplug_host_set_trace(sslplug_host *host, sslplug_trace_fn fn, void *arg);

/**
 * Receive the messages plugins log.  Call before the first sslplug_ctx_new
 * (plugins keep the sink they were initialised with).  Without a sink,
 * messages at SSLPLUG_LOG_INFO and more severe go to stderr.
 */
SSLPLUG_API void sslplug_host_set_log(sslplug_host *host, sslplug_log_fn fn, void *arg);

/**
 * Make a new SSL_CTX for the configured role with every context setting
 * applied, the private key read through the password callback, and every
 * configured callback bound.  The first call loads and initialises plugins.
 * A client checks the server's name only if the configuration gives one
 * (verify_host) or the application names the server on each connection:
 * SSL_set1_host(ssl, name) and SSL_set_tlsext_host_name(ssl, name), which
 * replace verify_host for that connection.
 * @returns a new context owned by the caller (SSL_CTX_free), or NULL.
 */
SSLPLUG_API SSL_CTX *sslplug_ctx_new(sslplug_host *host, sslplug_error *err);

/**
 * Apply the configuration to a context the application made: the settings
 * present in the configuration and every configured callback.  Settings the
 * configuration leaves out are not touched, except that sslplug sets the
 * session id context (a digest of the configuration) and, on a client,
 * takes the info callback, which guards resumption (see README).  A context
 * can be configured by sslplug once.  On a failure after sslplug began
 * changing the context, it is left refusing every peer; free it.
 * @returns 1, or 0.
 */
SSLPLUG_API int sslplug_ctx_apply(sslplug_host *host, SSL_CTX *ctx, sslplug_error *err);

/* Flags of sslplug_ctx_apply_roles. */
#define SSLPLUG_ROLES_ADD_TRUST 1u /* also add each configuration's ca_file to ctx's store */

/**
 * Bind the callbacks of two configurations to one context, for a context
 * whose method names no side (TLS_method(), as nginx makes all of its):
 * each connection runs the callbacks of the configuration of its side,
 * told by SSL_is_server once the handshake starts.  Only the callbacks are
 * bound: no context setting of either configuration is applied (not the
 * certificate, the protocols nor the verification mode, which stays the
 * context's: set it with SSL_CTX_set_verify(ctx, mode,
 * SSL_CTX_get_verify_callback(ctx)) to keep sslplug's callback), and the
 * context's trust is left alone unless flags has SSLPLUG_ROLES_ADD_TRUST.
 * Resumption is guarded as for sslplug_ctx_apply: the context's session id
 * context becomes the server configuration's digest (the client's when
 * there is no server configuration; an application that sets its own
 * afterwards replaces it), and each client connection marks its sessions
 * with the client configuration's digest and drops a session made under
 * another before its ClientHello.  A configuration with named "contexts"
 * is refused.
 * @param server  the configuration of connections that accept; NULL: they
 *                run no plugin.  Its role must be "server".
 * @param client  the configuration of connections that connect; NULL: they
 *                run no plugin.  Its role must be "client".  Not both NULL.
 * @param flags   0, or SSLPLUG_ROLES_ADD_TRUST.
 * @returns 1, or 0 (as sslplug_ctx_apply: free a context left half-bound).
 */
SSLPLUG_API int sslplug_ctx_apply_roles(sslplug_host *server, sslplug_host *client, SSL_CTX *ctx,
                                        unsigned flags, sslplug_error *err);

/**
 * How many entries of a callback type the host's current configuration has
 * (0 for a type it does not configure).
 */
SSLPLUG_API size_t sslplug_host_entry_count(sslplug_host *host, sslplug_cb_type type);

/* Who decides on a peer's certificate when sslplug is injected into a program. */
typedef enum sslplug_inject_verify {
    SSLPLUG_INJECT_ENFORCE = 0, /* the plugins' rejection is final; the program's callback
                                   still runs and sees the plugins' verdict */
    SSLPLUG_INJECT_APP          /* the plugins' rejection reaches the program as an OpenSSL
                                   rejection, and the program's own rules decide */
} sslplug_inject_verify;

/*
 * The "inject" section of a configuration, as it applies to one program
 * (its "programs" entry, if any, over the section's own keys over the
 * defaults).  Filled by sslplug_host_inject_settings; later versions may
 * append members.
 */
typedef struct sslplug_inject_settings {
    sslplug_inject_verify verify; /* default SSLPLUG_INJECT_ENFORCE */
    int on_error_warn; /* 1: a configuration that cannot be used is reported and the program
                          goes on without it; 0 (default): the program's contexts fail */
    int add_ca_file;   /* 1: the context's ca_file is added to the program's trust; default 0 */
    int enabled;       /* 0: leave this program alone; default 1 */
} sslplug_inject_settings;

/**
 * The injection settings of the host's current configuration for a
 * program, as libsslplug-inject.so reads them (see sslplug-run(1)).
 * @param program  the program's executable name (no directory), or NULL
 *                 for the section's own settings.
 * @param out      filled in.
 * @returns 1 when the program has an entry under "programs", else 0 (out
 *          holds the section's settings then, or the defaults).
 */
SSLPLUG_API int sslplug_host_inject_settings(sslplug_host *host, const char *program,
                                             sslplug_inject_settings *out);

/*
 * One warning of sslplug_host_check: something that does not keep a context
 * from being made, but should not be deployed.  Shaped like an error: code
 * (the SSLPLUG_E_* it would be as an error), source, pointer of the key at
 * fault ("" when none), line and column 0, message.  Borrowed for the call.
 */
typedef void (*sslplug_warning_fn)(const sslplug_error *warning, void *arg);

/**
 * Check a configuration without using it, as `sslplug check` does: load and
 * initialise every plugin in check mode (their services->checking answers
 * 1: they validate their configuration but create no file and start no
 * thread), make a context as sslplug_ctx_new does (reading the private key
 * through the password callback), run the lints, free the context and
 * finalise the plugins.
 *
 * The lints, for the main context and each named one in "contexts":
 *  - a server context with no certificate and no cert callback, whose
 *    every handshake fails ("no shared cipher"): at "/context" or
 *    "/contexts/NAME";
 *  - a certificate (or one of its chain) that has expired or is not yet
 *    valid, with its notBefore and notAfter: at ".../certificate";
 *  - a client that does not verify its peer: at "/context/verify".
 * The host's own warnings during the check (insecure_allow_writable at
 * "/insecure_allow_writable", a skipped optional entry at its pointer, key
 * logging at the keylog entry) are warnings too, and do not go to the log
 * sink; what plugins log still does.
 *
 * Call it on a host from which no context has been made yet (nor reloaded),
 * and not while other threads use the host.  Afterwards the host is as it
 * was loaded: the next sslplug_ctx_new loads and initialises the plugins
 * anew, for use.
 * @param warning_fn  called once per distinct warning; NULL sends them to the
 *                    log sink instead (SSLPLUG_LOG_WARNING, "POINTER: message").
 * @param err         filled in as sslplug_ctx_new would on failure; may be NULL.
 * @returns 1 when a context could be made, with or without warnings; else 0.
 */
SSLPLUG_API int sslplug_host_check(sslplug_host *host, sslplug_warning_fn warning_fn, void *arg,
                                   sslplug_error *err);

/**
 * Re-read the configuration file the host was loaded from, load and
 * initialise its plugins, and make it current: later sslplug_ctx_new and
 * sslplug_ctx_apply calls use it, while existing contexts (and handshakes
 * on them) keep the generation they were made with until they are freed.
 * On failure nothing changes and the host keeps its current configuration.
 * Safe to call while other threads make contexts from the same host.
 * @returns 1, or 0 (also for a host loaded from a string).
 */
SSLPLUG_API int sslplug_host_reload(sslplug_host *host, sslplug_error *err);

/**
 * The current configuration generation: 1 after loading, incremented by
 * every successful reload.  Trace events carry the generation of their
 * context.
 */
SSLPLUG_API unsigned long sslplug_host_generation(sslplug_host *host);

/** Free a host.  Contexts made from it stay valid. */
SSLPLUG_API void sslplug_host_free(sslplug_host *host);

/**
 * The one way to show an error: "SOURCE:LINE:COL: message" for a JSON syntax
 * error, "SOURCE: /json/pointer: message" for a setting at fault, and
 * "SOURCE: message" otherwise (SOURCE is the configuration file, or
 * "sslplug" when there is none).
 * @param err  the error to format; NULL writes nothing.
 * @param buf  where the text goes, NUL-terminated, cut to len - 1 bytes.
 * @returns the length of the whole text (as snprintf: a value of len or
 *          more means it was cut; SSLPLUG_ERROR_TEXT_MAX is always enough).
 */
SSLPLUG_API size_t sslplug_error_format(const sslplug_error *err, char *buf, size_t len);

/* Room for any sslplug_error_format text. */
#define SSLPLUG_ERROR_TEXT_MAX                                                                     \
    (SSLPLUG_ERROR_SOURCE_MAX + SSLPLUG_ERROR_POINTER_MAX + SSLPLUG_ERROR_MESSAGE_MAX + 32)

/** The version of this library, as "0.1.0"; a constant string. */
SSLPLUG_API const char *sslplug_version(void);

/** A short constant description of a code, never NULL. */
SSLPLUG_API const char *sslplug_strerror(sslplug_code code);

/**
 * The directory bare plugin names are looked up in last: the build tree's
 * plugin directory when this library runs from its build tree, else the
 * installed one.  A constant string, never NULL.
 */
SSLPLUG_API const char *sslplug_builtin_plugin_dir(void);

/**
 * Where a configuration's plugin value would be found without a
 * plugin_path: a value with '/' as given; a bare name x as x.so in
 * SSLPLUG_PLUGIN_PATH, then the built-in plugin directory.
 * @returns a new path the caller frees, or NULL when there is no such file.
 */
SSLPLUG_API char *sslplug_plugin_locate(const char *name);

/**
 * What a plugin file is, as read from the file without running any of its
 * code (sslplug_plugin_examine).  The library allocates it and owns every
 * pointer in it; free it with sslplug_plugin_facts_free.  Later versions may
 * append members.
 */
typedef struct sslplug_plugin_facts {
    const char *file;         /* the file examined, as given */
    unsigned char sha256[32]; /* of the file: the value of an entry's "sha256" pin */
    /* 1: it exports the function sslplug_plugin_entry (an sslplug plugin); 0: it
       does not (a raw plugin); -1: it exports that name as something else, which
       the loader refuses */
    int entry;
    const char *const *functions; /* the functions it exports, NULL-terminated:
                                     what a raw entry's "symbol" may name */
    const char *const *needed;    /* the libraries it needs (DT_NEEDED), NULL-terminated */
    /* NULL when, as far as the file tells, it uses this process's libcrypto and
       libssl; else why the loader refuses it as bringing its own OpenSSL */
    const char *openssl;
} sslplug_plugin_facts;

/**
 * Examine a plugin file the way the loader does before it loads one, and
 * run none of its code: the loader's file checks (a regular file, not a
 * symlink, owned by root or the effective user and not writable by group or
 * others, and so every directory above it), its ELF structure, its SHA-256,
 * its exported functions and needed libraries, and the one-OpenSSL verdict.
 * A configuration's allowed_dirs and plugin_path do not apply.
 * @param path  the plugin file; a relative path is taken from the working
 *              directory.
 * @param err   filled in on failure (source: path); may be NULL.
 * @returns new facts the caller frees with sslplug_plugin_facts_free, or
 *          NULL when the file is unsafe, unreadable or not a loadable
 *          shared object.
 */
SSLPLUG_API sslplug_plugin_facts *sslplug_plugin_examine(const char *path, sslplug_error *err);

/** Free what sslplug_plugin_examine returned. */
SSLPLUG_API void sslplug_plugin_facts_free(sslplug_plugin_facts *facts);

/** The name of a callback type as used in configurations ("verify", ...). */
SSLPLUG_API const char *sslplug_cb_type_name(sslplug_cb_type type);

struct sslplug_plugin;

/**
 * Whether a plugin's descriptor (sslplug/plugin.h) provides callbacks of a
 * type, read as the host reads it: a valid header of this ABI major, and
 * only the members inside the descriptor's own size.  For tools that have
 * the descriptor (sslplug inspect runs a plugin's entry in a child).
 * @returns 1 or 0.
 */
SSLPLUG_API int sslplug_plugin_provides(const struct sslplug_plugin *descriptor,
                                        sslplug_cb_type type);

#ifdef __cplusplus
}
#endif

#endif /* SSLPLUG_SSLPLUG_H */
