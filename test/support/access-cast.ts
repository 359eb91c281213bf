/**
 * The people and credentials of the access tests (issue 5), on a real in-process coordinator:
 *  - a simple (version 1) 3-of-3 vault of alice, bob and carol, funded, on which a withdrawal
 *    was proposed through alice's `propose` API token;
 *  - a governed (version 2) 2-of-3 vault of the same keyholders whose member set also names an
 *    admin (ada, and ben for the admins' quorum), an initiator (ian), an approver (apo) and an
 *    auditor (aud), each in that one group;
 *  - alice's API tokens: read, propose, one expired and one revoked.
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { MESSAGE_TYPES, type VaultView, type WithdrawalView } from '../../protocol/api';
import type { TokenScope } from '../../protocol/auth/access';
import { formatVaultDescriptor } from '../../protocol/descriptor';
import { DEFAULT_POLICY, GOVERNED_POLICY_VERSION, type GovernedPolicy } from '../../protocol/policy';
import { RULES } from './governed-vault';
import type { RunningCoordinator } from './in-process-coordinator';
import { type TestKeyholder, testKeyholder } from './test-keyholder';
import { confirmVault, deposit, intent, setupVault, threeKeyholders } from './vault-scenario';

export type MemberRole = 'admin' | 'initiator' | 'approver' | 'auditor' | 'keyholder';

export interface AccessCast {
  alice: TestKeyholder; bob: TestKeyholder; carol: TestKeyholder;
  ada: TestKeyholder; ben: TestKeyholder; ian: TestKeyholder; apo: TestKeyholder; aud: TestKeyholder;
  /** One member holding exactly each role. */
  byRole: Record<MemberRole, TestKeyholder>;
  simple: VaultView;
  governed: VaultView;
  tokens: { read: string; propose: string; expired: string; revoked: string };
  /** The withdrawal on the simple vault proposed through the propose token. */
  byToken: WithdrawalView;
}

export function tokenSecret(): string {
  return `ct_${randomBytes(32).toString('base64url')}`;
}

export function tokenGrant(by: TestKeyholder, secret: string, scope: TokenScope, expiresAt: Date, name = `${scope} token`) {
  return by.sign(MESSAGE_TYPES.tokenCreate, { name, scope, secretHash: bytesToHex(sha256(utf8ToBytes(secret))), expiresAt: expiresAt.toISOString() });
}

export async function grantToken(coord: RunningCoordinator, by: TestKeyholder, scope: TokenScope, lifetimeMs = 24 * 3600_000): Promise<string> {
  const secret = tokenSecret();
  const res = await coord.call('POST', '/api/v1/tokens', tokenGrant(by, secret, scope, new Date(Date.now() + lifetimeMs)));
  if (res.status !== 201) throw new Error(`token grant failed: ${JSON.stringify(res.body)}`);
  return secret;
}

/** `passkeys`: passkeys pinned in the governed vault's member set, by member name. */
export async function accessCast(coord: RunningCoordinator, passkeys: Record<string, Array<{ credentialId: string; publicKey: string }>> = {}): Promise<AccessCast> {
  const [alice, bob, carol] = threeKeyholders() as [TestKeyholder, TestKeyholder, TestKeyholder];
  const other = (name: string) => testKeyholder(name, `${name} access test words one two three four five six seven eight`);
  const [ada, ben, ian, apo, aud] = ['ada', 'ben', 'ian', 'apo', 'aud'].map(other) as [TestKeyholder, TestKeyholder, TestKeyholder, TestKeyholder, TestKeyholder];
  const keyholders = [alice, bob, carol];

  const simple = await setupVault(coord, keyholders, 3, DEFAULT_POLICY);
  const member = (k: TestKeyholder, groups: string[]) => ({ identityKey: k.identityKey, name: k.name, groups, ...(passkeys[k.name] ? { passkeys: passkeys[k.name] } : {}) });
  const policy: GovernedPolicy = {
    version: GOVERNED_POLICY_VERSION, rules: RULES, addressBook: { revision: 0, entries: [] },
    members: {
      revision: 0,
      members: [
        ...keyholders.map((k) => member(k, ['keyholders'])),
        member(ada, ['admins']), member(ben, ['admins']), member(ian, ['initiators']), member(apo, ['approvers']), member(aud, ['auditors']),
      ],
    },
  };
  const descriptor = formatVaultDescriptor({ kind: 'wsh-sortedmulti', network: 'regtest', threshold: 2, keys: keyholders.map((k) => k.accountKey) });
  const created = await coord.call<VaultView>('POST', '/api/v1/vaults', alice.sign(MESSAGE_TYPES.vaultCreate, {
    name: 'governed', network: 'regtest', threshold: 2, members: keyholders.map((k) => k.identityKey), descriptor, policy,
  }));
  if (created.status !== 201) throw new Error(`governed vault: ${JSON.stringify(created.body)}`);
  const governed = await confirmVault(coord, created.body, keyholders);

  await deposit(coord, simple, alice, [1_000_000n]);
  const tokens = {
    read: await grantToken(coord, alice, 'read'),
    propose: await grantToken(coord, alice, 'propose'),
    expired: await grantToken(coord, alice, 'read', 1500),
    revoked: await grantToken(coord, alice, 'propose'),
  };
  const revoke = await coord.call('POST', '/api/v1/tokens/revoke', alice.sign(MESSAGE_TYPES.tokenRevoke, { tokenId: bytesToHex(sha256(utf8ToBytes(tokens.revoked))) }));
  if (revoke.status !== 200) throw new Error(`revoke failed: ${JSON.stringify(revoke.body)}`);
  const proposed = await coord.call<WithdrawalView>('POST', '/api/v1/withdrawals', { intent: intent(simple) }, { bearer: tokens.propose });
  if (proposed.status !== 201) throw new Error(`token proposal failed: ${JSON.stringify(proposed.body)}`);
  // Past the expired token's lifetime.
  await new Promise((resolve) => setTimeout(resolve, 1600));
  return {
    alice, bob, carol, ada, ben, ian, apo, aud,
    byRole: { admin: ada, initiator: ian, approver: apo, auditor: aud, keyholder: alice },
    simple, governed, tokens, byToken: proposed.body,
  };
}
