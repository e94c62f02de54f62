/*
 * The only file that calls dlopen/dlsym.  Modules (one per plugin file per
 * process, keyed by the file's identity) are reference counted by the
 * instances made from them; an instance is one configured entry with its
 * resolved function and the state its plugin's init returned.
 */
#define _GNU_SOURCE /* dladdr, dlinfo, dl_iterate_phdr */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "elf.h"
#include "internal.h"
#include "types.h"

/*
 * Modules are never unloaded (RTLD_NODELETE) and never freed: unmapping code
 * that a context, an OpenSSL object or an atexit handler may still point to
 * is the classic crash of plugin hosts.  The cost is one mapping and one
 * descriptor per distinct plugin file loaded in the life of the process.
 */
struct sslplugi_module {
    sslplugi_module *next;
    dev_t dev;
    ino_t ino;
    /*
     * The checked file, loaded as /proc/self/fd/N: the dynamic linker knows
     * the object by that name, which stays true while N is open.  The
     * application may close N behind our back; fresh_fd_name makes sure no
     * later load reuses the name anyway.
     */
    int fd;
    void *dl;
    pthread_mutex_t lifecycle_lock; /* serialises init and fini of its entries */
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static sslplugi_module *registry;

static const char *
entry_ptr_plugin(const sslplugi_entry *e, char *buf, size_t len)
{
    snprintf(buf, len, "%s/plugin", e->pointer);
    return buf;
}

/*
 * Objects crossing two copies of OpenSSL crash.  The plugin file itself was
 * judged before loading (one_openssl.c); another libcrypto reached through
 * its own dependencies only shows now, once loaded (their constructors have
 * run): OpenSSL_version_num looked up through the plugin must be ours.
 */
static int
same_openssl(const sslplugi_module *m, const char *file, const char *ptr, sslplug_error *err)
{
    void *theirs = dlsym(m->dl, "OpenSSL_version_num");
    void *ours = (void *)(uintptr_t)OpenSSL_version_num;
    Dl_info info;

    if (theirs == NULL || theirs == ours) {
        return 1;
    }
    sslplugi_error_set(err, SSLPLUG_E_INTEGRITY, ptr,
                       "plugin %s brings its own OpenSSL: its dependencies loaded %s; it must "
                       "use the process's shared libcrypto",
                       file,
                       dladdr(theirs, &info) != 0 && info.dli_fname != NULL ? info.dli_fname
                                                                            : "unknown object");
    return 0;
}

static int
check_pin(const unsigned char digest[32], const sslplugi_entry *e, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    char hex[65];

    if (!e->has_sha256 || memcmp(digest, e->sha256, 32) == 0) {
        return 1;
    }
    snprintf(ptr, sizeof(ptr), "%s/sha256", e->pointer);
    for (size_t i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    sslplugi_error_set(err, SSLPLUG_E_INTEGRITY, ptr,
                       "%s has SHA-256 %s, which does not match the pinned value", e->file, hex);
    return 0;
}

/*
 * One entry's plugin file while it is being loaded: opened under the file
 * rules and read as an ELF object from that descriptor, before any of its
 * code runs.
 */
typedef struct plugin_file {
    int fd;
    struct stat st;
    sslplugi_elf elf;
} plugin_file;

#define PLUGIN_FILE_INIT                                                                           \
    {                                                                                              \
        -1, {0},                                                                                   \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

static void
plugin_file_close(plugin_file *pf)
{
    sslplugi_elf_close(&pf->elf);
    if (pf->fd >= 0) {
        close(pf->fd);
    }
    pf->fd = -1;
}

/* digest: the SHA-256 of exactly the file that is loaded. */
static int
plugin_file_open(const sslplugi_entry *e, const sslplugi_file_rules *rules, plugin_file *pf,
                 unsigned char digest[32], sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], why[256];

    entry_ptr_plugin(e, ptr, sizeof(ptr));
    if ((pf->fd = sslplugi_file_open_checked(e->file, rules, ptr, &pf->st, err)) < 0) {
        return 0;
    }
    /* The dynamic linker trusts the headers: a truncated file would be a SIGBUS, not an error. */
    if (!sslplugi_elf_open(pf->fd, &pf->elf, why, sizeof(why))) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_LOAD, ptr, "cannot load plugin %s: %s", e->file,
                           why);
        goto fail;
    }
    if (!EVP_Digest(pf->elf.map, pf->elf.size, digest, NULL, EVP_sha256(), NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_IO, ptr, "cannot read %s to digest it", e->file);
        goto fail;
    }
    if (!sslplugi_one_openssl(&pf->elf, why, sizeof(why))) {
        sslplugi_error_set(err, SSLPLUG_E_INTEGRITY, ptr,
                           "plugin %s brings its own OpenSSL: %s; it must use the process's "
                           "shared libcrypto and libssl (objects crossing two copies crash)",
                           e->file, why);
        goto fail;
    }
    if (!check_pin(digest, e, err)) {
        goto fail;
    }
    return 1;
fail:
    plugin_file_close(pf);
    return 0;
}

