// ESLint: typescript-eslint's recommended type-checked rules on every TypeScript file, with the
// exceptions below, each with its reason. `npm run lint`; .ci/run runs it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** The ways `any` enters a program: member access, assignment, argument, call, return. */
const UNSAFE_ANY = ['no-unsafe-member-access', 'no-unsafe-assignment', 'no-unsafe-argument', 'no-unsafe-call', 'no-unsafe-return']
  .map((rule) => `@typescript-eslint/${rule}`);
const off = (rules) => Object.fromEntries(rules.map((rule) => [rule, 'off']));

export default tseslint.config(
  // dist/ is generated; the browser page and the report page script are plain JavaScript for
  // browsers; test/fixtures/package/ is a consumer project's code, compiled (strict) by the package test.
  { ignores: ['dist/', 'dist.new/', 'dist.old/', 'node_modules/', 'runs/', 'fuzz-out/', 'models/', 'runtimes/browser/page/', 'src/report/report-page.js', 'test/fixtures/package/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'tools/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // `_name` marks a value that is skipped on purpose (a destructured field, a required parameter).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', caughtErrors: 'none' }],
      // Shapes and lists are written into messages as `${shape}` on purpose ("1,28,28"); unknown,
      // never and objects still are findings.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowArray: true, allowNullish: true }],
      // Methods of the Exporter and Runtime interfaces and command actions are async although some
      // implementations never await: an exception thrown inside then becomes a rejected promise,
      // which is what their callers handle. The rule flags exactly those.
      '@typescript-eslint/require-await': 'off',
      // `let { a, b } = …` where only some are reassigned stays one declaration.
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  {
    // The worker's async message handler catches every error and posts it back to the pool, so the
    // promise it returns to the 'message' listener never rejects.
    files: ['src/engine/ort-worker.ts'],
    rules: { '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }] },
  },
  {
    // Plain JavaScript (this file, bin/, tools/, bench/ helpers) has no types for the type-checked rules to read.
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // protobufjs's reflection API (loadSync + lookupType) decodes messages to untyped objects; these
    // files check every field they read by hand (types, ranges, lengths) before it is used, which
    // is the purpose of their code, so `any` flowing through them is expected.
    files: ['exporters/events/bundle.ts', 'runtimes/onnx-model-file.ts', 'src/compile/onnx-proto.ts'],
    rules: { ...off(UNSAFE_ANY), '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // These match control characters on purpose: errors.ts removes them from messages (a file name
    // could carry terminal escapes), the test checks that no escape reaches the terminal.
    files: ['src/errors.ts', 'test/hostile-inputs.test.ts'],
    rules: { 'no-control-regex': 'off' },
  },
  {
    // The HDF5 sandbox wraps WebAssembly.Memory.prototype.grow (calling the saved method with the
    // memory as `this`) to cap the heap, and mounts Emscripten file systems, which h5wasm types as
    // `any` (FS.filesystems).
    files: ['exporters/nir/h5-sandbox-worker.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off', ...off(['@typescript-eslint/no-unsafe-argument', '@typescript-eslint/no-unsafe-member-access']) },
  },
  {
    // Tests, fuzzers and benchmarks read the CLI's JSON output, parsed ONNX/NIR/bundle messages and
    // hostile inputs as `any` on purpose (a fuzzer mutates any field): their assertions are the checks.
    files: ['test/**', 'bench/**'],
    rules: {
      ...off(UNSAFE_ANY),
      '@typescript-eslint/no-explicit-any': 'off',
      // The fuzzer turns whatever a mutation left in a field into text, objects included, on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      // node:test's test(), describe() and it() return promises that the runner awaits itself.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] }],
    },
  },
);
