/*
 * Generations: one loaded configuration with the instances of its plugins.
 * Instances are made on first use (so an application can set its log sink
 * first) or eagerly by a reload (so a reload that cannot load fails before
 * anything is swapped).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "internal.h"
#include "types.h"

sslplugi_generation *
sslplugi_generation_new(sslplugi_config *config, unsigned long number, sslplug_error *err)
{
    sslplugi_generation *gen = calloc(1, sizeof(*gen));

    if (gen == NULL || pthread_mutex_init(&gen->load_lock, NULL) != 0) {
        free(gen);
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        return NULL;
    }
    atomic_init(&gen->refs, 1);
    atomic_init(&gen->loaded, 0);
    gen->number = number;
    gen->config = config;
    return gen;
}

void
sslplugi_generation_ref(sslplugi_generation *gen)
{
    atomic_fetch_add_explicit(&gen->refs, 1, memory_order_relaxed);
}

static void
release_instances(sslplugi_instance **made, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        sslplugi_instance_unref(made[i]);
    }
    free(made);
}

static void
release_trust(sslplugi_trust *trust, size_t count)
{
    for (size_t i = 0; trust != NULL && i < count; i++) {
        sslplugi_trust_clear(&trust[i]);
    }
    free(trust);
}

void
sslplugi_generation_unref(sslplugi_generation *gen)
{
    if (gen == NULL || atomic_fetch_sub_explicit(&gen->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    release_instances(gen->instances, gen->instance_count);
    release_trust(gen->trust, 1 + gen->config->sub_count);
    sslplugi_config_free(gen->config);
    pthread_mutex_destroy(&gen->load_lock);
    free(gen);
}

/*
 * Verify callbacks do not run on resumption, so a session may only be
 * resumed under the same configuration, the same trust and the same plugin
 * files.
 */
static int
session_context(const sslplugi_config *c, const sslplugi_trust *trust,
                sslplugi_instance *const *made, size_t count, unsigned char out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(md, c->digest, sizeof(c->digest)) &&
             EVP_DigestUpdate(md, trust->digest, sizeof(trust->digest));

    /* Each entry's type and plugin file: the same file bound as another type is another policy. */
    for (size_t i = 0; ok && i < count; i++) {
        const char *type = sslplugi_type_of(made[i]->type)->name;

        ok = EVP_DigestUpdate(md, type, strlen(type) + 1) &&
             EVP_DigestUpdate(md, made[i]->file_sha256, sizeof(made[i]->file_sha256));
    }
    ok = ok && EVP_DigestFinal_ex(md, out, NULL);
    EVP_MD_CTX_free(md);
    return ok;
}

static void host_log(sslplug_log_fn fn, void *arg, int level, const char *fmt, ...)
    SSLPLUGI_PRINTF(4, 5);

