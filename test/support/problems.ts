import { ClusterConfigError, Problem } from '../../lib/plan/problems';

/** The problems a `ClusterConfigError` thrown by `build` carries, or none if it does not throw. */
export function problemsThrownBy(build: () => unknown): readonly Problem[] {
  try {
    build();
  } catch (e) {
    if (!(e instanceof ClusterConfigError)) {
      throw e;
    }
    return e.problems;
  }
  return [];
}
