/**
 * systemd unit files as objects: section name to ordered key/value pairs, rendered to the INI form
 * systemd reads. Values are validated to be single lines.
 */
export type UnitSection = ReadonlyArray<readonly [key: string, value: string | number]>;

export interface UnitFile {
  /** File name under /etc/systemd/system, for example `kubeadm-bootstrap.service`. */
  readonly name: string;
  readonly sections: Readonly<Record<string, UnitSection>>;
}

export const SYSTEMD_UNIT_DIR = '/etc/systemd/system';

/** The unit's text as systemd reads it. */
export function renderUnit(unit: UnitFile): string {
  if (!/^[a-z0-9@._-]+\.(service|timer)$/.test(unit.name)) {
    throw new Error(`not a service or timer unit name: ${unit.name}`);
  }
  return Object.entries(unit.sections)
    .map(([section, entries]) => {
      const lines = entries.map(([key, value]) => {
        if (String(value).includes('\n')) {
          throw new Error(`${unit.name} [${section}] ${key}: values are single lines`);
        }
        return `${key}=${value}`;
      });
      return [`[${section}]`, ...lines].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

export interface OneshotServiceProps {
  readonly name: string;
  readonly description: string;
  /** The program to run. */
  readonly execStart: string;
  /**
   * Restart with backoff until the program succeeds, for work that must finish (first boot).
   * @default false - a timer runs it again
   */
  readonly retry?: boolean;
  /**
   * Start at boot (`multi-user.target`), so that a reboot mid-way continues.
   * @default false
   */
  readonly startAtBoot?: boolean;
  /**
   * Upper bound of one run.
   * @default '30min'
   */
  readonly timeout?: string;
}

/** A oneshot service whose output reaches the journal and the console. */
export function oneshotService(props: OneshotServiceProps): UnitFile {
  const unit: Array<[string, string]> = [
    ['Description', props.description],
    ['Wants', 'network-online.target'],
    ['After', 'network-online.target'],
  ];
  const service: Array<[string, string | number]> = [
    ['Type', 'oneshot'],
    ['ExecStart', props.execStart],
    ['TimeoutStartSec', props.timeout ?? '30min'],
    ['StandardOutput', 'journal+console'],
    ['StandardError', 'journal+console'],
  ];
  if (props.retry) {
    // Never give up, but back off from 30 s to 10 min between attempts (systemd 254 and later,
    // Ubuntu 24.04 has 255), so a bad minute costs a retry and a bad hour costs little.
    unit.push(['StartLimitIntervalSec', '0']);
    service.push(['RemainAfterExit', 'yes'], ['Restart', 'on-failure'], ['RestartSec', '30s'], ['RestartSteps', 8], ['RestartMaxDelaySec', '10min']);
  }
  const sections: Record<string, UnitSection> = { Unit: unit, Service: service };
  if (props.startAtBoot) {
    sections.Install = [['WantedBy', 'multi-user.target']];
  }
  return { name: props.name, sections };
}

export interface TimerProps {
  /** Name of the timer; it starts the service of the same name. */
  readonly name: string;
  readonly description: string;
  /** Delay of the first run after boot, for example `5min`. */
  readonly onBoot: string;
  /** Interval between runs, for example `1h`. */
  readonly every: string;
  /**
   * Random spread added to each run, so nodes do not act in the same second.
   * @default '2min'
   */
  readonly randomDelay?: string;
}

/** A timer that runs its service after boot and then at a fixed interval. */
export function timer(props: TimerProps): UnitFile {
  return {
    name: props.name,
    sections: {
      Unit: [['Description', props.description]],
      Timer: [
        ['OnBootSec', props.onBoot],
        ['OnUnitActiveSec', props.every],
        ['RandomizedDelaySec', props.randomDelay ?? '2min'],
      ],
      Install: [['WantedBy', 'timers.target']],
    },
  };
}
