/*
 * user/bench/fsbench.c - the Linux side of the file-system benchmarks of
 * docs/benchmarks.md ("File systems (issue 12)"): a static (musl) program
 * that runs the same five measurements as Basalt's bench.fs_* ktests
 * (src/fs/tests/fs_bench.c) on a mounted ext2 directory and prints
 *     bench: fs.<name>: <figure> <unit> (<details>)
 * with MB = 10^6 bytes and times from clock_gettime(CLOCK_MONOTONIC).
 *
 * Not part of the kernel: a host-built Linux program (musl-gcc -static),
 * built and run by test/bench/fs_bench.py. Two ways to run it:
 *   as /init of a tiny initramfs (pid 1): mounts /proc and devtmpfs, loads
 *     the kernel modules named in /lib/modules/load.order (one path a line,
 *     in dependency order) with finit_module, waits for /dev/vda, mounts it
 *     (ext2) on /mnt, runs the benchmarks there (the uncached read after an
 *     umount + mount), unmounts and powers the machine off;
 *   as `fsbench DIR` on any Linux as root: runs them in DIR, the uncached
 *     read after sync + drop_caches.
 * The measurements (the same order and sizes as the ktests):
 *   fs.write_fsync    write a 64 MiB file in 64 KiB writes, fsync, close
 *   fs.read_cached    read it again (its pages are cached): best of 3 passes
 *   fs.read_uncached  read it once after the caches were emptied
 *   fs.create_unlink  create 10,000 empty files in a new directory, then
 *                     unlink them all: time per file (create + unlink)
 *   fs.lookup_5deep   stat() of d1/d2/d3/d4/f5 below the mount, cached: 50,000 times
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define FILE_BYTES      (64u << 20)     /* the sequential file: 64 MiB */
#define IO_CHUNK        (64u << 10)     /* one read()/write(): 64 KiB */
#define CACHED_PASSES   3
#define CREATE_FILES    10000
#define LOOKUP_ROUNDS   50000

#define DISK            "/dev/vda"
#define MNT             "/mnt"
#define FSTYPE          "ext2"
#define MODULE_LIST     "/lib/modules/load.order"

static unsigned char buf[IO_CHUNK];
static int failures;

static void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("fsbench: error: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    fflush(stdout);
    va_end(ap);
    failures++;
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "bench: fs.<name>: <MB/s> MB/s (<details>)" for bytes moved in ns. */
static void report_mbps(const char *name, uint64_t bytes, uint64_t ns, const char *details)
{
    double mbps = (double)bytes / 1e6 / ((double)(ns ? ns : 1) / 1e9);

    printf("bench: fs.%s: %.1f MB/s (%s, %.3f ms)\n", name, mbps, details, (double)ns / 1e6);
    fflush(stdout);
}

/* "bench: fs.<name>: <us/op> us/op (<ops> ops, <details>)". */
static void report_us(const char *name, uint64_t ns, uint64_t ops, const char *details)
{
    printf("bench: fs.%s: %.2f us/op (%llu ops, %s)\n", name,
           (double)ns / 1e3 / (double)(ops ? ops : 1), (unsigned long long)ops, details);
    fflush(stdout);
}

/* Reads path whole in IO_CHUNK reads; returns the bytes read, or -1. */
static int64_t read_all(const char *path)
{
    int64_t total = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY);

    if (fd < 0) {
        fail("open %s: %s", path, strerror(errno));
        return -1;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        total += n;
    if (n < 0) {
        fail("read %s: %s", path, strerror(errno));
        total = -1;
    }
    close(fd);
    return total;
}

static void bench_write_fsync(const char *file)
{
    uint64_t t;
    int fd;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 131u + 7u);
    t = now_ns();
    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fail("create %s: %s", file, strerror(errno));
        return;
    }
    for (uint32_t done = 0; done < FILE_BYTES; done += IO_CHUNK) {
        if (write(fd, buf, IO_CHUNK) != (ssize_t)IO_CHUNK) {
            fail("write %s: %s", file, strerror(errno));
            close(fd);
            return;
        }
    }
    if (fsync(fd) != 0)
        fail("fsync %s: %s", file, strerror(errno));
    close(fd);
    t = now_ns() - t;
    report_mbps("write_fsync", FILE_BYTES, t, "64 MiB in 64 KiB writes + fsync");
}

static void bench_read_cached(const char *file)
{
    uint64_t best = UINT64_MAX;

    for (int pass = 0; pass < CACHED_PASSES; pass++) {
        uint64_t t = now_ns();
        int64_t got = read_all(file);

        t = now_ns() - t;
        if (got != (int64_t)FILE_BYTES) {
            fail("cached read of %s: %lld bytes, expected %u", file, (long long)got, FILE_BYTES);
            return;
        }
        if (t < best)
            best = t;
    }
    report_mbps("read_cached", FILE_BYTES, best, "64 MiB in 64 KiB reads, best of 3");
}

static void bench_read_uncached(const char *file, const char *how)
{
    uint64_t t = now_ns();
    int64_t got = read_all(file);

    t = now_ns() - t;
    if (got != (int64_t)FILE_BYTES) {
        fail("uncached read of %s: %lld bytes, expected %u", file, (long long)got, FILE_BYTES);
        return;
    }
    report_mbps("read_uncached", FILE_BYTES, t, how);
}

