import { parseArguments, UsageError } from '../e2e/options';

// The end-to-end runner's command line: its defaults, and every refusal with what to type instead.

const refusal = (argv: string[]): string => {
  try {
    parseArguments(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message.split('\n')[0];
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

describe('e2e command line', () => {
  test('defaults: the default example at the library default version, with the cloud check, destroyed, reported to e2e-report.json', () => {
    expect(parseArguments(['--region', 'eu-west-1'])).toEqual({
      region: 'eu-west-1',
      example: 'default',
      kubernetesVersion: '1.36.4',
      cloudCheck: true,
      restoreDrill: false,
      keep: false,
      destroyOnly: false,
      report: 'e2e-report.json',
    });
  });

  test('every option, as --flag value and --flag=value', () => {
    expect(
      parseArguments(['--region=us-east-2', '--example', 'calico', '--kubernetes-version', '1.35.4', '--upgrade-to=1.36.4', '--skip-cloud-check', '--restore-drill', '--keep', '--report', 'out/run.json']),
    ).toEqual({ region: 'us-east-2', example: 'calico', kubernetesVersion: '1.35.4', upgradeTo: '1.36.4', cloudCheck: false, restoreDrill: true, keep: true, destroyOnly: false, report: 'out/run.json' });
    expect(parseArguments(['--region', 'eu-west-1', '--kubernetes-version', '1.36.3', '--upgrade-to', '1.36.4'])?.upgradeTo).toBe('1.36.4');
    expect(parseArguments(['--help'])).toBeUndefined();
  });

  test.each([
    [[], '--region is required: the run creates everything there (for example --region eu-west-1)'],
    [['--region', 'Ireland'], '--region "Ireland" is not an AWS region name (for example eu-west-1)'],
    [['--region'], '--region needs a value'],
    [['--region', 'eu-west-1', '--regoin', 'x'], 'unknown argument "--regoin"'],
    [['--region', 'eu-west-1', '--example', '../lib'], '--example "../lib" is not a folder name under examples/'],
    [['--region', 'eu-west-1', '--kubernetes-version', '1.37.0'], "--kubernetes-version 1.37.0: 1.37 is newer than this library has been checked against (1.34 to 1.36); choose a release from 1.34 to 1.36, for example '1.36.4'"],
    [['--region', 'eu-west-1', '--upgrade-to', '1.36.4'], '--upgrade-to 1.36.4 is not an upgrade the cluster accepts from 1.36.4 (it moves one minor at a time, forward): give --kubernetes-version a release of 1.35 or 1.36 older than 1.36.4, for example 1.35.0'],
    [['--region', 'eu-west-1', '--kubernetes-version', '1.34.2', '--upgrade-to', '1.36.4'], '--upgrade-to 1.36.4 is not an upgrade the cluster accepts from 1.34.2 (it moves one minor at a time, forward): give --kubernetes-version a release of 1.35 or 1.36 older than 1.36.4, for example 1.35.0'],
    [['--region', 'eu-west-1', '--kubernetes-version', '1.36.4', '--upgrade-to', '1.35.6'], '--upgrade-to 1.35.6 is not an upgrade the cluster accepts from 1.36.4 (it moves one minor at a time, forward): give --kubernetes-version a release of 1.34 or 1.35 older than 1.35.6, for example 1.34.0'],
    [['--region', 'eu-west-1', '--destroy-only', '--restore-drill'], '--destroy-only only destroys: leave out --keep, --restore-drill and --upgrade-to'],
    [['--region', 'eu-west-1', '--report', 'report.txt'], '--report "report.txt" must end in .json (the table goes beside it as .txt)'],
    [['--region', 'eu-west-1', '--keep=yes'], 'unknown argument "--keep=yes"'],
  ])('refuses %j', (argv, message) => {
    expect(refusal(argv)).toBe(message);
  });

  test('a refusal ends with the usage', () => {
    expect(() => parseArguments([])).toThrow(/\n\nnpm run e2e -- --region <region> \[options\]/);
  });
});
