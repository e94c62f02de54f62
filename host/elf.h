/*
 * The one reader of plugin files as ELF objects (elf.c): what the loader,
 * the one-OpenSSL check and sslplug_plugin_examine learn from a file before
 * (or instead of) running any of its code.  Internal to host/.
 */
#ifndef SSLPLUG_HOST_ELF_H
#define SSLPLUG_HOST_ELF_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A file mapped read-only and checked to be a shared object this process
 * could load: every table below lies inside the file.  Pointers point into
 * the mapping and live until sslplugi_elf_close.
 */
typedef struct sslplugi_elf {
    const unsigned char *map; /* the whole file; NULL when not open */
    size_t size;
    const Elf64_Ehdr *eh;
    const Elf64_Phdr *ph; /* eh->e_phnum entries */
    const Elf64_Dyn *dyn; /* the dynamic section, up to and without DT_NULL */
    size_t dyn_count;
    const Elf64_Sym *syms; /* the dynamic symbol table, as the dynamic linker reads it */
    size_t sym_count;
    const char *strs; /* the dynamic string table, NUL-terminated */
    size_t strs_size;
} sslplugi_elf;

/*
 * Map the open file fd and check it: ELF header (64-bit, this host's byte
 * order and machine, current version, a shared object), program header
 * table, every PT_LOAD segment and the dynamic section inside the file,
 * section header table inside the file, and the dynamic symbol and string
 * tables the dynamic linker would read.  Returns 1, or 0 with why (a phrase
 * to follow the file's name) filled in and nothing left to close.
 */
int sslplugi_elf_open(int fd, sslplugi_elf *elf, char *why, size_t whylen);
/* Unmap; a zeroed or closed elf is fine. */
void sslplugi_elf_close(sslplugi_elf *elf);

/* The string at offset off of the dynamic string table, or NULL when outside it. */
const char *sslplugi_elf_str(const sslplugi_elf *elf, uint64_t off);
/*
 * Whether s is one the object exports: defined, global or weak (or unique),
 * default or protected visibility.
 */
int sslplugi_elf_is_export(const Elf64_Sym *s);
/* Whether s is code: STT_FUNC or STT_GNU_IFUNC. */
int sslplugi_elf_is_function(const Elf64_Sym *s);
/* What s is, for messages: "a function", "a data object", "a thread-local variable", ... */
const char *sslplugi_elf_kind(const Elf64_Sym *s);
/* The exported symbol called name, or NULL. */
const Elf64_Sym *sslplugi_elf_export(const sslplugi_elf *elf, const char *name);
/* The lowest PT_LOAD segment with file contents: where the object's file mapping starts. */
const Elf64_Phdr *sslplugi_elf_first_load(const sslplugi_elf *elf);

/*
 * One OpenSSL per process (one_openssl.c): whether the plugin file uses
 * this process's libcrypto and libssl and brings no copy of its own, as far
 * as the file tells (one_openssl.c says how far).  Returns 1, or 0 with why
 * ("it needs libcrypto.so.1.1, but this process uses libcrypto.so.3").
 */
int sslplugi_one_openssl(const sslplugi_elf *elf, char *why, size_t whylen);

#endif /* SSLPLUG_HOST_ELF_H */
