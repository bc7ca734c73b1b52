
#define null_hiarray { 0, NULL, 0, 0 }

static inline void hiarray_null(struct hiarray *a) {
    a->nelem = 0;
    a->elem = NULL;
    a->size = 0;
    a->nalloc = 0;
}

static inline void hiarray_set(struct hiarray *a, void *elem, size_t size, uint32_t nalloc) {
    a->nelem = 0;
    a->elem = elem;
    a->size = size;
    a->nalloc = nalloc;
}

static inline uint32_t hiarray_n(const struct hiarray *a) { return a->nelem; }
