/*
 * sslplug plugin ABI: everything a plugin author needs, and nothing else.
 *
 * A plugin is a shared object that exports one function,
 *
 *     const sslplug_plugin *sslplug_plugin_entry(void);
 *
 * returning a pointer to a constant descriptor that lives as long as the
 * object is mapped.  The host calls `init` once per configured entry, then
 * binds the callbacks the descriptor provides into every SSL_CTX made from
 * that configuration.
 *
 * Conventions (stated once, true for every member below):
 *  - Versioning.  The descriptor begins with SSLPLUG_PLUGIN_MAGIC, the ABI
 *    major and minor version the plugin was built with, and
 *    sizeof(sslplug_plugin) as the plugin saw it.  The host refuses a
 *    different major, refuses a minor newer than its own, and reads only the
 *    members that lie inside `size`; members past it count as NULL.  New
 *    members are only ever appended, with a minor bump; removing or changing
 *    a member is a major bump.  The same rules hold for sslplug_services,
 *    whose `size` a plugin must check before it uses a member added after
 *    1.0 (SSLPLUG_SERVICES_HAS): a plugin may run on an older host.
 *  - NULL.  Every callback member may be NULL: the plugin does not provide
 *    that type, and configuring it for that type is an error.  `init` may be
 *    NULL only for plugins that take no `config`; `fini` may be NULL.
 *  - State.  `init` stores a per-entry state pointer; each callback gets it
 *    back as its first argument.  The same .so may be configured in several
 *    entries, each with its own state.  `fini` gets the state once, after the
 *    last SSL_CTX using the entry is freed.
 *  - Ownership.  Strings the host passes are borrowed for the call only.
 *    Objects a callback returns through pointer arguments follow OpenSSL's
 *    rules for that callback (see each one below).
 *  - Threads.  `init` and `fini` of all entries of one plugin file are
 *    serialised (one at a time, process-wide), and never run concurrently
 *    with a callback on the same state.  Callbacks for different connections
 *    run on whatever threads drive them.  A plugin that sets
 *    SSLPLUG_PLUGIN_THREAD_SAFE in `flags` (ABI 1.1) may be called
 *    concurrently, also on the same state, and must lock what it shares;
 *    without the flag (and for ABI 1.0 plugins) the host serialises every
 *    callback call into one state with a mutex.  The host holds none of its
 *    own locks while it calls a plugin.  The password attempts for one key
 *    read (0, 1, ...) are made in order, on the thread that creates the
 *    context.
 *  - Lifetime.  A plugin file, once loaded, stays mapped for the life of the
 *    process (RTLD_NODELETE): a context, an OpenSSL object or an atexit
 *    handler may still point into its code.  A replaced file (another inode)
 *    is loaded anew beside it.
 *  - Checking.  A host may load an entry only to check the configuration
 *    (services->checking, ABI 1.3): init then validates as usual and reports
 *    what is wrong, but leaves no trace (no file created or written, no
 *    thread or process started).
 *  - Secrets.  A plugin must not log passwords, and should wipe any copy it
 *    keeps (OPENSSL_cleanse) before freeing it.
 *
 * This header depends only on OpenSSL's headers and the C standard library.
 */
#ifndef SSLPLUG_PLUGIN_H
#define SSLPLUG_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "SPLG" in ASCII: catches a symbol that is not a descriptor at all. */
#define SSLPLUG_PLUGIN_MAGIC 0x53504c47u

/* ABI version this header describes. */
#define SSLPLUG_ABI_MAJOR 1
#define SSLPLUG_ABI_MINOR 4

/* The one symbol the host looks up in an ABI plugin. */
#define SSLPLUG_PLUGIN_ENTRY_SYMBOL "sslplug_plugin_entry"

/* Visibility for the entry point, so plugins can build with hidden symbols. */
#if defined(__GNUC__)
#define SSLPLUG_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define SSLPLUG_PLUGIN_EXPORT
#endif

/* Log levels for sslplug_services.log. */
#define SSLPLUG_LOG_ERROR 0
#define SSLPLUG_LOG_WARNING 1
#define SSLPLUG_LOG_INFO 2
#define SSLPLUG_LOG_DEBUG 3

/*
 * Return values of the ABI password callback besides a length.  A password
 * source that can offer several candidates (a file with one password per
 * line during key rotation) is asked again with attempt 1, 2, ... while the
 * key does not decrypt, until it answers SSLPLUG_PASSWORD_NO_MORE.
 */
