import { Kind, type Static, type TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { OptionError } from './errors.js'

function isPlainObject (value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

// Copy plain data so defaults never write into the caller's object; leave instances alone.
function copyData (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyData)
  if (isPlainObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyData(v)]))
  }
  return value
}

function typeName (schema: TSchema): string {
  return typeof schema.type === 'string' ? schema.type : String(schema[Kind]).toLowerCase()
}

/** `/vault/keys/0` → `vault.keys[0]` */
export function optionPath (pointer: string): string {
  return pointer.split('/').slice(1).reduce((acc, part) =>
    /^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`, '')
}

/**
 * Validate plugin options against their TypeBox schema and fill in defaults.
 * A failure names the option: `pulse-proxy: option "vault.keys[0]" must be a string`.
 */
export function resolveOptions<T extends TSchema> (schema: T, input: unknown, scope = ''): Static<T> {
  const value = Value.Default(schema, copyData(input ?? {}))
  const first = Value.Errors(schema, value).First()
  if (first !== undefined) {
    const name = [scope, optionPath(first.path)].filter(Boolean).join('.')
    const message = first.message === 'Unexpected property'
      ? 'is not a known option'
      : Array.isArray(first.schema.anyOf)
        ? `must be ${first.schema.anyOf.map(typeName).join(' or ')}`
        : first.message.replace(/^Expected \w+ to /, 'must ').replace(/^Expected/, 'must be').toLowerCase()
    throw new OptionError(`option "${name || '(root)'}" ${message}`)
  }
  return value as Static<T>
}
