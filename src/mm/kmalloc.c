/*
 * src/mm/kmalloc.c - the kernel heap (see include/mm/kmalloc.h).
 *
 * Part of mm. A kmem_cache hands out fixed-size slots from slabs: one page
 * (or a few, for big objects) taken from the PMM, reached through the
 * direct map, with a struct slab header at its start. kmalloc uses one
 * cache per size class (mm/slab_class); bigger requests get whole pages
 * with a struct large_header in front.
 *
 * A slot in a debug build (BASALT_DEBUG):
 *
 *   | struct obj_debug (32) | red zone (>= 16) | payload (size) | red zone (>= 16) |
 *
 * with the payload at payload_off, the cache's alignment respected.
 *
 * The payload is poisoned when freed; kmalloc checks the poison before
 * handing the slot out again, kfree checks the state and both red zones.
 * In a release build a slot is just the payload.
 *
 * Locking: kheap_lock (irqsave, one for every cache) around every cache
 * operation; the PMM's lock nests inside it. The static helpers below the
 * public entry points all run with it held; those that change lists assert
 * it.
 */
#include <mm/kmalloc.h>
#include <core/backtrace.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ksym.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/x86.h>
#include <core/spinlock.h>
#include <core/layout.h>
#include <mm/pmm.h>
#include <mm/slab_class.h>

/* Lock order: kheap_lock is taken before pmm_lock (see docs/architecture.md). */
static spinlock_t kheap_lock = SPINLOCK_INIT("kheap_lock");

#ifndef BASALT_DEBUG
#define BASALT_DEBUG 0
#endif

#define SLAB_MAGIC          0x534c4142u     /* "SLAB" */
#define LARGE_MAGIC         0x4c524745u     /* "LRGE" */
#define OBJ_ALLOCATED       0xA110CA7Eu
#define OBJ_FREE            0xF4EEF4EEu
#define POISON_FREE         0x6b
#define REDZONE_BYTE        0xbb
#define REDZONE             16
#define DEBUG_HEADER        32
#define KMALLOC_ALIGN       16
#define MAX_CACHE_OBJECT    (64 * 1024)
#define MAX_SLAB_PAGES      16
#define ERROR_TEXT          200

struct obj_debug {
    uint32_t state;         /* OBJ_ALLOCATED or OBJ_FREE */
    uint32_t size;          /* bytes asked for */
    uintptr_t alloc_site;
    uintptr_t free_site;
    void *next_free;        /* free-list link, kept out of the poisoned payload */
};
_Static_assert(sizeof(struct obj_debug) == DEBUG_HEADER, "debug header size");

/* A slab: the header at the start of its pages. Every field [h] under kheap_lock. */
struct slab {
    uint32_t magic;
    uint16_t in_use;
    uint16_t total;
    struct kmem_cache *cache;
    struct slab *next, *prev;   /* in the cache's partial, full or empty list */
    void *free;                 /* first free slot */
    uint8_t *first;             /* first slot */
};

/*
 * A cache. Lock legend: [c] set by cache_setup before the cache is
 * published, constant afterwards; [h] under kheap_lock.
 */
struct kmem_cache {
    const char *name;       /* [c] */
    size_t size;            /* [c] what callers ask for (the class size for kmalloc) */
    size_t slot;            /* [c] bytes per slot, overhead included */
    size_t payload_off;     /* [c] payload offset in a slot (0 in release builds) */
    size_t align;           /* [c] */
    size_t slab_pages;      /* [c] */
    uint16_t per_slab;      /* [c] */
    bool is_kmalloc;        /* [c] kmalloc class: one-page slabs, kfree finds the slab */
    struct slab *partial, *full, *empty;    /* [h] */
    uint64_t objects_in_use;                /* [h] */
    uint64_t bytes_requested;               /* [h] */
    uint64_t slabs;                         /* [h] */
    struct kmem_cache *next_cache;          /* [h] the list of all caches */
};

