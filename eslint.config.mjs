// ESLint enforces the trust boundaries of the layout (DESIGN.md, "Components and layout"):
// server/ and signer-cli/ never import each other, protocol/ stays pure, and the browser app
// (web/) imports only protocol/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIoModules = [
  'fs', 'fs/promises', 'node:fs', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http',
  'https', 'node:https', 'child_process', 'node:child_process', 'process', 'node:process',
  'dgram', 'node:dgram', 'tls', 'node:tls', 'os', 'node:os', 'ws', 'pg', 'better-sqlite3', 'typeorm',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.cjs', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['protocol/**/*.ts'],
    ignores: ['protocol/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeIoModules.map((name) => ({ name, message: 'protocol/ is pure: no filesystem, network or process access.' })),
        patterns: [
          { group: ['@nestjs/*'], message: 'protocol/ must not depend on NestJS.' },
          // @simplewebauthn/server/helpers is a CBOR/COSE library (protocol/webauthn), not Conclave's server/.
          { group: ['**/server/**', '**/signer-cli/**', '!@simplewebauthn/server/helpers'], message: 'protocol/ imports neither server/ nor signer-cli/.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'protocol/ is pure: inject configuration instead.' },
        { name: 'fetch', message: 'protocol/ is pure: no network access.' }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'protocol/ takes the clock as a parameter.' },
        { object: 'Math', property: 'random', message: 'protocol/ takes randomness as a parameter.' }],
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/signer-cli/**', '**/signer-cli'], message: 'server/ must never import signer-cli/.' },
      ] }],
    },
  },
  {
    // The web app runs in browsers: it may import pure protocol/ code (so it computes what
    // signers compute), never server/ or signer-cli/, nor Node's I/O modules.
    files: ['web/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeIoModules.map((name) => ({ name, message: 'web/ runs in the browser: no Node I/O modules.' })),
        patterns: [
          { group: ['**/server/**', '**/server', '**/signer-cli/**', '**/signer-cli', '@nestjs/*', 'node:*'], message: 'web/ imports only protocol/ and browser code, never server/ or signer-cli/.' },
        ],
      }],
      'no-restricted-globals': ['error', { name: 'process', message: 'web/ runs in the browser.' }, { name: 'require', message: 'web/ is bundled ESM.' }],
    },
  },
  {
    files: ['signer-cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/server/**', '**/server', '@nestjs/*', 'typeorm', '!@simplewebauthn/server/helpers'], message: 'signer-cli/ must never import server/ or its stack.' },
      ] }],
    },
  },
);
