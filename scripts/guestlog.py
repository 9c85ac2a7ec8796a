#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""guestlog.py MODE LOG [ARCH PROGRAMS]: judge a test guest's serial log.

The guest is the ARCH guest of MODE in scripts/guests. Fails when the guest
did not finish, when the kernel complained (warning, BUG, KASAN, lockdep,
RCU stall, hung task, DMA-API debug, kmemleak, oops, panic, a debug
facility turning itself off, or an IOMMU fault report in a guest without
an IOMMU), when an end-of-run invariant does not hold (gdmabuf's debugfs
lists no buffer; DMA-API debug has no mapping left and no error; free pages
are back to where they were), in a guest with an IOMMU when its IOMMU
reported no fault, in the test guests (selftest, iommu) when any kselftest
failed, a program listed in PROGRAMS did not run to its end, or a test
skipped that allowed_skips.py does not allow there, and in demo and bench
mode when the program did not exit with 0 (the benchmark's numbers are
never judged).
Writes the counts next to the log as LOG.counts ("passed failed skipped").
"""
import os
import re
import sys

import allowed_skips

# Kernel complaints; each is a failure wherever it appears in the log.
COMPLAINTS = [
    r'WARNING:', r'\bBUG:', r'kernel BUG at', r'Unable to handle kernel',
    r'------------\[ cut here \]',
    r'Call [Tt]race:', r'\bOops\b', r'general protection fault',
    r'Kernel panic', r'DEBUG_LOCKS_WARN_ON', r'possible recursive locking',
    r'circular locking dependency', r'suspicious RCU usage',
    r'trying to register non-static key',
    r'turning off the locking correctness validator',
    r'rcu: INFO: .*detected stall', r'detected stalls on CPUs',
    r'DMA-API: .*(device driver|failed to|leak|disabling)',
    r'kmemleak: .*(Memory pool empty|disabled)',
    r'INFO: task .* blocked for more than', r'scheduling while atomic',
    r'sleeping function called from invalid context', r'UBSAN:',
    r'printk messages dropped',
    # an interrupt the IOMMU did not let through: no guest expects one
    r'DMAR: \[INTR-REMAP\]',
    # firmware methods that failed (x86: the PCI interrupt routing, _PRT)
    r'ACPI (BIOS )?Error', r'ACPI Exception',
]
COMPLAINT_RE = re.compile('|'.join(COMPLAINTS))
# IOMMU fault reports, by IOMMU (the iommu column of scripts/guests): each a
# complaint, except in a guest with that IOMMU, where the edu test's DMA
# outside its buffer must have caused at least one. FAULTS are the lines
# that report one fault; the others come with them. The raw words of an
# SMMU event follow its line (up to 4); anywhere else they are a complaint.
IOMMU_REPORTS = {
    'vt-d': {
        'fault': r'DMAR: \[DMA (Read|Write)( NO_PASID| PASID 0x[0-9a-f]+)\] Request device '
                 r'\[[0-9a-f:.]+\] fault addr',
        'other': r'DMAR: DRHD: handling fault status reg [0-9a-f]+$|'
                 r'\bdmar_fault: \d+ callbacks suppressed$',
    },
    'smmuv3': {
        'fault': r'arm-smmu-v3 \S+: event 0x[0-9a-f]{2} received:$',
        'other': r'\barm_smmu_evtq_thread: \d+ callbacks suppressed$',
        # its command and event queues and stream tables, for good
        'own dma': r'arm-smmu-v3 \S+ coherent ',
    },
}
SMMU_EVENT_WORD = re.compile(r'arm-smmu-v3 \S+: \s*0x[0-9a-f]{16}$')
SMMU_EVENT_WORDS = 4
GUESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'guests')
GUEST_FIELDS = ('arch', 'mode', 'machine', 'iommu', 'edu', 'kunit')
MARK = 'GDMABUF-BENCH: '
KERNEL_LINE = re.compile(r'^\[\s*\d+\.\d+\]')
# Leaks that are not gdmabuf's, each with why: every needle must be in the
# report's backtrace. kunit_vm_mmap() in 6.12 never frees the mm it
# attaches to the test thread (mm_alloc() and what mm_init() allocates).
KNOWN_LEAKS = [
    (('mm_alloc', 'kunit_vm_mmap_init'),
     "6.12's kunit_vm_mmap() leaks the test thread's mm"),
]
# Pages after the tests must be where they were before: free, on per-cpu
# lists, or in one of the kernel's accounted uses (page cache, slab with
# KASAN's quarantine, page tables, stacks, vmalloc). What went elsewhere,
# beyond the tolerance, is memory nobody accounts for: a page leak. CMA's
# free pages are checked on their own, with room for movable pages that
# the page allocator put there before the tests and elsewhere after
# (seen: -20 to +18 MiB); a leak there also shows in the first check.
# Seen: -0.4 MiB on x86_64, -8.9 MiB on arm64, whose KASAN_VMALLOC keeps
# the shadow of freed vmalloc areas until lazily freed ones reach 32 MiB
# per fls(CPUs): up to 8 MiB of shadow in these 2-CPU guests, plus 8 MiB.
HELD = ('MemFree', 'PerCpuLists', 'Cached', 'Buffers', 'AnonPages', 'Slab',
        'KernelStack', 'PageTables', 'Percpu', 'VmallocUsed')
HELD_TOLERANCE_KB = 16 * 1024
CMA_TOLERANCE_KB = 64 * 1024


def guest(arch, mode):
    """The fields of scripts/guests' line for the ARCH guest of MODE."""
    for ln in open(GUESTS):
        fields = ln.split()
        if fields and not fields[0].startswith('#') and fields[:2] == [arch, mode]:
            g = dict(zip(GUEST_FIELDS, fields))
            g['programs'] = fields[len(GUEST_FIELDS):]
            return g
    sys.exit('guestlog.py: scripts/guests has no %s guest of mode %s' % (arch, mode))


