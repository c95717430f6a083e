import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from '../../../../src/dataplane/http/client-address-key.js';

test('addressKey: IPv4 as is (also IPv4-mapped), IPv6 by its /64, a non-address as it is', () => {
  assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
  assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  for (const address of ['2001:db8:0:1::1', '2001:db8:0:1:a:b:c:d', '2001:0db8:0000:0001::ffff'])
    assert.equal(addressKey(address), '2001:db8:0:1::/64', address);
  assert.equal(addressKey('2001:0db8:0001:0002:ffff:0:0:20'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(addressKey('64:ff9b::192.0.2.7'), '64:ff9b:0:0::/64');
  assert.equal(addressKey('1:2:3:4:5:6:192.0.2.7'), '1:2:3:4::/64');
  assert.equal(addressKey('unknown'), 'unknown');
  assert.equal(addressKey('not:an:address'), 'not:an:address');
});