typedef struct name_query {
    const char *name;
} name_query;

static int
has_name(struct dl_phdr_info *info, size_t size, void *arg)
{
    const name_query *q = arg;

    (void)size;
    return info->dlpi_name != NULL && strcmp(info->dlpi_name, q->name) == 0;
}

/*
 * dlopen returns an object already loaded under the same name without
 * opening anything, so /proc/self/fd/N may only be used while no loaded
 * object has that name: the application may have closed the descriptor an
 * earlier plugin was loaded by, and the number came back to us.  Moves
 * pf->fd to a number whose name is free; name gets that name.
 */
static int
fresh_fd_name(plugin_file *pf, char *name, size_t len)
{
    name_query q = {name};

    for (;;) {
        int next;

        snprintf(name, len, "/proc/self/fd/%d", pf->fd);
        if (dl_iterate_phdr(has_name, &q) == 0) {
            return 1;
        }
        if ((next = fcntl(pf->fd, F_DUPFD_CLOEXEC, pf->fd + 1)) < 0) {
            return 0;
        }
        close(pf->fd);
        pf->fd = next;
    }
}

typedef struct mapping {
    int found; /* 1: addr lies in a file mapping at the expected offset; -1: elsewhere */
    unsigned major, minor;
    unsigned long inode;
} mapping;

/* What /proc/self/maps says is mapped at addr, expected to show file offset off. */
static void
maps_find(const char *line, uintptr_t addr, uint64_t off, mapping *m)
{
    unsigned long start, end, offset, inode;
    unsigned major, minor;
    char perms[5];

    if (m->found != 0 ||
        sscanf(line, "%lx-%lx %4s %lx %x:%x %lu", &start, &end, perms, &offset, &major, &minor,
               &inode) != 7 ||
        addr < start || addr >= end) {
        return;
    }
    m->found = inode != 0 && offset + (addr - start) == off ? 1 : -1;
    m->major = major;
    m->minor = minor;
    m->inode = inode;
}

/*
 * Prove that the object dlopen returned is the file that was checked and
 * digested: the pages of its first segment come from the same file as our
 * own mapping of the opened descriptor.  Both sides are read from
 * /proc/self/maps, which names the file a stacking filesystem (overlayfs)
 * really maps, where fstat of the descriptor would name another device.
 */
