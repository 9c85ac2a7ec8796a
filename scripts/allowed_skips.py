# SPDX-License-Identifier: GPL-2.0-only
"""The skips each test run may have, with the reason; any other skip fails.

A test is named by its path: for KUnit "suite/case/parameter", for the
kselftests "program/test" (the harness's "fixture.variant.test"). Patterns
are fnmatch patterns over that path. A run is the KUnit architecture (um,
x86_64, arm64) for KUnit, the guest ("x86_64-selftest", "arm64-iommu": arch
and mode of scripts/guests) for kselftests. Used by kunit_results.py (KUnit
under kunit.py and in the guests) and guestlog.py (kselftests in the
guests).
"""
import fnmatch

MAINTENANCE = 'gdmabuf_buffer/gdmabuf_buffer_sync_maintenance/*'

# (run, kind, pattern, reason); run is the KUnit or guest architecture
ALLOWED = [
    ('um', 'kunit', MAINTENANCE,
     'UML does no DMA: no CPU cache maintenance to watch'),
    ('um', 'kunit', 'gdmabuf_buffer/gdmabuf_buffer_mmap_memtype/*',
     "UML's page tables have no memory-type bits to check"),
    ('x86_64', 'kunit', MAINTENANCE,
     'x86 DMA is cache-coherent: no CPU cache maintenance to watch'),
]


# Tests that never skip where their device is (a column of scripts/guests),
# whatever ALLOWED says: (device, pattern, why)
MUST_RUN = [
    ('edu', 'gdmabuf_edu_test', 'the guest has an edu: its DMA must be tried'),
    ('edu', 'gdmabuf_edu_test/*', 'the guest has an edu: its DMA must be tried'),
]


def allowed(run, kind, path):
    """The reason why PATH may skip in RUN, or None."""
    for r, k, pattern, why in ALLOWED:
        if r == run and k == kind and fnmatch.fnmatchcase(path, pattern):
            return why
    return None


def must_run(devices, path):
    """Why PATH may not skip in a run with DEVICES, or None."""
    for d, pattern, why in MUST_RUN:
        if d in devices and fnmatch.fnmatchcase(path, pattern):
            return why
    return None


def required(devices):
    """The programs that must run in a run with DEVICES."""
    return sorted({pattern for d, pattern, _ in MUST_RUN if d in devices and '/' not in pattern})


def judge(run, kind, skipped, devices=()):
    """Errors for the skips in SKIPPED ([(path, reason)]) not allowed in RUN,
    which has DEVICES."""
    errors = []
    for path, reason in skipped:
        why = allowed(run, kind, path)
        must = must_run(devices, path)
        if must:
            errors.append('%s skipped on %s, where it must run (%s): %s' %
                          (path, run, must, reason or 'its reason is in the log'))
        elif why:
            print('SKIP  %s (allowed on %s: %s)' % (path, run, why))
        else:
            errors.append('%s skipped, which is not allowed on %s: %s' %
                          (path, run, reason or 'its reason is in the log'))
    return errors
