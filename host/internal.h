/*
 * Internal interfaces between the files of host/.  Nothing here is part of
 * the public API; non-static names carry the sslplugi_ prefix.
 *
 * Data flow: config.c turns JSON into the plain structs below (nothing is
 * loaded yet); paths.c resolves every file they name; host.c owns them;
 * loader.c makes one refcounted instance per configured entry; binding.c
 * attaches refs to those instances to each SSL_CTX and holds the
 * trampolines; context.c applies the context settings; lint.c checks a
 * configuration (sslplug_host_check).
 */
#ifndef SSLPLUG_HOST_INTERNAL_H
#define SSLPLUG_HOST_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>

#include <openssl/pem.h>

#include "sslplug/plugin.h"
#include "sslplug/sslplug.h"

#if defined(__GNUC__)
#define SSLPLUGI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SSLPLUGI_PRINTF(f, a)
#endif

/* ---- errors (error.c) ---- */

/* Fill err (if not NULL): code, JSON pointer (NULL for none) and message. */
void sslplugi_error_set(sslplug_error *err, sslplug_code code, const char *pointer, const char *fmt,
                        ...) SSLPLUGI_PRINTF(4, 5);
void sslplugi_error_vset(sslplug_error *err, sslplug_code code, const char *pointer,
                         const char *fmt, va_list ap) SSLPLUGI_PRINTF(4, 0);
void sslplugi_error_clear(sslplug_error *err);
void sslplugi_error_set_source(sslplug_error *err, const char *source);
/*
 * out (SSLPLUG_ERROR_POINTER_MAX bytes) = parent + "/" + token, with '~' and
 * '/' escaped as RFC 6901 says; returns out.
 */
char *sslplugi_pointer_child(char *out, const char *parent, const char *token);
/* Append OpenSSL's most recent reason to buf and clear its error queue. */
const char *sslplugi_openssl_reason(char *buf, size_t len);

/* X509_V_ERR_* names and codes, from OpenSSL's own header (x509_errors.c). */
int sslplugi_x509_error_code(const char *name, int *code);
const char *sslplugi_x509_error_name(int code);

/* ---- configuration (config.c) ---- */

typedef enum sslplugi_verify_mode {
    SSLPLUGI_VERIFY_UNSET = 0,
    SSLPLUGI_VERIFY_NONE,
    SSLPLUGI_VERIFY_PEER,
    SSLPLUGI_VERIFY_REQUIRE
} sslplugi_verify_mode;

typedef enum sslplugi_role { SSLPLUGI_ROLE_SERVER = 0, SSLPLUGI_ROLE_CLIENT } sslplugi_role;

/* One configured callback entry. */
typedef struct sslplugi_entry {
    sslplug_cb_type type;
    char *pointer;     /* JSON pointer of the entry, e.g. /callbacks/verify/1 */
    char *plugin;      /* as written in the configuration */
    char *file;        /* resolved path of the plugin file (paths.c) */
    char *symbol;      /* raw form: the exported function; NULL for the ABI form */
    char *config_json; /* ABI form: the "config" value as compact JSON */
    int override_any;  /* verify: may turn any failure into success */
    int *override_codes;
    size_t override_count;
    int optional;    /* info only: skipped with a warning when it cannot load */
    int thread_safe; /* raw only: the function may be called concurrently */
    unsigned events; /* info: SSLPLUG_EVENT_* the entry is called for; 0: as the plugin says */
    int no_internal_cache; /* session_store: "internal_cache": false */
    int has_sha256;        /* the file must have this SHA-256 digest */
    unsigned char sha256[32];
} sslplugi_entry;

/* A list of strings (alpn) and a list of name/value pairs (openssl), in order. */
typedef struct sslplugi_strings {
    char **v;
    size_t n;
} sslplugi_strings;

typedef struct sslplugi_pairs {
    char **names;
    char **values;
    size_t n;
} sslplugi_pairs;

typedef enum sslplugi_alpn_mismatch {
    SSLPLUGI_ALPN_REJECT = 1, /* no protocol in common: the no_application_protocol alert */
    SSLPLUGI_ALPN_CONTINUE    /* go on without ALPN */
} sslplugi_alpn_mismatch;

typedef enum sslplugi_crl_check {
    SSLPLUGI_CRL_LEAF = 1, /* the peer's certificate */
    SSLPLUGI_CRL_CHAIN     /* every certificate of the chain */
} sslplugi_crl_check;