static void
host_log(sslplug_log_fn fn, void *arg, int level, const char *fmt, ...)
{
    char msg[SSLPLUG_ERROR_MESSAGE_MAX + SSLPLUG_ERROR_POINTER_MAX + 64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    sslplugi_log_emit(fn, arg, level, "sslplug", msg);
}

/* Instances for every entry; an optional (info) entry that fails is skipped. */
static int
make_instances(sslplugi_generation *gen, sslplug_log_fn log_fn, void *log_arg, sslplug_error *err)
{
    const sslplugi_config *c = gen->config;
    sslplugi_instance **made = NULL;
    size_t count = 0;

    if (c->insecure_allow_writable) {
        sslplugi_warn(log_fn, log_arg, SSLPLUG_E_UNSAFE_FILE, "/insecure_allow_writable",
                      "insecure_allow_writable is on: plugin and configuration files are not "
                      "checked for ownership and permissions (development only)");
    }
    if (c->entry_count > 0 && (made = calloc(c->entry_count, sizeof(*made))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        return 0;
    }
    for (size_t i = 0; i < c->entry_count; i++) {
        const sslplugi_entry *e = &c->entries[i];
        sslplug_error entry_err = {0};

        /* A debug line per entry: `sslplug check` names the entry a crash happened in. */
        host_log(log_fn, log_arg, SSLPLUG_LOG_DEBUG, "loading %s (%s)", e->pointer,
                 e->file != NULL ? e->file : e->plugin);
        made[count] = sslplugi_instance_new(c, e, log_fn, log_arg, &entry_err);
        if (made[count] != NULL) {
            count++;
        } else if (e->optional) {
            sslplugi_warn(log_fn, log_arg, entry_err.code, e->pointer, "optional entry skipped: %s",
                          entry_err.message);
        } else {
            if (err != NULL) {
                *err = entry_err;
            }
            release_instances(made, count);
            return 0;
        }
    }
    if (!session_context(c, &gen->trust[0], made, count, gen->session_id_context)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "cannot digest the configuration");
        release_instances(made, count);
        return 0;
    }
    gen->instances = made;
    gen->instance_count = count;
    return 1;
}

/*
 * Context i's trust: the reading of an earlier context with the same CA
 * and CRL settings (found by them in seen), else its own, read now.
 */
static int
trust_of(sslplugi_trust *trust, size_t i, const sslplugi_context_conf *conf, const char *ptr,
         sslplugi_map *seen, sslplug_error *err)
{
    size_t len = 0;
    unsigned char *key = sslplugi_trust_key(conf, &len);
    const sslplugi_trust *same;
    int ok = 0;

    if (key == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        return 0;
    }
    if ((same = sslplugi_map_get(seen, key, len)) != NULL) {
        sslplugi_trust_share(&trust[i], same);
        ok = 1;
    } else if (sslplugi_trust_load(&trust[i], conf, ptr, err)) {
        if (!(ok = sslplugi_map_put(seen, key, len, &trust[i]))) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
            sslplugi_trust_clear(&trust[i]);
        }
    }
    free(key);
    return ok;
}

/* The trust of every context, before any plugin code runs. */
static int
load_trust(sslplugi_generation *gen, sslplug_error *err)
{
    const sslplugi_config *c = gen->config;
    sslplugi_trust *trust = calloc(1 + c->sub_count, sizeof(*trust));
    sslplugi_map *seen = sslplugi_map_new();
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    size_t i;

    if (trust == NULL || seen == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, NULL, "out of memory");
        goto fail;
    }
    for (i = 0; i <= c->sub_count; i++) {
        const sslplugi_context_conf *conf = i == 0 ? &c->context : &c->subs[i - 1].conf;

        snprintf(ptr, sizeof(ptr), "%s", i == 0 ? "/context" : c->subs[i - 1].pointer);
        if (!trust_of(trust, i, conf, ptr, seen, err)) {
            release_trust(trust, i);
            trust = NULL;
            goto fail;
        }
    }
    sslplugi_map_free(seen, NULL);
    gen->trust = trust;
    return 1;
fail:
    sslplugi_map_free(seen, NULL);
    free(trust);
    return 0;
}

int
sslplugi_generation_load(sslplugi_generation *gen, sslplug_log_fn log_fn, void *log_arg,
                         sslplug_error *err)
{
    int ok = 1;

    if (atomic_load_explicit(&gen->loaded, memory_order_acquire)) {
        return 1;
    }
    /* Held across plugin init on purpose: it only serialises this generation's load. */
    pthread_mutex_lock(&gen->load_lock);
    if (!atomic_load_explicit(&gen->loaded, memory_order_relaxed)) {
        ok = (gen->trust != NULL || load_trust(gen, err)) &&
             make_instances(gen, log_fn, log_arg, err);
        if (ok) {
            atomic_store_explicit(&gen->loaded, 1, memory_order_release);
        }
    }
    pthread_mutex_unlock(&gen->load_lock);
    return ok;
}

void
sslplugi_generation_unload(sslplugi_generation *gen)
{
    pthread_mutex_lock(&gen->load_lock);
    if (atomic_load_explicit(&gen->loaded, memory_order_relaxed)) {
        release_instances(gen->instances, gen->instance_count);
        gen->instances = NULL;
        gen->instance_count = 0;
        atomic_store_explicit(&gen->loaded, 0, memory_order_release);
    }
    pthread_mutex_unlock(&gen->load_lock);
}
