import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_FOUND_EXIT, TIMED_OUT_EXIT } from '../e2e/command';
import { DiskWorkspace, ProcessRunner, SystemClock } from '../e2e/process-runner';

// The end-to-end runner's real command runner and workspace, with node programs as the commands:
// what they get (arguments, environment, input), what comes back, and how a program that runs too
// long, or is interrupted, is stopped.

const node = process.execPath;
const runner = new ProcessRunner(tmpdir(), 300);

const script = (code: string) => ['-e', code];
const scratch = mkdtempSync(join(tmpdir(), 'kubeadm-e2e-runner-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A program that writes `ready` once its handlers are in place, and the wait for it. */
const whenReady = (name: string) => {
  const file = join(scratch, name);
  return {
    mark: `require('fs').writeFileSync(${JSON.stringify(file)}, '');`,
    wait: async () => {
      for (let i = 0; i < 300 && !existsSync(file); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    },
  };
};

describe('ProcessRunner', () => {
  test('passes arguments, environment and input, and returns both streams and the exit code', async () => {
    const result = await runner.run({
      program: node,
      args: [...script("let i='';process.stdin.on('data',d=>i+=d).on('end',()=>{console.log(process.argv[1], process.env.E2E_X, i); console.error('warn'); process.exit(3)})"), 'first arg'],
      env: { E2E_X: 'from env' },
      input: 'from stdin',
      timeoutMs: 20_000,
    });
    expect(result).toEqual({ exitCode: 3, stdout: 'first arg from env from stdin\n', stderr: 'warn\n' });
  });

  test('a program that is not on the PATH exits 127', async () => {
    const result = await runner.run({ program: 'kubeadm-e2e-no-such-program', args: [], timeoutMs: 5_000 });
    expect(result.exitCode).toBe(NOT_FOUND_EXIT);
    expect(result.stderr).toContain('ENOENT');
  });

  test('a program that runs too long gets an interrupt first, time to stop, and exits 124', async () => {
    // sh sets its trap at once, so the interrupt cannot come before the handler.
    const result = await runner.run({ program: 'sh', args: ['-c', "trap 'echo stopping cleanly; exit 1' INT; while :; do sleep 0.05; done"], timeoutMs: 1000 });
    expect(result).toMatchObject({ exitCode: TIMED_OUT_EXIT, stdout: 'stopping cleanly\n' });
  });

  test('one that ignores the interrupt and the termination is killed after the grace time', async () => {
    const started = Date.now();
    const result = await runner.run({ program: 'sh', args: ['-c', "trap '' INT TERM; echo ignoring; while :; do sleep 0.05; done"], timeoutMs: 200 });
    expect(result).toMatchObject({ exitCode: TIMED_OUT_EXIT, stdout: 'ignoring\n' });
    // The deadline, then twice the grace (interrupt, termination, kill).
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('interruptCurrent passes an interrupt on to the running program', async () => {
    const ready = whenReady('interrupted');
    const running = runner.run({ program: node, args: script(`process.on('SIGINT',()=>{console.log('interrupted');process.exit(130)});${ready.mark}console.log('ready');setInterval(()=>{},1000)`), timeoutMs: 30_000 });
    await ready.wait();
    runner.interruptCurrent();
    expect(await running).toMatchObject({ exitCode: 130, stdout: 'ready\ninterrupted\n' });
  });
});

describe('SystemClock', () => {
  test('sleeps, and wakes at once when the run is interrupted', async () => {
    const clock = new SystemClock();
    const started = clock.now();
    await clock.sleep(50);
    expect(clock.now() - started).toBeGreaterThanOrEqual(45);
    const long = clock.sleep(60_000);
    setTimeout(() => clock.wake(), 20);
    await long;
    expect(clock.now() - started).toBeLessThan(10_000);
  });
});

describe('DiskWorkspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeadm-e2e-workspace-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('writes secrets for their owner only, and makes private temporary folders', () => {
    const files = new DiskWorkspace(dir);
    files.writeText('a/kubeconfig', 'secret', { secret: true });
    files.writeText('report.json', '{}');
    expect(statSync(join(dir, 'a/kubeconfig')).mode & 0o777).toBe(0o600);
    expect(files.readText('a/kubeconfig')).toBe('secret');
    expect(files.readText('missing')).toBeUndefined();
    const temp = files.makeTempDir();
    expect(statSync(temp).mode & 0o777).toBe(0o700);
    files.remove(temp);
    expect(files.readText(temp)).toBeUndefined();
  });
});