static int
proven_same_file(void *dl, const sslplugi_elf *elf, char *why, size_t len)
{
    const Elf64_Phdr *first = sslplugi_elf_first_load(elf);
    struct link_map *lm = NULL;
    mapping theirs = {0}, ours = {0};
    char *line = NULL;
    size_t cap = 0;
    FILE *maps;

    if (first == NULL || dlinfo(dl, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL) {
        snprintf(why, len, "the dynamic linker does not say where it mapped the object");
        return 0;
    }
    if ((maps = fopen("/proc/self/maps", "re")) == NULL) {
        snprintf(why, len, "cannot read /proc/self/maps");
        return 0;
    }
    while (getline(&line, &cap, maps) > 0) {
        maps_find(line, (uintptr_t)lm->l_addr + first->p_vaddr, first->p_offset, &theirs);
        maps_find(line, (uintptr_t)elf->map, 0, &ours);
    }
    free(line);
    fclose(maps);
    if (ours.found != 1) {
        snprintf(why, len, "cannot find the opened file in /proc/self/maps");
        return 0;
    }
    if (theirs.found != 1 || theirs.major != ours.major || theirs.minor != ours.minor ||
        theirs.inode != ours.inode) {
        snprintf(why, len,
                 "the object the dynamic linker returned is not mapped from the opened file "
                 "(device %02x:%02x inode %lu); it is another object known by the same name",
                 ours.major, ours.minor, ours.inode);
        return 0;
    }
    return 1;
}

/* The module of the open file pf, loaded now unless this process has it already. */
static sslplugi_module *
module_get(const sslplugi_entry *e, plugin_file *pf, sslplug_error *err)
{
    sslplugi_module *m = NULL;
    char ptr[SSLPLUG_ERROR_POINTER_MAX], fdpath[64], why[256];

    entry_ptr_plugin(e, ptr, sizeof(ptr));
    pthread_mutex_lock(&registry_lock);
    for (m = registry; m != NULL; m = m->next) {
        if (m->dev == pf->st.st_dev && m->ino == pf->st.st_ino) {
            goto check;
        }
    }
    if ((m = calloc(1, sizeof(*m))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, ptr, "out of memory");
        goto done;
    }
    if (!fresh_fd_name(pf, fdpath, sizeof(fdpath))) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_LOAD, ptr,
                           "cannot load plugin %s: no free descriptor to load it by: %s", e->file,
                           strerror(errno));
        goto fail;
    }
    /*
     * Load exactly the inode that was checked.  RTLD_NOW: an unresolved
     * symbol fails here, not mid-handshake.
     */
    m->dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (m->dl == NULL) {
        const char *reason = dlerror();

        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_LOAD, ptr, "cannot load plugin %s: %s", e->file,
                           reason != NULL ? reason : "dlopen failed");
        goto fail;
    }
    if (!proven_same_file(m->dl, &pf->elf, why, sizeof(why))) {
        sslplugi_error_set(err, SSLPLUG_E_INTEGRITY, ptr,
                           "plugin %s cannot be proven to be the code that was loaded: %s; "
                           "refusing it",
                           e->file, why);
        dlclose(m->dl);
        goto fail;
    }
    /* Mapped for good: registered even if refused below, so its inode is not loaded twice. */
    m->fd = pf->fd;
    pf->fd = -1;
    m->dev = pf->st.st_dev;
    m->ino = pf->st.st_ino;
    pthread_mutex_init(&m->lifecycle_lock, NULL);
    m->next = registry;
    registry = m;
check:
    if (!same_openssl(m, e->file, ptr, err)) {
        m = NULL;
    }
    goto done;
fail:
    free(m);
    m = NULL;
done:
    pthread_mutex_unlock(&registry_lock);
    return m;
}

/*
 * Copy the plugin's descriptor into *view, zero-extended: members beyond the
 * size the plugin was built with read as NULL.
 */
/*
 * A symbol of the plugin's own dynamic symbol table that is code: calling
 * a data object's address crashes the first handshake, or the load.
 */
static int
exported_function(const sslplugi_elf *elf, const sslplugi_entry *e, const char *name,
                  const char *ptr, sslplug_error *err)
{
    const Elf64_Sym *s = sslplugi_elf_export(elf, name);

    if (s == NULL) {
        if (e->symbol != NULL) {
            sslplugi_error_set(err, SSLPLUG_E_SYMBOL, ptr, "%s exports no symbol \"%s\"", e->file,
                               name);
        } else {
            sslplugi_error_set(err, SSLPLUG_E_SYMBOL, ptr,
                               "%s exports no %s: not an sslplug plugin (bind a raw function "
                               "with \"symbol\" instead)",
                               e->file, name);
        }
        return 0;
    }
    if (!sslplugi_elf_is_function(s)) {
        sslplugi_error_set(err, SSLPLUG_E_SYMBOL, ptr,
                           "%s: \"%s\" is %s, not a function; only functions can be called",
                           e->file, name, sslplugi_elf_kind(s));
        return 0;
    }
    return 1;
}

