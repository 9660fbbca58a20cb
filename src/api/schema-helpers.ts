// Building blocks for the custom resource schemas. Every string and list is bounded, and every
// field carries the description `kubectl explain` shows, so both live where the field is defined.
import { z } from 'zod';

/** A bounded string with its description. */
export const text = (maxLength: number, description: string) =>
  z.string().max(maxLength).meta({ description });

/** An RFC 3339 timestamp, as Kubernetes writes them. */
export const timestamp = (description: string) => z.iso.datetime({ offset: true }).meta({ description });

/** A bounded list with its description. */
export const list = <T extends z.ZodType>(item: T, maxItems: number, description: string) =>
  z.array(item).max(maxItems).meta({ description });

/** An enum of CamelCase values with its description. */
export const oneOf = <const T extends readonly [string, ...string[]]>(values: T, description: string) =>
  z.enum(values).meta({ description });

/** CEL rules the API server enforces (x-kubernetes-validations), attached to a schema node. */
export interface CelRule {
  rule: string;
  message: string;
}
export const withRules = <T extends z.ZodType>(schema: T, rules: CelRule[]): T =>
  schema.meta({ 'x-kubernetes-validations': rules });

export const digest = (description: string) =>
  z
    .string()
    .max(135)
    .regex(/^sha(256|384|512):[a-f0-9]{64,128}$/)
    .meta({ description });

/** A non-negative whole number with its description. */
export const count = (description: string) => z.number().int().min(0).meta({ description });

/** The .metadata.generation a status (or condition) was computed from. */
export const observedGeneration = () =>
  count('The .metadata.generation the status was computed from.').optional();
