import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

// Where the real-tool tier finds what .ci/tools builds: the variable .ci/tools exports first, then
// the cache it builds into (README "The real-tool tier").

/**
 * The cache .ci/tools builds into: CDKTF_KUBEADM_TOOLS, else ~/.cache/cdktf-kubeadm-cluster/tools.
 * Read at each call, so that a test may point it elsewhere.
 */
export function toolCache(): string {
  return process.env.CDKTF_KUBEADM_TOOLS ?? join(homedir(), '.cache/cdktf-kubeadm-cluster/tools');
}

/** Whether `path` names a file this process may execute. */
export function executable(path: string | undefined): path is string {
  if (!path) {
    return false;
  }
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable of: the variable `envVar`'s value, then `cachePath` under the cache. */
export function cachedTool(envVar: string, ...cachePath: string[]): string | undefined {
  return [process.env[envVar], join(toolCache(), ...cachePath)].find(executable);
}
