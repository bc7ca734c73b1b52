#define SDS_MAX_PREALLOC (1024*1024)

#ifdef __cplusplus
extern "C" {
#endif

typedef char *sds;

/* String headers, packed, placed right before the bytes an sds points at. The flags byte
 * (the last header byte) holds the header type in its low 3 bits. */
struct __attribute__ ((__packed__)) sdshdr5 {
    unsigned char flags; /* type in the low 3 bits, length in the high 5 */
    char buf[];
};
struct __attribute__ ((__packed__)) sdshdr8 {
    uint8_t len;
    uint8_t alloc; /* capacity, not counting header and NUL */
    unsigned char flags;
    char buf[];
};
struct __attribute__ ((__packed__)) sdshdr16 {
    uint16_t len;
    uint16_t alloc;
    unsigned char flags;
    char buf[];
};
struct __attribute__ ((__packed__)) sdshdr32 {
    uint32_t len;
    uint32_t alloc;
    unsigned char flags;
    char buf[];
};
struct __attribute__ ((__packed__)) sdshdr64 {
    uint64_t len;
    uint64_t alloc;
    unsigned char flags;
    char buf[];
};

#define SDS_TYPE_5  0
#define SDS_TYPE_8  1
#define SDS_TYPE_16 2
#define SDS_TYPE_32 3
#define SDS_TYPE_64 4
#define SDS_TYPE_MASK 7
#define SDS_TYPE_BITS 3
#define SDS_HDR_VAR(T,s) struct sdshdr##T *sh = (struct sdshdr##T *)((s)-(sizeof(struct sdshdr##T)));
#define SDS_HDR(T,s) ((struct sdshdr##T *)((s)-(sizeof(struct sdshdr##T))))
#define SDS_TYPE_5_LEN(f) ((f)>>SDS_TYPE_BITS)

static inline size_t sdslen(const sds s) {
    unsigned char flags = s[-1];
    switch (flags & SDS_TYPE_MASK) {
    case SDS_TYPE_5: return SDS_TYPE_5_LEN(flags);
    case SDS_TYPE_8: return SDS_HDR(8,s)->len;
    case SDS_TYPE_16: return SDS_HDR(16,s)->len;
    case SDS_TYPE_32: return SDS_HDR(32,s)->len;
    case SDS_TYPE_64: return SDS_HDR(64,s)->len;
    }
    return 0;
}

static inline size_t sdsavail(const sds s) {
    unsigned char flags = s[-1];
    switch (flags & SDS_TYPE_MASK) {
    case SDS_TYPE_8: return SDS_HDR(8,s)->alloc - SDS_HDR(8,s)->len;
    case SDS_TYPE_16: return SDS_HDR(16,s)->alloc - SDS_HDR(16,s)->len;
    case SDS_TYPE_32: return SDS_HDR(32,s)->alloc - SDS_HDR(32,s)->len;
    case SDS_TYPE_64: return SDS_HDR(64,s)->alloc - SDS_HDR(64,s)->len;
    }
    return 0; /* type 5 has no spare room */
}

static inline void sdssetlen(sds s, size_t newlen) {
    unsigned char flags = s[-1];
    switch (flags & SDS_TYPE_MASK) {
    case SDS_TYPE_5:
        ((unsigned char *)s)[-1] = (unsigned char)(SDS_TYPE_5 | (newlen << SDS_TYPE_BITS));
        break;
    case SDS_TYPE_8: SDS_HDR(8,s)->len = (uint8_t)newlen; break;
    case SDS_TYPE_16: SDS_HDR(16,s)->len = (uint16_t)newlen; break;
    case SDS_TYPE_32: SDS_HDR(32,s)->len = (uint32_t)newlen; break;
    case SDS_TYPE_64: SDS_HDR(64,s)->len = (uint64_t)newlen; break;
    }
}

static inline void sdsinclen(sds s, size_t inc) {
    unsigned char flags = s[-1];
    switch (flags & SDS_TYPE_MASK) {
    case SDS_TYPE_5: {
        unsigned char newlen = SDS_TYPE_5_LEN(flags) + (unsigned char)inc;
        ((unsigned char *)s)[-1] = SDS_TYPE_5 | (newlen << SDS_TYPE_BITS);
        break;
    }
    case SDS_TYPE_8: SDS_HDR(8,s)->len += (uint8_t)inc; break;
    case SDS_TYPE_16: SDS_HDR(16,s)->len += (uint16_t)inc; break;
    case SDS_TYPE_32: SDS_HDR(32,s)->len += (uint32_t)inc; break;
    case SDS_TYPE_64: SDS_HDR(64,s)->len += (uint64_t)inc; break;
    }
}

/* sdsalloc() = sdsavail() + sdslen() */
static inline size_t sdsalloc(const sds s) {
    unsigned char flags = s[-1];
    switch (flags & SDS_TYPE_MASK) {
    case SDS_TYPE_5: return SDS_TYPE_5_LEN(flags);
    case SDS_TYPE_8: return SDS_HDR(8,s)->alloc;
    case SDS_TYPE_16: return SDS_HDR(16,s)->alloc;
    case SDS_TYPE_32: return SDS_HDR(32,s)->alloc;
    case SDS_TYPE_64: return SDS_HDR(64,s)->alloc;
    }
    return 0;
}

static inline void sdssetalloc(sds s, size_t newlen) {
    unsigned char flags = s[-1];
    switch (flags & SDS_TYPE_MASK) {
    case SDS_TYPE_8: SDS_HDR(8,s)->alloc = (uint8_t)newlen; break;
    case SDS_TYPE_16: SDS_HDR(16,s)->alloc = (uint16_t)newlen; break;
    case SDS_TYPE_32: SDS_HDR(32,s)->alloc = (uint32_t)newlen; break;
    case SDS_TYPE_64: SDS_HDR(64,s)->alloc = (uint64_t)newlen; break;
    }
    /* type 5 records no capacity */
}

#ifdef __cplusplus
}
#endif
