import { parseCliArguments } from '../lib/rehearsal/cli-arguments';
import { EXIT_CODES, RehearsalInputError } from '../lib/rehearsal/errors';

describe('parseCliArguments', () => {
  test('rehearse with every option, in both spellings', () => {
    expect(parseCliArguments(['rehearse', 'cdktf.out/stacks/x', '--cluster', 'demo', '--nodes-per-role', '3', '--keep-going'])).toEqual({
      command: 'rehearse',
      stack: 'cdktf.out/stacks/x',
      clusterName: 'demo',
      nodesPerRole: 3,
      keepGoing: true,
    });
    expect(parseCliArguments(['rehearse', '--cluster=demo', '--nodes-per-role=1'])).toEqual({ command: 'rehearse', clusterName: 'demo', nodesPerRole: 1, keepGoing: false });
  });

  test('cleanup and help', () => {
    expect(parseCliArguments(['cleanup'])).toEqual({ command: 'cleanup', force: false });
    expect(parseCliArguments(['cleanup', '--force'])).toEqual({ command: 'cleanup', force: true });
    expect(parseCliArguments([])).toEqual({ command: 'help' });
    expect(parseCliArguments(['--help'])).toEqual({ command: 'help' });
  });

  test.each([
    [['deploy'], 'unknown command "deploy"'],
    [['rehearse', '--nodes-per-role', 'two'], '--nodes-per-role is two'],
    [['rehearse', '--nodes-per-role', '0'], '--nodes-per-role is 0'],
    [['rehearse', '--cluster'], '--cluster needs a value'],
    [['rehearse', '--fast'], 'unknown option --fast'],
    [['rehearse', 'a', 'b'], 'one stack at a time'],
    [['cleanup', '--all'], 'cleanup takes only --force'],
  ])('%j is a usage error (exit 2): %s', (argv, message) => {
    const parse = () => parseCliArguments(argv);
    expect(parse).toThrow(RehearsalInputError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (e) {
      expect((e as RehearsalInputError).exitCode).toBe(EXIT_CODES.badInput);
    }
  });
});
