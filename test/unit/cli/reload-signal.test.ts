import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { catchReloadSignal, holdHangups } from '../../../src/cli/run/reload-signal.js';
import { catchesHangup } from './process-fixtures.js';

test('a hangup before run loaded is held, then reloads once the table is there', () => {
  const lines: string[] = [];
  const logger = pino(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString());
        callback();
      },
    }),
  );
  holdHangups();
  assert.ok(catchesHangup(process.pid), 'SIGHUP is caught from then on, so it cannot kill the process');
  process.emit('SIGHUP', 'SIGHUP');

  const reloadWith = catchReloadSignal(logger);
  assert.equal(process.listenerCount('SIGHUP'), 1, 'the early handler handed over');
  let reloads = 0;
  reloadWith(() => {
    reloads += 1;
  });
  assert.equal(reloads, 1, 'the held hangup reloads once the table is there');
  process.emit('SIGHUP', 'SIGHUP');
  assert.equal(reloads, 2, 'later hangups reload at once');
  assert.match(lines.join(''), /SIGHUP during start-up: the table is re-read once it is loaded/);
});
