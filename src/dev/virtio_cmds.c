/*
 * src/dev/virtio_cmds.c - the shell's `virtio`: every published VirtIO
 * device with its features, interrupt mode and queue statistics.
 *
 * Part of dev; reads dev/virtio's device list (virtio_devices) and the
 * queues' atomic counters, so it needs no lock of theirs.
 */
#include <core/atomic.h>
#include <core/shell.h>
#include <dev/virtio.h>

static int cmd_virtio(int argc, char **argv)
{
    struct virtio_dev *list;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    list = virtio_devices();    /* devices are never removed: walk it unlocked */
    if (!list) {
        shell_printf("no VirtIO devices\n");
        return 0;
    }
    for (struct virtio_dev *vd = list; vd; vd = vd->next) {
        shell_printf("%s at %02x:%02x.%u: type %u, %s, features %#llx (offered %#llx)%s, "
                     "%llu configuration changes\n",
                     vd->name, vd->pci->bus, vd->pci->slot, vd->pci->func, vd->type,
                     virtio_irq_mode(vd), (unsigned long long)vd->features,
                     (unsigned long long)vd->device_features,
                     virtio_has(vd, VIRTIO_F_EVENT_IDX) ? ", event index" : "",
                     (unsigned long long)atomic_load(&vd->config_changes));
        for (unsigned i = 0; i < vd->nvqs; i++) {
            struct virtq *vq = vd->vq[i];

            shell_printf("    queue %u: %u descriptors, %llu chains, %llu notifications "
                         "(%llu suppressed), %llu interrupts, %llu completions\n", i, vq->size,
                         (unsigned long long)atomic_load(&vq->added),
                         (unsigned long long)atomic_load(&vq->kicks),
                         (unsigned long long)atomic_load(&vq->kicks_suppressed),
                         (unsigned long long)atomic_load(&vq->interrupts),
                         (unsigned long long)atomic_load(&vq->completions));
            if (atomic_load(&vq->lost_interrupts) || atomic_load(&vq->renotifies))
                shell_printf("    queue %u watchdog: %llu chains without an interrupt, "
                             "%llu notifications sent again\n", i,
                             (unsigned long long)atomic_load(&vq->lost_interrupts),
                             (unsigned long long)atomic_load(&vq->renotifies));
        }
    }
    return 0;
}
SHELL_COMMAND("virtio", "", "VirtIO devices: features negotiated, interrupt mode, queue statistics",
              cmd_virtio);
