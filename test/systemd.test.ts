import { oneshotService, renderUnit } from '../lib/bootstrap/systemd';

// Unit files as systemd reads them: the restart settings of oneshot services.

const base = { name: 'demo.service', description: 'Demo', execStart: '/usr/local/sbin/demo' };

describe('oneshotService', () => {
  test('without retry or restartOnFailure a failed run is not restarted', () => {
    const text = renderUnit(oneshotService(base));
    expect(text).not.toMatch(/^(Restart|RestartSec|StartLimitBurst|StartLimitIntervalSec)=/m);
  });

  test('restartOnFailure: Restart=on-failure with its delay, and the start limit in [Unit] counting the first run too', () => {
    const text = renderUnit(oneshotService({ ...base, timeout: '5min', restartOnFailure: { delay: '2min', restarts: 2, window: '45min' } }));
    const [unit, service] = text.split('[Service]');
    // systemd reads the start limit only in [Unit]; it counts every start, the first one included.
    expect(unit).toMatch(/^StartLimitIntervalSec=45min\nStartLimitBurst=3$/m);
    expect(service).toMatch(/^Restart=on-failure\nRestartSec=2min$/m);
    expect(service).not.toMatch(/^(StartLimit|RemainAfterExit)/m);
    expect(service).toContain('Type=oneshot\n');
  });

  test('retry (never give up) and restartOnFailure (a bounded few) exclude each other', () => {
    expect(() => oneshotService({ ...base, retry: true, restartOnFailure: { delay: '1min', restarts: 1, window: '10min' } })).toThrow(/exclude each other/);
  });
});