typedef enum sslplugi_ocsp {
    SSLPLUGI_OCSP_OFF = 1,
    SSLPLUGI_OCSP_IF_PRESENT, /* a stapled response is verified; none is accepted */
    SSLPLUGI_OCSP_REQUIRE     /* a valid, good, fresh stapled response is required */
} sslplugi_ocsp;

/*
 * One context's settings (settings.c describes each member; "not given" is
 * NULL, 0 for enums, -1 for integers and booleans).
 */
typedef struct sslplugi_context_conf {
    sslplugi_role role;
    char *certificate; /* a PEM file, or an OSSL_STORE URI */
    char *private_key;
    char *pkcs12; /* a PKCS#12 bundle instead of certificate and private_key */
    char *ca_file;
    char *ca_path;
    int verify; /* sslplugi_verify_mode */
    long verify_depth;
    int min_protocol; /* TLS1_2_VERSION ... */
    int max_protocol;
    char *ciphers;
    char *ciphersuites;
    char *verify_host; /* client: the name the server's certificate must have, and the SNI */
    sslplugi_strings alpn;
    int alpn_mismatch;      /* sslplugi_alpn_mismatch */
    sslplugi_pairs openssl; /* SSL_CONF commands */
    char *crl_file;
    char *crl_path;
    int crl_check;     /* sslplugi_crl_check */
    char *ocsp_staple; /* server: a DER OCSP response file */
    int ocsp;          /* client: sslplugi_ocsp */
    int session_tickets;
    long session_timeout;
    long session_cache_size;
    int check_files; /* owner and mode checks of the files named (not insecure_allow_writable) */
} sslplugi_context_conf;

/* A named sub-context: the main context's settings with some overridden. */
typedef struct sslplugi_named_context {
    char *name;
    char pointer[SSLPLUG_ERROR_POINTER_MAX]; /* "/contexts/NAME", escaped */
    sslplugi_context_conf conf;
} sslplugi_named_context;

/*
 * The "inject" section, for libsslplug-inject.so (sslplug_host_inject_settings):
 * each member -1 when not given.
 */
typedef struct sslplugi_inject_keys {
    int verify; /* sslplug_inject_verify */
    int on_error_warn;
    int add_ca_file;
    int enabled; /* "programs" entries only */
} sslplugi_inject_keys;

typedef struct sslplugi_inject_conf {
    sslplugi_inject_keys keys;
    char **program_names; /* "programs": executable names, and their keys */
    sslplugi_inject_keys *program_keys;
    size_t program_count;
} sslplugi_inject_conf;

typedef struct sslplugi_config {
    char *source;   /* configuration file, or "<string>" */
    char *base_dir; /* absolute directory relative paths are taken from */
    char **plugin_path;
    size_t plugin_path_count;
    char **allowed_dirs; /* plugin files must lie below one of these, if any */
    size_t allowed_dir_count;
    int restrict_dirs;           /* plugin_path or allowed_dirs given (even empty) */
    int insecure_allow_writable; /* development only: no owner/mode checks */
    sslplugi_context_conf context;
    sslplugi_named_context *subs; /* "contexts", for a servername callback to switch to */
    size_t sub_count;
    int has_contexts;        /* "contexts" given, even empty */
    int verify_defaulted;    /* context.verify was not given: the role's default */
    sslplugi_entry *entries; /* in configuration order, grouped by type */
    size_t entry_count;
    unsigned char digest[32]; /* SHA-256 of the canonical configuration */
    /* The "inject" section; NULL when absent. */
    sslplugi_inject_conf *inject;
} sslplugi_config;

/* Parse and validate; paths in the result are not yet resolved. */
int sslplugi_config_parse(const char *json, size_t len, const char *source, const char *base_dir,
                          sslplugi_config **out, sslplug_error *err);
void sslplugi_config_free(sslplugi_config *config);
/* How many entries of this type the configuration has (inline: the cb_<type>.c files use it too).
 */
static inline size_t
sslplugi_config_count(const sslplugi_config *config, sslplug_cb_type type)
{
    size_t count = 0;

    for (size_t i = 0; i < config->entry_count; i++) {
        count += config->entries[i].type == type;
    }
    return count;
}

/* ---- paths (paths.c) ---- */

