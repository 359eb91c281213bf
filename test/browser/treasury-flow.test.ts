/**
 * The treasury web app in a real Chromium (issue 6, point 4), against a real coordinator process
 * and real signer processes. A governed 2-of-3 vault is formed with signer-cli; its member set
 * pins the passkeys of two approvers (Ann, who may also propose, and Ben) and of an auditor
 * (Aud), which are loaded into Chromium's virtual WebAuthn authenticator, one browser context
 * each. Ann signs in and proposes with her passkey; the proposal appears in Ben's approval queue
 * without a reload; Ben approves with his passkey; the listening keyholders sign; the state
 * reaches `exported` in Ann's page by itself; the auditor sees the same timeline and a hash
 * chain verified in the page, has no control that changes anything, and a crafted approval
 * from the auditor's session is refused (403). Screenshots of the main pages are written to
 * $CONCLAVE_SCREENSHOTS_DIR (docs/screenshots keeps a set).
 */
import { type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Browser, Page } from 'playwright-core';
import type { WithdrawalView } from '../../protocol/api';
import { type CliKeyholder, createCliKeyholders, depositToFirstAddress, signer } from '../support/cli-vault';
import { type Coordinator, spawnSigner } from '../support/processes';
import { type Tab, launchChromium, openTab } from './chromium';
import { VirtualPasskey } from './virtual-passkey';
import { type WebCoordinator, startWebCoordinator } from './web-coordinator';

const ENV = { CONCLAVE_PASSPHRASE: 'browser passphrase', CONCLAVE_TEST_FAST_KDF: '1' };
const PAYROLL = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
const SHOTS = process.env.CONCLAVE_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'conclave-screenshots-'));

function webMember(name: string): { name: string; identityKey: string; passkey: VirtualPasskey } {
  const identityKey = bytesToHex(schnorr.getPublicKey(schnorr.utils.randomSecretKey()));
  return { name, identityKey, passkey: new VirtualPasskey(identityKey) };
}