static void bench_create_unlink(const char *dir)
{
    char name[4200];
    uint64_t t, t_create;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fail("mkdir %s: %s", dir, strerror(errno));
        return;
    }
    t = now_ns();
    for (int i = 0; i < CREATE_FILES; i++) {
        int fd;

        snprintf(name, sizeof(name), "%s/f%05d", dir, i);
        fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) {
            fail("create %s: %s", name, strerror(errno));
            return;
        }
        close(fd);
    }
    t_create = now_ns() - t;
    t = now_ns();
    for (int i = 0; i < CREATE_FILES; i++) {
        snprintf(name, sizeof(name), "%s/f%05d", dir, i);
        if (unlink(name) != 0) {
            fail("unlink %s: %s", name, strerror(errno));
            return;
        }
    }
    t = now_ns() - t;
    snprintf(name, sizeof(name), "create %.2f us + unlink %.2f us",
             (double)t_create / 1e3 / CREATE_FILES, (double)t / 1e3 / CREATE_FILES);
    report_us("create_unlink", t_create + t, CREATE_FILES, name);
    if (rmdir(dir) != 0)
        fail("rmdir %s: %s", dir, strerror(errno));
}

static void bench_lookup(const char *base)
{
    static const char *const parts[] = { "d1", "d2", "d3", "d4" };
    char path[4200];
    size_t len = (size_t)snprintf(path, sizeof(path), "%s", base);
    struct stat st;
    uint64_t t;
    int fd;

    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        len += (size_t)snprintf(path + len, sizeof(path) - len, "/%s", parts[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            fail("mkdir %s: %s", path, strerror(errno));
            return;
        }
    }
    snprintf(path + len, sizeof(path) - len, "/f5");
    fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) {
        fail("create %s: %s", path, strerror(errno));
        return;
    }
    close(fd);
    if (stat(path, &st) != 0) {             /* warms the caches */
        fail("stat %s: %s", path, strerror(errno));
        return;
    }
    t = now_ns();
    for (int i = 0; i < LOOKUP_ROUNDS; i++) {
        if (stat(path, &st) != 0) {
            fail("stat %s: %s", path, strerror(errno));
            return;
        }
    }
    t = now_ns() - t;
    report_us("lookup_5deep", t, LOOKUP_ROUNDS, "stat of <mnt>/d1/d2/d3/d4/f5, cached");
}

/* ---- as /init ---------------------------------------------------------------- */

/* Loads each module listed in MODULE_LIST, in order; 0 or -1. */
static int load_modules(void)
{
    char line[512];
    FILE *f = fopen(MODULE_LIST, "r");
    int ret = 0;

    if (!f) {
        fail("open %s: %s", MODULE_LIST, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        int fd;

        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        fd = open(line, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fail("open %s: %s", line, strerror(errno));
            ret = -1;
            break;
        }
        if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
            fail("finit_module %s: %s", line, strerror(errno));
            ret = -1;
        }
        close(fd);
        if (ret)
            break;
    }
    fclose(f);
    return ret;
}

static int wait_for(const char *path, int seconds)
{
    struct stat st;

    for (int i = 0; i < seconds * 100; i++) {
        if (stat(path, &st) == 0)
            return 0;
        usleep(10000);
    }
    fail("%s did not appear in %d s", path, seconds);
    return -1;
}

static int mount_disk(void)
{
    if (mount(DISK, MNT, FSTYPE, 0, NULL) != 0) {
        fail("mount %s on %s (%s): %s", DISK, MNT, FSTYPE, strerror(errno));
        return -1;
    }
    return 0;
}

static int drop_caches(void)
{
    int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

    sync();
    if (fd < 0 || write(fd, "3\n", 2) != 2) {
        fail("drop_caches: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

static void run_as_init(void)
{
    mkdir("/proc", 0755);
    mkdir("/dev", 0755);
    mkdir(MNT, 0755);
    if (mount("proc", "/proc", "proc", 0, NULL) != 0)
        fail("mount /proc: %s", strerror(errno));
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0 && errno != EBUSY)
        fail("mount /dev: %s", strerror(errno));
    if (load_modules() || wait_for(DISK, 20) || mount_disk())
        goto out;
    printf("fsbench: %s (%s) mounted on %s\n", DISK, FSTYPE, MNT);
    fflush(stdout);

    bench_write_fsync(MNT "/seq");
    bench_read_cached(MNT "/seq");
    if (umount(MNT) != 0) {
        fail("umount %s: %s", MNT, strerror(errno));
        goto out;
    }
    drop_caches();
    if (mount_disk())
        goto out;
    bench_read_uncached(MNT "/seq", "64 MiB in 64 KiB reads after umount + mount");
    bench_create_unlink(MNT "/cu");
    bench_lookup(MNT);
    if (umount(MNT) != 0)
        fail("umount %s: %s", MNT, strerror(errno));
out:
    sync();
    printf("fsbench: done, %d errors\n", failures);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

int main(int argc, char **argv)
{
    char file[4096], dir[4096];

    if (getpid() == 1)
        run_as_init();
    if (argc != 2) {
        fprintf(stderr, "usage: fsbench DIR   (as root: DIR on the file system to measure)\n");
        return 2;
    }
    snprintf(file, sizeof(file), "%s/seq", argv[1]);
    snprintf(dir, sizeof(dir), "%s/cu", argv[1]);
    bench_write_fsync(file);
    bench_read_cached(file);
    if (drop_caches() == 0)
        bench_read_uncached(file, "64 MiB in 64 KiB reads after sync + drop_caches");
    bench_create_unlink(dir);
    bench_lookup(argv[1]);
    unlink(file);
    printf("fsbench: done, %d errors\n", failures);
    return failures ? 1 : 0;
}
