/*
 * Plugin files read as ELF objects, without loading them.  The file may be
 * damaged or hostile: the dynamic linker trusts its headers and maps what
 * they say, so a truncated file makes it touch pages past the end of the
 * file, which kills the process with SIGBUS.  Every offset, size and
 * address is checked here against the file before anything is read, and
 * the dynamic tables are found the way the dynamic linker finds them
 * (through PT_DYNAMIC and the load segments), not through section headers
 * it never reads.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "elf.h"

#if !defined(__LP64__)
#error "sslplug reads 64-bit ELF objects only"
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#elif defined(__powerpc64__)
#define HOST_MACHINE EM_PPC64
#elif defined(__s390x__)
#define HOST_MACHINE EM_S390
#elif defined(__riscv)
#define HOST_MACHINE EM_RISCV
#elif defined(__loongarch__)
#define HOST_MACHINE EM_LOONGARCH
#elif defined(__mips__)
#define HOST_MACHINE EM_MIPS
#elif defined(__sparc__)
#define HOST_MACHINE EM_SPARCV9
#else
#error "unknown machine: add its EM_ constant"
#endif

/* [off, off + len) lies inside a file of size bytes, without overflow. */
static int
in_file(size_t size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}

static int fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return 0;
}

/*
 * The file bytes at address vaddr of the loaded object, len of them, as the
 * dynamic linker would see them: inside the file part of one PT_LOAD
 * segment, and aligned for the table read there.  NULL otherwise.
 */
static const void *
at_vaddr(const sslplugi_elf *elf, uint64_t vaddr, uint64_t len, size_t align)
{
    for (unsigned i = 0; i < elf->eh->e_phnum; i++) {
        const Elf64_Phdr *p = &elf->ph[i];
        uint64_t rel, off;

        if (p->p_type != PT_LOAD || vaddr < p->p_vaddr) {
            continue;
        }
        rel = vaddr - p->p_vaddr;
        if (rel > p->p_filesz || len > p->p_filesz - rel) {
            continue;
        }
        off = p->p_offset + rel;
        return off % align == 0 ? elf->map + off : NULL;
    }
    return NULL;
}

static const char *
type_name(unsigned type)
{
    switch (type) {
    case ET_REL:
        return "a relocatable object (.o)";
    case ET_EXEC:
        return "an executable";
    case ET_CORE:
        return "a core dump";
    default:
        return "of an unknown type";
    }
}

static int
check_header(const sslplugi_elf *elf, char *why, size_t whylen)
{
    const Elf64_Ehdr *eh = elf->eh;

    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
        return fail(why, whylen, "not an ELF file");
    }
    if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
        return fail(why, whylen, "a %s ELF object, this host loads 64-bit ones",
                    eh->e_ident[EI_CLASS] == ELFCLASS32 ? "32-bit" : "malformed");
    }
    if (eh->e_ident[EI_DATA] != HOST_DATA) {
        return fail(why, whylen, "an ELF object of the other byte order than this host's");
    }
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT) {
        return fail(why, whylen, "ELF version %u found, %u expected", (unsigned)eh->e_version,
                    (unsigned)EV_CURRENT);
    }
    if (eh->e_type != ET_DYN) {
        return fail(why, whylen, "%s, not a shared object", type_name(eh->e_type));
    }
    if (eh->e_machine != HOST_MACHINE) {
        return fail(why, whylen, "built for ELF machine %u, this host is machine %u",
                    (unsigned)eh->e_machine, (unsigned)HOST_MACHINE);
    }
    return 1;
}

static int
check_program_headers(sslplugi_elf *elf, char *why, size_t whylen)
{
    const Elf64_Ehdr *eh = elf->eh;

    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum == PN_XNUM ||
        eh->e_phoff % _Alignof(Elf64_Phdr) != 0) {
        return fail(why, whylen, "malformed program header table");
    }
    if (!in_file(elf->size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr))) {
        return fail(why, whylen,
                    "program header table (offset %llu, %u entries) extends past the end of the "
                    "file (%zu bytes): truncated?",
                    (unsigned long long)eh->e_phoff, (unsigned)eh->e_phnum, elf->size);
    }
    elf->ph = (const Elf64_Phdr *)(const void *)(elf->map + eh->e_phoff);
    return 1;
}

