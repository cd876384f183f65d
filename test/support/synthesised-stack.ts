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