struct large_header {
    uint32_t magic;
    uint32_t pages;
    size_t size;
    uintptr_t alloc_site;
    uint64_t check;                 /* magic ^ pages ^ size ^ site: catches underflows */
    struct large_header *next;      /* debug builds: the list of live blocks */
    struct large_header *prev;
    uint64_t pad[2];
};
_Static_assert(sizeof(struct large_header) == 64, "large header keeps 64-byte alignment");

static struct kmem_cache classes[SLAB_CLASS_COUNT];
static char class_names[SLAB_CLASS_COUNT][16];
static struct kmem_cache cache_of_caches;
static struct kmem_cache *cache_list;
static uint64_t large_pages;
static struct large_header *large_live;    /* debug builds only */
static uint64_t heap_errors;
static char last_error[ERROR_TEXT];

/* ---- reporting ------------------------------------------------------------ */

static void heap_report(const char *fmt, ...) __printf_like(1, 2);

static void heap_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    heap_errors++;
    pr_err("kheap: %s", last_error);
    backtrace_print();
}

uint64_t kheap_error_count(void)
{
    return heap_errors;
}

const char *kheap_last_error(void)
{
    return last_error;
}

static const char *site(uintptr_t addr, char *buf, size_t n)
{
    char sym[80];

    snprintf(buf, n, "%s (%#lx)", ksym_format(addr, sym, sizeof(sym)), (unsigned long)addr);
    return buf;
}

/* ---- slabs ------------------------------------------------------------------ */

static void list_push(struct slab **head, struct slab *s)
{
    spin_assert_held(&kheap_lock);
    s->prev = NULL;
    s->next = *head;
    if (*head)
        (*head)->prev = s;
    *head = s;
}

static void list_remove(struct slab **head, struct slab *s)
{
    spin_assert_held(&kheap_lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        *head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static size_t slab_header_bytes(const struct kmem_cache *c)
{
    return ALIGN_UP(sizeof(struct slab), c->align);
}

static void **free_link(const struct kmem_cache *c, void *slot)
{
    (void)c;
    return BASALT_DEBUG ? &((struct obj_debug *)slot)->next_free : (void **)slot;
}

static uint8_t *payload_of(const struct kmem_cache *c, void *slot)
{
    return (uint8_t *)slot + c->payload_off;
}

/* Bytes from the end of the debug header to the end of the slot: what poison covers. */
static size_t poison_len(const struct kmem_cache *c)
{
    return c->slot - DEBUG_HEADER;
}

static struct slab *slab_create(struct kmem_cache *c)
{
    uint64_t pa;
    struct slab *s;
    uint8_t *slot;

    /* under kheap_lock: the reclaim hook (which may kfree) is called by cache_alloc instead */
    if (pmm_alloc_contig(c->slab_pages, c->slab_pages * PAGE_SIZE, PMM_NORECLAIM, &pa))
        return NULL;
    s = phys_to_virt(pa);
    *s = (struct slab){ .magic = SLAB_MAGIC, .total = c->per_slab, .cache = c };
    s->first = (uint8_t *)s + slab_header_bytes(c);
    for (int i = c->per_slab - 1; i >= 0; i--) {
        slot = s->first + (size_t)i * c->slot;
        if (BASALT_DEBUG) {
            struct obj_debug *d = (void *)slot;
            *d = (struct obj_debug){ .state = OBJ_FREE };
            memset(slot + DEBUG_HEADER, POISON_FREE, poison_len(c));
        }
        *free_link(c, slot) = s->free;
        s->free = slot;
    }
    c->slabs++;
    return s;
}

static void slab_destroy(struct kmem_cache *c, struct slab *s)
{
    s->magic = 0;
    pmm_free_contig(virt_to_phys(s), c->slab_pages);
    c->slabs--;
}

static void cache_setup(struct kmem_cache *c, const char *name, size_t size, size_t align,
                        bool is_kmalloc)
{
    size_t header;

    *c = (struct kmem_cache){ .name = name, .size = size, .align = align,
                              .is_kmalloc = is_kmalloc };
    c->payload_off = BASALT_DEBUG ? ALIGN_UP((size_t)DEBUG_HEADER + REDZONE, align) : 0;
    c->slot = ALIGN_UP(c->payload_off + size + (BASALT_DEBUG ? REDZONE : 0), align);
    header = slab_header_bytes(c);
    c->slab_pages = 1;
    while (!is_kmalloc && c->slab_pages < MAX_SLAB_PAGES &&
           slab_objects_per_slab(c->slab_pages * PAGE_SIZE, header, c->slot, align) < 8)
        c->slab_pages *= 2;
    c->per_slab = (uint16_t)slab_objects_per_slab(c->slab_pages * PAGE_SIZE, header, c->slot,
                                                   align);
    c->next_cache = cache_list;
    cache_list = c;
}

/* ---- debug checks ------------------------------------------------------------ */

static bool bytes_are(const uint8_t *p, size_t n, uint8_t v, size_t *bad)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) {
            *bad = i;
            return false;
        }
    return true;
}