def iommu_reports(lines, iommu):
    """(complaints, faults): the IOMMU fault report lines that are
    complaints in a guest with IOMMU ('-' for none), and the faults its
    own IOMMU reported."""
    complaints, faults = [], []
    words = 0
    for ln in lines:
        if words and SMMU_EVENT_WORD.search(ln):
            words -= 1
            if iommu != 'smmuv3':
                complaints.append(ln)
            continue
        for name, report in IOMMU_REPORTS.items():
            if re.search(report['fault'], ln):
                (faults if name == iommu else complaints).append(ln)
                if name == 'smmuv3':
                    words = SMMU_EVENT_WORDS
            elif re.search(report['other'], ln):
                if name != iommu:
                    complaints.append(ln)
        if SMMU_EVENT_WORD.search(ln) and not words:
            complaints.append(ln)
    return complaints, faults


def section(lines, name):
    """The lines between "NAME begin" and "NAME end" marks, or None."""
    try:
        a = lines.index(MARK + name + ' begin')
        b = lines.index(MARK + name + ' end', a)
    except ValueError:
        return None
    return [ln for ln in lines[a + 1:b] if not KERNEL_LINE.match(ln)]


def kmemleak_blocks(report):
    """The leak reports in a kmemleak listing, each a list of lines."""
    blocks = []
    for ln in report:
        if ln.startswith('unreferenced object 0x'):
            blocks.append([ln])
        elif blocks and ln.startswith(' '):
            blocks[-1].append(ln)
    return blocks


def known_leak(block):
    text = '\n'.join(block)
    for needles, why in KNOWN_LEAKS:
        if all(n in text for n in needles):
            return why
    return None


def judge_kmemleak(lines, bench):
    """Errors for leaks; the first report must hold what its scan counted."""
    errors = []
    if 'kmemleak scan done' not in bench:
        return ['kmemleak did not scan (no kmemleak, or the guest stopped early)']
    first = section(lines, 'kmemleak report 1')
    second = section(lines, 'kmemleak report 2')
    if first is None or second is None:
        return ['no kmemleak report in the log']
    a = lines.index(MARK + 'kmemleak report 1 begin')
    counted = 0
    for ln in lines[:a]:
        m = re.search(r'kmemleak: (\d+) new suspected memory leaks', ln)
        if m:
            counted += int(m.group(1))
    seen = kmemleak_blocks(first)
    if counted != len(seen):
        errors.append('kmemleak counted %d suspected leaks, its report holds %d'
                      % (counted, len(seen)))
    reasons = {}
    for block in kmemleak_blocks(second):
        why = known_leak(block)
        if why:
            reasons[why] = reasons.get(why, 0) + 1
        else:
            errors.append('leak:\n      ' + '\n      '.join(block[:20]))
    for why, n in sorted(reasons.items()):
        print("known leak, not gdmabuf's, ignored %d time(s): %s" % (n, why))
    return errors


