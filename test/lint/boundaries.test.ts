/**
 * The trust boundaries of the layout (STYLE.md, "The layout shows the architecture") are
 * enforced by `npm run lint` through eslint.config.mjs. These tests run the real ESLint CLI on
 * small source texts under virtual file names and check that each rule fires, with our message,
 * and that the same code in a folder where it is allowed passes, so the test fails both ways.
 * ESLint runs as a child process because its flat config is ESM, which jest does not load here.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const ESLINT_BIN = path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');

interface LintMessage {
  ruleId: string | null;
  severity: number;
  message: string;
  fatal?: boolean;
}

interface LintResult {
  filePath: string;
  messages: LintMessage[];
}

/** Lints `source` as if it were `filename` (relative to the repository root). */
function lint(filename: string, source: string): Promise<LintResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ESLINT_BIN, '--stdin', '--stdin-filename', filename, '--format', 'json'], {
      cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('error', reject);
    child.on('close', (code) => {
      // Exit code 0: no errors, 1: lint errors; anything else means ESLint itself failed.
      if (code !== 0 && code !== 1) return reject(new Error(`eslint exited with ${code}: ${stderr}`));
      const results = JSON.parse(stdout) as LintResult[];
      if (results.length !== 1) return reject(new Error(`expected one lint result, got ${results.length}`));
      resolve(results[0]!);
    });
    child.stdin.end(source);
  });
}

interface Case {
  name: string;
  filename: string;
  source: string;
  /** Expected errors in order; empty for a file that must lint clean. */
  errors: { ruleId: string; specifier: string; message: string }[];
}

const importing = (specifier: string): string => `import * as imported from '${specifier}';\nexport const used = imported;\n`;

const SERVER_NO_CLI = 'server/ must never import signer-cli/.';
const CLI_NO_SERVER = 'signer-cli/ must never import server/ or its stack.';
const PURE_IO = 'protocol/ is pure: no filesystem, network or process access.';
const imports = (specifier: string, message: string) => ({ ruleId: 'no-restricted-imports', specifier, message });

const violations: Case[] = [
  { name: 'server/ importing a signer-cli/ module', filename: 'server/members/x.ts',
    source: importing('../../signer-cli/keystore/keystore'), errors: [imports('../../signer-cli/keystore/keystore', SERVER_NO_CLI)] },
  { name: 'server/ importing the signer-cli folder itself', filename: 'server/members/x.ts',
    source: importing('../../signer-cli'), errors: [imports('../../signer-cli', SERVER_NO_CLI)] },
  { name: 'signer-cli/ importing a server/ module', filename: 'signer-cli/commands/x.ts',
    source: importing('../../server/members/members.service'), errors: [imports('../../server/members/members.service', CLI_NO_SERVER)] },
  { name: 'signer-cli/ importing @nestjs/common', filename: 'signer-cli/commands/x.ts',
    source: importing('@nestjs/common'), errors: [imports('@nestjs/common', CLI_NO_SERVER)] },
  { name: 'signer-cli/ importing typeorm', filename: 'signer-cli/commands/x.ts',
    source: importing('typeorm'), errors: [imports('typeorm', CLI_NO_SERVER)] },
  { name: 'protocol/ importing node:fs', filename: 'protocol/intent/x.ts',
    source: importing('node:fs'), errors: [imports('node:fs', PURE_IO)] },
  { name: 'protocol/ importing fs', filename: 'protocol/x.ts', source: importing('fs'), errors: [imports('fs', PURE_IO)] },
  { name: 'protocol/ importing ws', filename: 'protocol/x.ts', source: importing('ws'), errors: [imports('ws', PURE_IO)] },
  { name: 'protocol/ importing @nestjs/core', filename: 'protocol/psbt/x.ts',
    source: importing('@nestjs/core'), errors: [imports('@nestjs/core', 'protocol/ must not depend on NestJS.')] },
  { name: 'protocol/ importing server/', filename: 'protocol/x.ts',
    source: importing('../server/members/members.service'),
    errors: [imports('../server/members/members.service', 'protocol/ imports neither server/ nor signer-cli/.')] },
  { name: 'protocol/ reading process.env', filename: 'protocol/x.ts',
    source: 'export const network = process.env.CONCLAVE_NETWORK;\n',
    errors: [{ ruleId: 'no-restricted-globals', specifier: 'process', message: 'protocol/ is pure: inject configuration instead.' }] },
  { name: 'protocol/ calling Date.now()', filename: 'protocol/x.ts',
    source: 'export function stamp(): number {\n  return Date.now();\n}\n',
    errors: [{ ruleId: 'no-restricted-properties', specifier: 'Date.now', message: 'protocol/ takes the clock as a parameter.' }] },
  { name: 'protocol/ calling Math.random()', filename: 'protocol/x.ts',
    source: 'export function nonce(): number {\n  return Math.random();\n}\n',
    errors: [{ ruleId: 'no-restricted-properties', specifier: 'Math.random', message: 'protocol/ takes randomness as a parameter.' }] },
];

