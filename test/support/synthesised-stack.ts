// Kept apart from ./synth so that reading a stack synthesised earlier loads neither cdktf nor a provider.

/** A synthesised stack as plain JSON, with helpers to look into it. */
export interface SynthesisedStack {
  readonly json: any;
  readonly text: string;
  resources(type: string): Array<[string, any]>;
  data(type: string): Array<[string, any]>;
}

export function parseStack(text: string): SynthesisedStack {
  const json = JSON.parse(text);
  return {
    json,
    text,
    resources: (type) => Object.entries(json.resource?.[type] ?? {}),
    data: (type) => Object.entries(json.data?.[type] ?? {}),
  };
}

/**
 * Freezes a stack that several tests share, so that a test which changes what it reads fails there
 * instead of changing what the next test sees.
 */
export function shared(stack: SynthesisedStack): SynthesisedStack {
  const freeze = (value: unknown): void => {
    if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const item of Object.values(value)) {
        freeze(item);
      }
    }
  };
  freeze(stack.json);
  return stack;
}
