// Runs before every test file. cdktf gives every terraform_data resource a validation that runs
// `terraform version` through a shell each time a stack is synthesised with validations on, and
// every cluster has several: a few hundred shells and Terraform starts in all, a tenth of the
// suite's time. The installed Terraform does not change while the tests run, so each worker asks it
// once and answers the same command from that; every other command runs as before.

import childProcess from 'node:child_process';

const ANSWERED = Symbol.for('kubeadm-tests.terraformVersionOnce');
const command = `${process.env.TERRAFORM_BINARY_NAME || 'terraform'} version`;

type ExecSync = typeof childProcess.execSync & { [ANSWERED]?: true };

// The core module is one object per worker, shared by every test file it runs: wrap it once.
if (!(childProcess.execSync as ExecSync)[ANSWERED]) {
  const execSync = childProcess.execSync;
  let answer: Buffer | undefined;
  const once = function execSyncTerraformVersionOnce(this: unknown, cmd: string, options?: childProcess.ExecSyncOptions) {
    // cdktf reads the answer as a Buffer (no encoding asked); other forms go to the real call.
    if (cmd !== command || options?.encoding !== undefined) {
      return execSync.call(this, cmd, options as childProcess.ExecSyncOptions);
    }
    // A failure is not remembered: the validation reports it, and the next synth asks again.
    answer ??= execSync.call(this, cmd, options) as Buffer;
    return Buffer.from(answer);
  } as ExecSync;
  once[ANSWERED] = true;
  childProcess.execSync = once;
}
