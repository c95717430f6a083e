import type { Logger } from 'pino';

/**
 * Catches SIGHUP from now on; call it before anything that waits, since a hangup without a handler
 * kills the process. A hangup before `reloadWith` is given (start-up: the table is being loaded) is
 * remembered and runs the reload once then; later ones run it at once.
 *
 * @example
 * const reloadWith = catchReloadSignal(logger); // first thing
 * // ... load the first table, subscribe to the source ...
 * reloadWith(() => void source.reload?.());
 */
export function catchReloadSignal(logger: Logger): (reload: () => void) => void {
  let reload: (() => void) | undefined;
  let asked = false;
  process.on('SIGHUP', () => {
    if (reload !== undefined) reload();
    else if (!asked) {
      asked = true;
      logger.info('SIGHUP during start-up: the table is re-read once it is loaded');
    }
  });
  return (given) => {
    reload = given;
    if (asked) given();
  };
}