static int
read_descriptor(const sslplugi_module *m, const sslplugi_elf *elf, const sslplugi_entry *e,
                sslplug_plugin *view, sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    sslplug_plugin_entry_fn entry;
    const sslplug_plugin *d;
    void *sym;

    entry_ptr_plugin(e, ptr, sizeof(ptr));
    memset(view, 0, sizeof(*view));
    if (!exported_function(elf, e, SSLPLUG_PLUGIN_ENTRY_SYMBOL, ptr, err)) {
        return 0;
    }
    dlerror();
    sym = dlsym(m->dl, SSLPLUG_PLUGIN_ENTRY_SYMBOL);
    if (sym == NULL) {
        const char *why = dlerror();

        sslplugi_error_set(err, SSLPLUG_E_SYMBOL, ptr, "%s: cannot find %s: %s", e->file,
                           SSLPLUG_PLUGIN_ENTRY_SYMBOL, why != NULL ? why : "dlsym failed");
        return 0;
    }
    /* POSIX guarantees this conversion for dlsym results. */
    memcpy(&entry, &sym, sizeof(entry));
    if ((d = entry()) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_ABI, ptr, "%s: %s() returned NULL", e->file,
                           SSLPLUG_PLUGIN_ENTRY_SYMBOL);
        return 0;
    }
    if (d->magic != SSLPLUG_PLUGIN_MAGIC) {
        sslplugi_error_set(err, SSLPLUG_E_ABI, ptr,
                           "%s: descriptor magic 0x%08x found, 0x%08x expected: not an sslplug "
                           "descriptor",
                           e->file, d->magic, SSLPLUG_PLUGIN_MAGIC);
        return 0;
    }
    if (d->abi_major != SSLPLUG_ABI_MAJOR) {
        sslplugi_error_set(err, SSLPLUG_E_ABI, ptr,
                           "%s: incompatible plugin ABI major version %u found, %u expected",
                           e->file, d->abi_major, SSLPLUG_ABI_MAJOR);
        return 0;
    }
    if (d->abi_minor > SSLPLUG_ABI_MINOR) {
        sslplugi_error_set(err, SSLPLUG_E_ABI, ptr,
                           "%s: plugin ABI %u.%u found, this host supports up to %u.%u", e->file,
                           d->abi_major, d->abi_minor, SSLPLUG_ABI_MAJOR, SSLPLUG_ABI_MINOR);
        return 0;
    }
    if (d->size < offsetof(sslplug_plugin, init) || d->size > sizeof(*view)) {
        sslplugi_error_set(err, SSLPLUG_E_ABI, ptr,
                           "%s: descriptor size %u found, %zu to %zu expected for ABI %u.%u",
                           e->file, d->size, offsetof(sslplug_plugin, init), sizeof(*view),
                           d->abi_major, d->abi_minor);
        return 0;
    }
    memcpy(view, d, d->size);
    return 1;
}

static void
provided_types(const sslplug_plugin *d, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int t = 0; t < SSLPLUG_CB_COUNT; t++) {
        if (sslplugi_type_function(d, (sslplug_cb_type)t) != NULL && n < len) {
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n > 0 ? ", " : "",
                                  sslplug_cb_type_name((sslplug_cb_type)t));
        }
    }
    if (n == 0) {
        snprintf(buf, len, "none");
    }
}

/* ---- instances ---- */

/* Give an instance a mutex that serialises its callback calls. */
static int
serialise(sslplugi_instance *inst, sslplug_error *err)
{
    if ((inst->call_lock = malloc(sizeof(*inst->call_lock))) == NULL ||
        pthread_mutex_init(inst->call_lock, NULL) != 0) {
        free(inst->call_lock);
        inst->call_lock = NULL;
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, inst->pointer, "out of memory");
        return 0;
    }
    return 1;
}

static int
bind_raw(sslplugi_instance *inst, const sslplugi_elf *elf, const sslplugi_entry *e,
         sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX];
    void *sym;

    snprintf(ptr, sizeof(ptr), "%s/symbol", e->pointer);
    if (!exported_function(elf, e, e->symbol, ptr, err)) {
        return 0;
    }
    dlerror();
    if ((sym = dlsym(inst->module->dl, e->symbol)) == NULL) {
        const char *why = dlerror();

        sslplugi_error_set(err, SSLPLUG_E_SYMBOL, ptr, "%s exports no symbol \"%s\"%s%s", e->file,
                           e->symbol, why != NULL ? ": " : "", why != NULL ? why : "");
        return 0;
    }
    memcpy(&inst->fn, &sym, sizeof(inst->fn));
    /* A raw function says nothing about threads: serialised unless the entry vouches. */
    return e->thread_safe || serialise(inst, err);
}