/* base_dir + "/" + path unless path is absolute; NULL on allocation failure. */
char *sslplugi_path_join(const char *base_dir, const char *path);
/* Whether a value is an OSSL_STORE URI ("file:...", "pkcs11:...") rather than a path. */
int sslplugi_is_store_uri(const char *value);
/* Make every relative path of config absolute and locate every plugin file. */
int sslplugi_paths_resolve(sslplugi_config *config, sslplug_error *err);

/* ---- file checks (filecheck.c) ---- */

#include <sys/stat.h>

typedef struct sslplugi_file_rules {
    int check_modes;            /* owner and writability of the file and its directories */
    const char *const *allowed; /* NULL: anywhere; else the file must lie below one */
    size_t allowed_count;
} sslplugi_file_rules;

/* Open file (absolute) for loading under rules; returns the fd, or -1 with err. */
int sslplugi_file_open_checked(const char *file, const sslplugi_file_rules *rules,
                               const char *pointer, struct stat *st, sslplug_error *err);
/* The owner/mode rule alone, for a file already open (the configuration). */
int sslplugi_file_check_stat(const struct stat *st, const char *file, const char *pointer,
                             sslplug_error *err);
/* The directory rule alone, for every directory above file (the configuration). */
int sslplugi_file_check_dirs(const char *file, const char *pointer, sslplug_error *err);

/* What a file must also satisfy (flags of sslplugi_file_check_opened). */
#define SSLPLUGI_FILE_OWNED 1u   /* owned by root or the effective user */
#define SSLPLUGI_FILE_PRIVATE 2u /* not readable by others: a private key */

/* The path of the file fd refers to, symbolic links resolved; 1, or 0. */
int sslplugi_file_real_path(int fd, char *out, size_t len);
/*
 * The rules for a file opened by the name file, which is real once links
 * are resolved (NULL: the same): a regular file, not writable by group or
 * others, the flags' rules, and no directory above either name writable by
 * others.  what names the file in messages ("private key").
 */
int sslplugi_file_check_opened(const char *file, const char *real, const struct stat *st,
                               unsigned flags, const char *what, const char *pointer,
                               sslplug_error *err);
/* A kind of file a context names: its name in messages, its rules, its error code. */
typedef struct sslplugi_data_file {
    const char *what;  /* "private key" */
    unsigned flags;    /* SSLPLUGI_FILE_* */
    sslplug_code code; /* when it cannot be opened */
} sslplugi_data_file;
extern const sslplugi_data_file sslplugi_certificate_file, sslplugi_key_file, sslplugi_ca_file;
/*
 * Open a file a context names (following links, as administrators link
 * certificates), checked as sslplugi_file_check_opened says when check is
 * set; returns the descriptor, or -1 with err.
 */
int sslplugi_file_open_data(const char *file, const sslplugi_data_file *kind, int check,
                            const char *pointer, sslplug_error *err);

/* ---- hash maps (hashmap.c) ---- */

/* Byte-string keys (copied) to pointers (not owned); not locked. */
typedef struct sslplugi_map sslplugi_map;

sslplugi_map *sslplugi_map_new(void);
/* free_value (NULL: none) gets every value. */
void sslplugi_map_free(sslplugi_map *m, void (*free_value)(void *));
/* The value put under key, or NULL. */
void *sslplugi_map_get(const sslplugi_map *m, const void *key, size_t len);
/* Put value under key, which must not be there yet; 1, or 0 when out of memory. */
int sslplugi_map_put(sslplugi_map *m, const void *key, size_t len, void *value);

/* ---- files read once per build of contexts (filecache.c) ---- */

/* How a file was read: the same file read two ways is two entries. */
typedef enum sslplugi_read {
    SSLPLUGI_READ_CERTS = 1, /* a certificate chain, leaf first */
    SSLPLUGI_READ_KEY,       /* a private key */
    SSLPLUGI_READ_PKCS12     /* a PKCS#12 bundle: the chain and the key */
} sslplugi_read;

/* What a file (or an OSSL_STORE URI) gave: certificates, leaf first, and a key; either NULL. */
typedef struct sslplugi_loaded {
    STACK_OF(X509) *certs;
    EVP_PKEY *pkey;
} sslplugi_loaded;

void sslplugi_loaded_clear(sslplugi_loaded *l);

/*
 * The files one build of contexts (the main one and its named ones) has
 * read, for that build only (filecache.c says why).
 */
