// @ts-check
'use strict';
// The rehearsal's probe process: one runs inside each emulated node and pod namespace (started with
// `ip netns exec`), because a process cannot change its network namespace from JavaScript.
// It serves TCP ports that answer with the addresses the connection was seen with, and probes
// other addresses on request. Plain JavaScript with node's built-ins only, so that it starts in a
// few tens of milliseconds without a TypeScript loader.
//
// Protocol: argv[2] is JSON {name, listen: number[], icmp: {kind: 'ping'|'perl', path}}. Once every
// port listens it writes {"ready":true} to stdout. Requests are JSON lines on stdin:
//   {id, op: 'tcp', host, port, timeoutMs}  -> {id, ok, peer?, server?, error?}
//   {id, op: 'icmp', host, timeoutMs}       -> {id, ok, error?}
// It exits when stdin closes, so it never outlives the rehearsal that started it.

const net = require('node:net');
const { spawn } = require('node:child_process');
const readline = require('node:readline');

/** @type {{name: string, listen: number[], icmp: {kind: 'ping' | 'perl', path: string}}} */
const config = JSON.parse(process.argv[2]);

// One ICMP echo over a raw socket, for machines without `ping`. Uses only perl-base (Socket),
// which every Debian system has. Prints nothing; exit status 0 means an echo reply came back.
const PERL_PING = `
use strict; use Socket;
my ($dst, $timeout) = @ARGV;
socket(my $s, PF_INET, SOCK_RAW, 1) or die "raw socket: $!\\n";
my $id = $$ & 0xffff;
sub sum16 { my $d = shift; $d .= "\\0" if length($d) % 2; my $t = 0; $t += $_ for unpack('n*', $d);
  $t = ($t >> 16) + ($t & 0xffff); $t += $t >> 16; return ~$t & 0xffff; }
my $p = pack('CCnnn', 8, 0, 0, $id, 1) . 'cdktf-kubeadm-rehearsal';
substr($p, 2, 2) = pack('n', sum16($p));
my $to = inet_aton($dst) or die "bad address\\n";
send($s, $p, 0, sockaddr_in(0, $to)) or die "send: $!\\n";
my $left = $timeout;
while ($left > 0) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1;
  my ($n, $rest) = select(my $rout = $rin, undef, undef, $left);
  last if $n <= 0;
  $left = $rest;
  recv($s, my $buf, 1500, 0);
  my $hl = (ord($buf) & 15) * 4;
  my ($type, $code, $cs, $rid) = unpack('CCnn', substr($buf, $hl, 6));
  exit 0 if $type == 0 && $rid == $id && substr($buf, 12, 4) eq $to;
}
exit 1;
`;

function reply(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function serve(port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => socket.destroy());
      socket.end(`${JSON.stringify({ peer: socket.remoteAddress, server: socket.localAddress, name: config.name })}\n`);
    });
    server.once('error', reject);
    server.listen({ port, host: '0.0.0.0' }, () => resolve(server));
  });
}

function tcp(request) {
  return new Promise((resolve) => {
    let data = '';
    let settled = false;
    const done = (result) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(result);
      }
    };
    const socket = net.connect({ host: request.host, port: request.port });
    const timer = setTimeout(() => done({ ok: false, error: `no answer within ${request.timeoutMs} ms` }), request.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('end', () => {
      try {
        const answer = JSON.parse(data);
        done({ ok: true, peer: answer.peer, server: answer.server });
      } catch {
        done({ ok: false, error: `unreadable answer ${JSON.stringify(data.slice(0, 80))}` });
      }
    });
    socket.on('error', (e) => done({ ok: false, error: /** @type {NodeJS.ErrnoException} */ (e).code || e.message }));
  });
}

function icmp(request) {
  const seconds = Math.max(1, Math.round(request.timeoutMs / 1000));
  const args = config.icmp.kind === 'ping' ? ['-c1', '-n', '-W', String(seconds), request.host] : ['-e', PERL_PING, request.host, String(seconds)];
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(config.icmp.path, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: request.timeoutMs + 1000, killSignal: 'SIGKILL' });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (e) => resolve({ ok: false, error: e.message }));
    child.on('close', (code) => resolve(code === 0 ? { ok: true } : { ok: false, error: stderr.trim() || `no echo reply within ${seconds} s` }));
  });
}

async function main() {
  for (const port of config.listen) {
    await serve(port);
  }
  reply({ ready: true });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', async (line) => {
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      return;
    }
    const result = request.op === 'tcp' ? await tcp(request) : request.op === 'icmp' ? await icmp(request) : { ok: false, error: `unknown op ${request.op}` };
    reply({ id: request.id, ...result });
  });
  lines.on('close', () => process.exit(0));
}

main().catch((e) => {
  reply({ fatal: e.message });
  process.exit(1);
});
