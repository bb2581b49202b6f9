// Type-aware linting: a floating or misused promise is how a token write goes unawaited.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test() returns a promise the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] }],
      '@typescript-eslint/no-misused-promises': 'error',
      // Unused names are the compiler's job (noUnusedLocals, noUnusedParameters), with one message.
      '@typescript-eslint/no-unused-vars': 'off',
      // An async function without await is how a synchronous step implements an async port
      // (a source whose bytes are already in memory, a stand-in verifier): that is intended.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // scripts/ are plain JavaScript run by npm, outside the TypeScript project.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
