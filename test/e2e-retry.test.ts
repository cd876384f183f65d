import type { Command, CommandResult } from '../e2e/command';
import { DEPLOY_RETRY } from '../e2e/deploy';
import { formatDuration, isTransient, RetryContext, runWithRetry, StepError, waitFor, WaitTimeout } from '../e2e/retry';

// Bounded retries and waits of the end-to-end runner, on a clock that moves only when it sleeps.

function context(results: CommandResult[]): RetryContext & { slept: number[]; logs: string[]; calls: number } {
  let time = 0;
  const ctx = {
    slept: [] as number[],
    logs: [] as string[],
    calls: 0,
    runner: { run: async () => (ctx.calls++, results.shift() ?? { exitCode: 0, stdout: 'ok', stderr: '' }) },
    clock: { now: () => time, sleep: async (ms: number) => void (ctx.slept.push(ms), (time += ms)) },
    log: (line: string) => void ctx.logs.push(line),
    interrupted: () => false,
  };
  return ctx;
}

const command: Command = { program: 'aws', args: ['ec2', 'describe-vpcs'], timeoutMs: 1000 };
const failed = (stderr: string, exitCode = 254): CommandResult => ({ exitCode, stdout: '', stderr });

describe('runWithRetry', () => {
  test('tries a transient failure again, waiting twice as long each time, and returns the success', async () => {
    const ctx = context([failed('RequestLimitExceeded'), failed('Could not connect to the endpoint URL')]);
    const result = await runWithRetry(ctx, command, { attempts: 5, delayMs: 1000 }, 'listing VPCs', 'ec2:DescribeVpcs');
    expect(result.stdout).toBe('ok');
    expect(ctx.calls).toBe(3);
    expect(ctx.slept).toEqual([1000, 2000]);
    expect(ctx.logs[0]).toBe('  listing VPCs: try 1 of 5 failed (RequestLimitExceeded); again in 1 s');
  });

  test('gives up after the policy\'s tries, naming the command, its error and what to check', async () => {
    const ctx = context(Array.from({ length: 10 }, () => failed('ThrottlingException: Rate exceeded')));
    const error = await runWithRetry(ctx, command, { attempts: 3, delayMs: 1000 }, 'listing VPCs', 'ec2:DescribeVpcs').then(() => undefined, (e: unknown) => e as StepError);
    if (!error) throw new Error('no error');
    expect(ctx.calls).toBe(3);
    expect(error).toBeInstanceOf(StepError);
    expect(error.message).toBe('listing VPCs failed after 3 tries: ThrottlingException: Rate exceeded (aws ec2 describe-vpcs)');
    expect(error.check).toBe('ec2:DescribeVpcs');
  });

  test('does not retry a failure that waiting cannot mend', async () => {
    const ctx = context([failed('An error occurred (UnauthorizedOperation) when calling the DescribeVpcs operation')]);
    await expect(runWithRetry(ctx, command, { attempts: 5, delayMs: 1000 }, 'listing VPCs', 'x')).rejects.toThrow(/^listing VPCs failed: An error occurred \(UnauthorizedOperation\)/);
    expect(ctx.calls).toBe(1);
  });

  test('transient: throttling, server errors, dropped connections and time-outs; not denials, bad input or a missing program', () => {
    for (const stderr of ['Rate exceeded', 'An error occurred (ServiceUnavailable)', 'Unable to connect to the server: dial tcp 1.2.3.4:6443: i/o timeout', 'net/http: TLS handshake timeout', 'read: connection reset by peer', 'HTTP 503']) {
      expect([stderr, isTransient(failed(stderr))]).toEqual([stderr, true]);
    }
    expect(isTransient(failed('', 124))).toBe(true);
    for (const stderr of ['AccessDenied', 'ValidationError: 1 validation error', 'Error from server (NotFound): nodes "x" not found', 'Unable to locate credentials']) {
      expect([stderr, isTransient(failed(stderr))]).toEqual([stderr, false]);
    }
    expect(isTransient(failed('dial tcp: i/o timeout', 127))).toBe(false);
  });

  test('a deploy is retried for an AWS error of the moment, never for a failed check', () => {
    const retryable = DEPLOY_RETRY.retryable!;
    expect(retryable({ exitCode: 1, stdout: 'aws_launch_template.x: Creating...\n', stderr: 'Error: creating EC2 Launch Template: RequestLimitExceeded' })).toBe(true);
    expect(retryable({ exitCode: 1, stdout: '', stderr: 'Error: job: kubeadm-connectivity-check/pod-network-check is in failed state; Throttling' })).toBe(false);
    expect(retryable({ exitCode: 1, stdout: '', stderr: 'Error: waiting for SSM Association: timeout while waiting for state' })).toBe(false);
    // Words before the first error line (resource names in the plan) do not count.
    expect(retryable({ exitCode: 1, stdout: 'Throttling policy created\n', stderr: 'Error: Invalid value' })).toBe(false);
  });
});

describe('waitFor', () => {
  test('returns once the probe is done, logging each new sight once', async () => {
    const ctx = context([]);
    const seen = ['0/3 Ready', '0/3 Ready', '2/3 Ready', '3/3 Ready'];
    const took = await waitFor(ctx, { what: 'the nodes', timeoutMs: 600_000, intervalMs: 30_000, check: 'kubectl get nodes', probe: async () => ({ done: seen[0] === '3/3 Ready', seen: seen.shift()! }) });
    expect(took).toBe(90_000);
    expect(ctx.logs).toEqual(['  waiting for the nodes (0 s of 10 min 00 s): 0/3 Ready', '  waiting for the nodes (1 min 00 s of 10 min 00 s): 2/3 Ready']);
  });

  test('gives up at its deadline with what it waited for, what it last saw, and what to check', async () => {
    const ctx = context([]);
    let looks = 0;
    const error = await waitFor(ctx, { what: 'the API server to answer /readyz', timeoutMs: 300_000, intervalMs: 60_000, check: 'apiAccessCidrs', probe: async () => ({ done: false, seen: `connection refused (${++looks})` }) }).then(() => undefined, (e: unknown) => e as WaitTimeout);
    if (!error) throw new Error('no error');
    expect(error).toBeInstanceOf(WaitTimeout);
    expect(error.message).toBe('gave up after 5 min 00 s waiting for the API server to answer /readyz; last seen: connection refused (6)');
    expect(error.check).toBe('apiAccessCidrs');
    expect(looks).toBe(6);
  });

  test('formats durations for people', () => {
    expect([formatDuration(45_000), formatDuration(723_000), formatDuration(3_900_000)]).toEqual(['45 s', '12 min 03 s', '1 h 05 min']);
  });
});
