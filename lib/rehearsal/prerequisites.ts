import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingPrerequisitesError } from './errors';

/** How the probe processes send ICMP echoes: `ping` if installed, else a raw socket from perl-base. */
export interface IcmpTool {
  readonly kind: 'ping' | 'perl';
  readonly path: string;
}

/** Absolute paths of the programs the rehearsal runs. */
export interface Tools {
  readonly ip: string;
  readonly nft: string;
  readonly bridge: string;
  readonly icmp: IcmpTool;
  /** perl, for the IP-in-IP tunnel; undefined when not installed. */
  readonly perl?: string;
}

/** What the clusters to rehearse need beyond the basics. */
export interface Needs {
  /**
   * An IP-in-IP datapath: perl and a TUN device run its tunnel.
   * @default false
   */
  readonly ipip?: boolean;
}

export interface Environment {
  readonly platform: string;
  readonly uid?: number;
  /** Finds an executable by name, or undefined. */
  readonly which: (name: string) => string | undefined;
  /** Whether a device node can be opened for reading and writing. */
  readonly canOpen: (path: string) => boolean;
}

/** The machine this process runs on. */
export function currentEnvironment(): Environment {
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    which: findExecutable,
    canOpen: (path) => {
      try {
        accessSync(path, constants.R_OK | constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * The tools the rehearsal needs, or a `MissingPrerequisitesError` (exit code 3) listing every
 * missing thing with the Debian package that provides it.
 */
export function checkPrerequisites(env: Environment = currentEnvironment(), needs: Needs = {}): Tools {
  const missing: string[] = [];
  if (env.platform !== 'linux') {
    missing.push(`Linux (network namespaces, veth, VXLAN and nftables are Linux features; this is ${env.platform})`);
  }
  if (env.uid !== 0) {
    missing.push(`root (creating network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN; running as uid ${env.uid ?? 'unknown'}; try sudo)`);
  }
  const tool = (name: string, pkg: string): string => {
    const path = env.which(name);
    if (!path) {
      missing.push(`${name} (Debian package ${pkg})`);
    }
    return path ?? name;
  };
  const ip = tool('ip', 'iproute2');
  const nft = tool('nft', 'nftables');
  const bridge = tool('bridge', 'iproute2');
  const ping = env.which('ping');
  const perl = env.which('perl');
  if (!ping && !perl) {
    missing.push('ping (Debian package iputils-ping) or perl (Debian package perl-base), to send ICMP echoes');
  }
  if (needs.ipip && !perl) {
    missing.push('perl (Debian package perl-base), which runs the IP-in-IP tunnel');
  }
  if (needs.ipip && !env.canOpen('/dev/net/tun')) {
    missing.push('/dev/net/tun (the TUN device of the IP-in-IP tunnel; in a container, pass --device /dev/net/tun)');
  }
  if (missing.length > 0) {
    throw new MissingPrerequisitesError(missing);
  }
  return { ip, nft, bridge, icmp: ping ? { kind: 'ping', path: ping } : { kind: 'perl', path: perl! }, ...(perl ? { perl } : {}) };
}

/** Looks in PATH and the sbin directories (often not on a user's PATH, though `ip` lives there). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
