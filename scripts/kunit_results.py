#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""kunit_results.py RUN JSON PARSED SRCDIR COUNTS: judge one KUnit run.

JSON is kunit.py's --json output, PARSED its text output (for the summary
line, which counts crashes). Fails when a test failed or crashed, when a
suite or case declared in SRCDIR's KUnit sources did not run, when no test
passed, or when a test skipped that allowed_skips.py does not allow for RUN.
Writes "passed failed skipped" to COUNTS.
"""
import glob
import json
import re
import sys

import allowed_skips


def cases(group, prefix=''):
    """(path, status) of every test case below GROUP, and every group's path."""
    out, groups = [], []
    for sub in group.get('sub_groups', []):
        path = prefix + sub['name']
        groups.append(path)
        o, g = cases(sub, path + '/')
        out += o
        groups += g
    for case in group.get('test_cases', []):
        out.append((prefix + case['name'], case['status']))
    return out, groups


def declared(srcdir):
    """Suite and case names declared by the KUnit sources in SRCDIR."""
    suites, names = set(), set()
    for path in glob.glob(srcdir + '/*kunit*.c'):
        text = open(path).read()
        for m in re.finditer(r'struct kunit_suite \w+ = \{\s*\.name = "(\w+)"', text):
            suites.add(m.group(1))
        for m in re.finditer(r'KUNIT_CASE\w*\((\w+)', text):
            names.add(m.group(1))
    return suites, names


def summary(parsed):
    """kunit.py's counts from its last 'Ran N tests:' line."""
    text = re.sub(r'\x1b\[[0-9;]*m', '', open(parsed, errors='replace').read())
    lines = re.findall(r'Ran (\d+) tests: (.*)', text)
    if not lines:
        return None
    counts = dict((k, int(v)) for k, v in re.findall(r'(\w+): (\d+)', lines[-1][1]))
    counts['total'] = int(lines[-1][0])
    return counts


def main():
    run, jpath, parsed, srcdir, cpath = sys.argv[1:6]
    errors = []
    try:
        tree = json.load(open(jpath))
    except (OSError, ValueError) as e:
        tree = {}
        errors.append('no KUnit results to read (%s)' % e)
    results, groups = cases(tree)
    status = {}
    for path, st in results:
        status.setdefault(st, []).append(path)

    counts = summary(parsed)
    if counts is None:
        errors.append('kunit.py printed no summary: the run did not complete')
        counts = {}
    for kind in ('failed', 'crashed', 'errors'):
        if counts.get(kind):
            errors.append('kunit.py counted %d %s' % (counts[kind], kind))
    for st in ('FAIL', 'ERROR'):
        for path in status.get(st, []):
            errors.append('%s: %s' % (st, path))

    suites, names = declared(srcdir)
    if not suites:
        errors.append('no KUnit suite found in %s' % srcdir)
    ran_suites = set(g for g in groups if '/' not in g)
    for s in sorted(suites - ran_suites):
        errors.append('suite %s did not run' % s)
    ran_names = set(p.split('/')[1] for p in groups + [r[0] for r in results] if '/' in p)
    for n in sorted(names - ran_names):
        errors.append('case %s did not run' % n)

    skipped = [(p, '') for p in status.get('SKIP', [])]
    errors += allowed_skips.judge(run, 'kunit', skipped)

    passed = len(status.get('PASS', []))
    failed = len(status.get('FAIL', [])) + len(status.get('ERROR', []))
    failed = max(failed, counts.get('failed', 0) + counts.get('crashed', 0) +
                 counts.get('errors', 0))
    if passed == 0:
        errors.append('no KUnit test passed')
    with open(cpath, 'w') as f:
        f.write('%d %d %d\n' % (passed, failed, len(skipped)))
    print('kunit (%s): %d passed, %d failed, %d skipped; %d suites, %d cases declared, all ran'
          % (run, passed, failed, len(skipped), len(suites), len(names))
          if not errors else
          'kunit (%s): %d passed, %d failed, %d skipped' % (run, passed, failed, len(skipped)))
    if errors:
        for e in errors:
            print('FAILED: %s' % e, file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    main()
