import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

type AddFormats = (ajv: Ajv) => Ajv
// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const formats = addFormatsModule as unknown as AddFormats & { default?: AddFormats }
const addFormats: AddFormats = formats.default ?? formats

/**
 * pulse-proxy's own validators, whatever the host's AJV settings: bodies are checked strictly
 * (a number is never coerced into a string), while params and query strings, which arrive as
 * text, are coerced to their declared types.
 */
export function createValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const strict = addFormats(new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, strict: false }))
  const coercing = addFormats(new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, strict: false }))
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object)
}
