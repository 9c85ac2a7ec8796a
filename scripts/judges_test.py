#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""judges_test.py: the log judges must fail on every defect they look for.

Builds a small clean guest log the way guest-init writes one, checks that
guestlog.py passes it, then breaks it in one way at a time (a kernel
complaint, a skip, a leak, a buffer left over...) and checks that
guestlog.py fails each. Does the same for kunit_results.py with a small
kunit.py result. Run by 'make check' before anything is built.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
B = 'GDMABUF-BENCH: '

KTAP_PROGRAM = '''# selftests: drivers/misc/gdmabuf: {prog}
# TAP version 13
# 1..2
# # Starting 2 tests from 1 test cases.
# #  RUN           ctl.one ...
# #            OK  ctl.one
# ok 1 ctl.one
# #  RUN           ctl.two ...
# #            OK  ctl.two
# ok 2 ctl.two
# # PASSED: 2 / 2 tests passed.
# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0
ok {n} selftests: drivers/misc/gdmabuf: {prog}'''

KNOWN_LEAK = '''unreferenced object 0xffff888004e1c000 (size 1672):
  comm "kunit_try_catch", pid 52, jiffies 4294894337
  backtrace (crc 5c46bf50):
    kmem_cache_alloc_noprof+0x114/0x200
    mm_alloc+0x1c/0x50
    kunit_vm_mmap_init+0x94/0x244
    kunit_vm_mmap+0x11c/0x160'''

OWN_LEAK = '''unreferenced object 0xffff888004e1d000 (size 64):
  comm "kunit_try_catch", pid 52, jiffies 4294894337
  backtrace (crc 5c46bf51):
    kmalloc_trace_noprof+0x114/0x200
    gdmabuf_mmap+0x1c/0x50 [gdmabuf]
    mmap_region+0x94/0x244
    kunit_vm_mmap_init+0x94/0x244
    kunit_vm_mmap+0x11c/0x160'''


PAGES = ('MemFree: {free} kB CmaFree: {cma} kB Cached: 20000 kB Buffers: 0 kB '
         'AnonPages: 300 kB Slab: {slab} kB KernelStack: 900 kB PageTables: 1200 kB '
         'Percpu: 800 kB VmallocUsed: 7000 kB PerCpuLists: 30000 kB')


def clean_log():
    parts = [
        '[    0.000000] Linux version 6.12.117',
        B + 'booted 6.12.117 x86_64, mode selftest',
        B + 'pages before: ' + PAGES.format(free=5000000, cma=2150000, slab=90000),
        B + 'kunit begin', B + 'kunit end',
        KTAP_PROGRAM.format(prog='gdmabuf_test', n=1),
        KTAP_PROGRAM.format(prog='gdmabuf_export_test', n=2),
        B + 'kselftest exit 0',
        B + 'gdmabuf buffers begin',
        'id           size type           layout          segments  maps   pid comm',
        'total: 0 bytes of 4294967296 allowed, largest buffer 0',
        B + 'gdmabuf buffers end',
        B + 'pages after: ' + PAGES.format(free=4900000, cma=2149000, slab=186000),
        B + 'dma-api mappings begin', B + 'dma-api mappings end',
        B + 'dma-api errors 0 disabled N',
        '[  300.000000] kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
        B + 'kmemleak report 1 begin', KNOWN_LEAK, B + 'kmemleak report 1 end',
        B + 'kmemleak report 2 begin', KNOWN_LEAK, B + 'kmemleak report 2 end',
        B + 'kmemleak scan done',
        B + 'done',
    ]
    return '\n'.join(parts) + '\n'


def replace(old, new):
    return lambda log: log.replace(old, new, 1) if old in log else None


def insert_before(mark, text):
    return replace(mark, text + '\n' + mark)


BROKEN_LOGS = {
    'warning': insert_before(B + 'kunit end', '[   10.0] WARNING: CPU: 0 PID: 1 at mm/foo.c:1'),
    'arm64 call trace': insert_before(B + 'kunit end', '[   10.0] Call trace:'),
    'kernel BUG at': insert_before(B + 'kunit end', '[   10.0] kernel BUG at mm/huge_memory.c:2640!'),
    'non-static key': insert_before(
        B + 'kunit end', '[   10.0] INFO: trying to register non-static key.'),
    'RCU stall': insert_before(
        B + 'kunit end', '[   10.0] rcu: INFO: rcu_sched self-detected stall on CPU'),
    'hung task': insert_before(
        B + 'kunit end', '[  200.0] INFO: task gdmabuf_test:88 blocked for more than 120 seconds.'),
    'DMA-API debug off': insert_before(
        B + 'kunit end', '[   10.0] DMA-API: debugging out of memory - disabling'),
    'kmemleak pool empty': insert_before(
        B + 'kunit end', '[   10.0] kmemleak: Memory pool empty, consider increasing'),
    'kmemleak off': insert_before(
        B + 'kunit end', '[   10.0] kmemleak: Kernel memory leak detector disabled'),
    'printk dropped': insert_before(
        B + 'kunit end', '[   10.0] ** 12 printk messages dropped **'),
    'not finished': replace(B + 'done\n', ''),
    'guest FAIL': insert_before(B + 'done', B + 'FAIL rmmod gdmabuf'),
    'failed case': replace('# ok 2 ctl.two', '# not ok 2 ctl.two'),
    'skipped case': replace('# ok 2 ctl.two', '# ok 2 ctl.two # SKIP no CMA?'),
    'skipped program': replace('ok 2 selftests: drivers/misc/gdmabuf: gdmabuf_export_test',
                               'ok 2 selftests: drivers/misc/gdmabuf: gdmabuf_export_test # SKIP'),
    'program missing': replace(KTAP_PROGRAM.format(prog='gdmabuf_export_test', n=2), ''),
    'fewer results than planned': replace('# ok 2 ctl.two\n', ''),
    'no totals': replace('# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:0 error:0\n', ''),
    'own leak': replace(B + 'kmemleak report 2 end', OWN_LEAK + '\n' + B + 'kmemleak report 2 end'),
    'count above report': replace('kmemleak: 1 new', 'kmemleak: 2 new'),
    'no kmemleak scan': replace(B + 'kmemleak scan done\n', ''),
    'buffer left': replace('total: 0 bytes',
                           '7        4096 cached         contiguous             1        1    88 x\n'
                           'total: 4096 bytes'),
    'total not 0': replace('total: 0 bytes', 'total: 4096 bytes'),
    'no listing': replace(B + 'gdmabuf buffers begin', B + 'gdmabuf buffers'),
    'pages lost': replace('MemFree: 4900000', 'MemFree: 4880000'),
    'CMA lost': replace('CmaFree: 2149000', 'CmaFree: 2070000'),
    'counter missing': replace('PageTables: 1200 kB ', ''),
    'DMA mapping left': replace(
        B + 'dma-api mappings end',
        'gdmabuf gdmabuf single idx 1 P=0x1000 D=1000 L=1000 cln=0x40 DMA_BIDIRECTIONAL '
        'dma map error checked\n' + B + 'dma-api mappings end'),
    'DMA-API errors': replace('dma-api errors 0', 'dma-api errors 3'),
}

