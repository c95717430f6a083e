import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseBool,
  parseCookieName,
  parseInteger,
  parseOneOf,
  parsePort,
} from '../../../src/routing/labels/scalars.js';
import { rule, value } from './parsed-assert.js';

describe('scalars', () => {
  test('booleans are true/false in any case', () => {
    assert.equal(value(parseBool('TRUE')), true);
    assert.equal(value(parseBool('False')), false);
    assert.equal(rule(parseBool('yes')), '`true` or `false`');
  });
  test('choices are matched in any case and listed when wrong', () => {
    const sticky = parseOneOf(['cookie', 'none']);
    assert.equal(value(sticky('Cookie')), 'cookie');
    assert.equal(rule(sticky('ip')), 'one of `cookie`, `none`');
  });
  test('ports are 1 to 65535', () => {
    assert.equal(value(parsePort('8080')), 8080);
    for (const bad of ['0', '65536', '80.0', 'http', '-1', '']) {
      assert.equal(rule(parsePort(bad)), 'a port number from 1 to 65535', bad);
    }
  });
  test('priorities are whole numbers, possibly negative', () => {
    assert.equal(value(parseInteger('-5')), -5);
    assert.equal(value(parseInteger('20000')), 20000);
    assert.equal(rule(parseInteger('1e3')), 'a whole number');
    assert.equal(rule(parseInteger('99999999999999999999')), 'a whole number');
  });
  test('cookie names are HTTP tokens', () => {
    assert.equal(value(parseCookieName('JSESSIONID')), 'JSESSIONID');
    for (const bad of ['a b', 'a=b', 'a;b', '"a"', '']) {
      assert.match(rule(parseCookieName(bad)), /a cookie name/, bad);
    }
  });
});
