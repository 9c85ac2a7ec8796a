# SPDX-License-Identifier: GPL-2.0-only
"""The skips each test run may have, with the reason; any other skip fails.

A test is named by its path: for KUnit "suite/case/parameter", for the
kselftests "program/test" (the harness's "fixture.variant.test"). Patterns
are fnmatch patterns over that path. Used by kunit_results.py (KUnit under
kunit.py and in the guests) and guestlog.py (kselftests in the guests).
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


def allowed(run, kind, path):
    """The reason why PATH may skip in RUN, or None."""
    for r, k, pattern, why in ALLOWED:
        if r == run and k == kind and fnmatch.fnmatchcase(path, pattern):
            return why
    return None


def judge(run, kind, skipped):
    """Errors for the skips in SKIPPED ([(path, reason)]) not allowed in RUN."""
    errors = []
    for path, reason in skipped:
        why = allowed(run, kind, path)
        if why:
            print('SKIP  %s (allowed on %s: %s)' % (path, run, why))
        else:
            errors.append('%s skipped, which is not allowed on %s: %s' %
                          (path, run, reason or 'its reason is in the log'))
    return errors