typedef struct sslplugi_filecache sslplugi_filecache;

sslplugi_filecache *sslplugi_filecache_new(void);
void sslplugi_filecache_free(sslplugi_filecache *fc);
/*
 * What name gave when read as kind, if it was, and it is still the file st
 * describes (st: fstat of the descriptor that was checked; NULL for a URI
 * that names no file).  Borrowed: it lives as long as fc.
 */
const sslplugi_loaded *sslplugi_filecache_find(const sslplugi_filecache *fc, sslplugi_read kind,
                                               const char *name, const struct stat *st);
/*
 * Keep what loaded holds under (kind, name, st), taking its references
 * (loaded is emptied, also on failure).  Returns the kept entry, borrowed
 * as sslplugi_filecache_find's, or NULL when out of memory.
 */
const sslplugi_loaded *sslplugi_filecache_keep(sslplugi_filecache *fc, sslplugi_read kind,
                                               const char *name, const struct stat *st,
                                               sslplugi_loaded *loaded);

/* ---- loader (loader.c) ---- */

typedef struct sslplugi_module sslplugi_module;

/*
 * One configured entry, loaded: the module it lives in, its resolved
 * function and its state.  This is the sslplug_handle plugins see.
 */
struct sslplug_handle {
    atomic_int refs;
    sslplugi_module *module;
    sslplug_cb_type type;
    char *pointer;
    char *file;  /* the plugin file as the entry names it */
    char *label; /* plugin name, or symbol@file */
    char *source;
    char *base_dir;
    sslplug_log_fn log_fn;
    void *log_arg;
    void *state;
    int abi; /* 1: ABI plugin (state first argument), 0: raw symbol */
    /* The entry's function, as the type's cb_<type>.c calls it (SSLPLUGI_FN). */
    void (*fn)(void);
    unsigned events;       /* info: SSLPLUG_EVENT_* this entry is called for, 0 for all */
    int no_internal_cache; /* session_store: OpenSSL's own cache is off */
    int override_any;
    int *override_codes;
    size_t override_count;
    unsigned char file_sha256[32]; /* of the plugin file as loaded */
    /* Serialises callback calls into a plugin not marked thread-safe; else NULL. */
    pthread_mutex_t *call_lock;
    /* client_cert: the last certificate and key that were checked to match, changed under
       pair_lock and read without it (pair_seq, cb_client_cert.c). */
    pthread_mutex_t pair_lock;
    atomic_uint pair_seq;
    _Atomic(X509 *) good_cert;
    _Atomic(EVP_PKEY *) good_key;
    void (*fini)(void *);
    int checking;            /* made only to check the configuration (services->checking) */
    int fini_pending;        /* init succeeded: fini runs when refs drop to 0 */
    sslplug_error *init_err; /* where services->error writes, during init only */
};
typedef struct sslplug_handle sslplugi_instance;

/* Load (or share) the module and initialise one instance for entry. */
sslplugi_instance *sslplugi_instance_new(const sslplugi_config *config, const sslplugi_entry *entry,
                                         sslplug_log_fn log_fn, void *log_arg, sslplug_error *err);
void sslplugi_instance_ref(sslplugi_instance *inst);
/*
 * Whether a verify entry's "may_override" lets it turn a failure with this
 * X509_V_ERR_* code into success; error 0: whether it may override anything.
 */
int sslplugi_may_override(const sslplugi_instance *inst, int error);
/* The services table given to every plugin's init (services.c). */
const sslplug_services *sslplugi_services(void);
/* The private key file being read on this thread (services->key_file), or NULL after. */
void sslplugi_services_reading_key(const char *file);
/*
 * While on holds on the calling thread (sslplug_host_check), the instances
 * made are only checked: their services->checking answers 1 for good.
 */
void sslplugi_services_set_checking(int on);
int sslplugi_services_checking(void);
/*
 * The host's own warnings, each with the JSON pointer of the key at fault:
 * to the collector this thread set (sslplug_host_check), else logged.
 */
typedef void (*sslplugi_warn_sink)(sslplug_code code, const char *pointer, const char *message,
                                   void *arg);
void sslplugi_warn_collect(sslplugi_warn_sink sink, void *arg);
void sslplugi_warn(sslplug_log_fn log_fn, void *log_arg, sslplug_code code, const char *pointer,
                   const char *fmt, ...) SSLPLUGI_PRINTF(5, 6);
