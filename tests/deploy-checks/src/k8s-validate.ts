/**
 * Offline validation of Kubernetes objects with kubernetes-models@4 (the cluster's OpenAPI schema
 * compiled to validators): `.validate()` for types, enums and required fields, plus a strict pass for
 * unknown fields, which those validators accept silently (a typo such as `imagePullPolicyy` or
 * `contaniers` would otherwise pass, and the API server would drop it or reject the apply).
 */
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { NetworkPolicy, Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } };

interface ModelInstance {
  validate(): void;
}
type ModelClass = new (data: never) => ModelInstance;

/** Every kind our manifests may contain; anything else is an error (an unvalidated object is a gap). */
const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
};

export const describeObject = (object: K8sObject): string =>
  `${object.kind}/${object.metadata?.name ?? '(unnamed)'}`;

interface AjvError {
  instancePath: string;
  message?: string;
}

function modelFor(object: K8sObject): ModelClass {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) throw new Error(`${describeObject(object)}: no kubernetes-models class for ${object.apiVersion} ${object.kind}`);
  return model;
}

/** The validator's errors for `data`, or [] when it passes. */
function schemaErrors(model: ModelClass, data: unknown): AjvError[] {
  try {
    new model(data as never).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return errors;
  }
}

/** JSON pointer segment, as ajv writes it in instancePath. */
const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');

type Path = Array<string | number>;

function setAt(root: unknown, path: Path, value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node: Record<string | number, unknown> = copy;
  path.slice(0, -1).forEach((key) => {
    node = node[key] as Record<string | number, unknown>;
  });
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Keys the schema does not know. The compiled validators keep no list of properties, so each key is
 * probed: its value is swapped for a Symbol, which no schema type (string, number, boolean, object,
 * array, int-or-string, quantity) accepts. A key the schema declares then fails at its own path; a key
 * it does not know is never looked at, so nothing fails there. Only known keys are descended into.
 */
export function unknownFields(object: K8sObject): string[] {
  const model = modelFor(object);
  const probe = Symbol('unknown-field-probe');
  const unknown: string[] = [];
  const visit = (value: unknown, path: Path): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
      return;
    }
    if (!isObject(value)) return;
    for (const key of Object.keys(value)) {
      const keyPath = [...path, key];
      const pointer = `/${keyPath.map(pointerSegment).join('/')}`;
      const errors = schemaErrors(model, setAt(object, keyPath, probe));
      const known = errors.some((error) => error.instancePath === pointer || error.instancePath.startsWith(`${pointer}/`));
      if (known) visit(value[key], keyPath);
      else unknown.push(pointer);
    }
  };
  visit(object, []);
  return unknown;
}

export interface ObjectProblems {
  object: string;
  problems: string[];
}

/** Schema errors and unknown fields of one object; an empty list means it is valid. */
export function validateK8sObject(object: K8sObject): string[] {
  let model: ModelClass;
  try {
    model = modelFor(object);
  } catch (error) {
    return [(error as Error).message];
  }
  const errors = schemaErrors(model, object).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  // The probe needs a valid object: against an invalid one every key might look known.
  if (errors.length > 0) return errors;
  return unknownFields(object).map((pointer) => `${pointer} is not a field of ${object.apiVersion} ${object.kind}`);
}

export function validateK8sObjects(objects: K8sObject[]): ObjectProblems[] {
  return objects
    .map((object) => ({ object: describeObject(object), problems: validateK8sObject(object) }))
    .filter((result) => result.problems.length > 0);
}
