/** One thing wrong (or worth a warning) with the input, said so that the user can act on it. */
export interface Problem {
  /** The property that holds the bad value, as the user wrote it (for example `podCidr`). */
  readonly property: string;
  /** The value as given, rendered for the message. */
  readonly value: string;
  /** What is wrong with it. */
  readonly message: string;
  /** What to change. */
  readonly fix: string;
}

export function formatProblem(problem: Problem): string {
  return `${problem.property} = ${problem.value}: ${problem.message}. Fix: ${problem.fix}.`;
}

/**
 * Thrown at synth time when the cluster's input cannot give a working cluster. It carries every
 * problem found, not just the first, so that one run tells the user everything to change.
 */
export class ClusterConfigError extends Error {
  public readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const lines = problems.map((p, i) => `  ${i + 1}. ${formatProblem(p)}`);
    super(
      `The cluster configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
    );
    this.name = 'ClusterConfigError';
    this.problems = problems;
  }
}

/** Collects problems while validating, then throws them all together. */
export class ProblemList {
  private readonly items: Problem[] = [];

  public add(property: string, value: unknown, message: string, fix: string): void {
    this.items.push({ property, value: renderValue(value), message, fix });
  }

  /** Adds problems already reported elsewhere (for example by a nested check that threw). */
  public addAll(problems: readonly Problem[]): void {
    this.items.push(...problems);
  }

  public get problems(): readonly Problem[] {
    return this.items;
  }

  public get isEmpty(): boolean {
    return this.items.length === 0;
  }

  public throwIfAny(): void {
    if (this.items.length > 0) {
      throw new ClusterConfigError(this.items);
    }
  }
}

/** A value as text for a message: strings as they are, anything else as `renderValue` shows it. */
export function valueText(value: unknown): string {
  return typeof value === 'string' ? value : renderValue(value);
}

/** Longest rendering of an object value in a message; the rest is cut. */
const MAX_OBJECT_TEXT = 120;

function renderValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map(renderValue).join(', ')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    // Objects the user wrote show as JSON (a class instance or a cycle as what it is).
    let text: string | undefined;
    try {
      text = Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null ? JSON.stringify(value) : undefined;
    } catch {
      text = undefined;
    }
    text ??= Object.prototype.toString.call(value);
    return text.length > MAX_OBJECT_TEXT ? `${text.slice(0, MAX_OBJECT_TEXT)}...` : text;
  }
  try {
    return String(value);
  } catch {
    // An object whose toString is not a function, say.
    return Object.prototype.toString.call(value);
  }
}
