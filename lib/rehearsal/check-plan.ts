import { KUBERNETES_PORTS } from '../network/ports';
import type { UnderlayFlow } from './rule-evaluation';
import { counterpart, RehearsalNode, RehearsalPod, Topology } from './topology';

/** Checks run in this order; by default a phase with a failure stops the run. */
export const PHASES = ['pod network', 'control ports', 'kubernetes ports', 'service', 'negative control'] as const;
export type Phase = (typeof PHASES)[number];

/** One end of a check. */
export interface CheckEnd {
  /** `pod 10.244.1.2 on worker-0`, `node 10.0.0.10 (control-plane-0)`, `service 10.96.0.11:80`. */
  readonly label: string;
  readonly ip: string;
  /** The node the end is on (for a Service, the node of its endpoints). */
  readonly node: RehearsalNode;
  /** The pod, when the end is one; the probe runs in its namespace. */
  readonly pod?: RehearsalPod;
  /** TCP port, for TCP probes. */
  readonly port?: number;
}

/** A probe to run, what it must show, and the VPC flows it depends on (to explain a failure). */
export interface PlannedCheck {
  readonly phase: Phase;
  /** `pod to pod (icmp)`, `control tcp/6783`, ... */
  readonly name: string;
  readonly probe: 'icmp' | 'tcp';
  readonly from: CheckEnd;
  readonly to: CheckEnd;
  /** `no-reply` for the negative control, which must be stopped. */
  readonly expect: 'reply' | 'no-reply';
  /** Tries before giving up (each bounded by the probe timeout). */
  readonly attempts: number;
  /** TCP: the source address the server must have seen (the sender's own: no NAT between pods). */
  readonly expectPeer?: string;
  /** TCP: the addresses one of which must have answered (the Service's endpoints). */
  readonly expectServers?: readonly string[];
  readonly underlay: readonly UnderlayFlow[];
}

/** The TCP ports each kind of namespace listens on during the rehearsal. */
export interface Listeners {
  readonly pod: readonly number[];
  /** Per node name. */
  readonly node: Readonly<Record<string, readonly number[]>>;
}

const ATTEMPTS = 3;

export function listeners(topology: Topology): Listeners {
  const node: Record<string, number[]> = {};
  for (const n of topology.nodes) {
    const ports = new Set<number>(topology.datapath.controlPorts);
    for (const rule of kubernetesTcpRules()) {
      if (rule.to.includes(n.role)) {
        ports.add(rule.fromPort!);
      }
    }
    node[n.name] = [...ports].sort((a, b) => a - b);
  }
  return { pod: [topology.echoPort], node };
}

