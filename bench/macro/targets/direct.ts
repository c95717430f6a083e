import { allCpus } from '../layout.js';
import type { Target } from './target.js';

/**
 * The baseline: wrk straight at the origin's first listener. With one core, the origin moves onto the
 * proxy's CPU for the run, so it sees the same CPU split a proxy would.
 */
export const direct: Target = {
  name: 'direct',
  sticky: false,
  answersItself: true,
  config: 'no proxy: wrk → origin listener o1',
  unavailable: () => undefined,
  start: async ({ origin, layout }) => {
    const pinTo = (cpus: string | undefined) => () => origin.pin(cpus ?? allCpus);
    return {
      port: origin.ports[0]!,
      process: origin.process,
      beforeRun: pinTo(layout.proxyCpus),
      afterRun: pinTo(layout.loadCpus),
      stop: async () => {},
    };
  },
};