/* Section headers: the dynamic linker ignores them, but a file cut short loses them first. */
static int
check_sections(const sslplugi_elf *elf, char *why, size_t whylen)
{
    const Elf64_Ehdr *eh = elf->eh;
    uint64_t shnum = eh->e_shnum;

    if (eh->e_shoff == 0) {
        return 1;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % _Alignof(Elf64_Shdr) != 0) {
        return fail(why, whylen, "malformed section header table");
    }
    if (shnum == 0 && in_file(elf->size, eh->e_shoff, sizeof(Elf64_Shdr))) {
        /* More than SHN_LORESERVE sections: the count is in the first header. */
        shnum = ((const Elf64_Shdr *)(const void *)(elf->map + eh->e_shoff))->sh_size;
    }
    if (shnum > elf->size / sizeof(Elf64_Shdr) ||
        !in_file(elf->size, eh->e_shoff, (shnum > 0 ? shnum : 1) * sizeof(Elf64_Shdr))) {
        return fail(why, whylen,
                    "section header table (offset %llu, %llu entries) extends past the end of the "
                    "file (%zu bytes): truncated?",
                    (unsigned long long)eh->e_shoff, (unsigned long long)shnum, elf->size);
    }
    return 1;
}

static int
check_segments(sslplugi_elf *elf, const Elf64_Phdr **dynamic, char *why, size_t whylen)
{
    unsigned loads = 0;

    *dynamic = NULL;
    for (unsigned i = 0; i < elf->eh->e_phnum; i++) {
        const Elf64_Phdr *p = &elf->ph[i];

        if (p->p_type == PT_DYNAMIC && *dynamic == NULL) {
            *dynamic = p;
        }
        if (p->p_type != PT_LOAD && p->p_type != PT_DYNAMIC) {
            continue;
        }
        if (!in_file(elf->size, p->p_offset, p->p_filesz)) {
            return fail(why, whylen,
                        "%s segment %u (file offset %llu, %llu bytes) extends past the end of the "
                        "file (%zu bytes): truncated?",
                        p->p_type == PT_LOAD ? "PT_LOAD" : "PT_DYNAMIC", i,
                        (unsigned long long)p->p_offset, (unsigned long long)p->p_filesz,
                        elf->size);
        }
        if (p->p_type == PT_LOAD) {
            if (p->p_filesz > p->p_memsz || p->p_memsz > UINT64_MAX - p->p_vaddr) {
                return fail(why, whylen,
                            "malformed PT_LOAD segment %u (%llu bytes in the file, %llu in "
                            "memory)",
                            i, (unsigned long long)p->p_filesz, (unsigned long long)p->p_memsz);
            }
            loads++;
        }
    }
    if (loads == 0) {
        return fail(why, whylen, "no PT_LOAD segment: nothing to load");
    }
    if (*dynamic == NULL) {
        return fail(why, whylen, "no PT_DYNAMIC segment: not a shared object");
    }
    return 1;
}