/** Every check of a rehearsal, by phase. Pure: from the topology alone. */
export function planChecks(topology: Topology): PlannedCheck[] {
  const checks: PlannedCheck[] = [];
  const { nodes } = topology;
  const podEnd = (node: RehearsalNode, pod: RehearsalPod, port?: number): CheckEnd => ({
    label: `pod ${pod.ip} on ${node.name}`,
    ip: pod.ip,
    node,
    pod,
    ...(port !== undefined ? { port } : {}),
  });
  const nodeEnd = (node: RehearsalNode, port?: number): CheckEnd => ({ label: `node ${node.ip} (${node.name})`, ip: node.ip, node, ...(port !== undefined ? { port } : {}) });

  const podPair = (phase: Phase, expect: PlannedCheck['expect'], attempts: number, from: RehearsalNode, pod: RehearsalPod, to: RehearsalNode, target: RehearsalPod) => {
    for (const probe of ['icmp', 'tcp'] as const) {
      const port = probe === 'tcp' ? topology.echoPort : undefined;
      checks.push({
        phase,
        name: probe === 'icmp' ? 'pod to pod (icmp)' : `pod to pod (tcp/${topology.echoPort})`,
        probe,
        from: podEnd(from, pod),
        to: podEnd(to, target, port),
        expect,
        attempts,
        ...(probe === 'tcp' && expect === 'reply' ? { expectPeer: pod.ip } : {}),
        underlay: podUnderlay(topology, from, pod.ip, to, target.ip, probe),
      });
    }
  };

  // Every pod to its counterpart on every other node, and to its neighbour on its own bridge.
  for (const node of nodes) {
    for (const pod of node.pods) {
      for (const other of nodes) {
        if (other !== node) {
          podPair('pod network', 'reply', ATTEMPTS, node, pod, other, counterpart(pod, other));
        }
      }
    }
    if (node.pods.length > 1) {
      podPair('pod network', 'reply', ATTEMPTS, node, node.pods[0], node, node.pods[1]);
    }
  }

  const nodeToNode = (phase: Phase, name: string, from: RehearsalNode, to: RehearsalNode, port: number) =>
    checks.push({
      phase,
      name,
      probe: 'tcp',
      from: nodeEnd(from),
      to: nodeEnd(to, port),
      expect: 'reply',
      attempts: ATTEMPTS,
      expectPeer: from.ip,
      underlay: [{ protocol: 6, port, sender: from, sourceIp: from.ip, receiver: to, destinationIp: to.ip }],
    });
  for (const port of topology.datapath.controlPorts) {
    for (const from of nodes) {
      for (const to of nodes) {
        if (from !== to) {
          nodeToNode('control ports', `control tcp/${port}`, from, to, port);
        }
      }
    }
  }
  for (const rule of kubernetesTcpRules()) {
    for (const from of nodes.filter((n) => rule.from.includes(n.role))) {
      for (const to of nodes.filter((n) => n !== from && rule.to.includes(n.role))) {
        nodeToNode('kubernetes ports', `kubernetes tcp/${rule.fromPort}`, from, to, rule.fromPort!);
      }
    }
  }

  // A pod on every node but the endpoints' reaches the Service through its own node's DNAT.
  const { service } = topology;
  const endpointNode = nodes.find((n) => service.endpoints.some((e) => e.nodeName === n.name));
  if (endpointNode) {
    for (const node of nodes.filter((n) => n !== endpointNode)) {
      const client = node.pods[0];
      checks.push({
        phase: 'service',
        name: `service (tcp/${service.port})`,
        probe: 'tcp',
        from: podEnd(node, client),
        to: { label: `service ${service.ip}:${service.port}`, ip: service.ip, node: endpointNode, port: service.port },
        expect: 'reply',
        attempts: ATTEMPTS,
        expectPeer: client.ip,
        expectServers: service.endpoints.map((e) => e.ip),
        underlay: podUnderlay(topology, node, client.ip, endpointNode, service.endpoints[0].ip, 'tcp'),
      });
    }
  }

  // Routed: one node's VPC route removed, every other node's pods must lose that node's pods, while
  // pods elsewhere still reach each other (so the route, not the network, made the difference).
  if (topology.datapath.encapsulation === 'routed' && nodes.length > 1) {
    const target = nodes[nodes.length - 1];
    const others = nodes.slice(0, -1);
    for (const node of others) {
      podPair('negative control', 'no-reply', 1, node, node.pods[0], target, counterpart(node.pods[0], target));
    }
    if (others.length > 1) {
      podPair('negative control', 'reply', ATTEMPTS, others[0], others[0].pods[0], others[1], counterpart(others[0].pods[0], others[1]));
    }
    return checks;
  }
  // With the datapath's traffic dropped, pods on different nodes must lose each other; if they do
  // not, the rehearsal would not notice a missing rule either.
  const first = nodes[0];
  if (first) {
    for (const other of nodes.slice(1)) {
      podPair('negative control', 'no-reply', 1, first, first.pods[0], other, counterpart(first.pods[0], other));
    }
  }
  return checks;
}

/** The packets a pod-to-pod probe puts on the VPC (none between pods of one node). */
function podUnderlay(topology: Topology, from: RehearsalNode, fromIp: string, to: RehearsalNode, toIp: string, probe: 'icmp' | 'tcp'): UnderlayFlow[] {
  if (from === to) {
    return [];
  }
  const { datapath } = topology;
  const between = (protocol: number, port?: number): UnderlayFlow[] => [
    // Overlay packets each way are separate flows to a security group: the reply is not "established".
    { protocol, ...(port !== undefined ? { port } : {}), sender: from, sourceIp: from.ip, receiver: to, destinationIp: to.ip },
    { protocol, ...(port !== undefined ? { port } : {}), sender: to, sourceIp: to.ip, receiver: from, destinationIp: from.ip },
  ];
  switch (datapath.encapsulation) {
    case 'vxlan':
      return between(17, datapath.port);
    case 'ipip':
      return between(4);
    case 'routed':
      return [
        probe === 'icmp'
          ? { protocol: 1, icmpType: 8, icmpCode: 0, sender: from, sourceIp: fromIp, receiver: to, destinationIp: toIp }
          : { protocol: 6, port: topology.echoPort, sender: from, sourceIp: fromIp, receiver: to, destinationIp: toIp },
      ];
  }
}

function kubernetesTcpRules() {
  return KUBERNETES_PORTS.filter((r) => r.protocol === 'tcp' && r.fromPort !== undefined);
}
