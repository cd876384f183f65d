/**
 * The Kubernetes objects the cloud check creates through the API and removes again, as the JSON
 * the API server takes: a Service of type LoadBalancer in front of the check's nginx pods (the
 * cloud controller manager makes an AWS load balancer for it), and a claim on the default
 * StorageClass with a pod that writes a file on the volume and reads it back (the EBS CSI driver
 * makes, attaches and mounts an EBS volume for it).
 */

export const LOAD_BALANCER_SERVICE_NAME = 'nginx-lb';
export const VOLUME_CLAIM_NAME = 'volume-check';
export const VOLUME_POD_NAME = 'volume-check';
/** Where the pod mounts the volume. */
export const VOLUME_MOUNT_PATH = '/data';
/** The smallest EBS volume: 1 GiB. */
export const VOLUME_SIZE = '1Gi';

export interface CloudCheckObjectsInput {
  /** The labels of the nginx pods the load balancer sends to. */
  readonly serverLabels: Readonly<Record<string, string>>;
  /** The name of the nginx pods' port. */
  readonly serverPortName: string;
  /** The StorageClass the claim asks for. */
  readonly storageClass: string;
  /** An image with a POSIX shell, for the pod that writes and reads the file. */
  readonly image: string;
}

export interface CloudCheckObjects {
  readonly service: object;
  readonly claim: object;
  readonly pod: object;
}

/**
 * The pod's program: the volume is a mount of its own (not the container's file system), the file
 * is written and flushed, then read back with the same content.
 */
export const VOLUME_POD_SCRIPT = `set -eu
grep -q " ${VOLUME_MOUNT_PATH} " /proc/mounts
echo kubeadm-cloud-check > ${VOLUME_MOUNT_PATH}/check
sync
test "$(cat ${VOLUME_MOUNT_PATH}/check)" = kubeadm-cloud-check
echo "wrote and read ${VOLUME_MOUNT_PATH}/check"
`;

export function cloudCheckObjects(input: CloudCheckObjectsInput): CloudCheckObjects {
  const labels = { app: 'kubeadm-cloud-check' };
  return {
    service: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: LOAD_BALANCER_SERVICE_NAME, labels },
      spec: { type: 'LoadBalancer', selector: { ...input.serverLabels }, ports: [{ name: 'http', port: 80, targetPort: input.serverPortName }] },
    },
    claim: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: VOLUME_CLAIM_NAME, labels },
      spec: { accessModes: ['ReadWriteOnce'], storageClassName: input.storageClass, resources: { requests: { storage: VOLUME_SIZE } } },
    },
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: VOLUME_POD_NAME, labels },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'write-read',
            image: input.image,
            command: ['sh', '-c', VOLUME_POD_SCRIPT],
            volumeMounts: [{ name: 'data', mountPath: VOLUME_MOUNT_PATH }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: VOLUME_CLAIM_NAME } }],
      },
    },
  };
}
