/*
 * include/mm/uvm.h - user address spaces: VMAs, demand paging, copy-on-write.
 *
 * Part of mm (src/mm/uvm.c; the pure VMA bookkeeping in src/mm/vma.c is
 * also built on the host and tested there with sanitizers). A struct uvm
 * is one process's view of user memory: a vmm_space (its page tables)
 * plus a sorted list of non-overlapping VMAs, each a page-aligned range
 * with its protection (PROT_*), flags (MAP_SHARED / MAP_PRIVATE,
 * MAP_GROWSDOWN) and what backs it: nothing (anonymous, zero-filled on
 * first touch) or a backing object (a file's pages, supplied by fs
 * through struct uvm_backing, so mm never calls up). Adjacent VMAs with
 * the same protection, flags and a continuous backing are merged.
 *
 * Nothing is mapped until touched: uvm_fault maps a zeroed frame, or the
 * backing's page (private mappings map it read-only and copy it on the
 * first write). uvm_fork copies the VMAs and page tables only: private
 * writable pages become read-only in both spaces and share their frames
 * (pmm_page_get); the first write to one copies it, or takes it over when
 * its count is back to 1. The stack VMA (MAP_GROWSDOWN) grows down on a
 * fault below it, up to its limit (RLIMIT_STACK, set by exec) and never
 * within UVM_STACK_GAP of the VMA below it. Every frame and table is freed
 * when the last reference goes (uvm_put).
 *
 * Layout (set by exec, see uvm_set_layout): mmap without a hint allocates
 * top-down from mmap_base; brk grows up from brk_base.
 *
 * Locking: struct uvm has a mutex [ul] guarding its VMAs, brk and layout
 * and serialising faults against changes; page-table changes happen under
 * it (vmm's space lock inside). Every call below takes it itself: callers
 * hold nothing, and must never hold it across a user copy (core/uaccess
 * faults take it). Lock order: uvm lock -> a backing's locks (page cache
 * mapping lock) -> vmm space lock -> pmm. All may sleep (thread context).
 * References [a]: uvm_get / uvm_put.
 *
 * Errors are Linux's for the matching system call (mmap(2), munmap(2),
 * mprotect(2), madvise(2), mremap(2), brk(2)).
 */
#ifndef BASALT_MM_UVM_H
#define BASALT_MM_UVM_H

#include <core/compiler.h>
#include <uapi/mman.h>

struct vmm_space;
struct uvm;

#define UVM_PAGE            0x1000ul
#define UVM_BOTTOM          0x10000ul               /* lowest address mmap hands out (Linux's mmap_min_addr) */
#define UVM_TOP             0x7ffffffff000ul        /* first address above user space (Linux's TASK_SIZE) */
#define UVM_STACK_GAP       (256ul * UVM_PAGE)      /* kept free below a growing stack */

/* ---- what backs a file mapping (fs fills it: pagecache_mmap_backing) */
struct uvm_backing_info {
    uint32_t dev;                   /* Linux dev_t of the file's file system */
    uint64_t ino;
    char path[256];                 /* for /proc/<pid>/maps; "" if unknown */
};

struct uvm_backing_ops {
    /*
     * The frame holding page pgoff (units of UVM_PAGE) of obj, with one
     * pmm_page_get reference taken for the caller's mapping. write: a
     * shared writable mapping is writing (the page becomes dirty). Returns
     * 0 and *pa; -EFAULT for a page wholly past the end of the object
     * (SIGBUS in Linux); -ENOMEM; -EIO. Sleeps; called with the uvm lock held.
     */
    int (*fault)(void *obj, uint64_t pgoff, bool write, uint64_t *pa);
    void (*get)(void *obj);         /* a VMA copy (split, fork) takes a reference */
    void (*put)(void *obj);         /* a VMA goes */
    void (*describe)(void *obj, struct uvm_backing_info *out);
};

struct uvm_backing {
    const struct uvm_backing_ops *ops;
    void *obj;
    bool writable;                  /* opened for writing: MAP_SHARED + PROT_WRITE allowed */
};

/* ---- life */

/* A new, empty space (kernel half shared). NULL when out of memory. */
struct uvm *uvm_create(void);

/* A copy-on-write copy of src (fork). NULL when out of memory (nothing leaks). */
struct uvm *uvm_fork(struct uvm *src);

void uvm_get(struct uvm *vm);
/* Drops a reference; the last frees every frame and table. It must not be
 * loaded on any CPU then (the exiting thread switches away first). */
void uvm_put(struct uvm *vm);

/* Its page tables (for the scheduler's CR3 switch: thread->uspace). */
struct vmm_space *uvm_space(struct uvm *vm);