/* A free slot about to be reused: has anyone written to it since it was freed? */
static void check_free_slot(struct kmem_cache *c, void *slot)
{
    struct obj_debug *d = slot;
    char where[120];
    size_t bad;

    if (d->state != OBJ_FREE)
        heap_report("%s: free list holds a slot %p that is not free (state %#x)", c->name,
                    payload_of(c, slot), d->state);
    else if (!bytes_are((uint8_t *)slot + DEBUG_HEADER, poison_len(c), POISON_FREE, &bad))
        heap_report("%s: use after free: %p was written at offset %ld after being freed at %s",
                    c->name, payload_of(c, slot),
                    (long)bad - (long)(c->payload_off - DEBUG_HEADER),
                    site(d->free_site, where, sizeof(where)));
}

static void arm_slot(struct kmem_cache *c, void *slot, size_t size, uintptr_t caller)
{
    struct obj_debug *d = slot;
    uint8_t *p = payload_of(c, slot);

    *d = (struct obj_debug){ .state = OBJ_ALLOCATED, .size = (uint32_t)size,
                             .alloc_site = caller };
    memset((uint8_t *)slot + DEBUG_HEADER, REDZONE_BYTE, c->payload_off - DEBUG_HEADER);
    memset(p + size, REDZONE_BYTE, c->slot - c->payload_off - size);
}

/* Returns false (and reports) when the slot must not be freed. */
static bool check_live_slot(struct kmem_cache *c, void *slot, uintptr_t caller, bool freeing)
{
    struct obj_debug *d = slot;
    uint8_t *p = payload_of(c, slot);
    size_t left = c->payload_off - DEBUG_HEADER;
    char where[100], where2[100], where3[100];
    size_t bad;

    if (d->state == OBJ_FREE) {
        heap_report("%s: double free of %p (size %u) allocated at %s, first freed at %s, "
                    "freed again at %s", c->name, p, d->size,
                    site(d->alloc_site, where, sizeof(where)),
                    site(d->free_site, where2, sizeof(where2)),
                    site(caller, where3, sizeof(where3)));
        return false;
    }
    if (d->state != OBJ_ALLOCATED || d->size > c->size) {
        heap_report("%s: %s of %p: slot header smashed (state %#x, size %u)", c->name,
                    freeing ? "kfree" : "check", p, d->state, d->size);
        return false;
    }
    if (!bytes_are(p - left, left, REDZONE_BYTE, &bad))
        heap_report("%s: buffer underflow: %p (size %u, allocated at %s) written at offset %ld",
                    c->name, p, d->size, site(d->alloc_site, where, sizeof(where)),
                    (long)bad - (long)left);
    else if (!bytes_are(p + d->size, c->slot - c->payload_off - d->size, REDZONE_BYTE, &bad))
        heap_report("%s: buffer overflow: %p (size %u, allocated at %s) written at offset %zu",
                    c->name, p, d->size, site(d->alloc_site, where, sizeof(where)),
                    d->size + bad);
    return true;
}

/* ---- allocation ----------------------------------------------------------------- */

/* A free-list link must be NULL or the start of a slot of this slab. */
static bool link_ok(const struct kmem_cache *c, const struct slab *s, const void *link)
{
    const uint8_t *p = link;

    return !p || (p >= s->first && p < s->first + (size_t)s->total * c->slot &&
                  (size_t)(p - s->first) % c->slot == 0);
}

