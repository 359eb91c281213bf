import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConclaveError } from '../../protocol/errors';
import { writeFileAtomic } from '../files';
import { StateStore, findPinned } from './state-file';

const WITHDRAWAL = '0b8e5a1c-7d2f-4e3a-8b9c-1d2e3f4a5b6c';
const VAULT = '6f1c2a8e-3b7d-4c5e-9f10-2a3b4c5d6e7f';

function store(timeoutMs?: number): StateStore {
  return new StateStore(mkdtempSync(join(tmpdir(), 'conclave-state-')), timeoutMs);
}

function journalEntry(n: number) {
  return {
    withdrawalId: WITHDRAWAL, vaultId: VAULT, intentHash: n.toString(16).padStart(64, '0'), unsignedTxid: 'ab'.repeat(32),
    inputs: [`${'cd'.repeat(32)}:${n}`], signedAt: '2026-03-01T12:00:00.000Z', submittedAt: null,
  };
}

describe('signer state', () => {
  test('starts empty and persists each update durably, 0600, without temporary files', () => {
    const s = store();
    expect(s.read()).toEqual({ version: 1, coordinator: null, coordinatorKey: null, memberId: null, vaults: [], journal: [], auditHeads: [] });
    s.update((state) => {
      state.coordinator = 'http://127.0.0.1:8080';
      state.journal.push(journalEntry(1));
    });
    expect(new StateStore(s.home).read().journal).toEqual([journalEntry(1)]);
    expect(statSync(s.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(s.home)).toEqual(['state.json']);
  });

  test('an update that fails part-way leaves the previous state intact', () => {
    const s = store();
    s.update((state) => { state.journal.push(journalEntry(1)); });
    const before = readFileSync(s.path, 'utf8');
    expect(() => s.update((state) => {
      state.journal.push(journalEntry(2));
      throw new Error('crash before the write');
    })).toThrow('crash before the write');
    expect(readFileSync(s.path, 'utf8')).toBe(before);
    expect(readdirSync(s.home)).toEqual(['state.json']);
  });

  test('each update re-reads the file, so writers in turn never lose each other\'s entries', () => {
    const s = store();
    const other = new StateStore(s.home);
    for (let i = 0; i < 10; i++) {
      (i % 2 ? s : other).update((state) => { state.journal.push(journalEntry(i)); });
    }
    expect(s.read().journal.map((e) => e.inputs[0])).toEqual(Array.from({ length: 10 }, (_, i) => `${'cd'.repeat(32)}:${i}`));
  });

  test('a lock left by a killed process is taken over; a live holder is waited for', () => {
    const s = store(300);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeFileSync(`${s.path}.lock`, String(dead));
    s.update((state) => { state.memberId = 'm1'; });
    expect(s.read().memberId).toBe('m1');
    expect(existsSync(`${s.path}.lock`)).toBe(false);

    writeFileSync(`${s.path}.lock`, String(process.ppid));
    expect(() => s.update((state) => { state.memberId = 'm2'; })).toThrow(/holds the state lock/);
    expect(s.read().memberId).toBe('m1');
  });

  test('a corrupt state file is reported, not silently replaced', () => {
    const s = store();
    writeFileSync(s.path, '{"version":1,"coordinator":null');
    expect(() => s.read()).toThrow(ConclaveError);
    expect(() => s.update(() => undefined)).toThrow(/not valid JSON/);
    expect(readFileSync(s.path, 'utf8')).toBe('{"version":1,"coordinator":null');
  });

  test('a state file from before the coordinator key and audit heads were kept still loads', () => {
    const s = store();
    writeFileSync(s.path, JSON.stringify({ version: 1, coordinator: 'http://127.0.0.1:8650', memberId: null, vaults: [], journal: [] }));
    expect(s.read()).toMatchObject({ coordinator: 'http://127.0.0.1:8650', coordinatorKey: null, auditHeads: [] });
  });

  test('multisig pins stay valid beside FROST pins; a tr-frost pin must carry its DKG facts, and only it', () => {
    const multisig = {
      vaultId: VAULT, name: 'treasury', network: 'regtest' as const, threshold: 2, descriptor: 'wsh(...)', descriptorHash: 'aa'.repeat(32),
      members: [{ identityKey: 'bb'.repeat(32), name: 'alice', fingerprint: 'x' }], ownIndex: 0, firstAddress: 'bcrt1q', policy: { version: 1 as const, requiredApprovals: 0, maxFeeSats: '1000', maxFeeRate: '5' },
      policyHash: 'cc'.repeat(32), pinnedAt: '2026-03-01T12:00:00.000Z',
    };
    const frost = { setupId: '5e'.repeat(16), paramsHash: 'dd'.repeat(32), transcriptHash: 'ee'.repeat(32), identifier: '01'.padStart(64, '0'), groupXpub: 'tpub' };
    const s = store();
    writeFileSync(s.path, JSON.stringify({ version: 1, coordinator: null, memberId: null, vaults: [multisig], journal: [] }));
    s.update((state) => { state.vaults.push({ ...multisig, vaultId: WITHDRAWAL, kind: 'tr-frost', frost }); });
    expect(s.read().vaults.map((v) => v.kind)).toEqual([undefined, 'tr-frost']);
    expect(() => s.update((state) => { state.vaults[0].kind = 'tr-frost'; })).toThrow(/frost/);
    expect(() => s.update((state) => { state.vaults[0].frost = frost; })).toThrow(/frost/);
    expect(() => s.update((state) => { (state.vaults[1].frost as Record<string, unknown>).signingShare = 'ff'.repeat(32); })).toThrow(/signingShare|Unrecognized/);
  });

  test('findPinned reports NOT_PINNED for an unknown vault', () => {
    expect(() => findPinned(store().read(), VAULT)).toThrow(expect.objectContaining({ code: 'NOT_PINNED' }));
  });

  test('writeFileAtomic replaces whole files and cleans up when it cannot write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conclave-atomic-'));
    const path = join(dir, 'f.json');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(() => writeFileAtomic(join(dir, 'missing', 'f.json'), 'x')).toThrow();
    expect(readdirSync(dir)).toEqual(['f.json']);
  });
});
