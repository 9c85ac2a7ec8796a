#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""guestlog.py MODE LOG: judge a test guest's serial log.

Fails when the guest did not finish, when the kernel complained (warning,
BUG, KASAN, lockdep, DMA-API debug, kmemleak, oops, panic), in selftest
mode when any kselftest failed or none ran, and in demo and bench mode when
the program did not exit with 0 (the benchmark's numbers are never judged).
Skips are counted as skips.
Writes the counts next to the log as LOG.counts ("passed failed skipped").
"""
import re
import sys

# Kernel complaints; each is a failure wherever it appears in the log.
COMPLAINTS = [
    r'WARNING:', r'\bBUG:', r'BUG: KASAN', r'------------\[ cut here \]',
    r'Call Trace:', r'\bOops\b', r'general protection fault',
    r'Kernel panic', r'DEBUG_LOCKS_WARN_ON', r'possible recursive locking',
    r'circular locking dependency', r'suspicious RCU usage',
    r'DMA-API: .*(device driver|failed to|leak)',
    r'unreferenced object 0x', r'kmemleak: \d+ new suspected memory leaks',
    r'INFO: task .* blocked', r'scheduling while atomic',
    r'sleeping function called from invalid context', r'UBSAN:',
]
COMPLAINT_RE = re.compile('|'.join(COMPLAINTS))
MARK = 'GDMABUF-BENCH: '
# Leaks that are not gdmabuf's, each with why. kunit_vm_mmap() in 6.12
# never frees the mm it attaches to the test thread.
KNOWN_LEAKS = {
    'kunit_vm_mmap_init': "6.12's kunit_vm_mmap() leaks the test thread's mm",
}


def known_leak_lines(lines):
    """Indexes of kmemleak report lines of known leaks, and their reasons."""
    skip, reasons, block = set(), [], []

    def close():
        text = '\n'.join(lines[i] for i in block)
        for needle, why in KNOWN_LEAKS.items():
            if needle in text:
                skip.update(block)
                reasons.append(why)
                break

    for i, ln in enumerate(lines):
        if 'unreferenced object 0x' in ln:
            close()
            block = [i]
        elif block and ln.startswith('  '):
            block.append(i)
        elif block:
            close()
            block = []
    close()
    return skip, reasons


def main():
    mode, path = sys.argv[1], sys.argv[2]
    text = open(path, errors='replace').read().replace('\r', '')
    lines = text.split('\n')
    errors = []

    bench = [ln[ln.index(MARK) + len(MARK):] for ln in lines if MARK in ln]
    if 'done' not in bench:
        errors.append('the guest did not reach the end of its script')
    errors += ['guest: ' + b for b in bench if b.startswith('FAIL')]

    skip, reasons = known_leak_lines(lines)
    complaints = [ln for i, ln in enumerate(lines)
                  if i not in skip and COMPLAINT_RE.search(ln)]
    leaks = [ln for ln in complaints if 'unreferenced object' in ln]
    if not leaks:
        # kmemleak's count line stands for the known leaks only
        complaints = [ln for ln in complaints if 'suspected memory leaks' not in ln]
    for why in sorted(set(reasons)):
        print('known leak, not gdmabuf\'s, ignored %d time(s): %s' % (reasons.count(why), why))
    if complaints:
        errors.append('the kernel complained:\n    ' +
                      '\n    '.join(complaints[:20]))

    passed = failed = skipped = 0
    if mode == 'selftest':
        passed, failed, skipped, errs = ktap(lines)
        errors += errs
    elif mode in ('demo', 'bench'):
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
    print('guest log clean: no warnings, splats, KASAN, DMA-API or kmemleak reports')


def ktap(lines):
    """Count the kselftest harness's subtests ('# ok N name')."""
    passed = failed = skipped = 0
    errors = []
    top = 0
    for ln in lines:
        m = re.match(r'^(# )?(not ok|ok) \d+ (.*)$', ln)
        if not m:
            continue
        nested, status, rest = m.groups()
        name, _, directive = rest.partition(' # ')
        skip = directive.upper().startswith('SKIP')
        if not nested:
            top += 1
            if status == 'not ok' and not skip:
                errors.append('kselftest program failed: %s' % rest)
            if skip:
                print('SKIP  %s (%s)' % (name, directive))
            continue
        if skip:
            skipped += 1
            print('SKIP  %s (%s)' % (name, directive[4:].strip()))
        elif status == 'ok':
            passed += 1
            print('PASS  %s' % name)
        else:
            failed += 1
            print('FAIL  %s' % name)
    if top == 0:
        errors.append('no kselftest program ran')
    if failed:
        errors.append('%d kselftest case(s) failed' % failed)
    if passed == 0:
        errors.append('no kselftest case passed')
    print('kselftest: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
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