/*
 * Sets the layout exec chose: brk starts at brk_base (page aligned, above
 * the loaded image), mmap allocates top-down below mmap_base. Fresh spaces
 * get brk_base 0 (brk fails with the current break) and mmap_base
 * UVM_TOP - 1 GiB.
 */
void uvm_set_layout(struct uvm *vm, uintptr_t brk_base, uintptr_t mmap_base);

/*
 * Makes the stack VMA [top - initial, top), read-write, MAP_GROWSDOWN,
 * allowed to grow until it is limit bytes long. 0, -EINVAL, -ENOMEM.
 */
int uvm_setup_stack(struct uvm *vm, uintptr_t top, size_t initial, size_t limit);

/* ---- the system calls' work (addresses and lengths as the user gave them) */

/*
 * mmap(2): flags MAP_SHARED/MAP_PRIVATE (+ MAP_FIXED, MAP_FIXED_NOREPLACE,
 * MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_STACK, MAP_NORESERVE, MAP_POPULATE;
 * others ignored as Linux does), backing NULL for anonymous, off in bytes
 * (page aligned). Returns 0 and the address in *out; -EINVAL (len 0,
 * misaligned, bad flags), -ENOMEM (no room, over the address-space limit),
 * -EEXIST (MAP_FIXED_NOREPLACE over a mapping), -EACCES (shared writable
 * over a read-only backing). On success the VMA holds its own backing
 * reference (ops->get).
 */
int uvm_mmap(struct uvm *vm, uintptr_t addr, size_t len, int prot, int flags,
             const struct uvm_backing *backing, uint64_t off, uintptr_t *out);
int uvm_munmap(struct uvm *vm, uintptr_t addr, size_t len);
int uvm_mprotect(struct uvm *vm, uintptr_t addr, size_t len, int prot);
int uvm_madvise(struct uvm *vm, uintptr_t addr, size_t len, int advice);
/* mremap(2): returns the new address, or -errno. */
long uvm_mremap(struct uvm *vm, uintptr_t old, size_t old_len, size_t new_len,
                int flags, uintptr_t new_addr);
/* brk(2): asks for a new break (0: just ask); returns the break in force. */
uintptr_t uvm_brk(struct uvm *vm, uintptr_t new_brk);
/* The address-space limit (RLIMIT_AS, bytes; ~0 = none), checked by mmap/brk/mremap/stack growth. */
void uvm_set_as_limit(struct uvm *vm, uint64_t bytes);

/* ---- faults and access */

/*
 * Resolves a fault at addr with page-fault error code err (PF_* of
 * core/trap.h) in vm: demand-zero, backing page, copy-on-write, stack
 * growth. Returns 0 (resolved); -EFAULT no VMA covers addr (SEGV_MAPERR);
 * -EACCES the VMA forbids the access (SEGV_ACCERR); -EIO / -ENOMEM the page
 * could not be had (SIGBUS / out of memory). Thread context, interrupts on.
 */
int uvm_fault(struct uvm *vm, uintptr_t addr, uint32_t err);

/*
 * Reads / writes user memory of vm, which need not be loaded (exec builds
 * the new stack before switching; /proc/<pid>/cmdline reads another
 * process), faulting pages in as a user access would (write: as a write,
 * so COW is broken; the VMA must allow the access; uvm_zero writes zeroes).
 * Returns 0 or -EFAULT.
 */
int uvm_read(struct uvm *vm, void *dst, uintptr_t src, size_t n);
int uvm_write(struct uvm *vm, uintptr_t dst, const void *src, size_t n);
int uvm_zero(struct uvm *vm, uintptr_t dst, size_t n);

/* ---- inspection: /proc/<pid>/maps, status */
struct uvm_vma_info {
    uintptr_t start, end;
    int prot;                       /* PROT_* */
    int flags;                      /* MAP_SHARED or MAP_PRIVATE, | MAP_GROWSDOWN */
    uint64_t off;                   /* bytes into the backing */
    bool has_backing;
    struct uvm_backing_info backing;/* when has_backing */
    bool is_heap, is_stack;         /* the brk area / the stack VMA */
};
/* Calls fn for each VMA in address order, with the uvm lock held (fn must not sleep on it). */
void uvm_for_each_vma(struct uvm *vm, void (*fn)(const struct uvm_vma_info *vi, void *arg), void *arg);

struct uvm_stats {
    uint64_t vm_bytes;              /* total of the VMAs */
    uint64_t rss_pages;             /* pages mapped now */
    uint64_t vma_count;
    uintptr_t brk_base, brk;
};
struct uvm_stats uvm_stats(struct uvm *vm);

/* Spaces alive and frames they map (leak checks in tests). Any context. */
uint64_t uvm_live_count(void);

#endif