/* The number of dynamic symbols, which only the hash tables tell. */
static int
count_symbols(const sslplugi_elf *elf, uint64_t hash, uint64_t gnu_hash, size_t *count)
{
    const uint32_t *h;
    uint32_t nbuckets, symoffset, bloom_words, last = 0;
    uint64_t buckets;

    *count = 0;
    if (hash != 0) {
        if ((h = at_vaddr(elf, hash, 2 * sizeof(uint32_t), sizeof(uint32_t))) == NULL) {
            return 0;
        }
        *count = h[1];
        return 1;
    }
    if (gnu_hash == 0) {
        return 1;
    }
    if ((h = at_vaddr(elf, gnu_hash, 4 * sizeof(uint32_t), sizeof(uint32_t))) == NULL) {
        return 0;
    }
    nbuckets = h[0];
    symoffset = h[1];
    bloom_words = h[2];
    buckets = gnu_hash + 4 * sizeof(uint32_t) + (uint64_t)bloom_words * sizeof(uint64_t);
    if ((h = at_vaddr(elf, buckets, (uint64_t)nbuckets * sizeof(uint32_t), sizeof(uint32_t))) ==
        NULL) {
        return 0;
    }
    for (uint32_t i = 0; i < nbuckets; i++) {
        last = h[i] > last ? h[i] : last;
    }
    if (last < symoffset) {
        *count = symoffset;
        return 1;
    }
    /* Walk the last chain to its end (the entry with bit 0 set). */
    for (uint64_t i = last;; i++) {
        uint64_t at =
            buckets + (uint64_t)nbuckets * sizeof(uint32_t) + (i - symoffset) * sizeof(uint32_t);
        const uint32_t *chain = at_vaddr(elf, at, sizeof(uint32_t), sizeof(uint32_t));

        if (chain == NULL) {
            return 0;
        }
        if ((*chain & 1) != 0) {
            *count = i + 1;
            return 1;
        }
    }
}

static int
read_dynamic(sslplugi_elf *elf, const Elf64_Phdr *dynamic, char *why, size_t whylen)
{
    uint64_t strtab = 0, strsz = 0, symtab = 0, hash = 0, gnu_hash = 0;
    size_t n = dynamic->p_filesz / sizeof(Elf64_Dyn);

    elf->dyn = at_vaddr(elf, dynamic->p_vaddr, n * sizeof(Elf64_Dyn), _Alignof(Elf64_Dyn));
    if (elf->dyn == NULL) {
        return fail(why, whylen, "dynamic section outside the loaded segments");
    }
    for (elf->dyn_count = 0; elf->dyn_count < n; elf->dyn_count++) {
        const Elf64_Dyn *d = &elf->dyn[elf->dyn_count];

        switch (d->d_tag) {
        case DT_STRTAB:
            strtab = d->d_un.d_ptr;
            break;
        case DT_STRSZ:
            strsz = d->d_un.d_val;
            break;
        case DT_SYMTAB:
            symtab = d->d_un.d_ptr;
            break;
        case DT_SYMENT:
            if (d->d_un.d_val != sizeof(Elf64_Sym)) {
                return fail(why, whylen, "dynamic symbol entries of %llu bytes, %zu expected",
                            (unsigned long long)d->d_un.d_val, sizeof(Elf64_Sym));
            }
            break;
        case DT_HASH:
            hash = d->d_un.d_ptr;
            break;
        case DT_GNU_HASH:
            gnu_hash = d->d_un.d_ptr;
            break;
        default:
            break;
        }
        if (d->d_tag == DT_NULL) {
            break;
        }
    }
    if (strtab != 0) {
        elf->strs = at_vaddr(elf, strtab, strsz, 1);
        if (elf->strs == NULL || strsz == 0 || elf->strs[strsz - 1] != '\0') {
            return fail(why, whylen, "dynamic string table outside the file or unterminated");
        }
        elf->strs_size = strsz;
    }
    if (symtab != 0) {
        if (!count_symbols(elf, hash, gnu_hash, &elf->sym_count) ||
            elf->sym_count > elf->size / sizeof(Elf64_Sym) ||
            (elf->syms = at_vaddr(elf, symtab, elf->sym_count * sizeof(Elf64_Sym),
                                  _Alignof(Elf64_Sym))) == NULL) {
            return fail(why, whylen, "dynamic symbol table or its hash table outside the file");
        }
        if (elf->strs == NULL && elf->sym_count > 0) {
            return fail(why, whylen, "dynamic symbols without a string table");
        }
    }
    for (size_t i = 0; i < elf->dyn_count; i++) {
        const Elf64_Dyn *d = &elf->dyn[i];

        if ((d->d_tag == DT_NEEDED || d->d_tag == DT_SONAME) &&
            sslplugi_elf_str(elf, d->d_un.d_val) == NULL) {
            return fail(why, whylen, "a library name outside the dynamic string table");
        }
    }
    return 1;
}

