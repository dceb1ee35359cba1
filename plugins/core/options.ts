import { Type, type Static } from '@sinclair/typebox'

export const CoreOptions = Type.Object({
  prefix: Type.String({
    default: '/v1',
    pattern: '^(/[A-Za-z0-9._~-]+)*$',
    description: 'Where every pulse-proxy route lives; "" mounts them at the root'
  }),
  production: Type.Optional(Type.Boolean({
    description: 'Production mode: refuses dev auth, the mock provider and short vault keys. Default: NODE_ENV === "production" at registration'
  })),
  bodyLimit: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest request body in bytes (413 above it)' }),
  openapi: Type.Object({
    enabled: Type.Boolean({ default: true }),
    path: Type.String({ default: '/openapi.json', pattern: '^/', description: 'Under the prefix' })
  }, { additionalProperties: false, default: {} })
}, { additionalProperties: false })

export type CoreOptions = Static<typeof CoreOptions>
