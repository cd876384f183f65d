import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { stopByClosingInput } from './process-runner';

/**
 * IP-in-IP without the kernel's ipip module, which many kernels (small VM kernels among them) lack:
 * a TUN device takes the pod packets routed to other nodes, and this program sends each one
 * inside an IPv4 packet of protocol 4 to the node whose pod range holds its destination (a raw
 * socket, so the kernel writes the outer header), and hands the inner packet of each protocol-4
 * packet from a known node back to the TUN device. On the wire that is exactly what Calico's
 * tunl0 sends, so the security groups see the same IP protocol 4 between node IPs.
 *
 * perl-base only (Socket), found on every Debian system. Arguments: the TUN device's name, then
 * `CIDR=NODE_IP` per peer. Prints `ready` once attached; exits when its standard input closes.
 */
export const IPIP_TUNNEL_PERL = `
use strict; use Socket;
my ($dev, @peers) = @ARGV;
my (@routes, %known);
for (@peers) {
  my ($net, $len, $ip) = /^([\\d.]+)\\/(\\d+)=([\\d.]+)$/ or die "bad peer $_\\n";
  my $mask = $len == 0 ? 0 : (0xffffffff << (32 - $len)) & 0xffffffff;
  push @routes, [unpack('N', inet_aton($net)), $mask, inet_aton($ip)];
  $known{inet_aton($ip)} = 1;
}
open(my $tun, '+<', '/dev/net/tun') or die "/dev/net/tun: $!\\n";
ioctl($tun, 0x400454ca, pack('a16 s x22', $dev, 0x0001 | 0x1000)) or die "TUNSETIFF $dev: $!\\n";
socket(my $raw, PF_INET, SOCK_RAW, 4) or die "raw socket: $!\\n";
$| = 1; print "ready\\n";
while (1) {
  my $rin = ''; vec($rin, fileno($tun), 1) = 1; vec($rin, fileno($raw), 1) = 1; vec($rin, fileno(STDIN), 1) = 1;
  next if select(my $rout = $rin, undef, undef, undef) <= 0;
  if (vec($rout, fileno(STDIN), 1)) { exit 0 if sysread(STDIN, my $x, 4096) <= 0; }
  if (vec($rout, fileno($tun), 1)) {
    my $n = sysread($tun, my $pkt, 65535);
    if ($n && $n >= 20) {
      my $dst = unpack('N', substr($pkt, 16, 4));
      for my $r (@routes) { if (($dst & $r->[1]) == $r->[0]) { send($raw, $pkt, 0, sockaddr_in(0, $r->[2])); last; } }
    }
  }
  if (vec($rout, fileno($raw), 1)) {
    recv($raw, my $buf, 65535, 0);
    my $hl = (ord($buf) & 15) * 4;
    syswrite($tun, substr($buf, $hl)) if $known{substr($buf, 12, 4)} && length($buf) > $hl + 20;
  }
}
`;

/** A running tunnel program in one node namespace. */
export class IpipTunnelProcess {
  /** Starts the tunnel with `ip netns exec` and waits until it is attached to its device. */
  public static start(ip: string, perl: string, namespace: string, device: string, peers: ReadonlyArray<{ readonly cidr: string; readonly ip: string }>, timeoutMs = 10_000): Promise<IpipTunnelProcess> {
    const child = spawn(ip, ['netns', 'exec', namespace, perl, '-e', IPIP_TUNNEL_PERL, device, ...peers.map((p) => `${p.cidr}=${p.ip}`)], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const tunnel = new IpipTunnelProcess(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`IP-in-IP tunnel in ${namespace} not ready within ${timeoutMs} ms: ${stderr.trim()}`));
      }, timeoutMs);
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        if (line.trim() === 'ready') {
          resolve(tunnel);
        } else {
          reject(new Error(`IP-in-IP tunnel in ${namespace}: ${line}`));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        tunnel.exited = true;
        reject(new Error(`IP-in-IP tunnel in ${namespace} exited (${code}): ${stderr.trim()}`));
      });
    });
  }

  private exited = false;

  private constructor(private readonly child: ReturnType<typeof spawn>) {
    child.once('exit', () => (this.exited = true));
  }

  /** Closes its standard input (it exits on that), and kills it if it has not gone within a second. */
  public stop(): Promise<void> {
    return stopByClosingInput(this.child, this.exited);
  }
}