const clean: Case[] = [
  { name: 'protocol/ importing @noble/hashes and its own modules, with the clock passed in', filename: 'protocol/x.ts',
    source: "import { sha256 } from '@noble/hashes/sha2.js';\nimport { ConclaveError } from './errors';\n" +
      'export function stamp(now: Date): unknown[] {\n  return [sha256, ConclaveError, now.getTime()];\n}\n',
    errors: [] },
  { name: 'server/ importing protocol/, NestJS, TypeORM and node:fs', filename: 'server/members/x.ts',
    source: "import { verifyEnvelope } from '../../protocol/envelope';\nimport { Injectable } from '@nestjs/common';\n" +
      "import { DataSource } from 'typeorm';\nimport * as fs from 'node:fs';\n" +
      'export const used = [verifyEnvelope, Injectable, DataSource, fs, process.env.PORT, Date.now(), Math.random()];\n',
    errors: [] },
  { name: 'signer-cli/ importing protocol/, node:fs and commander', filename: 'signer-cli/commands/x.ts',
    source: "import { signEnvelope } from '../../protocol/envelope';\nimport * as fs from 'node:fs';\n" +
      "import { Command } from 'commander';\nexport const used = [signEnvelope, fs, Command, process.env.HOME];\n",
    errors: [] },
  { name: 'a protocol/ test file using node:fs and process.env (tests are outside the purity rule)',
    filename: 'protocol/x.test.ts',
    source: "import * as fs from 'node:fs';\nexport const used = [fs, process.env.CONCLAVE_VECTORS, Date.now()];\n",
    errors: [] },
];

const cases = [...violations, ...clean];
const results = new Map<string, LintResult>();

beforeAll(async () => {
  // Two ESLint processes at a time: each takes a second or so to start, mostly CPU.
  const queue = [...cases];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      results.set(next.name, await lint(next.filename, next.source));
    }
  };
  await Promise.all([worker(), worker()]);
}, 120_000);

function resultOf(testCase: Case): LintResult {
  const result = results.get(testCase.name);
  if (result === undefined) throw new Error(`no lint result for ${testCase.name}`);
  // The virtual path must be linted as given, not ignored or resolved elsewhere.
  expect(result.filePath).toBe(path.join(ROOT, testCase.filename));
  return result;
}

describe('boundary rules fire with our message', () => {
  test.each(violations)('$name is an error', (testCase) => {
    const { messages } = resultOf(testCase);
    expect(messages).toEqual(testCase.errors.map((error) => expect.objectContaining({
      ruleId: error.ruleId,
      severity: 2,
      message: expect.stringMatching(new RegExp(`'${escapeRegExp(error.specifier)}'.*${escapeRegExp(error.message)}$`)),
    })));
  });
});

describe('the same code where it is allowed lints clean', () => {
  test.each(clean)('$name has no messages', (testCase) => {
    expect(resultOf(testCase).messages).toEqual([]);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