static int
bind_abi(sslplugi_instance *inst, const sslplugi_elf *elf, const sslplugi_entry *e,
         sslplug_error *err)
{
    char ptr[SSLPLUG_ERROR_POINTER_MAX], types[128];
    sslplug_plugin d;
    sslplug_error init_err;
    char *label;

    if (!read_descriptor(inst->module, elf, e, &d, err)) {
        return 0;
    }
    if (d.name != NULL && d.name[0] != '\0') {
        if ((label = strdup(d.name)) == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, e->pointer, "out of memory");
            return 0;
        }
        free(inst->label);
        inst->label = label;
    }
    inst->fn = sslplugi_type_function(&d, e->type);
    if (inst->fn == NULL) {
        const sslplugi_type *row = sslplugi_type_of(e->type);
        char since[96] = "";

        provided_types(&d, types, sizeof(types));
        if (d.abi_minor < row->abi_minor) {
            snprintf(since, sizeof(since), "; %s needs ABI %u.%u, the plugin is %u.%u", row->name,
                     SSLPLUG_ABI_MAJOR, row->abi_minor, d.abi_major, d.abi_minor);
        }
        snprintf(ptr, sizeof(ptr), "%s/plugin", e->pointer);
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_TYPE, ptr,
                           "plugin %s (%s) provides no %s callback (it provides: %s)%s",
                           inst->label, e->file, row->name, types, since);
        return 0;
    }
    if (inst->events == 0) {
        inst->events = d.info_events;
    }
    if ((d.flags & SSLPLUG_PLUGIN_THREAD_SAFE) == 0 && !serialise(inst, err)) {
        return 0;
    }
    if (d.init == NULL) {
        if (strcmp(e->config_json, "{}") != 0) {
            snprintf(ptr, sizeof(ptr), "%s/config", e->pointer);
            sslplugi_error_set(err, SSLPLUG_E_CONFIG, ptr,
                               "plugin %s (%s) has no init, so it takes no config", inst->label,
                               e->file);
            return 0;
        }
        inst->fini = d.fini;
        inst->fini_pending = 1;
        return 1;
    }
    sslplugi_error_clear(&init_err);
    inst->init_err = &init_err;
    pthread_mutex_lock(&inst->module->lifecycle_lock);
    int ok = d.init(sslplugi_services(), inst, e->config_json, &inst->state);
    pthread_mutex_unlock(&inst->module->lifecycle_lock);
    inst->init_err = NULL;
    if (!ok) {
        if (init_err.code == SSLPLUG_OK) {
            sslplugi_error_set(&init_err, SSLPLUG_E_PLUGIN_INIT, e->pointer,
                               "plugin %s (%s): init failed without saying why", inst->label,
                               e->file);
        }
        if (err != NULL) {
            err->code = init_err.code;
            memcpy(err->pointer, init_err.pointer, sizeof(err->pointer));
            memcpy(err->message, init_err.message, sizeof(err->message));
        }
        return 0;
    }
    inst->fini = d.fini;
    inst->fini_pending = 1;
    return 1;
}

static char *
raw_label(const sslplugi_entry *e)
{
    const char *base = strrchr(e->file, '/');
    size_t len;
    char *label;

    base = base != NULL ? base + 1 : e->file;
    len = strlen(e->symbol) + strlen(base) + 2;
    if ((label = malloc(len)) != NULL) {
        snprintf(label, len, "%s@%s", e->symbol, base);
    }
    return label;
}

/*
 * Where plugin files may come from: anywhere, unless the configuration names
 * plugin_path or allowed_dirs; then only below those and the built-in
 * plugin directory.
 */
