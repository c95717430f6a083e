import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveDockerEndpoint } from '../../../src/discovery/docker-endpoint.js';
import { SwarmgateError } from '../../../src/errors.js';

function certDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sg-certs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const file of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, file), `${file} contents`);
  return dir;
}

function configError(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof SwarmgateError);
    assert.equal(error.code, 'SG_ERR_DOCKER_CONFIG');
    assert.match(error.message, pattern);
    return true;
  };
}

test('without settings: the default socket', () => {
  assert.deepEqual(resolveDockerEndpoint({ env: {} }), {
    kind: 'unix',
    socketPath: '/var/run/docker.sock',
    display: 'unix:///var/run/docker.sock',
  });
  assert.equal(resolveDockerEndpoint({ env: { DOCKER_HOST: '' } }).kind, 'unix');
});

test('DOCKER_HOST unix:// and tcp:// (default port 2375 without TLS)', () => {
  assert.deepEqual(resolveDockerEndpoint({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } }), {
    kind: 'unix',
    socketPath: '/run/user/1000/docker.sock',
    display: 'unix:///run/user/1000/docker.sock',
  });
  assert.deepEqual(resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://10.0.0.1:2375' } }), {
    kind: 'tcp',
    origin: 'http://10.0.0.1:2375',
    display: 'tcp://10.0.0.1:2375',
  });
  assert.equal(
    resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://docker.internal' } }).display,
    'tcp://docker.internal:2375',
  );
  assert.equal(
    resolveDockerEndpoint({ env: { DOCKER_HOST: 'tcp://[fd00::1]:2375' } }).display,
    'tcp://[fd00::1]:2375',
  );
});

test('the explicit URL wins over DOCKER_HOST', () => {
  const endpoint = resolveDockerEndpoint({
    url: 'unix:///tmp/d.sock',
    env: { DOCKER_HOST: 'tcp://10.0.0.1:2375' },
  });
  assert.equal(endpoint.display, 'unix:///tmp/d.sock');
});

test('DOCKER_TLS_VERIFY reads ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH and defaults to 2376', (t) => {
  const dir = certDir(t);
  const endpoint = resolveDockerEndpoint({
    env: { DOCKER_HOST: 'tcp://manager.example:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
  });
  assert.equal(endpoint.kind, 'tcp');
  assert.equal(endpoint.kind === 'tcp' && endpoint.origin, 'https://manager.example:2376');
  assert.equal(endpoint.kind === 'tcp' && endpoint.tls?.ca.toString(), 'ca.pem contents');
  assert.equal(endpoint.kind === 'tcp' && endpoint.tls?.cert.toString(), 'cert.pem contents');
  assert.equal(endpoint.kind === 'tcp' && endpoint.tls?.key.toString(), 'key.pem contents');

  const defaultPort = resolveDockerEndpoint({
    url: 'tcp://manager.example',
    tlsVerify: true,
    certPath: dir,
    env: {},
  });
  assert.equal(defaultPort.display, 'tcp://manager.example:2376');
});

test('TLS off: DOCKER_TLS_VERIFY empty, 0 or false; explicit tlsVerify: false wins over the env', (t) => {
  const dir = certDir(t);
  for (const value of ['', '0', 'false', 'FALSE']) {
    const endpoint = resolveDockerEndpoint({
      env: { DOCKER_HOST: 'tcp://h:2375', DOCKER_TLS_VERIFY: value, DOCKER_CERT_PATH: dir },
    });
    assert.equal(endpoint.kind === 'tcp' && endpoint.origin, 'http://h:2375', `DOCKER_TLS_VERIFY=${value}`);
  }
  const explicit = resolveDockerEndpoint({
    tlsVerify: false,
    env: { DOCKER_HOST: 'tcp://h:2375', DOCKER_TLS_VERIFY: '1' },
  });
  assert.equal(explicit.kind === 'tcp' && explicit.tls, undefined);
});

test('TLS on a unix socket is ignored, like the docker CLI does', () => {
  const endpoint = resolveDockerEndpoint({
    env: { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/nonexistent' },
  });
  assert.equal(endpoint.kind, 'unix');
});

test('TLS without readable certificates names the missing file; the cert path defaults to ~/.docker', (t) => {
  const dir = certDir(t);
  rmSync(join(dir, 'key.pem'));
  assert.throws(
    () =>
      resolveDockerEndpoint({
        env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir },
      }),
    configError(new RegExp(`${join(dir, 'key.pem')} cannot be read.*DOCKER_CERT_PATH`)),
  );
  assert.throws(
    () =>
      resolveDockerEndpoint({
        env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', HOME: homedir() },
      }),
    configError(new RegExp(`${join(homedir(), '.docker', 'ca.pem')}`)),
  );
});

test('unsupported or malformed addresses are clear SG_ERR_DOCKER_CONFIG errors', () => {
  const cases: [string, RegExp][] = [
    ['npipe:////./pipe/docker_engine', /named pipes are Windows-only/],
    ['ssh://user@host', /expected unix:\/\/\/path\/to\/docker.sock or tcp:\/\/host:port/],
    ['/var/run/docker.sock', /DOCKER_HOST is "\/var\/run\/docker.sock"/],
    ['unix://relative.sock', /must be absolute/],
    ['tcp://host:2375/base', /without a path/],
    ['tcp://host:99999', /not a valid tcp:\/\/host:port/],
    ['tcp://', /not a valid|without a path|tcp:\/\/host:port/],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => resolveDockerEndpoint({ env: { DOCKER_HOST: value } }), configError(pattern), value);
  }
  assert.throws(
    () => resolveDockerEndpoint({ url: 'http://x', env: {} }),
    configError(/the Docker URL option/),
  );
});
