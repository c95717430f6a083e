import type { ErrorCode } from '../errors.js';

/** Distinct exit codes so scripts and orchestrators can tell failures apart without parsing text. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  dockerUnreachable: 3,
  dockerPermission: 4,
  dockerApiTooOld: 5,
  dockerNotSwarm: 6,
  config: 7,
} as const;

export function exitCodeFor(code: ErrorCode | undefined): number {
  switch (code) {
    case 'SG_ERR_DOCKER_UNREACHABLE':
      return ExitCode.dockerUnreachable;
    case 'SG_ERR_DOCKER_PERMISSION':
      return ExitCode.dockerPermission;
    case 'SG_ERR_DOCKER_API_TOO_OLD':
      return ExitCode.dockerApiTooOld;
    case 'SG_ERR_DOCKER_NOT_SWARM':
      return ExitCode.dockerNotSwarm;
    case 'SG_ERR_CONFIG':
    case 'SG_ERR_DOCKER_CONFIG':
      return ExitCode.config;
    default:
      return ExitCode.failure;
  }
}
