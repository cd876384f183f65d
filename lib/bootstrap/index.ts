export * from './kubernetes-version';
export * from './kubeadm-config';
export * from './node-script';
export * from './cloud-init';
export { toYaml, toYamlStream, isUnresolved, assertTerraformSafe, YAML_OPTIONS } from './yaml';
export * from './pki';
