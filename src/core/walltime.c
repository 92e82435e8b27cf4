/*
 * src/core/walltime.c - the wall clock: a Unix-time base plus the
 * monotonic clock (see include/core/walltime.h).
 */
#include <core/walltime.h>
#include <core/atomic.h>
#include <core/time.h>

static int64_t base_ns;         /* Unix ns at time_ns() == 0; atomic */
static bool base_set;           /* release-stored after base_ns */

void walltime_set_base(int64_t unix_ns_at_boot)
{
    atomic_store(&base_ns, unix_ns_at_boot);
    atomic_store_release(&base_set, true);
}

bool walltime_valid(void)
{
    return atomic_load_acquire(&base_set);
}

int64_t walltime_ns(void)
{
    return atomic_load(&base_ns) + (int64_t)time_ns();
}
