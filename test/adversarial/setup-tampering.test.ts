/**
 * Malicious-coordinator suite, vault setup (DESIGN.md root of trust; issue 3, point 5): Bob
 * runs the real `vault pin --yes --json` behind the proxy, which shows him a vault other than
 * the one the keyholders formed. Each time `vault pin` fails with a stable code, pins nothing
 * and sends no confirmation. Alice created the vault and she and Carol pinned it honestly; the
 * control shows that Bob pins the untouched vault through the same proxy.
 */
import type { KeyOrigin, VaultView } from '../../protocol/api';
import { deriveVaultScript, formatVaultDescriptor, parseVaultDescriptor } from '../../protocol/descriptor';
import { type SimplePolicy, type VaultPolicy, policyHash } from '../../protocol/policy';
import { DB_LABEL, type Stage, closeStage, direct, formVault, mallory, openStage, pinnedVaults, run } from './harness';

describe(`a signer behind a tampering coordinator refuses to pin a forged vault (${DB_LABEL})`, () => {
  let stage: Stage;
  let vault: VaultView;

  beforeAll(async () => {
    stage = await openStage();
    vault = await formVault(stage, { createArgs: ['--approvals', '1'], pinBy: ['alice', 'carol'] });
  });
  afterAll(() => closeStage(stage));

  /** The vault's descriptor with the given keys (in descriptor order) and threshold, checksummed. */
  const descriptorWith = (keys: KeyOrigin[], threshold = vault.threshold) => formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold, keys });
  const position = (name: 'alice' | 'bob' | 'carol') => vault.members.findIndex((m) => m.identityKey === stage.keyholders[name].identityKey);

  /** Bob's `vault pin` while the proxy rewrites the vault view; returns its error. */
  async function pinForged(edit: (view: VaultView) => VaultView): Promise<{ code: string; message: string }> {
    const { bob } = stage.keyholders;
    const since = stage.proxy.requests.length;
    const stop = stage.proxy.rewrite(({ method, path, status, body }) => (
      method === 'GET' && status === 200 && path === `/api/v1/vaults/${vault.id}` ? { body: edit(JSON.parse(JSON.stringify(body)) as VaultView) } : undefined));
    let result;
    try {
      result = await run(bob, ['vault', 'pin', vault.id, '--yes']);
    } finally {
      stop();
    }
    expect(result.code).not.toBe(0);
    // Nothing pinned, no confirmation sent, none recorded.
    expect(pinnedVaults(bob)).toEqual([]);
    expect(stage.proxy.requestsSince(since, 'POST', /\/confirmations$/)).toEqual([]);
    expect((await direct<VaultView>(stage, `/api/v1/vaults/${vault.id}`)).confirmations.map((c) => c.identityKey)).not.toContain(bob.identityKey);
    return (result.json as { error: { code: string; message: string } }).error;
  }

  it('refuses an attacker xpub listed for a member in place of the registered one', async () => {
    const carol = position('carol');
    const error = await pinForged((view) => {
      view.members[carol]!.accountKey = mallory.accountKey;
      return view;
    });
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(new RegExp(`member ${carol + 1} \\(carol\\) is listed with another account key than descriptor key ${carol + 1}$`));
  });

  it("refuses an attacker xpub swapped in for a member's in the descriptor and the member list alike", async () => {
    const carol = position('carol');
    const error = await pinForged((view) => {
      view.members[carol]!.accountKey = mallory.accountKey;
      view.descriptor = descriptorWith(view.members.map((m) => m.accountKey));
      view.confirmations = []; // the other keyholders confirmed the real vault: hidden
      return view;
    });
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(new RegExp(`member ${carol + 1} \\(carol\\): the account key listed is not the one carol registered`));
  });

  it("refuses a descriptor without the signer's own key", async () => {
    const bob = position('bob');
    const error = await pinForged((view) => {
      view.members[bob]!.accountKey = mallory.accountKey;
      view.descriptor = descriptorWith(view.members.map((m) => m.accountKey));
      return view;
    });
    expect(error.code).toBe('NOT_A_MEMBER');
    expect(error.message).toMatch(/your account key .* is not in its descriptor$/);
  });

  it('refuses a descriptor the keyholders did not agree, with another first address (3-of-3 instead of 2-of-3)', async () => {
    const agreed = deriveVaultScript(parseVaultDescriptor(vault.descriptor, 'regtest'), 0, 0).address;
    const error = await pinForged((view) => {
      view.threshold = 3;
      view.descriptor = descriptorWith(view.members.map((m) => m.accountKey), 3);
      view.confirmations = [];
      expect(deriveVaultScript(parseVaultDescriptor(view.descriptor, 'regtest'), 0, 0).address).not.toBe(agreed);
      return view;
    });
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(/is not the descriptor its creator signed/);
  });

  it('refuses a 1-of-3 descriptor: one person could spend alone', async () => {
    const error = await pinForged((view) => {
      view.threshold = 1;
      view.descriptor = descriptorWith(view.members.map((m) => m.accountKey), 1);
      view.confirmations = [];
      return view;
    });
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(/needs only 1 signature; a vault needs at least 2/);
  });

  it('refuses a vault whose keyholders are shown confirming another first address', async () => {
    const error = await pinForged((view) => {
      for (const c of view.confirmations) c.firstAddress = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
      return view;
    });
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(/confirmed the first address bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080, but this signer derives bcrt1q/);
  });

  it('refuses a policy that is not the one the creator signed (no approvals instead of one)', async () => {
    const error = await pinForged((view) => {
      const weaker: VaultPolicy = { ...(view.policy as SimplePolicy), requiredApprovals: 0 };
      return { ...view, policy: weaker, policyHash: policyHash(weaker) };
    });
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(/policy .*is not the policy its creator signed/);
  });

  it('refuses a vault shown on another network', async () => {
    const error = await pinForged((view) => ({ ...view, network: 'testnet' }));
    expect(error.code).toBe('PIN_MISMATCH');
    expect(error.message).toMatch(/is on testnet, this signer on regtest$/);
  });

  it('pins the untouched vault through the same proxy (control)', async () => {
    const { bob } = stage.keyholders;
    const result = await run(bob, ['vault', 'pin', vault.id, '--yes']);
    expect(result).toMatchObject({ code: 0, json: { vaultId: vault.id, confirmationSent: true } });
    expect(pinnedVaults(bob)).toEqual([vault.id]);
    expect((await direct<VaultView>(stage, `/api/v1/vaults/${vault.id}`)).confirmations.map((c) => c.identityKey)).toContain(bob.identityKey);
  });
});