/* Deliver a log message to fn, or without one to stderr (info and above). */
void sslplugi_log_emit(sslplug_log_fn fn, void *arg, int level, const char *plugin,
                       const char *message);
void sslplugi_instance_unref(sslplugi_instance *inst);

/* ---- binding (binding.c) ---- */

typedef struct sslplugi_generation sslplugi_generation;

/*
 * Attach callbacks for the generation's instances to ctx (refs are taken),
 * with the verification mode of conf (the main context or a named one).
 * own_ctx: the context was made by sslplug, so its password callback is ours
 * even when none is configured.
 */
int sslplugi_bind(SSL_CTX *ctx, int own_ctx, const sslplugi_generation *gen,
                  const sslplugi_context_conf *conf, sslplug_trace_fn trace_fn, void *trace_arg,
                  sslplug_error *err);
/*
 * Hand a named sub-context (built like the main one) to main's binding,
 * for the servername callback to switch to; main owns it from then on,
 * also on failure.
 */
int sslplugi_bind_subcontext(SSL_CTX *main, const char *name, SSL_CTX *sub, sslplug_error *err);
/* After the last sslplugi_bind_subcontext: sorts them, for sslplugi_subcontext_find. */
void sslplugi_subcontexts_ready(SSL_CTX *main);
/*
 * One try at opening something locked (a key, a PKCS#12 bundle, a store):
 * cb and cbarg are OpenSSL's pem_password_cb and its argument, asking the
 * password source for the candidate of this attempt.  Returns 1 when it
 * opened.
 */
typedef int sslplugi_unlock_fn(pem_password_cb *cb, void *cbarg, void *arg);
/*
 * Call fn with one password candidate after another from ctx's password
 * source, until it opens, the source has no more, or it misbehaves; what
 * and file name the thing in messages.  Returns 1, or 0 with err.
 */
int sslplugi_unlock(SSL_CTX *ctx, const char *what, const char *file, const char *pointer,
                    sslplugi_unlock_fn *fn, void *arg, sslplug_error *err);
/* Read the configured private key (open as fd, which it closes) through the password callback. */
EVP_PKEY *sslplugi_read_private_key(SSL_CTX *ctx, int fd, const char *file, const char *pointer,
                                    sslplug_error *err);

/* ---- trust (trust.c) ---- */

/*
 * What one context (main or named) trusts, read once per generation;
 * contexts with the same CA and CRL settings share one reading.
 */
typedef struct sslplugi_trust {
    STACK_OF(X509_INFO) *ca;    /* ca_file's certificates and CRLs; NULL without one */
    STACK_OF(X509_NAME) *names; /* their subjects, the client CA list a server sends */
    STACK_OF(X509_CRL) *crls;   /* crl_file's and crl_path's CRLs; NULL without */
    unsigned char digest[32];   /* of ca_file's bytes, every file of ca_path, every CRL file */
    int borrowed;               /* the stacks are another context's: clearing frees nothing */
} sslplugi_trust;

/* Read and check conf's CA file, check and digest its CA directory; base: "/context". */
int sslplugi_trust_load(sslplugi_trust *t, const sslplugi_context_conf *conf, const char *base,
                        sslplug_error *err);
/*
 * The settings a context's trust is read from, as one malloc'd key of *len
 * bytes: contexts whose keys are equal trust the same (NULL when out of memory).
 */
unsigned char *sslplugi_trust_key(const sslplugi_context_conf *conf, size_t *len);
/* t = from's reading, borrowed: from must outlive t. */
void sslplugi_trust_share(sslplugi_trust *t, const sslplugi_trust *from);
void sslplugi_trust_clear(sslplugi_trust *t);
/* Add the CA file's certificates and CRLs to ctx's store; send_names: the client CA list. */
int sslplugi_trust_apply(SSL_CTX *ctx, const sslplugi_trust *t, int send_names);

/* ---- server names (servername.c) ---- */

/*
 * The server name as plugins get it: lower case, one trailing dot removed,
 * and only a valid host name (labels of letters, digits, '-' and '_', 1 to
 * 63 bytes, at most 253 in all).  in need not be NUL-terminated.  Returns 1
 * with out set, 0 for a name that is not a host name or does not fit.
 */
int sslplugi_servername_normalise(const char *in, size_t len, char *out, size_t outlen);

