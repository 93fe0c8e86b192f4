// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // The example configuration's folders (`npm start` fills them with the user's photos and
    // videos, whose `.mts`/`.ts` clips are not TypeScript) and generated output are never linted.
    ignores: [
      'dist/',
      'coverage/',
      'node_modules/',
      'models/',
      'test/fixtures/',
      'inbox/',
      'library/',
      '.photosortd/',
      '.bench-tmp/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['src/web/assets/**/*.js'], languageOptions: { globals: globals.browser } },
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