describe('the treasury web app in Chromium, with real coordinator and signer processes', () => {
  const ann = webMember('Ann');
  const ben = webMember('Ben');
  const aud = webMember('Aud');
  let root: string;
  let web: WebCoordinator;
  let coordinator: Coordinator;
  let origin: string;
  let browser: Browser;
  const listeners: ChildProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-browser-'));
    mkdirSync(SHOTS, { recursive: true });
    web = await startWebCoordinator();
    ({ coordinator, origin } = web);
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const l of listeners) if (l.exitCode === null) l.kill('SIGTERM');
    await browser?.close();
    await web?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A browser context of its own (no shared storage) with the member's passkey in a virtual authenticator. */
  async function open(member: { passkey: VirtualPasskey }): Promise<Tab> {
    const tab = await openTab(browser);
    await member.passkey.install(tab.context, tab.page, 'localhost');
    return tab;
  }

  async function signIn(page: Page, name: string): Promise<void> {
    await page.goto(`${origin}/`);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.locator('.who', { hasText: name }).waitFor();
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('proposes, approves live, signs, and shows the auditor the same verified story', async () => {
    const started = Date.now();
    // Three keyholders (also the admins) form a governed vault with signer-cli; the member set pins the web members' passkeys.
    const keyholders = await createCliKeyholders({ root, coordinatorUrl: coordinator.url, env: ENV, names: ['alice', 'bob', 'carol'] });
    const [alice, bob, carol] = keyholders as [CliKeyholder, CliKeyholder, CliKeyholder];
    const policyFile = join(root, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({
      rules: {
        format: 2, version: 1, maxFeeSats: '100000', maxFeeRate: '50',
        withdrawals: { proposerGroups: ['initiators'], tiers: [{ name: 'small', upToSats: '1000000', approvals: [{ group: 'approvers', count: 1 }], delaySeconds: 0 }], velocity: [{ windowSeconds: 86_400, capSats: '2000000' }] },
        addressBook: { quorum: [{ group: 'admins', count: 2 }], coolingOffSeconds: 0, expireAfterDisuseSeconds: 30 * 86_400 },
        changes: { policy: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 86_400 }, members: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 86_400, whenSubjectIn: [] } },
      },
      members: [
        ...keyholders.map((k) => ({ identityKey: k.identityKey, name: k.name, groups: ['admins', 'keyholders'] })),
        { identityKey: ann.identityKey, name: ann.name, groups: ['approvers', 'initiators'], passkeys: [ann.passkey.pinned] },
        { identityKey: ben.identityKey, name: ben.name, groups: ['approvers'], passkeys: [ben.passkey.pinned] },
        { identityKey: aud.identityKey, name: aud.name, groups: ['auditors'], passkeys: [aud.passkey.pinned] },
      ],
    }));
    const created = await signer(alice.home, ['vault', 'create', '--name', 'treasury', '--threshold', '2', '--member', 'alice', '--member', 'bob', '--member', 'carol', '--policy-file', policyFile], ENV);
    const vaultId = String(created.vaultId);
    let firstAddress = '';
    for (const k of keyholders) firstAddress = String((await signer(k.home, ['vault', 'pin', vaultId, '--yes'], ENV)).firstAddress);
    await depositToFirstAddress({ vaultId, descriptor: String(created.descriptor), firstAddress, keyholders }, root, 1_500_000n, ENV);
    const entry = await signer(alice.home, ['governance', 'propose', vaultId, '--op', 'address-book.add', '--address', PAYROLL, '--label', 'payroll', '--reason', 'salaries', '--yes'], ENV);
    await signer(bob.home, ['governance', 'approve', vaultId, String(entry.changeId), '--yes'], ENV);
    await signer(carol.home, ['governance', 'approve', vaultId, String(entry.changeId), '--yes'], ENV);
    // Alice and Bob listen: they pin the address book themselves and sign what is approved.
    for (const k of [alice, bob]) {
      const listener = spawnSigner(k.home, ['--json', 'listen', '--yes'], ENV);
      let heard = '';
      listener.stdout!.on('data', (c: Buffer) => (heard += c.toString()));
      listeners.push(listener);
      await signer(k.home, ['governance', 'sync', vaultId], ENV);
      await waitFor(() => heard.includes('"event":"connected"'), `${k.name}'s listener connected`);
    }
    const setupDone = Date.now();

    // Ben watches his approval queue; Ann signs in and proposes.
    const benTab = await open(ben);
    await signIn(benTab.page, 'Ben');
    await benTab.page.goto(`${origin}/#/queue`);
    await benTab.page.getByText('No withdrawal waits for approval.').waitFor();
    await benTab.page.locator('#live-status[data-state="live"]').waitFor();
    await benTab.page.evaluate('window.notReloaded = true');

    const annTab = await open(ann);
    await annTab.page.goto(`${origin}/`);
    await shot(annTab.page, 'sign-in');
    await signIn(annTab.page, 'Ann');
    await annTab.page.locator('.card', { hasText: 'treasury' }).waitFor();
    await shot(annTab.page, 'dashboard');
    await annTab.page.goto(`${origin}/#/vaults/${vaultId}/propose`);
    // A clear error first: an amount with too many decimals.
    await annTab.page.getByRole('textbox', { name: 'Amount' }).fill('0.000000001');
    await annTab.page.getByRole('button', { name: 'Sign with passkey and propose' }).click();
    await annTab.page.getByRole('alert').filter({ hasText: 'at most 8 decimals' }).waitFor();
    await annTab.page.getByRole('textbox', { name: 'Amount' }).fill('0.0025');
    // The error spoke of the old amount: with a valid one entered, none is left standing.
    expect(await annTab.page.locator('#propose-message').textContent()).toBe('');
    await annTab.page.getByLabel('Memo (optional, up to 200 characters)').fill('March payroll');
    await shot(annTab.page, 'propose');
    await annTab.page.getByRole('button', { name: 'Sign with passkey and propose' }).click();
    await annTab.page.waitForURL(/#\/withdrawals\/[0-9a-f-]{36}$/);
    const withdrawalId = /#\/withdrawals\/([0-9a-f-]{36})$/.exec(annTab.page.url())![1]!;
    await annTab.page.locator('[data-state="awaiting_approval"]').waitFor();
    const proposedAt = Date.now();

    // Live: the proposal appears in Ben's queue without a reload.
    const item = benTab.page.locator(`[data-withdrawal="${withdrawalId}"]`);
    await item.waitFor();
    const appearedAt = Date.now();
    expect(await benTab.page.evaluate('window.notReloaded')).toBe(true);
    await expect(item.textContent()).resolves.toMatch(/0\.00250000 BTC.*250,000 sats.*March payroll.*Proposed by Ann/s);
    await shot(benTab.page, 'approval-queue');
    // Ann proposed it, so her queue offers her no approve button.
    await annTab.page.goto(`${origin}/#/queue`);
    await annTab.page.locator(`[data-withdrawal="${withdrawalId}"]`, { hasText: 'You proposed this one' }).waitFor();
    await annTab.page.goto(`${origin}/#/withdrawals/${withdrawalId}`);
    await annTab.page.evaluate('window.notReloaded = true');

    // Ben approves with his passkey; the listening keyholders sign; Ann's page follows by itself.
    await item.getByRole('button', { name: 'Approve with passkey' }).click();
    await annTab.page.locator('[data-state="exported"]').waitFor({ timeout: 60_000 });
    const exportedAt = Date.now();
    expect(await annTab.page.evaluate('window.notReloaded')).toBe(true);
    const w = await (await fetch(`${coordinator.url}/api/v1/withdrawals/${withdrawalId}`, { headers: { authorization: `Bearer ${await sessionToken(annTab.page)}` } })).json() as WithdrawalView;
    expect(w).toMatchObject({ state: 'exported', proposedBy: ann.identityKey, proposal: { format: 'webauthn', type: 'withdrawal.propose', signer: ann.identityKey } });
    expect(w.approvals).toEqual([expect.objectContaining({ format: 'webauthn', signer: ben.identityKey })]);
    expect(w.signatures.map((s) => s.identityKey).sort()).toEqual([alice.identityKey, bob.identityKey].sort());
    await annTab.page.locator('#txid', { hasText: w.txid! }).waitFor();
    const annTimeline = await timeline(annTab.page);
    expect(annTimeline).toEqual(expect.arrayContaining([
      expect.stringMatching(/Proposed by Ann passkey/), expect.stringMatching(/Approved by Ben passkey/),
      expect.stringMatching(/Signed by alice/), expect.stringMatching(/Signed by bob/), expect.stringMatching(/^.*Exported/),
    ]));
    await shot(annTab.page, 'withdrawal');

    // The auditor: the same timeline, a chain verified in the page, no control that changes anything.
    const audTab = await open(aud);
    await signIn(audTab.page, 'Aud');
    await audTab.page.goto(`${origin}/#/withdrawals/${withdrawalId}`);
    await audTab.page.locator('[data-state="exported"]').waitFor();
    expect(await timeline(audTab.page)).toEqual(annTimeline);
    expect(await audTab.page.locator('main button, main form, main input, main select').count()).toBe(0);
    await audTab.page.goto(`${origin}/#/queue`);
    await audTab.page.getByText('No withdrawal waits for approval.').waitFor();
    await audTab.page.goto(`${origin}/#/vaults/${vaultId}`);
    await audTab.page.locator('#descriptor').waitFor();
    expect(await audTab.page.getByRole('link', { name: 'Propose a withdrawal' }).count()).toBe(0);
    for (const [path, name] of [['address-book', 'address-book'], ['policy', 'policy'], ['members', 'members']] as const) {
      await audTab.page.goto(`${origin}/#/vaults/${vaultId}/${path}`);
      await audTab.page.locator('h1', { hasText: /Address book|Policy|Members/ }).waitFor();
      await audTab.page.locator('table.list').first().waitFor();
      expect(await audTab.page.locator('main button, main form').count()).toBe(0);
      await shot(audTab.page, name);
    }
    await audTab.page.goto(`${origin}/#/audit`);
    const chain = audTab.page.locator('#chain-status');
    await chain.waitFor();
    expect(await chain.getAttribute('data-valid')).toBe('true');
    await expect(chain.textContent()).resolves.toMatch(/Chain verified in this page: \d+ events/);
    const download = audTab.page.waitForEvent('download');
    await audTab.page.getByRole('button', { name: 'Withdrawals (CSV)' }).click();
    const csvFile = join(root, 'withdrawals.csv');
    await (await download).saveAs(csvFile);
    expect(readFileSync(csvFile, 'utf8')).toContain(`${withdrawalId},treasury,${vaultId},exported`);
    await shot(audTab.page, 'audit');
    // A crafted approval sent from the auditor's signed-in page, with its own session.
    const crafted = await audTab.page.evaluate(async ({ id, token }) => {
      const res = await fetch(`/api/v1/withdrawals/${id}/approvals`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
      return { status: res.status, body: await res.json() as { error: { code: string } } };
    }, { id: withdrawalId, token: await sessionToken(audTab.page) });
    expect([crafted.status, crafted.body.error.code]).toEqual([403, 'ACCESS_DENIED']);

    // The page's Content Security Policy holds, and no page raised an error.
    const page = await fetch(`${origin}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect([...annTab.errors, ...benTab.errors, ...audTab.errors].filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
    process.stdout.write(`browser flow: setup ${((setupDone - started) / 1000).toFixed(1)} s; live queue update ${appearedAt - proposedAt} ms after the proposal; `
      + `approval to exported ${((exportedAt - appearedAt) / 1000).toFixed(1)} s; whole test ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${SHOTS}\n`);
  });
});

async function sessionToken(page: Page): Promise<string> {
  return (JSON.parse(await page.evaluate<string>('sessionStorage.getItem("conclave.session")')) as { token: string }).token;
}

async function timeline(page: Page): Promise<string[]> {
  await page.locator('#timeline li[data-kind="withdrawal.exported"]').waitFor();
  return (await page.locator('#timeline li').allTextContents()).map((t) => t.replace(/^.*?(?=Proposed|Waiting|Approv|Sent|Signed|Fully|Exported)/, '').replace(/\s+audit #\d+$/, '').replace(/\s+/g, ' ').trim());
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