def judge_invariants(lines, bench, iommu):
    """Errors for what is left at the end of the run (IOMMU: the guest's)."""
    errors = []
    listing = section(lines, 'gdmabuf buffers')
    if listing is None:
        errors.append("no listing of gdmabuf's debugfs after the tests")
    else:
        rows = [ln for ln in listing if ln.strip() and not ln.startswith(('id ', 'total:'))]
        total = [ln for ln in listing if ln.startswith('total:')]
        if rows:
            errors.append('buffers left after the tests:\n    ' + '\n    '.join(rows[:10]))
        if len(total) != 1 or not total[0].startswith('total: 0 bytes'):
            errors.append('debugfs total after the tests: %s' % (total or 'missing'))

    pages = {}
    for b in bench:
        m = re.match(r'pages (before|after): (.*)', b)
        if m:
            pages[m.group(1)] = dict(re.findall(r'(\w+): (\d+)', m.group(2)))
    if set(pages) != {'before', 'after'}:
        errors.append('free pages were not recorded before and after the tests')
    else:
        held = {}
        for when, fields in pages.items():
            held[when] = sum(int(fields.get(k, 0)) for k in HELD)
            if not all(k in fields for k in HELD + ('CmaFree',)):
                errors.append('pages %s: not every counter recorded' % when)
        for what, before, after, tol in (
                ('free, listed or accounted', held['before'], held['after'], HELD_TOLERANCE_KB),
                ('CMA free', int(pages['before'].get('CmaFree', 0)),
                 int(pages['after'].get('CmaFree', 0)), CMA_TOLERANCE_KB)):
            print('pages %s: %d kB before the tests, %d kB after (%+d kB; tolerance %d kB)'
                  % (what, before, after, after - before, tol))
            if before - after > tol:
                errors.append('%d kB fewer pages %s after the tests than before (tolerance %d kB)'
                              % (before - after, what, tol))

    mappings = section(lines, 'dma-api mappings')
    own = IOMMU_REPORTS.get(iommu, {}).get('own dma')
    if mappings is None:
        errors.append('no DMA-API debug listing after rmmod')
    else:
        mappings = [ln for ln in mappings if ln.strip()]
        left = [ln for ln in mappings if not (own and re.match(own, ln))]
        if len(left) < len(mappings):
            print("DMA-API debug lists %d allocations of the %s IOMMU's own (its queues and"
                  " tables), as it should" % (len(mappings) - len(left), iommu))
        if left:
            errors.append('DMA mappings left after rmmod:\n    ' + '\n    '.join(left[:10]))
    state = [b for b in bench if b.startswith('dma-api errors')]
    if state != ['dma-api errors 0 disabled N']:
        errors.append('DMA-API debug after rmmod: %s' % (state or 'no state'))
    return errors


def main():
    mode, path = sys.argv[1], sys.argv[2]
    text = open(path, errors='replace').read().replace('\r', '')
    lines = text.split('\n')
    errors = []

    bench = [ln[ln.index(MARK) + len(MARK):] for ln in lines if MARK in ln]
    for b in bench:
        if b.startswith('booted '):
            print('guest: ' + b)
    if 'done' not in bench:
        errors.append('the guest did not reach the end of its script')
    errors += ['guest: ' + b for b in bench if b.startswith('FAIL')]

    arch = sys.argv[3] if len(sys.argv) > 3 else None
    g = guest(arch, mode) if arch else {'iommu': '-', 'edu': 'no'}
    iommu_complaints, faults = iommu_reports(lines, g['iommu'])
    complaints = [ln for ln in lines if COMPLAINT_RE.search(ln)] + iommu_complaints
    if complaints:
        errors.append('the kernel complained:\n    ' +
                      '\n    '.join(complaints[:20]))
    if g['iommu'] != '-':
        print('%s IOMMU faults reported (as the edu test wants): %d' % (g['iommu'], len(faults)))
        if not faults:
            errors.append('the %s IOMMU reported no fault: it did not stop the edu test\'s'
                          ' DMA outside its buffer' % g['iommu'])
    if mode != 'bench':
        errors += judge_kmemleak(lines, bench)
        errors += judge_invariants(lines, bench, g['iommu'])

    passed = failed = skipped = 0
    if mode not in ('demo', 'bench'):
        listing = sys.argv[4]
        programs = open(listing).read().split()
        devices = ['edu'] if g['edu'] == 'yes' else []
        passed, failed, skipped, errs = ktap(lines, '%s-%s' % (arch, mode), programs, devices)
        errors += errs
    else:
        show_output(lines, mode)
        if '%s exit 0' % mode not in bench:
            errors.append('the %s did not exit with 0' % mode)

    with open(path + '.counts', 'w') as f:
        f.write('%d %d %d\n' % (passed, failed, skipped))
    if errors:
        for e in errors:
            print('FAILED: %s' % e, file=sys.stderr)
        print('full guest log: %s' % path, file=sys.stderr)
        sys.exit(1)
    print('guest log clean: no warnings, splats, KASAN, DMA-API or kmemleak reports;'
          ' nothing left behind')


