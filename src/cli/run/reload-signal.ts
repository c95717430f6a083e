import type { Logger } from 'pino';

/** A hangup that came before `catchReloadSignal`, while `run`'s modules were still loading. */
let earlyHangup = false;
const noteEarlyHangup = (): void => {
  earlyHangup = true;
};

/**
 * Catches SIGHUP from the process's first steps: `main` calls it before it loads `run`, whose modules
 * take half a second to import on a slow host, during which a config manager's hangup would kill it.
 * {@link catchReloadSignal} takes over what it caught.
 */
export function holdHangups(): void {
  process.on('SIGHUP', noteEarlyHangup);
}

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
  const onHangup = (): void => {
    if (reload !== undefined) reload();
    else if (!asked) {
      asked = true;
      logger.info('SIGHUP during start-up: the table is re-read once it is loaded');
    }
  };
  process.on('SIGHUP', onHangup);
  process.off('SIGHUP', noteEarlyHangup);
  if (earlyHangup) onHangup();
  return (given) => {
    reload = given;
    if (asked) given();
  };
}
