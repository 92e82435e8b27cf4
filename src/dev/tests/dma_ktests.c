/*
 * src/dev/tests/dma_ktests.c - in-kernel tests of the DMA buffer allocator
 * (dev/dma): small buffers share pages, are zeroed, aligned to their class
 * and never cross a page; large ones are contiguous whole pages.
 *
 * Part of dev's ktests; they need no device and run in every ktest boot.
 */
#include <core/ktest.h>
#include <core/string.h>
#include <dev/dma.h>
#include <core/layout.h>
#include <mm/pmm.h>

#define DMA_TEST_SMALL      128

KTEST(dma, small_buffers_share_pages)
{
    static void *p[DMA_TEST_SMALL];
    uint64_t bus[DMA_TEST_SMALL];
    uint64_t before = pmm_stats().free_frames, used;

    for (unsigned i = 0; i < DMA_TEST_SMALL; i++) {
        p[i] = dma_alloc(17, &bus[i]);      /* a VirtIO request header plus status */
        KT_ASSERT_NOT_NULL(p[i]);
    }
    used = before - pmm_stats().free_frames;
    /* one page each would be 128 frames; 32-byte objects (with debug red zones) take a few */
    KT_EXPECT_LE(used, 8ull);
    for (unsigned i = 0; i < DMA_TEST_SMALL; i++) {
        const uint8_t *b = p[i];

        KT_EXPECT_EQ(bus[i], virt_to_phys(p[i]));
        KT_EXPECT_EQ(bus[i] % 32, 0ull);
        KT_EXPECT_EQ(bus[i] / PAGE_SIZE, (bus[i] + 31) / PAGE_SIZE);
        for (unsigned k = 0; k < 32; k++)
            KT_EXPECT_EQ(b[k], 0u);
        memset(p[i], 0xa5, 17);             /* dirty it: the next user must get zeroes */
    }
    for (unsigned i = 0; i < DMA_TEST_SMALL; i++)
        dma_free(p[i], 17);
    p[0] = dma_alloc(17, &bus[0]);
    KT_ASSERT_NOT_NULL(p[0]);
    KT_EXPECT_EQ(((uint8_t *)p[0])[0], 0u);
    dma_free(p[0], 17);
}

KTEST(dma, classes_and_large_buffers)
{
    uint64_t bus, before;
    uint8_t *big;

    KT_EXPECT_EQ(dma_alloc_size(1), 16ul);
    KT_EXPECT_EQ(dma_alloc_size(16), 16ul);
    KT_EXPECT_EQ(dma_alloc_size(17), 32ul);
    KT_EXPECT_EQ(dma_alloc_size(2048), 2048ul);
    KT_EXPECT_EQ(dma_alloc_size(2049), 4096ul);
    KT_EXPECT_EQ(dma_alloc_size(8193), 12288ul);
    KT_EXPECT_TRUE(dma_alloc(0, &bus) == NULL);

    before = pmm_stats().free_frames;
    big = dma_alloc(3 * PAGE_SIZE - 100, &bus);
    KT_ASSERT_NOT_NULL(big);
    KT_EXPECT_EQ(before - pmm_stats().free_frames, 3ull);
    KT_EXPECT_EQ(bus % PAGE_SIZE, 0ull);
    KT_EXPECT_EQ(bus, virt_to_phys(big));
    /* contiguous: the direct map address of the last byte is bus + offset */
    KT_EXPECT_EQ(virt_to_phys(big + 3 * PAGE_SIZE - 1), bus + 3 * PAGE_SIZE - 1);
    for (size_t i = 0; i < 3 * PAGE_SIZE; i += 97)
        KT_EXPECT_EQ(big[i], 0u);
    dma_free(big, 3 * PAGE_SIZE - 100);
    KT_EXPECT_EQ(pmm_stats().free_frames, before);
}
