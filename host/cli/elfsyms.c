/*
 * List the functions a shared object exports, from its .dynsym section.
 * The file may be hostile: every offset is checked against the file size.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static int
in_file(size_t size, Elf64_Off off, Elf64_Xword len)
{
    return off <= size && len <= size - off;
}

static int
walk(const unsigned char *map, size_t size, void (*fn)(const char *, void *), void *arg, char *why,
     size_t whylen)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(const void *)map;
    const Elf64_Shdr *sh;
    int count = 0;

    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64) {
        snprintf(why, whylen, "not a 64-bit ELF file");
        return -1;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(size, eh->e_shoff, (Elf64_Xword)eh->e_shnum * sizeof(Elf64_Shdr))) {
        snprintf(why, whylen, "section headers out of bounds");
        return -1;
    }
    sh = (const Elf64_Shdr *)(const void *)(map + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        const Elf64_Shdr *strs;

        if (sh[i].sh_type != SHT_DYNSYM) {
            continue;
        }
        if (sh[i].sh_link >= eh->e_shnum || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
            !in_file(size, sh[i].sh_offset, sh[i].sh_size)) {
            snprintf(why, whylen, "malformed .dynsym");
            return -1;
        }
        strs = &sh[sh[i].sh_link];
        if (!in_file(size, strs->sh_offset, strs->sh_size) || strs->sh_size == 0 ||
            map[strs->sh_offset + strs->sh_size - 1] != '\0') {
            snprintf(why, whylen, "malformed dynamic string table");
            return -1;
        }
        const Elf64_Sym *syms = (const Elf64_Sym *)(const void *)(map + sh[i].sh_offset);
        for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++) {
            const Elf64_Sym *s = &syms[k];
            unsigned bind = ELF64_ST_BIND(s->st_info);
            const char *name;

            if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF ||
                (bind != STB_GLOBAL && bind != STB_WEAK) ||
                ELF64_ST_VISIBILITY(s->st_other) != STV_DEFAULT || s->st_name >= strs->sh_size) {
                continue;
            }
            name = (const char *)map + strs->sh_offset + s->st_name;
            if (strcmp(name, "_init") == 0 || strcmp(name, "_fini") == 0) {
                continue;
            }
            fn(name, arg);
            count++;
        }
    }
    return count;
}

int
cli_elf_functions(const char *path, void (*fn)(const char *name, void *arg), void *arg, char *why,
                  size_t whylen)
{
    struct stat st;
    void *map = MAP_FAILED;
    int fd, count = -1;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        snprintf(why, whylen, "cannot open");
        goto done;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        snprintf(why, whylen, "cannot map");
        goto done;
    }
    count = walk(map, (size_t)st.st_size, fn, arg, why, whylen);
done:
    if (map != MAP_FAILED) {
        munmap(map, (size_t)st.st_size);
    }
    if (fd >= 0) {
        close(fd);
    }
    return count;
}