static void *cache_alloc(struct kmem_cache *c, size_t size, uintptr_t caller)
{
    uint64_t irq = spin_lock_irqsave(&kheap_lock);
    struct slab *s = c->partial;
    void *slot = NULL;

    if (!s && c->empty) {
        s = c->empty;
        list_remove(&c->empty, s);
        list_push(&c->partial, s);
    }
    if (!s) {
        s = slab_create(c);
        if (!s) {
            /* out of frames: let the caches give some back without kheap_lock, then retry */
            spin_unlock_irqrestore(&kheap_lock, irq);
            if (pmm_reclaim(c->slab_pages) == 0)
                return NULL;
            irq = spin_lock_irqsave(&kheap_lock);
            /* the frees or another CPU may have given the cache a slab meanwhile */
            if (!c->partial && c->empty) {
                s = c->empty;
                list_remove(&c->empty, s);
                list_push(&c->partial, s);
            }
            s = c->partial;
            if (!s) {
                s = slab_create(c);
                if (!s)
                    goto out;
                list_push(&c->partial, s);
            }
        } else {
            list_push(&c->partial, s);
        }
    }
    slot = s->free;
    s->free = *free_link(c, slot);
    if (!link_ok(c, s, s->free)) {
        heap_report("%s: free list of slab %p corrupted (link %p, a write after free?); "
                    "dropping its free slots", c->name, (void *)s, s->free);
        s->free = NULL;
        c->objects_in_use += (uint64_t)(s->total - s->in_use - 1);
        s->in_use = (uint16_t)(s->total - 1);       /* counted in below */
    }
    if (++s->in_use == s->total) {
        list_remove(&c->partial, s);
        list_push(&c->full, s);
    }
    c->objects_in_use++;
    c->bytes_requested += BASALT_DEBUG ? size : c->size;   /* release: slot sizes */
    if (BASALT_DEBUG) {
        check_free_slot(c, slot);
        arm_slot(c, slot, size, caller);
    }
out:
    spin_unlock_irqrestore(&kheap_lock, irq);
    return slot ? payload_of(c, slot) : NULL;
}

/* The slab and slot holding p, or NULL (reported) if p is not a slot of c's. */
static void *slot_of(struct kmem_cache *c, struct slab *s, void *p, uintptr_t caller)
{
    uint8_t *slot_base = (uint8_t *)p - c->payload_off;
    char where[120];

    if (s->magic != SLAB_MAGIC || s->cache != c || slot_base < s->first ||
        (size_t)(slot_base - s->first) % c->slot ||
        (size_t)(slot_base - s->first) / c->slot >= s->total) {
        heap_report("%s: free of %p, which this cache never returned (called from %s)",
                    c->name, p, site(caller, where, sizeof(where)));
        return NULL;
    }
    return slot_base;
}

static void cache_free(struct kmem_cache *c, struct slab *s, void *p, uintptr_t caller)
{
    uint64_t irq = spin_lock_irqsave(&kheap_lock);
    void *slot = slot_of(c, s, p, caller);

    if (!slot)
        goto out;
    if (BASALT_DEBUG) {
        struct obj_debug *d = slot;
        if (!check_live_slot(c, slot, caller, true))
            goto out;
        c->bytes_requested -= d->size;
        d->state = OBJ_FREE;
        d->free_site = caller;
        memset((uint8_t *)slot + DEBUG_HEADER, POISON_FREE, poison_len(c));
    } else {
        c->bytes_requested -= c->size;
    }
    *free_link(c, slot) = s->free;
    s->free = slot;
    c->objects_in_use--;
    if (s->in_use-- == s->total) {
        list_remove(&c->full, s);
        list_push(&c->partial, s);
    }
    if (s->in_use == 0) {
        /* keep one empty slab for the next burst; give the rest back */
        list_remove(&c->partial, s);
        if (c->empty)
            slab_destroy(c, s);
        else
            list_push(&c->empty, s);
    }
out:
    spin_unlock_irqrestore(&kheap_lock, irq);
}

