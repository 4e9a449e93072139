"""The cases twemproxy's own memcached integration tests check (tests/test_memcache), run with
the client they use (python-memcached) against the proxy at HOST:PORT given as argv[1].
Exits non-zero with the failing case on stderr."""
import random
import sys

import memcache

client = memcache.Client([sys.argv[1]])


def check(condition, what):
    if not condition:
        sys.stderr.write('FAILED: %s\n' % what)
        sys.exit(1)


# Basic: a value, a counter incremented ten times, a delete.
check(client.set('k', 'v'), 'set k')
check(client.get('k') == 'v', 'get k')
client.set('counter', '1')
for i in range(10):
    client.incr('counter')
    check(client.get('counter') == str(i + 2), 'counter after %d increments' % (i + 1))
client.delete('counter')
check(client.get('counter') is None, 'counter deleted')


def multi(count):
    values = {'kkk-%d' % i: 'vvv-%d' % i for i in range(count)}
    check(client.set_multi(values) == [], 'set_multi of %d keys' % count)
    keys = sorted(values)
    check(client.get_multi(keys) == values, 'get_multi of %d keys' % count)
    client.delete_multi(keys)
    check(client.get_multi(keys) == {}, 'get_multi of %d deleted keys' % count)


# Multi-get and multi-set of 10 keys, then of 179, 358, ... keys.
multi(10)
for count in range(179, 1000, 179):
    multi(count)

# A multi-get where half the keys do not exist, in random order, twice.
values = {'kkk-%d' % i: 'vvv-%d' % i for i in range(10)}
client.set_multi(values)
keys = list(values) + ['x-' + key for key in values]
random.shuffle(keys)
for _ in range(2):
    found = client.get_multi(keys)
    for key in keys:
        if key in values:
            check(found.get(key) == values[key], 'value of %s' % key)
        else:
            check(key not in found, '%s not found' % key)
client.delete_multi(keys)
check(client.get_multi(keys) == {}, 'all deleted')
print('ok')
