/** Narrowing helpers for JSON that arrives from clients and upstreams: never trust its shape. */

export type JsonObject = Record<string, unknown>

export function isObject (value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

export function str (value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

export function num (value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

export function obj (value: unknown): JsonObject | undefined {
  return isObject(value) ? value : undefined
}

export function arr (value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined
}

/** Parse JSON text, returning `undefined` instead of throwing. */
export function parseJson (text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}
