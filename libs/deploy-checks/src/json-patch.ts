/**
 * RFC 6902 add / replace / remove, the operations our kustomize patches use, with kustomize's leniency
 * and errors (a missing parent path or array index fails the build rather than being skipped), so a
 * patch that stops matching after a manifest change is caught without kubectl too.
 */
type Json = unknown;
type Container = Record<string, Json> | Json[];

export interface JsonPatchOperation {
  op: string;
  path: string;
  value?: Json;
}

const isContainer = (value: Json): value is Container => typeof value === 'object' && value !== null;

/** "/a/b~1c" → ["a", "b/c"] (RFC 6901). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`JSON pointer "${pointer}" must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(array: Json[], token: string, pointer: string, allowEnd: boolean): number {
  if (token === '-' && allowEnd) return array.length;
  if (!/^(0|[1-9]\d*)$/.test(token)) throw new Error(`"${token}" is not an array index in ${pointer}`);
  const index = Number(token);
  if (index > array.length || (index === array.length && !allowEnd)) throw new Error(`index ${index} is out of range in ${pointer}`);
  return index;
}

function parentOf(doc: Json, tokens: string[], pointer: string): Container {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(node, token, pointer, false)];
    else if (isContainer(node) && Object.hasOwn(node, token)) node = (node as Record<string, Json>)[token];
    else throw new Error(`doc is missing path: ${pointer}`);
  }
  if (!isContainer(node)) throw new Error(`doc is missing path: ${pointer}`);
  return node;
}

function applyOne(doc: Json, operation: JsonPatchOperation): void {
  const { op, path } = operation;
  const tokens = parsePointer(path);
  if (tokens.length === 0) throw new Error(`${op} on the whole document is not supported`);
  const parent = parentOf(doc, tokens, path);
  const last = tokens[tokens.length - 1]!;
  if (op === 'add' || op === 'replace') {
    if (!('value' in operation)) throw new Error(`${op} ${path} has no value`);
    const value = structuredClone(operation.value);
    if (Array.isArray(parent)) {
      const index = arrayIndex(parent, last, path, op === 'add');
      parent.splice(index, op === 'add' ? 0 : 1, value);
    } else {
      // evanphx/json-patch (kustomize's) lets replace create a missing object key; arrays stay strict.
      parent[last] = value;
    }
  } else if (op === 'remove') {
    if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, path, false), 1);
    else if (Object.hasOwn(parent, last)) delete parent[last];
    else throw new Error(`remove operation does not apply: doc is missing key: ${path}`);
  } else {
    throw new Error(`JSON patch op "${op}" is not supported by the kustomize fallback (add, replace, remove)`);
  }
}

/** Applies the operations in order to a copy of `doc`; throws on the first one that does not apply. */
export function applyJsonPatch<T>(doc: T, operations: JsonPatchOperation[]): T {
  const copy = structuredClone(doc);
  for (const operation of operations) applyOne(copy, operation);
  return copy;
}