int
sslplugi_elf_open(int fd, sslplugi_elf *elf, char *why, size_t whylen)
{
    const Elf64_Phdr *dynamic;
    struct stat st;
    void *map;

    memset(elf, 0, sizeof(*elf));
    if (fstat(fd, &st) != 0) {
        return fail(why, whylen, "cannot stat: %s", strerror(errno));
    }
    if (st.st_size < (off_t)sizeof(Elf64_Ehdr)) {
        return fail(why, whylen, "%lld bytes long, too short for an ELF header (truncated?)",
                    (long long)st.st_size);
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        return fail(why, whylen, "cannot map: %s", strerror(errno));
    }
    elf->map = map;
    elf->size = (size_t)st.st_size;
    elf->eh = map;
    if (!check_header(elf, why, whylen) || !check_program_headers(elf, why, whylen) ||
        !check_segments(elf, &dynamic, why, whylen) || !check_sections(elf, why, whylen) ||
        !read_dynamic(elf, dynamic, why, whylen)) {
        sslplugi_elf_close(elf);
        return 0;
    }
    return 1;
}

void
sslplugi_elf_close(sslplugi_elf *elf)
{
    if (elf->map != NULL) {
        /* munmap takes a non-const pointer; the mapping is ours. */
        void *map;

        memcpy(&map, &elf->map, sizeof(map));
        munmap(map, elf->size);
    }
    memset(elf, 0, sizeof(*elf));
}

const char *
sslplugi_elf_str(const sslplugi_elf *elf, uint64_t off)
{
    return elf->strs != NULL && off < elf->strs_size ? elf->strs + off : NULL;
}

int
sslplugi_elf_is_export(const Elf64_Sym *s)
{
    unsigned bind = ELF64_ST_BIND(s->st_info);
    unsigned vis = ELF64_ST_VISIBILITY(s->st_other);

    return s->st_shndx != SHN_UNDEF &&
           (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE) &&
           (vis == STV_DEFAULT || vis == STV_PROTECTED);
}

int
sslplugi_elf_is_function(const Elf64_Sym *s)
{
    unsigned type = ELF64_ST_TYPE(s->st_info);

    return type == STT_FUNC || type == STT_GNU_IFUNC;
}

const char *
sslplugi_elf_kind(const Elf64_Sym *s)
{
    switch (ELF64_ST_TYPE(s->st_info)) {
    case STT_FUNC:
        return "a function";
    case STT_GNU_IFUNC:
        return "an indirect function";
    case STT_OBJECT:
    case STT_COMMON:
        return "a data object";
    case STT_TLS:
        return "a thread-local variable";
    case STT_NOTYPE:
        return "an untyped symbol (an assembler label or a linker-defined address)";
    default:
        return "a symbol of an unknown type";
    }
}

const Elf64_Sym *
sslplugi_elf_export(const sslplugi_elf *elf, const char *name)
{
    for (size_t i = 0; i < elf->sym_count; i++) {
        const Elf64_Sym *s = &elf->syms[i];
        const char *n = sslplugi_elf_str(elf, s->st_name);

        if (n != NULL && sslplugi_elf_is_export(s) && strcmp(n, name) == 0) {
            return s;
        }
    }
    return NULL;
}

const Elf64_Phdr *
sslplugi_elf_first_load(const sslplugi_elf *elf)
{
    const Elf64_Phdr *first = NULL;

    for (unsigned i = 0; i < elf->eh->e_phnum; i++) {
        if (elf->ph[i].p_type == PT_LOAD && elf->ph[i].p_filesz > 0 &&
            (first == NULL || elf->ph[i].p_vaddr < first->p_vaddr)) {
            first = &elf->ph[i];
        }
    }
    return first;
}
