import { Token } from 'cdktf';
import { stringify } from 'yaml';
import { ProblemList } from '../plan/problems';

// What the plugins share: option checks and chart values serialisation.

/**
 * A container image reference with an explicit tag or digest. An untagged reference would mean
 * `:latest`, which changes under a running cluster, so it is refused.
 */
const IMAGE_REFERENCE =
  /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function checkImageReference(problems: ProblemList, property: string, value: string): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  const lastPart = value.slice(value.lastIndexOf('/') + 1);
  if (!IMAGE_REFERENCE.test(value)) {
    problems.add(property, value, 'is not a container image reference', 'write it as registry/repository:tag, for example ghcr.io/org/image:v1.2.3');
  } else if (!lastPart.includes(':') && !value.includes('@sha256:')) {
    problems.add(property, value, 'has no tag or digest, so it would pull whatever `latest` is on the day a node starts', 'add an explicit tag or @sha256 digest');
  }
}

/** A chart version as the chart repository lists it: `1.19.8`, or `v3.31.7` where upstream writes a `v`. */
export function checkChartVersion(problems: ProblemList, property: string, value: string, withV: boolean, example: string): void {
  const pattern = withV ? /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/ : /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
  if (!pattern.test(value)) {
    problems.add(property, value, 'is not an exact chart version; a range or tag would let a later apply install a different release', `pin an exact version such as ${example}`);
  }
}

/**
 * Serialises chart values. They are built as objects and turned into YAML by the library, never
 * by string concatenation. Folding is off so that a long value (or an unresolved token standing
 * for one) stays on one line.
 */
export function chartValues(values: object): string {
  return stringify(values, { lineWidth: 0, minContentWidth: 0 });
}

/**
 * A port for chart values. A port known only at apply time is a number token; inside a string
 * (the values document) it must be carried as a string token or Terraform never sees it.
 */
export function portValue(port: number): number | string {
  return Token.isUnresolved(port) ? Token.asString(port) : port;
}