def ktap(lines, run, programs, devices):
    """Count the kselftest harness's subtests ('# ok N name'); judge skips
    (RUN is the guest, ARCH-MODE, with DEVICES), and that each of PROGRAMS
    ran to its end with as many results as planned."""
    passed = failed = skipped = 0
    errors, skips = [], []
    prog, plan, results, totals = None, None, 0, False
    ended = {}
    for ln in lines:
        m = re.match(r'^# selftests: \S+ (\S+)$', ln)
        if m:
            prog, plan, results, totals = m.group(1), None, 0, False
            continue
        m = re.match(r'^# 1\.\.(\d+)$', ln)
        if m and prog:
            plan = int(m.group(1))
            continue
        if re.match(r'^# # Totals: ', ln):
            totals = True
            continue
        m = re.match(r'^(# )?(not ok|ok) \d+ (.*)$', ln)
        if not m:
            continue
        nested, status, rest = m.groups()
        name, _, directive = rest.partition(' # ')
        skip = directive.upper().startswith('SKIP')
        if not nested:
            if status == 'not ok' and not skip:
                errors.append('kselftest program failed: %s' % rest)
            if prog:
                ended[prog] = (plan, results, totals, skip, directive)
            prog = None
            continue
        results += 1
        if skip:
            skipped += 1
            skips.append(('%s/%s' % (prog, name), directive[4:].strip()))
        elif status == 'ok':
            passed += 1
            print('PASS  %s' % name)
        else:
            failed += 1
            print('FAIL  %s' % name)
    for p in programs:
        if p not in ended:
            errors.append('kselftest program %s did not run to its end' % p)
            continue
        plan, results, totals, skip, directive = ended[p]
        if skip:
            skips.append((p, directive[4:].strip()))
        elif plan is None or not totals:
            errors.append('%s printed no plan or no totals: it did not finish' % p)
        elif results != plan:
            errors.append('%s planned %d tests and reported %d' % (p, plan, results))
    for p in allowed_skips.required(devices):
        if p not in programs:
            errors.append('%s must run in a guest with %s, but this one does not run it'
                          % (p, ', '.join(devices)))
    for p in sorted(set(ended) - set(programs)):
        errors.append('kselftest program %s ran but is not in the list' % p)
    errors += allowed_skips.judge(run, 'kselftest', skips, devices)
    if failed:
        errors.append('%d kselftest case(s) failed' % failed)
    if passed == 0:
        errors.append('no kselftest case passed')
    print('kselftest: %d passed, %d failed, %d skipped; programs: %s'
          % (passed, failed, skipped, ', '.join(sorted(ended)) or 'none'))
    return passed, failed, skipped, errors


def show_output(lines, mode):
    """Print what the demo or benchmark program wrote, without the kernel's lines."""
    out, inside = [], False
    for ln in lines:
        if MARK + 'booted' in ln:
            inside = True
            print(ln[ln.index(MARK) + len(MARK):])
            continue
        if MARK + mode + ' exit' in ln:
            break
        if inside and not re.match(r'^\[\s*\d+\.\d+\]', ln):
            out.append(ln)
    print('---- %s output ----' % mode)
    print('\n'.join(out))
    print('---------------------')


if __name__ == '__main__':
    main()
