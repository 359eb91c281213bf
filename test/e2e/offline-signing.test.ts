/**
 * Air-gapped signing end to end (issue 7, points 5 and 7), with real processes over loopback:
 * a coordinator (offline mode: no chain backend) and signer CLIs. In a 2-of-3 vault, carol
 * signs online (`listen`); bob signs on his "offline machine": every command he runs there
 * points --coordinator at a closed port, so any attempt to reach a coordinator would fail the
 * command. Alice, online, exports the signing-request bundle (also as BC-UR parts, one per
 * line, which is what bob's signer reads, as a QR scanner would), and submits bob's answer. The
 * withdrawal ends `exported` with a final transaction checked independently with
 * @scure/btc-signer. Bundles that are tampered with, cut short, or for another vault are refused
 * with their codes and leave bob's journal empty; a bundle rebuilt with a valid hash over
 * changed content is refused by the same verification as online. Then a PSBT signed for bob in
 * "another wallet" (@scure/btc-signer with bob's BIP48 key) is imported and counted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64 } from '@scure/base';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { decodeRequest, encodeRequest } from '../../signer-cli/offline/request-bundle';
import { verifyFinalTransaction } from '../demo/verify-final-tx';
import { type CliVault, setUpCliVault, signer } from '../support/cli-vault';
import { setUpCliFrostVault } from '../support/cli-frost-vault';
import { fakeFundingTx } from '../support/funding-tx';
import { type CliResult, type Coordinator, runSigner, spawnSigner, startCoordinator } from '../support/processes';
import { testDatabase, type TestDatabase } from '../support/test-database';
import { TRANSCRIPT_MNEMONICS, testKeyholder } from '../support/test-keyholder';

const DESTINATION = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const ENV = { CONCLAVE_PASSPHRASE: 'e2e passphrase', CONCLAVE_TEST_FAST_KDF: '1' };
type Json = Record<string, unknown>;

function listenUntilExit(home: string, env: Record<string, string> = ENV): Promise<{ code: number | null; lines: Json[] }> {
  const child = spawnSigner(home, ['--json', 'listen', '--yes', '--exit-after', '1'], env);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const timer = setTimeout(() => child.kill('SIGTERM'), 60_000);
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json) });
  }));
}

/** A loopback port nothing listens on: the "coordinator" of the offline machine. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

function errorCode(result: CliResult): string | undefined {
  return (result.json?.error as { code?: string } | undefined)?.code;
}

describe(`offline signing by file and BC-UR parts, with real processes (${process.env.DATABASE_URL ? 'postgres' : 'sqlite'})`, () => {
  let root: string;
  let db: TestDatabase;
  let coordinator: Coordinator;
  let vault: CliVault;
  let offlineUrl: string;
  const homeOf = (name: string) => join(root, name);
  /** bob on his offline machine: a coordinator URL that nothing answers. */
  const offline = (args: string[]) => runSigner(homeOf('bob'), ['--coordinator', offlineUrl, '--json', ...args], ENV);
  const bobJournal = () => (JSON.parse(readFileSync(join(homeOf('bob'), 'state.json'), 'utf8')) as { journal: Json[] }).journal;

  async function deposit(amount: bigint): Promise<{ txid: string; vout: number; amount: bigint }> {
    const funding = fakeFundingTx([{ address: vault.firstAddress, amount }], 'regtest');
    const file = join(root, `funding-${funding.txid.slice(0, 8)}.hex`);
    writeFileSync(file, funding.hex);
    await signer(homeOf('alice'), ['deposit', vault.vaultId, '--tx-file', file], ENV);
    return { txid: funding.txid, vout: 0, amount };
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-e2e-offline-'));
    db = testDatabase();
    // A FROST session waits for the offline signer's round trip.
    coordinator = await startCoordinator({ ...db.env, CONCLAVE_NETWORK: 'regtest', CONCLAVE_FROST_SESSION_TIMEOUT_SECONDS: '600' });
    offlineUrl = await closedPortUrl();
    const names = ['alice', 'bob', 'carol'];
    // Known mnemonics: bob's key also signs "in another wallet" below.
    for (const [i, name] of names.entries()) {
      writeFileSync(join(root, `${name}.words`), TRANSCRIPT_MNEMONICS[i]!);
      await signer(homeOf(name), ['init', '--network', 'regtest', '--mnemonic-file', join(root, `${name}.words`)], ENV);
    }
    // Bob pins the vault once, as every keyholder does when it is formed; from then on his signer works offline.
    vault = await setUpCliVault({ root, coordinatorUrl: coordinator.url, env: ENV, names, skipInit: true });
  }, 120_000);
  afterAll(async () => {
    await coordinator.stop();
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  it('signs a 2-of-3 withdrawal with one keyholder online and one offline through files; bad bundles are refused and nothing is journaled', async () => {
    const coin = await deposit(1_000_000n);
    const carol = listenUntilExit(homeOf('carol'));
    const proposal = await signer(homeOf('alice'), ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '250000', '--fee-rate', '2'], ENV);
    const withdrawalId = String(proposal.withdrawalId);

    // Online: alice exports the signing request, as a file and as UR parts.
    const bundleFile = join(root, 'request.json');
    const urFile = join(root, 'request.ur');
    const exported = await signer(homeOf('alice'), ['offline', 'export', withdrawalId, '--out', bundleFile, '--ur-out', urFile], ENV);
    expect(exported).toMatchObject({ withdrawalId, vaultId: vault.vaultId, kind: 'wsh-sortedmulti', state: 'signing' });
    const text = readFileSync(bundleFile, 'utf8');
    const parts = readFileSync(urFile, 'utf8').trim().split('\n');
    expect(parts.length).toBe(exported.urParts);
    expect(parts.length).toBeGreaterThan(3);

    // Bad bundles, each refused with its code; bob's journal stays empty.
    const bad = (name: string, content: string) => {
      const file = join(root, name);
      writeFileSync(file, content);
      return offline(['offline', 'sign', file, '--out', join(root, `${name}.response`), '--yes']);
    };
    const doc = JSON.parse(text) as { withdrawal: { intent: { outputs: Array<{ amount: string }> } } };
    doc.withdrawal.intent.outputs[0]!.amount = '900000';
    const tampered = await bad('tampered.json', JSON.stringify(doc));
    expect([tampered.code, errorCode(tampered)]).toEqual([2, 'OFFLINE_BUNDLE_INVALID']);
    const truncated = await bad('truncated.json', text.slice(0, Math.floor(text.length * 0.6)));
    expect([truncated.code, errorCode(truncated)]).toEqual([2, 'OFFLINE_BUNDLE_TRUNCATED']);
    const missingPart = await bad('truncated.ur', parts.slice(0, -1).join('\n'));
    expect([missingPart.code, errorCode(missingPart)]).toEqual([2, 'OFFLINE_BUNDLE_TRUNCATED']);
    const request = decodeRequest(text);
    const elsewhere = '5b2c1e7a-9d3f-4a6b-8c0d-1e2f3a4b5c6d';
    const otherVault = await bad('other-vault.json', encodeRequest({ ...request, vaultId: elsewhere, withdrawal: { ...request.withdrawal, vaultId: elsewhere } }));
    expect([otherVault.code, errorCode(otherVault)]).toEqual([3, 'OFFLINE_BUNDLE_WRONG_VAULT']);
    // A consistent hash over changed content is no help: the signer's own verification refuses it.
    const intent = request.withdrawal.intent as { outputs: Array<{ address: string; amount: string }> };
    const rebuilt = await bad('rebuilt.json', encodeRequest({ ...request, withdrawal: { ...request.withdrawal, intent: { ...intent, outputs: [{ ...intent.outputs[0]!, amount: '900000' }] } } }));
    expect([rebuilt.code, errorCode(rebuilt)]).toEqual([3, 'INTENT_REFUSED']);
    expect(rebuilt.stdout).toContain('intent');
    expect(bobJournal()).toEqual([]);

    // Offline: bob reads the UR parts (any order), verifies, journals and signs; no coordinator is reached.
    const responseFile = join(root, 'response.json');
    writeFileSync(join(root, 'shuffled.ur'), [...parts].reverse().join('\n'));
    const signed = await offline(['offline', 'sign', join(root, 'shuffled.ur'), '--out', responseFile, '--yes']);
    expect(signed.code).toBe(0);
    expect(signed.json).toMatchObject({ event: 'signed', withdrawalId, statements: ['withdrawal.signature'], resumed: false });
    expect(bobJournal()).toEqual([expect.objectContaining({ withdrawalId, submittedAt: null })]);
    // Signed again from the JSON file: the journal entry is found, and the signatures are the same (RFC 6979).
    const again = await offline(['offline', 'sign', bundleFile, '--out', join(root, 'response-again.json'), '--yes']);
    expect(again.json).toMatchObject({ event: 'signed', resumed: true });
    const sigsOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { statements: Array<{ body: { partialSigs: unknown } }> }).statements[0]!.body.partialSigs;
    expect(sigsOf(join(root, 'response-again.json'))).toEqual(sigsOf(responseFile));
    expect(bobJournal()).toHaveLength(1);

    // Carol signed online meanwhile.
    const listened = await carol;
    expect(listened.code).toBe(0);
    expect(listened.lines.some((l) => l.event === 'signed' && l.withdrawalId === withdrawalId)).toBe(true);

    // Online: alice submits bob's answer; the coordinator verifies it and the transaction is complete.
    const submitted = await signer(homeOf('alice'), ['offline', 'submit', responseFile], ENV);
    expect(submitted.submitted).toEqual([expect.objectContaining({ type: 'withdrawal.signature', state: 'exported', signatures: 2 })]);
    // The same statement twice: the coordinator takes an envelope once.
    const replayed = await runSigner(homeOf('alice'), ['--json', 'offline', 'submit', responseFile], ENV);
    expect([replayed.code, errorCode(replayed)]).toEqual([4, 'ENVELOPE_REPLAYED']);

    const tx = await signer(homeOf('alice'), ['withdrawal', 'tx', withdrawalId], ENV);
    const parsed = Transaction.fromRaw(hexToBytes(String(tx.hex)), { allowUnknownOutputs: true });
    expect(parsed.id).toBe(tx.txid);
    expect(parsed.inputsLength).toBe(1);
    expect(parsed.getInput(0).finalScriptWitness).toHaveLength(4); // empty, two signatures, witness script
    const findings = verifyFinalTransaction({
      txHex: String(tx.hex), inputs: [coin], destination: { address: DESTINATION, amount: 250_000n },
      vault: { threshold: 2, xpubs: vault.keyholders.map((k) => k.xpub), changeIndex: 0 },
    });
    expect(findings.filter((f) => !f.startsWith('ok'))).toEqual([]);
  }, 180_000);

  it('imports a PSBT signed for bob in another wallet; the coordinator verifies it and counts it', async () => {
    const coin = await deposit(700_000n);
    const proposal = await signer(homeOf('alice'), ['propose', vault.vaultId, '--to', DESTINATION, '--amount', '100000', '--fee-rate', '2'], ENV);
    const withdrawalId = String(proposal.withdrawalId);
    const bundle = join(root, 'request-2.json');
    await signer(homeOf('alice'), ['offline', 'export', withdrawalId, '--out', bundle], ENV);
    const { withdrawal } = decodeRequest(readFileSync(bundle, 'utf8'));

    // "Another wallet": bob's BIP48 account key, restored from his mnemonic, signs with @scure/btc-signer.
    const bob = testKeyholder('bob', TRANSCRIPT_MNEMONICS[1]!);
    const psbt = Transaction.fromPSBT(base64.decode(withdrawal.psbt));
    const unsigned = join(root, 'unsigned.psbt');
    writeFileSync(unsigned, psbt.toPSBT());
    const refused = await runSigner(homeOf('bob'), ['--json', 'offline', 'import-psbt', withdrawalId, unsigned, '--yes'], ENV);
    expect([refused.code, errorCode(refused)]).toEqual([2, 'OFFLINE_PSBT_NOT_SIGNED']);
    for (let i = 0; i < psbt.inputsLength; i++) {
      const derivation = psbt.getInput(i).bip32Derivation!.find(([, d]) => d.fingerprint === parseInt(bob.accountKey.fingerprint, 16))!;
      const [change, index] = derivation[1].path.slice(-2) as [number, number];
      psbt.signIdx(bob.account.deriveChild(change).deriveChild(index).privateKey!, i);
    }
    const signedFile = join(root, 'signed-elsewhere.psbt');
    writeFileSync(signedFile, psbt.toPSBT()); // binary, as Sparrow saves it
    const imported = await signer(homeOf('bob'), ['offline', 'import-psbt', withdrawalId, signedFile, '--yes'], ENV);
    expect(imported).toMatchObject({ withdrawalId, state: 'signing', signatures: 1 });

    const listened = await listenUntilExit(homeOf('carol'));
    expect(listened.code).toBe(0);
    const tx = await signer(homeOf('alice'), ['withdrawal', 'tx', withdrawalId], ENV);
    const findings = verifyFinalTransaction({
      txHex: String(tx.hex), inputs: [coin], destination: { address: DESTINATION, amount: 100_000n },
      vault: { threshold: 2, xpubs: vault.keyholders.map((k) => k.xpub), changeIndex: 1 },
    });
    expect(findings.filter((f) => !f.startsWith('ok'))).toEqual([]);
  }, 180_000);
  it('signs a FROST withdrawal with one signer offline: round 1 (commitment) and round 2 (shares) through files', async () => {
    const frostEnv = { ...ENV, CONCLAVE_FROST_POLL_MS: '100' };
    const fvault = await setUpCliFrostVault({ root, coordinatorUrl: coordinator.url, env: frostEnv, names: ['fiona', 'gus', 'hana'] });
    const funding = fakeFundingTx([{ address: fvault.firstAddress, amount: 600_000n }], 'regtest');
    writeFileSync(join(root, 'frost-funding.hex'), funding.hex);
    await signer(homeOf('fiona'), ['deposit', fvault.vaultId, '--tx-file', join(root, 'frost-funding.hex')], frostEnv);
    const gus = (args: string[]) => runSigner(homeOf('gus'), ['--coordinator', offlineUrl, '--json', ...args], frostEnv);

    // Fiona signs online; gus's signer is offline.
    const fiona = listenUntilExit(homeOf('fiona'), frostEnv);
    const proposal = await signer(homeOf('hana'), ['propose', fvault.vaultId, '--to', DESTINATION, '--amount', '150000', '--fee-rate', '2'], frostEnv);
    const withdrawalId = String(proposal.withdrawalId);

    // Round 1: the bundle, the commitment made offline (nonces sealed there first), submitted by hana.
    await signer(homeOf('hana'), ['offline', 'export', withdrawalId, '--out', join(root, 'frost-1.json')], frostEnv);
    const committed = await gus(['offline', 'sign', join(root, 'frost-1.json'), '--out', join(root, 'frost-1.response'), '--yes']);
    if (committed.code !== 0) throw new Error(`offline sign (round 1) failed:\n${committed.stdout}${committed.stderr}`);
    expect(committed.json).toMatchObject({ kind: 'tr-frost', statements: ['frost.sign.commit'] });
    const nonceFiles = () => readdirSync(join(homeOf('gus'), 'frost', 'nonces')).filter((f) => f.endsWith('.nonce'));
    expect(nonceFiles()).toHaveLength(1);
    await signer(homeOf('hana'), ['offline', 'submit', join(root, 'frost-1.response')], frostEnv);

    // Round 2: once the session with gus's commitment is open, a second bundle; the shares made offline.
    let exported: Json = {};
    for (let i = 0; i < 100; i++) {
      exported = await signer(homeOf('hana'), ['offline', 'export', withdrawalId, '--out', join(root, 'frost-2.json')], frostEnv);
      if ((exported.openFrostSessions as string[]).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect((exported.openFrostSessions as string[]).length).toBe(1);
    const shared = await gus(['offline', 'sign', join(root, 'frost-2.json'), '--out', join(root, 'frost-2.response'), '--yes']);
    if (shared.code !== 0) throw new Error(`offline sign (round 2) failed:\n${shared.stdout}${shared.stderr}`);
    expect(shared.json).toMatchObject({ kind: 'tr-frost', statements: ['frost.sign.share'] });
    // The nonces were spent on disk before the shares existed: the same bundle makes no second
    // share (nonce-used), only a fresh commitment for a session that might follow.
    const twice = await gus(['offline', 'sign', join(root, 'frost-2.json'), '--out', join(root, 'frost-2b.response'), '--yes']);
    expect(twice.json).toMatchObject({ statements: ['frost.sign.commit'], outcomes: expect.arrayContaining([expect.objectContaining({ event: 'nonce-used' })]) });
    const submitted = await signer(homeOf('hana'), ['offline', 'submit', join(root, 'frost-2.response')], frostEnv);
    expect(submitted.submitted).toEqual([expect.objectContaining({ type: 'frost.sign.share' })]);

    const listened = await fiona;
    expect(listened.lines.some((l) => l.event === 'signed' && l.withdrawalId === withdrawalId)).toBe(true);
    const shown = await signer(homeOf('hana'), ['withdrawal', 'show', withdrawalId], frostEnv);
    expect(shown.state).toBe('exported');
    const tx = await signer(homeOf('hana'), ['withdrawal', 'tx', withdrawalId], frostEnv);
    const parsed = Transaction.fromRaw(hexToBytes(String(tx.hex)), { allowUnknownOutputs: true });
    expect(parsed.id).toBe(tx.txid);
    // One key-path spend: a single 64-byte BIP340 signature as the witness.
    expect(parsed.getInput(0).finalScriptWitness).toEqual([expect.any(Uint8Array)]);
    expect(parsed.getInput(0).finalScriptWitness![0]!.length).toBe(64);
    expect(Array.from({ length: parsed.outputsLength }, (_, i) => parsed.getOutput(i).amount)).toContain(150_000n);
  }, 240_000);
});