static uint64_t large_check(const struct large_header *h)
{
    return h->magic ^ h->pages ^ h->size ^ h->alloc_site ^ 0x5a5a5a5a5a5a5a5aull;
}

/*
 * Whole pages with the header in front. Debug builds fill the rest of the
 * last page (at least REDZONE bytes) as a red zone and keep the block on a
 * list of live blocks, so a double free or a stray pointer is told apart
 * from a real block.
 */
static void *large_alloc(size_t size, uintptr_t caller)
{
    size_t extra = sizeof(struct large_header) + (BASALT_DEBUG ? REDZONE : 0);
    size_t pages = (size + extra + PAGE_SIZE - 1) / PAGE_SIZE;
    struct large_header *h;
    uint64_t pa, irq;

    if (size > (1ull << 40) || pmm_alloc_contig(pages, 0, 0, &pa))
        return NULL;
    h = phys_to_virt(pa);
    *h = (struct large_header){ .magic = LARGE_MAGIC, .pages = (uint32_t)pages, .size = size,
                                .alloc_site = caller };
    h->check = large_check(h);
    irq = spin_lock_irqsave(&kheap_lock);
    large_pages += pages;
    if (BASALT_DEBUG) {
        uint8_t *end = (uint8_t *)(h + 1) + size;
        memset(end, REDZONE_BYTE, pages * PAGE_SIZE - sizeof(*h) - size);
        h->next = large_live;
        if (large_live)
            large_live->prev = h;
        large_live = h;
    }
    spin_unlock_irqrestore(&kheap_lock, irq);
    return h + 1;
}

static bool large_is_live(const struct large_header *h)
{
    for (const struct large_header *l = large_live; l; l = l->next)
        if (l == h)
            return true;
    return false;
}

static void large_free(struct large_header *h, uintptr_t caller)
{
    char where[100], where2[100];
    uint64_t irq = spin_lock_irqsave(&kheap_lock);
    uint32_t pages = h->pages;
    size_t bad;

    if (BASALT_DEBUG && !large_is_live(h)) {
        spin_unlock_irqrestore(&kheap_lock, irq);
        heap_report("kfree of %p: not a live large block (double free? called from %s)",
                    (void *)(h + 1), site(caller, where, sizeof(where)));
        return;
    }
    if (h->check != large_check(h)) {
        spin_unlock_irqrestore(&kheap_lock, irq);
        heap_report("kfree of %p: block header smashed (a write before the block?); "
                    "leaking it (called from %s)", (void *)(h + 1),
                    site(caller, where, sizeof(where)));
        return;
    }
    if (BASALT_DEBUG) {
        uint8_t *end = (uint8_t *)(h + 1) + h->size;
        if (!bytes_are(end, pages * PAGE_SIZE - sizeof(*h) - h->size, REDZONE_BYTE, &bad))
            heap_report("buffer overflow: %p (size %zu, allocated at %s) written at offset "
                        "%zu; freed at %s", (void *)(h + 1), h->size,
                        site(h->alloc_site, where, sizeof(where)), h->size + bad,
                        site(caller, where2, sizeof(where2)));
        if (h->prev)
            h->prev->next = h->next;
        else
            large_live = h->next;
        if (h->next)
            h->next->prev = h->prev;
    }
    h->magic = 0;
    large_pages -= pages;
    spin_unlock_irqrestore(&kheap_lock, irq);
    pmm_free_contig(virt_to_phys(h), pages);
}

static void *do_kmalloc(size_t size, uintptr_t caller)
{
    int idx;

    if (size == 0)
        return NULL;
    idx = slab_class_index(size);
    if (idx < 0)
        return large_alloc(size, caller);
    return cache_alloc(&classes[idx], size, caller);
}

__noinline void *kmalloc(size_t size)
{
    return do_kmalloc(size, (uintptr_t)__builtin_return_address(0));
}

__noinline void *kzalloc(size_t size)
{
    void *p = do_kmalloc(size, (uintptr_t)__builtin_return_address(0));

    if (p)
        memset(p, 0, size);
    return p;
}