/* ---- the certificate and key a context presents (keypair.c) ---- */

/*
 * certificate + private_key (PEM files or OSSL_STORE URIs), or pkcs12; base:
 * "/context".  Each file is checked, then taken from files when this build
 * read it already, else read and kept there.
 */
int sslplugi_keypair_configure(SSL_CTX *ctx, const sslplugi_context_conf *conf, const char *base,
                               sslplugi_filecache *files, sslplug_error *err);

/* ---- OCSP (ocsp.c) ---- */

/* A server's staple: the response file, read again when it changes. */
typedef struct sslplugi_staple sslplugi_staple;
sslplugi_staple *sslplugi_staple_new(const char *file, int check_files, const char *pointer,
                                     sslplug_error *err);
void sslplugi_staple_free(sslplugi_staple *s);
/* Staple s on ctx's connections (s must outlive ctx). */
int sslplugi_staple_bind(SSL_CTX *ctx, sslplugi_staple *s);
/*
 * A client asking for a staple and verifying it as mode (sslplugi_ocsp)
 * says; the status callback it sets replaces an application's.
 */
int sslplugi_ocsp_check_bind(SSL_CTX *ctx, int mode);
/* The check of a client's staple, as mode says; 1 to go on, 0 to end the handshake. */
int sslplugi_ocsp_check(SSL *ssl, int mode);

/* ---- context settings (context.c) ---- */

/*
 * Apply one context's settings (the main one at "/context", or a named one at
 * "/contexts/NAME": base is the JSON pointer for errors).  sid_ctx: the
 * session id context for a server (32 bytes); files: the build's cache of
 * certificates and keys (filecache.c).
 */
int sslplugi_context_configure(SSL_CTX *ctx, const sslplugi_context_conf *conf,
                               const sslplugi_trust *trust, const char *base,
                               const unsigned char *sid_ctx, sslplugi_filecache *files,
                               sslplug_error *err);
/* Before configuring a named context: start from main's protocol range, options, parameters. */
int sslplugi_context_inherit(SSL_CTX *sub, SSL_CTX *main);
/* Serve the connection from target (a named context) with all its settings in force. */
int sslplugi_context_switch(SSL *ssl, SSL_CTX *target);

/* ---- generations (generation.c) ---- */

/*
 * One loaded configuration and the instances of its plugins.  A host points
 * at its current generation; sslplug_host_reload swaps in a new one, while
 * contexts and calls in progress keep the old one alive by reference.
 */
struct sslplugi_generation {
    atomic_int refs;
    unsigned long number; /* 1 for the first load, +1 per successful reload */
    sslplugi_config *config;
    pthread_mutex_t load_lock; /* serialises the lazy load of instances */
    atomic_int loaded;
    sslplugi_instance **instances;
    size_t instance_count;
    /* What each context trusts: [0] the main one, [1 + i] config->subs[i]. */
    sslplugi_trust *trust;
    /* Digest of the configuration and every plugin file: sessions are only
       resumed under the policy that made them. */
    unsigned char session_id_context[32];
};

sslplugi_generation *sslplugi_generation_new(sslplugi_config *config, unsigned long number,
                                             sslplug_error *err);
/* Load and initialise every plugin once; all or nothing but optional entries. */
int sslplugi_generation_load(sslplugi_generation *gen, sslplug_log_fn log_fn, void *log_arg,
                             sslplug_error *err);
/*
 * Drop the instances a load made (fini runs once no context holds them), so
 * that the next context loads anew: after sslplug_host_check, whose
 * instances were made for a check only.  No context may be in the making.
 */
void sslplugi_generation_unload(sslplugi_generation *gen);
void sslplugi_generation_ref(sslplugi_generation *gen);
void sslplugi_generation_unref(sslplugi_generation *gen);

/* ---- host (host.c) ---- */

/* The host's current generation, with a reference the caller drops. */
sslplugi_generation *sslplugi_host_current(sslplug_host *host);

struct sslplug_host {
    pthread_mutex_t lock; /* guards gen and next_number; never held across plugin calls */
    sslplugi_generation *gen;
    unsigned long next_number;
    char *path; /* the configuration file, for reload; NULL for a string */
    sslplug_trace_fn trace_fn;
    void *trace_arg;
    sslplug_log_fn log_fn;
    void *log_arg;
};

#endif /* SSLPLUG_HOST_INTERNAL_H */