KUNIT_JSON = {'name': 'KUnit Test Group', 'test_cases': [], 'sub_groups': [
    {'name': 'gdmabuf_buffer', 'test_cases': [{'name': 'gdmabuf_plain', 'status': 'PASS'}],
     'sub_groups': [{'name': 'gdmabuf_buffer_sync_maintenance', 'sub_groups': [],
                     'test_cases': [{'name': 'cached', 'status': 'SKIP'}]}]}]}
KUNIT_SOURCE = '''static struct kunit_suite gdmabuf_buffer_suite = {
	.name = "gdmabuf_buffer",
	KUNIT_CASE(gdmabuf_plain),
	KUNIT_CASE_PARAM(gdmabuf_buffer_sync_maintenance, gen),
'''
KUNIT_SUMMARY = 'Testing complete. Ran 2 tests: passed: 1, skipped: 1\n'


def run(args):
    return subprocess.run([sys.executable] + args, capture_output=True, text=True).returncode


def main():
    bad = []
    with tempfile.TemporaryDirectory() as d:
        programs = os.path.join(d, 'programs')
        open(programs, 'w').write('gdmabuf_test\ngdmabuf_export_test\n')
        log = os.path.join(d, 'guest.log')
        guestlog = [os.path.join(HERE, 'guestlog.py'), 'selftest', log, 'x86_64', programs]
        open(log, 'w').write(clean_log())
        if run(guestlog):
            bad.append('guestlog.py fails the clean log')
        for name, breaker in BROKEN_LOGS.items():
            broken = breaker(clean_log())
            if broken is None:
                bad.append('%s: the clean log has no place to break' % name)
                continue
            open(log, 'w').write(broken)
            if run(guestlog) == 0:
                bad.append('guestlog.py passes a log with: %s' % name)

        src = os.path.join(d, 'src')
        os.mkdir(src)
        jpath, parsed, counts = (os.path.join(d, n) for n in ('k.json', 'k.txt', 'k.counts'))
        kunit = [os.path.join(HERE, 'kunit_results.py'), 'x86_64', jpath, parsed, src, counts]

        def kunit_case(source, tree, summary):
            open(os.path.join(src, 'gdmabuf_kunit.c'), 'w').write(source)
            json.dump(tree, open(jpath, 'w'))
            open(parsed, 'w').write(summary)
            return run(kunit)

        if kunit_case(KUNIT_SOURCE, KUNIT_JSON, KUNIT_SUMMARY):
            bad.append('kunit_results.py fails a clean run')
        broken_kunit = {
            'crashed': (KUNIT_SOURCE, KUNIT_JSON, KUNIT_SUMMARY.replace(
                'passed: 1,', 'passed: 1, crashed: 1,')),
            'no summary': (KUNIT_SOURCE, KUNIT_JSON, ''),
            'case not run': (KUNIT_SOURCE + '\tKUNIT_CASE(gdmabuf_other),\n',
                             KUNIT_JSON, KUNIT_SUMMARY),
            'suite not run': (KUNIT_SOURCE + 'static struct kunit_suite s = {\n'
                              '\t.name = "gdmabuf_more",\n', KUNIT_JSON, KUNIT_SUMMARY),
            'skip not allowed': (KUNIT_SOURCE.replace('sync_maintenance', 'other_test'),
                                 json.loads(json.dumps(KUNIT_JSON).replace(
                                     'sync_maintenance', 'other_test')), KUNIT_SUMMARY),
            'failed': (KUNIT_SOURCE, json.loads(json.dumps(KUNIT_JSON).replace(
                '"PASS"', '"FAIL"')), KUNIT_SUMMARY),
        }
        for name, case in broken_kunit.items():
            if kunit_case(*case) == 0:
                bad.append('kunit_results.py passes a run with: %s' % name)

    for b in bad:
        print('FAILED: %s' % b, file=sys.stderr)
    if bad:
        sys.exit(1)
    print('judges: the clean logs pass; %d broken guest logs and %d broken KUnit runs fail'
          % (len(BROKEN_LOGS), len(broken_kunit)))


if __name__ == '__main__':
    main()
