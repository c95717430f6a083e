import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { detectSelfContainerId } from '../../../src/discovery/self-container.js';

const ID = 'a'.repeat(12) + '0123456789abcdef'.repeat(3) + 'b'.repeat(4);

async function fakeProc(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string>) {
  const root = await mkdtemp(join(tmpdir(), 'sg-proc-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'self'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(root, 'self', name), text);
  return root;
}

test('reads the container id from the hostname bind mount in mountinfo', async (t) => {
  const root = await fakeProc(t, {
    mountinfo: `612 600 0:50 /var/lib/rig/n1/containers/${ID}/hostname /etc/hostname rw - ext4 /dev/vda rw\n`,
    cgroup: '0::/\n',
  });
  assert.equal(await detectSelfContainerId(root), ID);
});

test('falls back to a cgroup v1 path', async (t) => {
  const root = await fakeProc(t, {
    mountinfo: '1 0 0:1 / / rw - overlay overlay rw\n',
    cgroup: `4:memory:/sgr0/n1/${ID}\n`,
  });
  assert.equal(await detectSelfContainerId(root), ID);
});

test('is undefined outside a container', async (t) => {
  const root = await fakeProc(t, {
    mountinfo: '1 0 0:1 / / rw - ext4 /dev/vda rw\n',
    cgroup: '0::/user.slice\n',
  });
  assert.equal(await detectSelfContainerId(root), undefined);
});