#define SSLPLUG_PASSWORD_ERROR (-1)
#define SSLPLUG_PASSWORD_NO_MORE (-2)

/* The host's handle for one configured entry; opaque to the plugin. */
typedef struct sslplug_handle sslplug_handle;

/*
 * Services the host offers a plugin.  The table is owned by the host and
 * stays valid as long as any state of the plugin exists; `handle` is the
 * one passed to init and may be kept in the state.
 */
typedef struct sslplug_services {
    /* sizeof(sslplug_services) as the host was built; check before use. */
    uint32_t size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /*
     * Log a message through the application's log sink.  Prefixed by the
     * host with the entry's plugin name.  Safe from any thread.
     */
    void (*log)(const sslplug_handle *handle, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /*
     * From init only: describe why init failed.  `pointer` is a JSON pointer
     * relative to the entry's "config" object naming the offending key (""
     * for the object itself, NULL when no key is to blame); the host reports
     * it as an absolute pointer into the configuration file.
     */
    void (*error)(sslplug_handle *handle, const char *pointer, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /*
     * Resolve a path from the plugin's config the way the host resolves its
     * own: absolute paths are kept, relative ones are taken relative to the
     * directory of the configuration file, never the working directory.
     * Writes a NUL-terminated path to out.  Returns 1, or 0 when it does not
     * fit in outlen.
     */
    int (*resolve_path)(const sslplug_handle *handle, const char *path, char *out, size_t outlen);

    /* Path of the configuration file ("" for a config given as a string). */
    const char *(*config_path)(const sslplug_handle *handle);

    /* ---- ABI 1.2 ---- */

    /*
     * From a password callback: the private key file the host is reading,
     * or NULL when the call comes from a key the application reads itself
     * through the context.  Borrowed for the call.
     */
    const char *(*key_file)(const sslplug_handle *handle);

    /*
     * For a verify entry: 1 when its configuration lets it turn a failure
     * with this X509_V_ERR_* code into success ("may_override"), else 0.
     * error 0 asks whether the entry may override anything at all.  A
     * plugin that accepts chains OpenSSL rejected can warn at init when the
     * host would refuse its overrides.
     */
    int (*may_override)(const sslplug_handle *handle, int error);

    /* ---- ABI 1.3 ---- */

    /*
     * 1 when the host loads this entry only to check the configuration
     * (`sslplug check`, sslplug_host_check), else 0; the answer is fixed for
     * the life of the state.  A checked entry's context is made and freed
     * with no connection, so init should validate everything it would
     * otherwise (the config, files it reads, and that the files it would
     * write can be made: their directory exists and is writable) and report
     * problems as usual, but create, truncate or write no file and start no
     * thread or process; fini then has nothing to undo.  Check
     * services->size first: older hosts have no check mode.
     */
    int (*checking)(const sslplug_handle *handle);

    /*
     * The server name of a connection as the host hands it to servername
     * plugins: on a server, the SNI name the client sent, in lower case
     * with one trailing dot removed ("Secure.Example." is secure.example),
     * so that a name cannot slip past a rule by being spelled another way.
     * Writes it NUL-terminated to out and returns 1; 0 when there is none,
     * it is not a valid host name (labels of letters, digits, '-' and '_',
     * 1 to 63 bytes, at most 253 in all) or it does not fit.  Safe from any
     * callback.
     */
    int (*server_name)(const SSL *ssl, char *out, size_t outlen);

    /*
     * The same normalisation for a name of the plugin's own configuration
     * (a rule's pattern), so rule and name compare byte for byte.  Returns
     * 1, or 0 for a name that is not a host name or does not fit.
     */
    int (*normalise_name)(const char *name, char *out, size_t outlen);

    /* New members go here, with SSLPLUG_ABI_MINOR bumped. */
} sslplug_services;

/*
 * 1 when the host's services table has `member` (a plugin built against a
 * newer plugin.h than the host's): SSLPLUG_SERVICES_HAS(services, checking).
 */
#define SSLPLUG_SERVICES_HAS(services, member)                                                     \
    ((services)->size >=                                                                           \
     offsetof(sslplug_services, member) + sizeof(((const sslplug_services *)0)->member))

/*
 * One operation of a session_store callback (ABI 1.4).  The host fills it
 * in and does every OpenSSL call itself: the plugin sees opaque bytes and
 * never needs to call OpenSSL.  Every pointer is borrowed for the call.
 */
typedef struct sslplug_session {
    uint32_t size; /* sizeof(sslplug_session) as the host was built */
    int op;        /* SSLPLUG_SESSION_NEW, _GET or _REMOVE */
    /*
     * The namespace: the context's session id context, a SHA-256 of its
     * configuration, trust and plugin files (32 bytes).  A store must keep
     * entries of different namespaces apart (make it part of the key), so
     * that a server whose policy differs never finds another's sessions.
     */
    const unsigned char *ns;
    size_t ns_len;
    const unsigned char *id; /* the session id, 1 to 32 bytes; public (it travels in clear) */
    size_t id_len;
    /*
     * NEW: the session, as i2d_SSL_SESSION encodes it.  It holds the
     * session's master secret: a store that keeps it outside the process
     * must encrypt it (session_redis does).  NULL for GET and REMOVE.
     */
    const unsigned char *der;
    size_t der_len;
    long lifetime; /* NEW: seconds the session remains valid (at least 1): the entry's TTL */
    /*
     * GET: where the plugin copies the bytes it stored for (ns, id), buf_len
     * bytes of room.  NULL for NEW and REMOVE.
     */
    unsigned char *buf;
    size_t buf_len;
} sslplug_session;

/* Operations of the session_store callback (sslplug_session.op). */
#define SSLPLUG_SESSION_NEW 0
#define SSLPLUG_SESSION_GET 1
#define SSLPLUG_SESSION_REMOVE 2
/* GET: the store could not answer (down, slow); the host counts it as a miss. */
#define SSLPLUG_SESSION_ERROR (-1)
/* The largest session the host reads back from a store. */
#define SSLPLUG_SESSION_MAX 65536

/*
 * One session ticket key (ABI 1.4), as nginx's ssl_session_ticket_key
 * files hold them: tickets are encrypted with AES-CBC and authenticated
 * with HMAC-SHA256, as OpenSSL's own tickets are.
 */
typedef struct sslplug_ticket_key {
    unsigned char name[16];     /* sent in clear at the start of each ticket */
    unsigned char aes_key[32];  /* the first key_len bytes are used */
    unsigned char hmac_key[32]; /* the first key_len bytes are used */
    /* 32: AES-256-CBC and a 32-byte HMAC key (80-byte nginx files); 16: AES-128-CBC and a
       16-byte HMAC key (48-byte files).  Any other value makes the key unusable. */
    uint32_t key_len;
} sslplug_ticket_key;

/* The room the host gives a ticket_keys callback, in keys. */
#define SSLPLUG_TICKET_KEYS_MAX 8

/*
 * The descriptor.  Declare it `static const` in the plugin and return its
 * address from sslplug_plugin_entry().
 */
typedef struct sslplug_plugin {
    uint32_t magic;     /* SSLPLUG_PLUGIN_MAGIC */
    uint16_t abi_major; /* SSLPLUG_ABI_MAJOR */
    uint16_t abi_minor; /* SSLPLUG_ABI_MINOR */
    uint32_t size;      /* sizeof(sslplug_plugin) */

    const char *name;    /* short name for messages and traces */
    const char *version; /* the plugin's own version, free form */

    /*
     * Create the state for one configured entry.  `config_json` is the
     * entry's "config" value as compact JSON text ("{}" when absent).  On
     * success store the state (NULL is allowed) in *state and return 1; on
     * failure call services->error and return 0; *state is then ignored and
     * fini is not called.
     */
    int (*init)(const sslplug_services *services, sslplug_handle *handle, const char *config_json,
                void **state);

    /* Release the state made by init. */
    void (*fini)(void *state);

    /*
     * password (bound with SSL_CTX_set_default_passwd_cb): called while the
     * encrypted private key named in the configuration is read.  Copy the
     * password into buf with a terminating NUL (length + 1 <= size; size can
     * be less than 1024) and return its length.  flag is 1 when a key would
     * be written (the host never writes keys).  attempt is 0 for the first
     * candidate; when the key does not decrypt with it, the host asks again
     * with attempt 1, 2, ... until the callback returns
     * SSLPLUG_PASSWORD_NO_MORE.  Return SSLPLUG_PASSWORD_ERROR when no
     * password can be had.  A length outside 0..size-1 is an error.
     */
    int (*password)(void *state, int attempt, char *buf, int size, int flag);

    /*
     * verify (bound with SSL_CTX_set_verify): called for every certificate
     * of the peer's chain, deepest first.  `ok` is the verdict so far
     * (OpenSSL's own, or the previous verify entry's); the store gives the
     * certificate, depth and error.  Return 1 to accept, 0 to reject.  The
     * host allows turning ok=0 into 1 only where the configuration says
     * "may_override"; otherwise that counts as a rejection.
     */
    int (*verify)(void *state, int ok, X509_STORE_CTX *store);

    /*
     * info (bound with SSL_CTX_set_info_callback): called at handshake state
     * changes.  `where` holds SSL_CB_* flags, `ret` the alert or return
     * value as OpenSSL documents for SSL_CTX_set_info_callback.
     */
    void (*info)(void *state, const SSL *ssl, int where, int ret);

    /*
     * client_cert (bound with SSL_CTX_set_client_cert_cb): called on a client
     * when the server asks for a certificate.  Return 1 with *cert and *pkey
     * set to new references (the host and OpenSSL take ownership of both) to
     * send them, or 0 to send none.  Any other result, a missing cert or
     * key, or a key that does not match the certificate counts as 0; the
     * callback can never suspend the handshake.
     */
    int (*client_cert)(void *state, SSL *ssl, X509 **cert, EVP_PKEY **pkey);

    /* ---- ABI 1.1 ---- */

    /*
     * SSLPLUG_PLUGIN_* flags.  Without SSLPLUG_PLUGIN_THREAD_SAFE the host
     * serialises all callback calls into one entry's state with a mutex.
     */
    uint32_t flags;

    /* ---- ABI 1.2 ---- */

    /*
     * Events this plugin's info callback wants (SSLPLUG_EVENT_* bits); 0 means
     * all.  An entry's "events" in the configuration overrides it.  The host
     * does not call the plugin for other events, so a logger that wants three
     * events costs nothing on the dozen others of each handshake.
     */
    uint32_t info_events;

    /*
     * cert (bound with SSL_CTX_set_cert_cb): called on both sides before the
     * certificate is sent (on a client, only when the server asked for one).
     * The plugin may set a full chain and key on ssl (SSL_use_cert_and_key,
     * or SSL_use_certificate + SSL_use_PrivateKey + SSL_set1_chain); the
     * acceptable CA names are SSL_get0_peer_CA_list (on a client: the
     * server's list) or SSL_get_client_CA_list.  Return 1 to go on (with or
     * without a certificate set), 0 to abort the handshake.  Any other value
     * counts as 0: the callback can never suspend the handshake.
     */
    int (*cert)(void *state, SSL *ssl);

    /*
     * servername (bound with SSL_CTX_set_tlsext_servername_callback): called
     * on a server with the name the client sent (NULL when it sent none).
     * Return SSLPLUG_SNI_ACCEPT to go on with the current context,
     * SSLPLUG_SNI_REJECT to end the handshake with an unrecognized_name
     * alert, or SSLPLUG_SNI_SWITCH with *context set to the name of one of
     * the configuration's "contexts" to serve the connection from that
     * context instead (its certificate and settings; a session made under
     * another context is never resumed).  *context must point to storage
     * that outlives the call (the plugin's state, or a literal).
     */
    int (*servername)(void *state, SSL *ssl, const char *name, const char **context);

    /*
     * keylog (bound with SSL_CTX_set_keylog_callback): called with each key
     * log line in the NSS format, without a newline.  The line holds secrets
     * that decrypt the connection.
     */
    void (*keylog)(void *state, const SSL *ssl, const char *line);

    /* ---- ABI 1.4 ---- */

    /*
     * alpn (a server; bound with SSL_CTX_set_alpn_select_cb): choose the
     * application protocol from the client's list, offered in ALPN's wire
     * form (each name preceded by its length byte), per SNI name say
     * (services->server_name).  Return SSLPLUG_ALPN_SELECT with *out and
     * *outlen set to one of the names in offered (a pointer into it: the
     * host refuses anything else), SSLPLUG_ALPN_NONE to go on without
     * ALPN, or SSLPLUG_ALPN_REJECT to end the handshake with the
     * no_application_protocol alert.  A context's "alpn" setting is what
     * happens without this callback; a server may not have both.
     */
    int (*alpn)(void *state, SSL *ssl, const unsigned char *offered, unsigned int offered_len,
                const unsigned char **out, unsigned char *outlen);

    /*
     * status (bound with SSL_CTX_set_tlsext_status_cb): OCSP stapling.  On a
     * server (SSL_is_server), response is NULL: supply the DER OCSP
     * response to staple in *staple (OPENSSL_malloc'd; the host hands it to
     * OpenSSL, which frees it) and *staple_len and return SSLPLUG_STATUS_OK,
     * or return SSLPLUG_STATUS_NONE to staple nothing.  On a client, response
     * is the stapled DER response (NULL, len 0, when there is none): return
     * SSLPLUG_STATUS_OK to go on or SSLPLUG_STATUS_REJECT to end the
     * handshake.  A client's "ocsp" setting, when given, is checked first;
     * the callback can only reject what it accepted.  A server's
     * "ocsp_staple" is what happens without this callback; a server may not
     * have both.
     */
    int (*status)(void *state, SSL *ssl, const unsigned char *response, size_t len,
                  unsigned char **staple, size_t *staple_len);

    /*
     * verify_connection (bound with SSL_CTX_set_cert_verify_callback, which
     * runs the certificate verification of the connection): called once per
     * handshake that verifies a peer, after OpenSSL and the verify entries
     * accepted every certificate, with the verified chain (leaf first), the
     * server name (on a client: the one it asked for; on a server: the SNI
     * name the client sent, normalised; NULL when none), the negotiated
     * ALPN protocol (NULL when none) and the protocol version (TLS1_3_VERSION
     * ...).  Return 1 to accept; 0 to reject, with *reason (optional, valid
     * until the callback returns: the host copies it) saying why, which the
     * host logs and traces: the handshake fails with
     * X509_V_ERR_APPLICATION_VERIFICATION.  It is not called for a chain the
     * pipeline rejected, so it can never accept what was rejected.
     */
    int (*verify_connection)(void *state, SSL *ssl, STACK_OF(X509) *chain, const char *servername,
                             const char *alpn, int version, const char **reason);

    /*
     * session_store (bound with SSL_CTX_sess_set_new_cb, _get_cb and
     * _remove_cb; server contexts only): an external session cache, which
     * several servers may share.  One function for three operations, s->op
     * saying which; the host (de)serialises sessions and hands the plugin
     * bytes (sslplug_session above).
     *  - NEW: a session was made; store s->der under (s->ns, s->id) for
     *    s->lifetime seconds.  Return 1 when stored, 0 when not.  Not called
     *    for a TLS 1.3 session that travels whole in a stateless ticket (its
     *    id is never looked up).
     *  - GET: a client offers session id s->id.  Copy what was stored under
     *    (s->ns, s->id) into s->buf and return its length; 0 when there is
     *    none; SSLPLUG_SESSION_ERROR when the store cannot answer.  A length
     *    above s->buf_len (up to SSLPLUG_SESSION_MAX) asks the host to call
     *    again with that much room.  The host refuses bytes that are not a
     *    session, or a session of another id or namespace: a full handshake.
     *  - REMOVE: OpenSSL invalidated the session (its connection failed):
     *    forget it; return 1 when something was removed.
     * Whatever the store does, the handshake goes on: anything but a valid
     * session from GET is a full handshake.  A store that cannot answer
     * quickly should give up (session_redis has timeout_ms): the handshake
     * waits for the call.  REMOVE may be called with OpenSSL's cache lock
     * held: call nothing of OpenSSL's from it.
     */
    int (*session_store)(void *state, sslplug_session *s);

    /*
     * ticket_keys (bound with SSL_CTX_set_tlsext_ticket_key_evp_cb; server
     * contexts only): the keys that encrypt and decrypt session tickets,
     * shared by the servers of a fleet so that a ticket one issued resumes
     * on another.  Called for each ticket the server issues or is offered:
     * write up to max keys into keys, the key that encrypts first, and
     * return how many (0: no keys, so no ticket is issued and none is
     * decrypted).  The host encrypts new tickets with keys[0], decrypts a
     * ticket with the key of its name, and renews a ticket decrypted with
     * any key but the first (the client gets a new one under keys[0]); a
     * ticket whose key is not in the list means a full handshake.  The host
     * wipes the keys (OPENSSL_cleanse) after each call and traces their
     * names only.  A negative result counts as 0.
     */
    int (*ticket_keys)(void *state, const SSL *ssl, sslplug_ticket_key *keys, size_t max);

    /* New members go here, with SSLPLUG_ABI_MINOR bumped. */
} sslplug_plugin;

/* Events for info_events and an entry's "events" (SSL_CB_* of OpenSSL). */
#define SSLPLUG_EVENT_LOOP SSL_CB_LOOP
#define SSLPLUG_EVENT_EXIT SSL_CB_EXIT
#define SSLPLUG_EVENT_READ SSL_CB_READ
#define SSLPLUG_EVENT_WRITE SSL_CB_WRITE
#define SSLPLUG_EVENT_ALERT SSL_CB_ALERT
#define SSLPLUG_EVENT_HANDSHAKE_START SSL_CB_HANDSHAKE_START
#define SSLPLUG_EVENT_HANDSHAKE_DONE SSL_CB_HANDSHAKE_DONE

/* Results of the servername callback. */
#define SSLPLUG_SNI_ACCEPT 0
#define SSLPLUG_SNI_REJECT 1
#define SSLPLUG_SNI_SWITCH 2

/* Results of the alpn callback (OpenSSL's SSL_TLSEXT_ERR_* of the ALPN callback). */
#define SSLPLUG_ALPN_SELECT SSL_TLSEXT_ERR_OK
#define SSLPLUG_ALPN_NONE SSL_TLSEXT_ERR_NOACK
#define SSLPLUG_ALPN_REJECT SSL_TLSEXT_ERR_ALERT_FATAL

/* Results of the status callback. */
#define SSLPLUG_STATUS_OK 1
#define SSLPLUG_STATUS_NONE 0
#define SSLPLUG_STATUS_REJECT 0

/* The plugin's callbacks may run concurrently, also on the same state. */
#define SSLPLUG_PLUGIN_THREAD_SAFE (1u << 0)

/* Type of the entry point, for hosts and tools that look it up. */
typedef const sslplug_plugin *(*sslplug_plugin_entry_fn)(void);

/* The entry point every ABI plugin defines (declared here for prototypes). */
SSLPLUG_PLUGIN_EXPORT const sslplug_plugin *sslplug_plugin_entry(void);

/* Raw callback signatures a plain (non-sslplug) plugin may export. */
typedef int (*sslplug_raw_password_fn)(char *buf, int size, int flag);
typedef int (*sslplug_raw_verify_fn)(int ok, X509_STORE_CTX *store);
typedef void (*sslplug_raw_info_fn)(const SSL *ssl, int where, int ret);
typedef int (*sslplug_raw_client_cert_fn)(SSL *ssl, X509 **cert, EVP_PKEY **pkey);
/* arg is always NULL; OpenSSL's own signatures, so existing functions bind as they are. */
typedef int (*sslplug_raw_cert_fn)(SSL *ssl, void *arg);
typedef int (*sslplug_raw_servername_fn)(SSL *ssl, int *alert, void *arg);
typedef void (*sslplug_raw_keylog_fn)(const SSL *ssl, const char *line);
/* ABI 1.4.  arg is always NULL.  verify_connection has no raw form. */
typedef int (*sslplug_raw_alpn_fn)(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                   const unsigned char *in, unsigned int inlen, void *arg);
typedef int (*sslplug_raw_status_fn)(SSL *ssl, void *arg);
/*
 * OpenSSL's SSL_CTX_set_tlsext_ticket_key_evp_cb signature, so an existing
 * key callback binds as it is; a negative result counts as 0 (a full
 * handshake, never a failed one).  session_store has no raw form: OpenSSL's
 * three session callbacks cannot be one function.
 */
typedef int (*sslplug_raw_ticket_keys_fn)(SSL *ssl, unsigned char key_name[16], unsigned char *iv,
                                          EVP_CIPHER_CTX *ctx, EVP_MAC_CTX *hctx, int enc);

/* Convenience initialiser for the descriptor's header. */
#define SSLPLUG_PLUGIN_HEADER                                                                      \
    SSLPLUG_PLUGIN_MAGIC, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR, (uint32_t)sizeof(sslplug_plugin)

#ifdef __cplusplus
}
#endif

#endif /* SSLPLUG_PLUGIN_H */