static void do_kfree(void *p, uintptr_t caller)
{
    uint8_t *page;
    char where[120];

    if (!p)
        return;
    page = (uint8_t *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);
    if ((uintptr_t)p < DIRECT_MAP_BASE || (uintptr_t)p >= VMALLOC_BASE) {
        heap_report("kfree of %p, which is not heap memory (called from %s)", p,
                    site(caller, where, sizeof(where)));
        return;
    }
    struct large_header *h = (void *)page;
    if ((void *)p == page + sizeof(struct large_header) &&
        (h->magic == LARGE_MAGIC || (BASALT_DEBUG && large_is_live(h)))) {
        large_free(h, caller);
        return;
    }
    struct slab *s = (void *)page;
    if (s->magic != SLAB_MAGIC || !s->cache || !s->cache->is_kmalloc) {
        heap_report("kfree of %p, which kmalloc never returned (double free of a large "
                    "block, or a bad pointer; called from %s)", p,
                    site(caller, where, sizeof(where)));
        return;
    }
    cache_free(s->cache, s, p, caller);
}

__noinline void kfree(void *p)
{
    do_kfree(p, (uintptr_t)__builtin_return_address(0));
}

size_t ksize(const void *p)
{
    uint8_t *page;
    const struct slab *s;

    if (!p)
        return 0;
    page = (uint8_t *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);
    const struct large_header *h = (const void *)page;
    if ((const void *)p == page + sizeof(struct large_header) && h->magic == LARGE_MAGIC)
        return h->pages * PAGE_SIZE - sizeof(struct large_header);
    s = (const void *)page;
    if (s->magic != SLAB_MAGIC)
        return 0;
    if (BASALT_DEBUG)
        return ((const struct obj_debug *)(const void *)((const uint8_t *)p -
                                                         s->cache->payload_off))->size;
    return s->cache->size;
}

__noinline void *krealloc(void *p, size_t size)
{
    uintptr_t caller = (uintptr_t)__builtin_return_address(0);
    size_t old;
    void *n;

    if (!p)
        return do_kmalloc(size, caller);
    if (size == 0) {
        do_kfree(p, caller);
        return NULL;
    }
    old = ksize(p);
    if (!BASALT_DEBUG && size <= old)
        return p;
    n = do_kmalloc(size, caller);
    if (!n)
        return NULL;
    memcpy(n, p, MIN(old, size));
    do_kfree(p, caller);
    return n;
}

/* ---- object caches -------------------------------------------------------------- */

struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align)
{
    struct kmem_cache *c;

    if (align == 0)
        align = KMALLOC_ALIGN;
    if (!size || size > MAX_CACHE_OBJECT || (align & (align - 1)) || align > PAGE_SIZE)
        return NULL;
    c = cache_alloc(&cache_of_caches, sizeof(*c), (uintptr_t)__builtin_return_address(0));
    if (!c)
        return NULL;
    uint64_t irq = spin_lock_irqsave(&kheap_lock);
    cache_setup(c, name, size, align, false);
    spin_unlock_irqrestore(&kheap_lock, irq);
    if (c->per_slab == 0) {
        kmem_cache_destroy(c);
        return NULL;
    }
    return c;
}

__noinline void *kmem_cache_alloc(struct kmem_cache *c)
{
    return cache_alloc(c, c->size, (uintptr_t)__builtin_return_address(0));
}

/* Multi-page slabs are aligned to their size, so the header is found by masking. */
__noinline void kmem_cache_free(struct kmem_cache *c, void *obj)
{
    struct slab *s;

    if (!obj)
        return;
    s = (void *)ALIGN_DOWN((uintptr_t)obj, c->slab_pages * PAGE_SIZE);
    cache_free(c, s, obj, (uintptr_t)__builtin_return_address(0));
}