static sslplugi_module *
load_module(const sslplugi_config *c, const sslplugi_entry *e, plugin_file *pf,
            unsigned char digest[32], sslplug_error *err)
{
    sslplugi_file_rules rules = {!c->insecure_allow_writable, NULL, 0};
    const char **dirs = NULL;
    sslplugi_module *m = NULL;
    size_t n = 0;

    if (c->restrict_dirs) {
        dirs = malloc((c->allowed_dir_count + c->plugin_path_count + 1) * sizeof(*dirs));
        if (dirs == NULL) {
            sslplugi_error_set(err, SSLPLUG_E_NOMEM, e->pointer, "out of memory");
            return NULL;
        }
        for (size_t i = 0; i < c->allowed_dir_count; i++) {
            dirs[n++] = c->allowed_dirs[i];
        }
        for (size_t i = 0; i < c->plugin_path_count; i++) {
            dirs[n++] = c->plugin_path[i];
        }
        dirs[n++] = sslplug_builtin_plugin_dir();
        rules.allowed = dirs;
        rules.allowed_count = n;
    }
    if (plugin_file_open(e, &rules, pf, digest, err)) {
        m = module_get(e, pf, err);
    }
    free(dirs);
    return m;
}

sslplugi_instance *
sslplugi_instance_new(const sslplugi_config *config, const sslplugi_entry *e, sslplug_log_fn log_fn,
                      void *log_arg, sslplug_error *err)
{
    sslplugi_instance *inst;
    plugin_file pf = PLUGIN_FILE_INIT;
    char ptr[SSLPLUG_ERROR_POINTER_MAX];

    if (e->file == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_PLUGIN_NOT_FOUND, entry_ptr_plugin(e, ptr, sizeof(ptr)),
                           "plugin \"%s\" not found", e->plugin);
        return NULL;
    }
    if ((inst = calloc(1, sizeof(*inst))) == NULL) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, e->pointer, "out of memory");
        return NULL;
    }
    atomic_init(&inst->refs, 1);
    pthread_mutex_init(&inst->pair_lock, NULL);
    inst->type = e->type;
    inst->abi = e->symbol == NULL;
    inst->checking = sslplugi_services_checking();
    inst->log_fn = log_fn;
    inst->log_arg = log_arg;
    inst->override_any = e->override_any;
    inst->events = e->events;
    inst->no_internal_cache = e->no_internal_cache;
    inst->override_count = e->override_count;
    inst->pointer = strdup(e->pointer);
    inst->file = strdup(e->file);
    inst->source = strdup(config->source);
    inst->base_dir = strdup(config->base_dir);
    inst->label = inst->abi ? strdup(e->plugin) : raw_label(e);
    if (e->override_count > 0) {
        inst->override_codes = malloc(e->override_count * sizeof(int));
        if (inst->override_codes != NULL) {
            memcpy(inst->override_codes, e->override_codes, e->override_count * sizeof(int));
        }
    }
    if (inst->pointer == NULL || inst->file == NULL || inst->source == NULL ||
        inst->base_dir == NULL || inst->label == NULL ||
        (e->override_count > 0 && inst->override_codes == NULL)) {
        sslplugi_error_set(err, SSLPLUG_E_NOMEM, e->pointer, "out of memory");
        goto fail;
    }
    if ((inst->module = load_module(config, e, &pf, inst->file_sha256, err)) == NULL) {
        goto fail;
    }
    if (!(inst->abi ? bind_abi(inst, &pf.elf, e, err) : bind_raw(inst, &pf.elf, e, err))) {
        goto fail;
    }
    plugin_file_close(&pf);
    return inst;
fail:
    plugin_file_close(&pf);
    sslplugi_instance_unref(inst);
    return NULL;
}

void
sslplugi_instance_ref(sslplugi_instance *inst)
{
    atomic_fetch_add_explicit(&inst->refs, 1, memory_order_relaxed);
}

void
sslplugi_instance_unref(sslplugi_instance *inst)
{
    if (inst == NULL || atomic_fetch_sub_explicit(&inst->refs, 1, memory_order_acq_rel) != 1) {
        return;
    }
    if (inst->fini_pending && inst->fini != NULL) {
        pthread_mutex_lock(&inst->module->lifecycle_lock);
        inst->fini(inst->state);
        pthread_mutex_unlock(&inst->module->lifecycle_lock);
    }
    if (inst->call_lock != NULL) {
        pthread_mutex_destroy(inst->call_lock);
        free(inst->call_lock);
    }
    X509_free(inst->good_cert);
    EVP_PKEY_free(inst->good_key);
    pthread_mutex_destroy(&inst->pair_lock);
    free(inst->pointer);
    free(inst->file);
    free(inst->label);
    free(inst->source);
    free(inst->base_dir);
    free(inst->override_codes);
    free(inst);
}
