import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'node_modules/**', '.tap/**', 'scratch/**'] }),
  {
    rules: {
      // `const X = Type.Object(...)` beside `type X = Static<typeof X>` is the TypeBox idiom;
      // TypeScript itself rejects real redeclarations.
      '@typescript-eslint/no-redeclare': 'off'
    }
  }
]