int kmem_cache_destroy(struct kmem_cache *c)
{
    uint64_t irq = spin_lock_irqsave(&kheap_lock);
    struct kmem_cache **pp;

    if (c->objects_in_use) {
        spin_unlock_irqrestore(&kheap_lock, irq);
        return -EBUSY;
    }
    while (c->empty) {
        struct slab *s = c->empty;
        list_remove(&c->empty, s);
        slab_destroy(c, s);
    }
    while (c->partial) {
        struct slab *s = c->partial;
        list_remove(&c->partial, s);
        slab_destroy(c, s);
    }
    for (pp = &cache_list; *pp; pp = &(*pp)->next_cache)
        if (*pp == c) {
            *pp = c->next_cache;
            break;
        }
    spin_unlock_irqrestore(&kheap_lock, irq);
    cache_free(&cache_of_caches, (void *)ALIGN_DOWN((uintptr_t)c, PAGE_SIZE), c,
               (uintptr_t)__builtin_return_address(0));
    return 0;
}

/* ---- setup, statistics, checking ------------------------------------------------ */

int kheap_init(void)
{
    for (int i = SLAB_CLASS_COUNT - 1; i >= 0; i--) {
        snprintf(class_names[i], sizeof(class_names[i]), "kmalloc-%zu", slab_class_size(i));
        cache_setup(&classes[i], class_names[i], slab_class_size(i), KMALLOC_ALIGN, true);
        if (classes[i].per_slab == 0)
            return -ENOMEM;
    }
    cache_setup(&cache_of_caches, "kmem_cache", sizeof(struct kmem_cache), KMALLOC_ALIGN, true);
    return 0;
}

size_t kheap_stats(struct kheap_stats *out, size_t max)
{
    size_t n = 0;
    uint64_t irq = spin_lock_irqsave(&kheap_lock);

    for (int i = 0; i < SLAB_CLASS_COUNT && n < max; i++, n++)
        out[n] = (struct kheap_stats){ classes[i].name, classes[i].slot,
                                       classes[i].objects_in_use, classes[i].bytes_requested,
                                       classes[i].slabs };
    for (struct kmem_cache *c = cache_list; c && n < max; c = c->next_cache) {
        if (c >= classes && c < classes + SLAB_CLASS_COUNT)
            continue;
        out[n++] = (struct kheap_stats){ c->name, c->slot, c->objects_in_use,
                                         c->bytes_requested, c->slabs };
    }
    spin_unlock_irqrestore(&kheap_lock, irq);
    return n;
}

uint64_t kheap_large_pages(void)
{
    return large_pages;
}

/* Every check reports through heap_report: the problems found are the reports made. */
static size_t check_slab(struct kmem_cache *c, struct slab *s)
{
    size_t free_slots = 0;
    uint64_t before = heap_errors;

    if (s->magic != SLAB_MAGIC || s->cache != c) {
        heap_report("%s: slab %p header smashed", c->name, (void *)s);
        return 1;
    }
    for (void *slot = s->free; slot; slot = *free_link(c, slot)) {
        if (++free_slots > s->total) {
            heap_report("%s: slab %p free list loops", c->name, (void *)s);
            return (size_t)(heap_errors - before);
        }
        if (BASALT_DEBUG)
            check_free_slot(c, slot);
    }
    if (free_slots + s->in_use != s->total)
        heap_report("%s: slab %p counts %u in use + %zu free != %u", c->name, (void *)s,
                    s->in_use, free_slots, s->total);
    if (BASALT_DEBUG)
        for (uint16_t i = 0; i < s->total; i++) {
            uint8_t *slot = s->first + (size_t)i * c->slot;
            if (((struct obj_debug *)(void *)slot)->state == OBJ_ALLOCATED)
                check_live_slot(c, slot, 0, false);
        }
    return (size_t)(heap_errors - before);
}

size_t kheap_check(void)
{
    size_t problems = 0;
    uint64_t irq = spin_lock_irqsave(&kheap_lock);

    for (struct kmem_cache *c = cache_list; c; c = c->next_cache) {
        struct slab *lists[3] = { c->partial, c->full, c->empty };
        for (int l = 0; l < 3; l++)
            for (struct slab *s = lists[l]; s; s = s->next)
                problems += check_slab(c, s);
    }
    spin_unlock_irqrestore(&kheap_lock, irq);
    return problems;
}
