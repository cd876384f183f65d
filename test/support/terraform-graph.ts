// The order Terraform creates a synthesised stack's blocks in: which resources and data sources each
// waits for, through depends_on and through the `${type.name...}` references in its arguments.
// Kept apart from the stacks' own tests so that every deploy-order test reads the graph the same way.

/** Every resource (`type.name`) and data source (`data.type.name`) with the addresses it waits for. */
export function dependencyGraph(json: any): Map<string, Set<string>> {
  const exists = (address: string): boolean => {
    const parts = address.split('.');
    return parts[0] === 'data' ? json.data?.[parts[1]]?.[parts[2]] !== undefined : json.resource?.[parts[0]]?.[parts[1]] !== undefined;
  };
  const graph = new Map<string, Set<string>>();
  const add = (address: string, body: any) => {
    const edges = new Set<string>(body.depends_on ?? []);
    const { depends_on: _ignored, ...rest } = body;
    for (const match of JSON.stringify(rest).matchAll(/(?<![\w.-])((?:data\.)?[a-z][a-z0-9_]*\.[\w-]+)/g)) {
      if (exists(match[1]) && match[1] !== address) {
        edges.add(match[1]);
      }
    }
    graph.set(address, edges);
  };
  for (const [type, byName] of Object.entries<any>(json.resource ?? {})) {
    for (const [name, body] of Object.entries<any>(byName)) {
      add(`${type}.${name}`, body);
    }
  }
  for (const [type, byName] of Object.entries<any>(json.data ?? {})) {
    for (const [name, body] of Object.entries<any>(byName)) {
      add(`data.${type}.${name}`, body);
    }
  }
  return graph;
}

/** Everything `start` waits for, directly or through others. */
export function waitsOf(graph: Map<string, Set<string>>, start: string): Set<string> {
  const seen = new Set<string>();
  const todo = [...(graph.get(start) ?? [])];
  while (todo.length > 0) {
    const next = todo.pop()!;
    if (!seen.has(next)) {
      seen.add(next);
      todo.push(...(graph.get(next) ?? []));
    }
  }
  return seen;
}
