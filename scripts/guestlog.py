#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""guestlog.py MODE LOG: judge a test guest's serial log.

Fails when the guest did not finish, when the kernel complained (warning,
BUG, KASAN, lockdep, DMA-API debug, kmemleak, oops, panic), and in selftest
mode when any kselftest failed or none ran. Skips are counted as skips.
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


def main():
    mode, path = sys.argv[1], sys.argv[2]
    text = open(path, errors='replace').read().replace('\r', '')
    lines = text.split('\n')
    errors = []

    bench = [ln[ln.index(MARK) + len(MARK):] for ln in lines if MARK in ln]
    if 'done' not in bench:
        errors.append('the guest did not reach the end of its script')
    errors += ['guest: ' + b for b in bench if b.startswith('FAIL')]

    complaints = [ln for ln in lines if COMPLAINT_RE.search(ln)]
    if complaints:
        errors.append('the kernel complained:\n    ' +
                      '\n    '.join(complaints[:20]))

    passed = failed = skipped = 0
    if mode == 'selftest':
        passed, failed, skipped, errs = ktap(lines)
        errors += errs
    elif mode == 'demo':
        show_demo(lines)
        if 'demo exit 0' not in bench:
            errors.append('the demo did not exit with 0')

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


def show_demo(lines):
    out, inside = [], False
    for ln in lines:
        if MARK + 'booted' in ln:
            inside = True
            continue
        if MARK + 'demo exit' in ln:
            break
        if inside and not re.match(r'^\[\s*\d+\.\d+\]', ln):
            out.append(ln)
    print('---- demo output ----')
    print('\n'.join(out))
    print('---------------------')


if __name__ == '__main__':
    main()
