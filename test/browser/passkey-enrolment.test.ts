/**
 * A member's first passkey, in a real Chromium against real coordinator and signer processes:
 * Carol, a keyholder of a governed vault with no passkey yet, runs `passkey link`; the link
 * opens the enrolment page, which takes the secret out of the address bar and creates a
 * passkey in the browser's (virtual) authenticator; the coordinator verifies it, and the link
 * is used up. The passkey does not sign in until Carol proposes `member.replace-credentials
 * --add-passkey-file` and two other admins approve; then it does, in the same browser.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { type CliKeyholder, createCliKeyholders, signer } from '../support/cli-vault';
import type { Coordinator } from '../support/processes';
import { launchChromium, openTab } from './chromium';
import { virtualAuthenticator } from './virtual-passkey';
import { type WebCoordinator, startWebCoordinator } from './web-coordinator';

const ENV = { CONCLAVE_PASSPHRASE: 'enrolment passphrase', CONCLAVE_TEST_FAST_KDF: '1' };
const SHOTS = process.env.CONCLAVE_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'conclave-screenshots-'));

describe('registering a first passkey through an enrolment link, in Chromium', () => {
  let root: string;
  let web: WebCoordinator;
  let coordinator: Coordinator;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'conclave-enrol-'));
    web = await startWebCoordinator();
    ({ coordinator, origin } = web);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('creates the passkey in the browser, and it signs in once the quorum has pinned it', async () => {
    const keyholders = await createCliKeyholders({ root, coordinatorUrl: coordinator.url, env: ENV, names: ['alice', 'bob', 'carol'] });
    const [alice, bob, carol] = keyholders as [CliKeyholder, CliKeyholder, CliKeyholder];
    const policyFile = join(root, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({
      rules: {
        format: 2, version: 1, maxFeeSats: '100000', maxFeeRate: '50',
        withdrawals: { proposerGroups: ['admins'], tiers: [{ name: 'all', upToSats: '2100000000000000', approvals: [{ group: 'admins', count: 1 }], delaySeconds: 0 }], velocity: [] },
        addressBook: { quorum: [{ group: 'admins', count: 2 }], coolingOffSeconds: 0, expireAfterDisuseSeconds: 30 * 86_400 },
        changes: { policy: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 86_400 }, members: { quorum: [{ group: 'admins', count: 2 }], delaySeconds: 0, whenSubjectIn: [] } },
      },
      members: keyholders.map((k) => ({ identityKey: k.identityKey, name: k.name, groups: ['admins', 'keyholders'] })),
    }));
    const created = await signer(alice.home, ['vault', 'create', '--name', 'treasury', '--threshold', '2', '--member', 'alice', '--member', 'bob', '--member', 'carol', '--policy-file', policyFile], ENV);
    const vaultId = String(created.vaultId);
    for (const k of keyholders) await signer(k.home, ['vault', 'pin', vaultId, '--yes'], ENV);

    // Carol asks her signer for a link; it points at the web app's origin the coordinator announces.
    const link = await signer(carol.home, ['passkey', 'link'], ENV);
    expect(String(link.url)).toMatch(new RegExp(`^${origin}/#/enrol/[\\x21-\\x7e]{16,200}$`));

    const tab = await openTab(browser);
    const authenticator = await virtualAuthenticator(tab.context, tab.page);
    await tab.page.goto(String(link.url));
    await tab.page.getByRole('heading', { name: 'Register a passkey' }).waitFor();
    expect(tab.page.url()).toBe(`${origin}/#/enrol`);
    await tab.page.getByRole('button', { name: 'Create a passkey on this device' }).click();
    const json = tab.page.locator('#passkey-json');
    await json.waitFor();
    await tab.page.screenshot({ path: join(SHOTS, 'passkey-enrolment.png'), fullPage: true });
    const enrolled = JSON.parse(String(await json.textContent())) as { passkeys: Array<{ credentialId: string; publicKey: string }> };
    const held = await authenticator.credentials();
    expect(held).toHaveLength(1);
    expect(Buffer.from(held[0]!.credentialId, 'base64').toString('base64url')).toBe(enrolled.passkeys[0]!.credentialId);
    expect(Buffer.from(held[0]!.userHandle!, 'base64').toString('hex')).toBe(carol.identityKey);

    // The link is used up: a reload has nothing left to register with.
    await tab.page.reload();
    await tab.page.getByText('This enrolment link has been used').waitFor();

    // Registered is not pinned: the passkey cannot sign in yet.
    await tab.page.goto(`${origin}/#/signin`);
    await tab.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await tab.page.getByRole('alert').filter({ hasText: 'PASSKEY_NOT_PINNED' }).waitFor();

    // Carol proposes adding it; the two other admins approve; every signer pins it.
    const passkeyFile = join(root, 'passkey.json');
    writeFileSync(passkeyFile, JSON.stringify(enrolled));
    const change = await signer(carol.home, ['governance', 'propose', vaultId, '--op', 'member.replace-credentials', '--identity-key', 'carol', '--add-passkey-file', passkeyFile, '--reason', 'laptop passkey', '--yes'], ENV);
    await signer(alice.home, ['governance', 'approve', vaultId, String(change.changeId), '--yes'], ENV);
    await signer(bob.home, ['governance', 'approve', vaultId, String(change.changeId), '--yes'], ENV);
    for (const k of keyholders) await signer(k.home, ['governance', 'sync', vaultId], ENV);
    const policy = await signer(carol.home, ['policy', 'show', vaultId], ENV);
    expect(JSON.stringify(policy)).toContain(enrolled.passkeys[0]!.credentialId);

    await tab.page.goto(`${origin}/#/signin`);
    await tab.page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await tab.page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await tab.page.locator('.who', { hasText: 'carol' }).waitFor();
    expect(tab.errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  });
});
