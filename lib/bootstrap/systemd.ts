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
   * Restart a failed run a bounded number of times, for work a timer also runs again: a short
   * outage then costs minutes, not a timer interval. Exclusive with `retry`.
   * @default - no restart: the timer's next run retries
   */
  readonly restartOnFailure?: RestartBound;
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

/**
 * At most `restarts` restarts after a failed run, `delay` apart. systemd counts every start (the
 * timer's and each restart) against `StartLimitBurst` within `StartLimitIntervalSec` and refuses
 * the one after, so the window must outlast the first run and every restart (each at most the
 * service's timeout plus the delay), or the count starts afresh and the restarts never end. It must
 * also be shorter than the timer's interval, so that the timer's next start is never refused.
 */
export interface RestartBound {
  /** Delay before each restart, for example `2min`. */
  readonly delay: string;
  /** Restarts after the first failed run. */
  readonly restarts: number;
  /** The window systemd counts starts in, for example `45min`. */
  readonly window: string;
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
  if (props.restartOnFailure) {
    if (props.retry) {
      throw new Error(`${props.name}: retry and restartOnFailure exclude each other`);
    }
    const bound = props.restartOnFailure;
    // Restart= on a oneshot needs systemd 244 or later (Ubuntu 24.04 has 255). on-failure covers a
    // non-zero exit and a run stopped by TimeoutStartSec; exit 0 (nothing to do) is never restarted.
    unit.push(['StartLimitIntervalSec', bound.window], ['StartLimitBurst', String(bound.restarts + 1)]);
    service.push(['Restart', 'on-failure'], ['RestartSec', bound.delay]);
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
